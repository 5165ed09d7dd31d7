/* ipool.h - a pool of fixed-size objects named by 32-bit indices instead of pointers.
 * Chunks of KS_IPOOL_CHUNK objects never move, so an index is found in two loads
 * (chunk, then slot) and an object's address stays valid while it is allocated. For
 * structures with very many small objects that link to each other (KSM's rmap_items:
 * one per scanned page), where a 4-byte index instead of an 8-byte pointer per link
 * is what the memory goes on. Index 0 is never handed out (it means none); indices stay
 * below 2^31 (irbtree.h keeps a colour bit beside one). */
#ifndef KS_IPOOL_H
#define KS_IPOOL_H

#include <stddef.h>
#include <stdint.h>

#define KS_IPOOL_SHIFT 14
#define KS_IPOOL_CHUNK (1u << KS_IPOOL_SHIFT)

struct ks_ipool {
	size_t objsize;      /* bytes per object (>= 4) */
	void **chunks;       /* chunk i holds objects i * KS_IPOOL_CHUNK ... */
	size_t nchunks, capchunks;
	uint32_t next;       /* objects handed out fresh so far, index 0 included */
	uint32_t free;       /* free list: first index, 0 if empty; a free object's first
			      * 4 bytes hold the next */
	size_t live;         /* objects currently allocated */
	uint32_t *by_addr;   /* chunk numbers sorted by chunk address (ks_ipool_index) */
};

static inline void *ks_ipool_ptr(const struct ks_ipool *p, uint32_t idx)
{
	return (char *)p->chunks[idx >> KS_IPOOL_SHIFT] +
	       (size_t)(idx & (KS_IPOOL_CHUNK - 1)) * p->objsize;
}

void ks_ipool_init(struct ks_ipool *p, size_t objsize);
/* A zeroed object, its index in *idx; aborts when memory or indices run out. */
void *ks_ipool_alloc(struct ks_ipool *p, uint32_t *idx);
void ks_ipool_free(struct ks_ipool *p, uint32_t idx);
/* The index of an allocated object from its address (a binary search of the chunks:
 * for the few places that hold an object by its address and must link to it). */
uint32_t ks_ipool_index(const struct ks_ipool *p, const void *obj);
void ks_ipool_fini(struct ks_ipool *p);

#endif
