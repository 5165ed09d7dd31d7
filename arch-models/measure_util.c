/* measure_util.c - what every measurement of `sim calibrate` shares: the clock, a fixed
 * random sequence, the kernel-style memcmp, page pools, huge-page mappings, pointer
 * rings and repeated runs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "measure.h"
#include "models/base/xalloc.h"

volatile uint64_t km_sink; /* keeps results alive */

double km_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* The kernel's generic memcmp (lib/string.c with efficient unaligned access): compare
 * machine words while they are equal, then bytes. */
__attribute__((noinline)) int km_memcmp(const void *cs, const void *ct, size_t count)
{
	const unsigned char *a = cs, *b = ct;

	while (count >= sizeof(unsigned long)) {
		unsigned long x, y;

		memcpy(&x, a, sizeof(x));
		memcpy(&y, b, sizeof(y));
		if (x != y)
			break;
		a += sizeof(x);
		b += sizeof(x);
		count -= sizeof(x);
	}
	for (; count; count--, a++, b++)
		if (*a != *b)
			return *a < *b ? -1 : 1;
	return 0;
}


uint8_t *km_map_pages(size_t npages)
{
	void *m = mmap(NULL, npages * KM_PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);

	if (m == MAP_FAILED) {
		fprintf(stderr, "sim: out of memory (%zu bytes)\n", npages * KM_PG);
		abort();
	}
	madvise(m, npages * KM_PG, MADV_NOHUGEPAGE);
	return m;
}

void km_pool_init(struct km_pool *p, size_t npages, bool scattered)
{
	p->npages = npages;
	p->a = km_map_pages(npages);
	p->b = km_map_pages(npages);
	p->order = ks_xmalloc(npages * sizeof(*p->order));
	for (size_t i = 0; i < npages * KM_PG; i++)
		p->a[i] = p->b[i] = (uint8_t)(i * 131 + 7);
	for (size_t i = 0; i < npages; i++)
		p->order[i] = i;
	for (size_t i = npages - 1; scattered && i > 0; i--) {
		size_t j = km_rnd() % (i + 1), t = p->order[i];

		p->order[i] = p->order[j];
		p->order[j] = t;
	}
	p->next = 0;
}

size_t km_pool_next(struct km_pool *p)
{
	return p->order[p->next++ % p->npages];
}

void km_pool_fini(struct km_pool *p)
{
	munmap(p->a, p->npages * KM_PG);
	munmap(p->b, p->npages * KM_PG);
	free(p->order);
}
static uint64_t rng = 0x12345678abcdefull;

uint64_t km_rnd(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Memory mapped with huge pages where the kernel has them: the direct map through
 * which the kernel reads pages, struct pages and slab objects costs it no 4 KiB TLB
 * misses, so neither may the proxy's accesses to them. *base gets the mapping to unmap. */
uint8_t *km_map_huge(size_t bytes, void **base, size_t *len)
{
	size_t huge = (size_t)2 << 20;
	uint8_t *m;

	*len = bytes + huge;
	m = mmap(NULL, *len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED) {
		fprintf(stderr, "sim: out of memory (%zu bytes)\n", *len);
		abort();
	}
	*base = m;
	m = (uint8_t *)(((uintptr_t)m + huge - 1) & ~(uintptr_t)(huge - 1));
	madvise(m, bytes, MADV_HUGEPAGE);
	memset(m, 0, bytes);
	return m;
}
/* Links `ring` 64-byte cells of next[] (8 size_t each) into one cycle in a shuffled
 * order: next[cell * 8] is the index of the following cell's first word. */
void km_build_ring(size_t *next, size_t ring)
{
	size_t *perm = ks_xmalloc(ring * sizeof(*perm));

	for (size_t i = 0; i < ring; i++)
		perm[i] = i;
	for (size_t i = ring - 1; i > 0; i--) {
		size_t j = km_rnd() % (i + 1), tmp = perm[i];

		perm[i] = perm[j];
		perm[j] = tmp;
	}
	for (size_t i = 0; i < ring; i++)
		next[perm[i] * 8] = perm[(i + 1) % ring] * 8;
	free(perm);
}
/* ---- repeated measurements ---- */

int km_cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int km_repeat(double (*fn)(void *), void *arg, size_t n, struct km_stat *out,
		  struct ks_err *err)
{
	double *v = ks_xmalloc(n * sizeof(*v)), mean;
	int rc;

	for (size_t i = 0; i < n; i++)
		v[i] = fn(arg);
	rc = ks_fit_mean(v, n, &mean, &out->se, err);
	qsort(v, n, sizeof(*v), km_cmp_dbl);
	out->mean = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	out->n = n;
	free(v);
	return rc;
}
