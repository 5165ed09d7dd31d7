# tests/bulk.mk: the bulk path against the page-by-page reference path (included by
# tests/local.mk).
check_PROGRAMS += tests/check_bulk
TESTS += tests/check_bulk
tests_check_bulk_SOURCES = tests/check_bulk.c tests/check_main.c tests/gen_text.h tests/path_run.h
tests_check_bulk_CFLAGS = $(KS_CHECK_CFLAGS) $(YAML_CFLAGS)
tests_check_bulk_LDADD = $(KS_FULL_TEST_LIBS)
