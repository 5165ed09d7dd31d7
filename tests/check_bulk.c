/* check_bulk.c - the bulk path against the page-by-page reference path (scenario key
 * `path`): on randomised workloads, the two must give the same run, batch by batch.
 *
 * Each seed builds a scenario at random: groups of processes starting, staggered and
 * exiting; regions of image, zero, random and fill pages (shuffled or not), made
 * mergeable late or unmerged; periodic range writes (long and short, overlapping) and
 * Poisson page writes of every content kind; KSM knobs at random (pages_to_scan, sleep,
 * use_zero_pages, smart_scan, small max_page_sharing, several NUMA nodes with and without
 * merge_across_nodes, the pre-v6.11 order, the advisor, jhash2) and knob writes during
 * the run (run=2 then run=1 among them); some seeds run the 2009 algorithm. Both paths
 * run with the x86_64 cost model, and must agree on:
 *   - every batch: its whole struct ks_work (compared as bytes, so a field added later
 *     is compared too), its counters, its end time and its price;
 *   - every sample: the counters and every process's ksm_stat;
 *   - every tracepoint, with its simulated time (so the clock the bulk path keeps for
 *     events and the advisor is exact);
 *   - the cost accounting: components, pages and the per-page latency histograms;
 *   - the summary.
 * The test also checks that the bulk path did take its shortcuts (pages told in runs,
 * so the comparison is not between two identical code paths). */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "gen_text.h"
#include "path_run.h"
#include "models/base/xalloc.h"
#include "models/ksm.h"
#include "models/vocab/content.h"
#include "sim/config/load_scenario.h"
#include "sim/engine/cost_hooks.h"
#include "sim/engine/world.h"

/* ---- a randomised scenario ---- */

static void put_content(struct text *t, bool for_write)
{
	static const char *const images[] = { "os-a", "os-b" };

	switch (rnd() % (for_write ? 5 : 4)) {
	case 0:
		put(t, "{kind: zero}");
		break;
	case 1:
		put(t, "{kind: image, image: %s}", images[rnd() % 2]);
		break;
	case 2:
		put(t, "{kind: random}");
		break;
	case 3:
		put(t, "{kind: fill, byte: %u, words: [{offset: %u, value: %s}]}",
		    chance(70) ? 0 : (unsigned)pick(1, 255), (unsigned)(8 * pick(0, 511)),
		    chance(50) ? "index" : chance(50) ? "7" : "index+3");
		break;
	default: /* writes only: a fresh number each time */
		put(t, "{kind: fill, words: [{offset: 0, value: serial}]}");
		break;
	}
}

static void put_region(struct text *t, unsigned r, uint64_t pages)
{
	unsigned parts = (unsigned)pick(1, 3);

	put(t, "      - name: r%u\n        pages: %" PRIu64 "\n", r, pages);
	if (chance(40))
		put(t, "        shuffle: true\n");
	if (chance(15))
		put(t, "        madvise_at: %" PRIu64 "ms\n", pick(1, 2000));
	if (chance(10))
		put(t, "        unmerge_at: %" PRIu64 "ms\n", pick(500, 4000));
	put(t, "        contents:\n");
	for (unsigned k = 0; k < parts; k++) {
		if (k + 1 == parts)
			put(t, "          - rest: true\n");
		else
			put(t, "          - fraction: 0.%02u\n", (unsigned)pick(10, 40));
		put(t, "            content: ");
		put_content(t, false);
		put(t, "\n");
	}
}

static void put_writes(struct text *t, unsigned nregions, const uint64_t *pages)
{
	unsigned n = (unsigned)pick(0, 4);

	if (!n)
		return;
	put(t, "    writes:\n");
	for (unsigned i = 0; i < n; i++) {
		unsigned r = (unsigned)(rnd() % nregions);
		uint64_t first = chance(50) ? 0 : pick(0, pages[r] - 1);
		uint64_t count = chance(60) ? pick(64, 400) : pick(1, 63);

		if (count > pages[r] - first)
			count = pages[r] - first;
		put(t, "      - region: r%u\n", r);
		if (chance(70)) {
			/* long ranges (the pending-write path) and short ones, overlapping */
			put(t, "        first: %" PRIu64 "\n        count: %" PRIu64 "\n", first,
			    count);
			put(t, "        every: %" PRIu64 "ms\n", pick(10, 600));
		} else {
			put(t, "        rate: %u\n", (unsigned)pick(1, 20));
		}
		if (chance(30))
			put(t, "        start: %" PRIu64 "ms\n", pick(0, 1500));
		if (chance(30))
			put(t, "        stop: %" PRIu64 "ms\n", pick(1600, 5000));
		put(t, "        content: ");
		put_content(t, true);
		put(t, "\n");
	}
}

