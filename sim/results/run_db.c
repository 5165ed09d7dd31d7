/* run_db.c - the results database writer of simulation runs: runs, samples, process
 * samples and (with a cost model) the cost tables, in SQLite (schema.h).
 *
 * All-or-nothing runs: begin opens a transaction (BEGIN IMMEDIATE) and inserts the
 * runs row with a provisional status 'failed'; samples go in through prepared statements
 * reused for every row (bind, step, reset); end updates the runs row with the summary
 * and its real status, writes the cost tables, and commits. close before end rolls
 * back, and so does SQLite itself on the next open if the process died (hot journal),
 * so a database never holds half a run. Re-running into an existing file adds a run
 * with a new id.
 *
 * Errors: KS_EIO "PATH: cannot open results database: ..." at open (missing directory,
 * read-only file, path is a directory); KS_ESQL "PATH: sqlite error: <errmsg>" for any
 * failed statement; KS_EINVAL / KS_EBUSY for calls out of order (engine bugs). */
#include <stdbool.h>
#include <stdlib.h>

#include <sqlite3.h>

#include "cost_db.h"
#include "db.h"
#include "run_db.h"
#include "schema.h"
#include "models/base/xalloc.h"

struct ks_run_db {
	sqlite3 *db;                /* open results database */
	int64_t run_id;             /* set by begin */
	const struct ks_cost_model *cost; /* its tables are written at end; may be NULL */
	char *path;                 /* file name, for messages (owned) */
	sqlite3_stmt *ins_run;      /* INSERT INTO runs (begin_run) */
	sqlite3_stmt *ins_sample;   /* INSERT INTO samples */
	sqlite3_stmt *ins_proc;     /* INSERT INTO process_samples */
	sqlite3_stmt *upd_run;      /* UPDATE runs with the summary (end_run) */
	bool in_run;                /* between begin and end: transaction open */
};

static const char sql_ins_run[] =
	"INSERT INTO runs(scenario, scenario_text, seed, sim_version, arch,"
	" started_unix_ms, status) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'failed')";
static const char sql_ins_sample[] =
	"INSERT INTO samples(run_id, " KS_RESULTS_SAMPLES_COLUMNS ") VALUES (?1, ?2, ?3,"
	" ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)";
static const char sql_ins_proc[] =
	"INSERT INTO process_samples(run_id, " KS_RESULTS_PROCESS_SAMPLES_COLUMNS ")"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
static const char sql_upd_run[] =
	"UPDATE runs SET finished_unix_ms = ?2, status = ?3, sim_end_ns = ?4, batches = ?5,"
	" saved_bytes = ?6, t90_ns = ?7, ksmd_cpu_ns = ?8, wall_seconds = ?9 WHERE id = ?1";

static int sq_error(struct ks_run_db *sq, struct ks_err *err)
{
	return ks_err_set(err, KS_ESQL, "%s: sqlite error: %s", sq->path,
			  sqlite3_errmsg(sq->db));
}

/* Steps a bound INSERT/UPDATE to completion and resets it for reuse. */
static int sq_run_stmt(struct ks_run_db *sq, sqlite3_stmt *st, struct ks_err *err)
{
	int rc = sqlite3_step(st);

	if (rc != SQLITE_DONE) {
		rc = sq_error(sq, err);
		sqlite3_reset(st);
		return rc;
	}
	if (sqlite3_reset(st) != SQLITE_OK)
		return sq_error(sq, err);
	return 0;
}

/* Binds a uint64 counter (stored as int64 bits). */
static int bind_u64(sqlite3_stmt *st, int i, uint64_t v)
{
	return sqlite3_bind_int64(st, i, (sqlite3_int64)v);
}

static int bind_text(sqlite3_stmt *st, int i, const char *s)
{
	return s ? sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC) : sqlite3_bind_null(st, i);
}

static void sq_rollback(struct ks_run_db *sq)
{
	if (!sqlite3_get_autocommit(sq->db))
		sqlite3_exec(sq->db, "ROLLBACK", NULL, NULL, NULL);
	sq->in_run = false;
}

