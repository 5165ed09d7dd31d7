/* ksm_int.h - the KSM model's internal structs and interfaces (shared by models/ksm*.c
 * only), and its design.
 *
 * Design: one struct ks_ksm is one simulated machine. Memory is modelled at PTE level:
 * every mapped 4 KiB virtual page has a 64-bit PTE word whose top two bits say what it
 * maps (see KS_PTE_*): a private anonymous page (the word then holds the page's content
 * descriptor, so a private page costs 8 bytes), a KSM page (the word holds a pointer to
 * its struct ks_kframe), or a zero page placed by KSM. Names follow mm/ksm.c so that the
 * code can be read side by side with the kernel: rmap_item, stable_node, mm_slot, ksm_scan,
 * pages_shared, ...
 *
 * The algorithm that scans the machine is a variant behind struct ks_ksm_algo (below),
 * chosen once by ks_ksm_new() from ksm.algorithm: Linux 6.18, or the 2009 kksmd. Both
 * share the machine: processes, VMAs, PTEs, KSM frames, the mm slot list, the knobs.
 *
 * The files, each in mm/ksm.c's order, function by function:
 *   ksm_mm.c        the memory KSM scans (processes, VMAs, PTEs, KSM frames, object pools)
 *                   and the workload's side: write faults, munmap, madvise, exit
 *   ksm_scan.c      ksmd: the scan-time advisor, mm slots and the scan cursor, rmap_items,
 *                   run=2, smart scan, scan_get_next_rmap_item(), ksm_do_scan(), the batch,
 *                   __ksm_enter()/__ksm_exit()
 *   ksm_stable.c    the stable tree: nodes, chains and dups, stale nodes (the keyhole),
 *                   remove_rmap_item_from_tree(), stable_tree_search/insert/append()
 *   ksm_unstable.c  the unstable tree: unstable_tree_search_insert()
 *   ksm_merge.c     break_cow(), replace_page(), try_to_merge_*(), the zero page,
 *                   cmp_and_merge_page()
 *   ksm_ctl.c       ks_ksm_new()/free() and the table of variants, the sysfs knobs, the
 *                   counters, the invariant checker
 *   ksm2009.c       the 2009 kksmd, a variant of its own (its own items and trees)
 *
 * Linux 6.18, reproduced exactly (same decisions in the same order, hence the same
 * counters after every batch): ksm_do_scan(), scan_get_next_rmap_item(),
 * get_next_rmap_item(), should_skip_rmap_item(), cmp_and_merge_page() (v6.11+ order, and
 * the pre-v6.11 order as a variant), stable_tree_search(), stable_tree_insert(),
 * chain()/chain_prune() and stable_node_dup(), unstable_tree_search_insert(),
 * stable_tree_append(), remove_rmap_item_from_tree(), remove_node_from_stable_tree(), the
 * keyhole check of ksm_get_folio(), try_to_merge_*(), break_cow(),
 * __ksm_enter()/__ksm_exit(), run=2 (unmerge_and_remove_all_rmap_items()),
 * advisor_stop_scan().
 *
 * Deliberately left out: NUMA page migration (migrate_nodes), THP splitting, swap,
 * fork (so forked KSM pages and the max_page_sharing bypass never occur), locking
 * (a batch runs atomically at one simulated instant, so trylock never fails and no page
 * changes while ksmd looks at it; -EBUSY from the stable tree cannot happen), and page
 * pins (write_protect_page() always succeeds). */
#ifndef KS_KSM_INT_H
#define KS_KSM_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ksm.h"
#include "ipool.h"
#include "irbtree.h"
#include "rbtree.h"
#include "models/base/status.h"
#include "models/vocab/content.h"

/* PTE words. */
#define KS_PTE_NONE 0ULL                 /* not present */
#define KS_PTE_TYPE_SHIFT 62
#define KS_PTE_TYPE_MASK (3ULL << KS_PTE_TYPE_SHIFT)
#define KS_PTE_ANON (1ULL << KS_PTE_TYPE_SHIFT)  /* private anon page; low bits: content */
#define KS_PTE_KSM (2ULL << KS_PTE_TYPE_SHIFT)   /* KSM page; low bits: struct ks_kframe * */
#define KS_PTE_ZERO (3ULL << KS_PTE_TYPE_SHIFT)  /* zero page; bit 0: placed by KSM (dirty) */
#define KS_PTE_PAYLOAD(p) ((p) & ~KS_PTE_TYPE_MASK)

