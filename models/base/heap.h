/* heap.h - binary min-heap of events keyed by (time, seq); knows nothing about events. */
#ifndef KS_HEAP_H
#define KS_HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "simtime.h"

struct ks_heap_item {
	ks_time at;    /* when, simulated ns */
	uint64_t seq;  /* tie-break: schedule order */
	void *payload; /* owned by the caller */
};

struct ks_heap {
	struct ks_heap_item *items; /* array, items[0] is the minimum */
	size_t len;                 /* items in use */
	size_t cap;                 /* allocated */
};

void ks_heap_init(struct ks_heap *h);
void ks_heap_fini(struct ks_heap *h);
/* Never fails (out of memory aborts). */
void ks_heap_push(struct ks_heap *h, struct ks_heap_item it);
/* Pops the minimum into *out; returns false if empty. */
bool ks_heap_pop(struct ks_heap *h, struct ks_heap_item *out);
/* The minimum, or NULL if empty. */
const struct ks_heap_item *ks_heap_peek(const struct ks_heap *h);

#endif
