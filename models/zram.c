/* zram.c - the zram block device as compressed swap, over the zsmalloc model.
 *
 * Why: when guests overcommit host RAM, reclaim pushes anonymous pages to swap; with
 * zram the "disk" is a zsmalloc pool in RAM, so what swap costs in memory is the pool's
 * pages, which depend on the real compressed length of every page. zram_write_page()
 * of Linux 6.18, step by step:
 *   1. page_same_filled(): every unsigned long of the page equal -> no object, the word
 *      is kept in the slot (same_pages, pages_stored);
 *   2. compress with the device's algorithm; a length >= huge_class_size is stored
 *      uncompressed as a 4096-byte object (write_incompressible_page: huge_pages);
 *   3. zs_malloc(length), compr_data_size += length, pages_stored++, mem_used_max.
 * zram_free_page() undoes them. mm_stat prints pages_stored << 12 as orig_data_size and
 * zs_get_total_pages() << 12 as mem_used_total.
 *
 * Left out: writeback to a backing device, recompression, mem_limit, compaction, the
 * slot lock and the per-CPU streams (they cost time, not memory). */
#include <stdlib.h>
#include <string.h>

#include "zram.h"
#include "models/base/status.h"
#include "models/base/xalloc.h"

#define PG 4096u
#define LEN_CACHE_BITS 16u
#define LEN_CACHE_SIZE (1u << LEN_CACHE_BITS)

enum { SLOT_LIVE = 1, SLOT_SAME = 2, SLOT_HUGE = 4 };

struct slot {
	uint64_t handle;   /* zsmalloc handle, or the fill word of a same-filled page */
	uint16_t bytes;    /* object size (4096 for huge), 0 for same-filled */
	uint8_t flags;     /* SLOT_* */
};

/* Cache of compressed lengths by content descriptor (direct-mapped). */
struct len_slot {
	ks_content c;
	uint16_t len;      /* compressed length, or 0 for same-filled */
	bool valid;
	bool same;
	uint64_t word;     /* the fill word when same */
};

struct ks_zram {
	enum ks_comp_alg alg;
	struct ks_comp *comp;
	struct ks_zs_geom g;
	struct ks_zs_pool *pool;
	struct slot *slots;
	uint64_t nslots, capslots;
	uint64_t *free_slots;          /* released slot numbers, LIFO */
	uint64_t nfree;
	uint64_t stored;               /* live slots */
	struct ks_zram_stats st;
	struct len_slot *cache;        /* LEN_CACHE_SIZE entries */
	uint8_t page[PG];              /* scratch */
};

struct ks_zram *ks_zram_new(enum ks_comp_alg alg, unsigned chain)
{
	struct ks_zram *z;
	struct ks_zs_geom g;

	if (alg >= KS_COMP_NALGS || ks_zs_geom_init(&g, chain, KS_ZS_RULE_MIN_WASTE))
		return NULL;
	z = ks_xcalloc(1, sizeof(*z));
	z->alg = alg;
	z->g = g;
	z->comp = ks_comp_new(alg);
	z->pool = ks_zs_pool_new(&z->g);
	z->cache = ks_xcalloc(LEN_CACHE_SIZE, sizeof(*z->cache));
	return z;
}

void ks_zram_free(struct ks_zram *z)
{
	if (!z)
		return;
	ks_comp_free(z->comp);
	ks_zs_pool_free(z->pool);
	free(z->slots);
	free(z->free_slots);
	free(z->cache);
	free(z);
}

enum ks_comp_alg ks_zram_alg(const struct ks_zram *z)
{
	return z->alg;
}

unsigned ks_zram_huge_class_size(const struct ks_zram *z)
{
	return z->g.huge_class_size;
}

bool ks_zram_same_filled(const uint8_t *page, uint64_t *word)
{
	uint64_t w0, w;

	memcpy(&w0, page, 8);
	for (unsigned i = 8; i < PG; i += 8) {
		memcpy(&w, page + i, 8);
		if (w != w0)
			return false;
	}
	*word = w0;
	return true;
}

static uint64_t slot_new(struct ks_zram *z)
{
	if (z->nfree)
		return z->free_slots[--z->nfree];
	if (z->nslots == z->capslots) {
		z->capslots = z->capslots ? 2 * z->capslots : 1024;
		z->slots = ks_xrealloc(z->slots, z->capslots * sizeof(*z->slots));
		z->free_slots = ks_xrealloc(z->free_slots, z->capslots * sizeof(*z->free_slots));
	}
	return z->nslots++;
}

