/* cmd_sweep.c - `sim sweep --scenario FILE --vary KEY=VALUES [--vary ...] [--seeds N]
 * [--set k=v]... [--db FILE] [-j N] [--plan | --point I | --shard I/N]`: runs the
 * scenario at every combination of the varied keys (sweep_plan.h), N seeds each, into
 * one results database, and prints per point the mean and 95% confidence interval of
 * the memory saved, the times to 50% and 90% of it, ksmd CPU and full scans (the
 * v_sweep view, reports/sweep_report.c).
 *
 * Every (point, seed) is a task and every task a normal run with its own transaction
 * (run_db.h), linked to its point in that same transaction. -j N runs N tasks at once in
 * N worker processes started once, each running its tasks one after the other as the
 * serial sweep does, all writing into the same database (WAL; a writer holds the lock
 * only to commit a run). --plan prints the tasks and writes nothing; --point I and
 * --shard I/N run a part of them, by default into a database of their own, for job
 * arrays (Slurm) and GNU parallel; `sim db merge` puts the parts together. The parts of
 * one plan share the sweep's uid, so they merge into one sweep, and a part run again
 * skips the tasks its database already holds complete (resuming).
 *
 * Bad input (unknown key, with the nearest one suggested; a bad value; an empty range;
 * an unwritable database) is found before anything is written: every value of every
 * varied key is loaded once first. */
#include <errno.h>
#include <poll.h>
#include <inttypes.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "cli_opts.h"
#include "sweep_plan.h"
#include "models/base/xalloc.h"
#include "reports/report.h"
#include "sim/config/load_scenario.h"
#include "sim/engine/observer.h"
#include "sim/results/sweep_db.h"
#include "traces/scenario.h"

struct sweep {
	const char *scenario, *db, *point_arg, *shard_arg;
	struct ks_strlist sets;     /* the user's fixed --set overrides */
	struct ks_sweep_plan plan;
	bool have_seed, plan_only;
	uint64_t seed;              /* first seed of each point */
	unsigned jobs;              /* tasks at once (0: one per CPU) */
	char path[4096];            /* the scenario file found */
	char name[256];             /* its name */
	char uid[80];               /* the sweep's identity */
	char dbbuf[4096];           /* default database name */
	int64_t sweep_id;
	bool have_point;            /* --point */
	uint64_t point;
	unsigned shard_i, shard_n;  /* --shard I/N; n 0: all tasks */
	unsigned char *skip;        /* per task: complete in the database already */
	uint64_t nwanted;           /* tasks of this part (all without --point/--shard) */
	uint64_t ntasks;            /* of which still to run */
	int64_t *run_ids;           /* per task to run: the run id set aside for it */
	int64_t reservation;        /* run_id_reservations row (0: none) */
	double *cost;               /* per point: estimated cost of one task (point_cost) */
};

static volatile sig_atomic_t sweep_interrupted;

static void on_sigint(int sig)
{
	(void)sig;
	sweep_interrupted = 1;
}

static void sweep_usage(FILE *out)
{
	fputs("usage: sim sweep --scenario FILE --vary KEY=VALUES [--vary KEY=VALUES]...\n"
	      "                 [--seeds N] [--seed N] [--set KEY=VALUE]... [--db FILE]\n"
	      "                 [-j N] [--plan | --point I | --shard I/N] [--quiet]\n"
	      "\n"
	      "Runs the scenario at every combination of the varied keys (any scenario key,\n"
	      "as for --set), N seeds each (seed, seed+1, ...), into one results database\n"
	      "(default SCENARIO-sweep.db), and prints per point the mean and 95% confidence\n"
	      "interval of: memory saved, time to 50% and 90% of it, ksmd CPU %, full scans.\n"
	      "Every run is a normal run (table runs); sweep_runs and the view v_sweep say\n"
	      "which run is which point.\n"
	      "\n"
	      "VALUES: V1,V2,...   a list\n"
	      "        A..B/STEP   A, A+STEP, ... up to B      (16MiB..64MiB/16MiB)\n"
	      "        A..B:N      N values evenly spaced      (10s..60s:6)\n"
	      "        A..B:Nlog   N values geometrically spaced (100..10000:20log)\n"
	      "\n"
	      "  -j, --jobs N     run N tasks (point x seed) at once, in N worker processes\n"
	      "                   (0: one per CPU; default 1)\n"
	      "      --plan       print the tasks (task, point, seed, overrides) and exit\n"
	      "      --point I    run only point I (all its seeds)\n"
	      "      --shard I/N  run only every N-th task from task I (job arrays)\n"
	      "                   --point and --shard write SCENARIO-sweep-pointI.db or\n"
	      "                   SCENARIO-sweep-shardIofN.db unless --db is given, skip\n"
	      "                   tasks that database holds already, and merge with\n"
	      "                   'sim db merge OUT IN...'\n"
	      "\n"
	      "example: sim sweep --scenario 8vms --vary ksm.pages_to_scan=100..10000:20log \\\n"
	      "                   --vary ksm.sleep_millisecs=10,20 --seeds 3 -j 2\n",
	      out);
}

