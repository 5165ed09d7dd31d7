/* ksm.h - the kernel samepage merger (mm/ksm.c, Linux 6.18) with the memory it scans:
 * processes (mm), their VMAs and PTEs, anonymous pages, KSM pages, zero pages.
 * Pure: no I/O, no global state. One struct ks_ksm is one simulated machine. */
#ifndef KS_KSM_H
#define KS_KSM_H

#include <stdbool.h>
#include <stdint.h>

#include "models/base/simtime.h"
#include "models/vocab/content.h"
#include "models/vocab/knobs.h"

struct ks_ksm;

/* /sys/kernel/mm/ksm counters, kernel names and definitions. */
struct ks_ksm_stats {
	uint64_t full_scans;
	uint64_t pages_scanned;
	uint64_t pages_shared;
	uint64_t pages_sharing;
	uint64_t pages_unshared;
	uint64_t pages_volatile;
	uint64_t pages_skipped;
	uint64_t stable_node_chains;
	uint64_t stable_node_dups;
	uint64_t ksm_zero_pages;
	int64_t general_profit;     /* bytes */
	uint64_t pages_to_scan;     /* as the advisor sets it */
	uint64_t rmap_items;        /* internal ksm_rmap_items */
	uint64_t cow_ksm;           /* vmstat cow_ksm */
};

/* /proc/PID/ksm_stat */
struct ks_proc_stats {
	uint64_t ksm_rmap_items;
	uint64_t ksm_zero_pages;
	uint64_t ksm_merging_pages;
	int64_t ksm_process_profit; /* bytes */
	bool ksm_merge_any;
	bool ksm_mergeable;
};

/* Work done by one cmp_and_merge_page() call (or one batch, summed), for the cost model. */
struct ks_work {
	uint64_t pages;          /* pages handed to cmp_and_merge_page */
	uint64_t ksm_pages;      /* of which already KSM pages */
	uint64_t skipped;        /* smart-scan skips */
	uint64_t walk_entries;   /* populated page-table entries visited by the scanner */
	uint64_t items_alloc;    /* rmap_items allocated */
	uint64_t items_freed;    /* rmap_items freed */
	uint64_t checksums;      /* page checksums computed */
	uint64_t cmps;           /* memcmp_pages calls (tree walks and pages_identical) */
	uint64_t cmp_bytes;      /* bytes compared, per page (first diff + 1, or 4096) */
	uint64_t stable_visits;  /* stable-tree nodes visited */
	uint64_t unstable_visits;/* unstable-tree nodes visited (each a page-table lookup) */
	uint64_t chain_dups;     /* dups examined in chains */
	uint64_t wrprotects;     /* write_protect_page with TLB flush */
	uint64_t replaces;       /* replace_page (incl. zero page) */
	uint64_t merges;         /* successful merges into a KSM page */
	uint64_t zero_merges;    /* successful merges with the zero page */
	uint64_t unstable_inserts;
	uint64_t stable_inserts;
	uint64_t stale_nodes;    /* stale stable nodes removed */
	uint64_t break_cows;     /* break_cow() on failure */
	uint64_t scans_started;  /* full scans started (lru_add_drain_all) */
	uint64_t gup_lookups;    /* 2009 only: is_present_pte() + get_user_pages() of a
				  * stable-tree candidate page, by (mm, address) */
	uint64_t kpage_allocs;   /* 2009 only: new KSM pages allocated and filled by a
				  * 4 KiB copy (unstable-tree merge) */
	uint64_t stable_walks;   /* stable-tree descents from the root that visited a node
				  * (a restart after a stale node is a new descent) */
	uint64_t unstable_walks; /* unstable-tree descents that visited a node */
	uint64_t ksm_pages_cold; /* of ksm_pages: a KSM page other than the one the previous
				  * KSM-page rescan of the batch saw (its struct page and stable
				  * node not in cache); the batch's first is one (6.18 only) */
	uint64_t walk_holes;     /* addresses of mergeable VMAs the scanner walked that hold
				  * no anonymous or KSM page (folio_walk_start finds none:
				  * zero page, not faulted in, swapped; 6.18 only) */
};

/* What kind of page a cmp_and_merge_page call saw (for latency histograms). */
enum ks_page_kind { KS_PAGE_ANON = 0, KS_PAGE_KSM = 1 };

/* Tracepoints (include/trace/events/ksm.h), delivered to an optional observer. */
enum ks_ksm_event_type {
	KS_EV_START_SCAN = 0, KS_EV_STOP_SCAN, KS_EV_ENTER, KS_EV_EXIT,
	KS_EV_MERGE_ONE_PAGE, KS_EV_MERGE_WITH_KSM_PAGE, KS_EV_REMOVE_KSM_PAGE,
	KS_EV_REMOVE_RMAP_ITEM, KS_EV_ADVISOR
};

