/* ksm.c - ksmd: the scan cursor, the stable tree (with chains and dups), the unstable
 * tree, the checksum volatility filter, zero-page merging, smart scan and the scan-time
 * advisor, following Linux 6.18 mm/ksm.c function by function.
 *
 * Reproduced exactly (same decisions in the same order, hence the same counters after
 * every batch): ksm_do_scan(), scan_get_next_rmap_item(), get_next_rmap_item(),
 * should_skip_rmap_item(), cmp_and_merge_page() (v6.11+ order, and the pre-v6.11 order as a
 * variant), stable_tree_search(), stable_tree_insert(), chain()/chain_prune() and
 * stable_node_dup(), unstable_tree_search_insert(), stable_tree_append(),
 * remove_rmap_item_from_tree(), remove_node_from_stable_tree(), the keyhole check of
 * ksm_get_folio(), try_to_merge_*(), break_cow(), __ksm_enter()/__ksm_exit(), run=2
 * (unmerge_and_remove_all_rmap_items()), advisor_stop_scan().
 *
 * Deliberately left out: NUMA page migration (migrate_nodes), THP splitting, swap,
 * fork (so forked KSM pages and the max_page_sharing bypass never occur), locking
 * (a batch runs atomically at one simulated instant, so trylock never fails and no page
 * changes while ksmd looks at it; -EBUSY from the stable tree cannot happen), and page
 * pins (write_protect_page() always succeeds). */
#include <stdlib.h>
#include <string.h>

#include "ksm_int.h"
#include "models/base/xalloc.h"

#define KS_NOW_JIFFIES(k) ((k)->jiffies)

static uint64_t batch_clock(const struct ks_ksm *ksm)
{
	return ksm->obs.clock_ns ? ksm->obs.clock_ns(ksm->obs.self) : ksm->now_ns;
}

/* calc_checksum() of the page an item maps. Content descriptors are immutable, so an
 * unchanged page's checksum is the one computed last time (kept in oldchecksum). */
static uint32_t calc_checksum(struct ks_ksm *ksm, struct ks_rmap_item *item, ks_content c)
{
	ksm->page_work.checksums++;
	if (item->memo == c + 1)
		return item->oldchecksum;
	item->memo = c + 1;
	return ks_content_checksum(ksm->cs, c, (enum ks_checksum_alg)ksm->p.checksum);
}

/* ---- stable nodes ---- */

static inline bool is_stable_node_chain(const struct ks_stable_node *n)
{
	return n->rmap_hlist_len == KS_STABLE_NODE_CHAIN;
}

static inline bool is_sharing_candidate_off(const struct ks_ksm *ksm,
					    const struct ks_stable_node *n, int offset)
{
	return n->rmap_hlist_len && n->rmap_hlist_len + offset < (int)ksm->p.max_page_sharing;
}

static inline bool is_page_sharing_candidate(const struct ks_ksm *ksm,
					     const struct ks_stable_node *n)
{
	return is_sharing_candidate_off(ksm, n, 0);
}

static struct ks_stable_node *alloc_stable_node(struct ks_ksm *ksm)
{
	return ks__pool_alloc(&ksm->node_pool);
}

static void free_stable_node(struct ks_ksm *ksm, struct ks_stable_node *n)
{
	ks__pool_free(&ksm->node_pool, n);
}

static void stable_node_chain_add_dup(struct ks_ksm *ksm, struct ks_stable_node *dup,
				      struct ks_stable_node *chain)
{
	dup->is_dup = true;
	ks__hlist_add_head(&dup->hlist_dup, &chain->hlist);
	ksm->stable_node_dups++;
}

static void stable_node_dup_del(struct ks_ksm *ksm, struct ks_stable_node *dup)
{
	if (dup->is_dup) {
		ks__hlist_del(&dup->hlist_dup);
		ksm->stable_node_dups--;
	} else {
		ks_rb_erase(&dup->node, &ksm->root_stable_tree[dup->nid]);
	}
}

static void free_stable_node_chain(struct ks_ksm *ksm, struct ks_stable_node *chain,
				   struct ks_rb_root *root)
{
	ks_rb_erase(&chain->node, root);
	free_stable_node(ksm, chain);
	ksm->stable_node_chains--;
}

static struct ks_stable_node *alloc_stable_node_chain(struct ks_ksm *ksm,
						      struct ks_stable_node *dup,
						      struct ks_rb_root *root)
{
	struct ks_stable_node *chain = alloc_stable_node(ksm);

	chain->chain_prune_time = KS_NOW_JIFFIES(ksm);
	chain->rmap_hlist_len = KS_STABLE_NODE_CHAIN;
	chain->nid = dup->nid;
	ksm->stable_node_chains++;
	ks_rb_replace_node(&dup->node, &chain->node, root);
	stable_node_chain_add_dup(ksm, dup, chain);
	return chain;
}

