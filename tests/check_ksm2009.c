/* check_ksm2009.c - the 2009 kksmd (ksm.algorithm: 2009, models/ksm2009.c) against cases
 * worked out on paper from docs/ksm-behaviour.md 8.2 and the Apr 2 2009 ksm.c. Pages hold
 * a fill byte with an 8-byte value at offset 4088: page(v) == page(w) iff v == w. A batch
 * = pages_to_scan positions, each preceded by a cursor step, plus one trailing step. */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "models/base/status.h"
#include "models/ksm.h"
#include "models/vocab/content.h"

#define A0 0x100000000ULL
#define PG 4096ULL

static struct ks_content_store *cs;
static struct ks_ksm *ksm;
static uint32_t cls;
static struct ks_work w; /* work of the last batch */

Suite *ks_test_suite(void);

static void setup(unsigned pages_to_scan)
{
	struct ks_patch patch = { .offset = 4088, .width = 8, .source = KS_PATCH_ARG };
	struct ks_content_class_spec spec = { .kind = KS_CONTENT_FILL, .fill = 0x5a,
					      .npatches = 1, .patches = &patch };
	struct ks_ksm_params p;

	cs = ks_content_store_new();
	cls = (uint32_t)ks_content_class(cs, &spec);
	ks_ksm_params_default(&p);
	p.algorithm = KS_KSM_ALG_2009;
	p.checksum = 2; /* jhash2 */
	p.pages_to_scan = pages_to_scan;
	ksm = ks_ksm_new(&p, cs);
}

static void teardown(void)
{
	ks_ksm_free(ksm);
	ks_content_store_free(cs);
}

static void proc(uint32_t pid, const uint64_t *vals, uint64_t n)
{
	ck_assert_int_eq(ks_ksm_proc_start(ksm, pid), 0);
	ck_assert_int_eq(ks_ksm_mmap(ksm, pid, A0, n), 0);
	for (uint64_t i = 0; i < n; i++)
		ck_assert_int_eq(ks_ksm_write(ksm, pid, A0 + i * PG, ks_content_make(cls, vals[i])),
				 0);
	ck_assert_int_eq(ks_ksm_madvise(ksm, pid, A0, n, true), 0);
}

static void batch(void)
{
	memset(&w, 0, sizeof(w));
	ck_assert(ks_ksm_scan_batch(ksm, 0, &w));
	ck_assert_int_eq(ks_ksm_check(ksm), 0);
}

/* Asserts full_scans, rmap_items, shared, sharing, unshared, volatile. */
static void expect(uint64_t fs, uint64_t items, uint64_t shared, uint64_t sharing,
		   uint64_t unshared, uint64_t vol)
{
	struct ks_ksm_stats st;

	ks_ksm_stats(ksm, &st);
	ck_assert_uint_eq(st.full_scans, fs);
	ck_assert_uint_eq(st.rmap_items, items);
	ck_assert_uint_eq(st.pages_shared, shared);
	ck_assert_uint_eq(st.pages_sharing, sharing);
	ck_assert_uint_eq(st.pages_unshared, unshared);
	ck_assert_uint_eq(st.pages_volatile, vol);
}

/* Pages A, B, C of pid 1; pages_to_scan 2. The cursor starts on A and a batch covers
 * 2 visits + 1 step = 3 positions, so every batch visits B, C and steps onto A: A is
 * never looked at, and each batch is exactly one pass.
 * Batch 1 (pass 0): B, C have no item: stable and unstable trees empty, items created
 *   with their checksums; the trailing step wraps (full_scans 1).
 * Batch 2 (pass 1): B's checksum is unchanged -> unstable tree (empty) -> inserted;
 *   C's checksum unchanged -> unstable search meets B at the root (1 level, 1 memcmp of
 *   4096 equal bytes) -> new page allocated and copied, C and B mapped to it (2 x
 *   wrprotect + pages_identical + replace), B's tree_item moves to the stable tree
 *   (empty: 0 levels). C's own item stays outside the trees. */