static int add_vary(void *ctx, const char *arg)
{
	struct sweep *sw = ctx;
	struct ks_err err = { 0 };

	if (ks_sweep_plan_add(&sw->plan, arg, &err)) {
		ks_cli_error("sweep: %s", err.msg);
		return KS_EXIT_ERROR;
	}
	return 0;
}

static int parse_sweep_args(int argc, char **argv, struct sweep *sw)
{
	bool quiet = false;
	const struct ks_opt opts[] = {
		KS_STR("scenario", 's', &sw->scenario),
		KS_FN("vary", 'v', add_vary, sw),
		KS_LIST("set", 0, &sw->sets),
		KS_UINT("seeds", 0, &sw->plan.seeds, 1, 100000),
		{ .name = "seed", .kind = KS_OPT_U64, .dest = &sw->seed, .given = &sw->have_seed },
		KS_STR("db", 'd', &sw->db),
		KS_UINT("jobs", 'j', &sw->jobs, 0, 1024),
		KS_FLAG("plan", 0, &sw->plan_only),
		KS_STR("point", 0, &sw->point_arg),
		KS_STR("shard", 0, &sw->shard_arg),
		KS_FLAG("quiet", 'q', &quiet),
		KS_OPT_END };
	const struct ks_cmdline cl = { .cmd = "sweep", .usage = sweep_usage, .opts = opts };
	struct ks_strlist args;
	struct ks_err err = { 0 };
	int rc;

	sw->plan.seeds = 1;
	sw->jobs = 1;
	rc = ks_cli_parse(&cl, argc, argv, &args);
	if (rc >= 0)
		return rc;
	ks_cli_quiet = quiet;
	if (!sw->scenario || !sw->plan.nkeys) {
		ks_cli_error("sweep needs --scenario and at least one --vary; try "
			     "'sim sweep --help'");
		return KS_EXIT_ERROR;
	}
	if (!!sw->point_arg + !!sw->shard_arg + sw->plan_only > 1) {
		ks_cli_error("sweep: --plan, --point and --shard exclude each other; try "
			     "'sim sweep --help'");
		return KS_EXIT_ERROR;
	}
	if (sw->shard_arg && ks_sweep_parse_shard(sw->shard_arg, &sw->shard_i, &sw->shard_n,
						  &err)) {
		ks_cli_error("sweep: %s", err.msg);
		return KS_EXIT_ERROR;
	}
	if (sw->point_arg) {
		char *end;

		errno = 0;
		sw->point = strtoull(sw->point_arg, &end, 10);
		if (end == sw->point_arg || *end || errno || sw->point_arg[0] == '-' ||
		    sw->point >= ks_sweep_points(&sw->plan)) {
			ks_cli_error("sweep: --point needs a point from 0 to %" PRIu64 ", not '%s'",
				     ks_sweep_points(&sw->plan) - 1, sw->point_arg);
			return KS_EXIT_ERROR;
		}
		sw->have_point = true;
	}
	if (sw->jobs == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		sw->jobs = n > 0 ? (unsigned)n : 1;
	}
	return -1;
}

/* Loads the scenario with the user's overrides plus `extra` (NULL-terminated, up to
 * KS_SWEEP_MAX_KEYS). The error is left in err. */
static int load(const struct sweep *sw, const char *const *extra, struct ks_scenario *sc,
		struct ks_err *err)
{
	const char **all = ks_xcalloc(sw->sets.n + KS_SWEEP_MAX_KEYS + 1, sizeof(*all));
	unsigned n = sw->sets.n;
	int rc;

	if (sw->sets.n)
		memcpy(all, sw->sets.v, sw->sets.n * sizeof(*all));
	for (unsigned k = 0; extra && extra[k]; k++)
		all[n++] = extra[k];
	rc = ks_scenario_load_file(sw->path, all, n, sc, err);
	free(all);
	return rc;
}

/* Loads the scenario once with each value of each varied key, so that a bad key or
 * value is reported before anything runs. A message about our own override names the
 * --vary option, not --set. */
