/* check_reclaim.c - host memory pressure (sim/engine/reclaim.c) over the KSM model and
 * the zram model, worked by hand: reclaim starts exactly when resident pages plus the
 * zram pool exceed host.ram - kernel_reserved and takes the least recently used first;
 * a KSM page is swapped once for all its mappers (one slot) unless another mapper used
 * it later; write and read faults swap in (pswpin once per slot, the swap cache for the
 * other mappers); zero-filled pages go to the zeromap; the mm_stat fields equal those of
 * a zram device given the same pages; the same calls give the same counters. */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "models/base/status.h"
#include "models/ksm.h"
#include "models/vocab/content.h"
#include "models/zram.h"
#include "sim/engine/reclaim.h"
#include "traces/scenario.h"

#define A0 0x100000000ULL
#define PG 4096ULL

struct fx {
	struct ks_content_store *cs;
	struct ks_ksm *ksm;
	struct ks_reclaim *r;
	struct ks_scenario sc;
	uint32_t fill_cls;      /* fill 0x5a, 8-byte argument at 4088: compresses well */
	uint32_t same_cls;      /* fill 0x5a only: zram's same-filled page */
	uint64_t t;
};

static struct fx F;

/* Unit prices: the tests count work, they never read a price as a number. */
static const struct ks_zs_costs costs = { 1, 1, 1, 1, 1, 1, 1, 1 };

static void fx_setup(void)
{
	struct ks_patch patch = { .offset = 4088, .width = 8, .source = KS_PATCH_ARG };
	struct ks_content_class_spec spec = { .kind = KS_CONTENT_FILL, .fill = 0x5a,
					      .npatches = 1, .patches = &patch };
	struct ks_content_class_spec same = { .kind = KS_CONTENT_FILL, .fill = 0x5a };

	memset(&F, 0, sizeof(F));
	F.cs = ks_content_store_new();
	F.fill_cls = (uint32_t)ks_content_class(F.cs, &spec);
	F.same_cls = (uint32_t)ks_content_class(F.cs, &same);
	ks_scenario_init(&F.sc);
}

static void fx_teardown(void)
{
	ks_reclaim_free(F.r);
	ks_ksm_free(F.ksm);
	ks_content_store_free(F.cs);
	ks_scenario_fini(&F.sc);
}

static ks_content page(uint64_t v) { return ks_content_make(F.fill_cls, v); }

/* A host leaving `limit` pages to the processes and zram; processes 1 and 2 with a
 * mergeable 64-page mapping each. */
static void start(uint64_t limit)
{
	struct ks_ksm_params p;

	ks_ksm_params_default(&p);
	p.pages_to_scan = 1000000;
	F.ksm = ks_ksm_new(&p, F.cs);
	F.sc.host.kernel_pages = 4096;
	F.sc.host.ram_pages = 4096 + limit;
	F.r = ks_reclaim_new(&F.sc, F.ksm, F.cs, &costs);
	ck_assert_ptr_nonnull(F.r);
	for (uint32_t pid = 1; pid <= 2; pid++) {
		ck_assert_int_eq(ks_ksm_proc_start(F.ksm, pid), 0);
		ck_assert_int_eq(ks_ksm_mmap(F.ksm, pid, A0, 64), 0);
		ks_reclaim_mmap(F.r, pid, A0, 64);
		ck_assert_int_eq(ks_ksm_madvise(F.ksm, pid, A0, 64, true), 0);
	}
}

/* A write record of one page, as the world applies it, then reclaim. */
static void wr(uint32_t pid, uint64_t idx, ks_content c)
{
	ks_reclaim_write(F.r, pid, A0 + idx * PG, 1);
	ck_assert_int_eq(ks_ksm_write(F.ksm, pid, A0 + idx * PG, c), 0);
	ks_reclaim_balance(F.r);
}

static void rd(uint32_t pid, uint64_t idx)
{
	ks_reclaim_read(F.r, pid, A0 + idx * PG, 1);
	ks_reclaim_balance(F.r);
}

static struct ks_swap_stats st(void)
{
	struct ks_swap_stats s;

	ks_reclaim_stats(F.r, &s);
	return s;
}

