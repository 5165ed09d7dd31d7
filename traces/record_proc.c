/* record_proc.c - snapshots of the anonymous memory of running processes, as a
 * page-write trace (record_proc.h; docs/trace-format.md, "Recording processes").
 *
 * Why snapshots and content hashes: this kernel has no soft-dirty bits
 * (CONFIG_MEM_SOFT_DIRTY is off), and userfaultfd write-protection can only be armed by
 * the process that owns the memory, so a recorder that attaches to a running QEMU cannot
 * use it. What it can always do is read: /proc/PID/pagemap says which pages are present,
 * /proc/PID/mem gives their bytes. Each snapshot reads every present page of every
 * recorded region and compares it with the page's previous contents; a page whose bytes
 * changed is one write, stamped with the snapshot's time. So the resolution is the
 * snapshot: a page written several times between two snapshots is one write of its
 * last contents, and a write that leaves the bytes as they were is not seen.
 *
 * Page identity: a zero page is the zero class; any other page is looked up in the
 * dictionary by its 128-bit XXH3 hash (libxxhash). Two different pages with the same
 * 128-bit hash would be taken as one; among 2^32 distinct pages the chance of that is
 * below 2^-64, so the trace is exact in practice, and the hash is what keeps the
 * recorder from holding every distinct page in memory.
 *
 * Per page the recorder keeps 4 bytes: KS_PD_ABSENT (not present, or never read), KS_PD_ZERO,
 * or ST_DICT(id), in blocks of 512 pages (2 MiB of address space) allocated only where a
 * page has been present: a process may map terabytes it never touches (an ASan shadow,
 * a JVM's or QEMU's reservations), so nothing here is sized by the mappings. Which pages
 * are present comes from the PAGEMAP_SCAN ioctl (Linux 6.7+), which returns the present
 * and swapped ranges and skips empty page tables; on older kernels, from reading the
 * pagemap entries of the whole region (slow on huge sparse regions). Per distinct page,
 * one hash-table slot (24 bytes at <= 50% load).
 *
 * Records of one process in one snapshot, all at the snapshot's time: `start` (first
 * snapshot), `munmap` of regions gone, `unmergeable` of regions that lost VmFlags `mg`,
 * `mmap` of new regions, then the new dictionary pages and the page writes (zero writes
 * and `ref`s, in runs), then `mergeable` of regions that are new or gained `mg`, and
 * `exit` when the process is gone. A page that was present and is now neither present
 * nor swapped out (MADV_DONTNEED, MADV_FREE reclaimed) becomes unpopulated again: an
 * `munmap` and `mmap` of the page (and `mergeable` if its region is). A swapped-out page
 * keeps its last contents (reading it would swap it in). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "page_dict.h"
#include "record_proc.h"
#include "trace.h"
#include "models/base/xalloc.h"

#define CHUNK_PAGES 256u         /* pages read with one pread of /proc/PID/mem */
#define PM_PRESENT (1ull << 63)  /* pagemap: page present */
#define PM_SWAPPED (1ull << 62)  /* pagemap: page swapped */
#define BLK_PAGES 512u           /* pages of state per block (2 MiB of address space) */
#define BLK_SPAN ((uint64_t)BLK_PAGES * KS_PAGE_SIZE)
#define NRANGES 512u             /* present/swapped ranges asked of PAGEMAP_SCAN at once */

/* PAGEMAP_SCAN (include/uapi/linux/fs.h, Linux 6.7), spelled out: Debian 12's headers
 * (linux-libc-dev 6.1) predate it. The ABI is fixed by its size field. */
struct ks_page_region {
	uint64_t start, end, categories;
};

struct ks_pm_scan_arg {
	uint64_t size, flags, start, end, walk_end, vec, vec_len, max_pages;
	uint64_t category_inverted, category_mask, category_anyof_mask, return_mask;
};

