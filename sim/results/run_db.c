/* run_db.c - the results database writer of simulation runs: runs, samples, process
 * samples, run_params, sweep_runs and (with a cost model) the cost tables, in SQLite
 * (schema.h).
 *
 * All-or-nothing runs that never hold the file: begin attaches a private temporary
 * database ("buf", deleted when the connection closes or the process dies) and the
 * samples go there, through prepared statements reused for every row. end writes the
 * whole run into the file in one BEGIN IMMEDIATE ... COMMIT: the runs row with the
 * summary, the samples copied over under the new run id, run_params, the sweep link
 * and the cost tables. Other writers (sim sweep -j, other sim processes) therefore wait
 * only for that short transaction (the busy timeout of db.h), never for a whole run.
 * close before end drops the run, and a process that dies leaves only its temporary
 * file behind (which the system removes), so a database never holds half a run.
 * Re-running into an existing file adds a run with a new id.
 *
 * Errors: KS_EIO "PATH: cannot open results database: ..." at open (missing directory,
 * read-only file, path is a directory); KS_ESQL "PATH: sqlite error: <errmsg>" for any
 * failed statement; KS_EINVAL / KS_EBUSY for calls out of order (engine bugs). */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "cost_db.h"
#include "reads_db.h"
#include "db.h"
#include "run_db.h"
#include "schema.h"
#include "models/base/xalloc.h"
#include "models/vocab/checksum.h"

struct ks_run_db {
	sqlite3 *db;                /* open results database, with "buf" attached */
	int64_t run_id;             /* set by end */
	const struct ks_cost_model *cost; /* its tables are written at end; may be NULL */
	char *path;                 /* file name, for messages (owned) */
	sqlite3_stmt *ins_sample;   /* INSERT INTO buf.samples */
	sqlite3_stmt *ins_proc;     /* INSERT INTO buf.process_samples */
	sqlite3_stmt *ins_read;     /* INSERT INTO buf.read_samples (reads_db.h) */
	sqlite3_stmt *ins_swap;     /* INSERT INTO buf.swap_samples */
	bool in_run;                /* between begin and end: buf's transaction open */
	struct ks_run_info info;    /* the run's, strings owned (copied by begin) */
	struct ks_ksm_params ksm;   /* info.ksm points here when given */
};

static const char sql_buf_tables[] =
	"CREATE TABLE IF NOT EXISTS buf.samples(" KS_RESULTS_SAMPLES_COLUMNS ");"
	"CREATE TABLE IF NOT EXISTS buf.process_samples(" KS_RESULTS_PROCESS_SAMPLES_COLUMNS ");"
	"CREATE TABLE IF NOT EXISTS buf.swap_samples(" KS_RESULTS_SWAP_SAMPLES_COLUMNS ");";
static const char sql_ins_swap[] =
	"INSERT INTO buf.swap_samples(" KS_RESULTS_SWAP_SAMPLES_COLUMNS ") VALUES (?1, ?2, ?3,"
	" ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)";
static const char sql_copy_swap[] =
	"INSERT INTO main.swap_samples(run_id, " KS_RESULTS_SWAP_SAMPLES_COLUMNS ") SELECT ?1, "
	KS_RESULTS_SWAP_SAMPLES_COLUMNS " FROM buf.swap_samples ORDER BY rowid";
static const char sql_ins_sample[] =
	"INSERT INTO buf.samples(" KS_RESULTS_SAMPLES_COLUMNS ") VALUES (?1, ?2, ?3,"
	" ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)";
static const char sql_ins_proc[] =
	"INSERT INTO buf.process_samples(" KS_RESULTS_PROCESS_SAMPLES_COLUMNS ")"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
static const char sql_ins_run[] =
	"INSERT INTO runs(scenario, scenario_text, seed, sim_version, arch, started_unix_ms,"
	" finished_unix_ms, status, sim_end_ns, batches, saved_bytes, t90_ns, ksmd_cpu_ns,"
	" wall_seconds, uid, host, t50_ns, peak_saved_bytes, peak_t_ns, id) VALUES (?1, ?2,"
	" ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)";
