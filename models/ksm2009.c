/* ksm2009.c - the KSM of spring 2009 (kksmd of Izik Eidus' "[PATCH 4/4] add ksm kernel
 * shared memory driver", Mar 30 2009, as re-posted by Chris Wright on Apr 2 2009 with
 * the madvise/sysfs interface): the algorithm Andrea Arcangeli's benchmark of Mar 31
 * 2009 measured. Selected by ksm.algorithm: 2009 (docs/ksm-behaviour.md 8.2).
 *
 * Reproduced, function by function (same decisions in the same order):
 * - ksm_scan_start(): scan_update_old_index() puts a lost cursor on page 0 of the first
 *   slot; every step first advances the cursor (scan_get_next_index()), so that page is
 *   skipped; a batch visits pages_to_scan positions, wrapping past the end of the slot
 *   list (reset of the unstable tree) without stopping, and advances once more at its
 *   end: one page per batch is never looked at. A position whose PTE is not present is
 *   skipped but counts; a page that is not anonymous (a KSM page) is not handed to
 *   cmp_and_merge_page().
 * - cmp_and_merge_page(): get_rmap_item() in the global hash (totalram_pages/10 buckets
 *   of the 4 GiB benchmark machine, key = address mod size); update_tree(): an item left
 *   from the unstable tree frees its tree_item AND itself (so a stable page is inserted
 *   into the unstable tree only every second pass, and its checksum is recomputed every
 *   pass); a stable item whose page is anonymous again (zapped) is removed and the page
 *   waits; then the stable tree (each level finds a live mapping of the node's page by
 *   walking the node's rmap list, is_zapped_item() = is_present_pte() +
 *   get_user_pages() per candidate, zapped candidates removed); then the checksum (only
 *   for a page that had an item); then the unstable tree (search always, insert only with
 *   an item; a level whose page is not present aborts); merging a page with an unstable
 *   match allocates a new page, copies, maps both pages to it, moves the tree_item to the
 *   stable tree (stable_tree_insert() walk); a new item is created (with its checksum)
 *   only for a page that had none and did not wait.
 * - The quirks of that code: stable_tree_search() gives up at a node whose rmap list
 *   has no live mapping; removing a stable item that has a predecessor makes the
 *   predecessor the node's list entry point; the scanned page of an unstable merge keeps
 *   no stable rmap_item; ksm_pages_shared counts successful merges.
 *
 * Not the 2009 code, but needed by the simulator's workload: a process exit drops the
 * mm's slot and rmap items at once (the 2009 prototype held the mm forever); if the cursor
 * was in that slot it restarts at page 0 of the first slot, as scan_update_old_index()
 * does. A slot is an mm (registration order) scanned over its mergeable VMAs in address
 * order; unmapped holes are not positions. run=2 is refused (no unmerge in 2009).
 * As in the Linux 6.18 model a batch runs at one simulated instant, so no page changes
 * while kksmd looks at it and trylock/page_wrprotect never fail.
 *
 * Counters, onto the modern names: pages_shared = KSM pages of stable-tree nodes (with a
 * mapping), pages_sharing = their mappings beyond the first, pages_unshared = items in
 * the current pass's unstable tree, pages_volatile = rmap items in neither tree,
 * full_scans = cursor wraps, pages_scanned = pages handed to cmp_and_merge_page(). */
#include <stdlib.h>
#include <string.h>

#include "ksm_int.h"
#include "models/base/xalloc.h"

#define K9_HASH_BUCKETS 104857u /* totalram_pages / 10 on the 4 GiB benchmark machine */
#define K9_PG ((uint64_t)KS_PAGE_SIZE)
#define K9_NONE UINT64_MAX

enum k9_tree_state { K9_FREE_TREE = 0, K9_UNSTABLE, K9_STABLE };

struct k9_tree;

/* struct rmap_item of 2009: one per (mm, address) that kksmd has looked at. */
struct k9_item {
	struct k9_item *hnext;          /* rmap hash chain (hlist, newest first) */
	struct ks_mm *mm;               /* owner */
	uint64_t address;               /* page address */
	uint32_t oldchecksum;           /* checksum at creation or at the last visit */
	ks_content memo;                /* content oldchecksum was computed from, +1 (0: none) */
	bool stable_tree;               /* listed under a stable-tree node */
	struct k9_tree *tree_item;      /* its tree_item (stable or unstable), or NULL */
	struct k9_item *next, *prev;    /* stable: the node's rmap list */
};

