/* results_schema.h - the SQLite results database: table and column names, CREATE
 * statements and the schema version kept in PRAGMA user_version. Shared by the writers
 * (sim/results/) and the readers (reports/). docs/results-schema.md documents every
 * column with its unit. Pure data: libc only, no sqlite3.h here.
 *
 * Adding a table (regress_*, bench, cost_*, ...):
 *   1. define KS_RESULTS_SQL_<NAME> below as one or more `CREATE TABLE IF NOT EXISTS`
 *      / `CREATE INDEX IF NOT EXISTS` statements (each ending in ';');
 *   2. append it to ks_results_schema_sql[] (before the NULL);
 *   3. document it in docs/results-schema.md.
 * Adding a column to an existing table: write it into the table's CREATE and list it in
 * ks_results_added_columns[]; older files gain it (ALTER TABLE ADD COLUMN, NULL in their
 * old rows). A view is a `CREATE VIEW name AS ...` in ks_results_views[]; a file whose
 * view text differs gets the new one. ks_results_schema_create() (db.h) does all of this
 * on each open for writing; none of it bumps the version. Changing the meaning of a
 * column, or removing one, DOES bump KS_RESULTS_SCHEMA_VERSION (older files are then
 * refused with a clear message). */
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
 *   wall_seconds      REAL     s        wall-clock duration of the run
 *   uid               TEXT     -        random 128-bit id (hex): the run's identity across
 *                                       merged databases (sim db merge)
 *   host              TEXT     -        host name of the machine that ran it
 *   t50_ns            INTEGER  ns       simulated time to 50% of the final saving (NULL:
 *                                       never, e.g. nothing saved)
 *   peak_saved_bytes  INTEGER  bytes    largest saving after any ksmd batch
 *   peak_t_ns         INTEGER  ns       simulated time it was first reached
 * The last five are added columns (ks_results_added_columns[]): NULL in runs written
 * before them. */
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
	" wall_seconds REAL," \
	" uid TEXT," \
	" host TEXT," \
	" t50_ns INTEGER," \
	" peak_saved_bytes INTEGER," \
	" peak_t_ns INTEGER);"

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

/* swap_samples: host memory and zram at each sample of a run whose scenario has `host:`
 * (docs/zram.md); none otherwise. Pages are 4 KiB; vmstat / mm_stat names.
 *   COLUMN            TYPE     UNIT     MEANING
 *   run_id, t_ns      as in samples
 *   resident_pages    INTEGER  pages    private anonymous pages + KSM frames
 *   limit_pages       INTEGER  pages    host.ram - host.kernel_reserved: the bound on
 *                                       resident_pages + mem_used_total / 4096
 *   swap_pages        INTEGER  pages    PTEs that are swap entries (KSM: one per mapper)
 *   swap_slots        INTEGER  count    zram slots in use (a KSM page: one for all)
 *   pswpout, pswpin   INTEGER  pages    written to / read from zram, so far
 *   swpout_zero, swpin_zero INTEGER pages zero-filled pages to / from the zeromap
 *   swapin_shared     INTEGER  pages    faults served by a slot read already (swap cache)
 *   ksm_swpout        INTEGER  pages    KSM pages swapped out (in pswpout once each)
 *   ksm_referenced    INTEGER  count    KSM pages reclaim passed over: another mapper
 *                                       used them later than the LRU entry chosen
 *   reclaim_short     INTEGER  count    reclaims that ran out of pages over the limit
 *   orig_data_size, compr_data_size, mem_used_total, mem_used_max
 *                     INTEGER  bytes    /sys/block/zram0/mm_stat
 *   same_pages, huge_pages INTEGER pages mm_stat */
#define KS_RESULTS_SWAP_SAMPLES_COLUMNS \
	"t_ns, resident_pages, limit_pages, swap_pages, swap_slots, pswpout, pswpin," \
	" swpout_zero, swpin_zero, swapin_shared, ksm_swpout, ksm_referenced," \
	" reclaim_short," \
	" orig_data_size, compr_data_size, mem_used_total, mem_used_max, same_pages," \
	" huge_pages"
