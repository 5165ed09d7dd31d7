/* measure.h - the measurements behind `sim calibrate` (calibrate.c's table): timing
 * loops over real 4 KiB buffers, the kernel-style memcmp, page pools, and the
 * syscall-level proxies of the steps ksmd takes in the kernel. Each km_time_*()
 * returns ns per operation of one run (-1 when the host lacks what it needs);
 * km_repeat() turns runs into a median with its spread. Timing is intended here: this
 * is a measurement tool, never a test. */
#ifndef KS_ARCH_MEASURE_H
#define KS_ARCH_MEASURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fit.h"
#include "models/base/status.h"
#include "models/vocab/checksum.h"

#define KM_PG 4096u

extern volatile uint64_t km_sink; /* keeps results alive */

/* ---- measure_util.c ---- */
double km_now_ns(void);                 /* CLOCK_MONOTONIC, ns */
uint64_t km_rnd(void);                  /* splitmix64, fixed seed: same layouts each run */
/* The kernel's generic memcmp (lib/string.c with efficient unaligned access): compare
 * machine words while they are equal, then bytes. */
int km_memcmp(const void *cs, const void *ct, size_t count);
uint8_t *km_map_pages(size_t npages);   /* 4 KiB pages, no THP; aborts when out of memory */
/* Memory mapped with huge pages where the kernel has them (its direct map). *base and
 * *len give the mapping to munmap. */
uint8_t *km_map_huge(size_t bytes, void **base, size_t *len);
/* Links `ring` 64-byte cells of next[] into one cycle in a shuffled order. */
void km_build_ring(size_t *next, size_t ring);
int km_cmp_dbl(const void *a, const void *b);

/* Two sets of pages. A scattered pool is what ksmd reads: 4 KiB pages (no huge pages)
 * visited in a shuffled order, so neither the caches nor the prefetchers have seen the
 * next page, as with the physically scattered pages of a large working set. */
struct km_pool {
	uint8_t *a, *b;   /* npages pages each */
	size_t npages;
	size_t *order;    /* page visiting order (shuffled when scattered) */
	size_t next;      /* position in order */
};
void km_pool_init(struct km_pool *p, size_t npages, bool scattered);
size_t km_pool_next(struct km_pool *p);
void km_pool_fini(struct km_pool *p);

/* A repeated measurement. `mean` is the MEDIAN of the runs: on a shared machine a run
 * that another process preempted is an outlier, not information about ksmd's step;
 * `se` is the standard error of the mean of the runs (their spread). */
struct km_stat {
	double mean, se;
	size_t n;
};
int km_repeat(double (*fn)(void *), void *arg, size_t n, struct km_stat *out,
	      struct ks_err *err);

/* ---- measure_mem.c: memory-bound steps ---- */
/* Compare of page pairs first differing at `off` (KM_PG: equal), first page from w, the
 * second from p; min of `trials` runs of `reps`. */
double km_time_compare(struct km_pool *w, struct km_pool *p, unsigned off, unsigned reps,
		       unsigned trials);
double km_time_checksum(struct km_pool *p, enum ks_checksum_alg alg, unsigned reps);
double km_time_copy(struct km_pool *p, unsigned reps);
double km_time_chase(unsigned reps);   /* one dependent cold load (huge-page memory) */
/* An uncontended rwlock read pair plus `loads` dependent loads through a ring. */
double km_time_lock_walk(unsigned reps, unsigned loads, size_t ring);

/* ---- measure_sys.c: syscall-level proxies ---- */
double km_time_mprotect(unsigned reps);
double km_time_uffd_wp(unsigned reps);
double km_time_zap(unsigned reps, double timer_ns);
double km_time_fault(unsigned npages);
double km_time_malloc_free(unsigned reps);
double km_time_page_walk(struct km_pool *p, unsigned reps);
double km_time_nullsys(unsigned reps);
double km_time_wakeup(unsigned reps);

/* ---- measure_tree.c: trees ---- */
/* models/rbtree.c searches in trees of 16..256Ki nodes: the per-visit line (*fit) and
 * an insert's link + rebalance timed alone minus one clock read (*ins_ns). */
int km_tree_fit(unsigned scale, double timer_ns, struct ks_fit *fit, double *ins_ns,
		struct ks_err *err);

enum { KM_WALK_SIZES = 13, KM_WALK_MAXV = 64 }; /* trees of 16 << 0 .. 16 << 12 items */

/* What a visit of the tree walk does. */
enum km_walk_kind {
	KM_WALK_UNSTABLE = 0,  /* move_pages(2) of the item's page */
	KM_WALK_STABLE,        /* a reference on the item's struct page */
	KM_WALK_STABLE_SYS,    /* the same plus a null syscall: what the syscall costs the proxy */
	KM_WALK_KINDS
};

/* What km_walk_trees measured: for each tree size, ns per search and the searches'
 * histogram of visits. */
struct km_walk_data {
	size_t n[KM_WALK_SIZES];                      /* items in the tree */
	double ns[KM_WALK_SIZES];                     /* median over passes of ns per search */
	double hist[KM_WALK_SIZES][KM_WALK_MAXV];     /* share of searches with v visits */
};
void km_walk_trees(struct km_pool *p, enum km_walk_kind kind, unsigned searches,
		   double timer_ns, struct km_walk_data *out);

/* The hot/cold fit: ns per search = c0 + hot * E[min(v, D)] + cold * E[max(0, v - D)],
 * least squares at a given depth D (3x3 normal equations). */
struct km_walk_fit {
	unsigned depth;       /* D: visits per descent that stay hot */
	double hot, cold;     /* ns per visit above / below D */
	double r2;            /* of the fit */
};
/* Fits d at depth D; false when singular or not 0 <= hot <= cold. */
bool km_walk_fit(const struct km_walk_data *d, unsigned depth, struct km_walk_fit *out);
/* The depth D = 1..24 that fits the walks measured (ok[k]) best; 0 when none is. */
unsigned km_walk_depth(const struct km_walk_data *d, const bool *ok, unsigned nkinds);

#endif
