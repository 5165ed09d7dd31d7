/* check_ksm.c - the KSM model against hand-worked cases (counters after each batch),
 * the kernel's documented behaviours, and its own invariants after every step. */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "models/base/status.h"
#include "models/ksm.h"
#include "models/vocab/content.h"

#define A0 0x100000000ULL /* first region of every test process */
#define PG 4096ULL

struct fx {
	struct ks_content_store *cs;
	struct ks_ksm *ksm;
	struct ks_ksm_params p;
	uint32_t fill_cls;      /* fill 0x5a, 8-byte page index at 4088 */
	uint64_t t;             /* simulated ns */
};

static struct fx F;

static void fx_setup(void)
{
	struct ks_patch patch = { .offset = 4088, .width = 8, .source = KS_PATCH_ARG };
	struct ks_content_class_spec spec = { .kind = KS_CONTENT_FILL, .fill = 0x5a,
					      .npatches = 1, .patches = &patch };

	memset(&F, 0, sizeof(F));
	F.cs = ks_content_store_new();
	F.fill_cls = (uint32_t)ks_content_class(F.cs, &spec);
	ks_ksm_params_default(&F.p);
	F.p.pages_to_scan = 1000000;
}

static void fx_teardown(void)
{
	ks_ksm_free(F.ksm);
	ks_content_store_free(F.cs);
}

static void start(void)
{
	F.ksm = ks_ksm_new(&F.p, F.cs);
}

static ks_content page(uint64_t v) { return ks_content_make(F.fill_cls, v); }

/* A process with one mergeable region holding contents[0..n). */
static void proc(uint32_t pid, const ks_content *contents, uint64_t n)
{
	ck_assert_int_eq(ks_ksm_proc_start(F.ksm, pid), 0);
	ck_assert_int_eq(ks_ksm_mmap(F.ksm, pid, A0, n), 0);
	for (uint64_t i = 0; i < n; i++)
		ck_assert_int_eq(ks_ksm_write(F.ksm, pid, A0 + i * PG, contents[i]), 0);
	ck_assert_int_eq(ks_ksm_madvise(F.ksm, pid, A0, n, true), 0);
}

static void batch(void)
{
	struct ks_work w = { 0 };

	ck_assert(ks_ksm_scan_batch(F.ksm, F.t, &w));
	F.t += 20000000;
	ck_assert_int_eq(ks_ksm_check(F.ksm), 0);
}

/* Runs batches until full_scans reaches n. */
static void scans(uint64_t n)
{
	struct ks_ksm_stats st;

	for (;;) {
		ks_ksm_stats(F.ksm, &st);
		if (st.full_scans >= n)
			return;
		batch();
	}
}

static struct ks_ksm_stats stats(void)
{
	struct ks_ksm_stats st;

	ks_ksm_stats(F.ksm, &st);
	return st;
}

#define ASSERT_COUNTERS(shared, sharing, unshared, volatile_, scanned, full)            \
	do {                                                                               \
		struct ks_ksm_stats s_ = stats();                                          \
		ck_assert_uint_eq(s_.pages_shared, shared);                                \
		ck_assert_uint_eq(s_.pages_sharing, sharing);                              \
		ck_assert_uint_eq(s_.pages_unshared, unshared);                            \
		ck_assert_uint_eq(s_.pages_volatile, volatile_);                           \
		ck_assert_uint_eq(s_.pages_scanned, scanned);                              \
		ck_assert_uint_eq(s_.full_scans, full);                                    \
	} while (0)

/* Appendix A.1: two identical pages. */
START_TEST(test_ksm_two_identical_pages)
{
	ks_content c[2] = { page(7), page(7) };

	start();
	proc(1, c, 2);
	scans(1);
	ASSERT_COUNTERS(0, 0, 0, 2, 2, 1);
	scans(2);
	ASSERT_COUNTERS(1, 1, 0, 0, 4, 2);
	ck_assert_int_eq(stats().general_profit, 4096 - 2 * 64);
}
END_TEST

/* 2 processes x 4 pages, pages_to_scan 3: counters after every batch, worked by hand
 * in the comments (P1 = A B C D, P2 = A B X Y; A and B equal across processes). */
START_TEST(test_ksm_two_procs_batch_by_batch)
{
	ks_content p1[4] = { page(1), page(2), page(3), page(4) };
	ks_content p2[4] = { page(1), page(2), page(5), page(6) };

	F.p.pages_to_scan = 3;
	start();
	proc(1, p1, 4);
	proc(2, p2, 4);
	batch(); /* P1 A B C: first visits record checksums */
	ASSERT_COUNTERS(0, 0, 0, 3, 3, 0);
	batch(); /* P1 D, P2 A B */
	ASSERT_COUNTERS(0, 0, 0, 6, 6, 0);
	batch(); /* P2 X Y, then the scan ends: the batch stops there */
	ASSERT_COUNTERS(0, 0, 0, 8, 8, 1);
	batch(); /* P1 A B C enter the unstable tree */
	ASSERT_COUNTERS(0, 0, 3, 5, 11, 1);
	batch(); /* P1 D inserted; P2 A and P2 B merge with P1 A and P1 B */
	ASSERT_COUNTERS(2, 2, 2, 2, 14, 1);
	batch(); /* P2 X Y inserted; end of scan 2 */
	ASSERT_COUNTERS(2, 2, 4, 0, 16, 2);
	batch(); /* P1 A B are KSM pages (nothing to do); P1 C re-inserted */
	ASSERT_COUNTERS(2, 2, 4, 0, 19, 2);
	ck_assert_int_eq(stats().general_profit, 2 * 4096 - 8 * 64);
	{
		struct ks_proc_stats ps;

		ck_assert_int_eq(ks_ksm_proc_stats(F.ksm, 2, &ps), 0);
		ck_assert_uint_eq(ps.ksm_rmap_items, 4);
		ck_assert_uint_eq(ps.ksm_merging_pages, 2);
		ck_assert_int_eq(ps.ksm_process_profit, 2 * 4096 - 4 * 64);
		ck_assert(ps.ksm_mergeable);
	}
}
END_TEST

