/* db.c - the results database (schema.h): opening, the schema create/check, and the
 * SQLite helpers every writer here and every reader in reports/ share. */
#include <errno.h>
#include <stdbool.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <gsl/gsl_cdf.h>
#include <sqlite3.h>

#include "db.h"
#include "schema.h"

int64_t ks_db_col_i64(sqlite3_stmt *st, int i)
{
	return (int64_t)sqlite3_column_int64(st, i);
}

int ks_db_fail(sqlite3 *db, const char *path, struct ks_err *err)
{
	int rc = sqlite3_errcode(db);

	if (rc == SQLITE_NOTADB)
		return ks_err_set(err, KS_ESQL, "%s: not a ksmsim results database (%s)",
				  path, sqlite3_errmsg(db));
	return ks_err_set(err, KS_ESQL, "%s: sqlite error: %s", path, sqlite3_errmsg(db));
}

int ks_db_prep(sqlite3 *db, const char *path, const char *sql, sqlite3_stmt **st,
		struct ks_err *err)
{
	if (sqlite3_prepare_v2(db, sql, -1, st, NULL) != SQLITE_OK) {
		*st = NULL;
		return ks_db_fail(db, path, err);
	}
	return 0;
}

/* One integer from a one-row query (PRAGMA user_version, count(*)). A parameter ?1,
 * if the query has one, gets `text` if not NULL, else `num`. */
int ks_db_query_int(sqlite3 *db, const char *path, const char *sql, const char *text,
		     int64_t num, int64_t *val, struct ks_err *err)
{
	sqlite3_stmt *st;
	int rc = ks_db_prep(db, path, sql, &st, err);

	if (rc)
		return rc;
	if (sqlite3_bind_parameter_count(st) > 0) {
		rc = text ? sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC) :
			sqlite3_bind_int64(st, 1, num);
		if (rc != SQLITE_OK)
			goto err_finalize;
	}
	if (sqlite3_step(st) != SQLITE_ROW)
		goto err_finalize;
	*val = ks_db_col_i64(st, 0);
	sqlite3_finalize(st);
	return 0;

err_finalize:
	rc = ks_db_fail(db, path, err);
	sqlite3_finalize(st);
	return rc;
}

int ks_db_next_run_id(sqlite3 *db, const char *path, int64_t *id, struct ks_err *err)
{
	return ks_db_query_int(db, path, "SELECT max(coalesce((SELECT max(id) FROM runs), 0),"
			       " coalesce((SELECT max(last_id) FROM run_id_reservations), 0)) + 1",
			       NULL, 0, id, err);
}

static int check_version(int64_t v, const char *path, struct ks_err *err)
{
	if (v != 0 && v != KS_RESULTS_SCHEMA_VERSION)
		return ks_err_set(err, KS_ESQL,
				  "%s: results schema version %" PRId64
				  ", this sim writes version %d",
				  path, v, KS_RESULTS_SCHEMA_VERSION);
	return 0;
}

/* The file's user_version, refused when it is another schema's (0: no schema yet). */
static int read_version(sqlite3 *db, const char *path, int64_t *v, struct ks_err *err)
{
	int rc = ks_db_query_int(db, path, "PRAGMA user_version", NULL, 0, v, err);

	return rc ? rc : check_version(*v, path, err);
}

/* An integer from a one-row query with two text parameters ?1 and ?2. */
static int query_int2(sqlite3 *db, const char *path, const char *sql, const char *p1,
		      const char *p2, int64_t *v, struct ks_err *err)
{
	sqlite3_stmt *st;
	int rc = ks_db_prep(db, path, sql, &st, err);

	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, p1, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, p2, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		*v = ks_db_col_i64(st, 0);
	else
		rc = ks_db_fail(db, path, err);
	sqlite3_finalize(st);
	return rc;
}

/* ALTER TABLE ADD COLUMN for every added column a table of an older file lacks (a
 * table not there yet gets it from its CREATE). */
static int add_columns(sqlite3 *db, const char *path, struct ks_err *err)
{
	for (const struct ks_results_column *c = ks_results_added_columns; c->table; c++) {
		char sql[256];
		int64_t has;
		int rc = query_int2(db, path, "SELECT count(*) = 0 OR sum(name = ?2) > 0"
				    " FROM pragma_table_info(?1)", c->table, c->column, &has, err);

		if (rc)
			return rc;
		if (has)
			continue;
		snprintf(sql, sizeof(sql), "ALTER TABLE %s ADD COLUMN %s %s", c->table, c->column,
			 c->decl);
		if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
			return ks_db_fail(db, path, err);
	}
	return 0;
}

/* A reads table written before the variant 'mixed' existed (its CHECK refuses it):
 * rebuilt with the current CHECK, rows kept (the only table whose CHECK has widened). */
