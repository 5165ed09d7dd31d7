# tests/scenario.mk: Check programs and shell tests for scenario (included by tests/local.mk).
# check_load_scenario: the YAML scenario loader, --set overrides and scenario lookup.
check_PROGRAMS += tests/check_load_scenario
TESTS += tests/check_load_scenario
tests_check_load_scenario_SOURCES = tests/check_load_scenario.c tests/check_main.c
tests_check_load_scenario_CFLAGS = $(KS_CHECK_CFLAGS) $(YAML_CFLAGS)
tests_check_load_scenario_LDADD = $(KS_FULL_TEST_LIBS)
EXTRA_DIST += tests/data/scenarios
