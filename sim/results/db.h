/* db.h - the results database (schema.h, docs/results-schema.md): opening it, creating
 * and checking its schema, and the SQLite helpers shared by every writer in
 * sim/results/ and every reader in reports/. The only SQLite API outside those two
 * folders is none: callers elsewhere see opaque handles. */
#ifndef KS_RESULTS_DB_H
#define KS_RESULTS_DB_H

#include <stdint.h>

#include "models/base/status.h"

struct sqlite3;
struct sqlite3_stmt;

/* How long a writer waits for another one's transaction before giving up, ms. Writers
 * hold the lock for one short transaction per run, so only a stuck process makes anyone
 * wait this long. */
enum { KS_RESULTS_BUSY_MS = 10 * 60 * 1000 };

/* Creates every table of ks_results_schema_sql[] that is missing, adds the columns of
 * ks_results_added_columns[] an older file lacks, (re)creates the views, fills
 * t_quantiles and sets user_version, in one transaction (which takes the write lock
 * only if something is missing). KS_ESQL "PATH: results schema version N, this sim writes version M",
 * "PATH: not a ksmsim results database (...)" or "PATH: sqlite error: ...". */
int ks_results_schema_create(struct sqlite3 *db, const char *path, struct ks_err *err);
/* Checks a database for reading: user_version and required tables. KS_ESQL with the
 * messages above. */
int ks_results_schema_check(struct sqlite3 *db, const char *path, struct ks_err *err);
/* Opens an existing results database for reading (read-write without create, so that a
 * hot journal left by a writer that died is rolled back; nothing is written) and checks
 * its schema. *db is NULL on failure: KS_ENOENT "PATH: no such results database",
 * KS_EIO, or KS_ESQL as above. */
int ks_results_open_read(const char *path, struct sqlite3 **db, struct ks_err *err);

/* Opens (creating if needed) a results database for writing, in WAL mode with a busy
 * timeout of KS_RESULTS_BUSY_MS (ks_db_busy_wait), and creates its schema.
 * *db is NULL on failure: KS_EIO "PATH: cannot open results database: ..." (missing
 * directory, read-only file, a directory), or KS_ESQL as above. */
int ks_results_open_write(const char *path, struct sqlite3 **db, struct ks_err *err);

/* Makes db wait for another writer's lock, up to KS_RESULTS_BUSY_MS (short sleeps
 * first, then 2 ms each). */
void ks_db_busy_wait(struct sqlite3 *db);

/* Helpers. `path` only names the file in messages. */
/* Column i of the current row as int64. */
int64_t ks_db_col_i64(struct sqlite3_stmt *st, int i);
/* KS_ESQL with "PATH: sqlite error: ..." (or "not a ksmsim results database"). */
int ks_db_fail(struct sqlite3 *db, const char *path, struct ks_err *err);
/* Prepares sql into *st (NULL on failure). */
int ks_db_prep(struct sqlite3 *db, const char *path, const char *sql,
	       struct sqlite3_stmt **st, struct ks_err *err);
/* One integer from a one-row query (PRAGMA user_version, count(*)). A parameter ?1,
 * if the query has one, gets `text` if not NULL, else `num`. */
int ks_db_query_int(struct sqlite3 *db, const char *path, const char *sql, const char *text,
		    int64_t num, int64_t *val, struct ks_err *err);

/* The id the next run committed without a reserved id gets: one past the largest of
 * runs.id and every run_id_reservations row (schema.h). Call it inside the write
 * transaction that inserts the run. */
int ks_db_next_run_id(struct sqlite3 *db, const char *path, int64_t *id, struct ks_err *err);

#endif
