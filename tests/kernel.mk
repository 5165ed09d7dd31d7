# tests/kernel.mk: Check programs and shell tests for kernel (included by tests/local.mk).
# Golden kernel traces (traces/kernel/linux-*/): `make check` replays each through the
# simulator and fails on a divergence; `make check-kernel` re-records them live (root,
# KSM) and compares, or says why it is skipped.
check_PROGRAMS += tests/check_kernel_trace
TESTS += tests/check_kernel_trace tests/regress_golden.sh tests/record_kernel_ext.sh \
	tests/regress_outsider.sh tests/regress_replay.sh
tests_check_kernel_trace_SOURCES = tests/check_kernel_trace.c tests/check_main.c
tests_check_kernel_trace_CFLAGS = $(KS_CHECK_CFLAGS)
tests_check_kernel_trace_LDADD = $(KS_FULL_TEST_LIBS)
EXTRA_DIST += tests/regress_golden.sh tests/check_kernel_live.sh traces/kernel \
	tests/record_kernel_ext.sh tests/regress_outsider.sh tests/regress_replay.sh

# exit 77 is a skip (the script says why): not a failure of make
check-kernel: sim/sim tests/rec_target
	@SIM="$(abs_builddir)/sim/sim" SRCDIR="$(abs_srcdir)" \
		REC_TARGET="$(abs_builddir)/tests/rec_target" \
		$(SHELL) $(srcdir)/tests/check_kernel_live.sh; rc=$$?; \
		if [ $$rc = 77 ]; then exit 0; else exit $$rc; fi
.PHONY: check-kernel
