/* rbtree.c - intrusive red-black tree with the exact shapes of Linux lib/rbtree.c.
 *
 * Why: mm/ksm.c keeps its stable and unstable trees in kernel rbtrees and walks
 * them with memcmp_pages().  The number of page comparisons per lookup, and which
 * pages get compared, depend on the tree's shape, so the simulator must rebalance
 * exactly as the kernel does.  This file follows the kernel's algorithms case by
 * case (names of the cases as in lib/rbtree.c and include/linux/rbtree_augmented.h):
 *   - __rb_insert: parent black -> done; uncle red -> Case 1 (recolour, move up two
 *     levels); else Case 2 (rotate at parent, only for the zig-zag) then Case 3
 *     (rotate at grandparent);
 *   - __rb_erase_augmented: a node with at most one child is spliced out; a node
 *     with two children is replaced by its in-order successor (Case 2: the
 *     successor is the right child; Case 3: it is the leftmost node under the
 *     right child), with the same pointer and colour moves as the kernel;
 *   - ____rb_erase_color: Case 1 (red sibling: rotate at parent), Case 2 (black
 *     sibling with black children: recolour, maybe move up), Case 3 (rotate at the
 *     sibling), Case 4 (rotate at parent and recolour).
 * The kernel writes each fix-up twice, once per side.  Here each is written once
 * with a direction `dir` (the side the moving node is on) and its mirror `!dir`;
 * every link written and every colour set is the same as in the kernel's branch
 * for that side.
 *
 * Left out: augmented callbacks, RCU-safe publication (WRITE_ONCE), cached
 * leftmost roots and the rb_find/rb_add helpers: KSM uses none of them.
 *
 * Encoding (as the kernel): parent_color holds the parent pointer with the colour
 * in bit 0, 0 = red, 1 = black.  A freshly linked node is red, so its parent_color
 * is the bare parent pointer.  A node "not in a tree" points at itself.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rbtree.h"

enum ks_rb_color {
	KS_RB_RED = 0,   /* bit 0 clear */
	KS_RB_BLACK = 1, /* bit 0 set */
};

enum ks_rb_dir {
	KS_RB_LEFT = 0,  /* left child */
	KS_RB_RIGHT = 1, /* right child */
};

/* ---- small helpers (the kernel's rb_* / __rb_* inlines) ---- */

static inline struct ks_rb_node *pc_parent(uintptr_t pc)
{
	return (struct ks_rb_node *)(pc & ~(uintptr_t)3);
}

static inline bool pc_is_black(uintptr_t pc)
{
	return (pc & 1) == KS_RB_BLACK;
}

static inline bool rb_is_red(const struct ks_rb_node *n)
{
	return !pc_is_black(n->parent_color);
}

static inline bool rb_is_black(const struct ks_rb_node *n)
{
	return pc_is_black(n->parent_color);
}

/* Parent of a node known to be red: parent_color is the bare pointer. */
static inline struct ks_rb_node *rb_red_parent(const struct ks_rb_node *red)
{
	return (struct ks_rb_node *)red->parent_color;
}

static inline void rb_set_black(struct ks_rb_node *n)
{
	n->parent_color |= KS_RB_BLACK;
}

/* Changes the parent, keeps the colour. */
static inline void rb_set_parent(struct ks_rb_node *n, struct ks_rb_node *p)
{
	n->parent_color = (uintptr_t)p | (n->parent_color & 1);
}

static inline void rb_set_parent_color(struct ks_rb_node *n, struct ks_rb_node *p,
				       enum ks_rb_color color)
{
	n->parent_color = (uintptr_t)p | (uintptr_t)color;
}

/* The link to n's child on side dir (dir is KS_RB_LEFT or KS_RB_RIGHT). */
static inline struct ks_rb_node **rb_child(struct ks_rb_node *n, int dir)
{
	return dir == KS_RB_LEFT ? &n->left : &n->right;
}

/* Makes the link that pointed at old (in parent, or the root) point at new. */
static inline void rb_change_child(struct ks_rb_node *old, struct ks_rb_node *new,
				   struct ks_rb_node *parent, struct ks_rb_root *root)
{
	if (!parent)
		root->node = new;
	else if (parent->left == old)
		parent->left = new;
	else
		parent->right = new;
}

