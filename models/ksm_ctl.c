/* ksm_ctl.c - creating and freeing a simulated machine (with the table of algorithm
 * variants it picks from), writes to its sysfs knobs during a run (the *_store()
 * functions of mm/ksm.c), its counters, and the invariant checker that tests (and
 * --enable-debug builds) run after every step. */
#include <stdlib.h>
#include <string.h>

#include "ksm_int.h"
#include "models/base/xalloc.h"

/* ---- the algorithm variants (ksm_int.h, struct ks_ksm_algo) ---- */

static void stats_618(const struct ks_ksm *ksm, struct ks_ksm_stats *st);
static int check_618(const struct ks_ksm *ksm);

/* Linux 6.18 mm/ksm.c (ksm_scan.c, ksm_stable.c, ksm_unstable.c, ksm_merge.c, and the
 * counters and invariants below): its state is struct ks_ksm itself. */
static const struct ks_ksm_algo algo_linux_618 = {
	.scan_batch = ks__ksm_do_scan,
	.mm_exit = ks__ksm_exit_slot,
	.unmerge_all = ks__unmerge_and_remove_all_rmap_items,
	.stats = stats_618,
	.check = check_618,
	.rmap_walk = true,
	.lazy_writes = true,
};

/* ksm.algorithm -> its variant. */
static const struct ks_ksm_algo *const algorithms[] = {
	[KS_KSM_ALG_LINUX_618] = &algo_linux_618,
	[KS_KSM_ALG_2009] = &ks__algo_2009,
};

static const struct ks_ksm_algo *algorithm(enum ks_ksm_algorithm a)
{
	if ((size_t)a < sizeof(algorithms) / sizeof(algorithms[0]) && algorithms[a])
		return algorithms[a];
	return &algo_linux_618;
}

struct ks_ksm *ks_ksm_new(const struct ks_ksm_params *p, struct ks_content_store *cs)
{
	struct ks_ksm *ksm = ks_xcalloc(1, sizeof(*ksm));

	ksm->p = *p;
	if (ksm->p.hz == 0)
		ksm->p.hz = 1000;
	if (ksm->p.zero_page_colours == 0)
		ksm->p.zero_page_colours = 1;
	if (ksm->p.max_page_sharing < 2)
		ksm->p.max_page_sharing = 2;
	ksm->cs = cs;
	ksm->zero_checksum = ks_content_checksum(cs, KS_CONTENT_ZERO_PAGE,
						 (enum ks_checksum_alg)p->checksum);
	ksm->mm_head.next = ksm->mm_head.prev = &ksm->mm_head;
	ksm->scan_slot = &ksm->mm_head;
	ksm->run = p->run;
	ksm->bulk = true;
	ksm->stable_gen = 1;
	ksm->nr_node_ids = p->merge_across_nodes ? 1 : 1; /* set by ks_ksm_set_numa */
	for (unsigned i = 0; i < KS_MAX_NUMA; i++) {
		ksm->root_stable_tree[i] = KS_RB_ROOT;
		ksm->root_unstable_tree[i].node = 0;
	}
	ksm->utree = (struct ks_irb){ &ksm->item_pool, offsetof(struct ks_rmap_item, node) };
	if (ksm->p.advisor_mode == KS_ADVISOR_SCAN_TIME)
		ksm->p.pages_to_scan = (unsigned)ksm->p.advisor_min_pages_to_scan;
	ks_ipool_init(&ksm->item_pool, sizeof(struct ks_rmap_item));
	ks_ipool_init(&ksm->node_pool, sizeof(struct ks_stable_node));
	ks__pool_init(&ksm->frame_pool, sizeof(struct ks_kframe), 4096);
	ksm->algo = algorithm(p->algorithm);
	if (ksm->algo->init)
		ksm->algo->init(ksm);
	return ksm;
}

int ks_ksm_set_numa(struct ks_ksm *ksm, unsigned nodes)
{
	if (nodes < 1 || nodes > KS_MAX_NUMA)
		return KS_ERANGE;
	ksm->nr_node_ids = ksm->p.merge_across_nodes ? 1 : nodes;
	ksm->numa_nodes = nodes;
	ks__stable_changed(ksm);
	return 0;
}

