/* ksm_mm.c - the memory KSM scans: processes (mm), VMAs, PTEs, KSM frames, and the
 * workload-side operations that touch KSM (write faults, munmap, madvise, exit).
 *
 * What it reproduces:
 * - A write to a KSM page always copies (do_wp_page never reuses a KSM folio): cow_ksm++,
 *   the KSM frame loses a mapping and is freed with its last one; the stable node is NOT
 *   told (it becomes stale and is dropped lazily by ksmd, mm/ksm.c ksm_get_folio()).
 * - A write to a KSM-placed zero page allocates a new page and ksm_zero_pages-- at once.
 * - munmap/exit zap PTEs the same way; rmap_items are left for ksmd to free.
 * - madvise(MADV_MERGEABLE) registers the mm (__ksm_enter) and flags VMAs, splitting them
 *   at the range ends; MADV_UNMERGEABLE unshares every KSM page and KSM zero page in the
 *   range (break_ksm) before clearing VM_MERGEABLE.
 * Left out: fork, swap, migration, THP (pages are always 4 KiB), mlock, userfaultfd. */
#include <stdlib.h>
#include <string.h>

#include "ksm_int.h"
#include "models/base/xalloc.h"

/* ---- object pools ---- */

void ks__pool_init(struct ks_pool *p, size_t objsize, size_t per_chunk)
{
	memset(p, 0, sizeof(*p));
	p->objsize = objsize < sizeof(void *) ? sizeof(void *) : objsize;
	p->per_chunk = per_chunk; /* cap = used = 0: a chunk on first allocation */
}

void *ks__pool_alloc(struct ks_pool *p)
{
	void *obj;

	if (p->free) {
		obj = p->free;
		p->free = *(void **)obj;
	} else {
		if (p->used == p->cap) {
			if (p->nchunks == p->capchunks) {
				p->capchunks = p->capchunks ? 2 * p->capchunks : 16;
				p->chunks = ks_xrealloc(p->chunks, p->capchunks * sizeof(void *));
			}
			/* small runs (thousands of them under the fuzzer) need no MiB chunk */
			p->cap = p->cap ? 2 * p->cap : 256;
			if (p->cap > p->per_chunk)
				p->cap = p->per_chunk;
			p->chunks[p->nchunks++] = ks_xmalloc(p->objsize * p->cap);
			p->used = 0;
		}
		obj = (char *)p->chunks[p->nchunks - 1] + p->objsize * p->used++;
	}
	memset(obj, 0, p->objsize);
	p->live++;
	return obj;
}

void ks__pool_free(struct ks_pool *p, void *obj)
{
	*(void **)obj = p->free;
	p->free = obj;
	p->live--;
}

void ks__pool_fini(struct ks_pool *p)
{
	for (size_t i = 0; i < p->nchunks; i++)
		free(p->chunks[i]);
	free(p->chunks);
	memset(p, 0, sizeof(*p));
}

/* ---- lookups ---- */

struct ks_mm *ks__find_mm(const struct ks_ksm *ksm, uint32_t pid)
{
	struct ks_mm *mm = ksm->pid_hash[pid % KS_PID_HASH];

	while (mm && mm->pid != pid)
		mm = mm->hash_next;
	return mm;
}

struct ks_vma *ks__find_vma(const struct ks_mm *mm, uint64_t addr)
{
	unsigned lo = 0, hi = mm->nvmas;

	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;
		struct ks_vma *v = &mm->vmas[mid];

		if (addr < v->start)
			hi = mid;
		else if (addr >= v->end)
			lo = mid + 1;
		else
			return v;
	}
	return NULL;
}

/* find_mergeable_vma(): NULL if the mm is exiting or the VMA is not mergeable/anon. */
struct ks_vma *ks__find_mergeable_vma(const struct ks_mm *mm, uint64_t addr)
{
	struct ks_vma *v;

	if (mm->exiting)
		return NULL;
	v = ks__find_vma(mm, addr & KS_PAGE_MASK);
	if (!v || !v->mergeable || !v->anon_vma)
		return NULL;
	return v;
}

ks_content ks__pte_content(uint64_t pte)
{
	switch (pte & KS_PTE_TYPE_MASK) {
	case KS_PTE_ANON:
		return KS_PTE_PAYLOAD(pte);
	case KS_PTE_KSM:
		return ks__pte_kframe(pte)->content;
	default:
		return KS_CONTENT_ZERO_PAGE;
	}
}

void ks__emit(struct ks_ksm *ksm, const struct ks_ksm_event *ev)
{
	ks__pages_flush(ksm); /* the event's time includes the pages before it */
	if (ksm->obs.event)
		ksm->obs.event(ksm->obs.self, ev);
}

