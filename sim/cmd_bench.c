/* cmd_bench.c - `sim bench [--db FILE] [--repeats N] [SCENARIO...]`, and `sim bench
 * --sweep` (cmd_bench_sweep.c): runs each scenario in its own process (so its peak RSS
 * is its own), N times in turn, and prints and stores every repeat: simulated pages
 * scanned per wall-clock second, wall and CPU time, peak RSS, bytes per simulated page,
 * and the speed against the ksmd the run predicts: wall time / simulated ksmd CPU time
 * (goal <= 0.1: the simulator at least 10x faster than the ksmd it simulates). A median
 * line per scenario follows its repeats. Figures are compared as ratios measured in the
 * same run, never against fixed times: the machines are shared and noisy. */
#include "config.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "cli_opts.h"
#include "models/base/xalloc.h"
#include "sim/results/bench.h"
#include "traces/scenario.h"

static const char *const default_scenarios[] = {
	"ksmpages-worst", "ksmpages-best", "ksmpages-third", "8vms", "bench-64x4g" };

/* The goals (printed against each median, never used to decide anything):
 * wall / simulated ksmd CPU, and for the 64 x 4 GiB run its wall time and peak RSS. */
#define GOAL_WALL_PER_KSMD 0.1
#define GOAL_BIG_WALL_S 60.0
#define GOAL_BIG_RSS_BYTES (4ULL << 30)

/* Runs `sim --scenario NAME --db DB --quiet` as a child; returns its exit status and
 * fills its peak RSS (bytes), wall time and CPU time (user + system). */
