/* check_zsmalloc.c - the zsmalloc model: the class table against the worked numbers of
 * docs/ksm-behaviour.md 6.1, object placement against a brute-force byte layout, the
 * pool's accounting after alloc/free sequences, and the work counted per mapping path. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "models/base/status.h"
#include "models/zsmalloc.h"

#define PG KS_ZS_PAGE_SIZE

static const struct ks_zs_class *cls_of_size(const struct ks_zs_geom *g, unsigned size)
{
	return &g->cls[(size - KS_ZS_MIN_ALLOC) / KS_ZS_CLASS_DELTA];
}

/* ---- core: geometry ------------------------------------------------------------------ */

START_TEST(test_zsmalloc_class_counts)
{
	struct ks_zs_geom g;

	ck_assert_int_eq(ks_zs_geom_init(&g, 8, KS_ZS_RULE_MIN_WASTE), 0);
	ck_assert_uint_eq(g.cls[0].size, 32);
	ck_assert_uint_eq(g.cls[KS_ZS_NCLASSES - 1].size, 4096);
	ck_assert_uint_eq(g.cls[KS_ZS_NCLASSES - 2].size, 4080);
	ck_assert_uint_eq(g.ndistinct, 119);
	ck_assert_uint_eq(g.huge_class_size, 3625);
	ck_assert_int_eq(ks_zs_geom_init(&g, 4, KS_ZS_RULE_MIN_WASTE), 0);
	ck_assert_uint_eq(g.ndistinct, 69);
	ck_assert_uint_eq(g.huge_class_size, 3257);
}
END_TEST

static const struct {
	unsigned size, pages, objs, spanning;
} doc_examples[] = {
	{ 48, 3, 256, 2 }, { 208, 3, 59, 2 }, { 720, 3, 17, 2 }, { 2448, 3, 5, 2 },
	{ 2720, 2, 3, 1 }, { 3264, 4, 5, 3 }, { 3600, 8, 9, 7 }, { 3632, 8, 9, 7 },
};

START_TEST(test_zsmalloc_doc_examples)
{
	struct ks_zs_geom g;
	const struct ks_zs_class *c;

	ks_zs_geom_init(&g, 8, KS_ZS_RULE_MIN_WASTE);
	c = cls_of_size(&g, doc_examples[_i].size);
	ck_assert_uint_eq(c->size, doc_examples[_i].size);
	ck_assert_uint_eq(c->pages, doc_examples[_i].pages);
	ck_assert_uint_eq(c->objs, doc_examples[_i].objs);
	ck_assert_uint_eq(c->spanning, doc_examples[_i].spanning);
	ck_assert_uint_eq(c->waste, c->pages * PG - c->objs * c->size);
	ck_assert(!c->huge);
}
END_TEST

START_TEST(test_zsmalloc_pow2_never_spans)
{
	struct ks_zs_geom g;

	ks_zs_geom_init(&g, 8, KS_ZS_RULE_MIN_WASTE);
	for (unsigned s = 32; s <= PG; s *= 2) {
		const struct ks_zs_class *c = cls_of_size(&g, s);

		ck_assert_uint_eq(c->pages, 1);
		ck_assert_uint_eq(c->objs, PG / s);
		ck_assert_uint_eq(c->spanning, 0);
		for (unsigned k = 0; k < c->objs; k++)
			ck_assert(!ks_zs_obj_spans(s, k));
	}
	ck_assert(cls_of_size(&g, PG)->huge);
}
END_TEST

/* Merging: a merged index uses a larger class with equal (pages, objs); the class it
 * points at is its own; consecutive distinct classes differ. */
START_TEST(test_zsmalloc_merging)
{
	struct ks_zs_geom g;
	unsigned distinct = 0;

	ks_zs_geom_init(&g, _i ? 4 : 8, KS_ZS_RULE_MIN_WASTE);
	for (unsigned i = 0; i < KS_ZS_NCLASSES; i++) {
		const struct ks_zs_class *c = &g.cls[i], *m = &g.cls[c->merged_into];

		ck_assert_uint_ge(c->merged_into, i);
		ck_assert_uint_eq(m->merged_into, m->index);
		ck_assert_uint_eq(m->pages, c->pages);
		ck_assert_uint_eq(m->objs, c->objs);
		distinct += c->merged_into == i;
		ck_assert_uint_eq(c->huge, c->pages == 1 && c->objs == 1);
		if (c->huge)
			ck_assert_uint_eq(c->merged_into, KS_ZS_NCLASSES - 1);
	}
	ck_assert_uint_eq(distinct, g.ndistinct);
}
END_TEST

