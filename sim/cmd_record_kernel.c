/* cmd_record_kernel.c - `sim record-kernel --scenario FILE --out DIR [--set k=v]...
 * [--batches N | --scans N]`: runs the scenario on this machine's KSM (root) and writes
 * a kernel trace directory (docs/kernel-traces.md) for `sim regress`.
 * `sim record-kernel --pid PID... | -- CMD...` records an external workload instead
 * (e.g. QEMU guests): the knobs come from --set ksm.KEY=V, and scenario.yaml names the
 * page-write trace (--trace) that `sim record` takes of the same processes. */
#include <inttypes.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "cli_opts.h"
#include "models/base/xalloc.h"
#include "sim/config/load_scenario.h"
#include "sim/config/units.h"
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
	      "       sim record-kernel --scenario FILE --wall-clock --out DIR\n"
	      "                         [--set KEY=VALUE]... [--quiet]\n"
	      "       sim record-kernel (--pid PID... | -- CMD [ARG]...) --out DIR\n"
	      "                         [--trace FILE] [--set ksm.KEY=VALUE]...\n"
	      "                         [--batches N | --scans N | --duration T] [--quiet]\n"
	      "\n"
	      "Runs the scenario's processes for real on this kernel's KSM (needs root and\n"
	      "/sys/kernel/mm/ksm, with KSM idle: run=0, pages_shared=0) and records, after\n"
	      "every ksmd batch, every /sys/kernel/mm/ksm counter, each process's ksm_stat,\n"
	      "the page-to-PFN map and the ksm tracepoints into the kernel trace directory\n"
	      "DIR (docs/kernel-traces.md). Every knob is restored afterwards, also on error\n"
	      "and on SIGINT/SIGTERM. Compare with: sim regress DIR\n"
	      "\n"
	      "With --wall-clock the scenario runs as it would on a real machine: ksmd runs\n"
	      "freely (any sleep_millisecs), every timed write is done at its time on the\n"
	      "clock (the processes writing in parallel) for the scenario's duration, and\n"
	      "no batches are cut: DIR gets meta.yaml, scenario.yaml and samples.csv (every\n"
	      "sample.interval, default 1 s: ksmd's CPU time from its schedstat, the\n"
	      "counters, the CPU time of the workload and of the rest of the machine, how\n"
	      "late the writes ran). It prints ksmd's CPU time to set beside the\n"
	      "simulator's ('sim run' of the same scenario; docs/kernel-traces.md).\n"
	      "\n"
	      "The third form records the real KSM merging an external workload: running\n"
	      "processes (--pid, in the order they registered with KSM; they may already have\n"
	      "mergeable memory) or a command it starts (with its descendants that register,\n"
	      "numbered as found; KSM starts once the first has). No scenario: the knobs are\n"
	      "the defaults and --set ksm.KEY=VALUE; no pfnmap.csv and no ksm events; the\n"
	      "workload is 'live'. It stops after --batches/--scans/--duration or when every\n"
	      "process has exited. Its processes are left running (a command is ended).\n"
	      "\n"
	      "  -s, --scenario FILE  scenario (ksm.sleep_millisecs must be >= 100, but for\n"
	      "                       --wall-clock)\n"
	      "      --wall-clock     run the scenario on the clock, ksmd free-running\n"
	      "  -o, --out DIR        trace directory to write (created; its parent must exist)\n"
	      "      --set KEY=VALUE  override a scenario key (kept in DIR/scenario.yaml)\n"
	      "  -b, --batches N      ksmd batches to record (default: duration / sleep + 1)\n"
	      "      --scans N        stop once full_scans reaches N (at most --batches)\n"
	      "  -p, --pid PID        external: record this running process (repeatable)\n"
	      "      --trace FILE     external: the page-write trace of the same processes\n"
	      "                       ('sim record'), named in DIR/scenario.yaml (relative\n"
	      "                       to DIR; default live.kst)\n"
	      "      --duration T     external: stop after T (e.g. 90s)\n"
	      "  -q, --quiet          no notes\n"
	      "  -h, --help           this help\n"
	      "exit status: 0 recorded, 2 error (not root, no KSM, KSM busy, I/O), 130\n"
	      "interrupted\n", out);
}