/* Rotation helper (__rb_rotate_set_parents): new takes old's parent and colour
 * and old's place under that parent; old becomes new's child with `color`.
 * The caller has already moved the child links. */
static void rb_rotate_set_parents(struct ks_rb_node *old, struct ks_rb_node *new,
				  struct ks_rb_root *root, enum ks_rb_color color)
{
	struct ks_rb_node *parent = ks_rb_parent(old);

	new->parent_color = old->parent_color;
	rb_set_parent_color(old, new, color);
	rb_change_child(old, new, parent, root);
}

/* ---- insertion (__rb_insert) ---- */

void ks_rb_link_node(struct ks_rb_node *node, struct ks_rb_node *parent,
		     struct ks_rb_node **link)
{
	node->parent_color = (uintptr_t)parent; /* red */
	node->left = NULL;
	node->right = NULL;
	*link = node;
}

void ks_rb_insert_color(struct ks_rb_node *node, struct ks_rb_root *root)
{
	struct ks_rb_node *parent = rb_red_parent(node);
	struct ks_rb_node *gparent, *uncle, *tmp;
	int dir; /* side of parent under gparent; the uncle is on !dir */

	for (;;) {
		/* Loop invariant: node is red. A red root turns black; a black
		 * parent means there is nothing to fix. */
		if (!parent) {
			rb_set_parent_color(node, NULL, KS_RB_BLACK);
			return;
		}
		if (rb_is_black(parent))
			return;

		gparent = rb_red_parent(parent); /* a red parent is never the root */
		dir = parent == gparent->right ? KS_RB_RIGHT : KS_RB_LEFT;
		uncle = *rb_child(gparent, !dir);
		if (uncle && rb_is_red(uncle)) {
			/* Case 1 - colour flips: parent and uncle turn black,
			 * gparent turns red and becomes the node to fix. */
			rb_set_parent_color(uncle, gparent, KS_RB_BLACK);
			rb_set_parent_color(parent, gparent, KS_RB_BLACK);
			node = gparent;
			parent = ks_rb_parent(node);
			rb_set_parent_color(node, parent, KS_RB_RED);
			continue;
		}

		if (node == *rb_child(parent, !dir)) {
			/* Case 2 - zig-zag: rotate at parent towards dir, so that
			 * the old parent becomes node's child on side dir. */
			tmp = *rb_child(node, dir);
			*rb_child(parent, !dir) = tmp;
			*rb_child(node, dir) = parent;
			if (tmp)
				rb_set_parent_color(tmp, parent, KS_RB_BLACK);
			rb_set_parent_color(parent, node, KS_RB_RED);
			parent = node;
		}

		/* Case 3 - rotate at gparent towards !dir: parent takes gparent's
		 * place and colour (black), gparent becomes its red child. */
		tmp = *rb_child(parent, !dir);
		*rb_child(gparent, dir) = tmp;
		*rb_child(parent, !dir) = gparent;
		if (tmp)
			rb_set_parent_color(tmp, gparent, KS_RB_BLACK);
		rb_rotate_set_parents(gparent, parent, root, KS_RB_RED);
		return;
	}
}

/* ---- erasure (__rb_erase_augmented + ____rb_erase_color) ---- */

/* Rebalances after a black node was removed under parent: every path through the
 * side being fixed has one black node fewer than the paths on the other side. */