START_TEST(test_zsmalloc_class_lookup)
{
	struct ks_zs_geom g;

	ks_zs_geom_init(&g, 8, KS_ZS_RULE_MIN_WASTE);
	/* + 8 bytes of handle before the lookup */
	ck_assert_uint_eq(ks_zs_class_index(1), 0);
	ck_assert_uint_eq(ks_zs_class_index(32), 0);
	ck_assert_uint_eq(ks_zs_class_index(33), 1);
	ck_assert_uint_eq(ks_zs_class_index(48), 1);
	ck_assert_uint_eq(ks_zs_class_index(49), 2);
	ck_assert_uint_eq(ks_zs_class_index(4104), KS_ZS_NCLASSES - 1);
	ck_assert_uint_eq(ks_zs_lookup(&g, 1)->size, 32);
	ck_assert_uint_eq(ks_zs_lookup(&g, 24)->size, 32);
	ck_assert_uint_eq(ks_zs_lookup(&g, 25)->size, 48);
	ck_assert_uint_eq(ks_zs_lookup(&g, 40)->size, 48);
	ck_assert_uint_eq(ks_zs_lookup(&g, 200)->size, 208);
	ck_assert_uint_eq(ks_zs_lookup(&g, 201)->size >= 224, 1);
	/* huge_class_size: the smallest request that lands in a huge class */
	ck_assert(!ks_zs_lookup(&g, g.huge_class_size - 1)->huge);
	ck_assert_uint_eq(ks_zs_lookup(&g, g.huge_class_size - 1)->size, 3632);
	ck_assert(ks_zs_lookup(&g, g.huge_class_size)->huge);
	ck_assert_uint_eq(ks_zs_lookup(&g, g.huge_class_size)->size, 4096);
	ck_assert(ks_zs_lookup(&g, 4096)->huge);
	/* every request fits its slot with its header (huge: no header) */
	for (unsigned s = 1; s <= PG; s++) {
		const struct ks_zs_class *c = ks_zs_lookup(&g, s);

		ck_assert_uint_ge(c->size, c->huge ? s : s + KS_ZS_HANDLE_SIZE);
		ck_assert_uint_eq(c->merged_into, c->index);
	}
}
END_TEST

/* Placement against a materialised byte layout: owner of every byte of the zspage. */
static void check_layout(const struct ks_zs_class *c)
{
	unsigned n = c->pages * PG, spans = 0;
	int *owner = malloc(n * sizeof(*owner));

	for (unsigned b = 0; b < n; b++)
		owner[b] = b / c->size < c->objs ? (int)(b / c->size) : -1;
	for (unsigned k = 0; k < c->objs; k++) {
		unsigned first = n, last = 0;

		for (unsigned b = 0; b < n; b++)
			if (owner[b] == (int)k) {
				first = b < first ? b : first;
				last = b;
			}
		ck_assert_uint_eq(last - first + 1, c->size);
		ck_assert_uint_eq(ks_zs_obj_page(c->size, k), first / PG);
		ck_assert_uint_eq(ks_zs_obj_offset(c->size, k), first % PG);
		ck_assert_uint_le(last / PG - first / PG, 1);
		ck_assert_uint_eq(ks_zs_obj_spans(c->size, k), last / PG != first / PG);
		spans += last / PG != first / PG;
	}
	ck_assert_uint_eq(spans, c->spanning);
	free(owner);
}

START_TEST(test_zsmalloc_layout_bruteforce)
{
	static const unsigned chains[] = { 8, 4, 16 };
	struct ks_zs_geom g;

	ks_zs_geom_init(&g, chains[_i], KS_ZS_RULE_MIN_WASTE);
	for (unsigned i = 0; i < KS_ZS_NCLASSES; i++)
		if (g.cls[i].merged_into == i)
			check_layout(&g.cls[i]);
}
END_TEST

/* The 2012-v6.2 rule: zsmapbench's 1632-byte objects: 2 pages, 5 objects, the third
 * spans at offset 3264 with 832 bytes in the first page. */