static void put_knob(struct text *t, bool alg2009)
{
	switch (rnd() % (alg2009 ? 2 : 9)) {
	case 0:
		put(t, "pages_to_scan: %u", (unsigned)pick(1, 3000));
		break;
	case 1:
		put(t, "sleep_millisecs: %u", (unsigned)pick(1, 40));
		break;
	case 2:
		put(t, "use_zero_pages: %s", chance(50) ? "true" : "false");
		break;
	case 3:
		put(t, "smart_scan: %s", chance(50) ? "true" : "false");
		break;
	case 4:
		put(t, "max_page_sharing: %u", (unsigned)pick(2, 6));
		break;
	case 5:
		put(t, "merge_across_nodes: %s", chance(50) ? "true" : "false");
		break;
	case 6:
		put(t, "run: %u", chance(50) ? 2 : 0);
		break;
	case 7:
		put(t, "stable_node_chains_prune_millisecs: %u", (unsigned)pick(0, 100));
		break;
	default:
		put(t, "advisor_mode: %s", chance(50) ? "scan-time" : "none");
		break;
	}
}

/* A scenario for this seed (returns the YAML text, owned by the caller). */
static char *random_scenario(uint64_t seed)
{
	struct text t = { 0 };
	bool alg2009 = seed % 7 == 3;
	unsigned ngroups = (unsigned)pick(1, 3), nchanges;
	uint64_t duration = pick(2000, 6000), total = 0;

	rng = seed * 0x2545f4914f6cdd1dull + 1;
	put(&t, "name: bulk%" PRIu64 "\nseed: %" PRIu64 "\nduration: %" PRIu64 "ms\n", seed,
	    seed, duration);
	put(&t, "sample:\n  %s\n", chance(50) ? "every: batch" : "interval: 50ms");
	put(&t, "ksm:\n  pages_to_scan: %u\n  sleep_millisecs: %u\n", (unsigned)pick(20, 2500),
	    (unsigned)pick(1, 30));
	if (alg2009) {
		put(&t, "  algorithm: 2009\n  hz: 250\n");
	} else {
		put(&t, "  use_zero_pages: %s\n  smart_scan: %s\n",
		    chance(40) ? "true" : "false", chance(70) ? "true" : "false");
		put(&t, "  max_page_sharing: %u\n", chance(50) ? (unsigned)pick(2, 5) : 256);
		put(&t, "  merge_across_nodes: %s\n", chance(50) ? "true" : "false");
		put(&t, "  stable_node_chains_prune_millisecs: %u\n", (unsigned)pick(0, 200));
		if (chance(15))
			put(&t, "  cmp_order: pre-v6.11\n");
		if (chance(10))
			put(&t, "  advisor_mode: scan-time\n  advisor_min_pages_to_scan: 50\n"
			    "  advisor_target_scan_time: 1\n");
	}
	if (chance(20))
		put(&t, "  checksum: jhash2\n");
	if (!alg2009 && chance(50))
		put(&t, "numa:\n  nodes: %u\n", (unsigned)pick(2, 4));
	put(&t, "processes:\n");
	for (unsigned g = 0; g < ngroups; g++) {
		unsigned nregions = (unsigned)pick(1, 2), count = (unsigned)pick(1, 4);
		uint64_t pages[2];

		put(&t, "  - name: g%u\n    count: %u\n", g, count);
		if (chance(40))
			put(&t, "    start: %" PRIu64 "ms\n", pick(0, 1500));
		if (chance(50))
			put(&t, "    stagger: %" PRIu64 "ms\n", pick(1, 700));
		if (chance(30))
			put(&t, "    exit: %" PRIu64 "ms\n", pick(300, 4000));
		put(&t, "    regions:\n");
		for (unsigned r = 0; r < nregions; r++) {
			pages[r] = pick(16, 700);
			total += count * pages[r];
			put_region(&t, r, pages[r]);
		}
		put_writes(&t, nregions, pages);
	}
	nchanges = (unsigned)pick(0, 4);
	if (nchanges)
		put(&t, "ksm_changes:\n");
	for (unsigned i = 0; i < nchanges; i++) {
		uint64_t at = pick(1, duration - 1);

		put(&t, "  - at: %" PRIu64 "ms\n    set: {", at);
		put_knob(&t, alg2009);
		put(&t, "}\n");
		if (chance(30)) { /* a second write at the same instant */
			put(&t, "  - at: %" PRIu64 "ms\n    set: {", at);
			put_knob(&t, alg2009);
			put(&t, "}\n");
		}
		if (chance(50))
			put(&t, "  - at: %" PRIu64 "ms\n    set: {run: 1}\n",
			    pick(1, duration - 1));
	}
	/* host memory pressure (reclaim into zram): drawn last, the rest stays as it was */
	if (chance(30)) {
		uint64_t limit = total * pick(30, 80) / 100;

		put(&t, "host:\n  ram: %" PRIu64 "KiB\n  kernel_reserved: 16MiB\n"
		    "  zram: {algorithm: %s, costs: x86_64}\n",
		    (4096 + (limit > 300 ? limit : 300)) * 4, chance(50) ? "lzo-rle" : "lz4");
	}
	return t.s;
}

