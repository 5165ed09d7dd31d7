/* calib_kernel.c - per-operation costs fitted to the kernel's per-batch ksmd CPU time
 * (calib_kernel.h). Every row is one ksmd batch of a kernel trace: the work the
 * simulator did for it, replayed with the base arch model (so batches fall where the
 * kernel's did), against the kernel's ksmd CPU ns (batches.csv, from schedstat). */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_multifit.h>

#include "calib_kernel.h"
#include "arch-models/calibrate.h"
#include "models/base/xalloc.h"
#include "sim/config/load_arch.h"
#include "sim/config/load_scenario.h"
#include "sim/engine/cost_hooks.h"
#include "sim/engine/world.h"
#include "traces/kernel_trace.h"

/* The fitted terms: a column of work counts each, and the arch key(s) it prices. The
 * scan's own per-page cost (walk_entry: the page-table walk, rmap_item and folio of every
 * page the scanner visits) is told apart from what each kind of page adds: an anon page
 * (cmp_and_merge_page's body; its checksum is kept at the base price), a KSM page that
 * is not the previous KSM-page rescan's (struct page and stable node cold), a smart-scan
 * skip. A KSM-page rescan of the same KSM page as the one before adds nothing
 * measurable (three loads of cached lines before the early return): ksm_page is 0, which
 * is what makes walk_entry separable from the kinds. */
enum term {
	T_BATCH, T_WALK, T_ANON, T_KSMC, T_SKIP, T_HOLE, T_CMP, T_BYTE, T_BYTEC, T_SV, T_SVC,
	T_UV, T_UVC, T_DUP, T_FLUSH, T_SCAN, NT
};

static const char *const term_name[NT] = {
	"batch", "walk_entry", "anon_page", "ksm_page_cold", "skip", "walk_hole",
	"compare.fixed_ns", "compare.per_byte_ns", "compare.cold_per_byte_ns",
	"stable_visit", "stable_visit_cold", "unstable_visit", "unstable_visit_cold",
	"chain_dup", "wrprotect+replace", "scan_start"
};
static const char *const term_unit[NT] = {
	"per batch", "per page the scanner visits (anon, KSM or skipped): the scan itself",
	"per anon page, besides the walk (its checksum is kept at the base price)",
	"per KSM-page rescan of another KSM page than the previous one, besides the walk",
	"per smart-scan skip, besides the walk",
	"per address walked without an anon or KSM page",
	"per memcmp_pages call", "per byte compared at a hot visit",
	"per byte compared at a cold visit", "per hot stable visit", "per cold stable visit",
	"per hot unstable visit", "per cold unstable visit", "per chain dup",
	"per write-protect or replace_page", "per full scan started"
};

/* Hot depths tried: the cold visits of a descent are those past its first D (past
 * min(D, floor(log2 m)) for the m-th descent of a batch with warm-up). */
#define KD_MAX 24

struct row {
	double x[NT];
	double sv, uv, bytes;               /* stable / unstable visits, bytes compared */
	/* cold stable / unstable visits and cold bytes by warm-up (0, 1) and depth */
	double cs[2][KD_MAX + 1], cu[2][KD_MAX + 1], cb[2][KD_MAX + 1];
	double offset;      /* the base price of the work not fitted, ns */
	double y;           /* the kernel's ksmd ns */
	double base;        /* the base model's whole price, ns */
	unsigned trace;     /* index into the traces */
	unsigned wl;        /* index into the workloads (replicates share one) */
	unsigned batch;     /* the kernel's batch number */
	bool hold;          /* held out: never fitted on */
};

struct rows {
	struct row *v;
	size_t n, cap;
	double prior[NT];   /* the base model's price of each term (the micro-benchmarks) */
};

/* What one replay collects. */
struct replay {
	const struct ks_cost_table *t;
	enum ks_checksum_alg csum;
	const struct ks_ktrace *kt;
	struct rows *rows;
	unsigned trace, wl;
	bool hold;
	uint64_t batch;               /* batches seen */
	uint64_t sdesc, udesc;        /* descents of the batch so far */
	/* cold visits and bytes of the batch so far, by warm-up and depth */
	double cs[2][KD_MAX + 1], cu[2][KD_MAX + 1], cb[2][KD_MAX + 1];
	size_t diverged;              /* batches whose counters differ from the kernel's */
};

static void on_page(void *self, enum ks_page_kind kind, uint64_t ns, const struct ks_work *w,
		    uint64_t n)
{
	struct replay *r = self;
	struct ks_cost_table t;

	(void)kind;
	(void)ns;
	ks_cost_table_zero(&t);
	for (unsigned wu = 0; wu < 2; wu++) {
		t.tree_warm_up = wu;
		for (unsigned d = 1; d <= KD_MAX; d++) {
			double cs = 0, cu = 0;

			t.tree_hot_depth = d;
			if (w->stable_walks)
				cs = ks_cost_cold_run(&t, (double)w->stable_visits /
						      (double)w->stable_walks, r->sdesc,
						      n * w->stable_walks);
			if (w->unstable_walks)
				cu = ks_cost_cold_run(&t, (double)w->unstable_visits /
						      (double)w->unstable_walks, r->udesc,
						      n * w->unstable_walks);
			cs = fmin(cs, (double)(n * w->stable_visits));
			cu = fmin(cu, (double)(n * w->unstable_visits));
			r->cs[wu][d] += cs;
			r->cu[wu][d] += cu;
			if (w->cmps && cs + cu > 0)
				r->cb[wu][d] += (double)(n * w->cmp_bytes) *
						fmin(1.0, (cs + cu) / (double)(n * w->cmps));
		}
	}
	r->sdesc += n * w->stable_walks;
	r->udesc += n * w->unstable_walks;
}

