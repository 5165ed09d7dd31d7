/* cost_model.h - ksmd CPU time from KSM work counts (struct ks_work): an arch's cost
 * table (arch-models/NAME.yaml, loaded by sim/load_arch.c) prices every step of
 * cmp_and_merge_page() and of a ksm_do_scan() batch, split by profiler component.
 * Pure: no I/O; costs are doubles in ns, results are rounded to integer ns. */
#ifndef KS_COST_MODEL_H
#define KS_COST_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "ksm.h"
#include "models/vocab/checksum.h"

/* Profiler-like components of ksmd's time. */
enum ks_cost_comp {
	KS_COST_COMPARE = 0, /* memcmp_pages / pages_identical */
	KS_COST_CHECKSUM,    /* calc_checksum */
	KS_COST_TREE,        /* stable/unstable node visits, chains, inserts, stale nodes */
	KS_COST_MERGE,       /* write-protect + TLB flush, replace_page, merge bookkeeping */
	KS_COST_OTHER,       /* scanner walk, rmap items, per-page and per-batch overhead */
	KS_COST_NCOMP
};

/* One arch's costs, ns (per-byte costs ns per byte). Fields mirror the YAML keys. */
struct ks_cost_table {
	double cmp_fixed_ns;                   /* per memcmp_pages() call */
	double cmp_byte_ns;                    /* per byte compared (first diff + 1) */
	double csum_fixed_ns[KS_CSUM_COUNT];   /* per checksum call, by algorithm */
	double csum_byte_ns[KS_CSUM_COUNT];    /* per byte checksummed (4096 per page) */
	bool csum_known[KS_CSUM_COUNT];        /* the arch file prices this algorithm */
	double anon_page_ns;                   /* per anon page: mmap lock, folio get/put */
	double ksm_page_ns;                    /* per KSM page (O(1) early return) */
	double ksm_page_cold_ns;               /* per KSM page other than the previous KSM-page
						* rescan's (ksm_pages_cold; default ksm_page) */
	double walk_entry_ns;                  /* per PTE visited by the scanner */
	double walk_hole_ns;                   /* per address walked without an anon/KSM page */
	double skip_ns;                        /* per smart-scan skip */
	double item_alloc_ns;                  /* per rmap_item allocated */
	double item_free_ns;                   /* per rmap_item freed */
	double stable_visit_ns;                /* per stable node visited (besides memcmp) */
	double unstable_visit_ns;              /* per unstable node: PT lookup in its mm */
	double chain_dup_ns;                   /* per chain dup examined */
	double tree_insert_ns;                 /* per rb insert (link + rebalance) */
	double stale_node_ns;                  /* per stale stable node removed */
	double wrprotect_ns;                   /* write_protect_page incl. TLB flush */
	double guest_tlb_factor;               /* TLB-flush multiplier in a KVM guest (>= 1) */
	double replace_ns;                     /* replace_page incl. its flush */
	double merge_ns;                       /* per merge: node/folio bookkeeping */
	double zero_merge_ns;                  /* per zero-page merge bookkeeping */
	double break_cow_ns;                   /* per break_cow (fault + 4 KiB copy) */
	double scan_start_ns;                  /* per full scan: lru_add_drain_all */
	double batch_ns;                       /* per ksm_do_scan() batch: wakeup, schedule */
	double page_copy_ns;                   /* 4 KiB copy (COW fault; 2009 new KSM page) */
	double gup_lookup_ns;                  /* 2009: page lookup by address (optional) */
	double page_alloc_ns;                  /* 2009: alloc_page of a new KSM page (optional) */
	double tree_hot_depth;                 /* visits per descent that stay cache-hot, nodes
						* (0: no split; every visit is priced warm) */
	double stable_visit_cold_ns;           /* per stable node deeper than tree_hot_depth */
	double unstable_visit_cold_ns;         /* per unstable node deeper than tree_hot_depth */
	double cmp_cold_byte_ns;               /* per byte compared against a cold visit's page */
	double tree_warm_up;                   /* 1: the hot upper tree is re-warmed every batch:
						* the m-th descent of a tree in a batch finds
						* min(tree_hot_depth, floor(log2 m)) levels hot;
						* 0: every descent finds tree_hot_depth levels hot */
};

/* ns per component; total = sum of the parts. */
struct ks_cost_split {
	uint64_t ns[KS_COST_NCOMP];
	uint64_t total;
};

