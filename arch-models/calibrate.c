/* calibrate.c - the table of `sim calibrate`: every cost key of an arch model with the
 * writer that measures it (measure_*.c) and writes it with its provenance (`source`:
 * what was measured, how, when; fits with R2 and standard errors).
 *
 * What is measured, all in user space:
 *   compare     a word-at-a-time memcmp written like the kernel's generic lib/string.c
 *               memcmp (x86_64 has no assembly memcmp), at first-difference offsets
 *               0, 8, ..., 4088, 4095 and equal pages, cache-resident (tree walks
 *               revisit the top of the tree); fixed + per-byte by least squares; the
 *               cost against a cold page goes into the source text;
 *   checksum    each algorithm of models/checksum.c over whole cold pages: 4 KiB pages
 *               (no huge pages) of a pool larger than the last-level cache, visited in
 *               shuffled order, as ksmd reads physically scattered pages once a scan;
 *   page_copy   memcpy of 4 KiB;
 *   tree        models/rbtree.c searches in trees of 16..256Ki nodes (fallback); an
 *               insert's link + rebalance timed alone;
 *   page walk   move_pages(2) of one page minus getppid(2): mmap_read_lock, VMA lookup,
 *               page-table walk, folio reference - the kernel's own walk;
 *   tree walks  searches of trees of 16..64Ki items whose every visit is the kernel's
 *               step and a memcmp picking the next item, each search after checksumming
 *               a cold page: a hot cost for the first D visits of a descent and a cold
 *               one below (tree_hot_depth);
 *   cold load   a pointer chase through huge-page memory;
 *   syscalls    userfaultfd write-protect, madvise(MADV_DONTNEED), first-touch fault,
 *               malloc/free of 64 bytes, an rwlock pair plus loads, a pipe ping-pong.
 * Repeated measurements report their median (robust to preemption on a shared host). */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "calibrate.h"
#include "measure.h"
#include "models/base/xalloc.h"

/* Measurements several keys share, taken on first use. */
enum prim {
	P_COPY, P_MPROT, P_UWP, P_ZAP, P_FAULT, P_MFREE, P_WAKE, P_LOCK4, P_WLOCK4, P_WLOCK0,
	P_CHASE, P_NULLSYS, P_WALK_SEQ, P_WALK_RAND, P_COUNT
};

struct ctx {
	const struct ks_calib_opts *o;
	struct ks_err *err;
	int rc;                          /* first failure */
	char date[32];
	char src[1536];                  /* the source text being written */
	bool pools;
	struct km_pool pool, seq, warm;  /* 2 x 64 MiB shuffled, in order, 2 x 1 MiB */
	double timer_ns;                 /* one clock read, ns (< 0: not yet) */
	bool have[P_COUNT];
	struct km_stat st[P_COUNT];
	bool have_cmp, have_tree, have_walks;
	struct ks_fit cmpfit, treefit;
	double cold_cmp[2], ins_ns;
	unsigned cmp_reps;
	struct km_stat csum[KS_CSUM_COUNT];
	struct km_walk_fit wf[KM_WALK_KINDS];
	bool wf_ok[KM_WALK_KINDS];
	unsigned depth;
	const char *prov;                /* the next entry's provenance (NULL: measured) */
};

static void note(struct ctx *c, const char *what)
{
	if (!c->o->quiet)
		fprintf(stderr, "sim: calibrating: %s...\n", what);
}

static void need_pools(struct ctx *c)
{
	if (c->pools)
		return;
	km_pool_init(&c->pool, 16384, true);  /* 2 x 64 MiB, shuffled: larger than the LLC */
	km_pool_init(&c->seq, 16384, false);  /* the same in address order (the scanner) */
	km_pool_init(&c->warm, 256, false);   /* 2 x 1 MiB: cache-resident */
	c->pools = true;
}

static double need_timer(struct ctx *c)
{
	if (c->timer_ns < 0) {
		double t0 = km_now_ns();

		for (unsigned r = 0; r < 100000; r++)
			km_sink += (uint64_t)km_now_ns();
		c->timer_ns = (km_now_ns() - t0) / 100000;
	}
	return c->timer_ns;
}

struct parg { struct ctx *c; enum prim p; };

