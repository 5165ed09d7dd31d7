/* ksm_unstable.c - the unstable tree of Linux 6.18 mm/ksm.c: get_mergeable_page() and
 * unstable_tree_search_insert(); and what becomes of per-node trees when
 * merge_across_nodes is set. */
#include "ksm_int.h"

/* get_mergeable_page(): the anonymous page now mapped at the item's address. */
static bool get_mergeable_page(const struct ks_ksm *ksm, struct ks_rmap_item *item,
			       struct ks_page_ref *out)
{
	uint64_t addr = item->address & KS_PAGE_MASK;
	struct ks_mm *mm = ks__item_mm(ksm, item);
	struct ks_vma *v = ks__find_mergeable_vma(mm, addr);
	uint64_t *pte;

	if (!v)
		return false;
	pte = &v->ptes[(addr - v->start) / KS_PAGE_SIZE];
	if (!ks__pte_is_anon(*pte) && !ks__pte_is_ksm(*pte))
		return false;
	*out = (struct ks_page_ref){ .mm = mm, .vma = v, .addr = addr, .pte = pte };
	return true;
}

/* The bulk path's descent while the trees are trusted (!utree_dirty): every tree item
 * maps a mergeable page whose content is its memo - 1 (its checksum was taken at this
 * visit, just before it was inserted, and nothing has changed such a page since), so
 * the item gives what get_mergeable_page() would read from the page tables. Same
 * decisions, same work; the page of a match is looked up as the reference does. */
static struct ks_rmap_item *search_insert_trusted(struct ks_ksm *ksm, struct ks_page_ref *pg,
						  struct ks_page_ref *t_pg, uint16_t nid,
						  ks_content c, uint32_t **linkp,
						  uint32_t *parentp)
{
	uint32_t *link = *linkp, parent = 0;
	uint64_t addr = pg->addr;

	while (*link) {
		struct ks_rmap_item *t_item = ks__item(ksm, *link);
		int ret;

		ksm->page_work.unstable_visits++;
		/* the next level's item is one of these: its miss overlaps this level */
		__builtin_prefetch(ks__item(ksm, t_item->node.left));
		__builtin_prefetch(ks__item(ksm, t_item->node.right));
		if (t_item->mm_id == pg->mm->id && (t_item->address & KS_PAGE_MASK) == addr)
			return NULL; /* the same page */
		ret = ks__memcmp_pages(ksm, c, t_item->memo - 1);
		parent = *link;
		if (ret < 0) {
			link = &t_item->node.left;
		} else if (ret > 0) {
			link = &t_item->node.right;
		} else if (!ksm->p.merge_across_nodes && ks__item_mm(ksm, t_item)->nid != nid) {
			return NULL;
		} else {
			get_mergeable_page(ksm, t_item, t_pg);
			return t_item;
		}
	}
	*linkp = link;
	*parentp = parent;
	return NULL;
}

struct ks_rmap_item *ks__unstable_tree_search_insert(struct ks_ksm *ksm,
						     struct ks_rmap_item *item,
						     struct ks_page_ref *pg,
						     struct ks_page_ref *t_pg)
{
	uint16_t nid = ks__page_nid(ksm, pg);
	struct ks_irb_root *root = &ksm->root_unstable_tree[nid];
	uint32_t *link = &root->node, parent = 0;
	ks_content c = ks__page_content(pg);
	uint32_t idx;

	if (*link)
		ksm->page_work.unstable_walks++;
	if (ksm->bulk && !ksm->utree_dirty) {
		struct ks_rmap_item *t = search_insert_trusted(ksm, pg, t_pg, nid, c, &link,
							       &parent);

		if (t || *link)
			return t; /* a match, or a stop before the end of the descent */
		goto insert;
	}
	while (*link) {
		struct ks_rmap_item *t_item = ks__item(ksm, *link);
		int ret;

		ksm->page_work.unstable_visits++;
		if (!get_mergeable_page(ksm, t_item, t_pg))
			return NULL; /* tree page gone: neither matched nor inserted */
		if (t_pg->pte == pg->pte)
			return NULL;
		ret = ks__memcmp_pages(ksm, c, ks__page_content(t_pg));
		parent = *link;
		if (ret < 0)
			link = &t_item->node.left;
		else if (ret > 0)
			link = &t_item->node.right;
		else if (!ksm->p.merge_across_nodes && t_pg->mm->nid != nid)
			return NULL;
		else
			return t_item;
	}
insert:
	if (ksm->bulk)
		ks__utree_mark(pg->vma, (uint64_t)(pg->pte - pg->vma->ptes));
	item->address |= KS_UNSTABLE_FLAG | (ksm->seqnr & KS_SEQNR_MASK);
	item->nid = nid;
	idx = ks__item_idx(ksm, item);
	ks_irb_link_node(&ksm->utree, idx, parent, link);
	ks_irb_insert_color(&ksm->utree, idx, root);
	ksm->pages_unshared++;
	ksm->page_work.unstable_inserts++;
	return NULL;
}

/* Unstable trees [from, to) go out of use (per-node trees -> one tree). The kernel
 * leaves their items linked until ksmd next visits them; here the trees are emptied and
 * their items aged to an earlier scan, so each is unlinked from no tree on its next visit
 * with the same pages_unshared accounting, and no tree keeps a pointer to a freed item
 * if per-node trees come back before the next full scan. */
void ks__retire_unstable_trees(struct ks_ksm *ksm, unsigned from, unsigned to)
{
	for (unsigned nid = from; nid < to; nid++) {
		const struct ks_irb *t = &ksm->utree;

		for (uint32_t i = ks_irb_first(t, &ksm->root_unstable_tree[nid]); i;
		     i = ks_irb_next(t, i)) {
			struct ks_rmap_item *item = ks__item(ksm, i);

			item->address = (item->address & ~KS_SEQNR_MASK) |
					((ksm->seqnr - 1) & KS_SEQNR_MASK);
		}
		ksm->root_unstable_tree[nid].node = 0;
	}
}
