/* check_checksum.c - the page checksums against known answers and independent code.
 *
 * What each known-answer test is checked against:
 *   xxhash32/64  a from-the-spec re-implementation below (ref_xxh32/ref_xxh64), itself
 *                checked on the published vectors of the xxHash spec/README:
 *                XXH32("", 0) = 02CC5D05, XXH32("abc", 0) = 32D153FF,
 *                XXH64("", 0) = EF46DB3751D8E999, XXH64("abc", 0) = 44BC2CF5AD770999;
 *   jhash2       ref_hashlittle(), the byte-at-a-time lookup3 hashlittle(), checked on
 *                the vectors printed by lookup3.c's driver5():
 *                hashlittle("Four score and seven years ago", 30, 0) = 17770551, seed 1
 *                = cd628161; for a length that is a multiple of 4 on a little-endian
 *                machine hashlittle(k, 4n, s) == hashword(k, n, s) == kernel jhash2;
 *   crc32c       a bit-at-a-time CRC (ref_crc32c) checked on the CRC catalogue check
 *                value "123456789" -> E3069283 and the RFC 3720 B.4 iSCSI vectors;
 *   sum / cksm   straightforward per-word loops (cksm with an explicit end-around carry
 *                after every word, as the s390 CKSM instruction does), plus values
 *                worked out by hand. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <xxhash.h>

#include "models/vocab/checksum.h"

#define PG 4096u

/* ---- test helpers ---- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void random_page(uint8_t *p)
{
	for (unsigned i = 0; i < PG; i++)
		p[i] = (uint8_t)rnd();
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static uint32_t rotl32(uint32_t x, int r)
{
	return (x << r) | (x >> (32 - r));
}

static uint64_t rotl64(uint64_t x, int r)
{
	return (x << r) | (x >> (64 - r));
}

/* ---- XXH32 from the xxHash specification ---- */

static const uint32_t P32_1 = 2654435761u, P32_2 = 2246822519u, P32_3 = 3266489917u,
		      P32_4 = 668265263u, P32_5 = 374761393u;

static uint32_t ref_xxh32(const uint8_t *in, size_t len, uint32_t seed)
{
	size_t i = 0;
	uint32_t acc;

	if (len >= 16) {
		uint32_t v[4] = { seed + P32_1 + P32_2, seed + P32_2, seed, seed - P32_1 };

		for (; i + 16 <= len; i += 16)
			for (int l = 0; l < 4; l++)
				v[l] = rotl32(v[l] + le32(in + i + 4 * l) * P32_2, 13) * P32_1;
		acc = rotl32(v[0], 1) + rotl32(v[1], 7) + rotl32(v[2], 12) + rotl32(v[3], 18);
	} else {
		acc = seed + P32_5;
	}
	acc += (uint32_t)len;
	for (; i + 4 <= len; i += 4)
		acc = rotl32(acc + le32(in + i) * P32_3, 17) * P32_4;
	for (; i < len; i++)
		acc = rotl32(acc + in[i] * P32_5, 11) * P32_1;
	acc ^= acc >> 15;
	acc *= P32_2;
	acc ^= acc >> 13;
	acc *= P32_3;
	acc ^= acc >> 16;
	return acc;
}

/* ---- XXH64 from the xxHash specification ---- */

static const uint64_t P64_1 = 0x9E3779B185EBCA87ull, P64_2 = 0xC2B2AE3D27D4EB4Full,
		      P64_3 = 0x165667B19E3779F9ull, P64_4 = 0x85EBCA77C2B2AE63ull,
		      P64_5 = 0x27D4EB2F165667C5ull;

static uint64_t xxh64_round(uint64_t acc, uint64_t lane)
{
	return rotl64(acc + lane * P64_2, 31) * P64_1;
}

static uint64_t ref_xxh64(const uint8_t *in, size_t len, uint64_t seed)
{
	size_t i = 0;
	uint64_t acc;

	if (len >= 32) {
		uint64_t v[4] = { seed + P64_1 + P64_2, seed + P64_2, seed, seed - P64_1 };

		for (; i + 32 <= len; i += 32)
			for (int l = 0; l < 4; l++)
				v[l] = xxh64_round(v[l], le64(in + i + 8 * l));
		acc = rotl64(v[0], 1) + rotl64(v[1], 7) + rotl64(v[2], 12) + rotl64(v[3], 18);
		for (int l = 0; l < 4; l++)
			acc = (acc ^ xxh64_round(0, v[l])) * P64_1 + P64_4;
	} else {
		acc = seed + P64_5;
	}
	acc += len;
	for (; i + 8 <= len; i += 8)
		acc = rotl64(acc ^ xxh64_round(0, le64(in + i)), 27) * P64_1 + P64_4;
	for (; i + 4 <= len; i += 4)
		acc = rotl64(acc ^ ((uint64_t)le32(in + i) * P64_1), 23) * P64_2 + P64_3;
	for (; i < len; i++)
		acc = rotl64(acc ^ (in[i] * P64_5), 11) * P64_1;
	acc ^= acc >> 33;
	acc *= P64_2;
	acc ^= acc >> 29;
	acc *= P64_3;
	acc ^= acc >> 32;
	return acc;
}