/* Power-of-two latency buckets: bucket 0 = [0, 2) ns, bucket i = [2^i, 2^(i+1)) ns. */
enum { KS_COST_HIST_BUCKETS = 48 };

/* What a run accumulates (per page kind: KS_PAGE_ANON, KS_PAGE_KSM). */
struct ks_cost_stats {
	uint64_t comp_ns[KS_COST_NCOMP];        /* ns by component, pages + batches */
	uint64_t total_ns;                      /* all ksmd CPU ns priced */
	uint64_t pages[2];                      /* cmp_and_merge_page calls by kind */
	uint64_t page_ns[2];                    /* their ns by kind */
	uint64_t hist[2][KS_COST_HIST_BUCKETS]; /* calls by kind and latency bucket */
	uint64_t batches;                       /* batches priced */
};

/* One ksmd batch as priced. */
struct ks_cost_batch {
	uint64_t t_end;     /* simulated end of the batch, ns (0 until stamped) */
	uint64_t ns;        /* its ksmd CPU time, ns */
	uint64_t pages;     /* pages handed to cmp_and_merge_page */
};

/* Merges per process: when the first and the last successful merge happened. */
struct ks_cost_merge_window {
	uint32_t pid;       /* simulated pid */
	uint64_t first, last;/* simulated ns of the first / last merge event */
	uint64_t merges;    /* merge events with err 0 */
};

/* Pricing. checksum: the run's algorithm. Never fail. */
/* A table with every cost 0 and guest_tlb_factor 1. */
void ks_cost_table_zero(struct ks_cost_table *t);
/* Cost of `w`'s work, split by component (also used for a batch's unattributed work). */
void ks_cost_price(const struct ks_cost_table *t, enum ks_checksum_alg checksum,
		   const struct ks_work *w, struct ks_cost_split *out);
/* Per-batch overhead: batch_ns plus the price of the batch's unattributed work. */
void ks_cost_price_batch(const struct ks_cost_table *t, enum ks_checksum_alg checksum,
			 const struct ks_work *unattributed, struct ks_cost_split *out);
/* Of `visits` tree visits made in `walks` descents, how many lie deeper than
 * t->tree_hot_depth (cache-cold): visits - min(visits, walks * depth); 0 when the table
 * has no depth or the work counted no descents. Never fails. */
uint64_t ks_cost_cold_visits(const struct ks_cost_table *t, uint64_t visits, uint64_t walks);
/* Cold visits of descents before+1 .. before+m of a batch, each of `v` visits (a mean),
 * under the table's hot upper tree (tree_hot_depth; tree_warm_up). Never fails. */
double ks_cost_cold_run(const struct ks_cost_table *t, double v, uint64_t before, uint64_t m);
/* n pages of work `w` each (n >= 1) whose descents follow *sdesc stable and *udesc
 * unstable descents earlier in the batch (both advanced): their price per page (rounded),
 * as ks_cost_price() but with the warm-up of tree_warm_up. Never fails. */
void ks_cost_price_run(const struct ks_cost_table *t, enum ks_checksum_alg checksum,
		       const struct ks_work *w, uint64_t n, uint64_t *sdesc, uint64_t *udesc,
		       struct ks_cost_split *out);
/* Cost of one whole 4 KiB checksum / a compare of `bytes` bytes, ns (unrounded). */
double ks_cost_checksum_ns(const struct ks_cost_table *t, enum ks_checksum_alg alg);
double ks_cost_compare_ns(const struct ks_cost_table *t, uint64_t bytes);

/* Accumulation. */
/* Bucket of a latency in ns (0..KS_COST_HIST_BUCKETS-1). */
unsigned ks_cost_hist_bucket(uint64_t ns);
/* Lower bound of bucket b in ns (0 for b = 0). */
uint64_t ks_cost_hist_lo(unsigned b);
/* n pages of one kind, each priced c. */
void ks_cost_stats_add_page(struct ks_cost_stats *s, enum ks_page_kind kind,
			    const struct ks_cost_split *c, uint64_t n);
void ks_cost_stats_add_batch(struct ks_cost_stats *s, const struct ks_cost_split *c);
/* Name of a component ("compare", "checksum", "tree", "merge", "other"). */
const char *ks_cost_comp_name(enum ks_cost_comp c);

#endif