START_TEST(test_ksm2009_pair_merges_in_second_pass)
{
	uint64_t v[3] = { 1, 7, 7 };
	ks_content a, b, c;
	struct ks_proc_stats ps;

	setup(2);
	proc(1, v, 3);
	batch();
	expect(1, 2, 0, 0, 0, 2);
	ck_assert_uint_eq(w.checksums, 2);
	batch();
	expect(2, 2, 1, 1, 0, 1);
	ck_assert_uint_eq(w.kpage_allocs, 1);
	ck_assert_uint_eq(w.unstable_visits, 1);
	ck_assert_uint_eq(w.unstable_inserts, 1);
	ck_assert_uint_eq(w.stable_inserts, 1);
	ck_assert_uint_eq(w.stable_visits, 0);
	ck_assert_uint_eq(w.wrprotects, 2);
	ck_assert_uint_eq(w.replaces, 2);
	ck_assert_uint_eq(w.merges, 2);
	ck_assert_uint_eq(w.cmps, 3);
	ck_assert_uint_eq(w.cmp_bytes, 3 * 4096);
	ck_assert_uint_eq(w.checksums, 2);
	ck_assert_int_eq(ks_ksm_read(ksm, 1, A0 + PG, &b), 0);
	ck_assert_int_eq(ks_ksm_read(ksm, 1, A0 + 2 * PG, &c), 0);
	ck_assert_int_eq(ks_ksm_read(ksm, 1, A0, &a), 0);
	ck_assert(b == c && a != b);
	ck_assert_int_eq(ks_ksm_proc_stats(ksm, 1, &ps), 0);
	ck_assert_uint_eq(ps.ksm_merging_pages, 1); /* only B's item is listed */
	/* Batch 3: B and C are KSM pages: not handed to cmp_and_merge_page. */
	batch();
	expect(3, 2, 1, 1, 0, 1);
	ck_assert_uint_eq(w.pages, 2);
	ck_assert_uint_eq(w.ksm_pages, 2);
	ck_assert_uint_eq(w.checksums + w.cmps, 0);
	teardown();
}
END_TEST

/* B, C different (A never visited, as above). Batch 1: items created. Batch 2: both
 * checksum-stable -> inserted (C below/after B: 1 level); the batch's trailing step
 * wraps and empties the tree, so pages_unshared reads 0 at every batch end here and the
 * insertions show in the work (2, 0, 2). Batch 3: the wrap emptied the
 * tree; each item still has its old tree_item, so update_tree() frees tree_item and
 * item, the page searches with no item (no insertion) and gets a new item with a fresh
 * checksum. Batch 4 = batch 2 again. A checksum is computed for every page every pass. */
START_TEST(test_ksm2009_unstable_insert_every_second_pass)
{
	uint64_t v[3] = { 1, 2, 3 };

	setup(2);
	proc(1, v, 3);
	batch();
	expect(1, 2, 0, 0, 0, 2);
	batch();
	expect(2, 2, 0, 0, 0, 2);
	ck_assert_uint_eq(w.unstable_inserts, 2);
	ck_assert_uint_eq(w.unstable_visits, 1);
	ck_assert_uint_eq(w.checksums, 2);
	batch();
	expect(3, 2, 0, 0, 0, 2);
	ck_assert_uint_eq(w.unstable_inserts, 0);
	ck_assert_uint_eq(w.checksums, 2);
	ck_assert_uint_eq(w.items_freed, 4); /* 2 rmap_items + 2 tree_items */
	ck_assert_uint_eq(w.items_alloc, 2);
	batch();
	expect(4, 2, 0, 0, 0, 2);
	ck_assert_uint_eq(w.unstable_inserts, 2);
	teardown();
}
END_TEST

/* After the pair merge of the first test, pid 2 registers one page D == B (slot after
 * pid 1). Cursor after batch 2: A. Batch 3: B, C (KSM), the trailing step lands on D.
 * Batch 4: wrap (full_scans 3) -> A: first visit, stable search 1 level (memcmp differs
 * at byte 4088), no item so no insertion, item created; then B (KSM); step onto C.
 * Batch 5: D, first visit: stable root matches via B's item (1 gup lookup) -> D mapped
 * to the KSM page at once, item created and listed; wrap (4) -> A: 1 stable level,
 * checksum unchanged -> inserted in the unstable tree; step onto B. */
START_TEST(test_ksm2009_new_page_matches_stable_at_first_visit)
{
	uint64_t v[3] = { 1, 7, 7 }, d = 7;

	setup(2);
	proc(1, v, 3);
	batch();
	batch();
	proc(2, &d, 1);
	batch();
	expect(2, 2, 1, 1, 0, 1);
	batch();
	expect(3, 3, 1, 1, 0, 2);
	ck_assert_uint_eq(w.stable_visits, 1);
	ck_assert_uint_eq(w.cmp_bytes, 4089);
	batch();
	expect(4, 4, 1, 2, 1, 1);
	ck_assert_uint_eq(w.stable_visits, 2);
	ck_assert_uint_eq(w.gup_lookups, 2);
	ck_assert_uint_eq(w.merges, 1);
	ck_assert_uint_eq(w.kpage_allocs, 0);
	ck_assert_uint_eq(w.checksums, 1); /* A's only: D merged before any checksum */
	teardown();
}
END_TEST

