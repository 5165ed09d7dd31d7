/* cmd_report.c - `sim report DB [--run ID|last] [--sweep ID|last] [--format
 * text|csv|json] [--html DIR]`, `sim report DB --list` and `sim report DB --sql QUERY
 * [--format text|csv]`: prints what a results
 * database holds (reports/report.h), or writes it as an HTML page.
 * Exit 0, or 2 with one line "sim: ..." on stderr (usage, missing file, no such run,
 * not a results database). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_opts.h"
#include "reports/report.h"

static const char report_usage[] =
	"usage: sim report DB [--run ID|last] [--format text|csv|json]\n"
	"       sim report DB --sweep ID|last [--format text|csv|json]\n"
	"       sim report DB [--run ID|last] --html DIR\n"
	"       sim report DB --list\n"
	"       sim report DB --sql QUERY [--format text|csv]\n"
	"Prints the report of one run of the results database DB (default: the last run),\n"
	"its samples as CSV (--format csv), the run and every sweep as JSON (--format\n"
	"json), a sweep (per point: mean and 95% confidence interval; as CSV the rows of\n"
	"the view v_sweep), or one line per run (--list). --html DIR writes DIR/index.html:\n"
	"one self-contained page with SVG plots of every sweep and of the run. --sql runs one\n"
	"read-only SQL statement (tables and views: docs/results-schema.md) and prints its\n"
	"rows as a table or as CSV.\n";

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
	ks_cli_error("report: %s '%s'; try 'sim report --help'", what, arg);
	return KS_EXIT_ERROR;
}

static void usage(FILE *out)
{
	fputs(report_usage, out);
}

int ks_cmd_report(int argc, char **argv)
{
	const char *db, *run = NULL, *sweep = NULL, *format = "text", *html = NULL;
	const char *sql = NULL;
	int64_t run_id = KS_REPORT_LAST_RUN, sweep_id = KS_REPORT_LAST_RUN;
	bool list = false;
	struct ks_err err = { 0 };
	const struct ks_opt opts[] = {
		KS_FLAG("list", 0, &list),
		KS_STR("run", 0, &run),
		KS_STR("sweep", 0, &sweep),
		KS_STR("format", 0, &format),
		KS_STR("html", 0, &html),
		KS_STR("sql", 0, &sql),
		KS_OPT_END };
	const struct ks_cmdline cl = { .cmd = "report", .usage = usage, .opts = opts,
				       .min_args = 1, .max_args = 1,
				       .args = "a results database" };
	struct ks_strlist args;
	int rc = ks_cli_parse(&cl, argc, argv, &args);

	if (rc >= 0)
		return rc;
	db = args.v[0];
	ks_strlist_free(&args);
	if (run && parse_run_id(run, &run_id))
		return usage_error("--run needs a run id (>= 1) or 'last', not", run);
	if (sweep && parse_run_id(sweep, &sweep_id))
		return usage_error("--sweep needs a sweep id (>= 1) or 'last', not", sweep);
	if (sweep && (run || list)) {
		ks_cli_error("report: --sweep takes no --run or --list; try 'sim report --help'");
		return KS_EXIT_ERROR;
	}
	if (strcmp(format, "text") && strcmp(format, "csv") && strcmp(format, "json"))
		return usage_error("--format is text, csv or json, not", format);
	if (html && (list || sweep || strcmp(format, "text"))) {
		ks_cli_error("report: --html takes no --list, --sweep or --format; try "
			     "'sim report --help'");
		return KS_EXIT_ERROR;
	}
	if (list && (run || strcmp(format, "text"))) {
		ks_cli_error("report: --list takes no --run or --format; try 'sim report --help'");
		return KS_EXIT_ERROR;
	}

	if (sql && (run || sweep || list || html || !strcmp(format, "json"))) {
		ks_cli_error("report: --sql takes no --run, --sweep, --list, --html or "
			     "--format json; try 'sim report --help'");
		return KS_EXIT_ERROR;
	}

	if (sql)
		rc = ks_report_sql(db, sql, !strcmp(format, "csv"), stdout, &err);
	else if (html)
		rc = ks_report_html(db, run_id, html, &err);
	else if (list)
		rc = ks_report_list(db, stdout, &err);
	else if (!strcmp(format, "json"))
		rc = ks_report_json(db, run_id, sweep_id, sweep != NULL, stdout, &err);
	else if (sweep)
		rc = strcmp(format, "csv") ? ks_report_sweep(db, sweep_id, stdout, &err) :
			ks_report_sweep_csv(db, sweep_id, stdout, &err);
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
