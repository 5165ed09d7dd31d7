/* zsmalloc.c - the zsmalloc allocator of compressed swap (zram, zswap), as a model.
 *
 * Why: compressed pages are stored as objects of 32..4096 bytes packed back to back in
 * "zspages" of 1..chain 0-order pages that are not physically contiguous, so an object
 * may straddle two pages. How such an object is made addressable has changed: a per-CPU
 * 2-page VM area whose PTEs were rewritten (2011-12, x86; later an ARM option), a copy
 * into a per-CPU buffer (Seth Jennings, v3.6 - v6.14), an in-place XOR swap proposed by
 * Nitin Gupta (2012, never merged) and, since v6.15, zs_obj_read_begin() copying into a
 * buffer of the caller. This module reproduces the class geometry exactly (sizes,
 * pages_per_zspage under both historic rules, merging, huge classes, huge_class_size),
 * places objects as the kernel does, keeps a pool's accounting, and counts the work of
 * one access under each path; ks_zs_work_ns() prices it (docs/zsmalloc.md).
 *
 * Left out: compaction and migration, the fullness groups' exact list order (allocation
 * takes the fullest zspage with room, ties to the lowest id), concurrency (XOR's waits for a
 * neighbour that is mapped), the late-2025 `mem_len` and scatterlist read variants.
 *
 * Pool state: zspages (id -> class, objects in use, LIFO free list of object indices,
 * handle per slot); handles (1-based -> zspage, object, requested size). A zspage is
 * created when its class has no room and released when its last object is freed. */
#include <assert.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "zsmalloc.h"
#include "models/base/heap.h"
#include "models/base/status.h"
#include "models/base/xalloc.h"

#define PG KS_ZS_PAGE_SIZE
#define NONE UINT_MAX

/* ---- geometry ------------------------------------------------------------------------ */

static bool is_pow2(unsigned x)
{
	return x && !(x & (x - 1));
}

unsigned ks_zs_pages_per_zspage(unsigned size, unsigned chain, enum ks_zs_rule rule)
{
	unsigned best = 1, best_waste = UINT_MAX, best_used = 0;

	if (rule == KS_ZS_RULE_MIN_WASTE && is_pow2(size))
		return 1;
	for (unsigned i = 1; i <= chain; i++) {
		unsigned zs = i * PG, waste = zs % size;
		unsigned used = (zs - waste) * 100 / zs;

		if (rule == KS_ZS_RULE_MIN_WASTE && waste < best_waste) {
			best_waste = waste;
			best = i;
		} else if (rule == KS_ZS_RULE_MAX_USED_PCT && used > best_used) {
			best_used = used;
			best = i;
		}
	}
	return best;
}

unsigned ks_zs_class_index(unsigned bytes)
{
	unsigned idx;

	if (bytes <= KS_ZS_MIN_ALLOC)
		return 0;
	idx = (bytes - KS_ZS_MIN_ALLOC + KS_ZS_CLASS_DELTA - 1) / KS_ZS_CLASS_DELTA;
	return idx < KS_ZS_NCLASSES - 1 ? idx : KS_ZS_NCLASSES - 1;
}

unsigned ks_zs_obj_page(unsigned size, unsigned k)
{
	return (unsigned)((uint64_t)size * k / PG);
}

unsigned ks_zs_obj_offset(unsigned size, unsigned k)
{
	return (unsigned)((uint64_t)size * k % PG);
}

bool ks_zs_obj_spans(unsigned size, unsigned k)
{
	return ks_zs_obj_offset(size, k) + size > PG;
}

/* Every interior page boundary that is not an object boundary cuts exactly one object
 * (the objects cover [0, objs*S) and objs*S > (pages-1)*4096 since S <= 4096). */
unsigned ks_zs_spanning(unsigned size, unsigned pages)
{
	unsigned n = 0;

	for (unsigned j = 1; j < pages; j++)
		n += (j * PG) % size != 0;
	return n;
}

