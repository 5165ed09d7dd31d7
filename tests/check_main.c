/* check_main.c - main() shared by every Check program: each tests/check_<module>.c
 * defines ks_test_suite(); this runs it and fails if any test failed. */
#include <stdlib.h>

#include <check.h>

Suite *ks_test_suite(void);

int main(void)
{
	SRunner *sr = srunner_create(ks_test_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