static double run_prim(void *a)
{
	struct parg *pa = a;
	struct ctx *c = pa->c;
	unsigned s = c->o->scale;

	switch (pa->p) {
	case P_COPY: return km_time_copy(&c->pool, 256 * s);
	case P_MPROT: return km_time_mprotect(2000 * s);
	case P_UWP: return km_time_uffd_wp(2000 * s);
	case P_ZAP: return km_time_zap(2000 * s, c->timer_ns);
	case P_FAULT: return km_time_fault(4096);
	case P_MFREE: return km_time_malloc_free(20000 * s);
	case P_WAKE: return km_time_wakeup(2000 * s);
	case P_LOCK4: return km_time_lock_walk(20000 * s, 4, (size_t)1 << 20);
	case P_WLOCK4: return km_time_lock_walk(20000 * s, 4, 512);
	case P_WLOCK0: return km_time_lock_walk(20000 * s, 1, 512);
	case P_CHASE: return km_time_chase(20000 * s);
	case P_NULLSYS: return km_time_nullsys(20000 * s);
	case P_WALK_SEQ: return km_time_page_walk(&c->seq, 4000 * s);
	case P_WALK_RAND: return km_time_page_walk(&c->pool, 4000 * s);
	default: return -1;
	}
}

/* The shared measurement p: median of its runs (20 for the copy, else 10). */
static const struct km_stat *need(struct ctx *c, enum prim p)
{
	struct parg pa = { c, p };

	if (!c->have[p]) {
		need_pools(c);
		need_timer(c);
		if (km_repeat(run_prim, &pa, p == P_COPY ? 20 : 10, &c->st[p], c->err) &&
		    !c->rc)
			c->rc = KS_EINVAL;
		c->have[p] = true;
	}
	return &c->st[p];
}

static void need_cmp(struct ctx *c)
{
	double x[600], y[600];
	size_t npts = 0;

	if (c->have_cmp)
		return;
	need_pools(c);
	note(c, "compare");
	c->cmp_reps = 64 * c->o->scale;
	for (unsigned off = 0; off <= KM_PG; off += 8) {
		unsigned o2 = off == KM_PG ? KM_PG - 1 : off;

		x[npts] = o2 + 1;
		y[npts++] = km_time_compare(&c->warm, &c->warm, o2, c->cmp_reps, 5);
	}
	x[npts] = KM_PG; /* equal pages: all 4096 bytes */
	y[npts++] = km_time_compare(&c->warm, &c->warm, KM_PG, c->cmp_reps, 5);
	c->cold_cmp[0] = km_time_compare(&c->warm, &c->pool, 0, c->cmp_reps, 5);
	c->cold_cmp[1] = km_time_compare(&c->warm, &c->pool, KM_PG, c->cmp_reps, 5);
	if (getenv("KS_CALIBRATE_DUMP"))
		for (size_t i = 0; i < npts; i++)
			fprintf(stderr, "compare %g %g\n", x[i], y[i]);
	if (ks_fit_linear(x, y, npts, &c->cmpfit, c->err) && !c->rc)
		c->rc = KS_EINVAL;
	c->have_cmp = true;
}

/* One warm compare of a word: what a tree visit's memcmp costs when the first word
 * differs (priced by compare, so taken out of the visits). */
static double cmp8(struct ctx *c)
{
	need_cmp(c);
	return (c->cmpfit.c0 > 0 ? c->cmpfit.c0 : 0) + 8 * c->cmpfit.c1;
}

static void need_tree(struct ctx *c)
{
	if (c->have_tree)
		return;
	note(c, "rbtree");
	if (km_tree_fit(c->o->scale, need_timer(c), &c->treefit, &c->ins_ns, c->err) &&
	    !c->rc)
		c->rc = KS_EINVAL;
	c->have_tree = true;
}

/* The tree walks of both trees at one depth (the same cache, the same stream evicting
 * it). The unstable walk needs move_pages(2). */
static void need_walks(struct ctx *c)
{
	struct km_walk_data *wd;

	if (c->have_walks)
		return;
	c->have_walks = true;
	need_pools(c);
	need(c, P_WALK_RAND);
	note(c, "tree walks by tree size");
	wd = ks_xcalloc(KM_WALK_KINDS, sizeof(*wd));
	for (int st = 0; st < KM_WALK_KINDS; st++) {
		if (st == KM_WALK_UNSTABLE && !(c->st[P_WALK_RAND].mean > 0))
			continue; /* no move_pages: the unstable walk cannot be taken */
		km_walk_trees(&c->pool, (enum km_walk_kind)st, 2000 * c->o->scale, need_timer(c),
			      &wd[st]);
		c->wf_ok[st] = true;
		if (getenv("KS_CALIBRATE_DUMP"))
			for (unsigned k = 0; k < KM_WALK_SIZES; k++)
				fprintf(stderr, "walk %d %zu %g\n", st, wd[st].n[k], wd[st].ns[k]);
	}
	c->depth = km_walk_depth(wd, c->wf_ok, KM_WALK_STABLE_SYS);
	for (int st = 0; st < KM_WALK_KINDS; st++)
		c->wf_ok[st] = c->wf_ok[st] && c->depth &&
			       km_walk_fit(&wd[st], c->depth, &c->wf[st]);
	free(wd);
}

