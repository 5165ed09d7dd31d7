/* zram.h - a zram swap device (drivers/block/zram/zram_drv.c, Linux 6.18) over the
 * zsmalloc model: slots holding pages, same-filled pages kept as one word, the rest
 * really compressed (compress.h) and stored as zsmalloc objects, huge pages (compressed
 * to huge_class_size or more) stored whole; the mm_stat counters. docs/zram.md.
 * Pure: no I/O. */
#ifndef KS_ZRAM_H
#define KS_ZRAM_H

#include <stdbool.h>
#include <stdint.h>

#include "compress.h"
#include "zsmalloc.h"
#include "models/vocab/content.h"

struct ks_zram;

/* /sys/block/zram0/mm_stat, field by field (bytes or pages, as the kernel prints). */
struct ks_zram_stats {
	uint64_t orig_data_size;    /* pages stored x 4096 (same-filled ones included) */
	uint64_t compr_data_size;   /* compressed bytes stored (huge pages count 4096) */
	uint64_t mem_used_total;    /* zsmalloc pages x 4096 */
	uint64_t mem_limit;         /* 0: no limit (not modelled) */
	uint64_t mem_used_max;      /* highest mem_used_total so far */
	uint64_t same_pages;        /* same-filled pages (no zsmalloc object) */
	uint64_t pages_compacted;   /* 0: compaction is not modelled */
	uint64_t huge_pages;        /* pages stored uncompressed */
	uint64_t huge_pages_since;  /* pages stored uncompressed since the device was set up */
};

/* A zram device with compressor alg over a zsmalloc pool of chain CONFIG_ZSMALLOC_CHAIN_SIZE
 * (1..16, v6.3+ class rule). NULL for a chain out of range. */
struct ks_zram *ks_zram_new(enum ks_comp_alg alg, unsigned chain);
void ks_zram_free(struct ks_zram *z);
enum ks_comp_alg ks_zram_alg(const struct ks_zram *z);
/* zs_huge_class_size() of its pool: compressed lengths from here on are stored whole. */
unsigned ks_zram_huge_class_size(const struct ks_zram *z);

/* zram_write_page(): stores the page's 4096 bytes in a new slot; returns the slot. */
uint64_t ks_zram_store(struct ks_zram *z, const uint8_t *page);
/* The same for a content descriptor (bytes materialised from cs); compressed lengths
 * are cached per descriptor (a descriptor's bytes never change). */
uint64_t ks_zram_store_content(struct ks_zram *z, const struct ks_content_store *cs,
			       ks_content c);
/* zram_free_page(): the slot's page is gone (swap_free). 0 or KS_ENOENT. */
int ks_zram_free_slot(struct ks_zram *z, uint64_t slot);
/* Size of a live slot's object in bytes (0 for same-filled), or -1 (not live). */
int64_t ks_zram_slot_bytes(const struct ks_zram *z, uint64_t slot);
/* Adds the zsmalloc mapping work of one access (read: swap-in decompression source;
 * write: swap-out copy-in) to a live slot under a path to *w. Same-filled slots need
 * none. 0 or KS_ENOENT. */
int ks_zram_access_work(const struct ks_zram *z, uint64_t slot, enum ks_zs_path path,
			enum ks_zs_access acc, struct ks_zs_work *w);
void ks_zram_stats(const struct ks_zram *z, struct ks_zram_stats *st);
/* Live slots (pages stored). */
uint64_t ks_zram_pages_stored(const struct ks_zram *z);
/* True if every 8-byte word of the page is equal (zram's page_same_filled()). */
bool ks_zram_same_filled(const uint8_t *page, uint64_t *word);

#endif