/* Appendix A.2: 600 identical pages with max_page_sharing 256 build a chain of 3 dups. */
START_TEST(test_ksm_chains_600)
{
	ks_content *c = malloc(600 * sizeof(*c));

	for (int i = 0; i < 600; i++)
		c[i] = page(9);
	start();
	proc(1, c, 600);
	scans(2);
	ASSERT_COUNTERS(3, 597, 0, 0, 1200, 2);
	ck_assert_uint_eq(stats().stable_node_chains, 1);
	ck_assert_uint_eq(stats().stable_node_dups, 3);
	free(c);
}
END_TEST

/* max_page_sharing 2: every KSM page holds exactly two mappings. */
START_TEST(test_ksm_chains_max2)
{
	ks_content c[7];

	for (int i = 0; i < 7; i++)
		c[i] = page(3);
	F.p.max_page_sharing = 2;
	start();
	proc(1, c, 7);
	scans(2);
	/* pairs (1,2) (3,4) (5,6) become KSM pages; page 7 finds them all full and waits
	 * in the unstable tree. */
	ck_assert_uint_eq(stats().pages_shared, 3);
	ck_assert_uint_eq(stats().pages_sharing, 3);
	ck_assert_uint_eq(stats().pages_unshared, 1);
	ck_assert_uint_eq(stats().stable_node_chains, 1);
	ck_assert_uint_eq(stats().stable_node_dups, 3);
}
END_TEST

/* The acceptance case: 2 x 16384 identical pages, max_page_sharing 256. */
START_TEST(test_ksm_best_case_2x16384)
{
	uint64_t n = 16384;
	ks_content *c = malloc(n * sizeof(*c));

	for (uint64_t i = 0; i < n; i++)
		c[i] = page(1);
	start();
	proc(1, c, n);
	proc(2, c, n);
	scans(4);
	ck_assert_uint_eq(stats().pages_shared, 128);
	ck_assert_uint_eq(stats().pages_sharing, 32640);
	free(c);
}
END_TEST

/* Appendix A.3: a write to a merged page copies it; counters follow at the next visit. */
START_TEST(test_ksm_cow_break)
{
	ks_content c[2] = { page(7), page(7) };

	start();
	proc(1, c, 2);
	scans(2);
	ck_assert_int_eq(ks_ksm_write(F.ksm, 1, A0 + PG, page(8)), 0);
	ck_assert_int_eq(ks_ksm_check(F.ksm), 0);
	ASSERT_COUNTERS(1, 1, 0, 0, 4, 2); /* nothing changes at fault time */
	ck_assert_uint_eq(stats().cow_ksm, 1);
	scans(3);
	ASSERT_COUNTERS(1, 0, 0, 1, 6, 3); /* A alone on the KSM page; B volatile */
}
END_TEST

/* Writing every mapping of a KSM page makes its stable node stale: dropped lazily. */
START_TEST(test_ksm_stale_node)
{
	ks_content c[3] = { page(7), page(7), page(7) };

	start();
	proc(1, c, 3);
	scans(2);
	ASSERT_COUNTERS(1, 2, 0, 0, 6, 2);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(ks_ksm_write(F.ksm, 1, A0 + i * PG, page(20 + i)), 0);
	ASSERT_COUNTERS(1, 2, 0, 0, 6, 2);
	scans(3);
	ASSERT_COUNTERS(0, 0, 0, 3, 9, 3);
}
END_TEST

/* Appendix A.4: use_zero_pages merges zero pages with the zero page. */
START_TEST(test_ksm_use_zero_pages)
{
	ks_content c[5] = { 0, 0, 0, 0, 0 };

	F.p.use_zero_pages = true;
	start();
	proc(1, c, 5);
	scans(2);
	ck_assert_uint_eq(stats().ksm_zero_pages, 5);
	ck_assert_uint_eq(stats().pages_shared, 0);
	ck_assert_uint_eq(stats().rmap_items, 5);
	scans(3);
	ck_assert_uint_eq(stats().rmap_items, 0);
	ck_assert_int_eq(stats().general_profit, 5 * 4096);
	ck_assert_int_eq(ks_ksm_write(F.ksm, 1, A0, page(1)), 0);
	ck_assert_uint_eq(stats().ksm_zero_pages, 4);
	ck_assert_int_eq(ks_ksm_check(F.ksm), 0);
}
END_TEST

/* Without use_zero_pages, zero pages merge into an ordinary KSM page. */
START_TEST(test_ksm_zero_pages_without_use_zero_pages)
{
	ks_content c[5] = { 0, 0, 0, 0, 0 };

	start();
	proc(1, c, 5);
	scans(2);
	ck_assert_uint_eq(stats().ksm_zero_pages, 0);
	ASSERT_COUNTERS(1, 4, 0, 0, 10, 2);
}
END_TEST

/* Appendix A.5: smart scan processes a never-merging page on visits 0,1,2,3,5,8,13,22,31. */
START_TEST(test_ksm_smart_scan_pattern)
{
	ks_content c[1] = { page(1) };
	const int processed[] = { 0, 1, 2, 3, 5, 8, 13, 22, 31 };
	uint64_t last_scanned = 0;
	unsigned k = 0;

	start();
	proc(1, c, 1);
	for (int v = 0; v <= 31; v++) {
		uint64_t scanned;

		/* the page changes between every two visits: never stable */
		ck_assert_int_eq(ks_ksm_write(F.ksm, 1, A0, page(100 + v)), 0);
		scans((uint64_t)v + 1);
		scanned = stats().pages_scanned;
		if (k < 9 && v == processed[k]) {
			ck_assert_uint_eq(scanned, last_scanned + 1);
			k++;
		} else {
			ck_assert_uint_eq(scanned, last_scanned);
		}
		last_scanned = scanned;
	}
	ck_assert_uint_eq(k, 9);
	ck_assert_uint_eq(stats().pages_skipped, 32 - 9);
}
END_TEST

START_TEST(test_ksm_smart_scan_off)
{
	ks_content c[1] = { page(1) };

	F.p.smart_scan = false;
	start();
	proc(1, c, 1);
	for (int v = 0; v < 20; v++) {
		ck_assert_int_eq(ks_ksm_write(F.ksm, 1, A0, page(100 + v)), 0);
		scans((uint64_t)v + 1);
	}
	ck_assert_uint_eq(stats().pages_scanned, 20);
	ck_assert_uint_eq(stats().pages_skipped, 0);
}
END_TEST

