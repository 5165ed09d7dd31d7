/* ksm_merge.c - merging in Linux 6.18 mm/ksm.c: break_cow(), calc_checksum(),
 * replace_page(), try_to_merge_one_page(), the zero page (use_zero_pages),
 * try_to_merge_with_ksm_page(), try_to_merge_two_pages(), and cmp_and_merge_page(),
 * which takes each scanned page through the checksum, the zero page and the two trees;
 * in mm/ksm.c's order. */
#include "ksm_int.h"

/* ---- merging ---- */

/* break_cow(): undo a merge of the item's address (private copy again). */
static void break_cow(struct ks_ksm *ksm, struct ks_rmap_item *item)
{
	struct ks_vma *v = ks__find_mergeable_vma(ks__item_mm(ksm, item), item->address);

	ksm->page_work.break_cows++;
	if (v)
		ks__break_ksm(ksm, ks__item_mm(ksm, item), v, item->address & KS_PAGE_MASK);
}

/* calc_checksum() of the page an item maps. Content descriptors are immutable, so an
 * unchanged page's checksum is the one computed last time (kept in oldchecksum). */
static uint32_t calc_checksum(struct ks_ksm *ksm, struct ks_rmap_item *item, ks_content c)
{
	ksm->page_work.checksums++;
	if (item->memo == c + 1)
		return item->oldchecksum;
	item->memo = c + 1;
	item->smemo_gen = 0; /* its search memo was of the old content */
	return ks_content_checksum(ksm->cs, c, (enum ks_checksum_alg)ksm->p.checksum);
}

/* Maps the zero page of the right colour (ZERO_PAGE(addr)) and returns its "PFN". */
static uint64_t zero_page_pfn(const struct ks_ksm *ksm, uint64_t addr)
{
	return (addr / KS_PAGE_SIZE) % ksm->p.zero_page_colours;
}

/* replace_page(): page's PTE now maps kpage (a KSM frame) or the zero page (kpage NULL). */
static void replace_page(struct ks_ksm *ksm, struct ks_page_ref *pg, struct ks_kframe *kpage)
{
	uint64_t old = *ks__page_own(pg);

	ksm->page_work.replaces++;
	if (ks__pte_is_anon(old))
		ksm->nr_anon--;
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
		if (ks__pte_is_anon(*ks__page_own(pg)))
			ksm->nr_anon--;
		*ks__page_own(pg) = KS_PTE_KSM | (uint64_t)(uintptr_t)nk;
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
		if (ks__find_mergeable_vma(ks__item_mm(ksm, item), item->address)) {
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

	if (ks__find_mergeable_vma(ks__item_mm(ksm, item), item->address)) {
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

/* ---- cmp_and_merge_page ---- */

/* stable_tree_search() of an ordinary page, with the bulk path's memo (KS_SMEMO_*): an
 * unchanged page (content = item->memo - 1) whose last search found nothing through
 * regular nodes, with stable_gen unchanged since, counts that search's work again and
 * finds nothing again. The page-by-page path always searches. */
static struct ks_kframe *stable_search(struct ks_ksm *ksm, struct ks_page_ref *pg,
				       struct ks_rmap_item *item)
{
	struct ks_work *w = &ksm->page_work;
	uint64_t visits, walks, cmps, bytes, dups, stale;
	struct ks_kframe *kf;
	uint32_t gen;

	if (!ksm->bulk || ksm->smemo_off || ks__page_kframe(pg) ||
	    item->memo != ks__page_content(pg) + 1)
		return ks__stable_tree_search(ksm, pg);
	if (item->smemo_gen == ksm->stable_gen) {
		uint32_t m = item->smemo_work;

		visits = m & ((1u << KS_SMEMO_VISITS_BITS) - 1);
		w->stable_visits += visits;
		w->cmps += visits;
		w->stable_walks += (m >> KS_SMEMO_VISITS_BITS) & 1;
		w->cmp_bytes += m >> (KS_SMEMO_VISITS_BITS + KS_SMEMO_WALKS_BITS);
		return NULL;
	}
	visits = w->stable_visits, walks = w->stable_walks, cmps = w->cmps;
	bytes = w->cmp_bytes, dups = w->chain_dups, stale = w->stale_nodes;
	gen = ksm->stable_gen;
	kf = ks__stable_tree_search(ksm, pg);
	visits = w->stable_visits - visits;
	walks = w->stable_walks - walks;
	bytes = w->cmp_bytes - bytes;
	if (!kf && gen == ksm->stable_gen && !ksm->smemo_off && w->chain_dups == dups &&
	    w->stale_nodes == stale && w->cmps - cmps == visits && walks <= 1 &&
	    visits < (1u << KS_SMEMO_VISITS_BITS) && bytes < (1u << KS_SMEMO_BYTES_BITS)) {
		item->smemo_gen = gen;
		item->smemo_work = (uint32_t)(visits | walks << KS_SMEMO_VISITS_BITS |
					      bytes << (KS_SMEMO_VISITS_BITS + KS_SMEMO_WALKS_BITS));
	}
	return kf;
}

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
		if (ks__item_head(ksm, item) == sn)
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
	kf = stable_search(ksm, pg, item);
	if (kf && kf == own && ks__item_head(ksm, item) == sn)
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