/* ---- what a run tells ---- */

struct batch_rec {
	struct ks_work work;
	struct ks_ksm_stats st;
	ks_time t_end;
	uint64_t cost_ns;
};

struct event_rec {
	ks_time t;
	struct ks_ksm_event ev;
};

struct proc_rec {
	ks_time t;
	uint32_t pid;
	struct ks_proc_stats ps;
};

struct capture {
	struct batch_rec *b;
	size_t nb, capb;
	struct event_rec *e;
	size_t ne, cape;
	struct proc_rec *p;
	size_t np, capp;
	struct ks_ksm_stats *smp;
	size_t ns, caps;
	uint64_t page_calls;     /* page() calls */
	uint64_t pages_joined;   /* pages told in calls with n > 1 */
	struct ks_cost_stats cost;
	struct ks_cost_batch *cb;
	size_t ncb;
	struct ks_summary sum;
};

#define GROW(arr, n, cap) do { \
		if ((n) == (cap)) { \
			(cap) = (cap) ? 2 * (cap) : 256; \
			(arr) = ks_xrealloc((arr), (cap) * sizeof(*(arr))); \
		} \
	} while (0)

static void cap_batch(void *self, const struct ks_batch_done *b)
{
	struct capture *c = self;

	GROW(c->b, c->nb, c->capb);
	c->b[c->nb++] = (struct batch_rec){ .work = *b->work, .st = b->sample->st,
					    .t_end = b->t_end, .cost_ns = b->cost_ns };
}

static void cap_page(void *self, enum ks_page_kind kind, uint64_t ns, const struct ks_work *w,
		     uint64_t n)
{
	struct capture *c = self;

	(void)kind, (void)ns, (void)w;
	c->page_calls++;
	if (n > 1)
		c->pages_joined += n;
}

static void cap_event(void *self, ks_time t, const struct ks_ksm_event *ev)
{
	struct capture *c = self;

	GROW(c->e, c->ne, c->cape);
	c->e[c->ne++] = (struct event_rec){ .t = t, .ev = *ev };
}

static int cap_sample(void *self, const struct ks_sample *smp, const struct ks_proc_sample *procs,
		      size_t nprocs, struct ks_err *err)
{
	struct capture *c = self;

	(void)err;
	GROW(c->smp, c->ns, c->caps);
	c->smp[c->ns++] = smp->st;
	for (size_t i = 0; i < nprocs; i++) {
		GROW(c->p, c->np, c->capp);
		c->p[c->np++] = (struct proc_rec){ .t = procs[i].t, .pid = procs[i].pid,
						   .ps = procs[i].ps };
	}
	return 0;
}

static void capture_free(struct capture *c)
{
	free(c->b);
	free(c->e);
	free(c->p);
	free(c->smp);
	free(c->cb);
}