START_TEST(test_zsmalloc_legacy_rule)
{
	struct ks_zs_geom g;
	const struct ks_zs_class *c;

	ck_assert_int_eq(ks_zs_geom_init(&g, KS_ZS_CHAIN_LEGACY, KS_ZS_RULE_MAX_USED_PCT), 0);
	c = cls_of_size(&g, 1632);
	ck_assert_uint_eq(c->pages, 2);
	ck_assert_uint_eq(c->objs, 5);
	ck_assert(!ks_zs_obj_spans(1632, 1));
	ck_assert(ks_zs_obj_spans(1632, 2));
	ck_assert_uint_eq(ks_zs_obj_offset(1632, 2), 3264);
	/* 208: 1 page 96%, 2 pages 99%, 3 pages 99% -> the first maximum, 2 pages */
	ck_assert_uint_eq(ks_zs_pages_per_zspage(208, 4, KS_ZS_RULE_MAX_USED_PCT), 2);
	ck_assert_uint_eq(ks_zs_pages_per_zspage(208, 4, KS_ZS_RULE_MIN_WASTE), 3);
	for (unsigned i = 0; i < KS_ZS_NCLASSES; i++)
		if (g.cls[i].merged_into == i)
			check_layout(&g.cls[i]);
}
END_TEST

/* ---- core: pool ---------------------------------------------------------------------- */

START_TEST(test_zsmalloc_pool_accounting)
{
	struct ks_zs_geom g;
	struct ks_zs_pool *p;
	struct ks_zs_pool_stats st;
	const struct ks_zs_class *c;
	uint64_t h[257], big;
	unsigned zs, k;

	ks_zs_geom_init(&g, 8, KS_ZS_RULE_MIN_WASTE);
	p = ks_zs_pool_new(&g);
	for (unsigned i = 0; i < 257; i++) {
		h[i] = ks_zs_malloc(p, 40); /* 48-byte slots: 3 pages, 256 objects */
		ck_assert_uint_ne(h[i], 0);
		ck_assert_int_eq(ks_zs_pool_check(p), 0);
		ks_zs_pool_get_stats(p, &st);
		ck_assert_uint_eq(st.pages_used, i < 256 ? 3 : 6);
		ck_assert_uint_eq(st.objs_allocated, i < 256 ? 256 : 512);
		ck_assert_uint_eq(st.objs_used, i + 1);
		ck_assert_uint_eq(st.bytes_stored, 40 * (i + 1));
		ck_assert_uint_eq(st.slot_bytes, 48 * (i + 1));
	}
	ck_assert_int_eq(ks_zs_locate(p, h[5], &c, &zs, &k), 0);
	ck_assert_uint_eq(c->size, 48);
	ck_assert_uint_eq(k, 5);
	ck_assert_int_eq(ks_zs_locate(p, h[256], &c, &zs, &k), 0);
	ck_assert_uint_eq(k, 0);
	/* the lone object of the second zspage: freeing it releases 3 pages */
	ck_assert_int_eq(ks_zs_free(p, h[256]), 0);
	ks_zs_pool_get_stats(p, &st);
	ck_assert_uint_eq(st.pages_used, 3);
	ck_assert_uint_eq(st.zspages, 1);
	/* a freed slot is the next one reused (LIFO free list) */
	ck_assert_int_eq(ks_zs_free(p, h[7]), 0);
	ck_assert_int_eq(ks_zs_free(p, h[9]), 0);
	h[9] = ks_zs_malloc(p, 33);
	ck_assert_int_eq(ks_zs_locate(p, h[9], &c, &zs, &k), 0);
	ck_assert_uint_eq(k, 9);
	/* huge objects: one page each, no header in the slot */
	big = ks_zs_malloc(p, 4000);
	ks_zs_pool_get_stats(p, &st);
	ck_assert_uint_eq(st.pages_used, 4);
	ck_assert_int_eq(ks_zs_locate(p, big, &c, &zs, &k), 0);
	ck_assert(c->huge);
	ck_assert_int_eq(ks_zs_pool_check(p), 0);
	ck_assert_int_eq(ks_zs_free(p, big), 0);
	ck_assert_int_eq(ks_zs_free(p, big), KS_ENOENT);
	ks_zs_pool_free(p);
}
END_TEST

