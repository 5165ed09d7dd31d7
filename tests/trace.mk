# tests/trace.mk: Check programs and shell tests for trace (included by tests/local.mk).
check_PROGRAMS += tests/check_trace
TESTS += tests/check_trace
tests_check_trace_SOURCES = tests/check_trace.c tests/check_main.c
tests_check_trace_CFLAGS = $(KS_CHECK_CFLAGS) $(GSL_CFLAGS)
tests_check_trace_LDADD = traces/libtraces.a models/vocab/libvocab.a models/base/libbase.a $(XXHASH_LIBS) $(GSL_LIBS) $(CHECK_LIBS) $(LIBS)
TESTS += tests/trace_cli.sh
EXTRA_DIST += tests/trace_cli.sh tests/data/traces
