/* check_bulk_reads.c - reads on the bulk path against the page-by-page reference path
 * (scenario key `path`): what backs every page a process reads (a private page, a KSM page
 * by its PFN, a zero page) must be the same on both paths, so the readers' totals must
 * be identical. tests/check_bulk.c compares everything else of the two paths on its own
 * randomised workloads; this generator is smaller and makes every scenario read.
 *
 * Each seed builds a scenario at random: groups of processes (some exiting), regions of
 * zero, image, fill and random pages, Poisson page writes, one or two read schedules per
 * group (sequential or random, over part or all of a region, starting and stopping at
 * random), use_zero_pages, a small max_page_sharing, a zero page count, knob writes that
 * flip use_zero_pages or unmerge (run=2, then run=1), and host memory with zram (reads
 * then fault swapped-out pages back in). Reads are priced with 128 cache colours, so a
 * difference in which frame backs a read shows as a synonym count. Both paths must agree
 * on the readers' totals in every sample, in the summary (with and without KSM, the
 * variant) and per process, and on the KSM counters in every sample. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "gen_text.h"
#include "path_run.h"
#include "models/base/xalloc.h"
#include "sim/config/load_scenario.h"
#include "sim/engine/cost_hooks.h"
#include "sim/engine/world.h"

static void put_content(struct text *t)
{
	switch (rnd() % 4) {
	case 0:
		put(t, "{kind: zero}");
		break;
	case 1:
		put(t, "{kind: image, image: os-%c}", chance(50) ? 'a' : 'b');
		break;
	case 2:
		put(t, "{kind: random}");
		break;
	default:
		put(t, "{kind: fill, byte: %u}", chance(60) ? 0 : (unsigned)pick(1, 3));
		break;
	}
}

static void put_group(struct text *t, unsigned g)
{
	unsigned nregions = (unsigned)pick(1, 2), nreads = (unsigned)pick(1, 2);
	uint64_t pages[2];

	put(t, "  - name: g%u\n    count: %u\n", g, (unsigned)pick(1, 3));
	if (chance(30))
		put(t, "    exit: %" PRIu64 "ms\n", pick(1500, 4000));
	put(t, "    regions:\n");
	for (unsigned r = 0; r < nregions; r++) {
		pages[r] = pick(16, 400);
		put(t, "      - name: r%u\n        pages: %" PRIu64 "\n", r, pages[r]);
		if (chance(40))
			put(t, "        shuffle: true\n");
		put(t, "        contents:\n          - fraction: 0.%02u\n            content: ",
		    (unsigned)pick(10, 60));
		put_content(t);
		put(t, "\n          - rest: true\n            content: ");
		put_content(t);
		put(t, "\n");
	}
	if (chance(50)) {
		put(t, "    writes:\n      - region: r0\n        rate: %u\n        content: ",
		    (unsigned)pick(1, 30));
		put_content(t);
		put(t, "\n");
	}
	put(t, "    reads:\n");
	for (unsigned k = 0; k < nreads; k++) {
		unsigned r = (unsigned)(rnd() % nregions);
		uint64_t first = chance(50) ? 0 : pick(0, pages[r] - 1);

		put(t, "      - region: r%u\n        first: %" PRIu64 "\n", r, first);
		if (chance(60))
			put(t, "        count: %" PRIu64 "\n", pick(1, pages[r] - first));
		put(t, "        order: %s\n        rate: %" PRIu64 "\n",
		    chance(50) ? "sequential" : "random", pick(100, 30000));
		put(t, "        start: %" PRIu64 "ms\n", pick(0, 2500));
		if (chance(25))
			put(t, "        stop: %" PRIu64 "ms\n", pick(2600, 5000));
	}
}

static char *random_scenario(uint64_t seed)
{
	static const unsigned colours[] = { 1, 4, 16, 128 };
	struct text t = { 0 };
	uint64_t duration;
	unsigned ngroups;

	rng = seed * 0x2545f4914f6cdd1dull + 11;
	duration = pick(2500, 5000);
	ngroups = (unsigned)pick(1, 3);
	put(&t, "name: reads%" PRIu64 "\nseed: %" PRIu64 "\nduration: %" PRIu64 "ms\n", seed,
	    seed, duration);
	put(&t, "sample:\n  %s\n", chance(50) ? "every: batch" : "interval: 50ms");
	put(&t, "ksm:\n  pages_to_scan: %u\n  sleep_millisecs: %u\n", (unsigned)pick(20, 2000),
	    (unsigned)pick(1, 30));
	put(&t, "  use_zero_pages: %s\n", chance(60) ? "true" : "false");
	put(&t, "  max_page_sharing: %u\n", chance(50) ? (unsigned)pick(2, 5) : 256);
	put(&t, "  zero_page_colours: %u\n", colours[rnd() % 4]);
	put(&t, "processes:\n");
	for (unsigned g = 0; g < ngroups; g++)
		put_group(&t, g);
	if (chance(50)) {
		uint64_t at = pick(500, duration - 500);

		put(&t, "ksm_changes:\n");
		if (chance(50))
			put(&t, "  - at: %" PRIu64 "ms\n    set: {use_zero_pages: %s}\n", at,
			    chance(50) ? "true" : "false");
		else
			put(&t, "  - at: %" PRIu64 "ms\n    set: {run: 2}\n  - at: %" PRIu64
			    "ms\n    set: {run: 1}\n", at, at + pick(1, 400));
	}
	if (chance(30))
		put(&t, "host:\n  ram: %" PRIu64 "KiB\n  kernel_reserved: 16MiB\n"
		    "  zram: {algorithm: lz4, costs: x86_64}\n", (4096 + pick(300, 700)) * 4);
	return t.s;
}

/* ---- what a run tells ---- */