/* Allocation takes the fullest zspage that has room. */
START_TEST(test_zsmalloc_pool_fullest_first)
{
	struct ks_zs_geom g;
	struct ks_zs_pool *p;
	const struct ks_zs_class *c;
	uint64_t h[6], n;
	unsigned zs, zs0, zs1, k;

	ks_zs_geom_init(&g, 8, KS_ZS_RULE_MIN_WASTE);
	p = ks_zs_pool_new(&g);
	for (unsigned i = 0; i < 6; i++)
		h[i] = ks_zs_malloc(p, 2712); /* 2720-byte slots: 2 pages, 3 objects */
	ks_zs_locate(p, h[0], &c, &zs0, &k);
	ks_zs_locate(p, h[3], &c, &zs1, &k);
	ck_assert_uint_ne(zs0, zs1);
	ks_zs_free(p, h[0]);
	ks_zs_free(p, h[3]);
	ks_zs_free(p, h[4]); /* zspage 0: 2 in use, zspage 1: 1 in use */
	n = ks_zs_malloc(p, 2700);
	ks_zs_locate(p, n, &c, &zs, &k);
	ck_assert_uint_eq(zs, zs0);
	ck_assert_uint_eq(k, 0);
	ck_assert_int_eq(ks_zs_pool_check(p), 0);
	ks_zs_pool_free(p);
}
END_TEST

static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Random alloc/free: the pool's totals equal a recount from the live handles. */
START_TEST(test_zsmalloc_pool_random)
{
	enum { N = 600 };
	struct ks_zs_geom g;
	struct ks_zs_pool *p;
	uint64_t h[N] = { 0 };
	unsigned sz[N] = { 0 };

	rng_state = 42 + (uint64_t)_i;
	ks_zs_geom_init(&g, _i ? 4 : 8, KS_ZS_RULE_MIN_WASTE);
	p = ks_zs_pool_new(&g);
	for (unsigned step = 0; step < 4000; step++) {
		unsigned i = (unsigned)(rnd() % N);
		struct ks_zs_pool_stats st, re = { 0 };
		unsigned seen_cls[N], seen_zs[N], nseen = 0;

		if (h[i]) {
			ck_assert_int_eq(ks_zs_free(p, h[i]), 0);
			h[i] = 0;
		} else {
			sz[i] = 1 + (unsigned)(rnd() % PG);
			h[i] = ks_zs_malloc(p, sz[i]);
			ck_assert_uint_ne(h[i], 0);
		}
		ck_assert_int_eq(ks_zs_pool_check(p), 0);
		if (step % 97)
			continue;
		for (unsigned j = 0; j < N; j++) {
			const struct ks_zs_class *c;
			unsigned zs, k, s;

			if (!h[j])
				continue;
			ck_assert_int_eq(ks_zs_locate(p, h[j], &c, &zs, &k), 0);
			ck_assert_uint_eq(c->index, ks_zs_lookup(&g, sz[j])->index);
			re.objs_used++;
			re.bytes_stored += sz[j];
			re.slot_bytes += c->size;
			for (s = 0; s < nseen && seen_zs[s] != zs; s++)
				;
			if (s == nseen) {
				seen_zs[nseen] = zs;
				seen_cls[nseen++] = c->index;
				re.pages_used += c->pages;
				re.objs_allocated += c->objs;
			}
			ck_assert_uint_eq(seen_cls[s], c->index);
		}
		ks_zs_pool_get_stats(p, &st);
		ck_assert_uint_eq(st.objs_used, re.objs_used);
		ck_assert_uint_eq(st.bytes_stored, re.bytes_stored);
		ck_assert_uint_eq(st.slot_bytes, re.slot_bytes);
		ck_assert_uint_eq(st.pages_used, re.pages_used);
		ck_assert_uint_eq(st.objs_allocated, re.objs_allocated);
		ck_assert_uint_eq(st.zspages, nseen);
	}
	ks_zs_pool_free(p);
}
END_TEST

/* ---- core: mapping paths ------------------------------------------------------------- */

START_TEST(test_zsmalloc_nonspanning_no_copy)
{
	struct ks_zs_geom g;
	const struct ks_zs_class *c;

	ks_zs_geom_init(&g, 8, KS_ZS_RULE_MIN_WASTE);
	c = cls_of_size(&g, 48);
	for (unsigned p = 0; p < KS_ZS_NPATHS; p++)
		for (unsigned a = 0; a < 2; a++) {
			struct ks_zs_work w = { 0 };

			ks_zs_access_work(c, 0, p, a, &w);     /* offset 0 */
			ks_zs_access_work(c, 84, p, a, &w);    /* offset 4032, ends at 4080 */
			ks_zs_access_work(cls_of_size(&g, PG), 0, p, a, &w); /* huge */
			ck_assert_uint_eq(w.ops, 3);
			ck_assert_uint_eq(w.kmaps, 3);
			ck_assert_uint_eq(w.copy_bytes + w.xor_bytes + w.ptes + w.tlb_flushes +
					  w.locks + w.spanning, 0);
		}
}
END_TEST