static const char sql_copy_samples[] =
	"INSERT INTO main.samples(run_id, " KS_RESULTS_SAMPLES_COLUMNS ") SELECT ?1, "
	KS_RESULTS_SAMPLES_COLUMNS " FROM buf.samples ORDER BY rowid";
static const char sql_copy_procs[] =
	"INSERT INTO main.process_samples(run_id, " KS_RESULTS_PROCESS_SAMPLES_COLUMNS ")"
	" SELECT ?1, " KS_RESULTS_PROCESS_SAMPLES_COLUMNS " FROM buf.process_samples"
	" ORDER BY rowid";
static const char sql_ins_params[] =
	"INSERT INTO run_params(run_id, seed, arch, duration_ns, processes, pages, run,"
	" pages_to_scan, sleep_millisecs, max_page_sharing, use_zero_pages,"
	" merge_across_nodes, smart_scan, stable_node_chains_prune_millisecs, advisor_mode,"
	" advisor_max_cpu, advisor_min_pages_to_scan, advisor_max_pages_to_scan,"
	" advisor_target_scan_time, checksum, hz, cmp_order, stable_before_checksum,"
	" zero_page_after_stable, zero_page_colours, algorithm) VALUES (?1, ?2, ?3, ?4, ?5,"
	" ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22,"
	" ?23, ?24, ?25, ?26)";
static const char sql_ins_sweep_run[] =
	"INSERT INTO sweep_runs(sweep_id, run_id, point, params, seed) VALUES (?1, ?2, ?3, ?4,"
	" ?5)";

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

/* A simulated time, or NULL for KS_TIME_MAX ("never"). */
static int bind_time(sqlite3_stmt *st, int i, ks_time t)
{
	return t > (ks_time)INT64_MAX ? sqlite3_bind_null(st, i) : bind_u64(st, i, t);
}

static void free_info(struct ks_run_info *in)
{
	free((char *)in->scenario_name);
	free((char *)in->scenario_text);
	free((char *)in->sim_version);
	free((char *)in->arch);
	free((char *)in->point_params);
	memset(in, 0, sizeof(*in));
}

static const char *dup_or_null(const char *s)
{
	return s ? ks_xstrdup(s) : NULL;
}