/* Runs the scenario text on one path. */
static void run_path(const char *yaml, bool reference, struct capture *c)
{
	struct ks_cost_model *cm;
	const struct ks_cost_batch *cb;

	memset(c, 0, sizeof(*c));
	cm = path_run(yaml, "bulk.yaml", reference,
		      (struct ks_observer){ .self = c, .batch = cap_batch, .page = cap_page,
					    .event = cap_event, .sample = cap_sample },
		      NULL, &c->sum);
	c->cost = *ks_cost_model_stats(cm);
	cb = ks_cost_model_batches(cm, &c->ncb);
	c->cb = ks_xmalloc((c->ncb + 1) * sizeof(*c->cb));
	memcpy(c->cb, cb, c->ncb * sizeof(*c->cb));
	ks_cost_model_free(cm);
}

static const char *const work_names[] = {
	"pages", "ksm_pages", "skipped", "walk_entries", "items_alloc", "items_freed",
	"checksums", "cmps", "cmp_bytes", "stable_visits", "unstable_visits", "chain_dups",
	"wrprotects", "replaces", "merges", "zero_merges", "unstable_inserts",
	"stable_inserts", "stale_nodes", "break_cows", "scans_started", "gup_lookups",
	"kpage_allocs", "stable_walks", "unstable_walks", "ksm_pages_cold", "walk_holes"
};

/* Names the first field in which two work structs differ. */
static const char *work_diff(const struct ks_work *a, const struct ks_work *b)
{
	const uint64_t *x = (const uint64_t *)a, *y = (const uint64_t *)b;
	size_t n = sizeof(*a) / sizeof(uint64_t);

	for (size_t i = 0; i < n; i++)
		if (x[i] != y[i])
			return i < sizeof(work_names) / sizeof(*work_names) ? work_names[i] :
			       "a field added to struct ks_work";
	return "?";
}

static bool event_equal(const struct event_rec *a, const struct event_rec *b)
{
	return a->t == b->t && a->ev.type == b->ev.type && a->ev.pid == b->ev.pid &&
	       a->ev.vaddr == b->ev.vaddr && a->ev.pfn == b->ev.pfn &&
	       a->ev.to_ksm_page == b->ev.to_ksm_page && a->ev.err == b->ev.err &&
	       a->ev.seq == b->ev.seq && a->ev.rmap_entries == b->ev.rmap_entries &&
	       a->ev.cpu_percent == b->ev.cpu_percent;
}

static bool proc_equal(const struct proc_rec *a, const struct proc_rec *b)
{
	return a->t == b->t && a->pid == b->pid &&
	       a->ps.ksm_rmap_items == b->ps.ksm_rmap_items &&
	       a->ps.ksm_zero_pages == b->ps.ksm_zero_pages &&
	       a->ps.ksm_merging_pages == b->ps.ksm_merging_pages &&
	       a->ps.ksm_process_profit == b->ps.ksm_process_profit &&
	       a->ps.ksm_merge_any == b->ps.ksm_merge_any &&
	       a->ps.ksm_mergeable == b->ps.ksm_mergeable;
}

/* Both paths on one seed; returns the pages the bulk path joined into runs. */
static uint64_t swapped_runs;   /* runs whose reclaim swapped pages out */

