/* reclaim.h - host memory pressure for the world: when the processes' resident pages
 * exceed what host.ram leaves them, reclaim swaps the least recently written pages out to
 * a simulated zram (models/zram.h); a write of a swapped-out page swaps it back in. The
 * kernel-like counters, and the zsmalloc mapping work of the swap traffic priced under
 * every mapping path (docs/zram.md). Only built when the scenario has `host:`. */
#ifndef KS_RECLAIM_H
#define KS_RECLAIM_H

#include <stdint.h>

#include "models/base/status.h"
#include "models/ksm.h"
#include "models/zram.h"
#include "models/zsmalloc.h"
#include "traces/scenario.h"

struct ks_reclaim;

/* Counters at one instant (vmstat names where the kernel has them). */
struct ks_swap_stats {
	uint64_t ram_pages;         /* host.ram, pages */
	uint64_t limit_pages;       /* what the processes' pages and the zram pool may hold
				     * together: ram - kernel_reserved */
	uint64_t resident_pages;    /* private anonymous pages + KSM frames now */
	uint64_t swap_pages;        /* PTEs that are swap entries now (KSM: one per mapper) */
	uint64_t swap_slots;        /* swap slots in use (KSM page: one for all mappers) */
	uint64_t pswpout;           /* pages written to zram */
	uint64_t pswpin;            /* pages read back from zram */
	uint64_t swpout_zero;       /* zero-filled pages swapped out to the zeromap (no I/O) */
	uint64_t swpin_zero;        /* ... and faulted back in from it */
	uint64_t swapin_shared;     /* faults on a slot another mapper had read already
				     * (served from the swap cache: no pswpin) */
	uint64_t ksm_swpout;        /* KSM pages swapped out (each counted once in pswpout) */
	uint64_t ksm_referenced;    /* KSM pages reclaim passed over: another mapper used
				     * them after the LRU entry chosen (folio_referenced) */
	uint64_t reclaim_short;     /* reclaims that found nothing left to swap while still
				     * over the limit (the kernel would OOM-kill) */
	struct ks_zram_stats zram;  /* /sys/block/zram0/mm_stat */
};

/* The zsmalloc work of the swap traffic so far per mapping path (swap-out: one write
 * access of the object; swap-in: one read access) and its price, ns. */
struct ks_swap_cost {
	struct ks_zs_work out[KS_ZS_NPATHS], in[KS_ZS_NPATHS];
	double out_ns[KS_ZS_NPATHS], in_ns[KS_ZS_NPATHS];
};

/* NULL when the scenario has no host.ram (no reclaim). costs: the zsmalloc prices. */
struct ks_reclaim *ks_reclaim_new(const struct ks_scenario *sc, struct ks_ksm *ksm,
				  struct ks_content_store *cs, const struct ks_zs_costs *costs);
void ks_reclaim_free(struct ks_reclaim *r);

/* The workload, as the world applies it (after the model accepted it). */
void ks_reclaim_mmap(struct ks_reclaim *r, uint32_t pid, uint64_t vaddr, uint64_t npages);
void ks_reclaim_munmap(struct ks_reclaim *r, uint32_t pid, uint64_t vaddr, uint64_t npages);
void ks_reclaim_exit(struct ks_reclaim *r, uint32_t pid);
/* Pages [vaddr, +npages) are written now: swapped-out ones are swapped in (before the
 * model's write, which gives each its new content), all become the most recently used. */
void ks_reclaim_write(struct ks_reclaim *r, uint32_t pid, uint64_t vaddr, uint64_t npages);
/* ... are read now: swapped-out ones are swapped in with their content (before the
 * read is priced), all become the most recently used (the PTE accessed bit). */
void ks_reclaim_read(struct ks_reclaim *r, uint32_t pid, uint64_t vaddr, uint64_t npages);
/* Reclaims until the resident pages fit the limit (or nothing is left to swap). */
void ks_reclaim_balance(struct ks_reclaim *r);

void ks_reclaim_stats(const struct ks_reclaim *r, struct ks_swap_stats *st);
void ks_reclaim_cost(const struct ks_reclaim *r, struct ks_swap_cost *c);

#endif
