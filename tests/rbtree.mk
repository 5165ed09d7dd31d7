# tests/rbtree.mk: Check programs and shell tests for rbtree (included by tests/local.mk).
check_PROGRAMS += tests/check_rbtree tests/check_heap
TESTS += tests/check_rbtree tests/check_heap
tests_check_rbtree_SOURCES = tests/check_rbtree.c tests/check_main.c
tests_check_rbtree_CFLAGS = $(KS_CHECK_CFLAGS)
tests_check_rbtree_LDADD = $(KS_MODEL_TEST_LIBS)
tests_check_heap_SOURCES = tests/check_heap.c tests/check_main.c
tests_check_heap_CFLAGS = $(KS_CHECK_CFLAGS)
tests_check_heap_LDADD = $(KS_MODEL_TEST_LIBS)
