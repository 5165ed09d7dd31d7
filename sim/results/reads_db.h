/* reads_db.h - the readers' time of a run (models/reads.h) in the results database:
 * `read_samples` (at each sample point, buffered with the run's samples) and `reads` (one
 * row per run), both only for runs whose workload reads (schema.h, docs/results-schema.md). */
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
/* In the run's transaction: the buffered samples and the run's row (nothing when the
 * workload read nothing). k: the knobs as the run started; cache_colours: the arch's. */
int ks_reads_db_write(struct sqlite3 *db, const char *path, int64_t run_id,
		      const struct ks_summary *sum, const struct ks_ksm_params *k,
		      unsigned cache_colours, struct ks_err *err);
/* Empties the buffer (run written or dropped). */
void ks_reads_db_drop(struct sqlite3 *db);
/* The KSM variant of a run's reads: "no-ksm" (run 0), "ksm-zero-pages" (use_zero_pages
 * 1: empty pages map ZERO_PAGE(addr)) or "ksm-merge" (use_zero_pages 0, and every
 * kernel before 4.11: empty pages merged into KSM pages). */
const char *ks_reads_variant(const struct ks_ksm_params *k);

#endif