/* remove_node_from_stable_tree(): drops a stale node with accounting for its items. */
static void remove_node_from_stable_tree(struct ks_ksm *ksm, struct ks_stable_node *sn)
{
	struct ks_hnode *h;

	ksm->page_work.stale_nodes++;
	for (h = sn->hlist.first; h; h = h->next) {
		struct ks_rmap_item *item = ks_rb_entry(h, struct ks_rmap_item, hlist);

		if (h->next) {
			ksm->pages_sharing--;
			ks__emit_item(ksm, KS_EV_REMOVE_RMAP_ITEM, item, sn->kpfn, false, 0);
		} else {
			ksm->pages_shared--;
		}
		item->mm->ksm_merging_pages--;
		sn->rmap_hlist_len--;
		item->address &= KS_PAGE_MASK;
	}
	if (ksm->obs.event) {
		struct ks_ksm_event ev = { .type = KS_EV_REMOVE_KSM_PAGE, .pfn = sn->kpfn };

		ks__emit(ksm, &ev);
	}
	stable_node_dup_del(ksm, sn);
	free_stable_node(ksm, sn);
}

/* ksm_get_folio(): the keyhole check. NULL (after dropping the node) if it went stale. */
static struct ks_kframe *ksm_get_folio(struct ks_ksm *ksm, struct ks_stable_node *sn)
{
	struct ks_kframe *kf = sn->kpage;

	if (kf && kf->live && kf->node == sn)
		return kf;
	remove_node_from_stable_tree(ksm, sn);
	return NULL;
}

/* ---- rmap_items ---- */

static void free_rmap_item(struct ks_ksm *ksm, struct ks_rmap_item *item)
{
	ksm->rmap_items--;
	item->mm->ksm_rmap_items--;
	ksm->page_work.items_freed++;
	ks__pool_free(&ksm->item_pool, item);
}

void ks__remove_rmap_item_from_tree(struct ks_ksm *ksm, struct ks_rmap_item *item)
{
	if (item->address & KS_STABLE_FLAG) {
		struct ks_stable_node *sn = item->head;

		if (!ksm_get_folio(ksm, sn))
			return; /* the whole stale node went, with this item's accounting */
		ks__hlist_del(&item->hlist);
		if (sn->hlist.first)
			ksm->pages_sharing--;
		else
			ksm->pages_shared--;
		item->mm->ksm_merging_pages--;
		sn->rmap_hlist_len--;
		item->head = NULL;
		item->address &= KS_PAGE_MASK;
	} else if (item->address & KS_UNSTABLE_FLAG) {
		/* Only an item inserted during this full scan is still in the tree. */
		uint8_t age = (uint8_t)(ksm->seqnr - item->address);

		if (!age)
			ks_rb_erase(&item->node, &ksm->root_unstable_tree[item->nid]);
		ksm->pages_unshared--;
		item->address &= KS_PAGE_MASK;
	}
}

static void remove_trailing_rmap_items(struct ks_ksm *ksm, struct ks_rmap_item **link)
{
	while (*link) {
		struct ks_rmap_item *item = *link;

		*link = item->rmap_list;
		ks__remove_rmap_item_from_tree(ksm, item);
		free_rmap_item(ksm, item);
	}
}

static struct ks_rmap_item *get_next_rmap_item(struct ks_ksm *ksm, struct ks_mm_slot *slot,
					       struct ks_rmap_item **link, uint64_t addr)
{
	struct ks_rmap_item *item;

	while (*link) {
		item = *link;
		if ((item->address & KS_PAGE_MASK) == addr)
			return item;
		if (item->address > addr)
			break;
		*link = item->rmap_list;
		ks__remove_rmap_item_from_tree(ksm, item);
		free_rmap_item(ksm, item);
	}
	item = ks__pool_alloc(&ksm->item_pool);
	ksm->rmap_items++;
	ksm->page_work.items_alloc++;
	item->mm = slot->mm;
	item->mm->ksm_rmap_items++;
	item->address = addr;
	item->rmap_list = *link;
	*link = item;
	return item;
}

/* ---- merging ---- */

/* Maps the zero page of the right colour (ZERO_PAGE(addr)) and returns its "PFN". */
static uint64_t zero_page_pfn(const struct ks_ksm *ksm, uint64_t addr)
{
	return (addr / KS_PAGE_SIZE) % ksm->p.zero_page_colours;
}

/* replace_page(): page's PTE now maps kpage (a KSM frame) or the zero page (kpage NULL). */
static void replace_page(struct ks_ksm *ksm, struct ks_page_ref *pg, struct ks_kframe *kpage)
{
	uint64_t old = *pg->pte;

	ksm->page_work.replaces++;
	if (kpage) {
		kpage->mapcount++;
		*pg->pte = KS_PTE_KSM | (uint64_t)(uintptr_t)kpage;
	} else {
		*pg->pte = KS_PTE_ZERO | 1; /* special + dirty: placed by KSM */
		ksm->ksm_zero_pages++;
		pg->mm->ksm_zero_pages++;
	}
	if (ks__pte_is_ksm(old))
		ks__kframe_unmap(ksm, ks__pte_kframe(old));
}

enum merge_target { MERGE_NEW_KSM, MERGE_KSM, MERGE_ZERO };

/* try_to_merge_one_page(): 0 or -EFAULT (-14). */
static int try_to_merge_one_page(struct ks_ksm *ksm, struct ks_page_ref *pg,
				 enum merge_target target, struct ks_kframe *kpage)
{
	struct ks_kframe *kf = ks__page_kframe(pg);