static bool present(uint32_t pid, uint64_t idx)
{
	ks_content c;

	return ks_ksm_read(F.ksm, pid, A0 + idx * PG, &c) == 0;
}

static void scans(uint64_t n)
{
	struct ks_ksm_stats s;
	struct ks_work w;

	for (;;) {
		ks_ksm_stats(F.ksm, &s);
		if (s.full_scans >= n)
			return;
		memset(&w, 0, sizeof(w));
		ck_assert(ks_ksm_scan_batch(F.ksm, F.t, &w));
		F.t += 20000000;
		ck_assert_int_eq(ks_ksm_check(F.ksm), 0);
	}
}

/* Limit 10: ten resident pages need no reclaim; the eleventh page pushes the oldest out,
 * and as many more as the pool's own page costs; the limit holds after. */
START_TEST(test_reclaim_starts_at_the_limit)
{
	struct ks_swap_stats s;

	start(10);
	ck_assert_uint_eq(st().limit_pages, 10);
	for (uint64_t i = 0; i < 10; i++)
		wr(1, i, page(100 + i));
	s = st();
	ck_assert_uint_eq(s.resident_pages, 10);
	ck_assert_uint_eq(s.pswpout, 0);
	ck_assert_uint_eq(s.zram.orig_data_size, 0);
	wr(1, 10, page(110));
	s = st();
	/* page 0 out: 10 resident + 1 pool page = 11 > 10; page 1 out: 9 + 1 = 10 */
	ck_assert_uint_eq(s.pswpout, 2);
	ck_assert_uint_eq(s.resident_pages, 9);
	ck_assert_uint_eq(s.zram.mem_used_total, PG);
	ck_assert_uint_eq(s.zram.orig_data_size, 2 * PG);
	ck_assert_uint_eq(s.swap_pages, 2);
	ck_assert_uint_eq(s.swap_slots, 2);
	ck_assert_uint_eq(s.reclaim_short, 0);
	ck_assert(!present(1, 0) && !present(1, 1) && present(1, 2) && present(1, 10));
	/* a write makes page 2 young: page 3 goes next */
	wr(1, 2, page(200));
	wr(1, 11, page(111));
	ck_assert(present(1, 2) && !present(1, 3) && present(1, 4));
	ck_assert_uint_eq(st().pswpout, 3);
	ck_assert_int_eq(ks_ksm_check(F.ksm), 0);
}
END_TEST

/* Swap-in: a write fault drops the slot (the model's write is the new page), a read
 * fault maps the old content again; pswpin once each; the slot and its zram object go. */
START_TEST(test_reclaim_swap_in)
{
	struct ks_swap_stats s;
	ks_content c;

	start(4);
	for (uint64_t i = 0; i < 6; i++)
		wr(1, i, page(100 + i));
	s = st();
	ck_assert_uint_eq(s.pswpout, 3); /* 0, 1, 2: 3 resident + 1 pool page */
	ck_assert(!present(1, 0) && !present(1, 2) && present(1, 3));
	rd(1, 0);
	ck_assert_int_eq(ks_ksm_read(F.ksm, 1, A0, &c), 0);
	ck_assert(c == page(100));
	s = st();
	ck_assert_uint_eq(s.pswpin, 1);
	ck_assert_uint_eq(s.pswpout, 4); /* page 3 made room */
	ck_assert(!present(1, 3));
	wr(1, 1, page(7));
	ck_assert_int_eq(ks_ksm_read(F.ksm, 1, A0 + PG, &c), 0);
	ck_assert(c == page(7));
	s = st();
	ck_assert_uint_eq(s.pswpin, 2);
	ck_assert_uint_eq(s.swapin_shared, 0);
	/* out: 0, 1, 2, 3, then 4 and 5 for the two pages faulted in; in: 0, 1 */
	ck_assert_uint_eq(s.pswpout, 5);
	ck_assert_uint_eq(s.swap_slots, s.pswpout - s.pswpin);
	ck_assert_uint_eq(s.zram.orig_data_size, s.swap_slots * PG);
	ck_assert_uint_eq(s.resident_pages + s.zram.mem_used_total / PG, 4);
	ck_assert_int_eq(ks_ksm_check(F.ksm), 0);
}
END_TEST