/* --wall-clock: the scenario on the clock, ksmd free-running; prints the totals. */
static int rk_wall_clock(const char *scenario, const char *out, const struct ks_scenario *sc)
{
	struct ks_recorder_opts ro = { 0 };
	struct ks_wall_result w = { 0 };
	struct ks_err err = { 0 };
	int rc;

	signal(SIGINT, rk_on_signal);
	signal(SIGTERM, rk_on_signal);
	signal(SIGHUP, rk_on_signal);
	ro.sc = sc;
	ro.scenario_file = scenario;
	ro.out_dir = out;
	ro.wall_clock = true;
	ro.sample_ns = sc->sample_mode == KS_SAMPLE_INTERVAL ? (uint64_t)sc->sample_interval : 0;
	ro.wall = &w;
	ro.interrupt = &rk_interrupted;
	ro.note = rk_note;
	rc = ks_record_kernel(&ro, &err);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	if (rc == KS_EINTR) {
		ks_cli_error("interrupted; KSM knobs restored, nothing written");
		return KS_EXIT_INTERRUPTED;
	}
	if (rc) {
		ks_cli_error("%s", err.msg);
		return KS_EXIT_ERROR;
	}
	if (ks_cli_quiet)
		return KS_EXIT_OK;
	printf("ksmd CPU time:     %.3f s over %.3f s (%" PRId64 " pages scanned, %" PRId64
	       " full scans; pages_shared %" PRId64 ", pages_sharing %" PRId64 ")\n",
	       (double)w.ksmd_cpu_ns / 1e9, (double)w.span_ns / 1e9, w.pages_scanned,
	       w.full_scans, w.pages_shared, w.pages_sharing);
	printf("workload CPU time: %.3f s (the scenario's processes); recorder %.3f s; the "
	       "rest of the machine %.3f s\n", (double)w.workload_cpu_ns / 1e9,
	       (double)w.recorder_cpu_ns / 1e9, (double)w.others_cpu_ns / 1e9);
	printf("timed writes:      %" PRIu64 " instants, %" PRIu64 " started 10 ms or more "
	       "late (at most %.1f ms); the longest took %.1f ms\n", w.groups, w.late_groups,
	       (double)w.max_late_ns / 1e6, (double)w.max_apply_ns / 1e6);
	printf("load average:      %.2f at the start, %.2f at the end\n", w.load1_before,
	       w.load1_after);
	printf("written into %s (samples.csv); the simulator's: sim run --scenario %s\n", out,
	       scenario);
	return KS_EXIT_OK;
}

/* The second form: an external workload (--pid PID... or -- CMD...). */
/* --out DIR is written at the end of a recording: refuse up front, before minutes of
 * recording, a DIR that cannot be made (its parent folder missing or not writable, or
 * DIR a file). 0 or KS_EXIT_ERROR with one line. */
static int rk_check_out(const char *out)
{
	char copy[4096];
	const char *parent;
	struct stat st;
	bool missing;

	if (!stat(out, &st)) {
		if (S_ISDIR(st.st_mode) && !access(out, W_OK | X_OK))
			return 0;
		ks_cli_error("record-kernel: --out %s: %s", out, S_ISDIR(st.st_mode) ?
			     "folder not writable" : "exists and is not a folder");
		return KS_EXIT_ERROR;
	}
	if (strlen(out) >= sizeof(copy)) {
		ks_cli_error("record-kernel: --out: path too long");
		return KS_EXIT_ERROR;
	}
	strcpy(copy, out);
	parent = dirname(copy); /* "a/b/" -> "a", "x" -> ".", "/x" -> "/" */
	missing = stat(parent, &st) != 0;
	if (missing || !S_ISDIR(st.st_mode) || access(parent, W_OK | X_OK)) {
		ks_cli_error("record-kernel: --out %s: the folder %s %s", out, parent,
			     missing ? "does not exist" : "is not a writable folder");
		return KS_EXIT_ERROR;
	}
	return 0;
}