void ks_ksm_free(struct ks_ksm *ksm)
{
	if (!ksm)
		return;
	for (unsigned h = 0; h < KS_PID_HASH; h++) {
		struct ks_mm *mm = ksm->pid_hash[h], *next;

		for (; mm; mm = next) {
			next = mm->hash_next;
			for (unsigned i = 0; i < mm->nvmas; i++) {
				free(mm->vmas[i].ptes);
				free(mm->vmas[i].lazy);
				free(mm->vmas[i].ubits);
			}
			free(mm->vmas);
			free(mm->slot);
			free(mm);
		}
	}
	if (ksm->algo->free)
		ksm->algo->free(ksm);
	ks_ipool_fini(&ksm->item_pool);
	free(ksm->mm_by_id);
	free(ksm->free_mm_ids);
	ks_ipool_fini(&ksm->node_pool);
	ks__pool_fini(&ksm->frame_pool);
	free(ksm);
}

void ks_ksm_set_bulk(struct ks_ksm *ksm, bool bulk)
{
	ksm->bulk = bulk;
}

void ks_ksm_set_observer(struct ks_ksm *ksm, const struct ks_ksm_observer *obs)
{
	if (obs)
		ksm->obs = *obs;
	else
		memset(&ksm->obs, 0, sizeof(ksm->obs));
}

/* ---- the sysfs knobs (the *_store() functions of mm/ksm.c) ---- */

int ks_ksm_set_pages_to_scan(struct ks_ksm *ksm, unsigned n)
{
	if (ksm->p.advisor_mode == KS_ADVISOR_SCAN_TIME)
		return KS_EINVAL;
	ksm->p.pages_to_scan = n;
	return 0;
}

int ks_ksm_set_run(struct ks_ksm *ksm, unsigned run)
{
	if (run > 2 || ((run & 2) && !ksm->algo->unmerge_all))
		return KS_EINVAL; /* e.g. the 2009 kksmd had no unmerge */
	if (run == ksm->run)
		return 0;
	ks__stable_changed(ksm);
	ksm->utree_dirty = true;
	ksm->run = run;
	if (run & 2) {
		memset(&ksm->page_work, 0, sizeof(ksm->page_work));
		ksm->algo->unmerge_all(ksm);
		memset(&ksm->page_work, 0, sizeof(ksm->page_work));
	}
	return 0;
}

/* max_page_sharing_store() and merge_across_nodes_store() change the rules of the
 * stable tree only when it holds no KSM page: none counted, and every node left (all
 * stale) can be dropped. */
static bool stable_tree_busy(struct ks_ksm *ksm)
{
	bool busy;

	if (ksm->pages_shared)
		return true;
	memset(&ksm->page_work, 0, sizeof(ksm->page_work));
	busy = ks__remove_all_stable_nodes(ksm);
	memset(&ksm->page_work, 0, sizeof(ksm->page_work));
	return busy;
}

int ks_ksm_set_merge_across_nodes(struct ks_ksm *ksm, bool across)
{
	unsigned old = ksm->nr_node_ids;

	if (across == ksm->p.merge_across_nodes)
		return 0;
	ks__stable_changed(ksm);
	ksm->utree_dirty = true;
	if (stable_tree_busy(ksm))
		return KS_EBUSY;
	ksm->p.merge_across_nodes = across;
	ksm->nr_node_ids = across || !ksm->numa_nodes ? 1 : ksm->numa_nodes;
	if (ksm->nr_node_ids < old)
		ks__retire_unstable_trees(ksm, ksm->nr_node_ids, old);
	return 0;
}

int ks_ksm_set_max_page_sharing(struct ks_ksm *ksm, uint64_t n)
{
	if (n < 2 || n > INT32_MAX)
		return KS_EINVAL; /* kstrtoint: a positive int of at least 2 */
	if (n == ksm->p.max_page_sharing)
		return 0;
	ks__stable_changed(ksm);
	if (stable_tree_busy(ksm))
		return KS_EBUSY;
	ksm->p.max_page_sharing = (unsigned)n;
	return 0;
}

/* advisor_mode_store(): a different mode starts from its defaults (set_advisor_defaults). */
static int set_advisor_mode(struct ks_ksm *ksm, uint64_t mode)
{
	if (mode > KS_ADVISOR_SCAN_TIME)
		return KS_EINVAL; /* neither "none" nor "scan-time" */
	if (mode == ksm->p.advisor_mode)
		return 0;
	ksm->p.advisor_mode = (enum ks_advisor_mode)mode;
	if (mode == KS_ADVISOR_NONE) {
		ksm->p.pages_to_scan = 100; /* DEFAULT_PAGES_TO_SCAN */
	} else {
		memset(&ksm->advisor, 0, sizeof(ksm->advisor));
		ksm->p.pages_to_scan = (unsigned)ksm->p.advisor_min_pages_to_scan;
	}
	return 0;
}

