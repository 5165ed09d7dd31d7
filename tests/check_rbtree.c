/* check_rbtree.c - tests for models/rbtree.c: invariants under random use, and the
 * exact tree shapes that Linux lib/rbtree.c produces (derived by hand below); and for
 * models/irbtree.c (the same tree over indices of models/ipool.c): the same shape as
 * rbtree.c's after every step of random inserts and erasures. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "models/ipool.h"
#include "models/irbtree.h"
#include "models/rbtree.h"

/* ---- test fixture: integer-keyed items ---- */

struct item {
	int key;               /* sort key */
	struct ks_rb_node rb;  /* tree linkage */
};

static struct item *item_of(const struct ks_rb_node *n)
{
	return ks_rb_entry(n, struct item, rb);
}

/* Inserts as a kernel caller does: descend (left if smaller, else right), link,
 * rebalance. */
static void tree_insert(struct ks_rb_root *root, struct item *it)
{
	struct ks_rb_node **link = &root->node, *parent = NULL;

	while (*link) {
		parent = *link;
		link = it->key < item_of(parent)->key ? &parent->left : &parent->right;
	}
	ks_rb_link_node(&it->rb, parent, link);
	ks_rb_insert_color(&it->rb, root);
}

/* Returns the item with `key`, or NULL; *ncmp counts key comparisons. */
static struct item *tree_find(const struct ks_rb_root *root, int key, int *ncmp)
{
	struct ks_rb_node *n = root->node;

	*ncmp = 0;
	while (n) {
		(*ncmp)++;
		if (key == item_of(n)->key)
			return item_of(n);
		n = key < item_of(n)->key ? n->left : n->right;
	}
	return NULL;
}

/* Appends the shape of the subtree at n: "key C" for a leaf, "key C(left,right)"
 * otherwise, "-" for a missing child; C is R or B. */
static void shape_append(const struct ks_rb_node *n, char *buf, size_t size)
{
	size_t len = strlen(buf);

	if (!n) {
		snprintf(buf + len, size - len, "-");
		return;
	}
	snprintf(buf + len, size - len, "%d%c", item_of(n)->key,
		 (n->parent_color & 1) ? 'B' : 'R');
	if (!n->left && !n->right)
		return;
	strncat(buf, "(", size - strlen(buf) - 1);
	shape_append(n->left, buf, size);
	strncat(buf, ",", size - strlen(buf) - 1);
	shape_append(n->right, buf, size);
	strncat(buf, ")", size - strlen(buf) - 1);
}

static const char *shape(const struct ks_rb_root *root)
{
	static char buf[4096];

	buf[0] = '\0';
	if (!root->node)
		return "";
	shape_append(root->node, buf, sizeof(buf));
	return buf;
}

/* A small deterministic PRNG (xorshift64*), local to the tests. */
static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

