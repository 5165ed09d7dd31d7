/* results_schema.h - the SQLite results database: table and column names, CREATE
 * statements and the schema version kept in PRAGMA user_version. Shared by the writer
 * (sim/results/sink_sqlite.c) and the readers (reports/). docs/results-schema.md documents
 * every column with its unit. Pure data: libc only, no sqlite3.h here.
 *
 * Adding a table (regress_*, bench, cost_*, ...):
 *   1. define KS_RESULTS_SQL_<NAME> below as one or more `CREATE TABLE IF NOT EXISTS`
 *      / `CREATE INDEX IF NOT EXISTS` statements (each ending in ';');
 *   2. append it to ks_results_schema_sql[] (before the NULL);
 *   3. document it in docs/results-schema.md.
 * ks_results_schema_create() (db.h) runs every entry on each open for
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

/* cost_components: ksmd CPU time of a run by profiler component (cost models; see
 * docs/cost-models.md). component: compare | checksum | tree | merge | other; ns: simulated
 * ksmd CPU ns; share: fraction of the run's total (0..1). */
#define KS_RESULTS_SQL_COST_COMPONENTS \
	"CREATE TABLE IF NOT EXISTS cost_components(" \
	" run_id INTEGER NOT NULL REFERENCES runs(id)," \
	" component TEXT NOT NULL," \
	" ns INTEGER NOT NULL," \
	" share REAL NOT NULL);"

/* cost_batches: every ksmd batch of a run as priced. batch: 1-based; t_end_ns: simulated
 * end of the batch; ns: its ksmd CPU ns (= duration; the next batch starts after it plus
 * the sleep); pages: pages handed to cmp_and_merge_page. Utilisation over time is
 * sum(ns) / elapsed over any window. */
#define KS_RESULTS_SQL_COST_BATCHES \
	"CREATE TABLE IF NOT EXISTS cost_batches(" \
	" run_id INTEGER NOT NULL REFERENCES runs(id)," \
	" batch INTEGER NOT NULL," \
	" t_end_ns INTEGER NOT NULL," \
	" ns INTEGER NOT NULL," \
	" pages INTEGER NOT NULL);" \
	"CREATE INDEX IF NOT EXISTS cost_batches_run ON cost_batches(run_id, batch);"

/* latency_hist: cmp_and_merge_page() latency per page kind (anon | ksm) in power-of-two
 * buckets [bucket_lo_ns, bucket_hi_ns); count: calls. Only non-empty buckets. */
#define KS_RESULTS_SQL_LATENCY_HIST \
	"CREATE TABLE IF NOT EXISTS latency_hist(" \
	" run_id INTEGER NOT NULL REFERENCES runs(id)," \
	" page_kind TEXT NOT NULL CHECK(page_kind IN ('anon','ksm'))," \
	" bucket_lo_ns INTEGER NOT NULL," \
	" bucket_hi_ns INTEGER NOT NULL," \
	" count INTEGER NOT NULL);"

/* cost_merge_windows: per simulated pid, the simulated ns of its first and last
 * successful merge event (merge_one_page / merge_with_ksm_page, err 0) and their count. */
#define KS_RESULTS_SQL_COST_MERGE_WINDOWS \
	"CREATE TABLE IF NOT EXISTS cost_merge_windows(" \
	" run_id INTEGER NOT NULL REFERENCES runs(id)," \
	" pid INTEGER NOT NULL," \
	" first_ns INTEGER NOT NULL," \
	" last_ns INTEGER NOT NULL," \
	" merges INTEGER NOT NULL);"

/* regress_runs: one row per kernel trace compared by `sim regress` (docs/kernel-traces.md).
 *   COLUMN          TYPE     UNIT   MEANING
 *   id              INTEGER  -      rowid
 *   trace           TEXT     -      kernel trace directory
 *   kernel          TEXT     -      kernel release it was recorded on (meta.yaml)
 *   scenario        TEXT     -      scenario name
 *   workload        TEXT     -      static | timed | racy (racy: compared with tolerance)
 *   kernel_batches  INTEGER  count  batches in the trace
 *   sim_batches     INTEGER  count  batches the simulator ran
 *   result          TEXT     -      match | within_tolerance | diverged
 *   first_batch     INTEGER  -      first divergent batch (NULL: none)
 *   first_counter   TEXT     -      its counter
 *   first_kernel    INTEGER  -      kernel value there
 *   first_sim       INTEGER  -      simulated value there
 *   tolerance       REAL     ratio  accepted relative error (racy workloads)
 *   run_unix_ms     INTEGER  ms     wall clock of the comparison */