static void rb_erase_color(struct ks_rb_node *parent, struct ks_rb_root *root)
{
	struct ks_rb_node *node = NULL, *sibling, *tmp1, *tmp2;
	int dir; /* side of node under parent; the sibling is on !dir */

	for (;;) {
		/* On the first pass node is NULL; the kernel tests it against
		 * parent->rb_right, and so do we. */
		dir = node == parent->right ? KS_RB_RIGHT : KS_RB_LEFT;
		sibling = *rb_child(parent, !dir);
		if (rb_is_red(sibling)) {
			/* Case 1 - rotate at parent towards dir: the red sibling
			 * becomes the subtree root, parent turns red, and the
			 * sibling's near child becomes the new (black) sibling. */
			tmp1 = *rb_child(sibling, dir);
			*rb_child(parent, !dir) = tmp1;
			*rb_child(sibling, dir) = parent;
			rb_set_parent_color(tmp1, parent, KS_RB_BLACK);
			rb_rotate_set_parents(parent, sibling, root, KS_RB_RED);
			sibling = tmp1;
		}
		tmp1 = *rb_child(sibling, !dir); /* far nephew */
		if (!tmp1 || rb_is_black(tmp1)) {
			tmp2 = *rb_child(sibling, dir); /* near nephew */
			if (!tmp2 || rb_is_black(tmp2)) {
				/* Case 2 - sibling colour flip; then parent turns
				 * black if it was red, else recurse at parent. */
				rb_set_parent_color(sibling, parent, KS_RB_RED);
				if (rb_is_red(parent)) {
					rb_set_black(parent);
					return;
				}
				node = parent;
				parent = ks_rb_parent(node);
				if (!parent)
					return;
				continue;
			}
			/* Case 3 - rotate at sibling towards !dir: the red near
			 * nephew becomes the sibling.  As in the kernel, the old
			 * sibling's and tmp2's parent words are set by Case 4. */
			tmp1 = *rb_child(tmp2, !dir);
			*rb_child(sibling, dir) = tmp1;
			*rb_child(tmp2, !dir) = sibling;
			*rb_child(parent, !dir) = tmp2;
			if (tmp1)
				rb_set_parent_color(tmp1, sibling, KS_RB_BLACK);
			tmp1 = sibling;
			sibling = tmp2;
		}
		/* Case 4 - rotate at parent towards dir and recolour: sibling takes
		 * parent's place and colour, parent and the far nephew turn black,
		 * the near nephew keeps its colour. */
		tmp2 = *rb_child(sibling, dir);
		*rb_child(parent, !dir) = tmp2;
		*rb_child(sibling, dir) = parent;
		rb_set_parent_color(tmp1, sibling, KS_RB_BLACK);
		if (tmp2)
			rb_set_parent(tmp2, parent);
		rb_rotate_set_parents(parent, sibling, root, KS_RB_BLACK);
		return;
	}
}

/* Erase of a node with two children: its in-order successor takes its place,
 * children and colour.  Returns the node to rebalance under, or NULL. */
static struct ks_rb_node *rb_erase_two_children(struct ks_rb_node *node,
						 struct ks_rb_root *root)
{
	struct ks_rb_node *child = node->right, *successor = child;
	struct ks_rb_node *parent, *child2, *tmp;
	uintptr_t pc, pc2;

	tmp = child->left;
	if (!tmp) {
		/* Case 2: the successor is node's right child; it keeps its
		 * right subtree (child2) and is where the black hole opens. */
		parent = successor;
		child2 = successor->right;
	} else {
		/* Case 3: the successor is the leftmost node under node's right
		 * child; its right subtree moves up into its old place. */
		do {
			parent = successor;
			successor = tmp;
			tmp = tmp->left;
		} while (tmp);
		child2 = successor->right;
		parent->left = child2;
		successor->right = child;
		rb_set_parent(child, successor);
	}

	tmp = node->left;
	successor->left = tmp;
	rb_set_parent(tmp, successor);

	pc = node->parent_color;
	rb_change_child(node, successor, pc_parent(pc), root);
	if (child2) {
		/* The successor's only child was red: blacken it, no rebalance. */
		successor->parent_color = pc;
		rb_set_parent_color(child2, parent, KS_RB_BLACK);
		return NULL;
	}
	pc2 = successor->parent_color;
	successor->parent_color = pc;
	return pc_is_black(pc2) ? parent : NULL;
}

/* Unlinks node; returns the parent to rebalance under (a black leaf was
 * removed), or NULL when colours could be fixed locally. */
static struct ks_rb_node *rb_erase_unlink(struct ks_rb_node *node, struct ks_rb_root *root)
{
	struct ks_rb_node *child = node->right, *left = node->left;
	struct ks_rb_node *parent;
	uintptr_t pc;