void ks__emit_item(struct ks_ksm *ksm, enum ks_ksm_event_type type,
		   const struct ks_rmap_item *item, uint64_t pfn, bool to_ksm, int err)
{
	struct ks_ksm_event ev = { .type = type, .pfn = pfn, .to_ksm_page = to_ksm,
				   .err = err };

	if (!ksm->obs.event)
		return;
	if (item) {
		ev.pid = ks__item_mm(ksm, item)->pid;
		ev.vaddr = item->address & KS_PAGE_MASK;
	}
	ks__emit(ksm, &ev);
}

/* ---- KSM frames ---- */

struct ks_kframe *ks__kframe_new(struct ks_ksm *ksm, ks_content c, uint16_t nid)
{
	struct ks_kframe *kf = ks__pool_alloc(&ksm->frame_pool);

	ks__stable_changed(ksm); /* a frame comes back to life (the keyhole) */
	kf->content = c;
	kf->pfn = ++ksm->next_pfn;
	kf->live = true;
	kf->nid = nid;
	return kf;
}

void ks__kframe_unmap(struct ks_ksm *ksm, struct ks_kframe *kf)
{
	if (ksm->algo->kframe_unmap)
		ksm->algo->kframe_unmap(ksm, kf);
	if (--kf->mapcount)
		return;
	/* Freeing a page clears page->mapping: the stable node's keyhole no longer fits. */
	ks__stable_changed(ksm);
	ks__kframe_set_node(kf, NULL);
	kf->live = false;
	ks__pool_free(&ksm->frame_pool, kf);
}

void ks__zero_pte_gone(struct ks_ksm *ksm, struct ks_mm *mm)
{
	ksm->ksm_zero_pages--;
	mm->ksm_zero_pages--;
}

/* Drops whatever a PTE maps (zap or COW), keeping KSM accounting right. */
static void pte_release(struct ks_ksm *ksm, struct ks_mm *mm, uint64_t pte)
{
	if (ks__pte_is_ksm(pte))
		ks__kframe_unmap(ksm, ks__pte_kframe(pte));
	else if (ks__pte_is_ksm_zero(pte))
		ks__zero_pte_gone(ksm, mm);
}

/* break_ksm(): an unshare fault replaces a KSM page or KSM zero page by a private copy. */
int ks__break_ksm(struct ks_ksm *ksm, struct ks_mm *mm, struct ks_vma *vma, uint64_t addr)
{
	uint64_t *pte = &vma->ptes[(addr - vma->start) / KS_PAGE_SIZE];
	uint64_t old = *pte;

	if (!ks__pte_is_ksm(old) && !ks__pte_is_ksm_zero(old))
		return 0;
	ksm->nr_anon++;
	*pte = KS_PTE_ANON | ks__pte_content(old);
	pte_release(ksm, mm, old);
	return 1;
}

/* ---- the unstable trees' page marks (bulk path) ---- */

void ks__utree_mark(struct ks_vma *v, uint64_t idx)
{
	if (!v->ubits)
		v->ubits = ks_xcalloc((v->end - v->start) / KS_PAGE_SIZE / 64 + 1,
				      sizeof(uint64_t));
	v->ubits[idx / 64] |= 1ULL << (idx % 64);
}

void ks__utree_reset(struct ks_ksm *ksm)
{
	ksm->utree_dirty = false;
	for (struct ks_mm_slot *s = ksm->mm_head.next; s != &ksm->mm_head; s = s->next)
		for (unsigned i = 0; i < s->mm->nvmas; i++) {
			struct ks_vma *v = &s->mm->vmas[i];

			if (v->ubits)
				memset(v->ubits, 0, ((v->end - v->start) / KS_PAGE_SIZE / 64 + 1) *
				       sizeof(uint64_t));
		}
}

/* Pages [lo, hi) of v are about to change: the trees' contents may no longer be their
 * items' if one of them is marked. */
static void utree_touch(struct ks_ksm *ksm, const struct ks_vma *v, uint64_t lo, uint64_t hi)
{
	if (ksm->utree_dirty || !v->ubits)
		return;
	while (lo < hi) {
		uint64_t w = v->ubits[lo / 64] >> (lo % 64);
		unsigned n = 64 - (unsigned)(lo % 64);

		if (hi - lo < n) {
			n = (unsigned)(hi - lo);
			w &= (1ULL << n) - 1;
		}
		if (w) {
			ksm->utree_dirty = true;
			return;
		}
		lo += n;
	}
}

/* VMAs of mm change shape or go: no tree content is trusted until the next full scan;
 * the marks go (the next scan starts without them). */