/* The unstable tree is rebuilt every scan: an item from the previous scan is dropped
 * lazily (pages_unshared stays until the item is revisited). */
START_TEST(test_ksm_unstable_reset)
{
	ks_content c[3] = { page(1), page(2), page(3) };

	F.p.pages_to_scan = 1;
	start();
	proc(1, c, 3);
	scans(2);
	ASSERT_COUNTERS(0, 0, 3, 0, 6, 2);
	batch(); /* scan 3 starts: page 1 revisited, re-inserted in the new tree */
	ASSERT_COUNTERS(0, 0, 3, 0, 7, 2);
	/* page 2 now changes: its item leaves the old tree on its next visit */
	ck_assert_int_eq(ks_ksm_write(F.ksm, 1, A0 + PG, page(42)), 0);
	batch();
	ASSERT_COUNTERS(0, 0, 2, 1, 8, 2);
}
END_TEST

/* Appendix A.6: run=2 unmerges everything and resets full_scans; run=1 starts over. */
START_TEST(test_ksm_run2)
{
	ks_content *c = malloc(600 * sizeof(*c));

	for (int i = 0; i < 600; i++)
		c[i] = page(9);
	start();
	proc(1, c, 600);
	scans(2);
	ck_assert_int_eq(ks_ksm_set_run(F.ksm, 2), 0);
	ck_assert_int_eq(ks_ksm_check(F.ksm), 0);
	{
		struct ks_ksm_stats s = stats();

		ck_assert_uint_eq(s.pages_shared + s.pages_sharing + s.pages_unshared, 0);
		ck_assert_uint_eq(s.rmap_items + s.stable_node_chains + s.stable_node_dups, 0);
		ck_assert_uint_eq(s.full_scans, 0);
	}
	ck_assert(!ks_ksm_should_run(F.ksm));
	ck_assert_int_eq(ks_ksm_set_run(F.ksm, 1), 0);
	scans(1);
	ck_assert_uint_eq(stats().pages_sharing, 0);
	scans(2);
	ck_assert_uint_eq(stats().pages_shared, 3);
	ck_assert_uint_eq(stats().pages_sharing, 597);
	free(c);
}
END_TEST

/* MADV_UNMERGEABLE unshares at once; counters fall when ksmd next passes. */
START_TEST(test_ksm_unmergeable)
{
	ks_content c[4] = { page(1), page(1), page(1), page(1) };

	start();
	proc(1, c, 4);
	scans(2);
	ASSERT_COUNTERS(1, 3, 0, 0, 8, 2);
	ck_assert_int_eq(ks_ksm_madvise(F.ksm, 1, A0 + 2 * PG, 2, false), 0);
	ck_assert_int_eq(ks_ksm_check(F.ksm), 0);
	scans(3);
	ASSERT_COUNTERS(1, 1, 0, 0, 10, 3);
	ck_assert_uint_eq(stats().rmap_items, 2);
}
END_TEST

/* Process exit: the slot moves after the cursor and ksmd frees everything next. */
START_TEST(test_ksm_exit)
{
	ks_content c[2] = { page(1), page(1) };

	start();
	proc(1, c, 2);
	proc(2, c, 2);
	scans(2);
	ASSERT_COUNTERS(1, 3, 0, 0, 8, 2);
	ck_assert_int_eq(ks_ksm_proc_exit(F.ksm, 2), 0);
	ck_assert_int_eq(ks_ksm_check(F.ksm), 0);
	scans(3);
	ASSERT_COUNTERS(1, 1, 0, 0, 10, 3);
	ck_assert_uint_eq(stats().rmap_items, 2);
	ck_assert_int_eq(ks_ksm_proc_stats(F.ksm, 2, &(struct ks_proc_stats){ 0 }), KS_ENOENT);
}
END_TEST

/* Appendix A.7: the advisor's worked example, 500 -> 250. */
/* The clock steps from the scan's start (first call) to 50 s later (second call). */
struct adv_clock { uint64_t calls, cpu; };
static uint64_t adv_now(void *self)
{
	struct adv_clock *c = self;

	return c->calls++ ? 1000 + 50000000000ULL : 1000;
}
static uint64_t adv_cpu(void *self) { return ((struct adv_clock *)self)->cpu; }

START_TEST(test_ksm_advisor_example)
{
	ks_content c[1] = { page(1) };
	struct adv_clock clk = { 0, 10000000000ULL }; /* 10 s of ksmd CPU */
	struct ks_ksm_observer obs = { .self = &clk, .clock_ns = adv_now, .cpu_ns = adv_cpu };
	struct ks_work w = { 0 };

	F.p.advisor_mode = KS_ADVISOR_SCAN_TIME;
	F.p.advisor_min_pages_to_scan = 500;
	start();
	ks_ksm_set_observer(F.ksm, &obs);
	ck_assert_uint_eq(stats().pages_to_scan, 500);
	ck_assert_int_eq(ks_ksm_set_pages_to_scan(F.ksm, 7), KS_EINVAL);
	proc(1, c, 1);
	ck_assert(ks_ksm_scan_batch(F.ksm, 1000, &w)); /* one whole scan of 50 s */
	ck_assert_uint_eq(stats().full_scans, 1);
	ck_assert_uint_eq(clk.calls, 2);
	/* cpu 20 %, factor 400, change 30: 500*100/400*30/100 = 37, then the floor of
	 * 10 % CPU: ppc 25 * 10 = 250 */
	ck_assert_uint_eq(stats().pages_to_scan, 250);
}
END_TEST

/* Pre-v6.11 order: a page identical to a KSM page merges on its first visit. */
START_TEST(test_ksm_pre611_order)
{
	ks_content c1[2] = { page(5), page(5) };
	ks_content c2[1] = { page(5) };

	F.p.cmp_order_pre_611 = true;
	start();
	proc(1, c1, 2);
	scans(2);
	ASSERT_COUNTERS(1, 1, 0, 0, 4, 2);
	proc(2, c2, 1);
	scans(3);
	ASSERT_COUNTERS(1, 2, 0, 0, 7, 3);
}
END_TEST

/* The 2024 switch alone: searching the stable tree before the checksum test merges a
 * page identical to a KSM page on its first visit, as the whole pre-v6.11 order does. */