static int validate(struct sweep *sw)
{
	for (unsigned k = 0; k < sw->plan.nkeys; k++) {
		const struct ks_sweep_key *key = &sw->plan.keys[k];

		for (unsigned v = 0; v < key->nvalues; v++) {
			char set[4096], prefix[4200];
			const char *extra[2] = { set, NULL };
			struct ks_scenario sc;
			struct ks_err err = { 0 };

			snprintf(set, sizeof(set), "%s=%s", key->key, key->values[v]);
			if (!load(sw, extra, &sc, &err)) {
				ks_scenario_fini(&sc);
				continue;
			}
			snprintf(prefix, sizeof(prefix), "--set %s: ", set);
			if (!strncmp(err.msg, prefix, strlen(prefix)))
				ks_cli_error("sweep: --vary %s: %s", set, err.msg + strlen(prefix));
			else
				ks_cli_error("sweep: with --vary %s: %s", set, err.msg);
			return KS_EXIT_ERROR;
		}
	}
	return 0;
}

/* Finds and loads the base scenario: its name, seed, default database and the sweep's
 * uid (the definition's hash, plus a unique suffix unless this runs a part). */
static int resolve(struct sweep *sw)
{
	struct ks_scenario sc;
	struct ks_err err = { 0 };
	uint64_t h;

	if (ks_scenario_find(sw->scenario, sw->path, sizeof(sw->path), &err) ||
	    load(sw, NULL, &sc, &err)) {
		ks_cli_error("%s", err.msg);
		return KS_EXIT_ERROR;
	}
	snprintf(sw->name, sizeof(sw->name), "%s", sc.name);
	if (!sw->have_seed)
		sw->seed = sc.seed;
	h = ks_sweep_hash(KS_SWEEP_HASH_SEED, sc.text ? sc.text : "", sc.text ?
			  strlen(sc.text) : 0);
	h = ks_sweep_plan_hash(&sw->plan, h);
	h = ks_sweep_hash(h, &sw->seed, sizeof(sw->seed));
	ks_scenario_fini(&sc);
	if (sw->have_point || sw->shard_n || sw->plan_only) /* the parts' uid */
		snprintf(sw->uid, sizeof(sw->uid), "%016" PRIx64, h);
	else
		snprintf(sw->uid, sizeof(sw->uid), "%016" PRIx64 "-%" PRId64 "-%ld", h,
			 ks_cli_wall_ms(), (long)getpid());
	if (!sw->db) {
		if (sw->have_point)
			snprintf(sw->dbbuf, sizeof(sw->dbbuf), "%s-sweep-point%" PRIu64 ".db",
				 sw->name, sw->point);
		else if (sw->shard_n)
			snprintf(sw->dbbuf, sizeof(sw->dbbuf), "%s-sweep-shard%uof%u.db", sw->name,
				 sw->shard_i, sw->shard_n);
		else
			snprintf(sw->dbbuf, sizeof(sw->dbbuf), "%s-sweep.db", sw->name);
		sw->db = sw->dbbuf;
	}
	return 0;
}

static bool task_wanted(const struct sweep *sw, uint64_t t)
{
	if (sw->have_point)
		return t / sw->plan.seeds == sw->point;
	if (sw->shard_n)
		return ks_sweep_task_in_shard(t, sw->shard_i, sw->shard_n);
	return true;
}

/* Loads the scenario at a point; prints the error. */
static int load_point(const struct sweep *sw, uint64_t point, struct ks_scenario *sc)
{
	char sets[KS_SWEEP_MAX_KEYS][4096];
	const char *extra[KS_SWEEP_MAX_KEYS + 1] = { NULL };
	struct ks_err err = { 0 };

	for (unsigned k = 0; k < sw->plan.nkeys; k++) {
		ks_sweep_set(&sw->plan, point, k, sets[k], sizeof(sets[k]));
		extra[k] = sets[k];
	}
	if (load(sw, extra, sc, &err)) {
		ks_cli_error("sweep: point %" PRIu64 ": %s", point, err.msg);
		return KS_EXIT_ERROR;
	}
	return 0;
}

/* A task's estimated cost, the ETA's weight: the point's simulated pages (the workload
 * writes each at least once) plus the pages ksmd scans over the run at its settings
 * (pages_to_scan a batch, a batch every sleep_millisecs; none with run 0). Checked
 * against the runs' wall times in docs/sweeps.md. */
static double point_cost(const struct ks_scenario *sc)
{
	double sleep_ns = 1e6 * (sc->ksm.sleep_millisecs ? sc->ksm.sleep_millisecs : 1);
	double scanned = sc->ksm.run ? (double)sc->ksm.pages_to_scan *
		((double)sc->duration / sleep_ns) : 0;

	return (double)ks_scenario_total_pages(sc) + scanned;
}

enum { COST_MAX_POINTS = 20000 }; /* more: the ETA counts runs (loading takes long) */

/* sw->cost of every point with a task to run (`all`: every point); left NULL beyond
 * COST_MAX_POINTS points. An enum ks_exit. */
