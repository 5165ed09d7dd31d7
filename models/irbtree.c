/* irbtree.c - rbtree.c over 32-bit node indices (see irbtree.h).
 *
 * Every function below is its namesake in rbtree.c with a pointer replaced by an index
 * (NULL by 0, n->f by N(n)->f): the same cases in the same order, the same links
 * written and colours set, so a tree built by the same calls has the same shape
 * (tests/check_rbtree.c builds both side by side and compares them). The kernel's
 * cases are described in rbtree.c.
 *
 * Encoding: parent_color holds the parent's index shifted left by one, with the colour
 * in bit 0 (0 = red, 1 = black), so indices are below 2^31 (ks_ipool hands out no more).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "irbtree.h"

enum { RED = 0, BLACK = 1 };
enum { LEFT = 0, RIGHT = 1 };

#define N(i) ks_irb_node(t, (i))

static inline uint32_t pc_parent(uint32_t pc)
{
	return pc >> 1;
}

static inline bool pc_is_black(uint32_t pc)
{
	return (pc & 1) == BLACK;
}

static inline bool is_red(const struct ks_irb *t, uint32_t n)
{
	return !pc_is_black(N(n)->parent_color);
}

static inline bool is_black(const struct ks_irb *t, uint32_t n)
{
	return pc_is_black(N(n)->parent_color);
}

static inline void set_black(const struct ks_irb *t, uint32_t n)
{
	N(n)->parent_color |= BLACK;
}

/* Changes the parent, keeps the colour. */
static inline void set_parent(const struct ks_irb *t, uint32_t n, uint32_t p)
{
	N(n)->parent_color = p << 1 | (N(n)->parent_color & 1);
}

static inline void set_parent_color(const struct ks_irb *t, uint32_t n, uint32_t p,
				    uint32_t color)
{
	N(n)->parent_color = p << 1 | color;
}

/* The link to n's child on side dir. */
static inline uint32_t *child(const struct ks_irb *t, uint32_t n, int dir)
{
	return dir == LEFT ? &N(n)->left : &N(n)->right;
}

/* Makes the link that pointed at old (in parent, or the root) point at new. */
static inline void change_child(const struct ks_irb *t, uint32_t old, uint32_t new,
				uint32_t parent, struct ks_irb_root *root)
{
	if (!parent)
		root->node = new;
	else if (N(parent)->left == old)
		N(parent)->left = new;
	else
		N(parent)->right = new;
}

/* __rb_rotate_set_parents */
static void rotate_set_parents(const struct ks_irb *t, uint32_t old, uint32_t new,
			       struct ks_irb_root *root, uint32_t color)
{
	uint32_t parent = ks_irb_parent(N(old));

	N(new)->parent_color = N(old)->parent_color;
	set_parent_color(t, old, new, color);
	change_child(t, old, new, parent, root);
}

/* ---- insertion (__rb_insert) ---- */

void ks_irb_link_node(const struct ks_irb *t, uint32_t node, uint32_t parent,
		      uint32_t *link)
{
	N(node)->parent_color = parent << 1; /* red */
	N(node)->left = 0;
	N(node)->right = 0;
	*link = node;
}

void ks_irb_insert_color(const struct ks_irb *t, uint32_t node, struct ks_irb_root *root)
{
	uint32_t parent = ks_irb_parent(N(node)), gparent, uncle, tmp;
	int dir; /* side of parent under gparent; the uncle is on !dir */

	for (;;) {
		if (!parent) {
			set_parent_color(t, node, 0, BLACK);
			return;
		}
		if (is_black(t, parent))
			return;

		gparent = ks_irb_parent(N(parent));
		dir = parent == N(gparent)->right ? RIGHT : LEFT;
		uncle = *child(t, gparent, !dir);
		if (uncle && is_red(t, uncle)) {
			/* Case 1 - colour flips */
			set_parent_color(t, uncle, gparent, BLACK);
			set_parent_color(t, parent, gparent, BLACK);
			node = gparent;
			parent = ks_irb_parent(N(node));
			set_parent_color(t, node, parent, RED);
			continue;
		}

		if (node == *child(t, parent, !dir)) {
			/* Case 2 - zig-zag: rotate at parent towards dir */
			tmp = *child(t, node, dir);
			*child(t, parent, !dir) = tmp;
			*child(t, node, dir) = parent;
			if (tmp)
				set_parent_color(t, tmp, parent, BLACK);
			set_parent_color(t, parent, node, RED);
			parent = node;
		}

		/* Case 3 - rotate at gparent towards !dir */
		tmp = *child(t, parent, !dir);
		*child(t, gparent, dir) = tmp;
		*child(t, parent, !dir) = gparent;
		if (tmp)
			set_parent_color(t, tmp, gparent, BLACK);
		rotate_set_parents(t, gparent, parent, root, RED);
		return;
	}
}

/* ---- erasure (__rb_erase_augmented + ____rb_erase_color) ---- */