/* struct tree_item of 2009: a node of either tree. */
struct k9_tree {
	struct ks_rb_node node;         /* in root_stable_tree or root_unstable_tree */
	struct k9_item *rmap_item;      /* where the node's rmap list walk starts */
	enum k9_tree_state state;       /* simulator: which tree it was last linked in */
	uint64_t pass;                  /* simulator: unstable: the pass it was inserted in */
	struct ks_kframe *kpage;        /* simulator: the KSM page created with the node */
	uint32_t kpfn;                  /* simulator: its PFN (a freed frame's PFN differs) */
};

struct ks_k2009 {
	struct k9_item **hash;          /* K9_HASH_BUCKETS chains */
	struct ks_pool item_pool;       /* struct k9_item */
	struct ks_pool tree_pool;       /* struct k9_tree */
	struct ks_rb_root stable;       /* root_stable_tree */
	struct ks_rb_root unstable;     /* root_unstable_tree */
	struct ks_mm_slot *slot;        /* cursor: slot (NULL: lost, see update_old_index) */
	uint64_t addr;                  /* cursor: page address in the slot's mm */
	uint64_t pass;                  /* wraps so far (full_scans) */
	bool started;                   /* the first START_SCAN event was sent */
	uint64_t pages_scanned;         /* pages handed to cmp_and_merge_page */
	uint64_t ksm_pages_shared;      /* 2009's own counter: successful merges */
	uint64_t stable_nodes;          /* tree_items in the stable tree */
	uint64_t stable_items;          /* rmap_items listed under stable nodes */
	uint64_t unstable_items;        /* tree_items in the current unstable tree */
	uint64_t node_pages;            /* KSM pages of stable nodes (frames with nid 1) */
	uint64_t node_mappings;         /* their mapcounts summed */
};

/* ---- state ---- */

/* The variant's state, ksm->algo_data. */
static inline struct ks_k2009 *k2009(const struct ks_ksm *ksm)
{
	return ksm->algo_data;
}

static void k2009_init(struct ks_ksm *ksm)
{
	struct ks_k2009 *k = ks_xcalloc(1, sizeof(*k));

	k->hash = ks_xcalloc(K9_HASH_BUCKETS, sizeof(*k->hash));
	ks__pool_init(&k->item_pool, sizeof(struct k9_item), 65536);
	ks__pool_init(&k->tree_pool, sizeof(struct k9_tree), 65536);
	k->stable = KS_RB_ROOT;
	k->unstable = KS_RB_ROOT;
	ksm->algo_data = k;
}

static void k2009_free(struct ks_ksm *ksm)
{
	struct ks_k2009 *k = k2009(ksm);

	ks__pool_fini(&k->item_pool);
	ks__pool_fini(&k->tree_pool);
	free(k->hash);
	free(k);
	ksm->algo_data = NULL;
}

/* ---- pages by address ---- */

/* The PTE word mapping (mm, addr), or NULL when no VMA covers it. */
static uint64_t *pte_of(struct ks_mm *mm, uint64_t addr)
{
	struct ks_vma *v = mm->exiting ? NULL : ks__find_vma(mm, addr);

	return v ? &v->ptes[(addr - v->start) / K9_PG] : NULL;
}

/* is_zapped_item(): false (with the PTE) when the address still maps a KSM page. */
static bool is_zapped(struct ks_ksm *ksm, const struct k9_item *it, uint64_t **ptep)
{
	uint64_t *pte = pte_of(it->mm, it->address);

	ksm->page_work.gup_lookups++;
	ksm->page_work.walk_entries++; /* is_present_pte() before get_user_pages() */
	if (!pte || !ks__pte_is_ksm(*pte))
		return true;
	*ptep = pte;
	return false;
}

static uint32_t calc_checksum(struct ks_ksm *ksm, struct k9_item *it, ks_content c)
{
	ksm->page_work.checksums++;
	if (it && it->memo == c + 1)
		return it->oldchecksum;
	if (it)
		it->memo = c + 1;
	return ks_content_checksum(ksm->cs, c, (enum ks_checksum_alg)ksm->p.checksum);
}

/* ---- rmap items and tree items ---- */

static struct k9_item **bucket(struct ks_k2009 *k, uint64_t addr)
{
	return &k->hash[addr % K9_HASH_BUCKETS];
}