/* rmap_item->address low bits, as in mm/ksm.c. */
#define KS_SEQNR_MASK 0x0ffULL
#define KS_UNSTABLE_FLAG 0x100ULL
#define KS_STABLE_FLAG 0x200ULL
#define KS_FLAG_MASK (KS_SEQNR_MASK | KS_UNSTABLE_FLAG | KS_STABLE_FLAG)
#define KS_PAGE_MASK (~(uint64_t)(KS_PAGE_SIZE - 1))

#define KS_STABLE_NODE_CHAIN (-1024)  /* rmap_hlist_len of a chain node */

struct ks_stable_node;
struct ks_mm;
struct ks_ksm_algo;

/* Intrusive hlist (include/linux/list.h hlist_*): newest first. */
struct ks_hnode {
	struct ks_hnode *next;   /* next entry, NULL at the tail */
	struct ks_hnode **pprev; /* link that points at this entry */
};
struct ks_hhead {
	struct ks_hnode *first;  /* newest entry, NULL if empty */
};

/* A KSM page: a write-protected frame shared by rmap_item mappings. */
struct ks_kframe {
	ks_content content;           /* the page's bytes (descriptor) */
	uint32_t mapcount;            /* PTEs mapping it; freed at 0 */
	uint32_t pfn;                 /* simulated PFN, for tracepoints */
	struct ks_stable_node *node;  /* page->mapping: stable node, NULL while being promoted */
	bool live;                    /* false once freed (keyhole check fails) */
	uint16_t nid;                 /* NUMA node of the frame (algorithm 2009, which has
				       * no NUMA: 1 while counted under a stable node) */
	struct ks_kframe *free_next;  /* free list link */
};

/* 64-bit fields of structs packed to 4-byte alignment (x86-64 and arm64 load them at
 * any address): struct ks_rmap_item is 52 bytes, not 56. */
typedef uint64_t ks_u64_a4 __attribute__((aligned(4)));

/* An rmap_item is what the simulator keeps per scanned page (64 Mi of them in
 * bench-64x4g), so every link is a 32-bit index, not a pointer: items live in an indexed
 * pool (ksm->item_pool; the unstable tree is a ks_irb over it), the owner mm is an id,
 * head is an index in ksm->node_pool. Index 0 and mm id 0 are never used (none).
 * The fields an unstable-tree descent reads (node, memo, address, mm_id) come first,
 * in 32 bytes. */
struct ks_rmap_item {
	union {
		struct ks_irb_node node; /* UNSTABLE: node in the unstable tree (indices) */
		struct {                 /* STABLE: listed under a stable node */
			uint32_t head;   /* stable node (index in node_pool); read it
					  * through ks__item_head() */
			uint32_t hnext;  /* next item under head (index; 0: last) */
			uint32_t hprev;  /* previous item (index; 0: first, head->items) */
		};
	};
	ks_u64_a4 memo;                 /* content oldchecksum was computed from, +1 (0: none);
					 * lets the simulator skip recomputing the checksum of
					 * an unchanged page (the work is still counted) */
	ks_u64_a4 address;              /* page address | KS_*_FLAG | seqnr bits */
	uint32_t mm_id;                 /* owner: ksm->mm_by_id[mm_id] (ks__item_mm) */
	uint32_t rmap_list;             /* next in the mm slot's address-sorted list (index) */
	uint32_t oldchecksum;           /* checksum at the previous visit (0 at allocation) */
	uint32_t smemo_gen;             /* bulk path: stable_gen when smemo_work was taken (0:
					 * none); cleared whenever memo changes */
	uint32_t smemo_work;            /* bulk path: the work of the last stable_tree_search()
					 * of content memo - 1 that found nothing (KS_SMEMO_*) */
	uint8_t age;                    /* smart scan: visits, saturating at 255 */
	uint8_t remaining_skips;        /* smart scan: skips left */
	uint16_t nid;                   /* NUMA node of the unstable tree it sits in */
};

/* A stable node (64 bytes). What a descent reads of each node it passes (the links,
 * kword0, rmap_hlist_len, kfit) sits in its first 40 bytes, so a level costs one miss
 * for the node and not a second one for its KSM frame: the frame is read only when the
 * first words compare equal (on 8vms 1.3 M of 41.7 M node compares). kfit and kword0
 * follow the frame wherever it changes (ks__kframe_set_node(), ks__kframe_unmap());
 * ks_ksm_check() holds them to it (invariants 13, 14). */