#define SRC(...) (snprintf(c->src, sizeof(c->src), __VA_ARGS__), c->src)

/* Each entry's provenance: measured (this command), unless the writer composed it from
 * measurements (derived, said in its source); reset after every entry. */
static void put_prov(struct ctx *c, FILE *o, const char *indent)
{
	fprintf(o, "%s  provenance: %s\n", indent, c->prov ? c->prov : "measured");
	c->prov = NULL;
}

static void put_simple(struct ctx *c, FILE *o, const char *key, double ns,
		       const struct km_stat *sv, const char *src)
{
	fprintf(o, "  %s:\n    ns: %.2f\n", key, ns);
	if (sv)
		fprintf(o, "    stderr_ns: %.3f\n    n: %zu\n", sv->se, sv->n);
	put_prov(c, o, "  ");
	fprintf(o, "    source: \"%s\"\n", src);
}

static void put_linear(struct ctx *c, FILE *o, const char *indent, const char *key, double fixed,
		       double per_byte, const struct ks_fit *f, const struct km_stat *sv,
		       const char *src)
{
	fprintf(o, "%s%s:\n%s  fixed_ns: %.3f\n%s  per_byte_ns: %.6f\n", indent, key, indent,
		fixed, indent, per_byte);
	if (f)
		fprintf(o, "%s  r2: %.5f\n%s  fixed_stderr_ns: %.3f\n%s  per_byte_stderr_ns: %.6f\n"
			"%s  n: %zu\n", indent, f->r2, indent, f->se0, indent, f->se1, indent, f->n);
	if (sv)
		fprintf(o, "%s  per_byte_stderr_ns: %.6f\n%s  n: %zu\n", indent, sv->se / KM_PG,
			indent, sv->n);
	put_prov(c, o, indent);
	fprintf(o, "%s  source: \"%s\"\n", indent, src);
}

/* ---- the writers, one per key ---- */

static void w_compare(struct ctx *c, FILE *o)
{
	const struct ks_fit *f = &c->cmpfit;

	need_cmp(c);
	put_linear(c, o, "  ", "compare", f->c0 > 0 ? f->c0 : 0, f->c1, f, NULL,
		   SRC("sim calibrate %s: kernel-style word-at-a-time memcmp of two "
		       "cache-resident 4 KiB pages first differing at offsets 0,8,..,4088,4095 "
		       "and equal pages (min of 5 trials of %u pairs each); y = fixed + "
		       "per_byte*(offset+1). Against a cold page (64 MiB pool, shuffled) a "
		       "compare took %.0f ns at offset 0 and %.0f ns for a whole page (%.0f "
		       "predicted): the warm fit prices the visits within tree_hot_depth, "
		       "cold_per_byte_ns = (whole - first) / 4095 the bytes of the deeper ones "
		       "(a Linux 6.18 profile of ksmd: memcmp about 25 ns per call on random "
		       "pages)", c->date, c->cmp_reps, c->cold_cmp[0], c->cold_cmp[1],
		       f->c0 + f->c1 * KM_PG));
	fprintf(o, "    cold_per_byte_ns: %.6f\n", c->cold_cmp[1] > c->cold_cmp[0] ?
		(c->cold_cmp[1] - c->cold_cmp[0]) / (KM_PG - 1) : f->c1);
}

struct csarg { struct km_pool *p; enum ks_checksum_alg alg; unsigned reps; };

static double run_csum(void *a)
{
	struct csarg *ca = a;

	return km_time_checksum(ca->p, ca->alg, ca->reps);
}

static void w_checksum(struct ctx *c, FILE *o)
{
	need_pools(c);
	note(c, "checksums");
	fprintf(o, "  checksum:\n");
	for (unsigned a = 0; a < KS_CSUM_COUNT; a++) {
		enum ks_checksum_alg alg = (enum ks_checksum_alg)a;
		struct csarg ca = { &c->pool, alg, 256 * c->o->scale };

		if (km_repeat(run_csum, &ca, 20, &c->csum[a], c->err) && !c->rc)
			c->rc = KS_EINVAL;
		put_linear(c, o, "    ", ks_checksum_name(alg), 0, c->csum[a].mean / KM_PG, NULL,
			   &c->csum[a],
			   SRC("sim calibrate %s: models/checksum.c %s over cold 4 KiB pages in "
			       "shuffled order (2 x 64 MiB pool), median of %zu runs of %u pages; "
			       "whole pages only, so the fixed part is folded into per_byte",
			       c->date, ks_checksum_name(alg), c->csum[a].n, ca.reps));
	}
}