/* Both paths on the scenario text yaml (taken: freed here); seed names it. */
static uint64_t compare_yaml(uint64_t seed, char *yaml)
{
	struct capture *r = ks_xcalloc(1, sizeof(*r)), *b = ks_xcalloc(1, sizeof(*b));
	uint64_t joined;

	run_path(yaml, true, r);
	run_path(yaml, false, b);
	ck_assert_msg(r->pages_joined == 0, "seed %" PRIu64 ": the reference path joined pages",
		      seed);
	ck_assert_msg(r->nb == b->nb, "seed %" PRIu64 ": %zu batches vs %zu\n%s", seed, r->nb,
		      b->nb, yaml);
	for (size_t i = 0; i < r->nb; i++) {
		const struct batch_rec *x = &r->b[i], *y = &b->b[i];

		ck_assert_msg(!memcmp(&x->work, &y->work, sizeof(x->work)),
			      "seed %" PRIu64 " batch %zu: work differs in %s\n%s", seed, i + 1,
			      work_diff(&x->work, &y->work), yaml);
		ck_assert_msg(!memcmp(&x->st, &y->st, sizeof(x->st)),
			      "seed %" PRIu64 " batch %zu: counters differ\n%s", seed, i + 1, yaml);
		ck_assert_msg(x->t_end == y->t_end && x->cost_ns == y->cost_ns,
			      "seed %" PRIu64 " batch %zu: end %" PRIu64 "/%" PRIu64 ", cost %"
			      PRIu64 "/%" PRIu64 "\n%s", seed, i + 1, x->t_end, y->t_end,
			      x->cost_ns, y->cost_ns, yaml);
	}
	ck_assert_msg(r->ne == b->ne, "seed %" PRIu64 ": %zu events vs %zu", seed, r->ne, b->ne);
	for (size_t i = 0; i < r->ne; i++)
		ck_assert_msg(event_equal(&r->e[i], &b->e[i]),
			      "seed %" PRIu64 " event %zu (type %d) differs\n%s", seed, i,
			      (int)r->e[i].ev.type, yaml);
	ck_assert_msg(r->ns == b->ns && !memcmp(r->smp, b->smp, r->ns * sizeof(*r->smp)),
		      "seed %" PRIu64 ": samples differ", seed);
	ck_assert_msg(r->np == b->np, "seed %" PRIu64 ": %zu process samples vs %zu", seed,
		      r->np, b->np);
	for (size_t i = 0; i < r->np; i++)
		ck_assert_msg(proc_equal(&r->p[i], &b->p[i]),
			      "seed %" PRIu64 ": process sample %zu (pid %" PRIu32 ") differs\n%s",
			      seed, i, r->p[i].pid, yaml);
	ck_assert_msg(!memcmp(&r->cost, &b->cost, sizeof(r->cost)),
		      "seed %" PRIu64 ": cost accounting (components, histograms) differs\n%s",
		      seed, yaml);
	ck_assert_msg(r->ncb == b->ncb && !memcmp(r->cb, b->cb, r->ncb * sizeof(*r->cb)),
		      "seed %" PRIu64 ": priced batches differ", seed);
	ck_assert_msg(!memcmp(&r->sum.final, &b->sum.final, sizeof(r->sum.final)) &&
		      r->sum.batches == b->sum.batches && r->sum.sim_end == b->sum.sim_end &&
		      r->sum.t90 == b->sum.t90 && r->sum.ksmd_cpu_ns == b->sum.ksmd_cpu_ns,
		      "seed %" PRIu64 ": summaries differ", seed);
	ck_assert_msg(r->sum.has_swap == b->sum.has_swap &&
		      !memcmp(&r->sum.swap, &b->sum.swap, sizeof(r->sum.swap)) &&
		      !memcmp(&r->sum.swap_cost, &b->sum.swap_cost, sizeof(r->sum.swap_cost)),
		      "seed %" PRIu64 ": swap counters differ\n%s", seed, yaml);
	ck_assert_msg(r->nb > 0, "seed %" PRIu64 ": no batch ran\n%s", seed, yaml);
	joined = b->pages_joined;
	swapped_runs += b->sum.has_swap && b->sum.swap.pswpout > 0;
	capture_free(r);
	capture_free(b);
	free(r);
	free(b);
	free(yaml);
	return joined;
}

/* The scenario of a seed depends on the generator's state before it too (ngroups and
 * duration are drawn before the seed is set): run the seeds in order. */
static uint64_t compare_seed(uint64_t seed)
{
	return compare_yaml(seed, random_scenario(seed));
}

#define SEEDS_PER_TEST 10

/* Ten seeds per test (_i = 0 .. KS_BULK_TESTS - 1): the runs are identical. */
START_TEST(test_bulk_matches_reference)
{
	uint64_t joined = 0;

	for (uint64_t s = 0; s < SEEDS_PER_TEST; s++)
		joined += compare_seed((uint64_t)_i * SEEDS_PER_TEST + s + 1);
	/* Not two identical code paths: the bulk path told pages in runs. */
	ck_assert_uint_gt(joined, 0);
}
END_TEST