	if (target == MERGE_KSM && kf == kpage)
		return 0; /* KSM page forked */
	if (!ks__pte_is_anon(*pg->pte) && !kf)
		return -14;
	/* write_protect_page(): a private writable page needs its PTE cleared and the
	 * TLB flushed; already write-protected KSM pages do not. */
	if (!kf)
		ksm->page_work.wrprotects++;
	if (target == MERGE_NEW_KSM) {
		struct ks_kframe *nk = ks__kframe_new(ksm, ks__page_content(pg), pg->mm->nid);

		nk->mapcount = 1;
		*pg->pte = KS_PTE_KSM | (uint64_t)(uintptr_t)nk;
		return 0;
	}
	if (ks__memcmp_pages(ksm, ks__page_content(pg),
			 target == MERGE_ZERO ? KS_CONTENT_ZERO_PAGE : kpage->content))
		return -14; /* !pages_identical() */
	replace_page(ksm, pg, target == MERGE_ZERO ? NULL : kpage);
	return 0;
}

/* try_to_merge_with_zero_page(): 0 if merged or no longer a candidate, else -EFAULT. */
static int try_to_merge_with_zero_page(struct ks_ksm *ksm, struct ks_rmap_item *item,
				       struct ks_page_ref *pg)
{
	int err = -14;

	if (ksm->p.use_zero_pages && item->oldchecksum == ksm->zero_checksum) {
		if (ks__find_mergeable_vma(item->mm, item->address)) {
			err = try_to_merge_one_page(ksm, pg, MERGE_ZERO, NULL);
			ks__emit_item(ksm, KS_EV_MERGE_ONE_PAGE, item,
				  zero_page_pfn(ksm, item->address), false, err);
			if (!err)
				ksm->page_work.zero_merges++;
		} else {
			err = 0;
		}
	}
	return err;
}

/* try_to_merge_with_ksm_page(): kpage NULL turns the page itself into a KSM page. */
static int try_to_merge_with_ksm_page(struct ks_ksm *ksm, struct ks_rmap_item *item,
				      struct ks_page_ref *pg, struct ks_kframe *kpage)
{
	int err = -14;

	if (ks__find_mergeable_vma(item->mm, item->address)) {
		err = try_to_merge_one_page(ksm, pg, kpage ? MERGE_KSM : MERGE_NEW_KSM, kpage);
		if (!err)
			ks__remove_rmap_item_from_tree(ksm, item);
	}
	if (ksm->obs.event) {
		struct ks_kframe *kf = kpage ? kpage : ks__page_kframe(pg);

		ks__emit_item(ksm, KS_EV_MERGE_WITH_KSM_PAGE, item, kf ? kf->pfn : 0,
			  kpage != NULL, err);
	}
	return err;
}

/* break_cow(): undo a merge of the item's address (private copy again). */
static void break_cow(struct ks_ksm *ksm, struct ks_rmap_item *item)
{
	struct ks_vma *v = ks__find_mergeable_vma(item->mm, item->address);

	ksm->page_work.break_cows++;
	if (v)
		ks__break_ksm(ksm, item->mm, v, item->address & KS_PAGE_MASK);
}

static struct ks_kframe *try_to_merge_two_pages(struct ks_ksm *ksm, struct ks_rmap_item *item,
						struct ks_page_ref *pg,
						struct ks_rmap_item *t_item,
						struct ks_page_ref *t_pg)
{
	int err = try_to_merge_with_ksm_page(ksm, item, pg, NULL);

	if (!err) {
		err = try_to_merge_with_ksm_page(ksm, t_item, t_pg, ks__page_kframe(pg));
		if (err)
			break_cow(ksm, item);
	}
	return err ? NULL : ks__page_kframe(pg);
}

/* ---- the stable tree ---- */

/* stable_node_dup(): resolves a chain to one of its dups, pruning stale dups; may
 * collapse a chain with a single dup into a regular node (*snp is updated). */
static struct ks_kframe *stable_node_dup(struct ks_ksm *ksm, struct ks_stable_node **dupp,
					 struct ks_stable_node **snp, struct ks_rb_root *root,
					 bool prune)
{
	struct ks_stable_node *sn = *snp, *found = NULL;
	struct ks_kframe *tree_kf = NULL;
	struct ks_hnode *h, *next;
	int found_len = 0;

	if (!prune || KS_NOW_JIFFIES(ksm) < sn->chain_prune_time +
			ks__msecs_to_jiffies(ksm, ksm->p.stable_node_chains_prune_millisecs))
		prune = false;
	else
		sn->chain_prune_time = KS_NOW_JIFFIES(ksm);

	for (h = sn->hlist.first; h; h = next) {
		struct ks_stable_node *dup = ks_rb_entry(h, struct ks_stable_node, hlist_dup);
		struct ks_kframe *kf;

		next = h->next;
		ksm->page_work.chain_dups++;
		kf = ksm_get_folio(ksm, dup);
		if (!kf)
			continue;
		if (!found || (is_page_sharing_candidate(ksm, dup) &&
			       (!is_page_sharing_candidate(ksm, found) ||
				dup->rmap_hlist_len > found_len))) {
			found = dup;
			found_len = found->rmap_hlist_len;
			tree_kf = kf;
			if (!prune && is_page_sharing_candidate(ksm, found))
				break;
		}
	}

	if (found) {
		if (sn->hlist.first == &found->hlist_dup && !found->hlist_dup.next) {
			/* Only one dup left: drop the chain, the dup takes its place. */
			ks_rb_replace_node(&sn->node, &found->node, root);
			found->is_dup = false;
			free_stable_node(ksm, sn);
			ksm->stable_node_chains--;
			ksm->stable_node_dups--;
			*snp = found;
		} else if (sn->hlist.first != &found->hlist_dup &&
			   is_sharing_candidate_off(ksm, found, 1)) {
			ks__hlist_del(&found->hlist_dup);
			ks__hlist_add_head(&found->hlist_dup, &sn->hlist);
		}
	} else {
		free_stable_node_chain(ksm, sn, root);
	}
	*dupp = found;
	return tree_kf;
}

