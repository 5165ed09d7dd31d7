/* cmd_db.c - `sim db merge OUT IN...`: puts results databases together
 * (sim/results/merge_db.h): the per-task databases of a distributed sweep, runs made on
 * several machines. Every run gets a new id in OUT, keeps its uid and gets its origin
 * in run_sources; a run already in OUT (same uid) is not copied again; sweeps with the
 * same uid become one. Nothing is written unless every input is a results database of
 * this schema version. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_opts.h"
#include "sim/results/merge_db.h"

static void usage(FILE *out)
{
	fputs("usage: sim db merge OUT IN...\n"
	      "\n"
	      "Merges the results databases IN... into OUT (created if needed), in one\n"
	      "transaction: every run with everything that belongs to it (samples, cost\n"
	      "tables, settings, sweep links) gets a new id in OUT; table run_sources says\n"
	      "where each came from. A run already in OUT (same uid) is skipped, so merging\n"
	      "twice adds nothing; the parts of one sweep (sim sweep --point/--shard) become\n"
	      "one sweep. Inputs of another schema version are refused, and then nothing is\n"
	      "written.\n", out);
}

static int merge(int argc, char **argv)
{
	const struct ks_opt opts[] = { KS_OPT_END };
	const struct ks_cmdline cl = { .cmd = "db merge", .usage = usage, .opts = opts,
				       .min_args = 2, .max_args = UINT32_MAX,
				       .args = "OUT and at least one IN" };
	struct ks_strlist args;
	struct ks_merge_stats st;
	struct ks_err err = { 0 };
	int rc = ks_cli_parse(&cl, argc, argv, &args);

	if (rc >= 0)
		return rc;
	rc = ks_results_merge(args.v[0], args.v + 1, args.n - 1, ks_cli_wall_ms(), &st, &err);
	if (rc) {
		ks_cli_error("db merge: %s", err.msg);
		ks_strlist_free(&args);
		return KS_EXIT_ERROR;
	}
	if (!ks_cli_quiet) {
		printf("%s: merged %" PRIu64 " runs from %u databases", args.v[0], st.runs,
		       args.n - 1);
		if (st.runs_present)
			printf(" (%" PRIu64 " more were there already)", st.runs_present);
		printf("; sweeps: %" PRIu64 " new, %" PRIu64 " joined\n", st.sweeps_new,
		       st.sweeps_joined);
		if (st.tables_skipped)
			ks_cli_warn("db merge: %" PRIu64 " tables of the inputs are unknown to this "
				    "sim and were left out", st.tables_skipped);
	}
	ks_strlist_free(&args);
	return KS_EXIT_OK;
}

int ks_cmd_db(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "merge"))
		return merge(argc - 1, argv + 1);
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return KS_EXIT_OK;
	}
	ks_cli_error("db: expected a subcommand: merge; try 'sim db --help'");
	return KS_EXIT_ERROR;
}