/* The generator covers what it claims (a test that cannot fail is no test). */
START_TEST(test_bulk_scenarios_cover)
{
	unsigned alg2009 = 0, numa = 0, changes = 0, lazy = 0, zero = 0, exits = 0, host = 0;

	for (uint64_t s = 1; s <= 60; s++) {
		char *y = random_scenario(s);

		alg2009 += strstr(y, "algorithm: 2009") != NULL;
		numa += strstr(y, "nodes:") != NULL;
		changes += strstr(y, "ksm_changes:") != NULL;
		lazy += strstr(y, "every:") != NULL;
		zero += strstr(y, "use_zero_pages: true") != NULL;
		exits += strstr(y, "    exit:") != NULL;
		host += strstr(y, "host:") != NULL;
		free(y);
	}
	ck_assert_uint_gt(alg2009, 3);
	ck_assert_uint_gt(numa, 10);
	ck_assert_uint_gt(changes, 20);
	ck_assert_uint_gt(lazy, 20);
	ck_assert_uint_gt(zero, 10);
	ck_assert_uint_gt(exits, 10);
	ck_assert_uint_gt(host, 10);
}
END_TEST

/* The scenarios with host: swap, both paths alike. */
START_TEST(test_bulk_reclaim)
{
	unsigned n = 0;

	swapped_runs = 0;
	for (uint64_t s = 1; s <= 200 && n < 4; s++) {
		char *y = random_scenario(s);

		if (strstr(y, "host:")) {
			compare_yaml(s, y);
			n++;
		} else {
			free(y);
		}
	}
	ck_assert_uint_eq(n, 4);
	ck_assert_uint_gt(swapped_runs, 2);
}
END_TEST


/* ---- munmap, exit and reclaim in the middle of a full scan, through the model's API ----
 *
 * Scenarios have no munmap, and their exits rarely fall where a later descent of the
 * same full scan meets the exiting process's pages in the unstable tree. Here both
 * paths are driven step by step: a few processes of unique and shared pages, ksmd
 * batches of a few pages (so every full scan is cut into many), and between batches munmap of a
 * range, exit (and new processes), writes, madvise, swap-out (a KSM page: every mapper)
 * and swap-in; after every step the two models must agree on the batch's whole work,
 * on every counter and every process's ksm_stat, and keep their invariants. */

#define API_A0 0x100000000ULL
#define API_MAXPROC 64

struct api_run {
	struct ks_ksm *k[2];        /* bulk, reference */
	struct ks_content_store *cs;
	uint32_t img, rand;          /* content classes */
	uint64_t serial;             /* next unique page */
	uint32_t pid[API_MAXPROC];   /* running processes */
	uint64_t npages[API_MAXPROC];
	unsigned nproc;
	uint32_t next_pid;
	unsigned mid_scan_cuts;      /* munmaps and exits while the unstable tree held pages */
	struct api_swapped {         /* PTEs made swap entries (both models alike) */
		uint32_t pid;
		uint64_t vaddr;
		ks_content c;
	} sw[256];
	unsigned nsw;
	unsigned swaps_out, swaps_in; /* swap-outs and swap-ins that changed a page */
};

static ks_content api_content(struct api_run *a)
{
	unsigned r = (unsigned)(rnd() % 10);

	if (r < 5)
		return ks_content_make(a->img, pick(0, 40)); /* shared between processes */
	if (r < 9)
		return ks_content_make(a->rand, a->serial++); /* unique */
	return KS_CONTENT_ZERO_PAGE;
}

/* Applies one call to both models; they must answer alike (call is evaluated twice:
 * no rnd() in it). */
#define API_BOTH(a, call) do { \
		int rc0_, rc1_; \
		struct ks_ksm *k_ = (a)->k[0]; \
		rc0_ = (call); \
		k_ = (a)->k[1]; \
		rc1_ = (call); \
		ck_assert_int_eq(rc0_, rc1_); \
	} while (0)

static void api_proc(struct api_run *a)
{
	uint32_t pid = a->next_pid++;
	uint64_t n = pick(20, 200);

	API_BOTH(a, ks_ksm_proc_start(k_, pid));
	API_BOTH(a, ks_ksm_mmap(k_, pid, API_A0, n));
	for (uint64_t i = 0; i < n; i++) {
		ks_content c = api_content(a);

		API_BOTH(a, ks_ksm_write(k_, pid, API_A0 + i * KS_PAGE_SIZE, c));
	}
	API_BOTH(a, ks_ksm_madvise(k_, pid, API_A0, n, true));
	a->pid[a->nproc] = pid;
	a->npages[a->nproc++] = n;
}

