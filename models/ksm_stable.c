/* ksm_stable.c - the stable tree of Linux 6.18 mm/ksm.c: stable nodes, chains and their
 * dups, the keyhole check of ksm_get_folio() that drops stale nodes,
 * remove_rmap_item_from_tree(), dropping every node (run=2, and knobs that change the
 * tree's rules), stable_node_dup() with the chain prune, stable_tree_search(),
 * stable_tree_insert() and stable_tree_append(); in mm/ksm.c's order. */
#include "ksm_int.h"

#define KS_NOW_JIFFIES(k) ((k)->jiffies)

/* ---- stable nodes ---- */

static inline bool is_stable_node_chain(const struct ks_stable_node *n)
{
	return n->rmap_hlist_len == KS_STABLE_NODE_CHAIN;
}

static void stable_node_chain_add_dup(struct ks_ksm *ksm, struct ks_stable_node *dup,
				      struct ks_stable_node *chain)
{
	ks__stable_changed(ksm);
	dup->is_dup = true;
	ks__hlist_add_head(&dup->hlist_dup, &chain->hlist);
	ksm->stable_node_dups++;
}

static void stable_node_dup_del(struct ks_ksm *ksm, struct ks_stable_node *dup)
{
	ks__stable_changed(ksm);
	if (dup->is_dup) {
		ks__hlist_del(&dup->hlist_dup);
		ksm->stable_node_dups--;
	} else {
		ks_rb_erase(&dup->node, &ksm->root_stable_tree[dup->nid]);
	}
}

static struct ks_stable_node *alloc_stable_node(struct ks_ksm *ksm)
{
	uint32_t idx;

	return ks_ipool_alloc(&ksm->node_pool, &idx);
}

static void free_stable_node(struct ks_ksm *ksm, struct ks_stable_node *n)
{
	ks_ipool_free(&ksm->node_pool, ks__node_idx(ksm, n));
}

static struct ks_stable_node *alloc_stable_node_chain(struct ks_ksm *ksm,
						      struct ks_stable_node *dup,
						      struct ks_rb_root *root)
{
	struct ks_stable_node *chain = alloc_stable_node(ksm);

	ks__stable_changed(ksm);
	chain->chain_prune_time = KS_NOW_JIFFIES(ksm);
	chain->rmap_hlist_len = KS_STABLE_NODE_CHAIN;
	chain->nid = dup->nid;
	ksm->stable_node_chains++;
	ks_rb_replace_node(&dup->node, &chain->node, root);
	stable_node_chain_add_dup(ksm, dup, chain);
	return chain;
}

static void free_stable_node_chain(struct ks_ksm *ksm, struct ks_stable_node *chain,
				   struct ks_rb_root *root)
{
	ks__stable_changed(ksm);
	ks_rb_erase(&chain->node, root);
	free_stable_node(ksm, chain);
	ksm->stable_node_chains--;
}