struct ks_ksm_event {
	enum ks_ksm_event_type type;
	uint32_t pid;          /* mm owner, where the event has one */
	uint64_t vaddr;        /* page address of the rmap_item, where it has one */
	uint64_t pfn;          /* simulated PFN (KSM frame id, or zero-page colour) */
	bool to_ksm_page;      /* MERGE_WITH_KSM_PAGE: ksm_page != NULL */
	int err;               /* merge events: 0 or -EFAULT */
	uint64_t seq;          /* START/STOP_SCAN: seqnr; ADVISOR: scan_time s */
	uint64_t rmap_entries; /* START/STOP_SCAN; ADVISOR: pages_to_scan */
	uint64_t cpu_percent;  /* ADVISOR */
};

struct ks_ksm_observer {
	void *self;
	/* Called after cmp_and_merge_page() calls with the work of one of them: n >= 1
	 * consecutive pages of the batch that did the same work. The page-by-page path
	 * tells every page alone (n = 1); the bulk path joins runs of identical pages and
	 * tells a run before any event or clock read that follows it. */
	void (*page_done)(void *self, enum ks_page_kind kind, const struct ks_work *w,
			  uint64_t n);
	/* Called at every tracepoint. */
	void (*event)(void *self, const struct ks_ksm_event *ev);
	/* Simulated time now, ns, including the cost of the batch so far (advisor).
	 * NULL: the batch start time. */
	uint64_t (*clock_ns)(void *self);
	/* ksmd's CPU time so far, ns (advisor). NULL: 0. */
	uint64_t (*cpu_ns)(void *self);
};

/* Lifecycle. Never fails; _free(NULL) is a no-op. The store must outlive the ksm. */
struct ks_ksm *ks_ksm_new(const struct ks_ksm_params *p, struct ks_content_store *cs);
void ks_ksm_free(struct ks_ksm *ksm);
void ks_ksm_set_observer(struct ks_ksm *ksm, const struct ks_ksm_observer *obs);
/* The bulk path (default) or the page-by-page reference path (bulk false): identical
 * state, counters, events and work; the bulk path does less to get there. */
void ks_ksm_set_bulk(struct ks_ksm *ksm, bool bulk);
/* NUMA nodes (processes are placed round-robin by pid). KS_ERANGE outside 1..64. */
int ks_ksm_set_numa(struct ks_ksm *ksm, unsigned nodes);

/* Workload side: each returns 0 or a negative KS_E* (KS_ENOENT unknown pid or unmapped
 * address, KS_EINVAL bad range, KS_EBUSY pid already running). */
int ks_ksm_proc_start(struct ks_ksm *ksm, uint32_t pid);
int ks_ksm_mmap(struct ks_ksm *ksm, uint32_t pid, uint64_t vaddr, uint64_t npages);
int ks_ksm_munmap(struct ks_ksm *ksm, uint32_t pid, uint64_t vaddr, uint64_t npages);
/* A CPU write that leaves the page holding `c` (write fault: COW of KSM/zero pages). */
int ks_ksm_write(struct ks_ksm *ksm, uint32_t pid, uint64_t vaddr, ks_content c);
/* The same for npages pages from vaddr, page i getting (cls, arg + i * step): what
 * ks_ksm_write() of each page in turn would leave, observably identical (the bulk
 * path: a long range may stay pending until a page of it is read or changed, so a
 * rewrite of the same range supersedes it in O(1)). KS_ENOENT if a page is unmapped
 * (the pages before it are written). */
int ks_ksm_write_range(struct ks_ksm *ksm, uint32_t pid, uint64_t vaddr, uint64_t npages,
		       uint32_t cls, uint64_t arg, int64_t step);
int ks_ksm_madvise(struct ks_ksm *ksm, uint32_t pid, uint64_t vaddr, uint64_t npages,
		   bool mergeable);
int ks_ksm_proc_exit(struct ks_ksm *ksm, uint32_t pid);

/* Knobs at run time, with the kernel's rules (KS_EBUSY / KS_EINVAL as sysfs would). */
int ks_ksm_set_run(struct ks_ksm *ksm, unsigned run);
int ks_ksm_set_pages_to_scan(struct ks_ksm *ksm, unsigned n);
/* max_page_sharing (KS_EINVAL below 2) and merge_across_nodes: KS_EBUSY while
 * pages_shared > 0 or a stable node's page is still mapped (stale nodes are dropped). */
int ks_ksm_set_max_page_sharing(struct ks_ksm *ksm, uint64_t n);
int ks_ksm_set_merge_across_nodes(struct ks_ksm *ksm, bool across);
/* A write of `value` to a knob's sysfs file, with the file's range and side effects
 * (advisor_mode resets pages_to_scan): 0, KS_EINVAL or KS_EBUSY; refused = unchanged. */
int ks_ksm_set_knob(struct ks_ksm *ksm, enum ks_knob knob, uint64_t value);

/* ksmd: one batch (ksm_do_scan(pages_to_scan)) at simulated time now; adds its work to
 * *w. Returns false without doing anything when ksmd_should_run() is false. */