static void api_compare(struct api_run *a, uint64_t seed, unsigned step)
{
	struct ks_ksm_stats s0, s1;

	ks_ksm_stats(a->k[0], &s0);
	ks_ksm_stats(a->k[1], &s1);
	ck_assert_msg(!memcmp(&s0, &s1, sizeof(s0)), "seed %" PRIu64 " step %u: counters differ",
		      seed, step);
	for (unsigned i = 0; i < a->nproc; i++) {
		struct ks_proc_stats p0 = { 0 }, p1 = { 0 };

		ck_assert_int_eq(ks_ksm_proc_stats(a->k[0], a->pid[i], &p0),
				 ks_ksm_proc_stats(a->k[1], a->pid[i], &p1));
		ck_assert_msg(!memcmp(&p0, &p1, sizeof(p0)),
			      "seed %" PRIu64 " step %u: ksm_stat of %u differs: rmap_items %"
			      PRIu64 "/%" PRIu64 ", zero %" PRIu64 "/%" PRIu64 ", merging %" PRIu64
			      "/%" PRIu64 ", mergeable %d/%d", seed, step, a->pid[i],
			      p0.ksm_rmap_items, p1.ksm_rmap_items, p0.ksm_zero_pages,
			      p1.ksm_zero_pages, p0.ksm_merging_pages, p1.ksm_merging_pages,
			      p0.ksm_mergeable, p1.ksm_mergeable);
	}
	ck_assert_int_eq(ks_ksm_check(a->k[0]), 0);
	ck_assert_int_eq(ks_ksm_check(a->k[1]), 0);
}

/* A munmap or an exit: counted when the unstable tree held pages of this scan. */
static void api_cut(struct api_run *a)
{
	struct ks_ksm_stats st;
	unsigned i = (unsigned)(rnd() % a->nproc);

	ks_ksm_stats(a->k[1], &st);
	a->mid_scan_cuts += st.pages_unshared > 0;
	if (chance(50) || a->nproc == 1) {
		uint64_t first = pick(0, a->npages[i] - 1);
		uint64_t n = pick(1, a->npages[i] - first);

		API_BOTH(a, ks_ksm_munmap(k_, a->pid[i], API_A0 + first * KS_PAGE_SIZE, n));
		return;
	}
	API_BOTH(a, ks_ksm_proc_exit(k_, a->pid[i]));
	a->pid[i] = a->pid[a->nproc - 1];
	a->npages[i] = a->npages[--a->nproc];
	if (a->nproc < API_MAXPROC && chance(70))
		api_proc(a);
}

/* hk->unmapped of the bulk model's swap-out: the swap entry to read back later. */
static ks_content api_swap_content;

static void api_unmapped(void *ctx, uint32_t pid, uint64_t vaddr)
{
	struct api_run *a = ctx;

	if (a->nsw < sizeof(a->sw) / sizeof(a->sw[0]))
		a->sw[a->nsw++] = (struct api_swapped){ pid, vaddr, api_swap_content };
}

/* Reclaim: a swap-out of one page (every mapper of a KSM page), or a swap-in (read
 * fault) of a page swapped out before; both change PTEs outside ksmd. */
static void api_swap(struct api_run *a, unsigned i)
{
	if (a->nsw && chance(50)) {
		unsigned j = (unsigned)(rnd() % a->nsw);
		struct api_swapped e = a->sw[j];
		int rc0 = ks_ksm_swap_in(a->k[0], e.pid, e.vaddr, e.c);

		ck_assert_int_eq(rc0, ks_ksm_swap_in(a->k[1], e.pid, e.vaddr, e.c));
		a->swaps_in += rc0 == 0;
		a->sw[j] = a->sw[--a->nsw];
	} else {
		uint64_t vaddr = API_A0 + pick(0, a->npages[i] - 1) * KS_PAGE_SIZE;
		struct ks_swap_hooks hk = { .ctx = a, .unmapped = api_unmapped };
		struct ks_swap_out o0, o1;
		ks_content c = 0;
		int rc0, rc1;

		if (ks_ksm_read(a->k[0], a->pid[i], vaddr, &c))
			c = 0;
		api_swap_content = c;
		rc0 = ks_ksm_swap_out(a->k[0], a->pid[i], vaddr, &hk, &o0);
		rc1 = ks_ksm_swap_out(a->k[1], a->pid[i], vaddr, NULL, &o1);
		ck_assert_int_eq(rc0, rc1);
		ck_assert(!memcmp(&o0, &o1, sizeof(o0)));
		a->swaps_out += rc0 == 0;
	}
}