int ks_run_db_begin(struct ks_run_db *sq, const struct ks_run_info *run, struct ks_err *err)
{
	sqlite3_stmt *st = sq->ins_run;
	int rc;

	if (sq->in_run)
		return ks_err_set(err, KS_EBUSY, "%s: begin: run %lld is still open",
				  sq->path, (long long)sq->run_id);
	if (sqlite3_exec(sq->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return sq_error(sq, err);
	sq->in_run = true;
	if (bind_text(st, 1, run->scenario_name ? run->scenario_name : "") ||
	    bind_text(st, 2, run->scenario_text) ||
	    bind_u64(st, 3, run->seed) ||
	    bind_text(st, 4, run->sim_version) ||
	    bind_text(st, 5, run->arch) ||
	    sqlite3_bind_int64(st, 6, run->started_unix_ms)) {
		rc = sq_error(sq, err);
		goto err_rollback;
	}
	rc = sq_run_stmt(sq, st, err);
	sqlite3_clear_bindings(st); /* drop pointers to the caller's strings */
	if (rc)
		goto err_rollback;
	sq->run_id = sqlite3_last_insert_rowid(sq->db);
	return 0;

err_rollback:
	sq_rollback(sq);
	return rc;
}

static int insert_sample(struct ks_run_db *sq, const struct ks_sample *smp, struct ks_err *err)
{
	sqlite3_stmt *st = sq->ins_sample;
	const struct ks_ksm_stats *k = &smp->st;

	if (!sq->in_run)
		return ks_err_set(err, KS_EINVAL, "%s: sample outside a run", sq->path);
	if (sqlite3_bind_int64(st, 1, sq->run_id) ||
	    bind_u64(st, 2, smp->t) ||
	    bind_u64(st, 3, smp->batch) ||
	    bind_u64(st, 4, k->full_scans) ||
	    bind_u64(st, 5, k->pages_scanned) ||
	    bind_u64(st, 6, k->pages_shared) ||
	    bind_u64(st, 7, k->pages_sharing) ||
	    bind_u64(st, 8, k->pages_unshared) ||
	    bind_u64(st, 9, k->pages_volatile) ||
	    bind_u64(st, 10, k->pages_skipped) ||
	    bind_u64(st, 11, k->stable_node_chains) ||
	    bind_u64(st, 12, k->stable_node_dups) ||
	    bind_u64(st, 13, k->ksm_zero_pages) ||
	    sqlite3_bind_int64(st, 14, k->general_profit) ||
	    bind_u64(st, 15, k->pages_to_scan) ||
	    bind_u64(st, 16, k->rmap_items) ||
	    bind_u64(st, 17, k->cow_ksm) ||
	    bind_u64(st, 18, smp->ksmd_cpu_ns))
		return sq_error(sq, err);
	return sq_run_stmt(sq, st, err);
}

static int insert_proc_sample(struct ks_run_db *sq, const struct ks_proc_sample *ps,
			      struct ks_err *err)
{
	sqlite3_stmt *st = sq->ins_proc;
	int rc;

	if (!sq->in_run)
		return ks_err_set(err, KS_EINVAL, "%s: process sample outside a run", sq->path);
	if (sqlite3_bind_int64(st, 1, sq->run_id) ||
	    bind_u64(st, 2, ps->t) ||
	    sqlite3_bind_int64(st, 3, ps->pid) ||
	    bind_text(st, 4, ps->process ? ps->process : "") ||
	    bind_u64(st, 5, ps->ps.ksm_rmap_items) ||
	    bind_u64(st, 6, ps->ps.ksm_zero_pages) ||
	    bind_u64(st, 7, ps->ps.ksm_merging_pages) ||
	    sqlite3_bind_int64(st, 8, ps->ps.ksm_process_profit) ||
	    sqlite3_bind_int(st, 9, ps->ps.ksm_merge_any) ||
	    sqlite3_bind_int(st, 10, ps->ps.ksm_mergeable))
		return sq_error(sq, err);
	rc = sq_run_stmt(sq, st, err);
	sqlite3_clear_bindings(st);
	return rc;
}

int ks_run_db_sample(struct ks_run_db *sq, const struct ks_sample *smp,
		     const struct ks_proc_sample *procs, size_t nprocs, struct ks_err *err)
{
	int rc = insert_sample(sq, smp, err);

	for (size_t i = 0; !rc && i < nprocs; i++)
		rc = insert_proc_sample(sq, &procs[i], err);
	return rc;
}

/* The cost tables of the run, inside its transaction. */
static int write_cost(struct ks_run_db *sq, struct ks_err *err)
{
	size_t nb, nw;
	const struct ks_cost_batch *b;
	const struct ks_cost_merge_window *w;

	if (!sq->cost)
		return 0;
	b = ks_cost_model_batches(sq->cost, &nb);
	w = ks_cost_model_merge_windows(sq->cost, &nw);
	return ks_cost_db_write(sq->db, sq->path, sq->run_id, ks_cost_model_stats(sq->cost),
				b, nb, w, nw, err);
}

static const char *status_text(enum ks_run_status status)
{
	switch (status) {
	case KS_RUN_COMPLETE: return "complete";
	case KS_RUN_INTERRUPTED: return "interrupted";
	case KS_RUN_FAILED: return "failed";
	}
	return NULL;
}

int ks_run_db_end(struct ks_run_db *sq, const struct ks_summary *sum, struct ks_err *err)
{
	sqlite3_stmt *st = sq->upd_run;
	const char *status = status_text(sum->status);
	int rc;

	if (!sq->in_run)
		return ks_err_set(err, KS_EINVAL, "%s: end without begin", sq->path);
	if (!status) {
		rc = ks_err_set(err, KS_EINVAL, "%s: end: bad run status %d", sq->path,
				(int)sum->status);
		goto err_rollback;
	}
	if (sqlite3_bind_int64(st, 1, sq->run_id) ||
	    sqlite3_bind_int64(st, 2, sum->finished_unix_ms) ||
	    bind_text(st, 3, status) ||
	    bind_u64(st, 4, sum->sim_end) ||
	    bind_u64(st, 5, sum->batches) ||
	    sqlite3_bind_int64(st, 6, sum->saved_bytes) ||
	    (sum->t90 > (ks_time)INT64_MAX ? sqlite3_bind_null(st, 7) :
	     bind_u64(st, 7, sum->t90)) ||
	    bind_u64(st, 8, sum->ksmd_cpu_ns) ||
	    sqlite3_bind_double(st, 9, sum->wall_seconds)) {
		rc = sq_error(sq, err);
		goto err_rollback;
	}
	rc = sq_run_stmt(sq, st, err);
	if (rc)
		goto err_rollback;
	if (sqlite3_changes(sq->db) != 1) {
		rc = ks_err_set(err, KS_ESQL, "%s: sqlite error: run %lld vanished", sq->path,
				(long long)sq->run_id);
		goto err_rollback;
	}
	rc = write_cost(sq, err);
	if (rc)
		goto err_rollback;
	if (sqlite3_exec(sq->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		rc = sq_error(sq, err);
		goto err_rollback;
	}
	sq->in_run = false;
	return 0;

err_rollback:
	sq_rollback(sq);
	return rc;
}

void ks_run_db_close(struct ks_run_db *sq)
{
	if (!sq)
		return;
	if (sq->in_run)
		sq_rollback(sq);
	sqlite3_finalize(sq->ins_run);
	sqlite3_finalize(sq->ins_sample);
	sqlite3_finalize(sq->ins_proc);
	sqlite3_finalize(sq->upd_run);
	sqlite3_close(sq->db);
	free(sq->path);
	free(sq);
}

static int sq_prepare(struct ks_run_db *sq, struct ks_err *err)
{
	if (sqlite3_prepare_v2(sq->db, sql_ins_run, -1, &sq->ins_run, NULL) ||
	    sqlite3_prepare_v2(sq->db, sql_ins_sample, -1, &sq->ins_sample, NULL) ||
	    sqlite3_prepare_v2(sq->db, sql_ins_proc, -1, &sq->ins_proc, NULL) ||
	    sqlite3_prepare_v2(sq->db, sql_upd_run, -1, &sq->upd_run, NULL))
		return sq_error(sq, err);
	return 0;
}

struct ks_run_db *ks_run_db_open(const char *path, struct ks_err *err)
{
	struct ks_run_db *sq = ks_xcalloc(1, sizeof(*sq));

	sq->path = ks_xstrdup(path);
	if (ks_results_open_write(path, &sq->db, err) || sq_prepare(sq, err)) {
		ks_run_db_close(sq);
		return NULL;
	}
	return sq;
}

void ks_run_db_set_cost(struct ks_run_db *sq, const struct ks_cost_model *cm)
{
	sq->cost = cm;
}

int64_t ks_run_db_run_id(const struct ks_run_db *sq)
{
	return sq->run_id;
}

static int obs_sample(void *self, const struct ks_sample *smp,
		      const struct ks_proc_sample *procs, size_t nprocs, struct ks_err *err)
{
	return ks_run_db_sample(self, smp, procs, nprocs, err);
}

static int obs_commit(void *self, const struct ks_summary *sum, struct ks_err *err)
{
	return ks_run_db_end(self, sum, err);
}

struct ks_observer ks_run_db_observer(struct ks_run_db *sq)
{
	return (struct ks_observer){ .self = sq, .sample = obs_sample, .commit = obs_commit };
}
