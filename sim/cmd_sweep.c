/* cmd_sweep.c - `sim sweep --scenario FILE --vary KEY=V1,V2,... [--vary ...]
 * [--seeds N] [--set k=v]... [--db FILE]`: runs the scenario at every combination of the
 * varied keys (each a `--set` override), N seeds each, into one results database, links
 * the runs in the `sweeps`/`sweep_runs` tables, and prints one line per point: memory
 * saved, time to 90% of it, ksmd CPU and full scans (mean and standard deviation over
 * the seeds, with GSL). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_statistics_double.h>

#include "cli.h"
#include "cli_opts.h"
#include "models/base/xalloc.h"
#include "reports/report.h"
#include "sim/engine/observer.h"
#include "sim/results/sweep_db.h"
#include "traces/scenario.h"

#define SWEEP_MAX_KEYS 8

struct vary {
	char *key;            /* dotted scenario key */
	char **values;        /* its values, as written */
	unsigned nvalues;
};

struct sweep {
	const char *scenario, *db;
	struct ks_strlist sets; /* user --set overrides */
	struct vary vary[SWEEP_MAX_KEYS];
	unsigned nvary;
	unsigned seeds;       /* runs per point */
	bool have_seed;
	uint64_t seed;        /* first seed (default: the scenario's) */
	int64_t sweep_id;     /* 0 until the first run created the database */
};

static void sweep_usage(FILE *out)
{
	fputs("usage: sim sweep --scenario FILE --vary KEY=V1,V2,... [--vary KEY=...]...\n"
	      "                 [--seeds N] [--seed N] [--set KEY=VALUE]... [--db FILE]\n"
	      "\n"
	      "Runs the scenario at every combination of the varied keys (any scenario key,\n"
	      "as for --set), N seeds each (seed, seed+1, ...), into one results database\n"
	      "(default SCENARIO-sweep.db). Each run is a normal run (table runs); the table\n"
	      "sweep_runs says which run is which point. Prints per point: memory saved,\n"
	      "time to 90% of the final saving, ksmd CPU time and full scans, as the mean\n"
	      "(and standard deviation when N > 1) over the seeds.\n"
	      "\n"
	      "example: sim sweep --scenario 8vms --vary ksm.pages_to_scan=100,1000,10000 \\\n"
	      "                   --vary ksm.sleep_millisecs=10,20 --seeds 3\n",
	      out);
}

static int parse_vary(struct sweep *sw, const char *arg)
{
	const char *eq = strchr(arg, '=');
	struct vary *v;
	char *list, *tok, *save = NULL;

	if (sw->nvary == SWEEP_MAX_KEYS) {
		ks_cli_error("sweep: at most %d --vary keys", SWEEP_MAX_KEYS);
		return KS_EXIT_ERROR;
	}
	if (!eq || eq == arg || !eq[1]) {
		ks_cli_error("sweep: --vary %s: expected KEY=V1,V2,...", arg);
		return KS_EXIT_ERROR;
	}
	v = &sw->vary[sw->nvary++];
	v->key = ks_xmalloc((size_t)(eq - arg) + 1);
	memcpy(v->key, arg, (size_t)(eq - arg));
	v->key[eq - arg] = '\0';
	list = ks_xstrdup(eq + 1);
	v->values = ks_xcalloc(strlen(list) + 1, sizeof(char *));
	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		v->values[v->nvalues++] = ks_xstrdup(tok);
	free(list);
	if (!v->nvalues) {
		ks_cli_error("sweep: --vary %s: no values", arg);
		return KS_EXIT_ERROR;
	}
	return 0;
}

static void sweep_free(struct sweep *sw)
{
	for (unsigned k = 0; k < sw->nvary; k++) {
		for (unsigned i = 0; i < sw->vary[k].nvalues; i++)
			free(sw->vary[k].values[i]);
		free(sw->vary[k].values);
		free(sw->vary[k].key);
	}
	ks_strlist_free(&sw->sets);
}

/* The --set strings of point p (mixed radix over the varied keys), into sets[nsets..]. */
static unsigned point_sets(const struct sweep *sw, unsigned p, char **own, char *desc,
			   size_t desclen)
{
	size_t used = 0;

	desc[0] = '\0';
	for (unsigned k = sw->nvary; k-- > 0;) {
		const struct vary *v = &sw->vary[k];
		const char *val = v->values[p % v->nvalues];
		size_t n = strlen(v->key) + strlen(val) + 2;

		p /= v->nvalues;
		own[k] = ks_xmalloc(n);
		snprintf(own[k], n, "%s=%s", v->key, val);
	}
	for (unsigned k = 0; k < sw->nvary; k++)
		used += (size_t)snprintf(desc + used, used < desclen ? desclen - used : 0, "%s%s",
					 k ? " " : "", own[k]);
	return sw->nvary;
}

struct point_stats {
	double saved[64], t90[64], cpu[64], scans[64];
	unsigned n;
};

/* Mean (and standard deviation over the seeds) of x[0..n) / scale, in a column. */
static void print_stat(const double *x, unsigned n, double scale, int width, int prec)
{
	double mean = gsl_stats_mean(x, 1, n) / scale;
	double sd = n > 1 ? gsl_stats_sd(x, 1, n) / scale : 0.0;

	printf(" %*.*f ±%-*.*f", width, prec, mean, width - 3, prec, sd);
}

