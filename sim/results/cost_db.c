/* cost_db.c - writes a run's cost tables (cost_components, cost_batches,
 * latency_hist, cost_merge_windows, cost_provenance; sim/results/schema.h) inside the run's own
 * transaction (run_db.c writes them at the end of a run). */
#include <sqlite3.h>

#include "cost_db.h"
#include "db.h"
#include "schema.h"
#include "sim/engine/cost_hooks.h"

struct cw {
	sqlite3 *db;
	const char *path;
	struct ks_err *err;
};

static int sq_fail(struct cw *c)
{
	return ks_err_set(c->err, KS_ESQL, "%s: sqlite error: %s", c->path, sqlite3_errmsg(c->db));
}

static int prep(struct cw *c, const char *sql, sqlite3_stmt **st)
{
	return sqlite3_prepare_v2(c->db, sql, -1, st, NULL) == SQLITE_OK ? 0 : sq_fail(c);
}

static int step_reset(struct cw *c, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : sq_fail(c);

	sqlite3_reset(st);
	return rc;
}

static int write_components(struct cw *c, int64_t run, const struct ks_cost_stats *s)
{
	sqlite3_stmt *st;
	int rc = prep(c, "INSERT INTO cost_components(run_id, component, ns, share)"
		      " VALUES(?,?,?,?)", &st);

	for (unsigned i = 0; !rc && i < KS_COST_NCOMP; i++) {
		sqlite3_bind_int64(st, 1, run);
		sqlite3_bind_text(st, 2, ks_cost_comp_name((enum ks_cost_comp)i), -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, (int64_t)s->comp_ns[i]);
		sqlite3_bind_double(st, 4, s->total_ns ? (double)s->comp_ns[i] / (double)s->total_ns
					     : 0.0);
		rc = step_reset(c, st);
	}
	sqlite3_finalize(st);
	return rc;
}

static int write_batches(struct cw *c, int64_t run, const struct ks_cost_batch *b, size_t n)
{
	sqlite3_stmt *st;
	int rc = prep(c, "INSERT INTO cost_batches(run_id, batch, t_end_ns, ns, pages)"
		      " VALUES(?,?,?,?,?)", &st);

	for (size_t i = 0; !rc && i < n; i++) {
		sqlite3_bind_int64(st, 1, run);
		sqlite3_bind_int64(st, 2, (int64_t)i + 1);
		sqlite3_bind_int64(st, 3, (int64_t)b[i].t_end);
		sqlite3_bind_int64(st, 4, (int64_t)b[i].ns);
		sqlite3_bind_int64(st, 5, (int64_t)b[i].pages);
		rc = step_reset(c, st);
	}
	sqlite3_finalize(st);
	return rc;
}

static int write_hist(struct cw *c, int64_t run, const struct ks_cost_stats *s)
{
	static const char *const kinds[2] = { "anon", "ksm" };
	sqlite3_stmt *st;
	int rc = prep(c, "INSERT INTO latency_hist(run_id, page_kind, bucket_lo_ns,"
		      " bucket_hi_ns, count) VALUES(?,?,?,?,?)", &st);

	for (unsigned k = 0; !rc && k < 2; k++)
		for (unsigned b = 0; !rc && b < KS_COST_HIST_BUCKETS; b++) {
			if (!s->hist[k][b])
				continue;
			sqlite3_bind_int64(st, 1, run);
			sqlite3_bind_text(st, 2, kinds[k], -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 3, (int64_t)ks_cost_hist_lo(b));
			sqlite3_bind_int64(st, 4, (int64_t)((uint64_t)2 << b));
			sqlite3_bind_int64(st, 5, (int64_t)s->hist[k][b]);
			rc = step_reset(c, st);
		}
	sqlite3_finalize(st);
	return rc;
}

static int write_windows(struct cw *c, int64_t run, const struct ks_cost_merge_window *w,
			 size_t n)
{
	sqlite3_stmt *st;
	int rc = prep(c, "INSERT INTO cost_merge_windows(run_id, pid, first_ns, last_ns,"
		      " merges) VALUES(?,?,?,?,?)", &st);

	for (size_t i = 0; !rc && i < n; i++) {
		sqlite3_bind_int64(st, 1, run);
		sqlite3_bind_int64(st, 2, w[i].pid);
		sqlite3_bind_int64(st, 3, (int64_t)w[i].first);
		sqlite3_bind_int64(st, 4, (int64_t)w[i].last);
		sqlite3_bind_int64(st, 5, (int64_t)w[i].merges);
		rc = step_reset(c, st);
	}
	sqlite3_finalize(st);
	return rc;
}

static int write_prov(struct cw *c, int64_t run, const struct ks_cost_prov *p, size_t n)
{
	sqlite3_stmt *st;
	int rc = prep(c, "INSERT INTO cost_provenance(run_id, key, provenance, source)"
		      " VALUES(?,?,?,?)", &st);

	for (size_t i = 0; !rc && i < n; i++) {
		sqlite3_bind_int64(st, 1, run);
		sqlite3_bind_text(st, 2, p[i].key, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, p[i].kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, p[i].source, -1, SQLITE_STATIC);
		rc = step_reset(c, st);
	}
	sqlite3_finalize(st);
	return rc;
}

int ks_cost_db_write(struct sqlite3 *db, const char *path, int64_t run_id,
		     const struct ks_cost_stats *s, const struct ks_cost_batch *batches,
		     size_t nbatches, const struct ks_cost_merge_window *windows, size_t nwindows,
		     const struct ks_cost_prov *prov, size_t nprov, struct ks_err *err)
{
	struct cw c = { .db = db, .path = path, .err = err };
	int rc = write_components(&c, run_id, s);

	if (!rc)
		rc = write_batches(&c, run_id, batches, nbatches);
	if (!rc)
		rc = write_hist(&c, run_id, s);
	if (!rc)
		rc = write_windows(&c, run_id, windows, nwindows);
	if (!rc)
		rc = write_prov(&c, run_id, prov, nprov);
	return rc;
}
