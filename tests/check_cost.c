/* check_cost.c - the cost model: pricing of hand-made work counts (exact arithmetic),
 * latency buckets, the GSL fits on synthetic data with known answers, and the arch-model
 * loader's errors. Nothing here is timed. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "models/cost_model.h"
#include "models/ksm.h"
#include "models/vocab/content.h"
#include "sim/config/load_arch.h"
#include "arch-models/fit.h"
#include "sim/engine/cost_hooks.h"

static void table(struct ks_cost_table *t)
{
	ks_cost_table_zero(t);
	t->cmp_fixed_ns = 10;
	t->cmp_byte_ns = 0.5;
	t->csum_byte_ns[KS_CSUM_XXHASH64] = 0.25;
	t->csum_fixed_ns[KS_CSUM_XXHASH64] = 6;
	t->csum_known[KS_CSUM_XXHASH64] = true;
	t->stable_visit_ns = 7;
	t->unstable_visit_ns = 100;
	t->wrprotect_ns = 200;
	t->replace_ns = 300;
	t->guest_tlb_factor = 2;
}

START_TEST(test_cost_price_components)
{
	struct ks_cost_table t;
	struct ks_work w = { .pages = 1, .cmps = 2, .cmp_bytes = 100, .checksums = 1,
			     .stable_visits = 3, .unstable_visits = 1, .wrprotects = 1,
			     .replaces = 1 };
	struct ks_cost_split c;

	table(&t);
	t.anon_page_ns = 40;
	ks_cost_price(&t, KS_CSUM_XXHASH64, &w, &c);
	ck_assert_uint_eq(c.ns[KS_COST_COMPARE], 2 * 10 + 50);          /* 70 */
	ck_assert_uint_eq(c.ns[KS_COST_CHECKSUM], 6 + 1024);            /* 1030 */
	ck_assert_uint_eq(c.ns[KS_COST_TREE], 3 * 7 + 100);             /* 121 */
	ck_assert_uint_eq(c.ns[KS_COST_MERGE], (200 + 300) * 2);        /* guest factor */
	ck_assert_uint_eq(c.ns[KS_COST_OTHER], 40);
	ck_assert_uint_eq(c.total, 70 + 1030 + 121 + 1000 + 40);
}
END_TEST

/* The cache split: the first tree_hot_depth visits of each descent are warm, the rest
 * cold, and the cold visits' share of the compared bytes is priced cold. */
START_TEST(test_cost_tree_depth_split)
{
	struct ks_cost_table t;
	struct ks_work w = { .pages = 1, .cmps = 9, .cmp_bytes = 900, .unstable_visits = 5,
			     .unstable_walks = 1, .stable_visits = 4, .stable_walks = 2 };
	struct ks_cost_split c;

	table(&t);
	t.tree_hot_depth = 3;
	t.unstable_visit_cold_ns = 1000;
	t.stable_visit_cold_ns = 70;
	t.cmp_cold_byte_ns = 2;
	ck_assert_uint_eq(ks_cost_cold_visits(&t, 5, 1), 2);
	ck_assert_uint_eq(ks_cost_cold_visits(&t, 4, 2), 0);
	ks_cost_price(&t, KS_CSUM_XXHASH64, &w, &c);
	ck_assert_uint_eq(c.ns[KS_COST_TREE], 3 * 100 + 2 * 1000 + 4 * 7);     /* 2328 */
	/* 2 cold visits of 9 compares: 200 of the 900 bytes are cold */
	ck_assert_uint_eq(c.ns[KS_COST_COMPARE], 9 * 10 + 700 / 2 + 200 * 2);  /* 840 */
	w.stable_visits = 8;  /* 2 descents of 4: one cold visit each */
	ks_cost_price(&t, KS_CSUM_XXHASH64, &w, &c);
	ck_assert_uint_eq(c.ns[KS_COST_TREE], 3 * 100 + 2 * 1000 + 6 * 7 + 2 * 70);
	ck_assert_uint_eq(c.ns[KS_COST_COMPARE], 9 * 10 + 500 / 2 + 400 * 2);
}
END_TEST

