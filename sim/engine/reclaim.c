/* reclaim.c - host memory pressure: reclaim of anonymous pages into zram.
 *
 * Why: the 2009 KSM benchmark ran more guest memory than the host had (8 x 1 GiB guests
 * plus 4 x 1 GiB ksmpages on 4 GiB, with swap). What KSM merges never needs swapping;
 * what it has not merged yet (or cannot) is swapped, and with zram the swap costs RAM
 * too: the zsmalloc pool of the compressed pages.
 *
 * What the kernel does, and what is kept of it:
 *   - The limit: host.ram minus host.kernel_reserved (the kernel's own memory and free
 *     watermarks, an estimate) is what the processes' pages and the zram pool may hold
 *     together. Resident pages are private anonymous pages plus KSM frames
 *     (ks_ksm_resident_pages()); the pool is mem_used_total. Swapping a page that does
 *     not compress frees nothing (a 4096-byte huge object for a 4096-byte page); when
 *     the LRU has nothing left and the limit is still exceeded, the kernel would
 *     OOM-kill: here the run goes on over the limit, reclaim_short counts it and
 *     reclaim stays off until the limit holds again (else every later write would be
 *     swapped straight out: thrashing without end).
 *   - The LRU: the kernel's anonymous LRU (active/inactive lists or MGLRU generations)
 *     ages pages by the accessed bits of their PTEs. Approximated as exact LRU by the
 *     time of the last write: every write record makes its pages the youngest; reclaim
 *     takes the oldest first (pages written by one record in address order). Reads are
 *     not seen, so a page only read is as old as its last write.
 *   - shrink_folio_list(): a private page is unmapped and written to swap. A KSM page
 *     is unmapped from every mapper (rmap_walk_ksm) and written once: one swap slot
 *     for all (ks_ksm_swap_out()). The zero page (and KSM's zero pages) are never on an
 *     LRU: never swapped. A zero-filled page goes to the swap zeromap (6.12+): no zram
 *     write, no pswpout (swpout_zero).
 *   - swap-in: a write of a swapped-out page faults it back in. The first mapper's
 *     fault reads zram (pswpin); other mappers of the same slot find it in the swap
 *     cache (swapin_shared) and, the page no longer being KSM, get a copy each
 *     (ksm_might_need_to_copy()): ksmd merges them again. The slot is freed with its
 *     last mapper (swap_free -> zram_slot_free_notify).
 * Left out: readahead, the swap cache's lifetime (pages leave it at once), kswapd's
 * watermarks and batch sizes (reclaim stops exactly at the limit), file pages, mlock,
 * the time of reclaim and of faults (the workload is a trace, not a closed loop: the
 * swap traffic is priced, not waited for). */
#include <stdlib.h>
#include <string.h>

#include "reclaim.h"
#include "models/base/xalloc.h"
#include "models/compress.h"

#define PG 4096u
#define SLOT_ZERO UINT32_MAX    /* a zeromap entry: no zram slot */

/* One mmap'ed range of a process: per page its swap entry (0: none, zram slot + 1, or
 * SLOT_ZERO) and the stamp of its last write. */
struct mapping {
	uint64_t vaddr, npages;
	uint32_t *slot;
	uint32_t *stamp;
	uint64_t nswapped;          /* pages with a swap entry */
};

struct rproc {
	uint32_t pid;
	struct mapping *maps;       /* sorted by vaddr, non-overlapping */
	unsigned nmaps, capmaps;
};

/* One write record's pages, youngest at the tail. */
struct lru_ent {
	uint32_t pid;
	uint32_t stamp;
	uint64_t vaddr, npages;
};

struct slot_info {
	ks_content content;         /* the page stored */
	uint32_t refs;              /* swap entries naming it */
	bool read;                  /* swapped in once already (in the swap cache) */
};

struct unmapped {
	uint32_t pid;
	uint64_t vaddr;
};

struct ks_reclaim {
	struct ks_ksm *ksm;
	struct ks_content_store *cs;
	struct ks_zs_costs costs;
	struct ks_zram *zram;
	uint64_t limit;
	struct rproc *procs;
	size_t nprocs, capprocs, last_proc;
	struct lru_ent *lru;
	size_t head, tail, caplru;
	uint32_t stamp;
	uint32_t reclaim_stamp;     /* the stamp of the LRU entry being reclaimed */
	struct slot_info *slots;
	uint64_t capslots;
	struct unmapped *tmp;
	size_t ntmp, captmp;
	bool gave_up;               /* reclaim ran out of pages over the limit: it stays
				     * off until the limit holds again (no OOM killer) */
	struct ks_swap_stats st;
	struct ks_swap_cost cost;
};

