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
TESTS += tests/calibrate_fit.sh tests/validations_smoke.sh
EXTRA_DIST += tests/calibrate_fit.sh tests/check_calibrate_kernel.sh traces/kernel/calibrate \
	tests/validations.sh tests/validations_smoke.sh
check-calibrate-kernel: sim/sim
	@SIM="$(abs_builddir)/sim/sim" SRCDIR="$(abs_srcdir)" \
		$(SHELL) $(srcdir)/tests/check_calibrate_kernel.sh
.PHONY: check-calibrate-kernel

# `make check-validations`: every README validation run and its table compared with what
# the commands print now (tests/validations.sh; about a minute of CPU); 1b (live) only
# with LIVE=1. `make validations-readme` rewrites the README's generated tables.
check-validations: sim/sim
	@SIM="$(abs_builddir)/sim/sim" SRCDIR="$(abs_srcdir)" \
		$(SHELL) $(srcdir)/tests/validations.sh --check $(abs_srcdir)/README.md
validations-readme: sim/sim
	@SIM="$(abs_builddir)/sim/sim" SRCDIR="$(abs_srcdir)" \
		$(SHELL) $(srcdir)/tests/validations.sh --write $(abs_srcdir)/README.md
.PHONY: check-validations validations-readme