/* get_rmap_item(): each chain entry looked at is one walk entry. */
static struct k9_item *get_rmap_item(struct ks_ksm *ksm, struct ks_mm *mm, uint64_t addr)
{
	struct k9_item *it;

	ksm->page_work.walk_entries++;
	for (it = *bucket(k2009(ksm), addr); it; it = it->hnext) {
		ksm->page_work.walk_entries++;
		if (it->mm == mm && it->address == addr)
			return it;
	}
	return NULL;
}

static struct k9_item *create_new_rmap_item(struct ks_ksm *ksm, struct ks_mm *mm,
					    uint64_t addr, uint32_t checksum, ks_content memo)
{
	struct ks_k2009 *k = k2009(ksm);
	struct k9_item *it = ks__pool_alloc(&k->item_pool);
	struct k9_item **b = bucket(k, addr);

	it->mm = mm;
	it->address = addr;
	it->oldchecksum = checksum;
	it->memo = memo;
	it->hnext = *b;
	*b = it;
	mm->ksm_rmap_items++;
	ksm->page_work.items_alloc++;
	return it;
}

static void free_tree_item(struct ks_ksm *ksm, struct k9_tree *t)
{
	ksm->page_work.items_freed++;
	ks__pool_free(&k2009(ksm)->tree_pool, t);
}

static bool in_current_unstable(const struct ks_k2009 *k, const struct k9_tree *t)
{
	return t->state == K9_UNSTABLE && t->pass == k->pass;
}

/* The KSM page of a stable node, if it still exists (a freed frame is reused with a
 * new PFN). */
static struct ks_kframe *node_kpage(const struct k9_tree *t)
{
	return t->kpage && t->kpage->live && t->kpage->pfn == t->kpfn ? t->kpage : NULL;
}

/* pages_shared / pages_sharing bookkeeping: a stable node's KSM page is counted (nid 1)
 * from the node's insertion until the node leaves the tree or the page is freed. */
static void count_node_page(struct ks_k2009 *k, struct ks_kframe *kf, bool on)
{
	if (!kf || (kf->nid == 1) == on)
		return;
	kf->nid = on ? 1 : 0;
	if (on) {
		k->node_pages++;
		k->node_mappings += kf->mapcount;
	} else {
		k->node_pages--;
		k->node_mappings -= kf->mapcount;
	}
}

static void k2009_kframe_unmap(struct ks_ksm *ksm, struct ks_kframe *kf)
{
	struct ks_k2009 *k = k2009(ksm);

	if (kf->nid != 1)
		return;
	k->node_mappings--;
	if (kf->mapcount == 1) {
		k->node_pages--;
		kf->nid = 0;
	}
}

/* remove_rmap_item_from_tree(): unlinks the item from its tree AND frees it. */
static void remove_rmap_item(struct ks_ksm *ksm, struct k9_item *it)
{
	struct ks_k2009 *k = k2009(ksm);
	struct k9_tree *t = it->tree_item;
	struct k9_item **link;

	it->tree_item = NULL;
	if (it->stable_tree) {
		if (it->prev)
			it->prev->next = it->next;
		if (it->next)
			it->next->prev = it->prev;
		k->stable_items--;
		it->mm->ksm_merging_pages--;
		if (t && !it->next && !it->prev) {
			count_node_page(k, node_kpage(t), false);
			ks_rb_erase(&t->node, &k->stable);
			k->stable_nodes--;
			ksm->page_work.stale_nodes++;
			free_tree_item(ksm, t);
		} else if (t && !it->prev) {
			t->rmap_item = it->next;
		} else if (t) {
			t->rmap_item = it->prev; /* sic: the predecessor, not the list head */
		}
	} else if (t) {
		/* Still in this pass's unstable tree only if revisited within one pass
		 * (after an exit moved the cursor back); 2009 would free it in place. */
		if (in_current_unstable(k, t)) {
			ks_rb_erase(&t->node, &k->unstable);
			k->unstable_items--;
		}
		free_tree_item(ksm, t);
	}
	for (link = bucket(k, it->address); *link != it; link = &(*link)->hnext)
		;
	*link = it->hnext;
	it->mm->ksm_rmap_items--;
	ksm->page_work.items_freed++;
	ks__pool_free(&k->item_pool, it);
}

/* The first candidate of a node's rmap list (skipping `self`) that still maps a KSM
 * page; zapped candidates are removed on the way. NULL if none is left. */
