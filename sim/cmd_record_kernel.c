/* cmd_record_kernel.c - `sim record-kernel --scenario FILE --out DIR [--set k=v]...
 * [--batches N | --scans N]`: runs the scenario on this machine's KSM (root) and writes
 * a kernel trace directory (docs/kernel-traces.md) for `sim regress`. */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_opts.h"
#include "models/base/xalloc.h"
#include "sim/config/load_scenario.h"
#include "traces/record_kernel.h"

static volatile int rk_interrupted;

static void rk_on_signal(int sig)
{
	(void)sig;
	rk_interrupted = 1;
}

static void rk_note(const char *msg)
{
	if (!ks_cli_quiet)
		fprintf(stderr, "sim: %s\n", msg);
}

static void rk_usage(FILE *out)
{
	fputs("usage: sim record-kernel --scenario FILE --out DIR [--set KEY=VALUE]...\n"
	      "                         [--batches N | --scans N] [--quiet]\n"
	      "\n"
	      "Runs the scenario's processes for real on this kernel's KSM (needs root and\n"
	      "/sys/kernel/mm/ksm, with KSM idle: run=0, pages_shared=0) and records, after\n"
	      "every ksmd batch, every /sys/kernel/mm/ksm counter, each process's ksm_stat,\n"
	      "the page-to-PFN map and the ksm tracepoints into the kernel trace directory\n"
	      "DIR (docs/kernel-traces.md). Every knob is restored afterwards, also on error\n"
	      "and on SIGINT/SIGTERM. Compare with: sim regress DIR\n"
	      "\n"
	      "  -s, --scenario FILE  scenario (ksm.sleep_millisecs must be >= 100)\n"
	      "  -o, --out DIR        trace directory to write (created)\n"
	      "      --set KEY=VALUE  override a scenario key (kept in DIR/scenario.yaml)\n"
	      "  -b, --batches N      ksmd batches to record (default: duration / sleep + 1)\n"
	      "      --scans N        stop once full_scans reaches N (at most --batches)\n"
	      "  -q, --quiet          no notes\n"
	      "  -h, --help           this help\n"
	      "exit status: 0 recorded, 2 error (not root, no KSM, KSM busy, I/O), 130\n"
	      "interrupted\n", out);
}

int ks_cmd_record_kernel(int argc, char **argv)
{
	const char *scenario = NULL, *out = NULL;
	struct ks_strlist setl = { 0 };
	uint64_t batches = 0, scans = 0;
	bool quiet = false;
	const struct ks_opt opts[] = {
		KS_STR("scenario", 's', &scenario),
		KS_STR("out", 'o', &out),
		KS_LIST("set", 0, &setl),
		KS_U64("batches", 'b', &batches, 1, 0),
		KS_U64("scans", 0, &scans, 0, 0),
		KS_FLAG("quiet", 'q', &quiet),
		KS_OPT_END };
	const struct ks_cmdline cl = { .cmd = "record-kernel", .usage = rk_usage,
				       .opts = opts };
	const char **sets;
	unsigned nsets;
	struct ks_strlist args;
	struct ks_scenario sc;
	struct ks_err err = { 0 };
	struct ks_recorder_opts ro = { 0 };
	char durset[64];
	int rc = ks_cli_parse(&cl, argc, argv, &args);

	if (rc >= 0) {
		ks_strlist_free(&setl);
		return rc;
	}
	ks_cli_quiet = quiet;
	if (!scenario || !out) {
		ks_cli_error("record-kernel needs --scenario FILE and --out DIR; try "
			     "'sim record-kernel --help'");
		ks_strlist_free(&setl);
		return KS_EXIT_ERROR;
	}
	/* the user's overrides, then one of our own */
	sets = ks_xcalloc(setl.n + 2, sizeof(*sets));
	for (nsets = 0; nsets < setl.n; nsets++)
		sets[nsets] = setl.v[nsets];
	ks_strlist_free(&setl);
	if (ks_cli_load_scenario(scenario, sets, nsets, &sc)) {
		free(sets);
		return KS_EXIT_ERROR;
	}
	if (sc.ksm.sleep_millisecs && !batches)
		batches = sc.duration / ((uint64_t)sc.ksm.sleep_millisecs * 1000000) + 1;
	if (scans && !batches)
		batches = 100000;
	/* The records the simulator applies before its batch `batches` (zero-cost ksmd:
	 * batch k at (k-1) * sleep) are exactly those up to (batches-1) * sleep. */
	snprintf(durset, sizeof(durset), "duration=%" PRIu64 "ms",
		 batches > 1 ? (batches - 1) * sc.ksm.sleep_millisecs : 1);
	ks_scenario_fini(&sc);
	sets[nsets++] = durset;
	if (ks_cli_load_scenario(scenario, sets, nsets, &sc)) {
		free(sets);
		return KS_EXIT_ERROR;
	}
	signal(SIGINT, rk_on_signal);
	signal(SIGTERM, rk_on_signal);
	signal(SIGHUP, rk_on_signal);
	ro.sc = &sc;
	ro.scenario_file = scenario;
	ro.out_dir = out;
	ro.batches = batches;
	ro.scans = scans;
	ro.interrupt = &rk_interrupted;
	ro.note = rk_note;
	rc = ks_record_kernel(&ro, &err);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	ks_scenario_fini(&sc);
	free(sets);
	if (rc == KS_EINTR) {
		ks_cli_error("interrupted; KSM knobs restored, nothing written");
		return KS_EXIT_INTERRUPTED;
	}
	if (rc) {
		ks_cli_error("%s", err.msg);
		return KS_EXIT_ERROR;
	}
	if (!ks_cli_quiet)
		printf("recorded %" PRIu64 " batches into %s; compare with: sim regress %s\n",
		       batches, out, out);
	return KS_EXIT_OK;
}