/* One KSM page for two processes: reclaim passes it over while pid 2's use is younger
 * than the entry it reached (folio_referenced), then swaps it once: one slot, two swap
 * entries, one pswpout; the first fault reads zram, the second finds the swap cache. */
START_TEST(test_reclaim_ksm_page_once)
{
	struct ks_swap_stats s;

	start(4);
	wr(1, 0, page(42));     /* stamp 1 */
	wr(2, 0, page(42));     /* stamp 2 */
	wr(1, 1, page(1));      /* stamp 3 */
	wr(2, 1, page(2));      /* stamp 4 */
	ck_assert_uint_eq(st().pswpout, 0);
	scans(3);
	ck_assert_uint_eq(ks_ksm_resident_pages(F.ksm), 3);
	wr(1, 2, page(3));      /* 4 resident: at the limit */
	ck_assert_uint_eq(st().pswpout, 0);
	wr(1, 3, page(4));      /* 5 > 4 */
	s = st();
	/* entry 1 (pid 1's page 0): KSM, pid 2's entry 2 is younger: passed over; entry 2:
	 * the KSM page out for both (4 resident + 1 pool page); entry 3: pid 1's page 1
	 * (3 + 1 = 4) */
	ck_assert_uint_eq(s.ksm_referenced, 1);
	ck_assert_uint_eq(s.ksm_swpout, 1);
	ck_assert_uint_eq(s.pswpout, 2);
	ck_assert_uint_eq(s.swap_slots, 2);
	ck_assert_uint_eq(s.swap_pages, 3);
	ck_assert_uint_eq(s.zram.orig_data_size, 2 * PG);
	ck_assert_uint_eq(s.resident_pages, 3);
	ck_assert(!present(1, 0) && !present(2, 0) && !present(1, 1) && present(2, 1));
	rd(2, 0);
	s = st();
	ck_assert_uint_eq(s.pswpin, 1);
	ck_assert(present(2, 0) && !present(1, 0)); /* pid 1 still names the slot */
	wr(1, 0, page(43));
	s = st();
	ck_assert_uint_eq(s.pswpin, 1);
	ck_assert_uint_eq(s.swapin_shared, 1);
	/* the KSM slot went with its second fault; every slot left is one private page */
	ck_assert_uint_eq(s.swap_slots, s.pswpout - s.pswpin);
	ck_assert_uint_eq(s.swap_pages, s.swap_slots);
	ck_assert_int_eq(ks_ksm_check(F.ksm), 0);
}
END_TEST

/* Zero-filled pages go to the zeromap (no zram write, no pswpout); same-filled ones are
 * zram's same_pages; the mm_stat fields are those of a zram device given the same pages
 * in the same order. */
START_TEST(test_reclaim_zero_same_and_mm_stat)
{
	ks_content pages[6] = { KS_CONTENT_ZERO_PAGE, ks_content_make(F.same_cls, 0),
				page(5), page(6), page(7), page(8) };
	struct ks_zram *z = ks_zram_new(KS_COMP_LZO_RLE, 8);
	struct ks_zram_stats want;
	struct ks_swap_stats s;
	ks_content c;

	start(3);
	for (uint64_t i = 0; i < 6; i++)
		wr(1, i, pages[i]);
	s = st();
	/* out in LRU order: zero (zeromap), same-filled, 5, 6: 2 resident + 1 pool page */
	ck_assert_uint_eq(s.swpout_zero, 1);
	ck_assert_uint_eq(s.pswpout, 3);
	ck_assert_uint_eq(s.zram.same_pages, 1);
	for (unsigned i = 1; i < 4; i++)
		ks_zram_store_content(z, F.cs, pages[i]);
	ks_zram_stats(z, &want);
	ck_assert_uint_eq(s.zram.orig_data_size, want.orig_data_size);
	ck_assert_uint_eq(s.zram.compr_data_size, want.compr_data_size);
	ck_assert_uint_eq(s.zram.mem_used_total, want.mem_used_total);
	ck_assert_uint_eq(s.zram.same_pages, want.same_pages);
	ck_assert_uint_eq(s.zram.huge_pages, want.huge_pages);
	ck_assert_uint_eq(s.zram.orig_data_size, 3 * PG);
	ck_assert_uint_gt(s.zram.compr_data_size, 0);
	ck_assert_uint_lt(s.zram.compr_data_size, 2 * 200);
	rd(1, 0);
	ck_assert_int_eq(ks_ksm_read(F.ksm, 1, A0, &c), 0);
	ck_assert(ks_content_is_zero(F.cs, c));
	s = st();
	ck_assert_uint_eq(s.swpin_zero, 1);
	ck_assert_uint_eq(s.pswpin, 0);
	ks_zram_free(z);
}
END_TEST