enum { KS_RESULTS_SWAP_SAMPLES_NCOLUMNS = 19 };
#define KS_RESULTS_SQL_SWAP_SAMPLES \
	"CREATE TABLE IF NOT EXISTS swap_samples(" \
	" run_id INTEGER NOT NULL REFERENCES runs(id)," \
	" t_ns INTEGER NOT NULL, resident_pages INTEGER NOT NULL," \
	" limit_pages INTEGER NOT NULL, swap_pages INTEGER NOT NULL," \
	" swap_slots INTEGER NOT NULL, pswpout INTEGER NOT NULL, pswpin INTEGER NOT NULL," \
	" swpout_zero INTEGER NOT NULL, swpin_zero INTEGER NOT NULL," \
	" swapin_shared INTEGER NOT NULL, ksm_swpout INTEGER NOT NULL," \
	" ksm_referenced INTEGER NOT NULL," \
	" reclaim_short INTEGER NOT NULL, orig_data_size INTEGER NOT NULL," \
	" compr_data_size INTEGER NOT NULL, mem_used_total INTEGER NOT NULL," \
	" mem_used_max INTEGER NOT NULL, same_pages INTEGER NOT NULL," \
	" huge_pages INTEGER NOT NULL);" \
	"CREATE INDEX IF NOT EXISTS swap_samples_run_t ON swap_samples(run_id, t_ns);"

/* swap_paths: the zsmalloc work of a run's swap traffic, priced under each object
 * mapping path (docs/zsmalloc.md) with the prices of host.zram.costs; one row per path.
 *   COLUMN            TYPE     UNIT     MEANING
 *   run_id            INTEGER  -        runs.id
 *   path              TEXT     -        copy | pgtable | xor | xor-norestore | obj-api
 *   out_ops, in_ops   INTEGER  count    object accesses of swap-outs (write) / swap-ins
 *   out_spanning, in_spanning INTEGER count ... of objects straddling two pages
 *   out_ns, in_ns     REAL     ns       their price (beyond compressing and copying the
 *                                       page itself, which no path avoids) */
#define KS_RESULTS_SQL_SWAP_PATHS \
	"CREATE TABLE IF NOT EXISTS swap_paths(" \
	" run_id INTEGER NOT NULL REFERENCES runs(id), path TEXT NOT NULL," \
	" out_ops INTEGER NOT NULL, out_spanning INTEGER NOT NULL, out_ns REAL NOT NULL," \
	" in_ops INTEGER NOT NULL, in_spanning INTEGER NOT NULL, in_ns REAL NOT NULL);"

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

/* cost_provenance: where each number of the run's arch model comes from, one row per
 * cost entry as the file gave it (arch-models/NAME.yaml, docs/cost-models.md). key:
 * "compare", "checksum.xxhash64", "reads.page", ...; provenance: measured | cited |
 * derived | fitted | estimate; source: the entry's `source:` text. Written with the
 * other cost tables (runs with an arch model read from a file). */
#define KS_RESULTS_SQL_COST_PROVENANCE \
	"CREATE TABLE IF NOT EXISTS cost_provenance(" \
	" run_id INTEGER NOT NULL REFERENCES runs(id)," \
	" key TEXT NOT NULL," \
	" provenance TEXT NOT NULL CHECK(provenance IN" \
	"  ('measured','cited','derived','fitted','estimate'))," \
	" source TEXT NOT NULL);"