static struct k9_item *live_candidate(struct ks_ksm *ksm, struct k9_tree *t,
				      const struct k9_item *self, uint64_t **ptep)
{
	struct k9_item *c = t->rmap_item;

	while (c) {
		struct k9_item *next = c->next;

		if (self && c->mm == self->mm && c->address == self->address) {
			c = next;
			continue;
		}
		if (!is_zapped(ksm, c, ptep))
			return c;
		remove_rmap_item(ksm, c);
		c = next;
	}
	return NULL;
}

/* ---- the trees ---- */

static struct k9_item *stable_tree_search(struct ks_ksm *ksm, ks_content c,
					  const struct k9_item *self, uint64_t **ptep)
{
	struct ks_rb_node *node = k2009(ksm)->stable.node;

	while (node) {
		struct k9_tree *t = ks_rb_entry(node, struct k9_tree, node);
		struct k9_item *found;
		int ret;

		ksm->page_work.stable_visits++;
		found = live_candidate(ksm, t, self, ptep);
		if (!found)
			return NULL; /* out_didnt_find, even if the node had siblings */
		ret = ks__memcmp_pages(ksm, c, ks__pte_content(**ptep));
		if (ret < 0)
			node = node->left;
		else if (ret > 0)
			node = node->right;
		else
			return found;
	}
	return NULL;
}

/* stable_tree_insert(): links t (whose list is just `it`); false if an equal page is
 * already there or a level has no live mapping. */
static bool stable_tree_insert(struct ks_ksm *ksm, ks_content c, struct k9_tree *t,
			       struct k9_item *it)
{
	struct ks_k2009 *k = k2009(ksm);
	struct ks_rb_node **link = &k->stable.node, *parent = NULL;

	while (*link) {
		struct k9_tree *t2 = ks_rb_entry(*link, struct k9_tree, node);
		uint64_t *pte;
		int ret;

		ksm->page_work.stable_visits++;
		if (!live_candidate(ksm, t2, it, &pte))
			return false;
		ret = ks__memcmp_pages(ksm, c, ks__pte_content(*pte));
		parent = *link;
		if (ret < 0)
			link = &parent->left;
		else if (ret > 0)
			link = &parent->right;
		else
			return false;
	}
	ks_rb_link_node(&t->node, parent, link);
	ks_rb_insert_color(&t->node, &k->stable);
	t->state = K9_STABLE;
	t->rmap_item = it;
	it->stable_tree = true;
	it->tree_item = t;
	it->next = it->prev = NULL;
	it->mm->ksm_merging_pages++;
	k->stable_nodes++;
	k->stable_items++;
	ksm->page_work.stable_inserts++;
	return true;
}

/* unstable_tree_search_insert(): the matching tree_item, or NULL (then inserted if
 * `it` is given and no level's page was missing). */
static struct k9_tree *unstable_tree_search_insert(struct ks_ksm *ksm, ks_content c,
						   struct k9_item *it, uint64_t **ptep)
{
	struct ks_k2009 *k = k2009(ksm);
	struct ks_rb_node **link = &k->unstable.node, *parent = NULL;
	struct k9_tree *t;

	while (*link) {
		struct k9_item *ti;
		int ret;

		t = ks_rb_entry(*link, struct k9_tree, node);
		ti = t->rmap_item;
		ksm->page_work.unstable_visits++; /* get_user_pages() of the tree page */
		ksm->page_work.walk_entries++;    /* is_present_pte() before it */
		*ptep = pte_of(ti->mm, ti->address);
		if (!*ptep || **ptep == KS_PTE_NONE)
			return NULL; /* "we dont want to swap in pages" */
		ret = ks__memcmp_pages(ksm, c, ks__pte_content(**ptep));
		parent = *link;
		if (ret < 0)
			link = &parent->left;
		else if (ret > 0)
			link = &parent->right;
		else
			return t;
	}
	if (!it)
		return NULL;
	t = ks__pool_alloc(&k->tree_pool);
	ksm->page_work.items_alloc++;
	t->rmap_item = it;
	t->state = K9_UNSTABLE;
	t->pass = k->pass;
	it->tree_item = t;
	it->stable_tree = false;
	ks_rb_link_node(&t->node, parent, link);
	ks_rb_insert_color(&t->node, &k->unstable);
	k->unstable_items++;
	ksm->page_work.unstable_inserts++;
	return NULL;
}

/* ---- merging ---- */

/* try_to_merge_one_page(): page_wrprotect() (PTE write-protect + TLB flush),
 * pages_identical(), replace_page(). */
