# tests/engine.mk: Check programs and shell tests for engine (included by tests/local.mk).
# sim --scenario end to end (needs the sqlite3 command).
TESTS += tests/cli.sh
EXTRA_DIST += tests/cli.sh tests/data/cli
# The include rules of the house style.
TESTS += tests/check_layering.sh
EXTRA_DIST += tests/check_layering.sh
# No function over 150 lines.
TESTS += tests/check_function_length.sh
EXTRA_DIST += tests/check_function_length.sh
# The event engine and the world (with an in-memory sink).
check_PROGRAMS += tests/check_engine
TESTS += tests/check_engine
tests_check_engine_SOURCES = tests/check_engine.c tests/check_main.c
tests_check_engine_CFLAGS = $(KS_CHECK_CFLAGS) $(YAML_CFLAGS)
tests_check_engine_LDADD = $(KS_FULL_TEST_LIBS)
