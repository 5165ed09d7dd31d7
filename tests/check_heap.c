/* check_heap.c - tests for models/base/heap.c: (time, seq) order, FIFO ties, peek,
 * empty pops, and random pushes/pops against a sorted reference. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include <check.h>

#include "models/base/heap.h"

static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

static int item_cmp(const void *pa, const void *pb)
{
	const struct ks_heap_item *a = pa, *b = pb;

	if (a->at != b->at)
		return a->at < b->at ? -1 : 1;
	if (a->seq != b->seq)
		return a->seq < b->seq ? -1 : 1;
	return 0;
}

static struct ks_heap_item mk(ks_time at, uint64_t seq, void *payload)
{
	struct ks_heap_item it = { .at = at, .seq = seq, .payload = payload };

	return it;
}

START_TEST(test_heap_orders_by_time)
{
	static const ks_time times[] = { 50, 10, 40, 20, 30, 0, KS_TIME_MAX, 25 };
	static const ks_time sorted[] = { 0, 10, 20, 25, 30, 40, 50, KS_TIME_MAX };
	struct ks_heap h;
	struct ks_heap_item out;
	size_t i;

	ks_heap_init(&h);
	for (i = 0; i < 8; i++)
		ks_heap_push(&h, mk(times[i], i, (void *)&times[i]));
	ck_assert_uint_eq(h.len, 8);
	for (i = 0; i < 8; i++) {
		ck_assert(ks_heap_pop(&h, &out));
		ck_assert_uint_eq(out.at, sorted[i]);
		ck_assert_ptr_eq(out.payload, &times[out.seq]); /* payload travels along */
	}
	ck_assert(!ks_heap_pop(&h, &out));
	ks_heap_fini(&h);
}
END_TEST

/* Equal times pop in seq order (FIFO when seq is the schedule counter), even
 * when payload pointers are in the opposite order. */
START_TEST(test_heap_ties_break_by_seq)
{
	char payload[6];
	static const uint64_t seqs[] = { 5, 3, 4, 0, 2, 1 };
	struct ks_heap h;
	struct ks_heap_item out;
	uint64_t i;

	ks_heap_init(&h);
	for (i = 0; i < 6; i++)
		ks_heap_push(&h, mk(KS_MS(7), seqs[i], &payload[5 - seqs[i]]));
	ks_heap_push(&h, mk(KS_MS(8), 6, &payload[0]));
	ks_heap_push(&h, mk(KS_MS(6), 7, &payload[0]));
	ck_assert(ks_heap_pop(&h, &out));
	ck_assert_uint_eq(out.seq, 7); /* earlier time beats smaller seq */
	for (i = 0; i < 6; i++) {
		ck_assert(ks_heap_pop(&h, &out));
		ck_assert_uint_eq(out.at, KS_MS(7));
		ck_assert_uint_eq(out.seq, i);
		ck_assert_ptr_eq(out.payload, &payload[5 - i]);
	}
	ck_assert(ks_heap_pop(&h, &out));
	ck_assert_uint_eq(out.seq, 6);
	ks_heap_fini(&h);
}
END_TEST

START_TEST(test_heap_peek_does_not_remove)
{
	struct ks_heap h;
	struct ks_heap_item out;
	const struct ks_heap_item *top;

	ks_heap_init(&h);
	ck_assert_ptr_null(ks_heap_peek(&h));
	ks_heap_push(&h, mk(30, 0, NULL));
	ks_heap_push(&h, mk(10, 1, NULL));
	ks_heap_push(&h, mk(20, 2, NULL));
	top = ks_heap_peek(&h);
	ck_assert_ptr_nonnull(top);
	ck_assert_uint_eq(top->at, 10);
	ck_assert_uint_eq(h.len, 3);
	ck_assert(ks_heap_pop(&h, &out));
	ck_assert_uint_eq(out.at, 10);
	ck_assert_uint_eq(ks_heap_peek(&h)->at, 20);
	ks_heap_fini(&h);
}
END_TEST

/* Random interleaved pushes and pops: every pop returns the minimum of what a
 * plain reference array holds. */
#define KS_HEAP_OPS 5000 /* well under a second: the reference is O(n) a pop */

