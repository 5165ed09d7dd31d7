/* checksum.c - the page checksums KSM uses to spot volatile pages.
 *
 * Why: ksmd only inserts a page into the unstable tree if its checksum did not change
 * since the previous scan (mm/ksm.c cmp_and_merge_page(), calc_checksum()). Which
 * function the kernel uses changed over time, and the simulator must reproduce the
 * exact values so that checksum collisions behave as on a real machine:
 *   - Linux < 5.0:  jhash2((u32 *)addr, PAGE_SIZE / 4, 17)      (include/linux/jhash.h)
 *   - Linux >= 5.0: xxhash(addr, PAGE_SIZE, 0), i.e. xxh64 on 64-bit kernels, truncated
 *                   to the u32 that calc_checksum() returns; xxh32 on 32-bit kernels
 *   - crc32c:       the 2017 proposal by Sioh Lee (Castagnoli CRC, init and final ~0)
 *   - sum / cksm:   cheap reference points; cksm is s390's CKSM instruction as used by
 *                   csum_partial(): a 32-bit ones'-complement sum of big-endian words.
 * Every function reads the 4096 bytes in the byte order the kernel would on the
 * machine it models (little-endian x86 words, big-endian s390 words), independent of
 * the host's byte order.
 *
 * Left out: the kernel's per-architecture crc32c accelerations (they compute the same
 * value). State: none, apart from the crc32c tables built once on first use. */
#include <assert.h>
#include <stddef.h>
#include <string.h>

#include <xxhash.h>

#include "checksum.h"

#define PAGE_BYTES 4096u
#define PAGE_WORDS (PAGE_BYTES / 4u)

static const char *const alg_names[KS_CSUM_COUNT] = {
	[KS_CSUM_XXHASH64] = "xxhash64",
	[KS_CSUM_XXHASH32] = "xxhash32",
	[KS_CSUM_JHASH2] = "jhash2",
	[KS_CSUM_CRC32C] = "crc32c",
	[KS_CSUM_SUM] = "sum",
	[KS_CSUM_CKSM] = "cksm",
};

static inline uint32_t load32le(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint32_t load32be(const uint8_t *p)
{
	return (uint32_t)p[3] | (uint32_t)p[2] << 8 | (uint32_t)p[1] << 16 | (uint32_t)p[0] << 24;
}

static inline uint32_t rol32(uint32_t w, unsigned s)
{
	return (w << s) | (w >> ((32u - s) & 31u));
}

/* ---- jhash2: Bob Jenkins' lookup3 hashword() as the kernel spells it ---- */

#define JHASH_INITVAL 0xdeadbeefu
#define JHASH2_SEED 17u /* calc_checksum(): jhash2(addr, PAGE_SIZE / 4, 17) */

/* lookup3 mix(): reversible mixing of three words. */
static inline void jhash_mix(uint32_t *a, uint32_t *b, uint32_t *c)
{
	*a -= *c; *a ^= rol32(*c, 4);  *c += *b;
	*b -= *a; *b ^= rol32(*a, 6);  *a += *c;
	*c -= *b; *c ^= rol32(*b, 8);  *b += *a;
	*a -= *c; *a ^= rol32(*c, 16); *c += *b;
	*b -= *a; *b ^= rol32(*a, 19); *a += *c;
	*c -= *b; *c ^= rol32(*b, 4);  *b += *a;
}

/* lookup3 final(): final avalanche of three words into c. */
static inline void jhash_final(uint32_t *a, uint32_t *b, uint32_t *c)
{
	*c ^= *b; *c -= rol32(*b, 14);
	*a ^= *c; *a -= rol32(*c, 11);
	*b ^= *a; *b -= rol32(*a, 25);
	*c ^= *b; *c -= rol32(*b, 16);
	*a ^= *c; *a -= rol32(*c, 4);
	*b ^= *a; *b -= rol32(*a, 14);
	*c ^= *b; *c -= rol32(*b, 24);
}

static uint32_t csum_jhash2(const uint8_t *page)
{
	uint32_t a, b, c;
	unsigned left = PAGE_WORDS;
	const uint8_t *k = page;

	a = b = c = JHASH_INITVAL + (PAGE_WORDS << 2) + JHASH2_SEED;
	while (left > 3) {
		a += load32le(k);
		b += load32le(k + 4);
		c += load32le(k + 8);
		jhash_mix(&a, &b, &c);
		left -= 3;
		k += 12;
	}
	/* 1024 = 3 * 341 + 1: the tail always holds one word, but keep the general form. */
	switch (left) {
	case 3:
		c += load32le(k + 8);
		/* fall through */
	case 2:
		b += load32le(k + 4);
		/* fall through */
	case 1:
		a += load32le(k);
		jhash_final(&a, &b, &c);
		break;
	default:
		break;
	}
	return c;
}

/* ---- crc32c: reflected Castagnoli polynomial, slicing-by-8 ---- */

#define CRC32C_POLY 0x82f63b78u /* 0x1EDC6F41 bit-reversed */

static uint32_t crc32c_table[8][256]; /* [k][b]: CRC of byte b followed by k zero bytes */
static int crc32c_state;              /* 0 not built, 1 being built, 2 ready (atomic) */

static void crc32c_build(void)
{
	for (unsigned i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int j = 0; j < 8; j++)
			c = (c >> 1) ^ ((c & 1u) ? CRC32C_POLY : 0u);
		crc32c_table[0][i] = c;
	}
	for (unsigned i = 0; i < 256; i++)
		for (int k = 1; k < 8; k++) {
			uint32_t prev = crc32c_table[k - 1][i];

			crc32c_table[k][i] = (prev >> 8) ^ crc32c_table[0][prev & 0xffu];
		}
}