/* Stores an unsigned int file (kstrtouint: values above UINT_MAX are refused). */
static int store_uint(unsigned *knob, uint64_t value)
{
	if (value > UINT32_MAX)
		return KS_EINVAL;
	*knob = (unsigned)value;
	return 0;
}

/* Stores a bool file (kstrtobool of a number: 0 or 1). */
static int store_bool(bool *knob, uint64_t value)
{
	if (value > 1)
		return KS_EINVAL;
	*knob = value == 1;
	return 0;
}

int ks_ksm_set_knob(struct ks_ksm *ksm, enum ks_knob knob, uint64_t value)
{
	struct ks_ksm_params *p = &ksm->p;

	ks__stable_changed(ksm); /* whatever the knob: no search memo outlives a write, */
	ksm->utree_dirty = true; /* nor a trusted unstable tree */
	switch (knob) {
	case KS_KNOB_RUN:
		return value > 2 ? KS_EINVAL : ks_ksm_set_run(ksm, (unsigned)value);
	case KS_KNOB_PAGES_TO_SCAN:
		return value > UINT32_MAX ? KS_EINVAL :
		       ks_ksm_set_pages_to_scan(ksm, (unsigned)value);
	case KS_KNOB_SLEEP_MILLISECS:
		return store_uint(&p->sleep_millisecs, value);
	case KS_KNOB_MAX_PAGE_SHARING:
		return ks_ksm_set_max_page_sharing(ksm, value);
	case KS_KNOB_USE_ZERO_PAGES:
		return store_bool(&p->use_zero_pages, value);
	case KS_KNOB_MERGE_ACROSS_NODES:
		return value > 1 ? KS_EINVAL : ks_ksm_set_merge_across_nodes(ksm, value == 1);
	case KS_KNOB_SMART_SCAN:
		return store_bool(&p->smart_scan, value);
	case KS_KNOB_STABLE_NODE_CHAINS_PRUNE_MILLISECS:
		return store_uint(&p->stable_node_chains_prune_millisecs, value);
	case KS_KNOB_ADVISOR_MODE:
		return set_advisor_mode(ksm, value);
	case KS_KNOB_ADVISOR_MAX_CPU:
		p->advisor_max_cpu = value;
		return 0;
	case KS_KNOB_ADVISOR_MIN_PAGES_TO_SCAN:
		p->advisor_min_pages_to_scan = value;
		return 0;
	case KS_KNOB_ADVISOR_MAX_PAGES_TO_SCAN:
		p->advisor_max_pages_to_scan = value;
		return 0;
	case KS_KNOB_ADVISOR_TARGET_SCAN_TIME:
		if (value < 1)
			return KS_EINVAL;
		p->advisor_target_scan_time = value;
		return 0;
	default:
		return KS_EINVAL; /* no such file */
	}
}

void ks_work_add_n(struct ks_work *acc, const struct ks_work *w, uint64_t n)
{
	uint64_t *a = (uint64_t *)acc;
	const uint64_t *b = (const uint64_t *)w;

	for (size_t i = 0; i < sizeof(*acc) / sizeof(uint64_t); i++)
		a[i] += n * b[i];
}

void ks_work_add(struct ks_work *acc, const struct ks_work *w)
{
	uint64_t *a = (uint64_t *)acc;
	const uint64_t *b = (const uint64_t *)w;

	for (size_t i = 0; i < sizeof(*acc) / sizeof(uint64_t); i++)
		a[i] += b[i];
}

/* The counters of Linux 6.18 (the *_show() functions of mm/ksm.c). */
static void stats_618(const struct ks_ksm *ksm, struct ks_ksm_stats *st)
{
	int64_t volatile_pages = (int64_t)ksm->rmap_items - (int64_t)ksm->pages_shared -
				 (int64_t)ksm->pages_sharing - (int64_t)ksm->pages_unshared;

	memset(st, 0, sizeof(*st));
	st->full_scans = ksm->seqnr;
	st->pages_scanned = ksm->pages_scanned;
	st->pages_shared = ksm->pages_shared;
	st->pages_sharing = ksm->pages_sharing;
	st->pages_unshared = ksm->pages_unshared;
	st->pages_volatile = volatile_pages > 0 ? (uint64_t)volatile_pages : 0;
	st->pages_skipped = ksm->pages_skipped;
	st->stable_node_chains = ksm->stable_node_chains;
	st->stable_node_dups = ksm->stable_node_dups;
	st->ksm_zero_pages = ksm->ksm_zero_pages;
	st->general_profit = (int64_t)(ksm->pages_sharing + ksm->ksm_zero_pages) * KS_PAGE_SIZE -
			     (int64_t)ksm->rmap_items * 64;
	st->pages_to_scan = ksm->p.pages_to_scan;
	st->rmap_items = ksm->rmap_items;
	st->cow_ksm = ksm->cow_ksm;
}