struct ks_reclaim *ks_reclaim_new(const struct ks_scenario *sc, struct ks_ksm *ksm,
				  struct ks_content_store *cs, const struct ks_zs_costs *costs)
{
	const struct ks_host_spec *h = &sc->host;
	struct ks_reclaim *r;
	int alg = ks_comp_from_name(h->zram_algorithm ? h->zram_algorithm : "lzo-rle");

	if (!h->ram_pages || alg < 0)
		return NULL;
	r = ks_xcalloc(1, sizeof(*r));
	r->ksm = ksm;
	r->cs = cs;
	r->costs = *costs;
	r->zram = ks_zram_new((enum ks_comp_alg)alg, h->zram_chain);
	if (!r->zram) {
		free(r);
		return NULL;
	}
	r->limit = h->ram_pages - h->kernel_pages;
	r->st.ram_pages = h->ram_pages;
	r->st.limit_pages = r->limit;
	return r;
}

void ks_reclaim_free(struct ks_reclaim *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nprocs; i++) {
		for (unsigned k = 0; k < r->procs[i].nmaps; k++) {
			free(r->procs[i].maps[k].slot);
			free(r->procs[i].maps[k].stamp);
		}
		free(r->procs[i].maps);
	}
	free(r->procs);
	free(r->lru);
	free(r->slots);
	free(r->tmp);
	ks_zram_free(r->zram);
	free(r);
}

static struct rproc *find_proc(struct ks_reclaim *r, uint32_t pid, bool create)
{
	if (r->last_proc < r->nprocs && r->procs[r->last_proc].pid == pid)
		return &r->procs[r->last_proc];
	for (size_t i = 0; i < r->nprocs; i++)
		if (r->procs[i].pid == pid) {
			r->last_proc = i;
			return &r->procs[i];
		}
	if (!create)
		return NULL;
	if (r->nprocs == r->capprocs) {
		r->capprocs = r->capprocs ? 2 * r->capprocs : 16;
		r->procs = ks_xrealloc(r->procs, r->capprocs * sizeof(*r->procs));
	}
	r->procs[r->nprocs] = (struct rproc){ .pid = pid };
	r->last_proc = r->nprocs;
	return &r->procs[r->nprocs++];
}

/* The mapping holding va, or NULL. */
static struct mapping *find_map(struct rproc *p, uint64_t va)
{
	unsigned lo = 0, hi = p->nmaps;

	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;
		struct mapping *m = &p->maps[mid];

		if (va < m->vaddr)
			hi = mid;
		else if (va >= m->vaddr + m->npages * PG)
			lo = mid + 1;
		else
			return m;
	}
	return NULL;
}

void ks_reclaim_mmap(struct ks_reclaim *r, uint32_t pid, uint64_t vaddr, uint64_t npages)
{
	struct rproc *p = find_proc(r, pid, true);
	unsigned i;

	if (p->nmaps == p->capmaps) {
		p->capmaps = p->capmaps ? 2 * p->capmaps : 4;
		p->maps = ks_xrealloc(p->maps, p->capmaps * sizeof(*p->maps));
	}
	for (i = 0; i < p->nmaps && p->maps[i].vaddr < vaddr; i++)
		;
	memmove(&p->maps[i + 1], &p->maps[i], (p->nmaps - i) * sizeof(*p->maps));
	p->nmaps++;
	p->maps[i] = (struct mapping){ .vaddr = vaddr, .npages = npages,
				       .slot = ks_xcalloc(npages, sizeof(uint32_t)),
				       .stamp = ks_xcalloc(npages, sizeof(uint32_t)) };
}

/* Price one access of zram slot zs under every path. */
static void price(struct ks_reclaim *r, uint64_t zs, enum ks_zs_access acc)
{
	for (int p = 0; p < KS_ZS_NPATHS; p++)
		ks_zram_access_work(r->zram, zs, (enum ks_zs_path)p, acc,
				    acc == KS_ZS_READ ? &r->cost.in[p] : &r->cost.out[p]);
}

/* Drops the swap entry of page idx of m; a fault (swap-in) or an unmap. The page's
 * content. */
static ks_content drop_entry(struct ks_reclaim *r, struct mapping *m, uint64_t idx, bool fault)
{
	uint32_t s = m->slot[idx];
	ks_content c;

	m->slot[idx] = 0;
	m->nswapped--;
	r->st.swap_pages--;
	if (s == SLOT_ZERO) {
		r->st.swpin_zero += fault;
		return KS_CONTENT_ZERO_PAGE;
	}
	c = r->slots[s - 1].content;
	if (fault && !r->slots[s - 1].read) {
		r->slots[s - 1].read = true;
		r->st.pswpin++;
		price(r, s - 1, KS_ZS_READ);
	} else if (fault) {
		r->st.swapin_shared++;
	}
	if (--r->slots[s - 1].refs == 0) {
		ks_zram_free_slot(r->zram, s - 1);
		r->st.swap_slots--;
	}
	return c;
}