/* Empties the buffer and ends its transaction; the run is gone. */
static void drop_buffer(struct ks_run_db *sq)
{
	if (!sqlite3_get_autocommit(sq->db))
		sqlite3_exec(sq->db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_exec(sq->db, "DELETE FROM buf.samples; DELETE FROM buf.process_samples;"
		     " DELETE FROM buf.swap_samples",
		     NULL, NULL, NULL);
	ks_reads_db_drop(sq->db);
	sq->in_run = false;
	free_info(&sq->info);
}

int ks_run_db_begin(struct ks_run_db *sq, const struct ks_run_info *run, struct ks_err *err)
{
	if (sq->in_run)
		return ks_err_set(err, KS_EBUSY, "%s: begin: a run is still open", sq->path);
	if (sqlite3_exec(sq->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return sq_error(sq, err);
	sq->in_run = true;
	sq->run_id = 0;
	sq->info = *run;
	sq->info.scenario_name = ks_xstrdup(run->scenario_name ? run->scenario_name : "");
	sq->info.scenario_text = dup_or_null(run->scenario_text);
	sq->info.sim_version = dup_or_null(run->sim_version);
	sq->info.arch = dup_or_null(run->arch);
	sq->info.point_params = ks_xstrdup(run->point_params ? run->point_params : "");
	if (run->ksm) {
		sq->ksm = *run->ksm;
		sq->info.ksm = &sq->ksm;
	}
	return 0;
}

static int insert_sample(struct ks_run_db *sq, const struct ks_sample *smp, struct ks_err *err)
{
	sqlite3_stmt *st = sq->ins_sample;
	const struct ks_ksm_stats *k = &smp->st;

	if (!sq->in_run)
		return ks_err_set(err, KS_EINVAL, "%s: sample outside a run", sq->path);
	if (bind_u64(st, 1, smp->t) ||
	    bind_u64(st, 2, smp->batch) ||
	    bind_u64(st, 3, k->full_scans) ||
	    bind_u64(st, 4, k->pages_scanned) ||
	    bind_u64(st, 5, k->pages_shared) ||
	    bind_u64(st, 6, k->pages_sharing) ||
	    bind_u64(st, 7, k->pages_unshared) ||
	    bind_u64(st, 8, k->pages_volatile) ||
	    bind_u64(st, 9, k->pages_skipped) ||
	    bind_u64(st, 10, k->stable_node_chains) ||
	    bind_u64(st, 11, k->stable_node_dups) ||
	    bind_u64(st, 12, k->ksm_zero_pages) ||
	    sqlite3_bind_int64(st, 13, k->general_profit) ||
	    bind_u64(st, 14, k->pages_to_scan) ||
	    bind_u64(st, 15, k->rmap_items) ||
	    bind_u64(st, 16, k->cow_ksm) ||
	    bind_u64(st, 17, smp->ksmd_cpu_ns))
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
	if (bind_u64(st, 1, ps->t) ||
	    sqlite3_bind_int64(st, 2, ps->pid) ||
	    bind_text(st, 3, ps->process ? ps->process : "") ||
	    bind_u64(st, 4, ps->ps.ksm_rmap_items) ||
	    bind_u64(st, 5, ps->ps.ksm_zero_pages) ||
	    bind_u64(st, 6, ps->ps.ksm_merging_pages) ||
	    sqlite3_bind_int64(st, 7, ps->ps.ksm_process_profit) ||
	    sqlite3_bind_int(st, 8, ps->ps.ksm_merge_any) ||
	    sqlite3_bind_int(st, 9, ps->ps.ksm_mergeable))
		return sq_error(sq, err);
	rc = sq_run_stmt(sq, st, err);
	sqlite3_clear_bindings(st);
	return rc;
}

static int insert_swap_sample(struct ks_run_db *sq, ks_time t, const struct ks_swap_stats *s,
			      struct ks_err *err)
{
	sqlite3_stmt *st = sq->ins_swap;
	const uint64_t v[KS_RESULTS_SWAP_SAMPLES_NCOLUMNS] = {
		t, s->resident_pages, s->limit_pages, s->swap_pages, s->swap_slots, s->pswpout,
		s->pswpin, s->swpout_zero, s->swpin_zero, s->swapin_shared, s->ksm_swpout,
		s->ksm_referenced, s->reclaim_short, s->zram.orig_data_size, s->zram.compr_data_size,
		s->zram.mem_used_total, s->zram.mem_used_max, s->zram.same_pages,
		s->zram.huge_pages
	};

	for (int i = 0; i < KS_RESULTS_SWAP_SAMPLES_NCOLUMNS; i++)
		if (bind_u64(st, i + 1, v[i]))
			return sq_error(sq, err);
	return sq_run_stmt(sq, st, err);
}

int ks_run_db_sample(struct ks_run_db *sq, const struct ks_sample *smp,
		     const struct ks_proc_sample *procs, size_t nprocs, struct ks_err *err)
{
	int rc = insert_sample(sq, smp, err);

	if (!rc)
		rc = ks_reads_db_sample(sq->db, sq->path, sq->ins_read, smp, err);
	if (!rc && smp->swap)
		rc = insert_swap_sample(sq, smp->t, smp->swap, err);
	for (size_t i = 0; !rc && i < nprocs; i++)
		rc = insert_proc_sample(sq, &procs[i], err);
	return rc;
}

/* Prepares sql, binds ?1 = the run id, steps it once: 0 or KS_ESQL. */
static int exec_for_run(struct ks_run_db *sq, const char *sql, struct ks_err *err)
{
	sqlite3_stmt *st;
	int rc = ks_db_prep(sq->db, sq->path, sql, &st, err);

	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, sq->run_id);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : sq_error(sq, err);
	sqlite3_finalize(st);
	return rc;
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

/* 128 random bits as 32 hex digits: the run's identity across merged databases. */
static void make_uid(char out[33])
{
	uint64_t r[2];

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r)) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		r[0] = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
		r[1] = ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)out;
	}
	snprintf(out, 33, "%016" PRIx64 "%016" PRIx64, r[0], r[1]);
}