#define KS_PAGEMAP_SCAN _IOWR('f', 16, struct ks_pm_scan_arg)
#define KS_PAGE_IS_PRESENT (1ull << 3)
#define KS_PAGE_IS_SWAPPED (1ull << 4)

/* A block of page states: pages [base, base + BLK_SPAN) of one process. */
struct pblk {
	uint64_t base;
	uint32_t st[BLK_PAGES]; /* KS_PD_ABSENT, KS_PD_ZERO or KS_PD_DICT(id) */
};

/* A present or swapped range of a region, [start, end). */
struct prange {
	uint64_t start, end;
	bool present;
};

/* A recorded region (VMA) of a process. */
struct pvma {
	uint64_t start;  /* first address */
	uint64_t npages; /* length in pages */
	bool mergeable;  /* VmFlags has `mg` */
	bool need_mg;    /* this snapshot: emit `mergeable` for the region at the end */
};

/* A recorded process. */
struct pproc {
	pid_t pid;
	int memfd, pmfd;                /* /proc/PID/mem, /proc/PID/pagemap */
	unsigned long long starttime;   /* /proc/PID/stat field 22: tells a reused pid */
	bool started, alive;
	char name[64];                  /* /proc/PID/comm */
	struct pvma *v;                 /* regions, sorted by address */
	size_t nv;
	struct pblk **blk;              /* page states, sorted by base; only where touched */
	size_t nblk, capblk;
};

struct ks_prec {
	struct ks_trace_writer *w;
	char *path;                 /* final name of the trace */
	struct ks_pdict *pd;        /* page contents into the trace */
	struct ks_prec_opts o;
	struct pproc *p;
	size_t np;
	struct ks_trace_rec *rec;   /* scratch record (large) */
	uint64_t drop_start, drop_n; /* run of dropped pages being built (drop_n 0: none) */
	uint8_t *buf;               /* CHUNK_PAGES pages */
	uint64_t *pm;               /* CHUNK_PAGES pagemap entries */
	struct prange *rg;          /* the present/swapped ranges of the region at hand */
	size_t nrg, caprg;
	struct ks_page_region *vec; /* NRANGES, for PAGEMAP_SCAN */
	bool no_scan_ioctl;         /* PAGEMAP_SCAN refused: read pagemap entries instead */
	struct ks_prec_stats st;
};

/* ---- writing records ---- */

static void put_range(struct ks_prec *r, enum ks_trace_op op, uint32_t pid, uint64_t vaddr,
		      uint64_t npages)
{
	ks_pdict_put_range(r->pd, op, pid, vaddr, npages);
}

/* Dropped pages: munmap + mmap of the run (the region's `mergeable` comes at the end). */
static void end_drop(struct ks_prec *r, uint32_t pid)
{
	if (!r->drop_n)
		return;
	put_range(r, KS_TR_MUNMAP, pid, r->drop_start, r->drop_n);
	put_range(r, KS_TR_MMAP, pid, r->drop_start, r->drop_n);
	r->st.pages_dropped += r->drop_n;
	r->drop_n = 0;
}

static void add_drop(struct ks_prec *r, uint32_t pid, uint64_t vaddr)
{
	if (r->drop_n && vaddr == r->drop_start + r->drop_n * KS_PAGE_SIZE) {
		r->drop_n++;
		return;
	}
	end_drop(r, pid);
	r->drop_start = vaddr;
	r->drop_n = 1;
}

/* ---- page states, in blocks ---- */

