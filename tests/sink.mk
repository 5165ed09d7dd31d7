# tests/sink.mk: Check programs and shell tests for sink (included by tests/local.mk).
# The SQLite results database: writer (sim/results/sink_sqlite.c), schema, reports, `sim report`.
check_PROGRAMS += tests/check_sink
TESTS += tests/check_sink
tests_check_sink_SOURCES = tests/check_sink.c tests/check_main.c tests/tmpdir.c tests/tmpdir.h \
	sim/results/schema.h
tests_check_sink_CFLAGS = $(KS_CHECK_CFLAGS) $(SQLITE_CFLAGS)
tests_check_sink_LDADD = $(KS_FULL_TEST_LIBS)
