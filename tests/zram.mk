# tests/zram.mk: zram's compressors and the zram model (included by tests/local.mk);
# zram_validate.sh: `sim zram-validate` (the real device only as root, else skipped);
# reclaim.sh: host: scenarios end to end.
check_PROGRAMS += tests/check_zram
TESTS += tests/check_zram tests/zram_validate.sh tests/reclaim.sh
tests_check_zram_SOURCES = tests/check_zram.c tests/check_main.c
tests_check_zram_CFLAGS = $(KS_CHECK_CFLAGS) $(LZ4_CFLAGS) $(ZSTD_CFLAGS)
tests_check_zram_LDADD = $(KS_MODEL_TEST_LIBS)
EXTRA_DIST += tests/zram_validate.sh tests/reclaim.sh tests/data/zram
# reclaim.c over the KSM and zram models, worked by hand.
check_PROGRAMS += tests/check_reclaim
TESTS += tests/check_reclaim
tests_check_reclaim_SOURCES = tests/check_reclaim.c tests/check_main.c
tests_check_reclaim_CFLAGS = $(KS_CHECK_CFLAGS) $(YAML_CFLAGS)
tests_check_reclaim_LDADD = $(KS_FULL_TEST_LIBS)
# make check-zram: the live comparison with this machine's /dev/zram0 (root; skipped,
# saying why, otherwise). ZRAM_TRACE=FILE adds a recorded trace.
EXTRA_DIST += tests/check_zram_live.sh
check-zram: sim/sim
	@SIM="$(abs_builddir)/sim/sim" SRCDIR="$(abs_srcdir)" \
		$(SHELL) $(srcdir)/tests/check_zram_live.sh; rc=$$?; \
		if [ $$rc = 77 ]; then exit 0; else exit $$rc; fi
.PHONY: check-zram