int ks_zs_geom_init(struct ks_zs_geom *g, unsigned chain, enum ks_zs_rule rule)
{
	unsigned prev = NONE;

	if (chain < 1 || chain > KS_ZS_CHAIN_MAX)
		return KS_ERANGE;
	memset(g, 0, sizeof(*g));
	g->chain = chain;
	g->rule = rule;
	/* zs_create_pool(): from the largest class down, so merging goes to the larger. */
	for (unsigned i = KS_ZS_NCLASSES; i-- > 0;) {
		struct ks_zs_class *c = &g->cls[i];
		unsigned size = KS_ZS_MIN_ALLOC + i * KS_ZS_CLASS_DELTA;

		c->index = i;
		c->size = size < PG ? size : PG;
		c->pages = ks_zs_pages_per_zspage(c->size, chain, rule);
		c->objs = c->pages * PG / c->size;
		c->spanning = ks_zs_spanning(c->size, c->pages);
		c->waste = c->pages * PG - c->objs * c->size;
		c->huge = c->pages == 1 && c->objs == 1;
		c->merged_into = i;
		if (!g->huge_class_size && c->pages != 1 && c->objs != 1)
			g->huge_class_size = c->size - (KS_ZS_HANDLE_SIZE - 1);
		if (prev != NONE && g->cls[prev].pages == c->pages && g->cls[prev].objs == c->objs) {
			c->merged_into = prev;
			continue;
		}
		prev = i;
		g->ndistinct++;
	}
	return 0;
}

const struct ks_zs_class *ks_zs_lookup(const struct ks_zs_geom *g, unsigned size)
{
	unsigned idx;

	if (size == 0 || size > PG)
		return NULL;
	idx = ks_zs_class_index(size + KS_ZS_HANDLE_SIZE);
	return &g->cls[g->cls[idx].merged_into];
}

/* ---- pool ---------------------------------------------------------------------------- */

struct zspage {
	unsigned cls;          /* class index (an unmerged one) */
	unsigned inuse;        /* objects allocated */
	unsigned free_head;    /* first free object index, NONE when full */
	unsigned *next_free;   /* per object: next free object index (valid when free) */
	uint64_t *handle;      /* per object: its handle, 0 when free */
	bool live;             /* allocated (else the id is on the free-id stack) */
};

struct hslot {
	unsigned zspage;       /* zspage id */
	unsigned obj;          /* object index in the zspage */
	unsigned size;         /* requested size, bytes; 0 when the handle is free */
};

struct ks_zs_pool {
	struct ks_zs_geom g;               /* the class table (copied) */
	struct zspage *zs;                 /* zspages by id */
	unsigned nzs, capzs;               /* ids used, capacity */
	unsigned *free_ids;                /* released zspage ids, LIFO */
	unsigned nfree_ids;                /* entries of free_ids */
	struct hslot *h;                   /* handle h at h[h - 1] */
	uint64_t nh, caph;                 /* handles issued, capacity */
	uint64_t *free_h;                  /* released handles, LIFO */
	uint64_t nfree_h;                  /* entries of free_h */
	struct room *room[KS_ZS_NCLASSES]; /* per class (NULL until used): zspages with a
					    * free slot, by objects in use */
	struct ks_zs_pool_stats st;        /* running totals */
};

/* The zspages of one class and one in-use count u (0 < u < objs): a min-heap of ids
 * (item.at) with stale entries dropped lazily (a zspage whose count moved on, or that
 * was released), and the exact number of zspages that belong here. */
struct room {
	struct ks_heap h;
	uint64_t n;
};

struct ks_zs_pool *ks_zs_pool_new(const struct ks_zs_geom *g)
{
	struct ks_zs_pool *p = ks_xcalloc(1, sizeof(*p));

	p->g = *g;
	return p;
}