/* Builds the tables exactly once, even if several threads race to the first call. */
static void crc32c_init(void)
{
	int expect = 0;

	if (__atomic_load_n(&crc32c_state, __ATOMIC_ACQUIRE) == 2)
		return;
	if (__atomic_compare_exchange_n(&crc32c_state, &expect, 1, false, __ATOMIC_ACQ_REL,
					__ATOMIC_ACQUIRE)) {
		crc32c_build();
		__atomic_store_n(&crc32c_state, 2, __ATOMIC_RELEASE);
		return;
	}
	while (__atomic_load_n(&crc32c_state, __ATOMIC_ACQUIRE) != 2)
		;
}

static uint32_t csum_crc32c(const uint8_t *page)
{
	uint32_t crc = 0xffffffffu;
	const uint8_t *p = page;

	crc32c_init();
	for (unsigned n = PAGE_BYTES / 8; n > 0; n--, p += 8) {
		uint32_t lo = load32le(p) ^ crc;
		uint32_t hi = load32le(p + 4);

		crc = crc32c_table[7][lo & 0xffu] ^ crc32c_table[6][(lo >> 8) & 0xffu] ^
		      crc32c_table[5][(lo >> 16) & 0xffu] ^ crc32c_table[4][lo >> 24] ^
		      crc32c_table[3][hi & 0xffu] ^ crc32c_table[2][(hi >> 8) & 0xffu] ^
		      crc32c_table[1][(hi >> 16) & 0xffu] ^ crc32c_table[0][hi >> 24];
	}
	return crc ^ 0xffffffffu;
}

/* ---- sum and cksm ---- */

static uint32_t csum_sum(const uint8_t *page)
{
	uint32_t s = 0;

	for (unsigned i = 0; i < PAGE_BYTES; i += 4)
		s += load32le(page + i);
	return s;
}

/* CKSM adds each big-endian word with end-around carry. Ones'-complement addition is
 * associative, so summing into 64 bits and folding the carries back gives the same
 * value, including 0 only for an all-zero page. */
static uint32_t csum_cksm(const uint8_t *page)
{
	uint64_t s = 0;

	for (unsigned i = 0; i < PAGE_BYTES; i += 4)
		s += load32be(page + i);
	while (s >> 32)
		s = (s & 0xffffffffu) + (s >> 32);
	return (uint32_t)s;
}

/* ---- public ---- */

uint32_t ks_checksum(enum ks_checksum_alg alg, const uint8_t *page)
{
	switch (alg) {
	case KS_CSUM_XXHASH64:
		return (uint32_t)XXH64(page, PAGE_BYTES, 0);
	case KS_CSUM_XXHASH32:
		return XXH32(page, PAGE_BYTES, 0);
	case KS_CSUM_JHASH2:
		return csum_jhash2(page);
	case KS_CSUM_CRC32C:
		return csum_crc32c(page);
	case KS_CSUM_SUM:
		return csum_sum(page);
	case KS_CSUM_CKSM:
		return csum_cksm(page);
	default:
		break;
	}
	/* Programmer error: an out-of-range enum. Fall back to the kernel's default. */
	assert(!"ks_checksum: unknown algorithm");
	return (uint32_t)XXH64(page, PAGE_BYTES, 0);
}

const char *ks_checksum_name(enum ks_checksum_alg alg)
{
	if ((unsigned)alg < KS_CSUM_COUNT)
		return alg_names[alg];
	return "unknown";
}

bool ks_checksum_parse(const char *name, enum ks_checksum_alg *alg)
{
	if (!name)
		return false;
	for (unsigned i = 0; i < KS_CSUM_COUNT; i++)
		if (strcmp(name, alg_names[i]) == 0) {
			if (alg)
				*alg = (enum ks_checksum_alg)i;
			return true;
		}
	return false;
}
