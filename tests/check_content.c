/* check_content.c - the compact page-content model against real 4096-byte buffers.
 *
 * Every decision the simulator takes from ks_content_cmp(), ks_content_is_zero() and
 * ks_content_checksum() must be the one memcmp(), a byte scan and ks_checksum() take on
 * the materialised bytes; these tests build pools of descriptors of every kind, with
 * deliberate byte-equal pairs across kinds, and compare all pairs against the bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <xxhash.h>

#include "models/base/status.h"
#include "models/vocab/content.h"

#define PG KS_PAGE_SIZE
#define POOL_MAX 512

static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static int sign(int x)
{
	return (x > 0) - (x < 0);
}

/* Reference: sign of memcmp and first differing offset (4096 if equal). */
static int ref_cmp(const uint8_t *a, const uint8_t *b, unsigned *first)
{
	for (unsigned i = 0; i < PG; i++)
		if (a[i] != b[i]) {
			*first = i;
			return a[i] < b[i] ? -1 : 1;
		}
	*first = PG;
	return 0;
}

static bool ref_is_zero(const uint8_t *p)
{
	for (unsigned i = 0; i < PG; i++)
		if (p[i])
			return false;
	return true;
}

static int64_t fill_class(struct ks_content_store *cs, uint8_t fill, unsigned n,
			  const struct ks_patch *patches)
{
	struct ks_content_class_spec sp = {
		.kind = KS_CONTENT_FILL, .fill = fill, .npatches = n, .patches = patches
	};
	int64_t id = ks_content_class(cs, &sp);

	ck_assert_int_ge(id, 0);
	return id;
}

static int64_t seeded_class(struct ks_content_store *cs, enum ks_content_kind kind, uint64_t seed)
{
	struct ks_content_class_spec sp = { .kind = kind, .seed = seed };
	int64_t id = ks_content_class(cs, &sp);

	ck_assert_int_ge(id, 0);
	return id;
}

/* A FILL class with random, possibly overlapping patches of every source. */
static int64_t random_fill_class(struct ks_content_store *cs, uint8_t fill, bool near_end)
{
	struct ks_patch p[KS_CONTENT_MAX_PATCHES];
	unsigned n = 1 + (unsigned)(rnd() % 12);

	for (unsigned i = 0; i < n; i++) {
		p[i].width = (uint8_t)(1 + rnd() % 8);
		if (near_end)
			p[i].offset = (uint16_t)(PG - p[i].width - rnd() % 24);
		else
			p[i].offset = (uint16_t)(rnd() % (PG - p[i].width + 1));
		p[i].source = (uint8_t)(rnd() % 3);
		/* Small values often, so that patches sometimes rewrite the filler. */
		p[i].value = (rnd() & 1) ? rnd() : (rnd() % 3 ? fill * 0x0101010101010101ull : 0);
	}
	return fill_class(cs, fill, n, p);
}

struct pool {
	ks_content c[POOL_MAX];        /* descriptors */
	unsigned n;                    /* number used */
};

static void pool_add(struct pool *pl, ks_content c)
{
	ck_assert_uint_lt(pl->n, POOL_MAX);
	pl->c[pl->n++] = c;
}

/* Builds descriptors of every kind, including byte-equal pairs of different kinds. */
static void build_pool(struct ks_content_store *cs, struct pool *pl)
{
	static const struct ks_patch worst = { .offset = 4088, .width = 8, .source = KS_PATCH_ARG };
	static const struct ks_patch best = { .offset = 4088, .width = 8, .value = 1 };
	static const struct ks_patch zeros[2] = { { .offset = 0, .width = 8, .value = 0 },
						  { .offset = 4090, .width = 6, .value = 0 } };
	static const struct ks_patch at0 = { .offset = 0, .width = 1, .value = 7 };
	static const struct ks_patch at2048 = { .offset = 2048, .width = 1, .value = 7 };
	static const struct ks_patch at4095 = { .offset = 4095, .width = 1, .value = 7 };
	static const struct ks_patch plus = { .offset = 100, .width = 3, .source = KS_PATCH_ARG_PLUS,
					      .value = 0xffffff };
	uint8_t *page = malloc(PG);
	unsigned nonlit;
	int64_t cl[16];
	unsigned ncl = 0;

	ck_assert_ptr_nonnull(page);
	pl->n = 0;
	pool_add(pl, KS_CONTENT_ZERO_PAGE);
	cl[ncl++] = fill_class(cs, 0, 1, &worst);
	cl[ncl++] = fill_class(cs, 0, 1, &best);
	cl[ncl++] = fill_class(cs, 0, 2, zeros);
	cl[ncl++] = fill_class(cs, 0, 0, NULL);
	cl[ncl++] = fill_class(cs, 0, 1, &at0);
	cl[ncl++] = fill_class(cs, 0, 1, &at2048);
	cl[ncl++] = fill_class(cs, 0, 1, &at4095);
	cl[ncl++] = fill_class(cs, 0, 1, &plus);
	cl[ncl++] = fill_class(cs, 0xff, 1, &worst);
	cl[ncl++] = seeded_class(cs, KS_CONTENT_IMAGE, 5);
	cl[ncl++] = seeded_class(cs, KS_CONTENT_RANDOM, 5);
	for (unsigned i = 0; i < ncl; i++)
		for (uint64_t arg = 0; arg < 4; arg++)
			pool_add(pl, ks_content_make((uint32_t)cl[i], arg));
	pool_add(pl, ks_content_make((uint32_t)cl[0], 0x0100000000ull)); /* arg high byte */
	for (int i = 0; i < 60; i++) {
		uint8_t fill = (rnd() % 3 == 0) ? (uint8_t)rnd() : (rnd() & 1) * 0xff;
		int64_t id = random_fill_class(cs, fill, rnd() % 2);

		pool_add(pl, ks_content_make((uint32_t)id, rnd() % 3));
	}
	nonlit = pl->n;
	/* Literal copies of other pages, random literals, and one-byte variations. */
	for (int i = 0; i < 80; i++) {
		static const unsigned spots[] = { 0, 2048, 4095, 4088, 7 };

		ks_content_bytes(cs, pl->c[rnd() % nonlit], page);
		if (i % 4 == 1)
			page[spots[rnd() % 5]] ^= (uint8_t)(1 + rnd() % 255);
		else if (i % 4 == 2)
			for (unsigned k = 0; k < PG; k++)
				page[k] = (uint8_t)rnd();
		pool_add(pl, ks_content_literal(cs, page));
	}
	memset(page, 0, PG);
	pool_add(pl, ks_content_literal(cs, page));
	free(page);
}