/* Index of the first block of pp whose base is >= base (binary search). */
static size_t blk_lower(const struct pproc *pp, uint64_t base)
{
	size_t lo = 0, hi = pp->nblk;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (pp->blk[mid]->base < base)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The block holding vaddr, or NULL if none was ever needed there. */
static struct pblk *blk_find(const struct pproc *pp, uint64_t vaddr)
{
	uint64_t base = vaddr - vaddr % BLK_SPAN;
	size_t i = blk_lower(pp, base);

	return i < pp->nblk && pp->blk[i]->base == base ? pp->blk[i] : NULL;
}

/* The block holding vaddr, made (all KS_PD_ABSENT) if there is none. */
static struct pblk *blk_get(struct pproc *pp, uint64_t vaddr)
{
	uint64_t base = vaddr - vaddr % BLK_SPAN;
	size_t i = blk_lower(pp, base);
	struct pblk *b;

	if (i < pp->nblk && pp->blk[i]->base == base)
		return pp->blk[i];
	if (pp->nblk == pp->capblk) {
		pp->capblk = pp->capblk ? 2 * pp->capblk : 64;
		pp->blk = ks_xrealloc(pp->blk, pp->capblk * sizeof(*pp->blk));
	}
	memmove(pp->blk + i + 1, pp->blk + i, (pp->nblk - i) * sizeof(*pp->blk));
	b = ks_xcalloc(1, sizeof(*b));
	b->base = base;
	pp->blk[i] = b;
	pp->nblk++;
	return b;
}

/* Forgets the states of [a, b): blocks inside it are freed. */
static void blk_clear(struct pproc *pp, uint64_t a, uint64_t b)
{
	size_t i = blk_lower(pp, a - a % BLK_SPAN), k = i;

	for (; i < pp->nblk && pp->blk[i]->base < b; i++) {
		struct pblk *bl = pp->blk[i];

		if (bl->base >= a && bl->base + BLK_SPAN <= b) {
			free(bl);
			continue;
		}
		for (uint64_t v = bl->base > a ? bl->base : a;
		     v < b && v < bl->base + BLK_SPAN; v += KS_PAGE_SIZE)
			bl->st[(v - bl->base) / KS_PAGE_SIZE] = KS_PD_ABSENT;
		pp->blk[k++] = bl;
	}
	memmove(pp->blk + k, pp->blk + i, (pp->nblk - i) * sizeof(*pp->blk));
	pp->nblk -= i - k;
}

static void blk_free_all(struct pproc *pp)
{
	for (size_t i = 0; i < pp->nblk; i++)
		free(pp->blk[i]);
	free(pp->blk);
	pp->blk = NULL;
	pp->nblk = pp->capblk = 0;
}

/* ---- /proc ---- */

/* Reads /proc/PID/stat: the state letter and the start time; false if it is gone. */
static bool read_stat(pid_t pid, char *state, unsigned long long *starttime)
{
	char path[64], buf[1024], *p;
	FILE *f;
	size_t n;
	int field = 3;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %c", state) != 1)
		return false;
	for (p += 2; *p && field < 22; p++)
		if (*p == ' ')
			field++;
	*starttime = strtoull(p, NULL, 10);
	return true;
}

/* Is this a region the recorder takes: private, readable, anonymous? */
static bool vma_wanted(const char *perms, unsigned long inode, const char *path)
{
	if (perms[0] != 'r' || perms[3] != 'p' || inode != 0)
		return false;
	return !path[0] || strcmp(path, "[heap]") == 0 || strcmp(path, "[stack]") == 0 ||
	       strncmp(path, "[anon:", 6) == 0;
}

/* The wanted regions of pid from /proc/PID/smaps, sorted (the kernel lists them in
 * address order). Returns the count, or -1 if the file cannot be read. */
static ssize_t read_vmas(const struct ks_prec *r, pid_t pid, struct pvma **out)
{
	char path[64], *line = NULL, perms[8], name[512];
	struct pvma *v = NULL;
	size_t n = 0, cap = 0, linecap = 0;
	bool take = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/smaps", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (getline(&line, &linecap, f) > 0) {
		unsigned long long a, b, off;
		unsigned long inode;
		unsigned maj, mnr;
		int pos = 0;

		if (sscanf(line, "%llx-%llx %7s %llx %x:%x %lu %n", &a, &b, perms, &off, &maj,
			   &mnr, &inode, &pos) == 7 && pos > 0) {
			snprintf(name, sizeof(name), "%s", line + pos);
			name[strcspn(name, "\n")] = '\0';
			take = vma_wanted(perms, inode, name) && b > a;
			if (!take)
				continue;
			if (n == cap) {
				cap = cap ? 2 * cap : 64;
				v = ks_xrealloc(v, cap * sizeof(*v));
			}
			v[n++] = (struct pvma){ .start = a, .npages = (b - a) / KS_PAGE_SIZE };
		} else if (take && strncmp(line, "VmFlags:", 8) == 0) {
			/* two-letter flags separated by spaces: " mg" is the mergeable one */
			for (char *p = line + 8; (p = strstr(p, " mg")); p += 3)
				if (p[3] == ' ' || p[3] == '\n' || p[3] == '\0')
					v[n - 1].mergeable = true;
			if (r->o.mergeable_only && !v[n - 1].mergeable)
				n--;
			take = false;
		}
	}
	free(line);
	fclose(f);
	*out = v;
	return (ssize_t)n;
}