/* No depth, or work that did not count its descents: every visit is warm (arch models
 * without the keys price as before). */
START_TEST(test_cost_no_split_without_depth_or_walks)
{
	struct ks_cost_table t;
	struct ks_work w = { .pages = 1, .cmps = 5, .cmp_bytes = 50, .unstable_visits = 5,
			     .unstable_walks = 1 };
	struct ks_cost_split c;

	table(&t);
	t.unstable_visit_cold_ns = 1000;
	t.cmp_cold_byte_ns = 2;
	ks_cost_price(&t, KS_CSUM_XXHASH64, &w, &c);
	ck_assert_uint_eq(c.ns[KS_COST_TREE], 500);
	ck_assert_uint_eq(c.ns[KS_COST_COMPARE], 50 + 25);
	t.tree_hot_depth = 2;
	w.unstable_walks = 0;
	ck_assert_uint_eq(ks_cost_cold_visits(&t, 5, 0), 0);
	ks_cost_price(&t, KS_CSUM_XXHASH64, &w, &c);
	ck_assert_uint_eq(c.ns[KS_COST_TREE], 500);
	/* more descents than visits: nothing is cold */
	ck_assert_uint_eq(ks_cost_cold_visits(&t, 3, 2), 0);
	ck_assert_uint_eq(ks_cost_cold_visits(&t, 0, 0), 0);
}
END_TEST

/* The KSM model counts one unstable descent per search of a non-empty tree. */
START_TEST(test_cost_ksm_counts_descents)
{
	struct ks_patch patch = { .offset = 4088, .width = 8, .source = KS_PATCH_ARG };
	struct ks_content_class_spec spec = { .kind = KS_CONTENT_FILL, .fill = 0x5a,
					      .npatches = 1, .patches = &patch };
	struct ks_content_store *cs = ks_content_store_new();
	uint32_t cls = (uint32_t)ks_content_class(cs, &spec);
	struct ks_ksm_params p;
	struct ks_ksm *ksm;
	struct ks_work w1 = { 0 }, w2 = { 0 };
	const uint64_t a0 = 0x10000000, n = 8;

	ks_ksm_params_default(&p);
	p.pages_to_scan = (unsigned)n;
	ksm = ks_ksm_new(&p, cs);
	ck_assert_int_eq(ks_ksm_proc_start(ksm, 1), 0);
	ck_assert_int_eq(ks_ksm_mmap(ksm, 1, a0, n), 0);
	for (uint64_t i = 0; i < n; i++)
		ck_assert_int_eq(ks_ksm_write(ksm, 1, a0 + i * 4096,
					      ks_content_make(cls, 100 + i)), 0);
	ck_assert_int_eq(ks_ksm_madvise(ksm, 1, a0, n, true), 0);
	ck_assert(ks_ksm_scan_batch(ksm, 0, &w1));          /* 1st scan: checksums */
	ck_assert_uint_eq(w1.unstable_visits + w1.unstable_walks + w1.stable_walks, 0);
	for (int b = 1; b < 4 && w2.pages < n; b++)         /* 2nd: 8 unique pages (a batch
							     * may end at the wrap-around) */
		ck_assert(ks_ksm_scan_batch(ksm, (uint64_t)b * 20000000, &w2));
	ck_assert_uint_eq(w2.pages, n);
	ck_assert_uint_eq(w2.unstable_inserts, n);
	ck_assert_uint_eq(w2.unstable_walks, n - 1);        /* the first found it empty */
	ck_assert_uint_ge(w2.unstable_visits, n - 1);
	ck_assert_uint_eq(w2.stable_walks, 0);              /* no stable tree yet */
	ks_ksm_free(ksm);
	ks_content_store_free(cs);
}
END_TEST

