/* cost_model.c - prices KSM work counts with an arch cost table.
 *
 * Why work counts and not timings: the KSM model (ksm_*.c) counts exactly what the kernel
 * would do for each cmp_and_merge_page() call - how many checksums, how many
 * memcmp_pages() calls and how many bytes each read before the first difference, how
 * many tree nodes were visited, how many PTEs were write-protected - so the same run
 * can be priced for any architecture, and the price of each step is a measured or cited
 * number (arch-models/). The model is linear: cost = sum over steps of count * unit
 * cost, with a fixed + per-byte part for the two byte-bound steps (compare, checksum).
 *
 * Cache residency of the trees (working-set size): a descent of a tree first visits the
 * nodes near the root, which every search revisits and which therefore stay cached,
 * then nodes revisited only every 2^depth searches, which the checksums of the scanned
 * pages (4 KiB each) have evicted by then. So the first tree_hot_depth visits of each
 * descent are priced warm (stable_visit_ns, unstable_visit_ns, compare per_byte) and the
 * rest cold (*_visit_cold_ns; their share of the compared bytes at cmp_cold_byte_ns).
 * The work counts say how many descents a page made (stable_walks, unstable_walks), so
 * the split is exact per page; priced over a sum of pages it assumes equal descents,
 * and the bytes of cold compares are their visits' share of cmp_bytes. The depth and
 * both costs are measured by `sim calibrate` walking trees of 16..64Ki nodes.
 *
 * Left out: other cache effects (a page compared twice in a row is cheaper the second
 * time), lock contention, and the write faults of the workload (not ksmd time; page_copy_ns
 * is reported for them; it is charged only for the new KSM page the 2009 algorithm
 * allocated and copied on every unstable-tree merge, with page_alloc_ns). TLB flushes are multiplied by guest_tlb_factor (a flush inside
 * a KVM guest costs more than on bare metal). */
#include <math.h>

#include "cost_model.h"

static const char *const comp_names[KS_COST_NCOMP] = {
	"compare", "checksum", "tree", "merge", "other"
};

const char *ks_cost_comp_name(enum ks_cost_comp c)
{
	return (unsigned)c < KS_COST_NCOMP ? comp_names[c] : "?";
}

void ks_cost_table_zero(struct ks_cost_table *t)
{
	*t = (struct ks_cost_table){ .guest_tlb_factor = 1.0 };
}

double ks_cost_checksum_ns(const struct ks_cost_table *t, enum ks_checksum_alg alg)
{
	if ((unsigned)alg >= KS_CSUM_COUNT)
		return 0;
	return t->csum_fixed_ns[alg] + 4096.0 * t->csum_byte_ns[alg];
}

double ks_cost_compare_ns(const struct ks_cost_table *t, uint64_t bytes)
{
	return t->cmp_fixed_ns + (double)bytes * t->cmp_byte_ns;
}

uint64_t ks_cost_cold_visits(const struct ks_cost_table *t, uint64_t visits, uint64_t walks)
{
	double hot;

	if (!(t->tree_hot_depth > 0) || !walks)
		return 0;
	hot = (double)walks * t->tree_hot_depth;
	return (double)visits > hot ? visits - (uint64_t)hot : 0;
}

static uint64_t to_ns(double ns)
{
	return ns > 0 ? (uint64_t)llround(ns) : 0;
}

/* floor(log2(m)), m >= 1 */
static unsigned flog2(uint64_t m)
{
	unsigned h = 0;

	while (m >>= 1)
		h++;
	return h;
}

double ks_cost_cold_run(const struct ks_cost_table *t, double v, uint64_t before, uint64_t m)
{
	double d = t->tree_hot_depth, cold = 0;
	uint64_t k = before + 1, end = before + m; /* descents k..end, 1-based */

	if (!(d > 0) || !m || !(v > 0))
		return 0;
	if (!(t->tree_warm_up > 0))
		return (double)m * fmax(0, v - d);
	while (k <= end) {
		unsigned h = flog2(k);
		uint64_t top = h >= 63 ? end : ((uint64_t)2 << h) - 1; /* last m with this h */
		double hot = fmin(d, (double)h);

		if (hot >= d || top > end)
			top = end;
		cold += (double)(top - k + 1) * fmax(0, v - hot);
		k = top + 1;
	}
	return cold;
}

/* The price of n pages of work w, cold_s / cold_u of whose tree visits (all n pages
 * together) are cold, per page. (The terms are summed in one fixed order: a table
 * without the newer terms prices to the same bits as before them.) */
static void price(const struct ks_cost_table *t, enum ks_checksum_alg checksum,
		  const struct ks_work *w, double n, double cold_s, double cold_u,
		  struct ks_cost_split *out)
{
#define N(x) ((double)(x) * n)
	double c[KS_COST_NCOMP];
	uint64_t anon = w->pages >= w->ksm_pages ? w->pages - w->ksm_pages : 0;
	uint64_t kcold = w->ksm_pages_cold < w->ksm_pages ? w->ksm_pages_cold : w->ksm_pages;
	double flush = t->guest_tlb_factor > 0 ? t->guest_tlb_factor : 1.0;
	double sv = N(w->stable_visits), uv = N(w->unstable_visits);
	double cold_bytes = 0, ksm;