static void utree_forget(struct ks_ksm *ksm, struct ks_mm *mm)
{
	ksm->utree_dirty = true;
	for (unsigned i = 0; i < mm->nvmas; i++) {
		free(mm->vmas[i].ubits);
		mm->vmas[i].ubits = NULL;
	}
}

/* ---- pending range writes (struct ks_lazy_write) ---- */

static inline ks_content lazy_content(const struct ks_lazy_write *z, uint64_t idx)
{
	return ks_content_make(z->cls, z->arg + (idx - z->lo) * (uint64_t)z->step);
}

/* The pending write covering page idx, or NULL. */
static struct ks_lazy_write *lazy_find(const struct ks_vma *v, uint64_t idx)
{
	for (unsigned i = 0; i < v->nlazy && v->lazy[i].lo <= idx; i++)
		if (idx < v->lazy[i].hi)
			return &v->lazy[i];
	return NULL;
}

uint64_t ks__lazy_pte(const struct ks_vma *v, uint64_t idx)
{
	const struct ks_lazy_write *z = lazy_find(v, idx);

	return z ? KS_PTE_ANON | lazy_content(z, idx) : v->ptes[idx];
}

static void lazy_insert_at(struct ks_vma *v, unsigned i, const struct ks_lazy_write *z)
{
	if (v->nlazy == v->caplazy) {
		v->caplazy = v->caplazy ? 2 * v->caplazy : 4;
		v->lazy = ks_xrealloc(v->lazy, v->caplazy * sizeof(*v->lazy));
	}
	memmove(&v->lazy[i + 1], &v->lazy[i], (v->nlazy - i) * sizeof(*v->lazy));
	v->lazy[i] = *z;
	v->nlazy++;
}

static void lazy_remove_at(struct ks_vma *v, unsigned i)
{
	memmove(&v->lazy[i], &v->lazy[i + 1], (v->nlazy - i - 1) * sizeof(*v->lazy));
	v->nlazy--;
}

/* Pages [lo, hi) are no longer covered by pending writes; with apply, the writes they
 * were covered by are first written to their PTE words. */
static void lazy_cut(struct ks_vma *v, uint64_t lo, uint64_t hi, bool apply)
{
	for (unsigned i = 0; i < v->nlazy && v->lazy[i].lo < hi;) {
		struct ks_lazy_write *z = &v->lazy[i];
		uint64_t a = z->lo > lo ? z->lo : lo, b = z->hi < hi ? z->hi : hi;

		if (a >= b) {
			i++;
			continue;
		}
		if (apply)
			for (uint64_t idx = a; idx < b; idx++)
				v->ptes[idx] = KS_PTE_ANON | lazy_content(z, idx);
		if (a == z->lo && b == z->hi) {
			lazy_remove_at(v, i);
		} else if (a == z->lo) {
			z->arg += (b - z->lo) * (uint64_t)z->step;
			z->lo = b;
			i++;
		} else if (b == z->hi) {
			z->hi = a;
			i++;
		} else {
			struct ks_lazy_write right = *z;

			right.arg += (b - z->lo) * (uint64_t)z->step;
			right.lo = b;
			z->hi = a;
			lazy_insert_at(v, i + 1, &right);
			i += 2;
		}
	}
}

/* Keeps at most KS_LAZY_MAX pending writes: applies the smallest ones. */
static void lazy_bound(struct ks_vma *v)
{
	while (v->nlazy > KS_LAZY_MAX) {
		unsigned k = 0;

		for (unsigned i = 1; i < v->nlazy; i++)
			if (v->lazy[i].hi - v->lazy[i].lo < v->lazy[k].hi - v->lazy[k].lo)
				k = i;
		lazy_cut(v, v->lazy[k].lo, v->lazy[k].hi, true);
	}
}

uint64_t *ks__lazy_own(struct ks_vma *v, uint64_t idx)
{
	if (lazy_find(v, idx)) {
		lazy_cut(v, idx, idx + 1, true);
		lazy_bound(v);
	}
	return &v->ptes[idx];
}

void ks__lazy_flush_vma(struct ks_vma *v)
{
	if (v->nlazy)
		lazy_cut(v, 0, (v->end - v->start) / KS_PAGE_SIZE, true);
	free(v->lazy);
	v->lazy = NULL;
	v->nlazy = v->caplazy = 0;
}

/* Applies every pending write of mm (before its VMAs are split, moved or zapped). */
static void lazy_flush_mm(struct ks_mm *mm)
{
	for (unsigned i = 0; i < mm->nvmas; i++)
		ks__lazy_flush_vma(&mm->vmas[i]);
}