static struct ks_kframe *stable_node_chain(struct ks_ksm *ksm, struct ks_stable_node **dupp,
					   struct ks_stable_node **snp, struct ks_rb_root *root,
					   bool prune)
{
	struct ks_stable_node *sn = *snp;

	if (!is_stable_node_chain(sn)) {
		*dupp = sn;
		return ksm_get_folio(ksm, sn);
	}
	return stable_node_dup(ksm, dupp, snp, root, prune);
}

/* stable_tree_search(): the KSM frame to merge with, or NULL. */
struct ks_kframe *ks__stable_tree_search(struct ks_ksm *ksm, struct ks_page_ref *pg)
{
	struct ks_kframe *own = ks__page_kframe(pg);
	struct ks_rb_root *root;
	struct ks_rb_node **link;
	ks_content c = ks__page_content(pg);

	if (own && own->node)
		return own; /* KSM page forked */
	root = &ksm->root_stable_tree[ks__page_nid(ksm, pg)];
again:
	link = &root->node;
	if (*link)
		ksm->page_work.stable_walks++;
	while (*link) {
		struct ks_stable_node *sn = ks_rb_entry(*link, struct ks_stable_node, node);
		struct ks_stable_node *dup;
		struct ks_kframe *tree_kf;
		int ret;

		ksm->page_work.stable_visits++;
		tree_kf = stable_node_chain(ksm, &dup, &sn, root, true);
		if (!tree_kf)
			goto again; /* a stale node went: the tree may have rotated */
		ret = ks__memcmp_pages(ksm, c, tree_kf->content);
		if (ret < 0) {
			link = &sn->node.left;
		} else if (ret > 0) {
			link = &sn->node.right;
		} else {
			if (!is_page_sharing_candidate(ksm, dup))
				return NULL; /* every copy is full: wait for an unstable match */
			tree_kf = ksm_get_folio(ksm, dup);
			if (!tree_kf)
				goto again;
			return tree_kf;
		}
	}
	return NULL;
}

/* stable_tree_insert(): links a new node for kpage; makes or extends a chain when an
 * identical KSM page is already in the tree. */
struct ks_stable_node *ks__stable_tree_insert(struct ks_ksm *ksm, struct ks_kframe *kpage)
{
	struct ks_rb_root *root = &ksm->root_stable_tree[ksm->p.merge_across_nodes ? 0 :
							kpage->nid];
	struct ks_rb_node **link, *parent;
	struct ks_stable_node *sn = NULL, *dup, *new_node;
	bool need_chain = false;

	ksm->page_work.stable_inserts++;
again:
	parent = NULL;
	link = &root->node;
	if (*link)
		ksm->page_work.stable_walks++;
	while (*link) {
		struct ks_kframe *tree_kf;
		int ret;

		sn = ks_rb_entry(*link, struct ks_stable_node, node);
		ksm->page_work.stable_visits++;
		tree_kf = stable_node_chain(ksm, &dup, &sn, root, false);
		if (!tree_kf)
			goto again;
		ret = ks__memcmp_pages(ksm, kpage->content, tree_kf->content);
		parent = *link;
		if (ret < 0) {
			link = &parent->left;
		} else if (ret > 0) {
			link = &parent->right;
		} else {
			need_chain = true;
			break;
		}
	}

	new_node = alloc_stable_node(ksm);
	new_node->kpage = kpage;
	new_node->kpfn = kpage->pfn;
	new_node->nid = (uint16_t)(root - ksm->root_stable_tree);
	if (!need_chain) {
		ks_rb_link_node(&new_node->node, parent, link);
		ks_rb_insert_color(&new_node->node, root);
	} else {
		if (!is_stable_node_chain(sn))
			sn = alloc_stable_node_chain(ksm, sn, root);
		stable_node_chain_add_dup(ksm, new_node, sn);
	}
	kpage->node = new_node;
	return new_node;
}

void ks__stable_tree_append(struct ks_ksm *ksm, struct ks_rmap_item *item,
			    struct ks_stable_node *sn)
{
	sn->rmap_hlist_len++;
	item->head = sn;
	item->address |= KS_STABLE_FLAG;
	ks__hlist_add_head(&item->hlist, &sn->hlist);
	if (item->hlist.next)
		ksm->pages_sharing++;
	else
		ksm->pages_shared++;
	item->mm->ksm_merging_pages++;
	ksm->page_work.merges++;
}

