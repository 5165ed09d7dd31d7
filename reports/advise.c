/* advise.c - sim advise: from a sweep, the setting that reaches X% of the achievable
 * saving within T seconds at no more than C% ksmd CPU: what ksmtuned and the kernel's
 * scan-time advisor try to decide on a live machine, answered from the simulation.
 *
 * The achievable saving is the largest mean saving at the end of any point of the
 * sweep. A run reaches the target at the first sample whose saving is at least X% of
 * it (so the time is as fine as the scenario's samples). A point qualifies when every
 * complete run of it reached the target within T and its mean ksmd CPU share (over the
 * whole run: what ksmd costs for as long as it scans) is at most C. The advice is the
 * qualifying point with the lowest ksmd CPU (ties: the one listed first), with the
 * smallest qualifying value of the first varied key named as well when that is another
 * point. The whole trade-off table is printed. */
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "report.h"
#include "report_int.h"
#include "models/base/xalloc.h"
#include "sim/results/db.h"

/* One point of the sweep as the advice sees it. */
struct apoint {
	int64_t point;
	char params[256];
	double x;                   /* first key's value, NaN if not a number */
	unsigned runs, reached;     /* complete runs; of which reached the target within T */
	unsigned ever;              /* reached it at all */
	double t_sum, t_sq, t_max;  /* time to target over the `ever` runs (s) */
	double cpu_sum;             /* ksmd CPU % summed over runs */
	bool ok;
};

static double mean_cpu(const struct apoint *p)
{
	return p->runs ? p->cpu_sum / p->runs : NAN;
}

/* The achievable saving (MiB) and the point with it. */
static int achievable(sqlite3 *db, const char *path, int64_t sweep, double *mib,
		      char *params, size_t plen, struct ks_err *err)
{
	sqlite3_stmt *st;
	int rc = ks_db_prep(db, path, "SELECT mean, params FROM v_sweep WHERE sweep_id = ?1 AND"
			    " metric = 'saved_mib' ORDER BY mean DESC, point LIMIT 1", &st, err);

	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, sweep);
	if (sqlite3_step(st) == SQLITE_ROW) {
		*mib = sqlite3_column_double(st, 0);
		snprintf(params, plen, "%s", ks_report_col_text(st, 1, ""));
	} else {
		rc = ks_err_set(err, KS_ENOENT, "%s: sweep %" PRId64 " has no complete runs", path,
				sweep);
	}
	sqlite3_finalize(st);
	return rc;
}

/* Every complete run of the sweep: its point, time to the target and ksmd CPU %. */
static int load_points(sqlite3 *db, const char *path, int64_t sweep, double target_bytes,
		       double within_s, struct apoint **pts, size_t *n, struct ks_err *err)
{
	sqlite3_stmt *st;
	size_t cap = 0;
	int step, rc = ks_db_prep(db, path, "SELECT w.point, w.params,"
		" (SELECT p.value FROM sweep_points p WHERE p.sweep_id = w.sweep_id"
		"  AND p.point = w.point AND p.k = 0 AND typeof(p.value) IN ('integer', 'real')),"
		" (SELECT min(s.t_ns) FROM samples s WHERE s.run_id = w.run_id AND"
		"  (s.pages_sharing + s.ksm_zero_pages) * 4096.0 >= ?2) / 1e9,"
		" v.ksmd_cpu_pct FROM sweep_runs w JOIN v_run_summary v ON v.run_id = w.run_id"
		" WHERE w.sweep_id = ?1 AND v.status = 'complete' ORDER BY w.point", &st, err);

	*pts = NULL;
	*n = 0;
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, sweep);
	sqlite3_bind_double(st, 2, target_bytes);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		struct apoint *p;
		double t;

		if (!*n || (*pts)[*n - 1].point != ks_db_col_i64(st, 0)) {
			if (*n == cap) {
				cap = cap ? 2 * cap : 64;
				*pts = ks_xrealloc(*pts, cap * sizeof(**pts));
			}
			p = &(*pts)[(*n)++];
			memset(p, 0, sizeof(*p));
			p->point = ks_db_col_i64(st, 0);
			snprintf(p->params, sizeof(p->params), "%s", ks_report_col_text(st, 1, ""));
			p->x = sqlite3_column_type(st, 2) == SQLITE_NULL ? NAN :
				sqlite3_column_double(st, 2);
		}
		p = &(*pts)[*n - 1];
		p->runs++;
		p->cpu_sum += sqlite3_column_double(st, 4);
		if (sqlite3_column_type(st, 3) == SQLITE_NULL)
			continue;
		t = sqlite3_column_double(st, 3);
		p->ever++;
		p->reached += t <= within_s;
		p->t_sum += t;
		p->t_sq += t * t;
		p->t_max = fmax(p->t_max, t);
	}
	if (step != SQLITE_DONE)
		rc = ks_db_fail(db, path, err);
	sqlite3_finalize(st);
	return rc;
}