/* ---- lookup3 hashlittle(), byte at a time ---- */

#define L3_MIX(a, b, c)                                                                            \
	do {                                                                                       \
		a -= c; a ^= rotl32(c, 4); c += b;                                                 \
		b -= a; b ^= rotl32(a, 6); a += c;                                                 \
		c -= b; c ^= rotl32(b, 8); b += a;                                                 \
		a -= c; a ^= rotl32(c, 16); c += b;                                                \
		b -= a; b ^= rotl32(a, 19); a += c;                                                \
		c -= b; c ^= rotl32(b, 4); b += a;                                                 \
	} while (0)

#define L3_FINAL(a, b, c)                                                                          \
	do {                                                                                       \
		c ^= b; c -= rotl32(b, 14);                                                        \
		a ^= c; a -= rotl32(c, 11);                                                        \
		b ^= a; b -= rotl32(a, 25);                                                        \
		c ^= b; c -= rotl32(b, 16);                                                        \
		a ^= c; a -= rotl32(c, 4);                                                         \
		b ^= a; b -= rotl32(a, 14);                                                        \
		c ^= b; c -= rotl32(b, 24);                                                        \
	} while (0)

static uint32_t ref_hashlittle(const uint8_t *k, size_t length, uint32_t initval)
{
	uint32_t a, b, c;
	uint32_t w[3];

	a = b = c = 0xdeadbeefu + (uint32_t)length + initval;
	while (length > 12) {
		a += le32(k);
		b += le32(k + 4);
		c += le32(k + 8);
		L3_MIX(a, b, c);
		length -= 12;
		k += 12;
	}
	if (length == 0)
		return c;
	/* The tail, zero-padded, added as little-endian words. */
	memset(w, 0, sizeof(w));
	for (size_t i = 0; i < length; i++)
		w[i / 4] |= (uint32_t)k[i] << (8 * (i % 4));
	a += w[0];
	b += w[1];
	c += w[2];
	L3_FINAL(a, b, c);
	return c;
}

/* ---- CRC-32C bit at a time ---- */

static uint32_t ref_crc32c(const uint8_t *p, size_t len)
{
	uint32_t crc = 0xffffffffu;

	for (size_t i = 0; i < len; i++) {
		crc ^= p[i];
		for (int b = 0; b < 8; b++)
			crc = (crc & 1) ? (crc >> 1) ^ 0x82f63b78u : crc >> 1;
	}
	return ~crc;
}

/* ---- sum and cksm ---- */

static uint32_t ref_sum(const uint8_t *p)
{
	uint32_t s = 0;

	for (unsigned i = 0; i < PG; i += 4)
		s += le32(p + i);
	return s;
}

static uint32_t ref_cksm(const uint8_t *p)
{
	uint32_t s = 0;

	for (unsigned i = 0; i < PG; i += 4) {
		uint32_t w = (uint32_t)p[i] << 24 | (uint32_t)p[i + 1] << 16 |
			     (uint32_t)p[i + 2] << 8 | p[i + 3];
		uint32_t t = s + w;

		s = t + (t < w); /* end-around carry */
	}
	return s;
}

static uint32_t ref_checksum(enum ks_checksum_alg alg, const uint8_t *p)
{
	switch (alg) {
	case KS_CSUM_XXHASH64:
		return (uint32_t)ref_xxh64(p, PG, 0);
	case KS_CSUM_XXHASH32:
		return ref_xxh32(p, PG, 0);
	case KS_CSUM_JHASH2:
		return ref_hashlittle(p, PG, 17);
	case KS_CSUM_CRC32C:
		return ref_crc32c(p, PG);
	case KS_CSUM_SUM:
		return ref_sum(p);
	default:
		return ref_cksm(p);
	}
}

/* ---- core ---- */