void ks_ksm_stats(const struct ks_ksm *ksm, struct ks_ksm_stats *st)
{
	ksm->algo->stats(ksm, st);
}

/* ---- invariants ---- */

struct check_tally {
	uint64_t shared, sharing, chains, dups;
};

/* Checks one regular or dup node; returns 0 or an invariant number. */
static int check_node(const struct ks_ksm *ksm, const struct ks_stable_node *sn,
		      struct check_tally *t)
{
	int len = 0;

	for (uint32_t i = sn->items, prev = 0; i; prev = i, i = ks__item(ksm, i)->hnext) {
		const struct ks_rmap_item *item = ks__item(ksm, i);

		if (!(item->address & KS_STABLE_FLAG) || ks__node(ksm, item->head) != sn)
			return 10; /* listed item not flagged STABLE under this node */
		if (item->hprev != prev)
			return 35; /* a stable node's item list: back links broken */
		len++;
	}
	if (len != sn->rmap_hlist_len)
		return 11; /* rmap_hlist_len differs from the list */
	if (len > (int)ksm->p.max_page_sharing)
		return 12; /* over max_page_sharing (no fork in the model) */
	if (sn->kfit != (sn->kpage && sn->kpage->live && sn->kpage->node == sn))
		return 13; /* kfit differs from the keyhole check on the frame */
	if (sn->kfit && sn->kword0 != ks_content_word0(ksm->cs, sn->kpage->content))
		return 14; /* kword0 is not the first word of the frame's content */
	if (len) {
		t->shared++;
		t->sharing += (uint64_t)len - 1;
	}
	return 0;
}

static bool node_page_live(const struct ks_stable_node *sn)
{
	return sn->kpage && sn->kpage->live && sn->kpage->node == sn;
}

static int check_stable(const struct ks_ksm *ksm, struct check_tally *t)
{
	for (unsigned nid = 0; nid < ksm->nr_node_ids; nid++) {
		const struct ks_rb_root *root = &ksm->root_stable_tree[nid];
		const struct ks_rb_node *rb;
		const struct ks_stable_node *prev = NULL;

		if (ks_rb_check(root) < 0)
			return 20; /* stable tree is not a valid red-black tree */
		for (rb = ks_rb_first(root); rb; rb = ks_rb_next(rb)) {
			const struct ks_stable_node *sn = ks_rb_entry(rb, struct ks_stable_node,
								      node);
			const struct ks_stable_node *first = sn;
			int rc;

			if (sn->rmap_hlist_len == KS_STABLE_NODE_CHAIN) {
				const struct ks_hnode *h = sn->hlist.first;

				t->chains++;
				/* A chain whose last dup went stale and was dropped from under
				 * it (remove_rmap_item_from_tree() -> ksm_get_folio()) stays
				 * empty in the tree, as in the kernel, until a search frees it
				 * (stable_node_dup() finding no dup). */
				if (!h)
					continue;
				first = ks_rb_entry(h, struct ks_stable_node, hlist_dup);
				for (; h; h = h->next) {
					const struct ks_stable_node *dup =
						ks_rb_entry(h, struct ks_stable_node, hlist_dup);

					if (!dup->is_dup)
						return 22; /* chain member not marked dup */
					t->dups++;
					if ((rc = check_node(ksm, dup, t)))
						return rc;
				}
			} else if ((rc = check_node(ksm, sn, t))) {
				return rc;
			}
			/* stale nodes (their page freed, perhaps reused: the keyhole no longer
			 * fits) stay in the tree until KSM touches them; they have no order */
			if (prev && node_page_live(first) &&
			    ks_content_cmp(ksm->cs, prev->kpage->content, first->kpage->content,
					   NULL) >= 0)
				return 23; /* stable tree not in strictly increasing memcmp order */
			if (node_page_live(first))
				prev = first;
		}
	}
	return 0;
}

