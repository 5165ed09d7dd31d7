/* cost_db.h - writes a run's cost tables (cost_components, cost_batches, latency_hist,
 * cost_merge_windows, cost_provenance; sim/results/schema.h, docs/results-schema.md) into a results
 * database, in the run's own transaction. */
#ifndef KS_COST_DB_H
#define KS_COST_DB_H

#include <stddef.h>
#include <stdint.h>

#include "models/base/status.h"
#include "models/cost_model.h"

struct sqlite3;

struct ks_cost_prov;

/* Inserts the rows of run_id into an open database, inside the caller's transaction
 * (the results sink's before_commit), cost_provenance from prov[0..nprov) (the arch
 * model's numbers; sim/engine/cost_hooks.h): 0, or KS_ESQL "PATH: sqlite error: ...". */
int ks_cost_db_write(struct sqlite3 *db, const char *path, int64_t run_id,
		     const struct ks_cost_stats *s, const struct ks_cost_batch *batches,
		     size_t nbatches, const struct ks_cost_merge_window *windows, size_t nwindows,
		     const struct ks_cost_prov *prov, size_t nprov, struct ks_err *err);

#endif
