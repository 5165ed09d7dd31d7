/* cmd_report.c - `sim report DB [--run ID|last] [--format text|csv]` and
 * `sim report DB --list`: prints what a results database holds (reports/report.h).
 * Exit 0, or 2 with one line "sim: ..." on stderr (usage, missing file, no such run,
 * not a results database). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "reports/report.h"

static const char report_usage[] =
	"usage: sim report DB [--run ID|last] [--format text|csv]\n"
	"       sim report DB --list\n"
	"Prints the report of one run of the results database DB (default: the last run),\n"
	"its samples as CSV (--format csv), or one line per run (--list).\n";

/* Value of option `name` at argv[*i], as "--name VALUE" or "--name=VALUE"; NULL if
 * argv[*i] is not that option. *missing is set when the value is absent. */
static const char *opt_value(int argc, char **argv, int *i, const char *name, bool *missing)
{
	size_t n = strlen(name);
	const char *a = argv[*i];

	if (strncmp(a, name, n) != 0)
		return NULL;
	if (a[n] == '=')
		return a + n + 1;
	if (a[n] != '\0')
		return NULL;
	if (*i + 1 >= argc) {
		*missing = true;
		return NULL;
	}
	return argv[++*i];
}

static int parse_run_id(const char *s, int64_t *id)
{
	char *end;
	long long v;

	if (!strcmp(s, "last")) {
		*id = KS_REPORT_LAST_RUN;
		return 0;
	}
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end != '\0' || v < 1)
		return KS_EINVAL;
	*id = v;
	return 0;
}

static int usage_error(const char *what, const char *arg)
{
	ks_cli_error("report: %s '%s'; try 'sim --help'", what, arg);
	return KS_EXIT_ERROR;
}

int ks_cmd_report(int argc, char **argv)
{
	const char *db = NULL, *run = NULL, *format = "text", *v;
	int64_t run_id = KS_REPORT_LAST_RUN;
	bool list = false, missing = false;
	struct ks_err err = { 0 };
	int rc;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(report_usage, stdout);
			return KS_EXIT_OK;
		} else if (!strcmp(argv[i], "--list")) {
			list = true;
		} else if ((v = opt_value(argc, argv, &i, "--run", &missing))) {
			run = v;
		} else if ((v = opt_value(argc, argv, &i, "--format", &missing))) {
			format = v;
		} else if (missing) {
			return usage_error("missing value after", argv[i]);
		} else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			return usage_error("unknown option", argv[i]);
		} else if (db) {
			return usage_error("unexpected argument", argv[i]);
		} else {
			db = argv[i];
		}
	}
	if (!db) {
		ks_cli_error("report: missing results database; try 'sim --help'");
		return KS_EXIT_ERROR;
	}
	if (run && parse_run_id(run, &run_id))
		return usage_error("--run needs a run id (>= 1) or 'last', not", run);
	if (strcmp(format, "text") && strcmp(format, "csv"))
		return usage_error("--format is text or csv, not", format);
	if (list && (run || strcmp(format, "text"))) {
		ks_cli_error("report: --list takes no --run or --format; try 'sim --help'");
		return KS_EXIT_ERROR;
	}

	if (list)
		rc = ks_report_list(db, stdout, &err);
	else if (!strcmp(format, "csv"))
		rc = ks_report_csv(db, run_id, stdout, &err);
	else
		rc = ks_report_print(db, run_id, stdout, &err);
	if (rc) {
		fflush(stdout);
		ks_cli_error("%s", err.msg);
		return KS_EXIT_ERROR;
	}
	return KS_EXIT_OK;
}
