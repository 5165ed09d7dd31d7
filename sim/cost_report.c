/* cost_report.c - the end-of-run cost section: where ksmd's time went (components),
 * how it was spread over batches and over time, and the latency histograms of
 * cmp_and_merge_page() per page kind in the bpftrace/bcc power-of-two form. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cost_report.h"
#include "models/base/xalloc.h"
#include "reports/report.h"

enum { TIME_SLICES = 10 };

void ks_cost_report_hist(const uint64_t *hist, unsigned nbuckets, FILE *out)
{
	uint64_t lo[64], hi[64];

	for (unsigned b = 0; b < nbuckets && b < 64; b++) {
		lo[b] = ks_cost_hist_lo(b);
		hi[b] = (uint64_t)2 << b;
	}
	ks_report_hist(lo, hi, hist, nbuckets < 64 ? nbuckets : 64, out);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void print_batches(const struct ks_cost_model *cm, ks_time sim_end, FILE *out)
{
	size_t n;
	const struct ks_cost_batch *b = ks_cost_model_batches(cm, &n);
	uint64_t *v, sum = 0, slice[TIME_SLICES] = { 0 };
	char med[32], p90[32], max[32], mean[32];

	if (!n)
		return;
	v = ks_xmalloc(n * sizeof(*v));
	for (size_t i = 0; i < n; i++) {
		v[i] = b[i].ns;
		sum += b[i].ns;
	}
	qsort(v, n, sizeof(*v), cmp_u64);
	ks_report_fmt_ns(mean, sizeof(mean), sum / n);
	ks_report_fmt_ns(med, sizeof(med), v[n / 2]);
	ks_report_fmt_ns(p90, sizeof(p90), v[(n * 9) / 10 < n ? (n * 9) / 10 : n - 1]);
	ks_report_fmt_ns(max, sizeof(max), v[n - 1]);
	fprintf(out, "  per batch:           %zu batches, mean %s, median %s, p90 %s, max %s\n",
		n, mean, med, p90, max);
	free(v);
	if (!sim_end)
		return;
	/* Utilisation over time: ksmd CPU inside each tenth of the run. */
	for (size_t i = 0; i < n; i++) {
		ks_time end = b[i].t_end, start = end > b[i].ns ? end - b[i].ns : 0;

		for (unsigned s = 0; s < TIME_SLICES; s++) {
			ks_time lo = sim_end * s / TIME_SLICES, hi = sim_end * (s + 1) / TIME_SLICES;
			ks_time a = start > lo ? start : lo, z = end < hi ? end : hi;

			if (z > a)
				slice[s] += z - a;
		}
	}
	fprintf(out, "  utilisation by tenth of the run:");
	for (unsigned s = 0; s < TIME_SLICES; s++) {
		ks_time len = sim_end * (s + 1) / TIME_SLICES - sim_end * s / TIME_SLICES;

		fprintf(out, " %.0f%%", len ? 100.0 * (double)slice[s] / (double)len : 0.0);
	}
	fputc('\n', out);
}

static void print_windows(const struct ks_cost_model *cm, FILE *out)
{
	size_t n;
	const struct ks_cost_merge_window *w = ks_cost_model_merge_windows(cm, &n);

	if (!n || n > 16)
		return;
	fprintf(out, "  merge windows (first .. last successful merge, per process):\n");
	for (size_t i = 0; i < n; i++) {
		char a[32], z[32], d[32];

		ks_report_fmt_ns(a, sizeof(a), w[i].first);
		ks_report_fmt_ns(z, sizeof(z), w[i].last);
		ks_report_fmt_ns(d, sizeof(d), w[i].last - w[i].first);
		fprintf(out, "    pid %-6" PRIu32 " %10" PRIu64 " merges  %s .. %s  (%s)\n",
			w[i].pid, w[i].merges, a, z, d);
	}
}

void ks_cost_report_print(const struct ks_cost_model *cm, ks_time sim_end, FILE *out)
{
	const struct ks_cost_stats *st = ks_cost_model_stats(cm);
	static const char *const kinds[2] = { "anon page", "ksm page" };
	char buf[32];

	fprintf(out, "ksmd CPU by component (arch %s):\n", ks_cost_model_name(cm));
	fprintf(out, "  %-10s %16s %7s\n", "component", "time", "share");
	for (unsigned c = 0; c < KS_COST_NCOMP; c++) {
		ks_report_fmt_ns(buf, sizeof(buf), st->comp_ns[c]);
		fprintf(out, "  %-10s %16s %6.1f%%\n", ks_cost_comp_name((enum ks_cost_comp)c), buf,
			st->total_ns ? 100.0 * (double)st->comp_ns[c] / (double)st->total_ns : 0.0);
	}
	ks_report_fmt_ns(buf, sizeof(buf), st->total_ns);
	fprintf(out, "  %-10s %16s %6.1f%%   utilisation %.1f%% of one CPU\n", "total", buf,
		100.0, sim_end ? 100.0 * (double)st->total_ns / (double)sim_end : 0.0);
	if (ks_cost_model_provenance(cm))
		fprintf(out, "arch %s's numbers by provenance (docs/cost-models.md):\n%s",
			ks_cost_model_name(cm), ks_cost_model_provenance(cm));
	print_batches(cm, sim_end, out);
	print_windows(cm, out);
	for (unsigned k = 0; k < 2; k++) {
		if (!st->pages[k])
			continue;
		ks_report_fmt_ns(buf, sizeof(buf), st->page_ns[k] / st->pages[k]);
		fprintf(out, "cmp_and_merge_page latency, %s (%" PRIu64 " calls, mean %s):\n",
			kinds[k], st->pages[k], buf);
		ks_cost_report_hist(st->hist[k], KS_COST_HIST_BUCKETS, out);
	}
}
