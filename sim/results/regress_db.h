/* regress_db.h - stores `sim regress` comparisons in a results database (tables
 * regress_runs and regress_batches, sim/results/schema.h). SQLite stays here. */
#ifndef KS_REGRESS_DB_H
#define KS_REGRESS_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "models/base/status.h"

/* One compared value: a counter of one batch, kernel side and simulated side. */
struct ks_regress_value {
	uint64_t batch;          /* ksmd batch, 1-based */
	const char *counter;     /* counter name, e.g. "pages_sharing" or "pid2.ksm_rmap_items" */
	bool has_kernel, has_sim;/* false: that side has no such batch */
	int64_t kernel, sim;
};

/* One trace's comparison. */
struct ks_regress_result {
	const char *trace;       /* trace directory */
	const char *kernel;      /* kernel version recorded */
	const char *scenario;    /* scenario name */
	const char *workload;    /* static | timed | racy */
	const char *result;      /* match | within_tolerance | diverged */
	int64_t kernel_batches, sim_batches;
	const struct ks_regress_value *first; /* first divergence, NULL if none */
	double tolerance;        /* relative tolerance for racy workloads */
	int64_t run_unix_ms;     /* wall clock of the comparison */
	const struct ks_regress_value *values; /* every compared value */
	size_t nvalues;
};

struct ks_regress_db;

/* Opens (creating tables if needed) a results database. NULL with err set. */
struct ks_regress_db *ks_regress_db_open(const char *path, struct ks_err *err);
/* Stores one comparison in one transaction. 0 or KS_ESQL with err set. */
int ks_regress_db_store(struct ks_regress_db *db, const struct ks_regress_result *r,
			struct ks_err *err);
void ks_regress_db_close(struct ks_regress_db *db);

#endif
