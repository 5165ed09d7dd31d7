/* cmd_regress.c - `sim regress DIR... [--db FILE] [--tolerance R] [--quiet]`: replays
 * each kernel trace's scenario with its knobs through the simulator and compares, after
 * every ksmd batch, every /sys/kernel/mm/ksm counter, each process's ksm_stat, the
 * successful merge tracepoints per process, and which pages merged (the set of
 * (pid, page address, how) of the batch; docs/kernel-traces.md, "Comparison").
 * Static and timed workloads must match exactly at every batch; racy ones (writes that
 * raced ksmd while recording) are accepted within a relative tolerance. Exit 1 on a
 * divergence, 2 on bad input.
 * Live traces (an external workload such as QEMU guests, recorded by `sim record-kernel
 * --pid` while `sim record` took the page-write trace named in scenario.yaml) are
 * compared on the kernel's time line instead: each simulated batch ends when the
 * kernel's did, and pages_shared / pages_sharing must stay within the tolerance at
 * every full-scan boundary after the guests settled, the final saving within
 * --final-tolerance.
 * The comparison is stored through reports/regress_db.h. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cli_opts.h"
#include "models/base/xalloc.h"
#include "models/vocab/knobs.h"
#include "sim/config/load_scenario.h"
#include "sim/engine/world.h"
#include "sim/results/regress_db.h"
#include "traces/kernel_trace.h"

#define RG_PROC_FIELDS 4
static const char *const proc_fields[RG_PROC_FIELDS] = {
	"ksm_rmap_items", "ksm_zero_pages", "ksm_merging_pages", "ksm_process_profit"
};

/* One compared value. */
struct rg_val {
	uint64_t batch;               /* ksmd batch, 1-based */
	char counter[48];             /* counter name */
	int64_t kernel, sim;          /* the two values */
	bool has_kernel, has_sim;     /* false: that side has no such batch */
	bool differs;                 /* set comparison (merged_pages): the sets differ */
};

/* What the simulator produced, batch by batch. */
struct rg_sim {
	struct ks_kt_batch *b;        /* [batch], c[] filled, index 0 unused */
	size_t nb, cap;
	struct ks_kt_proc *p;         /* process samples taken after each batch */
	size_t np;
	struct ks_kt_merged *mp;      /* successful merge tracepoints: the pages merged
				       * (pid, batch, ...), sorted by ks_kt_merged_cmp
				       * after the run */
	size_t nmp, cap_mp;
	const struct ks_ktrace *kt;   /* cost replay (advisor) */
	uint64_t cost_calls;
	int64_t cpu_base;
	bool live;                    /* live trace: batches end when the kernel's did */
	int64_t t0;                   /* live: the kernel's T0 (CLOCK_MONOTONIC ns) */
	int64_t sleep_ns;             /* live: the model's sleep (whole jiffies) */
	int64_t next_start;           /* live: simulated start of the next batch (ns) */
	long os_pid[64];              /* live: the recorded trace's pids (the real ones), in
				       * the kernel trace's order (meta os_pids) */
	unsigned nos;
};

/* The kernel trace's pid of a simulated pid: live traces number processes by their
 * real pids, the kernel trace by their order. */
static uint32_t rg_pid(const struct rg_sim *r, uint32_t pid)
{
	for (unsigned i = 0; i < r->nos; i++)
		if (r->os_pid[i] == (long)pid)
			return i + 1;
	return pid;
}

/* The processes' ksm_stat, sampled after every batch (before the batch callback). */
static int rg_sample(void *self, const struct ks_sample *smp,
		     const struct ks_proc_sample *procs, size_t nprocs, struct ks_err *e)
{
	struct rg_sim *r = self;

	(void)smp, (void)e;
	r->p = ks_xrealloc(r->p, (r->np + nprocs + 1) * sizeof(*r->p));
	for (size_t i = 0; i < nprocs; i++) {
		const struct ks_proc_sample *ps = &procs[i];

		r->p[r->np++] = (struct ks_kt_proc){
			.batch = r->nb + 1, .pid = rg_pid(r, ps->pid),
			.rmap_items = (int64_t)ps->ps.ksm_rmap_items,
			.zero_pages = (int64_t)ps->ps.ksm_zero_pages,
			.merging_pages = (int64_t)ps->ps.ksm_merging_pages,
			.profit = ps->ps.ksm_process_profit };
	}
	return 0;
}

