/* cmd_advise.c - `sim advise DB [--sweep ID|last] [--saving PCT] [--within SECONDS]
 * [--cpu PCT]`: from a sweep (of pages_to_scan, sleep_millisecs, the advisor's
 * settings, ...), the cheapest setting that reaches PCT% of the achievable saving
 * within SECONDS at no more than PCT% ksmd CPU, with the trade-off table
 * (reports/advise.c). Exit 0 with advice, 1 when no point meets the target, 2 on bad
 * input. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_opts.h"
#include "reports/report.h"

static void usage(FILE *out)
{
	fputs("usage: sim advise DB [--sweep ID|last] [--saving PCT] [--within SECONDS]\n"
	      "                [--cpu PCT]\n"
	      "\n"
	      "Reads a sweep of DB (default: the last) and advises the setting with the lowest\n"
	      "ksmd CPU that, in every run of its point, reaches PCT% (default 90) of the\n"
	      "achievable saving (the best point's mean saving at the end) within SECONDS\n"
	      "(default 60) of simulated time, at no more than PCT% (default 10) ksmd CPU\n"
	      "over the run. Prints the trade-off table of every point. Exit 0 with advice,\n"
	      "1 when no point meets the target.\n"
	      "\n"
	      "example: sim sweep --scenario 8vms --vary ksm.pages_to_scan=100..20000:30log \\\n"
	      "                   --seeds 3 -j 2 && sim advise 8vms-sweep.db --within 120\n",
	      out);
}

int ks_cmd_advise(int argc, char **argv)
{
	const char *sweep = NULL;
	struct ks_advise_target t = { .saving_pct = 90, .within_s = 60, .max_cpu_pct = 10 };
	const struct ks_opt opts[] = {
		KS_STR("sweep", 0, &sweep),
		KS_DOUBLE("saving", 0, &t.saving_pct, 0),
		KS_DOUBLE("within", 0, &t.within_s, 0),
		KS_DOUBLE("cpu", 0, &t.max_cpu_pct, 0),
		KS_OPT_END };
	const struct ks_cmdline cl = { .cmd = "advise", .usage = usage, .opts = opts,
				       .min_args = 1, .max_args = 1, .args = "a results database" };
	struct ks_strlist args;
	struct ks_err err = { 0 };
	int64_t sweep_id = KS_REPORT_LAST_RUN;
	bool found;
	int rc = ks_cli_parse(&cl, argc, argv, &args);

	if (rc >= 0)
		return rc;
	if (sweep && strcmp(sweep, "last")) {
		char *end;

		errno = 0;
		sweep_id = strtoll(sweep, &end, 10);
		if (errno || *end || end == sweep || sweep_id < 1) {
			ks_cli_error("advise: --sweep needs a sweep id (>= 1) or 'last', not '%s'; "
				     "try 'sim advise --help'", sweep);
			ks_strlist_free(&args);
			return KS_EXIT_ERROR;
		}
	}
	if (t.saving_pct <= 0 || t.saving_pct > 100) {
		ks_cli_error("advise: --saving is a percentage in (0, 100], not %g", t.saving_pct);
		ks_strlist_free(&args);
		return KS_EXIT_ERROR;
	}
	rc = ks_report_advise(args.v[0], sweep_id, &t, stdout, &found, &err);
	ks_strlist_free(&args);
	if (rc) {
		fflush(stdout);
		ks_cli_error("advise: %s", err.msg);
		return KS_EXIT_ERROR;
	}
	return found ? KS_EXIT_OK : KS_EXIT_CHECK_FAILED;
}