/* ---- processes and VMAs ---- */

/* Gives mm an id (ks_rmap_item.mm_id): a freed one if any, else the next. */
static void mm_id_get(struct ks_ksm *ksm, struct ks_mm *mm)
{
	if (ksm->n_free_mm_ids) {
		mm->id = ksm->free_mm_ids[--ksm->n_free_mm_ids];
	} else {
		if (!ksm->n_mm_ids)
			ksm->n_mm_ids = 1; /* id 0 is none */
		if (ksm->n_mm_ids >= ksm->cap_mm_ids) {
			ksm->cap_mm_ids = ksm->cap_mm_ids ? 2 * ksm->cap_mm_ids : 64;
			ksm->mm_by_id = ks_xrealloc(ksm->mm_by_id,
						    ksm->cap_mm_ids * sizeof(*ksm->mm_by_id));
			ksm->free_mm_ids = ks_xrealloc(ksm->free_mm_ids,
						       ksm->cap_mm_ids * sizeof(*ksm->free_mm_ids));
		}
		mm->id = ksm->n_mm_ids++;
	}
	ksm->mm_by_id[mm->id] = mm;
}

int ks_ksm_proc_start(struct ks_ksm *ksm, uint32_t pid)
{
	struct ks_mm *mm = ks__find_mm(ksm, pid);

	if (mm && (mm->running || mm->slot))
		return KS_EBUSY;
	if (!mm) {
		mm = ks_xcalloc(1, sizeof(*mm));
		mm->pid = pid;
		mm_id_get(ksm, mm);
		mm->hash_next = ksm->pid_hash[pid % KS_PID_HASH];
		ksm->pid_hash[pid % KS_PID_HASH] = mm;
	}
	mm->running = true;
	mm->exiting = false;
	mm->nid = (uint16_t)(ksm->nr_node_ids > 1 ? (pid - 1) % ksm->nr_node_ids : 0);
	return 0;
}

static struct ks_mm *running_mm(const struct ks_ksm *ksm, uint32_t pid)
{
	struct ks_mm *mm = ks__find_mm(ksm, pid);

	return mm && mm->running ? mm : NULL;
}

static bool range_ok(uint64_t vaddr, uint64_t npages)
{
	return npages && !(vaddr & (KS_PAGE_SIZE - 1)) &&
	       vaddr + npages * KS_PAGE_SIZE > vaddr;
}

int ks_ksm_mmap(struct ks_ksm *ksm, uint32_t pid, uint64_t vaddr, uint64_t npages)
{
	struct ks_mm *mm = running_mm(ksm, pid);
	uint64_t end = vaddr + npages * KS_PAGE_SIZE;
	unsigned i;

	if (!mm)
		return KS_ENOENT;
	if (!range_ok(vaddr, npages))
		return KS_EINVAL;
	for (i = 0; i < mm->nvmas && mm->vmas[i].start < end; i++)
		if (mm->vmas[i].end > vaddr)
			return KS_EBUSY; /* overlaps an existing mapping */
	if (mm->nvmas == mm->capvmas) {
		mm->capvmas = mm->capvmas ? 2 * mm->capvmas : 4;
		mm->vmas = ks_xrealloc(mm->vmas, mm->capvmas * sizeof(*mm->vmas));
	}
	memmove(&mm->vmas[i + 1], &mm->vmas[i], (mm->nvmas - i) * sizeof(*mm->vmas));
	mm->nvmas++;
	mm->vmas[i] = (struct ks_vma){ .start = vaddr, .end = end,
				       .ptes = ks_xcalloc(npages, sizeof(uint64_t)) };
	ksm->mapped_pages += npages;
	return 0;
}

/* Splits VMA i at addr (start < addr < end); the new VMA i+1 starts at addr. */
static void split_vma(struct ks_mm *mm, unsigned i, uint64_t addr)
{
	struct ks_vma *v;
	uint64_t left = (addr - mm->vmas[i].start) / KS_PAGE_SIZE;
	uint64_t right = (mm->vmas[i].end - addr) / KS_PAGE_SIZE;
	uint64_t *rptes = ks_xmalloc(right * sizeof(uint64_t));

	if (mm->nvmas == mm->capvmas) {
		mm->capvmas *= 2;
		mm->vmas = ks_xrealloc(mm->vmas, mm->capvmas * sizeof(*mm->vmas));
	}
	memmove(&mm->vmas[i + 2], &mm->vmas[i + 1], (mm->nvmas - i - 1) * sizeof(*mm->vmas));
	mm->nvmas++;
	v = &mm->vmas[i];
	memcpy(rptes, v->ptes + left, right * sizeof(uint64_t));
	v->ptes = ks_xrealloc(v->ptes, left * sizeof(uint64_t));
	mm->vmas[i + 1] = *v;
	mm->vmas[i + 1].start = addr;
	mm->vmas[i + 1].ptes = rptes;
	v->end = addr;
}