/* ---- core ---- */

/* ks_content_word0() is the first 8 bytes, little-endian; when the words of a and b
 * differ, ks_content_word0_cmp() gives memcmp's sign r and first difference rfd. */
static void check_word0(const struct ks_content_store *cs, ks_content ca, ks_content cb,
			const uint8_t *a, const uint8_t *b, int r, unsigned rfd)
{
	uint64_t wa = 0, wb = 0, got_a = ks_content_word0(cs, ca), got_b = ks_content_word0(cs, cb);
	unsigned fd = 9999;

	for (unsigned k = 0; k < 8; k++) {
		wa |= (uint64_t)a[k] << (8 * k);
		wb |= (uint64_t)b[k] << (8 * k);
	}
	ck_assert_msg(got_a == wa && got_b == wb, "word0 of %#llx or %#llx wrong",
		      (unsigned long long)ca, (unsigned long long)cb);
	if (wa == wb)
		return;
	ck_assert_int_eq(ks_content_word0_cmp(wa, wb, &fd), r);
	ck_assert_uint_eq(fd, rfd);
}

/* cmp sign and first_diff equal memcmp's on every pair; is_zero equals a byte scan. */
START_TEST(test_content_cmp_matches_memcmp)
{
	struct ks_content_store *cs = ks_content_store_new();
	struct pool *pl = malloc(sizeof(*pl));
	uint8_t *bytes;
	unsigned equal_pairs = 0, distinct_desc_equal = 0;

	ck_assert_ptr_nonnull(pl);
	rng_state = 1234 + (uint64_t)_i;
	build_pool(cs, pl);
	bytes = malloc((size_t)pl->n * PG);
	ck_assert_ptr_nonnull(bytes);
	for (unsigned i = 0; i < pl->n; i++)
		ks_content_bytes(cs, pl->c[i], bytes + (size_t)i * PG);
	for (unsigned i = 0; i < pl->n; i++) {
		const uint8_t *a = bytes + (size_t)i * PG;

		ck_assert_msg(ks_content_is_zero(cs, pl->c[i]) == ref_is_zero(a),
			      "is_zero wrong for %#llx", (unsigned long long)pl->c[i]);
		for (unsigned j = 0; j < pl->n; j++) {
			const uint8_t *b = bytes + (size_t)j * PG;
			unsigned fd = 9999, rfd;
			int r = ref_cmp(a, b, &rfd);
			int got = ks_content_cmp(cs, pl->c[i], pl->c[j], &fd);

			ck_assert_int_eq(sign(memcmp(a, b, PG)), r);
			ck_assert_msg(sign(got) == r && fd == rfd,
				      "cmp(%#llx, %#llx) = %d at %u, memcmp says %d at %u",
				      (unsigned long long)pl->c[i], (unsigned long long)pl->c[j],
				      got, fd, r, rfd);
			ck_assert_int_eq(sign(ks_content_cmp(cs, pl->c[i], pl->c[j], NULL)), r);
			check_word0(cs, pl->c[i], pl->c[j], a, b, r, rfd);
			equal_pairs += r == 0;
			distinct_desc_equal += r == 0 && pl->c[i] != pl->c[j];
		}
	}
	/* The pool really exercises byte-equal pages behind different descriptors. */
	ck_assert_uint_gt(distinct_desc_equal, 20);
	ck_assert_uint_gt(equal_pairs, distinct_desc_equal);
	free(bytes);
	free(pl);
	ks_content_store_free(cs);
}
END_TEST

/* Every ordered pair of the n literal pages c (bytes: their bytes, page after page)
 * compares as memcmp does, at the same first difference, the reverse order giving the
 * opposite sign; equal bytes were interned once. round names the pass in messages. */
static void check_literal_pairs(struct ks_content_store *cs, const ks_content *c,
				const uint8_t *bytes, unsigned n, int round)
{
	for (unsigned i = 0; i < n; i++)
		for (unsigned j = 0; j < n; j++) {
			unsigned fd = 9999, rfd;
			const uint8_t *a = bytes + (size_t)i * PG, *b = bytes + (size_t)j * PG;
			int r = ref_cmp(a, b, &rfd);
			int got = ks_content_cmp(cs, c[i], c[j], &fd);

			ck_assert_msg(sign(got) == r && fd == rfd,
				      "round %d: cmp(%u, %u) = %d at %u, memcmp says %d at %u",
				      round, i, j, got, fd, r, rfd);
			ck_assert_int_eq(ks_content_cmp(cs, c[j], c[i], NULL), -got);
			check_word0(cs, c[i], c[j], a, b, r, rfd);
			if (r == 0)
				ck_assert_uint_eq(c[i], c[j]); /* equal bytes intern once */
		}
}

/* As check_literal_pairs, for literals that may hold equal bytes under two
 * descriptors (not interned). */