/* The base price of the work the fit leaves alone. */
static double offset_ns(const struct ks_cost_table *t, enum ks_checksum_alg csum,
			const struct ks_work *w)
{
	return (double)w->checksums * ks_cost_checksum_ns(t, csum) +
	       (double)w->items_alloc * t->item_alloc_ns +
	       (double)w->items_freed * t->item_free_ns +
	       (double)(w->stable_inserts + w->unstable_inserts) * t->tree_insert_ns +
	       (double)w->stale_nodes * t->stale_node_ns + (double)w->merges * t->merge_ns +
	       (double)w->zero_merges * t->zero_merge_ns +
	       (double)w->break_cows * t->break_cow_ns;
}

static void on_batch(void *self, const struct ks_batch_done *b)
{
	struct replay *r = self;
	const struct ks_work *w = b->work;
	const struct ks_kt_batch *kb;
	const struct ks_ksm_stats *st = &b->sample->st;
	struct row row = { .trace = r->trace, .wl = r->wl, .hold = r->hold,
			   .base = (double)b->cost_ns };
	memcpy(row.cs, r->cs, sizeof(row.cs));
	memcpy(row.cu, r->cu, sizeof(row.cu));
	memcpy(row.cb, r->cb, sizeof(row.cb));
	memset(r->cs, 0, sizeof(r->cs));
	memset(r->cu, 0, sizeof(r->cu));
	memset(r->cb, 0, sizeof(r->cb));
	r->sdesc = r->udesc = 0;
	if (++r->batch >= r->kt->nbatches)
		return;
	kb = &r->kt->batches[r->batch];
	row.batch = (unsigned)r->batch;
	if (kb->c[KS_KT_PAGES_SCANNED] != (int64_t)st->pages_scanned ||
	    kb->c[KS_KT_FULL_SCANS] != (int64_t)st->full_scans ||
	    kb->c[KS_KT_PAGES_SHARING] != (int64_t)st->pages_sharing ||
	    kb->c[KS_KT_PAGES_SHARED] != (int64_t)st->pages_shared) {
		r->diverged++;
		return; /* not the kernel's work: no row */
	}
	if (kb->ksmd_cpu_ns <= 0)
		return;
	row.y = (double)kb->ksmd_cpu_ns;
	row.x[T_BATCH] = 1;
	row.x[T_WALK] = (double)w->walk_entries;
	row.x[T_ANON] = (double)(w->pages - w->ksm_pages);
	row.x[T_KSMC] = (double)w->ksm_pages_cold;
	row.x[T_SKIP] = (double)w->skipped;
	row.x[T_HOLE] = (double)w->walk_holes;
	/* every tree visit is a memcmp_pages call: the call's fixed part cannot be told
	 * from the visit's, so it stays at the base price and the visits take the rest */
	row.x[T_CMP] = 0;
	row.bytes = (double)w->cmp_bytes;
	row.sv = (double)w->stable_visits;
	row.uv = (double)w->unstable_visits;
	row.x[T_DUP] = (double)w->chain_dups;
	row.x[T_FLUSH] = (double)(w->wrprotects + w->replaces);
	row.x[T_SCAN] = (double)w->scans_started;
	row.offset = offset_ns(r->t, r->csum, w) + (double)w->cmps * r->t->cmp_fixed_ns;
	if (r->rows->n == r->rows->cap) {
		r->rows->cap = r->rows->cap ? 2 * r->rows->cap : 256;
		r->rows->v = ks_xrealloc(r->rows->v, r->rows->cap * sizeof(*r->rows->v));
	}
	r->rows->v[r->rows->n++] = row;
}