START_TEST(test_heap_random_against_reference)
{
	static const uint64_t seeds[] = { 7, 99, 0xdeadbeefULL };
	struct ks_heap_item *ref = calloc(KS_HEAP_OPS, sizeof(*ref));
	struct ks_heap h;
	struct ks_heap_item out;
	uint64_t s = seeds[_i], seq = 0;
	size_t n = 0, i, best;
	int op;

	ck_assert_ptr_nonnull(ref);
	ks_heap_init(&h);
	for (op = 0; op < KS_HEAP_OPS; op++) {
		/* a small time range forces many ties */
		if (n == 0 || rng_next(&s) % 5 < 3) {
			ref[n] = mk(rng_next(&s) % 64, seq++, NULL);
			ks_heap_push(&h, ref[n++]);
		} else {
			for (best = 0, i = 1; i < n; i++)
				if (item_cmp(&ref[i], &ref[best]) < 0)
					best = i;
			ck_assert_uint_eq(ks_heap_peek(&h)->seq, ref[best].seq);
			ck_assert(ks_heap_pop(&h, &out));
			ck_assert_uint_eq(out.at, ref[best].at);
			ck_assert_uint_eq(out.seq, ref[best].seq);
			ref[best] = ref[--n];
		}
		ck_assert_uint_eq(h.len, n);
	}
	/* drain: the rest comes out in sorted (at, seq) order */
	qsort(ref, n, sizeof(*ref), item_cmp);
	for (i = 0; i < n; i++) {
		ck_assert(ks_heap_pop(&h, &out));
		ck_assert_uint_eq(out.at, ref[i].at);
		ck_assert_uint_eq(out.seq, ref[i].seq);
	}
	ck_assert(!ks_heap_pop(&h, &out));
	ks_heap_fini(&h);
	free(ref);
}
END_TEST

/* Many pushes in descending order grow the array past several doublings. */
START_TEST(test_heap_grows)
{
	struct ks_heap h;
	struct ks_heap_item out;
	uint64_t i;

	ks_heap_init(&h);
	for (i = 0; i < 10000; i++)
		ks_heap_push(&h, mk(10000 - i, i, NULL));
	ck_assert_uint_ge(h.cap, 10000);
	for (i = 1; i <= 10000; i++) {
		ck_assert(ks_heap_pop(&h, &out));
		ck_assert_uint_eq(out.at, i);
	}
	ck_assert_uint_eq(h.len, 0);
	ks_heap_fini(&h);
	ck_assert_ptr_null(h.items);
	ck_assert_uint_eq(h.cap, 0);
}
END_TEST

START_TEST(test_heap_empty_pop_returns_false)
{
	struct ks_heap h;
	struct ks_heap_item out = mk(123, 456, &out);

	ks_heap_init(&h);
	ck_assert(!ks_heap_pop(&h, &out));
	ck_assert_uint_eq(out.at, 123); /* untouched */
	ck_assert_ptr_null(ks_heap_peek(&h));
	ks_heap_push(&h, mk(1, 0, NULL));
	ck_assert(ks_heap_pop(&h, &out));
	ck_assert(!ks_heap_pop(&h, &out));
	ck_assert_uint_eq(out.at, 1);
	ks_heap_fini(&h);
	ks_heap_fini(&h); /* fini twice is harmless */
}
END_TEST

Suite *ks_test_suite(void); /* called by check_main.c */

Suite *ks_test_suite(void)
{
	Suite *s = suite_create("heap");
	TCase *core = tcase_create("core");
	TCase *edges = tcase_create("edges");
	TCase *errors = tcase_create("errors");

	tcase_add_test(core, test_heap_orders_by_time);
	tcase_add_test(core, test_heap_ties_break_by_seq);
	tcase_add_test(core, test_heap_peek_does_not_remove);
	tcase_add_loop_test(core, test_heap_random_against_reference, 0, 3);
	suite_add_tcase(s, core);

	tcase_add_test(edges, test_heap_grows);
	suite_add_tcase(s, edges);

	tcase_add_test(errors, test_heap_empty_pop_returns_false);
	suite_add_tcase(s, errors);
	return s;
}
