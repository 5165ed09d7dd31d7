/* content.c - exact, compact page contents and their memcmp() order.
 *
 * Why: KSM decides everything by the bytes of pages: memcmp_pages() orders the stable
 * and unstable trees, pages_identical() confirms a merge, calc_checksum() spots
 * volatile pages, and the zero-page check compares with ZERO_PAGE. The simulator
 * must reproduce those decisions exactly for up to 64 Mi pages, so it cannot store
 * 4 KiB per page. Instead a page holds an 8-byte descriptor, (class << 40) | arg,
 * and its bytes are a pure function of the interned class and the argument:
 *   ZERO     4096 zero bytes (class 0, interned when the store is created);
 *   FILL     a filler byte, then patches written little-endian in order; a patch's
 *            value is a constant, the arg, or arg + constant;
 *   IMAGE    pseudo-random bytes from (seed, arg = page index in the image);
 *   RANDOM   pseudo-random bytes from (seed, arg = unique serial);
 *   LITERAL  arbitrary bytes, interned once in the store; arg indexes them.
 * IMAGE and RANDOM words come from a counter-based generator (a splitmix64 mix of
 * class key, arg and word index), so any 8-byte word is O(1) to produce.
 *
 * Comparison is always by bytes: two descriptors may differ and still hold the same
 * bytes (a FILL page whose patches write zeros equals ZERO; a literal can equal
 * anything). It never materialises a page: pages are walked as 512 little-endian
 * 64-bit words; two FILL/ZERO pages with the same filler can only differ in words
 * touched by patches, so only those are visited (the 2009 benchmark's worst-case
 * pages cost one word compare); everything else walks words from offset 0 and stops
 * at the first difference, which for pseudo-random pages is almost always word 0.
 *
 * Memory: the store grows per class and per distinct literal page, never per page.
 * A direct-mapped cache of (descriptor, algorithm) -> checksum sits in the store; a
 * literal page keeps its own checksum, first nonzero byte and the six words from
 * the one that holds it in a 64-byte record apart from its bytes (recorded traces
 * hold millions of distinct literal pages: more than the cache has slots; a tree walk
 * compares one page with many). Two literal pages are equal up to the first nonzero
 * byte of either, so the record decides a compare when those bytes differ in place or
 * value, or when one of the six words differs: most compares of recorded pages
 * (guest memory is full of pages that start with zeros) touch neither page. Two
 * literal pages equal there are compared from their stored words. Before the records,
 * an 8-byte order key per literal (lit_order_key: where the first 1 bit is and the 48
 * bits after it) decides most compares from a dense array: of the 17.8 M compares of
 * two literals in the 8 x 512 MiB replay, 33% differ in where the first 1 bit is, ~80%
 * within the 48 bits after it (a tree walk misses the cache once per node; a key is a
 * quarter of a record).
 *
 * A literal's bytes are stored sparse: a bitmap of its nonzero 8-byte words (64 bytes)
 * and those words in order (recorded guest pages: 59% of the words of the 8 x 512 MiB
 * run's 136,132 distinct pages are nonzero). Memory that a replay touches first costs a
 * page fault and the kernel's zeroing of it (in a VM, the host's backing too: up to
 * seconds per 600 MB here); the sparse form takes 41% less of it. A compare of two
 * stored pages walks the union of their bitmaps (words zero in both are equal).
 *
 * Literals given with ks_content_literal_later() (a replayed trace's dictionary pages)
 * are filled in when first read: until then a literal is pending (bit 63 of its order
 * key, which a real key never sets, so that the compare that reads the keys first sees
 * it at no cost) and holds its pager and key; reading it fetches its bytes, then it is
 * filled in as ks_content_literal() fills one in. About half of a recorded guest trace's
 * distinct pages are never read (overwritten before ksmd scans them): they cost no
 * decompression, no hash and no memory. They are not interned by their bytes.
 *
 * Left out: no reference counting of literals (they live as long as the store). */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "content.h"
#include "models/base/status.h"
#include "models/base/xalloc.h"

#define PAGE_WORDS (KS_PAGE_SIZE / 8u)
#define SP_BITMAP_WORDS (PAGE_WORDS / 64u) /* a stored literal's bitmap of nonzero words */
#define LIT_FIRST_RECS 512u /* literal records allocated at first */
#define MEMO_BITS 16u /* remembered long compares of two literals: 64 Ki slots */
#define MEMO_SIZE (1u << MEMO_BITS)
#define MEMO_FROM_WORD 8u /* pairs equal in words 0..7 (one cache line) are remembered */
#define CSUM_CACHE_BITS 16u /* slots at most: 64 Ki (1 MiB) */
#define CSUM_CACHE_SIZE (1u << CSUM_CACHE_BITS)
#define CSUM_CACHE_FIRST 1024u /* slots at first: a small run does not pay for 1 MiB */
#define GOLDEN64 0x9e3779b97f4a7c15ull
#define LIT_PENDING (1ull << 63) /* order key of a literal not yet filled in */

/* A 64-bit word of a FILL page that at least one patch touches. */
struct dirty_word {
	uint16_t word;  /* word index in the page, 0..511 (bytes 8*word .. 8*word+7) */
	uint16_t first; /* first entry in the class's pidx[] listing patches that touch it */
	uint16_t count; /* number of such patches */
	bool arg_dep;   /* true if its value depends on the descriptor's arg */
	uint64_t value; /* little-endian word value, valid when !arg_dep */
};

/* An interned content class with what is derived from it for fast access. */
struct cclass {
	struct ks_content_class_spec spec; /* normalised spec; spec.patches == patches */
	struct ks_patch *patches;          /* FILL: owned copy of the patches, else NULL */
	uint64_t hash;                     /* hash of the normalised spec (interning) */
	uint64_t fillword;                 /* ZERO/FILL: filler byte repeated 8 times */
	uint64_t key;                      /* IMAGE/RANDOM: stream key from (kind, seed) */
	unsigned ndirty;                   /* FILL: number of words touched by patches */
	struct dirty_word *dirty;          /* FILL: touched words, sorted by word index */
	uint8_t *pidx;                     /* FILL: patch indices per dirty word, in order */
	bool arg_free;                     /* ZERO/FILL: the bytes do not depend on the arg
					    * (no patch reads it): one checksum for all */
};

/* One interned literal page, with what is computed once per distinct page: a recorded
 * trace holds millions of them, more than the checksum cache has slots, and a tree walk
 * compares one page against many. A compare of two literals reads one such record of
 * each (64 bytes, a cache line, aligned), and the bytes only when the records agree
 * (a stored page costs two misses a side: its bitmap, its words); six words, not two:
 * of the literal compares the order key leaves, half the ones that reached the stored
 * pages were decided within 2 to 8 words. The words before word first_nz / 8 are
 * zero. */
#define LIT_KEY_WORDS 6u
struct literal {
	uint64_t key[LIT_KEY_WORDS]; /* words first_nz / 8 .. + 5, little-endian (0 past
				      * the end of the page) */
	const uint64_t *sp; /* the stored page: bitmap of nonzero words, then those words */
	uint32_t csum;     /* ks_checksum(csum_alg) of the bytes, when csum_alg != 0 */
	uint16_t first_nz; /* offset of the first nonzero byte, 4096 if all zero */
	uint8_t csum_alg;  /* enum ks_checksum_alg + 1 of csum; 0: not computed yet */
};
#define LIT_REC_ALIGN 64u
_Static_assert(sizeof(struct literal) == LIT_REC_ALIGN, "a literal record is 64 bytes");