/* ---- the unstable tree ---- */

/* get_mergeable_page(): the anonymous page now mapped at the item's address. */
static bool get_mergeable_page(struct ks_rmap_item *item, struct ks_page_ref *out)
{
	uint64_t addr = item->address & KS_PAGE_MASK;
	struct ks_vma *v = ks__find_mergeable_vma(item->mm, addr);
	uint64_t *pte;

	if (!v)
		return false;
	pte = &v->ptes[(addr - v->start) / KS_PAGE_SIZE];
	if (!ks__pte_is_anon(*pte) && !ks__pte_is_ksm(*pte))
		return false;
	*out = (struct ks_page_ref){ .mm = item->mm, .vma = v, .addr = addr, .pte = pte };
	return true;
}

struct ks_rmap_item *ks__unstable_tree_search_insert(struct ks_ksm *ksm,
						     struct ks_rmap_item *item,
						     struct ks_page_ref *pg,
						     struct ks_page_ref *t_pg)
{
	uint16_t nid = ks__page_nid(ksm, pg);
	struct ks_rb_root *root = &ksm->root_unstable_tree[nid];
	struct ks_rb_node **link = &root->node, *parent = NULL;
	ks_content c = ks__page_content(pg);

	if (*link)
		ksm->page_work.unstable_walks++;
	while (*link) {
		struct ks_rmap_item *t_item = ks_rb_entry(*link, struct ks_rmap_item, node);
		int ret;

		ksm->page_work.unstable_visits++;
		if (!get_mergeable_page(t_item, t_pg))
			return NULL; /* tree page gone: neither matched nor inserted */
		if (t_pg->pte == pg->pte)
			return NULL;
		ret = ks__memcmp_pages(ksm, c, ks__page_content(t_pg));
		parent = *link;
		if (ret < 0)
			link = &parent->left;
		else if (ret > 0)
			link = &parent->right;
		else if (!ksm->p.merge_across_nodes && t_pg->mm->nid != nid)
			return NULL;
		else
			return t_item;
	}
	item->address |= KS_UNSTABLE_FLAG | (ksm->seqnr & KS_SEQNR_MASK);
	item->nid = nid;
	ks_rb_link_node(&item->node, parent, link);
	ks_rb_insert_color(&item->node, root);
	ksm->pages_unshared++;
	ksm->page_work.unstable_inserts++;
	return NULL;
}

/* ---- cmp_and_merge_page ---- */

static void merge_stable_or_unstable(struct ks_ksm *ksm, struct ks_rmap_item *item,
				     struct ks_page_ref *pg, struct ks_kframe *kf)
{
	struct ks_page_ref t_pg;
	struct ks_rmap_item *t_item;

	if (kf) {
		if (!try_to_merge_with_ksm_page(ksm, item, pg, kf))
			ks__stable_tree_append(ksm, item, kf->node);
		return;
	}
	t_item = ks__unstable_tree_search_insert(ksm, item, pg, &t_pg);
	if (t_item) {
		struct ks_kframe *nk = try_to_merge_two_pages(ksm, item, pg, t_item, &t_pg);

		if (nk) {
			struct ks_stable_node *sn = ks__stable_tree_insert(ksm, nk);

			ks__stable_tree_append(ksm, t_item, sn);
			ks__stable_tree_append(ksm, item, sn);
		}
	}
}

/* cmp_and_merge_page(): Linux 6.18 order by default (a KSM page already accounted
 * returns at once; an ordinary page passes the checksum test, then the zero page, then
 * the stable tree, then the unstable tree). The 2024 changes can be undone one by one
 * (stable_before_checksum, zero_page_after_stable), or all together with
 * cmp_order_pre_611, which gives the v6.1 - v6.10 order: stable tree first for every
 * page, then the checksum, then the zero page. */
void ks__cmp_and_merge_page(struct ks_ksm *ksm, struct ks_page_ref *pg,
			    struct ks_rmap_item *item)
{
	struct ks_kframe *own = ks__page_kframe(pg);
	struct ks_stable_node *sn = own ? own->node : NULL;
	bool stable_first = ksm->p.cmp_order_pre_611 || ksm->p.stable_before_checksum;
	bool zero_late = stable_first || ksm->p.zero_page_after_stable;
	struct ks_kframe *kf;
	uint32_t checksum;

	if (sn) {
		if (item->head == sn)
			return; /* already merged here and accounted */
	} else if (!stable_first) {
		ks__remove_rmap_item_from_tree(ksm, item);
		checksum = calc_checksum(ksm, item, ks__page_content(pg));
		if (item->oldchecksum != checksum) {
			item->oldchecksum = checksum; /* volatile: no tree search */
			return;
		}
		if (!zero_late && !try_to_merge_with_zero_page(ksm, item, pg))
			return;
	}
	kf = ks__stable_tree_search(ksm, pg);
	if (kf && kf == own && item->head == sn)
		return;
	ks__remove_rmap_item_from_tree(ksm, item);
	if (kf) {
		merge_stable_or_unstable(ksm, item, pg, kf);
		return;
	}
	if (stable_first) {
		checksum = calc_checksum(ksm, item, ks__page_content(pg));
		if (item->oldchecksum != checksum) {
			item->oldchecksum = checksum;
			return;
		}
	}
	if (zero_late && !sn && !try_to_merge_with_zero_page(ksm, item, pg))
		return;
	merge_stable_or_unstable(ksm, item, pg, NULL);
}

