/* content.h - exact, compact page contents (cf. memcmp_pages() in mm/util.c).
 *
 * A page's content is a 62-bit descriptor: a content class (interned in a store) and
 * a 40-bit argument (page index, unique serial, literal index). The bytes are never
 * stored per page; they are derived on demand, so 64 Mi simulated pages need only
 * 8 bytes each. Comparison is exactly memcmp() of the derived 4096 bytes. */
#ifndef KS_CONTENT_H
#define KS_CONTENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "checksum.h"

#define KS_PAGE_SIZE 4096u
#define KS_CONTENT_ARG_BITS 40
#define KS_CONTENT_ARG_MASK ((1ULL << KS_CONTENT_ARG_BITS) - 1)
#define KS_CONTENT_MAX_CLASSES (1u << 22)

typedef uint64_t ks_content; /* (class << 40) | arg; class 0 is the all-zero page */

enum ks_content_kind {
	KS_CONTENT_ZERO = 0, /* 4096 zero bytes */
	KS_CONTENT_FILL,     /* fill byte, then patches applied in order */
	KS_CONTENT_IMAGE,    /* pseudo-random bytes from (seed, arg = page index) */
	KS_CONTENT_RANDOM,   /* pseudo-random bytes from (seed, arg = unique serial) */
	KS_CONTENT_LITERAL   /* literal bytes; arg indexes the store's literal table */
};

enum ks_patch_source {
	KS_PATCH_CONST = 0, /* value */
	KS_PATCH_ARG,       /* the descriptor's arg (e.g. page index) */
	KS_PATCH_ARG_PLUS   /* arg + value */
};

struct ks_patch {
	uint16_t offset; /* byte offset in the page, offset + width <= 4096 */
	uint8_t width;   /* 1..8 bytes, stored little-endian */
	uint8_t source;  /* enum ks_patch_source */
	uint64_t value;  /* constant (or addend for KS_PATCH_ARG_PLUS) */
};

#define KS_CONTENT_MAX_PATCHES 64

struct ks_content_class_spec {
	enum ks_content_kind kind;
	uint8_t fill;                 /* KS_CONTENT_FILL: the filler byte */
	unsigned npatches;            /* KS_CONTENT_FILL: number of patches */
	const struct ks_patch *patches;
	uint64_t seed;                /* IMAGE / RANDOM: byte stream seed */
};

struct ks_content_store;

/* Lifecycle. Never fails (out of memory aborts). _free(NULL) is a no-op. */
struct ks_content_store *ks_content_store_new(void);
void ks_content_store_free(struct ks_content_store *cs);

/* Literal pages live in chunks of KS_CONTENT_LIT_CHUNK bytes, each stored as a 64-byte
 * bitmap of its nonzero 8-byte words and those words (a page of nonzero bytes: 4160
 * bytes, 504 to a chunk). A replayed
 * recorded trace holds hundreds of MB of them; where each 4 KiB page of fresh memory
 * costs a page fault (several microseconds in a VM), a chunk that is one transparent
 * huge page costs one. Models make no system calls, so the caller that replays such
 * traces hands in an allocator that asks for huge pages (sim/engine); by default chunks
 * come from malloc, and the first always does (a run with few literal pages, such as a
 * fuzzer's, never pays for a huge page). alloc never returns NULL (out of memory
 * aborts); release gets the same size. Set before the first literal is interned (else
 * it is ignored). */
#define KS_CONTENT_LIT_CHUNK (2u << 20)
struct ks_content_chunks {
	void *(*alloc)(size_t bytes);
	void (*release)(void *chunk, size_t bytes);
};
void ks_content_store_set_chunks(struct ks_content_store *cs, const struct ks_content_chunks *a);

/* Interns a class; equal specs give the same id. Returns the class id, or a negative
 * KS_E* code (KS_EINVAL bad spec, KS_ERANGE too many classes). */
int64_t ks_content_class(struct ks_content_store *cs, const struct ks_content_class_spec *spec);
/* Reads back a class; NULL if unknown. */
const struct ks_content_class_spec *ks_content_class_get(const struct ks_content_store *cs,
							 uint32_t cls);
/* Number of interned classes (ids are 0 .. count-1). */
uint32_t ks_content_class_count(const struct ks_content_store *cs);