static int check_618(const struct ks_ksm *ksm)
{
	struct check_tally t = { 0 };
	uint64_t items = 0, unshared = 0, zero_ptes = 0;
	const struct ks_mm_slot *slot;
	int rc;

	if ((rc = check_stable(ksm, &t)))
		return rc;
	if (t.shared != ksm->pages_shared)
		return 1; /* pages_shared != nodes with >= 1 item */
	if (t.sharing != ksm->pages_sharing)
		return 2; /* pages_sharing != sum(len - 1) */
	if (t.chains != ksm->stable_node_chains)
		return 3;
	if (t.dups != ksm->stable_node_dups)
		return 4;
	for (slot = ksm->mm_head.next; slot != &ksm->mm_head; slot = slot->next) {
		const struct ks_rmap_item *item;
		uint64_t mm_items = 0, mm_merging = 0, last = 0;

		for (uint32_t i = slot->rmap_list; i; i = item->rmap_list) {
			item = ks__item(ksm, i);
			if (ks__item_mm(ksm, item) != slot->mm)
				return 30; /* item on another mm's list */
			if (mm_items && (item->address & KS_PAGE_MASK) <= last)
				return 31; /* rmap_list not sorted by address */
			last = item->address & KS_PAGE_MASK;
			mm_items++;
			if (item->address & KS_UNSTABLE_FLAG)
				unshared++;
			if (item->address & KS_STABLE_FLAG)
				mm_merging++;
			if ((item->address & KS_STABLE_FLAG) && (item->address & KS_UNSTABLE_FLAG))
				return 32; /* in both trees */
		}
		if (mm_items != slot->mm->ksm_rmap_items)
			return 33; /* per-process ksm_rmap_items */
		if (mm_merging != slot->mm->ksm_merging_pages)
			return 34; /* per-process ksm_merging_pages */
		items += mm_items;
	}
	if (items != ksm->rmap_items)
		return 5; /* ksm_rmap_items != items on lists */
	if (unshared != ksm->pages_unshared)
		return 6; /* pages_unshared != UNSTABLE items */
	for (unsigned h = 0; h < KS_PID_HASH; h++) {
		for (const struct ks_mm *mm = ksm->pid_hash[h]; mm; mm = mm->hash_next) {
			uint64_t z = 0;

			for (unsigned i = 0; i < mm->nvmas; i++) {
				const struct ks_vma *v = &mm->vmas[i];
				uint64_t npages = (v->end - v->start) / KS_PAGE_SIZE, last = 0;

				for (uint64_t j = 0; j < npages; j++)
					z += ks__pte_is_ksm_zero(v->ptes[j]);
				for (unsigned k = 0; k < v->nlazy; k++) {
					const struct ks_lazy_write *lw = &v->lazy[k];

					if (lw->lo >= lw->hi || lw->hi > npages || lw->lo < last ||
					    v->nlazy > KS_LAZY_MAX)
						return 41; /* pending writes not sorted, disjoint, inside */
					for (uint64_t j = lw->lo; j < lw->hi; j++)
						if (!ks__pte_is_anon(v->ptes[j]))
							return 42; /* pending write over a non-private page */
					last = lw->hi;
				}
			}
			if (z != mm->ksm_zero_pages)
				return 40; /* per-process ksm_zero_pages != KSM zero PTEs */
			zero_ptes += z;
		}
	}
	if (zero_ptes != ksm->ksm_zero_pages)
		return 7; /* ksm_zero_pages != KSM zero PTEs */
	for (unsigned nid = 0; nid < ksm->nr_node_ids; nid++)
		if (ks_irb_check(&ksm->utree, &ksm->root_unstable_tree[nid]) < 0)
			return 8; /* unstable tree shape broken */
	return 0;
}

/* Invariant 48: nr_anon counts the PTEs of private anonymous pages (pending range
 * writes included: they cover private pages only). */
static int check_resident(const struct ks_ksm *ksm)
{
	uint64_t anon = 0;

	for (unsigned b = 0; b < KS_PID_HASH; b++)
		for (const struct ks_mm *mm = ksm->pid_hash[b]; mm; mm = mm->hash_next)
			for (unsigned i = 0; i < mm->nvmas; i++) {
				const struct ks_vma *v = &mm->vmas[i];
				uint64_t n = (v->end - v->start) / KS_PAGE_SIZE;

				for (uint64_t j = 0; j < n; j++)
					anon += ks__pte_is_anon(ks__vma_pte(v, j));
			}
	return anon == ksm->nr_anon ? 0 : 48;
}

int ks_ksm_check(const struct ks_ksm *ksm)
{
	int rc = check_resident(ksm);

	return rc ? rc : ksm->algo->check(ksm);
}