/* tree_warm_up: the m-th descent of a batch finds min(depth, floor(log2 m)) levels hot. */
START_TEST(test_cost_warm_up_cold_run)
{
	struct ks_cost_table t;
	struct ks_cost_model *cm;
	struct ks_cost_hooks h;
	struct ks_work w = { .pages = 1, .cmps = 5, .cmp_bytes = 50, .unstable_visits = 5,
			     .unstable_walks = 1 };
	uint64_t run, one = 0;

	table(&t);
	t.tree_hot_depth = 3;
	t.unstable_visit_cold_ns = 1000;
	t.cmp_cold_byte_ns = 0.5;
	/* without warm-up: 2 of 5 cold in every descent */
	ck_assert(ks_cost_cold_run(&t, 5, 0, 10) == 20);
	t.tree_warm_up = 1;
	/* m = 1: 5 cold; m = 2, 3: 4 each; m = 4..7: 3 each; m = 8..10: 2 each */
	ck_assert(ks_cost_cold_run(&t, 5, 0, 10) == 5 + 2 * 4 + 4 * 3 + 3 * 2);
	ck_assert(ks_cost_cold_run(&t, 5, 3, 2) == 3 + 3);   /* m = 4, 5 */
	ck_assert(ks_cost_cold_run(&t, 5, 1000, 3) == 3 * 2); /* deep in a batch: depth */
	ck_assert(ks_cost_cold_run(&t, 1.5, 0, 4) == 1.5 + 0.5 + 0.5 + 0);
	/* the hooks: a run of 10 pages costs what the 10 pages one by one do, and the
	 * batch's end starts the count again */
	cm = ks_cost_model_new("t", &t, KS_CSUM_XXHASH64);
	h = ks_cost_model_hooks(cm);
	run = 10 * h.page_ns(h.self, KS_PAGE_ANON, &w, 10);
	h.batch_ns(h.self, &w, &(struct ks_work){ 0 });
	for (int i = 0; i < 10; i++)
		one += h.page_ns(h.self, KS_PAGE_ANON, &w, 1);
	ck_assert_uint_eq(run, one);
	/* 31 cold, 19 hot visits: 31 * 1000 + 19 * 100, plus 50 compares of 10 bytes */
	ck_assert_uint_eq(one, 31 * 1000 + 19 * 100 + 50 * 10 + 500 / 2);
	ks_cost_model_free(cm);
}
END_TEST

/* ksm_pages_cold: a KSM-page rescan whose KSM page is not the previous rescan's; a
 * batch starts cold. walk_holes: addresses of a mergeable VMA without a page. Both
 * counted alike by the bulk and the page-by-page path. */
START_TEST(test_cost_ksm_cold_and_holes_counted)
{
	for (int bulk = 0; bulk < 2; bulk++)
		for (unsigned kinds = 1; kinds <= 2; kinds++) {
			struct ks_content_class_spec spec = { .kind = KS_CONTENT_FILL,
							      .fill = 0x33 };
			struct ks_content_store *cs = ks_content_store_new();
			uint32_t cls = (uint32_t)ks_content_class(cs, &spec);
			struct ks_patch patch = { .offset = 0, .width = 8,
						  .source = KS_PATCH_ARG };
			struct ks_content_class_spec spec2 = { .kind = KS_CONTENT_FILL,
							       .fill = 0x44, .npatches = 1,
							       .patches = &patch };
			uint32_t cls2 = (uint32_t)ks_content_class(cs, &spec2);
			struct ks_ksm_params p;
			struct ks_ksm *ksm;
			struct ks_work w = { 0 };
			const uint64_t a0 = 0x10000000, n = 16, written = 12;

			ks_ksm_params_default(&p);
			p.pages_to_scan = 1000; /* a batch is a full scan */
			ksm = ks_ksm_new(&p, cs);
			ks_ksm_set_bulk(ksm, bulk);
			ck_assert_int_eq(ks_ksm_proc_start(ksm, 1), 0);
			ck_assert_int_eq(ks_ksm_mmap(ksm, 1, a0, n), 0);
			/* kinds 1: all alike (one KSM page); 2: alternating A, B */
			for (uint64_t i = 0; i < written; i++)
				ck_assert_int_eq(ks_ksm_write(ksm, 1, a0 + i * 4096,
					(kinds == 2 && i % 2) ? ks_content_make(cls2, 7) :
					ks_content_make(cls, 0)), 0);
			ck_assert_int_eq(ks_ksm_madvise(ksm, 1, a0, n, true), 0);
			for (int b = 0; b < 4; b++)  /* checksums, merges, rescans */
				ck_assert(ks_ksm_scan_batch(ksm, (uint64_t)b * 20000000, &w));
			memset(&w, 0, sizeof(w));
			ck_assert(ks_ksm_scan_batch(ksm, 100000000, &w));
			ck_assert_uint_eq(w.ksm_pages, written);
			ck_assert_uint_eq(w.ksm_pages_cold, kinds == 1 ? 1 : written);
			ck_assert_uint_eq(w.walk_holes, n - written);
			ck_assert_uint_eq(w.walk_entries, written);
			ks_ksm_free(ksm);
			ks_content_store_free(cs);
		}
}
END_TEST

