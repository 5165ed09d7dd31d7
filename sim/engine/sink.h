/* sink.h - where a run's results go: an ops table (SQLite in sim/results/sink_sqlite.c; tests
 * use an in-memory sink). All rows of one run are written in one transaction. */
#ifndef KS_SINK_H
#define KS_SINK_H

#include <stdint.h>

#include "models/base/simtime.h"
#include "models/base/status.h"
#include "models/ksm.h"

struct sqlite3; /* sqlite3.h's handle, opaque here */

struct ks_run_info {
	const char *scenario_name;
	const char *scenario_text;  /* full YAML as run (with --set applied) */
	uint64_t seed;
	const char *sim_version;
	const char *arch;
	int64_t started_unix_ms;    /* wall clock, ms since the epoch */
};

struct ks_sample {
	ks_time t;                  /* simulated ns */
	uint64_t batch;             /* ksmd batches so far */
	struct ks_ksm_stats st;
	uint64_t ksmd_cpu_ns;       /* simulated ksmd CPU time so far */
};

struct ks_proc_sample {
	ks_time t;
	uint32_t pid;               /* simulated pid */
	const char *process;        /* "group/index", e.g. "vm/3" */
	struct ks_proc_stats ps;
};

enum ks_run_status { KS_RUN_COMPLETE = 0, KS_RUN_INTERRUPTED, KS_RUN_FAILED };

struct ks_summary {
	enum ks_run_status status;
	int64_t finished_unix_ms;
	ks_time sim_end;            /* simulated ns at the end */
	uint64_t batches;
	struct ks_ksm_stats final;
	int64_t saved_bytes;        /* (pages_sharing + ksm_zero_pages) * 4096 */
	ks_time t90;                /* simulated ns to reach 90% of the final saving */
	uint64_t ksmd_cpu_ns;
	double wall_seconds;
};

struct ks_sink {
	int (*begin_run)(struct ks_sink *s, const struct ks_run_info *run, struct ks_err *err);
	int (*sample)(struct ks_sink *s, const struct ks_sample *smp, struct ks_err *err);
	int (*proc_sample)(struct ks_sink *s, const struct ks_proc_sample *ps, struct ks_err *err);
	/* Commits (status complete/interrupted) or, for failed, still commits what was
	 * sampled with status failed. Returns 0 or KS_ESQL with err set. */
	int (*end_run)(struct ks_sink *s, const struct ks_summary *sum, struct ks_err *err);
	void (*close)(struct ks_sink *s); /* frees s; rolls back an unfinished run */
	int64_t run_id;                   /* set by begin_run */
	/* Optional, set by the caller before end_run: called inside the run's transaction
	 * just before it commits, with the open database, so a run's extra tables (the cost
	 * tables) commit with it or not at all. Non-zero rolls the whole run back. */
	int (*before_commit)(void *ctx, struct sqlite3 *db, const char *path, int64_t run_id,
			     struct ks_err *err);
	void *before_commit_ctx;
};

/* Opens (creating if needed) a SQLite results database. NULL with err set on failure
 * ("out.db: unable to open database file"). */
struct ks_sink *ks_sink_sqlite_open(const char *path, struct ks_err *err);

#endif