/* ---- smart scan ---- */

static unsigned skip_age(uint8_t age)
{
	if (age <= 3)
		return 1;
	if (age <= 5)
		return 2;
	if (age <= 8)
		return 4;
	return 8;
}

static bool should_skip_rmap_item(struct ks_ksm *ksm, const struct ks_page_ref *pg,
				  struct ks_rmap_item *item)
{
	uint8_t age;

	if (!ksm->p.smart_scan)
		return false;
	if (ks__page_kframe(pg))
		return false; /* never skip KSM pages */
	age = item->age;
	if (age != UINT8_MAX)
		item->age++;
	if (age < 3)
		return false;
	if (!item->remaining_skips) {
		item->remaining_skips = (uint8_t)skip_age(age);
		return false;
	}
	ksm->pages_skipped++;
	ksm->page_work.skipped++;
	item->remaining_skips--;
	ks__remove_rmap_item_from_tree(ksm, item);
	return true;
}

/* ---- the scan-time advisor ---- */

static void advisor_start_scan(struct ks_ksm *ksm)
{
	if (ksm->p.advisor_mode == KS_ADVISOR_SCAN_TIME)
		ksm->advisor.start_scan_ns = batch_clock(ksm);
}

static void advisor_stop_scan(struct ks_ksm *ksm)
{
	struct ks_advisor_ctx *ctx = &ksm->advisor;
	uint64_t scan_time, cpu_time, cpu_ms, cpu_percent, last, factor, change, pages, ppc;
	uint64_t elapsed_ms;

	if (ksm->p.advisor_mode != KS_ADVISOR_SCAN_TIME)
		return;
	elapsed_ms = (batch_clock(ksm) - ctx->start_scan_ns) / 1000000;
	scan_time = elapsed_ms / 1000;
	if (scan_time < 1)
		scan_time = 1;
	cpu_time = ksm->obs.cpu_ns ? ksm->obs.cpu_ns(ksm->obs.self) : 0;
	cpu_ms = (cpu_time - ctx->cpu_time) / 1000000;
	cpu_percent = cpu_ms * 100 / (scan_time * 1000);
	if (cpu_percent < 1)
		cpu_percent = 1;
	last = ctx->scan_time ? ctx->scan_time : scan_time;
	factor = ksm->p.advisor_target_scan_time * 100 / scan_time;
	if (factor < 1)
		factor = 1;
	change = scan_time * 100 / last;
	if (change < 1)
		change = 1;
	change = ((100 - 30) * ctx->change + 30 * change) / 100;
	pages = (uint64_t)ksm->p.pages_to_scan * 100 / factor;
	pages = pages * change / 100;
	ppc = ksm->p.pages_to_scan / cpu_percent;
	if (ppc < 1)
		ppc = 1;
	if (pages > ppc * ksm->p.advisor_max_cpu)
		pages = ppc * ksm->p.advisor_max_cpu;
	if (pages < ppc * 10)
		pages = ppc * 10;
	if (pages > ksm->p.advisor_max_pages_to_scan)
		pages = ksm->p.advisor_max_pages_to_scan;
	ctx->change = change;
	ctx->scan_time = scan_time;
	ctx->cpu_time = cpu_time;
	ksm->p.pages_to_scan = (unsigned)pages;
	if (ksm->obs.event) {
		struct ks_ksm_event ev = { .type = KS_EV_ADVISOR, .seq = scan_time,
					   .rmap_entries = pages, .cpu_percent = cpu_percent };

		ks__emit(ksm, &ev);
	}
}

/* ---- the scanner ---- */

static void emit_scan(struct ks_ksm *ksm, enum ks_ksm_event_type type)
{
	if (ksm->obs.event) {
		struct ks_ksm_event ev = { .type = type, .seq = ksm->seqnr,
					   .rmap_entries = ksm->rmap_items };

		ks__emit(ksm, &ev);
	}
}

static void mm_slot_unlink(struct ks_mm_slot *slot)
{
	slot->prev->next = slot->next;
	slot->next->prev = slot->prev;
}

/* Inserts slot before `before` in the circular list (list_add_tail(new, before)). */
static void mm_slot_insert_before(struct ks_mm_slot *slot, struct ks_mm_slot *before)
{
	slot->next = before;
	slot->prev = before->prev;
	before->prev->next = slot;
	before->prev = slot;
}

static bool mm_list_empty(const struct ks_ksm *ksm)
{
	return ksm->mm_head.next == &ksm->mm_head;
}

/* End of one mm's pass: free trailing items, advance, unregister if nothing mergeable. */
static void finish_mm_pass(struct ks_ksm *ksm, struct ks_mm_slot *slot)
{
	struct ks_mm *mm = slot->mm;

	if (mm->exiting) {
		ksm->scan_address = 0;
		ksm->scan_rmap_list = &slot->rmap_list;
	}
	remove_trailing_rmap_items(ksm, ksm->scan_rmap_list);
	ksm->scan_slot = slot->next;
	if (ksm->scan_address == 0) {
		mm_slot_unlink(slot);
		mm->slot = NULL;
		free(slot);
		if (mm->exiting)
			ks__mm_free(ksm, mm);
	}
}