struct proc_rec {
	uint32_t pid;
	char process[64];
	struct ks_read_totals ksm, noksm;
};

struct capture {
	struct ks_ksm_stats *st;     /* every sample's counters */
	uint64_t (*rd)[3];           /* ... and read_pages, read_ns, read_ns_noksm */
	size_t ns, cap;
	struct proc_rec *pr;         /* the summary's readers, copied at the commit */
	size_t npr;
	struct ks_summary sum;
};

static int cap_sample(void *self, const struct ks_sample *smp, const struct ks_proc_sample *procs,
		      size_t nprocs, struct ks_err *err)
{
	struct capture *c = self;

	(void)procs, (void)nprocs, (void)err;
	if (c->ns == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 256;
		c->st = ks_xrealloc(c->st, c->cap * sizeof(*c->st));
		c->rd = ks_xrealloc(c->rd, c->cap * sizeof(*c->rd));
	}
	c->st[c->ns] = smp->st;
	c->rd[c->ns][0] = smp->read_pages;
	c->rd[c->ns][1] = smp->read_ns;
	c->rd[c->ns][2] = smp->read_ns_noksm;
	c->ns++;
	return 0;
}

static int cap_commit(void *self, const struct ks_summary *sum, struct ks_err *err)
{
	struct capture *c = self;

	(void)err;
	c->npr = sum->nproc_reads;
	c->pr = ks_xcalloc(c->npr + 1, sizeof(*c->pr));
	for (size_t i = 0; i < c->npr; i++) {
		c->pr[i].pid = sum->proc_reads[i].pid;
		snprintf(c->pr[i].process, sizeof(c->pr[i].process), "%s",
			 sum->proc_reads[i].process);
		c->pr[i].ksm = sum->proc_reads[i].ksm;
		c->pr[i].noksm = sum->proc_reads[i].noksm;
	}
	return 0;
}

static void run_path(const char *yaml, bool reference, struct capture *c)
{
	/* reads priced on an s390-like cache: a different frame behind a read would show */
	static const struct ks_read_costs coloured = { .byte_ns = 0.25, .line_bytes = 256,
						      .cache_colours = 128, .synonym_ns = 2.0 };

	memset(c, 0, sizeof(*c));
	ks_cost_model_free(path_run(yaml, "reads.yaml", reference,
				    (struct ks_observer){ .self = c, .sample = cap_sample,
							  .commit = cap_commit },
				    &coloured, &c->sum));
}

