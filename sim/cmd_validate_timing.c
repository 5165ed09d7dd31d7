/* cmd_validate_timing.c - `sim validate-timing DIR... [--arch NAME] [--threshold R]
 * [--quiet]`: cost-model validation 1 (docs/cost-models.md). Replays each kernel trace
 * (docs/kernel-traces.md) through the simulator WITH an arch cost model and compares,
 * batch by batch, the predicted ksmd CPU time with the kernel's (batches.csv
 * ksmd_cpu_ns, from /proc/<ksmd>/schedstat). Also shown: the kernel's on-CPU span
 * t_end - t_start (switch-in to sleep) where the switch-in was recorded.
 *
 * Per batch: ratio = simulated / kernel, error = |simulated - kernel| / kernel. Per
 * trace and over all batches of all traces: the median ratio, the median error and the
 * ratio of the sums. Exit 0 when the median error over all batches is within the
 * threshold (default 0.20), 1 when it is not, 2 on bad input.
 *
 * The replay must do the kernel's work for the comparison to mean anything: the batch's
 * pages_scanned, pages_sharing and full_scans are compared too, and a batch whose work
 * differs is reported (and counted in "work diverged"). The cost model delays each
 * batch by its cost, as ksmd does; static workloads are unaffected by that. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_opts.h"
#include "models/base/xalloc.h"
#include "sim/config/load_scenario.h"
#include "sim/engine/cost_hooks.h"
#include "sim/engine/world.h"
#include "traces/kernel_trace.h"

/* One compared batch. */
struct vt_row {
	uint64_t batch;        /* ksmd batch, 1-based */
	int64_t pages;         /* pages scanned by the kernel in the batch */
	int64_t kernel_ns;     /* kernel ksmd CPU time of the batch, ns */
	int64_t span_ns;       /* kernel t_end - t_start, ns (-1: no switch-in recorded) */
	int64_t sim_ns;        /* predicted ksmd CPU time, ns */
	bool work_ok;          /* simulated counters equal the kernel's after the batch */
};

/* What the replay produced, batch by batch. */
struct vt_sim {
	struct ks_cost_model *cm;
	struct ks_ksm_stats *st;      /* [batch - 1]: counters after each batch */
	size_t nb, cap;
};

static void vt_on_batch(void *self, const struct ks_batch_done *b)
{
	struct vt_sim *r = self;

	if (r->nb == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 64;
		r->st = ks_xrealloc(r->st, r->cap * sizeof(*r->st));
	}
	r->st[r->nb++] = b->sample->st;
}