/* Finds the next page to hand to cmp_and_merge_page(), or false at the end of a full
 * scan (scan_get_next_rmap_item() returning NULL). */
static bool scan_get_next_rmap_item(struct ks_ksm *ksm, struct ks_page_ref *pg,
				    struct ks_rmap_item **itemp)
{
	struct ks_mm_slot *slot;

	if (mm_list_empty(ksm))
		return false;
	slot = ksm->scan_slot;
	if (slot == &ksm->mm_head) {
		advisor_start_scan(ksm);
		emit_scan(ksm, KS_EV_START_SCAN);
		ksm->page_work.scans_started++;
		for (unsigned nid = 0; nid < ksm->nr_node_ids; nid++)
			ksm->root_unstable_tree[nid] = KS_RB_ROOT;
		slot = ksm->mm_head.next;
		ksm->scan_slot = slot;
		ksm->scan_address = 0;
		ksm->scan_rmap_list = &slot->rmap_list;
	}
	for (;;) {
		struct ks_mm *mm = slot->mm;

		for (unsigned i = 0; !mm->exiting && i < mm->nvmas; i++) {
			struct ks_vma *v = &mm->vmas[i];

			if (v->end <= ksm->scan_address || !v->mergeable)
				continue;
			if (ksm->scan_address < v->start)
				ksm->scan_address = v->start;
			if (!v->anon_vma)
				ksm->scan_address = v->end;
			while (ksm->scan_address < v->end) {
				uint64_t *pte = &v->ptes[(ksm->scan_address - v->start) /
							 KS_PAGE_SIZE];
				struct ks_rmap_item *item;

				if (!ks__pte_is_anon(*pte) && !ks__pte_is_ksm(*pte)) {
					ksm->scan_address += KS_PAGE_SIZE;
					continue;
				}
				ksm->page_work.walk_entries++;
				*pg = (struct ks_page_ref){ .mm = mm, .vma = v,
							 .addr = ksm->scan_address, .pte = pte };
				item = get_next_rmap_item(ksm, slot, ksm->scan_rmap_list,
							  ksm->scan_address);
				ksm->scan_rmap_list = &item->rmap_list;
				ksm->scan_address += KS_PAGE_SIZE;
				if (should_skip_rmap_item(ksm, pg, item))
					continue;
				*itemp = item;
				return true;
			}
		}
		finish_mm_pass(ksm, slot);
		slot = ksm->scan_slot;
		if (slot == &ksm->mm_head)
			break;
		ksm->scan_address = 0;
		ksm->scan_rmap_list = &slot->rmap_list;
	}
	advisor_stop_scan(ksm);
	emit_scan(ksm, KS_EV_STOP_SCAN);
	ksm->seqnr++;
	return false;
}

bool ks_ksm_should_run(const struct ks_ksm *ksm)
{
	return (ksm->run & 1) && !mm_list_empty(ksm);
}

/* ksm_do_scan(pages_to_scan): the Linux 6.18 batch (its scan_batch). */
void ks__ksm_do_scan(struct ks_ksm *ksm)
{
	ksm->jiffies = ksm->now_ns / (1000000000ULL / ksm->p.hz);
	for (unsigned n = ksm->p.pages_to_scan; n; n--) {
		struct ks_page_ref pg;
		struct ks_rmap_item *item;
		enum ks_page_kind kind;

		if (!scan_get_next_rmap_item(ksm, &pg, &item))
			break;
		kind = ks__page_kframe(&pg) ? KS_PAGE_KSM : KS_PAGE_ANON;
		ksm->page_work.pages++;
		if (kind == KS_PAGE_KSM)
			ksm->page_work.ksm_pages++;
		ks__cmp_and_merge_page(ksm, &pg, item);
		ksm->pages_scanned++;
		ks__page_done(ksm, kind);
	}
}

bool ks_ksm_scan_batch(struct ks_ksm *ksm, ks_time now, struct ks_work *w)
{
	if (!ks_ksm_should_run(ksm))
		return false;
	ksm->now_ns = now;
	ksm->batch_work = w;
	memset(&ksm->page_work, 0, sizeof(ksm->page_work));
	ksm->algo->scan_batch(ksm);
	/* Work done after the last page (end-of-scan bookkeeping) belongs to the batch. */
	if (ksm->batch_work)
		ks_work_add(ksm->batch_work, &ksm->page_work);
	memset(&ksm->page_work, 0, sizeof(ksm->page_work));
	ksm->batch_work = NULL;
	return true;
}

ks_time ks_ksm_sleep_ns(const struct ks_ksm *ksm)
{
	return ks__msecs_to_jiffies(ksm, ksm->p.sleep_millisecs) * (1000000000ULL / ksm->p.hz);
}

/* ---- registration ---- */

