/* engine.h - the discrete-event engine: a simulated clock (integer ns) and a queue of
 * events ordered by (time, seq), so that events scheduled for the same instant run in
 * the order they were scheduled. No global state: a sweep runs many engines. */
#ifndef KS_ENGINE_H
#define KS_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "models/base/heap.h"
#include "models/base/simtime.h"

struct ks_sim;

typedef void ks_event_fn(struct ks_sim *sim, void *subject, void *object);

struct ks_sim {
	ks_time now;          /* simulated ns; only ks_sim_run advances it */
	ks_time end;          /* events after this are not run */
	uint64_t next_seq;    /* tie-break counter */
	bool stop;            /* set by ks_sim_stop or an external flag */
	volatile int *interrupt; /* optional external stop flag (SIGINT), may be NULL */
	struct ks_heap heap;
	struct ks_event *free_events; /* recycled event records */
	uint64_t events_run;  /* statistics */
};

void ks_sim_init(struct ks_sim *sim, ks_time end);
void ks_sim_fini(struct ks_sim *sim);
/* Schedules fn at absolute time `at` (>= now). Never fails. */
void ks_sim_schedule_at(struct ks_sim *sim, ks_time at, ks_event_fn *fn, void *subject,
			void *object);
void ks_sim_schedule_after(struct ks_sim *sim, ks_time delay, ks_event_fn *fn,
			   void *subject, void *object);
static inline ks_time ks_sim_now(const struct ks_sim *sim) { return sim->now; }
void ks_sim_stop(struct ks_sim *sim);
/* Runs events in (time, seq) order until the queue is empty, the next event is after
 * `end`, or a stop was requested. Returns true if it stopped because of *interrupt. */
bool ks_sim_run(struct ks_sim *sim);

#endif