/* One remembered compare of two literal pages lo < hi (indices) equal in their first
 * MEMO_FROM_WORD words: the same pairs meet again at every full scan (the unstable tree
 * is rebuilt from much the same pages in the same order), and such a pair costs a walk
 * of the bytes each time. */
struct memo_slot {
	uint64_t lo, hi;  /* literal indices; hi == 0: empty (lo < hi) */
	uint16_t diff;    /* first differing byte */
	int8_t sign;      /* memcmp(lo, hi) sign */
};

/* One entry of the direct-mapped checksum cache. */
struct csum_slot {
	ks_content c;   /* descriptor whose checksum is cached */
	uint32_t value; /* ks_checksum() of its bytes */
	uint8_t alg;    /* enum ks_checksum_alg */
	uint8_t valid;  /* 1 if the entry holds a value */
};

struct ks_content_store {
	struct cclass **cls;      /* classes by id; pointers stay valid until _free */
	uint32_t ncls;            /* number of classes */
	uint32_t cap_cls;         /* allocated entries of cls[] */
	uint32_t *cls_ht;         /* open-addressing table: class id + 1, 0 = empty */
	uint32_t cls_ht_mask;     /* table size - 1 (power of two) */
	int64_t literal_cls;      /* id of the LITERAL class, -1 until first interned */
	struct literal *lit;      /* literal metadata by index (LIT_REC_ALIGN-aligned) */
	void *lit_raw;            /* the allocation lit[] lies in */
	uint64_t *lit_hash;       /* literal index -> hash of its 4096 bytes (interning) */
	uint64_t *lit_okey;       /* literal index -> order key (lit_order_key), or
				   * LIT_PENDING | key for a literal not yet filled in */
	const struct ks_content_pager **lit_pager; /* literal index -> its pager, NULL
						    * for an interned one (NULL until the
						    * first ks_content_literal_later) */
	uint8_t **lit_chunk;      /* stored literals (struct literal.sp point in) */
	uint64_t nchunk, cap_chunk; /* chunks made, entries of lit_chunk[] */
	size_t chunk_used;        /* bytes used of the last chunk */
	struct ks_content_chunks chunks; /* where lit_chunk[] comes from */
	uint64_t nlit;            /* number of literals */
	uint64_t cap_lit;         /* allocated entries of lit[] */
	uint64_t *lit_ht;         /* open-addressing table: literal index + 1, 0 = empty */
	uint64_t lit_ht_mask;     /* table size - 1 (power of two) */
	struct csum_slot *csum;   /* csum_mask + 1 entries, NULL until the first checksum */
	uint32_t csum_mask;       /* slots - 1: CSUM_CACHE_FIRST, doubled up to
				   * CSUM_CACHE_SIZE as misses come (csum_grow) */
	uint64_t csum_misses;     /* misses since the cache last grew */
	struct memo_slot *memo;   /* MEMO_SIZE entries, from the first literal on */
};

/* Sequential access to the words of one page. */
struct wsrc {
	const struct cclass *cl; /* the page's class */
	const uint64_t *sp;      /* LITERAL: the stored page */
	uint64_t arg;            /* the descriptor's arg */
	uint64_t pkey;           /* IMAGE/RANDOM: per-page stream key */
	unsigned d;              /* FILL: cursor into cl->dirty (words read in order) */
};

/* ---- small helpers ---- */