int ks__ksm_enter(struct ks_ksm *ksm, struct ks_mm *mm)
{
	struct ks_mm_slot *slot = ks_xcalloc(1, sizeof(*slot));

	slot->mm = mm;
	mm->slot = slot;
	/* Behind the cursor, so the area settles before ksmd looks at it; at the tail while
	 * unmerging. */
	if (ksm->run & 2)
		mm_slot_insert_before(slot, &ksm->mm_head);
	else
		mm_slot_insert_before(slot, ksm->scan_slot);
	if (ksm->obs.event) {
		struct ks_ksm_event ev = { .type = KS_EV_ENTER, .pid = mm->pid };

		ks__emit(ksm, &ev);
	}
	return 0;
}

/* __ksm_exit() of Linux 6.18 (its mm_exit): a slot without items goes now, one with
 * items waits for ksmd; the slot under the cursor is ksmd's to drop. */
void ks__ksm_exit_slot(struct ks_ksm *ksm, struct ks_mm *mm)
{
	struct ks_mm_slot *slot = mm->slot;

	if (!slot || ksm->scan_slot == slot)
		return;
	if (!slot->rmap_list) {
		mm_slot_unlink(slot);
		free(slot);
		mm->slot = NULL;
	} else {
		/* Move it just after the cursor: ksmd frees its items next. */
		mm_slot_unlink(slot);
		mm_slot_insert_before(slot, ksm->scan_slot->next);
	}
}

void ks__ksm_exit(struct ks_ksm *ksm, struct ks_mm *mm)
{
	ksm->algo->mm_exit(ksm, mm);
	if (ksm->obs.event) {
		struct ks_ksm_event ev = { .type = KS_EV_EXIT, .pid = mm->pid };

		ks__emit(ksm, &ev);
	}
}

/* ---- run=2: unmerge_and_remove_all_rmap_items() ---- */

/* remove_stable_node(): true if its page is still mapped (EBUSY). */
static bool remove_stable_node(struct ks_ksm *ksm, struct ks_stable_node *sn)
{
	struct ks_kframe *kf = ksm_get_folio(ksm, sn);

	if (!kf)
		return false;
	if (kf->mapcount)
		return true;
	kf->node = NULL;
	remove_node_from_stable_tree(ksm, sn);
	return false;
}

static bool remove_stable_node_chain(struct ks_ksm *ksm, struct ks_stable_node *sn,
				     struct ks_rb_root *root)
{
	struct ks_hnode *h, *next;

	if (!is_stable_node_chain(sn))
		return remove_stable_node(ksm, sn);
	for (h = sn->hlist.first; h; h = next) {
		next = h->next;
		if (remove_stable_node(ksm, ks_rb_entry(h, struct ks_stable_node, hlist_dup)))
			return true;
	}
	free_stable_node_chain(ksm, sn, root);
	return false;
}

/* remove_all_stable_nodes(): true (EBUSY) if some node's page is still mapped. */
bool ks__remove_all_stable_nodes(struct ks_ksm *ksm)
{
	bool busy = false;

	for (unsigned nid = 0; nid < ksm->nr_node_ids; nid++) {
		struct ks_rb_root *root = &ksm->root_stable_tree[nid];

		while (root->node) {
			struct ks_stable_node *sn = ks_rb_entry(root->node, struct ks_stable_node,
								node);

			if (remove_stable_node_chain(ksm, sn, root)) {
				busy = true;
				break;
			}
		}
	}
	return busy;
}

void ks__unmerge_and_remove_all_rmap_items(struct ks_ksm *ksm)
{
	struct ks_mm_slot *slot;

	ksm->scan_slot = ksm->mm_head.next;
	for (slot = ksm->scan_slot; slot != &ksm->mm_head; slot = ksm->scan_slot) {
		struct ks_mm *mm = slot->mm;

		for (unsigned i = 0; !mm->exiting && i < mm->nvmas; i++) {
			struct ks_vma *v = &mm->vmas[i];

			if (!v->mergeable || !v->anon_vma)
				continue;
			for (uint64_t a = v->start; a < v->end; a += KS_PAGE_SIZE)
				ks__break_ksm(ksm, mm, v, a);
		}
		remove_trailing_rmap_items(ksm, &slot->rmap_list);
		ksm->scan_slot = slot->next;
		if (mm->exiting) {
			mm_slot_unlink(slot);
			mm->slot = NULL;
			free(slot);
			ks__mm_free(ksm, mm);
		}
	}
	ks__remove_all_stable_nodes(ksm);
	ksm->seqnr = 0;
}

/* Unstable trees [from, to) go out of use (per-node trees -> one tree). The kernel
 * leaves their items linked until ksmd next visits them; here the trees are emptied and
 * their items aged to an earlier scan, so each is unlinked from no tree on its next visit
 * with the same pages_unshared accounting, and no tree keeps a pointer to a freed item
 * if per-node trees come back before the next full scan. */
void ks__retire_unstable_trees(struct ks_ksm *ksm, unsigned from, unsigned to)
{
	for (unsigned nid = from; nid < to; nid++) {
		struct ks_rb_node *rb;

		for (rb = ks_rb_first(&ksm->root_unstable_tree[nid]); rb; rb = ks_rb_next(rb)) {
			struct ks_rmap_item *item = ks_rb_entry(rb, struct ks_rmap_item, node);

			item->address = (item->address & ~KS_SEQNR_MASK) |
					((ksm->seqnr - 1) & KS_SEQNR_MASK);
		}
		ksm->root_unstable_tree[nid] = KS_RB_ROOT;
	}
}