/* Pages that do not compress free nothing when swapped (a 4096-byte object for a
 * 4096-byte page): the LRU runs dry over the limit; counted once, and reclaim stays off
 * (no OOM killer here) until the limit holds again. */
START_TEST(test_reclaim_short)
{
	uint8_t bytes[PG];
	uint64_t x = 88172645463325252ull;
	struct ks_swap_stats s;

	start(2);
	for (uint64_t i = 0; i < 4; i++) {
		for (unsigned k = 0; k < PG; k++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			bytes[k] = (uint8_t)x;
		}
		if (i == 3)
			break;
		wr(1, i, ks_content_literal(F.cs, bytes));
	}
	s = st();
	/* 3 > 2; out 0: 2 + 1; out 1: 1 + 2; out 2: 0 + 3; nothing left */
	ck_assert_uint_eq(s.pswpout, 3);
	ck_assert_uint_eq(s.zram.huge_pages, 3);
	ck_assert_uint_eq(s.reclaim_short, 1);
	wr(1, 3, ks_content_literal(F.cs, bytes));
	s = st();
	ck_assert_uint_eq(s.pswpout, 3);
	ck_assert_uint_eq(s.reclaim_short, 1);
	ck_assert_uint_eq(s.resident_pages, 1);
	/* an unmap brings it under the limit (page 3 + page 2's object): reclaim runs again,
	 * page 3 (huge) and page 4 out, and runs dry once more */
	ks_reclaim_munmap(F.r, 1, A0, 2);
	ck_assert_int_eq(ks_ksm_munmap(F.ksm, 1, A0, 2), 0);
	ks_reclaim_balance(F.r);
	s = st();
	ck_assert_uint_eq(s.resident_pages + s.zram.mem_used_total / PG, 2);
	wr(1, 4, page(1));
	s = st();
	ck_assert_uint_eq(s.pswpout, 5);
	ck_assert_uint_eq(s.reclaim_short, 2);
	ck_assert_uint_eq(s.resident_pages, 0);
}
END_TEST

/* The same calls give the same counters. */
static struct ks_swap_stats sequence(void)
{
	struct ks_swap_stats s;

	start(6);
	for (uint64_t i = 0; i < 40; i++) {
		wr(1 + (uint32_t)(i % 2), (i * 7) % 64, page(i % 5));
		if (i % 9 == 0)
			scans(F.t / 20000000 + 1);
		if (i % 4 == 0)
			rd(1, (i * 3) % 64);
	}
	s = st();
	ks_reclaim_free(F.r);
	ks_ksm_free(F.ksm);
	F.r = NULL;
	F.ksm = NULL;
	return s;
}

START_TEST(test_reclaim_deterministic)
{
	struct ks_swap_stats a = sequence(), b = sequence();

	ck_assert_uint_gt(a.pswpout, 5);
	ck_assert_uint_gt(a.pswpin, 0);
	ck_assert(!memcmp(&a, &b, sizeof(a)));
}
END_TEST

Suite *ks_test_suite(void);

Suite *ks_test_suite(void)
{
	Suite *s = suite_create("reclaim");
	TCase *c = tcase_create("core");

	tcase_add_checked_fixture(c, fx_setup, fx_teardown);
	tcase_set_timeout(c, 60);
	tcase_add_test(c, test_reclaim_starts_at_the_limit);
	tcase_add_test(c, test_reclaim_swap_in);
	tcase_add_test(c, test_reclaim_ksm_page_once);
	tcase_add_test(c, test_reclaim_zero_same_and_mm_stat);
	tcase_add_test(c, test_reclaim_short);
	tcase_add_test(c, test_reclaim_deterministic);
	suite_add_tcase(s, c);
	return s;
}