/* reads: the readers' time of a run whose workload reads (read records; models/reads.h,
 * docs/cost-models.md "Reads"), one row per run.
 *   COLUMN               TYPE     UNIT   MEANING
 *   run_id               INTEGER  -      the run
 *   variant              TEXT     -      how KSM treated empty pages while ksmd ran:
 *                                        no-ksm (no ksmd batch: run never 1), ksm-merge
 *                                        (every batch with use_zero_pages 0: empty pages
 *                                        merged into KSM pages, as every kernel before 4.11
 *                                        and the 2009 algorithm), ksm-zero-pages (every
 *                                        batch with use_zero_pages 1: ZERO_PAGE(addr)),
 *                                        mixed (ksm_changes or a trace changed
 *                                        use_zero_pages between batches)
 *   zero_page_colours    INTEGER  pages  the kernel's zero pages
 *   cache_colours        INTEGER  -      the arch's cache synonym colours
 *   pages                INTEGER  pages  pages read
 *   ns                   INTEGER  ns     readers' time, pages backed as the KSM model had them
 *   ns_noksm             INTEGER  ns     the same reads without KSM (written pages private,
 *                                        untouched ones the read fault's ZERO_PAGE(vaddr))
 *   synonym_pages        INTEGER  pages  reads that were cache synonyms, with KSM
 *   synonym_pages_noksm  INTEGER  pages  ... and without
 *   private_pages, ksm_pages, zero_pages  INTEGER pages  reads by what backed them, with KSM
 * Files written before `mixed` existed get the table rebuilt with it (db.c), rows kept.
 * read_samples: at each sample point of such a run (from its first read on): pages read,
 * readers' time with KSM (ns) and without (ns_noksm) so far.
 * read_procs: the same totals per process that read (its read records), one row each:
 *   run_id, pid (simulated), process ("group/index"), pages, ns, ns_noksm, synonym_pages,
 *   synonym_pages_noksm, private_pages, ksm_pages, zero_pages (as in reads); the rows of
 *   a run add up to its reads row. */
#define KS_RESULTS_SQL_READS_COLUMNS(name) \
	"CREATE TABLE " name "(" \
	" run_id INTEGER PRIMARY KEY REFERENCES runs(id)," \
	" variant TEXT NOT NULL" \
	"  CHECK(variant IN ('no-ksm','ksm-merge','ksm-zero-pages','mixed'))," \
	" zero_page_colours INTEGER NOT NULL, cache_colours INTEGER NOT NULL," \
	" pages INTEGER NOT NULL, ns INTEGER NOT NULL, ns_noksm INTEGER NOT NULL," \
	" synonym_pages INTEGER NOT NULL, synonym_pages_noksm INTEGER NOT NULL," \
	" private_pages INTEGER NOT NULL, ksm_pages INTEGER NOT NULL," \
	" zero_pages INTEGER NOT NULL);"
/* A file's reads table without the variant 'mixed' is rebuilt with this (db.c). */
#define KS_RESULTS_SQL_READS_REBUILD \
	KS_RESULTS_SQL_READS_COLUMNS("reads_new") \
	"INSERT INTO reads_new SELECT * FROM reads;" \
	"DROP TABLE reads;" \
	"ALTER TABLE reads_new RENAME TO reads;"
#define KS_RESULTS_SQL_READS \
	KS_RESULTS_SQL_READS_COLUMNS("IF NOT EXISTS reads") \
	"CREATE TABLE IF NOT EXISTS read_samples(" \
	" run_id INTEGER NOT NULL REFERENCES runs(id)," \
	" t_ns INTEGER NOT NULL, pages INTEGER NOT NULL, ns INTEGER NOT NULL," \
	" ns_noksm INTEGER NOT NULL);" \
	"CREATE INDEX IF NOT EXISTS read_samples_run_t ON read_samples(run_id, t_ns);" \
	"CREATE TABLE IF NOT EXISTS read_procs(" \
	" run_id INTEGER NOT NULL REFERENCES runs(id)," \
	" pid INTEGER NOT NULL, process TEXT NOT NULL," \
	" pages INTEGER NOT NULL, ns INTEGER NOT NULL, ns_noksm INTEGER NOT NULL," \
	" synonym_pages INTEGER NOT NULL, synonym_pages_noksm INTEGER NOT NULL," \
	" private_pages INTEGER NOT NULL, ksm_pages INTEGER NOT NULL," \
	" zero_pages INTEGER NOT NULL);" \
	"CREATE INDEX IF NOT EXISTS read_procs_run ON read_procs(run_id);"

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

