# tests/cost.mk: Check programs and shell tests for cost (included by tests/local.mk).
check_PROGRAMS += tests/check_cost
TESTS += tests/check_cost
tests_check_cost_SOURCES = tests/check_cost.c tests/check_main.c
tests_check_cost_CFLAGS = $(KS_CHECK_CFLAGS) $(YAML_CFLAGS) $(GSL_CFLAGS)
tests_check_cost_LDADD = $(KS_FULL_TEST_LIBS)
# cost-model validation 1: `sim validate-timing` arithmetic (synthetic model, no timing)
TESTS += tests/validate_timing.sh
EXTRA_DIST += tests/validate_timing.sh tests/data/cost/timing-synthetic.yaml