START_TEST(test_ksm_switch_stable_before_checksum)
{
	ks_content c1[2] = { page(5), page(5) };
	ks_content c2[1] = { page(5) };

	F.p.stable_before_checksum = true;
	start();
	proc(1, c1, 2);
	scans(2);
	proc(2, c2, 1);
	scans(3);
	ASSERT_COUNTERS(1, 2, 0, 0, 7, 3);
}
END_TEST

/* Trying the zero page after the stable tree still merges zero pages with it. */
START_TEST(test_ksm_switch_zero_page_after_stable)
{
	ks_content c[4] = { 0, 0, 0, 0 };

	F.p.use_zero_pages = true;
	F.p.zero_page_after_stable = true;
	start();
	proc(1, c, 4);
	scans(2);
	ck_assert_uint_eq(stats().ksm_zero_pages, 4);
	ck_assert_uint_eq(stats().pages_shared, 0);
}
END_TEST

START_TEST(test_ksm_v611_order_waits)
{
	ks_content c1[2] = { page(5), page(5) };
	ks_content c2[1] = { page(5) };

	start();
	proc(1, c1, 2);
	scans(2);
	proc(2, c2, 1);
	scans(3);
	ASSERT_COUNTERS(1, 1, 0, 1, 7, 3); /* first visit only records the checksum */
	scans(4);
	ASSERT_COUNTERS(1, 2, 0, 0, 10, 4);
}
END_TEST

/* Unstable-tree abort (Appendix A.8): a tree page unmapped since insertion stops the
 * walk; the scanned page is neither merged nor inserted. */
START_TEST(test_ksm_unstable_abort)
{
	ks_content c[2] = { page(1), page(2) };

	F.p.pages_to_scan = 1;
	start();
	proc(1, c, 2);
	scans(1);
	batch(); /* page 1 inserted into the unstable tree */
	ASSERT_COUNTERS(0, 0, 1, 1, 3, 1);
	ck_assert_int_eq(ks_ksm_munmap(F.ksm, 1, A0, 1), 0);
	batch(); /* page 2 meets the vanished tree page: aborts */
	ASSERT_COUNTERS(0, 0, 1, 1, 4, 1);
}
END_TEST

/* Determinism: two identical runs give identical counters at every batch. */
START_TEST(test_ksm_determinism)
{
	struct ks_ksm_stats a[40], b[40];

	for (int run = 0; run < 2; run++) {
		ks_content c[64];
		struct ks_ksm_stats *out = run ? b : a;

		for (int i = 0; i < 64; i++)
			c[i] = page((uint64_t)(i * 7919) % 13);
		F.p.pages_to_scan = 10;
		start();
		proc(1, c, 64);
		proc(2, c, 64);
		for (int k = 0; k < 40; k++) {
			if (k % 5 == 0)
				ks_ksm_write(F.ksm, 1, A0 + (uint64_t)(k % 64) * PG, page(k));
			batch();
			ks_ksm_stats(F.ksm, &out[k]);
		}
		ks_ksm_free(F.ksm);
		F.ksm = NULL;
	}
	ck_assert_mem_eq(a, b, sizeof(a));
	ck_assert_uint_gt(a[39].pages_sharing, 0);
}
END_TEST

/* merge_across_nodes 0: one tree per NUMA node; pids 1 and 2 sit on nodes 0 and 1, so
 * their identical pages merge only within each process. */
START_TEST(test_ksm_numa_trees)
{
	ks_content c[2] = { page(1), page(1) };

	F.p.merge_across_nodes = false;
	start();
	ck_assert_int_eq(ks_ksm_set_numa(F.ksm, 2), 0);
	proc(1, c, 2);
	proc(2, c, 2);
	scans(2);
	ASSERT_COUNTERS(2, 2, 0, 0, 8, 2);
}
END_TEST

START_TEST(test_ksm_numa_merge_across)
{
	ks_content c[2] = { page(1), page(1) };

	start();
	ck_assert_int_eq(ks_ksm_set_numa(F.ksm, 2), 0);
	proc(1, c, 2);
	proc(2, c, 2);
	scans(2);
	ASSERT_COUNTERS(1, 3, 0, 0, 8, 2);
	ck_assert_int_eq(ks_ksm_set_numa(F.ksm, 65), KS_ERANGE);
}
END_TEST

/* A weaker checksum has a real effect: swapping two words keeps the plain sum, so a
 * page that changed between two visits passes the volatility filter and enters the
 * unstable tree; xxhash64 sees the change. */
static void weak_checksum_run(int alg, uint64_t *unshared, uint64_t *vol)
{
	struct ks_patch px[2] = { { .offset = 0, .width = 8, .source = KS_PATCH_CONST, .value = 1 },
				  { .offset = 8, .width = 8, .source = KS_PATCH_CONST, .value = 2 } };
	struct ks_patch py[2] = { { .offset = 0, .width = 8, .source = KS_PATCH_CONST, .value = 2 },
				  { .offset = 8, .width = 8, .source = KS_PATCH_CONST, .value = 1 } };
	struct ks_content_class_spec sx = { .kind = KS_CONTENT_FILL, .npatches = 2, .patches = px };
	struct ks_content_class_spec sy = { .kind = KS_CONTENT_FILL, .npatches = 2, .patches = py };
	ks_content x = ks_content_make((uint32_t)ks_content_class(F.cs, &sx), 0);
	ks_content y = ks_content_make((uint32_t)ks_content_class(F.cs, &sy), 0);

	F.p.checksum = alg;
	start();
	proc(1, &x, 1);
	scans(1);                                   /* checksum of x recorded */
	ck_assert_int_eq(ks_ksm_write(F.ksm, 1, A0, y), 0);
	scans(2);                                   /* y: same sum, other bytes */
	*unshared = stats().pages_unshared;
	*vol = stats().pages_volatile;
	ks_ksm_free(F.ksm);
	F.ksm = NULL;
}

START_TEST(test_ksm_weak_checksum_collision)
{
	uint64_t unshared, vol;

	weak_checksum_run(KS_CSUM_SUM, &unshared, &vol);
	ck_assert_uint_eq(unshared, 1); /* slipped into the unstable tree */
	ck_assert_uint_eq(vol, 0);
	weak_checksum_run(KS_CSUM_XXHASH64, &unshared, &vol);
	ck_assert_uint_eq(unshared, 0); /* seen as volatile */
	ck_assert_uint_eq(vol, 1);
}
END_TEST

