# tests/reads.mk: reads and their cost (models/reads.h, seed 003; included by
# tests/local.mk).
check_PROGRAMS += tests/check_reads
TESTS += tests/check_reads
tests_check_reads_SOURCES = tests/check_reads.c tests/check_main.c
tests_check_reads_CFLAGS = $(KS_CHECK_CFLAGS)
tests_check_reads_LDADD = $(KS_MODEL_TEST_LIBS)
TESTS += tests/reads.sh
EXTRA_DIST += tests/reads.sh tests/data/reads
# check_bulk_reads: reads on the bulk path against the reference path (what backs every
# page read), on randomised scenarios that all read.
check_PROGRAMS += tests/check_bulk_reads
TESTS += tests/check_bulk_reads
tests_check_bulk_reads_SOURCES = tests/check_bulk_reads.c tests/check_main.c tests/gen_text.h tests/path_run.h
tests_check_bulk_reads_CFLAGS = $(KS_CHECK_CFLAGS) $(YAML_CFLAGS)
tests_check_bulk_reads_LDADD = $(KS_FULL_TEST_LIBS)