/* sweeps: one row per sweep (sim sweep; the shards of one distributed sweep are one row
 * once merged).
 *   COLUMN            TYPE     UNIT  MEANING
 *   id                INTEGER  -     rowid
 *   scenario          TEXT     -     scenario name
 *   vary              TEXT     -     the varied keys, separated by spaces
 *   seeds             INTEGER  runs  seeds per point
 *   started_unix_ms   INTEGER  ms    wall clock when it started
 *   uid               TEXT     -     its identity: a hash of the sweep's definition, plus a
 *                                    unique suffix for a whole sweep run at once (the
 *                                    shards of one plan share it; sim db merge joins them)
 *   points            INTEGER  -     points in the plan
 *   base_seed         INTEGER  -     seed of the first run of each point (then +1, ...)
 *   sets              TEXT     -     the fixed --set overrides, separated by spaces
 * sweep_runs: which run is which point (point index, its overrides "key=value ...",
 * seed); written in the run's own transaction.
 * sweep_points: the plan, one row per point and varied key: k is the key's position on
 * the command line (0 first), value its value with NUMERIC affinity (100 is an
 * integer, 0.5 a real, 1GiB or xxhash64 text). */
#define KS_RESULTS_SQL_SWEEP \
	"CREATE TABLE IF NOT EXISTS sweeps(" \
	" id INTEGER PRIMARY KEY, scenario TEXT NOT NULL, vary TEXT NOT NULL," \
	" seeds INTEGER NOT NULL, started_unix_ms INTEGER, uid TEXT, points INTEGER," \
	" base_seed INTEGER, sets TEXT);" \
	"CREATE TABLE IF NOT EXISTS sweep_runs(" \
	" sweep_id INTEGER NOT NULL REFERENCES sweeps(id)," \
	" run_id INTEGER NOT NULL REFERENCES runs(id)," \
	" point INTEGER NOT NULL, params TEXT NOT NULL, seed INTEGER NOT NULL);" \
	"CREATE INDEX IF NOT EXISTS sweep_runs_point ON sweep_runs(sweep_id, point);" \
	"CREATE INDEX IF NOT EXISTS sweep_runs_run ON sweep_runs(run_id);" \
	"CREATE TABLE IF NOT EXISTS sweep_points(" \
	" sweep_id INTEGER NOT NULL REFERENCES sweeps(id)," \
	" point INTEGER NOT NULL, k INTEGER NOT NULL, key TEXT NOT NULL, value NUMERIC," \
	" PRIMARY KEY(sweep_id, point, k));"

/* run_params: the resolved settings of a run, one typed column each (docs/scenario.md
 * names them): the KSM knobs as the run started (ksm_changes may change them later),
 * seed, arch, simulated duration (ns), processes and their pages. Enums are text:
 * advisor_mode none|scan-time, checksum as in ksm.checksum, cmp_order v6.11|pre-v6.11,
 * algorithm linux-6.18|2009. Booleans are 0/1. */
#define KS_RESULTS_SQL_RUN_PARAMS \
	"CREATE TABLE IF NOT EXISTS run_params(" \
	" run_id INTEGER PRIMARY KEY REFERENCES runs(id)," \
	" seed INTEGER, arch TEXT, duration_ns INTEGER, processes INTEGER, pages INTEGER," \
	" run INTEGER, pages_to_scan INTEGER, sleep_millisecs INTEGER," \
	" max_page_sharing INTEGER, use_zero_pages INTEGER, merge_across_nodes INTEGER," \
	" smart_scan INTEGER, stable_node_chains_prune_millisecs INTEGER," \
	" advisor_mode TEXT, advisor_max_cpu INTEGER, advisor_min_pages_to_scan INTEGER," \
	" advisor_max_pages_to_scan INTEGER, advisor_target_scan_time INTEGER," \
	" checksum TEXT, hz INTEGER, cmp_order TEXT, stable_before_checksum INTEGER," \
	" zero_page_after_stable INTEGER, zero_page_colours INTEGER, algorithm TEXT);"

/* run_sources: provenance of merged runs (sim db merge): the database file a run came
 * from, its id there, and when it was merged (ms since the epoch). A run merged twice
 * keeps its first origin. */
#define KS_RESULTS_SQL_RUN_SOURCES \
	"CREATE TABLE IF NOT EXISTS run_sources(" \
	" run_id INTEGER PRIMARY KEY REFERENCES runs(id)," \
	" source_db TEXT NOT NULL, source_run_id INTEGER NOT NULL," \
	" merged_unix_ms INTEGER);"