/* max_page_sharing and merge_across_nodes are refused (EBUSY) while KSM pages are
 * counted, even stale ones not yet dropped; run=2 frees them and the write succeeds. */
START_TEST(test_ksm_knob_ebusy_with_merged_pages)
{
	ks_content c[3] = { page(7), page(7), page(7) };

	start();
	ck_assert_int_eq(ks_ksm_set_numa(F.ksm, 2), 0);
	proc(1, c, 3);
	scans(2);
	ASSERT_COUNTERS(1, 2, 0, 0, 6, 2);
	ck_assert_int_eq(ks_ksm_set_knob(F.ksm, KS_KNOB_MAX_PAGE_SHARING, 3), KS_EBUSY);
	ck_assert_int_eq(ks_ksm_set_knob(F.ksm, KS_KNOB_MERGE_ACROSS_NODES, 0), KS_EBUSY);
	/* writing the current value is not a change: accepted */
	ck_assert_int_eq(ks_ksm_set_knob(F.ksm, KS_KNOB_MAX_PAGE_SHARING, 256), 0);
	ck_assert_int_eq(ks_ksm_set_knob(F.ksm, KS_KNOB_MERGE_ACROSS_NODES, 1), 0);
	/* every mapping written: the node is stale but still counted until ksmd drops it */
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(ks_ksm_write(F.ksm, 1, A0 + i * PG, page(20 + i)), 0);
	ck_assert_int_eq(ks_ksm_set_knob(F.ksm, KS_KNOB_MAX_PAGE_SHARING, 3), KS_EBUSY);
	ck_assert_int_eq(ks_ksm_set_run(F.ksm, 2), 0);
	ck_assert_uint_eq(stats().pages_shared, 0);
	ck_assert_int_eq(ks_ksm_set_knob(F.ksm, KS_KNOB_MAX_PAGE_SHARING, 3), 0);
	ck_assert_int_eq(ks_ksm_set_knob(F.ksm, KS_KNOB_MERGE_ACROSS_NODES, 0), 0);
	ck_assert_int_eq(ks_ksm_check(F.ksm), 0);
	/* the new limit holds: 6 equal pages now make KSM pages of 3 mappings each */
	ck_assert_int_eq(ks_ksm_set_run(F.ksm, 1), 0);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(ks_ksm_write(F.ksm, 1, A0 + i * PG, page(7)), 0);
	proc(2, c, 3);
	ck_assert_int_eq(ks_ksm_set_knob(F.ksm, KS_KNOB_MERGE_ACROSS_NODES, 1), 0);
	scans(2);
	ASSERT_COUNTERS(2, 4, 0, 0, 18, 2); /* pages_scanned is not reset by run=2 */
	ck_assert_uint_eq(stats().stable_node_dups, 2);
}
END_TEST

/* advisor_mode: switching to scan-time starts at advisor_min_pages_to_scan with a zeroed
 * context (so the worked example gives 250 again); back to none, pages_to_scan = 100. */
START_TEST(test_ksm_knob_advisor_reset)
{
	ks_content c[1] = { page(1) };
	struct adv_clock clk = { 0, 10000000000ULL };
	struct ks_ksm_observer obs = { .self = &clk, .clock_ns = adv_now, .cpu_ns = adv_cpu };
	struct ks_work w = { 0 };

	start();
	ks_ksm_set_observer(F.ksm, &obs);
	proc(1, c, 1);
	ck_assert_int_eq(ks_ksm_set_knob(F.ksm, KS_KNOB_ADVISOR_MIN_PAGES_TO_SCAN, 321), 0);
	ck_assert_int_eq(ks_ksm_set_knob(F.ksm, KS_KNOB_ADVISOR_MODE, KS_ADVISOR_SCAN_TIME), 0);
	ck_assert_uint_eq(stats().pages_to_scan, 321);
	ck_assert_int_eq(ks_ksm_set_knob(F.ksm, KS_KNOB_PAGES_TO_SCAN, 9), KS_EINVAL);
	ck_assert_uint_eq(stats().pages_to_scan, 321);
	ck_assert_int_eq(ks_ksm_set_knob(F.ksm, KS_KNOB_ADVISOR_MIN_PAGES_TO_SCAN, 500), 0);
	ck_assert_uint_eq(stats().pages_to_scan, 321); /* only read when switching on */
	ck_assert_int_eq(ks_ksm_set_knob(F.ksm, KS_KNOB_ADVISOR_MODE, KS_ADVISOR_NONE), 0);
	ck_assert_uint_eq(stats().pages_to_scan, 100);
	ck_assert_int_eq(ks_ksm_set_knob(F.ksm, KS_KNOB_ADVISOR_MODE, KS_ADVISOR_SCAN_TIME), 0);
	ck_assert_uint_eq(stats().pages_to_scan, 500);
	ck_assert(ks_ksm_scan_batch(F.ksm, 1000, &w));
	ck_assert_uint_eq(stats().pages_to_scan, 250); /* the worked example */
	/* the same mode again resets nothing */
	ck_assert_int_eq(ks_ksm_set_knob(F.ksm, KS_KNOB_ADVISOR_MODE, KS_ADVISOR_SCAN_TIME), 0);
	ck_assert_uint_eq(stats().pages_to_scan, 250);
	/* off and on: the context starts from zero, so one more 50 s scan gives 250 again
	 * (with the old context: no CPU used since, change 51 %, the 10 % floor -> 5000) */
	ck_assert_int_eq(ks_ksm_set_knob(F.ksm, KS_KNOB_ADVISOR_MODE, KS_ADVISOR_NONE), 0);
	ck_assert_int_eq(ks_ksm_set_knob(F.ksm, KS_KNOB_PAGES_TO_SCAN, 9), 0);
	ck_assert_uint_eq(stats().pages_to_scan, 9);
	ck_assert_int_eq(ks_ksm_set_knob(F.ksm, KS_KNOB_ADVISOR_MODE, KS_ADVISOR_SCAN_TIME), 0);
	ck_assert_uint_eq(stats().pages_to_scan, 500);
	clk.calls = 0;
	ck_assert(ks_ksm_scan_batch(F.ksm, 1000, &w));
	ck_assert_uint_eq(stats().full_scans, 2);
	ck_assert_uint_eq(stats().pages_to_scan, 250);
}
END_TEST