static int run_child(const char *self, const char *name, const char *db,
		     uint64_t *rss, double *wall, double *cpu)
{
	struct rusage ru;
	int status;
	double t0 = ks_cli_mono_s();
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		execl(self, self, "--scenario", name, "--db", db, "--quiet", (char *)NULL);
		_exit(127);
	}
	if (wait4(pid, &status, 0, &ru) < 0)
		return -1;
	*wall = ks_cli_mono_s() - t0;
	*rss = (uint64_t)ru.ru_maxrss * 1024;
	*cpu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void print_row(const char *label, const struct ks_bench_row *r, const char *goal)
{
	printf("%-16s %-6s %10" PRIu64 " %11" PRIu64 " %5" PRIu64 " %8.3f %8.3f %9.3f "
	       "%7.4f %7.4f %11.0f %8.0f %7.1f %5.1f %s\n",
	       r->scenario, label, r->sim_pages, r->pages_scanned, r->full_scans,
	       r->wall_seconds, r->cpu_seconds, r->ksmd_cpu_seconds, r->wall_per_ksmd,
	       r->cpu_per_ksmd, r->pages_per_second, r->peak_rss_bytes / 1048576.0,
	       r->bytes_per_page, r->load1, goal);
	fflush(stdout);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Median of n values (sorts them). */
static double median(double *v, unsigned n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int bench_one(const char *self, const char *name, const char *bench_db,
		     const char *tmpdir, unsigned repeats)
{
	struct ks_scenario sc;
	struct ks_err err = { 0 };
	struct ks_bench_row med = { .scenario = name };
	double *wall = ks_xcalloc(repeats, sizeof(double)), *cpu = ks_xcalloc(repeats, sizeof(double));
	double *wpk = ks_xcalloc(repeats, sizeof(double)), *cpk = ks_xcalloc(repeats, sizeof(double));
	double *rss = ks_xcalloc(repeats, sizeof(double)), *ksmd = ks_xcalloc(repeats, sizeof(double));
	double *pps = ks_xcalloc(repeats, sizeof(double)), *load = ks_xcalloc(repeats, sizeof(double));
	uint64_t sim_pages;
	char db[4096], goal[128];
	int rc = 0;

	ks_scenario_init(&sc);
	if (ks_cli_load_scenario(name, NULL, 0, &sc))
		rc = KS_EXIT_ERROR;
	sim_pages = rc ? 0 : ks_scenario_total_pages(&sc);
	ks_scenario_fini(&sc);
	for (unsigned k = 0; !rc && k < repeats; k++) {
		struct ks_bench_row row = { .scenario = name, .sim_version = PACKAGE_VERSION,
					    .sim_pages = sim_pages, .repeat = k + 1 };
		double l[1];
		int st;

		/* a scenario given as a path: its file name */
		snprintf(db, sizeof(db), "%s/%s.db", tmpdir,
			 strrchr(name, '/') ? strrchr(name, '/') + 1 : name);
		row.started_unix_ms = ks_cli_wall_ms();
		if (getloadavg(l, 1) == 1)
			row.load1 = l[0];
		st = run_child(self, name, db, &row.peak_rss_bytes, &row.wall_seconds,
			       &row.cpu_seconds);
		if (st) {
			ks_cli_error("bench: %s: the run failed (exit status %d)", name, st);
			rc = KS_EXIT_ERROR;
			break;
		}
		if (ks_bench_read_run(db, &row, &err)) {
			ks_cli_error("%s", err.msg);
			rc = KS_EXIT_ERROR;
			break;
		}
		unlink(db);
		row.pages_per_second = row.wall_seconds > 0 ? row.pages_scanned / row.wall_seconds : 0;
		row.bytes_per_page = row.sim_pages ? (double)row.peak_rss_bytes / row.sim_pages : 0;
		if (row.ksmd_cpu_seconds > 0) {
			row.wall_per_ksmd = row.wall_seconds / row.ksmd_cpu_seconds;
			row.cpu_per_ksmd = row.cpu_seconds / row.ksmd_cpu_seconds;
		}
		snprintf(goal, sizeof(goal), "#%u", k + 1);
		print_row(goal, &row, "");
		if (ks_bench_store(bench_db, &row, &err)) {
			ks_cli_error("%s", err.msg);
			rc = KS_EXIT_ERROR;
			break;
		}
		wall[k] = row.wall_seconds;
		cpu[k] = row.cpu_seconds;
		wpk[k] = row.wall_per_ksmd;
		cpk[k] = row.cpu_per_ksmd;
		rss[k] = (double)row.peak_rss_bytes;
		ksmd[k] = row.ksmd_cpu_seconds;
		pps[k] = row.pages_per_second;
		load[k] = row.load1;
		med.pages_scanned = row.pages_scanned;
		med.full_scans = row.full_scans;
	}
	if (!rc) {
		med.sim_pages = sim_pages;
		med.wall_seconds = median(wall, repeats);
		med.cpu_seconds = median(cpu, repeats);
		med.wall_per_ksmd = median(wpk, repeats);
		med.cpu_per_ksmd = median(cpk, repeats);
		med.peak_rss_bytes = (uint64_t)median(rss, repeats);
		med.ksmd_cpu_seconds = median(ksmd, repeats);
		med.pages_per_second = median(pps, repeats);
		med.load1 = median(load, repeats);
		med.bytes_per_page = sim_pages ? (double)med.peak_rss_bytes / sim_pages : 0;
		snprintf(goal, sizeof(goal), "wall/ksmd %s 0.1", med.wall_per_ksmd <=
			 GOAL_WALL_PER_KSMD ? "<=" : "> ");
		if (!strcmp(name, "bench-64x4g"))
			snprintf(goal + strlen(goal), sizeof(goal) - strlen(goal),
				 "; wall %s 60 s; RSS %s 4 GiB",
				 med.wall_seconds <= GOAL_BIG_WALL_S ? "<=" : "> ",
				 med.peak_rss_bytes <= GOAL_BIG_RSS_BYTES ? "<=" : "> ");
		print_row("median", &med, goal);
	}
	free(wall); free(cpu); free(wpk); free(cpk); free(rss); free(ksmd); free(pps); free(load);
	return rc;
}

static void usage(FILE *out)
{
	fputs("usage: sim bench [--db FILE] [--repeats N] [SCENARIO...]\n"
	      "       sim bench --sweep [--repeats N] [-j N] [--db FILE]\n"
	      "Runs each scenario (default: ksmpages-worst, ksmpages-best, ksmpages-third,\n"
	      "8vms, bench-64x4g) N times (default 1) in its own process and prints and\n"
	      "stores (table `bench` of FILE, default bench.db) every repeat, then prints\n"
	      "the medians: simulated pages, pages scanned, full scans, wall and CPU\n"
	      "seconds, simulated ksmd CPU seconds, wall / ksmd and CPU / ksmd (goal:\n"
	      "wall / ksmd <= 0.1), pages scanned per wall second, peak RSS (MiB), bytes\n"
	      "per simulated page and the 1-minute load average at the start.\n"
	      "--sweep: a 100-point x 3-seed pages_to_scan sweep of 8vms scaled to 8 x 16 MiB\n"
	      "and 30 s, run with -j 1 and with -j N (default 2) side by side, N repeats\n"
	      "(default 3): wall times, their ratio and its median, and the size of the\n"
	      "sweep's HTML report (table bench_sweep).\n", out);
}

int ks_cmd_bench(int argc, char **argv)
{
	const char *bench_db = "bench.db";
	const char **names = NULL;
	char self[4096], tmpdir[] = "/tmp/ksmsim-bench-XXXXXX";
	bool sweep = false;
	unsigned repeats = 0, jobs = 2;
	const struct ks_opt opts[] = {
		KS_STR("db", 0, &bench_db),
		KS_FLAG("sweep", 0, &sweep),
		KS_UINT("repeats", 0, &repeats, 1, 64),
		KS_UINT("jobs", 'j', &jobs, 2, 1024),
		KS_OPT_END };
	const struct ks_cmdline cl = { .cmd = "bench", .usage = usage, .opts = opts,
				       .max_args = UINT32_MAX };
	struct ks_strlist args;
	ssize_t n;
	int i, count = 0, rc = ks_cli_parse(&cl, argc, argv, &args);

	if (rc >= 0)
		return rc;
	if (sweep && args.n) {
		ks_cli_error("bench: --sweep takes no scenarios; try 'sim bench --help'");
		ks_strlist_free(&args);
		return KS_EXIT_ERROR;
	}
	rc = KS_EXIT_OK;
	names = ks_xcalloc(args.n + sizeof(default_scenarios) / sizeof(*default_scenarios) + 1,
			   sizeof(*names));
	for (unsigned k = 0; k < args.n; k++)
		names[count++] = args.v[k];
	ks_strlist_free(&args);
	if (!count)
		for (size_t k = 0; k < sizeof(default_scenarios) / sizeof(*default_scenarios); k++)
			names[count++] = default_scenarios[k];
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0 || !mkdtemp(tmpdir)) {
		ks_cli_error("bench: cannot find the sim binary or make a temporary folder");
		free(names);
		return KS_EXIT_ERROR;
	}
	self[n] = '\0';
	if (sweep) {
		rc = ks_cli_bench_sweep(self, bench_db, tmpdir, repeats ? repeats : 3, jobs);
		if (rc == KS_EXIT_OK)
			printf("stored in %s (table bench_sweep)\n", bench_db);
		rmdir(tmpdir);
		free(names);
		return rc;
	}
	printf("%-16s %-6s %10s %11s %5s %8s %8s %9s %7s %7s %11s %8s %7s %5s %s\n",
	       "scenario", "run", "sim_pages", "scanned", "scans", "wall_s", "cpu_s", "ksmd_s",
	       "wall/k", "cpu/k", "pages/s", "rss_MiB", "B/page", "load", "goal");
	for (i = 0; i < count && rc == KS_EXIT_OK; i++)
		rc = bench_one(self, names[i], bench_db, tmpdir, repeats ? repeats : 1);
	rmdir(tmpdir);
	if (rc == KS_EXIT_OK)
		printf("stored in %s (table bench)\n", bench_db);
	free(names);
	return rc;
}