static void rg_on_batch(void *self, const struct ks_batch_done *bd)
{
	struct rg_sim *r = self;
	const struct ks_sample *smp = bd->sample;
	struct ks_kt_batch b = { .batch = smp->batch, .t_end_ns = (int64_t)smp->t };
	const struct ks_ksm_stats *st = &smp->st;

	b.c[KS_KT_FULL_SCANS] = (int64_t)st->full_scans;
	b.c[KS_KT_PAGES_SCANNED] = (int64_t)st->pages_scanned;
	b.c[KS_KT_PAGES_SHARED] = (int64_t)st->pages_shared;
	b.c[KS_KT_PAGES_SHARING] = (int64_t)st->pages_sharing;
	b.c[KS_KT_PAGES_UNSHARED] = (int64_t)st->pages_unshared;
	b.c[KS_KT_PAGES_VOLATILE] = (int64_t)st->pages_volatile;
	b.c[KS_KT_PAGES_SKIPPED] = (int64_t)st->pages_skipped;
	b.c[KS_KT_STABLE_NODE_CHAINS] = (int64_t)st->stable_node_chains;
	b.c[KS_KT_STABLE_NODE_DUPS] = (int64_t)st->stable_node_dups;
	b.c[KS_KT_KSM_ZERO_PAGES] = (int64_t)st->ksm_zero_pages;
	b.c[KS_KT_GENERAL_PROFIT] = st->general_profit;
	b.c[KS_KT_PAGES_TO_SCAN] = (int64_t)st->pages_to_scan;
	if (r->nb + 1 >= r->cap) {
		r->cap = r->cap ? 2 * r->cap : 64;
		r->b = ks_xrealloc(r->b, r->cap * sizeof(*r->b));
	}
	r->b[++r->nb] = b;
}

static void rg_on_event(void *self, ks_time t, const struct ks_ksm_event *ev)
{
	struct rg_sim *r = self;
	struct ks_kt_merged m = { .batch = r->nb + 1, .pid = ev->pid,
				  .vaddr = ev->vaddr, .pfn = ev->pfn };

	(void)t;
	if (!((ev->type == KS_EV_MERGE_WITH_KSM_PAGE || ev->type == KS_EV_MERGE_ONE_PAGE) &&
	      ev->err == 0))
		return;
	m.kind = ev->type == KS_EV_MERGE_ONE_PAGE ? KS_KT_MERGE_INTO_ZERO :
		 ev->to_ksm_page ? KS_KT_MERGE_INTO_KSM : KS_KT_MERGE_NEW_KSM;
	if (r->nmp == r->cap_mp) { /* doubling: a replay merges hundreds of thousands */
		r->cap_mp = r->cap_mp ? 2 * r->cap_mp : 256;
		r->mp = ks_xrealloc(r->mp, r->cap_mp * sizeof(*r->mp));
	}
	r->mp[r->nmp++] = m;
}

/* Advisor traces: ksmd's recorded CPU time per batch becomes the batch's cost, so the
 * simulated advisor sees the kernel's CPU time and scan durations. (ksmd's CPU time
 * before the recording, which the kernel's first advisor evaluation counts, is passed
 * as the world's ksmd_cpu_base_ns: it is not time spent in a batch.) */
static uint64_t rg_batch_ns(void *self, const struct ks_work *w, const struct ks_work *u)
{
	struct rg_sim *r = self;
	uint64_t k = ++r->cost_calls;
	int64_t ns = 0;

	(void)w, (void)u;
	if (r->live) {
		/* batch k starts at next_start and is made to end when the kernel's batch k
		 * ended (its wall time: ksmd's CPU and the time it waited for one) */
		int64_t e = k < r->kt->nbatches ? r->kt->batches[k].t_end_ns - r->t0 :
						  r->next_start;

		ns = e > r->next_start ? e - r->next_start : 0;
		r->next_start += ns + r->sleep_ns;
		return (uint64_t)ns;
	}
	if (k < r->kt->nbatches && r->kt->batches[k].ksmd_cpu_ns > 0)
		ns = r->kt->batches[k].ksmd_cpu_ns;
	return (uint64_t)ns;
}

/* ---- live traces ---- */

struct rg_live {
	double max_shared, max_sharing;  /* worst relative error at settled boundaries */
	size_t boundaries;               /* full-scan boundaries after the guests settled */
	double final_err;                /* final saving */
	int64_t ksave, ssave;            /* final saving, pages */
	double ksmd_cpu_s, replay_s;     /* the kernel's ksmd CPU time; our replay's wall */
	bool ok;
};

static double rel_err(int64_t k, int64_t s)
{
	return fabs((double)(k - s)) / (llabs(k) > 1 ? (double)llabs(k) : 1.0);
}