/* The stable walk takes no syscall: its fit is the kernel's step. */
static void w_stable_visit_cold(struct ctx *c, FILE *o)
{
	const struct km_walk_fit *f = &c->wf[KM_WALK_STABLE];

	need_walks(c);
	if (!c->wf_ok[KM_WALK_STABLE])
		return;
	put_simple(c, o, "stable_visit_cold", fmax(0, f->cold - cmp8(c)), NULL,
		   SRC("sim calibrate %s: searches of trees of 16..64Ki items (64 B, random "
		       "memory order) each naming a page (huge-page memory, as the kernel's "
		       "direct map), each search after the checksum of a cold 4 KiB page (the "
		       "scanned page); a visit takes and drops a reference on a 64-byte 'struct "
		       "page' cell (ksm_get_folio), then memcmps the page, whose result picks "
		       "the next item; ns per search = c0 + hot*E[min(v,D)] + cold*E[max(0,v-D)] "
		       "by least squares at D = %u (tree_hot_depth; R2 %.4f): hot %.1f, cold "
		       "%.1f ns per visit; minus the warm compare of one word (%.1f ns, priced "
		       "by compare)", c->date, f->depth, f->r2, f->hot, f->cold, cmp8(c)));
}

static void w_stable_visit(struct ctx *c, FILE *o)
{
	need_walks(c);
	if (c->wf_ok[KM_WALK_STABLE]) {
		double hot = c->wf[KM_WALK_STABLE].hot;

		put_simple(c, o, "stable_visit", fmax(0, hot - cmp8(c)), NULL,
			   SRC("sim calibrate %s: the hot visits of the stable_visit_cold fit "
			       "(%.1f ns) minus the warm compare of one word", c->date, hot));
		return;
	}
	need_tree(c);
	put_simple(c, o, "stable_visit", c->treefit.c1, NULL,
		   SRC("sim calibrate %s: models/rbtree.c search in trees of 16..256Ki nodes, "
		       "per-visit slope %.3f +- %.3f ns, R2 %.4f, n %zu", c->date, c->treefit.c1,
		       c->treefit.se1, c->treefit.r2, c->treefit.n));
}

/* The unstable walk's hot visits minus a null syscall are the kernel's walk to a page. */
static double unstable_hot(struct ctx *c)
{
	return fmax(0, c->wf[KM_WALK_UNSTABLE].hot - need(c, P_NULLSYS)->mean - cmp8(c));
}

static void w_unstable_visit(struct ctx *c, FILE *o)
{
	const struct km_walk_fit *f = &c->wf[KM_WALK_UNSTABLE];
	const struct km_stat *wr = need(c, P_WALK_RAND), *l4;

	need_walks(c);
	if (c->wf_ok[KM_WALK_UNSTABLE] && c->wf_ok[KM_WALK_STABLE]) {
		put_simple(c, o, "unstable_visit", unstable_hot(c), NULL,
			   SRC("sim calibrate %s: as stable_visit_cold, but a visit is the kernel's "
			       "walk to the item's page (get_mergeable_page: mmap_read_lock, VMA "
			       "lookup, page-table walk, folio ref) as move_pages(2) of one page of "
			       "a 4 KiB-page 64 MiB pool: at D = %u (R2 %.4f), hot %.1f ns per "
			       "visit minus a null syscall (getppid, %.1f ns) and the warm compare "
			       "of one word", c->date, f->depth, f->r2, f->hot,
			       need(c, P_NULLSYS)->mean));
		return;
	}
	need_tree(c);
	if (wr->mean > 0) {
		put_simple(c, o, "unstable_visit", c->treefit.c1 + wr->mean, wr,
			   SRC("sim calibrate %s: rbtree per-visit slope (%.2f ns) + the kernel's "
			       "walk to a tree item's page measured as move_pages(2) of one page "
			       "minus getppid(2), pages of a 64 MiB pool in shuffled order, %.2f "
			       "ns", c->date, c->treefit.c1, wr->mean));
		return;
	}
	l4 = need(c, P_LOCK4);
	put_simple(c, o, "unstable_visit", c->treefit.c1 + l4->mean, l4,
		   SRC("sim calibrate %s: rbtree per-visit slope (%.2f ns) + rwlock read pair "
		       "with 4 dependent cold loads (mmap_read_lock + 4-level page-table walk of "
		       "the tree item's mm, %.2f ns; move_pages(2) not available)", c->date,
		       c->treefit.c1, l4->mean));
}

