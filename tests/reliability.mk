# tests/reliability.mk: bad input and signals (included by tests/local.mk).
# bad_input.sh: the bad-input corpus tests/data/bad/ (exit 2, one located line, nothing
# written); signals.sh: SIGINT/SIGTERM/SIGHUP keep the run, kill -9 keeps the database,
# convert leaves no file.
TESTS += tests/bad_input.sh tests/signals.sh
EXTRA_DIST += tests/bad_input.sh tests/signals.sh tests/data/bad
# check_status: messages escaped to one printable line (models/base/status.c)
check_PROGRAMS += tests/check_status
TESTS += tests/check_status
tests_check_status_SOURCES = tests/check_status.c tests/check_main.c
tests_check_status_CFLAGS = $(KS_CHECK_CFLAGS)
tests_check_status_LDADD = $(KS_MODEL_TEST_LIBS)