/* Splits VMAs so that [start, end) is covered by whole VMAs; returns the first index. */
static unsigned split_range(struct ks_mm *mm, uint64_t start, uint64_t end)
{
	unsigned i;

	for (i = 0; i < mm->nvmas; i++) {
		struct ks_vma *v = &mm->vmas[i];

		if (v->start < start && v->end > start) {
			split_vma(mm, i, start);
			continue;
		}
		if (v->start < end && v->end > end)
			split_vma(mm, i, end);
	}
	for (i = 0; i < mm->nvmas && mm->vmas[i].end <= start; i++)
		;
	return i;
}

static void zap_vma(struct ks_ksm *ksm, struct ks_mm *mm, struct ks_vma *v)
{
	uint64_t n = (v->end - v->start) / KS_PAGE_SIZE;

	free(v->lazy); /* pending writes cover private pages only: nothing to release */
	v->lazy = NULL;
	v->nlazy = v->caplazy = 0;

	for (uint64_t j = 0; j < n; j++) {
		ksm->nr_anon -= ks__pte_is_anon(v->ptes[j]);
		pte_release(ksm, mm, v->ptes[j]);
	}
	free(v->ptes);
	free(v->ubits);
	v->ubits = NULL;
	ksm->mapped_pages -= n;
}

uint64_t ks_ksm_mapped_pages(const struct ks_ksm *ksm)
{
	return ksm->mapped_pages;
}

int ks_ksm_munmap(struct ks_ksm *ksm, uint32_t pid, uint64_t vaddr, uint64_t npages)
{
	struct ks_mm *mm = running_mm(ksm, pid);
	uint64_t end = vaddr + npages * KS_PAGE_SIZE;
	unsigned i, j;

	if (!mm)
		return KS_ENOENT;
	if (!range_ok(vaddr, npages))
		return KS_EINVAL;
	lazy_flush_mm(mm);
	utree_forget(ksm, mm);
	i = split_range(mm, vaddr, end);
	for (j = i; j < mm->nvmas && mm->vmas[j].start < end; j++)
		zap_vma(ksm, mm, &mm->vmas[j]);
	if (j > i) /* vmas may be NULL: nothing mapped yet */
		memmove(&mm->vmas[i], &mm->vmas[j], (mm->nvmas - j) * sizeof(*mm->vmas));
	mm->nvmas -= j - i;
	return 0;
}

/* A CPU write of page idx of v (no pending write covers it). */
static void write_pte(struct ks_ksm *ksm, struct ks_mm *mm, struct ks_vma *v, uint64_t idx,
		      ks_content c)
{
	uint64_t *pte = &v->ptes[idx], old = *pte;

	if (ks__pte_is_ksm(old))
		ksm->cow_ksm++; /* do_wp_page copies a KSM page, never reuses it */
	if (!ks__pte_is_anon(old))
		ksm->nr_anon++;
	pte_release(ksm, mm, old);
	*pte = KS_PTE_ANON | (c & ~KS_PTE_TYPE_MASK);
}

int ks_ksm_write(struct ks_ksm *ksm, uint32_t pid, uint64_t vaddr, ks_content c)
{
	struct ks_mm *mm = running_mm(ksm, pid);
	struct ks_vma *v;
	uint64_t idx;

	if (!mm)
		return KS_ENOENT;
	v = ks__find_vma(mm, vaddr);
	if (!v || (vaddr & (KS_PAGE_SIZE - 1)))
		return KS_ENOENT;
	idx = (vaddr - v->start) / KS_PAGE_SIZE;
	utree_touch(ksm, v, idx, idx + 1);
	if (v->nlazy && lazy_find(v, idx)) {
		lazy_cut(v, idx, idx + 1, false);
		lazy_bound(v);
	}
	write_pte(ksm, mm, v, idx, c);
	v->anon_vma = true;
	return 0;
}

/* Writes pages [lo, hi) of v: what pending writes cover was private anonymous already
 * and is simply superseded; the rest is written now (COW of KSM pages, first faults);
 * then the whole range becomes one pending write. */