static void check_literal_pairs_bytes(struct ks_content_store *cs, const ks_content *c,
				      const uint8_t *bytes, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		for (unsigned j = 0; j < n; j++) {
			unsigned fd = 9999, rfd;
			const uint8_t *a = bytes + (size_t)i * PG, *b = bytes + (size_t)j * PG;
			int r = ref_cmp(a, b, &rfd);
			int got = ks_content_cmp(cs, c[i], c[j], &fd);

			ck_assert_msg(sign(got) == r && fd == rfd,
				      "cmp(%u, %u) = %d at %u, memcmp says %d at %u", i, j, got,
				      fd, r, rfd);
			ck_assert_int_eq(ks_content_cmp(cs, c[j], c[i], NULL), -got);
			check_word0(cs, c[i], c[j], a, b, r, rfd);
		}
}

/* Literal pages that share long prefixes (recorded guest memory: zero-led pages,
 * common headers) compare as memcmp does, in both orders, again and again: the memo of
 * long compares gives what the bytes give, also once its slots have been reused. */
START_TEST(test_content_literal_long_prefix)
{
	enum { N = 240 }; /* 28,680 pairs: memo slots (65,536) collide and are reused */
	struct ks_content_store *cs = ks_content_store_new();
	uint8_t *bytes = malloc((size_t)N * PG);
	ks_content c[N];

	ck_assert_ptr_nonnull(bytes);
	rng_state = 77;
	for (unsigned i = 0; i < N; i++) {
		uint8_t *p = bytes + (size_t)i * PG;
		unsigned at = (unsigned)(rnd() % PG);

		/* a few shared bases; one byte changed at a random offset, often late */
		memset(p, (int)(i % 3), PG);
		if (i % 5 == 0)
			at = 8 * (8 + (unsigned)(rnd() % 4)); /* just past the first cache line */
		p[at] = (uint8_t)(1 + rnd() % 254);
		if (i % 7 == 0)
			p[PG - 1] ^= 0x5a;
		c[i] = ks_content_literal(cs, p);
	}
	for (int round = 0; round < 2; round++)
		check_literal_pairs(cs, c, bytes, N, round);
	free(bytes);
	ks_content_store_free(cs);
}
END_TEST

/* Literal pages led by zeros (most of recorded guest memory): the first nonzero byte
 * at the same offset or not, at the page's end too (fewer than three words left), the
 * pages then equal for none, one, a few or many words: the record of the words from the
 * first nonzero one decides, or the bytes, as memcmp does. */
START_TEST(test_content_literal_zero_led)
{
	static const unsigned firsts[] = { 0, 5, 8, 15, 100, 4064, 4072, 4080, 4088, 4095 };
	static const unsigned later[] = { 0, 1, 9, 17, 23, 24, 31, 63, 64, 200, 4000 };
	enum { N = 200 };
	struct ks_content_store *cs = ks_content_store_new();
	uint8_t *bytes = calloc(N, PG);
	ks_content c[N];

	ck_assert_ptr_nonnull(bytes);
	rng_state = 4242;
	for (unsigned i = 0; i < N; i++) {
		uint8_t *p = bytes + (size_t)i * PG;
		unsigned f = firsts[rnd() % (sizeof(firsts) / sizeof(firsts[0]))];
		unsigned d = f + later[rnd() % (sizeof(later) / sizeof(later[0]))];

		p[f] = (uint8_t)(1 + rnd() % 2); /* often the same first nonzero byte */
		for (unsigned k = f + 1; k < PG; k++)
			p[k] = (uint8_t)(k * 7 + f);
		if (d < PG && i % 4)
			p[d] = (uint8_t)(p[d] + 1 + rnd() % 3);
		c[i] = ks_content_literal(cs, p);
	}
	check_literal_pairs(cs, c, bytes, N, 0);
	free(bytes);
	ks_content_store_free(cs);
}
END_TEST

/* Literal pages whose first 1 bit (reading bytes in order, each byte's high bit first)
 * lies in the same byte or in neighbouring ones, then pages equal for 0 to 70 bits after
 * it (the dense order key holds 48 of them; the ones it cannot tell apart go to the
 * records and the bytes), at the page's start and at its end (the key's bits past the
 * end), and the zero page with the page whose only 1 bit is the last one (the same key):
 * every pair in both orders as memcmp says, with the first differing byte. */
START_TEST(test_content_literal_bits)
{
	static const unsigned firsts[] = { 0, 1, 7, 100, 4087, 4090, 4094, 4095 };
	static const uint8_t leads[] = { 0x01, 0x02, 0x03, 0x40, 0x7f, 0x80, 0xff };
	enum { N = 180 };
	struct ks_content_store *cs = ks_content_store_new();
	uint8_t *bytes = calloc(N, PG);
	ks_content c[N];

	ck_assert_ptr_nonnull(bytes);
	rng_state = 9090;
	bytes[(size_t)1 * PG + PG - 1] = 0x01; /* page 0 all zero, page 1 only the last bit */
	for (unsigned i = 2; i < N; i++) {
		uint8_t *p = bytes + (size_t)i * PG;
		unsigned f = firsts[rnd() % (sizeof(firsts) / sizeof(firsts[0]))];
		uint8_t lead = leads[rnd() % (sizeof(leads) / sizeof(leads[0]))];
		unsigned lz = (unsigned)__builtin_clz(lead) - 24u, flip = (unsigned)(rnd() % 72);
		uint64_t bit = 8u * f + lz + 1u + flip; /* a bit after the first 1 bit */

		p[f] = lead;
		for (unsigned k = f + 1; k < PG; k++)
			p[k] = (uint8_t)(k * 13 + 5);
		if (i % 3 && bit < 8u * PG)
			p[bit / 8] ^= (uint8_t)(0x80u >> (bit % 8));
		c[i] = ks_content_literal(cs, p);
	}
	c[0] = ks_content_literal(cs, bytes);
	c[1] = ks_content_literal(cs, bytes + PG);
	check_literal_pairs(cs, c, bytes, N, 0);
	free(bytes);
	ks_content_store_free(cs);
}
END_TEST

