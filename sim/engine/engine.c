/* engine.c - the event loop (house style rules 13-16): time is an integer, events are
 * ordered by (time, seq) and never by pointer, and only ks_sim_run advances the clock. */
#include <stdlib.h>

#include "engine.h"
#include "models/base/xalloc.h"

struct ks_event {
	ks_event_fn *fn;
	void *subject;
	void *object;
	struct ks_event *next_free;
};

void ks_sim_init(struct ks_sim *sim, ks_time end)
{
	sim->now = 0;
	sim->end = end;
	sim->next_seq = 0;
	sim->stop = false;
	sim->interrupt = NULL;
	sim->free_events = NULL;
	sim->events_run = 0;
	ks_heap_init(&sim->heap);
}

void ks_sim_fini(struct ks_sim *sim)
{
	struct ks_heap_item it;

	while (ks_heap_pop(&sim->heap, &it))
		free(it.payload);
	ks_heap_fini(&sim->heap);
	while (sim->free_events) {
		struct ks_event *e = sim->free_events;

		sim->free_events = e->next_free;
		free(e);
	}
}

void ks_sim_schedule_at(struct ks_sim *sim, ks_time at, ks_event_fn *fn, void *subject,
			void *object)
{
	struct ks_event *e = sim->free_events;

	if (e)
		sim->free_events = e->next_free;
	else
		e = ks_xmalloc(sizeof(*e));
	e->fn = fn;
	e->subject = subject;
	e->object = object;
	if (at < sim->now)
		at = sim->now;
	ks_heap_push(&sim->heap, (struct ks_heap_item){ .at = at, .seq = sim->next_seq++,
							 .payload = e });
}

void ks_sim_schedule_after(struct ks_sim *sim, ks_time delay, ks_event_fn *fn,
			   void *subject, void *object)
{
	ks_sim_schedule_at(sim, sim->now + delay, fn, subject, object);
}

void ks_sim_stop(struct ks_sim *sim)
{
	sim->stop = true;
}

bool ks_sim_run(struct ks_sim *sim)
{
	struct ks_heap_item it;

	while (!sim->stop) {
		const struct ks_heap_item *top = ks_heap_peek(&sim->heap);
		struct ks_event *e;

		if (sim->interrupt && *sim->interrupt)
			return true;
		if (!top || top->at > sim->end)
			break;
		ks_heap_pop(&sim->heap, &it);
		e = it.payload;
		sim->now = it.at;
		sim->events_run++;
		e->fn(sim, e->subject, e->object);
		e->next_free = sim->free_events;
		sim->free_events = e;
	}
	return false;
}
