# tests/content.mk: Check programs and shell tests for content (included by tests/local.mk).
# Page-content model: exact memcmp order, zero test, cached checksums, interning.
check_PROGRAMS += tests/check_content
TESTS += tests/check_content
tests_check_content_SOURCES = tests/check_content.c tests/check_main.c
tests_check_content_CFLAGS = $(KS_CHECK_CFLAGS)
tests_check_content_LDADD = $(KS_MODEL_TEST_LIBS)

# Page checksums: known answers and independent re-implementations.
check_PROGRAMS += tests/check_checksum
TESTS += tests/check_checksum
tests_check_checksum_SOURCES = tests/check_checksum.c tests/check_main.c
tests_check_checksum_CFLAGS = $(KS_CHECK_CFLAGS) $(XXHASH_CFLAGS)
tests_check_checksum_LDADD = $(KS_MODEL_TEST_LIBS)
