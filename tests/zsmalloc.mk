# tests/zsmalloc.mk: the zsmalloc model (included by tests/local.mk).
check_PROGRAMS += tests/check_zsmalloc
TESTS += tests/check_zsmalloc
tests_check_zsmalloc_SOURCES = tests/check_zsmalloc.c tests/check_main.c
tests_check_zsmalloc_CFLAGS = $(KS_CHECK_CFLAGS)
tests_check_zsmalloc_LDADD = $(KS_MODEL_TEST_LIBS)