void ks_zs_pool_free(struct ks_zs_pool *p)
{
	if (!p)
		return;
	for (unsigned c = 0; c < KS_ZS_NCLASSES; c++) {
		if (!p->room[c])
			continue;
		for (unsigned u = 0; u < p->g.cls[c].objs; u++)
			ks_heap_fini(&p->room[c][u].h);
		free(p->room[c]);
	}
	for (unsigned i = 0; i < p->nzs; i++) {
		free(p->zs[i].next_free);
		free(p->zs[i].handle);
	}
	free(p->zs);
	free(p->free_ids);
	free(p->h);
	free(p->free_h);
	free(p);
}

static unsigned zspage_create(struct ks_zs_pool *p, const struct ks_zs_class *c)
{
	unsigned id;
	struct zspage *z;

	if (p->nfree_ids) {
		id = p->free_ids[--p->nfree_ids];
	} else {
		if (p->nzs == p->capzs) {
			p->capzs = p->capzs ? 2 * p->capzs : 16;
			p->zs = ks_xrealloc(p->zs, p->capzs * sizeof(*p->zs));
			p->free_ids = ks_xrealloc(p->free_ids, p->capzs * sizeof(*p->free_ids));
		}
		id = p->nzs++;
	}
	z = &p->zs[id];
	z->cls = c->index;
	z->inuse = 0;
	z->live = true;
	z->next_free = ks_xmalloc(c->objs * sizeof(*z->next_free));
	z->handle = ks_xcalloc(c->objs, sizeof(*z->handle));
	for (unsigned k = 0; k < c->objs; k++)
		z->next_free[k] = k + 1 < c->objs ? k + 1 : NONE;
	z->free_head = 0;
	p->st.zspages++;
	p->st.pages_used += c->pages;
	p->st.objs_allocated += c->objs;
	return id;
}

static void zspage_release(struct ks_zs_pool *p, unsigned id)
{
	struct zspage *z = &p->zs[id];
	const struct ks_zs_class *c = &p->g.cls[z->cls];

	free(z->next_free);
	free(z->handle);
	memset(z, 0, sizeof(*z));
	p->free_ids[p->nfree_ids++] = id;
	p->st.zspages--;
	p->st.pages_used -= c->pages;
	p->st.objs_allocated -= c->objs;
}

static bool in_room(const struct ks_zs_pool *p, uint64_t id, unsigned cls, unsigned u)
{
	return id < p->nzs && p->zs[id].live && p->zs[id].cls == cls && p->zs[id].inuse == u;
}

/* Drops the stale entries of r's heap and duplicates (ids sorted: a valid heap). */
static void room_compact(const struct ks_zs_pool *p, struct room *r, unsigned cls,
			 unsigned u)
{
	struct ks_heap_item *it = r->h.items;
	size_t n = 0;
	uint64_t prev = UINT64_MAX;
	struct ks_heap_item *sorted = ks_xmalloc((r->h.len + 1) * sizeof(*sorted));
	struct ks_heap_item x;

	while (ks_heap_pop(&r->h, &x))
		if (in_room(p, x.at, cls, u) && x.at != prev)
			sorted[n++] = x, prev = x.at;
	memcpy(it, sorted, n * sizeof(*it));
	r->h.len = n;
	free(sorted);
}

/* Zspage id moved from in-use count `from` to `to` (either may be 0 or objs: no room). */
static void room_move(struct ks_zs_pool *p, unsigned id, unsigned cls, unsigned from,
		      unsigned to)
{
	unsigned objs = p->g.cls[cls].objs;
	struct room *r;

	if (!p->room[cls])
		p->room[cls] = ks_xcalloc(objs, sizeof(*p->room[cls]));
	if (from > 0 && from < objs)
		p->room[cls][from].n--;
	if (to == 0 || to >= objs)
		return;
	r = &p->room[cls][to];
	r->n++;
	ks_heap_push(&r->h, (struct ks_heap_item){ .at = id });
	if (r->h.len > 2 * r->n + 64)
		room_compact(p, r, cls, to);
}

