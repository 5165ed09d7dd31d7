/* world.h - one simulation run: builds the trace sources (synthetic generator and/or a
 * trace file), the content store, the KSM model and the event engine from a scenario,
 * runs it, and reports samples to a sink. The only place models and traces meet. */
#ifndef KS_WORLD_H
#define KS_WORLD_H

#include <stdint.h>

#include "sink.h"
#include "models/base/status.h"
#include "traces/scenario.h"

/* Optional cost model hooks (ksmd CPU time). NULL functions cost nothing. */
struct ks_cost_hooks {
	void *self;
	/* ns of ksmd CPU for one cmp_and_merge_page() with its work */
	uint64_t (*page_ns)(void *self, enum ks_page_kind kind, const struct ks_work *w);
	/* ns of per-batch overhead not attributed to pages (scan start, walks, frees) */
	uint64_t (*batch_ns)(void *self, const struct ks_work *batch_total,
			     const struct ks_work *unattributed);
};

struct ks_world_opts {
	const struct ks_scenario *sc;
	struct ks_sink *sink;                 /* may be NULL; so may its sample and
					       * proc_sample (the world calls only those) */
	struct ks_cost_hooks cost;
	volatile int *interrupt;              /* set to stop (SIGINT); may be NULL */
	uint64_t ksmd_cpu_base_ns;            /* ksmd's CPU time before the run: seen by the
					       * advisor (as the kernel's task runtime), not
					       * reported as the run's ksmd CPU time */
	/* Called after every ksmd batch with the counters (sim regress); may be NULL. */
	void (*on_batch)(void *self, const struct ks_sample *smp);
	/* Called at every KSM tracepoint with its simulated time; may be NULL. */
	void (*on_event)(void *self, ks_time t, const struct ks_ksm_event *ev);
	/* Called with the work of every batch, and of every page (cost reports). */
	void (*on_batch_work)(void *self, ks_time t, uint64_t batch_ns, const struct ks_work *w);
	void (*on_page)(void *self, enum ks_page_kind kind, uint64_t ns, const struct ks_work *w);
	/* Called after every KSM knob write (ksm_changes, trace KNOB records) with the
	 * kernel's answer: 0, or KS_EINVAL / KS_EBUSY when refused (not an error of the
	 * run: the knob keeps its value, as after a failed sysfs write); may be NULL. */
	void (*on_knob)(void *self, ks_time t, enum ks_knob knob, uint64_t value, int rc);
	/* Progress, called about every 0.1% of simulated time; may be NULL. */
	void (*progress)(void *self, ks_time now, ks_time end);
	void *self;                           /* passed to the callbacks above */
};

/* Runs the scenario. Returns 0 (sum->status complete or interrupted) or a negative
 * KS_E* with err set (bad trace, sink failure); the sink then got end_run(failed). */
int ks_world_run(const struct ks_world_opts *o, struct ks_summary *sum, struct ks_err *err);

#endif