/* The proxy's cold visits are not used as measured, because a syscall per visit makes
 * every cold visit of the proxy dearer (the stable walk with a getppid(2) per visit
 * shows it): composed as the stable cold visit (item, struct page, page line, all
 * cold) + the hot walk + one more cold load (the page-table line of the address). */
static void w_unstable_visit_cold(struct ctx *c, FILE *o)
{
	const struct km_walk_fit *f = &c->wf[KM_WALK_UNSTABLE], *g = &c->wf[KM_WALK_STABLE_SYS];
	const struct km_walk_fit *s = &c->wf[KM_WALK_STABLE];
	const struct km_stat *chase = need(c, P_CHASE);
	double st_cold, hot;

	need_walks(c);
	if (!c->wf_ok[KM_WALK_UNSTABLE] || !c->wf_ok[KM_WALK_STABLE])
		return;
	st_cold = fmax(0, s->cold - cmp8(c));
	hot = unstable_hot(c);

	c->prov = "derived";
	put_simple(c, o, "unstable_visit_cold", st_cold + hot + chase->mean, chase,
		   SRC("sim calibrate %s: stable_visit_cold (%.1f ns: item, struct page and page "
		       "line cold) + unstable_visit (%.1f ns: the walk) + one dependent cold "
		       "load (%.1f ns, pointer chase through 64 MiB of huge-page memory: the "
		       "page-table line of the item's address). The proxy's own cold visit, "
		       "%.1f ns minus a null syscall, is not used: a syscall per visit makes "
		       "each cold visit of a proxy dearer (the stable walk with a getppid(2) per "
		       "visit: cold minus hot %.1f ns against %.1f ns without; ksmd makes no "
		       "syscall)", c->date, st_cold, hot, chase->mean,
		       f->cold - need(c, P_NULLSYS)->mean,
		       c->wf_ok[KM_WALK_STABLE_SYS] ? g->cold - g->hot : 0, s->cold - s->hot));
}

static void w_tree_hot_depth(struct ctx *c, FILE *o)
{
	need_walks(c);
	if (!c->wf_ok[KM_WALK_UNSTABLE] && !c->wf_ok[KM_WALK_STABLE])
		return;
	fprintf(o, "  tree_hot_depth:\n    value: %u\n    provenance: measured\n"
		"    source: \"sim calibrate %s: visits "
		"per descent that stay cache-hot while every search streams a cold 4 KiB page: "
		"the D = 1..24 at which the hot/cold fits of the unstable and stable tree walks "
		"(unstable_visit_cold, stable_visit_cold) leave the least unexplained (sum of 1 "
		"- R2)\"\n", c->depth, c->date);
}

static void w_chain_dup(struct ctx *c, FILE *o)
{
	double step;

	c->prov = "derived";
	need_walks(c);
	if (c->wf_ok[KM_WALK_STABLE]) {
		step = c->wf[KM_WALK_STABLE].hot;
	} else {
		need_tree(c);
		step = c->treefit.c1;
	}
	put_simple(c, o, "chain_dup", step, NULL,
		   SRC("sim calibrate %s: a hot stable-tree visit as measured, its one-word "
		       "compare standing in for the hlist step (%s): a dup is examined with "
		       "ksm_get_folio like a stable node, and a chain is examined by every page "
		       "that matches it, so it stays cached", c->date,
		       c->wf_ok[KM_WALK_STABLE] ? "stable_visit_cold fit" : "rbtree per-visit slope"));
}

static void w_tree_insert(struct ctx *c, FILE *o)
{
	need_tree(c);
	put_simple(c, o, "tree_insert", c->ins_ns, NULL,
		   SRC("sim calibrate %s: models/rbtree.c link + rebalance of inserts into a "
		       "tree growing to 256Ki nodes, timed alone (the kernel inserts where its "
		       "search ended), minus one clock read (%.1f ns)", c->date, c->timer_ns));
}

static void w_stale_node(struct ctx *c, FILE *o)
{
	c->prov = "derived";
	need_tree(c);
	put_simple(c, o, "stale_node", need(c, P_MFREE)->mean + c->ins_ns, NULL,
		   SRC("sim calibrate %s: malloc/free of 64 B (slab free) + one rb erase, taken "
		       "as one rb insert", c->date));
}