/* Prints the counters at every full-scan boundary and judges the settled ones. */
static void live_report(const struct ks_ktrace *kt, const struct rg_sim *r, int64_t settled,
			double tol, double ftol, struct rg_live *L)
{
	size_t nk = kt->nbatches - 1;
	const struct ks_kt_batch *kl = &kt->batches[nk];
	const struct ks_kt_batch *sl = nk <= r->nb ? &r->b[nk] : NULL;
	int64_t cpu = 0;

	if (settled >= 0)
		printf("  live workload: the kernel's counters and the simulator's at each full "
		       "scan's end; the guests settled at %.2f s\n", (double)settled / 1e9);
	else
		printf("  live workload: the kernel's counters and the simulator's at each full "
		       "scan's end; settled_ns unknown: every boundary judged\n");
	printf("  %5s %8s %6s %10s %10s %6s %10s %10s %6s %s\n", "batch", "t(s)", "scans",
	       "shared(k)", "shared(s)", "err", "sharing(k)", "sharing(s)", "err", "");
	for (size_t b = 1; b <= nk; b++) {
		const struct ks_kt_batch *kb = &kt->batches[b], *sb;
		double es, eg;
		bool judged;

		if (kb->ksmd_cpu_ns > 0)
			cpu += kb->ksmd_cpu_ns;
		if (kb->c[KS_KT_FULL_SCANS] <= kt->batches[b - 1].c[KS_KT_FULL_SCANS] && b != nk)
			continue;
		sb = b <= r->nb ? &r->b[b] : NULL;
		if (!sb)
			continue;
		es = rel_err(kb->c[KS_KT_PAGES_SHARED], sb->c[KS_KT_PAGES_SHARED]);
		eg = rel_err(kb->c[KS_KT_PAGES_SHARING], sb->c[KS_KT_PAGES_SHARING]);
		judged = kb->c[KS_KT_FULL_SCANS] > kt->batches[b - 1].c[KS_KT_FULL_SCANS] &&
			 kb->t_end_ns - r->t0 >= settled;
		if (judged) {
			L->boundaries++;
			L->max_shared = es > L->max_shared ? es : L->max_shared;
			L->max_sharing = eg > L->max_sharing ? eg : L->max_sharing;
		}
		printf("  %5zu %8.2f %6" PRId64 " %10" PRId64 " %10" PRId64 " %5.1f%% %10" PRId64
		       " %10" PRId64 " %5.1f%% %s\n", b, (double)(kb->t_end_ns - r->t0) / 1e9,
		       kb->c[KS_KT_FULL_SCANS], kb->c[KS_KT_PAGES_SHARED],
		       sb->c[KS_KT_PAGES_SHARED], 100 * es, kb->c[KS_KT_PAGES_SHARING],
		       sb->c[KS_KT_PAGES_SHARING], 100 * eg,
		       !judged ? (b == nk ? "(end)" : "(not settled)") :
		       es > tol || eg > tol ? "> tolerance" : "");
	}
	L->ksave = kl->c[KS_KT_PAGES_SHARING] + (kl->c[KS_KT_KSM_ZERO_PAGES] > 0 ?
						  kl->c[KS_KT_KSM_ZERO_PAGES] : 0);
	L->ssave = sl ? sl->c[KS_KT_PAGES_SHARING] + sl->c[KS_KT_KSM_ZERO_PAGES] : 0;
	L->final_err = sl ? rel_err(L->ksave, L->ssave) : INFINITY;
	L->ksmd_cpu_s = (double)cpu / 1e9;
	L->ok = L->boundaries > 0 && L->max_shared <= tol && L->max_sharing <= tol &&
		L->final_err <= ftol;
	printf("  settled boundaries %zu: max error pages_shared %.1f%%, pages_sharing %.1f%% "
	       "(tolerance %.1f%%)\n", L->boundaries, 100 * L->max_shared,
	       100 * L->max_sharing, 100 * tol);
	printf("  final saving (pages_sharing + ksm_zero_pages): kernel %" PRId64 " pages, "
	       "simulated %" PRId64 ", error %.2f%% (tolerance %.1f%%)\n", L->ksave, L->ssave,
	       100 * L->final_err, 100 * ftol);
	if (!L->boundaries)
		printf("  no full scan ended after the guests settled: nothing to judge\n");
}

/* ---- comparison ---- */

struct rg_cmp {
	struct rg_val *v;
	size_t nv;
	bool diverged;                 /* an exact comparison failed */
	size_t first;                  /* index of the first mismatch in v, or nv */
	int64_t kfinal[KS_KT_NCOUNTERS], sfinal[KS_KT_NCOUNTERS];
	bool exact[KS_KT_NCOUNTERS];
	double max_rel[KS_KT_NCOUNTERS];
	bool procs_exact, merges_exact, have_merges;
	bool pages_exact, have_pages;  /* merged pages: equal sets / recorded */
	char pages_diff[320];          /* first batch whose merged pages differ, or "" */
	size_t nbatches_sim;
};

static void add_val(struct rg_cmp *c, uint64_t batch, const char *name, bool hk, int64_t k,
		    bool hs, int64_t s)
{
	struct rg_val *v;

	if (c->nv % 256 == 0)
		c->v = ks_xrealloc(c->v, (c->nv + 256) * sizeof(*c->v));
	v = &c->v[c->nv++];
	v->batch = batch;
	snprintf(v->counter, sizeof(v->counter), "%s", name);
	v->kernel = k;
	v->sim = s;
	v->has_kernel = hk;
	v->has_sim = hs;
	v->differs = false;
	if ((hk != hs || k != s) && c->first == SIZE_MAX)
		c->first = c->nv - 1;
}