/* ---- shape scripts ----
 *
 * Each script is a list of steps: insert ('+') or erase ('-') a key, optionally
 * followed by the expected shape.  The shapes were worked out on paper by running
 * the kernel's algorithm (lib/rbtree.c) by hand; the derivations follow.
 * Notation: lower/upper = red/black; "ins" = __rb_insert, "era" =
 * __rb_erase_augmented, "ec" = ____rb_erase_color; "L"/"R" = the side parent
 * (insert) or node (erase) is on.
 *
 * ascending 1..7:
 *   +1 root -> black: 1B.   +2 parent 1 black: 1B(-,2R).
 *   +3 under 2 (R side), uncle NULL, node is outer -> Case 3 rotate at 1:
 *      2B(1R,3R).
 *   +4 under 3, uncle 1 red -> Case 1: 1,3 black, 2 red, 2 is root -> black:
 *      2B(1B,3B(-,4R)).
 *   +5 under 4, uncle NULL -> Case 3 rotate at 3: 2B(1B,4B(3R,5R)).
 *   +6 under 5, uncle 3 red -> Case 1: 3,5 black, 4 red; parent 2 black, stop:
 *      2B(1B,4R(3B,5B(-,6R))).
 *   +7 under 6, uncle NULL -> Case 3 rotate at 5: 2B(1B,4R(3B,6B(5R,7R))).
 * descending 7..1: the mirror image (insert is symmetric):
 *   6B(4R(2B(1R,3R),5B),7B).
 * zig-zag 3,1,2: +2 is the right child of 1 (L side) -> Case 2 rotate at 1, then
 *   Case 3 rotate at 3: 2B(1R,3R).  Mirror 1,3,2: same shape.
 *
 * script S: +8 +3 +12 +1 +5 +4 +6 +7 +2 +10 +14 +11 +9, then erasures.
 *   +8 +3 +12: 8B(3R,12R).
 *   +1 under 3, uncle 12 red -> Case 1, 8 root -> black: 8B(3B(1R,-),12B).
 *   +5 parent 3 black: 8B(3B(1R,5R),12B).
 *   +4 left of 5 (5 is R of 3), uncle 1 red -> Case 1: 1,5 black, 3 red;
 *      parent 8 black, stop: 8B(3R(1B,5B(4R,-)),12B).
 *   +6 parent 5 black: 8B(3R(1B,5B(4R,6R)),12B).
 *   +7 right of 6, uncle 4 red -> Case 1: 4,6 black, 5 red.  Now node 5, parent
 *      3 red (L of 8), uncle 12 black; 5 is 3's right child -> Case 2 rotate at
 *      3 (3.right = 4, 5.left = 3), then Case 3 rotate at 8 (8.left = 6,
 *      5.right = 8; 5 takes 8's black root slot, 8 red):
 *      5B(3R(1B,4B),8R(6B(-,7R),12B)).
 *   +2 right of 1 (black): 5B(3R(1B(-,2R),4B),8R(6B(-,7R),12B)).
 *   +10 left of 12 (black), +14 right of 12 (black):
 *      5B(3R(1B(-,2R),4B),8R(6B(-,7R),12B(10R,14R))).
 *   +11 right of 10, uncle 14 red -> Case 1: 10,14 black, 12 red; node 12,
 *      parent 8 red (R of 5), uncle 3 red -> Case 1: 3,8 black, 5 red; 5 root ->
 *      black: 5B(3B(1B(-,2R),4B),8B(6B(-,7R),12R(10B(-,11R),14B))).
 *   +9 left of 10 (black): 5B(3B(1B(-,2R),4B),8B(6B(-,7R),12R(10B(9R,11R),14B))).
 *   -5 two children, successor 6 is leftmost under 8 -> era Case 3: 8.left = 7,
 *      6.right = 8, 6.left = 3, 6 takes 5's root slot and colour; child2 7
 *      exists -> 7 black, no rebalance:
 *      6B(3B(1B(-,2R),4B),8B(7B,12R(10B(9R,11R),14B))).
 *   -1 no left child, right child 2 takes 1's place and colour:
 *      6B(3B(2B,4B),8B(7B,12R(10B(9R,11R),14B))).
 *   -4 black leaf -> ec at 3 (R side): sibling 2 black, nephews NULL -> Case 2:
 *      2 red; 3 black -> up: node 3, parent 6 (L side), sibling 8 black, far
 *      nephew 12 red -> Case 4 rotate at 6: 6.right = 7, 8.left = 6, 12 black,
 *      8 takes 6's root slot: 8B(6B(3B(2R,-),7B),12B(10B(9R,11R),14B)).
 *   -12 two children, successor 14 is the right child -> era Case 2: 14.left =
 *      10, 14 takes 12's place and colour (black); 14 had no child and was
 *      black -> ec at 14 (R side): sibling 10 black, far nephew 9 red -> Case 4
 *      rotate right at 14: 14.left = 11, 10.right = 14, 9 black, 10 takes 14's
 *      slot (black): 8B(6B(3B(2R,-),7B),10B(9B,14B(11R,-))).
 *   -7 black leaf -> ec at 6 (R side): sibling 3 black, far nephew 2 red ->
 *      Case 4 rotate right at 6: 3B takes 6's slot, 2 black:
 *      8B(3B(2B,6B),10B(9B,14B(11R,-))).
 *   -8 two children, successor 9 leftmost under 10 -> era Case 3: 10.left =
 *      NULL, 9.right = 10, 9.left = 3, 9 takes the root slot; 9 was a black
 *      leaf -> ec at 10 (L side): sibling 14 black, far nephew NULL, near
 *      nephew 11 red -> Case 3 rotate right at 14 (11 becomes the sibling),
 *      then Case 4 rotate left at 10: 11 takes 10's slot (black), 10 and 14
 *      black: 9B(3B(2B,6B),11B(10B,14B)).
 *   -2 black leaf -> ec at 3 (L side): sibling 6 black, no nephews -> Case 2: 6
 *      red; 3 black -> up: node 3, parent 9, sibling 11 black with black
 *      children -> Case 2: 11 red; 9 black -> up: 9 is the root, stop:
 *      9B(3B(-,6R),11R(10B,14B)).
 *   -6 red leaf, no rebalance: 9B(3B,11R(10B,14B)).
 *   -3 black leaf -> ec at 9 (L side): sibling 11 red -> Case 1 rotate left
 *      at 9: 9.right = 10, 11 takes the root slot (black), 9 red; sibling 10
 *      black, no nephews -> Case 2: 10 red; parent 9 red -> black, stop:
 *      11B(9B(-,10R),14B).
 *
 * script M (mirror-side erase cases): +5 +3 +7 +1 +4 +2, then erasures.
 *   +5 +3 +7: 5B(3R,7R).  +1 left of 3, uncle 7 red -> Case 1, root black:
 *   5B(3B(1R,-),7B).  +4 parent 3 black: 5B(3B(1R,4R),7B).
 *   +2 right of 1, uncle 4 red -> Case 1: 1,4 black, 3 red; parent 5 black:
 *      5B(3R(1B(-,2R),4B),7B).
 *   -2 red leaf: 5B(3R(1B,4B),7B).
 *   -7 black leaf -> ec at 5 (R side): sibling 3 red -> Case 1 rotate right at
 *      5: 5.left = 4, 3 takes the root slot (black), 5 red; sibling 4 black,
 *      no nephews -> Case 2: 4 red, parent 5 red -> black: 3B(1B,5B(4R,-)).
 *   -5 only a left child: 4 takes 5's place and colour: 3B(1B,4B).
 *
 * script N (erase Case 3 on the right side): +5 +2 +7 +3, -7.
 *   +5 +2 +7: 5B(2R,7R).  +3 right of 2, uncle 7 red -> Case 1, root black:
 *      5B(2B(-,3R),7B).
 *   -7 black leaf -> ec at 5 (R side): sibling 2 black, far nephew (2.left)
 *      NULL, near nephew 3 red -> Case 3 rotate left at 2 (3 becomes the
 *      sibling), Case 4 rotate right at 5: 3 takes the root slot (black), 2 and
 *      5 black: 3B(2B,5B).
 *
 * script C (era Case 2 with a child): +1 +2 +3 +4 gives 2B(1B,3B(-,4R)).
 *   -2 successor 3 is the right child and has right child 4 -> 3 takes the root
 *      slot and colour, 4 black, no rebalance: 3B(1B,4B).
 */

