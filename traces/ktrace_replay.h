/* ktrace_replay.h - a kernel trace's scenario set up for a batch-by-batch replay
 * (sim regress, sim validate-timing). The caller loads the trace's scenario.yaml text
 * (sim/config/load_scenario.h: ks_scenario_load_ktrace does both steps). */
#ifndef KS_KTRACE_REPLAY_H
#define KS_KTRACE_REPLAY_H

#include <stdbool.h>

#include "kernel_trace.h"
#include "scenario.h"
#include "models/base/status.h"

/* Sets the recorded HZ, every batch sampled, and a duration that covers the recorded
 * batches: the simulator's batch k starts at (k-1) * sleep plus the cost of the batches
 * before it, sleep being the model's (msecs_to_jiffies(sleep_millisecs) whole jiffies at
 * that HZ), so `span` (>= 1) times the recorded span leaves room for replayed costs
 * (later batches are not compared). A relative trace.file is made relative to the
 * trace's folder (next to its scenario.yaml), not the current one. 0, or KS_EINVAL with
 * err set (sleep_millisecs 0). */
int ks_ktrace_fit_scenario(const struct ks_ktrace *kt, unsigned span, bool process_samples,
			   struct ks_scenario *sc, struct ks_err *err);

#endif
