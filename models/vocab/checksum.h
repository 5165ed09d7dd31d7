/* checksum.h - page checksums as KSM computes them (cf. mm/ksm.c calc_checksum()). */
#ifndef KS_CHECKSUM_H
#define KS_CHECKSUM_H

#include <stdbool.h>
#include <stdint.h>

enum ks_checksum_alg {
	KS_CSUM_XXHASH64 = 0, /* (u32) xxh64(page, 4096, seed 0): Linux >= 5.0 on 64-bit */
	KS_CSUM_XXHASH32,     /* xxh32(page, 4096, seed 0): 32-bit kernels */
	KS_CSUM_JHASH2,       /* jhash2(page as 1024 u32, seed 17): Linux < 5.0 */
	KS_CSUM_CRC32C,       /* crc32c (Castagnoli), as proposed by Sioh Lee (2017) */
	KS_CSUM_SUM,          /* plain 32-bit sum of the 1024 little-endian u32 words */
	KS_CSUM_CKSM,         /* s390 CKSM: 32-bit ones'-complement sum (csum_partial) */
	KS_CSUM_COUNT
};

/* Checksum of one 4096-byte page. Pure; never fails. */
uint32_t ks_checksum(enum ks_checksum_alg alg, const uint8_t *page);
/* Name as used in scenarios ("xxhash64", "jhash2", ...); never NULL. */
const char *ks_checksum_name(enum ks_checksum_alg alg);
/* Parses a name; returns false if unknown. */
bool ks_checksum_parse(const char *name, enum ks_checksum_alg *alg);

#endif
