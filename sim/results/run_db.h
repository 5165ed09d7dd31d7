/* run_db.h - writes simulation runs into a results database (schema.h,
 * docs/results-schema.md): the runs row, its samples and process samples, and, when a
 * cost model priced the run, its cost tables, all in one transaction per run. */
#ifndef KS_RUN_DB_H
#define KS_RUN_DB_H

#include <stddef.h>
#include <stdint.h>

#include "models/base/status.h"
#include "sim/engine/cost_hooks.h"
#include "sim/engine/observer.h"

/* What the runs row says of a run before it starts. */
struct ks_run_info {
	const char *scenario_name;
	const char *scenario_text;  /* full YAML as run (with --set applied) */
	uint64_t seed;
	const char *sim_version;
	const char *arch;
	int64_t started_unix_ms;    /* wall clock, ms since the epoch */
};

struct ks_run_db;

/* Opens (creating if needed, with its schema) a results database. NULL with err set:
 * KS_EIO "PATH: cannot open results database: ..." (missing directory, read-only file,
 * a directory), KS_ESQL (another schema version, not a results database). */
struct ks_run_db *ks_run_db_open(const char *path, struct ks_err *err);
/* Starts a run: opens its transaction and inserts its runs row (status 'failed' until
 * end). KS_EBUSY if a run is still open; KS_ESQL. */
int ks_run_db_begin(struct ks_run_db *d, const struct ks_run_info *run, struct ks_err *err);
/* One sample with its processes' samples. KS_EINVAL outside a run; KS_ESQL. */
int ks_run_db_sample(struct ks_run_db *d, const struct ks_sample *smp,
		     const struct ks_proc_sample *procs, size_t nprocs, struct ks_err *err);
/* The cost model whose tables end writes with the run (NULL: none); it must stay alive
 * until end. */
void ks_run_db_set_cost(struct ks_run_db *d, const struct ks_cost_model *cm);
/* Ends the run: the summary into its runs row (status complete, interrupted or failed),
 * the cost tables, then COMMIT. On any error the whole run is rolled back. */
int ks_run_db_end(struct ks_run_db *d, const struct ks_summary *sum, struct ks_err *err);
/* The run id given by begin. */
int64_t ks_run_db_run_id(const struct ks_run_db *d);
/* As an observer of the world: sample, and commit (= end). */
struct ks_observer ks_run_db_observer(struct ks_run_db *d);
/* Closes; a run begun and not ended is rolled back. NULL: no-op. */
void ks_run_db_close(struct ks_run_db *d);

#endif