static unsigned chunks_live, chunks_made;

static void *count_alloc(size_t n)
{
	ck_assert_uint_eq(n, KS_CONTENT_LIT_CHUNK);
	chunks_live++;
	chunks_made++;
	return malloc(n);
}

static void count_release(void *p, size_t n)
{
	ck_assert_uint_eq(n, KS_CONTENT_LIT_CHUNK);
	ck_assert_uint_gt(chunks_live, 0);
	chunks_live--;
	free(p);
}

/* Literal chunks come from the allocator handed in, 512 pages each, and all go back. */
START_TEST(test_content_literal_chunks)
{
	static const struct ks_content_chunks counting = { count_alloc, count_release };
	struct ks_content_store *cs = ks_content_store_new();
	uint8_t page[PG];
	ks_content first = 0, last = 0;

	chunks_live = chunks_made = 0;
	ks_content_store_set_chunks(cs, &counting);
	uint8_t got[PG];

	for (unsigned i = 0; i < 1100; i++) {
		memset(page, 0x5a, PG); /* no zero word: 4160 bytes stored, 504 to a chunk */
		memcpy(page + 100, &i, sizeof(i));
		last = ks_content_literal(cs, page);
		if (i == 0)
			first = last;
	}
	ck_assert_uint_eq(chunks_made, 2); /* 1100 pages: 504 (malloc) + 504 + 92 */
	ck_assert(ks_content_literal_bytes(cs, last, got));
	ck_assert_mem_eq(got, page, PG); /* page 1099 */
	memset(page, 0x5a, PG);
	memset(page + 100, 0, sizeof(unsigned));
	ck_assert(ks_content_literal_bytes(cs, first, got));
	ck_assert_mem_eq(got, page, PG);
	for (unsigned i = 0; i < 3000; i++) { /* sparse pages: 72 bytes each, in the last chunk */
		memset(page, 0, PG);
		memcpy(page + 8 * (i % 512), &i, sizeof(i));
		page[4095] = 1;
		last = ks_content_literal(cs, page);
	}
	ck_assert_uint_eq(chunks_made, 2);
	ck_assert(ks_content_literal_bytes(cs, last, got));
	ck_assert_mem_eq(got, page, PG);
	ks_content_store_set_chunks(cs, NULL); /* ignored: not before the first literal */
	ks_content_store_free(cs);
	ck_assert_uint_eq(chunks_live, 0);
}
END_TEST

/* Cached checksums equal ks_checksum() of the materialised bytes for every algorithm. */
START_TEST(test_content_checksum_matches_bytes)
{
	struct ks_content_store *cs = ks_content_store_new();
	struct pool *pl = malloc(sizeof(*pl));
	uint8_t *page = malloc(PG);

	ck_assert_ptr_nonnull(pl);
	ck_assert_ptr_nonnull(page);
	rng_state = 77;
	build_pool(cs, pl);
	for (int round = 0; round < 2; round++) /* the second round hits the cache */
		for (unsigned i = 0; i < pl->n; i++) {
			ks_content_bytes(cs, pl->c[i], page);
			for (int a = 0; a < KS_CSUM_COUNT; a++)
				ck_assert_uint_eq(ks_content_checksum(cs, pl->c[i],
								      (enum ks_checksum_alg)a),
						  ks_checksum((enum ks_checksum_alg)a, page));
		}
	free(page);
	free(pl);
	ks_content_store_free(cs);
}
END_TEST

/* A pager over pages held in memory: counts the fetches of each page. */
struct test_pager {
	struct ks_content_pager pg;
	const uint8_t *bytes;    /* page k at bytes + k * PG */
	unsigned *fetches;       /* per page */
};

static void test_fetch(const struct ks_content_pager *pg, uint64_t key, uint8_t *out)
{
	const struct test_pager *tp = (const struct test_pager *)pg;

	tp->fetches[key]++;
	memcpy(out, tp->bytes + key * PG, PG);
}

/* Literals whose bytes come later (ks_content_literal_later, a replayed trace's
 * dictionary): zero-led, long-prefix, random and zero pages, byte copies of each other
 * and of interned literals. Nothing is fetched until read; the first read of each
 * (a compare with a pending or a filled one, its checksum, is_zero, word0, bytes) fetches
 * it once; then every pair compares as memcmp does, every checksum and byte is right;
 * pages never read are never fetched. */