/* The rows of p[0..n) by batch, each batch's rows in their order in p: idx[] holds
 * their indices, sorted by (batch, index). compare() walks it once instead of scanning
 * every row for every batch (a live trace: thousands of batches times 8 processes). */
struct rg_rows {
	const struct ks_kt_proc *p;
	size_t *idx, n, at;           /* at: the first row of the batch being compared */
};

static const struct ks_kt_proc *rows_sort_base;

static int rows_cmp(const void *a, const void *b)
{
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	uint64_t x = rows_sort_base[i].batch, y = rows_sort_base[j].batch;

	return x != y ? (x < y ? -1 : 1) : i < j ? -1 : i > j;
}

static void rows_init(struct rg_rows *rw, const struct ks_kt_proc *p, size_t n)
{
	*rw = (struct rg_rows){ .p = p, .idx = ks_xmalloc((n ? n : 1) * sizeof(size_t)), .n = n };
	for (size_t i = 0; i < n; i++)
		rw->idx[i] = i;
	rows_sort_base = p;
	qsort(rw->idx, n, sizeof(size_t), rows_cmp);
}

/* Moves to batch b (batches visited in increasing order): [*lo, *hi) of idx[] are its
 * rows. */
static void rows_batch(struct rg_rows *rw, uint64_t b, size_t *lo, size_t *hi)
{
	while (rw->at < rw->n && rw->p[rw->idx[rw->at]].batch < b)
		rw->at++;
	*lo = *hi = rw->at;
	while (*hi < rw->n && rw->p[rw->idx[*hi]].batch == b)
		(*hi)++;
}

/* The first row of batch b (rows [lo, hi) of rw) with this pid, or NULL. */
static const struct ks_kt_proc *find_proc(const struct rg_rows *rw, size_t lo, size_t hi,
					  uint32_t pid)
{
	for (size_t i = lo; i < hi; i++)
		if (rw->p[rw->idx[i]].pid == pid)
			return &rw->p[rw->idx[i]];
	return NULL;
}

static int64_t proc_field(const struct ks_kt_proc *p, int f)
{
	return f == 0 ? p->rmap_items : f == 1 ? p->zero_pages : f == 2 ? p->merging_pages :
								  p->profit;
}

static void compare_procs(struct rg_cmp *c, struct rg_rows *krows, struct rg_rows *srows,
			  uint64_t b)
{
	size_t k0, k1, s0, s1;

	rows_batch(krows, b, &k0, &k1);
	rows_batch(srows, b, &s0, &s1);
	for (size_t i = k0; i < k1; i++) {
		const struct ks_kt_proc *kp = &krows->p[krows->idx[i]], *sp;

		sp = find_proc(srows, s0, s1, kp->pid);
		for (int f = 0; f < RG_PROC_FIELDS; f++) {
			char name[48];
			int64_t kv = proc_field(kp, f), sv = sp ? proc_field(sp, f) : 0;

			snprintf(name, sizeof(name), "pid%" PRIu32 ".%s", kp->pid, proc_fields[f]);
			add_val(c, b, name, true, kv, sp != NULL, sv);
			if (!sp || kv != sv)
				c->procs_exact = false;
		}
	}
}

/* A successful merge event of the kernel's: its batch and pid. */
struct rg_kmerge {
	uint64_t batch;
	uint32_t pid;
};

