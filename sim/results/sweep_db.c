/* sweep_db.c - rows of the sweeps and sweep_runs tables (sim/results/schema.h). */
#include <sqlite3.h>
#include <stddef.h>

#include "db.h"
#include "sweep_db.h"

/* Opens a results database in a write transaction and prepares `sql`. 0 or a
 * negative KS_E* (err set, everything closed). */
static int begin(const char *path, const char *sql, sqlite3 **db, sqlite3_stmt **st,
		 struct ks_err *err)
{
	int rc = ks_results_open_write(path, db, err);

	*st = NULL;
	if (rc)
		return rc;
	if (sqlite3_exec(*db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(*db, sql, -1, st, NULL) == SQLITE_OK)
		return 0;
	rc = ks_db_fail(*db, path, err);
	sqlite3_close(*db);
	return rc;
}

/* Steps the INSERT and commits; closes everything. 0 or KS_ESQL with err set. */
static int finish(const char *path, sqlite3 *db, sqlite3_stmt *st, int64_t *rowid,
		  struct ks_err *err)
{
	int rc = 0;

	if (sqlite3_step(st) != SQLITE_DONE ||
	    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		rc = ks_err_set(err, KS_ESQL, "%s: sqlite error: %s", path, sqlite3_errmsg(db));
	else if (rowid)
		*rowid = sqlite3_last_insert_rowid(db);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return rc;
}

int ks_sweep_db_begin(const char *db_path, const char *scenario, const char *vary,
		      unsigned seeds, int64_t started_unix_ms, int64_t *sweep_id,
		      struct ks_err *err)
{
	sqlite3 *db;
	sqlite3_stmt *st;

	if (begin(db_path, "INSERT INTO sweeps (scenario, vary, seeds, started_unix_ms) "
		  "VALUES (?, ?, ?, ?)", &db, &st, err))
		return err->code;
	sqlite3_bind_text(st, 1, scenario, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, vary, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, seeds);
	sqlite3_bind_int64(st, 4, started_unix_ms);
	return finish(db_path, db, st, sweep_id, err);
}

int ks_sweep_db_add(const char *db_path, int64_t sweep_id, int64_t run_id, unsigned point,
		    const char *params, uint64_t seed, struct ks_err *err)
{
	sqlite3 *db;
	sqlite3_stmt *st;

	if (begin(db_path, "INSERT INTO sweep_runs (sweep_id, run_id, point, params, seed) "
		  "VALUES (?, ?, ?, ?, ?)", &db, &st, err))
		return err->code;
	sqlite3_bind_int64(st, 1, sweep_id);
	sqlite3_bind_int64(st, 2, run_id);
	sqlite3_bind_int64(st, 3, point);
	sqlite3_bind_text(st, 4, params, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)seed);
	return finish(db_path, db, st, NULL, err);
}
