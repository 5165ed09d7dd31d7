/* world.h - one simulation run: builds the trace sources (synthetic generator and/or a
 * trace file), the content store, the KSM model and the event engine from a scenario,
 * runs it, prices ksmd's work and tells the observers (observer.h). The only place
 * models and traces meet. */
#ifndef KS_WORLD_H
#define KS_WORLD_H

#include <stddef.h>
#include <stdint.h>

#include "observer.h"
#include "models/base/status.h"
#include "traces/scenario.h"

/* Optional cost model hooks (ksmd CPU time). NULL functions cost nothing. */
struct ks_cost_hooks {
	void *self;
	/* ns of ksmd CPU for one cmp_and_merge_page() with its work w; the call stands for
	 * n >= 1 such calls in a row (each costs the ns returned) */
	uint64_t (*page_ns)(void *self, enum ks_page_kind kind, const struct ks_work *w,
			    uint64_t n);
	/* ns of per-batch overhead not attributed to pages (scan start, walks, frees) */
	uint64_t (*batch_ns)(void *self, const struct ks_work *batch_total,
			     const struct ks_work *unattributed);
};

/* The wall clock, read only through the caller (the engine itself never reads it):
 * ms since the epoch, and monotonic seconds. */
struct ks_wall_clock {
	int64_t (*unix_ms)(void);
	double (*mono_s)(void);
};

struct ks_world_opts {
	const struct ks_scenario *sc;
	const struct ks_observer *obs;        /* nobs observers, called in this order */
	size_t nobs;
	struct ks_cost_hooks cost;
	struct ks_wall_clock clock;           /* fills the summary's wall fields; may be
					       * all NULL */
	volatile int *interrupt;              /* set to stop (SIGINT); may be NULL */
	uint64_t max_pages;                   /* most pages mapped at once (the run fails
					       * with a located message beyond); 0: none */
	const struct ks_read_costs *reads;    /* prices the workload's reads (models/reads.h)
					       * on a kernel with sc->ksm.zero_page_colours
					       * zero pages; NULL: reads counted, priced 0 */
	uint64_t ksmd_cpu_base_ns;            /* ksmd's CPU time before the run: seen by the
					       * advisor (as the kernel's task runtime), not
					       * reported as the run's ksmd CPU time */
	int64_t trace_shift_ns;               /* added to the time of every record of the
					       * scenario's trace file (clamped at 0): lines a
					       * recorded trace up with a kernel trace */
	bool cost_not_slept;                  /* a batch's cost is ksmd CPU time (reported,
					       * summed) but does not delay ksmd: batch k
					       * runs where the zero-cost replay runs it, so
					       * each timed record of a kernel trace is applied
					       * in the sleep after the batch the recorder
					       * applied it after (sim validate-timing,
					       * sim calibrate's replays) */
};

/* Runs the scenario. Returns 0 (sum->status complete or interrupted; every observer's
 * commit was called and succeeded) or a negative KS_E* with err set (bad trace, an
 * observer that failed to sample or commit); sum->status is then failed and no commit
 * was called after the failure. */
int ks_world_run(const struct ks_world_opts *o, struct ks_summary *sum, struct ks_err *err);

#endif