START_TEST(test_content_literal_later)
{
	enum { N = 160, UNREAD = 150 }; /* pages UNREAD.. are never read */
	struct ks_content_store *cs = ks_content_store_new();
	uint8_t *bytes = calloc(N, PG), *page = malloc(PG);
	unsigned fetches[N] = { 0 };
	struct test_pager tp = { { test_fetch }, NULL, fetches };
	ks_content c[N];

	ck_assert_ptr_nonnull(bytes);
	ck_assert_ptr_nonnull(page);
	tp.bytes = bytes;
	rng_state = 99 + (uint64_t)_i;
	for (unsigned i = 0; i < N; i++) {
		uint8_t *p = bytes + (size_t)i * PG;
		unsigned f = (unsigned)(rnd() % 3 == 0 ? 0 : rnd() % PG);

		switch (i % 5) {
		case 0: /* zero-led, then a ramp; often the same as another but one byte */
			for (unsigned k = f; k < PG; k++)
				p[k] = (uint8_t)(k * 7 + 1);
			p[(f + 8 * (rnd() % 16) + rnd() % 8) % PG] ^= (uint8_t)(i % 2);
			break;
		case 1: /* random bytes */
			for (unsigned k = 0; k < PG; k++)
				p[k] = (uint8_t)rnd();
			break;
		case 2: /* a copy of an earlier page (equal bytes, another descriptor) */
			if (i > 2)
				memcpy(p, bytes + (size_t)(rnd() % (i - 1)) * PG, PG);
			break;
		case 3: /* long equal prefix, one byte late */
			memset(p, 0x11, PG);
			p[PG - 1 - rnd() % 64] = (uint8_t)(rnd() % 3);
			break;
		default: /* the zero page */
			break;
		}
	}
	for (unsigned i = 0; i < N; i++)
		c[i] = ks_content_literal_later(cs, &tp.pg, i);
	for (unsigned i = 1; i < N; i++)
		ck_assert_uint_eq(ks_content_arg(c[i]), ks_content_arg(c[i - 1]) + 1);
	for (unsigned i = 0; i < N; i++)
		ck_assert_uint_eq(fetches[i], 0);
	/* interned copies of a few, as a trace's `literal` records would give */
	ck_assert_uint_ne(ks_content_literal(cs, bytes + 7 * PG), c[7]);
	for (unsigned i = 0; i < UNREAD; i++) { /* first reads of every kind */
		const uint8_t *p = bytes + (size_t)i * PG;
		unsigned fd = 9999, rfd;
		int r;

		switch (i % 6) {
		case 0:
			ck_assert_uint_eq(ks_content_checksum(cs, c[i], KS_CSUM_XXHASH64),
					  ks_checksum(KS_CSUM_XXHASH64, p));
			break;
		case 1:
			ck_assert(ks_content_is_zero(cs, c[i]) == ref_is_zero(p));
			break;
		case 2:
			ks_content_bytes(cs, c[i], page);
			ck_assert(memcmp(page, p, PG) == 0);
			break;
		case 3:
			ck_assert(ks_content_literal_bytes(cs, c[i], page));
			ck_assert(memcmp(page, p, PG) == 0);
			break;
		case 4: /* pending against pending, or filled */
			r = ref_cmp(p, bytes + (size_t)(i + 1) * PG, &rfd);
			ck_assert_int_eq(sign(ks_content_cmp(cs, c[i], c[i + 1], &fd)), r);
			ck_assert_uint_eq(fd, rfd);
			break;
		default: /* against the zero page, another class */
			ck_assert_int_eq(sign(ks_content_cmp(cs, KS_CONTENT_ZERO_PAGE, c[i], &fd)),
					 ref_cmp(bytes + (size_t)(N - 1) * PG, p, &rfd));
			break;
		}
		ck_assert_uint_le(fetches[i], 1);
	}
	check_literal_pairs_bytes(cs, c, bytes, UNREAD);
	for (unsigned i = 0; i < UNREAD; i++) {
		const uint8_t *p = bytes + (size_t)i * PG;

		ck_assert_uint_eq(fetches[i], 1);
		for (int a = 0; a < KS_CSUM_COUNT; a++)
			ck_assert_uint_eq(ks_content_checksum(cs, c[i], (enum ks_checksum_alg)a),
					  ks_checksum((enum ks_checksum_alg)a, p));
		ck_assert(ks_content_is_zero(cs, c[i]) == ref_is_zero(p));
		ks_content_bytes(cs, c[i], page);
		ck_assert(memcmp(page, p, PG) == 0);
	}
	for (unsigned i = UNREAD; i < N; i++)
		ck_assert_uint_eq(fetches[i], 0);
	free(page);
	free(bytes);
	ks_content_store_free(cs);
}
END_TEST

/* The benchmark pages: worst case differs from its neighbour only in the last 8 bytes,
 * best case pages are all equal, and worst-case page 1 equals the best-case page. */
START_TEST(test_content_benchmark_pages)
{
	static const struct ks_patch worst = { .offset = 4088, .width = 8, .source = KS_PATCH_ARG };
	static const struct ks_patch best = { .offset = 4088, .width = 8, .value = 1 };
	struct ks_content_store *cs = ks_content_store_new();
	uint32_t w = (uint32_t)fill_class(cs, 0, 1, &worst);
	uint32_t b = (uint32_t)fill_class(cs, 0, 1, &best);
	uint8_t *page = malloc(PG);
	unsigned fd;

	ck_assert_ptr_nonnull(page);
	ck_assert_int_lt(ks_content_cmp(cs, ks_content_make(w, 5), ks_content_make(w, 6), &fd), 0);
	ck_assert_uint_eq(fd, 4088);
	/* Little-endian: 0x100 is 00 01 .., 0xff is ff 00 ..; memcmp sees byte 4088 first. */
	ck_assert_int_lt(ks_content_cmp(cs, ks_content_make(w, 0x100), ks_content_make(w, 0xff), &fd),
			 0);
	ck_assert_uint_eq(fd, 4088);
	ck_assert_int_gt(ks_content_cmp(cs, ks_content_make(w, 0x200), ks_content_make(w, 0x100), &fd),
			 0);
	ck_assert_uint_eq(fd, 4089);
	ck_assert_int_eq(ks_content_cmp(cs, ks_content_make(w, 1), ks_content_make(b, 77), &fd), 0);
	ck_assert_uint_eq(fd, PG);
	ck_assert(ks_content_is_zero(cs, ks_content_make(w, 0)));
	ck_assert(!ks_content_is_zero(cs, ks_content_make(w, 1)));
	ks_content_bytes(cs, ks_content_make(w, 0x0102030405ull), page);
	ck_assert_uint_eq(page[4088], 0x05);
	ck_assert_uint_eq(page[4092], 0x01);
	ck_assert_uint_eq(page[4093], 0);
	ck_assert_uint_eq(page[0], 0);
	free(page);
	ks_content_store_free(cs);
}
END_TEST