/* ---- one process ---- */

static void put_start(struct ks_prec *r, struct pproc *pp)
{
	ks_trace_rec_clear(r->rec);
	r->rec->op = KS_TR_START;
	r->rec->pid = (uint32_t)pp->pid;
	snprintf(r->rec->name, sizeof(r->rec->name), "%s", pp->name);
	ks_pdict_put(r->pd, r->rec);
	pp->started = true;
}

static void proc_gone(struct ks_prec *r, struct pproc *pp)
{
	if (!pp->started) /* gone before its first snapshot: a start, then the exit */
		put_start(r, pp);
	ks_trace_rec_clear(r->rec);
	r->rec->op = KS_TR_EXIT;
	r->rec->pid = (uint32_t)pp->pid;
	ks_pdict_put(r->pd, r->rec);
	pp->alive = false;
	if (pp->memfd >= 0)
		close(pp->memfd);
	if (pp->pmfd >= 0)
		close(pp->pmfd);
	pp->memfd = pp->pmfd = -1;
	blk_free_all(pp);
	free(pp->v);
	pp->v = NULL;
	pp->nv = 0;
}

static uint64_t vend(const struct pvma *v)
{
	return v->start + v->npages * KS_PAGE_SIZE;
}

/* Region changes from the old list to the new: munmap (the pages' states forgotten),
 * unmergeable, mmap. States of pages still mapped stay where they are (by address). */
static void unmap_piece(struct ks_prec *r, struct pproc *pp, uint64_t a, uint64_t b)
{
	put_range(r, KS_TR_MUNMAP, (uint32_t)pp->pid, a, (b - a) / KS_PAGE_SIZE);
	blk_clear(pp, a, b);
}

static void diff_vmas(struct ks_prec *r, struct pproc *pp, struct pvma *nv, size_t nn)
{
	uint32_t pid = (uint32_t)pp->pid;
	struct pvma *ov = pp->v;
	size_t no = pp->nv, j = 0;

	for (size_t i = 0; i < no; i++) { /* old pieces no new region covers */
		uint64_t a = ov[i].start, b = vend(&ov[i]), pos = a;

		while (j < nn && vend(&nv[j]) <= a)
			j++;
		for (size_t k = j; k < nn && nv[k].start < b; k++) {
			uint64_t s = nv[k].start > a ? nv[k].start : a;

			if (s > pos)
				unmap_piece(r, pp, pos, s);
			pos = vend(&nv[k]) < b ? vend(&nv[k]) : b;
		}
		if (pos < b)
			unmap_piece(r, pp, pos, b);
	}
	j = 0;
	for (size_t i = 0; i < nn; i++) { /* new pieces: carried over or mapped */
		struct pvma *n = &nv[i];
		uint64_t a = n->start, b = vend(n), pos = a;

		while (j < no && vend(&ov[j]) <= a)
			j++;
		for (size_t k = j; k < no && ov[k].start < b; k++) {
			uint64_t s = ov[k].start > a ? ov[k].start : a;
			uint64_t e = vend(&ov[k]) < b ? vend(&ov[k]) : b;

			if (s > pos) {
				put_range(r, KS_TR_MMAP, pid, pos, (s - pos) / KS_PAGE_SIZE);
				n->need_mg |= n->mergeable;
			}
			if (ov[k].mergeable && !n->mergeable)
				put_range(r, KS_TR_UNMERGEABLE, pid, s, (e - s) / KS_PAGE_SIZE);
			if (!ov[k].mergeable && n->mergeable)
				n->need_mg = true;
			pos = e;
		}
		if (pos < b) {
			put_range(r, KS_TR_MMAP, pid, pos, (b - pos) / KS_PAGE_SIZE);
			n->need_mg |= n->mergeable;
		}
	}
	free(ov);
	pp->v = nv;
	pp->nv = nn;
}