START_TEST(test_checksum_reference_vectors)
{
	static const uint8_t abc[] = "abc";
	static const uint8_t fs[] = "Four score and seven years ago";
	static const uint8_t digits[] = "123456789";
	uint8_t b[32];

	/* The references themselves against published vectors. */
	ck_assert_uint_eq(ref_xxh32(abc, 0, 0), 0x02CC5D05u);
	ck_assert_uint_eq(ref_xxh32(abc, 3, 0), 0x32D153FFu);
	ck_assert_uint_eq(ref_xxh64(abc, 0, 0), 0xEF46DB3751D8E999ull);
	ck_assert_uint_eq(ref_xxh64(abc, 3, 0), 0x44BC2CF5AD770999ull);
	ck_assert_uint_eq(ref_hashlittle(fs, 30, 0), 0x17770551u);
	ck_assert_uint_eq(ref_hashlittle(fs, 30, 1), 0xcd628161u);
	ck_assert_uint_eq(ref_crc32c(digits, 9), 0xE3069283u);
	memset(b, 0, sizeof(b));
	ck_assert_uint_eq(ref_crc32c(b, 32), 0x8A9136AAu);
	memset(b, 0xff, sizeof(b));
	ck_assert_uint_eq(ref_crc32c(b, 32), 0x62A8AB43u);
	for (unsigned i = 0; i < 32; i++)
		b[i] = (uint8_t)i;
	ck_assert_uint_eq(ref_crc32c(b, 32), 0x46DD794Eu);
	for (unsigned i = 0; i < 32; i++)
		b[i] = (uint8_t)(31 - i);
	ck_assert_uint_eq(ref_crc32c(b, 32), 0x113FDB5Cu);
	/* The installed libxxhash agrees with the spec on the same vectors. */
	ck_assert_uint_eq(XXH64(abc, 3, 0), 0x44BC2CF5AD770999ull);
	ck_assert_uint_eq(XXH32(abc, 3, 0), 0x32D153FFu);
}
END_TEST

/* Every algorithm equals its independent reference on special and random pages. */
START_TEST(test_checksum_matches_reference)
{
	uint8_t *p = malloc(PG);

	ck_assert_ptr_nonnull(p);
	rng_state = 42;
	for (int n = 0; n < 200; n++) {
		if (n == 0)
			memset(p, 0, PG);
		else if (n == 1)
			memset(p, 0xff, PG);
		else if (n == 2)
			for (unsigned i = 0; i < PG; i++)
				p[i] = (uint8_t)i;
		else
			random_page(p);
		for (int a = 0; a < KS_CSUM_COUNT; a++)
			ck_assert_msg(ks_checksum((enum ks_checksum_alg)a, p) ==
					      ref_checksum((enum ks_checksum_alg)a, p),
				      "%s differs from reference on page %d",
				      ks_checksum_name((enum ks_checksum_alg)a), n);
	}
	free(p);
}
END_TEST

/* The kernel's xxhash() on a 64-bit machine is xxh64 truncated to u32. */
START_TEST(test_checksum_xxhash_kernel_form)
{
	uint8_t *p = malloc(PG);

	ck_assert_ptr_nonnull(p);
	rng_state = 7;
	random_page(p);
	ck_assert_uint_eq(ks_checksum(KS_CSUM_XXHASH64, p), (uint32_t)XXH64(p, PG, 0));
	ck_assert_uint_eq(ks_checksum(KS_CSUM_XXHASH32, p), XXH32(p, PG, 0));
	memset(p, 0, PG);
	ck_assert_uint_eq(ks_checksum(KS_CSUM_XXHASH64, p), (uint32_t)ref_xxh64(p, PG, 0));
	free(p);
}
END_TEST

/* Hand-worked values for sum and cksm, including byte order and end-around carry. */
START_TEST(test_checksum_sum_cksm_values)
{
	uint8_t *p = calloc(1, PG);

	ck_assert_ptr_nonnull(p);
	for (int a = 0; a < KS_CSUM_COUNT; a++)
		if (a == KS_CSUM_SUM || a == KS_CSUM_CKSM)
			ck_assert_uint_eq(ks_checksum((enum ks_checksum_alg)a, p), 0);
	/* Two words with only the top bit set in big-endian order: 0x80000000 * 2 carries
	 * out of 32 bits and wraps to 1 in ones' complement; as little-endian words they
	 * are 0x80 each. */
	p[0] = 0x80;
	p[4] = 0x80;
	ck_assert_uint_eq(ks_checksum(KS_CSUM_CKSM, p), 1);
	ck_assert_uint_eq(ks_checksum(KS_CSUM_SUM, p), 0x100);
	/* 1024 words of 0xFFFFFFFF: ones' complement stays -0, plain sum is -1024. */
	memset(p, 0xff, PG);
	ck_assert_uint_eq(ks_checksum(KS_CSUM_CKSM, p), 0xffffffffu);
	ck_assert_uint_eq(ks_checksum(KS_CSUM_SUM, p), 0xfffffc00u);
	/* Byte order: 01 02 03 04 is 0x04030201 for sum and 0x01020304 for cksm. */
	memset(p, 0, PG);
	p[4092] = 1;
	p[4093] = 2;
	p[4094] = 3;
	p[4095] = 4;
	ck_assert_uint_eq(ks_checksum(KS_CSUM_SUM, p), 0x04030201u);
	ck_assert_uint_eq(ks_checksum(KS_CSUM_CKSM, p), 0x01020304u);
	free(p);
}
END_TEST

