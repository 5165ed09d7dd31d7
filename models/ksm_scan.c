/* ksm_scan.c - ksmd of Linux 6.18 mm/ksm.c: the scan-time advisor, the mm slot list and
 * the scan cursor (struct ksm_scan), rmap_items by address, run=2
 * (unmerge_and_remove_all_rmap_items()), smart scan, scan_get_next_rmap_item(),
 * ksm_do_scan() and the batch, __ksm_enter() and __ksm_exit(); in mm/ksm.c's order. */
#include <stdlib.h>
#include <string.h>

#include "ksm_int.h"
#include "models/base/xalloc.h"

/* ---- the scan-time advisor ---- */

static uint64_t batch_clock(struct ks_ksm *ksm)
{
	ks__pages_flush(ksm); /* the clock includes the pages before it */
	return ksm->obs.clock_ns ? ksm->obs.clock_ns(ksm->obs.self) : ksm->now_ns;
}

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
	cpu_time = ksm->obs.cpu_ns ? ksm->obs.cpu_ns(ksm->obs.self) : 0; /* flushed above */
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

/* ---- mm slots ---- */

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

/* ---- rmap_items ---- */

/* Frees item number idx (already unlinked from its rmap_list). */
static void free_rmap_item(struct ks_ksm *ksm, uint32_t idx)
{
	ksm->rmap_items--;
	ks__item_mm(ksm, ks__item(ksm, idx))->ksm_rmap_items--;
	ksm->page_work.items_freed++;
	ks_ipool_free(&ksm->item_pool, idx);
}

static void remove_trailing_rmap_items(struct ks_ksm *ksm, uint32_t *link)
{
	while (*link) {
		uint32_t idx = *link;
		struct ks_rmap_item *item = ks__item(ksm, idx);

		*link = item->rmap_list;
		ks__remove_rmap_item_from_tree(ksm, item);
		free_rmap_item(ksm, idx);
	}
}

/* ---- run=2: unmerge_and_remove_all_rmap_items() ---- */

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

/* ---- the scanner ---- */

static struct ks_rmap_item *get_next_rmap_item(struct ks_ksm *ksm, struct ks_mm_slot *slot,
					       uint32_t *link, uint64_t addr)
{
	struct ks_rmap_item *item;
	uint32_t idx;

	while (*link) {
		idx = *link;
		item = ks__item(ksm, idx);
		if ((item->address & KS_PAGE_MASK) == addr)
			return item;
		if (item->address > addr)
			break;
		*link = item->rmap_list;
		ks__remove_rmap_item_from_tree(ksm, item);
		free_rmap_item(ksm, idx);
	}
	item = ks_ipool_alloc(&ksm->item_pool, &idx);
	ksm->rmap_items++;
	ksm->page_work.items_alloc++;
	item->mm_id = slot->mm->id;
	slot->mm->ksm_rmap_items++;
	item->address = addr;
	item->rmap_list = *link;
	*link = idx;
	return item;
}

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