struct ks_stable_node {
	union {
		struct ks_rb_node node;      /* regular or chain node: in the stable tree */
		struct ks_hnode hlist_dup;   /* dup: linked in its chain's hlist */
	};
	union {
		uint64_t kword0;             /* regular/dup: first 8 bytes of kpage's content
					      * (ks_content_word0), set when linked */
		uint64_t chain_prune_time;   /* chain: jiffies of the last prune */
	};
	int rmap_hlist_len;              /* items listed, or KS_STABLE_NODE_CHAIN */
	bool kfit;                       /* regular/dup: the keyhole of ksm_get_folio() fits:
					  * kpage is live and its node is this one */
	bool is_dup;                     /* kernel: head == STABLE_NODE_DUP_HEAD */
	uint16_t nid;                    /* tree it is linked in */
	uint32_t kpfn;                   /* PFN of kpage when linked (tracepoints) */
	union {
		uint32_t items;          /* regular/dup: first rmap_item (index), newest
					  * first, linked by hnext/hprev */
		struct ks_hhead hlist;   /* chain: its dups */
	};
	struct ks_kframe *kpage;         /* regular/dup: the KSM page (keyhole: check node) */
};

/* page->mapping = sn: kf becomes sn's frame (sn->kpage is kf; NULL: kf has no node any
 * more); the node it had no longer fits its keyhole. */
static inline void ks__kframe_set_node(struct ks_kframe *kf, struct ks_stable_node *sn)
{
	if (kf->node)
		kf->node->kfit = false;
	kf->node = sn;
	if (sn)
		sn->kfit = kf->live;
}

/* A range write not yet applied to the PTE words (ks_ksm_write_range(), the bulk path):
 * page idx of [lo, hi) (indices into the VMA's ptes) holds (cls, arg + (idx - lo) *
 * step). A volatile working set rewritten every 100 ms is rewritten hundreds of times
 * between two visits of ksmd; only the last write is ever seen, so a write replaces the
 * one before it in O(1) instead of rewriting every PTE word.
 * Invariant: the PTE words under a pending write are private anonymous pages (a write
 * over anything else is applied at once), so their type is right and only their
 * content is stale: content readers go through ks__vma_pte(), and whatever changes such
 * a PTE word applies the write to it first (ks__vma_pte_own()). */
struct ks_lazy_write {
	uint64_t lo, hi;      /* page indices in the VMA, lo < hi */
	uint64_t arg;         /* content arg of page lo */
	int64_t step;         /* arg increment per page */
	uint32_t cls;         /* content class */
};

#define KS_LAZY_MAX 16        /* pending writes per VMA; beyond, the smallest is applied */
#define KS_LAZY_MIN_PAGES 64  /* shorter writes are applied at once */

struct ks_vma {
	uint64_t start, end;  /* [start, end) bytes, page aligned */
	bool mergeable;       /* VM_MERGEABLE */
	bool anon_vma;        /* has an anon_vma (some page was ever faulted in) */
	uint64_t *ptes;       /* (end - start) / 4096 PTE words */
	struct ks_lazy_write *lazy; /* pending writes, sorted by lo, disjoint (owned) */
	unsigned nlazy, caplazy;
	uint64_t *ubits;      /* bulk: a bit per page inserted into an unstable tree during
			       * this full scan (owned; NULL: none), see utree_dirty */
};

struct ks_mm_slot {
	struct ks_mm *mm;
	struct ks_mm_slot *prev, *next;   /* circular list through ksm->mm_head */
	uint32_t rmap_list;               /* address-sorted rmap_items (first's index) */
};

struct ks_mm {
	uint32_t pid;
	uint32_t id;                 /* ksm->mm_by_id[id] == this mm (ks_rmap_item.mm_id) */
	bool running;                /* started and not exited */
	bool exiting;                /* ksm_test_exit(): mm_users == 0 */
	unsigned nvmas, capvmas;
	struct ks_vma *vmas;         /* sorted by start, non-overlapping */
	struct ks_mm_slot *slot;     /* registered with KSM (MMF_VM_MERGEABLE) */
	uint16_t nid;                /* NUMA node its pages are allocated on */
	uint64_t ksm_rmap_items;     /* per-process counters, /proc/PID/ksm_stat */
	uint64_t ksm_merging_pages;
	uint64_t ksm_zero_pages;
	struct ks_mm *hash_next;     /* pid hash chain */
};