/* run_id_reservations: run ids a sweep has set aside for its tasks while it runs, so
 * that task k of the sweep's tasks to run gets id first_id + k whichever run ends first
 * (sim sweep -j N gives the serial sweep's ids). Every writer gives a run without a
 * reserved id the next id past both runs and these rows; the sweep deletes its row when
 * it ends (a row left by a sweep that was killed only leaves its ids unused). Not merged.
 *   COLUMN     TYPE     UNIT  MEANING
 *   first_id, last_id INTEGER -  the reserved ids, inclusive
 *   sweep_id   INTEGER  -     sweeps.id of the sweep that holds them
 *   pid        INTEGER  -     its process id, on host (for a reader wondering why) */
#define KS_RESULTS_SQL_RUN_ID_RESERVATIONS \
	"CREATE TABLE IF NOT EXISTS run_id_reservations(first_id INTEGER NOT NULL," \
	" last_id INTEGER NOT NULL, sweep_id INTEGER, pid INTEGER, host TEXT);"

/* t_quantiles: the 0.975 quantile of Student's t distribution for df = 1..1000
 * (gsl_cdf_tdist_Pinv), written on creation so that v_sweep's 95% confidence intervals
 * work in any SQLite client; v_sweep uses df 1000 beyond it (t 1.9623 against the
 * normal 1.9600). */
enum { KS_RESULTS_T_QUANTILES_MAX_DF = 1000 };
#define KS_RESULTS_SQL_T_QUANTILES \
	"CREATE TABLE IF NOT EXISTS t_quantiles(df INTEGER PRIMARY KEY, t975 REAL NOT NULL);"

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
	" bytes_per_page REAL," \
	" ksmd_cpu_seconds REAL," \
	" cpu_seconds REAL," \
	" wall_per_ksmd REAL," \
	" cpu_per_ksmd REAL," \
	" load1 REAL," \
	" repeat INTEGER);"

/* bench_sweep: `sim bench --sweep` (make bench): one row per repeat of the same sweep
 * run serially and with -j N, side by side.
 *   COLUMN           TYPE     UNIT   MEANING
 *   id               INTEGER  -      rowid
 *   started_unix_ms  INTEGER  ms     wall clock at the start of the repeat
 *   sim_version, host TEXT    -      who measured where
 *   cpus             INTEGER  count  online CPUs
 *   load1            REAL     -      1-minute load average when the repeat started
 *   scenario, sets, vary TEXT -      the sweep (its --set and --vary arguments)
 *   points, seeds, jobs INTEGER -    its size and the parallel run's -j
 *   repeat           INTEGER  -      1, 2, ... within one `sim bench --sweep`
 *   serial_s, parallel_s REAL s      wall time of `sim sweep` with -j 1 and with -j N
 *   ratio            REAL     -      parallel_s / serial_s
 *   html_bytes       INTEGER  bytes  size of `sim report --html` of the sweep (NULL: not
 *                                    measured in this repeat)
 *   serial_cpu_s, parallel_cpu_s REAL s  user + system CPU time of each `sim sweep`, its
 *                                    workers included
 *   serial_others_s, parallel_others_s REAL s  CPU time the whole machine spent during
 *                                    each beyond the sweep's own (/proc/stat; NULL
 *                                    where there is none)
 * The last four are added columns (NULL in rows written before them). */
#define KS_RESULTS_SQL_BENCH_SWEEP \
	"CREATE TABLE IF NOT EXISTS bench_sweep(id INTEGER PRIMARY KEY," \
	" started_unix_ms INTEGER, sim_version TEXT, host TEXT, cpus INTEGER, load1 REAL," \
	" scenario TEXT, sets TEXT, vary TEXT, points INTEGER, seeds INTEGER, jobs INTEGER," \
	" repeat INTEGER, serial_s REAL, parallel_s REAL, ratio REAL, html_bytes INTEGER," \
	" serial_cpu_s REAL, parallel_cpu_s REAL, serial_others_s REAL," \
	" parallel_others_s REAL);"

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
	KS_RESULTS_SQL_COST_PROVENANCE,
	KS_RESULTS_SQL_READS,
	KS_RESULTS_SQL_REGRESS,
	KS_RESULTS_SQL_SWEEP,
	KS_RESULTS_SQL_BENCH,
	KS_RESULTS_SQL_RUN_PARAMS,
	KS_RESULTS_SQL_RUN_SOURCES,
	KS_RESULTS_SQL_T_QUANTILES,
	KS_RESULTS_SQL_BENCH_SWEEP,
	KS_RESULTS_SQL_SWAP_SAMPLES,
	KS_RESULTS_SQL_SWAP_PATHS,
	KS_RESULTS_SQL_RUN_ID_RESERVATIONS,
	"CREATE UNIQUE INDEX IF NOT EXISTS runs_uid ON runs(uid);",
	NULL
};