static void emit_scan(struct ks_ksm *ksm, enum ks_ksm_event_type type)
{
	if (ksm->obs.event) {
		struct ks_ksm_event ev = { .type = type, .seq = ksm->seqnr,
					   .rmap_entries = ksm->rmap_items };

		ks__emit(ksm, &ev);
	}
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

/* What scan_get_next_rmap_item() found. */
enum next_item {
	NEXT_END,   /* the end of a full scan (the kernel's NULL) */
	NEXT_PAGE,  /* a page for cmp_and_merge_page() */
	NEXT_PAUSE  /* bulk path: smart-scan skips, then a KSM page at the cursor: the walk
		     * stops there so that ksm_page_run() can take that page (with the
		     * skipped pages' work, as the kernel's next page would carry it) */
};

/* Bulk path, after a smart-scan skip: true if the page at the cursor (in v) is a KSM
 * page, which ksm_page_run() may take. */
static bool pause_before_ksm_page(const struct ks_ksm *ksm, const struct ks_vma *v)
{
	return ksm->bulk && ksm->scan_address < v->end &&
	       ks__pte_is_ksm(v->ptes[(ksm->scan_address - v->start) / KS_PAGE_SIZE]);
}

/* Finds the next page to hand to cmp_and_merge_page(), or NEXT_END at the end of a
 * full scan (scan_get_next_rmap_item() returning NULL). */
static enum next_item scan_get_next_rmap_item(struct ks_ksm *ksm, struct ks_page_ref *pg,
					      struct ks_rmap_item **itemp)
{
	struct ks_mm_slot *slot;

	if (mm_list_empty(ksm))
		return NEXT_END;
	slot = ksm->scan_slot;
	if (slot == &ksm->mm_head) {
		advisor_start_scan(ksm);
		emit_scan(ksm, KS_EV_START_SCAN);
		ksm->page_work.scans_started++;
		for (unsigned nid = 0; nid < ksm->nr_node_ids; nid++)
			ksm->root_unstable_tree[nid].node = 0;
		ks__utree_reset(ksm);
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
					/* folio_walk_start() walked to it all the same */
					if (ksm->batch_work)
						ksm->batch_work->walk_holes++;
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
				if (should_skip_rmap_item(ksm, pg, item)) {
					if (pause_before_ksm_page(ksm, v))
						return NEXT_PAUSE;
					continue;
				}
				*itemp = item;
				return NEXT_PAGE;
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
	return NEXT_END;
}

static bool work_is_zero(const struct ks_work *w)
{
	static const struct ks_work zero;

	return !memcmp(w, &zero, sizeof(zero));
}

/* KSM-page rescans read each page's frame (struct ks_kframe, scattered): the frame of
 * the page this many ahead is prefetched, so that the misses overlap. */
#define KSM_RUN_PREFETCH 8

/* The bulk path's KSM-page rescans: from the cursor on, at most max pages that are KSM
 * pages already merged under their frame's stable node (item->head == node), each with
 * the rmap_item of its address next in the list. For each of them the page-by-page
 * path does exactly this: one walk entry, get_next_rmap_item() returns that item,
 * should_skip_rmap_item() never skips a KSM page (and changes nothing), and
 * cmp_and_merge_page() returns at once. So they are counted and told as one run of
 * identical pages, cut where the KSM page changes (that page is ksm_pages_cold). Work
 * already in page_work (pages smart scan skipped just before: NEXT_PAUSE) is the first
 * page's, as the kernel's walk would carry it into the page it hands on. Returns how
 * many (0: the cursor is not on such a page). */
static unsigned ksm_page_run(struct ks_ksm *ksm, unsigned max)
{
	static const struct ks_work one = { .pages = 1, .ksm_pages = 1, .walk_entries = 1 };
	static const struct ks_work one_cold = { .pages = 1, .ksm_pages = 1, .walk_entries = 1,
						 .ksm_pages_cold = 1 };
	struct ks_mm_slot *slot = ksm->scan_slot;
	uint32_t *link = ksm->scan_rmap_list;
	uint64_t addr = ksm->scan_address, idx, npages;
	struct ks_vma *v = NULL;
	unsigned n = 0, hot = 0; /* hot: pages of the current run of the same KSM page */

	if (slot == &ksm->mm_head || slot->mm->exiting)
		return 0;
	for (unsigned i = 0; i < slot->mm->nvmas; i++) {
		if (slot->mm->vmas[i].end > addr) {
			v = &slot->mm->vmas[i];
			break;
		}
	}
	if (!v || addr < v->start || !v->mergeable || !v->anon_vma)
		return 0;
	idx = (addr - v->start) / KS_PAGE_SIZE;
	npages = (v->end - v->start) / KS_PAGE_SIZE;
	for (uint64_t i = idx; i < idx + KSM_RUN_PREFETCH && i < npages; i++)
		if (ks__pte_is_ksm(v->ptes[i]))
			__builtin_prefetch(ks__pte_kframe(v->ptes[i]));
	while (n < max && idx < npages) {
		uint64_t pte = v->ptes[idx];
		struct ks_rmap_item *item = *link ? ks__item(ksm, *link) : NULL;
		struct ks_kframe *kf;

		if (idx + KSM_RUN_PREFETCH < npages &&
		    ks__pte_is_ksm(v->ptes[idx + KSM_RUN_PREFETCH]))
			__builtin_prefetch(ks__pte_kframe(v->ptes[idx + KSM_RUN_PREFETCH]));
		if (!ks__pte_is_ksm(pte) || !item || (item->address & KS_PAGE_MASK) != addr)
			break;
		kf = ks__pte_kframe(pte);
		if (!kf->node || ks__item_head(ksm, item) != kf->node)
			break;
		if (!n && !work_is_zero(&ksm->page_work)) {
			/* the skipped pages' work joins this first page's */
			ks_work_add(&ksm->page_work, kf->pfn != ksm->last_kpfn ? &one_cold : &one);
			ksm->last_kpfn = kf->pfn;
			ks__pages_done_n(ksm, KS_PAGE_KSM, &ksm->page_work, 1);
			memset(&ksm->page_work, 0, sizeof(ksm->page_work));
		} else if (kf->pfn != ksm->last_kpfn) {
			/* the hot pages before it, then it: told in page order */
			if (hot)
				ks__pages_done_n(ksm, KS_PAGE_KSM, &one, hot);
			ks__pages_done_n(ksm, KS_PAGE_KSM, &one_cold, 1);
			ksm->last_kpfn = kf->pfn;
			hot = 0;
		} else {
			hot++;
		}
		link = &item->rmap_list;
		addr += KS_PAGE_SIZE;
		idx++;
		n++;
	}
	if (!n)
		return 0;
	if (hot)
		ks__pages_done_n(ksm, KS_PAGE_KSM, &one, hot);
	ksm->scan_rmap_list = link;
	ksm->scan_address = addr;
	ksm->pages_scanned += n;
	return n;
}

/* ksm_do_scan(pages_to_scan): the Linux 6.18 batch (its scan_batch). */
void ks__ksm_do_scan(struct ks_ksm *ksm)
{
	ksm->jiffies = ksm->now_ns / (1000000000ULL / ksm->p.hz);
	for (unsigned n = ksm->p.pages_to_scan; n;) {
		struct ks_page_ref pg;
		struct ks_rmap_item *item;
		enum ks_page_kind kind;
		enum next_item next;

		if (ksm->bulk) {
			unsigned k = ksm_page_run(ksm, n);

			n -= k;
			if (!n)
				break;
		}
		next = scan_get_next_rmap_item(ksm, &pg, &item);
		if (next == NEXT_END)
			break;
		if (next == NEXT_PAUSE)
			continue; /* a KSM page after skipped pages: ksm_page_run() next */
		n--;
		kind = ks__page_kframe(&pg) ? KS_PAGE_KSM : KS_PAGE_ANON;
		ksm->page_work.pages++;
		if (kind == KS_PAGE_KSM) {
			uint32_t pfn = ks__page_kframe(&pg)->pfn;

			ksm->page_work.ksm_pages++;
			ksm->page_work.ksm_pages_cold += pfn != ksm->last_kpfn;
			ksm->last_kpfn = pfn;
		}
		ks__cmp_and_merge_page(ksm, &pg, item);
		ksm->pages_scanned++;
		ks__page_done(ksm, kind);
	}
}

bool ks_ksm_should_run(const struct ks_ksm *ksm)
{
	return (ksm->run & 1) && !mm_list_empty(ksm);
}

bool ks_ksm_scan_batch(struct ks_ksm *ksm, ks_time now, struct ks_work *w)
{
	if (!ks_ksm_should_run(ksm))
		return false;
	ksm->now_ns = now;
	ksm->batch_work = w;
	ksm->last_kpfn = 0; /* after a sleep nothing of the last batch is taken as cached */
	memset(&ksm->page_work, 0, sizeof(ksm->page_work));
	ksm->algo->scan_batch(ksm);
	ks__pages_flush(ksm);
	/* Work done after the last page (end-of-scan bookkeeping) belongs to the batch. */
	if (ksm->batch_work)
		ks_work_add(ksm->batch_work, &ksm->page_work);
	memset(&ksm->page_work, 0, sizeof(ksm->page_work));
	ksm->batch_work = NULL;
	return true;
}

ks_time ks_ksm_sleep_ns(const struct ks_ksm *ksm)
{
	return ks_ksm_sleep_jiffies_ns(&ksm->p);
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