/* use_zero_pages switched on during a run: pages merged before stay on their KSM page,
 * zero pages met after the change go to the zero page. */
START_TEST(test_ksm_knob_use_zero_pages_after_change)
{
	ks_content c[4] = { 0, 0, 0, 0 };

	start();
	proc(1, c, 4);
	scans(2);
	ASSERT_COUNTERS(1, 3, 0, 0, 8, 2);
	ck_assert_uint_eq(stats().ksm_zero_pages, 0);
	ck_assert_int_eq(ks_ksm_set_knob(F.ksm, KS_KNOB_USE_ZERO_PAGES, 1), 0);
	proc(2, c, 3);
	scans(3); /* first visit of process 2: checksums only */
	ck_assert_uint_eq(stats().ksm_zero_pages, 0);
	scans(4);
	ck_assert_uint_eq(stats().ksm_zero_pages, 3);
	/* their rmap_items stay (volatile) until the next visit finds no anonymous page */
	ASSERT_COUNTERS(1, 3, 0, 3, 22, 4);
	ck_assert_int_eq(ks_ksm_set_knob(F.ksm, KS_KNOB_USE_ZERO_PAGES, 0), 0);
	ck_assert_int_eq(ks_ksm_write(F.ksm, 2, A0, page(1)), 0);
	ck_assert_int_eq(ks_ksm_write(F.ksm, 2, A0, 0), 0);
	scans(6); /* off again: the rewritten zero page merges with the KSM page */
	ck_assert_uint_eq(stats().ksm_zero_pages, 2);
	ck_assert_uint_eq(stats().pages_sharing, 4);
}
END_TEST

/* Per-node trees -> one tree in the middle of a scan: counters do not move at the write;
 * the per-node tree left behind is not walked, nor is it found again (with pointers into
 * the one tree) when per-node trees come back. */
START_TEST(test_ksm_knob_merge_across_nodes_mid_scan)
{
	ks_content p1[2] = { page(1), page(2) };
	ks_content p2[2] = { page(3), page(4) };

	F.p.merge_across_nodes = false;
	F.p.smart_scan = false; /* every page is visited in every scan */
	F.p.pages_to_scan = 3;
	start();
	ck_assert_int_eq(ks_ksm_set_numa(F.ksm, 2), 0);
	proc(1, p1, 2);
	proc(2, p2, 2);
	scans(2);
	ASSERT_COUNTERS(0, 0, 4, 0, 8, 2);
	batch(); /* scan 3: process 1's pages in tree 0, process 2's first in tree 1 */
	ck_assert_int_eq(ks_ksm_set_knob(F.ksm, KS_KNOB_MERGE_ACROSS_NODES, 1), 0);
	ASSERT_COUNTERS(0, 0, 4, 0, 11, 2);
	ck_assert_int_eq(ks_ksm_check(F.ksm), 0);
	scans(4); /* scan 4: all four pages in the one tree */
	ASSERT_COUNTERS(0, 0, 4, 0, 16, 4);
	ck_assert_int_eq(ks_ksm_set_knob(F.ksm, KS_KNOB_MERGE_ACROSS_NODES, 0), 0);
	ck_assert_int_eq(ks_ksm_check(F.ksm), 0);
	batch();
	scans(6);
	ASSERT_COUNTERS(0, 0, 4, 0, 24, 6);
	/* one tree again, and process 2 now holds process 1's pages: they merge */
	ck_assert_int_eq(ks_ksm_set_knob(F.ksm, KS_KNOB_MERGE_ACROSS_NODES, 1), 0);
	ck_assert_int_eq(ks_ksm_write(F.ksm, 2, A0, page(1)), 0);
	ck_assert_int_eq(ks_ksm_write(F.ksm, 2, A0 + PG, page(2)), 0);
	scans(8);
	ASSERT_COUNTERS(2, 2, 0, 0, 32, 8);
}
END_TEST

/* Values outside a file's range are refused and change nothing; sleep_millisecs and
 * the others just take the value. */
START_TEST(test_ksm_knob_ranges)
{
	start();
	ck_assert_int_eq(ks_ksm_set_knob(F.ksm, KS_KNOB_RUN, 3), KS_EINVAL);
	ck_assert_int_eq(ks_ksm_set_knob(F.ksm, KS_KNOB_PAGES_TO_SCAN, 1ULL << 32), KS_EINVAL);
	ck_assert_uint_eq(stats().pages_to_scan, 1000000);
	ck_assert_int_eq(ks_ksm_set_knob(F.ksm, KS_KNOB_SLEEP_MILLISECS, 1ULL << 32), KS_EINVAL);
	ck_assert_uint_eq(ks_ksm_sleep_ns(F.ksm), 20000000);
	ck_assert_int_eq(ks_ksm_set_knob(F.ksm, KS_KNOB_SLEEP_MILLISECS, 50), 0);
	ck_assert_uint_eq(ks_ksm_sleep_ns(F.ksm), 50000000);
	ck_assert_int_eq(ks_ksm_set_knob(F.ksm, KS_KNOB_MAX_PAGE_SHARING, 1), KS_EINVAL);
	ck_assert_int_eq(ks_ksm_set_knob(F.ksm, KS_KNOB_MAX_PAGE_SHARING, 1ULL << 31), KS_EINVAL);
	ck_assert_int_eq(ks_ksm_set_knob(F.ksm, KS_KNOB_USE_ZERO_PAGES, 2), KS_EINVAL);
	ck_assert_int_eq(ks_ksm_set_knob(F.ksm, KS_KNOB_MERGE_ACROSS_NODES, 2), KS_EINVAL);
	ck_assert_int_eq(ks_ksm_set_knob(F.ksm, KS_KNOB_SMART_SCAN, 2), KS_EINVAL);
	ck_assert_int_eq(ks_ksm_set_knob(F.ksm, KS_KNOB_STABLE_NODE_CHAINS_PRUNE_MILLISECS,
					 1ULL << 32), KS_EINVAL);
	ck_assert_int_eq(ks_ksm_set_knob(F.ksm, KS_KNOB_ADVISOR_MODE, 2), KS_EINVAL);
	ck_assert_int_eq(ks_ksm_set_knob(F.ksm, KS_KNOB_ADVISOR_TARGET_SCAN_TIME, 0), KS_EINVAL);
	ck_assert_int_eq(ks_ksm_set_knob(F.ksm, KS_KNOB_COUNT, 0), KS_EINVAL);
	ck_assert_int_eq(ks_ksm_set_knob(F.ksm, KS_KNOB_SMART_SCAN, 0), 0);
	ck_assert_int_eq(ks_ksm_set_knob(F.ksm, KS_KNOB_ADVISOR_MAX_CPU, 30), 0);
	ck_assert_int_eq(ks_ksm_set_knob(F.ksm, KS_KNOB_RUN, 0), 0);
	ck_assert_int_eq(ks_ksm_check(F.ksm), 0);
}
END_TEST