/* Reads the n present pages at addr (within one block and one CHUNK_PAGES) and records
 * the ones whose contents changed. */
static void read_present(struct ks_prec *r, struct pproc *pp, uint64_t addr, uint64_t n)
{
	struct pblk *bl = blk_find(pp, addr);
	size_t first = (size_t)(addr % BLK_SPAN / KS_PAGE_SIZE);
	bool ok[CHUNK_PAGES];

	if (pread(pp->memfd, r->buf, n * KS_PAGE_SIZE, (off_t)addr) == (ssize_t)(n * KS_PAGE_SIZE)) {
		memset(ok, 1, sizeof(ok));
	} else { /* page by page: skip the ones refused */
		for (uint64_t k = 0; k < n; k++) {
			ok[k] = pread(pp->memfd, r->buf + k * KS_PAGE_SIZE, KS_PAGE_SIZE,
				      (off_t)(addr + k * KS_PAGE_SIZE)) == KS_PAGE_SIZE;
			r->st.read_errors += !ok[k];
		}
	}
	for (uint64_t k = 0; k < n; k++) {
		uint32_t st;

		if (!ok[k])
			continue;
		st = ks_pdict_state(r->pd, r->buf + k * KS_PAGE_SIZE);
		r->st.pages_read++;
		if (st != (bl ? bl->st[first + k] : KS_PD_ABSENT)) {
			if (!bl)
				bl = blk_get(pp, addr);
			ks_pdict_write(r->pd, (uint32_t)pp->pid, addr + k * KS_PAGE_SIZE, st);
			bl->st[first + k] = st;
		}
	}
}

/* Pages of [a, b) that are neither present nor swapped: the ones that held contents are
 * dropped (unpopulated again). */
static void drop_gap(struct ks_prec *r, struct pproc *pp, struct pvma *v, uint64_t a,
		     uint64_t b)
{
	for (size_t i = blk_lower(pp, a - a % BLK_SPAN); i < pp->nblk && pp->blk[i]->base < b;
	     i++) {
		struct pblk *bl = pp->blk[i];

		for (uint64_t p = bl->base > a ? bl->base : a; p < b && p < bl->base + BLK_SPAN;
		     p += KS_PAGE_SIZE) {
			uint32_t *st = &bl->st[(p - bl->base) / KS_PAGE_SIZE];

			if (*st == KS_PD_ABSENT)
				continue;
			add_drop(r, (uint32_t)pp->pid, p);
			*st = KS_PD_ABSENT;
			v->need_mg |= v->mergeable;
		}
	}
}

