/* cmd_validate_timing.c - `sim validate-timing DIR... [--arch NAME] [--threshold R]
 * [--quiet]`: cost-model validation 1 (docs/cost-models.md). Replays each kernel trace
 * (docs/kernel-traces.md) through the simulator WITH an arch cost model and compares,
 * batch by batch, the predicted ksmd CPU time with the kernel's (batches.csv
 * ksmd_cpu_ns, from /proc/<ksmd>/schedstat). Also shown: the kernel's on-CPU span
 * t_end - t_start (switch-in to sleep) where the switch-in was recorded.
 *
 * Per batch: ratio = simulated / kernel, error = |simulated - kernel| / kernel. Per full
 * scan the same on the sums of its batches: a full scan is the batches from the one
 * after the previous full_scans increment (batch 1 for the first: the recorder's run=2,
 * run=0 put the cursor at the list head) to the batch that increments full_scans (it
 * also holds the first pages of the next scan; a batch that completes several scans
 * makes one group). Incomplete scans at the end are not counted. Per trace and over
 * all batches (scans) of all traces: the median ratio, the median error and the ratio
 * of the sums. Exit 0 when the median error over all batches is within the threshold
 * (default 0.20) and the median error over all full scans within the scan threshold
 * (default 0.10; met when no trace has a complete scan), 1 when not, 2 on bad input.
 *
 * The replay must do the kernel's work for the comparison to mean anything: the batch's
 * pages_scanned, full_scans, pages_shared, pages_sharing, pages_unshared and
 * pages_volatile are compared too, and a batch whose work
 * differs is reported (and counted in "work diverged"). A batch's cost is counted as
 * ksmd's CPU time but does not delay the next batch (ks_world_opts.cost_not_slept): the
 * recorder applied each timed record in the sleep after batch floor(t / sleep) + 1,
 * whatever the batches cost, and the replay applies it there too. */
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
	int64_t full_scans;    /* the kernel's full_scans after the batch */
	bool work_ok;          /* simulated counters equal the kernel's after the batch */
};

/* One full scan (or the scans completed in one batch): sums of its batches. */
struct vt_scan {
	uint64_t first, last;  /* its batches, 1-based */
	int64_t kernel_ns, sim_ns;
	bool work_ok;
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

/* The complete full scans of one trace's rows (in batch order; full_scans was `prev`
 * before the first) into *scans (appended, *nscans of them). A scan with a batch
 * without a kernel time is left out. */
static void group_scans(const struct vt_row *rows, size_t n, int64_t prev,
			struct vt_scan **scans, size_t *nscans)
{
	struct vt_scan cur = { .first = 1, .work_ok = true };
	bool timed = true;