static bool merge_one_page(struct ks_ksm *ksm, struct ks_mm *mm, uint64_t addr,
			   uint64_t *pte, struct ks_kframe *kpage)
{
	int err = 0;

	if (!ks__pte_is_anon(*pte)) {
		err = -14;
	} else {
		ksm->page_work.wrprotects++;
		if (ks__memcmp_pages(ksm, ks__pte_content(*pte), kpage->content))
			err = -14;
	}
	if (!err) {
		ksm->page_work.replaces++;
		ksm->page_work.merges++;
		kpage->mapcount++;
		if (kpage->nid == 1)
			k2009(ksm)->node_mappings++;
		ksm->nr_anon--; /* *pte was anonymous (checked above) */
		*pte = KS_PTE_KSM | (uint64_t)(uintptr_t)kpage;
	}
	if (ksm->obs.event) {
		struct ks_ksm_event ev = { .type = KS_EV_MERGE_WITH_KSM_PAGE, .pid = mm->pid,
					   .vaddr = addr, .pfn = kpage->pfn, .to_ksm_page = true,
					   .err = err };

		ks__emit(ksm, &ev);
	}
	return !err;
}

/* try_to_merge_two_pages() with a non-KSM page2: a new page, a copy, two merges; a
 * failure of the second undoes the first (COW). Returns the new KSM page or NULL. */
static struct ks_kframe *merge_two_pages(struct ks_ksm *ksm, struct ks_mm *mm1,
					 uint64_t addr1, uint64_t *pte1,
					 struct ks_mm *mm2, uint64_t addr2, uint64_t *pte2)
{
	struct ks_kframe *kpage = ks__kframe_new(ksm, ks__pte_content(*pte1), 0);

	ksm->page_work.kpage_allocs++;
	if (!merge_one_page(ksm, mm1, addr1, pte1, kpage)) {
		kpage->live = false;
		ks__pool_free(&ksm->frame_pool, kpage);
		return NULL;
	}
	if (!merge_one_page(ksm, mm2, addr2, pte2, kpage)) {
		struct ks_vma *v = ks__find_vma(mm1, addr1);

		ksm->page_work.break_cows++;
		ks__break_ksm(ksm, mm1, v, addr1);
		return NULL;
	}
	return kpage;
}

/* A stable-tree match: map the page to the node's KSM page, list the item. */
static void merge_with_stable(struct ks_ksm *ksm, struct ks_mm *mm, uint64_t addr,
			      uint64_t *pte, struct k9_item *it, struct k9_item *tree_it,
			      uint64_t *tree_pte)
{
	struct ks_k2009 *k = k2009(ksm);

	if (!merge_one_page(ksm, mm, addr, pte, ks__pte_kframe(*tree_pte)))
		return;
	k->ksm_pages_shared++;
	if (!it)
		it = create_new_rmap_item(ksm, mm, addr, 0, 0);
	it->next = tree_it->next;
	it->prev = tree_it;
	if (tree_it->next)
		tree_it->next->prev = it;
	tree_it->next = it;
	it->stable_tree = true;
	it->tree_item = tree_it->tree_item;
	mm->ksm_merging_pages++;
	k->stable_items++;
}

/* An unstable-tree match t (its page at *tree_pte): merge, then move t to the stable
 * tree. */
static void merge_with_unstable(struct ks_ksm *ksm, struct ks_mm *mm, uint64_t addr,
				uint64_t *pte, struct k9_tree *t, uint64_t *tree_pte)
{
	struct ks_k2009 *k = k2009(ksm);
	struct k9_item *ti = t->rmap_item;
	ks_content c2 = ks__pte_content(*tree_pte);
	struct ks_kframe *kpage;

	if (ks__pte_is_ksm(*tree_pte)) {
		kpage = ks__pte_kframe(*tree_pte);
		if (!merge_one_page(ksm, mm, addr, pte, kpage))
			return;
	} else {
		kpage = merge_two_pages(ksm, mm, addr, pte, ti->mm, ti->address, tree_pte);
		if (!kpage)
			return;
	}
	k->ksm_pages_shared++;
	ks_rb_erase(&t->node, &k->unstable);
	k->unstable_items--;
	t->state = K9_FREE_TREE;
	t->kpage = kpage;
	t->kpfn = kpage->pfn;
	if (stable_tree_insert(ksm, c2, t, ti))
		count_node_page(k, kpage, true);
}