struct step {
	char op;            /* '+' insert, '-' erase */
	int key;            /* item key */
	const char *expect; /* shape afterwards, or NULL (not checked) */
};

#define KS_SCRIPT_MAX 32

struct script {
	const char *name;                  /* for failure messages */
	struct step steps[KS_SCRIPT_MAX];  /* ends at op == 0 */
};

static const struct script scripts[] = {
	{ "ascending", {
		{ '+', 1, "1B" }, { '+', 2, "1B(-,2R)" }, { '+', 3, "2B(1R,3R)" },
		{ '+', 4, "2B(1B,3B(-,4R))" }, { '+', 5, "2B(1B,4B(3R,5R))" },
		{ '+', 6, "2B(1B,4R(3B,5B(-,6R)))" },
		{ '+', 7, "2B(1B,4R(3B,6B(5R,7R)))" },
	} },
	{ "descending", {
		{ '+', 7, NULL }, { '+', 6, NULL }, { '+', 5, NULL }, { '+', 4, NULL },
		{ '+', 3, NULL }, { '+', 2, NULL },
		{ '+', 1, "6B(4R(2B(1R,3R),5B),7B)" },
	} },
	{ "zigzag-left", {
		{ '+', 3, NULL }, { '+', 1, "3B(1R,-)" }, { '+', 2, "2B(1R,3R)" },
	} },
	{ "zigzag-right", {
		{ '+', 1, NULL }, { '+', 3, "1B(-,3R)" }, { '+', 2, "2B(1R,3R)" },
	} },
	{ "S", {
		{ '+', 8, NULL }, { '+', 3, NULL }, { '+', 12, "8B(3R,12R)" },
		{ '+', 1, "8B(3B(1R,-),12B)" }, { '+', 5, "8B(3B(1R,5R),12B)" },
		{ '+', 4, "8B(3R(1B,5B(4R,-)),12B)" },
		{ '+', 6, "8B(3R(1B,5B(4R,6R)),12B)" },
		{ '+', 7, "5B(3R(1B,4B),8R(6B(-,7R),12B))" },
		{ '+', 2, "5B(3R(1B(-,2R),4B),8R(6B(-,7R),12B))" },
		{ '+', 10, NULL },
		{ '+', 14, "5B(3R(1B(-,2R),4B),8R(6B(-,7R),12B(10R,14R)))" },
		{ '+', 11, "5B(3B(1B(-,2R),4B),8B(6B(-,7R),12R(10B(-,11R),14B)))" },
		{ '+', 9, "5B(3B(1B(-,2R),4B),8B(6B(-,7R),12R(10B(9R,11R),14B)))" },
		{ '-', 5, "6B(3B(1B(-,2R),4B),8B(7B,12R(10B(9R,11R),14B)))" },
		{ '-', 1, "6B(3B(2B,4B),8B(7B,12R(10B(9R,11R),14B)))" },
		{ '-', 4, "8B(6B(3B(2R,-),7B),12B(10B(9R,11R),14B))" },
		{ '-', 12, "8B(6B(3B(2R,-),7B),10B(9B,14B(11R,-)))" },
		{ '-', 7, "8B(3B(2B,6B),10B(9B,14B(11R,-)))" },
		{ '-', 8, "9B(3B(2B,6B),11B(10B,14B))" },
		{ '-', 2, "9B(3B(-,6R),11R(10B,14B))" },
		{ '-', 6, "9B(3B,11R(10B,14B))" },
		{ '-', 3, "11B(9B(-,10R),14B)" },
	} },
	{ "M", {
		{ '+', 5, NULL }, { '+', 3, NULL }, { '+', 7, "5B(3R,7R)" },
		{ '+', 1, "5B(3B(1R,-),7B)" }, { '+', 4, "5B(3B(1R,4R),7B)" },
		{ '+', 2, "5B(3R(1B(-,2R),4B),7B)" },
		{ '-', 2, "5B(3R(1B,4B),7B)" },
		{ '-', 7, "3B(1B,5B(4R,-))" },
		{ '-', 5, "3B(1B,4B)" },
	} },
	{ "N", {
		{ '+', 5, NULL }, { '+', 2, NULL }, { '+', 7, "5B(2R,7R)" },
		{ '+', 3, "5B(2B(-,3R),7B)" },
		{ '-', 7, "3B(2B,5B)" },
	} },
	{ "C", {
		{ '+', 1, NULL }, { '+', 2, NULL }, { '+', 3, NULL },
		{ '+', 4, "2B(1B,3B(-,4R))" },
		{ '-', 2, "3B(1B,4B)" },
	} },
};