static int estimate_costs(struct sweep *sw, bool all)
{
	uint64_t points = ks_sweep_points(&sw->plan);

	if (points > COST_MAX_POINTS)
		return 0;
	sw->cost = ks_xcalloc(points, sizeof(*sw->cost));
	for (uint64_t p = 0; p < points; p++) {
		struct ks_scenario sc;
		bool need = all;

		for (unsigned i = 0; !need && i < sw->plan.seeds; i++)
			need = !sw->skip[p * sw->plan.seeds + i];
		if (!need)
			continue;
		if (load_point(sw, p, &sc))
			return KS_EXIT_ERROR;
		sw->cost[p] = point_cost(&sc);
		ks_scenario_fini(&sc);
	}
	return 0;
}

static int print_plan(struct sweep *sw)
{
	uint64_t tasks = ks_sweep_tasks(&sw->plan);
	char params[4096];

	uint64_t points = ks_sweep_points(&sw->plan);
	int rc = estimate_costs(sw, true);

	if (rc)
		return rc;
	printf("# sweep of %s: %" PRIu64 " points x %u seeds = %" PRIu64 " tasks (uid %s)\n",
	       sw->name, points, sw->plan.seeds, tasks, sw->uid);
	if (sw->cost) {
		double lo = sw->cost[0], hi = sw->cost[0];

		for (uint64_t p = 1; p < points; p++) {
			lo = sw->cost[p] < lo ? sw->cost[p] : lo;
			hi = sw->cost[p] > hi ? sw->cost[p] : hi;
		}
		printf("# order: task order, run ids set aside in it; estimated cost of a task "
		       "(pages + pages scanned) %.4g to %.4g\n", lo, hi);
	} else {
		printf("# order: task order, run ids set aside in it\n");
	}
	printf("# task\tpoint\tseed\tparams\n");
	for (uint64_t t = 0; t < tasks; t++) {
		ks_sweep_point_params(&sw->plan, t / sw->plan.seeds, params, sizeof(params));
		printf("%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t%s\n", t, t / sw->plan.seeds,
		       sw->seed + t % sw->plan.seeds, params);
	}
	return fflush(stdout) == 0 ? KS_EXIT_OK : KS_EXIT_ERROR;
}

static const char *plan_value(const void *ctx, uint64_t point, unsigned k)
{
	return ks_sweep_value(ctx, point, k);
}

static void mark_done(void *ctx, uint64_t point, uint64_t seed)
{
	struct sweep *sw = ctx;

	if (seed >= sw->seed && seed - sw->seed < sw->plan.seeds &&
	    point < ks_sweep_points(&sw->plan))
		sw->skip[point * sw->plan.seeds + (seed - sw->seed)] = 1;
}

/* The sweeps row (found by uid or added, with its plan) and the tasks already done. */
static int join(struct sweep *sw)
{
	const char *keys[KS_SWEEP_MAX_KEYS];
	char vary[1024], sets[4096];
	size_t used = 0;
	struct ks_err err = { 0 };
	uint64_t tasks = ks_sweep_tasks(&sw->plan);
	int64_t first;

	for (unsigned k = 0; k < sw->plan.nkeys; k++)
		keys[k] = sw->plan.keys[k].key;
	ks_sweep_keys_text(&sw->plan, vary, sizeof(vary));
	sets[0] = '\0';
	for (unsigned i = 0; i < sw->sets.n && used < sizeof(sets); i++)
		used += (size_t)snprintf(sets + used, sizeof(sets) - used, "%s%s", i ? " " : "",
					 sw->sets.v[i]);
	if (ks_sweep_db_join(sw->db, &(struct ks_sweep_def){
			.scenario = sw->name, .vary = vary, .uid = sw->uid, .sets = sets,
			.seeds = sw->plan.seeds, .base_seed = sw->seed,
			.started_unix_ms = ks_cli_wall_ms(), .points = ks_sweep_points(&sw->plan),
			.nkeys = sw->plan.nkeys, .keys = keys, .value = plan_value,
			.ctx = &sw->plan }, &sw->sweep_id, &err))
		goto err;
	sw->skip = ks_xcalloc(tasks, 1);
	if (ks_sweep_db_done(sw->db, sw->sweep_id, mark_done, sw, &err))
		goto err;
	for (uint64_t t = 0; t < tasks; t++) {
		if (!task_wanted(sw, t)) {
			sw->skip[t] = 1;
			continue;
		}
		sw->nwanted++;
		sw->ntasks += !sw->skip[t];
	}
	/* the ids of the runs, in task order, before any runs: which ends first (-j N)
	 * changes nothing */
	if (ks_sweep_db_reserve(sw->db, sw->sweep_id, sw->ntasks, &first, &sw->reservation,
				&err))
		goto err;
	sw->run_ids = ks_xcalloc(tasks, sizeof(*sw->run_ids));
	for (uint64_t t = 0, k = 0; t < tasks; t++)
		if (!sw->skip[t])
			sw->run_ids[t] = first + (int64_t)k++;
	return 0;
err:
	ks_cli_error("%s", err.msg);
	return KS_EXIT_ERROR;
}

