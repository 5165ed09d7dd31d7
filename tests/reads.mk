# tests/reads.mk: reads and their cost (models/reads.h, seed 003; included by
# tests/local.mk).
check_PROGRAMS += tests/check_reads
TESTS += tests/check_reads
tests_check_reads_SOURCES = tests/check_reads.c tests/check_main.c
tests_check_reads_CFLAGS = $(KS_CHECK_CFLAGS)
tests_check_reads_LDADD = $(KS_MODEL_TEST_LIBS)
TESTS += tests/reads.sh
EXTRA_DIST += tests/reads.sh tests/data/reads