static unsigned runs_ksm, runs_zero, runs_synonym, runs_swap, runs_mixed;

static void compare_seed(uint64_t seed)
{
	char *yaml = random_scenario(seed);
	struct capture *r = ks_xcalloc(1, sizeof(*r)), *b = ks_xcalloc(1, sizeof(*b));

	run_path(yaml, true, r);
	run_path(yaml, false, b);
	ck_assert_msg(r->ns == b->ns, "seed %" PRIu64 ": %zu samples vs %zu\n%s", seed, r->ns,
		      b->ns, yaml);
	for (size_t i = 0; i < r->ns; i++) {
		ck_assert_msg(!memcmp(&r->st[i], &b->st[i], sizeof(r->st[i])),
			      "seed %" PRIu64 ": sample %zu: counters differ\n%s", seed, i, yaml);
		ck_assert_msg(!memcmp(r->rd[i], b->rd[i], sizeof(r->rd[i])),
			      "seed %" PRIu64 ": sample %zu: readers' totals differ (%" PRIu64
			      " vs %" PRIu64 " ns)\n%s", seed, i, r->rd[i][1], b->rd[i][1], yaml);
	}
	ck_assert_msg(!memcmp(&r->sum.reads, &b->sum.reads, sizeof(r->sum.reads)) &&
		      !memcmp(&r->sum.reads_noksm, &b->sum.reads_noksm,
			      sizeof(r->sum.reads_noksm)) &&
		      r->sum.read_variant == b->sum.read_variant,
		      "seed %" PRIu64 ": readers' totals differ: %" PRIu64 " vs %" PRIu64
		      " synonyms\n%s", seed, r->sum.reads.synonym_pages,
		      b->sum.reads.synonym_pages, yaml);
	ck_assert_msg(r->npr == b->npr && !memcmp(r->pr, b->pr, r->npr * sizeof(*r->pr)),
		      "seed %" PRIu64 ": readers per process differ\n%s", seed, yaml);
	ck_assert_msg(b->sum.reads.pages > 0 && b->npr > 0, "seed %" PRIu64 ": nothing read\n%s",
		      seed, yaml);
	runs_ksm += b->sum.reads.by_frame[KS_RF_KSM] > 0;
	runs_zero += b->sum.reads.by_frame[KS_RF_ZERO] > 0;
	runs_synonym += b->sum.reads.synonym_pages > 0;
	runs_swap += b->sum.has_swap && b->sum.swap.pswpout > 0;
	runs_mixed += b->sum.read_variant == KS_RV_MIXED;
	free(r->st);
	free(r->rd);
	free(r->pr);
	free(b->st);
	free(b->rd);
	free(b->pr);
	free(r);
	free(b);
	free(yaml);
}

#define SEEDS 24

START_TEST(test_bulk_reads_match_reference)
{
	runs_ksm = runs_zero = runs_synonym = runs_swap = runs_mixed = 0;
	for (uint64_t s = 1; s <= SEEDS; s++)
		compare_seed(s);
	/* the generator covers what it claims (a test that cannot fail is no test) */
	ck_assert_uint_gt(runs_ksm, 5);
	ck_assert_uint_gt(runs_zero, 5);
	ck_assert_uint_gt(runs_synonym, 5);
	ck_assert_uint_gt(runs_swap, 1);
	ck_assert_uint_gt(runs_mixed, 0);
}
END_TEST

Suite *ks_test_suite(void);

Suite *ks_test_suite(void)
{
	Suite *s = suite_create("bulk_reads");
	TCase *core = tcase_create("core");

	tcase_set_timeout(core, 600);
	tcase_add_test(core, test_bulk_reads_match_reference);
	suite_add_tcase(s, core);
	return s;
}