static void pool_pages_changed(struct ks_zram *z)
{
	struct ks_zs_pool_stats ps;

	ks_zs_pool_get_stats(z->pool, &ps);
	z->st.mem_used_total = ps.pages_used * PG;
	if (z->st.mem_used_total > z->st.mem_used_max)
		z->st.mem_used_max = z->st.mem_used_total;
}

/* Stores a page known to be same-filled (word) or compressing to len bytes. */
static uint64_t store(struct ks_zram *z, bool same, uint64_t word, size_t len)
{
	uint64_t s = slot_new(z);
	struct slot *sl = &z->slots[s];

	z->stored++;
	z->st.orig_data_size += PG;
	if (same) {
		*sl = (struct slot){ .handle = word, .bytes = 0, .flags = SLOT_LIVE | SLOT_SAME };
		z->st.same_pages++;
		return s;
	}
	*sl = (struct slot){ .flags = SLOT_LIVE };
	if (len >= z->g.huge_class_size) {
		len = PG;
		sl->flags |= SLOT_HUGE;
		z->st.huge_pages++;
		z->st.huge_pages_since++;
	}
	sl->bytes = (uint16_t)len;
	sl->handle = ks_zs_malloc(z->pool, (unsigned)len);
	z->st.compr_data_size += len;
	pool_pages_changed(z);
	return s;
}

uint64_t ks_zram_store(struct ks_zram *z, const uint8_t *page)
{
	uint64_t word = 0;

	if (ks_zram_same_filled(page, &word))
		return store(z, true, word, 0);
	return store(z, false, 0, ks_comp_page_len(z->comp, page));
}

uint64_t ks_zram_store_content(struct ks_zram *z, const struct ks_content_store *cs,
			       ks_content c)
{
	uint64_t h = c * 0x9e3779b97f4a7c15ull;
	struct len_slot *e = &z->cache[h >> (64 - LEN_CACHE_BITS)];

	if (!e->valid || e->c != c) {
		ks_content_bytes(cs, c, z->page);
		e->c = c;
		e->valid = true;
		e->same = ks_zram_same_filled(z->page, &e->word);
		e->len = e->same ? 0 : (uint16_t)ks_comp_page_len(z->comp, z->page);
	}
	return store(z, e->same, e->word, e->len);
}

static struct slot *live_slot(const struct ks_zram *z, uint64_t s)
{
	return s < z->nslots && (z->slots[s].flags & SLOT_LIVE) ? &z->slots[s] : NULL;
}

int ks_zram_free_slot(struct ks_zram *z, uint64_t s)
{
	struct slot *sl = live_slot(z, s);

	if (!sl)
		return KS_ENOENT;
	z->stored--;
	z->st.orig_data_size -= PG;
	if (sl->flags & SLOT_SAME) {
		z->st.same_pages--;
	} else {
		ks_zs_free(z->pool, sl->handle);
		z->st.compr_data_size -= sl->bytes;
		if (sl->flags & SLOT_HUGE)
			z->st.huge_pages--;
		pool_pages_changed(z);
	}
	sl->flags = 0;
	z->free_slots[z->nfree++] = s;
	return 0;
}

int64_t ks_zram_slot_bytes(const struct ks_zram *z, uint64_t s)
{
	const struct slot *sl = live_slot(z, s);

	return sl ? sl->bytes : -1;
}

int ks_zram_access_work(const struct ks_zram *z, uint64_t s, enum ks_zs_path path,
			enum ks_zs_access acc, struct ks_zs_work *w)
{
	const struct slot *sl = live_slot(z, s);
	const struct ks_zs_class *cls;
	unsigned zspage, k;

	if (!sl)
		return KS_ENOENT;
	if (sl->flags & SLOT_SAME)
		return 0;
	if (ks_zs_locate(z->pool, sl->handle, &cls, &zspage, &k))
		return KS_ENOENT;
	ks_zs_access_work(cls, k, path, acc, w);
	return 0;
}

void ks_zram_stats(const struct ks_zram *z, struct ks_zram_stats *st)
{
	*st = z->st;
}

uint64_t ks_zram_pages_stored(const struct ks_zram *z)
{
	return z->stored;
}