START_TEST(test_cost_ksm_page_priced_apart)
{
	struct ks_cost_table t;
	struct ks_work w = { .pages = 1, .ksm_pages = 1 };
	struct ks_cost_split c;

	table(&t);
	t.anon_page_ns = 40;
	t.ksm_page_ns = 3;
	t.batch_ns = 1000;
	ks_cost_price(&t, KS_CSUM_XXHASH64, &w, &c);
	ck_assert_uint_eq(c.total, 3);
	t.ksm_page_cold_ns = 30;     /* another KSM page than the previous rescan's */
	w.ksm_pages_cold = 1;
	ks_cost_price(&t, KS_CSUM_XXHASH64, &w, &c);
	ck_assert_uint_eq(c.total, 30);
	t.walk_hole_ns = 2;
	w.walk_holes = 5;
	ks_cost_price(&t, KS_CSUM_XXHASH64, &w, &c);
	ck_assert_uint_eq(c.ns[KS_COST_OTHER], 40);
	ks_cost_price_batch(&t, KS_CSUM_XXHASH64, &(struct ks_work){ 0 }, &c);
	ck_assert_uint_eq(c.ns[KS_COST_OTHER], 1000);
}
END_TEST

START_TEST(test_cost_hooks_accumulate)
{
	struct ks_cost_table t;
	struct ks_cost_model *cm;
	struct ks_cost_hooks h;
	struct ks_work w = { .pages = 1, .cmps = 1, .cmp_bytes = 4096 };
	const struct ks_cost_stats *st;
	size_t nb;

	table(&t);
	cm = ks_cost_model_new("t", &t, KS_CSUM_XXHASH64);
	h = ks_cost_model_hooks(cm);
	ck_assert_uint_eq(h.page_ns(h.self, KS_PAGE_ANON, &w, 1), 10 + 2048);
	ck_assert_uint_eq(h.page_ns(h.self, KS_PAGE_ANON, &w, 1), 2058);
	ck_assert_uint_eq(h.batch_ns(h.self, &w, &(struct ks_work){ 0 }), 0);
	st = ks_cost_model_stats(cm);
	ck_assert_uint_eq(st->pages[0], 2);
	ck_assert_uint_eq(st->hist[0][11], 2); /* [2K, 4K) */
	ck_assert_uint_eq(ks_cost_model_batches(cm, &nb)[0].ns, 4116);
	ck_assert_uint_eq(nb, 1);
	ks_cost_model_free(cm);
}
END_TEST

