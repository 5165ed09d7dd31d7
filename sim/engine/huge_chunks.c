/* huge_chunks.c - the content store's literal chunks as transparent huge pages.
 *
 * Why: replaying a recorded trace interns every distinct page it holds (136k pages,
 * 557 MB for 8 guests x 512 MiB), and first-touching that much fresh memory in 4 KiB
 * pages costs one page fault each: measured here (a VM) 1.5 s of CPU for 557 MB, a
 * third of the whole replay, against 0.15-0.9 s with 2 MiB pages. A chunk is
 * KS_CONTENT_LIT_CHUNK (2 MiB) aligned to its size, so with THP set to `always` or
 * `madvise` each chunk is one huge page; with THP `never` it is ordinary memory. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "huge_chunks.h"

static void *huge_alloc(size_t n)
{
	const size_t align = KS_CONTENT_LIT_CHUNK;
	uint8_t *p = mmap(NULL, n + align, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			  -1, 0);
	uintptr_t a;

	if (p == MAP_FAILED) {
		fprintf(stderr, "sim: out of memory (%zu bytes)\n", n);
		abort();
	}
	/* keep the aligned n bytes inside the n + align mapped; the rest back (the tail
	 * is never empty: a - p < align) */
	a = ((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1);
	if (a > (uintptr_t)p)
		munmap(p, a - (uintptr_t)p);
	munmap((void *)(a + n), (uintptr_t)p + align - a);
	(void)madvise((void *)a, n, MADV_HUGEPAGE); /* a hint: EINVAL without THP */
	return (void *)a;
}

static void huge_release(void *p, size_t n)
{
	munmap(p, n);
}

const struct ks_content_chunks ks_huge_chunks = { huge_alloc, huge_release };