static int kmerge_cmp(const void *a, const void *b)
{
	const struct rg_kmerge *x = a, *y = b;

	if (x->batch != y->batch)
		return x->batch < y->batch ? -1 : 1;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

/* The kernel's successful merges (events.txt), each with its batch and pid, sorted by
 * (batch, pid): found once, not per batch and process. */
static size_t kernel_merges(const struct ks_ktrace *kt, struct rg_kmerge **out)
{
	struct rg_kmerge *m = ks_xmalloc((kt->nevents ? kt->nevents : 1) * sizeof(*m));
	size_t n = 0;

	for (size_t i = 0; i < kt->nevents; i++) {
		const struct ks_kt_event *e = &kt->events[i];

		if ((e->type == KS_KT_EV_MERGE_WITH_KSM_PAGE ||
		     e->type == KS_KT_EV_MERGE_ONE_PAGE) && e->err == 0)
			m[n++] = (struct rg_kmerge){ ks_ktrace_event_batch(kt, e),
						     ks_ktrace_mm_pid(kt, e->mm) };
	}
	qsort(m, n, sizeof(*m), kmerge_cmp);
	*out = m;
	return n;
}

/* Merges per process in batch b: the kernel's km[0..nk) (its merges of batch b, sorted
 * by pid) against the simulator's mp[0..n) (the same, sorted by pid). */
static void compare_merges(struct rg_cmp *c, const struct rg_kmerge *km, size_t nk,
			   const struct ks_kt_merged *mp, size_t n, uint64_t b, uint32_t nprocs)
{
	size_t i = 0, j = 0;

	for (uint32_t pid = 1; pid <= nprocs; pid++) {
		int64_t kn = 0, sn = 0;
		char name[48];

		while (i < nk && km[i].pid < pid)
			i++;
		for (; i < nk && km[i].pid == pid; i++)
			kn++;
		while (j < n && mp[j].pid < pid)
			j++;
		for (; j < n && mp[j].pid == pid; j++)
			sn++;
		if (!kn && !sn)
			continue;
		snprintf(name, sizeof(name), "merges.pid%" PRIu32, pid);
		add_val(c, b, name, true, kn, true, sn);
		if (kn != sn)
			c->merges_exact = false;
	}
}

static const char *const merge_how[] = {
	"into KSM page", "promoted to a new KSM page", "into the zero page"
};

/* Appends "pid:vaddr (how)" to buf. */
static void fmt_page(char *buf, size_t sz, const struct ks_kt_merged *m)
{
	size_t n = strlen(buf);

	if (n + 1 >= sz)
		return;
	if (m->vaddr == KS_KT_NO_PAGE)
		snprintf(buf + n, sz - n, "%" PRIu32 ":? (%s pfn %" PRIu64 ", no page of "
			 "pfnmap.csv changed to it)", m->pid, merge_how[m->kind], m->pfn);
	else
		snprintf(buf + n, sz - n, "%" PRIu32 ":0x%" PRIx64 " (%s)", m->pid, m->vaddr,
			 merge_how[m->kind]);
}

/* Compares batch b's merged pages: k[0..nk) from the kernel, s[0..ns) from the
 * simulator, both sorted by ks_kt_merged_cmp; the first differences go to the diff. */
static void compare_pages(struct rg_cmp *c, uint64_t b, const struct ks_kt_merged *k,
			  size_t nk, const struct ks_kt_merged *s, size_t ns)
{
	size_t i = 0, j = 0, shown = 0;
	char diff[sizeof(c->pages_diff)];
	bool same = true;

	snprintf(diff, sizeof(diff), "batch %" PRIu64 ": ", b);
	while (i < nk || j < ns) {
		int o = i >= nk ? 1 : j >= ns ? -1 : ks_kt_merged_cmp(&k[i], &s[j]);

		if (!o) {
			i++, j++;
			continue;
		}
		same = false;
		if (shown++ < 2) {
			if (shown > 1)
				strncat(diff, "; ", sizeof(diff) - strlen(diff) - 1);
			strncat(diff, o < 0 ? "kernel merged " : "simulator merged ",
				sizeof(diff) - strlen(diff) - 1);
			fmt_page(diff, sizeof(diff), o < 0 ? &k[i] : &s[j]);
			strncat(diff, o < 0 ? ", simulator did not" : ", kernel did not",
				sizeof(diff) - strlen(diff) - 1);
		}
		if (o < 0)
			i++;
		else
			j++;
	}
	if (shown > 2)
		snprintf(diff + strlen(diff), sizeof(diff) - strlen(diff), "; %zu more",
			 shown - 2);
	if (!nk && !ns)
		return;
	add_val(c, b, "merged_pages", true, (int64_t)nk, true, (int64_t)ns);
	if (same)
		return;
	c->v[c->nv - 1].differs = true;
	if (c->first == SIZE_MAX)
		c->first = c->nv - 1;
	if (c->pages_exact)
		snprintf(c->pages_diff, sizeof(c->pages_diff), "%s", diff);
	c->pages_exact = false;
}

static void compare(struct rg_cmp *c, const struct ks_ktrace *kt, const struct rg_sim *r,
		    uint32_t nprocs)
{
	size_t nk = kt->nbatches - 1, ki = 0, si = 0, nkm = 0, mi = 0;
	struct ks_kt_merged *km = NULL;
	struct rg_kmerge *kmg = NULL;
	size_t nkmg = 0, kgi = 0;
	struct rg_rows krows, srows;

	c->first = SIZE_MAX;
	c->procs_exact = c->merges_exact = c->pages_exact = true;
	c->have_pages = ks_ktrace_has_merged_pages(kt);
	if (c->have_pages)
		nkm = ks_ktrace_merged_pages(kt, &km);
	c->nbatches_sim = r->nb;
	if (kt->nevents)
		nkmg = kernel_merges(kt, &kmg);
	rows_init(&krows, kt->procs, kt->nprocs);
	rows_init(&srows, r->p, r->np);
	for (int k = 0; k < KS_KT_NCOUNTERS; k++)
		c->exact[k] = true;
	for (uint64_t b = 1; b <= nk; b++) {
		const struct ks_kt_batch *kb = &kt->batches[b];
		const struct ks_kt_batch *sb = b <= r->nb ? &r->b[b] : NULL;

		for (int k = 0; k < KS_KT_NCOUNTERS; k++) {
			int64_t kv = kb->c[k], sv = sb ? sb->c[k] : 0;

			if (kv == KS_KT_NONE)
				continue; /* not recorded (foreign trace) */
			add_val(c, b, ks_kt_counter_names[k], true, kv, sb != NULL, sv);
			if (!sb || kv != sv)
				c->exact[k] = false;
			if (sb) {
				double den = fabs((double)kv) > 1 ? fabs((double)kv) : 1;
				double rel = fabs((double)kv - (double)sv) /* no int64 overflow */ / den;

				if (rel > c->max_rel[k])
					c->max_rel[k] = rel;
			} else {
				c->max_rel[k] = INFINITY;
			}
			c->kfinal[k] = kv;
			c->sfinal[k] = sv;
		}
		compare_procs(c, &krows, &srows, b);
		if (kt->nevents) {
			size_t m0, g0;

			while (mi < r->nmp && r->mp[mi].batch < b)
				mi++;
			for (m0 = mi; mi < r->nmp && r->mp[mi].batch == b; mi++)
				;
			while (kgi < nkmg && kmg[kgi].batch < b)
				kgi++;
			for (g0 = kgi; kgi < nkmg && kmg[kgi].batch == b; kgi++)
				;
			compare_merges(c, &kmg[g0], kgi - g0, &r->mp[m0], mi - m0, b, nprocs);
		}
		if (c->have_pages) {
			size_t k0 = ki, s0 = si;

			while (ki < nkm && km[ki].batch == b)
				ki++;
			while (si < r->nmp && r->mp[si].batch <= b)
				si++;
			compare_pages(c, b, &km[k0], ki - k0, &r->mp[s0], si - s0);
		}
	}
	c->have_merges = kt->nevents > 0;
	free(km);
	free(kmg);
	free(krows.idx);
	free(srows.idx);
}

/* ---- storing the comparison ---- */

static int store(struct ks_regress_db *db, const struct ks_ktrace *kt,
		 const struct ks_scenario *sc, const struct rg_cmp *c, const char *result,
		 double tol, struct ks_err *err)
{
	struct ks_regress_value *vals = ks_xcalloc(c->nv + 1, sizeof(*vals));
	struct ks_regress_result res = {
		.trace = kt->dir, .kernel = ks_ktrace_meta(kt, "kernel"), .scenario = sc->name,
		.workload = ks_ktrace_meta(kt, "workload"), .result = result,
		.kernel_batches = (int64_t)kt->nbatches - 1,
		.sim_batches = (int64_t)c->nbatches_sim, .tolerance = tol,
		.run_unix_ms = (int64_t)time(NULL) * 1000, .values = vals, .nvalues = c->nv };
	int rc;

	for (size_t i = 0; i < c->nv; i++)
		vals[i] = (struct ks_regress_value){
			.batch = c->v[i].batch, .counter = c->v[i].counter,
			.has_kernel = c->v[i].has_kernel, .has_sim = c->v[i].has_sim,
			.kernel = c->v[i].kernel, .sim = c->v[i].sim };
	if (c->first < c->nv)
		res.first = &vals[c->first];
	rc = ks_regress_db_store(db, &res, err);
	free(vals);
	return rc;
}

/* ---- one trace ---- */


static void print_table(const struct ks_ktrace *kt, const struct ks_scenario *sc,
			const struct rg_cmp *c, const char *result, double tol, bool racy)
{
	const struct rg_val *f = c->first < c->nv ? &c->v[c->first] : NULL;

	printf("%s: %s (Linux %s, %s workload, %zu kernel batches, %zu simulated)\n", kt->dir,
	       result, ks_ktrace_meta(kt, "kernel") ? ks_ktrace_meta(kt, "kernel") : "?",
	       ks_ktrace_meta(kt, "workload"), kt->nbatches - 1, c->nbatches_sim);
	printf("  scenario %s%s\n", sc->name,
	       racy ? "; racy workload: accepted within the relative tolerance" : "");
	printf("  %-20s %-6s %14s %14s %10s\n", "counter", "exact", "kernel(final)",
	       "sim(final)", "max rel err");
	for (int k = 0; k < KS_KT_NCOUNTERS; k++) {
		if (kt->batches[1].c[k] == KS_KT_NONE)
			continue;
		printf("  %-20s %-6s %14" PRId64 " %14" PRId64 " %9.1f%%%s\n",
		       ks_kt_counter_names[k], c->exact[k] ? "yes" : "no", c->kfinal[k],
		       c->sfinal[k], 100 * c->max_rel[k],
		       racy && c->max_rel[k] > tol ? "  > tolerance" : "");
	}
	if (kt->nprocs)
		printf("  %-20s %-6s\n", "per-process ksm_stat", c->procs_exact ? "yes" : "no");
	if (c->have_merges)
		printf("  %-20s %-6s\n", "merges per process", c->merges_exact ? "yes" : "no");
	if (c->have_pages)
		printf("  %-20s %-6s%s%s\n", "merged pages", c->pages_exact ? "yes" : "no",
		       c->pages_exact ? "" : "  ", c->pages_diff);
	else
		printf("  %-20s %s\n", "merged pages",
		       "not recorded (needs events.txt and pfnmap.csv)");
	if (f && f->differs)
		printf("  first divergence: batch %" PRIu64 ", %s: %s\n", f->batch, f->counter,
		       strchr(c->pages_diff, ':') ? strchr(c->pages_diff, ':') + 2 : "");
	else if (f)
		printf("  first divergence: batch %" PRIu64 ", %s: kernel %" PRId64 ", simulated %s"
		       "%" PRId64 "\n", f->batch, f->counter, f->kernel,
		       f->has_sim ? "" : "(no such batch) ", f->sim);
	else
		printf("  first divergence: none\n");
}

/* This process's CPU time, s: the replay's cost, comparable with ksmd's CPU time (wall
 * time on a shared machine is not). */
static double cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int regress_one(const char *dir, struct ks_regress_db *db, double tol, double ftol,
		       int *diverged, struct ks_err *err)
{
	struct ks_ktrace *kt = NULL;
	struct ks_scenario sc;
	struct rg_sim r = { 0 };
	struct ks_observer obs = { .self = &r, .batch = rg_on_batch, .event = rg_on_event,
				   .sample = rg_sample };
	struct ks_world_opts o = { .obs = &obs, .nobs = 1 };
	struct ks_summary sum;
	struct rg_cmp c = { 0 };
	const char *wl, *result, *np;
	uint64_t nprocs;
	bool racy, ok;
	struct rg_live L = { 0 };
	int64_t settled = -1;
	double t_run;
	int rc = ks_ktrace_read(dir, &kt, err);

	if (rc)
		return rc;
	rc = ks_scenario_load_ktrace(kt, 1, true, &sc, err);
	if (rc)
		goto out_trace;
	r.kt = kt;
	o.sc = &sc;
	wl = ks_ktrace_meta(kt, "workload");
	r.live = wl && strcmp(wl, "live") == 0;
	if (r.live) {
		const char *tt0 = ks_ktrace_meta(kt, "trace_t0_ns");
		const char *st = ks_ktrace_meta(kt, "settled_ns");
		const char *op = ks_ktrace_meta(kt, "os_pids");
		char *end;

		for (; op && *op && r.nos < 64; op = end) {
			long v = strtol(op, &end, 10);

			if (end == op)
				break;
			r.os_pid[r.nos++] = v;
		}
		r.t0 = kt->batches[0].t_end_ns;
		r.sleep_ns = (int64_t)ks_ksm_sleep_jiffies_ns(&sc.ksm); /* as the world sleeps */
		if (!sc.trace_file) {
			rc = ks_err_set(err, KS_EINVAL, "%s/scenario.yaml: a live trace needs the "
					"page-write trace of its processes (trace: file:)", dir);
			goto out_sc;
		}
		/* the recorded trace's t = 0 is trace_t0_ns; the simulation's 0 is T0 */
		o.trace_shift_ns = tt0 ? strtoll(tt0, NULL, 10) - r.t0 : 0;
		if (st)
			settled = strtoll(st, NULL, 10) - r.t0;
		sc.duration = (uint64_t)(kt->batches[kt->nbatches - 1].t_end_ns - r.t0) +
			      (uint64_t)r.sleep_ns / 2;
		o.cost.self = &r;
		o.cost.batch_ns = rg_batch_ns;
	} else if (sc.ksm.advisor_mode == KS_ADVISOR_SCAN_TIME) {
		const char *base = ks_ktrace_meta(kt, "base.ksmd_cpu_ns");

		r.cpu_base = base ? strtoll(base, NULL, 10) : 0;
		o.ksmd_cpu_base_ns = r.cpu_base > 0 ? (uint64_t)r.cpu_base : 0;
		o.cost.self = &r;
		o.cost.batch_ns = rg_batch_ns;
	}
	t_run = cpu_s();
	rc = ks_world_run(&o, &sum, err);
	t_run = cpu_s() - t_run;
	if (rc)
		goto out_sc;
	if (r.nmp)
		qsort(r.mp, r.nmp, sizeof(*r.mp), ks_kt_merged_cmp);
	np = ks_ktrace_meta(kt, "processes"); /* checked at read: 0..KS_KT_MAX_PROCESSES */
	nprocs = kt->nmms ? kt->nmms : np ? strtoull(np, NULL, 10) : 0;
	compare(&c, kt, &r, (uint32_t)nprocs);
	racy = wl && strcmp(wl, "racy") == 0;
	ok = c.first == SIZE_MAX;
	if (r.live) {
		printf("%s: live workload (%s processes, Linux %s, %zu kernel batches, %zu "
		       "simulated; the trace shifted by %.3f s)\n", kt->dir, np ? np : "?",
		       ks_ktrace_meta(kt, "kernel") ? ks_ktrace_meta(kt, "kernel") : "?",
		       kt->nbatches - 1, c.nbatches_sim, (double)o.trace_shift_ns / 1e9);
		live_report(kt, &r, settled, tol, ftol, &L);
		L.replay_s = t_run;
		printf("  speed: the real ksmd used %.2f s of CPU for these batches; the "
		       "replay %.2f s of CPU (%.1fx faster)\n", L.ksmd_cpu_s, L.replay_s,
		       L.replay_s > 0 ? L.ksmd_cpu_s / L.replay_s : 0.0);
		ok = L.ok;
	} else if (!ok && racy) {
		ok = c.nbatches_sim >= kt->nbatches - 1;
		for (int k = 0; k < KS_KT_NCOUNTERS; k++)
			if (c.max_rel[k] > tol && k != KS_KT_PAGES_SKIPPED)
				ok = false;
	}
	result = c.first == SIZE_MAX ? "match" : ok ? "within_tolerance" : "diverged";
	if (r.live)
		printf("  result: %s\n", result);
	else if (!ks_cli_quiet || !ok)
		print_table(kt, &sc, &c, result, tol, racy);
	if (!ok)
		*diverged = 1;
	if (db)
		rc = store(db, kt, &sc, &c, result, tol, err);
out_sc:
	ks_scenario_fini(&sc);
out_trace:
	free(c.v);
	free(r.b);
	free(r.p);
	free(r.mp);
	ks_ktrace_free(kt);
	return rc;
}

static void rg_usage(FILE *out)
{
	fputs("usage: sim regress DIR... [--db FILE] [--tolerance R] [--quiet]\n"
	      "\n"
	      "Replays each kernel trace DIR (recorded by 'sim record-kernel', or a foreign\n"
	      "trace: scenario.yaml + counters.csv [+ trace.txt]; docs/kernel-traces.md)\n"
	      "through the simulator and compares every KSM counter after every ksmd batch,\n"
	      "each process's ksm_stat, the successful merges per process and batch, and\n"
	      "which pages merged (where events.txt and pfnmap.csv were recorded).\n"
	      "Static and timed workloads must match exactly; racy ones within R. Live\n"
	      "traces (sim record-kernel --pid, with the 'sim record' trace of the same\n"
	      "processes) are compared on the kernel's time line: pages_shared and\n"
	      "pages_sharing within R at every full-scan boundary after the workload\n"
	      "settled (meta.yaml settled_ns), the final saving within F.\n"
	      "\n"
	      "  -d, --db FILE        store the comparison (regress_runs, regress_batches)\n"
	      "  -t, --tolerance R    relative error accepted for racy and live workloads\n"
	      "                       (default 0.05)\n"
	      "      --final-tolerance F  live: relative error of the final saving (0.02)\n"
	      "  -q, --quiet          print only diverging traces\n"
	      "  -h, --help           this help\n"
	      "exit status: 0 every trace matched, 1 a trace diverged, 2 bad input or I/O\n",
	      out);
}

int ks_cmd_regress(int argc, char **argv)
{
	const char *dbpath = NULL;
	double tol = 0.05, ftol = 0.02;
	bool quiet = false;
	const struct ks_opt opts[] = {
		KS_STR("db", 'd', &dbpath),
		KS_DOUBLE("tolerance", 't', &tol, 0),
		KS_DOUBLE("final-tolerance", 0, &ftol, 0),
		KS_FLAG("quiet", 'q', &quiet),
		KS_OPT_END };
	const struct ks_cmdline cl = { .cmd = "regress", .usage = rg_usage, .opts = opts,
				       .min_args = 1, .max_args = UINT32_MAX,
				       .args = "at least one kernel trace directory" };
	struct ks_regress_db *db = NULL;
	struct ks_err dberr = { 0 };
	struct ks_strlist dirs;
	int diverged = 0, failed = 0, rc = ks_cli_parse(&cl, argc, argv, &dirs);

	if (rc >= 0)
		return rc;
	ks_cli_quiet = quiet;
	if (dbpath && !(db = ks_regress_db_open(dbpath, &dberr))) {
		ks_cli_error("%s", dberr.msg);
		ks_strlist_free(&dirs);
		return KS_EXIT_ERROR;
	}
	for (unsigned i = 0; i < dirs.n; i++) {
		struct ks_err err = { 0 };

		if (regress_one(dirs.v[i], db, tol, ftol, &diverged, &err)) {
			ks_cli_error("%s", err.msg);
			failed = 1;
		}
	}
	ks_regress_db_close(db);
	ks_strlist_free(&dirs);
	if (failed)
		return KS_EXIT_ERROR;
	return diverged ? KS_EXIT_CHECK_FAILED : KS_EXIT_OK;
}