static void erase_color(const struct ks_irb *t, uint32_t parent, struct ks_irb_root *root)
{
	uint32_t node = 0, sibling, tmp1, tmp2;
	int dir; /* side of node under parent; the sibling is on !dir */

	for (;;) {
		dir = node == N(parent)->right ? RIGHT : LEFT;
		sibling = *child(t, parent, !dir);
		if (is_red(t, sibling)) {
			/* Case 1 - rotate at parent towards dir */
			tmp1 = *child(t, sibling, dir);
			*child(t, parent, !dir) = tmp1;
			*child(t, sibling, dir) = parent;
			set_parent_color(t, tmp1, parent, BLACK);
			rotate_set_parents(t, parent, sibling, root, RED);
			sibling = tmp1;
		}
		tmp1 = *child(t, sibling, !dir); /* far nephew */
		if (!tmp1 || is_black(t, tmp1)) {
			tmp2 = *child(t, sibling, dir); /* near nephew */
			if (!tmp2 || is_black(t, tmp2)) {
				/* Case 2 - sibling colour flip */
				set_parent_color(t, sibling, parent, RED);
				if (is_red(t, parent)) {
					set_black(t, parent);
					return;
				}
				node = parent;
				parent = ks_irb_parent(N(node));
				if (!parent)
					return;
				continue;
			}
			/* Case 3 - rotate at sibling towards !dir */
			tmp1 = *child(t, tmp2, !dir);
			*child(t, sibling, dir) = tmp1;
			*child(t, tmp2, !dir) = sibling;
			*child(t, parent, !dir) = tmp2;
			if (tmp1)
				set_parent_color(t, tmp1, sibling, BLACK);
			tmp1 = sibling;
			sibling = tmp2;
		}
		/* Case 4 - rotate at parent towards dir and recolour */
		tmp2 = *child(t, sibling, dir);
		*child(t, parent, !dir) = tmp2;
		*child(t, sibling, dir) = parent;
		set_parent_color(t, tmp1, sibling, BLACK);
		if (tmp2)
			set_parent(t, tmp2, parent);
		rotate_set_parents(t, parent, sibling, root, BLACK);
		return;
	}
}

static uint32_t erase_two_children(const struct ks_irb *t, uint32_t node,
				   struct ks_irb_root *root)
{
	uint32_t chld = N(node)->right, successor = chld;
	uint32_t parent, child2, tmp, pc, pc2;

	tmp = N(chld)->left;
	if (!tmp) {
		/* Case 2: the successor is node's right child */
		parent = successor;
		child2 = N(successor)->right;
	} else {
		/* Case 3: the leftmost node under node's right child */
		do {
			parent = successor;
			successor = tmp;
			tmp = N(tmp)->left;
		} while (tmp);
		child2 = N(successor)->right;
		N(parent)->left = child2;
		N(successor)->right = chld;
		set_parent(t, chld, successor);
	}

	tmp = N(node)->left;
	N(successor)->left = tmp;
	set_parent(t, tmp, successor);

	pc = N(node)->parent_color;
	change_child(t, node, successor, pc_parent(pc), root);
	if (child2) {
		N(successor)->parent_color = pc;
		set_parent_color(t, child2, parent, BLACK);
		return 0;
	}
	pc2 = N(successor)->parent_color;
	N(successor)->parent_color = pc;
	return pc_is_black(pc2) ? parent : 0;
}

static uint32_t erase_unlink(const struct ks_irb *t, uint32_t node, struct ks_irb_root *root)
{
	uint32_t chld = N(node)->right, left = N(node)->left, parent, pc;

	if (!left) {
		/* Case 1: no left child */
		pc = N(node)->parent_color;
		parent = pc_parent(pc);
		change_child(t, node, chld, parent, root);
		if (chld) {
			N(chld)->parent_color = pc;
			return 0;
		}
		return pc_is_black(pc) ? parent : 0;
	}
	if (!chld) {
		/* Still Case 1, with the lone child on the left */
		pc = N(node)->parent_color;
		N(left)->parent_color = pc;
		change_child(t, node, left, pc_parent(pc), root);
		return 0;
	}
	return erase_two_children(t, node, root);
}

void ks_irb_erase(const struct ks_irb *t, uint32_t node, struct ks_irb_root *root)
{
	uint32_t rebalance = erase_unlink(t, node, root);

	if (rebalance)
		erase_color(t, rebalance, root);
}

/* ---- iteration ---- */

uint32_t ks_irb_first(const struct ks_irb *t, const struct ks_irb_root *root)
{
	uint32_t n = root->node;

	if (!n)
		return 0;
	while (N(n)->left)
		n = N(n)->left;
	return n;
}

uint32_t ks_irb_next(const struct ks_irb *t, uint32_t node)
{
	uint32_t n = N(node)->right, parent;

	if (n) {
		while (N(n)->left)
			n = N(n)->left;
		return n;
	}
	n = node;
	while ((parent = ks_irb_parent(N(n))) && n == N(parent)->right)
		n = parent;
	return parent;
}

/* ---- invariant check ---- */

static int check_subtree(const struct ks_irb *t, uint32_t n, uint32_t parent)
{
	int lh, rh;

	if (!n)
		return 0;
	if (ks_irb_parent(N(n)) != parent)
		return -1;
	if (is_red(t, n) && ((N(n)->left && is_red(t, N(n)->left)) ||
			     (N(n)->right && is_red(t, N(n)->right))))
		return -1;
	lh = check_subtree(t, N(n)->left, n);
	rh = check_subtree(t, N(n)->right, n);
	if (lh < 0 || rh < 0 || lh != rh)
		return -1;
	return lh + (is_black(t, n) ? 1 : 0);
}

int ks_irb_check(const struct ks_irb *t, const struct ks_irb_root *root)
{
	if (root->node && !is_black(t, root->node))
		return -1;
	return check_subtree(t, root->node, 0);
}