/* Replays trace `dir` with the base model; appends its batches to rows. */
static int replay(const char *dir, const char *arch, unsigned trace, unsigned wl, bool hold,
		  bool keep_busy, unsigned *nbusy, struct rows *rows, struct ks_err *err)
{
	const char *busy;
	struct ks_ktrace *kt = NULL;
	struct ks_scenario sc;
	struct ks_cost_model *cm = NULL;
	struct replay r = { .rows = rows, .trace = trace, .wl = wl, .hold = hold };
	struct ks_observer obs[2];
	struct ks_world_opts o = { 0 };
	struct ks_summary sum;
	int rc = ks_ktrace_read(dir, &kt, err);

	if (rc)
		return rc;
	if (!keep_busy && (busy = ks_ktrace_meta(kt, "machine.busy")) && !strcmp(busy, "yes")) {
		const char *p = ks_ktrace_meta(kt, "machine.cpu_pressure_pct");

		fprintf(stderr, "sim: calibrate: %s: recorded while the machine was busy (cpu "
			"pressure %s%%): left out (--keep-busy keeps it)\n", dir, p ? p : "?");
		(*nbusy)++;
		goto out_kt;
	}
	rc = ks_scenario_load_ktrace(kt, 2, false, &sc, err);
	if (rc)
		goto out_kt;
	if (sc.ksm.advisor_mode == KS_ADVISOR_SCAN_TIME) {
		rc = ks_err_set(err, KS_EINVAL, "%s: advisor scan-time traces cannot be fitted "
				"on (their batch sizes come from the kernel's own CPU time)", dir);
		goto out_sc;
	}
	rc = ks_cost_model_open(arch, &sc.ksm, &cm, err);
	if (rc)
		goto out_sc;
	r.t = ks_cost_model_table(cm);
	r.csum = (enum ks_checksum_alg)sc.ksm.checksum;
	r.kt = kt;
	obs[0] = ks_cost_model_observer(cm);
	obs[1] = (struct ks_observer){ .self = &r, .batch = on_batch, .page = on_page };
	o.sc = &sc;
	o.cost = ks_cost_model_hooks(cm);
	o.cost_not_slept = true; /* timed records in the sleeps they were recorded in */
	o.obs = obs;
	o.nobs = 2;
	rc = ks_world_run(&o, &sum, err);
	if (!rc && r.diverged)
		fprintf(stderr, "sim: calibrate: %s: %zu batches whose simulated counters differ "
			"from the kernel's are left out\n", dir, r.diverged);
	ks_cost_model_free(cm);
out_sc:
	ks_scenario_fini(&sc);
out_kt:
	ks_ktrace_free(kt);
	return rc;
}

/* ---- the fit ---- */

struct fit {
	double b[NT], se[NT];
	bool used[NT];        /* fitted (exercised and not held) */
	bool held[NT];        /* fitted negative: held at the prior (the base model's) */
	bool seen[NT];        /* the rows exercise the term */
	size_t n;             /* rows */
};

/* Rows of `rows` in the fit: not held out, and not of workload `skip` (UINT32_MAX:
 * none left out). */
static bool in_fit(const struct row *r, unsigned skip)
{
	return !r->hold && r->wl != skip;
}

/* Weighted least squares on the terms in f->used, weights 1/y^2 (relative errors).
 * 0, or KS_EINVAL when there are fewer rows than terms or GSL fails. */
static int wls(const struct rows *rows, unsigned skip, struct fit *f,
	       struct ks_err *err)
{
	size_t n = 0, p = 0, k = 0;
	unsigned col[NT];
	gsl_matrix *X, *cov;
	gsl_vector *y, *w, *c;
	gsl_multifit_linear_workspace *ws;
	double chisq;
	int rc;

	for (unsigned j = 0; j < NT; j++)
		if (f->used[j])
			col[p++] = j;
	for (size_t i = 0; i < rows->n; i++)
		n += in_fit(&rows->v[i], skip);
	if (n <= p)
		return ks_err_set(err, KS_EINVAL, "the fit needs more batches (%zu) than "
				  "terms (%zu)", n, p);
	X = gsl_matrix_alloc(n, p);
	cov = gsl_matrix_alloc(p, p);
	y = gsl_vector_alloc(n);
	w = gsl_vector_alloc(n);
	c = gsl_vector_alloc(p);
	ws = gsl_multifit_linear_alloc(n, p);
	for (size_t i = 0; i < rows->n; i++) {
		const struct row *r = &rows->v[i];

		if (!in_fit(r, skip))
			continue;
		double held = 0;

		for (size_t j = 0; j < p; j++)
			gsl_matrix_set(X, k, j, r->x[col[j]]);
		for (unsigned j = 0; j < NT; j++)
			if (f->held[j])
				held += r->x[j] * rows->prior[j];
		gsl_vector_set(y, k, r->y - r->offset - held);
		gsl_vector_set(w, k, 1.0 / (r->y * r->y));
		k++;
	}
	rc = gsl_multifit_wlinear(X, w, y, c, cov, &chisq, ws);
	if (rc == GSL_SUCCESS) {
		memset(f->se, 0, sizeof(f->se));
		for (unsigned j = 0; j < NT; j++)
			f->b[j] = f->held[j] ? rows->prior[j] : 0;
		for (size_t j = 0; j < p; j++) {
			f->b[col[j]] = gsl_vector_get(c, j);
			f->se[col[j]] = sqrt(gsl_matrix_get(cov, j, j) * chisq / (double)(n - p));
		}
		f->n = n;
	}
	gsl_multifit_linear_free(ws);
	gsl_vector_free(c);
	gsl_vector_free(w);
	gsl_vector_free(y);
	gsl_matrix_free(cov);
	gsl_matrix_free(X);
	return rc == GSL_SUCCESS ? 0 : ks_err_set(err, KS_EINVAL, "least squares failed: %s",
						   gsl_strerror(rc));
}

/* Non-negative: every cost is a time. Terms the rows never exercise are left out; a
 * term fitted negative is clamped to 0 (dropped, the rest refitted) until none is. */