/* cmp_and_merge_page() for the anonymous page at (mm, addr). */
static void cmp_and_merge_page(struct ks_ksm *ksm, struct ks_mm *mm, uint64_t addr,
			       uint64_t *pte)
{
	struct k9_item *it = get_rmap_item(ksm, mm, addr), *found;
	ks_content c = ks__pte_content(*pte);
	uint64_t *pte2 = NULL;
	struct k9_tree *t;
	bool wait = false;
	uint32_t checksum;

	if (it && !it->stable_tree && it->tree_item) {
		remove_rmap_item(ksm, it); /* update_tree(): unstable leftovers go */
		it = NULL;
	} else if (it && it->stable_tree) {
		if (is_zapped(ksm, it, &pte2)) {
			remove_rmap_item(ksm, it);
			it = NULL;
			wait = true;
		}
	}
	found = stable_tree_search(ksm, c, it, &pte2);
	if (found) {
		merge_with_stable(ksm, mm, addr, pte, it, found, pte2);
		return;
	}
	if (it) {
		checksum = calc_checksum(ksm, it, c);
		if (it->oldchecksum != checksum) {
			it->oldchecksum = checksum;
			return;
		}
	}
	t = unstable_tree_search_insert(ksm, c, it, &pte2);
	if (t) {
		merge_with_unstable(ksm, mm, addr, pte, t, pte2);
		return;
	}
	if (!wait && !it) {
		checksum = calc_checksum(ksm, NULL, c);
		create_new_rmap_item(ksm, mm, addr, checksum, c + 1);
	}
}

/* ---- the scanner ---- */

static void emit_scan(struct ks_ksm *ksm, enum ks_ksm_event_type type)
{
	if (ksm->obs.event) {
		struct ks_ksm_event ev = { .type = type, .seq = k2009(ksm)->pass,
					   .rmap_entries = k2009(ksm)->item_pool.live };

		ks__emit(ksm, &ev);
	}
}

/* First page address >= a in a mergeable VMA of mm, or K9_NONE. */
static uint64_t next_mergeable(const struct ks_mm *mm, uint64_t a)
{
	for (unsigned i = 0; i < mm->nvmas; i++) {
		const struct ks_vma *v = &mm->vmas[i];

		if (v->mergeable && v->end > a)
			return a < v->start ? v->start : a;
	}
	return K9_NONE;
}

/* scan_get_next_index(ksm_scan, 1): next page of the slot, else the next slot's first
 * page, else wrap: empty the unstable tree, first slot. False if no slot has a page. */
static bool advance(struct ks_ksm *ksm)
{
	struct ks_k2009 *k = k2009(ksm);
	struct ks_mm_slot *s = k->slot;
	unsigned wraps = 0;
	uint64_t a;

	a = next_mergeable(s->mm, k->addr + K9_PG);
	if (a != K9_NONE) {
		k->addr = a;
		return true;
	}
	for (s = s->next;; s = s->next) {
		if (s == &ksm->mm_head) {
			if (wraps++)
				return false;
			emit_scan(ksm, KS_EV_STOP_SCAN);
			k->unstable = KS_RB_ROOT;
			k->unstable_items = 0;
			k->pass++;
			emit_scan(ksm, KS_EV_START_SCAN);
			continue;
		}
		a = next_mergeable(s->mm, 0);
		if (a != K9_NONE) {
			k->slot = s;
			k->addr = a;
			return true;
		}
	}
}

/* scan_update_old_index(): a lost cursor goes to page 0 of the first slot. */
static bool update_old_index(struct ks_ksm *ksm)
{
	struct ks_k2009 *k = k2009(ksm);
	struct ks_mm_slot *s;

	if (k->slot)
		return true;
	for (s = ksm->mm_head.next; s != &ksm->mm_head; s = s->next) {
		uint64_t a = next_mergeable(s->mm, 0);

		if (a != K9_NONE) {
			k->slot = s;
			k->addr = a;
			return true;
		}
	}
	return false;
}

/* One position of ksm_scan_start()'s loop. */
static void scan_one(struct ks_ksm *ksm)
{
	struct ks_k2009 *k = k2009(ksm);
	struct ks_mm *mm = k->slot->mm;
	uint64_t *pte = pte_of(mm, k->addr);
	enum ks_page_kind kind;

	ksm->page_work.walk_entries++; /* is_present_pte() */
	if (!pte || *pte == KS_PTE_NONE)
		return;
	kind = ks__pte_is_anon(*pte) ? KS_PAGE_ANON : KS_PAGE_KSM;
	ksm->page_work.pages++; /* get_user_pages() of the scanned page */
	if (kind == KS_PAGE_KSM) {
		ksm->page_work.ksm_pages++;
	} else {
		cmp_and_merge_page(ksm, mm, k->addr, pte);
		k->pages_scanned++;
	}
	ks__page_done(ksm, kind);
}

