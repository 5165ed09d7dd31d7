/* cost_db.h - writes a run's cost tables (cost_components, cost_batches, latency_hist,
 * cost_merge_windows; sim/base/results_schema.h, docs/results-schema.md) into a results
 * database, after the run's own transaction has committed. */
#ifndef KS_COST_DB_H
#define KS_COST_DB_H

#include <stddef.h>
#include <stdint.h>

#include "cost_model.h"
#include "status.h"

/* One transaction on db_path for run_id: 0, or KS_ESQL "PATH: sqlite error: ..." (the
 * database is left as it was). */
int ks_cost_db_write(const char *db_path, int64_t run_id, const struct ks_cost_stats *s,
		     const struct ks_cost_batch *batches, size_t nbatches,
		     const struct ks_cost_merge_window *windows, size_t nwindows,
		     struct ks_err *err);

#endif