/* Fixed-size object pool: chunks never move, so pointers stay valid. */
struct ks_pool {
	size_t objsize;      /* bytes per object */
	size_t per_chunk;    /* objects per chunk, at most (the first chunks are smaller:
			      * 256 objects, doubled up to per_chunk) */
	size_t cap;          /* objects in the current chunk */
	size_t used;         /* objects handed out from the current chunk */
	void *free;          /* free list (first word of a free object links the next) */
	void **chunks;       /* all chunks */
	size_t nchunks, capchunks;
	size_t live;         /* objects currently allocated */
};

#define KS_MAX_NUMA 64
#define KS_PID_HASH 1024

struct ks_advisor_ctx {
	uint64_t start_scan_ns;  /* simulated time the current full scan started */
	uint64_t scan_time;      /* seconds, previous evaluation */
	uint64_t change;         /* EWMA of the scan-time change, percent */
	uint64_t cpu_time;       /* ksmd CPU ns at the previous evaluation */
};

struct ks_ksm {
	struct ks_ksm_params p;          /* tunables (pages_to_scan may be set by the advisor) */
	struct ks_content_store *cs;     /* content descriptors -> bytes */
	uint32_t zero_checksum;          /* checksum of the zero page */
	/* mm slots and the scan cursor (struct ksm_scan) */
	struct ks_mm_slot mm_head;       /* list sentinel */
	struct ks_mm_slot *scan_slot;    /* ksm_scan.mm_slot */
	uint64_t scan_address;           /* ksm_scan.address */
	uint32_t *scan_rmap_list;        /* ksm_scan.rmap_list (a link: slot's or item's) */
	uint64_t seqnr;                  /* ksm_scan.seqnr = full_scans */
	unsigned run;                    /* ksm_run */
	uint64_t mapped_pages;           /* pages in every VMA of every mm (not a kernel
					  * counter: the engine's memory bound) */
	/* trees */
	struct ks_rb_root root_stable_tree[KS_MAX_NUMA];
	struct ks_irb_root root_unstable_tree[KS_MAX_NUMA]; /* of rmap_items (utree) */
	struct ks_irb utree;             /* where the unstable trees' nodes are */
	unsigned nr_node_ids;            /* trees in use: 1, or numa_nodes without merge_across_nodes */
	unsigned numa_nodes;             /* NUMA nodes of the machine */
	/* counters (kernel names) */
	uint64_t pages_shared, pages_sharing, pages_unshared, rmap_items;
	uint64_t pages_scanned, pages_skipped;
	uint64_t stable_node_chains, stable_node_dups;
	uint64_t ksm_zero_pages, cow_ksm;
	uint64_t nr_anon;                /* PTEs mapping a private anonymous page: with the
					  * live KSM frames (frame_pool.live), the resident
					  * pages (ks_ksm_resident_pages) */
	/* processes */
	struct ks_mm *pid_hash[KS_PID_HASH];
	struct ks_mm **mm_by_id;         /* mm by its id (index 0 unused; NULL: free id) */
	uint32_t *free_mm_ids;           /* ids of freed mms, reused last in first out */
	uint32_t n_mm_ids, cap_mm_ids;   /* ids handed out (0 included), entries of mm_by_id */
	uint32_t n_free_mm_ids;
	/* allocation */
	struct ks_ipool item_pool;       /* struct ks_rmap_item */
	struct ks_ipool node_pool;       /* struct ks_stable_node (rmap_item.head is an index) */
	struct ks_pool frame_pool;
	uint32_t next_pfn;               /* simulated PFNs for KSM frames */
	/* time */
	uint64_t now_ns;                 /* start of the current batch */
	uint64_t jiffies;                /* now in jiffies (for chain pruning) */
	struct ks_advisor_ctx advisor;
	/* observation */
	struct ks_ksm_observer obs;
	struct ks_work *batch_work;      /* work of the current batch (accumulated) */
	struct ks_work page_work;        /* work of the current cmp_and_merge_page */
	uint32_t last_kpfn;              /* pfn + 1 of the KSM page the batch's last KSM-page
					  * rescan saw (0: none yet this batch; ksm_pages_cold) */
	bool bulk;                       /* the bulk path (ks_ksm_set_bulk) */
	uint32_t stable_gen;             /* bulk: bumped by every change of the stable trees, of
					  * a stable node, of a KSM frame's life, and by every
					  * knob write (ks__stable_changed) */
	bool smemo_off;                  /* bulk: stable_gen wrapped; no more search memos */
	bool utree_dirty;                /* bulk: since this full scan started, a page of an
					  * unstable tree may have changed under its item (a write
					  * to a page marked in ubits, munmap, madvise, exit, a
					  * knob). While false, every item in the unstable trees
					  * maps a mergeable page with the content its memo holds,
					  * so a descent reads contents from the items. Whatever
					  * changes PTE words outside ksmd (ksm_mm.c: writes,
					  * munmap, madvise, exit, and reclaim's swap-out and
					  * swap-in) calls utree_touch() or utree_forget() first. */
	struct ks_work run_work;         /* bulk: work of each page of the run not yet told */
	enum ks_page_kind run_kind;      /* ... their kind */
	uint64_t run_n;                  /* ... and how many (0: none) */
	/* the algorithm (ksm.algorithm), chosen once by ks_ksm_new() */
	const struct ks_ksm_algo *algo;
	void *algo_data;                 /* its own state (its init()), or NULL */
};

