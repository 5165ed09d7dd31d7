/* results_schema.h - the SQLite results database: table and column names, CREATE
 * statements and the schema version kept in PRAGMA user_version. Shared by the writer
 * (sim/sink_sqlite.c) and the readers (reports/). docs/results-schema.md documents
 * every column with its unit. Pure data: libc only, no sqlite3.h here.
 *
 * Adding a table (regress_*, bench, cost_*, ...):
 *   1. define KS_RESULTS_SQL_<NAME> below as one or more `CREATE TABLE IF NOT EXISTS`
 *      / `CREATE INDEX IF NOT EXISTS` statements (each ending in ';');
 *   2. append it to ks_results_schema_sql[] (before the NULL);
 *   3. document it in docs/results-schema.md.
 * ks_results_schema_create() (reports/report.h) runs every entry on each open for
 * writing, so older files gain the new table; a new table is additive and does not
 * bump the version. Changing or removing an existing column DOES bump
 * KS_RESULTS_SCHEMA_VERSION (older files are then refused with a clear message). */
#ifndef KS_RESULTS_SCHEMA_H
#define KS_RESULTS_SCHEMA_H

#include <stddef.h>

/* Stored in PRAGMA user_version; 0 means "not (yet) a results database". */
enum { KS_RESULTS_SCHEMA_VERSION = 1 };

/* Table names. */
#define KS_RESULTS_T_RUNS "runs"
#define KS_RESULTS_T_SAMPLES "samples"
#define KS_RESULTS_T_PROCESS_SAMPLES "process_samples"

/* runs: one row per simulation run, written in the run's single transaction.
 *   COLUMN            TYPE     UNIT     MEANING
 *   id                INTEGER  -        run id (rowid), s->run_id
 *   scenario          TEXT     -        scenario name
 *   scenario_text     TEXT     -        full YAML as run (with --set applied)
 *   seed              INTEGER  -        RNG seed (uint64 stored as int64 bits)
 *   sim_version       TEXT     -        version of the sim that wrote the row
 *   arch              TEXT     -        architecture cost model name
 *   started_unix_ms   INTEGER  ms       wall clock at start, since the epoch
 *   finished_unix_ms  INTEGER  ms       wall clock at end (NULL until end_run)
 *   status            TEXT     -        complete | interrupted | failed
 *   sim_end_ns        INTEGER  ns       simulated time at the end
 *   batches           INTEGER  count    ksmd batches run
 *   saved_bytes       INTEGER  bytes    (pages_sharing + ksm_zero_pages) * 4096 at end
 *   t90_ns            INTEGER  ns       simulated time to 90% of the final saving (NULL:
 *                                       unknown)
 *   ksmd_cpu_ns       INTEGER  ns       simulated ksmd CPU time over the run
 *   wall_seconds      REAL     s        wall-clock duration of the run */
#define KS_RESULTS_SQL_RUNS \
	"CREATE TABLE IF NOT EXISTS runs(" \
	" id INTEGER PRIMARY KEY," \
	" scenario TEXT NOT NULL," \
	" scenario_text TEXT," \
	" seed INTEGER NOT NULL," \
	" sim_version TEXT," \
	" arch TEXT," \
	" started_unix_ms INTEGER," \
	" finished_unix_ms INTEGER," \
	" status TEXT NOT NULL CHECK(status IN ('complete','interrupted','failed'))," \
	" sim_end_ns INTEGER," \
	" batches INTEGER," \
	" saved_bytes INTEGER," \
	" t90_ns INTEGER," \
	" ksmd_cpu_ns INTEGER," \
	" wall_seconds REAL);"

/* samples: /sys/kernel/mm/ksm counters at each metrics sample of a run (kernel names
 * and units: pages, except general_profit in bytes). t_ns: simulated ns; batch: ksmd
 * batches so far; ksmd_cpu_ns: simulated ksmd CPU ns so far; rmap_items: internal
 * ksm_rmap_items; cow_ksm: vmstat cow_ksm (events). */
