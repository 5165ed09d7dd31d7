/* compress.h - the compressors of zram (crypto_comp / zcomp backends), applied to a
 * page's real bytes: lzo-rle and lzo (the kernel's lib/lzo/lzo1x_compress.c; lzo-rle is
 * implemented here, lzo is liblzo2's lzo1x_1_15_compress), lz4 (liblz4,
 * LZ4_compress_default = the kernel's acceleration 1) and zstd (libzstd at zram's
 * default level 3). docs/zram.md says which of them were checked against the real zram
 * of this machine and how closely. Pure: no I/O. */
#ifndef KS_COMPRESS_H
#define KS_COMPRESS_H

#include <stddef.h>
#include <stdint.h>

enum ks_comp_alg {
	KS_COMP_LZO_RLE = 0,  /* zram's default since 5.1: lzo1x-1 + zero-run instruction */
	KS_COMP_LZO,          /* lzo1x-1, bitstream version 0 */
	KS_COMP_LZ4,          /* lz4, acceleration 1 */
	KS_COMP_ZSTD,         /* zstd, level 3 (not validated here: no zstd backend) */
	KS_COMP_NALGS
};

struct ks_comp;                                   /* a compressor with its work memory */

/* The algorithm of a zram comp_algorithm name ("lzo-rle", "lzo", "lz4", "zstd"), or -1. */
int ks_comp_from_name(const char *name);
const char *ks_comp_name(enum ks_comp_alg alg);
/* Names accepted, for messages: "lzo-rle, lzo, lz4, zstd". */
const char *ks_comp_names(void);

/* Never returns NULL (out of memory aborts). _free(NULL) is a no-op. */
struct ks_comp *ks_comp_new(enum ks_comp_alg alg);
void ks_comp_free(struct ks_comp *c);
/* Worst-case output size for len input bytes (any algorithm). */
size_t ks_comp_bound(size_t len);
/* Compresses len bytes into out (room: ks_comp_bound(len)); returns the compressed
 * length in bytes, as zcomp_compress() reports it to zram. Never fails. */
size_t ks_comp_compress(struct ks_comp *c, const uint8_t *in, size_t len, uint8_t *out);
/* The compressed length of one 4096-byte page (uses the compressor's own buffer). */
size_t ks_comp_page_len(struct ks_comp *c, const uint8_t *page);

/* The kernel's lzogeneric1x_1_compress(): bitstream 0 (lzo) or 1 (lzo-rle), written
 * after lib/lzo/lzo1x_compress.c for a 64-bit little-endian CPU with efficient
 * unaligned access (x86_64, arm64). wrk: KS_LZO_WRKMEM bytes. Returns the length. */
#define KS_LZO_WRKMEM (8192u * 2u)
size_t ks_lzo1x_1_compress(const uint8_t *in, size_t len, uint8_t *out, void *wrk,
			   unsigned bitstream_version);

#endif