static void api_step(struct api_run *a, uint64_t seed, unsigned step, ks_time now)
{
	unsigned op = (unsigned)(rnd() % 100), i = (unsigned)(rnd() % a->nproc);

	if (op < 62) {
		struct ks_work w0 = { 0 }, w1 = { 0 };
		bool r0 = ks_ksm_scan_batch(a->k[0], now, &w0);
		bool r1 = ks_ksm_scan_batch(a->k[1], now, &w1);

		ck_assert_int_eq(r0, r1);
		ck_assert_msg(!memcmp(&w0, &w1, sizeof(w0)),
			      "seed %" PRIu64 " step %u: batch work differs", seed, step);
	} else if (op < 70) {
		api_swap(a, i);
	} else if (op < 80) {
		api_cut(a);
	} else if (op < 95) {
		uint64_t at = pick(0, a->npages[i] - 1);
		ks_content c = api_content(a);

		API_BOTH(a, ks_ksm_write(k_, a->pid[i], API_A0 + at * KS_PAGE_SIZE, c));
	} else {
		uint64_t first = pick(0, a->npages[i] - 1);
		uint64_t n = pick(1, a->npages[i] - first);
		bool on = chance(50);

		API_BOTH(a, ks_ksm_madvise(k_, a->pid[i], API_A0 + first * KS_PAGE_SIZE, n, on));
	}
	api_compare(a, seed, step);
}

static unsigned api_swaps_out, api_swaps_in;

/* One seed: returns the munmaps and exits that fell mid-scan. */
static unsigned api_seed(uint64_t seed)
{
	struct ks_content_class_spec img = { .kind = KS_CONTENT_IMAGE, .seed = 7 };
	struct ks_content_class_spec rnd_spec = { .kind = KS_CONTENT_RANDOM, .seed = 9 };
	struct api_run a = { .next_pid = 1 };
	struct ks_ksm_params p;
	unsigned procs, cuts;

	rng = seed * 0x9e3779b97f4a7c15ull + 17;
	a.cs = ks_content_store_new();
	a.img = (uint32_t)ks_content_class(a.cs, &img);
	a.rand = (uint32_t)ks_content_class(a.cs, &rnd_spec);
	ks_ksm_params_default(&p);
	p.run = 1;
	p.pages_to_scan = (unsigned)pick(3, 60);
	p.smart_scan = chance(50);
	p.use_zero_pages = chance(30);
	p.max_page_sharing = chance(50) ? 3 : 256;
	for (unsigned j = 0; j < 2; j++)
		a.k[j] = ks_ksm_new(&p, a.cs);
	ks_ksm_set_bulk(a.k[1], false);
	procs = (unsigned)pick(3, 6);
	for (unsigned j = 0; j < procs; j++)
		api_proc(&a);
	for (unsigned step = 0; step < 3000 && a.nproc; step++)
		api_step(&a, seed, step, (ks_time)step * 20000000);
	cuts = a.mid_scan_cuts;
	api_swaps_out += a.swaps_out;
	api_swaps_in += a.swaps_in;
	ks_ksm_free(a.k[0]);
	ks_ksm_free(a.k[1]);
	ks_content_store_free(a.cs);
	return cuts;
}

START_TEST(test_bulk_api_munmap_exit)
{
	unsigned cuts = 0;

	for (uint64_t seed = 1; seed <= 20; seed++)
		cuts += api_seed(seed);
	ck_assert_uint_gt(cuts, 100); /* the trees' trust had something to lose */
	ck_assert_uint_gt(api_swaps_out, 100);
	ck_assert_uint_gt(api_swaps_in, 50);
}
END_TEST

#define KS_BULK_TESTS 6

Suite *ks_test_suite(void);

Suite *ks_test_suite(void)
{
	Suite *s = suite_create("bulk");
	TCase *core = tcase_create("core");

	tcase_set_timeout(core, 600);
	tcase_add_loop_test(core, test_bulk_matches_reference, 0, KS_BULK_TESTS);
	tcase_add_test(core, test_bulk_scenarios_cover);
	tcase_add_test(core, test_bulk_reclaim);
	tcase_add_test(core, test_bulk_api_munmap_exit);
	suite_add_tcase(s, core);
	return s;
}
