/* rbtree.h - intrusive red-black tree with the shapes of Linux lib/rbtree.c.
 * Nodes are embedded in the caller's structs; callers walk and link as in the kernel:
 * find the link with their own comparison, then ks_rb_link_node + ks_rb_insert_color. */
#ifndef KS_RBTREE_H
#define KS_RBTREE_H

#include <stddef.h>
#include <stdint.h>

struct ks_rb_node {
	uintptr_t parent_color;     /* parent pointer | colour bit (1 = black) */
	struct ks_rb_node *right;
	struct ks_rb_node *left;
};

struct ks_rb_root {
	struct ks_rb_node *node;
};

#define KS_RB_ROOT ((struct ks_rb_root){ NULL })
#define ks_rb_entry(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))

static inline struct ks_rb_node *ks_rb_parent(const struct ks_rb_node *n)
{
	return (struct ks_rb_node *)(n->parent_color & ~(uintptr_t)3);
}

/* Links node as a child at *link under parent (colour red); then call insert_color. */
void ks_rb_link_node(struct ks_rb_node *node, struct ks_rb_node *parent,
		     struct ks_rb_node **link);
/* Rebalances after linking (lib/rbtree.c __rb_insert). */
void ks_rb_insert_color(struct ks_rb_node *node, struct ks_rb_root *root);
/* Erases node (two-child nodes are replaced by their in-order successor). */
void ks_rb_erase(struct ks_rb_node *node, struct ks_rb_root *root);
/* Puts victim's replacement in its exact place (same colour, same shape). */
void ks_rb_replace_node(struct ks_rb_node *victim, struct ks_rb_node *repl,
			struct ks_rb_root *root);
/* In-order iteration; NULL at the end. */
struct ks_rb_node *ks_rb_first(const struct ks_rb_root *root);
struct ks_rb_node *ks_rb_next(const struct ks_rb_node *node);
/* Reverse in-order iteration (rb_last / rb_prev); NULL at the end. */
struct ks_rb_node *ks_rb_last(const struct ks_rb_root *root);
struct ks_rb_node *ks_rb_prev(const struct ks_rb_node *node);
/* Marks a node as not in any tree, and tests for it. */
void ks_rb_clear_node(struct ks_rb_node *node);
int ks_rb_empty_node(const struct ks_rb_node *node);
/* Invariant check for tests/asserts: returns the black height (>= 0) of a valid tree,
 * or -1 if a red node has a red child, black heights differ, or parent links are wrong. */
int ks_rb_check(const struct ks_rb_root *root);

#endif