static void add_range(struct ks_prec *r, uint64_t a, uint64_t b, bool present)
{
	if (r->nrg && r->rg[r->nrg - 1].end == a && r->rg[r->nrg - 1].present == present) {
		r->rg[r->nrg - 1].end = b;
		return;
	}
	if (r->nrg == r->caprg) {
		r->caprg = r->caprg ? 2 * r->caprg : 64;
		r->rg = ks_xrealloc(r->rg, r->caprg * sizeof(*r->rg));
	}
	r->rg[r->nrg++] = (struct prange){ .start = a, .end = b, .present = present };
}

/* The present and swapped ranges of v by PAGEMAP_SCAN into r->rg. 1 done, 0 the ioctl is
 * not there, -1 the process is going. */
static int ranges_by_scan(struct ks_prec *r, struct pproc *pp, const struct pvma *v)
{
	struct ks_pm_scan_arg arg = {
		.size = sizeof(arg),
		.start = v->start,
		.end = vend(v),
		.vec = (uintptr_t)r->vec,
		.vec_len = NRANGES,
		.category_anyof_mask = KS_PAGE_IS_PRESENT | KS_PAGE_IS_SWAPPED,
		.return_mask = KS_PAGE_IS_PRESENT | KS_PAGE_IS_SWAPPED,
	};

	while (arg.start < arg.end) {
		long n = ioctl(pp->pmfd, KS_PAGEMAP_SCAN, &arg);

		if (n < 0)
			return errno == ENOTTY || errno == EINVAL || errno == EOPNOTSUPP ? 0 : -1;
		for (long k = 0; k < n; k++)
			add_range(r, r->vec[k].start, r->vec[k].end,
				  (r->vec[k].categories & KS_PAGE_IS_PRESENT) != 0);
		if (arg.walk_end <= arg.start)
			return -1; /* no progress: do not spin */
		arg.start = arg.walk_end;
	}
	return 1;
}

/* The same from the pagemap entries of every page of v. 1 done, -1 the process is
 * going. */
static int ranges_by_read(struct ks_prec *r, struct pproc *pp, const struct pvma *v)
{
	for (uint64_t base = 0; base < v->npages; base += CHUNK_PAGES) {
		uint64_t n = v->npages - base < CHUNK_PAGES ? v->npages - base : CHUNK_PAGES;
		off_t off = (off_t)((v->start / KS_PAGE_SIZE + base) * sizeof(uint64_t));

		if (pread(pp->pmfd, r->pm, n * sizeof(uint64_t), off) != (ssize_t)(n * sizeof(uint64_t)))
			return -1;
		for (uint64_t k = 0; k < n; k++) {
			uint64_t a = v->start + (base + k) * KS_PAGE_SIZE;

			if (r->pm[k] & PM_PRESENT)
				add_range(r, a, a + KS_PAGE_SIZE, true);
			else if (r->pm[k] & PM_SWAPPED)
				add_range(r, a, a + KS_PAGE_SIZE, false);
		}
	}
	return 1;
}

/* The pages of one region: present ones read, dropped ones unmapped, swapped ones kept
 * as they were (reading them would swap them in). */
static void snap_vma(struct ks_prec *r, struct pproc *pp, struct pvma *v)
{
	uint64_t pos = v->start;
	int got = 0;

	r->nrg = 0;
	if (!r->no_scan_ioctl) {
		got = ranges_by_scan(r, pp, v);
		r->no_scan_ioctl = got == 0;
	}
	if (got == 0) {
		r->nrg = 0;
		got = ranges_by_read(r, pp, v);
	}
	if (got < 0)
		return; /* the process is going; its exit is seen next snapshot */
	for (size_t i = 0; i < r->nrg; i++) {
		const struct prange *g = &r->rg[i];

		drop_gap(r, pp, v, pos, g->start);
		for (uint64_t a = g->start; g->present && a < g->end;) {
			uint64_t n = (g->end - a) / KS_PAGE_SIZE;
			uint64_t to_blk = (BLK_SPAN - a % BLK_SPAN) / KS_PAGE_SIZE;

			n = n < CHUNK_PAGES ? n : CHUNK_PAGES;
			n = n < to_blk ? n : to_blk;
			read_present(r, pp, a, n);
			a += n * KS_PAGE_SIZE;
		}
		pos = g->end;
	}
	drop_gap(r, pp, v, pos, vend(v));
	end_drop(r, (uint32_t)pp->pid);
	ks_pdict_end_run(r->pd); /* a write record stays within its region */
}