static void write_span_lazy(struct ks_ksm *ksm, struct ks_mm *mm, struct ks_vma *v,
			    uint64_t lo, uint64_t hi, uint32_t cls, uint64_t arg, int64_t step)
{
	struct ks_lazy_write z = { .lo = lo, .hi = hi, .arg = arg, .step = step, .cls = cls };
	uint64_t idx = lo;
	unsigned i = 0;

	while (idx < hi) {
		uint64_t next = hi;

		for (; i < v->nlazy && v->lazy[i].hi <= idx; i++)
			;
		if (i < v->nlazy && v->lazy[i].lo <= idx) {
			idx = v->lazy[i].hi; /* covered: superseded below */
			continue;
		}
		if (i < v->nlazy && v->lazy[i].lo < next)
			next = v->lazy[i].lo;
		for (; idx < next; idx++)
			write_pte(ksm, mm, v, idx, lazy_content(&z, idx));
	}
	lazy_cut(v, lo, hi, false);
	for (i = 0; i < v->nlazy && v->lazy[i].lo < lo; i++)
		;
	lazy_insert_at(v, i, &z);
	lazy_bound(v);
}

int ks_ksm_write_range(struct ks_ksm *ksm, uint32_t pid, uint64_t vaddr, uint64_t npages,
		       uint32_t cls, uint64_t arg, int64_t step)
{
	struct ks_mm *mm = running_mm(ksm, pid);

	if (!mm)
		return KS_ENOENT;
	if (vaddr & (KS_PAGE_SIZE - 1))
		return KS_ENOENT;
	while (npages) {
		struct ks_vma *v = ks__find_vma(mm, vaddr);
		uint64_t lo, n;

		if (!v)
			return KS_ENOENT;
		lo = (vaddr - v->start) / KS_PAGE_SIZE;
		n = (v->end - vaddr) / KS_PAGE_SIZE;
		n = n < npages ? n : npages;
		utree_touch(ksm, v, lo, lo + n);
		if (ksm->algo->lazy_writes && n >= KS_LAZY_MIN_PAGES) {
			write_span_lazy(ksm, mm, v, lo, lo + n, cls, arg, step);
		} else {
			for (uint64_t k = 0; k < n; k++) {
				uint64_t idx = lo + k;

				if (v->nlazy && lazy_find(v, idx)) {
					lazy_cut(v, idx, idx + 1, false);
					lazy_bound(v);
				}
				write_pte(ksm, mm, v, idx,
					  ks_content_make(cls, arg + k * (uint64_t)step));
			}
		}
		v->anon_vma = true;
		arg += n * (uint64_t)step;
		vaddr += n * KS_PAGE_SIZE;
		npages -= n;
	}
	return 0;
}

int ks_ksm_read(const struct ks_ksm *ksm, uint32_t pid, uint64_t vaddr, ks_content *c)
{
	struct ks_mm *mm = ks__find_mm(ksm, pid);
	struct ks_vma *v = mm ? ks__find_vma(mm, vaddr) : NULL;
	uint64_t pte;

	if (!v)
		return KS_ENOENT;
	pte = ks__vma_pte(v, (vaddr - v->start) / KS_PAGE_SIZE);
	if (pte == KS_PTE_NONE)
		return KS_ENOENT;
	*c = ks__pte_content(pte);
	return 0;
}

int ks_ksm_backing(const struct ks_ksm *ksm, uint32_t pid, uint64_t vaddr,
		   struct ks_backing *b)
{
	struct ks_mm *mm = running_mm(ksm, pid);
	struct ks_vma *v = mm ? ks__find_vma(mm, vaddr & KS_PAGE_MASK) : NULL;
	uint64_t pte;

	if (!v)
		return KS_ENOENT;
	pte = ks__vma_pte(v, ((vaddr & KS_PAGE_MASK) - v->start) / KS_PAGE_SIZE);
	b->frame = 0;
	switch (pte & KS_PTE_TYPE_MASK) {
	case KS_PTE_ANON:
		b->kind = KS_BACK_PRIVATE;
		break;
	case KS_PTE_KSM:
		b->kind = KS_BACK_KSM;
		b->frame = ks__pte_kframe(pte)->pfn;
		break;
	case KS_PTE_ZERO:
		b->kind = KS_BACK_ZERO;
		break;
	default:
		b->kind = KS_BACK_NONE;
		break;
	}
	return 0;
}