bool ks_ksm_scan_batch(struct ks_ksm *ksm, ks_time now, struct ks_work *w);
/* ksmd_should_run(): run has MERGE and some mm is registered. */
bool ks_ksm_should_run(const struct ks_ksm *ksm);
/* Pages mapped in every process (the sum of the VMAs' sizes). */
uint64_t ks_ksm_mapped_pages(const struct ks_ksm *ksm);
/* The sleep ksmd takes after a batch, in ns (msecs_to_jiffies rounding up). */
ks_time ks_ksm_sleep_ns(const struct ks_ksm *ksm);

/* Counters. */
void ks_ksm_stats(const struct ks_ksm *ksm, struct ks_ksm_stats *st);
int ks_ksm_proc_stats(const struct ks_ksm *ksm, uint32_t pid, struct ks_proc_stats *ps);
/* Content currently mapped at an address (KS_ENOENT if none). */
int ks_ksm_read(const struct ks_ksm *ksm, uint32_t pid, uint64_t vaddr, ks_content *c);

/* What backs a mapped virtual page, for pricing a CPU read of it (models/reads.h). A read
 * changes nothing: an untouched page (KS_BACK_NONE) would get ZERO_PAGE(vaddr) from the
 * read fault, which KSM never scans (folio_walk_start() skips the zero page), so the
 * model does not map it. */
enum ks_backing_kind {
	KS_BACK_NONE = 0,  /* in a VMA, never written: the read fault's ZERO_PAGE(vaddr) */
	KS_BACK_PRIVATE,   /* a private anonymous page (mapped at this address only) */
	KS_BACK_KSM,       /* a KSM page; frame = its simulated PFN */
	KS_BACK_ZERO       /* ZERO_PAGE(vaddr) placed by KSM (use_zero_pages) */
};
struct ks_backing {
	enum ks_backing_kind kind;
	uint64_t frame;    /* KS_BACK_KSM: the KSM page's PFN; otherwise 0 */
};
/* KS_ENOENT when no VMA of a running process covers vaddr. Never changes the model (a
 * pending range write is looked through, not applied). */
int ks_ksm_backing(const struct ks_ksm *ksm, uint32_t pid, uint64_t vaddr,
		   struct ks_backing *b);
/* Memory pressure (the world's reclaim into zram). */
/* Physical pages the processes hold: private anonymous pages plus live KSM frames
 * (the zero pages are free). Never fails. */
uint64_t ks_ksm_resident_pages(const struct ks_ksm *ksm);

enum ks_swap_kind { KS_SWAP_ANON = 0, KS_SWAP_KSM };
/* What one swap-out took away. */
struct ks_swap_out {
	enum ks_swap_kind kind;
	ks_content content;    /* the page's bytes */
	uint64_t mappers;      /* PTEs made non-present */
	bool freed;            /* the physical page is free now (KSM: no mapper left) */
	bool referenced;       /* KS_EBUSY: another mapper used the page lately: kept */
};
/* What reclaim hears of a swap-out (any member may be NULL). */
struct ks_swap_hooks {
	void *ctx;
	/* folio_referenced() through another mapper's PTE: true keeps the page */
	bool (*young)(void *ctx, uint32_t pid, uint64_t vaddr);
	/* this PTE is a swap entry now */
	void (*unmapped)(void *ctx, uint32_t pid, uint64_t vaddr);
};
/* shrink_folio_list() of the page mapped at (pid, vaddr). A private page: its one PTE
 * becomes non-present (the caller keeps the swap entry), the page is freed. A KSM page
 * (6.18 algorithm, whose stable nodes list their rmap_items): folio_referenced() asks
 * hk->young of every other mapper first (one says yes: KS_EBUSY, out->referenced, nothing
 * changes); then try_to_unmap() through rmap_walk_ksm() unmaps every mapper (one swap
 * slot for all; hk->unmapped hears of each, the one asked last) and the frame is freed.
 * 0; KS_ENOENT (no page there); KS_EBUSY (a zero page or KSM zero page: never on an LRU,
 * never swapped; a KSM page of the 2009 algorithm: locked in kernel memory until 2.6.33;
 * or referenced). A swapped-out page is non-present to ksmd as to the kernel's scanner. */
int ks_ksm_swap_out(struct ks_ksm *ksm, uint32_t pid, uint64_t vaddr,
		    const struct ks_swap_hooks *hk, struct ks_swap_out *out);
/* do_swap_page() of a read fault: the page at (pid, vaddr), swapped out, is a private page
 * with content c again (a former KSM page too: ksm_might_need_to_copy() gives each mapper
 * its own page; ksmd merges them again). A write fault is ks_ksm_write() of the new
 * content. 0; KS_ENOENT (no VMA); KS_EBUSY (a page is mapped there). */
int ks_ksm_swap_in(struct ks_ksm *ksm, uint32_t pid, uint64_t vaddr, ks_content c);

/* Invariant checker (tests, debug builds): 0, or the number of the first violated
 * invariant (numbered in ksm_ctl.c; 50 and up: ksm2009.c). */
int ks_ksm_check(const struct ks_ksm *ksm);

/* Work accumulation helpers: acc += w, and acc += n * w. */
void ks_work_add(struct ks_work *acc, const struct ks_work *w);
void ks_work_add_n(struct ks_work *acc, const struct ks_work *w, uint64_t n);

#endif