/* The run's id, inside end's transaction: the one set aside for it if it is still free
 * (a writer that knows no reservations, an older sim, may have taken it), else the next
 * free one. */
static int choose_id(struct ks_run_db *sq, int64_t *id, struct ks_err *err)
{
	int64_t taken = 1;
	int rc = 0;

	if (sq->info.run_id > 0)
		rc = ks_db_query_int(sq->db, sq->path, "SELECT count(*) FROM runs WHERE id = ?1",
				     NULL, sq->info.run_id, &taken, err);
	if (rc)
		return rc;
	if (!taken) {
		*id = sq->info.run_id;
		return 0;
	}
	return ks_db_next_run_id(sq->db, sq->path, id, err);
}

static int insert_run(struct ks_run_db *sq, const struct ks_summary *sum, const char *status,
		      struct ks_err *err)
{
	const struct ks_run_info *in = &sq->info;
	sqlite3_stmt *st;
	char uid[33], host[256];
	int64_t id;
	int rc = choose_id(sq, &id, err);

	if (!rc)
		rc = ks_db_prep(sq->db, sq->path, sql_ins_run, &st, err);
	if (rc)
		return rc;
	make_uid(uid);
	if (gethostname(host, sizeof(host)) != 0)
		host[0] = '\0';
	host[sizeof(host) - 1] = '\0';
	if (bind_text(st, 1, in->scenario_name) ||
	    bind_text(st, 2, in->scenario_text) ||
	    bind_u64(st, 3, in->seed) ||
	    bind_text(st, 4, in->sim_version) ||
	    bind_text(st, 5, in->arch) ||
	    sqlite3_bind_int64(st, 6, in->started_unix_ms) ||
	    sqlite3_bind_int64(st, 7, sum->finished_unix_ms) ||
	    bind_text(st, 8, status) ||
	    bind_u64(st, 9, sum->sim_end) ||
	    bind_u64(st, 10, sum->batches) ||
	    sqlite3_bind_int64(st, 11, sum->saved_bytes) ||
	    bind_time(st, 12, sum->t90) ||
	    bind_u64(st, 13, sum->ksmd_cpu_ns) ||
	    sqlite3_bind_double(st, 14, sum->wall_seconds) ||
	    bind_text(st, 15, uid) ||
	    bind_text(st, 16, host[0] ? host : NULL) ||
	    bind_time(st, 17, sum->t50) ||
	    sqlite3_bind_int64(st, 18, sum->peak_saved_bytes) ||
	    (sum->peak_saved_bytes > 0 ? bind_time(st, 19, sum->peak_t) :
	     sqlite3_bind_null(st, 19)) ||
	    sqlite3_bind_int64(st, 20, id))
		rc = sq_error(sq, err);
	else if (sqlite3_step(st) != SQLITE_DONE)
		rc = sq_error(sq, err);
	else
		sq->run_id = sqlite3_last_insert_rowid(sq->db);
	sqlite3_finalize(st);
	return rc;
}

static const char *advisor_text(enum ks_advisor_mode m)
{
	return m == KS_ADVISOR_SCAN_TIME ? "scan-time" : "none";
}

static const char *algorithm_text(enum ks_ksm_algorithm a)
{
	return a == KS_KSM_ALG_2009 ? "2009" : "linux-6.18";
}