/* Equal specs intern once; class_get reads back the spec; class 0 is the zero page. */
START_TEST(test_content_class_interning)
{
	struct ks_content_store *cs = ks_content_store_new();
	struct ks_patch p[2] = { { .offset = 10, .width = 2, .source = KS_PATCH_ARG_PLUS, .value = 3 },
				 { .offset = 11, .width = 4, .value = 0xabcdef } };
	struct ks_patch q[2];
	struct ks_content_class_spec zero = { .kind = KS_CONTENT_ZERO, .seed = 9, .fill = 3 };
	struct ks_content_class_spec img = { .kind = KS_CONTENT_IMAGE, .seed = 1 };
	const struct ks_content_class_spec *got;
	int64_t f1, f2, f3, i1, i2, r1;
	uint8_t *page = malloc(PG);

	ck_assert_ptr_nonnull(page);
	ck_assert_uint_eq(ks_content_class_count(cs), 1);
	got = ks_content_class_get(cs, 0);
	ck_assert_ptr_nonnull(got);
	ck_assert_int_eq(got->kind, KS_CONTENT_ZERO);
	ck_assert_int_eq(ks_content_class(cs, &zero), 0);
	ks_content_bytes(cs, KS_CONTENT_ZERO_PAGE, page);
	for (unsigned i = 0; i < PG; i++)
		ck_assert_uint_eq(page[i], 0);

	f1 = fill_class(cs, 0x11, 2, p);
	memcpy(q, p, sizeof(q)); /* a different array with equal contents */
	f2 = fill_class(cs, 0x11, 2, q);
	ck_assert_int_eq(f1, f2);
	q[1].value++;
	f3 = fill_class(cs, 0x11, 2, q);
	ck_assert_int_ne(f1, f3);
	ck_assert_int_ne(fill_class(cs, 0x12, 2, p), f1);
	i1 = ks_content_class(cs, &img);
	img.fill = 0x55; /* irrelevant for IMAGE */
	ck_assert_int_eq(ks_content_class(cs, &img), i1);
	img.seed = 2;
	i2 = ks_content_class(cs, &img);
	ck_assert_int_ne(i1, i2);
	img.kind = KS_CONTENT_RANDOM;
	img.seed = 1;
	r1 = ks_content_class(cs, &img);
	ck_assert_int_ne(r1, i1);
	ck_assert_uint_eq(ks_content_class_count(cs), 7);

	got = ks_content_class_get(cs, (uint32_t)f1);
	ck_assert_int_eq(got->kind, KS_CONTENT_FILL);
	ck_assert_uint_eq(got->fill, 0x11);
	ck_assert_uint_eq(got->npatches, 2);
	ck_assert_ptr_ne(got->patches, p); /* the store owns a copy */
	ck_assert_uint_eq(got->patches[1].value, 0xabcdef);
	ck_assert_uint_eq(got->patches[0].source, KS_PATCH_ARG_PLUS);
	ck_assert_uint_eq(ks_content_class_get(cs, (uint32_t)i2)->seed, 2);
	ck_assert_ptr_null(ks_content_class_get(cs, 7));

	/* Patches apply in order: the second overwrites byte 11 of the first. */
	ks_content_bytes(cs, ks_content_make((uint32_t)f1, 0x1000), page);
	ck_assert_uint_eq(page[9], 0x11);
	ck_assert_uint_eq(page[10], 0x03);
	ck_assert_uint_eq(page[11], 0xef);
	ck_assert_uint_eq(page[12], 0xcd);
	ck_assert_uint_eq(page[13], 0xab);
	ck_assert_uint_eq(page[14], 0x00);
	ck_assert_uint_eq(page[15], 0x11);
	free(page);
	ks_content_store_free(cs);
}
END_TEST

/* Literal interning: equal bytes give one descriptor, whose bytes read back. */
START_TEST(test_content_literal_interning)
{
	struct ks_content_store *cs = ks_content_store_new();
	uint8_t *page = malloc(PG), *out = malloc(PG);
	ks_content c[300];
	int64_t lit_cls;

	ck_assert_ptr_nonnull(page);
	ck_assert_ptr_nonnull(out);
	rng_state = 5;
	for (int i = 0; i < 300; i++) { /* past the first table growth */
		for (unsigned k = 0; k < PG; k += 8)
			page[k] = (uint8_t)rnd();
		page[0] = (uint8_t)i;
		page[1] = (uint8_t)(i >> 8);
		c[i] = ks_content_literal(cs, page);
	}
	lit_cls = ks_content_cls(c[0]);
	ck_assert_int_eq(ks_content_class_get(cs, (uint32_t)lit_cls)->kind, KS_CONTENT_LITERAL);
	rng_state = 5;
	for (int i = 0; i < 300; i++) {
		for (unsigned k = 0; k < PG; k += 8)
			page[k] = (uint8_t)rnd();
		page[0] = (uint8_t)i;
		page[1] = (uint8_t)(i >> 8);
		ck_assert_uint_eq(ks_content_literal(cs, page), c[i]);
		memset(out, 0xee, PG);
		ck_assert(ks_content_literal_bytes(cs, c[i], out));
		ck_assert_mem_eq(out, page, PG);
		ks_content_bytes(cs, c[i], out);
		ck_assert_mem_eq(out, page, PG);
		if (i)
			ck_assert_uint_ne(c[i], c[i - 1]);
	}
	ck_assert_uint_eq(ks_content_class_count(cs), 2);
	memset(out, 0xee, PG);
	ck_assert(!ks_content_literal_bytes(cs, KS_CONTENT_ZERO_PAGE, out));
	ck_assert(!ks_content_literal_bytes(cs, ks_content_make((uint32_t)lit_cls, 300), out));
	ck_assert_uint_eq(out[0], 0xee); /* untouched */
	/* Interning the LITERAL kind as a class gives the same class. */
	{
		struct ks_content_class_spec sp = { .kind = KS_CONTENT_LITERAL };

		ck_assert_int_eq(ks_content_class(cs, &sp), lit_cls);
	}
	free(out);
	free(page);
	ks_content_store_free(cs);
}
END_TEST

