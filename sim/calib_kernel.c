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
#include "models/base/xalloc.h"
#include "sim/config/load_arch.h"
#include "sim/config/load_scenario.h"
#include "sim/engine/cost_hooks.h"
#include "sim/engine/world.h"
#include "traces/kernel_trace.h"

/* The fitted terms: a column of work counts each, and the arch key(s) it prices. */
enum term {
	T_BATCH, T_ANON, T_KSM, T_SKIP, T_CMP, T_BYTE, T_SV, T_SVC, T_UV, T_UVC, T_DUP,
	T_FLUSH, T_SCAN, NT
};

static const char *const term_name[NT] = {
	"batch", "anon_page", "ksm_page", "skip", "compare.fixed_ns", "compare.per_byte_ns",
	"stable_visit", "stable_visit_cold", "unstable_visit", "unstable_visit_cold",
	"chain_dup", "wrprotect+replace", "scan_start"
};
static const char *const term_unit[NT] = {
	"per batch", "per anon page (walk; its checksum is kept at the base price)",
	"per KSM-page rescan", "per smart-scan skip", "per memcmp_pages call",
	"per byte compared", "per hot stable visit", "per cold stable visit",
	"per hot unstable visit", "per cold unstable visit", "per chain dup",
	"per write-protect or replace_page", "per full scan started"
};

struct row {
	double x[NT];
	double offset;      /* the base price of the work not fitted, ns */
	double y;           /* the kernel's ksmd ns */
	double base;        /* the base model's whole price, ns */
	unsigned trace;     /* index into the traces */
};

struct rows {
	struct row *v;
	size_t n, cap;
};

/* What one replay collects. */
struct replay {
	const struct ks_cost_table *t;
	enum ks_checksum_alg csum;
	const struct ks_ktrace *kt;
	struct rows *rows;
	unsigned trace;
	uint64_t batch;               /* batches seen */
	double cold_s, cold_u;        /* cold visits of the batch so far */
	size_t diverged;              /* batches whose counters differ from the kernel's */
};

static void on_page(void *self, enum ks_page_kind kind, uint64_t ns, const struct ks_work *w,
		    uint64_t n)
{
	struct replay *r = self;

	(void)kind;
	(void)ns;
	r->cold_s += (double)ks_cost_cold_visits(r->t, w->stable_visits, w->stable_walks) * n;
	r->cold_u += (double)ks_cost_cold_visits(r->t, w->unstable_visits, w->unstable_walks) * n;
}

/* The base price of the work the fit leaves alone. */
static double offset_ns(const struct ks_cost_table *t, enum ks_checksum_alg csum,
			const struct ks_work *w)
{
	return (double)w->checksums * ks_cost_checksum_ns(t, csum) +
	       (double)w->items_alloc * t->item_alloc_ns +
	       (double)w->items_freed * t->item_free_ns +
	       (double)w->walk_entries * t->walk_entry_ns +
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
	struct row row = { .trace = r->trace, .base = (double)b->cost_ns };
	double cs = r->cold_s, cu = r->cold_u;

	r->cold_s = r->cold_u = 0;
	if (++r->batch >= r->kt->nbatches)
		return;
	kb = &r->kt->batches[r->batch];
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
	row.x[T_ANON] = (double)(w->pages - w->ksm_pages);
	row.x[T_KSM] = (double)w->ksm_pages;
	row.x[T_SKIP] = (double)w->skipped;
	row.x[T_CMP] = (double)w->cmps;
	row.x[T_BYTE] = (double)w->cmp_bytes;
	row.x[T_SV] = fmax(0, (double)w->stable_visits - cs);
	row.x[T_SVC] = cs;
	row.x[T_UV] = fmax(0, (double)w->unstable_visits - cu);
	row.x[T_UVC] = cu;
	row.x[T_DUP] = (double)w->chain_dups;
	row.x[T_FLUSH] = (double)(w->wrprotects + w->replaces);
	row.x[T_SCAN] = (double)w->scans_started;
	row.offset = offset_ns(r->t, r->csum, w);
	if (r->rows->n == r->rows->cap) {
		r->rows->cap = r->rows->cap ? 2 * r->rows->cap : 256;
		r->rows->v = ks_xrealloc(r->rows->v, r->rows->cap * sizeof(*r->rows->v));
	}
	r->rows->v[r->rows->n++] = row;
}

/* Replays trace `dir` with the base model; appends its batches to rows. */
static int replay(const char *dir, const char *arch, unsigned trace, struct rows *rows,
		  struct ks_err *err)
{
	struct ks_ktrace *kt = NULL;
	struct ks_scenario sc;
	struct ks_cost_model *cm = NULL;
	struct replay r = { .rows = rows, .trace = trace };
	struct ks_observer obs[2];
	struct ks_world_opts o = { 0 };
	struct ks_summary sum;
	int rc = ks_ktrace_read(dir, &kt, err);