START_TEST(test_zsmalloc_spanning_work)
{
	struct ks_zs_geom g;
	const struct ks_zs_class *c;
	struct ks_zs_work w[KS_ZS_NPATHS][2];

	ks_zs_geom_init(&g, 8, KS_ZS_RULE_MIN_WASTE);
	c = cls_of_size(&g, 48);
	ck_assert(ks_zs_obj_spans(48, 85)); /* offset 4080: 16 bytes in page 0, 32 in page 1 */
	memset(w, 0, sizeof(w));
	for (unsigned p = 0; p < KS_ZS_NPATHS; p++)
		for (unsigned a = 0; a < 2; a++) {
			ks_zs_access_work(c, 85, p, a, &w[p][a]);
			ck_assert_uint_eq(w[p][a].ops, 1);
			ck_assert_uint_eq(w[p][a].spanning, 1);
		}
	/* (a) copy: read copies the whole slot, write copies it back minus the header */
	ck_assert_uint_eq(w[KS_ZS_PATH_COPY][KS_ZS_READ].copy_bytes, 48);
	ck_assert_uint_eq(w[KS_ZS_PATH_COPY][KS_ZS_WRITE].copy_bytes, 40);
	ck_assert_uint_eq(w[KS_ZS_PATH_COPY][KS_ZS_READ].kmaps, 2);
	ck_assert_uint_eq(w[KS_ZS_PATH_COPY][KS_ZS_READ].ptes, 0);
	/* (b) page tables: 2 PTEs set, 2 cleared, 2 pages flushed, nothing copied */
	ck_assert_uint_eq(w[KS_ZS_PATH_PGTABLE][KS_ZS_READ].ptes, 4);
	ck_assert_uint_eq(w[KS_ZS_PATH_PGTABLE][KS_ZS_READ].tlb_flushes, 2);
	ck_assert_uint_eq(w[KS_ZS_PATH_PGTABLE][KS_ZS_WRITE].copy_bytes, 0);
	/* (c) XOR swap of the 16 first-page bytes, and back unless norestore */
	ck_assert_uint_eq(w[KS_ZS_PATH_XOR][KS_ZS_READ].xor_bytes, 32);
	ck_assert_uint_eq(w[KS_ZS_PATH_XOR_NORESTORE][KS_ZS_READ].xor_bytes, 16);
	ck_assert_uint_eq(w[KS_ZS_PATH_XOR][KS_ZS_READ].copy_bytes, 0);
	ck_assert_uint_eq(w[KS_ZS_PATH_XOR][KS_ZS_WRITE].locks, 1);
	/* (d) v6.15+: read copies into the caller's buffer, write goes to the pages */
	ck_assert_uint_eq(w[KS_ZS_PATH_OBJ_API][KS_ZS_READ].copy_bytes, 48);
	ck_assert_uint_eq(w[KS_ZS_PATH_OBJ_API][KS_ZS_WRITE].copy_bytes, 0);
	/* a larger object: 3632-byte slot, object 1 at offset 3632 has 464 bytes in page 0 */
	c = cls_of_size(&g, 3632);
	memset(w, 0, sizeof(w));
	ks_zs_access_work(c, 1, KS_ZS_PATH_COPY, KS_ZS_READ, &w[0][0]);
	ks_zs_access_work(c, 1, KS_ZS_PATH_XOR, KS_ZS_READ, &w[1][0]);
	ck_assert_uint_eq(w[0][0].copy_bytes, 3632);
	ck_assert_uint_eq(w[1][0].xor_bytes, 2 * 464);
}
END_TEST

START_TEST(test_zsmalloc_work_ns)
{
	const struct ks_zs_costs c = {
		.op_ns = 10, .kmap_ns = 1, .copy_byte_ns = 0.5, .xor_byte_ns = 2, .pte_ns = 3,
		.tlb_flush_ns = 100, .lock_ns = 7, .guest_factor = 2
	};
	const struct ks_zs_work w = {
		.ops = 2, .kmaps = 3, .copy_bytes = 10, .xor_bytes = 4, .ptes = 4,
		.tlb_flushes = 2, .locks = 1, .spanning = 1
	};

	ck_assert_double_eq_tol(ks_zs_work_ns(&w, &c, false), 20 + 3 + 5 + 8 + 212 + 7, 1e-9);
	ck_assert_double_eq_tol(ks_zs_work_ns(&w, &c, true), 20 + 3 + 5 + 8 + 424 + 7, 1e-9);
	ck_assert_str_eq(ks_zs_path_name(KS_ZS_PATH_OBJ_API), "obj-api");
}
END_TEST