/* IMAGE bytes are a pure function of (spec, arg), across stores too. */
START_TEST(test_content_image_determinism)
{
	struct ks_content_store *s1 = ks_content_store_new(), *s2 = ks_content_store_new();
	uint8_t *a = malloc(PG), *b = malloc(PG);
	int64_t pad = seeded_class(s2, KS_CONTENT_RANDOM, 99); /* shifts ids in s2 */
	uint32_t i1 = (uint32_t)seeded_class(s1, KS_CONTENT_IMAGE, 1234);
	uint32_t i2 = (uint32_t)seeded_class(s2, KS_CONTENT_IMAGE, 1234);
	uint32_t r1 = (uint32_t)seeded_class(s1, KS_CONTENT_RANDOM, 1234);
	uint32_t o1 = (uint32_t)seeded_class(s1, KS_CONTENT_IMAGE, 1235);

	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert_int_ge(pad, 1);
	ck_assert_uint_ne(i1, i2); /* different ids, same spec */
	for (uint64_t arg = 0; arg < 50; arg++) {
		ks_content_bytes(s1, ks_content_make(i1, arg), a);
		ks_content_bytes(s2, ks_content_make(i2, arg), b);
		ck_assert_mem_eq(a, b, PG);
		ks_content_bytes(s1, ks_content_make(i1, arg + 1), b);
		ck_assert_int_ne(memcmp(a, b, PG), 0);
		ck_assert_int_ne(ks_content_cmp(s1, ks_content_make(i1, arg),
						ks_content_make(i1, arg + 1), NULL), 0);
		ks_content_bytes(s1, ks_content_make(r1, arg), b);
		ck_assert_int_ne(memcmp(a, b, PG), 0);
		ks_content_bytes(s1, ks_content_make(o1, arg), b);
		ck_assert_int_ne(memcmp(a, b, PG), 0);
		ck_assert(!ks_content_is_zero(s1, ks_content_make(i1, arg)));
	}
	free(a);
	free(b);
	ks_content_store_free(s1);
	ks_content_store_free(s2);
}
END_TEST

/* ---- edges ---- */

/* More descriptors than checksum-cache slots, several algorithms per descriptor:
 * evicted entries are recomputed right and slots never answer for another algorithm
 * (2^15 descriptors x 3 algorithms = 1.5 x the 2^16 slots: pairs share slots, and the
 * test stays well under a second). */
START_TEST(test_content_checksum_cache_eviction)
{
	static const enum ks_checksum_alg algs[] = { KS_CSUM_SUM, KS_CSUM_CKSM, KS_CSUM_XXHASH64 };
	struct ks_content_store *cs = ks_content_store_new();
	uint32_t r = (uint32_t)seeded_class(cs, KS_CONTENT_RANDOM, 3);
	uint8_t *page = malloc(PG);
	uint32_t *first = malloc((1u << 15) * sizeof(*first));

	ck_assert_ptr_nonnull(page);
	ck_assert_ptr_nonnull(first);
	for (uint64_t arg = 0; arg < (1u << 15); arg++) {
		ks_content c = ks_content_make(r, arg);

		ks_content_bytes(cs, c, page);
		for (int a = 0; a < 3; a++)
			ck_assert_uint_eq(ks_content_checksum(cs, c, algs[a]),
					  ks_checksum(algs[a], page));
		first[arg] = ks_content_checksum(cs, c, KS_CSUM_SUM);
	}
	for (uint64_t arg = 0; arg < (1u << 15); arg += 97)
		ck_assert_uint_eq(ks_content_checksum(cs, ks_content_make(r, arg), KS_CSUM_SUM),
				  first[arg]);
	free(first);
	free(page);
	ks_content_store_free(cs);
}
END_TEST

/* The AVX-512 XXH64 of IMAGE and RANDOM pages (what ks_content_checksum() runs where
 * the CPU has it) against the portable one and libxxhash's XXH64 of the bytes, all 64
 * bits, on 20,000 pages of 8 classes (seeds 0, 1 and random ones), args 0-63, the
 * top 64 of the 40-bit range and random ones. Where the CPU lacks AVX-512 both calls take the
 * portable code and the test still holds it to the bytes. */
START_TEST(test_content_xxh64_simd_matches_portable)
{
	struct ks_content_store *cs = ks_content_store_new();
	uint8_t *page = malloc(PG);
	uint32_t cls[8];

	ck_assert_ptr_nonnull(page);
	rng_state = 4242;
	for (unsigned k = 0; k < 8; k++)
		cls[k] = (uint32_t)seeded_class(cs, k % 2 ? KS_CONTENT_IMAGE : KS_CONTENT_RANDOM,
						k < 2 ? k : rnd());
	for (unsigned i = 0; i < 20000; i++) {
		uint64_t arg = i < 64 ? i : (i < 128 ? KS_CONTENT_ARG_MASK - (i - 64) : rnd());
		ks_content c = ks_content_make(cls[i % 8], arg);
		uint64_t portable = ks_content_xxh64_impl(cs, c, false);

		ck_assert_uint_eq(ks_content_xxh64_impl(cs, c, true), portable);
		if (i % 16 == 0) { /* the bytes: slower, a sixteenth of the pages */
			ks_content_bytes(cs, c, page);
			ck_assert_uint_eq(XXH64(page, PG, 0), portable);
		}
	}
	free(page);
	ks_content_store_free(cs);
}
END_TEST