#define KS_RESULTS_SQL_REGRESS \
	"CREATE TABLE IF NOT EXISTS regress_runs(" \
	" id INTEGER PRIMARY KEY, trace TEXT NOT NULL, kernel TEXT, scenario TEXT," \
	" workload TEXT, kernel_batches INTEGER, sim_batches INTEGER," \
	" result TEXT NOT NULL CHECK(result IN ('match','within_tolerance','diverged'))," \
	" first_batch INTEGER, first_counter TEXT, first_kernel INTEGER, first_sim INTEGER," \
	" tolerance REAL, run_unix_ms INTEGER);" \
	"CREATE TABLE IF NOT EXISTS regress_batches(" \
	" regress_id INTEGER NOT NULL REFERENCES regress_runs(id)," \
	" batch INTEGER NOT NULL, counter TEXT NOT NULL," \
	" kernel INTEGER, sim INTEGER);" \
	"CREATE INDEX IF NOT EXISTS regress_batches_id ON regress_batches(regress_id, batch);"
/* regress_batches: every compared value: (regress_id, batch, counter, kernel, sim);
 * counter is a sysfs counter name, "pidN.<ksm_stat field>", "merged_pages" (the sizes of
 * the sets of pages that merged in the batch) or "merges.pidN" (successful
 * merge tracepoints of process N in that batch); a missing side is NULL. */

/* sweeps: one row per `sim sweep` (scenario, the varied keys separated by spaces, seeds
 * per point, wall-clock start in ms); sweep_runs: which run is which point (point index,
 * its overrides "key=value ...", seed). */
#define KS_RESULTS_SQL_SWEEP \
	"CREATE TABLE IF NOT EXISTS sweeps(" \
	" id INTEGER PRIMARY KEY, scenario TEXT NOT NULL, vary TEXT NOT NULL," \
	" seeds INTEGER NOT NULL, started_unix_ms INTEGER);" \
	"CREATE TABLE IF NOT EXISTS sweep_runs(" \
	" sweep_id INTEGER NOT NULL REFERENCES sweeps(id)," \
	" run_id INTEGER NOT NULL REFERENCES runs(id)," \
	" point INTEGER NOT NULL, params TEXT NOT NULL, seed INTEGER NOT NULL);"

/* bench: `make bench` / `sim bench` figures, one row per scenario run (see
 * sim/results/bench.h for each column's meaning and unit). */
#define KS_RESULTS_SQL_BENCH \
	"CREATE TABLE IF NOT EXISTS bench (" \
	" id INTEGER PRIMARY KEY," \
	" scenario TEXT NOT NULL," \
	" sim_version TEXT," \
	" started_unix_ms INTEGER," \
	" sim_pages INTEGER," \
	" pages_scanned INTEGER," \
	" full_scans INTEGER," \
	" sim_seconds REAL," \
	" wall_seconds REAL," \
	" pages_per_second REAL," \
	" peak_rss_bytes INTEGER," \
	" bytes_per_page REAL);"

/* Every schema fragment, in creation order (referenced tables first); NULL-terminated.
 * Later tables are appended here (see the top comment). */
static const char *const ks_results_schema_sql[] = {
	KS_RESULTS_SQL_RUNS,
	KS_RESULTS_SQL_SAMPLES,
	KS_RESULTS_SQL_PROCESS_SAMPLES,
	KS_RESULTS_SQL_COST_COMPONENTS,
	KS_RESULTS_SQL_COST_BATCHES,
	KS_RESULTS_SQL_LATENCY_HIST,
	KS_RESULTS_SQL_COST_MERGE_WINDOWS,
	KS_RESULTS_SQL_REGRESS,
	KS_RESULTS_SQL_SWEEP,
	KS_RESULTS_SQL_BENCH,
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