/* The run's resolved settings, one typed column each. */
static int insert_params(struct ks_run_db *sq, struct ks_err *err)
{
	const struct ks_run_info *in = &sq->info;
	const struct ks_ksm_params *k = in->ksm;
	sqlite3_stmt *st;
	int rc;

	if (!k)
		return 0;
	rc = ks_db_prep(sq->db, sq->path, sql_ins_params, &st, err);
	if (rc)
		return rc;
	if (sqlite3_bind_int64(st, 1, sq->run_id) ||
	    bind_u64(st, 2, in->seed) ||
	    bind_text(st, 3, in->arch) ||
	    bind_u64(st, 4, in->duration_ns) ||
	    bind_u64(st, 5, in->processes) ||
	    bind_u64(st, 6, in->pages) ||
	    sqlite3_bind_int64(st, 7, k->run) ||
	    sqlite3_bind_int64(st, 8, k->pages_to_scan) ||
	    sqlite3_bind_int64(st, 9, k->sleep_millisecs) ||
	    sqlite3_bind_int64(st, 10, k->max_page_sharing) ||
	    sqlite3_bind_int(st, 11, k->use_zero_pages) ||
	    sqlite3_bind_int(st, 12, k->merge_across_nodes) ||
	    sqlite3_bind_int(st, 13, k->smart_scan) ||
	    sqlite3_bind_int64(st, 14, k->stable_node_chains_prune_millisecs) ||
	    bind_text(st, 15, advisor_text(k->advisor_mode)) ||
	    bind_u64(st, 16, k->advisor_max_cpu) ||
	    bind_u64(st, 17, k->advisor_min_pages_to_scan) ||
	    bind_u64(st, 18, k->advisor_max_pages_to_scan) ||
	    bind_u64(st, 19, k->advisor_target_scan_time) ||
	    bind_text(st, 20, ks_checksum_name((enum ks_checksum_alg)k->checksum)) ||
	    sqlite3_bind_int64(st, 21, k->hz) ||
	    bind_text(st, 22, k->cmp_order_pre_611 ? "pre-v6.11" : "v6.11") ||
	    sqlite3_bind_int(st, 23, k->stable_before_checksum) ||
	    sqlite3_bind_int(st, 24, k->zero_page_after_stable) ||
	    sqlite3_bind_int64(st, 25, k->zero_page_colours) ||
	    bind_text(st, 26, algorithm_text(k->algorithm)))
		rc = sq_error(sq, err);
	else if (sqlite3_step(st) != SQLITE_DONE)
		rc = sq_error(sq, err);
	sqlite3_finalize(st);
	return rc;
}

static int insert_sweep_run(struct ks_run_db *sq, struct ks_err *err)
{
	const struct ks_run_info *in = &sq->info;
	sqlite3_stmt *st;
	int rc;

	if (!in->sweep_id)
		return 0;
	rc = ks_db_prep(sq->db, sq->path, sql_ins_sweep_run, &st, err);
	if (rc)
		return rc;
	if (sqlite3_bind_int64(st, 1, in->sweep_id) ||
	    sqlite3_bind_int64(st, 2, sq->run_id) ||
	    sqlite3_bind_int64(st, 3, in->point) ||
	    bind_text(st, 4, in->point_params) ||
	    bind_u64(st, 5, in->seed))
		rc = sq_error(sq, err);
	else if (sqlite3_step(st) != SQLITE_DONE)
		rc = sq_error(sq, err);
	sqlite3_finalize(st);
	return rc;
}

/* The cost tables of the run, inside its transaction. */
static int write_cost(struct ks_run_db *sq, struct ks_err *err)
{
	size_t nb, nw, np;
	const struct ks_cost_batch *b;
	const struct ks_cost_merge_window *w;
	const struct ks_cost_prov *p;

	if (!sq->cost)
		return 0;
	b = ks_cost_model_batches(sq->cost, &nb);
	w = ks_cost_model_merge_windows(sq->cost, &nw);
	p = ks_cost_model_prov(sq->cost, &np);
	return ks_cost_db_write(sq->db, sq->path, sq->run_id, ks_cost_model_stats(sq->cost),
				b, nb, w, nw, p, np, err);
}

/* swap_paths: one row per zsmalloc mapping path (runs with host: only). */
static int write_swap_paths(struct ks_run_db *sq, const struct ks_summary *sum,
			    struct ks_err *err)
{
	const struct ks_swap_cost *c = &sum->swap_cost;
	sqlite3_stmt *st = NULL;
	int rc;

