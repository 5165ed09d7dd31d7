/* heap.c - binary min-heap of (at, seq, payload) items for the event engine.
 *
 * items[0] is the minimum; the children of items[i] are items[2i+1] and
 * items[2i+2].  Order is (at, seq) only: equal times come out in seq order
 * (FIFO when seq is the schedule counter), and payload pointers are never
 * compared, so runs are reproducible.  The array doubles when full.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "heap.h"
#include "xalloc.h"

enum { KS_HEAP_MIN_CAP = 64 }; /* first allocation, items */

/* Strict (at, seq) order: true if a must pop before b. */
static bool heap_before(const struct ks_heap_item *a, const struct ks_heap_item *b)
{
	if (a->at != b->at)
		return a->at < b->at;
	return a->seq < b->seq;
}

/* Moves the hole at i up until `it` fits there, then stores it. */
static void heap_sift_up(struct ks_heap *h, size_t i, struct ks_heap_item it)
{
	size_t parent;

	while (i > 0) {
		parent = (i - 1) / 2;
		if (!heap_before(&it, &h->items[parent]))
			break;
		h->items[i] = h->items[parent];
		i = parent;
	}
	h->items[i] = it;
}

/* Moves the hole at i down until `it` fits there, then stores it. */
static void heap_sift_down(struct ks_heap *h, size_t i, struct ks_heap_item it)
{
	size_t child;

	for (;;) {
		child = 2 * i + 1;
		if (child >= h->len)
			break;
		if (child + 1 < h->len && heap_before(&h->items[child + 1], &h->items[child]))
			child++;
		if (!heap_before(&h->items[child], &it))
			break;
		h->items[i] = h->items[child];
		i = child;
	}
	h->items[i] = it;
}

void ks_heap_init(struct ks_heap *h)
{
	h->items = NULL;
	h->len = 0;
	h->cap = 0;
}

void ks_heap_fini(struct ks_heap *h)
{
	free(h->items);
	ks_heap_init(h);
}

void ks_heap_push(struct ks_heap *h, struct ks_heap_item it)
{
	size_t cap;

	if (h->len == h->cap) {
		cap = h->cap ? h->cap * 2 : KS_HEAP_MIN_CAP;
		if (cap > SIZE_MAX / sizeof(*h->items))
			abort(); /* the size would wrap: no memory could hold it */
		h->items = ks_xrealloc(h->items, cap * sizeof(*h->items));
		h->cap = cap;
	}
	h->len++;
	heap_sift_up(h, h->len - 1, it);
}

bool ks_heap_pop(struct ks_heap *h, struct ks_heap_item *out)
{
	if (h->len == 0)
		return false;
	*out = h->items[0];
	h->len--;
	if (h->len > 0)
		heap_sift_down(h, 0, h->items[h->len]);
	return true;
}

const struct ks_heap_item *ks_heap_peek(const struct ks_heap *h)
{
	return h->len ? &h->items[0] : NULL;
}
