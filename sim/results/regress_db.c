/* regress_db.c - writes sim regress comparisons (regress_runs, regress_batches). */
#include <sqlite3.h>
#include <stdlib.h>

#include "db.h"
#include "regress_db.h"

struct ks_regress_db {
	sqlite3 *db;
	const char *path;
};

struct ks_regress_db *ks_regress_db_open(const char *path, struct ks_err *err)
{
	struct ks_regress_db *r = calloc(1, sizeof(*r));

	if (!r) {
		ks_err_set(err, KS_ENOMEM, "%s: out of memory", path);
		return NULL;
	}
	r->path = path;
	if (ks_results_open_write(path, &r->db, err)) {
		ks_regress_db_close(r);
		return NULL;
	}
	return r;
}

void ks_regress_db_close(struct ks_regress_db *r)
{
	if (!r)
		return;
	sqlite3_close(r->db);
	free(r);
}

static void bind_opt(sqlite3_stmt *st, int i, bool has, int64_t v)
{
	if (has)
		sqlite3_bind_int64(st, i, v);
	else
		sqlite3_bind_null(st, i);
}

int ks_regress_db_store(struct ks_regress_db *r, const struct ks_regress_result *res,
			struct ks_err *err)
{
	sqlite3 *db = r->db;
	sqlite3_stmt *st = NULL;
	const struct ks_regress_value *f = res->first;
	int64_t id;

	if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO regress_runs(trace, kernel, scenario, workload, "
			       "kernel_batches, sim_batches, result, first_batch, first_counter, "
			       "first_kernel, first_sim, tolerance, run_unix_ms) "
			       "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)", -1, &st, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_text(st, 1, res->trace, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, res->kernel, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, res->scenario, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, res->workload, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 5, res->kernel_batches);
	sqlite3_bind_int64(st, 6, res->sim_batches);
	sqlite3_bind_text(st, 7, res->result, -1, SQLITE_TRANSIENT);
	if (f) {
		sqlite3_bind_int64(st, 8, (int64_t)f->batch);
		sqlite3_bind_text(st, 9, f->counter, -1, SQLITE_TRANSIENT);
		bind_opt(st, 10, f->has_kernel, f->kernel);
		bind_opt(st, 11, f->has_sim, f->sim);
	}
	sqlite3_bind_double(st, 12, res->tolerance);
	sqlite3_bind_int64(st, 13, res->run_unix_ms);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(st);
	st = NULL;
	id = sqlite3_last_insert_rowid(db);
	if (sqlite3_prepare_v2(db, "INSERT INTO regress_batches(regress_id, batch, counter, "
			       "kernel, sim) VALUES(?,?,?,?,?)", -1, &st, NULL) != SQLITE_OK)
		goto fail;
	for (size_t i = 0; i < res->nvalues; i++) {
		const struct ks_regress_value *v = &res->values[i];

		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_int64(st, 2, (int64_t)v->batch);
		sqlite3_bind_text(st, 3, v->counter, -1, SQLITE_TRANSIENT);
		bind_opt(st, 4, v->has_kernel, v->kernel);
		bind_opt(st, 5, v->has_sim, v->sim);
		if (sqlite3_step(st) != SQLITE_DONE)
			goto fail;
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	return 0;
fail:
	ks_err_set(err, KS_ESQL, "%s: sqlite error: %s", r->path, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return KS_ESQL;
}
