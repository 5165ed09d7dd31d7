/* ipool.c - the indexed object pool (ipool.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ipool.h"
#include "models/base/xalloc.h"

#define IPOOL_MAX_INDEX (1u << 31) /* indices handed out stay below */

/* A new chunk, its number placed in by_addr by address (insertion: chunks are few). */
static void add_chunk(struct ks_ipool *p)
{
	char *c;
	size_t i;

	if (p->nchunks == p->capchunks) {
		p->capchunks = p->capchunks ? 2 * p->capchunks : 16;
		p->chunks = ks_xrealloc(p->chunks, p->capchunks * sizeof(void *));
		p->by_addr = ks_xrealloc(p->by_addr, p->capchunks * sizeof(uint32_t));
	}
	c = ks_xmalloc(p->objsize * KS_IPOOL_CHUNK);
	for (i = p->nchunks; i > 0 && (uintptr_t)p->chunks[p->by_addr[i - 1]] > (uintptr_t)c; i--)
		p->by_addr[i] = p->by_addr[i - 1];
	p->by_addr[i] = (uint32_t)p->nchunks;
	p->chunks[p->nchunks++] = c;
}

void ks_ipool_init(struct ks_ipool *p, size_t objsize)
{
	memset(p, 0, sizeof(*p));
	p->objsize = objsize < sizeof(uint32_t) ? sizeof(uint32_t) : objsize;
	p->next = 1; /* index 0 is none */
}

void *ks_ipool_alloc(struct ks_ipool *p, uint32_t *idx)
{
	void *obj;

	if (p->free) {
		*idx = p->free;
		obj = ks_ipool_ptr(p, *idx);
		memcpy(&p->free, obj, sizeof(p->free));
	} else {
		if (p->next == IPOOL_MAX_INDEX)
			ks_xmalloc(SIZE_MAX); /* 2 Gi objects: out of indices, fatal as OOM */
		if ((p->next >> KS_IPOOL_SHIFT) == p->nchunks)
			add_chunk(p);
		*idx = p->next++;
		obj = ks_ipool_ptr(p, *idx);
	}
	memset(obj, 0, p->objsize);
	p->live++;
	return obj;
}

void ks_ipool_free(struct ks_ipool *p, uint32_t idx)
{
	memcpy(ks_ipool_ptr(p, idx), &p->free, sizeof(p->free));
	p->free = idx;
	p->live--;
}

uint32_t ks_ipool_index(const struct ks_ipool *p, const void *obj)
{
	uintptr_t a = (uintptr_t)obj;
	size_t lo = 0, hi = p->nchunks; /* the chunk is the last by_addr[i] at or below a */
	uint32_t c;

	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if ((uintptr_t)p->chunks[p->by_addr[mid]] <= a)
			lo = mid;
		else
			hi = mid;
	}
	c = p->by_addr[lo];
	return (uint32_t)(c << KS_IPOOL_SHIFT) +
	       (uint32_t)((a - (uintptr_t)p->chunks[c]) / p->objsize);
}

void ks_ipool_fini(struct ks_ipool *p)
{
	for (size_t i = 0; i < p->nchunks; i++)
		free(p->chunks[i]);
	free(p->chunks);
	free(p->by_addr);
	memset(p, 0, sizeof(*p));
}