/* Two pages, pages_to_scan 1: every batch steps onto B, visits it, and its trailing
 * step wraps onto A, which is never visited. */
START_TEST(test_ksm2009_skipped_page_per_batch)
{
	uint64_t v[2] = { 1, 2 };
	struct ks_ksm_stats st;

	setup(1);
	proc(1, v, 2);
	for (int i = 0; i < 10; i++)
		batch();
	ks_ksm_stats(ksm, &st);
	ck_assert_uint_eq(st.full_scans, 10);
	ck_assert_uint_eq(st.pages_scanned, 10);
	ck_assert_uint_eq(st.rmap_items, 1);
	teardown();
}
END_TEST

/* Three different pages, pages_to_scan 5: one batch visits B, C, (wrap) A, B, C and
 * wraps again: two full scans in one batch (modern batches stop at a scan's end). B and
 * C were inserted in pass 1, but the trailing wrap emptied the tree. */
START_TEST(test_ksm2009_batch_wraps)
{
	uint64_t v[3] = { 1, 2, 3 };
	struct ks_ksm_stats st;

	setup(5);
	proc(1, v, 3);
	batch();
	ks_ksm_stats(ksm, &st);
	ck_assert_uint_eq(st.full_scans, 2);
	ck_assert_uint_eq(st.pages_scanned, 5);
	ck_assert_uint_eq(st.rmap_items, 3);
	ck_assert_uint_eq(st.pages_unshared, 0);
	ck_assert_uint_eq(w.unstable_inserts, 2);
	teardown();
}
END_TEST

/* Pair merge as in the first test, then pid 1 writes B: COW (cow_ksm 1); the KSM page
 * keeps one mapping (shared 1, sharing 0). Next batch: B's stable item is zapped ->
 * removed; it was the node's only item, so the node leaves the tree (shared 0); the page
 * waits: no new item. The batch after creates B's item again. */
START_TEST(test_ksm2009_cow_then_lazy_removal)
{
	uint64_t v[3] = { 1, 7, 7 };
	struct ks_ksm_stats st;

	setup(2);
	proc(1, v, 3);
	batch();
	batch();
	ck_assert_int_eq(ks_ksm_write(ksm, 1, A0 + PG, ks_content_make(cls, 9)), 0);
	ks_ksm_stats(ksm, &st);
	ck_assert_uint_eq(st.cow_ksm, 1);
	expect(2, 2, 1, 0, 0, 1);
	batch();
	expect(3, 1, 0, 0, 0, 1);
	ck_assert_uint_eq(w.stale_nodes, 1);
	batch();
	expect(4, 2, 0, 0, 0, 2);
	teardown();
}
END_TEST

/* Exit drops the mm's items (also from the stable tree) and its slot at once. */
START_TEST(test_ksm2009_exit_drops_items)
{
	uint64_t v[3] = { 1, 7, 7 };

	setup(2);
	proc(1, v, 3);
	batch();
	batch();
	ck_assert_int_eq(ks_ksm_proc_exit(ksm, 1), 0);
	ck_assert_int_eq(ks_ksm_check(ksm), 0);
	ck_assert(!ks_ksm_should_run(ksm));
	expect(2, 0, 0, 0, 0, 0);
	teardown();
}
END_TEST

START_TEST(test_ksm2009_run2_refused)
{
	setup(100);
	ck_assert_int_eq(ks_ksm_set_run(ksm, 2), KS_EINVAL);
	ck_assert_int_eq(ks_ksm_set_run(ksm, 0), 0);
	teardown();
}
END_TEST

Suite *ks_test_suite(void)
{
	Suite *s = suite_create("ksm2009");
	TCase *core = tcase_create("core"), *edges = tcase_create("edges");
	TCase *errors = tcase_create("errors");

	tcase_add_test(core, test_ksm2009_pair_merges_in_second_pass);
	tcase_add_test(core, test_ksm2009_unstable_insert_every_second_pass);
	tcase_add_test(core, test_ksm2009_new_page_matches_stable_at_first_visit);
	tcase_add_test(core, test_ksm2009_skipped_page_per_batch);
	tcase_add_test(core, test_ksm2009_batch_wraps);
	tcase_add_test(edges, test_ksm2009_cow_then_lazy_removal);
	tcase_add_test(edges, test_ksm2009_exit_drops_items);
	tcase_add_test(errors, test_ksm2009_run2_refused);
	suite_add_tcase(s, core);
	suite_add_tcase(s, edges);
	suite_add_tcase(s, errors);
	return s;
}