/* The bulk path's KSM-page positions: from the position after the cursor on, at most
 * max positions of the cursor's VMA that map a KSM page. The page-by-page path does
 * exactly this for each: advance() moves to it (it is in the same mergeable VMA), and
 * scan_one() counts one walk entry and one page and hands a KSM page to nobody. So
 * they are counted and told as one run of identical pages. Returns how many. */
static unsigned ksm_position_run(struct ks_ksm *ksm, unsigned max)
{
	static const struct ks_work one = { .pages = 1, .ksm_pages = 1, .walk_entries = 1 };
	struct ks_k2009 *k = k2009(ksm);
	struct ks_mm *mm = k->slot->mm;
	uint64_t addr = k->addr + K9_PG;
	const struct ks_vma *v = NULL;
	unsigned n = 0;

	/* a position without a page (a swapped-out one) left its walk entry in page_work
	 * for the next page, as on the page-by-page path: that page goes alone */
	if (mm->exiting || ksm->page_work.walk_entries)
		return 0;
	for (unsigned i = 0; i < mm->nvmas; i++) {
		if (mm->vmas[i].end > addr) {
			v = &mm->vmas[i];
			break;
		}
	}
	if (!v || addr < v->start || !v->mergeable)
		return 0;
	while (n < max && addr < v->end && ks__pte_is_ksm(v->ptes[(addr - v->start) / K9_PG])) {
		addr += K9_PG;
		n++;
	}
	if (!n)
		return 0;
	k->addr = addr - K9_PG;
	ks__pages_done_n(ksm, KS_PAGE_KSM, &one, n);
	return n;
}

/* ksm_scan_start(): one batch (the variant's scan_batch). */
static void k2009_scan_batch(struct ks_ksm *ksm)
{
	struct ks_k2009 *k = k2009(ksm);

	if (!update_old_index(ksm))
		return;
	if (!k->started) {
		k->started = true;
		emit_scan(ksm, KS_EV_START_SCAN);
	}
	for (unsigned n = ksm->p.pages_to_scan; n; n--) {
		if (ksm->bulk) {
			n -= ksm_position_run(ksm, n);
			if (!n)
				break;
		}
		if (!advance(ksm))
			break;
		scan_one(ksm);
	}
	advance(ksm); /* sic: one more step, so one page per batch is skipped */
}

/* ---- exit, counters, invariants ---- */

/* The variant's mm_exit: drops the mm's slot and items at once. */
static void k2009_exit(struct ks_ksm *ksm, struct ks_mm *mm)
{
	struct ks_k2009 *k = k2009(ksm);
	struct ks_mm_slot *slot = mm->slot;

	for (uint32_t b = 0; b < K9_HASH_BUCKETS; b++) {
		struct k9_item *it = k->hash[b], *next;

		for (; it; it = next) {
			next = it->hnext;
			if (it->mm == mm)
				remove_rmap_item(ksm, it);
		}
	}
	memset(&ksm->page_work, 0, sizeof(ksm->page_work));
	if (!slot)
		return;
	if (k->slot == slot)
		k->slot = NULL;
	slot->prev->next = slot->next;
	slot->next->prev = slot->prev;
	free(slot);
	mm->slot = NULL;
}

static void k2009_stats(const struct ks_ksm *ksm, struct ks_ksm_stats *st)
{
	const struct ks_k2009 *k = k2009(ksm);
	uint64_t items = k->item_pool.live;
	int64_t vol = (int64_t)items - (int64_t)k->stable_items - (int64_t)k->unstable_items;

	memset(st, 0, sizeof(*st));
	st->pages_shared = k->node_pages;
	st->pages_sharing = k->node_mappings - k->node_pages;
	st->full_scans = k->pass;
	st->pages_scanned = k->pages_scanned;
	st->pages_unshared = k->unstable_items;
	st->pages_volatile = vol > 0 ? (uint64_t)vol : 0;
	st->general_profit = (int64_t)st->pages_sharing * KS_PAGE_SIZE - (int64_t)items * 64 -
			     (int64_t)k->tree_pool.live * 32;
	st->pages_to_scan = ksm->p.pages_to_scan;
	st->rmap_items = items;
	st->cow_ksm = ksm->cow_ksm;
}