/* ---- statistics ---- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Median of v[0..n) (sorts v); NAN when n is 0. */
static double median(double *v, size_t n)
{
	if (!n)
		return NAN;
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Summary of a set of rows: rows with kernel_ns <= 0 are not compared. */
struct vt_sum {
	size_t n;             /* compared batches */
	size_t work_bad;      /* of which the simulated work differed */
	double med_ratio;     /* median simulated / kernel */
	double med_err;       /* median |simulated - kernel| / kernel */
	double sum_ratio;     /* sum simulated / sum kernel */
	double kernel_ms, sim_ms; /* sums, ms */
};

static void summarise(const struct vt_row *rows, size_t n, struct vt_sum *s)
{
	double *ratio = ks_xmalloc((n + 1) * sizeof(*ratio));
	double *err = ks_xmalloc((n + 1) * sizeof(*err));
	double ks = 0, ss = 0;

	*s = (struct vt_sum){ 0 };
	for (size_t i = 0; i < n; i++) {
		double k = (double)rows[i].kernel_ns, x = (double)rows[i].sim_ns;

		if (rows[i].kernel_ns <= 0)
			continue;
		ratio[s->n] = x / k;
		err[s->n] = fabs(x - k) / k;
		s->n++;
		if (!rows[i].work_ok)
			s->work_bad++;
		ks += k;
		ss += x;
	}
	s->med_ratio = median(ratio, s->n);
	s->med_err = median(err, s->n);
	s->sum_ratio = ks > 0 ? ss / ks : NAN;
	s->kernel_ms = ks / 1e6;
	s->sim_ms = ss / 1e6;
	free(ratio);
	free(err);
}

/* ---- one trace ---- */


static bool same_work(const struct ks_kt_batch *kb, const struct ks_ksm_stats *st)
{
	return kb->c[KS_KT_PAGES_SCANNED] == (int64_t)st->pages_scanned &&
	       kb->c[KS_KT_FULL_SCANS] == (int64_t)st->full_scans &&
	       kb->c[KS_KT_PAGES_SHARING] == (int64_t)st->pages_sharing &&
	       kb->c[KS_KT_PAGES_SHARED] == (int64_t)st->pages_shared;
}

static void print_rows(const struct vt_row *rows, size_t n)
{
	printf("  %6s %6s %12s %12s %12s %7s %7s\n", "batch", "pages", "kernel_us",
	       "span_us", "sim_us", "ratio", "error");
	for (size_t i = 0; i < n; i++) {
		const struct vt_row *r = &rows[i];
		char span[24];

		if (r->span_ns >= 0)
			snprintf(span, sizeof(span), "%.1f", r->span_ns / 1e3);
		else
			snprintf(span, sizeof(span), "-");
		if (r->kernel_ns > 0)
			printf("  %6" PRIu64 " %6" PRId64 " %12.1f %12s %12.1f %7.3f %6.1f%%%s\n",
			       r->batch, r->pages, r->kernel_ns / 1e3, span, r->sim_ns / 1e3,
			       (double)r->sim_ns / (double)r->kernel_ns,
			       100 * fabs((double)(r->sim_ns - r->kernel_ns)) /
			       (double)r->kernel_ns, r->work_ok ? "" : "  work differs");
		else
			printf("  %6" PRIu64 " %6" PRId64 " %12s %12s %12.1f %7s %7s\n", r->batch,
			       r->pages, "-", span, r->sim_ns / 1e3, "-", "-");
	}
}

/* Replays one trace; appends its rows to *all (*nall of them). */
static int validate_one(const char *dir, const char *arch, bool verbose, struct vt_row **all,
			size_t *nall, struct ks_err *err)
{
	struct ks_ktrace *kt = NULL;
	struct ks_scenario sc;
	struct vt_sim r = { 0 };
	struct ks_observer obs[2];
	struct ks_world_opts o = { 0 };
	struct ks_summary sum;
	const struct ks_cost_batch *cb;
	struct vt_row *rows;
	struct vt_sum s;
	size_t ncb, nk;
	int rc = ks_ktrace_read(dir, &kt, err);

	if (rc)
		return rc;
	rc = ks_scenario_load_ktrace(kt, 2, false, &sc, err);
	if (rc)
		goto out_trace;
	if (sc.ksm.advisor_mode == KS_ADVISOR_SCAN_TIME) {
		rc = ks_err_set(err, KS_EINVAL, "%s: advisor_mode scan-time traces are not "
				"timing references (the advisor changes pages_to_scan from the "
				"kernel's own CPU time)", dir);
		goto out_sc;
	}
	rc = ks_cost_model_open(arch, &sc.ksm, &r.cm, err);
	if (rc)
		goto out_sc;
	if (!r.cm) {
		rc = ks_err_set(err, KS_EINVAL, "no arch model given (--arch NAME)");
		goto out_sc;
	}
	o.sc = &sc;
	o.cost = ks_cost_model_hooks(r.cm);
	obs[0] = ks_cost_model_observer(r.cm);
	obs[1] = (struct ks_observer){ .self = &r, .batch = vt_on_batch };
	o.obs = obs;
	o.nobs = 2;
	rc = ks_world_run(&o, &sum, err);
	if (rc)
		goto out_cm;
	cb = ks_cost_model_batches(r.cm, &ncb);
	nk = kt->nbatches - 1;
	rows = ks_xcalloc(nk + 1, sizeof(*rows));
	for (size_t k = 1; k <= nk; k++) {
		const struct ks_kt_batch *kb = &kt->batches[k];
		struct vt_row *row = &rows[k - 1];

		row->batch = k;
		row->pages = kb->c[KS_KT_PAGES_SCANNED] - kt->batches[k - 1].c[KS_KT_PAGES_SCANNED];
		row->kernel_ns = kb->ksmd_cpu_ns;
		row->span_ns = kb->t_start_ns > 0 && kb->t_end_ns >= kb->t_start_ns ?
			       kb->t_end_ns - kb->t_start_ns : -1;
		row->sim_ns = k <= ncb ? (int64_t)cb[k - 1].ns : 0;
		row->work_ok = k <= r.nb && same_work(kb, &r.st[k - 1]);
	}
	summarise(rows, nk, &s);
	if (!ks_cli_quiet)
		printf("%s: %zu batches (%zu simulated), arch %s: median ratio %.3f, median "
		       "error %.1f%%, sum %.2f ms simulated / %.2f ms kernel (ratio %.3f)%s\n",
		       dir, nk, ncb, ks_cost_model_name(r.cm), s.med_ratio, 100 * s.med_err,
		       s.sim_ms, s.kernel_ms, s.sum_ratio,
		       s.work_bad ? "; simulated work differs in some batches" : "");
	if (verbose && !ks_cli_quiet)
		print_rows(rows, nk);
	*all = ks_xrealloc(*all, (*nall + nk + 1) * sizeof(**all));
	memcpy(*all + *nall, rows, nk * sizeof(*rows));
	*nall += nk;
	free(rows);
out_cm:
	ks_cost_model_free(r.cm);
out_sc:
	ks_scenario_fini(&sc);
out_trace:
	free(r.st);
	ks_ktrace_free(kt);
	return rc;
}

static void vt_usage(FILE *out)
{
	fputs("usage: sim validate-timing DIR... [--arch NAME] [--threshold R] [--batches]\n"
	      "                           [--quiet]\n"
	      "\n"
	      "Replays each kernel trace DIR (recorded by 'sim record-kernel') with an arch\n"
	      "cost model and compares the predicted ksmd CPU time of every batch with the\n"
	      "kernel's (batches.csv ksmd_cpu_ns): per-batch ratio and error, their medians\n"
	      "per trace and over all batches (cost-model validation 1, docs/cost-models.md).\n"
	      "\n"
	      "  -a, --arch NAME       arch model (default: x86_64)\n"
	      "  -t, --threshold R     largest median error accepted (default 0.20)\n"
	      "  -b, --batches         print every batch (kernel, on-CPU span, simulated)\n"
	      "  -q, --quiet           print only the overall line\n"
	      "  -h, --help            this help\n"
	      "exit status: 0 median error within R, 1 above R, 2 bad input or I/O\n", out);
}

int ks_cmd_validate_timing(int argc, char **argv)
{
	const char *arch = "x86_64";
	double thr = 0.20;
	bool verbose = false, quiet = false;
	const struct ks_opt opts[] = {
		KS_STR("arch", 'a', &arch),
		KS_DOUBLE("threshold", 't', &thr, 0),
		KS_FLAG("batches", 'b', &verbose),
		KS_FLAG("quiet", 'q', &quiet),
		KS_OPT_END };
	const struct ks_cmdline cl = { .cmd = "validate-timing", .usage = vt_usage,
				       .opts = opts, .min_args = 1, .max_args = UINT32_MAX,
				       .args = "at least one kernel trace directory" };
	struct ks_strlist dirs;
	struct vt_row *all = NULL;
	size_t nall = 0;
	struct vt_sum s;
	int failed = 0, rc = ks_cli_parse(&cl, argc, argv, &dirs);

	if (rc >= 0)
		return rc;
	ks_cli_quiet = quiet;
	for (unsigned i = 0; i < dirs.n; i++) {
		struct ks_err err = { 0 };

		if (validate_one(dirs.v[i], arch, verbose, &all, &nall, &err)) {
			ks_cli_error("%s", err.msg);
			failed = 1;
		}
	}
	if (failed) {
		free(all);
		ks_strlist_free(&dirs);
		return KS_EXIT_ERROR;
	}
	summarise(all, nall, &s);
	free(all);
	printf("all: %zu batches of %u traces: median ratio %.3f, median error %.1f%% "
	       "(threshold %.0f%%): %s\n", s.n, dirs.n, s.med_ratio, 100 * s.med_err,
	       100 * thr, s.n && s.med_err <= thr ? "PASS" : "FAIL");
	ks_strlist_free(&dirs);
	return s.n && s.med_err <= thr ? KS_EXIT_OK : KS_EXIT_CHECK_FAILED;
}