/* Descriptors. */
static inline ks_content ks_content_make(uint32_t cls, uint64_t arg)
{
	return ((ks_content)cls << KS_CONTENT_ARG_BITS) | (arg & KS_CONTENT_ARG_MASK);
}
static inline uint32_t ks_content_cls(ks_content c) { return (uint32_t)(c >> KS_CONTENT_ARG_BITS); }
static inline uint64_t ks_content_arg(ks_content c) { return c & KS_CONTENT_ARG_MASK; }
#define KS_CONTENT_ZERO_PAGE ((ks_content)0)

/* Interns 4096 literal bytes; equal bytes give the same descriptor. Never fails. */
ks_content ks_content_literal(struct ks_content_store *cs, const uint8_t *page);
/* Literal pages whose bytes come later: a recorded trace's dictionary holds hundreds of
 * thousands of distinct pages, and a replay needs the bytes of about half of them (the
 * rest are overwritten before ksmd scans them). fetch() writes the 4096 bytes of the
 * source's page `key` into out; it is called at most once per literal, the first time
 * anything reads the literal (a compare, its checksum, its bytes), and must give the
 * same bytes as it would have at ks_content_literal_later(); it cannot fail (a source
 * that finds its data corrupt gives any bytes and reports the error itself: the run's
 * results are then void). The pager must outlive the store's use of these literals. */
struct ks_content_pager {
	void (*fetch)(const struct ks_content_pager *pg, uint64_t key, uint8_t *out);
};
/* A LITERAL descriptor for page `key` of pg, its bytes fetched when first read. Not
 * interned: two such literals (or one and a ks_content_literal()) may hold the same
 * bytes under two descriptors; every compare, checksum and test of a page is by its
 * bytes, so nothing but the descriptor's value differs. Consecutive calls give
 * consecutive literal indices. Never fails. */
ks_content ks_content_literal_later(struct ks_content_store *cs,
				    const struct ks_content_pager *pg, uint64_t key);
/* Copies the 4096 bytes of a LITERAL-class descriptor into out: true; false (out
 * untouched) for any other descriptor. */
bool ks_content_literal_bytes(const struct ks_content_store *cs, ks_content c, uint8_t *out);

/* Materialises the 4096 bytes of c into out. */
void ks_content_bytes(const struct ks_content_store *cs, ks_content c, uint8_t *out);
/* memcmp() order of the two pages' bytes: <0, 0, >0. *first_diff (if not NULL) gets the
 * offset of the first differing byte, or 4096 when equal. */
int ks_content_cmp(const struct ks_content_store *cs, ks_content a, ks_content b,
		   unsigned *first_diff);
/* The page's first 8 bytes as a little-endian word (what ks_content_cmp() looks at
 * first). A caller that compares one page against many may keep the words: pages whose
 * words differ compare as ks_content_word0_cmp() says, without the descriptors. */
uint64_t ks_content_word0(const struct ks_content_store *cs, ks_content c);
/* memcmp() order of two pages whose first words x != y (ks_content_word0()) differ,
 * with *first_diff (if not NULL) as ks_content_cmp() gives them. */
static inline int ks_content_word0_cmp(uint64_t x, uint64_t y, unsigned *first_diff)
{
	unsigned byte = (unsigned)__builtin_ctzll(x ^ y) >> 3;
	unsigned bx = (unsigned)(x >> (8 * byte)) & 0xffu;
	unsigned by = (unsigned)(y >> (8 * byte)) & 0xffu;

	if (first_diff)
		*first_diff = byte;
	return bx < by ? -1 : 1;
}
/* True if all 4096 bytes are zero. */
bool ks_content_is_zero(const struct ks_content_store *cs, ks_content c);
/* Checksum of the bytes (cached per descriptor in a small direct-mapped cache). */
uint32_t ks_content_checksum(struct ks_content_store *cs, ks_content c, enum ks_checksum_alg alg);
/* For tests: XXH64(page, 4096, 0) of c (the 64 bits of which KS_CSUM_XXHASH64 keeps
 * the low 32) by the portable code (simd false) or, for IMAGE and RANDOM pages, by the
 * AVX-512 code that ks_content_checksum() runs when ks_content_xxh64_simd() (this CPU
 * has AVX-512 F, DQ and VL; the portable code otherwise). Not cached. */
bool ks_content_xxh64_simd(void);
uint64_t ks_content_xxh64_impl(const struct ks_content_store *cs, ks_content c, bool simd);

#endif
