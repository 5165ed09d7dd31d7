/* sweep_db.c - rows of the sweeps and sweep_points tables (sim/results/schema.h), and
 * which points of a sweep a database already holds. */
#include <sqlite3.h>
#include <stddef.h>
#include <unistd.h>

#include "db.h"
#include "sweep_db.h"

/* Looks the uid up; *id is 0 if the sweep is not there. */
static int find(sqlite3 *db, const char *path, const char *uid, int64_t *id,
		struct ks_err *err)
{
	return ks_db_query_int(db, path, "SELECT coalesce(max(id), 0) FROM sweeps"
			       " WHERE uid = ?1", uid, 0, id, err);
}

static int insert_sweep(sqlite3 *db, const char *path, const struct ks_sweep_def *d,
			int64_t *id, struct ks_err *err)
{
	sqlite3_stmt *st;
	int rc = ks_db_prep(db, path, "INSERT INTO sweeps(scenario, vary, seeds,"
			    " started_unix_ms, uid, points, base_seed, sets)"
			    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", &st, err);

	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, d->scenario, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, d->vary, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, d->seeds);
	sqlite3_bind_int64(st, 4, d->started_unix_ms);
	sqlite3_bind_text(st, 5, d->uid, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)d->points);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)d->base_seed);
	sqlite3_bind_text(st, 8, d->sets, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_DONE)
		*id = sqlite3_last_insert_rowid(db);
	else
		rc = ks_db_fail(db, path, err);
	sqlite3_finalize(st);
	return rc;
}

/* The plan: one sweep_points row per point and key. */
static int insert_points(sqlite3 *db, const char *path, const struct ks_sweep_def *d,
			 int64_t id, struct ks_err *err)
{
	sqlite3_stmt *st;
	int rc = ks_db_prep(db, path, "INSERT INTO sweep_points(sweep_id, point, k, key, value)"
			    " VALUES (?1, ?2, ?3, ?4, ?5)", &st, err);

	for (uint64_t p = 0; !rc && p < d->points; p++) {
		for (unsigned k = 0; !rc && k < d->nkeys; k++) {
			sqlite3_bind_int64(st, 1, id);
			sqlite3_bind_int64(st, 2, (sqlite3_int64)p);
			sqlite3_bind_int(st, 3, (int)k);
			sqlite3_bind_text(st, 4, d->keys[k], -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 5, d->value(d->ctx, p, k), -1, SQLITE_TRANSIENT);
			if (sqlite3_step(st) != SQLITE_DONE)
				rc = ks_db_fail(db, path, err);
			sqlite3_reset(st);
		}
	}
	sqlite3_finalize(st);
	return rc;
}

int ks_sweep_db_join(const char *db_path, const struct ks_sweep_def *d, int64_t *sweep_id,
		     struct ks_err *err)
{
	sqlite3 *db;
	int rc = ks_results_open_write(db_path, &db, err);

	if (rc)
		return rc;
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		rc = ks_db_fail(db, db_path, err);
		goto out_close;
	}
	rc = find(db, db_path, d->uid, sweep_id, err);
	if (!rc && !*sweep_id) {
		rc = insert_sweep(db, db_path, d, sweep_id, err);
		if (!rc)
			rc = insert_points(db, db_path, d, *sweep_id, err);
	}
	if (!rc && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		rc = ks_db_fail(db, db_path, err);
	if (rc)
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
out_close:
	sqlite3_close(db);
	return rc;
}

int ks_sweep_db_done(const char *db_path, int64_t sweep_id,
		     void (*done)(void *ctx, uint64_t point, uint64_t seed), void *ctx,
		     struct ks_err *err)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int rc = ks_results_open_read(db_path, &db, err), step;

	if (rc)
		return rc;
	rc = ks_db_prep(db, db_path, "SELECT w.point, w.seed FROM sweep_runs w"
			" JOIN runs r ON r.id = w.run_id"
			" WHERE w.sweep_id = ?1 AND r.status = 'complete'", &st, err);
	if (!rc) {
		sqlite3_bind_int64(st, 1, sweep_id);
		while ((step = sqlite3_step(st)) == SQLITE_ROW)
			done(ctx, (uint64_t)ks_db_col_i64(st, 0), (uint64_t)ks_db_col_i64(st, 1));
		if (step != SQLITE_DONE)
			rc = ks_db_fail(db, db_path, err);
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	return rc;
}

static int insert_reservation(sqlite3 *db, const char *path, int64_t sweep_id, uint64_t n,
			      int64_t *first_id, int64_t *token, struct ks_err *err)
{
	sqlite3_stmt *st;
	char host[256];
	int rc = ks_db_next_run_id(db, path, first_id, err);

	if (!rc)
		rc = ks_db_prep(db, path, "INSERT INTO run_id_reservations(first_id, last_id,"
				" sweep_id, pid, host) VALUES (?1, ?2, ?3, ?4, ?5)", &st, err);
	if (rc)
		return rc;
	if (gethostname(host, sizeof(host)) != 0)
		host[0] = '\0';
	host[sizeof(host) - 1] = '\0';
	sqlite3_bind_int64(st, 1, *first_id);
	sqlite3_bind_int64(st, 2, *first_id + (int64_t)n - 1);
	sqlite3_bind_int64(st, 3, sweep_id);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)getpid());
	sqlite3_bind_text(st, 5, host, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_DONE)
		*token = sqlite3_last_insert_rowid(db);
	else
		rc = ks_db_fail(db, path, err);
	sqlite3_finalize(st);
	return rc;
}

int ks_sweep_db_reserve(const char *db_path, int64_t sweep_id, uint64_t n, int64_t *first_id,
			int64_t *token, struct ks_err *err)
{
	sqlite3 *db;
	int rc;

	*first_id = *token = 0;
	if (!n)
		return 0;
	rc = ks_results_open_write(db_path, &db, err);
	if (rc)
		return rc;
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		rc = ks_db_fail(db, db_path, err);
	else
		rc = insert_reservation(db, db_path, sweep_id, n, first_id, token, err);
	if (!rc && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		rc = ks_db_fail(db, db_path, err);
	if (rc)
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(db);
	return rc;
}

int ks_sweep_db_release(const char *db_path, int64_t token, struct ks_err *err)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int rc;

	if (!token)
		return 0;
	rc = ks_results_open_write(db_path, &db, err);
	if (rc)
		return rc;
	rc = ks_db_prep(db, db_path, "DELETE FROM run_id_reservations WHERE rowid = ?1", &st,
			err);
	if (!rc) {
		sqlite3_bind_int64(st, 1, token);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = ks_db_fail(db, db_path, err);
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	return rc;
}