static int rk_external(int argc, char **argv, const char *out, const char *scenario,
		       const struct ks_strlist *setl, const struct ks_strlist *pidl,
		       const struct ks_strlist *args, const char *trace, const char *duration,
		       uint64_t batches, uint64_t scans)
{
	struct ks_recorder_opts ro = { 0 };
	struct ks_scenario sc;
	struct ks_err err = { 0 };
	pid_t *pids = NULL;
	char **cmd = NULL, *text;
	ks_time dur = 0;
	int dd = -1, rc;
	size_t tl;

	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--")) {
			dd = i;
			break;
		}
	if (scenario) {
		ks_cli_error("record-kernel: --scenario and an external workload (--pid, -- CMD) "
			     "exclude each other; set knobs with --set ksm.KEY=VALUE");
		return KS_EXIT_ERROR;
	}
	if (!out) {
		ks_cli_error("record-kernel needs --out DIR; try 'sim record-kernel --help'");
		return KS_EXIT_ERROR;
	}
	if (args->n && (dd < 0 || argc - dd - 1 != (int)args->n)) {
		ks_cli_error("record-kernel: '%s': a command goes after '--'", args->v[0]);
		return KS_EXIT_ERROR;
	}
	if (!pidl->n && !args->n) {
		ks_cli_error("record-kernel: --trace and --duration need an external workload "
			     "(--pid PID or -- CMD)");
		return KS_EXIT_ERROR;
	}
	if (pidl->n && args->n) {
		ks_cli_error("record-kernel: --pid and '-- CMD' exclude each other");
		return KS_EXIT_ERROR;
	}
	if (duration) {
		const char *bad = ks_parse_duration(duration, false, &dur);

		if (bad || dur <= 0) {
			ks_cli_error("record-kernel: --duration %s: %s", duration,
				     bad ? bad : "must be > 0");
			return KS_EXIT_ERROR;
		}
	}
	if (trace && (!trace[0] || strchr(trace, '\n') || strchr(trace, '"'))) {
		ks_cli_error("record-kernel: --trace '%s': not a usable file name", trace);
		return KS_EXIT_ERROR;
	}
	pids = ks_xcalloc(pidl->n + 1, sizeof(*pids));
	for (unsigned i = 0; i < pidl->n; i++) {
		char *end;
		long v = strtol(pidl->v[i], &end, 10);

		if (end == pidl->v[i] || *end || v <= 0 || v > 0x3fffffff) {
			ks_cli_error("record-kernel: --pid %s: not a process id", pidl->v[i]);
			free(pids);
			return KS_EXIT_ERROR;
		}
		pids[i] = (pid_t)v;
	}
	/* The scenario of an external workload: the knobs, and the page-write trace. */
	tl = strlen(trace ? trace : "live.kst") + 128;
	text = ks_xmalloc(tl);
	snprintf(text, tl, "name: live\nduration: 1s\nksm:\n  sleep_millisecs: 200\n"
		 "trace:\n  file: \"%s\"\n", trace ? trace : "live.kst");
	rc = ks_scenario_load_string(text, "record-kernel", setl->v, setl->n, &sc, &err);
	free(text);
	if (rc) {
		ks_cli_error("%s", err.msg);
		free(pids);
		return KS_EXIT_ERROR;
	}
	if (rk_check_out(out)) {
		ks_scenario_fini(&sc);
		free(pids);
		return KS_EXIT_ERROR;
	}
	if (args->n) {
		cmd = ks_xcalloc(args->n + 1, sizeof(*cmd));
		for (unsigned i = 0; i < args->n; i++)
			cmd[i] = (char *)args->v[i];
	}
	signal(SIGINT, rk_on_signal);
	signal(SIGTERM, rk_on_signal);
	signal(SIGHUP, rk_on_signal);
	ro.sc = &sc;
	ro.scenario_file = "";
	ro.out_dir = out;
	ro.batches = batches ? batches : 1000000;
	ro.scans = scans;
	ro.pids = pids;
	ro.npids = pidl->n;
	ro.cmd = cmd;
	ro.duration_ns = (uint64_t)dur;
	ro.interrupt = &rk_interrupted;
	ro.note = rk_note;
	rc = ks_record_kernel(&ro, &err);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	ks_scenario_fini(&sc);
	free(pids);
	free(cmd);
	if (rc == KS_EINTR) {
		ks_cli_error("interrupted; KSM knobs restored, nothing written");
		return KS_EXIT_INTERRUPTED;
	}
	if (rc) {
		ks_cli_error("%s", err.msg);
		return KS_EXIT_ERROR;
	}
	if (!ks_cli_quiet)
		printf("recorded into %s; compare with: sim regress %s\n", out, out);
	return KS_EXIT_OK;
}

int ks_cmd_record_kernel(int argc, char **argv)
{
	const char *scenario = NULL, *out = NULL, *trace = NULL, *duration = NULL;
	struct ks_strlist setl = { 0 }, pidl = { 0 };
	uint64_t batches = 0, scans = 0;
	bool quiet = false, wall = false;
	const struct ks_opt opts[] = {
		KS_STR("scenario", 's', &scenario),
		KS_STR("out", 'o', &out),
		KS_LIST("set", 0, &setl),
		KS_U64("batches", 'b', &batches, 1, 0),
		KS_U64("scans", 0, &scans, 0, 0),
		KS_LIST("pid", 'p', &pidl),
		KS_STR("trace", 0, &trace),
		KS_STR("duration", 0, &duration),
		KS_FLAG("quiet", 'q', &quiet),
		KS_FLAG("wall-clock", 0, &wall),
		KS_OPT_END };
	const struct ks_cmdline cl = { .cmd = "record-kernel", .usage = rk_usage,
				       .opts = opts, .max_args = UINT32_MAX,
				       .args = "-- CMD [ARG]..." };
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
	if (wall && (pidl.n || args.n || trace || duration || batches || scans)) {
		ks_cli_error("record-kernel: --wall-clock runs a scenario for its duration: "
			     "no --pid, command, --trace, --duration, --batches or --scans");
		ks_strlist_free(&setl);
		ks_strlist_free(&pidl);
		ks_strlist_free(&args);
		return KS_EXIT_ERROR;
	}
	if (pidl.n || args.n || trace || duration) {
		rc = rk_external(argc, argv, out, scenario, &setl, &pidl, &args, trace, duration,
				 batches, scans);
		ks_strlist_free(&setl);
		ks_strlist_free(&pidl);
		ks_strlist_free(&args);
		return rc;
	}
	ks_strlist_free(&pidl);
	ks_strlist_free(&args);
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
	if (rk_check_out(out)) {
		ks_scenario_fini(&sc);
		free(sets);
		return KS_EXIT_ERROR;
	}
	if (wall) {
		rc = rk_wall_clock(scenario, out, &sc);
		ks_scenario_fini(&sc);
		free(sets);
		return rc;
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