/* ---- the algorithm variants ----
 *
 * struct ks_ksm above is the machine: processes, VMAs and PTEs, KSM frames, the mm
 * slot list, the knobs, the observer. The algorithm that scans it is a variant behind
 * this table: Linux 6.18 (ksm_scan.c, ksm_stable.c, ksm_unstable.c, ksm_merge.c; its
 * table in ksm_ctl.c) and the 2009 kksmd (ksm2009.c). ks_ksm_new() picks one from
 * p->algorithm and nothing else asks which it is: a further variant (a proposed kernel
 * change, say) is a new file that defines one of these, plus one entry in ksm_ctl.c's
 * table. */
struct ks_ksm_algo {
	/* Sets up ksm->algo_data (called last in ks_ksm_new); NULL: no state of its own. */
	void (*init)(struct ks_ksm *ksm);
	/* Frees it (ks_ksm_free, before the pools go); NULL: nothing to free. */
	void (*free)(struct ks_ksm *ksm);
	/* One batch of ksmd (ksm_do_scan(pages_to_scan)). ks_ksm_scan_batch() has checked
	 * ksmd_should_run(), set now_ns and batch_work and zeroed page_work; it adds what
	 * is left in page_work to the batch afterwards. Per page: ks__page_done(). */
	void (*scan_batch)(struct ks_ksm *ksm);
	/* __ksm_exit(): the exiting mm (mm->slot set) lets go of KSM; the EXIT tracepoint
	 * follows. */
	void (*mm_exit)(struct ks_ksm *ksm, struct ks_mm *mm);
	/* run=2: unmerge_and_remove_all_rmap_items(); NULL: run=2 is refused (KS_EINVAL). */
	void (*unmerge_all)(struct ks_ksm *ksm);
	/* The /sys/kernel/mm/ksm counters. */
	void (*stats)(const struct ks_ksm *ksm, struct ks_ksm_stats *st);
	/* Every invariant of the variant's state: 0 or the number of the first violated. */
	int (*check)(const struct ks_ksm *ksm);
	/* A PTE mapping kf goes away, before its mapcount-- (ks__kframe_unmap); NULL: no
	 * hook. */
	void (*kframe_unmap)(struct ks_ksm *ksm, struct ks_kframe *kf);
	/* The stable node of a KSM frame lists every rmap_item mapping it (swap-out of a
	 * KSM page unmaps them all, as rmap_walk_ksm() does); false: KSM pages are not
	 * swappable (2009: locked in kernel memory, as before 2.6.33). */
	bool rmap_walk;
	/* Reads page contents through ks__vma_pte() and changes PTE words only after
	 * ks__vma_pte_own(), so range writes may stay pending (struct ks_lazy_write);
	 * false: ks_ksm_write_range() applies every write at once. */
	bool lazy_writes;
};

extern const struct ks_ksm_algo ks__algo_2009; /* ksm2009.c */


/* ---- helpers shared by the ksm*.c files (internal, ks__ prefix) ---- */

static inline void ks__hlist_add_head(struct ks_hnode *n, struct ks_hhead *h)
{
	n->next = h->first;
	if (h->first)
		h->first->pprev = &n->next;
	h->first = n;
	n->pprev = &h->first;
}

static inline void ks__hlist_del(struct ks_hnode *n)
{
	*n->pprev = n->next;
	if (n->next)
		n->next->pprev = n->pprev;
	n->next = NULL;
	n->pprev = NULL;
}