/* ---- edges / errors ------------------------------------------------------------------ */

START_TEST(test_zsmalloc_chain_edges)
{
	struct ks_zs_geom g;
	unsigned spans = 0;

	ck_assert_int_eq(ks_zs_geom_init(&g, 1, KS_ZS_RULE_MIN_WASTE), 0);
	for (unsigned i = 0; i < KS_ZS_NCLASSES; i++) {
		ck_assert_uint_eq(g.cls[i].pages, 1);
		spans += g.cls[i].spanning;
	}
	ck_assert_uint_eq(spans, 0);
	ck_assert_int_eq(ks_zs_geom_init(&g, 16, KS_ZS_RULE_MIN_WASTE), 0);
	for (unsigned i = 0; i < KS_ZS_NCLASSES; i++)
		ck_assert_uint_le(g.cls[i].pages, 16);
	ck_assert_uint_gt(g.huge_class_size, 3625);
}
END_TEST

START_TEST(test_zsmalloc_errors)
{
	struct ks_zs_geom g;
	struct ks_zs_pool *p;
	const struct ks_zs_class *c;
	unsigned zs, k;

	ck_assert_int_eq(ks_zs_geom_init(&g, 0, KS_ZS_RULE_MIN_WASTE), KS_ERANGE);
	ck_assert_int_eq(ks_zs_geom_init(&g, 17, KS_ZS_RULE_MIN_WASTE), KS_ERANGE);
	ks_zs_geom_init(&g, 8, KS_ZS_RULE_MIN_WASTE);
	ck_assert_ptr_null(ks_zs_lookup(&g, 0));
	ck_assert_ptr_null(ks_zs_lookup(&g, PG + 1));
	p = ks_zs_pool_new(&g);
	ck_assert_uint_eq(ks_zs_malloc(p, 0), 0);
	ck_assert_uint_eq(ks_zs_malloc(p, PG + 1), 0);
	ck_assert_int_eq(ks_zs_free(p, 0), KS_ENOENT);
	ck_assert_int_eq(ks_zs_free(p, 12345), KS_ENOENT);
	ck_assert_int_eq(ks_zs_locate(p, 1, &c, &zs, &k), KS_ENOENT);
	ck_assert_int_eq(ks_zs_pool_check(p), 0);
	ks_zs_pool_free(p);
	ks_zs_pool_free(NULL);
}
END_TEST

Suite *ks_test_suite(void); /* called by check_main.c */

Suite *ks_test_suite(void)
{
	Suite *s = suite_create("zsmalloc");
	TCase *core = tcase_create("core");
	TCase *edges = tcase_create("edges");
	TCase *errors = tcase_create("errors");

	tcase_add_test(core, test_zsmalloc_class_counts);
	tcase_add_loop_test(core, test_zsmalloc_doc_examples, 0,
			    sizeof(doc_examples) / sizeof(doc_examples[0]));
	tcase_add_test(core, test_zsmalloc_pow2_never_spans);
	tcase_add_loop_test(core, test_zsmalloc_merging, 0, 2);
	tcase_add_test(core, test_zsmalloc_class_lookup);
	tcase_add_loop_test(core, test_zsmalloc_layout_bruteforce, 0, 3);
	tcase_add_test(core, test_zsmalloc_legacy_rule);
	tcase_add_test(core, test_zsmalloc_pool_accounting);
	tcase_add_test(core, test_zsmalloc_pool_fullest_first);
	tcase_add_loop_test(core, test_zsmalloc_pool_random, 0, 2);
	tcase_add_test(core, test_zsmalloc_nonspanning_no_copy);
	tcase_add_test(core, test_zsmalloc_spanning_work);
	tcase_add_test(core, test_zsmalloc_work_ns);
	tcase_set_timeout(core, 60);
	tcase_add_test(edges, test_zsmalloc_chain_edges);
	tcase_add_test(errors, test_zsmalloc_errors);
	suite_add_tcase(s, core);
	suite_add_tcase(s, edges);
	suite_add_tcase(s, errors);
	return s;
}
