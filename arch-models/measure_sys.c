/* measure_sys.c - syscall-level proxies of what ksmd does in the kernel: PTE
 * write-protects and zaps, faults, slab allocations, the walk to a page, wakeups. */
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/userfaultfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "measure.h"
#include "models/base/xalloc.h"

/* ---- syscall-level proxies ---- */

double km_time_mprotect(unsigned reps)
{
	uint8_t *pg = mmap(NULL, KM_PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	double t0, d;

	if (pg == MAP_FAILED)
		return -1;
	pg[0] = 1;
	t0 = km_now_ns();
	for (unsigned r = 0; r < reps; r++) {
		mprotect(pg, KM_PG, PROT_READ);
		mprotect(pg, KM_PG, PROT_READ | PROT_WRITE);
		pg[0] = (uint8_t)r; /* re-dirties the PTE and reloads the TLB entry */
	}
	d = (km_now_ns() - t0) / (2.0 * reps);
	munmap(pg, KM_PG);
	return d;
}

/* write_protect_page() without mprotect's VMA work: userfaultfd's write-protect of one
 * resident page (UFFDIO_WRITEPROTECT: mmap read lock, VMA lookup, page-table walk, PTE
 * write-protect, TLB flush of the page), ns per operation (a protect + unprotect pair
 * halved). -1 when userfaultfd write-protect is not available. */
double km_time_uffd_wp(unsigned reps)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_WP };
	int fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	uint8_t *pg;
	double t0, d = -1;

	if (fd < 0)
		return -1;
	pg = mmap(NULL, KM_PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (pg == MAP_FAILED)
		goto out_close;
	pg[0] = 1;
	reg.range = (struct uffdio_range){ (uintptr_t)pg, KM_PG };
	if (ioctl(fd, UFFDIO_API, &api) || !(api.features & UFFD_FEATURE_PAGEFAULT_FLAG_WP) ||
	    ioctl(fd, UFFDIO_REGISTER, &reg))
		goto out_unmap;
	t0 = km_now_ns();
	for (unsigned r = 0; r < reps; r++) {
		struct uffdio_writeprotect wp = { .range = reg.range,
						  .mode = UFFDIO_WRITEPROTECT_MODE_WP };

		if (ioctl(fd, UFFDIO_WRITEPROTECT, &wp))
			goto out_unmap;
		wp.mode = 0;
		if (ioctl(fd, UFFDIO_WRITEPROTECT, &wp))
			goto out_unmap;
	}
	d = (km_now_ns() - t0) / (2.0 * reps);
out_unmap:
	munmap(pg, KM_PG);
out_close:
	close(fd);
	return d;
}

/* replace_page()'s part beyond a write-protect: the old page's PTE cleared and flushed,
 * its rmap dropped and the folio freed - madvise(MADV_DONTNEED) of one resident page,
 * timed alone (the refault that repopulates it is not timed), minus one clock read. */
double km_time_zap(unsigned reps, double timer_ns)
{
	volatile uint8_t *pg = mmap(NULL, KM_PG, PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	double tot = 0;

	if (pg == MAP_FAILED)
		return -1;
	for (unsigned r = 0; r < reps; r++) {
		double t0;

		pg[0] = (uint8_t)r; /* fault the page back in */
		t0 = km_now_ns();
		madvise((void *)pg, KM_PG, MADV_DONTNEED);
		tot += km_now_ns() - t0 - timer_ns;
	}
	munmap((void *)pg, KM_PG);
	return tot / reps;
}

double km_time_fault(unsigned npages)
{
	uint8_t *m = mmap(NULL, (size_t)npages * KM_PG, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	double t0, d;

	if (m == MAP_FAILED)
		return -1;
	t0 = km_now_ns();
	for (unsigned i = 0; i < npages; i++)
		m[(size_t)i * KM_PG] = 1;
	d = (km_now_ns() - t0) / npages;
	munmap(m, (size_t)npages * KM_PG);
	return d;
}

double km_time_malloc_free(unsigned reps)
{
	void **v = ks_xmalloc(reps * sizeof(*v));
	double t0 = km_now_ns(), d;

	for (unsigned r = 0; r < reps; r++)
		v[r] = malloc(64);
	for (unsigned r = 0; r < reps; r++)
		free(v[r]);
	d = (km_now_ns() - t0) / reps;
	free(v);
	return d;
}

/* The kernel's walk from an (mm, address) to its page, as ksmd does for every page it
 * scans (scan_get_next_rmap_item) and every unstable-tree node it visits
 * (get_mergeable_page): mmap_read_lock, VMA lookup, page-table walk to the PTE under
 * its lock, folio reference, unlock. move_pages(2) with no target nodes does exactly
 * that for one page (do_pages_stat: mmap_read_lock, vma_lookup, folio_walk_start);
 * minus a null system call (getppid) it is the kernel's walk. Pages of a 4 KiB-page
 * pool (pages already written) in address order (the scanner) or shuffled (tree
 * nodes). -1 when move_pages is not available (kernel without NUMA). */
double km_time_page_walk(struct km_pool *p, unsigned reps)
{
	double t0, d, nul;
	int status;

	t0 = km_now_ns();
	for (unsigned r = 0; r < reps; r++)
		km_sink += (uint64_t)syscall(SYS_getppid);
	nul = (km_now_ns() - t0) / reps;
	t0 = km_now_ns();
	for (unsigned r = 0; r < reps; r++) {
		void *addr = p->a + km_pool_next(p) * KM_PG;

		if (syscall(SYS_move_pages, 0, 1UL, &addr, NULL, &status, 0))
			return -1;
	}
	d = (km_now_ns() - t0) / reps - nul;
	return d > 0 ? d : 0;
}

/* A null system call (getppid): the entry and exit a user-space proxy pays and ksmd,
 * a kernel thread, does not. */
double km_time_nullsys(unsigned reps)
{
	double t0 = km_now_ns();

	for (unsigned r = 0; r < reps; r++)
		km_sink += (uint64_t)syscall(SYS_getppid);
	return (km_now_ns() - t0) / reps;
}


static int pipefd[2][2];

static void *pong(void *arg)
{
	char c;

	(void)arg;
	while (read(pipefd[0][0], &c, 1) == 1 && c)
		if (write(pipefd[1][1], &c, 1) != 1)
			break;
	return NULL;
}

/* Half a pipe round trip between two threads: one sleep/wakeup pair. */
double km_time_wakeup(unsigned reps)
{
	pthread_t th;
	char c = 1;
	double t0, d;

	if (pipe(pipefd[0]) || pipe(pipefd[1]))
		return -1;
	pthread_create(&th, NULL, pong, NULL);
	t0 = km_now_ns();
	for (unsigned r = 0; r < reps; r++)
		if (write(pipefd[0][1], &c, 1) != 1 || read(pipefd[1][0], &c, 1) != 1)
			break;
	d = (km_now_ns() - t0) / (2.0 * reps);
	c = 0;
	if (write(pipefd[0][1], &c, 1) != 1)
		d = -1;
	pthread_join(th, NULL);
	for (int i = 0; i < 2; i++) {
		close(pipefd[i][0]);
		close(pipefd[i][1]);
	}
	return d;
}