static void drop_range(struct ks_reclaim *r, struct mapping *m, uint64_t lo, uint64_t hi,
		       bool fault)
{
	for (uint64_t i = lo; i < hi && m->nswapped; i++)
		if (m->slot[i])
			drop_entry(r, m, i, fault);
}

void ks_reclaim_munmap(struct ks_reclaim *r, uint32_t pid, uint64_t vaddr, uint64_t npages)
{
	struct rproc *p = find_proc(r, pid, false);
	uint64_t end = vaddr + npages * PG;
	unsigned i = 0;

	if (!p)
		return;
	while (i < p->nmaps) {
		struct mapping *m = &p->maps[i];
		uint64_t mend = m->vaddr + m->npages * PG;
		uint64_t lo = vaddr > m->vaddr ? vaddr : m->vaddr, hi = end < mend ? end : mend;

		if (lo >= hi) {
			i++;
			continue;
		}
		drop_range(r, m, (lo - m->vaddr) / PG, (hi - m->vaddr) / PG, false);
		if (lo == m->vaddr && hi == mend) {
			free(m->slot);
			free(m->stamp);
			memmove(m, m + 1, (p->nmaps - i - 1) * sizeof(*m));
			p->nmaps--;
			continue;
		}
		/* a partial unmap keeps the mapping whole: its pages just hold nothing now */
		memset(m->stamp + (lo - m->vaddr) / PG, 0, (hi - lo) / PG * sizeof(uint32_t));
		i++;
	}
}

void ks_reclaim_exit(struct ks_reclaim *r, uint32_t pid)
{
	struct rproc *p = find_proc(r, pid, false);

	if (!p)
		return;
	while (p->nmaps)
		ks_reclaim_munmap(r, pid, p->maps[0].vaddr, p->maps[0].npages);
}

static void lru_push(struct ks_reclaim *r, const struct lru_ent *e)
{
	if (r->tail == r->caplru) {
		if (r->head > r->caplru / 2) {
			memmove(r->lru, r->lru + r->head, (r->tail - r->head) * sizeof(*r->lru));
			r->tail -= r->head;
			r->head = 0;
		} else {
			r->caplru = r->caplru ? 2 * r->caplru : 1024;
			r->lru = ks_xrealloc(r->lru, r->caplru * sizeof(*r->lru));
		}
	}
	r->lru[r->tail++] = *e;
}

/* A read fault on the swapped-out pages of [lo, hi) of m: each mapped again, private,
 * with its content. */
static void read_in(struct ks_reclaim *r, uint32_t pid, struct mapping *m, uint64_t lo,
		    uint64_t hi)
{
	for (uint64_t i = lo; i < hi && m->nswapped; i++)
		if (m->slot[i]) {
			ks_content c = drop_entry(r, m, i, true);

			if (ks_ksm_swap_in(r->ksm, pid, m->vaddr + i * PG, c))
				abort(); /* a swap entry where the model maps a page: cannot be */
		}
}

/* The workload touches [vaddr, +npages): swapped-out pages fault in (a write: the model's
 * write is the new page; a read: ks_ksm_swap_in), all become the most recently used. */
static void touch(struct ks_reclaim *r, uint32_t pid, uint64_t vaddr, uint64_t npages,
		  bool write)
{
	struct rproc *p = find_proc(r, pid, false);
	uint64_t va = vaddr, end = vaddr + npages * PG;

	if (!p)
		return;
	r->stamp++;
	while (va < end) {
		struct mapping *m = find_map(p, va);
		uint64_t lo, hi;

		if (!m)
			break; /* outside every mapping: the model refuses it */
		lo = (va - m->vaddr) / PG;
		hi = m->npages;
		if (hi - lo > (end - va) / PG)
			hi = lo + (end - va) / PG;
		if (write)
			drop_range(r, m, lo, hi, true);
		else
			read_in(r, pid, m, lo, hi);
		for (uint64_t i = lo; i < hi; i++)
			m->stamp[i] = r->stamp;
		va += (hi - lo) * PG;
	}
	lru_push(r, &(struct lru_ent){ .pid = pid, .stamp = r->stamp, .vaddr = vaddr,
				       .npages = npages });
}

void ks_reclaim_write(struct ks_reclaim *r, uint32_t pid, uint64_t vaddr, uint64_t npages)
{
	touch(r, pid, vaddr, npages, true);
}

void ks_reclaim_read(struct ks_reclaim *r, uint32_t pid, uint64_t vaddr, uint64_t npages)
{
	touch(r, pid, vaddr, npages, false);
}