/* Runs task t in this process: an enum ks_exit. */
static int run_task(const struct sweep *sw, uint64_t t)
{
	uint64_t point = t / sw->plan.seeds;
	char params[4096];
	struct ks_scenario sc;
	struct ks_summary sum;
	int64_t run_id;
	int rc;

	if (load_point(sw, point, &sc))
		return KS_EXIT_ERROR;
	sc.seed = sw->seed + t % sw->plan.seeds;
	ks_sweep_point_params(&sw->plan, point, params, sizeof(params));
	rc = ks_cli_run_scenario(&sc, sw->db, false, &(struct ks_cli_sweep_point){
			.sweep_id = sw->sweep_id, .point = (unsigned)point, .params = params,
			.run_id = sw->run_ids ? sw->run_ids[t] : 0 }, &sum, &run_id);
	ks_scenario_fini(&sc);
	return rc;
}

/* "[=====     ] 120/300 runs  1 min 20 s, ETA 2 min 0 s" on a terminal; elsewhere (a
 * log file) a line at a new tenth of the sweep, at most every half minute. The ETA
 * prices the tasks left by their estimated cost (point_cost): a line, time = a + b x
 * cost, fitted to the times the tasks done took (eta_s). */
struct progress {
	double t0, last;        /* start; last line (non-terminal), monotonic s */
	uint64_t total;
	unsigned last_tenth;
	bool tty;
	const double *cost;     /* per point (sweep.cost), NULL: every task 1 */
	unsigned seeds, jobs;
	double wtotal, wdone;   /* cost of the tasks to run, of those done */
	double n, sc, sy, scc, scy; /* the fit's sums over timed tasks: 1, cost, s, ... */
};

enum { PROGRESS_LOG_EVERY_S = 30 };

static void fmt_dur(char *buf, size_t n, double s)
{
	if (s < 60)
		snprintf(buf, n, "%.0f s", s);
	else if (s < 3600)
		snprintf(buf, n, "%d min %02d s", (int)s / 60, (int)s % 60);
	else
		snprintf(buf, n, "%d h %02d min", (int)s / 3600, (int)s / 60 % 60);
}

static void progress_init(struct progress *p, const struct sweep *sw)
{
	p->t0 = ks_cli_mono_s();
	p->total = sw->ntasks;
	p->tty = isatty(STDERR_FILENO);
	p->cost = sw->cost;
	p->seeds = sw->plan.seeds;
	p->jobs = sw->jobs ? sw->jobs : 1;
	for (uint64_t t = 0; t < ks_sweep_tasks(&sw->plan); t++)
		p->wtotal += sw->skip[t] ? 0 : p->cost ? p->cost[t / p->seeds] : 1;
}

/* Seconds left with `done` tasks done, < 0 unknown: the tasks left, priced by the least
 * squares line time = a + b x cost (a, b >= 0) through the tasks done, shared by the
 * jobs. With one cost among them (or no costs: every task 1) it is their mean time. A
 * task still running counts as left whole. */
static double eta_s(const struct progress *p, uint64_t done)
{
	double d = p->n * p->scc - p->sc * p->sc, a, b;
	uint64_t left = p->total - done;
	unsigned jobs = left < p->jobs ? (unsigned)left : p->jobs;

	if (p->n < 1)
		return -1;
	if (!left)
		return 0;
	if (d <= 1e-9 * p->n * p->scc) {
		a = p->sy / p->n;
		b = 0;
	} else {
		b = (p->n * p->scy - p->sc * p->sy) / d;
		a = (p->sy - b * p->sc) / p->n;
		if (b < 0) {
			a = p->sy / p->n;
			b = 0;
		} else if (a < 0) {
			a = 0;
			b = p->scy / p->scc;
		}
	}
	return (a * (double)left + b * (p->wtotal - p->wdone)) / jobs;
}

