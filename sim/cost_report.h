/* cost_report.h - the cost part of a run's results: the end-of-run text (component
 * table like a profiler's, per-batch times, utilisation, merge windows, ASCII latency
 * histograms of cmp_and_merge_page per page kind) and the SQLite cost_* tables
 * (sim/results/schema.h; written by sim/results/cost_db.c). */
#ifndef KS_COST_REPORT_H
#define KS_COST_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "models/base/status.h"
#include "sim/engine/cost_hooks.h"

/* Prints the whole cost section for a run that ended at sim_end ns. Never fails. */
void ks_cost_report_print(const struct ks_cost_model *cm, ks_time sim_end, FILE *out);
/* Prints one histogram in the bcc/bpftrace form "[2K, 4K)  33516 |@@@@...|" (only the
 * rows from the first to the last non-empty bucket; nothing when all are 0). */
void ks_cost_report_hist(const uint64_t *hist, unsigned nbuckets, FILE *out);
#endif
