/* cmd_bench_sweep.c - `sim bench --sweep` (part of make bench): the same sweep run with
 * -j 1 and with -j N, side by side, several times, each `sim sweep` in its own process
 * timed from start to exit; prints every repeat, the median of the ratios, and the size
 * of the sweep's HTML report, and stores them (table bench_sweep).
 *
 * The sweep is the issue's: 100 pages_to_scan points x 3 seeds of 8vms, but with the
 * VMs scaled to 8 x 16 MiB and 30 s simulated (8vms itself is 8 x 1 GiB for 600 s,
 * about half a minute of wall time a run), so that the whole benchmark takes minutes.
 * The order alternates (serial first in odd repeats, parallel first in even ones) so
 * that a change of load during the benchmark weighs on both. The ratio only means
 * something on an otherwise idle machine: the load average at the start of each repeat
 * is printed and stored with it, and so are the CPU time of each sweep (its workers
 * included) and the CPU time the rest of the machine took meanwhile (/proc/stat), so
 * that a repeat can be read: how busy the -j run kept its CPUs, whether the same runs
 * took more CPU side by side, whether someone else ran. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "sim/results/bench.h"

static const char bench_scenario[] = "8vms";
static const char *const bench_sets[] = {
	"processes.vm.regions.ram.size=16MiB", "duration=30s", NULL
};
static const char bench_vary[] = "ksm.pages_to_scan=100..10000:100log";
enum { BENCH_POINTS = 100, BENCH_SEEDS = 3 };

/* Seconds the machine's CPUs have been busy (all but idle and iowait, /proc/stat), or
 * < 0 where that is not known. */
static double machine_busy_s(void)
{
	unsigned long long v[8] = { 0 };
	long hz = sysconf(_SC_CLK_TCK);
	FILE *f = fopen("/proc/stat", "r");
	int n;

	if (!f)
		return -1;
	n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2],
		   &v[3], &v[4], &v[5], &v[6], &v[7]);
	fclose(f);
	if (n != 8 || hz <= 0)
		return -1;
	/* user nice system idle iowait irq softirq steal */
	return (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / (double)hz;
}