	if (rc)
		return rc;
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
	bool used[NT];        /* fitted (exercised and not clamped) */
	bool seen[NT];        /* the rows exercise the term */
	size_t n;             /* rows */
};

/* Rows of `rows` in the fit: trace != skip (UINT32_MAX: all) and trace < ntraces_fit. */
static bool in_fit(const struct row *r, unsigned nfit, unsigned skip)
{
	return r->trace < nfit && r->trace != skip;
}

/* Weighted least squares on the terms in f->used, weights 1/y^2 (relative errors).
 * 0, or KS_EINVAL when there are fewer rows than terms or GSL fails. */
static int wls(const struct rows *rows, unsigned nfit, unsigned skip, struct fit *f,
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
		n += in_fit(&rows->v[i], nfit, skip);
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

		if (!in_fit(r, nfit, skip))
			continue;
		for (size_t j = 0; j < p; j++)
			gsl_matrix_set(X, k, j, r->x[col[j]]);
		gsl_vector_set(y, k, r->y - r->offset);
		gsl_vector_set(w, k, 1.0 / (r->y * r->y));
		k++;
	}
	rc = gsl_multifit_wlinear(X, w, y, c, cov, &chisq, ws);
	if (rc == GSL_SUCCESS) {
		memset(f->b, 0, sizeof(f->b));
		memset(f->se, 0, sizeof(f->se));
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
static int nnls(const struct rows *rows, unsigned nfit, unsigned skip, struct fit *f,
		struct ks_err *err)
{
	memset(f, 0, sizeof(*f));
	for (size_t i = 0; i < rows->n; i++)
		if (in_fit(&rows->v[i], nfit, skip))
			for (unsigned j = 0; j < NT; j++)
				f->seen[j] |= rows->v[i].x[j] != 0;
	for (unsigned j = 0; j < NT; j++)
		f->used[j] = f->seen[j];
	for (;;) {
		int worst = -1, rc = wls(rows, nfit, skip, f, err);

		if (rc)
			return rc;
		for (unsigned j = 0; j < NT; j++)
			if (f->used[j] && f->b[j] < 0 && (worst < 0 || f->b[j] < f->b[worst]))
				worst = (int)j;
		if (worst < 0)
			return 0;
		f->used[worst] = false;
		f->b[worst] = f->se[worst] = 0;
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

/* Median ratio and error of predictions `pred` (NULL: the base model) over the rows of
 * the traces lo..hi-1. */
struct err_sum { size_t n; double ratio, err, sum_ratio; };

static struct err_sum errors(const struct rows *rows, const double *pred, unsigned lo,
			     unsigned hi)
{
	double *ra = ks_xmalloc((rows->n + 1) * sizeof(*ra));
	double *er = ks_xmalloc((rows->n + 1) * sizeof(*er));
	double sy = 0, sp = 0;
	struct err_sum s = { 0 };

	for (size_t i = 0; i < rows->n; i++) {
		const struct row *r = &rows->v[i];
		double p = pred ? pred[i] : r->base;

		if (r->trace < lo || r->trace >= hi)
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

/* ---- output ---- */

struct ywriter {
	FILE *o;
	const struct ks_arch_model *am;
	const char *base;
	const char *fitted_on;        /* "k-unique, k-identical, ... (N batches)" */
	const struct fit *f;
};

static void y_kept(const struct ywriter *y, const char *key, double ns)
{
	const char *p = ks_arch_prov_of(y->am, key);

	fprintf(y->o, "  %s:\n    ns: %.2f\n    provenance: %s\n    source: \"kept from "
		"arch-models/%s.yaml (not fitted: the battery does not separate it; see its "
		"source there)\"\n", key, ns, p ? p : "estimate", y->base);
}

/* A simple cost from term j, or kept from the base when the fit did not use it. */
static void y_term(const struct ywriter *y, const char *key, enum term j, double base_ns)
{
	if (!y->f->used[j]) {
		y_kept(y, key, base_ns);
		return;
	}
	fprintf(y->o, "  %s:\n    ns: %.2f\n    stderr_ns: %.2f\n    n: %zu\n    provenance: "
		"fitted\n    source: \"sim calibrate --kernel: least squares (GSL, weighted by "
		"1/kernel^2, non-negative) of the Linux kernel's per-batch ksmd CPU time "
		"(/proc/<ksmd>/schedstat) on the simulator's work counts of the same batches, "
		"term '%s' (%s); fitted to %s\"\n", key, y->f->b[j], y->f->se[j], y->f->n,
		term_name[j], term_unit[j], y->fitted_on);
}

static void write_model(const struct ywriter *y, const char *name)
{
	const struct ks_cost_table *t = &y->am->t;
	const struct fit *f = y->f;
	FILE *o = y->o;

	fprintf(o, "# arch-models/%s.yaml - written by `sim calibrate --kernel`: the terms the\n"
		"# kernel battery separates are fitted to the kernel's own per-batch ksmd CPU\n"
		"# time; the others are kept from arch-models/%s.yaml. docs/cost-models.md.\n"
		"arch: %s\ndescription: \"fitted to live ksmd batches (sim calibrate --kernel)\"\n"
		"costs:\n", name, y->base, name);
	fprintf(o, "  compare:\n    fixed_ns: %.3f\n    per_byte_ns: %.6f\n    fixed_stderr_ns: "
		"%.3f\n    per_byte_stderr_ns: %.6f\n    provenance: fitted\n    source: \"sim "
		"calibrate --kernel: terms 'compare.fixed_ns' and 'compare.per_byte_ns' of the "
		"least squares on live ksmd batches, fitted to %s (a term the fit dropped is "
		"0)\"\n", f->b[T_CMP], f->b[T_BYTE], f->se[T_CMP], f->se[T_BYTE], y->fitted_on);
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
	y_term(y, "anon_page", T_ANON, t->anon_page_ns);
	y_term(y, "ksm_page", T_KSM, t->ksm_page_ns);
	y_term(y, "skip", T_SKIP, t->skip_ns);
	y_term(y, "stable_visit", T_SV, t->stable_visit_ns);
	y_term(y, "stable_visit_cold", T_SVC, t->stable_visit_cold_ns);
	y_term(y, "unstable_visit", T_UV, t->unstable_visit_ns);
	y_term(y, "unstable_visit_cold", T_UVC, t->unstable_visit_cold_ns);
	y_term(y, "chain_dup", T_DUP, t->chain_dup_ns);
	y_term(y, "wrprotect", T_FLUSH, t->wrprotect_ns);
	y_term(y, "replace", T_FLUSH, t->replace_ns);
	y_term(y, "scan_start", T_SCAN, t->scan_start_ns);
	y_kept(y, "walk_entry", t->walk_entry_ns);
	y_kept(y, "item_alloc", t->item_alloc_ns);
	y_kept(y, "item_free", t->item_free_ns);
	y_kept(y, "tree_insert", t->tree_insert_ns);
	y_kept(y, "stale_node", t->stale_node_ns);
	y_kept(y, "merge", t->merge_ns);
	y_kept(y, "zero_merge", t->zero_merge_ns);
	y_kept(y, "break_cow", t->break_cow_ns);
	y_kept(y, "page_copy", t->page_copy_ns);
	fprintf(o, "  tree_hot_depth:\n    value: %g\n    provenance: derived\n    source: "
		"\"the depth of arch-models/%s.yaml, at which the fit's cold visits were "
		"counted\"\n  guest_tlb_factor:\n    value: 1.0\n    provenance: derived\n    "
		"source: \"fitted on this host as it runs: no multiplier\"\n",
		t->tree_hot_depth, y->base);
}

static void print_terms(const struct fit *f, const struct ks_cost_table *t)
{
	const double base[NT] = {
		t->batch_ns, t->anon_page_ns, t->ksm_page_ns, t->skip_ns, t->cmp_fixed_ns,
		t->cmp_byte_ns, t->stable_visit_ns, t->stable_visit_cold_ns,
		t->unstable_visit_ns, t->unstable_visit_cold_ns, t->chain_dup_ns,
		(t->wrprotect_ns + t->replace_ns) / 2, t->scan_start_ns
	};

	printf("%-22s %12s %10s %12s  %s\n", "term", "fitted_ns", "stderr", "base_ns", "note");
	for (unsigned j = 0; j < NT; j++)
		printf("%-22s %12.3f %10.3f %12.3f  %s\n", term_name[j], f->b[j], f->se[j], base[j],
		       !f->seen[j] ? "not exercised: base kept" :
		       !f->used[j] ? "clamped to 0 (fitted negative)" : "");
}

static void print_err(const char *what, const struct err_sum *s, const struct err_sum *b)
{
	printf("  %-28s %6zu %9.3f %9.1f%% %9.3f   base: %7.3f %7.1f%%\n", what, s->n, s->ratio,
	       100 * s->err, s->sum_ratio, b->ratio, 100 * b->err);
}

/* Leave one workload out: each fit trace predicted by the fit on the others. */
static int lowo(const struct ks_kcal_opts *o, const struct rows *rows, double *pred,
		struct ks_err *err)
{
	for (unsigned t = 0; t < o->nfit; t++) {
		struct fit f;
		int rc = nnls(rows, o->nfit, t, &f, err);

		if (rc)
			return rc;
		for (size_t i = 0; i < rows->n; i++)
			if (rows->v[i].trace == t)
				pred[i] = predict(&rows->v[i], &f);
	}
	return 0;
}

static void report(const struct ks_kcal_opts *o, const struct rows *rows, const double *full,
		   const double *lw, double *hold_err)
{
	struct err_sum s, b;
	char name[64];

	printf("\nper-batch ksmd CPU, simulated / kernel (median ratio, median error, sum "
	       "ratio; the base model alongside):\n  %-28s %6s %9s %10s %9s\n", "trace",
	       "batches", "ratio", "error", "sum");
	printf(" fitted on (leave-one-workload-out: each predicted by the fit on the others):\n");
	for (unsigned t = 0; t < o->nfit; t++) {
		const char *base = strrchr(o->fit[t], '/');

		snprintf(name, sizeof(name), "%s", base ? base + 1 : o->fit[t]);
		s = errors(rows, lw, t, t + 1);
		b = errors(rows, NULL, t, t + 1);
		print_err(name, &s, &b);
	}
	s = errors(rows, lw, 0, o->nfit);
	b = errors(rows, NULL, 0, o->nfit);
	print_err("all, held out by fold", &s, &b);
	s = errors(rows, full, 0, o->nfit);
	print_err("all, in-sample (for scale)", &s, &b);
	*hold_err = NAN;
	if (!o->nhold)
		return;
	printf(" held out (never fitted on):\n");
	for (unsigned t = 0; t < o->nhold; t++) {
		const char *base = strrchr(o->holdout[t], '/');

		snprintf(name, sizeof(name), "%s", base ? base + 1 : o->holdout[t]);
		s = errors(rows, full, o->nfit + t, o->nfit + t + 1);
		b = errors(rows, NULL, o->nfit + t, o->nfit + t + 1);
		print_err(name, &s, &b);
	}
	s = errors(rows, full, o->nfit, o->nfit + o->nhold);
	b = errors(rows, NULL, o->nfit, o->nfit + o->nhold);
	print_err("all held out", &s, &b);
	*hold_err = s.err;
}

/* "k-unique, k-zero, ... (N batches of M traces)" */
static char *fitted_on(const struct ks_kcal_opts *o, size_t nrows)
{
	size_t len = 64;
	char *s;

	for (unsigned t = 0; t < o->nfit; t++)
		len += strlen(o->fit[t]) + 2;
	s = ks_xmalloc(len);
	s[0] = 0;
	for (unsigned t = 0; t < o->nfit; t++) {
		const char *b = strrchr(o->fit[t], '/');

		strcat(s, t ? ", " : "");
		strcat(s, b ? b + 1 : o->fit[t]);
	}
	snprintf(s + strlen(s), 64, " (%zu batches)", nrows);
	return s;
}

int ks_kcal_run(const struct ks_kcal_opts *o, double *hold_err, struct ks_err *err)
{
	struct ks_arch_model am;
	struct rows rows = { 0 };
	struct fit f;
	double *full = NULL, *lw = NULL;
	char path[4096];
	int rc = ks_arch_find(o->base_arch, path, sizeof(path), err);

	*hold_err = NAN;
	if (rc || (rc = ks_arch_load_file(path, &am, err)))
		return rc;
	for (unsigned t = 0; !rc && t < o->nfit + o->nhold; t++)
		rc = replay(t < o->nfit ? o->fit[t] : o->holdout[t - o->nfit], path, t, &rows,
			    err);
	if (!rc)
		rc = nnls(&rows, o->nfit, UINT32_MAX, &f, err);
	if (rc)
		goto out;
	full = ks_xmalloc((rows.n + 1) * sizeof(*full));
	lw = ks_xmalloc((rows.n + 1) * sizeof(*lw));
	for (size_t i = 0; i < rows.n; i++)
		full[i] = lw[i] = predict(&rows.v[i], &f);
	rc = lowo(o, &rows, lw, err);
	if (rc)
		goto out;
	printf("sim calibrate --kernel: %zu batches of %u traces fitted on, base model %s%s%s\n",
	       f.n, o->nfit, am.name, o->machine ? "; " : "", o->machine ? o->machine : "");
	print_terms(&f, &am.t);
	report(o, &rows, full, lw, hold_err);
	if (o->out_yaml) {
		char *on = fitted_on(o, f.n);
		struct ywriter y = { o->out_yaml, &am, am.name, on, &f };

		write_model(&y, o->name);
		free(on);
	}
out:
	free(full);
	free(lw);
	free(rows.v);
	ks_arch_fini(&am);
	return rc;
}