	for (size_t i = 0; i < n; i++) {
		const struct vt_row *r = &rows[i];

		cur.kernel_ns += r->kernel_ns;
		cur.sim_ns += r->sim_ns;
		cur.work_ok = cur.work_ok && r->work_ok;
		timed = timed && r->kernel_ns > 0;
		if (r->full_scans <= prev)
			continue;
		cur.last = r->batch;
		if (timed) {
			*scans = ks_xrealloc(*scans, (*nscans + 1) * sizeof(**scans));
			(*scans)[(*nscans)++] = cur;
		}
		prev = r->full_scans;
		cur = (struct vt_scan){ .first = r->batch + 1, .work_ok = true };
		timed = true;
	}
}

/* A full scan as a row, for summarise(). */
static void scans_as_rows(const struct vt_scan *s, size_t n, struct vt_row *out)
{
	for (size_t i = 0; i < n; i++)
		out[i] = (struct vt_row){ .batch = s[i].first, .kernel_ns = s[i].kernel_ns,
					  .sim_ns = s[i].sim_ns, .work_ok = s[i].work_ok };
}

static void summarise_scans(const struct vt_scan *s, size_t n, struct vt_sum *sum)
{
	struct vt_row *rows = ks_xcalloc(n + 1, sizeof(*rows));

	scans_as_rows(s, n, rows);
	summarise(rows, n, sum);
	free(rows);
}

static void print_scans(const struct vt_scan *s, size_t n)
{
	printf("  %-13s %12s %12s %7s %7s\n", "full scan", "kernel_us", "sim_us", "ratio",
	       "error");
	for (size_t i = 0; i < n; i++)
		printf("  %5" PRIu64 "..%-6" PRIu64 " %12.1f %12.1f %7.3f %6.1f%%%s\n", s[i].first,
		       s[i].last, s[i].kernel_ns / 1e3, s[i].sim_ns / 1e3,
		       (double)s[i].sim_ns / (double)s[i].kernel_ns,
		       100 * fabs((double)(s[i].sim_ns - s[i].kernel_ns)) /
		       (double)s[i].kernel_ns, s[i].work_ok ? "" : "  work differs");
}

/* "; N full scans: median ratio R, median error E%[ (threshold T%)]" or "; no complete
 * full scan"; thr < 0: no threshold. */
static void print_scan_sum(const struct vt_sum *s, double thr)
{
	if (!s->n) {
		printf("; no complete full scan");
		return;
	}
	printf("; %zu full scans: median ratio %.3f, median error %.1f%%", s->n,
	       s->med_ratio, 100 * s->med_err);
	if (thr >= 0)
		printf(" (threshold %.0f%%)", 100 * thr);
}

/* ---- one trace ---- */


static bool same_work(const struct ks_kt_batch *kb, const struct ks_ksm_stats *st)
{
	return kb->c[KS_KT_PAGES_SCANNED] == (int64_t)st->pages_scanned &&
	       kb->c[KS_KT_FULL_SCANS] == (int64_t)st->full_scans &&
	       kb->c[KS_KT_PAGES_SHARING] == (int64_t)st->pages_sharing &&
	       kb->c[KS_KT_PAGES_SHARED] == (int64_t)st->pages_shared &&
	       kb->c[KS_KT_PAGES_UNSHARED] == (int64_t)st->pages_unshared &&
	       kb->c[KS_KT_PAGES_VOLATILE] == (int64_t)st->pages_volatile;
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

/* Replays one trace; appends its rows to *all (*nall of them), its full scans to
 * *scans (*nscans). */
static int validate_one(const char *dir, const char *arch, bool verbose, struct vt_row **all,
			size_t *nall, struct vt_scan **scans, size_t *nscans,
			struct ks_err *err)
{
	struct ks_ktrace *kt = NULL;
	struct ks_scenario sc;
	struct vt_sim r = { 0 };
	struct ks_observer obs[2];
	struct ks_world_opts o = { 0 };
	struct ks_summary sum;
	const struct ks_cost_batch *cb;
	struct vt_row *rows;
	struct vt_sum s, ss;
	size_t ncb, nk, s0 = *nscans;
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
	o.cost_not_slept = true;
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
		row->full_scans = kb->c[KS_KT_FULL_SCANS];
		row->work_ok = k <= r.nb && same_work(kb, &r.st[k - 1]);
	}
	summarise(rows, nk, &s);
	group_scans(rows, nk, kt->batches[0].c[KS_KT_FULL_SCANS], scans, nscans);
	summarise_scans(*scans + s0, *nscans - s0, &ss);
	if (!ks_cli_quiet) {
		printf("%s: %zu batches (%zu simulated), arch %s: median ratio %.3f, median "
		       "error %.1f%%, sum %.2f ms simulated / %.2f ms kernel (ratio %.3f)", dir,
		       nk, ncb, ks_cost_model_name(r.cm), s.med_ratio, 100 * s.med_err,
		       s.sim_ms, s.kernel_ms, s.sum_ratio);
		print_scan_sum(&ss, -1);
		printf("%s\n", s.work_bad ? "; simulated work differs in some batches" : "");
	}
	if (verbose && !ks_cli_quiet) {
		print_rows(rows, nk);
		print_scans(*scans + s0, *nscans - s0);
	}
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
	fputs("usage: sim validate-timing DIR... [--arch NAME] [--threshold R]\n"
	      "                           [--scan-threshold S] [--batches] [--quiet]\n"
	      "\n"
	      "Replays each kernel trace DIR (recorded by 'sim record-kernel') with an arch\n"
	      "cost model and compares the predicted ksmd CPU time of every batch, and of\n"
	      "every complete full scan, with the kernel's (batches.csv ksmd_cpu_ns): ratio\n"
	      "and error, their medians per trace and over all traces (cost-model validation\n"
	      "1, docs/cost-models.md). Static and timed workloads: a batch's cost does not\n"
	      "delay the next, so each timed record is applied in the sleep the recorder\n"
	      "applied it in.\n"
	      "\n"
	      "  -a, --arch NAME       arch model (default: x86_64)\n"
	      "  -t, --threshold R     largest median per-batch error accepted (default 0.20)\n"
	      "  -s, --scan-threshold S  largest median per-full-scan error (default 0.10)\n"
	      "  -b, --batches         print every batch (kernel, on-CPU span, simulated) and\n"
	      "                        every full scan\n"
	      "  -q, --quiet           print only the overall line\n"
	      "  -h, --help            this help\n"
	      "exit status: 0 both medians within R and S, 1 not, 2 bad input or I/O\n", out);
}

int ks_cmd_validate_timing(int argc, char **argv)
{
	const char *arch = "x86_64";
	double thr = 0.20, sthr = 0.10;
	bool verbose = false, quiet = false;
	const struct ks_opt opts[] = {
		KS_STR("arch", 'a', &arch),
		KS_DOUBLE("threshold", 't', &thr, 0),
		KS_DOUBLE("scan-threshold", 's', &sthr, 0),
		KS_FLAG("batches", 'b', &verbose),
		KS_FLAG("quiet", 'q', &quiet),
		KS_OPT_END };
	const struct ks_cmdline cl = { .cmd = "validate-timing", .usage = vt_usage,
				       .opts = opts, .min_args = 1, .max_args = UINT32_MAX,
				       .args = "at least one kernel trace directory" };
	struct ks_strlist dirs;
	struct vt_row *all = NULL;
	struct vt_scan *scans = NULL;
	size_t nall = 0, nscans = 0;
	struct vt_sum s, ss;
	bool pass;
	int failed = 0, rc = ks_cli_parse(&cl, argc, argv, &dirs);

	if (rc >= 0)
		return rc;
	ks_cli_quiet = quiet;
	for (unsigned i = 0; i < dirs.n; i++) {
		struct ks_err err = { 0 };

		if (validate_one(dirs.v[i], arch, verbose, &all, &nall, &scans, &nscans, &err)) {
			ks_cli_error("%s", err.msg);
			failed = 1;
		}
	}
	if (failed) {
		free(all);
		free(scans);
		ks_strlist_free(&dirs);
		return KS_EXIT_ERROR;
	}
	summarise(all, nall, &s);
	summarise_scans(scans, nscans, &ss);
	free(all);
	free(scans);
	pass = s.n && s.med_err <= thr && (!ss.n || ss.med_err <= sthr);
	printf("all: %zu batches of %u traces: median ratio %.3f, median error %.1f%% "
	       "(threshold %.0f%%)", s.n, dirs.n, s.med_ratio, 100 * s.med_err, 100 * thr);
	print_scan_sum(&ss, sthr);
	printf(": %s\n", pass ? "PASS" : "FAIL");
	ks_strlist_free(&dirs);
	return pass ? KS_EXIT_OK : KS_EXIT_CHECK_FAILED;
}