int ks_ksm_madvise(struct ks_ksm *ksm, uint32_t pid, uint64_t vaddr, uint64_t npages,
		   bool mergeable)
{
	struct ks_mm *mm = running_mm(ksm, pid);
	uint64_t end = vaddr + npages * KS_PAGE_SIZE;
	unsigned i;

	if (!mm)
		return KS_ENOENT;
	if (!range_ok(vaddr, npages))
		return KS_EINVAL;
	lazy_flush_mm(mm);
	utree_forget(ksm, mm);
	i = split_range(mm, vaddr, end);
	if (i == mm->nvmas || mm->vmas[i].start > vaddr)
		return KS_ENOENT; /* madvise on unmapped memory: ENOMEM in the kernel */
	for (; i < mm->nvmas && mm->vmas[i].start < end; i++) {
		struct ks_vma *v = &mm->vmas[i];

		if (mergeable) {
			if (v->mergeable)
				continue;
			if (!mm->slot) {
				int rc = ks__ksm_enter(ksm, mm);

				if (rc)
					return rc;
			}
			v->mergeable = true;
		} else {
			if (!v->mergeable)
				continue;
			if (v->anon_vma)
				for (uint64_t a = v->start; a < v->end; a += KS_PAGE_SIZE)
					ks__break_ksm(ksm, mm, v, a);
			v->mergeable = false;
		}
	}
	return 0;
}

int ks_ksm_proc_exit(struct ks_ksm *ksm, uint32_t pid)
{
	struct ks_mm *mm = running_mm(ksm, pid);

	if (!mm)
		return KS_ENOENT;
	/* __mmput(): ksm_exit() first, then exit_mmap() zaps every page. */
	utree_forget(ksm, mm);
	mm->exiting = true;
	mm->running = false;
	if (mm->slot)
		ks__ksm_exit(ksm, mm);
	for (unsigned i = 0; i < mm->nvmas; i++)
		zap_vma(ksm, mm, &mm->vmas[i]);
	free(mm->vmas);
	mm->vmas = NULL;
	mm->nvmas = mm->capvmas = 0;
	if (!mm->slot)
		ks__mm_free(ksm, mm);
	return 0;
}

/* Frees an exited mm once KSM no longer references it (mmdrop). */
void ks__mm_free(struct ks_ksm *ksm, struct ks_mm *mm)
{
	struct ks_mm **link = &ksm->pid_hash[mm->pid % KS_PID_HASH];

	if (mm->running)
		return; /* still alive: only unregistered from KSM */
	while (*link != mm)
		link = &(*link)->hash_next;
	*link = mm->hash_next;
	ksm->mm_by_id[mm->id] = NULL;
	ksm->free_mm_ids[ksm->n_free_mm_ids++] = mm->id;
	for (unsigned i = 0; i < mm->nvmas; i++) {
		free(mm->vmas[i].ptes);
		free(mm->vmas[i].lazy);
		free(mm->vmas[i].ubits);
	}
	free(mm->vmas);
	free(mm);
}

int ks_ksm_proc_stats(const struct ks_ksm *ksm, uint32_t pid, struct ks_proc_stats *ps)
{
	struct ks_mm *mm = ks__find_mm(ksm, pid);

	if (!mm || !mm->running)
		return KS_ENOENT;
	memset(ps, 0, sizeof(*ps));
	ps->ksm_rmap_items = mm->ksm_rmap_items;
	ps->ksm_zero_pages = mm->ksm_zero_pages;
	ps->ksm_merging_pages = mm->ksm_merging_pages;
	ps->ksm_process_profit = (int64_t)(mm->ksm_merging_pages + mm->ksm_zero_pages) *
				 KS_PAGE_SIZE - (int64_t)mm->ksm_rmap_items * 64;
	ps->ksm_merge_any = false;
	for (unsigned i = 0; i < mm->nvmas; i++)
		if (mm->vmas[i].mergeable)
			ps->ksm_mergeable = true;
	return 0;
}

/* ---- memory pressure ---- */

uint64_t ks_ksm_resident_pages(const struct ks_ksm *ksm)
{
	return ksm->nr_anon + ksm->frame_pool.live;
}

/* One PTE a swap-out makes non-present. */
struct swap_pte {
	struct ks_vma *v;
	uint64_t idx;
	uint32_t pid;
	uint64_t addr;
};

/* The PTE mapping kf at (mm, addr), or false. */
static bool pte_mapping(struct ks_mm *mm, uint64_t addr, const struct ks_kframe *kf,
			struct swap_pte *sp)
{
	struct ks_vma *v = mm->exiting ? NULL : ks__find_vma(mm, addr);
	uint64_t pte;

	if (!v)
		return false;
	sp->v = v;
	sp->idx = (addr - v->start) / KS_PAGE_SIZE;
	sp->pid = mm->pid;
	sp->addr = addr;
	pte = ks__vma_pte(v, sp->idx);
	return ks__pte_is_ksm(pte) && ks__pte_kframe(pte) == kf;
}

/* rmap_walk_ksm(): the other PTEs mapping kf, through every rmap_item of its stable
 * node (an item of the page asked may be missing: merged, its item not yet moved). */
