# tests/k2009.mk: the 2009 KSM algorithm (models/ksm2009.c), included by tests/local.mk.
check_PROGRAMS += tests/check_ksm2009
TESTS += tests/check_ksm2009
tests_check_ksm2009_SOURCES = tests/check_ksm2009.c tests/check_main.c
tests_check_ksm2009_CFLAGS = $(KS_CHECK_CFLAGS)
tests_check_ksm2009_LDADD = $(KS_MODEL_TEST_LIBS)
