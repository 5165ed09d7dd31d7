/* irbtree.h - the red-black tree of rbtree.h over 32-bit node indices: the same
 * algorithm, case by case, hence the same shapes (lib/rbtree.c's), with nodes of 12
 * bytes instead of 24. The nodes are embedded at a fixed offset in the objects of an
 * indexed pool (ipool.h); index 0 is no node (NULL). For trees of very many small
 * nodes: KSM's unstable tree holds up to one rmap_item per scanned page.
 * Callers walk and link as with rbtree.h: find the link with their own comparison
 * (ks_irb_node() gives a node from its index), then ks_irb_link_node +
 * ks_irb_insert_color. */
#ifndef KS_IRBTREE_H
#define KS_IRBTREE_H

#include <stddef.h>
#include <stdint.h>

#include "ipool.h"

struct ks_irb_node {
	uint32_t parent_color; /* parent index << 1 | colour bit (1 = black) */
	uint32_t right;        /* child indices, 0: none */
	uint32_t left;
};

struct ks_irb_root {
	uint32_t node;         /* index of the root, 0: empty tree */
};

/* Where the nodes are: objects of pool, each with its struct ks_irb_node at off. */
struct ks_irb {
	const struct ks_ipool *pool;
	size_t off;
};

static inline struct ks_irb_node *ks_irb_node(const struct ks_irb *t, uint32_t idx)
{
	return (struct ks_irb_node *)((char *)ks_ipool_ptr(t->pool, idx) + t->off);
}

static inline uint32_t ks_irb_parent(const struct ks_irb_node *n)
{
	return n->parent_color >> 1;
}

/* Links node as a child at *link under parent (colour red); then call insert_color. */
void ks_irb_link_node(const struct ks_irb *t, uint32_t node, uint32_t parent,
		      uint32_t *link);
/* Rebalances after linking (lib/rbtree.c __rb_insert). */
void ks_irb_insert_color(const struct ks_irb *t, uint32_t node, struct ks_irb_root *root);
/* Erases node (two-child nodes are replaced by their in-order successor). */
void ks_irb_erase(const struct ks_irb *t, uint32_t node, struct ks_irb_root *root);
/* In-order iteration; 0 at the end. */
uint32_t ks_irb_first(const struct ks_irb *t, const struct ks_irb_root *root);
uint32_t ks_irb_next(const struct ks_irb *t, uint32_t node);
/* Black height (>= 0) of a valid tree, or -1 (as ks_rb_check). */
int ks_irb_check(const struct ks_irb *t, const struct ks_irb_root *root);

#endif