START_TEST(test_ksm_errors)
{
	start();
	ck_assert_int_eq(ks_ksm_mmap(F.ksm, 9, A0, 1), KS_ENOENT);
	ck_assert_int_eq(ks_ksm_proc_start(F.ksm, 9), 0);
	ck_assert_int_eq(ks_ksm_proc_start(F.ksm, 9), KS_EBUSY);
	ck_assert_int_eq(ks_ksm_mmap(F.ksm, 9, A0 + 1, 1), KS_EINVAL);
	ck_assert_int_eq(ks_ksm_mmap(F.ksm, 9, A0, 4), 0);
	ck_assert_int_eq(ks_ksm_mmap(F.ksm, 9, A0 + PG, 1), KS_EBUSY);
	ck_assert_int_eq(ks_ksm_write(F.ksm, 9, A0 + 8 * PG, page(1)), KS_ENOENT);
	ck_assert_int_eq(ks_ksm_set_run(F.ksm, 3), KS_EINVAL);
	ck_assert(!ks_ksm_should_run(F.ksm));
}
END_TEST

/* ---- swap-out (reclaim into zram) ---- */

static unsigned nunmapped;
static uint32_t young_pid;       /* mapper_young() says yes for this pid (0: none) */

static void count_unmapped(void *ctx, uint32_t pid, uint64_t vaddr)
{
	(void)ctx;
	(void)pid;
	(void)vaddr;
	nunmapped++;
}

static bool mapper_young(void *ctx, uint32_t pid, uint64_t vaddr)
{
	(void)ctx;
	(void)vaddr;
	return pid == young_pid;
}

static const struct ks_swap_hooks hooks = { .young = mapper_young, .unmapped = count_unmapped };

/* A KSM page is swapped out once for all its mappers (rmap_walk_ksm): every PTE goes
 * non-present, the one frame is freed; a private page leaves alone; resident pages
 * count private pages and KSM frames; a write after swap-out is a fresh private page,
 * a read fault gives the page back with its content. */
START_TEST(test_ksm_swap_out)
{
	ks_content same[3] = { page(7), page(7), page(1) };
	ks_content other[3] = { page(7), page(2), page(3) };
	struct ks_swap_out out;
	ks_content c;

	F.p.use_zero_pages = true;
	start();
	proc(1, same, 3);
	proc(2, other, 3);
	ck_assert_uint_eq(ks_ksm_resident_pages(F.ksm), 6);
	scans(3);
	/* three mappings of page(7) share one frame: 3 private pages + 1 frame */
	ck_assert_uint_eq(ks_ksm_resident_pages(F.ksm), 4);
	/* folio_referenced(): another mapper (pid 1) used it lately: kept, nothing changed */
	young_pid = 1;
	nunmapped = 0;
	ck_assert_int_eq(ks_ksm_swap_out(F.ksm, 2, A0, &hooks, &out), KS_EBUSY);
	ck_assert(out.referenced);
	ck_assert_uint_eq(nunmapped, 0);
	ck_assert_uint_eq(ks_ksm_resident_pages(F.ksm), 4);
	ck_assert_int_eq(ks_ksm_read(F.ksm, 1, A0, &c), 0);
	/* only the mapper asked is young: that is not a reason to keep it */
	young_pid = 2;
	ck_assert_int_eq(ks_ksm_swap_out(F.ksm, 2, A0, &hooks, &out), 0);
	ck_assert(!out.referenced);
	ck_assert_int_eq(out.kind, KS_SWAP_KSM);
	ck_assert_uint_eq(out.mappers, 3);
	ck_assert_uint_eq(nunmapped, 3);
	ck_assert(out.freed);
	ck_assert(out.content == page(7));
	ck_assert_uint_eq(ks_ksm_resident_pages(F.ksm), 3);
	ck_assert_int_eq(ks_ksm_read(F.ksm, 1, A0, &c), KS_ENOENT);
	ck_assert_int_eq(ks_ksm_read(F.ksm, 1, A0 + PG, &c), KS_ENOENT);
	ck_assert_int_eq(ks_ksm_read(F.ksm, 2, A0, &c), KS_ENOENT);
	ck_assert_int_eq(ks_ksm_swap_out(F.ksm, 2, A0, NULL, &out), KS_ENOENT);
	ck_assert_int_eq(ks_ksm_check(F.ksm), 0);
	/* a private page */
	ck_assert_int_eq(ks_ksm_swap_out(F.ksm, 2, A0 + PG, NULL, &out), 0);
	ck_assert_int_eq(out.kind, KS_SWAP_ANON);
	ck_assert_uint_eq(out.mappers, 1);
	ck_assert(out.freed && out.content == page(2));
	ck_assert_uint_eq(ks_ksm_resident_pages(F.ksm), 2);
	batch();
	/* swap-in by a write: a private page again, for the one mapper that faulted */
	ck_assert_int_eq(ks_ksm_write(F.ksm, 1, A0, page(7)), 0);
	ck_assert_uint_eq(ks_ksm_resident_pages(F.ksm), 3);
	/* swap-in by a read fault: the content back, private (ksm_might_need_to_copy) */
	ck_assert_int_eq(ks_ksm_swap_in(F.ksm, 1, A0 + PG, page(7)), 0);
	ck_assert_int_eq(ks_ksm_read(F.ksm, 1, A0 + PG, &c), 0);
	ck_assert(c == page(7));
	ck_assert_uint_eq(ks_ksm_resident_pages(F.ksm), 4);
	ck_assert_int_eq(ks_ksm_swap_in(F.ksm, 1, A0 + PG, page(7)), KS_EBUSY);
	ck_assert_int_eq(ks_ksm_swap_in(F.ksm, 1, A0 + 9 * PG, page(7)), KS_ENOENT);
	/* ksmd merges the copies again: one frame for the two page(7) of pid 1 */
	scans(7);
	ck_assert_uint_eq(ks_ksm_resident_pages(F.ksm), 3);
	ck_assert_uint_eq(stats().pages_sharing, 1);
	ck_assert_int_eq(ks_ksm_check(F.ksm), 0);
}
END_TEST

