/* zram_dev.h - the real zram of the running kernel, driven as `sim zram-validate` needs
 * it: under an exclusive flock(2) of /tmp/zram.lock, refuse a device in use (initstate
 * 1), save comp_algorithm, choose an algorithm, set disksize, write pages with O_DIRECT,
 * read mm_stat, then reset the device and put comp_algorithm back, also on errors and
 * with SIGINT/SIGTERM/SIGHUP held off meanwhile. Needs root. System I/O only. */
#ifndef KS_ZRAM_DEV_H
#define KS_ZRAM_DEV_H

#include <stdbool.h>
#include <stdint.h>

#include "models/base/status.h"

#define KS_ZRAM_LOCK "/tmp/zram.lock"

/* /sys/block/zramN/mm_stat as printed (the first nine fields). */
struct ks_zram_mmstat {
	uint64_t orig_data_size, compr_data_size, mem_used_total, mem_limit, mem_used_max,
		 same_pages, pages_compacted, huge_pages, huge_pages_since;
};

/* Fills page i (0-based) of the pages to write into buf (4096 bytes). */
typedef void (*ks_zram_fill_fn)(void *ctx, uint64_t i, uint8_t *buf);

/* The algorithms the device offers (comp_algorithm, brackets removed), e.g.
 * "lzo-rle lzo lz4". 0, or KS_ENOENT (no such device) with err. */
int ks_zram_dev_algorithms(const char *dev, char *out, size_t n, struct ks_err *err);

/* Writes npages pages (from fill) to dev (e.g. "zram0") compressed with alg and reads
 * mm_stat; the device is reset and left as found. KS_EPERM (not root), KS_ENOENT (no
 * device or algorithm), KS_EBUSY (device in use, or the lock is held: waits up to
 * wait_s seconds), KS_EIO. */
int ks_zram_dev_measure(const char *dev, const char *alg, uint64_t npages,
			ks_zram_fill_fn fill, void *ctx, unsigned wait_s,
			struct ks_zram_mmstat *out, struct ks_err *err);

#endif
