/* converge.c - the peak, the saving at a time, and convergence (converge.h).
 *
 * Converged means: at least two full scans completed (the first full scan only fills
 * the unstable tree; merges of pages first seen in it happen in the second), and the
 * saving changed by at most KS_CONVERGE_TOLERANCE between the end of the second-to-last
 * full scan and the end of the series (the last full scan merged, and since then
 * merged, next to nothing). A series that ends mid-growth or after one scan is "not
 * converged", whatever its time to 90% would say. */
#include <stdio.h>
#include <stdlib.h>

#include "converge.h"

static double rel_change(int64_t from, int64_t to)
{
	int64_t base = llabs(from) > llabs(to) ? llabs(from) : llabs(to);

	if (base == 0)
		return 0;
	return (double)llabs(to - from) / (double)base;
}

void ks_convergence(const struct ks_conv_point *p, size_t n, struct ks_convergence *c)
{
	size_t prev = 0, last = 0; /* indices where the second-to-last and last scans ended */
	uint64_t scans = 0;
	int64_t end;

	*c = (struct ks_convergence){ .peak_saved = 0, .peak_t = 0 };
	if (!n) {
		snprintf(c->why, sizeof(c->why), "no sample of the counters");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (p[i].saved > c->peak_saved) {
			c->peak_saved = p[i].saved;
			c->peak_t = p[i].t;
		}
		if (i > 0 && p[i].full_scans > p[i - 1].full_scans) {
			scans += p[i].full_scans - p[i - 1].full_scans;
			prev = last;
			last = i;
		}
	}
	scans += p[0].full_scans; /* scans completed before the first point count too */
	c->scans = scans;
	if (scans < 2) {
		snprintf(c->why, sizeof(c->why), "only %llu full scan%s completed (KSM needs two:"
			 " the first only fills the unstable tree)", (unsigned long long)scans,
			 scans == 1 ? "" : "s");
		return;
	}
	end = p[n - 1].saved;
	c->change = rel_change(p[prev].saved, end);
	if (rel_change(p[last].saved, end) > c->change)
		c->change = rel_change(p[last].saved, end);
	if (c->change > KS_CONVERGE_TOLERANCE) {
		snprintf(c->why, sizeof(c->why), "the saving still changed by %.1f%% over the last "
			 "full scan", 100.0 * c->change);
		return;
	}
	c->converged = true;
}

bool ks_saved_at(const struct ks_conv_point *p, size_t n, ks_time t, int64_t *saved)
{
	size_t lo = 0, hi = n;

	*saved = 0;
	if (!n || t > p[n - 1].t)
		return false;
	while (lo < hi) { /* first point after t */
		size_t mid = lo + (hi - lo) / 2;

		if (p[mid].t <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo)
		*saved = p[lo - 1].saved;
	return true;
}