/* The 2009 algorithm's KSM pages were locked into kernel memory (swappable only from
 * 2.6.33, "ksm: let shared pages be swappable"): never swapped; its private pages are. */
START_TEST(test_ksm_swap_out_2009)
{
	ks_content c4[4] = { page(7), page(7), page(7), page(8) };
	struct ks_swap_out out;

	F.p.algorithm = KS_KSM_ALG_2009;
	start();
	proc(1, c4, 4);
	scans(3);
	ck_assert_uint_eq(ks_ksm_resident_pages(F.ksm), 2);
	for (unsigned i = 0; i < 3; i++) {
		ck_assert_int_eq(ks_ksm_swap_out(F.ksm, 1, A0 + i * PG, NULL, &out), KS_EBUSY);
		ck_assert(!out.referenced);
	}
	ck_assert_uint_eq(ks_ksm_resident_pages(F.ksm), 2);
	ck_assert_int_eq(ks_ksm_swap_out(F.ksm, 1, A0 + 3 * PG, NULL, &out), 0);
	ck_assert_int_eq(out.kind, KS_SWAP_ANON);
	ck_assert_uint_eq(ks_ksm_resident_pages(F.ksm), 1);
	ck_assert_int_eq(ks_ksm_check(F.ksm), 0);
}
END_TEST

/* Zero pages are never on an LRU: never swapped; KSM zero pages neither. */
START_TEST(test_ksm_swap_out_zero_page)
{
	ks_content z[3] = { KS_CONTENT_ZERO_PAGE, page(5), KS_CONTENT_ZERO_PAGE };
	struct ks_swap_out out;

	F.p.use_zero_pages = true;
	start();
	proc(1, z, 3);
	ck_assert_uint_eq(ks_ksm_resident_pages(F.ksm), 3);
	scans(2);
	ck_assert_uint_eq(stats().ksm_zero_pages, 2);
	ck_assert_uint_eq(ks_ksm_resident_pages(F.ksm), 1);
	ck_assert_int_eq(ks_ksm_swap_out(F.ksm, 1, A0, NULL, &out), KS_EBUSY);
	ck_assert(!out.referenced);
	ck_assert_int_eq(ks_ksm_swap_out(F.ksm, 9, A0, NULL, &out), KS_ENOENT);
	ck_assert_int_eq(ks_ksm_swap_out(F.ksm, 1, A0 + 7 * PG, NULL, &out), KS_ENOENT);
	ck_assert_int_eq(ks_ksm_swap_out(F.ksm, 1, A0 + 1, NULL, &out), KS_ENOENT);
	ck_assert_uint_eq(ks_ksm_resident_pages(F.ksm), 1);
}
END_TEST

Suite *ks_test_suite(void);

Suite *ks_test_suite(void)
{
	Suite *s = suite_create("ksm");
	TCase *core = tcase_create("core");
	TCase *edges = tcase_create("edges");
	TCase *errors = tcase_create("errors");

	tcase_add_checked_fixture(core, fx_setup, fx_teardown);
	tcase_add_checked_fixture(edges, fx_setup, fx_teardown);
	tcase_add_checked_fixture(errors, fx_setup, fx_teardown);
	tcase_set_timeout(core, 120);
	tcase_add_test(core, test_ksm_two_identical_pages);
	tcase_add_test(core, test_ksm_two_procs_batch_by_batch);
	tcase_add_test(core, test_ksm_chains_600);
	tcase_add_test(core, test_ksm_chains_max2);
	tcase_add_test(core, test_ksm_best_case_2x16384);
	tcase_add_test(core, test_ksm_cow_break);
	tcase_add_test(core, test_ksm_stale_node);
	tcase_add_test(core, test_ksm_use_zero_pages);
	tcase_add_test(core, test_ksm_zero_pages_without_use_zero_pages);
	tcase_add_test(core, test_ksm_smart_scan_pattern);
	tcase_add_test(core, test_ksm_smart_scan_off);
	tcase_add_test(core, test_ksm_unstable_reset);
	tcase_add_test(core, test_ksm_run2);
	tcase_add_test(core, test_ksm_advisor_example);
	tcase_add_test(core, test_ksm_pre611_order);
	tcase_add_test(core, test_ksm_v611_order_waits);
	tcase_add_test(core, test_ksm_switch_stable_before_checksum);
	tcase_add_test(core, test_ksm_switch_zero_page_after_stable);
	tcase_add_test(edges, test_ksm_unmergeable);
	tcase_add_test(edges, test_ksm_exit);
	tcase_add_test(edges, test_ksm_unstable_abort);
	tcase_add_test(edges, test_ksm_determinism);
	tcase_add_test(edges, test_ksm_numa_trees);
	tcase_add_test(edges, test_ksm_weak_checksum_collision);
	tcase_add_test(edges, test_ksm_numa_merge_across);
	tcase_add_test(core, test_ksm_knob_ebusy_with_merged_pages);
	tcase_add_test(core, test_ksm_knob_advisor_reset);
	tcase_add_test(core, test_ksm_knob_use_zero_pages_after_change);
	tcase_add_test(edges, test_ksm_knob_merge_across_nodes_mid_scan);
	tcase_add_test(errors, test_ksm_errors);
	tcase_add_test(edges, test_ksm_swap_out);
	tcase_add_test(edges, test_ksm_swap_out_2009);
	tcase_add_test(edges, test_ksm_swap_out_zero_page);
	tcase_add_test(errors, test_ksm_knob_ranges);
	suite_add_tcase(s, core);
	suite_add_tcase(s, edges);
	suite_add_tcase(s, errors);
	return s;
}
