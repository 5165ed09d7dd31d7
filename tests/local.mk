# tests: one Check program per module (tests/check_<module>.c + tests/check_main.c),
# plus shell tests that drive the sim binary.
# Check's default per-test timeout is 4 s: every test here takes milliseconds alone, but
# on a shared 2-core machine under load (20+ runnable processes seen) forked tests were
# starved past it. 60 s still catches a hang; tests that need longer set their own.
AM_TESTS_ENVIRONMENT = export SIM="$(abs_builddir)/sim/sim"; export SRCDIR="$(abs_srcdir)"; \
	export BUILDDIR="$(abs_builddir)"; \
	export CK_DEFAULT_TIMEOUT="$${CK_DEFAULT_TIMEOUT:-60}";
KS_CHECK_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
KS_MODEL_TEST_LIBS = models/libmodels.a models/vocab/libvocab.a models/base/libbase.a $(XXHASH_LIBS) $(CHECK_LIBS) $(LIBS)
KS_FULL_TEST_LIBS = $(KS_ALL_LIBS) $(CHECK_LIBS)
include $(srcdir)/tests/content.mk
include $(srcdir)/tests/rbtree.mk
include $(srcdir)/tests/scenario.mk
include $(srcdir)/tests/trace.mk
include $(srcdir)/tests/record.mk
include $(srcdir)/tests/sink.mk
include $(srcdir)/tests/ksm.mk
include $(srcdir)/tests/engine.mk
include $(srcdir)/tests/bulk.mk
include $(srcdir)/tests/kernel.mk
include $(srcdir)/tests/cost.mk
include $(srcdir)/tests/k2009.mk
include $(srcdir)/tests/zsmalloc.mk
include $(srcdir)/tests/zram.mk
include $(srcdir)/tests/reads.mk
EXTRA_DIST += %reldir%/.may_include
include $(srcdir)/tests/cli_opts.mk
include $(srcdir)/tests/sweep.mk
include $(srcdir)/tests/report.mk
EXTRA_DIST += tests/lib.sh tests/bench_growth.sh tests/bench_kernel.sh
include $(srcdir)/tests/reliability.mk
include $(srcdir)/tests/fuzz/local.mk