START_TEST(test_cost_hist_buckets)
{
	ck_assert_uint_eq(ks_cost_hist_bucket(0), 0);
	ck_assert_uint_eq(ks_cost_hist_bucket(1), 0);
	ck_assert_uint_eq(ks_cost_hist_bucket(2), 1);
	ck_assert_uint_eq(ks_cost_hist_bucket(3), 1);
	ck_assert_uint_eq(ks_cost_hist_bucket(2048), 11);
	ck_assert_uint_eq(ks_cost_hist_bucket(4095), 11);
	ck_assert_uint_eq(ks_cost_hist_bucket(UINT64_MAX), KS_COST_HIST_BUCKETS - 1);
	ck_assert_uint_eq(ks_cost_hist_lo(11), 2048);
}
END_TEST

START_TEST(test_cost_fit_known_line)
{
	double x[50], y[50];
	struct ks_fit f;

	for (int i = 0; i < 50; i++) {
		x[i] = i * 80 + 1;
		/* y = 12 + 0.04 x, plus a zero-mean alternating error of 0.5 */
		y[i] = 12 + 0.04 * x[i] + (i % 2 ? 0.5 : -0.5);
	}
	ck_assert_int_eq(ks_fit_linear(x, y, 50, &f, NULL), 0);
	ck_assert(fabs(f.c1 - 0.04) < 1e-3);
	ck_assert(fabs(f.c0 - 12) < 0.5);
	ck_assert(f.r2 > 0.99 && f.r2 < 1.0);
	ck_assert(f.se1 > 0 && f.se1 < 1e-3);
	for (int i = 0; i < 50; i++)
		y[i] = 3 + 2 * x[i];
	ck_assert_int_eq(ks_fit_linear(x, y, 50, &f, NULL), 0);
	ck_assert(fabs(f.c0 - 3) < 1e-9 && fabs(f.c1 - 2) < 1e-12 && fabs(f.r2 - 1) < 1e-12);
}
END_TEST

START_TEST(test_cost_fit_refuses_bad_input)
{
	double x[3] = { 1, 1, 1 }, y[3] = { 1, 2, 3 }, m, se;
	struct ks_fit f;
	struct ks_err err = { 0 };

	ck_assert_int_eq(ks_fit_linear(x, y, 2, &f, &err), KS_EINVAL);
	ck_assert_int_eq(ks_fit_linear(x, y, 3, &f, &err), KS_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "different x"));
	ck_assert_int_eq(ks_fit_mean(y, 3, &m, &se, NULL), 0);
	ck_assert(fabs(m - 2) < 1e-12 && fabs(se - 1 / sqrt(3)) < 1e-12);
}
END_TEST

/* Each entry's provenance and source, as every cost entry needs them. */
#define P_M "provenance: measured, source: m"
#define P_S "provenance: derived, source: s"

static const char *good_tail =
	"  checksum:\n    xxhash64: {fixed_ns: 0, per_byte_ns: 0.04, provenance: measured,\n"
	"               source: m}\n"
	"  anon_page: {ns: 1, " P_S "}\n  ksm_page: {ns: 1, " P_S "}\n"
	"  walk_entry: {ns: 1, " P_S "}\n  skip: {ns: 1, " P_S "}\n"
	"  item_alloc: {ns: 1, " P_S "}\n  item_free: {ns: 1, " P_S "}\n"
	"  stable_visit: {ns: 1, " P_S "}\n  unstable_visit: {ns: 1, " P_S "}\n"
	"  chain_dup: {ns: 1, " P_S "}\n  tree_insert: {ns: 1, " P_S "}\n"
	"  stale_node: {ns: 1, " P_S "}\n  wrprotect: {ns: 1, " P_S "}\n"
	"  replace: {ns: 1, " P_S "}\n  merge: {ns: 1, " P_S "}\n"
	"  zero_merge: {ns: 1, " P_S "}\n  break_cow: {ns: 1, " P_S "}\n"
	"  scan_start: {ns: 1, " P_S "}\n  batch: {ns: 1, " P_S "}\n"
	"  page_copy: {ns: 4, " P_S "}\n";

static int load(const char *compare, struct ks_arch_model *am, struct ks_err *err)
{
	char buf[4096];

	snprintf(buf, sizeof(buf), "arch: t\ncosts:\n%s%s", compare, good_tail);
	return ks_arch_load_string(buf, "t.yaml", am, err);
}