static inline unsigned ks__pte_type(uint64_t pte) { return (unsigned)(pte >> KS_PTE_TYPE_SHIFT); }
static inline bool ks__pte_is_ksm(uint64_t pte) { return (pte & KS_PTE_TYPE_MASK) == KS_PTE_KSM; }
static inline bool ks__pte_is_anon(uint64_t pte) { return (pte & KS_PTE_TYPE_MASK) == KS_PTE_ANON; }
static inline bool ks__pte_is_ksm_zero(uint64_t pte) { return pte == (KS_PTE_ZERO | 1); }
static inline struct ks_kframe *ks__pte_kframe(uint64_t pte)
{
	return (struct ks_kframe *)(uintptr_t)KS_PTE_PAYLOAD(pte);
}

/* memcmp_pages(): memcmp() order of two pages, counting the call and the bytes read
 * (up to the first difference, or the whole page when equal) as work. */
static inline int ks__memcmp_pages(struct ks_ksm *ksm, ks_content a, ks_content b)
{
	unsigned off;
	int r = ks_content_cmp(ksm->cs, a, b, &off);

	ksm->page_work.cmps++;
	ksm->page_work.cmp_bytes += off < KS_PAGE_SIZE ? off + 1 : KS_PAGE_SIZE;
	return r;
}

/* memcmp_pages() of two pages whose first words wa != wb differ (ks_content_word0):
 * decided there, the same work counted. */
static inline int ks__memcmp_word0(struct ks_ksm *ksm, uint64_t wa, uint64_t wb)
{
	unsigned off;
	int r = ks_content_word0_cmp(wa, wb, &off);

	ksm->page_work.cmps++;
	ksm->page_work.cmp_bytes += off + 1;
	return r;
}

/* Tells the observer of the pages not told yet, adds their work to the batch. Called
 * before anything that lets the observer see the time (events, the advisor's clock). */
static inline void ks__pages_flush(struct ks_ksm *ksm)
{
	if (!ksm->run_n)
		return;
	if (ksm->obs.page_done)
		ksm->obs.page_done(ksm->obs.self, ksm->run_kind, &ksm->run_work, ksm->run_n);
	if (ksm->batch_work)
		ks_work_add_n(ksm->batch_work, &ksm->run_work, ksm->run_n);
	ksm->run_n = 0;
}

/* End of one page of a batch: its work joins the run of identical pages before it
 * (bulk path), or starts a new one; the page-by-page path tells every page at once. */
static inline void ks__page_done(struct ks_ksm *ksm, enum ks_page_kind kind)
{
	if (ksm->run_n && kind == ksm->run_kind &&
	    !memcmp(&ksm->run_work, &ksm->page_work, sizeof(ksm->page_work))) {
		ksm->run_n++;
	} else {
		ks__pages_flush(ksm);
		ksm->run_work = ksm->page_work;
		ksm->run_kind = kind;
		ksm->run_n = 1;
		if (!ksm->bulk)
			ks__pages_flush(ksm);
	}
	memset(&ksm->page_work, 0, sizeof(ksm->page_work));
}

/* Bulk path only: n pages of one kind, each with the work *w, told as one run (as n
 * calls of ks__page_done() with that work would). page_work must be empty (no work of
 * a page in progress). */
static inline void ks__pages_done_n(struct ks_ksm *ksm, enum ks_page_kind kind,
				    const struct ks_work *w, uint64_t n)
{
	if (ksm->run_n && kind == ksm->run_kind &&
	    !memcmp(&ksm->run_work, w, sizeof(*w))) {
		ksm->run_n += n;
	} else {
		ks__pages_flush(ksm);
		ksm->run_work = *w;
		ksm->run_kind = kind;
		ksm->run_n = n;
	}
}

/* The stable-tree search memo of the bulk path (ks_rmap_item.smemo_work): a search of
 * an unchanged page's content through regular nodes only (no chain), that found
 * nothing and changed nothing, does the same work again as long as stable_gen has not
 * moved: its descent visits the same live nodes and compares the same bytes. */
#define KS_SMEMO_VISITS_BITS 8   /* nodes visited (= memcmp_pages calls) */
#define KS_SMEMO_WALKS_BITS 1    /* descents from the root (0 or 1) */
#define KS_SMEMO_BYTES_BITS 23   /* bytes compared (<= visits * 4096) */

/* Something the stable tree search depends on changed. */
static inline void ks__stable_changed(struct ks_ksm *ksm)
{
	if (++ksm->stable_gen == 0)
		ksm->smemo_off = true; /* a memo could meet its generation again */
}

/* The rmap_item at index idx (not 0), and its owner. */
static inline struct ks_rmap_item *ks__item(const struct ks_ksm *ksm, uint32_t idx)
{
	return (struct ks_rmap_item *)ks_ipool_ptr(&ksm->item_pool, idx);
}