/* Another mapper of the KSM page reclaim chose used it after the LRU entry's stamp. */
static bool mapper_young(void *ctx, uint32_t pid, uint64_t vaddr)
{
	struct ks_reclaim *r = ctx;
	struct rproc *p = find_proc(r, pid, false);
	struct mapping *m = p ? find_map(p, vaddr) : NULL;

	return m && m->stamp[(vaddr - m->vaddr) / PG] > r->reclaim_stamp;
}

static void note_unmapped(void *ctx, uint32_t pid, uint64_t vaddr)
{
	struct ks_reclaim *r = ctx;

	if (r->ntmp == r->captmp) {
		r->captmp = r->captmp ? 2 * r->captmp : 64;
		r->tmp = ks_xrealloc(r->tmp, r->captmp * sizeof(*r->tmp));
	}
	r->tmp[r->ntmp++] = (struct unmapped){ pid, vaddr };
}

/* Swaps out the page at (pid, va) if it is present and the one the LRU entry names. */
static void swap_out_one(struct ks_reclaim *r, uint32_t pid, uint64_t va)
{
	struct ks_swap_hooks hk = { .ctx = r, .young = mapper_young, .unmapped = note_unmapped };
	struct ks_swap_out out;
	uint32_t entry;

	r->ntmp = 0;
	if (ks_ksm_swap_out(r->ksm, pid, va, &hk, &out)) {
		r->st.ksm_referenced += out.referenced;
		return; /* not present, a zero page, or a KSM page used lately */
	}
	if (ks_content_is_zero(r->cs, out.content)) {
		entry = SLOT_ZERO;
		r->st.swpout_zero++;
	} else {
		uint64_t zs = ks_zram_store_content(r->zram, r->cs, out.content);

		if (zs >= r->capslots) {
			uint64_t n = r->capslots ? 2 * r->capslots : 4096;

			while (n <= zs)
				n *= 2;
			r->slots = ks_xrealloc(r->slots, n * sizeof(*r->slots));
			memset(r->slots + r->capslots, 0, (n - r->capslots) * sizeof(*r->slots));
			r->capslots = n;
		}
		r->slots[zs] = (struct slot_info){ .content = out.content,
						   .refs = (uint32_t)r->ntmp };
		entry = (uint32_t)zs + 1;
		r->st.pswpout++;
		r->st.swap_slots++;
		r->st.ksm_swpout += out.kind == KS_SWAP_KSM;
		price(r, zs, KS_ZS_WRITE);
	}
	for (size_t i = 0; i < r->ntmp; i++) {
		struct rproc *p = find_proc(r, r->tmp[i].pid, false);
		struct mapping *m = p ? find_map(p, r->tmp[i].vaddr) : NULL;

		if (!m) {
			/* mapped in the model but not through ks_reclaim_mmap: cannot be */
			abort();
		}
		m->slot[(r->tmp[i].vaddr - m->vaddr) / PG] = entry;
		m->nswapped++;
		r->st.swap_pages++;
	}
}

/* Pages the limit is charged with: resident pages and the zram pool. */
static uint64_t used_pages(const struct ks_reclaim *r)
{
	struct ks_zram_stats z;

	ks_zram_stats(r->zram, &z);
	return ks_ksm_resident_pages(r->ksm) + z.mem_used_total / PG;
}

void ks_reclaim_balance(struct ks_reclaim *r)
{
	if (r->gave_up && used_pages(r) > r->limit)
		return;
	r->gave_up = false;
	while (used_pages(r) > r->limit) {
		struct lru_ent *e;
		struct rproc *p;
		struct mapping *m;

		if (r->head == r->tail) {
			r->st.reclaim_short++;
			r->gave_up = true;
			return;
		}
		e = &r->lru[r->head];
		p = find_proc(r, e->pid, false);
		if (!p || !p->nmaps) {
			r->head++; /* its process is gone */
			continue;
		}
		m = find_map(p, e->vaddr);
		if (m) {
			uint64_t idx = (e->vaddr - m->vaddr) / PG;

			if (m->stamp[idx] == e->stamp && !m->slot[idx]) {
				r->reclaim_stamp = e->stamp;
				swap_out_one(r, e->pid, e->vaddr);
			}
		}
		e->vaddr += PG;
		if (--e->npages == 0)
			r->head++;
	}
}

void ks_reclaim_stats(const struct ks_reclaim *r, struct ks_swap_stats *st)
{
	*st = r->st;
	st->resident_pages = ks_ksm_resident_pages(r->ksm);
	ks_zram_stats(r->zram, &st->zram);
}

void ks_reclaim_cost(const struct ks_reclaim *r, struct ks_swap_cost *c)
{
	*c = r->cost;
	for (int p = 0; p < KS_ZS_NPATHS; p++) {
		c->out_ns[p] = ks_zs_work_ns(&r->cost.out[p], &r->costs, false);
		c->in_ns[p] = ks_zs_work_ns(&r->cost.in[p], &r->costs, false);
	}
}