static void snap_proc(struct ks_prec *r, struct pproc *pp)
{
	unsigned long long starttime;
	struct pvma *nv;
	ssize_t nn;
	char state;

	if (!read_stat(pp->pid, &state, &starttime) || state == 'Z' || state == 'X' ||
	    starttime != pp->starttime) {
		proc_gone(r, pp);
		return;
	}
	nn = read_vmas(r, pp->pid, &nv);
	if (nn < 0) {
		proc_gone(r, pp);
		return;
	}
	if (!pp->started)
		put_start(r, pp);
	diff_vmas(r, pp, nv, (size_t)nn);
	for (size_t i = 0; i < pp->nv; i++)
		snap_vma(r, pp, &pp->v[i]);
	ks_pdict_flush(r->pd);
	for (size_t i = 0; i < pp->nv; i++) {
		if (pp->v[i].need_mg)
			put_range(r, KS_TR_MERGEABLE, (uint32_t)pp->pid, pp->v[i].start,
				  pp->v[i].npages);
		pp->v[i].need_mg = false;
	}
}

/* ---- the interface ---- */

struct ks_prec *ks_prec_open(const char *path, const struct ks_prec_opts *o,
			     struct ks_err *err)
{
	struct ks_prec *r = ks_xcalloc(1, sizeof(*r));

	r->o = *o;
	r->path = ks_xstrdup(path);
	r->w = ks_trace_writer_open(path, o->fmt, err);
	if (!r->w) {
		free(r->path);
		free(r);
		return NULL;
	}
	r->rec = ks_xmalloc(sizeof(*r->rec));
	r->pd = ks_pdict_new(r->w);
	r->buf = ks_xmalloc((size_t)CHUNK_PAGES * KS_PAGE_SIZE);
	r->pm = ks_xmalloc(CHUNK_PAGES * sizeof(*r->pm));
	r->vec = ks_xmalloc(NRANGES * sizeof(*r->vec));
	return r;
}

int ks_prec_add(struct ks_prec *r, pid_t pid, struct ks_err *err)
{
	struct pproc pp = { .pid = pid, .memfd = -1, .pmfd = -1, .alive = true };
	char path[64], state;
	FILE *f;

	for (size_t i = 0; i < r->np; i++)
		if (r->p[i].pid == pid)
			return ks_err_set(err, KS_EINVAL, "pid %d given twice", (int)pid);
	if (pid <= 0 || !read_stat(pid, &state, &pp.starttime) || state == 'Z' || state == 'X')
		return ks_err_set(err, KS_ENOENT, "pid %d: no such process", (int)pid);
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	pp.memfd = open(path, O_RDONLY | O_CLOEXEC);
	if (pp.memfd >= 0) {
		snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)pid);
		pp.pmfd = open(path, O_RDONLY | O_CLOEXEC);
	}
	if (pp.memfd < 0 || pp.pmfd < 0) {
		int e = errno;

		if (pp.memfd >= 0)
			close(pp.memfd);
		if (e == ENOENT || e == ESRCH)
			return ks_err_set(err, KS_ENOENT, "pid %d: no such process", (int)pid);
		return ks_err_set(err, e == EACCES || e == EPERM ? KS_EPERM : KS_EIO,
				  "pid %d: cannot read its memory (%s: %s)", (int)pid, path,
				  strerror(e));
	}
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	f = fopen(path, "r");
	if (f) {
		if (fgets(pp.name, sizeof(pp.name), f))
			pp.name[strcspn(pp.name, "\n")] = '\0';
		fclose(f);
	}
	if (!pp.name[0])
		snprintf(pp.name, sizeof(pp.name), "pid%d", (int)pid);
	r->p = ks_xrealloc(r->p, (r->np + 1) * sizeof(*r->p));
	r->p[r->np++] = pp;
	return 0;
}