/* The index of an rmap_item held by its address. */
static inline uint32_t ks__item_idx(const struct ks_ksm *ksm, const struct ks_rmap_item *item)
{
	return ks_ipool_index(&ksm->item_pool, item);
}

/* The stable node at index idx of node_pool (0: NULL), and a node's index. */
static inline struct ks_stable_node *ks__node(const struct ks_ksm *ksm, uint32_t idx)
{
	return idx ? (struct ks_stable_node *)ks_ipool_ptr(&ksm->node_pool, idx) : NULL;
}

static inline uint32_t ks__node_idx(const struct ks_ksm *ksm, const struct ks_stable_node *sn)
{
	return ks_ipool_index(&ksm->node_pool, sn);
}

/* rmap_item->head as mm/ksm.c reads it, also where it does so without testing
 * STABLE_FLAG: the stable node the item is (or was last) listed under; while the
 * union holds the unstable tree's links (UNSTABLE_FLAG) it never equals a node. An
 * item leaving the unstable tree gets head 0 (ks__remove_rmap_item_from_tree). */
static inline struct ks_stable_node *ks__item_head(const struct ks_ksm *ksm,
						   const struct ks_rmap_item *item)
{
	return (item->address & KS_UNSTABLE_FLAG) ? NULL : ks__node(ksm, item->head);
}

/* hlist_add_head(&item->hlist, &sn->hlist): item idx (at item) listed first under sn. */
static inline void ks__item_list_add(struct ks_ksm *ksm, uint32_t idx,
				     struct ks_rmap_item *item, struct ks_stable_node *sn)
{
	item->hnext = sn->items;
	item->hprev = 0;
	if (sn->items)
		ks__item(ksm, sn->items)->hprev = idx;
	sn->items = idx;
}

/* hlist_del(&item->hlist): item leaves the list of item->head. */
static inline void ks__item_list_del(struct ks_ksm *ksm, struct ks_rmap_item *item)
{
	if (item->hprev)
		ks__item(ksm, item->hprev)->hnext = item->hnext;
	else
		ks__node(ksm, item->head)->items = item->hnext;
	if (item->hnext)
		ks__item(ksm, item->hnext)->hprev = item->hprev;
	item->hnext = 0;
	item->hprev = 0;
}

static inline struct ks_mm *ks__item_mm(const struct ks_ksm *ksm, const struct ks_rmap_item *item)
{
	return ksm->mm_by_id[item->mm_id];
}

/* ksm_mm.c */
void ks__pool_init(struct ks_pool *p, size_t objsize, size_t per_chunk);
void *ks__pool_alloc(struct ks_pool *p);         /* zeroed; aborts on OOM */
void ks__pool_free(struct ks_pool *p, void *obj);
void ks__pool_fini(struct ks_pool *p);
struct ks_mm *ks__find_mm(const struct ks_ksm *ksm, uint32_t pid);
struct ks_vma *ks__find_vma(const struct ks_mm *mm, uint64_t addr);
struct ks_vma *ks__find_mergeable_vma(const struct ks_mm *mm, uint64_t addr);
struct ks_kframe *ks__kframe_new(struct ks_ksm *ksm, ks_content c, uint16_t nid);
void ks__kframe_unmap(struct ks_ksm *ksm, struct ks_kframe *kf); /* mapcount--, free at 0 */
void ks__zero_pte_gone(struct ks_ksm *ksm, struct ks_mm *mm);    /* a KSM zero PTE went away */
int ks__break_ksm(struct ks_ksm *ksm, struct ks_mm *mm, struct ks_vma *vma, uint64_t addr);
void ks__emit(struct ks_ksm *ksm, const struct ks_ksm_event *ev);
/* A tracepoint about an rmap_item (pid and address from the item, if given). */
void ks__emit_item(struct ks_ksm *ksm, enum ks_ksm_event_type type,
		   const struct ks_rmap_item *item, uint64_t pfn, bool to_ksm, int err);
ks_content ks__pte_content(uint64_t pte);
void ks__mm_free(struct ks_ksm *ksm, struct ks_mm *mm);
/* Pending range writes (struct ks_lazy_write). */
uint64_t ks__lazy_pte(const struct ks_vma *v, uint64_t idx);
uint64_t *ks__lazy_own(struct ks_vma *v, uint64_t idx);
void ks__lazy_flush_vma(struct ks_vma *v); /* applies every pending write, frees them */

