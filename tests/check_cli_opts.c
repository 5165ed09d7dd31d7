/* check_cli_opts.c - the one command-line parser (sim/cli_opts.c): every option form,
 * ranges, positional arguments, "--", --help, and one located line per error. */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sim/cli.h"
#include "sim/cli_opts.h"

int ks_cli_quiet;

static char errbuf[4096];

/* ks_cli_error writes to stderr: the tests redirect it into errbuf. */
void ks_cli_error(const char *fmt, ...)
{
	va_list ap;
	size_t n = strlen(errbuf);

	n += (size_t)snprintf(errbuf + n, sizeof(errbuf) - n, "sim: ");
	va_start(ap, fmt);
	vsnprintf(errbuf + n, sizeof(errbuf) - n, fmt, ap);
	va_end(ap);
	strncat(errbuf, "\n", sizeof(errbuf) - strlen(errbuf) - 1);
}

static int usage_calls;

static void usage(FILE *out)
{
	(void)out;
	usage_calls++;
}

struct vals {
	bool flag;
	const char *str;
	struct ks_strlist list;
	uint64_t u64;
	unsigned uint;
	double dbl;
	bool u64_given;
};

static int parse(struct vals *v, struct ks_strlist *args, unsigned minargs, unsigned maxargs,
		 int argc, char **argv)
{
	const struct ks_opt opts[] = {
		KS_FLAG("flag", 'f', &v->flag),
		KS_STR("str", 's', &v->str),
		KS_LIST("set", 0, &v->list),
		{ .name = "num", .short_name = 'n', .kind = KS_OPT_U64, .dest = &v->u64,
		  .min = 0, .max = 0, .given = &v->u64_given },
		KS_UINT("seeds", 0, &v->uint, 1, 64),
		KS_DOUBLE("tol", 't', &v->dbl, 0),
		KS_OPT_END };
	const struct ks_cmdline cl = { .cmd = "demo", .usage = usage, .opts = opts,
				       .min_args = minargs, .max_args = maxargs,
				       .args = "FILE" };

	memset(v, 0, sizeof(*v));
	errbuf[0] = '\0';
	return ks_cli_parse(&cl, argc, argv, args);
}

START_TEST(test_cli_every_form)
{
	char *argv[] = { "demo", "--flag", "a", "--str=x", "-n", "0x10", "--set", "k=1", "b",
			 "--set=j=2", "-t0.5", "--seeds", "64", "--", "--not-an-option" };
	struct vals v;
	struct ks_strlist args;

	ck_assert_int_eq(parse(&v, &args, 1, 5, 15, argv), -1);
	ck_assert(v.flag && v.u64_given);
	ck_assert_str_eq(v.str, "x");
	ck_assert_uint_eq(v.u64, 16);
	ck_assert_uint_eq(v.uint, 64);
	ck_assert_double_eq(v.dbl, 0.5);
	ck_assert_uint_eq(v.list.n, 2);
	ck_assert_str_eq(v.list.v[0], "k=1");
	ck_assert_str_eq(v.list.v[1], "j=2");
	ck_assert_ptr_null(v.list.v[2]);
	ck_assert_uint_eq(args.n, 3);
	ck_assert_str_eq(args.v[0], "a");
	ck_assert_str_eq(args.v[1], "b");
	ck_assert_str_eq(args.v[2], "--not-an-option");
	ck_assert_str_eq(errbuf, "");
	ks_strlist_free(&args);
	ks_strlist_free(&v.list);
}
END_TEST

START_TEST(test_cli_short_cluster_and_attached)
{
	char *argv[] = { "demo", "-fsVALUE" };
	struct vals v;
	struct ks_strlist args;

	ck_assert_int_eq(parse(&v, &args, 0, 0, 2, argv), -1);
	ck_assert(v.flag);
	ck_assert_str_eq(v.str, "VALUE");
	ck_assert_uint_eq(args.n, 0);
}
END_TEST

/* Each bad command line: exit 2 and exactly one line naming the problem. */
static const struct { int argc; char *argv[4]; const char *msg; } bad[] = {
	{ 2, { "demo", "--bogus" }, "sim: demo: unknown option '--bogus'; try 'sim demo --help'\n" },
	{ 2, { "demo", "-x" }, "sim: demo: unknown option '-x'; try 'sim demo --help'\n" },
	{ 2, { "demo", "--str" }, "sim: demo: option needs a value: '--str'; try 'sim demo --help'\n" },
	{ 2, { "demo", "--flag=1" }, "sim: demo: option takes no value: '--flag=1'; try 'sim demo --help'\n" },
	{ 3, { "demo", "--seeds", "65" }, "sim: demo: --seeds: expected an integer in 1..64, got '65'\n" },
	{ 3, { "demo", "--seeds", "0" }, "sim: demo: --seeds: expected an integer in 1..64, got '0'\n" },
	{ 3, { "demo", "--num", "-1" }, "sim: demo: --num: expected an integer >= 0, got '-1'\n" },
	{ 3, { "demo", "--num", "99999999999999999999" }, "sim: demo: --num: expected an integer >= 0, got '99999999999999999999'\n" },
	{ 3, { "demo", "--tol", "nan" }, "sim: demo: --tol: expected a number >= 0, got 'nan'\n" },
	{ 3, { "demo", "--tol", "-1" }, "sim: demo: --tol: expected a number >= 0, got '-1'\n" },
	{ 3, { "demo", "a", "b" }, "sim: demo: unexpected argument 'b'; try 'sim demo --help'\n" },
};

START_TEST(test_cli_errors)
{
	struct vals v;
	struct ks_strlist args;

	ck_assert_int_eq(parse(&v, &args, 0, 1, bad[_i].argc, (char **)bad[_i].argv), 2);
	ck_assert_str_eq(errbuf, bad[_i].msg);
	ck_assert_ptr_null(args.v);
	ks_strlist_free(&v.list);
}
END_TEST

START_TEST(test_cli_missing_args_and_help)
{
	char *none[] = { "demo" }, *help[] = { "demo", "--bogus", "-h" },
	     *help2[] = { "demo", "--help" };
	struct vals v;
	struct ks_strlist args;

	ck_assert_int_eq(parse(&v, &args, 1, 1, 1, none), 2);
	ck_assert_str_eq(errbuf, "sim: demo needs FILE; try 'sim demo --help'\n");
	usage_calls = 0;
	ck_assert_int_eq(parse(&v, &args, 1, 1, 2, help2), 0);
	ck_assert_int_eq(usage_calls, 1);
	/* options are read in order: an error before --help is reported */
	ck_assert_int_eq(parse(&v, &args, 1, 1, 3, help), 2);
	ck_assert_int_eq(usage_calls, 1);
}
END_TEST

Suite *ks_test_suite(void);

Suite *ks_test_suite(void)
{
	Suite *s = suite_create("cli_opts");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_cli_every_form);
	tcase_add_test(tc, test_cli_short_cluster_and_attached);
	tcase_add_loop_test(tc, test_cli_errors, 0, sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(tc, test_cli_missing_args_and_help);
	suite_add_tcase(s, tc);
	return s;
}
