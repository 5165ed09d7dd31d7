/* tmpdir.h - a private temporary folder per Check test (under $TMPDIR, else /tmp), and
 * its removal with what the test left in it (files and empty folders, one level). */
#ifndef KS_TEST_TMPDIR_H
#define KS_TEST_TMPDIR_H

#include <stddef.h>

/* Makes "$TMPDIR/NAME-XXXXXX" into dir (n bytes); the test fails if it cannot. */
void ks_test_tmpdir(char *dir, size_t n, const char *name);
/* Removes the folder's entries and the folder. Never fails. */
void ks_test_rmdir(const char *dir);

#endif