static int run_point(struct sweep *sw, unsigned p, struct point_stats *ps)
{
	char *own[SWEEP_MAX_KEYS];
	const char **sets = ks_xcalloc(sw->sets.n + SWEEP_MAX_KEYS + 1, sizeof(*sets));
	char desc[1024];
	unsigned n = point_sets(sw, p, own, desc, sizeof(desc));
	int rc = KS_EXIT_OK;

	memcpy(sets, sw->sets.v, sw->sets.n * sizeof(*sets));
	for (unsigned k = 0; k < n; k++)
		sets[sw->sets.n + k] = own[k];
	for (unsigned s = 0; s < sw->seeds && rc == KS_EXIT_OK; s++) {
		struct ks_scenario sc;
		struct ks_summary sum;
		struct ks_err err = { 0 };
		int64_t run_id = 0;

		ks_scenario_init(&sc);
		if (ks_cli_load_scenario(sw->scenario, sets, sw->sets.n + n, &sc)) {
			rc = KS_EXIT_ERROR;
			break;
		}
		sc.seed = (sw->have_seed ? sw->seed : sc.seed) + s;
		rc = ks_cli_run_scenario(&sc, sw->db, false, NULL, &sum, &run_id);
		if (rc == KS_EXIT_OK && !sw->sweep_id) {
			char vary[1024];
			size_t used = 0;

			for (unsigned k = 0; k < sw->nvary; k++)
				used += (size_t)snprintf(vary + used, used < sizeof(vary) ?
							 sizeof(vary) - used : 0, "%s%s",
							 k ? " " : "", sw->vary[k].key);
			if (ks_sweep_db_begin(sw->db, sc.name, vary, sw->seeds,
					      (int64_t)time(NULL) * 1000, &sw->sweep_id, &err))
				rc = KS_EXIT_ERROR;
		}
		if (rc == KS_EXIT_OK &&
		    ks_sweep_db_add(sw->db, sw->sweep_id, run_id, p, desc, sc.seed, &err))
			rc = KS_EXIT_ERROR;
		if (err.code)
			ks_cli_error("%s", err.msg);
		if (rc == KS_EXIT_OK && ps->n < 64) {
			ps->saved[ps->n] = (double)sum.saved_bytes;
			ps->t90[ps->n] = sum.t90 == KS_TIME_MAX ? 0 : (double)sum.t90;
			ps->cpu[ps->n] = (double)sum.ksmd_cpu_ns;
			ps->scans[ps->n] = (double)sum.final.full_scans;
			ps->n++;
		}
		ks_scenario_fini(&sc);
	}
	if (rc == KS_EXIT_OK && ps->n) {
		printf("%-44s %4u", desc, ps->n);
		print_stat(ps->saved, ps->n, 1048576.0, 9, 1);
		print_stat(ps->t90, ps->n, 1e9, 9, 2);
		print_stat(ps->cpu, ps->n, 1e9, 9, 2);
		print_stat(ps->scans, ps->n, 1.0, 7, 1);
		putchar('\n');
		fflush(stdout);
	}
	for (unsigned k = 0; k < n; k++)
		free(own[k]);
	free(sets);
	return rc;
}

static int add_vary(void *ctx, const char *arg)
{
	return parse_vary(ctx, arg);
}

static int parse_sweep_args(int argc, char **argv, struct sweep *sw)
{
	bool quiet = false;
	const struct ks_opt opts[] = {
		KS_STR("scenario", 's', &sw->scenario),
		KS_FN("vary", 'v', add_vary, sw),
		KS_LIST("set", 0, &sw->sets),
		KS_UINT("seeds", 0, &sw->seeds, 1, 64),
		{ .name = "seed", .kind = KS_OPT_U64, .dest = &sw->seed, .given = &sw->have_seed },
		KS_STR("db", 'd', &sw->db),
		KS_FLAG("quiet", 'q', &quiet),
		KS_OPT_END };
	const struct ks_cmdline cl = { .cmd = "sweep", .usage = sweep_usage, .opts = opts };
	struct ks_strlist args;
	int rc;

	sw->seeds = 1;
	rc = ks_cli_parse(&cl, argc, argv, &args);
	if (rc >= 0)
		return rc;
	ks_cli_quiet = quiet;
	if (!sw->scenario || !sw->nvary) {
		ks_cli_error("sweep needs --scenario and at least one --vary; try "
			     "'sim sweep --help'");
		return KS_EXIT_ERROR;
	}
	return -1;
}

int ks_cmd_sweep(int argc, char **argv)
{
	struct sweep sw = { 0 };
	char dbbuf[4096];
	unsigned points = 1;
	int rc = parse_sweep_args(argc, argv, &sw);

	if (rc >= 0) {
		sweep_free(&sw);
		return rc;
	}
	for (unsigned k = 0; k < sw.nvary; k++)
		points *= sw.vary[k].nvalues;
	if (!sw.db) {
		struct ks_scenario sc;

		ks_scenario_init(&sc);
		if (ks_cli_load_scenario(sw.scenario, sw.sets.v, sw.sets.n, &sc)) {
			sweep_free(&sw);
			return KS_EXIT_ERROR;
		}
		snprintf(dbbuf, sizeof(dbbuf), "%s-sweep.db", sc.name);
		ks_scenario_fini(&sc);
		sw.db = dbbuf;
	}
	if (!ks_cli_quiet)
		printf("%-44s %4s %-17s %-17s %-17s %-13s\n", "point", "runs", " saved MiB ±sd",
		       " t90 s ±sd", " ksmd CPU s ±sd", " scans ±sd");
	rc = KS_EXIT_OK;
	for (unsigned p = 0; p < points && rc == KS_EXIT_OK; p++) {
		struct point_stats ps = { .n = 0 };

		rc = run_point(&sw, p, &ps);
	}
	if (rc == KS_EXIT_OK && !ks_cli_quiet)
		printf("results: %s (sweep %" PRId64 ", %u points x %u seeds; table sweep_runs)\n",
		       sw.db, sw.sweep_id, points, sw.seeds);
	sweep_free(&sw);
	return rc;
}