#define KS_NSCRIPTS ((int)(sizeof(scripts) / sizeof(scripts[0])))
#define KS_KEY_MAX 64 /* keys in scripts are 1..KS_KEY_MAX-1 */

/* Runs one script step on root with items indexed by key. */
static void script_apply(struct ks_rb_root *root, struct item *items, const struct step *st)
{
	int ncmp;

	ck_assert_int_lt(st->key, KS_KEY_MAX);
	if (st->op == '+') {
		items[st->key].key = st->key;
		tree_insert(root, &items[st->key]);
	} else {
		ck_assert_ptr_eq(tree_find(root, st->key, &ncmp), &items[st->key]);
		ks_rb_erase(&items[st->key].rb, root);
	}
}

START_TEST(test_rbtree_kernel_shapes)
{
	const struct script *sc = &scripts[_i];
	struct ks_rb_root root = KS_RB_ROOT;
	struct item items[KS_KEY_MAX];
	const struct step *st;

	for (st = sc->steps; st->op; st++) {
		script_apply(&root, items, st);
		ck_assert_msg(ks_rb_check(&root) >= 0, "%s: invalid after %c%d",
			      sc->name, st->op, st->key);
		if (st->expect)
			ck_assert_msg(strcmp(shape(&root), st->expect) == 0,
				      "%s: after %c%d got %s, want %s", sc->name,
				      st->op, st->key, shape(&root), st->expect);
	}
}
END_TEST

/* Lookups follow the shape: in script S's full tree
 * 5B(3B(1B(-,2R),4B),8B(6B(-,7R),12R(10B(9R,11R),14B))) finding 9 compares with
 * 5, 8, 12, 10, 9; finding 5 compares once; a miss for 13 compares with 5, 8,
 * 12, 14. */