/* ---- edges ---- */

/* Single-bit flips change every algorithm: guaranteed for crc32c, sum and cksm (a
 * nonzero change modulo 2^32 or 2^32 - 1), and for the hashes on this sample. */
START_TEST(test_checksum_bit_flips)
{
	uint8_t *p = malloc(PG);
	uint32_t base[KS_CSUM_COUNT];

	ck_assert_ptr_nonnull(p);
	rng_state = 99;
	random_page(p);
	for (int a = 0; a < KS_CSUM_COUNT; a++)
		base[a] = ks_checksum((enum ks_checksum_alg)a, p);
	for (unsigned bit = 0; bit < PG * 8; bit += 37) {
		p[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		for (int a = 0; a < KS_CSUM_COUNT; a++)
			ck_assert_msg(ks_checksum((enum ks_checksum_alg)a, p) != base[a],
				      "%s unchanged by flipping bit %u",
				      ks_checksum_name((enum ks_checksum_alg)a), bit);
		p[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	free(p);
}
END_TEST

static int cmp_u32(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;

	return (a > b) - (a < b);
}

/* Distinct pages that differ only in the last word (the benchmark's worst case) get
 * distinct hash values. */
START_TEST(test_checksum_distinct_pages)
{
	enum { N = 2000 };
	uint8_t *p = calloc(1, PG);
	uint32_t *v = malloc(N * sizeof(*v));

	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_nonnull(v);
	for (int a = 0; a < KS_CSUM_COUNT; a++) {
		if (a == KS_CSUM_SUM || a == KS_CSUM_CKSM)
			continue;
		for (uint64_t i = 0; i < N; i++) {
			for (int k = 0; k < 8; k++)
				p[PG - 8 + k] = (uint8_t)(i >> (8 * k));
			v[i] = ks_checksum((enum ks_checksum_alg)a, p);
		}
		qsort(v, N, sizeof(*v), cmp_u32);
		for (int i = 1; i < N; i++)
			ck_assert_msg(v[i] != v[i - 1], "%s collides",
				      ks_checksum_name((enum ks_checksum_alg)a));
	}
	free(v);
	free(p);
}
END_TEST

START_TEST(test_checksum_names_round_trip)
{
	static const char *const names[] = { "xxhash64", "xxhash32", "jhash2",
					     "crc32c", "sum", "cksm" };
	enum ks_checksum_alg alg;

	for (int a = 0; a < KS_CSUM_COUNT; a++) {
		ck_assert_str_eq(ks_checksum_name((enum ks_checksum_alg)a), names[a]);
		ck_assert(ks_checksum_parse(names[a], &alg));
		ck_assert_int_eq(alg, a);
	}
}
END_TEST

/* ---- errors ---- */

START_TEST(test_checksum_parse_unknown)
{
	enum ks_checksum_alg alg = KS_CSUM_JHASH2;

	ck_assert(!ks_checksum_parse("xxhash", &alg));
	ck_assert(!ks_checksum_parse("", &alg));
	ck_assert(!ks_checksum_parse("XXHASH64", &alg));
	ck_assert(!ks_checksum_parse(NULL, &alg));
	ck_assert_int_eq(alg, KS_CSUM_JHASH2);
	ck_assert_ptr_nonnull(ks_checksum_name(KS_CSUM_COUNT));
}
END_TEST

Suite *ks_test_suite(void);

Suite *ks_test_suite(void)
{
	Suite *s = suite_create("checksum");
	TCase *core = tcase_create("core");
	TCase *edges = tcase_create("edges");
	TCase *errors = tcase_create("errors");

	tcase_add_test(core, test_checksum_reference_vectors);
	tcase_add_test(core, test_checksum_matches_reference);
	tcase_add_test(core, test_checksum_xxhash_kernel_form);
	tcase_add_test(core, test_checksum_sum_cksm_values);
	tcase_add_test(edges, test_checksum_bit_flips);
	tcase_add_test(edges, test_checksum_distinct_pages);
	tcase_add_test(edges, test_checksum_names_round_trip);
	tcase_add_test(errors, test_checksum_parse_unknown);
	suite_add_tcase(s, core);
	suite_add_tcase(s, edges);
	suite_add_tcase(s, errors);
	return s;
}