static double tv_s(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

struct timing {
	double wall, cpu;           /* s; cpu: user + system, its children included */
	double others;              /* the machine's other CPU time meanwhile, s; < 0 unknown */
};

/* Runs `self ARGS...` to its end, timed into *tm. The exit status. */
static int timed(char *const *argv, struct timing *tm)
{
	double t0 = ks_cli_mono_s(), b0 = machine_busy_s(), b1;
	struct rusage ru;
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		execv(argv[0], argv);
		_exit(127);
	}
	if (wait4(pid, &status, 0, &ru) < 0)
		return -1;
	tm->wall = ks_cli_mono_s() - t0;
	b1 = machine_busy_s();
	tm->cpu = tv_s(ru.ru_utime) + tv_s(ru.ru_stime);
	tm->others = b0 >= 0 && b1 >= 0 ? b1 - b0 - tm->cpu : -1;
	if (tm->others < 0 && b0 >= 0 && b1 >= 0)
		tm->others = 0; /* the clock tick's rounding */
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* `sim sweep` of the benchmark with -j jobs into db, timed into *tm: 0 or -1. */
static int run_sweep(const char *self, unsigned jobs, const char *db, struct timing *tm)
{
	char j[16], seeds[16];
	char *argv[32];
	unsigned n = 0;

	snprintf(j, sizeof(j), "%u", jobs);
	snprintf(seeds, sizeof(seeds), "%u", BENCH_SEEDS);
	argv[n++] = (char *)self;
	argv[n++] = "sweep";
	argv[n++] = "--scenario";
	argv[n++] = (char *)bench_scenario;
	for (unsigned i = 0; bench_sets[i]; i++) {
		argv[n++] = "--set";
		argv[n++] = (char *)bench_sets[i];
	}
	argv[n++] = "--vary";
	argv[n++] = (char *)bench_vary;
	argv[n++] = "--seeds";
	argv[n++] = seeds;
	argv[n++] = "-j";
	argv[n++] = j;
	argv[n++] = "--db";
	argv[n++] = (char *)db;
	argv[n++] = "--quiet";
	argv[n] = NULL;
	unlink(db);
	if (timed(argv, tm) != 0 || tm->wall <= 0) {
		ks_cli_error("bench: sim sweep -j %u failed", jobs);
		return -1;
	}
	return 0;
}

/* The size of the sweep's HTML report, or < 0. */
static int64_t html_size(const char *self, const char *db, const char *dir)
{
	char page[4400];
	char *argv[] = { (char *)self, "report", (char *)db, "--html", (char *)dir, NULL };
	struct stat sb;
	struct timing tm;

	snprintf(page, sizeof(page), "%s/index.html", dir);
	if (timed(argv, &tm) != 0 || stat(page, &sb) != 0) {
		ks_cli_error("bench: sim report --html failed");
		return -1;
	}
	unlink(page);
	rmdir(dir);
	return (int64_t)sb.st_size;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int ks_cli_bench_sweep(const char *self, const char *bench_db, const char *tmpdir,
		       unsigned repeats, unsigned jobs)
{
	char sdb[4200], pdb[4200], html[4200], host[256] = "", sets[256];
	double ratios[64], load[3] = { 0 };
	int64_t bytes = -1;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	struct ks_err err = { 0 };

	if (repeats > 64)
		repeats = 64;
	snprintf(sdb, sizeof(sdb), "%s/serial.db", tmpdir);
	snprintf(pdb, sizeof(pdb), "%s/parallel.db", tmpdir);
	snprintf(html, sizeof(html), "%s/html", tmpdir);
	snprintf(sets, sizeof(sets), "%s %s", bench_sets[0], bench_sets[1]);
	gethostname(host, sizeof(host) - 1);
	printf("\nsweep benchmark: %s scaled to 8 x 16 MiB and 30 s simulated (8vms is 8 x 1 GiB, "
	       "600 s), --vary %s: %d points x %d seeds = %d runs,\nwith -j 1 and -j %u "
	       "side by side, %u repeats; %ld CPUs, shared machine: the load average is "
	       "printed\n", bench_scenario, bench_vary, BENCH_POINTS, BENCH_SEEDS,
	       BENCH_POINTS * BENCH_SEEDS, jobs, repeats, cpus);
	printf("(cpu_s: user + system time of the sweep; busy: -j N's cpu_s / (j_s x N); "
	       "cpu_x: -j N's cpu_s / serial's;\nothers_s: CPU time the rest of the machine "
	       "took during the serial and the -j N sweep)\n");
	printf("%-7s %9s %9s %7s %9s %9s %6s %6s %9s %9s %7s\n", "repeat", "serial_s", "j_s",
	       "ratio", "cpu_1_s", "cpu_j_s", "busy", "cpu_x", "others_1", "others_j",
	       "load1");
	for (unsigned r = 1; r <= repeats; r++) {
		struct ks_bench_sweep_row row = {
			.sim_version = PACKAGE_VERSION, .host = host, .cpus = (unsigned)cpus,
			.scenario = bench_scenario, .sets = sets, .vary = bench_vary,
			.points = BENCH_POINTS, .seeds = BENCH_SEEDS, .jobs = jobs, .repeat = r,
			.html_bytes = -1, .started_unix_ms = ks_cli_wall_ms() };
		struct timing ts, tp;

		if (getloadavg(load, 1) == 1)
			row.load1 = load[0];
		if (r % 2 ? run_sweep(self, 1, sdb, &ts) || run_sweep(self, jobs, pdb, &tp) :
		    run_sweep(self, jobs, pdb, &tp) || run_sweep(self, 1, sdb, &ts))
			return KS_EXIT_ERROR;
		row.serial_s = ts.wall;
		row.parallel_s = tp.wall;
		row.serial_cpu_s = ts.cpu;
		row.parallel_cpu_s = tp.cpu;
		row.serial_others_s = ts.others;
		row.parallel_others_s = tp.others;
		row.ratio = row.parallel_s / row.serial_s;
		ratios[r - 1] = row.ratio;
		if (r == repeats)
			row.html_bytes = bytes = html_size(self, pdb, html);
		printf("%-7u %9.1f %9.1f %7.3f %9.1f %9.1f %6.3f %6.3f %9.1f %9.1f %7.2f\n", r,
		       row.serial_s, row.parallel_s, row.ratio, row.serial_cpu_s,
		       row.parallel_cpu_s, row.parallel_cpu_s / (row.parallel_s * jobs),
		       row.parallel_cpu_s / row.serial_cpu_s, row.serial_others_s,
		       row.parallel_others_s, row.load1);
		fflush(stdout);
		if (ks_bench_sweep_store(bench_db, &row, &err)) {
			ks_cli_error("%s", err.msg);
			return KS_EXIT_ERROR;
		}
	}
	unlink(sdb);
	unlink(pdb);
	qsort(ratios, repeats, sizeof(*ratios), cmp_double);
	printf("median ratio -j %u / -j 1: %.3f (the issue's target: at most 0.5)\n", jobs,
	       repeats % 2 ? ratios[repeats / 2] :
	       (ratios[repeats / 2 - 1] + ratios[repeats / 2]) / 2);
	if (bytes >= 0)
		printf("HTML report of the sweep: %.2f MiB (target: under 2 MB)\n",
		       (double)bytes / 1048576.0);
	return bytes >= 0 ? KS_EXIT_OK : KS_EXIT_ERROR;
}