static void w_anon_page(struct ctx *c, FILE *o)
{
	const struct km_stat *ws = need(c, P_WALK_SEQ), *l4 = need(c, P_WLOCK4);

	if (ws->mean > 0)
		put_simple(c, o, "anon_page", ws->mean, ws,
			   SRC("sim calibrate %s: the kernel's walk to the scanned page "
			       "(scan_get_next_rmap_item: mmap_read_lock, VMA lookup, page-table "
			       "walk, folio ref) measured as move_pages(2) of one page minus "
			       "getppid(2), pages of a 64 MiB pool in address order", c->date));
	else
		put_simple(c, o, "anon_page", l4->mean, l4,
			   SRC("sim calibrate %s: rwlock read pair + 4 dependent cache-resident "
			       "loads (mmap lock + folio_walk of the scanned address; move_pages(2) "
			       "not available)", c->date));
}

static void w_ksm_page(struct ctx *c, FILE *o)
{
	const struct km_stat *ws = need(c, P_WALK_SEQ), *l4 = need(c, P_WLOCK4);
	double chase = need(c, P_CHASE)->mean;

	c->prov = "derived";
	if (ws->mean > 0)
		put_simple(c, o, "ksm_page", ws->mean + 2 * chase, ws,
			   SRC("sim calibrate %s: as anon_page (%.2f ns) + 2 dependent cold loads "
			       "(%.2f ns each: pointer chase through 64 MiB of huge-page memory): the "
			       "KSM page's struct page (page_stable_node: scattered, unlike the "
			       "scanner's own pages) and its stable node (head, kpfn) before the "
			       "early return", c->date, ws->mean, chase));
	else
		put_simple(c, o, "ksm_page", l4->mean, l4,
			   SRC("sim calibrate %s: as anon_page (the KSM-page early return still "
			       "takes the mmap lock and walks to the folio)", c->date));
}

static void w_load(struct ctx *c, FILE *o, const char *key, const char *what)
{
	const struct km_stat *w0 = need(c, P_WLOCK0);

	put_simple(c, o, key, w0->mean, w0, SRC("sim calibrate %s: %s", c->date, what));
}

static void w_walk_entry(struct ctx *c, FILE *o)
{
	w_load(c, o, "walk_entry", "one dependent cache-resident load (rmap_list step / PTE "
	       "read in address order)");
}

static void w_skip(struct ctx *c, FILE *o)
{
	w_load(c, o, "skip", "one dependent cache-resident load (smart-scan age check)");
}

static void w_zero_merge(struct ctx *c, FILE *o)
{
	w_load(c, o, "zero_merge", "one dependent cache-resident load (zero-page accounting; "
	       "the flushes are priced by wrprotect/replace)");
}

static void w_item(struct ctx *c, FILE *o, const char *key, const char *proxy)
{
	const struct km_stat *m = need(c, P_MFREE);

	c->prov = "derived";
	put_simple(c, o, key, m->mean / 2, m,
		   SRC("sim calibrate %s: half of a glibc malloc(64)+free pair (%s proxy)",
		       c->date, proxy));
}

static void w_item_alloc(struct ctx *c, FILE *o)
{
	w_item(c, o, "item_alloc", "kmem_cache_zalloc");
}

static void w_item_free(struct ctx *c, FILE *o)
{
	w_item(c, o, "item_free", "kmem_cache_free");
}

/* The write-protect proxy used (userfaultfd, else mprotect) and its ns minus a null
 * syscall; c->src gets its source text. */
static const struct km_stat *wp_proxy(struct ctx *c, double *ns)
{
	const struct km_stat *uwp = need(c, P_UWP), *mp = need(c, P_MPROT);
	double nul = need(c, P_NULLSYS)->mean;

	if (uwp->mean > 0) {
		*ns = fmax(0, uwp->mean - nul);
		SRC("sim calibrate %s: userfaultfd write-protect of one resident page "
		    "(UFFDIO_WRITEPROTECT: mmap read lock, VMA lookup, page-table walk, PTE "
		    "write-protect, TLB flush of the page, as write_protect_page), median of "
		    "%zu runs (%.2f ns), minus a null syscall (getppid, %.2f ns: ksmd is a "
		    "kernel thread); mprotect(2), which also rewrites the VMA under the mmap "
		    "write lock, took %.2f ns", c->date, uwp->n, uwp->mean, nul, mp->mean);
		return uwp;
	}
	*ns = fmax(0, mp->mean - nul);
	SRC("sim calibrate %s: mprotect() of one resident page (PTE change + local TLB flush), "
	    "median of %zu runs (%.2f ns), minus a null syscall (getppid, %.2f ns: ksmd is a "
	    "kernel thread; userfaultfd write-protect not available)", c->date, mp->n,
	    mp->mean, nul);
	return mp;
}

static void w_wrprotect(struct ctx *c, FILE *o)
{
	double ns;
	const struct km_stat *sv = wp_proxy(c, &ns);

	put_simple(c, o, "wrprotect", ns, sv, c->src);
}