/* The fullest zspage of class c with a free slot (ties: lowest id), or NONE. */
static unsigned find_zspage(struct ks_zs_pool *p, const struct ks_zs_class *c)
{
	if (!p->room[c->index])
		return NONE;
	for (unsigned u = c->objs; u-- > 1;) {
		struct room *r = &p->room[c->index][u];
		const struct ks_heap_item *top;
		struct ks_heap_item x;

		while (r->n && (top = ks_heap_peek(&r->h))) {
			if (in_room(p, top->at, c->index, u))
				return (unsigned)top->at;
			ks_heap_pop(&r->h, &x);
		}
	}
	return NONE;
}

static uint64_t handle_new(struct ks_zs_pool *p)
{
	if (p->nfree_h)
		return p->free_h[--p->nfree_h];
	if (p->nh == p->caph) {
		p->caph = p->caph ? 2 * p->caph : 64;
		p->h = ks_xrealloc(p->h, p->caph * sizeof(*p->h));
		p->free_h = ks_xrealloc(p->free_h, p->caph * sizeof(*p->free_h));
	}
	return ++p->nh;
}

uint64_t ks_zs_malloc(struct ks_zs_pool *p, unsigned size)
{
	const struct ks_zs_class *c = ks_zs_lookup(&p->g, size);
	unsigned id, k;
	struct zspage *z;
	uint64_t h;

	if (!c)
		return 0;
	id = find_zspage(p, c);
	if (id == NONE)
		id = zspage_create(p, c);
	z = &p->zs[id];
	k = z->free_head;
	assert(k != NONE);
	z->free_head = z->next_free[k];
	z->inuse++;
	room_move(p, id, c->index, z->inuse - 1, z->inuse);
	h = handle_new(p);
	z->handle[k] = h;
	p->h[h - 1] = (struct hslot){ .zspage = id, .obj = k, .size = size };
	p->st.objs_used++;
	p->st.bytes_stored += size;
	p->st.slot_bytes += c->size;
	return h;
}

static const struct hslot *live_handle(const struct ks_zs_pool *p, uint64_t handle)
{
	if (handle == 0 || handle > p->nh || p->h[handle - 1].size == 0)
		return NULL;
	return &p->h[handle - 1];
}

int ks_zs_free(struct ks_zs_pool *p, uint64_t handle)
{
	const struct hslot *hs = live_handle(p, handle);
	struct zspage *z;
	unsigned id;

	if (!hs)
		return KS_ENOENT;
	id = hs->zspage;
	z = &p->zs[id];
	z->handle[hs->obj] = 0;
	z->next_free[hs->obj] = z->free_head;
	z->free_head = hs->obj;
	z->inuse--;
	room_move(p, id, z->cls, z->inuse + 1, z->inuse);
	p->st.objs_used--;
	p->st.bytes_stored -= hs->size;
	p->st.slot_bytes -= p->g.cls[z->cls].size;
	p->h[handle - 1].size = 0;
	p->free_h[p->nfree_h++] = handle;
	if (z->inuse == 0)
		zspage_release(p, id);
	return 0;
}

int ks_zs_locate(const struct ks_zs_pool *p, uint64_t handle, const struct ks_zs_class **cls,
		 unsigned *zspage, unsigned *obj_idx)
{
	const struct hslot *hs = live_handle(p, handle);

	if (!hs)
		return KS_ENOENT;
	*cls = &p->g.cls[p->zs[hs->zspage].cls];
	*zspage = hs->zspage;
	*obj_idx = hs->obj;
	return 0;
}

void ks_zs_pool_get_stats(const struct ks_zs_pool *p, struct ks_zs_pool_stats *st)
{
	*st = p->st;
}

/* Invariants: 1 slot/handle cross links, 2 in-use counts vs. handles and free lists,
 * 3 no empty live zspage, 4 running totals equal a recount. */
