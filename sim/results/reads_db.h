/* reads_db.h - the readers' time of a run (models/reads.h) in the results database:
 * `read_samples` (at each sample point, buffered with the run's samples), `reads` (one
 * row per run) and `read_procs` (one row per process that read), only for runs whose
 * workload reads (schema.h, docs/results-schema.md). */
#ifndef KS_READS_DB_H
#define KS_READS_DB_H

#include <stdint.h>

#include "models/base/status.h"
#include "models/vocab/knobs.h"
#include "sim/engine/observer.h"

struct sqlite3;
struct sqlite3_stmt;

/* The buffer table (attached database `buf`) and its insert: CREATE statements to run
 * after the attach, then *ins prepared. 0 or KS_ESQL. */
int ks_reads_db_prepare(struct sqlite3 *db, const char *path, struct sqlite3_stmt **ins,
			struct ks_err *err);
/* Buffers smp's reads (nothing when the workload has read nothing so far). */
int ks_reads_db_sample(struct sqlite3 *db, const char *path, struct sqlite3_stmt *ins,
		       const struct ks_sample *smp, struct ks_err *err);
/* In the run's transaction: the buffered samples, the run's row (its variant from
 * sum->read_variant) and a read_procs row per process that read (nothing when the
 * workload read nothing). k: the knobs as the run started (zero_page_colours);
 * cache_colours: the arch's. */
int ks_reads_db_write(struct sqlite3 *db, const char *path, int64_t run_id,
		      const struct ks_summary *sum, const struct ks_ksm_params *k,
		      unsigned cache_colours, struct ks_err *err);
/* Empties the buffer (run written or dropped). */
void ks_reads_db_drop(struct sqlite3 *db);
#endif
