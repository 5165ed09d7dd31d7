/* zram_dev.c - one measurement on the real zram device (zram_dev.h).
 *
 * Order, as Documentation/admin-guide/blockdev/zram.rst sets it: comp_algorithm must be
 * chosen before disksize; pages are written with O_DIRECT so each 4 KiB write reaches
 * zram_write_page() once (no page cache in between); mm_stat is read after fsync; the
 * device is reset (which frees every page and sets disksize 0) and comp_algorithm is
 * written back to what was selected before. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "ksm_sysfs.h"
#include "zram_dev.h"

#define PG 4096u
#define CHUNK_PAGES 256u

static void sysfs_path(char *p, size_t n, const char *dev, const char *file)
{
	snprintf(p, n, "/sys/block/%s/%s", dev, file);
}

int ks_zram_dev_algorithms(const char *dev, char *out, size_t n, struct ks_err *err)
{
	char p[256];
	size_t j = 0;
	char buf[512];

	sysfs_path(p, sizeof(p), dev, "comp_algorithm");
	if (ks_sysfs_read(p, buf, sizeof(buf)))
		return ks_err_set(err, KS_ENOENT, "%s: cannot read (no zram device %s?)", p, dev);
	for (size_t i = 0; buf[i] && j + 1 < n; i++)
		if (buf[i] != '[' && buf[i] != ']')
			out[j++] = buf[i];
	out[j] = 0;
	return 0;
}

/* The bracketed (selected) algorithm of comp_algorithm. */
static int selected_alg(const char *dev, char *out, size_t n, struct ks_err *err)
{
	char p[256], buf[512];
	char *a, *b;

	sysfs_path(p, sizeof(p), dev, "comp_algorithm");
	if (ks_sysfs_read(p, buf, sizeof(buf)))
		return ks_err_set(err, KS_ENOENT, "%s: cannot read (no zram device %s?)", p, dev);
	a = strchr(buf, '[');
	b = a ? strchr(a, ']') : NULL;
	if (!a || !b || (size_t)(b - a) >= n)
		return ks_err_set(err, KS_EIO, "%s: no selected algorithm in '%s'", p, buf);
	memcpy(out, a + 1, (size_t)(b - a - 1));
	out[b - a - 1] = 0;
	return 0;
}

static int write_pages(const char *dev, uint64_t npages, ks_zram_fill_fn fill, void *ctx,
		       struct ks_err *err)
{
	char p[256];
	uint8_t *buf;
	int fd, rc = 0;

	snprintf(p, sizeof(p), "/dev/%s", dev);
	fd = open(p, O_WRONLY | O_DIRECT);
	if (fd < 0)
		return ks_err_set(err, KS_EIO, "%s: %s", p, strerror(errno));
	if (posix_memalign((void **)&buf, PG, (size_t)CHUNK_PAGES * PG)) {
		close(fd);
		return ks_err_set(err, KS_ENOMEM, "out of memory");
	}
	for (uint64_t i = 0; i < npages && !rc; i += CHUNK_PAGES) {
		uint64_t n = npages - i < CHUNK_PAGES ? npages - i : CHUNK_PAGES;
		ssize_t w;

		for (uint64_t k = 0; k < n; k++)
			fill(ctx, i + k, buf + k * PG);
		w = pwrite(fd, buf, n * PG, (off_t)(i * PG));
		if (w != (ssize_t)(n * PG))
			rc = ks_err_set(err, KS_EIO, "%s: write at page %" PRIu64 ": %s", p, i,
					w < 0 ? strerror(errno) : "short write");
	}
	if (!rc && fsync(fd))
		rc = ks_err_set(err, KS_EIO, "%s: fsync: %s", p, strerror(errno));
	free(buf);
	close(fd);
	return rc;
}