static void w_replace(struct ctx *c, FILE *o)
{
	const struct km_stat *zap = need(c, P_ZAP), *sv;
	double nul = need(c, P_NULLSYS)->mean, ns;

	if (zap->mean > 0) {
		put_simple(c, o, "replace", fmax(0, zap->mean - nul), zap,
			   SRC("sim calibrate %s: replace_page (the PTE pointed at the KSM page, "
			       "flushed, the old page's rmap dropped and the folio freed) as "
			       "madvise(MADV_DONTNEED) of one resident page (PTE clear, flush, rmap "
			       "removal, free), timed alone, median of %zu runs (%.2f ns), minus a "
			       "null syscall (%.2f ns)", c->date, zap->n, zap->mean, nul));
		return;
	}
	sv = wp_proxy(c, &ns);
	put_simple(c, o, "replace", ns, sv,
		   SRC("sim calibrate %s: as wrprotect (replace_page: PTE replace + flush)",
		       c->date));
}

static void w_merge(struct ctx *c, FILE *o)
{
	c->prov = "derived";
	need_tree(c);
	put_simple(c, o, "merge", need(c, P_MFREE)->mean + c->ins_ns, NULL,
		   SRC("sim calibrate %s: malloc/free 64 B + one rb insert (stable node / rmap "
		       "hlist bookkeeping)", c->date));
}

static void w_break_cow(struct ctx *c, FILE *o)
{
	double fault = need(c, P_FAULT)->mean, copy = need(c, P_COPY)->mean;

	c->prov = "derived";
	put_simple(c, o, "break_cow", fault + copy, NULL,
		   SRC("sim calibrate %s: first-touch write fault of an anonymous page (%.0f ns) "
		       "+ 4 KiB copy (%.0f ns)", c->date, fault, copy));
}

static void w_scan_start(struct ctx *c, FILE *o)
{
	const struct km_stat *w = need(c, P_WAKE);

	c->prov = "derived";
	put_simple(c, o, "scan_start", w->mean * 2 * (double)sysconf(_SC_NPROCESSORS_ONLN), w,
		   SRC("sim calibrate %s: lru_add_drain_all = a work item on every CPU: 2 thread "
		       "wakeups (pipe ping-pong) per online CPU", c->date));
}

static void w_batch(struct ctx *c, FILE *o)
{
	const struct km_stat *w = need(c, P_WAKE);

	put_simple(c, o, "batch", w->mean, w,
		   SRC("sim calibrate %s: one thread sleep/wakeup (half a pipe round trip)",
		       c->date));
}

static void w_page_copy(struct ctx *c, FILE *o)
{
	const struct km_stat *cp = need(c, P_COPY);

	put_simple(c, o, "page_copy", cp->mean, cp,
		   SRC("sim calibrate %s: memcpy of a cold 4 KiB page, median of %zu runs",
		       c->date, cp->n));
}

static void w_guest_tlb_factor(struct ctx *c, FILE *o)
{
	fprintf(o, "  guest_tlb_factor:\n    value: 1.0\n    provenance: derived\n"
		"    source: \"sim calibrate %s: the "
		"flushes above were measured on this host as it runs (a guest's virtualisation "
		"cost is already in them)\"\n", c->date);
}
#undef SRC

/* ---- the table ---- */

struct entry {
	struct ks_calib_key k;
	void (*write)(struct ctx *c, FILE *o);
};