static int nnls(const struct rows *rows, unsigned skip, struct fit *f,
		struct ks_err *err)
{
	memset(f, 0, sizeof(*f));
	for (size_t i = 0; i < rows->n; i++)
		if (in_fit(&rows->v[i], skip))
			for (unsigned j = 0; j < NT; j++)
				f->seen[j] |= rows->v[i].x[j] != 0;
	for (unsigned j = 0; j < NT; j++)
		f->used[j] = f->seen[j];
	for (;;) {
		int worst = -1, rc = wls(rows, skip, f, err);

		if (rc)
			return rc;
		for (unsigned j = 0; j < NT; j++)
			if (f->used[j] && f->b[j] < 0 && (worst < 0 || f->b[j] < f->b[worst]))
				worst = (int)j;
		if (worst < 0)
			return 0;
		f->used[worst] = false;
		f->held[worst] = true;
		f->b[worst] = rows->prior[worst];
		f->se[worst] = 0;
	}
}

/* The hot/cold visit and byte columns at warm-up wu, hot depth d. */
static void set_depth(struct rows *rows, unsigned wu, unsigned d)
{
	for (size_t i = 0; i < rows->n; i++) {
		struct row *r = &rows->v[i];

		r->x[T_SVC] = r->cs[wu][d];
		r->x[T_SV] = fmax(0, r->sv - r->cs[wu][d]);
		r->x[T_UVC] = r->cu[wu][d];
		r->x[T_UV] = fmax(0, r->uv - r->cu[wu][d]);
		r->x[T_BYTEC] = r->cb[wu][d];
		r->x[T_BYTE] = fmax(0, r->bytes - r->cb[wu][d]);
	}
}

