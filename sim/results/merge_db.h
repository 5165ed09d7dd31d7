/* merge_db.h - merges results databases (sim db merge): every run of the inputs, with
 * everything that belongs to it, gets a new id in the output; sweeps with the same uid
 * become one; provenance goes into run_sources. */
#ifndef KS_MERGE_DB_H
#define KS_MERGE_DB_H

#include <stdint.h>

#include "models/base/status.h"

struct ks_merge_stats {
	uint64_t runs;              /* runs copied */
	uint64_t runs_present;      /* runs skipped: their uid, or their sweep task, is in
				     * the output already */
	uint64_t sweeps_new;        /* sweeps added */
	uint64_t sweeps_joined;     /* sweeps found in the output by uid */
	uint64_t rows;              /* rows copied, all tables */
	uint64_t tables_skipped;    /* tables of an input this sim does not know */
};

/* Merges the nin input databases into out_path (created if needed) in one transaction.
 * Every input is checked first (exists, is a results database of this schema version,
 * is not the output): on any error nothing is written, and an output created for the
 * merge is removed. 0, or KS_ENOENT/KS_EIO/KS_ESQL/KS_EINVAL with err set: "IN: results
 * schema version N, this sim writes version M", "IN: is the output database", ... */
int ks_results_merge(const char *out_path, const char *const *in, unsigned nin,
		     int64_t now_unix_ms, struct ks_merge_stats *st, struct ks_err *err);

#endif
