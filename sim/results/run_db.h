/* run_db.h - writes simulation runs into a results database (schema.h,
 * docs/results-schema.md): the runs row, its samples and process samples, its resolved
 * settings (run_params), its place in a sweep and, when a cost model priced the run,
 * its cost tables, all in one short transaction at the end of the run. */
#ifndef KS_RUN_DB_H
#define KS_RUN_DB_H

#include <stddef.h>
#include <stdint.h>

#include "models/base/status.h"
#include "models/vocab/knobs.h"
#include "sim/engine/cost_hooks.h"
#include "sim/engine/observer.h"

/* What the database says of a run besides its results. Strings are copied by begin. */
struct ks_run_info {
	const char *scenario_name;
	const char *scenario_text;  /* full YAML as run (with --set applied) */
	uint64_t seed;
	const char *sim_version;
	const char *arch;
	int64_t started_unix_ms;    /* wall clock, ms since the epoch */
	/* run_params (all optional: ksm NULL writes no run_params row) */
	const struct ks_ksm_params *ksm; /* knobs as the run starts */
	uint64_t duration_ns;       /* simulated duration asked for */
	uint64_t processes;         /* simulated processes */
	uint64_t pages;             /* their pages */
	/* sweep_runs (sweep_id 0: not part of a sweep) */
	int64_t sweep_id;
	unsigned point;             /* point of the sweep */
	const char *point_params;   /* its overrides, "key=value ..." */
	int64_t run_id;             /* the id set aside for the run (run_id_reservations);
				     * 0, or taken already: the next free id */
};

struct ks_run_db;

/* Opens (creating if needed, with its schema) a results database. NULL with err set:
 * KS_EIO "PATH: cannot open results database: ..." (missing directory, read-only file,
 * a directory), KS_ESQL (another schema version, not a results database). */
struct ks_run_db *ks_run_db_open(const char *path, struct ks_err *err);
/* Starts a run. Until end, the run is kept in a private temporary database: nothing of
 * it is in the file, and no lock on the file is held. KS_EBUSY if a run is still
 * open; KS_ESQL. */
int ks_run_db_begin(struct ks_run_db *d, const struct ks_run_info *run, struct ks_err *err);
/* One sample with its processes' samples. KS_EINVAL outside a run; KS_ESQL. */
int ks_run_db_sample(struct ks_run_db *d, const struct ks_sample *smp,
		     const struct ks_proc_sample *procs, size_t nprocs, struct ks_err *err);
/* The cost model whose tables end writes with the run (NULL: none); it must stay alive
 * until end. */
void ks_run_db_set_cost(struct ks_run_db *d, const struct ks_cost_model *cm);
/* Ends the run: in one transaction (waiting for other writers, up to
 * KS_RESULTS_BUSY_MS), the runs row with the summary and its status (complete,
 * interrupted or failed), its samples, run_params, sweep_runs and cost tables. On any
 * error nothing of the run is in the file. */
int ks_run_db_end(struct ks_run_db *d, const struct ks_summary *sum, struct ks_err *err);
/* The run id given by end (0 before). */
int64_t ks_run_db_run_id(const struct ks_run_db *d);
/* As an observer of the world: sample, and commit (= end). */
struct ks_observer ks_run_db_observer(struct ks_run_db *d);
/* Closes; a run begun and not ended is dropped. NULL: no-op. */
void ks_run_db_close(struct ks_run_db *d);

#endif