static int read_mmstat(const char *dev, struct ks_zram_mmstat *m, struct ks_err *err)
{
	char p[256], buf[512];

	sysfs_path(p, sizeof(p), dev, "mm_stat");
	if (ks_sysfs_read(p, buf, sizeof(buf)) ||
	    sscanf(buf, "%" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
		   " %" SCNu64 " %" SCNu64 " %" SCNu64, &m->orig_data_size, &m->compr_data_size,
		   &m->mem_used_total, &m->mem_limit, &m->mem_used_max, &m->same_pages,
		   &m->pages_compacted, &m->huge_pages, &m->huge_pages_since) < 8)
		return ks_err_set(err, KS_EIO, "%s: cannot parse '%s'", p, buf);
	return 0;
}

/* The device is ours (lock held, initstate 0): set up, write, read, always reset. */
static int measure_locked(const char *dev, const char *alg, uint64_t npages,
			  ks_zram_fill_fn fill, void *ctx, struct ks_zram_mmstat *out,
			  struct ks_err *err)
{
	char p[256], orig[64], size[32];
	int rc, wrc;

	rc = selected_alg(dev, orig, sizeof(orig), err);
	if (rc)
		return rc;
	sysfs_path(p, sizeof(p), dev, "comp_algorithm");
	wrc = ks_sysfs_write(p, alg);
	if (wrc)
		return ks_err_set(err, KS_ENOENT, "%s: cannot select '%s': %s", p, alg,
				  strerror(-wrc));
	sysfs_path(p, sizeof(p), dev, "disksize");
	snprintf(size, sizeof(size), "%" PRIu64, npages * PG);
	wrc = ks_sysfs_write(p, size);
	if (wrc)
		rc = ks_err_set(err, KS_EIO, "%s: cannot set %s: %s", p, size, strerror(-wrc));
	if (!rc)
		rc = write_pages(dev, npages, fill, ctx, err);
	if (!rc)
		rc = read_mmstat(dev, out, err);
	sysfs_path(p, sizeof(p), dev, "reset");
	wrc = ks_sysfs_write(p, "1");
	if (wrc && !rc)
		rc = ks_err_set(err, KS_EIO, "%s: reset failed: %s (the device is left set up)",
				p, strerror(-wrc));
	sysfs_path(p, sizeof(p), dev, "comp_algorithm");
	wrc = ks_sysfs_write(p, orig);
	if (wrc && !rc)
		rc = ks_err_set(err, KS_EIO, "%s: cannot restore '%s': %s", p, orig,
				strerror(-wrc));
	return rc;
}

int ks_zram_dev_measure(const char *dev, const char *alg, uint64_t npages,
			ks_zram_fill_fn fill, void *ctx, unsigned wait_s,
			struct ks_zram_mmstat *out, struct ks_err *err)
{
	char p[256];
	sigset_t block, old;
	int64_t init;
	int lk, rc;

	if (geteuid() != 0)
		return ks_err_set(err, KS_EPERM, "the real zram needs root");
	sysfs_path(p, sizeof(p), dev, "initstate");
	if (access(p, R_OK))
		return ks_err_set(err, KS_ENOENT, "%s: no such zram device (modprobe zram?)", p);
	lk = open(KS_ZRAM_LOCK, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
	if (lk < 0)
		return ks_err_set(err, KS_EIO, "%s: %s", KS_ZRAM_LOCK, strerror(errno));
	for (unsigned s = 0; flock(lk, LOCK_EX | LOCK_NB); s++) {
		if (s >= wait_s) {
			close(lk);
			return ks_err_set(err, KS_EBUSY, "%s is held by another user of zram",
					  KS_ZRAM_LOCK);
		}
		sleep(1);
	}
	init = ks_sysfs_read_num(p);
	if (init != 0) {
		rc = ks_err_set(err, KS_EBUSY, "%s is %" PRId64 ": /dev/%s is in use, left alone",
				p, init, dev);
	} else {
		sigemptyset(&block);
		sigaddset(&block, SIGINT);
		sigaddset(&block, SIGTERM);
		sigaddset(&block, SIGHUP);
		sigprocmask(SIG_BLOCK, &block, &old);
		rc = measure_locked(dev, alg, npages, fill, ctx, out, err);
		sigprocmask(SIG_SETMASK, &old, NULL);
	}
	flock(lk, LOCK_UN);
	close(lk);
	return rc;
}