static int widen_reads(sqlite3 *db, const char *path, struct ks_err *err)
{
	int64_t old;
	int rc = ks_db_query_int(db, path, "SELECT count(*) FROM sqlite_master WHERE"
				 " type = 'table' AND name = 'reads' AND instr(sql, '''mixed''') = 0",
				 NULL, 0, &old, err);

	if (rc || !old)
		return rc;
	if (sqlite3_exec(db, KS_RESULTS_SQL_READS_REBUILD, NULL, NULL, NULL) != SQLITE_OK)
		return ks_db_fail(db, path, err);
	return 0;
}

/* Creates every view of ks_results_views[], replacing one whose text differs. */
static int create_views(sqlite3 *db, const char *path, struct ks_err *err)
{
	for (const struct ks_results_view *v = ks_results_views; v->name; v++) {
		char drop[128];
		int64_t same;
		int rc = query_int2(db, path, "SELECT count(*) FROM sqlite_master WHERE"
				    " type = 'view' AND name = ?1 AND sql = ?2", v->name, v->sql,
				    &same, err);

		if (rc)
			return rc;
		if (same)
			continue;
		snprintf(drop, sizeof(drop), "DROP VIEW IF EXISTS %s", v->name);
		if (sqlite3_exec(db, drop, NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_exec(db, v->sql, NULL, NULL, NULL) != SQLITE_OK)
			return ks_db_fail(db, path, err);
	}
	return 0;
}

/* Fills t_quantiles (df 1..KS_RESULTS_T_QUANTILES_MAX_DF) when it is not full. */
static int fill_t_quantiles(sqlite3 *db, const char *path, struct ks_err *err)
{
	sqlite3_stmt *st;
	int64_t n;
	int rc = ks_db_query_int(db, path, "SELECT count(*) FROM t_quantiles", NULL, 0, &n, err);

	if (rc || n == KS_RESULTS_T_QUANTILES_MAX_DF)
		return rc;
	rc = ks_db_prep(db, path, "INSERT OR REPLACE INTO t_quantiles(df, t975) VALUES(?1, ?2)",
			&st, err);
	if (rc)
		return rc;
	for (int df = 1; df <= KS_RESULTS_T_QUANTILES_MAX_DF; df++) {
		sqlite3_bind_int(st, 1, df);
		sqlite3_bind_double(st, 2, gsl_cdf_tdist_Pinv(0.975, df));
		if (sqlite3_step(st) != SQLITE_DONE) {
			rc = ks_db_fail(db, path, err);
			break;
		}
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	return rc;
}

/* The schema's statements, in a transaction the caller has begun: each writes only
 * what is missing or differs. */
static int schema_apply(sqlite3 *db, const char *path, struct ks_err *err)
{
	char pragma[64];
	int64_t v;
	int rc = read_version(db, path, &v, err);

	if (!rc)
		rc = add_columns(db, path, err);
	if (!rc)
		rc = widen_reads(db, path, err);
	for (size_t i = 0; !rc && ks_results_schema_sql[i]; i++)
		if (sqlite3_exec(db, ks_results_schema_sql[i], NULL, NULL, NULL) != SQLITE_OK)
			rc = ks_db_fail(db, path, err);
	if (!rc)
		rc = create_views(db, path, err);
	if (!rc)
		rc = fill_t_quantiles(db, path, err);
	if (rc || v == KS_RESULTS_SCHEMA_VERSION)
		return rc;
	snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d",
		 KS_RESULTS_SCHEMA_VERSION);
	if (sqlite3_exec(db, pragma, NULL, NULL, NULL) != SQLITE_OK)
		return ks_db_fail(db, path, err);
	return 0;
}

int ks_results_schema_create(struct sqlite3 *db, const char *path, struct ks_err *err)
{
	int64_t v, ntables;
	int rc;

	rc = read_version(db, path, &v, err);
	if (rc)
		return rc;
	if (v == 0) {
		rc = ks_db_query_int(db, path, "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
			       " AND name NOT LIKE 'sqlite_%'", NULL, 0, &ntables, err);
		if (rc)
			return rc;
		if (ntables > 0)
			return ks_err_set(err, KS_ESQL, "%s: not a ksmsim results database "
					  "(it has other tables and no schema version)", path);
	}
	/* First in a deferred transaction, which takes the write lock only if a statement
	 * writes: a file whose schema is current needs none, so the writers of a -j sweep,
	 * which open the file for every run, take the lock once a run (to commit it), not
	 * twice. A deferred transaction that must write while another writer holds the lock
	 * fails at once with SQLITE_BUSY (it does not wait, as it has read already): then
	 * once more under BEGIN IMMEDIATE, which waits for the lock. */
	for (int pass = 0; pass < 2; pass++) {
		int code;

		if (sqlite3_exec(db, pass ? "BEGIN IMMEDIATE" : "BEGIN", NULL, NULL, NULL) !=
		    SQLITE_OK)
			return ks_db_fail(db, path, err);
		rc = schema_apply(db, path, err);
		if (!rc && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
			return 0;
		code = sqlite3_errcode(db) & 0xff;
		if (!rc)
			rc = ks_db_fail(db, path, err);
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		if (code != SQLITE_BUSY)
			break;
	}
	return rc;
}

/* Waiting for another writer's lock: sleeps of 0.1, 0.2, 0.4, 0.8 and 1.6 ms, then 2 ms
 * each, until KS_RESULTS_BUSY_MS have passed asleep. (SQLite's sqlite3_busy_timeout
 * sleeps 1, 2, 5, 10, ... up to 100 ms at a time: a run's commit holds the lock for
 * about a millisecond, so two -j workers that met slept past its end.) */
static int busy_wait(void *arg, int count)
{
	int64_t us = count < 5 ? 100 << count : 2000;
	int64_t slept = count < 5 ? 100 * ((1 << count) - 1) : 3100 + 2000 * (int64_t)(count - 5);
	struct timespec ts = { .tv_sec = 0, .tv_nsec = (long)us * 1000 };

	(void)arg;
	if (slept >= (int64_t)KS_RESULTS_BUSY_MS * 1000)
		return 0;
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
	return 1;
}

void ks_db_busy_wait(sqlite3 *db)
{
	sqlite3_busy_handler(db, busy_wait, NULL);
}

int ks_results_schema_check(struct sqlite3 *db, const char *path, struct ks_err *err)
{
	int64_t v, n;
	int rc;

	rc = read_version(db, path, &v, err);
	if (rc)
		return rc;
	if (v == 0)
		return ks_err_set(err, KS_ESQL,
				  "%s: not a ksmsim results database (no schema version)", path);
	for (size_t i = 0; ks_results_required_tables[i]; i++) {
		rc = ks_db_query_int(db, path, "SELECT count(*) FROM sqlite_master"
			       " WHERE type = 'table' AND name = ?1",
			       ks_results_required_tables[i], 0, &n, err);
		if (rc)
			return rc;
		if (n == 0)
			return ks_err_set(err, KS_ESQL,
					  "%s: not a ksmsim results database (no table '%s')",
					  path, ks_results_required_tables[i]);
	}
	return 0;
}

/* Opens an existing results database for reading; *db is NULL on failure. */
int ks_results_open_read(const char *path, sqlite3 **db, struct ks_err *err)
{
	struct stat sb;
	int rc;

	*db = NULL;
	if (stat(path, &sb) != 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return ks_err_set(err, KS_ENOENT, "%s: no such results database", path);
		return ks_err_set(err, KS_EIO, "%s: cannot open results database: %s", path,
				  strerror(errno));
	}
	if (S_ISDIR(sb.st_mode))
		return ks_err_set(err, KS_EIO, "%s: cannot open results database: "
				  "is a directory", path);
	if (sqlite3_open_v2(path, db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		rc = ks_err_set(err, KS_ESQL, "%s: cannot open results database: %s", path,
				*db ? sqlite3_errmsg(*db) : "out of memory");
		goto err_close;
	}
	ks_db_busy_wait(*db);
	rc = ks_results_schema_check(*db, path, err);
	if (rc)
		goto err_close;
	return 0;

err_close:
	sqlite3_close(*db);
	*db = NULL;
	return rc;
}


int ks_results_open_write(const char *path, sqlite3 **db, struct ks_err *err)
{
	struct stat sb;
	int64_t v;
	int rc;

	*db = NULL;
	if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
		return ks_err_set(err, KS_EIO, "%s: cannot open results database: "
				  "is a directory", path);
	if (sqlite3_open_v2(path, db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK) {
		rc = ks_err_set(err, KS_EIO, "%s: cannot open results database: %s", path,
				*db ? sqlite3_errmsg(*db) : "out of memory");
		goto err_close;
	}
	if (sqlite3_db_readonly(*db, "main") == 1) {
		rc = ks_err_set(err, KS_EIO, "%s: cannot open results database: file is "
				"read-only", path);
		goto err_close;
	}
	/* Concurrent writers (sim sweep -j, several sim processes): write-ahead logging lets
	 * readers and one writer work at once, and every writer waits for the lock rather
	 * than fail. WAL is a property of the file, kept once set; NORMAL syncs at
	 * checkpoints only, which in WAL mode can lose the last transactions on power loss
	 * but never leaves half of one. */
	ks_db_busy_wait(*db);
	/* another schema version is refused before anything is written (the journal mode
	 * too is written to the file) */
	rc = read_version(*db, path, &v, err);
	if (rc)
		goto err_close;
	if (sqlite3_exec(*db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(*db, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL) != SQLITE_OK) {
		rc = ks_db_fail(*db, path, err);
		goto err_close;
	}
	rc = ks_results_schema_create(*db, path, err);
	if (rc)
		goto err_close;
	return 0;

err_close:
	sqlite3_close(*db);
	*db = NULL;
	return rc;
}