START_TEST(test_rbtree_lookup_compare_count)
{
	static const int keys[] = { 8, 3, 12, 1, 5, 4, 6, 7, 2, 10, 14, 11, 9 };
	struct ks_rb_root root = KS_RB_ROOT;
	struct item items[13];
	int ncmp;
	size_t i;

	for (i = 0; i < 13; i++) {
		items[i].key = keys[i];
		tree_insert(&root, &items[i]);
	}
	ck_assert_ptr_eq(tree_find(&root, 9, &ncmp), &items[12]);
	ck_assert_int_eq(ncmp, 5);
	ck_assert_ptr_eq(tree_find(&root, 5, &ncmp), &items[4]);
	ck_assert_int_eq(ncmp, 1);
	ck_assert_ptr_null(tree_find(&root, 13, &ncmp));
	ck_assert_int_eq(ncmp, 4);
	ck_assert_int_eq(ks_rb_check(&root), 3);
}
END_TEST

/* ---- random operations against a reference set ---- */

#define KS_RAND_KEYS 300
#define KS_RAND_OPS 4000

static int tree_height(const struct ks_rb_node *n)
{
	int l, r;

	if (!n)
		return 0;
	l = tree_height(n->left);
	r = tree_height(n->right);
	return 1 + (l > r ? l : r);
}

/* In-order (forward and backward) walks must list exactly the present keys, and the
 * shape must be a valid red-black tree. Returns NULL, or what is wrong. Plain checks, one
 * ck_assert per call: Check records every assertion through a pipe, and 4000 ops with
 * hundreds of assertions each took seconds of system time. */
static const char *reference_mismatch(const struct ks_rb_root *root, const bool *present,
				      int count)
{
	const struct ks_rb_node *n;
	int k, seen = 0, bh, lim;

	n = ks_rb_first(root);
	for (k = 0; k < KS_RAND_KEYS; k++) {
		if (!present[k])
			continue;
		if (!n || item_of(n)->key != k)
			return "forward walk differs from the reference";
		n = ks_rb_next(n);
		seen++;
	}
	if (n || seen != count)
		return "forward walk has extra nodes";
	n = ks_rb_last(root);
	for (k = KS_RAND_KEYS - 1; k >= 0; k--) {
		if (!present[k])
			continue;
		if (!n || item_of(n)->key != k)
			return "backward walk differs from the reference";
		n = ks_rb_prev(n);
	}
	if (n)
		return "backward walk has extra nodes";
	bh = ks_rb_check(root);
	if (bh < 0)
		return "red-black rules violated";
	/* height <= 2 * black height, and 2^bh - 1 <= count */
	if (tree_height(root->node) > 2 * bh)
		return "taller than twice the black height";
	for (lim = 1; bh > 0; bh--)
		lim *= 2;
	if (lim - 1 > count)
		return "black height too large for the node count";
	return NULL;
}

static void check_against_reference(const struct ks_rb_root *root, const bool *present,
				    int count)
{
	const char *bad = reference_mismatch(root, present, count);

	ck_assert_msg(bad == NULL, "%s (count %d)", bad ? bad : "", count);
}

START_TEST(test_rbtree_random_ops)
{
	static const uint64_t seeds[] = { 1, 42, 0x9e3779b97f4a7c15ULL, 20240601 };
	struct item *items = calloc(KS_RAND_KEYS, sizeof(*items));
	bool present[KS_RAND_KEYS] = { false };
	struct ks_rb_root root = KS_RB_ROOT;
	uint64_t s = seeds[_i];
	int op, k, count = 0, ncmp;

	ck_assert_ptr_nonnull(items);
	for (op = 0; op < KS_RAND_OPS; op++) {
		/* bias towards inserts in the first half, erases in the second */
		k = (int)(rng_next(&s) % KS_RAND_KEYS);
		if (!present[k] && (op < KS_RAND_OPS / 2 || rng_next(&s) % 3 == 0)) {
			items[k].key = k;
			tree_insert(&root, &items[k]);
			present[k] = true;
			count++;
		} else if (present[k]) {
			ck_assert_ptr_eq(tree_find(&root, k, &ncmp), &items[k]);
			ks_rb_erase(&items[k].rb, &root);
			ks_rb_clear_node(&items[k].rb);
			present[k] = false;
			count--;
		}
		check_against_reference(&root, present, count);
	}
	for (k = 0; k < KS_RAND_KEYS; k++) {
		if (!present[k])
			continue;
		ks_rb_erase(&items[k].rb, &root);
		present[k] = false;
		check_against_reference(&root, present, --count);
	}
	ck_assert_ptr_null(root.node);
	free(items);
}
END_TEST

/* ---- the index tree (irbtree.c) against the pointer tree ---- */

struct iitem {
	int key;
	struct ks_irb_node rb;
};

