/* check_cost.c - the cost model: pricing of hand-made work counts (exact arithmetic),
 * latency buckets, the GSL fits on synthetic data with known answers, and the arch-model
 * loader's errors. Nothing here is timed. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "cost_fit.h"
#include "cost_hooks.h"
#include "cost_model.h"
#include "load_arch.h"

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
	ck_assert_uint_eq(h.page_ns(h.self, KS_PAGE_ANON, &w), 10 + 2048);
	ck_assert_uint_eq(h.page_ns(h.self, KS_PAGE_ANON, &w), 2058);
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

static const char *good_tail =
	"  checksum:\n    xxhash64: {fixed_ns: 0, per_byte_ns: 0.04, source: m}\n"
	"  anon_page: {ns: 1, source: s}\n  ksm_page: {ns: 1, source: s}\n"
	"  walk_entry: {ns: 1, source: s}\n  skip: {ns: 1, source: s}\n"
	"  item_alloc: {ns: 1, source: s}\n  item_free: {ns: 1, source: s}\n"
	"  stable_visit: {ns: 1, source: s}\n  unstable_visit: {ns: 1, source: s}\n"
	"  chain_dup: {ns: 1, source: s}\n  tree_insert: {ns: 1, source: s}\n"
	"  stale_node: {ns: 1, source: s}\n  wrprotect: {ns: 1, source: s}\n"
	"  replace: {ns: 1, source: s}\n  merge: {ns: 1, source: s}\n"
	"  zero_merge: {ns: 1, source: s}\n  break_cow: {ns: 1, source: s}\n"
	"  scan_start: {ns: 1, source: s}\n  batch: {ns: 1, source: s}\n"
	"  page_copy: {ns: 4, source: s}\n";

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

	ck_assert_int_eq(load("  compare: {fixed_ns: 9, per_byte_ns: 0.03, source: m}\n", &am,
			      &err), 0);
	ck_assert_str_eq(am.name, "t");
	ck_assert(am.t.cmp_fixed_ns == 9 && am.t.page_copy_ns == 4);
	ck_assert(am.t.csum_known[KS_CSUM_XXHASH64] && !am.t.csum_known[KS_CSUM_CKSM]);
	ck_assert(am.t.guest_tlb_factor == 1.0);
	ks_arch_fini(&am);
}
END_TEST

START_TEST(test_cost_arch_needs_sources)
{
	struct ks_arch_model am;
	struct ks_err err = { 0 };

	ck_assert_int_eq(load("  compare: {fixed_ns: 9, per_byte_ns: 0.03}\n", &am, &err),
			 KS_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "t.yaml:3:"));
	ck_assert_ptr_nonnull(strstr(err.msg, "no 'source'"));
}
END_TEST

START_TEST(test_cost_arch_errors)
{
	struct ks_arch_model am;
	struct ks_err err = { 0 };

	ck_assert_int_eq(load("  compare: {fixed_ns: 9, per_byte_n: 0.03, source: m}\n", &am,
			      &err), KS_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "per_byte_ns"));
	ck_assert_int_lt(load("  compare: {fixed_ns: -1, per_byte_ns: 0.03, source: m}\n", &am,
			      &err), 0);
	ck_assert_int_eq(ks_arch_load_string("arch: t\ncosts:\n  anon_page: {ns: 1, source: s}\n",
					     "u.yaml", &am, &err), KS_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "missing cost 'compare'"));
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
	tcase_add_test(core, test_cost_ksm_page_priced_apart);
	tcase_add_test(core, test_cost_hooks_accumulate);
	tcase_add_test(core, test_cost_fit_known_line);
	tcase_add_test(core, test_cost_arch_loads);
	tcase_add_test(edges, test_cost_hist_buckets);
	tcase_add_test(edges, test_cost_fit_refuses_bad_input);
	tcase_add_test(errors, test_cost_arch_needs_sources);
	tcase_add_test(errors, test_cost_arch_errors);
	tcase_add_test(errors, test_cost_open_refuses_unpriced_checksum);
	suite_add_tcase(s, core);
	suite_add_tcase(s, edges);
	suite_add_tcase(s, errors);
	return s;
}