static const struct entry table[] = {
	{ { "compare", "ns + ns/B", "kernel-style memcmp by first-difference offset" }, w_compare },
	{ { "checksum", "ns/B", "each checksum over cold shuffled 4 KiB pages" }, w_checksum },
	{ { "stable_visit_cold", "ns", "cold stable-tree visit (tree-walk fit)" }, w_stable_visit_cold },
	{ { "stable_visit", "ns", "hot stable-tree visit (tree-walk fit)" }, w_stable_visit },
	{ { "unstable_visit", "ns", "hot unstable visit: move_pages(2) walk" }, w_unstable_visit },
	{ { "unstable_visit_cold", "ns", "cold unstable visit (composed)" }, w_unstable_visit_cold },
	{ { "tree_hot_depth", "visits", "visits per descent that stay hot" }, w_tree_hot_depth },
	{ { "chain_dup", "ns", "a hot stable visit" }, w_chain_dup },
	{ { "tree_insert", "ns", "rb link + rebalance" }, w_tree_insert },
	{ { "stale_node", "ns", "malloc/free 64 B + rb insert" }, w_stale_node },
	{ { "anon_page", "ns", "move_pages(2) walk, address order" }, w_anon_page },
	{ { "ksm_page", "ns", "the walk + 2 cold loads" }, w_ksm_page },
	{ { "walk_entry", "ns", "one cache-resident dependent load" }, w_walk_entry },
	{ { "skip", "ns", "one cache-resident dependent load" }, w_skip },
	{ { "item_alloc", "ns", "half a malloc(64)+free" }, w_item_alloc },
	{ { "item_free", "ns", "half a malloc(64)+free" }, w_item_free },
	{ { "wrprotect", "ns", "UFFDIO_WRITEPROTECT of one page" }, w_wrprotect },
	{ { "replace", "ns", "madvise(MADV_DONTNEED) of one page" }, w_replace },
	{ { "merge", "ns", "malloc/free 64 B + rb insert" }, w_merge },
	{ { "zero_merge", "ns", "one cache-resident dependent load" }, w_zero_merge },
	{ { "break_cow", "ns", "first-touch fault + 4 KiB copy" }, w_break_cow },
	{ { "scan_start", "ns", "2 pipe wakeups per online CPU" }, w_scan_start },
	{ { "batch", "ns", "half a pipe round trip" }, w_batch },
	{ { "page_copy", "ns", "memcpy of a cold 4 KiB page" }, w_page_copy },
	{ { "guest_tlb_factor", "factor", "1: measured as the host runs" }, w_guest_tlb_factor },
};
enum { NTABLE = sizeof(table) / sizeof(table[0]) };

const struct ks_calib_key *ks_calib_keys(size_t *n)
{
	static struct ks_calib_key keys[NTABLE];

	for (size_t i = 0; i < NTABLE; i++)
		keys[i] = table[i].k;
	*n = NTABLE;
	return keys;
}

static void header(const struct ctx *c, FILE *o)
{
	fprintf(o, "# arch-models/%s.yaml - written by `sim calibrate` (ksmsim %s) on %s.\n"
		"# Host: %ld CPUs online. Every number below was measured on this host in\n"
		"# user space with real 4 KiB buffers (cold: 4 KiB pages of 2 x 64 MiB visited\n"
		"# in shuffled order);\n"
		"# fits are GSL least squares (gsl_fit_linear); repeated runs give their median\n"
		"# with the standard error of their mean (stderr_ns).\n"
		"# Steps ksmd does in the kernel are measured through the nearest user-space\n"
		"# operation; each `source` names the proxy. See docs/cost-models.md.\n",
		c->o->name, PACKAGE_VERSION, c->date, sysconf(_SC_NPROCESSORS_ONLN));
	fprintf(o, "arch: %s\ndescription: \"calibrated with sim calibrate on %s\"\ncosts:\n",
		c->o->name, c->date);
}

int ks_calibrate_host(const struct ks_calib_opts *o, FILE *out, struct ks_err *err)
{
	struct ctx *c = ks_xcalloc(1, sizeof(*c));
	time_t now = time(NULL);
	const struct entry *one = NULL;
	int rc;

	if (o->only) {
		for (size_t i = 0; i < NTABLE && !one; i++)
			if (!strcmp(table[i].k.key, o->only))
				one = &table[i];
		if (!one) {
			free(c);
			return ks_err_set(err, KS_EINVAL, "no cost key '%s' in the calibration "
					  "table (sim calibrate --help lists them)", o->only);
		}
	}
	c->o = o;
	c->err = err;
	c->timer_ns = -1;
	strftime(c->date, sizeof(c->date), "%Y-%m-%d", gmtime(&now));
	if (one) {
		fprintf(out, "# %s as measured by `sim calibrate --only %s` on %s: replaces the "
			"entry under costs: of an arch file\n", one->k.key, one->k.key, c->date);
		one->write(c, out);
	} else {
		header(c, out);
		for (size_t i = 0; i < NTABLE; i++)
			table[i].write(c, out);
	}
	rc = c->rc;
	if (c->pools) {
		km_pool_fini(&c->pool);
		km_pool_fini(&c->seq);
		km_pool_fini(&c->warm);
	}
	free(c);
	return rc;
}

char *ks_calib_reads_section(const char *path)
{
	FILE *f = path ? fopen(path, "r") : NULL;
	char line[4096], *text = NULL;
	size_t len = 0;
	bool in = false;

	if (!f)
		return NULL;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "reads:", 6))
			in = true;
		else if (in && line[0] != ' ' && line[0] != '\t' && line[0] != '#' &&
			 line[0] != '\n')
			break;
		if (!in)
			continue;
		text = ks_xrealloc(text, len + strlen(line) + 1);
		memcpy(text + len, line, strlen(line) + 1);
		len += strlen(line);
	}
	fclose(f);
	return text;
}