	if (!left) {
		/* Case 1: no left child.  A lone right child must be red and node
		 * black; the child takes node's parent and colour. */
		pc = node->parent_color;
		parent = pc_parent(pc);
		rb_change_child(node, child, parent, root);
		if (child) {
			child->parent_color = pc;
			return NULL;
		}
		return pc_is_black(pc) ? parent : NULL;
	}
	if (!child) {
		/* Still Case 1, with the lone child on the left. */
		pc = node->parent_color;
		left->parent_color = pc;
		rb_change_child(node, left, pc_parent(pc), root);
		return NULL;
	}
	return rb_erase_two_children(node, root);
}

void ks_rb_erase(struct ks_rb_node *node, struct ks_rb_root *root)
{
	struct ks_rb_node *rebalance = rb_erase_unlink(node, root);

	if (rebalance)
		rb_erase_color(rebalance, root);
}

/* ---- replacement, iteration, cleared nodes ---- */

void ks_rb_replace_node(struct ks_rb_node *victim, struct ks_rb_node *repl,
			struct ks_rb_root *root)
{
	struct ks_rb_node *parent = ks_rb_parent(victim);

	*repl = *victim; /* same parent, colour and children */
	if (victim->left)
		rb_set_parent(victim->left, repl);
	if (victim->right)
		rb_set_parent(victim->right, repl);
	rb_change_child(victim, repl, parent, root);
}

struct ks_rb_node *ks_rb_first(const struct ks_rb_root *root)
{
	struct ks_rb_node *n = root->node;

	if (!n)
		return NULL;
	while (n->left)
		n = n->left;
	return n;
}

struct ks_rb_node *ks_rb_last(const struct ks_rb_root *root)
{
	struct ks_rb_node *n = root->node;

	if (!n)
		return NULL;
	while (n->right)
		n = n->right;
	return n;
}

/* Next node on side dir (right: successor, left: predecessor): the extreme
 * node of the dir subtree, else the first ancestor we reach from side !dir. */
static struct ks_rb_node *rb_step(const struct ks_rb_node *node, int dir)
{
	struct ks_rb_node *n, *parent;

	if (ks_rb_empty_node(node))
		return NULL;
	n = *rb_child((struct ks_rb_node *)node, dir);
	if (n) {
		while (*rb_child(n, !dir))
			n = *rb_child(n, !dir);
		return n;
	}
	n = (struct ks_rb_node *)node;
	while ((parent = ks_rb_parent(n)) && n == *rb_child(parent, dir))
		n = parent;
	return parent;
}

struct ks_rb_node *ks_rb_next(const struct ks_rb_node *node)
{
	return rb_step(node, KS_RB_RIGHT);
}

struct ks_rb_node *ks_rb_prev(const struct ks_rb_node *node)
{
	return rb_step(node, KS_RB_LEFT);
}

void ks_rb_clear_node(struct ks_rb_node *node)
{
	node->parent_color = (uintptr_t)node;
}

int ks_rb_empty_node(const struct ks_rb_node *node)
{
	return node->parent_color == (uintptr_t)node;
}

/* ---- invariant check ---- */

/* Black height of the subtree at n (NULL counts 0), or -1 on a violation. */
static int rb_check_subtree(const struct ks_rb_node *n, const struct ks_rb_node *parent)
{
	int lh, rh;

	if (!n)
		return 0;
	if (ks_rb_parent(n) != parent || (n->parent_color & 2))
		return -1;
	if (rb_is_red(n) && ((n->left && rb_is_red(n->left)) ||
			     (n->right && rb_is_red(n->right))))
		return -1;
	lh = rb_check_subtree(n->left, n);
	rh = rb_check_subtree(n->right, n);
	if (lh < 0 || rh < 0 || lh != rh)
		return -1;
	return lh + (rb_is_black(n) ? 1 : 0);
}

int ks_rb_check(const struct ks_rb_root *root)
{
	if (root->node && !rb_is_black(root->node))
		return -1;
	return rb_check_subtree(root->node, NULL);
}
