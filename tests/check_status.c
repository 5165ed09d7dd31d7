/* check_status.c - located messages stay one printable line: ks_err_set() escapes
 * newlines, control bytes (ESC, BEL, DEL) and bytes that are not UTF-8 (ks_str_escape),
 * and ks_str_utf8_bad() finds the first bad byte. */
#include <stdint.h>
#include <string.h>

#include <check.h>

#include "models/base/status.h"

START_TEST(test_escape_control_bytes)
{
	struct ks_err err;

	ks_err_set(&err, KS_EINVAL, "f.yaml:1:7: name '%s'", "a\nb\x1b]0;t\x07" "c\x7f\td\r");
	ck_assert_str_eq(err.msg, "f.yaml:1:7: name 'a\\nb\\x1b]0;t\\x07c\\x7f\\td\\r'");
	ck_assert_int_eq(err.code, KS_EINVAL);
}
END_TEST

START_TEST(test_escape_keeps_utf8)
{
	char out[64];

	ks_str_escape(out, sizeof(out), "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	ck_assert_str_eq(out, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	/* lone continuation, overlong, surrogate, truncated, above U+10FFFF */
	ks_str_escape(out, sizeof(out), "\x80|\xc0\xaf|\xed\xa0\x80|\xe2\x82|\xf4\x90\x80\x80");
	ck_assert_str_eq(out, "\\x80|\\xc0\\xaf|\\xed\\xa0\\x80|\\xe2\\x82|"
			 "\\xf4\\x90\\x80\\x80");
}
END_TEST

START_TEST(test_escape_truncates_whole)
{
	char out[6];

	/* "ab\x1b" -> "ab\x1b" escaped needs 6 bytes + NUL: the escape is not cut */
	ck_assert_uint_eq(ks_str_escape(out, sizeof(out), "ab\x1b"), 2);
	ck_assert_str_eq(out, "ab");
	ck_assert_uint_eq(ks_str_escape(out, 1, "abc"), 0);
	ck_assert_str_eq(out, "");
}
END_TEST

START_TEST(test_utf8_bad)
{
	ck_assert_uint_eq(ks_str_utf8_bad("ksm.pages_to_scan=1"), SIZE_MAX);
	ck_assert_uint_eq(ks_str_utf8_bad("x=\xc3\xa9"), SIZE_MAX);
	ck_assert_uint_eq(ks_str_utf8_bad("ks\xffm=1"), 2);
	ck_assert_uint_eq(ks_str_utf8_bad("a=\xc3"), 2);
}
END_TEST

Suite *ks_test_suite(void);

Suite *ks_test_suite(void)
{
	Suite *s = suite_create("status");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_escape_control_bytes);
	tcase_add_test(tc, test_escape_keeps_utf8);
	tcase_add_test(tc, test_escape_truncates_whole);
	tcase_add_test(tc, test_utf8_bad);
	suite_add_tcase(s, tc);
	return s;
}
