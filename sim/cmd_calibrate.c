/* cmd_calibrate.c - `sim calibrate [--out FILE] [--name NAME] [--quick] [--only KEY]`:
 * measures this host and writes an arch model (arch-models/calibrate.c holds the table
 * of measurements, arch-models/measure_*.c the measurements). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_opts.h"
#include "arch-models/calibrate.h"

static void usage(FILE *out)
{
	const struct ks_calib_key *k;
	size_t n;

	fputs("usage: sim calibrate [--out FILE] [--name NAME] [--quick] [--only KEY]\n"
	      "\n"
	      "Measures this machine (memcmp at every first-difference offset, each checksum,\n"
	      "page copy, rbtree walks, PTE changes, faults, allocations, wakeups) and writes an\n"
	      "arch model with the fit quality (R^2, standard errors) and the provenance of\n"
	      "every number next to it (docs/cost-models.md).\n"
	      "\n"
	      "  -o, --out FILE   write the model here (default: standard output)\n"
	      "  -n, --name NAME  the model's name (default: x86_64)\n"
	      "      --quick      fewer repetitions (about 5x faster, noisier)\n"
	      "      --only KEY   measure and write one cost key (to paste into an arch file)\n"
	      "  -q, --quiet      no progress notes\n"
	      "  -h, --help       this help\n"
	      "\n"
	      "KEY (unit): what is measured\n", out);
	k = ks_calib_keys(&n);
	for (size_t i = 0; i < n; i++)
		fprintf(out, "  %-20s (%s): %s\n", k[i].key, k[i].unit, k[i].what);
}

int ks_cmd_calibrate(int argc, char **argv)
{
	struct ks_calib_opts co = { .name = "x86_64", .scale = 5 };
	const char *outpath = NULL;
	bool quick = false, quiet = false;
	const struct ks_opt opts[] = {
		KS_STR("out", 'o', &outpath),
		KS_STR("name", 'n', &co.name),
		KS_FLAG("quick", 0, &quick),
		KS_STR("only", 0, &co.only),
		KS_FLAG("quiet", 'q', &quiet),
		KS_OPT_END };
	const struct ks_cmdline cl = { .cmd = "calibrate", .usage = usage, .opts = opts };
	struct ks_strlist args;
	struct ks_err err = { 0 };
	FILE *o = stdout;
	int rc = ks_cli_parse(&cl, argc, argv, &args);

	if (rc >= 0)
		return rc;
	ks_strlist_free(&args);
	if (quick)
		co.scale = 1;
	co.quiet = quiet || ks_cli_quiet;
	if (outpath && !(o = fopen(outpath, "w"))) {
		ks_cli_error("%s: cannot write", outpath);
		return KS_EXIT_ERROR;
	}
	rc = ks_calibrate_host(&co, o, &err);
	if (o != stdout && fclose(o) && !rc) {
		ks_cli_error("%s: write failed", outpath);
		return KS_EXIT_ERROR;
	}
	if (rc) {
		ks_cli_error("calibrate: %s", err.msg);
		if (outpath)
			remove(outpath); /* never a half-written model */
		return KS_EXIT_ERROR;
	}
	return KS_EXIT_OK;
}