/* Task t is done (the done-th); it took secs (< 0: not known, a worker killed). */
static void show_progress(struct progress *p, uint64_t done, uint64_t t, double secs)
{
	double el = ks_cli_mono_s() - p->t0, c = p->cost ? p->cost[t / p->seeds] : 1, left;
	char elapsed[32], eta[32];
	unsigned tenth = p->total ? (unsigned)(done * 10 / p->total) : 10;
	int bar = p->total ? (int)(done * 20 / p->total) : 20;

	p->wdone += c;
	if (secs >= 0) {
		p->n += 1;
		p->sc += c;
		p->sy += secs;
		p->scc += c * c;
		p->scy += c * secs;
	}
	if (ks_cli_quiet || (!p->tty && (tenth == p->last_tenth ||
					 el - p->last < PROGRESS_LOG_EVERY_S)))
		return;
	p->last_tenth = tenth;
	p->last = el;
	fmt_dur(elapsed, sizeof(elapsed), el);
	if ((left = eta_s(p, done)) >= 0)
		fmt_dur(eta, sizeof(eta), left);
	else
		snprintf(eta, sizeof(eta), "?");
	fprintf(stderr, "%s[%.*s%*s] %" PRIu64 "/%" PRIu64 " runs  %s, ETA %s%s",
		p->tty ? "\r" : "", bar, "====================", 20 - bar, "", done, p->total,
		elapsed, eta, p->tty ? "  " : "\n");
	fflush(stderr);
}

static int run_serial(const struct sweep *sw, struct progress *pg)
{
	uint64_t done = 0, tasks = ks_sweep_tasks(&sw->plan);
	int rc = KS_EXIT_OK;

	for (uint64_t t = 0; t < tasks && rc == KS_EXIT_OK; t++) {
		double t0 = ks_cli_mono_s();

		if (sw->skip[t])
			continue;
		rc = run_task(sw, t);
		show_progress(pg, ++done, t, ks_cli_mono_s() - t0);
	}
	return rc;
}

/* The exit of a child as an enum ks_exit. */
static int child_exit(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGINT)
		return KS_EXIT_INTERRUPTED;
	return KS_EXIT_ERROR;
}

/* -j N: N worker processes, each forked once, that run the tasks the parent hands them
 * one at a time, in-process as run_serial does (a fork per task made each child fault
 * its memory in afresh: 376,684 page faults against 5,114 serial for the benchmark's
 * 300 runs, docs/sweeps.md). The parent talks to each worker over two pipes: task
 * numbers to it, (task, exit) back; it gives a worker its next task when the worker
 * reports the last one, so a slow point never leaves a core idle while tasks remain. */
struct worker {
	pid_t pid;
	int to, from;           /* the parent's ends of the task and result pipes; -1 closed */
	bool busy;              /* has a task it has not reported ... */
	uint64_t task;          /* ... this one, */
	double since;           /* handed out then (monotonic s) */
};

struct task_result {
	uint64_t task;
	int32_t rc;             /* enum ks_exit */
};

static const int stop_sigs[] = { SIGINT, SIGTERM, SIGHUP };
enum { NSTOP_SIGS = sizeof(stop_sigs) / sizeof(stop_sigs[0]) };

/* read() or write() of all n bytes: n, 0 at end of file before any byte, < 0 else. */
static ssize_t pipe_io(int fd, void *buf, size_t n, bool out)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = out ? write(fd, (char *)buf + got, n - got) :
			read(fd, (char *)buf + got, n - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return got || r < 0 ? -1 : 0;
		got += (size_t)r;
	}
	return (ssize_t)n;
}

/* The worker's life: tasks from `in` until the parent closes it, each run in this
 * process, its exit reported on `out`. */
static _Noreturn void worker_main(const struct sweep *sw, int in, int out)
{
	uint64_t t;
	ssize_t n;

	while ((n = pipe_io(in, &t, sizeof(t), false)) == (ssize_t)sizeof(t)) {
		struct task_result r = { .task = t, .rc = run_task(sw, t) };

		if (pipe_io(out, &r, sizeof(r), true) != (ssize_t)sizeof(r))
			break;
	}
	fflush(stdout);
	_exit(n == 0 ? KS_EXIT_OK : KS_EXIT_ERROR);
}

/* Starts worker w (pipes, fork); the others started before it are in ws[0..w). */
static int worker_start(const struct sweep *sw, struct worker *ws, unsigned w,
			const sigset_t *orig)
{
	int tp[2], rp[2];

	if (pipe(tp))
		goto err;
	if (pipe(rp)) {
		close(tp[0]);
		close(tp[1]);
		goto err;
	}
	fflush(NULL);
	ws[w].pid = fork();
	if (ws[w].pid < 0) {
		close(tp[0]);
		close(tp[1]);
		close(rp[0]);
		close(rp[1]);
		goto err;
	}
	if (ws[w].pid == 0) {
		/* only this worker's own ends: another worker's task pipe held open here
		 * would keep it from ever seeing its end */
		for (unsigned i = 0; i < w; i++) {
			close(ws[i].to);
			close(ws[i].from);
		}
		close(tp[1]);
		close(rp[0]);
		for (int i = 0; i < NSTOP_SIGS; i++)
			signal(stop_sigs[i], SIG_DFL);
		signal(SIGPIPE, SIG_DFL);
		sigprocmask(SIG_SETMASK, orig, NULL);
		worker_main(sw, tp[0], rp[1]);
	}
	close(tp[0]);
	close(rp[1]);
	ws[w].to = tp[1];
	ws[w].from = rp[0];
	ws[w].busy = false;
	return 0;
err:
	ks_cli_error("sweep: cannot start a process: %s", strerror(errno));
	return KS_EXIT_ERROR;
}

