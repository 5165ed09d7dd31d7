/* cost_hooks.h - the cost model as the world sees it: an arch model (arch-models/NAME.yaml)
 * turned into per-page and per-batch ksmd CPU time. */
#ifndef KS_COST_HOOKS_H
#define KS_COST_HOOKS_H

#include "base/scenario.h"
#include "base/status.h"
#include "world.h"

struct ks_cost_model;

/* Loads the arch model `arch` (looked up like scenarios: current folder, source tree's
 * arch-models/, installed arch-models/) for a run with these KSM parameters.
 * 0, or a negative KS_E* with err set. *out may be NULL for "no cost model". */
int ks_cost_model_open(const char *arch, const struct ks_ksm_params *p,
		       struct ks_cost_model **out, struct ks_err *err);
/* Hooks for ks_world_run (all-NULL hooks when cm is NULL). */
struct ks_cost_hooks ks_cost_model_hooks(struct ks_cost_model *cm);
void ks_cost_model_free(struct ks_cost_model *cm);

#endif
