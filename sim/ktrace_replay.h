/* ktrace_replay.h - loading a kernel trace's scenario for a batch-by-batch replay
 * (sim regress, sim validate-timing). */
#ifndef KS_KTRACE_REPLAY_H
#define KS_KTRACE_REPLAY_H

#include <stdbool.h>

#include "base/scenario.h"
#include "base/status.h"
#include "kernel_trace.h"

/* Loads the trace's scenario.yaml text with the recorded HZ, every batch sampled, and
 * a duration that covers the recorded batches: the simulator's batch k starts at
 * (k-1) * sleep plus the cost of the batches before it, so `span` (>= 1) times the
 * recorded span leaves room for replayed costs (later batches are not compared).
 * 0, or a negative KS_E* with err set (bad scenario, sleep_millisecs 0). */
int ks_ktrace_load_scenario(const struct ks_ktrace *kt, unsigned span, bool process_samples,
			    struct ks_scenario *sc, struct ks_err *err);

#endif