/* remove_node_from_stable_tree(): drops a stale node with accounting for its items. */
static void remove_node_from_stable_tree(struct ks_ksm *ksm, struct ks_stable_node *sn)
{
	ks__stable_changed(ksm);
	ksm->page_work.stale_nodes++;
	for (uint32_t i = sn->items; i; i = ks__item(ksm, i)->hnext) {
		struct ks_rmap_item *item = ks__item(ksm, i);

		if (item->hnext) {
			ksm->pages_sharing--;
			ks__emit_item(ksm, KS_EV_REMOVE_RMAP_ITEM, item, sn->kpfn, false, 0);
		} else {
			ksm->pages_shared--;
		}
		ks__item_mm(ksm, item)->ksm_merging_pages--;
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

/* ksm_get_folio(): the keyhole check (kpage live, its node this one: sn->kfit, so the
 * frame itself is not read). NULL (after dropping the node) if it went stale. */
static struct ks_kframe *ksm_get_folio(struct ks_ksm *ksm, struct ks_stable_node *sn)
{
	if (sn->kfit)
		return sn->kpage;
	remove_node_from_stable_tree(ksm, sn);
	return NULL;
}

void ks__remove_rmap_item_from_tree(struct ks_ksm *ksm, struct ks_rmap_item *item)
{
	if (item->address & KS_STABLE_FLAG) {
		struct ks_stable_node *sn = ks__node(ksm, item->head);

		ks__stable_changed(ksm);
		if (!ksm_get_folio(ksm, sn))
			return; /* the whole stale node went, with this item's accounting */
		ks__item_list_del(ksm, item);
		if (sn->items)
			ksm->pages_sharing--;
		else
			ksm->pages_shared--;
		ks__item_mm(ksm, item)->ksm_merging_pages--;
		sn->rmap_hlist_len--;
		item->head = 0;
		item->address &= KS_PAGE_MASK;
	} else if (item->address & KS_UNSTABLE_FLAG) {
		/* Only an item inserted during this full scan is still in the tree. */
		uint8_t age = (uint8_t)(ksm->seqnr - item->address);

		if (!age)
			ks_irb_erase(&ksm->utree, ks__item_idx(ksm, item),
				     &ksm->root_unstable_tree[item->nid]);
		ksm->pages_unshared--;
		item->address &= KS_PAGE_MASK;
		item->head = 0; /* the union held tree links (ks__item_head) */
	}
}

/* ---- every node: run=2, and knobs that change the rules ---- */

/* remove_stable_node(): true if its page is still mapped (EBUSY). */
static bool remove_stable_node(struct ks_ksm *ksm, struct ks_stable_node *sn)
{
	struct ks_kframe *kf = ksm_get_folio(ksm, sn);

	if (!kf)
		return false;
	if (kf->mapcount)
		return true;
	ks__stable_changed(ksm);
	ks__kframe_set_node(kf, NULL);
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

/* ---- the stable tree ---- */

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
			ks__stable_changed(ksm);
			ks_rb_replace_node(&sn->node, &found->node, root);
			found->is_dup = false;
			free_stable_node(ksm, sn);
			ksm->stable_node_chains--;
			ksm->stable_node_dups--;
			*snp = found;
		} else if (sn->hlist.first != &found->hlist_dup &&
			   is_sharing_candidate_off(ksm, found, 1)) {
			ks__stable_changed(ksm);
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

/* memcmp_pages() of content c (first word w0) and the page of node dup (tree_kf, its
 * live frame): on the node's first word when they differ, without reading the frame. */
static inline int cmp_node(struct ks_ksm *ksm, ks_content c, uint64_t w0,
			   const struct ks_stable_node *dup, const struct ks_kframe *tree_kf)
{
	if (w0 != dup->kword0)
		return ks__memcmp_word0(ksm, w0, dup->kword0);
	return ks__memcmp_pages(ksm, c, tree_kf->content);
}

/* stable_tree_search(): the KSM frame to merge with, or NULL. */
struct ks_kframe *ks__stable_tree_search(struct ks_ksm *ksm, struct ks_page_ref *pg)
{
	struct ks_kframe *own = ks__page_kframe(pg);
	struct ks_rb_root *root;
	struct ks_rb_node **link;
	ks_content c = ks__page_content(pg);
	uint64_t w0;

	if (own && own->node)
		return own; /* KSM page forked */
	root = &ksm->root_stable_tree[ks__page_nid(ksm, pg)];
	w0 = ks_content_word0(ksm->cs, c);
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
		/* the next level's node is one of these: its miss overlaps this level */
		__builtin_prefetch(sn->node.left);
		__builtin_prefetch(sn->node.right);
		tree_kf = stable_node_chain(ksm, &dup, &sn, root, true);
		if (!tree_kf)
			goto again; /* a stale node went: the tree may have rotated */
		ret = cmp_node(ksm, c, w0, dup, tree_kf);
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
	uint64_t w0 = ks_content_word0(ksm->cs, kpage->content);
	bool need_chain = false;

	ks__stable_changed(ksm);
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
		ret = cmp_node(ksm, kpage->content, w0, dup, tree_kf);
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
	new_node->kword0 = w0;
	new_node->nid = (uint16_t)(root - ksm->root_stable_tree);
	if (!need_chain) {
		ks_rb_link_node(&new_node->node, parent, link);
		ks_rb_insert_color(&new_node->node, root);
	} else {
		if (!is_stable_node_chain(sn))
			sn = alloc_stable_node_chain(ksm, sn, root);
		stable_node_chain_add_dup(ksm, new_node, sn);
	}
	ks__kframe_set_node(kpage, new_node);
	return new_node;
}

void ks__stable_tree_append(struct ks_ksm *ksm, struct ks_rmap_item *item,
			    struct ks_stable_node *sn)
{
	ks__stable_changed(ksm);
	sn->rmap_hlist_len++;
	item->head = ks__node_idx(ksm, sn);
	item->address |= KS_STABLE_FLAG;
	ks__item_list_add(ksm, ks__item_idx(ksm, item), item, sn);
	if (item->hnext)
		ksm->pages_sharing++;
	else
		ksm->pages_shared++;
	ks__item_mm(ksm, item)->ksm_merging_pages++;
	ksm->page_work.merges++;
}