static void ishape_append(const struct ks_irb *t, uint32_t n, char *buf, size_t size)
{
	size_t len = strlen(buf);
	const struct ks_irb_node *nd;

	if (!n) {
		snprintf(buf + len, size - len, "-");
		return;
	}
	nd = ks_irb_node(t, n);
	snprintf(buf + len, size - len, "%d%c",
		 ((const struct iitem *)ks_ipool_ptr(t->pool, n))->key,
		 (nd->parent_color & 1) ? 'B' : 'R');
	if (!nd->left && !nd->right)
		return;
	strncat(buf, "(", size - strlen(buf) - 1);
	ishape_append(t, nd->left, buf, size);
	strncat(buf, ",", size - strlen(buf) - 1);
	ishape_append(t, nd->right, buf, size);
	strncat(buf, ")", size - strlen(buf) - 1);
}

/* Random inserts and erasures of the same keys in the same order into a ks_rb tree
 * and a ks_irb tree (nodes in an ipool, allocated in a shuffled order so that indices
 * do not follow keys): after every step the same shape and colours, a valid tree,
 * in-order iteration in key order; ks_ipool_index() finds every node's index. */
START_TEST(test_irbtree_same_shapes)
{
	enum { KEYS = 200, OPS = 3000 };
	static const uint64_t seeds[] = { 7, 1234567, 0xdeadbeefULL };
	static char want[1 << 15], got[1 << 15];
	struct item *items = calloc(KEYS, sizeof(*items));
	uint32_t idx[KEYS];
	struct ks_ipool pool;
	struct ks_irb t = { &pool, offsetof(struct iitem, rb) };
	struct ks_rb_root root = KS_RB_ROOT;
	struct ks_irb_root iroot = { 0 };
	uint64_t s = seeds[_i];
	bool present[KEYS] = { false };

	ck_assert_ptr_nonnull(items);
	ks_ipool_init(&pool, sizeof(struct iitem));
	for (int k = 0; k < KEYS; k++) {
		struct iitem *it = ks_ipool_alloc(&pool, &idx[k]);

		it->key = k;
		items[k].key = k;
		ck_assert_uint_eq(ks_ipool_index(&pool, it), idx[k]);
	}
	for (int op = 0; op < OPS; op++) {
		int k = (int)(rng_next(&s) % KEYS);

		if (!present[k] && (op < OPS / 2 || rng_next(&s) % 3 == 0)) {
			uint32_t *link = &iroot.node, parent = 0;

			while (*link) {
				const struct iitem *p = ks_ipool_ptr(&pool, *link);

				parent = *link;
				link = k < p->key ? &ks_irb_node(&t, parent)->left
						  : &ks_irb_node(&t, parent)->right;
			}
			ks_irb_link_node(&t, idx[k], parent, link);
			ks_irb_insert_color(&t, idx[k], &iroot);
			tree_insert(&root, &items[k]);
			present[k] = true;
		} else if (present[k]) {
			ks_irb_erase(&t, idx[k], &iroot);
			ks_rb_erase(&items[k].rb, &root);
			present[k] = false;
		}
		snprintf(want, sizeof(want), "%s", shape(&root));
		got[0] = '\0';
		if (iroot.node)
			ishape_append(&t, iroot.node, got, sizeof(got));
		ck_assert_msg(!strcmp(want, got), "seed %d step %d: %s vs %s", _i, op, want, got);
		ck_assert_int_eq(ks_irb_check(&t, &iroot), ks_rb_check(&root));
	}
	for (uint32_t n = ks_irb_first(&t, &iroot), last = 0, c = 0; n; n = ks_irb_next(&t, n), c++) {
		const struct iitem *it = ks_ipool_ptr(&pool, n);

		ck_assert(c == 0 || it->key > (int)last);
		last = (uint32_t)it->key;
	}
	ks_ipool_fini(&pool);
	free(items);
}
END_TEST

/* The pool: indices from 1, freed ones reused (last freed first), objects zeroed, an
 * object's index from its address across several chunks. */
