# tests/ksm.mk: Check programs and shell tests for ksm (included by tests/local.mk).
check_PROGRAMS += tests/check_ksm
TESTS += tests/check_ksm
tests_check_ksm_SOURCES = tests/check_ksm.c tests/check_main.c
tests_check_ksm_CFLAGS = $(KS_CHECK_CFLAGS)
tests_check_ksm_LDADD = $(KS_MODEL_TEST_LIBS)
