# tests/cost.mk: Check programs and shell tests for cost (included by tests/local.mk).
check_PROGRAMS += tests/check_cost
TESTS += tests/check_cost
tests_check_cost_SOURCES = tests/check_cost.c tests/check_main.c
tests_check_cost_CFLAGS = $(KS_CHECK_CFLAGS) $(YAML_CFLAGS) $(GSL_CFLAGS)
tests_check_cost_LDADD = $(KS_FULL_TEST_LIBS)
# cost-model validation 1: `sim validate-timing` arithmetic (synthetic model, no timing)
TESTS += tests/validate_timing.sh
EXTRA_DIST += tests/validate_timing.sh tests/data/cost/timing-synthetic.yaml
# sim calibrate --fit (the kernel fit) on committed traces; the live battery is
# `make check-calibrate-kernel` (root + KSM, minutes; exit 77 without)
TESTS += tests/calibrate_fit.sh
EXTRA_DIST += tests/calibrate_fit.sh tests/check_calibrate_kernel.sh traces/kernel/calibrate
check-calibrate-kernel: sim/sim
	@SIM="$(abs_builddir)/sim/sim" SRCDIR="$(abs_srcdir)" \
		$(SHELL) $(srcdir)/tests/check_calibrate_kernel.sh
.PHONY: check-calibrate-kernel