int ks_zs_pool_check(const struct ks_zs_pool *p)
{
	struct ks_zs_pool_stats re = { 0 };

	for (unsigned id = 0; id < p->nzs; id++) {
		const struct zspage *z = &p->zs[id];
		const struct ks_zs_class *c = &p->g.cls[z->cls];
		unsigned used = 0, nfree = 0;

		if (!z->live)
			continue;
		for (unsigned k = 0; k < c->objs; k++) {
			uint64_t h = z->handle[k];

			if (!h)
				continue;
			if (h > p->nh || p->h[h - 1].size == 0 || p->h[h - 1].zspage != id ||
			    p->h[h - 1].obj != k)
				return 1;
			used++;
			re.bytes_stored += p->h[h - 1].size;
		}
		for (unsigned k = z->free_head; k != NONE && nfree <= c->objs; k = z->next_free[k]) {
			if (k >= c->objs || z->handle[k])
				return 2;
			nfree++;
		}
		if (used != z->inuse || nfree != c->objs - used)
			return 2;
		if (!used)
			return 3;
		re.zspages++;
		re.pages_used += c->pages;
		re.objs_allocated += c->objs;
		re.objs_used += used;
		re.slot_bytes += (uint64_t)used * c->size;
	}
	if (memcmp(&re, &p->st, sizeof(re)) != 0)
		return 4;
	return 0;
}

/* ---- access paths -------------------------------------------------------------------- */

void ks_zs_access_work(const struct ks_zs_class *c, unsigned k, enum ks_zs_path path,
		       enum ks_zs_access acc, struct ks_zs_work *w)
{
	unsigned f; /* bytes of the object in its first page */

	w->ops++;
	if (c->huge || !ks_zs_obj_spans(c->size, k)) {
		w->kmaps++; /* every path maps the one page directly */
		return;
	}
	w->spanning++;
	f = PG - ks_zs_obj_offset(c->size, k);
	switch (path) {
	case KS_ZS_PATH_COPY:
		/* RO copies the slot in; WO copies it back without the header on unmap. */
		w->kmaps += 2;
		w->copy_bytes += acc == KS_ZS_READ ? c->size : c->size - KS_ZS_HANDLE_SIZE;
		break;
	case KS_ZS_PATH_PGTABLE:
		/* map: set the 2 PTEs of the per-CPU area; unmap: clear them, flush 2 pages. */
		w->ptes += 4;
		w->tlb_flushes += 2;
		break;
	case KS_ZS_PATH_XOR:
	case KS_ZS_PATH_XOR_NORESTORE:
		/* Both pages stay mapped; the first-page part (f bytes) is swapped with the
		 * neighbour's bytes that follow the object's head in page 2, under a lock. */
		w->kmaps += 2;
		w->locks++;
		w->xor_bytes += path == KS_ZS_PATH_XOR ? 2 * f : f;
		break;
	case KS_ZS_PATH_OBJ_API:
		/* read: both parts copied into the caller's buffer; write: the payload goes
		 * straight to the two pages (no bounce copy). */
		w->kmaps += 2;
		if (acc == KS_ZS_READ)
			w->copy_bytes += c->size;
		break;
	case KS_ZS_NPATHS:
		break;
	}
}

double ks_zs_work_ns(const struct ks_zs_work *w, const struct ks_zs_costs *c, bool guest)
{
	double vm = guest ? c->guest_factor : 1.0;

	return (double)w->ops * c->op_ns + (double)w->kmaps * c->kmap_ns +
	       (double)w->copy_bytes * c->copy_byte_ns + (double)w->xor_bytes * c->xor_byte_ns +
	       ((double)w->ptes * c->pte_ns + (double)w->tlb_flushes * c->tlb_flush_ns) * vm +
	       (double)w->locks * c->lock_ns;
}

const char *ks_zs_path_name(enum ks_zs_path path)
{
	static const char *const names[KS_ZS_NPATHS] = {
		"copy", "pgtable", "xor", "xor-norestore", "obj-api"
	};

	return path < KS_ZS_NPATHS ? names[path] : "?";
}