	cold_s = fmin(cold_s, sv);
	cold_u = fmin(cold_u, uv);
	if (w->cmps && cold_s + cold_u > 0)
		cold_bytes = N(w->cmp_bytes) * fmin(1.0, (cold_s + cold_u) / N(w->cmps));
	ksm = t->ksm_page_cold_ns == t->ksm_page_ns ?
		N(w->ksm_pages) * t->ksm_page_ns :
		N(w->ksm_pages - kcold) * t->ksm_page_ns + N(kcold) * t->ksm_page_cold_ns;
	c[KS_COST_COMPARE] = N(w->cmps) * t->cmp_fixed_ns +
			     (N(w->cmp_bytes) - cold_bytes) * t->cmp_byte_ns +
			     cold_bytes * t->cmp_cold_byte_ns;
	c[KS_COST_CHECKSUM] = N(w->checksums) * ks_cost_checksum_ns(t, checksum);
	c[KS_COST_TREE] = (sv - cold_s) * t->stable_visit_ns +
			  cold_s * t->stable_visit_cold_ns +
			  (uv - cold_u) * t->unstable_visit_ns +
			  cold_u * t->unstable_visit_cold_ns +
			  N(w->chain_dups) * t->chain_dup_ns +
			  N(w->stable_inserts + w->unstable_inserts) * t->tree_insert_ns +
			  N(w->stale_nodes) * t->stale_node_ns +
			  N(w->gup_lookups) * t->gup_lookup_ns;
	c[KS_COST_MERGE] = N(w->wrprotects) * t->wrprotect_ns * flush +
			   N(w->replaces) * t->replace_ns * flush +
			   N(w->merges) * t->merge_ns +
			   N(w->zero_merges) * t->zero_merge_ns +
			   N(w->break_cows) * t->break_cow_ns +
			   N(w->kpage_allocs) * (t->page_alloc_ns + t->page_copy_ns);
	c[KS_COST_OTHER] = N(anon) * t->anon_page_ns +
			   ksm +
			   N(w->walk_entries) * t->walk_entry_ns +
			   N(w->walk_holes) * t->walk_hole_ns +
			   N(w->skipped) * t->skip_ns +
			   N(w->items_alloc) * t->item_alloc_ns +
			   N(w->items_freed) * t->item_free_ns +
			   N(w->scans_started) * t->scan_start_ns;
#undef N
	out->total = 0;
	for (unsigned i = 0; i < KS_COST_NCOMP; i++) {
		out->ns[i] = to_ns(n == 1 ? c[i] : c[i] / n);
		out->total += out->ns[i];
	}
}

void ks_cost_price(const struct ks_cost_table *t, enum ks_checksum_alg checksum,
		   const struct ks_work *w, struct ks_cost_split *out)
{
	price(t, checksum, w, 1,
	      (double)ks_cost_cold_visits(t, w->stable_visits, w->stable_walks),
	      (double)ks_cost_cold_visits(t, w->unstable_visits, w->unstable_walks), out);
}

void ks_cost_price_run(const struct ks_cost_table *t, enum ks_checksum_alg checksum,
		       const struct ks_work *w, uint64_t n, uint64_t *sdesc, uint64_t *udesc,
		       struct ks_cost_split *out)
{
	double cs = 0, cu = 0;

	if (!n)
		n = 1;
	if (!(t->tree_warm_up > 0)) {
		ks_cost_price(t, checksum, w, out);
	} else {
		if (w->stable_walks)
			cs = ks_cost_cold_run(t, (double)w->stable_visits / (double)w->stable_walks,
					      *sdesc, n * w->stable_walks);
		if (w->unstable_walks)
			cu = ks_cost_cold_run(t, (double)w->unstable_visits /
					      (double)w->unstable_walks, *udesc,
					      n * w->unstable_walks);
		price(t, checksum, w, (double)n, cs, cu, out);
	}
	*sdesc += n * w->stable_walks;
	*udesc += n * w->unstable_walks;
}

void ks_cost_price_batch(const struct ks_cost_table *t, enum ks_checksum_alg checksum,
			 const struct ks_work *unattributed, struct ks_cost_split *out)
{
	uint64_t b = to_ns(t->batch_ns);

	ks_cost_price(t, checksum, unattributed, out);
	out->ns[KS_COST_OTHER] += b;
	out->total += b;
}

unsigned ks_cost_hist_bucket(uint64_t ns)
{
	unsigned b = 0;

	while (ns >= 2 && b < KS_COST_HIST_BUCKETS - 1) {
		ns >>= 1;
		b++;
	}
	return b;
}

uint64_t ks_cost_hist_lo(unsigned b)
{
	return b ? (uint64_t)1 << b : 0;
}

void ks_cost_stats_add_page(struct ks_cost_stats *s, enum ks_page_kind kind,
			    const struct ks_cost_split *c, uint64_t n)
{
	unsigned k = kind == KS_PAGE_KSM ? 1 : 0;

	for (unsigned i = 0; i < KS_COST_NCOMP; i++)
		s->comp_ns[i] += n * c->ns[i];
	s->total_ns += n * c->total;
	s->pages[k] += n;
	s->page_ns[k] += n * c->total;
	s->hist[k][ks_cost_hist_bucket(c->total)] += n;
}

void ks_cost_stats_add_batch(struct ks_cost_stats *s, const struct ks_cost_split *c)
{
	for (unsigned i = 0; i < KS_COST_NCOMP; i++)
		s->comp_ns[i] += c->ns[i];
	s->total_ns += c->total;
	s->batches++;
}
