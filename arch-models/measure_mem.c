/* measure_mem.c - memory-bound steps: compares, checksums and copies of 4 KiB pages,
 * dependent cold loads, an rwlock pair with dependent loads. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "measure.h"
#include "models/base/xalloc.h"

/* ns per compare of page pairs that first differ at `off` (KM_PG: equal): the first page of
 * each pair from `w` (cache-resident, as the page ksmd just checksummed), the second
 * from `p` (the tree's page). Every page holds the same bytes (km_pool_init's pattern
 * repeats every 4 KiB), so any page of w matches any page of p. Min of the trials. */
double km_time_compare(struct km_pool *w, struct km_pool *p, unsigned off, unsigned reps,
			   unsigned trials)
{
	double best = 1e30;

	for (size_t i = 0; i < p->npages; i++)
		if (off < KM_PG)
			p->b[i * KM_PG + off] = (uint8_t)(p->a[i * KM_PG + off] + 1);
	for (unsigned t = 0; t < trials; t++) {
		double t0 = km_now_ns(), d;
		int acc = 0;

		for (unsigned r = 0; r < reps; r++) {
			size_t i = km_pool_next(p);

			acc += km_memcmp(w->a + (i % w->npages) * KM_PG, p->b + i * KM_PG, KM_PG);
		}
		d = (km_now_ns() - t0) / reps;
		km_sink += (uint64_t)acc;
		if (d < best)
			best = d;
	}
	for (size_t i = 0; i < p->npages; i++)
		if (off < KM_PG)
			p->b[i * KM_PG + off] = p->a[i * KM_PG + off];
	return best;
}

double km_time_checksum(struct km_pool *p, enum ks_checksum_alg alg, unsigned reps)
{
	double t0 = km_now_ns();
	uint64_t acc = 0;

	for (unsigned r = 0; r < reps; r++)
		acc += ks_checksum(alg, p->a + km_pool_next(p) * KM_PG);
	km_sink += acc;
	return (km_now_ns() - t0) / reps;
}

double km_time_copy(struct km_pool *p, unsigned reps)
{
	double t0 = km_now_ns();

	for (unsigned r = 0; r < reps; r++) {
		size_t i = km_pool_next(p);

		memcpy(p->b + i * KM_PG, p->a + ((i * 7 + 3) % p->npages) * KM_PG, KM_PG);
	}
	km_sink += p->b[0];
	return (km_now_ns() - t0) / reps;
}

/* One dependent cold load as the kernel takes it: a pointer chase through a shuffled
 * ring of 64-byte cells in 64 MiB of huge-page memory (the direct map: no 4 KiB TLB
 * misses). ns per load. */
double km_time_chase(unsigned reps)
{
	size_t ring = (size_t)1 << 20, len, cur = 0;
	void *base;
	size_t *next = (size_t *)km_map_huge(ring * 64, &base, &len);
	double t0, d;

	km_build_ring(next, ring);
	t0 = km_now_ns();
	for (unsigned r = 0; r < reps; r++)
		cur = next[cur];
	d = (km_now_ns() - t0) / reps;
	km_sink += cur;
	munmap(base, len);
	return d;
}

/* An uncontended rwlock read pair plus `loads` dependent loads through a shuffled
 * pointer ring of 64-byte cells (a page-table walk's cache misses). */
double km_time_lock_walk(unsigned reps, unsigned loads, size_t ring)
{
	pthread_rwlock_t lk = PTHREAD_RWLOCK_INITIALIZER;
	size_t *next = ks_xmalloc(ring * 8 * sizeof(size_t));
	size_t cur = 0;
	double t0, d;

	km_build_ring(next, ring);
	t0 = km_now_ns();
	for (unsigned r = 0; r < reps; r++) {
		if (loads)
			pthread_rwlock_rdlock(&lk);
		for (unsigned l = 0; l < (loads ? loads : 1); l++)
			cur = next[cur];
		if (loads)
			pthread_rwlock_unlock(&lk);
	}
	d = (km_now_ns() - t0) / reps;
	km_sink += cur;
	free(next);
	return d;
}
