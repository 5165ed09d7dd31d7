/* cost_hooks.h - the cost model as the world sees it: an arch model (arch-models/NAME.yaml)
 * turned into per-page and per-batch ksmd CPU time, with what a run accumulates for the
 * cost report (components, latency histograms, per-batch times, merge windows). */
#ifndef KS_COST_HOOKS_H
#define KS_COST_HOOKS_H

#include <stddef.h>
#include <stdint.h>

#include "world.h"
#include "models/base/status.h"
#include "models/cost_model.h"
#include "models/reads.h"
#include "traces/scenario.h"

struct ks_cost_model;

/* Loads the arch model `arch` (looked up like scenarios: current folder, source tree's
 * arch-models/, installed arch-models/; a bare name without ".yaml" not in the current
 * folder: sim/config/find_file.h) for a run with these KSM parameters.
 * 0, or a negative KS_E* with err set (also when the arch does not price the run's
 * checksum). *out may be NULL for "no cost model". */
int ks_cost_model_open(const char *arch, const struct ks_ksm_params *p,
		       struct ks_cost_model **out, struct ks_err *err);
/* The same from a table already loaded (tests, calibrate). Never fails. */
struct ks_cost_model *ks_cost_model_new(const char *name, const struct ks_cost_table *t,
					enum ks_checksum_alg checksum);
/* The arch model's reads: section (sim/config/load_reads.h; one zero page, reads priced 0, when the
 * file has none or the model was made by ks_cost_model_new). */
const struct ks_arch_reads *ks_cost_model_reads(const struct ks_cost_model *cm);
/* Hooks for ks_world_run (all-NULL hooks when cm is NULL). */
struct ks_cost_hooks ks_cost_model_hooks(struct ks_cost_model *cm);
void ks_cost_model_free(struct ks_cost_model *cm);

/* One number of the arch model and where it comes from (its `provenance:` kind and
 * `source:` text), as the file gives them: "compare", "checksum.xxhash64", "reads.page". */
struct ks_cost_prov {
	const char *key;
	const char *kind;           /* measured | cited | derived | fitted | estimate */
	const char *source;
};
/* Every number's provenance, in file order (*n of them; none for a table not read from
 * a file). Valid while cm lives. */
const struct ks_cost_prov *ks_cost_model_prov(const struct ks_cost_model *cm, size_t *n);

/* What the run accumulated (cm not NULL). */
const char *ks_cost_model_name(const struct ks_cost_model *cm);
/* The arch's numbers by provenance, one line per kind ("  fitted    compare, ...\n"),
 * or NULL (a table not read from a file). */
const char *ks_cost_model_provenance(const struct ks_cost_model *cm);
const struct ks_cost_table *ks_cost_model_table(const struct ks_cost_model *cm);
const struct ks_cost_stats *ks_cost_model_stats(const struct ks_cost_model *cm);
/* Batches priced so far, in order; *n gets their count. */
const struct ks_cost_batch *ks_cost_model_batches(const struct ks_cost_model *cm, size_t *n);
/* As an observer of the world (cm not NULL): stamps each priced batch with its
 * simulated end and keeps the merge windows from the merge tracepoints. */
struct ks_observer ks_cost_model_observer(struct ks_cost_model *cm);
/* Merge windows, by pid in order of first merge; *n gets their count. */
const struct ks_cost_merge_window *ks_cost_model_merge_windows(const struct ks_cost_model *cm,
							       size_t *n);

#endif