/* Hands worker w task *next (the next one not skipped), if any; else closes its task
 * pipe, which ends it. */
static void worker_feed(const struct sweep *sw, struct worker *w, uint64_t *next, bool more)
{
	uint64_t tasks = ks_sweep_tasks(&sw->plan);

	while (*next < tasks && sw->skip[*next])
		(*next)++;
	if (more && *next < tasks && w->to >= 0 &&
	    pipe_io(w->to, next, sizeof(*next), true) == (ssize_t)sizeof(*next)) {
		w->busy = true;
		w->task = *next;
		w->since = ks_cli_mono_s();
		(*next)++;
		return;
	}
	if (w->to >= 0)
		close(w->to);
	w->to = -1;
}

/* The first failure or a SIGINT, SIGTERM or SIGHUP stops handing out tasks (SIGINT is
 * passed on to the workers running one, which keep their runs as interrupted). */
static int run_parallel(const struct sweep *sw, struct progress *pg)
{
	unsigned nw = sw->jobs < sw->ntasks ? sw->jobs : (unsigned)sw->ntasks, live = 0;
	struct worker *ws = ks_xcalloc(nw ? nw : 1, sizeof(*ws));
	struct pollfd *pfd = ks_xcalloc(nw ? nw : 1, sizeof(*pfd));
	uint64_t next = 0, done = 0;
	bool forwarded = false;
	/* no SA_RESTART, and blocked but while in ppoll(): a stop signal ends the wait at
	 * once, however it falls */
	struct sigaction sa = { .sa_handler = on_sigint }, old[NSTOP_SIGS], oldpipe;
	struct sigaction ign = { .sa_handler = SIG_IGN };
	sigset_t block, orig;
	int rc = KS_EXIT_OK;

	sweep_interrupted = 0;
	sigemptyset(&sa.sa_mask);
	sigemptyset(&ign.sa_mask);
	sigemptyset(&block);
	for (int i = 0; i < NSTOP_SIGS; i++) {
		sigaddset(&block, stop_sigs[i]);
		sigaction(stop_sigs[i], &sa, &old[i]);
	}
	sigaction(SIGPIPE, &ign, &oldpipe); /* a worker gone: EPIPE, not the end of us */
	sigprocmask(SIG_BLOCK, &block, &orig);
	for (; live < nw; live++)
		if ((rc = worker_start(sw, ws, live, &orig)))
			break;
	for (unsigned i = 0; i < live; i++)
		worker_feed(sw, &ws[i], &next, rc == KS_EXIT_OK);
	while (live) {
		unsigned n = 0;

		if (sweep_interrupted && !forwarded) {
			for (unsigned i = 0; i < nw; i++) {
				if (ws[i].busy)
					kill(ws[i].pid, SIGINT);
				worker_feed(sw, &ws[i], &next, false);
			}
			forwarded = true;
		}
		for (unsigned i = 0; i < nw; i++)
			if (ws[i].from >= 0)
				pfd[n++] = (struct pollfd){ .fd = ws[i].from, .events = POLLIN };
		if (ppoll(pfd, n, NULL, &orig) < 0) {
			if (errno == EINTR)
				continue;
			ks_cli_error("sweep: waiting for the workers: %s", strerror(errno));
			rc = KS_EXIT_ERROR;
			break;
		}
		for (unsigned i = 0; i < nw; i++) {
			struct worker *w = &ws[i];
			struct task_result r;
			ssize_t got;
			int status, raw;
			bool ready = false;

			for (unsigned k = 0; k < n; k++)
				ready |= pfd[k].fd == w->from && pfd[k].revents;
			if (!ready)
				continue;
			got = pipe_io(w->from, &r, sizeof(r), false);
			if (got == (ssize_t)sizeof(r)) {
				w->busy = false;
				if (r.rc != KS_EXIT_OK && rc != KS_EXIT_ERROR)
					rc = r.rc;
				show_progress(pg, ++done, r.task, ks_cli_mono_s() - w->since);
				worker_feed(sw, w, &next, rc == KS_EXIT_OK && !sweep_interrupted);
				continue;
			}
			/* the worker has ended (its pipe closed): a task it had not reported
			 * died with it */
			close(w->from);
			w->from = -1;
			if (w->to >= 0)
				close(w->to);
			w->to = -1;
			while (waitpid(w->pid, &raw, 0) < 0 && errno == EINTR)
				;
			status = child_exit(raw);
			if (w->busy && status == KS_EXIT_OK)
				status = KS_EXIT_ERROR;
			if (status == KS_EXIT_ERROR && WIFSIGNALED(raw))
				ks_cli_error("sweep: worker process %ld was killed by signal %d (%s)%s",
					     (long)w->pid, WTERMSIG(raw), strsignal(WTERMSIG(raw)),
					     w->busy ? "; its run is lost" : "");
			if (w->busy)
				show_progress(pg, ++done, w->task, -1);
			w->busy = false;
			if (status != KS_EXIT_OK && rc != KS_EXIT_ERROR)
				rc = status;
			live--;
		}
	}
	for (unsigned i = 0; i < nw; i++) { /* after an error: end the rest, then reap */
		int status;

		if (ws[i].to >= 0)
			close(ws[i].to);
		if (ws[i].from < 0)
			continue;
		close(ws[i].from);
		kill(ws[i].pid, SIGINT);
		while (waitpid(ws[i].pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	sigprocmask(SIG_SETMASK, &orig, NULL);
	sigaction(SIGPIPE, &oldpipe, NULL);
	for (int i = 0; i < NSTOP_SIGS; i++)
		sigaction(stop_sigs[i], &old[i], NULL);
	free(pfd);
	free(ws);
	if (sweep_interrupted && rc == KS_EXIT_OK)
		rc = KS_EXIT_INTERRUPTED;
	return rc;
}

/* One process runs many tasks (the serial sweep, every -j worker): glibc's defaults hand
 * a run's big blocks back to the kernel when it frees them (mmap above a threshold that
 * grows only to 32 MiB, heap trimmed above 128 KiB free at its top), and the next run
 * faults them in again, zeroed. Measured on the benchmark's sweep cut to 20 points x 3
 * seeds (perf stat, docs/sweeps.md): 29,749 page faults with the defaults, 1,919 with
 * these; the process keeps up to its largest run's heap between runs. */
static void keep_heap(void)
{
#ifdef __GLIBC__
	mallopt(M_MMAP_THRESHOLD, 32 << 20);
	mallopt(M_TRIM_THRESHOLD, 256 << 20);
#endif
}

static void sweep_free(struct sweep *sw)
{
	ks_sweep_plan_fini(&sw->plan);
	ks_strlist_free(&sw->sets);
	free(sw->skip);
	free(sw->run_ids);
	free(sw->cost);
}

int ks_cmd_sweep(int argc, char **argv)
{
	struct sweep sw = { 0 };
	struct progress pg = { .last_tenth = 0 };
	struct ks_err err = { 0 };
	int rc = parse_sweep_args(argc, argv, &sw);

	if (rc >= 0)
		goto out;
	rc = resolve(&sw);
	if (!rc)
		rc = validate(&sw);
	if (rc)
		goto out;
	if (sw.plan_only) {
		rc = print_plan(&sw);
		goto out;
	}
	rc = join(&sw);
	if (rc)
		goto out;
	if (!ks_cli_quiet && sw.ntasks < sw.nwanted)
		printf("sweep: skipping %" PRIu64 " of %" PRIu64 " runs, complete in %s already\n",
		       sw.nwanted - sw.ntasks, sw.nwanted, sw.db);
	if (!ks_cli_quiet)
		rc = estimate_costs(&sw, false);
	if (!rc) {
		keep_heap();
		progress_init(&pg, &sw);
		rc = sw.jobs > 1 ? run_parallel(&sw, &pg) : run_serial(&sw, &pg);
		if (pg.tty && !ks_cli_quiet)
			fputs("\r\033[K", stderr);
	}
	if (ks_sweep_db_release(sw.db, sw.reservation, &err)) {
		ks_cli_error("%s", err.msg);
		rc = KS_EXIT_ERROR;
	}
	if (rc == KS_EXIT_ERROR || ks_cli_quiet)
		goto out;
	if (ks_report_sweep(sw.db, sw.sweep_id, stdout, &err)) {
		ks_cli_error("%s", err.msg);
		rc = KS_EXIT_ERROR;
		goto out;
	}
	printf("results: %s (sweep %" PRId64 ", %" PRIu64 " points x %u seeds; views v_sweep, "
	       "v_run_summary)\n", sw.db, sw.sweep_id, ks_sweep_points(&sw.plan),
	       sw.plan.seeds);
out:
	sweep_free(&sw);
	return rc;
}