START_TEST(test_ipool_indices)
{
	struct ks_ipool pool;
	uint32_t a, b, c, n = 3 * KS_IPOOL_CHUNK + 5;
	uint32_t *v;

	ks_ipool_init(&pool, 12);
	v = ks_ipool_alloc(&pool, &a);
	ck_assert_uint_eq(a, 1);
	*v = 77;
	ks_ipool_alloc(&pool, &b);
	ck_assert_uint_eq(b, 2);
	ks_ipool_free(&pool, a);
	v = ks_ipool_alloc(&pool, &c);
	ck_assert_uint_eq(c, 1);
	ck_assert_uint_eq(*v, 0);
	for (uint32_t i = 3; i < n; i++) {
		void *o = ks_ipool_alloc(&pool, &c);

		ck_assert_uint_eq(c, i);
		ck_assert_uint_eq(ks_ipool_index(&pool, o), i);
	}
	for (uint32_t i = 1; i < n; i += 997)
		ck_assert_uint_eq(ks_ipool_index(&pool, ks_ipool_ptr(&pool, i)), i);
	ck_assert_uint_eq(pool.live, n - 1);
	ks_ipool_fini(&pool);
}
END_TEST

/* ---- replace, clear/empty ---- */

/* Replacing every node keeps the shape and colours, and the tree then behaves
 * exactly like an untouched twin under the same erasures. */
START_TEST(test_rbtree_replace_keeps_shape)
{
	const struct script *sc = &scripts[4]; /* "S" */
	struct ks_rb_root a = KS_RB_ROOT, b = KS_RB_ROOT;
	struct item ia[KS_KEY_MAX], ib[KS_KEY_MAX], repl[KS_KEY_MAX];
	char before[4096];
	const struct step *st;
	int ncmp;

	ck_assert_str_eq(sc->name, "S");
	for (st = sc->steps; st->op == '+'; st++) {
		script_apply(&a, ia, st);
		script_apply(&b, ib, st);
	}
	for (st = sc->steps; st->op == '+'; st++) {
		snprintf(before, sizeof(before), "%s", shape(&b));
		repl[st->key].key = st->key;
		ks_rb_replace_node(&ib[st->key].rb, &repl[st->key].rb, &b);
		ck_assert_str_eq(shape(&b), before);
		ck_assert_int_ge(ks_rb_check(&b), 0);
		ck_assert_ptr_eq(tree_find(&b, st->key, &ncmp), &repl[st->key]);
	}
	snprintf(before, sizeof(before), "%s", shape(&a));
	ck_assert_str_eq(shape(&b), before);
	for (; st->op == '-'; st++) {
		ks_rb_erase(&ia[st->key].rb, &a);
		ks_rb_erase(&repl[st->key].rb, &b);
		snprintf(before, sizeof(before), "%s", shape(&a));
		ck_assert_str_eq(shape(&b), before);
		ck_assert_str_eq(before, st->expect);
	}
}
END_TEST

START_TEST(test_rbtree_clear_and_empty)
{
	struct ks_rb_root root = KS_RB_ROOT;
	struct item it[3] = { { .key = 1 }, { .key = 2 }, { .key = 3 } };
	int i;

	for (i = 0; i < 3; i++) {
		ks_rb_clear_node(&it[i].rb);
		ck_assert(ks_rb_empty_node(&it[i].rb));
	}
	for (i = 0; i < 3; i++)
		tree_insert(&root, &it[i]);
	for (i = 0; i < 3; i++)
		ck_assert(!ks_rb_empty_node(&it[i].rb)); /* the root too */
	ks_rb_erase(&it[1].rb, &root);
	ks_rb_clear_node(&it[1].rb);
	ck_assert(ks_rb_empty_node(&it[1].rb));
	ck_assert_ptr_null(ks_rb_next(&it[1].rb)); /* as the kernel: no walk */
	ck_assert_ptr_null(ks_rb_prev(&it[1].rb));
	/* -2: the successor 3 (a red leaf, right child) takes the root slot and
	 * colour; no rebalance since it was red */
	ck_assert_str_eq(shape(&root), "3B(1R,-)");
	ck_assert(!ks_rb_empty_node(&it[0].rb));
}
END_TEST

/* ---- edges ---- */

START_TEST(test_rbtree_empty_tree)
{
	struct ks_rb_root root = KS_RB_ROOT;
	struct item one = { .key = 7 };

	ck_assert_ptr_null(ks_rb_first(&root));
	ck_assert_ptr_null(ks_rb_last(&root));
	ck_assert_int_eq(ks_rb_check(&root), 0);
	tree_insert(&root, &one);
	ck_assert_ptr_eq(ks_rb_first(&root), &one.rb);
	ck_assert_ptr_eq(ks_rb_last(&root), &one.rb);
	ck_assert_ptr_null(ks_rb_next(&one.rb));
	ck_assert_ptr_null(ks_rb_prev(&one.rb));
	ck_assert_int_eq(ks_rb_check(&root), 1);
	ks_rb_erase(&one.rb, &root);
	ck_assert_ptr_null(root.node);
	ck_assert_int_eq(ks_rb_check(&root), 0);
}
END_TEST