/* The 0.975 t quantile for df (the database's t_quantiles); NaN if df < 1. */
static double t975(sqlite3 *db, const char *path, unsigned df, struct ks_err *err)
{
	sqlite3_stmt *st;
	double q = NAN;

	if (df < 1 || ks_db_prep(db, path, "SELECT t975 FROM t_quantiles WHERE df = min(?1, 1000)",
				 &st, err))
		return NAN;
	sqlite3_bind_int(st, 1, (int)df);
	if (sqlite3_step(st) == SQLITE_ROW)
		q = sqlite3_column_double(st, 0);
	sqlite3_finalize(st);
	return q;
}

static void print_table(sqlite3 *db, const char *path, struct apoint *pts, size_t n,
			const struct ks_advise_target *t, FILE *out, struct ks_err *err)
{
	int w = 6;

	for (size_t i = 0; i < n; i++)
		w = (int)strlen(pts[i].params) > w ? (int)strlen(pts[i].params) : w;
	fprintf(out, "%5s  %-*s %4s %8s  %-24s %8s  %s\n", "point", w, "params", "runs",
		"reached", "time to target (s)", "CPU %", "meets");
	for (size_t i = 0; i < n; i++) {
		struct apoint *p = &pts[i];
		char tbuf[64];

		if (!p->ever) {
			snprintf(tbuf, sizeof(tbuf), "never");
		} else {
			double mean = p->t_sum / p->ever, var = p->ever > 1 ?
				fmax(0, (p->t_sq - p->t_sum * mean) / (p->ever - 1)) : NAN;

			size_t used;

			if (p->ever > 1)
				used = (size_t)snprintf(tbuf, sizeof(tbuf), "%.2f ±%.2f", mean,
							sqrt(var / p->ever) *
							t975(db, path, p->ever - 1, err));
			else
				used = (size_t)snprintf(tbuf, sizeof(tbuf), "%.2f", mean);
			if (p->ever < p->runs)
				snprintf(tbuf + used, sizeof(tbuf) - used, " [%u/%u]", p->ever,
					 p->runs);
		}
		p->ok = p->reached == p->runs && mean_cpu(p) <= t->max_cpu_pct;
		fprintf(out, "%5" PRId64 "  %-*s %4u %4u/%-3u  %-24s %8.3f  %s\n", p->point,
			w, p->params, p->runs, p->reached, p->runs, tbuf, mean_cpu(p),
			p->ok ? "yes" : p->reached < p->runs ? "no: too slow" : "no: too much CPU");
	}
}

int ks_report_advise(const char *db_path, int64_t sweep_id, const struct ks_advise_target *t,
		     FILE *out, bool *found, struct ks_err *err)
{
	sqlite3 *db;
	struct apoint *pts = NULL;
	size_t n = 0;
	const struct apoint *best = NULL, *smallest = NULL;
	char best_params[256];
	double mib = 0;
	int64_t id;
	int rc = ks_results_open_read(db_path, &db, err);

	*found = false;
	if (rc)
		return rc;
	rc = ks_report_sweep_resolve(db, db_path, sweep_id, &id, err);
	if (!rc)
		rc = achievable(db, db_path, id, &mib, best_params, sizeof(best_params), err);
	if (!rc)
		rc = load_points(db, db_path, id, mib * 1048576.0 * t->saving_pct / 100.0,
				 t->within_s, &pts, &n, err);
	if (rc)
		goto out_close;
	fprintf(out, "achievable saving: %.1f MiB (the largest mean saving of a point: %s)\n",
		mib, best_params);
	fprintf(out, "target: %.0f%% of it (%.1f MiB) within %.4g s at <= %.4g%% ksmd CPU, in "
		"every run of a point\n\n", t->saving_pct, mib * t->saving_pct / 100.0,
		t->within_s, t->max_cpu_pct);
	print_table(db, db_path, pts, n, t, out, err);
	for (size_t i = 0; i < n; i++) {
		if (!pts[i].ok)
			continue;
		if (!best || mean_cpu(&pts[i]) < mean_cpu(best))
			best = &pts[i];
		if (!isnan(pts[i].x) && (!smallest || pts[i].x < smallest->x))
			smallest = &pts[i];
	}
	fprintf(out, "reached: runs that reached the target within the time; time: mean ±95%% "
		"confidence interval over the runs that reached it at all ([n/runs] if not "
		"all); CPU: ksmd CPU over the whole run, mean over the runs\n\n");
	if (!best) {
		fprintf(out, "advice: no point reaches %.0f%% of the achievable saving within %.4g s "
			"at <= %.4g%% ksmd CPU in every run; allow more time or CPU, or sweep "
			"further\n", t->saving_pct, t->within_s, t->max_cpu_pct);
	} else {
		fprintf(out, "advice: %s: %.0f%% of the achievable saving in %.2f s on average "
			"(at most %.2f s over %u runs) at %.3f%% ksmd CPU\n", best->params,
			t->saving_pct, best->t_sum / best->ever, best->t_max, best->runs,
			mean_cpu(best));
		if (smallest && smallest != best)
			fprintf(out, "        the smallest value that meets the target: %s (%.3f%% "
				"ksmd CPU)\n", smallest->params, mean_cpu(smallest));
		*found = true;
	}
	rc = ks_report_out_check(out, db_path, err);
out_close:
	free(pts);
	sqlite3_close(db);
	return rc;
}
