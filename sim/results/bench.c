/* bench.c - the bench table and reading a finished run back for its figures. */
#include <sqlite3.h>
#include <stdio.h>

#include "bench.h"
#include "db.h"

static int sql_fail(sqlite3 *db, const char *path, struct ks_err *err)
{
	ks_err_set(err, KS_ESQL, "%s: sqlite error: %s", path, db ? sqlite3_errmsg(db) :
		   "out of memory");
	sqlite3_close(db);
	return KS_ESQL;
}

int ks_bench_read_run(const char *db_path, struct ks_bench_row *row, struct ks_err *err)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		return sql_fail(db, db_path, err);
	if (sqlite3_prepare_v2(db,
			       "SELECT s.pages_scanned, s.full_scans, r.sim_end_ns, r.ksmd_cpu_ns "
			       "FROM runs r "
			       "JOIN samples s ON s.run_id = r.id "
			       "WHERE r.id = (SELECT max(id) FROM runs) "
			       "ORDER BY s.t_ns DESC, s.batch DESC LIMIT 1",
			       -1, &st, NULL) != SQLITE_OK)
		return sql_fail(db, db_path, err);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(st);
		sqlite3_close(db);
		return ks_err_set(err, KS_ENOENT, "%s: no finished run with samples", db_path);
	}
	row->pages_scanned = (uint64_t)sqlite3_column_int64(st, 0);
	row->full_scans = (uint64_t)sqlite3_column_int64(st, 1);
	row->sim_seconds = (double)sqlite3_column_int64(st, 2) / 1e9;
	row->ksmd_cpu_seconds = (double)sqlite3_column_int64(st, 3) / 1e9;
	sqlite3_finalize(st);
	sqlite3_close(db);
	return 0;
}

int ks_bench_store(const char *db_path, const struct ks_bench_row *r, struct ks_err *err)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;

	int rc = ks_results_open_write(db_path, &db, err);

	if (rc)
		return rc;
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db,
			       "INSERT INTO bench (scenario, sim_version, started_unix_ms, "
			       "sim_pages, pages_scanned, full_scans, sim_seconds, wall_seconds, "
			       "pages_per_second, peak_rss_bytes, bytes_per_page, ksmd_cpu_seconds, "
			       "cpu_seconds, wall_per_ksmd, cpu_per_ksmd, load1, repeat) "
			       "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", -1, &st, NULL) != SQLITE_OK)
		return sql_fail(db, db_path, err);
	sqlite3_bind_text(st, 1, r->scenario, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, r->sim_version, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, r->started_unix_ms);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)r->sim_pages);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)r->pages_scanned);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)r->full_scans);
	sqlite3_bind_double(st, 7, r->sim_seconds);
	sqlite3_bind_double(st, 8, r->wall_seconds);
	sqlite3_bind_double(st, 9, r->pages_per_second);
	sqlite3_bind_int64(st, 10, (sqlite3_int64)r->peak_rss_bytes);
	sqlite3_bind_double(st, 11, r->bytes_per_page);
	sqlite3_bind_double(st, 12, r->ksmd_cpu_seconds);
	sqlite3_bind_double(st, 13, r->cpu_seconds);
	sqlite3_bind_double(st, 14, r->wall_per_ksmd);
	sqlite3_bind_double(st, 15, r->cpu_per_ksmd);
	sqlite3_bind_double(st, 16, r->load1);
	sqlite3_bind_int64(st, 17, r->repeat);
	if (sqlite3_step(st) != SQLITE_DONE) {
		sqlite3_finalize(st);
		return sql_fail(db, db_path, err);
	}
	sqlite3_finalize(st);
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		return sql_fail(db, db_path, err);
	sqlite3_close(db);
	return 0;
}

int ks_bench_sweep_store(const char *db_path, const struct ks_bench_sweep_row *r,
			 struct ks_err *err)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int rc = ks_results_open_write(db_path, &db, err);

	if (rc)
		return rc;
	if (sqlite3_prepare_v2(db, "INSERT INTO bench_sweep(started_unix_ms, sim_version, host,"
			       " cpus, load1, scenario, sets, vary, points, seeds, jobs, repeat,"
			       " serial_s, parallel_s, ratio, html_bytes, serial_cpu_s,"
			       " parallel_cpu_s, serial_others_s, parallel_others_s) VALUES (?1,"
			       " ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,"
			       " ?17, ?18, ?19, ?20)", -1, &st,
			       NULL) != SQLITE_OK)
		return sql_fail(db, db_path, err);
	sqlite3_bind_int64(st, 1, r->started_unix_ms);
	sqlite3_bind_text(st, 2, r->sim_version, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, r->host, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, (int)r->cpus);
	sqlite3_bind_double(st, 5, r->load1);
	sqlite3_bind_text(st, 6, r->scenario, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, r->sets, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, r->vary, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 9, (int)r->points);
	sqlite3_bind_int(st, 10, (int)r->seeds);
	sqlite3_bind_int(st, 11, (int)r->jobs);
	sqlite3_bind_int(st, 12, (int)r->repeat);
	sqlite3_bind_double(st, 13, r->serial_s);
	sqlite3_bind_double(st, 14, r->parallel_s);
	sqlite3_bind_double(st, 15, r->ratio);
	if (r->html_bytes >= 0)
		sqlite3_bind_int64(st, 16, r->html_bytes);
	sqlite3_bind_double(st, 17, r->serial_cpu_s);
	sqlite3_bind_double(st, 18, r->parallel_cpu_s);
	if (r->serial_others_s >= 0)
		sqlite3_bind_double(st, 19, r->serial_others_s);
	if (r->parallel_others_s >= 0)
		sqlite3_bind_double(st, 20, r->parallel_others_s);
	if (sqlite3_step(st) != SQLITE_DONE) {
		sqlite3_finalize(st);
		return sql_fail(db, db_path, err);
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	return 0;
}