static inline uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Little-endian 64-bit access; one move on little-endian hosts (the test on the
 * compiler's predefined byte order folds away). */
static inline uint64_t load64le(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	if (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__)
		v = __builtin_bswap64(v);
	return v;
}

static inline void store64le(uint8_t *p, uint64_t v)
{
	if (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__)
		v = __builtin_bswap64(v);
	memcpy(p, &v, sizeof(v));
}

/* Stream key of an IMAGE/RANDOM page: injective in arg for a given class key. */
static inline uint64_t page_key(uint64_t class_key, uint64_t arg)
{
	return mix64(class_key + mix64(arg ^ 0x5851f42d4c957f2dull));
}

/* Word w of an IMAGE/RANDOM page with per-page key pkey (splitmix64 stream). */
static inline uint64_t stream_word(uint64_t pkey, unsigned w)
{
	return mix64(pkey + (w + 1) * GOLDEN64);
}

static inline const struct cclass *class_of(const struct ks_content_store *cs, ks_content c)
{
	uint32_t id = ks_content_cls(c);

	assert(id < cs->ncls);
	return cs->cls[id];
}

static void lit_fetch(const struct ks_content_store *cs, uint64_t idx);

/* Literal idx, filled in if it was pending (the store is logically const: a pending
 * literal's bytes are fixed when it is made, reading them only fills in its record). */
static inline void lit_ready(const struct ks_content_store *cs, uint64_t idx)
{
	assert(idx < cs->nlit);
	if (__builtin_expect(cs->lit_okey[idx] >> 63, 0))
		lit_fetch(cs, idx);
}

static inline const uint64_t *lit_sp(const struct ks_content_store *cs, uint64_t idx)
{
	lit_ready(cs, idx);
	return cs->lit[idx].sp;
}

/* ---- stored (sparse) literal pages ---- */

/* Bits set in x: the instruction where the compiler may use it, else a few shifts and
 * one multiply (not libgcc's out-of-line __popcountdi2, which a sparse walk calls for
 * every 64 words it passes). */
static inline unsigned popcount64(uint64_t x)
{
#ifdef __POPCNT__
	return (unsigned)__builtin_popcountll(x);
#else
	x -= (x >> 1) & 0x5555555555555555ull;
	x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
	return (unsigned)((x * 0x0101010101010101ull) >> 56);
#endif
}

/* Number of nonzero words of the stored page before word w. */
static inline unsigned sp_rank(const uint64_t *sp, unsigned w)
{
	unsigned r = 0, j = w / 64u;

	for (unsigned t = 0; t < j; t++)
		r += popcount64(sp[t]);
	if (w % 64u)
		r += popcount64(sp[j] & ((1ull << (w % 64u)) - 1));
	return r;
}

/* Word w of a stored page. */
static inline uint64_t sp_word(const uint64_t *sp, unsigned w)
{
	if (!((sp[w / 64u] >> (w % 64u)) & 1u))
		return 0;
	return sp[SP_BITMAP_WORDS + sp_rank(sp, w)];
}

/* The 4096 bytes of a stored page. */
static void sp_bytes(const uint64_t *sp, uint8_t *out)
{
	const uint64_t *v = sp + SP_BITMAP_WORDS;

	memset(out, 0, KS_PAGE_SIZE);
	for (unsigned j = 0; j < SP_BITMAP_WORDS; j++)
		for (uint64_t m = sp[j]; m; m &= m - 1)
			store64le(out + 8u * (64u * j + (unsigned)__builtin_ctzll(m)), *v++);
}

/* First word in [from, to) where stored pages a and b differ: true with the word index
 * and both values, false if they are equal there. */
static bool sp_diff(const uint64_t *a, const uint64_t *b, unsigned from, unsigned to,
		    unsigned *w, uint64_t *x, uint64_t *y)
{
	const uint64_t *va = a + SP_BITMAP_WORDS + sp_rank(a, from);
	const uint64_t *vb = b + SP_BITMAP_WORDS + sp_rank(b, from);

	for (unsigned j = from / 64u; j * 64u < to; j++) {
		uint64_t ma = a[j], mb = b[j], keep = ~0ull;

		if (j == from / 64u)
			keep &= ~((1ull << (from % 64u)) - 1);
		if (to < 64u * (j + 1))
			keep &= (1ull << (to % 64u)) - 1;
		ma &= keep;
		mb &= keep;
		if (ma == mb) { /* the same nonzero words here: their values side by side */
			unsigned n = popcount64(ma), i = 0;
			uint64_t m = ma;

			while (i < n && va[i] == vb[i])
				i++;
			if (i == n) {
				va += n;
				vb += n;
				continue;
			}
			for (unsigned t = 0; t < i; t++)
				m &= m - 1;
			*w = 64u * j + (unsigned)__builtin_ctzll(m);
			*x = va[i];
			*y = vb[i];
			return true;
		}
		for (uint64_t m = ma | mb; m; m &= m - 1) {
			unsigned p = (unsigned)__builtin_ctzll(m);
			uint64_t u = (ma >> p) & 1u ? *va++ : 0, v = (mb >> p) & 1u ? *vb++ : 0;

			if (u != v) {
				*w = 64u * j + p;
				*x = u;
				*y = v;
				return true;
			}
		}
	}
	return false;
}

/* True if the stored page holds exactly the 4096 bytes of page. */
static bool sp_equal(const uint64_t *sp, const uint8_t *page)
{
	const uint64_t *v = sp + SP_BITMAP_WORDS;

	for (unsigned w = 0; w < PAGE_WORDS; w++) {
		uint64_t x = load64le(page + 8u * w);

		if ((sp[w / 64u] >> (w % 64u)) & 1u ? *v++ != x : x != 0)
			return false;
	}
	return true;
}

static inline uint64_t patch_value(const struct ks_patch *p, uint64_t arg)
{
	switch (p->source) {
	case KS_PATCH_ARG:
		return arg;
	case KS_PATCH_ARG_PLUS:
		return arg + p->value;
	default:
		return p->value;
	}
}

/* memcmp() result of two words that differ, given as little-endian loads. */
static inline int word_diff(uint64_t x, uint64_t y, unsigned w, unsigned *first_diff)
{
	unsigned byte = (unsigned)__builtin_ctzll(x ^ y) >> 3;
	unsigned bx = (unsigned)(x >> (8 * byte)) & 0xffu;
	unsigned by = (unsigned)(y >> (8 * byte)) & 0xffu;

	if (first_diff)
		*first_diff = w * 8 + byte;
	return bx < by ? -1 : 1;
}

/* ---- FILL pages ---- */

/* Computes dirty word dw of a FILL class for the given arg by applying, in order,
 * the bytes of every patch that falls into it. */
static uint64_t dirty_compute(const struct cclass *cl, const struct dirty_word *dw, uint64_t arg)
{
	uint64_t v = cl->fillword;

	for (unsigned k = 0; k < dw->count; k++) {
		const struct ks_patch *p = &cl->patches[cl->pidx[dw->first + k]];
		uint64_t pv = patch_value(p, arg);
		uint64_t m = p->width == 8 ? ~0ull : (1ull << (8 * p->width)) - 1;
		unsigned sh = 8u * (p->offset & 7u);

		pv &= m;
		if (p->offset / 8u == dw->word) /* the patch starts in this word */
			v = (v & ~(m << sh)) | (pv << sh);
		else /* it started in the previous word and spills into this one (sh > 0) */
			v = (v & ~(m >> (64 - sh))) | (pv >> (64 - sh));
	}
	return v;
}

/* Value of dirty word i of a FILL class for the given arg. */
static inline uint64_t dirty_value(const struct cclass *cl, unsigned i, uint64_t arg)
{
	const struct dirty_word *dw = &cl->dirty[i];

	return dw->arg_dep ? dirty_compute(cl, dw, arg) : dw->value;
}

/* Derives the sorted dirty-word list and per-word patch lists of a FILL class. */
static void fill_prepare(struct cclass *cl)
{
	const struct ks_content_class_spec *sp = &cl->spec;
	bool touched[PAGE_WORDS] = { false };
	unsigned n = 0, np = 0;

	cl->fillword = sp->fill * 0x0101010101010101ull;
	cl->arg_free = true;
	for (unsigned i = 0; i < sp->npatches; i++) {
		const struct ks_patch *p = &sp->patches[i];

		if (p->source != KS_PATCH_CONST)
			cl->arg_free = false;
		touched[p->offset / 8] = true;
		touched[(p->offset + p->width - 1) / 8] = true;
	}
	for (unsigned w = 0; w < PAGE_WORDS; w++)
		n += touched[w];
	cl->ndirty = n;
	if (n == 0)
		return;
	cl->dirty = ks_xcalloc(n, sizeof(*cl->dirty));
	cl->pidx = ks_xmalloc(2 * sp->npatches);
	n = 0;
	for (unsigned w = 0; w < PAGE_WORDS; w++) {
		struct dirty_word *dw = &cl->dirty[n];

		if (!touched[w])
			continue;
		dw->word = (uint16_t)w;
		dw->first = (uint16_t)np;
		for (unsigned i = 0; i < sp->npatches; i++) {
			const struct ks_patch *p = &sp->patches[i];

			if (p->offset / 8 > w || (p->offset + p->width - 1u) / 8 < w)
				continue;
			cl->pidx[np++] = (uint8_t)i;
			if (p->source != KS_PATCH_CONST)
				dw->arg_dep = true;
		}
		dw->count = (uint16_t)(np - dw->first);
		if (!dw->arg_dep)
			dw->value = dirty_compute(cl, dw, 0);
		n++;
	}
}

/* ---- word sources ---- */

static void wsrc_init(struct wsrc *s, const struct ks_content_store *cs, ks_content c)
{
	s->cl = class_of(cs, c);
	s->arg = ks_content_arg(c);
	s->d = 0;
	s->sp = NULL;
	s->pkey = 0;
	switch (s->cl->spec.kind) {
	case KS_CONTENT_LITERAL:
		s->sp = lit_sp(cs, s->arg);
		break;
	case KS_CONTENT_IMAGE:
	case KS_CONTENT_RANDOM:
		s->pkey = page_key(s->cl->key, s->arg);
		break;
	default:
		break;
	}
}

/* Word w of the page; for FILL pages w must not decrease between calls. */
static inline uint64_t wsrc_word(struct wsrc *s, unsigned w)
{
	const struct cclass *cl = s->cl;

	switch (cl->spec.kind) {
	case KS_CONTENT_FILL:
		while (s->d < cl->ndirty && cl->dirty[s->d].word < w)
			s->d++;
		if (s->d < cl->ndirty && cl->dirty[s->d].word == w)
			return dirty_value(cl, s->d, s->arg);
		return cl->fillword;
	case KS_CONTENT_IMAGE:
	case KS_CONTENT_RANDOM:
		return stream_word(s->pkey, w);
	case KS_CONTENT_LITERAL:
		return sp_word(s->sp, w);
	default:
		return 0;
	}
}

/* ---- comparison ---- */

/* Two ZERO/FILL pages with the same filler: only patched words can differ. */
static int cmp_same_fill(const struct cclass *ca, uint64_t arga, const struct cclass *cb,
			 uint64_t argb, unsigned *first_diff)
{
	unsigned i = 0, j = 0;

	for (;;) {
		unsigned wa = i < ca->ndirty ? ca->dirty[i].word : PAGE_WORDS;
		unsigned wb = j < cb->ndirty ? cb->dirty[j].word : PAGE_WORDS;
		unsigned w = wa < wb ? wa : wb;
		uint64_t x = ca->fillword, y = cb->fillword;

		if (w == PAGE_WORDS)
			break;
		if (wa == w)
			x = dirty_value(ca, i++, arga);
		if (wb == w)
			y = dirty_value(cb, j++, argb);
		if (x != y)
			return word_diff(x, y, w, first_diff);
	}
	if (first_diff)
		*first_diff = KS_PAGE_SIZE;
	return 0;
}

static bool is_flat(const struct cclass *cl)
{
	return cl->spec.kind == KS_CONTENT_ZERO || cl->spec.kind == KS_CONTENT_FILL;
}

/* Word 0 of a page, without setting up a word source: most pairs of pages that differ
 * differ there, so the common compare costs two of these. */
static inline uint64_t first_word(const struct ks_content_store *cs, const struct cclass *cl,
				  uint64_t arg)
{
	switch (cl->spec.kind) {
	case KS_CONTENT_FILL:
		if (cl->ndirty && cl->dirty[0].word == 0)
			return dirty_value(cl, 0, arg);
		return cl->fillword;
	case KS_CONTENT_IMAGE:
	case KS_CONTENT_RANDOM:
		return stream_word(page_key(cl->key, arg), 0);
	case KS_CONTENT_LITERAL: /* word 0 is key[0] when the first nonzero byte is in it */
		lit_ready(cs, arg);
		return cs->lit[arg].first_nz < 8 ? cs->lit[arg].key[0] : 0;
	default:
		return 0;
	}
}

/* Two literal pages: both are zero before the first nonzero byte of either, so a page
 * whose first nonzero byte comes first is the larger one there; with the same first
 * nonzero byte, the six words from the one holding it come from the records, then the
 * bytes of the pages; past MEMO_FROM_WORD words from there a pair is looked up in (and
 * then kept in) the memo. Two literals with different indices never hold the same
 * bytes (interning), but equal bytes would still compare equal. */
static int cmp_literals(const struct ks_content_store *cs, uint64_t ia, uint64_t ib,
			unsigned *first_diff)
{
	const struct literal *la, *lb;
	struct memo_slot *m;
	uint64_t x = 0, y = 0, lo = ia < ib ? ia : ib, hi = ia < ib ? ib : ia, ka, kb;
	unsigned w, k, end;
	int r;

	assert(ia < cs->nlit && ib < cs->nlit);
	ka = cs->lit_okey[ia];
	kb = cs->lit_okey[ib];
	if (__builtin_expect((ka | kb) >> 63, 0)) { /* one is pending: fill it in */
		lit_ready(cs, ia);
		lit_ready(cs, ib);
		ka = cs->lit_okey[ia];
		kb = cs->lit_okey[ib];
	}
	if (ka != kb) { /* most pairs: decided by 8 dense bytes each, not the records */
		if (first_diff) {
			unsigned l;

			if ((ka ^ kb) >> 48) { /* the first 1 bit differs in place */
				l = 32767u - (unsigned)((ka > kb ? ka : kb) >> 48);
			} else { /* then 1 + this many bits agree */
				l = 32767u - (unsigned)(ka >> 48) + 1u +
				    (unsigned)__builtin_clzll((ka ^ kb) << 16);
			}
			*first_diff = l / 8u;
		}
		return ka > kb ? 1 : -1;
	}
	la = &cs->lit[ia];
	lb = &cs->lit[ib];
	if (la->first_nz != lb->first_nz) {
		if (first_diff)
			*first_diff = la->first_nz < lb->first_nz ? la->first_nz : lb->first_nz;
		return la->first_nz < lb->first_nz ? 1 : -1;
	}
	k = la->first_nz / 8u; /* PAGE_WORDS when both are all zero */
	end = k + LIT_KEY_WORDS < PAGE_WORDS ? k + LIT_KEY_WORDS : PAGE_WORDS;
	for (w = k; w < end; w++)
		if (la->key[w - k] != lb->key[w - k])
			return word_diff(la->key[w - k], lb->key[w - k], w, first_diff);
	if (w == PAGE_WORDS)
		goto equal;
	end = k + MEMO_FROM_WORD < PAGE_WORDS ? k + MEMO_FROM_WORD : PAGE_WORDS;
	if (sp_diff(la->sp, lb->sp, w, end, &w, &x, &y))
		return word_diff(x, y, w, first_diff);
	if (end == PAGE_WORDS)
		goto equal;
	m = &cs->memo[mix64(lo * GOLDEN64 + hi) & (MEMO_SIZE - 1)];
	if (m->lo == lo && m->hi == hi) {
		if (first_diff)
			*first_diff = m->diff;
		return ia == lo ? m->sign : -m->sign;
	}
	if (sp_diff(la->sp, lb->sp, end, PAGE_WORDS, &w, &x, &y)) {
		unsigned d;

		r = word_diff(x, y, w, &d);
		m->diff = (uint16_t)d;
	} else {
		r = 0;
		m->diff = KS_PAGE_SIZE;
	}
	if (lo != hi) {
		m->lo = lo;
		m->hi = hi;
		m->sign = (int8_t)(ia == lo ? r : -r);
	}
	if (first_diff)
		*first_diff = m->diff;
	return r;
equal:
	if (first_diff)
		*first_diff = KS_PAGE_SIZE;
	return 0;
}

int ks_content_cmp(const struct ks_content_store *cs, ks_content a, ks_content b,
		   unsigned *first_diff)
{
	const struct cclass *ca, *cb;
	struct wsrc sa, sb;
	uint64_t x, y;

	if (a == b)
		goto equal;
	if (ks_content_cls(a) == cs->literal_cls && ks_content_cls(b) == cs->literal_cls)
		return cmp_literals(cs, ks_content_arg(a), ks_content_arg(b), first_diff);
	ca = class_of(cs, a);
	cb = class_of(cs, b);
	x = first_word(cs, ca, ks_content_arg(a));
	y = first_word(cs, cb, ks_content_arg(b));
	if (x != y)
		return word_diff(x, y, 0, first_diff);
	if (is_flat(ca) && is_flat(cb) && ca->fillword == cb->fillword)
		return cmp_same_fill(ca, ks_content_arg(a), cb, ks_content_arg(b), first_diff);
	if (ca->spec.kind == KS_CONTENT_LITERAL && cb->spec.kind == KS_CONTENT_ZERO) {
		unsigned nz;

		lit_ready(cs, ks_content_arg(a));
		nz = cs->lit[ks_content_arg(a)].first_nz;
		if (first_diff)
			*first_diff = nz;
		return nz < KS_PAGE_SIZE;
	}
	if (ca->spec.kind == KS_CONTENT_ZERO && cb->spec.kind == KS_CONTENT_LITERAL)
		return -ks_content_cmp(cs, b, a, first_diff);
	wsrc_init(&sa, cs, a);
	wsrc_init(&sb, cs, b);
	for (unsigned w = 1; w < PAGE_WORDS; w++) {
		x = wsrc_word(&sa, w);
		y = wsrc_word(&sb, w);
		if (x != y)
			return word_diff(x, y, w, first_diff);
	}
equal:
	if (first_diff)
		*first_diff = KS_PAGE_SIZE;
	return 0;
}

uint64_t ks_content_word0(const struct ks_content_store *cs, ks_content c)
{
	return first_word(cs, class_of(cs, c), ks_content_arg(c));
}

bool ks_content_is_zero(const struct ks_content_store *cs, ks_content c)
{
	const struct cclass *cl = class_of(cs, c);

	if (cl->spec.kind == KS_CONTENT_LITERAL) {
		lit_ready(cs, ks_content_arg(c));
		return cs->lit[ks_content_arg(c)].first_nz == KS_PAGE_SIZE;
	}
	/* At most 64 patches of 8 bytes: a page with a nonzero filler is never zero. */
	if (is_flat(cl) && cl->fillword != 0)
		return false;
	return ks_content_cmp(cs, c, KS_CONTENT_ZERO_PAGE, NULL) == 0;
}

/* ---- materialisation and checksums ---- */

void ks_content_bytes(const struct ks_content_store *cs, ks_content c, uint8_t *out)
{
	const struct cclass *cl = class_of(cs, c);
	uint64_t arg = ks_content_arg(c);
	uint64_t pkey;

	switch (cl->spec.kind) {
	case KS_CONTENT_ZERO:
		memset(out, 0, KS_PAGE_SIZE);
		return;
	case KS_CONTENT_FILL:
		memset(out, cl->spec.fill, KS_PAGE_SIZE);
		for (unsigned i = 0; i < cl->spec.npatches; i++) {
			const struct ks_patch *p = &cl->patches[i];
			uint64_t v = patch_value(p, arg);

			for (unsigned j = 0; j < p->width; j++)
				out[p->offset + j] = (uint8_t)(v >> (8 * j));
		}
		return;
	case KS_CONTENT_LITERAL:
		sp_bytes(lit_sp(cs, arg), out);
		return;
	default: /* IMAGE, RANDOM; pkey is a local so byte stores cannot alias it */
		pkey = page_key(cl->key, arg);
		for (unsigned w = 0; w < PAGE_WORDS; w++)
			store64le(out + 8 * w, stream_word(pkey, w));
		return;
	}
}

/* ---- xxh64 of a page straight from its words ----
 *
 * XXH64(page, 4096, 0) (the xxHash specification: four lanes of 32-byte stripes, then
 * the merge and the avalanche; 4096 is a multiple of 32, so no tail) over the page's
 * little-endian 64-bit words as they are generated, without materialising the bytes.
 * tests/check_content.c holds it to libxxhash's XXH64 of the bytes. */

#define XXH_P1 0x9e3779b185ebca87ull
#define XXH_P2 0xc2b2ae3d27d4eb4full
#define XXH_P3 0x165667b19e3779f9ull
#define XXH_P4 0x85ebca77c2b2ae63ull

static inline uint64_t rotl64(uint64_t x, unsigned r)
{
	return (x << r) | (x >> (64 - r));
}

static inline uint64_t xxh_round(uint64_t acc, uint64_t input)
{
	return rotl64(acc + input * XXH_P2, 31) * XXH_P1;
}

static inline uint64_t xxh_merge(uint64_t h, uint64_t v)
{
	return (h ^ xxh_round(0, v)) * XXH_P1 + XXH_P4;
}

static uint64_t xxh64_finish(const uint64_t v[4])
{
	uint64_t h = rotl64(v[0], 1) + rotl64(v[1], 7) + rotl64(v[2], 12) + rotl64(v[3], 18);

	for (unsigned i = 0; i < 4; i++)
		h = xxh_merge(h, v[i]);
	h += KS_PAGE_SIZE;
	h ^= h >> 33;
	h *= XXH_P2;
	h ^= h >> 29;
	h *= XXH_P3;
	return h ^ (h >> 32);
}

static uint64_t xxh64_sparse(const uint64_t *sp);

/* XXH64 of an IMAGE/RANDOM page (stream key pkey), portable: per word two multiplies
 * of the stream and two of the round, the four lanes interleaved. */
static uint64_t xxh64_stream(uint64_t pkey)
{
	uint64_t v[4] = { XXH_P1 + XXH_P2, XXH_P2, 0, -XXH_P1 };

	for (unsigned w = 0; w < PAGE_WORDS; w += 4)
		for (unsigned i = 0; i < 4; i++)
			v[i] = xxh_round(v[i], stream_word(pkey, w + i));
	return xxh64_finish(v);
}

#if defined(__x86_64__) && defined(__GNUC__)
#define XXH_SIMD 1
typedef uint64_t u64x4 __attribute__((vector_size(32)));

/* The same XXH64 with the four lanes in one 256-bit vector (AVX-512 DQ and VL: 64-bit
 * multiplies and rotates of 4 lanes, vpmullq / vprolq). Lane i of stripe s reads word
 * 4s + i, as in the xxHash specification, so the lanes are the portable version's v[i]
 * and the result is bit for bit the same; the multiplies of the stream are off the
 * lanes' dependency chains. GCC vector extensions: no intrinsics header. */
__attribute__((target("avx512f,avx512dq,avx512vl")))
static uint64_t xxh64_stream_avx512(uint64_t pkey)
{
	const u64x4 step = { 4 * GOLDEN64, 4 * GOLDEN64, 4 * GOLDEN64, 4 * GOLDEN64 };
	u64x4 acc = { XXH_P1 + XXH_P2, XXH_P2, 0, -XXH_P1 };
	u64x4 z = { pkey + GOLDEN64, pkey + 2 * GOLDEN64, pkey + 3 * GOLDEN64,
		    pkey + 4 * GOLDEN64 };
	uint64_t v[4];

	for (unsigned w = 0; w < PAGE_WORDS; w += 4) {
		u64x4 x = z; /* stream_word(pkey, w + i) in lane i: mix64 */

		z += step;
		x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
		x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
		x ^= x >> 31;
		acc += x * XXH_P2; /* xxh_round */
		acc = (acc << 31) | (acc >> 33);
		acc *= XXH_P1;
	}
	for (unsigned i = 0; i < 4; i++)
		v[i] = acc[i];
	return xxh64_finish(v);
}

/* True if this CPU runs xxh64_stream_avx512() (asked once). */
static bool xxh_simd_ok(void)
{
	static int ok = -1; /* a pure function of the CPU: racing first callers agree */

	if (ok < 0) {
		__builtin_cpu_init();
		ok = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
		     __builtin_cpu_supports("avx512vl");
	}
	return ok;
}
#else
#define XXH_SIMD 0
static bool xxh_simd_ok(void)
{
	return false;
}
static uint64_t xxh64_stream_avx512(uint64_t pkey)
{
	return xxh64_stream(pkey);
}
#endif

static uint64_t xxh64_page_words_impl(const struct ks_content_store *cs, ks_content c,
				      bool simd)
{
	uint64_t v[4] = { XXH_P1 + XXH_P2, XXH_P2, 0, -XXH_P1 };
	struct wsrc s;

	wsrc_init(&s, cs, c);
	if (s.cl->spec.kind == KS_CONTENT_IMAGE || s.cl->spec.kind == KS_CONTENT_RANDOM)
		return simd ? xxh64_stream_avx512(s.pkey) : xxh64_stream(s.pkey);
	for (unsigned w = 0; w < PAGE_WORDS; w += 4)
		for (unsigned i = 0; i < 4; i++)
			v[i] = xxh_round(v[i], wsrc_word(&s, w + i));
	return xxh64_finish(v);
}

static uint64_t xxh64_page_words(const struct ks_content_store *cs, ks_content c)
{
	return xxh64_page_words_impl(cs, c, xxh_simd_ok());
}

bool ks_content_xxh64_simd(void)
{
	return XXH_SIMD && xxh_simd_ok();
}

uint64_t ks_content_xxh64_impl(const struct ks_content_store *cs, ks_content c, bool simd)
{
	if (ks_content_cls(c) == cs->literal_cls)
		return xxh64_sparse(lit_sp(cs, ks_content_arg(c)));
	return xxh64_page_words_impl(cs, c, simd && ks_content_xxh64_simd());
}

/* XXH64 of a stored literal page, from its bitmap and words (no 4096 bytes made first:
 * a replay checksums each of its distinct pages once, a hundred thousand of them). */
static uint64_t xxh64_sparse(const uint64_t *sp)
{
	static const uint64_t zero;
	uint64_t v[4] = { XXH_P1 + XXH_P2, XXH_P2, 0, -XXH_P1 };
	unsigned n = sp_rank(sp, PAGE_WORDS), last = n ? n - 1 : 0, at = 0;
	const uint64_t *val = n ? sp + SP_BITMAP_WORDS : &zero;

	for (unsigned j = 0; j < SP_BITMAP_WORDS; j++)
		for (unsigned i = 0; i < 64u; i += 4)
			for (unsigned k = 0; k < 4; k++) { /* no branch: zero words are random;
							    * never read past the last word */
				uint64_t bit = (sp[j] >> (i + k)) & 1u;

				v[k] = xxh_round(v[k], val[at < last ? at : last] & -bit);
				at += (unsigned)bit;
			}
	return xxh64_finish(v);
}

/* Makes the checksum cache (CSUM_CACHE_FIRST slots) or doubles it, emptied: a cache,
 * it changes no checksum. It grows after 4 misses a slot, so a run that computes many
 * distinct checksums soon has all CSUM_CACHE_SIZE slots, and one that computes few
 * never allocates them (the fuzz target runs thousands of small worlds). */
static void csum_grow(struct ks_content_store *cs)
{
	uint32_t slots = cs->csum ? 2u * (cs->csum_mask + 1u) : CSUM_CACHE_FIRST;

	free(cs->csum);
	cs->csum = ks_xcalloc(slots, sizeof(*cs->csum));
	cs->csum_mask = slots - 1u;
	cs->csum_misses = 0;
}

uint32_t ks_content_checksum(struct ks_content_store *cs, ks_content c, enum ks_checksum_alg alg)
{
	struct csum_slot *slot;
	uint8_t page[KS_PAGE_SIZE];

	if (ks_content_cls(c) == cs->literal_cls) { /* kept with the literal, not in the cache */
		struct literal *l;

		lit_ready(cs, ks_content_arg(c));
		l = &cs->lit[ks_content_arg(c)];
		if (l->csum_alg != (uint8_t)alg + 1) { /* once per distinct page and algorithm */
			if (alg == KS_CSUM_XXHASH64) {
				l->csum = (uint32_t)xxh64_sparse(l->sp);
			} else {
				sp_bytes(l->sp, page);
				l->csum = ks_checksum(alg, page);
			}
			l->csum_alg = (uint8_t)alg + 1;
		}
		return l->csum;
	}
	if (class_of(cs, c)->arg_free)
		c = ks_content_make(ks_content_cls(c), 0); /* same bytes for every arg */
	if (!cs->csum)
		csum_grow(cs);
	slot = &cs->csum[mix64(c + (uint64_t)alg * GOLDEN64) & cs->csum_mask];
	if (slot->valid && slot->c == c && slot->alg == (uint8_t)alg)
		return slot->value;
	if (++cs->csum_misses > 4u * (cs->csum_mask + 1u) && cs->csum_mask + 1u < CSUM_CACHE_SIZE) {
		csum_grow(cs);
		slot = &cs->csum[mix64(c + (uint64_t)alg * GOLDEN64) & cs->csum_mask];
	}
	if (alg == KS_CSUM_XXHASH64)
		slot->value = (uint32_t)xxh64_page_words(cs, c);
	else {
		ks_content_bytes(cs, c, page);
		slot->value = ks_checksum(alg, page);
	}
	slot->c = c;
	slot->alg = (uint8_t)alg;
	slot->valid = 1;
	return slot->value;
}

/* ---- classes ---- */

static uint64_t spec_hash(const struct ks_content_class_spec *sp)
{
	uint64_t h = mix64((uint64_t)sp->kind + 1);

	h = mix64(h ^ sp->fill ^ ((uint64_t)sp->npatches << 8));
	h = mix64(h ^ sp->seed);
	for (unsigned i = 0; i < sp->npatches; i++) {
		const struct ks_patch *p = &sp->patches[i];

		h = mix64(h ^ p->offset ^ ((uint64_t)p->width << 16) ^ ((uint64_t)p->source << 24));
		h = mix64(h ^ p->value);
	}
	return h;
}

static bool spec_equal(const struct ks_content_class_spec *x, const struct ks_content_class_spec *y)
{
	if (x->kind != y->kind || x->fill != y->fill || x->seed != y->seed ||
	    x->npatches != y->npatches)
		return false;
	for (unsigned i = 0; i < x->npatches; i++) {
		const struct ks_patch *p = &x->patches[i], *q = &y->patches[i];

		if (p->offset != q->offset || p->width != q->width || p->source != q->source ||
		    p->value != q->value)
			return false;
	}
	return true;
}

static int spec_validate(const struct ks_content_class_spec *sp)
{
	if (!sp || (unsigned)sp->kind > KS_CONTENT_LITERAL)
		return KS_EINVAL;
	if (sp->kind != KS_CONTENT_FILL)
		return 0;
	if (sp->npatches > KS_CONTENT_MAX_PATCHES || (sp->npatches && !sp->patches))
		return KS_EINVAL;
	for (unsigned i = 0; i < sp->npatches; i++) {
		const struct ks_patch *p = &sp->patches[i];

		if (p->width < 1 || p->width > 8 || p->source > KS_PATCH_ARG_PLUS ||
		    (unsigned)p->offset + p->width > KS_PAGE_SIZE)
			return KS_EINVAL;
	}
	return 0;
}

/* Keeps only the fields that matter for the kind, so equal contents intern once. */
static void spec_normalise(struct ks_content_class_spec *out, const struct ks_content_class_spec *in)
{
	memset(out, 0, sizeof(*out));
	out->kind = in->kind;
	if (in->kind == KS_CONTENT_FILL) {
		out->fill = in->fill;
		out->npatches = in->npatches;
		out->patches = in->patches;
	} else if (in->kind == KS_CONTENT_IMAGE || in->kind == KS_CONTENT_RANDOM) {
		out->seed = in->seed;
	}
}

static void cls_ht_insert(uint32_t *ht, uint32_t mask, uint64_t hash, uint32_t id)
{
	uint32_t i = (uint32_t)hash & mask;

	while (ht[i])
		i = (i + 1) & mask;
	ht[i] = id + 1;
}

static void cls_ht_grow(struct ks_content_store *cs)
{
	uint32_t mask = cs->cls_ht_mask * 2 + 1;
	uint32_t *ht = ks_xcalloc((size_t)mask + 1, sizeof(*ht));

	for (uint32_t id = 0; id < cs->ncls; id++)
		cls_ht_insert(ht, mask, cs->cls[id]->hash, id);
	free(cs->cls_ht);
	cs->cls_ht = ht;
	cs->cls_ht_mask = mask;
}

static struct cclass *class_create(const struct ks_content_class_spec *sp, uint64_t hash)
{
	struct cclass *cl = ks_xcalloc(1, sizeof(*cl));

	cl->spec = *sp;
	cl->hash = hash;
	if (sp->kind == KS_CONTENT_FILL && sp->npatches) {
		cl->patches = ks_xmalloc(sp->npatches * sizeof(*cl->patches));
		memcpy(cl->patches, sp->patches, sp->npatches * sizeof(*cl->patches));
	}
	cl->spec.patches = cl->patches;
	cl->arg_free = sp->kind == KS_CONTENT_ZERO;
	if (sp->kind == KS_CONTENT_FILL)
		fill_prepare(cl);
	cl->key = mix64(sp->seed ^ mix64(((uint64_t)sp->kind + 1) * GOLDEN64));
	return cl;
}

int64_t ks_content_class(struct ks_content_store *cs, const struct ks_content_class_spec *spec)
{
	struct ks_content_class_spec sp;
	uint64_t hash;
	uint32_t i, id;
	int rc = spec_validate(spec);

	if (rc)
		return rc;
	spec_normalise(&sp, spec);
	hash = spec_hash(&sp);
	for (i = (uint32_t)hash & cs->cls_ht_mask; cs->cls_ht[i]; i = (i + 1) & cs->cls_ht_mask) {
		const struct cclass *cl = cs->cls[cs->cls_ht[i] - 1];

		if (cl->hash == hash && spec_equal(&cl->spec, &sp))
			return cs->cls_ht[i] - 1;
	}
	if (cs->ncls >= KS_CONTENT_MAX_CLASSES)
		return KS_ERANGE;
	if (cs->ncls == cs->cap_cls) {
		cs->cap_cls = cs->cap_cls ? cs->cap_cls * 2 : 16;
		cs->cls = ks_xrealloc(cs->cls, cs->cap_cls * sizeof(*cs->cls));
	}
	id = cs->ncls++;
	cs->cls[id] = class_create(&sp, hash);
	if (sp.kind == KS_CONTENT_LITERAL)
		cs->literal_cls = id;
	if ((uint64_t)cs->ncls * 2 > cs->cls_ht_mask)
		cls_ht_grow(cs);
	else
		cls_ht_insert(cs->cls_ht, cs->cls_ht_mask, hash, id);
	return id;
}

const struct ks_content_class_spec *ks_content_class_get(const struct ks_content_store *cs,
							 uint32_t cls)
{
	if (!cs || cls >= cs->ncls)
		return NULL;
	return &cs->cls[cls]->spec;
}

uint32_t ks_content_class_count(const struct ks_content_store *cs)
{
	return cs->ncls;
}

/* ---- literals ---- */

/* The interning hash: XXH3-64 (libxxhash), a fifth of the time of a word-by-word
 * multiply chain; a replay hashes every distinct page of its trace once. Only the
 * hash table sees it: literal indices go by first appearance. */
static uint64_t page_hash(const uint8_t *page)
{
	return XXH3_64bits(page, KS_PAGE_SIZE);
}

static void lit_ht_insert(uint64_t *ht, uint64_t mask, uint64_t hash, uint64_t idx)
{
	uint64_t i = hash & mask;

	while (ht[i])
		i = (i + 1) & mask;
	ht[i] = idx + 1;
}

static void lit_ht_grow(struct ks_content_store *cs)
{
	uint64_t mask = cs->lit_ht_mask ? cs->lit_ht_mask * 2 + 1 : 255;
	uint64_t *ht = ks_xcalloc(mask + 1, sizeof(*ht));

	for (uint64_t idx = 0; idx < cs->nlit; idx++)
		if (!cs->lit_pager || !cs->lit_pager[idx]) /* not interned: not in the table */
			lit_ht_insert(ht, mask, cs->lit_hash[idx], idx);
	free(cs->lit_ht);
	cs->lit_ht = ht;
	cs->lit_ht_mask = mask;
}

/* The literal records moved to a LIT_REC_ALIGN-aligned array of cap entries (n kept):
 * a record never straddles two cache lines. */
static void lit_recs_grow(struct ks_content_store *cs, uint64_t n, uint64_t cap)
{
	void *raw = ks_xmalloc(cap * sizeof(*cs->lit) + LIT_REC_ALIGN);
	struct literal *recs = (struct literal *)(((uintptr_t)raw + LIT_REC_ALIGN - 1) &
						  ~(uintptr_t)(LIT_REC_ALIGN - 1));

	if (n)
		memcpy(recs, cs->lit, n * sizeof(*recs));
	free(cs->lit_raw);
	cs->lit_raw = raw;
	cs->lit = recs;
}

/* Room for a stored page of the given size in the last chunk, or in a new one (the
 * first from malloc: small runs never need more). */
static uint64_t *sp_room(struct ks_content_store *cs, size_t bytes)
{
	uint64_t *p;

	if (cs->nchunk == 0 || cs->chunk_used + bytes > KS_CONTENT_LIT_CHUNK) {
		if (cs->nchunk == cs->cap_chunk) {
			cs->cap_chunk = cs->cap_chunk ? 2 * cs->cap_chunk : 16;
			cs->lit_chunk = ks_xrealloc(cs->lit_chunk,
						    cs->cap_chunk * sizeof(*cs->lit_chunk));
		}
		cs->lit_chunk[cs->nchunk] = cs->nchunk == 0 ? ks_xmalloc(KS_CONTENT_LIT_CHUNK) :
			cs->chunks.alloc(KS_CONTENT_LIT_CHUNK);
		cs->nchunk++;
		cs->chunk_used = 0;
	}
	p = (uint64_t *)(void *)(cs->lit_chunk[cs->nchunk - 1] + cs->chunk_used);
	cs->chunk_used += bytes;
	return p;
}

/* The order key of a literal page whose first nonzero byte is at nz (KS_PAGE_SIZE: none):
 * the page read as a string of 32768 bits in memcmp() order (byte 0 first, each byte's
 * high bit first) has L zero bits before its first 1 bit; the key is 32767 - L in bits
 * 48..62, then the 48 bits after that 1 bit (zeros past the page's end); 0 for the zero
 * page. Two pages with different keys compare as their keys do, and the keys tell the
 * first differing byte (lit_key_cmp); equal keys decide nothing. */
static uint64_t lit_order_key(const uint8_t *page, unsigned nz)
{
	uint64_t b = 0;
	unsigned lz, l;

	if (nz >= KS_PAGE_SIZE)
		return 0;
	for (unsigned i = 0; i < 8; i++) /* big-endian: byte nz on top */
		b = b << 8 | (nz + i < KS_PAGE_SIZE ? page[nz + i] : 0u);
	lz = (unsigned)__builtin_clzll(b); /* < 8: byte nz is nonzero */
	l = 8u * nz + lz;
	return (uint64_t)(32767u - l) << 48 | (b << (lz + 1u)) >> 16;
}

/* A new literal index, every per-literal array grown to hold it. */
static uint64_t lit_slot(struct ks_content_store *cs)
{
	uint64_t idx = cs->nlit;

	assert(idx <= KS_CONTENT_ARG_MASK);
	if (idx == cs->cap_lit) {
		cs->cap_lit = cs->cap_lit ? cs->cap_lit * 2 : LIT_FIRST_RECS;
		lit_recs_grow(cs, idx, cs->cap_lit);
		cs->lit_hash = ks_xrealloc(cs->lit_hash, cs->cap_lit * sizeof(*cs->lit_hash));
		cs->lit_okey = ks_xrealloc(cs->lit_okey, cs->cap_lit * sizeof(*cs->lit_okey));
		if (cs->lit_pager)
			cs->lit_pager = ks_xrealloc(cs->lit_pager,
						    cs->cap_lit * sizeof(*cs->lit_pager));
	}
	if (!cs->memo)
		cs->memo = ks_xcalloc(MEMO_SIZE, sizeof(*cs->memo));
	if (cs->lit_pager)
		cs->lit_pager[idx] = NULL;
	cs->nlit++;
	return idx;
}

/* Fills in literal idx from its bytes: the stored page, its order key and record. */
static void lit_fill(struct ks_content_store *cs, uint64_t idx, const uint8_t *page)
{
	uint64_t bm[SP_BITMAP_WORDS] = { 0 }, *sp;
	unsigned nz = 0, nwords = 0, k;

	/* one pass: room for the largest, then only what the page took is kept */
	sp = sp_room(cs, 8u * (SP_BITMAP_WORDS + PAGE_WORDS));
	for (unsigned w = 0; w < PAGE_WORDS; w++) { /* no branch: zero words are random */
		uint64_t v = load64le(page + 8u * w), nz1 = v != 0;

		bm[w / 64u] |= nz1 << (w % 64u);
		sp[SP_BITMAP_WORDS + nwords] = v; /* overwritten by the next word if zero */
		nwords += (unsigned)nz1;
	}
	memcpy(sp, bm, sizeof(bm));
	cs->chunk_used -= 8u * (PAGE_WORDS - nwords);
	nz = KS_PAGE_SIZE;
	for (unsigned j = 0; j < SP_BITMAP_WORDS; j++)
		if (bm[j]) { /* little-endian words: the lowest set byte comes first */
			unsigned w = 64u * j + (unsigned)__builtin_ctzll(bm[j]);

			nz = 8u * w + (unsigned)__builtin_ctzll(sp[SP_BITMAP_WORDS]) / 8u;
			break;
		}
	cs->lit_okey[idx] = lit_order_key(page, nz);
	memset(&cs->lit[idx], 0, sizeof(cs->lit[idx]));
	k = nz / 8u;
	for (unsigned i = 0; i < LIT_KEY_WORDS && k + i < PAGE_WORDS; i++)
		cs->lit[idx].key[i] = load64le(page + 8 * (k + i));
	cs->lit[idx].sp = sp;
	cs->lit[idx].first_nz = (uint16_t)nz;
}

static uint64_t lit_add(struct ks_content_store *cs, const uint8_t *page, uint64_t hash)
{
	uint64_t idx = lit_slot(cs);

	cs->lit_hash[idx] = hash;
	lit_fill(cs, idx, page);
	return idx;
}

/* Fills in the pending literal idx from its pager. */
static void lit_fetch(const struct ks_content_store *ccs, uint64_t idx)
{
	struct ks_content_store *cs = (struct ks_content_store *)ccs; /* see lit_ready */
	uint8_t page[KS_PAGE_SIZE];

	cs->lit_pager[idx]->fetch(cs->lit_pager[idx], cs->lit_okey[idx] & ~LIT_PENDING, page);
	lit_fill(cs, idx, page);
}

ks_content ks_content_literal_later(struct ks_content_store *cs,
				    const struct ks_content_pager *pg, uint64_t key)
{
	static const struct ks_content_class_spec lit_spec = { .kind = KS_CONTENT_LITERAL };
	uint64_t idx;

	assert(pg && !(key & LIT_PENDING));
	if (cs->literal_cls < 0)
		cs->literal_cls = ks_content_class(cs, &lit_spec);
	if (!cs->lit_pager)
		cs->lit_pager = ks_xcalloc(cs->cap_lit ? cs->cap_lit : 1, sizeof(*cs->lit_pager));
	idx = lit_slot(cs);
	cs->lit_pager[idx] = pg;
	cs->lit_hash[idx] = 0;
	cs->lit_okey[idx] = LIT_PENDING | key;
	return ks_content_make((uint32_t)cs->literal_cls, idx);
}

ks_content ks_content_literal(struct ks_content_store *cs, const uint8_t *page)
{
	static const struct ks_content_class_spec lit_spec = { .kind = KS_CONTENT_LITERAL };
	uint64_t hash = page_hash(page), i, idx;

	if (cs->literal_cls < 0)
		cs->literal_cls = ks_content_class(cs, &lit_spec);
	assert(cs->literal_cls >= 0);
	for (i = hash & cs->lit_ht_mask; cs->lit_ht[i]; i = (i + 1) & cs->lit_ht_mask) {
		idx = cs->lit_ht[i] - 1;
		if (cs->lit_hash[idx] == hash && sp_equal(lit_sp(cs, idx), page))
			return ks_content_make((uint32_t)cs->literal_cls, idx);
	}
	idx = lit_add(cs, page, hash);
	if (cs->nlit * 2 > cs->lit_ht_mask)
		lit_ht_grow(cs);
	else
		lit_ht_insert(cs->lit_ht, cs->lit_ht_mask, hash, idx);
	return ks_content_make((uint32_t)cs->literal_cls, idx);
}

bool ks_content_literal_bytes(const struct ks_content_store *cs, ks_content c, uint8_t *out)
{
	if (cs->literal_cls < 0 || ks_content_cls(c) != cs->literal_cls ||
	    ks_content_arg(c) >= cs->nlit)
		return false;
	sp_bytes(lit_sp(cs, ks_content_arg(c)), out);
	return true;
}

/* ---- lifecycle ---- */

static void *chunk_malloc(size_t n)
{
	return ks_xmalloc(n);
}

static void chunk_free(void *p, size_t n)
{
	(void)n;
	free(p);
}

void ks_content_store_set_chunks(struct ks_content_store *cs, const struct ks_content_chunks *a)
{
	if (cs->nlit == 0 && a && a->alloc && a->release)
		cs->chunks = *a;
}

struct ks_content_store *ks_content_store_new(void)
{
	static const struct ks_content_class_spec zero_spec = { .kind = KS_CONTENT_ZERO };
	struct ks_content_store *cs = ks_xcalloc(1, sizeof(*cs));
	int64_t id;

	cs->cls_ht_mask = 63;
	cs->cls_ht = ks_xcalloc(cs->cls_ht_mask + 1, sizeof(*cs->cls_ht));
	cs->literal_cls = -1;
	cs->chunks = (struct ks_content_chunks){ chunk_malloc, chunk_free };
	lit_ht_grow(cs);
	id = ks_content_class(cs, &zero_spec);
	assert(id == 0);
	(void)id;
	return cs;
}

void ks_content_store_free(struct ks_content_store *cs)
{
	if (!cs)
		return;
	for (uint32_t id = 0; id < cs->ncls; id++) {
		free(cs->cls[id]->patches);
		free(cs->cls[id]->dirty);
		free(cs->cls[id]->pidx);
		free(cs->cls[id]);
	}
	for (uint64_t k = 0; k < cs->nchunk; k++)
		if (k == 0)
			free(cs->lit_chunk[k]);
		else
			cs->chunks.release(cs->lit_chunk[k], KS_CONTENT_LIT_CHUNK);
	free(cs->cls);
	free(cs->cls_ht);
	free(cs->lit_raw);
	free(cs->lit_hash);
	free(cs->lit_okey);
	free(cs->lit_pager);
	free(cs->lit_chunk);
	free(cs->lit_ht);
	free(cs->csum);
	free(cs->memo);
	free(cs);
}