/* Columns added to existing tables after their first release: a file without one gains
 * it (NULL in its old rows). Each is also in its table's CREATE above. */
struct ks_results_column {
	const char *table, *column, *decl;
};
static const struct ks_results_column ks_results_added_columns[] = {
	{ "runs", "uid", "TEXT" },
	{ "runs", "host", "TEXT" },
	{ "runs", "t50_ns", "INTEGER" },
	{ "runs", "peak_saved_bytes", "INTEGER" },
	{ "runs", "peak_t_ns", "INTEGER" },
	{ "sweeps", "uid", "TEXT" },
	{ "sweeps", "points", "INTEGER" },
	{ "sweeps", "base_seed", "INTEGER" },
	{ "sweeps", "sets", "TEXT" },
	{ "bench", "ksmd_cpu_seconds", "REAL" },
	{ "bench", "cpu_seconds", "REAL" },
	{ "bench", "wall_per_ksmd", "REAL" },
	{ "bench", "cpu_per_ksmd", "REAL" },
	{ "bench", "load1", "REAL" },
	{ "bench", "repeat", "INTEGER" },
	{ "bench_sweep", "serial_cpu_s", "REAL" },
	{ "bench_sweep", "parallel_cpu_s", "REAL" },
	{ "bench_sweep", "serial_others_s", "REAL" },
	{ "bench_sweep", "parallel_others_s", "REAL" },
	{ NULL, NULL, NULL }
};

/* Views, for any SQLite client (docs/results-schema.md has every column and unit).
 * v_metrics: the metrics of v_run_summary that v_sweep aggregates, with unit and meaning.
 * v_run_summary: one row per run; NULL where a figure does not exist (never reached, a
 * run written before the column).
 * v_sweep_metrics: one row per complete sweep run and metric.
 * v_sweep: per sweep, point and metric over the point's complete runs: runs, n (runs
 * where the metric exists), mean, sample sd, the 95% confidence interval of the mean
 * from Student's t (t_quantiles), min, max; x_key/x and series_key/series are the
 * first and second varied keys and their values (NULL if the sweep has fewer). */
#define KS_RESULTS_SQL_V_METRICS \
	"CREATE VIEW v_metrics(metric, unit, description) AS VALUES" \
	" ('saved_mib', 'MiB', 'memory saved at the end: (pages_sharing + ksm_zero_pages) x 4 KiB')," \
	" ('peak_saved_mib', 'MiB', 'largest saving after any ksmd batch')," \
	" ('t50_s', 's', 'simulated time to 50% of the final saving (NULL: never)')," \
	" ('t90_s', 's', 'simulated time to 90% of the final saving (NULL: never)')," \
	" ('ksmd_cpu_pct', '%', 'ksmd CPU time over simulated time')," \
	" ('full_scans', 'scans', 'full scans completed by the end')"