START_TEST(test_rbtree_replace_root_and_leaf)
{
	struct ks_rb_root root = KS_RB_ROOT;
	struct item it[3] = { { .key = 1 }, { .key = 2 }, { .key = 3 } };
	struct item r2 = { .key = 2 }, r3 = { .key = 3 };
	int i;

	for (i = 0; i < 3; i++)
		tree_insert(&root, &it[i]); /* 2B(1R,3R) */
	ks_rb_replace_node(&it[1].rb, &r2.rb, &root);
	ck_assert_ptr_eq(root.node, &r2.rb);
	ck_assert_ptr_eq(ks_rb_parent(&it[0].rb), &r2.rb);
	ks_rb_replace_node(&it[2].rb, &r3.rb, &root);
	ck_assert_ptr_eq(r2.rb.right, &r3.rb);
	ck_assert_str_eq(shape(&root), "2B(1R,3R)");
	ck_assert_int_eq(ks_rb_check(&root), 1);
}
END_TEST

/* ---- errors: the checker catches broken trees ---- */

/* Hand-links n under p (NULL: as the root) as its left (left = 1) or right
 * child, coloured black (black = 1) or red. */
static void hand_link(struct item *n, struct item *p, int left, int black)
{
	n->rb.parent_color = (uintptr_t)(p ? &p->rb : NULL) | (uintptr_t)black;
	n->rb.left = NULL;
	n->rb.right = NULL;
	if (p) {
		if (left)
			p->rb.left = &n->rb;
		else
			p->rb.right = &n->rb;
	}
}

START_TEST(test_rbtree_check_detects_violations)
{
	struct item a = { .key = 2 }, b = { .key = 1 }, c = { .key = 3 }, d = { .key = 0 };
	struct ks_rb_root root = { &a.rb };

	/* valid: 2B(1R,3R) has black height 1; 2B(1B,3B) has 2 */
	hand_link(&a, NULL, 0, 1);
	hand_link(&b, &a, 1, 0);
	hand_link(&c, &a, 0, 0);
	ck_assert_int_eq(ks_rb_check(&root), 1);
	hand_link(&b, &a, 1, 1);
	hand_link(&c, &a, 0, 1);
	ck_assert_int_eq(ks_rb_check(&root), 2);

	/* red root */
	a.rb.parent_color = 0;
	ck_assert_int_eq(ks_rb_check(&root), -1);
	a.rb.parent_color = 1;

	/* unequal black heights: 2B(1B,-) */
	a.rb.right = NULL;
	ck_assert_int_eq(ks_rb_check(&root), -1);

	/* red node with a red child: 2B(1R(0R,-),3R) */
	hand_link(&b, &a, 1, 0);
	hand_link(&c, &a, 0, 0);
	hand_link(&d, &b, 1, 0);
	ck_assert_int_eq(ks_rb_check(&root), -1);

	/* wrong parent pointer: 2B(1R,3R) with 3 pointing at 1 */
	b.rb.left = NULL;
	ck_assert_int_eq(ks_rb_check(&root), 1);
	c.rb.parent_color = (uintptr_t)&b.rb;
	ck_assert_int_eq(ks_rb_check(&root), -1);
}
END_TEST

Suite *ks_test_suite(void); /* called by check_main.c */

Suite *ks_test_suite(void)
{
	Suite *s = suite_create("rbtree");
	TCase *core = tcase_create("core");
	TCase *edges = tcase_create("edges");
	TCase *errors = tcase_create("errors");

	tcase_add_loop_test(core, test_rbtree_kernel_shapes, 0, KS_NSCRIPTS);
	tcase_add_test(core, test_rbtree_lookup_compare_count);
	tcase_add_loop_test(core, test_rbtree_random_ops, 0, 4);
	tcase_add_test(core, test_rbtree_replace_keeps_shape);
	tcase_add_test(core, test_rbtree_clear_and_empty);
	tcase_add_loop_test(core, test_irbtree_same_shapes, 0, 3);
	tcase_add_test(core, test_ipool_indices);
	suite_add_tcase(s, core);

	tcase_add_test(edges, test_rbtree_empty_tree);
	tcase_add_test(edges, test_rbtree_replace_root_and_leaf);
	suite_add_tcase(s, edges);

	tcase_add_test(errors, test_rbtree_check_detects_violations);
	suite_add_tcase(s, errors);
	return s;
}