int ks_prec_add_child(struct ks_prec *r, pid_t pid, const char *name, struct ks_err *err)
{
	struct pproc pp = { .pid = pid, .memfd = -1, .pmfd = -1, .alive = true };
	int rc = ks_prec_add(r, pid, err);

	if (rc != KS_ENOENT || pid <= 0)
		return rc;
	/* it ran and exited before its /proc files could be opened: the first snapshot
	 * writes its start and its exit (snap_proc finds it gone) */
	snprintf(pp.name, sizeof(pp.name), "%s", name);
	r->p = ks_xrealloc(r->p, (r->np + 1) * sizeof(*r->p));
	r->p[r->np++] = pp;
	return 0;
}

int ks_prec_snapshot(struct ks_prec *r, ks_time t, struct ks_err *err)
{
	struct timespec a, b;
	int alive = 0;
	size_t blocks = 0;
	ks_time took;

	clock_gettime(CLOCK_MONOTONIC, &a);
	ks_pdict_set_time(r->pd, t);
	for (size_t i = 0; i < r->np && !ks_pdict_error(r->pd, NULL); i++) {
		if (!r->p[i].alive)
			continue;
		snap_proc(r, &r->p[i]);
		alive += r->p[i].alive;
	}
	if (ks_pdict_error(r->pd, err))
		return ks_pdict_error(r->pd, err);
	for (size_t i = 0; i < r->np; i++)
		blocks += r->p[i].nblk;
	if (blocks * sizeof(struct pblk) > r->st.state_bytes_max)
		r->st.state_bytes_max = blocks * sizeof(struct pblk);
	clock_gettime(CLOCK_MONOTONIC, &b);
	took = (ks_time)(b.tv_sec - a.tv_sec) * 1000000000 + (ks_time)b.tv_nsec -
	       (ks_time)a.tv_nsec;
	r->st.snapshots++;
	r->st.snapshot_ns_sum += took;
	if (took > r->st.snapshot_ns_max)
		r->st.snapshot_ns_max = took;
	return alive;
}

static void free_procs(struct ks_prec *r)
{
	for (size_t i = 0; i < r->np; i++) {
		struct pproc *pp = &r->p[i];

		if (pp->memfd >= 0)
			close(pp->memfd);
		if (pp->pmfd >= 0)
			close(pp->pmfd);
		blk_free_all(pp);
		free(pp->v);
	}
	free(r->p);
	free(r->rec);
	ks_pdict_free(r->pd);
	free(r->buf);
	free(r->pm);
	free(r->rg);
	free(r->vec);
	free(r->path);
}

int ks_prec_close(struct ks_prec *r, struct ks_prec_stats *stats, struct ks_err *err)
{
	struct stat sb;
	int rc;

	if (ks_pdict_error(r->pd, err)) {
		rc = ks_pdict_error(r->pd, err);
		ks_trace_writer_abort(r->w);
	} else {
		rc = ks_trace_writer_close(r->w, err);
	}
	if (!rc && stat(r->path, &sb) == 0)
		r->st.trace_bytes = (uint64_t)sb.st_size;
	r->st.pages_recorded = ks_pdict_stats(r->pd)->pages_recorded;
	r->st.zero_pages = ks_pdict_stats(r->pd)->zero_pages;
	r->st.dict_pages = ks_pdict_stats(r->pd)->dict_pages;
	if (stats)
		*stats = r->st;
	free_procs(r);
	free(r);
	return rc;
}

void ks_prec_abort(struct ks_prec *r)
{
	if (!r)
		return;
	ks_trace_writer_abort(r->w);
	free_procs(r);
	free(r);
}