#define KS_RESULTS_SQL_V_RUN_SUMMARY \
	"CREATE VIEW v_run_summary AS SELECT r.id AS run_id, r.scenario, r.seed, r.status," \
	" r.arch, r.sim_end_ns / 1e9 AS sim_s, r.batches," \
	" r.saved_bytes / 1048576.0 AS saved_mib," \
	" r.peak_saved_bytes / 1048576.0 AS peak_saved_mib, r.peak_t_ns / 1e9 AS peak_s," \
	" r.t50_ns / 1e9 AS t50_s, r.t90_ns / 1e9 AS t90_s," \
	" r.ksmd_cpu_ns / 1e9 AS ksmd_cpu_s," \
	" 100.0 * r.ksmd_cpu_ns / nullif(r.sim_end_ns, 0) AS ksmd_cpu_pct," \
	" (SELECT s.full_scans FROM samples s WHERE s.run_id = r.id" \
	"  ORDER BY s.t_ns DESC, s.rowid DESC LIMIT 1) AS full_scans," \
	" (SELECT s.general_profit / 1048576.0 FROM samples s WHERE s.run_id = r.id" \
	"  ORDER BY s.t_ns DESC, s.rowid DESC LIMIT 1) AS general_profit_mib," \
	" r.wall_seconds FROM runs r"

#define KS_RESULTS_SQL_V_SWEEP_METRICS \
	"CREATE VIEW v_sweep_metrics AS SELECT w.sweep_id, w.point, w.run_id, w.seed," \
	" m.metric, CASE m.metric WHEN 'saved_mib' THEN s.saved_mib" \
	" WHEN 'peak_saved_mib' THEN s.peak_saved_mib WHEN 't50_s' THEN s.t50_s" \
	" WHEN 't90_s' THEN s.t90_s WHEN 'ksmd_cpu_pct' THEN s.ksmd_cpu_pct" \
	" WHEN 'full_scans' THEN s.full_scans END AS value" \
	" FROM sweep_runs w JOIN v_run_summary s ON s.run_id = w.run_id" \
	" CROSS JOIN v_metrics m WHERE s.status = 'complete'"

#define KS_RESULTS_SQL_V_SWEEP \
	"CREATE VIEW v_sweep AS WITH m AS (SELECT * FROM v_sweep_metrics)," \
	" a AS (SELECT sweep_id, point, metric, count(*) AS runs, count(value) AS n," \
	"  avg(value) AS mean, min(value) AS min, max(value) AS max FROM m" \
	"  GROUP BY sweep_id, point, metric)," \
	" d AS (SELECT a.*, CASE WHEN a.n > 1 THEN" \
	"  sqrt(sum((m.value - a.mean) * (m.value - a.mean)) / (a.n - 1)) END AS sd" \
	"  FROM a LEFT JOIN m ON m.sweep_id = a.sweep_id AND m.point = a.point" \
	"  AND m.metric = a.metric AND m.value IS NOT NULL" \
	"  GROUP BY a.sweep_id, a.point, a.metric)," \
	" c AS (SELECT d.*, d.sd / sqrt(d.n) * q.t975 AS ci95 FROM d" \
	"  LEFT JOIN t_quantiles q ON q.df = min(d.n - 1, 1000))" \
	" SELECT c.sweep_id, c.point," \
	" (SELECT params FROM sweep_runs r WHERE r.sweep_id = c.sweep_id" \
	"  AND r.point = c.point LIMIT 1) AS params," \
	" x.key AS x_key, x.value AS x, y.key AS series_key, y.value AS series," \
	" c.metric, v.unit, c.runs, c.n, c.mean, c.sd, c.ci95," \
	" c.mean - c.ci95 AS ci95_lo, c.mean + c.ci95 AS ci95_hi, c.min, c.max" \
	" FROM c JOIN v_metrics v ON v.metric = c.metric" \
	" LEFT JOIN sweep_points x ON x.sweep_id = c.sweep_id AND x.point = c.point" \
	"  AND x.k = 0" \
	" LEFT JOIN sweep_points y ON y.sweep_id = c.sweep_id AND y.point = c.point" \
	"  AND y.k = 1"

/* Every view as {name, CREATE VIEW statement}, dependencies first; NULL-terminated. */
struct ks_results_view {
	const char *name, *sql;
};
static const struct ks_results_view ks_results_views[] = {
	{ "v_metrics", KS_RESULTS_SQL_V_METRICS },
	{ "v_run_summary", KS_RESULTS_SQL_V_RUN_SUMMARY },
	{ "v_sweep_metrics", KS_RESULTS_SQL_V_SWEEP_METRICS },
	{ "v_sweep", KS_RESULTS_SQL_V_SWEEP },
	{ NULL, NULL }
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