#define KS_RESULTS_SAMPLES_COLUMNS \
	"t_ns, batch, full_scans, pages_scanned, pages_shared, pages_sharing," \
	" pages_unshared, pages_volatile, pages_skipped, stable_node_chains," \
	" stable_node_dups, ksm_zero_pages, general_profit, pages_to_scan, rmap_items," \
	" cow_ksm, ksmd_cpu_ns"
enum { KS_RESULTS_SAMPLES_NCOLUMNS = 17 }; /* columns above, run_id excluded */

#define KS_RESULTS_SQL_SAMPLES \
	"CREATE TABLE IF NOT EXISTS samples(" \
	" run_id INTEGER NOT NULL REFERENCES runs(id)," \
	" t_ns INTEGER NOT NULL," \
	" batch INTEGER NOT NULL," \
	" full_scans INTEGER NOT NULL," \
	" pages_scanned INTEGER NOT NULL," \
	" pages_shared INTEGER NOT NULL," \
	" pages_sharing INTEGER NOT NULL," \
	" pages_unshared INTEGER NOT NULL," \
	" pages_volatile INTEGER NOT NULL," \
	" pages_skipped INTEGER NOT NULL," \
	" stable_node_chains INTEGER NOT NULL," \
	" stable_node_dups INTEGER NOT NULL," \
	" ksm_zero_pages INTEGER NOT NULL," \
	" general_profit INTEGER NOT NULL," \
	" pages_to_scan INTEGER NOT NULL," \
	" rmap_items INTEGER NOT NULL," \
	" cow_ksm INTEGER NOT NULL," \
	" ksmd_cpu_ns INTEGER NOT NULL);" \
	"CREATE INDEX IF NOT EXISTS samples_run_t ON samples(run_id, t_ns);"

/* process_samples: /proc/PID/ksm_stat of every simulated process at each sample.
 * pid: simulated pid; process: "group/index"; ksm_rmap_items, ksm_zero_pages,
 * ksm_merging_pages: pages; ksm_process_profit: bytes; ksm_merge_any, ksm_mergeable:
 * 0/1. */
#define KS_RESULTS_PROCESS_SAMPLES_COLUMNS \
	"t_ns, pid, process, ksm_rmap_items, ksm_zero_pages, ksm_merging_pages," \
	" ksm_process_profit, ksm_merge_any, ksm_mergeable"

#define KS_RESULTS_SQL_PROCESS_SAMPLES \
	"CREATE TABLE IF NOT EXISTS process_samples(" \
	" run_id INTEGER NOT NULL REFERENCES runs(id)," \
	" t_ns INTEGER NOT NULL," \
	" pid INTEGER NOT NULL," \
	" process TEXT NOT NULL," \
	" ksm_rmap_items INTEGER NOT NULL," \
	" ksm_zero_pages INTEGER NOT NULL," \
	" ksm_merging_pages INTEGER NOT NULL," \
	" ksm_process_profit INTEGER NOT NULL," \
	" ksm_merge_any INTEGER NOT NULL," \
	" ksm_mergeable INTEGER NOT NULL);" \
	"CREATE INDEX IF NOT EXISTS process_samples_run_t" \
	" ON process_samples(run_id, t_ns);" \
	"CREATE INDEX IF NOT EXISTS process_samples_run_proc" \
	" ON process_samples(run_id, process, t_ns);"

/* Every schema fragment, in creation order (referenced tables first); NULL-terminated.
 * Later tables are appended here (see the top comment). */
static const char *const ks_results_schema_sql[] = {
	KS_RESULTS_SQL_RUNS,
	KS_RESULTS_SQL_SAMPLES,
	KS_RESULTS_SQL_PROCESS_SAMPLES,
	NULL
};

/* Tables every results database must have (checked by readers); NULL-terminated. */
static const char *const ks_results_required_tables[] = {
	KS_RESULTS_T_RUNS,
	KS_RESULTS_T_SAMPLES,
	KS_RESULTS_T_PROCESS_SAMPLES,
	NULL
};

/* Size of one page in bytes: saved memory = (pages_sharing + ksm_zero_pages) * this. */
enum { KS_RESULTS_PAGE_BYTES = 4096 };

#endif