static size_t ksm_mappers(struct ks_ksm *ksm, struct ks_kframe *kf, struct ks_mm *mm,
			  uint64_t vaddr, struct swap_pte **out, size_t *cap)
{
	size_t n = 0;

	if (!kf->node)
		return 0;
	for (uint32_t i = kf->node->items; i; i = ks__item(ksm, i)->hnext) {
		struct ks_rmap_item *item = ks__item(ksm, i);
		struct ks_mm *imm = ks__item_mm(ksm, item);
		uint64_t addr = item->address & KS_PAGE_MASK;

		if (imm == mm && addr == vaddr)
			continue;
		if (n == *cap) {
			*cap = *cap ? 2 * *cap : 16;
			*out = ks_xrealloc(*out, *cap * sizeof(**out));
		}
		if (pte_mapping(imm, addr, kf, &(*out)[n]))
			n++;
	}
	return n;
}

int ks_ksm_swap_out(struct ks_ksm *ksm, uint32_t pid, uint64_t vaddr,
		    const struct ks_swap_hooks *hk, struct ks_swap_out *out)
{
	struct ks_mm *mm = running_mm(ksm, pid);
	struct ks_vma *v = mm ? ks__find_vma(mm, vaddr) : NULL;
	struct swap_pte self, *others = NULL;
	size_t nothers = 0, cap = 0;
	struct ks_kframe *kf;
	uint64_t pte;

	memset(out, 0, sizeof(*out));
	if (!v || (vaddr & (KS_PAGE_SIZE - 1)))
		return KS_ENOENT;
	self = (struct swap_pte){ v, (vaddr - v->start) / KS_PAGE_SIZE, pid, vaddr };
	pte = ks__vma_pte(v, self.idx);
	if (pte == KS_PTE_NONE)
		return KS_ENOENT;
	if (!ks__pte_is_anon(pte) && !ks__pte_is_ksm(pte))
		return KS_EBUSY;
	/* before 2.6.33 ("ksm: let shared pages be swappable") KSM pages were locked into
	 * kernel memory: the 2009 algorithm's are never swapped */
	if (ks__pte_is_ksm(pte) && !ksm->algo->rmap_walk)
		return KS_EBUSY;
	out->content = ks__pte_content(pte);
	out->kind = ks__pte_is_ksm(pte) ? KS_SWAP_KSM : KS_SWAP_ANON;
	kf = out->kind == KS_SWAP_KSM ? ks__pte_kframe(pte) : NULL;
	if (kf)
		nothers = ksm_mappers(ksm, kf, mm, vaddr, &others, &cap);
	/* folio_referenced(): a page some mapper used lately stays (it is activated) */
	for (size_t i = 0; hk && hk->young && i < nothers; i++)
		if (hk->young(hk->ctx, others[i].pid, others[i].addr)) {
			free(others);
			out->referenced = true;
			return KS_EBUSY;
		}
	/* try_to_unmap(): every PTE becomes the swap entry; the page is freed with the last */
	for (size_t i = 0; i <= nothers; i++) {
		const struct swap_pte *sp = i < nothers ? &others[i] : &self;
		uint64_t *p;

		utree_touch(ksm, sp->v, sp->idx, sp->idx + 1);
		p = ks__vma_pte_own(sp->v, sp->idx);
		*p = KS_PTE_NONE;
		out->mappers++;
		if (kf) {
			out->freed = kf->mapcount == 1;
			ks__kframe_unmap(ksm, kf);
		} else {
			out->freed = true;
			ksm->nr_anon--;
		}
		if (hk && hk->unmapped)
			hk->unmapped(hk->ctx, sp->pid, sp->addr);
	}
	free(others);
	return 0;
}

int ks_ksm_swap_in(struct ks_ksm *ksm, uint32_t pid, uint64_t vaddr, ks_content c)
{
	struct ks_mm *mm = running_mm(ksm, pid);
	struct ks_vma *v = mm ? ks__find_vma(mm, vaddr) : NULL;
	uint64_t idx, *pte;

	if (!v || (vaddr & (KS_PAGE_SIZE - 1)))
		return KS_ENOENT;
	idx = (vaddr - v->start) / KS_PAGE_SIZE;
	if (ks__vma_pte(v, idx) != KS_PTE_NONE)
		return KS_EBUSY;
	utree_touch(ksm, v, idx, idx + 1);
	pte = ks__vma_pte_own(v, idx);
	*pte = KS_PTE_ANON | (c & ~KS_PTE_TYPE_MASK);
	ksm->nr_anon++;
	return 0;
}