/* The unstable trees' page marks (struct ks_vma.ubits, ks_ksm.utree_dirty). */
void ks__utree_mark(struct ks_vma *v, uint64_t idx); /* page idx of v was inserted */
void ks__utree_reset(struct ks_ksm *ksm);            /* a full scan starts */

/* The PTE word of page idx of v as the page is now (pending writes included). */
static inline uint64_t ks__vma_pte(const struct ks_vma *v, uint64_t idx)
{
	return v->nlazy ? ks__lazy_pte(v, idx) : v->ptes[idx];
}

/* The PTE word of page idx of v, up to date, for a change. */
static inline uint64_t *ks__vma_pte_own(struct ks_vma *v, uint64_t idx)
{
	return v->nlazy ? ks__lazy_own(v, idx) : &v->ptes[idx];
}

/* ---- Linux 6.18 (ksm_scan.c, ksm_stable.c, ksm_unstable.c, ksm_merge.c) ---- */

/* msecs_to_jiffies() at the machine's HZ: rounds up, as the kernel does for HZ that do
 * not divide 1000. */
static inline uint64_t ks__msecs_to_jiffies(const struct ks_ksm *ksm, uint64_t ms)
{
	return ks_msecs_to_jiffies(ksm->p.hz, ms);
}

/* A page as ksmd holds it: where it is mapped. */
struct ks_page_ref {
	struct ks_mm *mm;
	struct ks_vma *vma;
	uint64_t addr;   /* page address */
	uint64_t *pte;   /* its PTE word */
};

static inline ks_content ks__page_content(const struct ks_page_ref *pg)
{
	return ks__pte_content(ks__vma_pte(pg->vma, (uint64_t)(pg->pte - pg->vma->ptes)));
}

/* The page's PTE word, up to date, before ksmd changes it. */
static inline uint64_t *ks__page_own(const struct ks_page_ref *pg)
{
	return ks__vma_pte_own(pg->vma, (uint64_t)(pg->pte - pg->vma->ptes));
}

/* The KSM frame the page is, or NULL for an ordinary anonymous page. */
static inline struct ks_kframe *ks__page_kframe(const struct ks_page_ref *pg)
{
	return ks__pte_is_ksm(*pg->pte) ? ks__pte_kframe(*pg->pte) : NULL;
}

/* get_kpfn_nid(): the tree (NUMA node) the page belongs in. */
static inline uint16_t ks__page_nid(const struct ks_ksm *ksm, const struct ks_page_ref *pg)
{
	struct ks_kframe *kf = ks__page_kframe(pg);

	if (ksm->p.merge_across_nodes)
		return 0;
	return kf ? kf->nid : pg->mm->nid;
}

/* ksm_scan.c */
int ks__ksm_enter(struct ks_ksm *ksm, struct ks_mm *mm);     /* both variants */
void ks__ksm_exit(struct ks_ksm *ksm, struct ks_mm *mm);     /* both: mm_exit + tracepoint */
void ks__ksm_do_scan(struct ks_ksm *ksm);                    /* 6.18's scan_batch */
void ks__ksm_exit_slot(struct ks_ksm *ksm, struct ks_mm *mm); /* 6.18's mm_exit */
void ks__unmerge_and_remove_all_rmap_items(struct ks_ksm *ksm); /* 6.18's unmerge_all */

/* ksm_stable.c */
void ks__remove_rmap_item_from_tree(struct ks_ksm *ksm, struct ks_rmap_item *item);
bool ks__remove_all_stable_nodes(struct ks_ksm *ksm); /* true: EBUSY, a page still mapped */
struct ks_kframe *ks__stable_tree_search(struct ks_ksm *ksm, struct ks_page_ref *pg);
struct ks_stable_node *ks__stable_tree_insert(struct ks_ksm *ksm, struct ks_kframe *kpage);
void ks__stable_tree_append(struct ks_ksm *ksm, struct ks_rmap_item *item,
			    struct ks_stable_node *sn);

/* ksm_unstable.c */
struct ks_rmap_item *ks__unstable_tree_search_insert(struct ks_ksm *ksm,
						     struct ks_rmap_item *item,
						     struct ks_page_ref *pg,
						     struct ks_page_ref *t_pg);
void ks__retire_unstable_trees(struct ks_ksm *ksm, unsigned from, unsigned to);

/* ksm_merge.c */
void ks__cmp_and_merge_page(struct ks_ksm *ksm, struct ks_page_ref *pg,
			    struct ks_rmap_item *item);

#endif