START_TEST(test_cost_arch_loads)
{
	struct ks_arch_model am;
	struct ks_err err = { 0 };

	ck_assert_int_eq(load("  compare: {fixed_ns: 9, per_byte_ns: 0.03, " P_M "}\n", &am,
			      &err), 0);
	ck_assert_str_eq(am.name, "t");
	ck_assert(am.t.cmp_fixed_ns == 9 && am.t.page_copy_ns == 4);
	ck_assert(am.t.csum_known[KS_CSUM_XXHASH64] && !am.t.csum_known[KS_CSUM_CKSM]);
	ck_assert(am.t.guest_tlb_factor == 1.0);
	ks_arch_fini(&am);
}
END_TEST

/* The cache keys are optional with defaults that keep an arch's old prices, and read
 * when present. */
START_TEST(test_cost_arch_cache_keys)
{
	struct ks_arch_model am;
	struct ks_err err = { 0 };
	char buf[4096];

	ck_assert_int_eq(load("  compare: {fixed_ns: 9, per_byte_ns: 0.03, " P_M "}\n", &am,
			      &err), 0);
	ck_assert(am.t.tree_hot_depth == 0);
	ck_assert(am.t.unstable_visit_cold_ns == am.t.unstable_visit_ns);
	ck_assert(am.t.stable_visit_cold_ns == am.t.stable_visit_ns);
	ck_assert(am.t.cmp_cold_byte_ns == am.t.cmp_byte_ns);
	ks_arch_fini(&am);
	snprintf(buf, sizeof(buf), "arch: t\ncosts:\n  compare: {fixed_ns: 9, per_byte_ns: "
		 "0.03, cold_per_byte_ns: 0.2, " P_M "}\n%s  tree_hot_depth: {value: 11, "
		 "" P_S "}\n  unstable_visit_cold: {ns: 500, " P_S "}\n"
		 "  stable_visit_cold: {ns: 300, " P_S "}\n", good_tail);
	ck_assert_int_eq(ks_arch_load_string(buf, "t.yaml", &am, &err), 0);
	ck_assert(am.t.tree_hot_depth == 11 && am.t.cmp_cold_byte_ns == 0.2);
	ck_assert(am.t.unstable_visit_cold_ns == 500 && am.t.stable_visit_cold_ns == 300);
	ks_arch_fini(&am);
	snprintf(buf, sizeof(buf), "arch: t\ncosts:\n  compare: {fixed_ns: 9, per_byte_ns: "
		 "0.03, " P_M "}\n%s  tree_hot_depth: {value: 11}\n", good_tail);
	ck_assert_int_eq(ks_arch_load_string(buf, "t.yaml", &am, &err), KS_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "tree_hot_depth"));
	snprintf(buf, sizeof(buf), "arch: t\ncosts:\n  compare: {fixed_ns: 9, per_byte_ns: "
		 "0.03, " P_M "}\n%s  tree_hot_depth: {value: -2, " P_S "}\n", good_tail);
	ck_assert_int_lt(ks_arch_load_string(buf, "t.yaml", &am, &err), 0);
}
END_TEST

START_TEST(test_cost_arch_needs_sources)
{
	struct ks_arch_model am;
	struct ks_err err = { 0 };

	ck_assert_int_eq(load("  compare: {fixed_ns: 9, per_byte_ns: 0.03}\n", &am, &err),
			 KS_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "t.yaml:3:"));
	ck_assert_ptr_nonnull(strstr(err.msg, "missing required key 'source' in costs.compare"));
}
END_TEST