static double predict(const struct row *r, const struct fit *f)
{
	double s = r->offset;

	for (unsigned j = 0; j < NT; j++)
		s += r->x[j] * f->b[j];
	return s;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
	if (!n)
		return NAN;
	qsort(v, n, sizeof(*v), cmp_d);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Which rows an error summary covers: one workload (wl), or every workload of a set. */
struct sel {
	unsigned wl;        /* UINT32_MAX: every workload of the set */
	bool hold;
};

static bool selected(const struct row *r, struct sel q)
{
	return q.wl == UINT32_MAX ? r->hold == q.hold : r->wl == q.wl;
}

/* Median ratio and error of predictions `pred` (NULL: the base model) over the rows
 * selected. */
struct err_sum { size_t n; double ratio, err, sum_ratio; };

static struct err_sum errors(const struct rows *rows, const double *pred, struct sel q)
{
	double *ra = ks_xmalloc((rows->n + 1) * sizeof(*ra));
	double *er = ks_xmalloc((rows->n + 1) * sizeof(*er));
	double sy = 0, sp = 0;
	struct err_sum s = { 0 };

	for (size_t i = 0; i < rows->n; i++) {
		const struct row *r = &rows->v[i];
		double p = pred ? pred[i] : r->base;

		if (!selected(r, q))
			continue;
		ra[s.n] = p / r->y;
		er[s.n++] = fabs(p - r->y) / r->y;
		sy += r->y;
		sp += p;
	}
	s.ratio = median(ra, s.n);
	s.err = median(er, s.n);
	s.sum_ratio = sy > 0 ? sp / sy : NAN;
	free(ra);
	free(er);
	return s;
}

/* The kernel against itself: the same batch of two replicates of a workload (both kept),
 * each taken as the other's prediction; median |a - b| / b over the ordered pairs. */
static struct err_sum self_spread(const struct rows *rows, struct sel q)
{
	size_t cap = 64;
	double *er = ks_xmalloc(cap * sizeof(*er));
	struct err_sum s = { 0 };

	for (size_t i = 0; i < rows->n; i++)
		for (size_t j = 0; j < rows->n; j++) {
			const struct row *a = &rows->v[i], *b = &rows->v[j];

			if (i == j || a->wl != b->wl || a->trace == b->trace ||
			    a->batch != b->batch || !selected(a, q))
				continue;
			if (s.n == cap)
				er = ks_xrealloc(er, (cap *= 2) * sizeof(*er));
			er[s.n++] = fabs(a->y - b->y) / b->y;
		}
	s.err = median(er, s.n);
	s.ratio = s.sum_ratio = NAN;
	free(er);
	return s;
}

/* ---- output ---- */

struct ywriter {
	FILE *o;
	const struct ks_arch_model *am;
	const char *base;
	const char *fitted_on;        /* "k-unique, k-identical, ... (N batches)" */
	const struct fit *f;
	unsigned depth;               /* the fitted hot depth */
	unsigned warm_up;             /* the fitted warm-up (0, 1) */
	const char *base_path;        /* the base model's file */
};

static void y_kept(const struct ywriter *y, const char *key, double ns)
{
	const char *p = ks_arch_prov_of(y->am, key);

	if (!p) {
		fprintf(y->o, "  %s:\n    ns: %.2f\n    provenance: derived\n    source: \"not "
			"fitted (the battery does not exercise it) and not in arch-models/%s.yaml: "
			"the loader's default for a file without it\"\n", key, ns, y->base);
		return;
	}
	fprintf(y->o, "  %s:\n    ns: %.2f\n    provenance: %s\n    source: \"kept from "
		"arch-models/%s.yaml (not fitted: the battery does not separate it; see its "
		"source there)\"\n", key, ns, p, y->base);
}

/* A simple cost from term j (0 when the fit clamped it), or kept from the base when the
 * battery never exercised it. */
static void y_term(const struct ywriter *y, const char *key, enum term j, double base_ns)
{
	if (!y->f->seen[j]) {
		y_kept(y, key, base_ns);
		return;
	}
	if (y->f->held[j] && !ks_arch_prov_of(y->am, key)) {
		fprintf(y->o, "  %s:\n    ns: %.2f\n    provenance: derived\n    source: \"sim "
			"calibrate --kernel fitted term '%s' negative on %s: held at arch-models/"
			"%s.yaml's price, which has no such entry (%.2f: the work is not priced "
			"there), and the other terms fitted around it\"\n", key, base_ns,
			term_name[j], y->fitted_on, y->base, base_ns);
		return;
	}
	if (y->f->held[j]) {
		const char *p = ks_arch_prov_of(y->am, key);

		fprintf(y->o, "  %s:\n    ns: %.2f\n    provenance: %s\n    source: \"kept from "
			"arch-models/%s.yaml (see its source there): sim calibrate --kernel fitted "
			"term '%s' negative on %s, so it is held at this prior and the other terms "
			"are fitted around it\"\n", key, base_ns, p ? p : "estimate", y->base,
			term_name[j], y->fitted_on);
		return;
	}
	fprintf(y->o, "  %s:\n    ns: %.2f\n    stderr_ns: %.2f\n    n: %zu\n    provenance: "
		"fitted\n    source: \"sim calibrate --kernel: least squares (GSL, weighted by "
		"1/kernel^2, non-negative) of the Linux kernel's per-batch ksmd CPU time "
		"(/proc/<ksmd>/schedstat) on the simulator's work counts of the same batches, "
		"term '%s' (%s)%s; fitted to %s\"\n", key, y->f->b[j], y->f->se[j], y->f->n,
		term_name[j], term_unit[j], "", y->fitted_on);
}

static void write_model(const struct ywriter *y, const char *name)
{
	const struct ks_cost_table *t = &y->am->t;
	const struct fit *f = y->f;
	FILE *o = y->o;
	char *reads;

	fprintf(o, "# arch-models/%s.yaml - written by `sim calibrate --kernel`: the terms the\n"
		"# kernel battery separates are fitted to the kernel's own per-batch ksmd CPU\n"
		"# time; the others are kept from arch-models/%s.yaml. docs/cost-models.md.\n"
		"arch: %s\ndescription: \"fitted to live ksmd batches (sim calibrate --kernel)\"\n"
		"costs:\n", name, y->base, name);
	fprintf(o, "  compare:\n    fixed_ns: %.3f\n    per_byte_ns: %.6f\n    "
		"per_byte_stderr_ns: %.6f\n    cold_per_byte_ns: %.6f\n    provenance: fitted\n"
		"    source: \"sim calibrate --kernel: per_byte_ns and cold_per_byte_ns are terms "
		"'compare.per_byte_ns' (bytes compared at hot visits; stderr %.6f) and "
		"'compare.cold_per_byte_ns' (at cold visits; stderr %.6f) of the least squares on "
		"live ksmd batches, fitted to %s (0 if the fit dropped one); fixed_ns is kept "
		"from arch-models/%s.yaml (%s): every tree visit is a memcmp_pages call, so the "
		"call's fixed part is not separable from the visit terms\"\n",
		t->cmp_fixed_ns, f->b[T_BYTE], f->se[T_BYTE], f->b[T_BYTEC], f->se[T_BYTE],
		f->se[T_BYTEC], y->fitted_on, y->base,
		ks_arch_prov_of(y->am, "compare") ? ks_arch_prov_of(y->am, "compare") :
		"estimate");
	fprintf(o, "  checksum:\n");
	for (unsigned a = 0; a < KS_CSUM_COUNT; a++) {
		char key[64];
		const char *p;

		if (!t->csum_known[a])
			continue;
		snprintf(key, sizeof(key), "checksum.%s", ks_checksum_name((enum ks_checksum_alg)a));
		p = ks_arch_prov_of(y->am, key);
		fprintf(o, "    %s:\n      fixed_ns: %.3f\n      per_byte_ns: %.6f\n      "
			"provenance: %s\n      source: \"kept from arch-models/%s.yaml (the "
			"fitted anon_page absorbs the checksum's error)\"\n",
			ks_checksum_name((enum ks_checksum_alg)a), t->csum_fixed_ns[a],
			t->csum_byte_ns[a], p ? p : "estimate", y->base);
	}
	y_term(y, "batch", T_BATCH, t->batch_ns);
	y_term(y, "walk_entry", T_WALK, t->walk_entry_ns);
	y_term(y, "anon_page", T_ANON, t->anon_page_ns);
	fprintf(o, "  ksm_page:\n    ns: 0\n    provenance: derived\n    source: \"sim "
		"calibrate --kernel: a rescan of the KSM page the previous KSM-page rescan saw "
		"costs the walk (walk_entry) and nothing more that the batches can resolve: "
		"cmp_and_merge_page() returns after three loads of cached lines (mm/ksm.c); "
		"this is what separates walk_entry from the kinds of page\"\n");
	y_term(y, "ksm_page_cold", T_KSMC, t->ksm_page_cold_ns);
	y_term(y, "skip", T_SKIP, t->skip_ns);
	y_term(y, "walk_hole", T_HOLE, t->walk_hole_ns);
	y_term(y, "stable_visit", T_SV, t->stable_visit_ns);
	y_term(y, "stable_visit_cold", T_SVC, t->stable_visit_cold_ns);
	y_term(y, "unstable_visit", T_UV, t->unstable_visit_ns);
	y_term(y, "unstable_visit_cold", T_UVC, t->unstable_visit_cold_ns);
	y_term(y, "chain_dup", T_DUP, t->chain_dup_ns);
	y_term(y, "wrprotect", T_FLUSH, t->wrprotect_ns);
	y_term(y, "replace", T_FLUSH, t->replace_ns);
	y_term(y, "scan_start", T_SCAN, t->scan_start_ns);
	y_kept(y, "item_alloc", t->item_alloc_ns);
	y_kept(y, "item_free", t->item_free_ns);
	y_kept(y, "tree_insert", t->tree_insert_ns);
	y_kept(y, "stale_node", t->stale_node_ns);
	y_kept(y, "merge", t->merge_ns);
	y_kept(y, "zero_merge", t->zero_merge_ns);
	y_kept(y, "break_cow", t->break_cow_ns);
	y_kept(y, "page_copy", t->page_copy_ns);
	fprintf(o, "  tree_hot_depth:\n    value: %u\n    provenance: fitted\n    source: "
		"\"sim calibrate --kernel: the depth 1..%d (with tree_warm_up) at which the cold "
		"visits are counted whose leave-one-workload-out median error is least, fitted "
		"to %s (arch-models/%s.yaml measured %g in user space)\"\n"
		"  tree_warm_up:\n    value: %u\n    provenance: derived\n    source: \"the "
		"structure of sim calibrate --kernel's fit: a batch starts with the tree cold "
		"(ksmd slept 'sleep_millisecs' before it), so the m-th descent of a batch finds "
		"min(tree_hot_depth, floor(log2 m)) levels hot; chosen on the residuals of a fit "
		"without it (docs/cost-models.md), not fitted here\"\n"
		"  guest_tlb_factor:\n    value: 1.0\n"
		"    provenance: derived\n    source: \"fitted on this host as it runs: no "
		"multiplier\"\n",
		y->depth, KD_MAX, y->fitted_on, y->base, t->tree_hot_depth, y->warm_up);
	reads = ks_calib_reads_section(y->base_path);
	if (reads)
		fprintf(o, "# Reads (docs/cost-models.md, \"Reads\"): kept from arch-models/%s.yaml "
			"(the kernel battery does not measure them)\n%s", y->base, reads);
	free(reads);
}

/* The base model's price of each term: the prior a term fitted negative is held at. */
static void term_priors(const struct ks_cost_table *t, double *prior)
{
	const double base[NT] = {
		t->batch_ns, t->walk_entry_ns, t->anon_page_ns, t->ksm_page_cold_ns, t->skip_ns,
		t->walk_hole_ns, t->cmp_fixed_ns, t->cmp_byte_ns, t->cmp_cold_byte_ns,
		t->stable_visit_ns, t->stable_visit_cold_ns,
		t->unstable_visit_ns, t->unstable_visit_cold_ns, t->chain_dup_ns,
		(t->wrprotect_ns + t->replace_ns) / 2, t->scan_start_ns
	};

	memcpy(prior, base, sizeof(base));
}

static void print_terms(const struct fit *f, const double *prior)
{
	printf("%-24s %12s %10s %12s  %s\n", "term", "fitted_ns", "stderr", "base_ns", "note");
	for (unsigned j = 0; j < NT; j++)
		printf("%-24s %12.3f %10.3f %12.3f  %s\n", term_name[j], f->b[j], f->se[j],
		       prior[j],
		       j == T_CMP ? "held at base: every visit is a memcmp_pages call" :
		       j == T_WALK ? "the scan itself; ksm_page (same KSM page again) is 0" :
		       !f->seen[j] ? "not exercised: base kept" :
		       f->held[j] ? "fitted negative: held at the base (prior)" : "");
}

static void print_err(const char *what, const struct err_sum *s, const struct err_sum *b,
		      const struct err_sum *k)
{
	printf("  %-26s %6zu %8.3f %8.1f%% %8.3f   base: %6.3f %6.1f%%", what, s->n, s->ratio,
	       100 * s->err, s->sum_ratio, b->ratio, 100 * b->err);
	if (k && k->n)
		printf("   kernel/itself: %5.1f%% (%zu)", 100 * k->err, k->n);
	printf("\n");
}

/* The traces' workloads: NAME of NAME.rN (a replicate) or of NAME. */
struct wls {
	char **name;
	bool *hold;
	unsigned n;
};

static unsigned wl_of(struct wls *w, const char *dir, bool hold)
{
	const char *b = strrchr(dir, '/');
	size_t len;
	char *name;

	b = b && b[1] ? b + 1 : dir;
	len = strlen(b);
	name = ks_xstrdup(b);
	for (size_t i = len; i > 2; i--) {
		if (name[i - 1] >= '0' && name[i - 1] <= '9')
			continue;
		if (name[i - 1] == 'r' && name[i - 2] == '.' && i < len)
			name[i - 2] = 0;
		break;
	}
	for (unsigned i = 0; i < w->n; i++)
		if (!strcmp(w->name[i], name) && w->hold[i] == hold) {
			free(name);
			return i;
		}
	w->name = ks_xrealloc(w->name, (w->n + 1) * sizeof(*w->name));
	w->hold = ks_xrealloc(w->hold, (w->n + 1) * sizeof(*w->hold));
	w->name[w->n] = name;
	w->hold[w->n] = hold;
	return w->n++;
}

/* Leave one workload out (all its replicates): each fit workload predicted by the fit on
 * the others. */
static int lowo(const struct wls *w, const struct rows *rows, double *pred, struct ks_err *err)
{
	for (unsigned k = 0; k < w->n; k++) {
		struct fit f;
		int rc;

		if (w->hold[k])
			continue;
		rc = nnls(rows, k, &f, err);
		if (rc)
			return rc;
		for (size_t i = 0; i < rows->n; i++)
			if (rows->v[i].wl == k)
				pred[i] = predict(&rows->v[i], &f);
	}
	return 0;
}

static void report(const struct wls *w, const struct rows *rows, const double *full,
		   const double *lw, double *hold_err)
{
	struct err_sum s, b, k;
	bool any_hold = false;

	printf("\nper-batch ksmd CPU, simulated / kernel (median ratio, median error, sum "
	       "ratio; the base model alongside; the kernel against itself: the same batch of "
	       "two replicates, median |a-b|/b over the pairs):\n  %-26s %6s %8s %9s %8s\n",
	       "workload", "batches", "ratio", "error", "sum");
	printf(" fitted on (leave-one-workload-out: each predicted by the fit on the others):\n");
	for (unsigned i = 0; i < w->n; i++) {
		struct sel q = { i, false };

		if (w->hold[i]) {
			any_hold = true;
			continue;
		}
		s = errors(rows, lw, q);
		b = errors(rows, NULL, q);
		k = self_spread(rows, q);
		print_err(w->name[i], &s, &b, &k);
	}
	s = errors(rows, lw, (struct sel){ UINT32_MAX, false });
	b = errors(rows, NULL, (struct sel){ UINT32_MAX, false });
	k = self_spread(rows, (struct sel){ UINT32_MAX, false });
	print_err("all, held out by fold", &s, &b, &k);
	s = errors(rows, full, (struct sel){ UINT32_MAX, false });
	print_err("all, in-sample (for scale)", &s, &b, NULL);
	*hold_err = NAN;
	if (!any_hold)
		return;
	printf(" held out (never fitted on):\n");
	for (unsigned i = 0; i < w->n; i++) {
		struct sel q = { i, true };

		if (!w->hold[i])
			continue;
		s = errors(rows, full, q);
		b = errors(rows, NULL, q);
		k = self_spread(rows, q);
		print_err(w->name[i], &s, &b, &k);
	}
	s = errors(rows, full, (struct sel){ UINT32_MAX, true });
	b = errors(rows, NULL, (struct sel){ UINT32_MAX, true });
	k = self_spread(rows, (struct sel){ UINT32_MAX, true });
	print_err("all held out", &s, &b, &k);
	*hold_err = s.err;
}

/* The hot depth whose leave-one-workload-out median error on the fit workloads is least,
 * with warm-up (a structural parameter chosen on the fit set alone; the held-out traces
 * never see it). The warm-up itself is structure, not chosen here: ksmd sleeps between
 * batches, and the residuals of a fit without it were systematic by position in the
 * batch (docs/cost-models.md); the best depth without it is computed for the report
 * (lowo_by[0], depth_by[0]) and never used. */
static int pick_depth(const struct wls *w, struct rows *rows, double *lw, unsigned *best,
		      unsigned *best_wu, double lowo_by[2], unsigned depth_by[2],
		      struct ks_err *err)
{
	double be = INFINITY;

	*best = 1;
	*best_wu = 1;
	for (unsigned wu = 0; wu < 2; wu++) {
		lowo_by[wu] = INFINITY;
		depth_by[wu] = 1;
		for (unsigned d = 1; d <= KD_MAX; d++) {
			struct err_sum s;
			int rc;

			set_depth(rows, wu, d);
			rc = lowo(w, rows, lw, err);
			if (rc)
				return rc;
			s = errors(rows, lw, (struct sel){ UINT32_MAX, false });
			if (s.err < lowo_by[wu]) {
				lowo_by[wu] = s.err;
				depth_by[wu] = d;
			}
			if (wu == 1 && s.err < be) {
				be = s.err;
				*best = d;
				*best_wu = wu;
			}
		}
	}
	return 0;
}

/* Traces of the set (held out or fitted) that gave rows. */
static unsigned count_traces(const struct rows *rows, bool hold)
{
	unsigned n = 0, last = UINT32_MAX;

	for (size_t i = 0; i < rows->n; i++)
		if (rows->v[i].hold == hold && rows->v[i].trace != last) {
			last = rows->v[i].trace;
			n++;
		}
	return n;
}

/* "k-unique, k-zero, ... (N batches)": the fit workloads */
static char *fitted_on(const struct wls *w, size_t nrows)
{
	size_t len = 64;
	char *s;
	bool first = true;

	for (unsigned i = 0; i < w->n; i++)
		len += strlen(w->name[i]) + 2;
	s = ks_xmalloc(len);
	s[0] = 0;
	for (unsigned i = 0; i < w->n; i++) {
		if (w->hold[i])
			continue;
		strcat(s, first ? "" : ", ");
		strcat(s, w->name[i]);
		first = false;
	}
	snprintf(s + strlen(s), 64, " (%zu batches)", nrows);
	return s;
}

static void write_rows(FILE *o, const struct rows *rows, const char *const *tname,
		       const struct wls *w, const double *full, const double *lw)
{
	fprintf(o, "trace,workload,set,kernel_batch,kernel_ns,base_ns,fit_ns,lowo_ns,offset_ns");
	for (unsigned j = 0; j < NT; j++)
		fprintf(o, ",%s", term_name[j]);
	fprintf(o, "\n");
	for (size_t i = 0; i < rows->n; i++) {
		const struct row *r = &rows->v[i];

		fprintf(o, "%s,%s,%s,%u,%.0f,%.0f,%.0f,%.0f,%.0f", tname[r->trace], w->name[r->wl],
			r->hold ? "holdout" : "fit", r->batch, r->y, r->base, full[i],
			r->hold ? NAN : lw[i], r->offset);
		for (unsigned j = 0; j < NT; j++)
			fprintf(o, ",%.0f", r->x[j]);
		fprintf(o, "\n");
	}
}

int ks_kcal_run(const struct ks_kcal_opts *o, double *hold_err, struct ks_err *err)
{
	struct ks_arch_model am;
	struct rows rows = { 0 };
	struct wls w = { 0 };
	struct fit f;
	double *full = NULL, *lw = NULL;
	const char **tname = ks_xmalloc((o->nfit + o->nhold + 1) * sizeof(*tname));
	unsigned nbusy = 0, depth, wu, depth_by[2];
	double lowo_by[2];
	char path[4096];
	int rc = ks_arch_find(o->base_arch, path, sizeof(path), err);

	*hold_err = NAN;
	if (rc || (rc = ks_arch_load_file(path, &am, err))) {
		free(tname);
		return rc;
	}
	for (unsigned t = 0; !rc && t < o->nfit + o->nhold; t++) {
		bool hold = t >= o->nfit;
		const char *dir = hold ? o->holdout[t - o->nfit] : o->fit[t];
		const char *b = strrchr(dir, '/');

		tname[t] = b && b[1] ? b + 1 : dir;
		rc = replay(dir, path, t, wl_of(&w, dir, hold), hold, o->keep_busy, &nbusy, &rows,
			    err);
	}
	for (unsigned i = 0; !rc && i < w.n; i++)
		for (unsigned j = 0; j < w.n; j++)
			if (i != j && !strcmp(w.name[i], w.name[j]))
				rc = ks_err_set(err, KS_EINVAL, "workload %s is both fitted on and "
						"held out", w.name[i]);
	if (rc)
		goto out;
	term_priors(&am.t, rows.prior);
	full = ks_xmalloc((rows.n + 1) * sizeof(*full));
	lw = ks_xmalloc((rows.n + 1) * sizeof(*lw));
	rc = pick_depth(&w, &rows, lw, &depth, &wu, lowo_by, depth_by, err);
	if (rc)
		goto out;
	set_depth(&rows, wu, depth);
	rc = nnls(&rows, UINT32_MAX, &f, err);
	if (!rc)
		rc = lowo(&w, &rows, lw, err);
	if (rc)
		goto out;
	for (size_t i = 0; i < rows.n; i++)
		full[i] = predict(&rows.v[i], &f);
	printf("sim calibrate --kernel: %zu batches of %u traces fitted on, %u traces held "
	       "out (%u left out as recorded on a busy machine), base model %s%s%s\n", f.n,
	       count_traces(&rows, false), count_traces(&rows, true), nbusy, am.name,
	       o->machine ? "; " : "", o->machine ? o->machine : "");
	printf("hot tree depth %u, warm-up %s (the depth 1..%d whose leave-one-workload-out "
	       "error with warm-up is least: %.1f%%; without warm-up, not used: %.1f%% at "
	       "depth %u; the base model's depth is %g)\n", depth, wu ? "yes" : "no", KD_MAX,
	       100 * lowo_by[1], 100 * lowo_by[0], depth_by[0], am.t.tree_hot_depth);
	print_terms(&f, rows.prior);
	report(&w, &rows, full, lw, hold_err);
	if (o->rows_csv)
		write_rows(o->rows_csv, &rows, tname, &w, full, lw);
	if (o->out_yaml) {
		char *on = fitted_on(&w, f.n);
		struct ywriter y = { o->out_yaml, &am, am.name, on, &f, depth, wu, path };

		write_model(&y, o->name);
		free(on);
	}
out:
	for (unsigned i = 0; i < w.n; i++)
		free(w.name[i]);
	free(w.name);
	free(w.hold);
	free(tname);
	free(full);
	free(lw);
	free(rows.v);
	ks_arch_fini(&am);
	return rc;
}
