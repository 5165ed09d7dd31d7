/* cmd_bench.c - `sim bench [--db FILE] [SCENARIO...]`, and `sim bench --sweep`
 * (cmd_bench_sweep.c): runs each scenario in its own
 * process (so its peak RSS is its own), and prints and stores: simulated pages scanned
 * per wall-clock second, wall time, peak RSS and bytes per simulated page. Figures are
 * compared as ratios measured in the same run (bytes per page against a 4 KiB page),
 * never against fixed times: the machines are shared and noisy. */
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

static const char *const default_scenarios[] = { "ksmpages-worst", "8vms", "bench-64x4g" };

/* Runs `sim --scenario NAME --db DB --quiet` as a child; returns its exit status and
 * fills its peak RSS (bytes) and wall time. */
static int run_child(const char *self, const char *name, const char *db,
		     uint64_t *rss, double *wall)
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
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int bench_one(const char *self, const char *name, const char *bench_db,
		     const char *tmpdir)
{
	struct ks_scenario sc;
	struct ks_bench_row row = { .scenario = name, .sim_version = PACKAGE_VERSION };
	struct ks_err err = { 0 };
	char db[4096];
	int rc;

	ks_scenario_init(&sc);
	if (ks_cli_load_scenario(name, NULL, 0, &sc))
		return KS_EXIT_ERROR;
	row.sim_pages = ks_scenario_total_pages(&sc);
	ks_scenario_fini(&sc);
	snprintf(db, sizeof(db), "%s/%s.db", tmpdir, name);
	row.started_unix_ms = ks_cli_wall_ms();
	rc = run_child(self, name, db, &row.peak_rss_bytes, &row.wall_seconds);
	if (rc) {
		ks_cli_error("bench: %s: the run failed (exit status %d)", name, rc);
		return KS_EXIT_ERROR;
	}
	if (ks_bench_read_run(db, &row.pages_scanned, &row.full_scans, &row.sim_seconds, &err)) {
		ks_cli_error("%s", err.msg);
		return KS_EXIT_ERROR;
	}
	unlink(db);
	row.pages_per_second = row.wall_seconds > 0 ? row.pages_scanned / row.wall_seconds : 0;
	row.bytes_per_page = row.sim_pages ? (double)row.peak_rss_bytes / row.sim_pages : 0;
	printf("%-16s %12" PRIu64 " %10" PRIu64 " %6" PRIu64 " %9.1f %12.0f %9.0f %9.1f %8.4f\n",
	       name, row.sim_pages, row.pages_scanned, row.full_scans, row.wall_seconds,
	       row.pages_per_second, row.peak_rss_bytes / 1048576.0, row.bytes_per_page,
	       row.bytes_per_page / 4096.0);
	fflush(stdout);
	if (ks_bench_store(bench_db, &row, &err)) {
		ks_cli_error("%s", err.msg);
		return KS_EXIT_ERROR;
	}
	return 0;
}

static void usage(FILE *out)
{
	fputs("usage: sim bench [--db FILE] [SCENARIO...]\n"
	      "       sim bench --sweep [--repeats N] [-j N] [--db FILE]\n"
	      "Runs each scenario (default: ksmpages-worst, 8vms, bench-64x4g) in its\n"
	      "own process and prints and stores (table `bench` of FILE, default\n"
	      "bench.db): simulated pages, pages scanned, full scans, wall seconds,\n"
	      "pages scanned per wall second, peak RSS (MiB), bytes per simulated\n"
	      "page, and that as a fraction of a 4 KiB page.\n"
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
	unsigned repeats = 3, jobs = 2;
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
		rc = ks_cli_bench_sweep(self, bench_db, tmpdir, repeats, jobs);
		if (rc == KS_EXIT_OK)
			printf("stored in %s (table bench_sweep)\n", bench_db);
		rmdir(tmpdir);
		free(names);
		return rc;
	}
	printf("%-16s %12s %10s %6s %9s %12s %9s %9s %8s\n", "scenario", "sim_pages",
	       "scanned", "scans", "wall_s", "pages/s", "rss_MiB", "B/page", "of_4KiB");
	for (i = 0; i < count && rc == KS_EXIT_OK; i++)
		rc = bench_one(self, names[i], bench_db, tmpdir);
	rmdir(tmpdir);
	if (rc == KS_EXIT_OK)
		printf("stored in %s (table bench)\n", bench_db);
	free(names);
	return rc;
}
