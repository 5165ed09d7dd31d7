/* cmd_compare.c - `sim compare DB[:RUN] DB[:RUN] [--html DIR]`: two runs side by side
 * (reports/compare.c), from one database or two: settings that differ, saving, times to
 * 50% and 90% of it, ksmd CPU, final counters, component breakdown and latency
 * histograms, with differences and ratios, and notes on settings that had no effect
 * and odd pairings. RUN is a run id or `last` (the default). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_opts.h"
#include "models/base/xalloc.h"
#include "reports/report.h"

static void usage(FILE *out)
{
	fputs("usage: sim compare DB[:RUN] DB[:RUN] [--html DIR]\n"
	      "\n"
	      "Compares two runs (RUN: a run id or 'last', the default; both may come from one\n"
	      "database): the settings that differ, memory saved, times to 50% and 90% of\n"
	      "it, ksmd CPU, the final counters, ksmd CPU by component, the readers' time\n"
	      "with and without KSM (runs whose workload reads) and the cmp_and_merge_page\n"
	      "latency histograms, each with B - A and B / A, then notes\n"
	      "(settings that changed no counter, odd pairings such as the s390 checksum on\n"
	      "x86_64). --html DIR writes the same, with plots over time, to DIR/index.html.\n"
	      "\n"
	      "example: sim compare 8vms.db:1 8vms.db:2\n", out);
}

/* "DB:RUN" -> path and run id; a suffix that is not a run id is part of the path. */
static char *split_spec(const char *spec, int64_t *run)
{
	const char *colon = strrchr(spec, ':');
	char *path, *end;
	long long v;

	*run = KS_REPORT_LAST_RUN;
	if (colon && !strcmp(colon + 1, "last")) {
		path = ks_xstrdup(spec);
		path[colon - spec] = '\0';
		return path;
	}
	if (colon && colon[1]) {
		errno = 0;
		v = strtoll(colon + 1, &end, 10);
		if (!*end && !errno && v >= 1) {
			*run = v;
			path = ks_xstrdup(spec);
			path[colon - spec] = '\0';
			return path;
		}
	}
	return ks_xstrdup(spec);
}

int ks_cmd_compare(int argc, char **argv)
{
	const char *html = NULL;
	const struct ks_opt opts[] = { KS_STR("html", 0, &html), KS_OPT_END };
	const struct ks_cmdline cl = { .cmd = "compare", .usage = usage, .opts = opts,
				       .min_args = 2, .max_args = 2,
				       .args = "two runs, DB[:RUN] DB[:RUN]" };
	struct ks_strlist args;
	struct ks_err err = { 0 };
	int64_t ra, rb;
	char *a, *b;
	int rc = ks_cli_parse(&cl, argc, argv, &args);

	if (rc >= 0)
		return rc;
	a = split_spec(args.v[0], &ra);
	b = split_spec(args.v[1], &rb);
	ks_strlist_free(&args);
	if (html)
		rc = ks_report_compare_html(a, ra, b, rb, html, &err);
	else
		rc = ks_report_compare(a, ra, b, rb, stdout, &err);
	if (rc) {
		fflush(stdout);
		ks_cli_error("compare: %s", err.msg);
		rc = KS_EXIT_ERROR;
	}
	free(a);
	free(b);
	return rc;
}