/* Limits that are still valid: 64 patches, patches touching byte 0 and byte 4095. */
START_TEST(test_content_patch_limits)
{
	struct ks_content_store *cs = ks_content_store_new();
	struct ks_patch p[KS_CONTENT_MAX_PATCHES];
	uint8_t *page = malloc(PG);
	int64_t id;

	ck_assert_ptr_nonnull(page);
	for (unsigned i = 0; i < KS_CONTENT_MAX_PATCHES; i++)
		p[i] = (struct ks_patch){ .offset = (uint16_t)(i * 64 + 60), .width = 8,
					  .source = KS_PATCH_ARG_PLUS, .value = i };
	p[0] = (struct ks_patch){ .offset = 0, .width = 8, .value = ~0ull };
	p[63] = (struct ks_patch){ .offset = 4088, .width = 8, .source = KS_PATCH_ARG };
	id = fill_class(cs, 0x5a, KS_CONTENT_MAX_PATCHES, p);
	ks_content_bytes(cs, ks_content_make((uint32_t)id, KS_CONTENT_ARG_MASK), page);
	ck_assert_uint_eq(page[0], 0xff);
	ck_assert_uint_eq(page[8], 0x5a);
	ck_assert_uint_eq(page[4095], 0x00); /* arg has 40 bits: top bytes are zero */
	ck_assert_uint_eq(page[4092], 0xff);
	ck_assert_uint_eq(page[64 + 60], 0x00); /* arg + 1 = 2^40: carry into byte 5 */
	ck_assert_uint_eq(page[64 + 65], 0x01);
	ck_assert(!ks_content_is_zero(cs, ks_content_make((uint32_t)id, 0)));
	ck_assert_int_eq(ks_content_cmp(cs, ks_content_make((uint32_t)id, 3),
					ks_content_make((uint32_t)id, 3 + (1ull << 40)), NULL), 0);
	free(page);
	ks_content_store_free(cs);
}
END_TEST

/* ---- errors ---- */

START_TEST(test_content_bad_specs)
{
	struct ks_content_store *cs = ks_content_store_new();
	struct ks_patch p[KS_CONTENT_MAX_PATCHES + 1];
	struct ks_content_class_spec sp = { .kind = KS_CONTENT_FILL, .npatches = 1, .patches = p };

	memset(p, 0, sizeof(p));
	for (unsigned i = 0; i <= KS_CONTENT_MAX_PATCHES; i++)
		p[i].width = 1;
	p[0] = (struct ks_patch){ .offset = 0, .width = 0 };
	ck_assert_int_eq(ks_content_class(cs, &sp), KS_EINVAL);
	p[0] = (struct ks_patch){ .offset = 0, .width = 9 };
	ck_assert_int_eq(ks_content_class(cs, &sp), KS_EINVAL);
	p[0] = (struct ks_patch){ .offset = 4095, .width = 2 };
	ck_assert_int_eq(ks_content_class(cs, &sp), KS_EINVAL);
	p[0] = (struct ks_patch){ .offset = 4089, .width = 8 };
	ck_assert_int_eq(ks_content_class(cs, &sp), KS_EINVAL);
	p[0] = (struct ks_patch){ .offset = 5000, .width = 1 };
	ck_assert_int_eq(ks_content_class(cs, &sp), KS_EINVAL);
	p[0] = (struct ks_patch){ .offset = 0, .width = 1, .source = 3 };
	ck_assert_int_eq(ks_content_class(cs, &sp), KS_EINVAL);
	p[0] = (struct ks_patch){ .offset = 0, .width = 1 };
	sp.npatches = KS_CONTENT_MAX_PATCHES + 1;
	ck_assert_int_eq(ks_content_class(cs, &sp), KS_EINVAL);
	sp.npatches = 1;
	sp.patches = NULL;
	ck_assert_int_eq(ks_content_class(cs, &sp), KS_EINVAL);
	sp.kind = (enum ks_content_kind)7;
	ck_assert_int_eq(ks_content_class(cs, &sp), KS_EINVAL);
	ck_assert_int_lt(ks_content_class(cs, NULL), 0);
	ck_assert_uint_eq(ks_content_class_count(cs), 1);
	ks_content_store_free(cs);
	ks_content_store_free(NULL);
}
END_TEST

Suite *ks_test_suite(void);

Suite *ks_test_suite(void)
{
	Suite *s = suite_create("content");
	TCase *core = tcase_create("core");
	TCase *edges = tcase_create("edges");
	TCase *errors = tcase_create("errors");

	tcase_set_timeout(core, 60);
	tcase_add_loop_test(core, test_content_cmp_matches_memcmp, 0, 4);
	tcase_add_test(core, test_content_checksum_matches_bytes);
	tcase_add_test(core, test_content_xxh64_simd_matches_portable);
	tcase_add_test(core, test_content_benchmark_pages);
	tcase_add_test(core, test_content_class_interning);
	tcase_add_test(core, test_content_literal_interning);
	tcase_add_test(core, test_content_literal_long_prefix);
	tcase_add_test(core, test_content_literal_zero_led);
	tcase_add_test(core, test_content_literal_bits);
	tcase_add_test(core, test_content_literal_chunks);
	tcase_add_loop_test(core, test_content_literal_later, 0, 3);
	tcase_add_test(core, test_content_image_determinism);
	tcase_set_timeout(edges, 60);
	tcase_add_test(edges, test_content_checksum_cache_eviction);
	tcase_add_test(edges, test_content_patch_limits);
	tcase_add_test(errors, test_content_bad_specs);
	suite_add_tcase(s, core);
	suite_add_tcase(s, edges);
	suite_add_tcase(s, errors);
	return s;
}