/* Checks one stable node's rmap list; adds its length to *n. */
static int check_stable_node(const struct k9_tree *t, uint64_t *n)
{
	const struct k9_item *it = t->rmap_item;

	if (t->state != K9_STABLE || !it)
		return 51; /* stable node not marked stable, or without items */
	while (it->prev)
		it = it->prev;
	for (; it; it = it->next) {
		if (!it->stable_tree || it->tree_item != t)
			return 52; /* listed item not pointing back at its node */
		if (it->next && it->next->prev != it)
			return 53; /* broken prev link */
		(*n)++;
	}
	return 0;
}

/* pages_shared / pages_sharing recounted from the stable nodes' KSM pages. */
static int check_node_pages(const struct ks_k2009 *k)
{
	uint64_t pages = 0, maps = 0;

	for (const struct ks_rb_node *rb = ks_rb_first(&k->stable); rb; rb = ks_rb_next(rb)) {
		const struct ks_kframe *kf = node_kpage(ks_rb_entry(rb, struct k9_tree, node));

		if (kf && kf->nid == 1) {
			pages++;
			maps += kf->mapcount;
		}
	}
	return pages == k->node_pages && maps == k->node_mappings ? 0 : 60;
}

static int check_trees(const struct ks_k2009 *k)
{
	uint64_t nodes = 0, items = 0, unstable = 0;
	const struct ks_rb_node *rb;
	int rc;

	if (ks_rb_check(&k->stable) < 0 || ks_rb_check(&k->unstable) < 0)
		return 50; /* a tree is not a valid red-black tree */
	for (rb = ks_rb_first(&k->stable); rb; rb = ks_rb_next(rb)) {
		nodes++;
		if ((rc = check_stable_node(ks_rb_entry(rb, struct k9_tree, node), &items)))
			return rc;
	}
	if (nodes != k->stable_nodes || items != k->stable_items)
		return 54; /* stable node / item counts */
	if ((rc = check_node_pages(k)))
		return rc;
	for (rb = ks_rb_first(&k->unstable); rb; rb = ks_rb_next(rb)) {
		const struct k9_tree *t = ks_rb_entry(rb, struct k9_tree, node);

		if (!in_current_unstable(k, t) || t->rmap_item->tree_item != t ||
		    t->rmap_item->stable_tree)
			return 55; /* unstable node of another pass, or not its item's */
		unstable++;
	}
	if (unstable != k->unstable_items)
		return 56; /* pages_unshared != unstable nodes */
	return 0;
}

/* 0 or an invariant number >= 50. */
static int k2009_check(const struct ks_ksm *ksm)
{
	const struct ks_k2009 *k = k2009(ksm);
	uint64_t items = 0;
	int rc = check_trees(k);

	if (rc)
		return rc;
	for (uint32_t b = 0; b < K9_HASH_BUCKETS; b++)
		for (const struct k9_item *it = k->hash[b]; it; it = it->hnext) {
			if (it->address % K9_HASH_BUCKETS != b)
				return 57; /* item in the wrong hash bucket */
			items++;
		}
	if (items != k->item_pool.live)
		return 58; /* hashed items != allocated items */
	for (const struct ks_mm_slot *s = ksm->mm_head.next; s != &ksm->mm_head; s = s->next) {
		uint64_t mine = 0, merging = 0;

		for (uint32_t b = 0; b < K9_HASH_BUCKETS; b++)
			for (const struct k9_item *it = k->hash[b]; it; it = it->hnext)
				if (it->mm == s->mm) {
					mine++;
					merging += it->stable_tree;
				}
		if (mine != s->mm->ksm_rmap_items || merging != s->mm->ksm_merging_pages)
			return 59; /* per-process ksm_rmap_items / ksm_merging_pages */
	}
	return 0;
}

/* ---- the variant (ksm_int.h) ---- */

const struct ks_ksm_algo ks__algo_2009 = {
	.init = k2009_init,
	.free = k2009_free,
	.scan_batch = k2009_scan_batch,
	.mm_exit = k2009_exit,
	.unmerge_all = NULL, /* run=2 is refused: no unmerge in 2009 */
	.stats = k2009_stats,
	.check = k2009_check,
	.kframe_unmap = k2009_kframe_unmap,
};
