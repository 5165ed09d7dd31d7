/* huge_chunks.h - the content store's literal chunks as transparent huge pages. */
#ifndef KS_HUGE_CHUNKS_H
#define KS_HUGE_CHUNKS_H

#include "models/vocab/content.h"

/* An allocator for ks_content_store_set_chunks(): each chunk is an anonymous mapping
 * aligned to its size and marked MADV_HUGEPAGE. */
extern const struct ks_content_chunks ks_huge_chunks;

#endif
