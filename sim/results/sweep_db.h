/* sweep_db.h - records parameter sweeps in a results database: table `sweeps` (one row
 * per sweep) and `sweep_runs` (which run is which point of the sweep). */
#ifndef KS_SWEEP_DB_H
#define KS_SWEEP_DB_H

#include <stdint.h>

#include "models/base/status.h"

/* Adds a sweeps row; *sweep_id gets its id. 0 or KS_ESQL with err set. */
int ks_sweep_db_begin(const char *db_path, const char *scenario, const char *vary,
		      unsigned seeds, int64_t started_unix_ms, int64_t *sweep_id,
		      struct ks_err *err);
/* Links a finished run to a point of the sweep. 0 or KS_ESQL with err set. */
int ks_sweep_db_add(const char *db_path, int64_t sweep_id, int64_t run_id, unsigned point,
		    const char *params, uint64_t seed, struct ks_err *err);

#endif