/* A cost without its kind of source is refused; the kinds are kept per entry. */
START_TEST(test_cost_arch_needs_provenance)
{
	struct ks_arch_model am;
	struct ks_err err = { 0 };

	ck_assert_int_eq(load("  compare: {fixed_ns: 9, per_byte_ns: 0.03, source: m}\n", &am,
			      &err), KS_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "missing required key 'provenance' in "
				     "costs.compare"));
	ck_assert_int_eq(load("  compare: {fixed_ns: 9, per_byte_ns: 0.03, provenance: "
			      "guessed, source: m}\n", &am, &err), KS_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "t.yaml:3:"));
	ck_assert_int_eq(load("  compare: {fixed_ns: 9, per_byte_ns: 0.03, provenance: "
			      "fitted, source: m}\n", &am, &err), 0);
	ck_assert_str_eq(ks_arch_prov_of(&am, "compare"), "fitted");
	ck_assert_str_eq(ks_arch_prov_of(&am, "checksum.xxhash64"), "measured");
	ck_assert_str_eq(ks_arch_prov_of(&am, "anon_page"), "derived");
	ck_assert_ptr_null(ks_arch_prov_of(&am, "gup_lookup"));
	ks_arch_fini(&am);
}
END_TEST

START_TEST(test_cost_arch_errors)
{
	struct ks_arch_model am;
	struct ks_err err = { 0 };

	ck_assert_int_eq(load("  compare: {fixed_ns: 9, per_byte_n: 0.03, " P_M "}\n", &am,
			      &err), KS_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "per_byte_ns"));
	ck_assert_int_lt(load("  compare: {fixed_ns: -1, per_byte_ns: 0.03, " P_M "}\n", &am,
			      &err), 0);
	ck_assert_int_eq(ks_arch_load_string("arch: t\ncosts:\n  anon_page: {ns: 1, " P_S "}\n",
					     "u.yaml", &am, &err), KS_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "missing required key 'compare' in costs"));
}
END_TEST

START_TEST(test_cost_open_refuses_unpriced_checksum)
{
	struct ks_ksm_params p;
	struct ks_cost_model *cm = NULL;
	struct ks_err err = { 0 };
	char path[4096];

	ks_ksm_params_default(&p);
	p.checksum = KS_CSUM_CKSM;
	snprintf(path, sizeof(path), "%s/arch-models/core2-2009.yaml", KS_SRCDIR);
	ck_assert_int_eq(ks_cost_model_open(path, &p, &cm, &err), KS_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "no cost for checksum 'cksm'"));
	ck_assert_ptr_null(cm);
	ck_assert_int_eq(ks_cost_model_open("no-such-arch", &p, &cm, &err), KS_ENOENT);
}
END_TEST

Suite *ks_test_suite(void);

Suite *ks_test_suite(void)
{
	Suite *s = suite_create("cost");
	TCase *core = tcase_create("core"), *edges = tcase_create("edges");
	TCase *errors = tcase_create("errors");

	tcase_add_test(core, test_cost_price_components);
	tcase_add_test(core, test_cost_tree_depth_split);
	tcase_add_test(core, test_cost_ksm_counts_descents);
	tcase_add_test(core, test_cost_ksm_page_priced_apart);
	tcase_add_test(core, test_cost_warm_up_cold_run);
	tcase_add_test(core, test_cost_ksm_cold_and_holes_counted);
	tcase_add_test(core, test_cost_hooks_accumulate);
	tcase_add_test(core, test_cost_fit_known_line);
	tcase_add_test(core, test_cost_arch_loads);
	tcase_add_test(edges, test_cost_hist_buckets);
	tcase_add_test(edges, test_cost_fit_refuses_bad_input);
	tcase_add_test(edges, test_cost_no_split_without_depth_or_walks);
	tcase_add_test(errors, test_cost_arch_cache_keys);
	tcase_add_test(errors, test_cost_arch_needs_sources);
	tcase_add_test(errors, test_cost_arch_needs_provenance);
	tcase_add_test(errors, test_cost_arch_errors);
	tcase_add_test(errors, test_cost_open_refuses_unpriced_checksum);
	suite_add_tcase(s, core);
	suite_add_tcase(s, edges);
	suite_add_tcase(s, errors);
	return s;
}
