/* converge.h - what a saving curve says and does not say: its peak, the saving at
 * chosen times, and whether KSM had converged when the run ended, so that a summary
 * does not quote a "time to 90%" of a saving that was still growing. Pure functions of
 * a series of (time, saving, full_scans) points: the engine's batches (sim run) or the
 * results database's samples (sim report). */
#ifndef KS_CONVERGE_H
#define KS_CONVERGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "models/base/simtime.h"

/* The saving counts as still changing when it moved by more than this fraction over
 * the last full scan (or since it). 1%: a settled workload's saving moves by a few pages
 * of volatile data; a merging one by whole regions. */
#define KS_CONVERGE_TOLERANCE 0.01

struct ks_conv_point {
	ks_time t;           /* simulated ns */
	int64_t saved;       /* (pages_sharing + ksm_zero_pages) * 4096 */
	uint64_t full_scans; /* the counter at t */
};

struct ks_convergence {
	bool converged;
	uint64_t scans;         /* full scans completed within the series */
	double change;          /* relative change of the saving over the last full scan and
				 * since (0 when fewer than two scans) */
	int64_t peak_saved;     /* largest saving */
	ks_time peak_t;         /* first time it was reached */
	char why[160];          /* not converged: why, one clause ("only 1 full scan ...") */
};

/* Judges a series sorted by time (n >= 0). Never fails. */
void ks_convergence(const struct ks_conv_point *p, size_t n, struct ks_convergence *c);
/* The saving at time t: that of the last point at or before t (0 before the first).
 * False if t is after the last point (the run ended before t). */
bool ks_saved_at(const struct ks_conv_point *p, size_t n, ks_time t, int64_t *saved);

#endif