	if (!sum->has_swap)
		return 0;
	rc = ks_db_prep(sq->db, sq->path, "INSERT INTO swap_paths(run_id, path, out_ops,"
			" out_spanning, out_ns, in_ops, in_spanning, in_ns) VALUES (?1, ?2, ?3, ?4,"
			" ?5, ?6, ?7, ?8)", &st, err);
	for (int p = 0; !rc && p < KS_ZS_NPATHS; p++) {
		sqlite3_reset(st);
		if (sqlite3_bind_int64(st, 1, sq->run_id) ||
		    bind_text(st, 2, ks_zs_path_name((enum ks_zs_path)p)) ||
		    bind_u64(st, 3, c->out[p].ops) || bind_u64(st, 4, c->out[p].spanning) ||
		    sqlite3_bind_double(st, 5, c->out_ns[p]) ||
		    bind_u64(st, 6, c->in[p].ops) || bind_u64(st, 7, c->in[p].spanning) ||
		    sqlite3_bind_double(st, 8, c->in_ns[p]) || sqlite3_step(st) != SQLITE_DONE)
			rc = sq_error(sq, err);
	}
	if (st)
		sqlite3_finalize(st);
	return rc;
}

/* Everything of the run, in the transaction end opened. */
static int write_run(struct ks_run_db *sq, const struct ks_summary *sum, const char *status,
		     struct ks_err *err)
{
	int rc = insert_run(sq, sum, status, err);

	if (!rc)
		rc = exec_for_run(sq, sql_copy_samples, err);
	if (!rc)
		rc = exec_for_run(sq, sql_copy_procs, err);
	if (!rc)
		rc = exec_for_run(sq, sql_copy_swap, err);
	if (!rc)
		rc = write_swap_paths(sq, sum, err);
	if (!rc)
		rc = insert_params(sq, err);
	if (!rc)
		rc = insert_sweep_run(sq, err);
	if (!rc)
		rc = write_cost(sq, err);
	if (!rc)
		rc = ks_reads_db_write(sq->db, sq->path, sq->run_id, sum, sq->info.ksm,
				       sq->cost ? ks_cost_model_reads(sq->cost)->c.cache_colours
						: 1, err);
	return rc;
}

int ks_run_db_end(struct ks_run_db *sq, const struct ks_summary *sum, struct ks_err *err)
{
	const char *status = status_text(sum->status);
	int rc;

	if (!sq->in_run)
		return ks_err_set(err, KS_EINVAL, "%s: end without begin", sq->path);
	if (!status) {
		rc = ks_err_set(err, KS_EINVAL, "%s: end: bad run status %d", sq->path,
				(int)sum->status);
		goto err_drop;
	}
	/* The buffer's own transaction ends first: the file's is a fresh one, so waiting
	 * for its write lock never meets an older snapshot. */
	if (sqlite3_exec(sq->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(sq->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		rc = sq_error(sq, err);
		goto err_drop;
	}
	rc = write_run(sq, sum, status, err);
	if (!rc && sqlite3_exec(sq->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		rc = sq_error(sq, err);
	if (rc) {
		sq->run_id = 0;
		goto err_drop;
	}
	drop_buffer(sq);
	return 0;

err_drop:
	drop_buffer(sq);
	return rc;
}

void ks_run_db_close(struct ks_run_db *sq)
{
	if (!sq)
		return;
	if (sq->in_run)
		drop_buffer(sq);
	sqlite3_finalize(sq->ins_sample);
	sqlite3_finalize(sq->ins_proc);
	sqlite3_finalize(sq->ins_read);
	sqlite3_finalize(sq->ins_swap);
	sqlite3_close(sq->db);
	free(sq->path);
	free(sq);
}

/* The private buffer: an empty file name attaches a temporary database that SQLite
 * deletes on close (kept in memory until it grows, then spilled to a temporary file). */
static int sq_prepare(struct ks_run_db *sq, struct ks_err *err)
{
	if (sqlite3_exec(sq->db, "ATTACH DATABASE '' AS buf", NULL, NULL, NULL) ||
	    sqlite3_exec(sq->db, sql_buf_tables, NULL, NULL, NULL) ||
	    sqlite3_prepare_v2(sq->db, sql_ins_sample, -1, &sq->ins_sample, NULL) ||
	    sqlite3_prepare_v2(sq->db, sql_ins_proc, -1, &sq->ins_proc, NULL) ||
	    sqlite3_prepare_v2(sq->db, sql_ins_swap, -1, &sq->ins_swap, NULL))
		return sq_error(sq, err);
	return ks_reads_db_prepare(sq->db, sq->path, &sq->ins_read, err);
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
