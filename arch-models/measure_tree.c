/* measure_tree.c - red-black tree searches and inserts (models/rbtree.c), and tree
 * walks as ksmd takes them, by working-set size, with their hot/cold fit. */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "measure.h"
#include "models/base/xalloc.h"
#include "models/rbtree.h"

/* ---- rbtree ---- */

struct km_tnode {
	struct ks_rb_node rb;
	uint64_t key;
	uint8_t pad[40];   /* about a stable_node / rmap_item */
};
/* Inserts n; adds the time of the link + rebalance alone (what the kernel does after
 * its search found the place, as unstable_tree_search_insert) to *link_ns. */
static unsigned km_tree_insert(struct ks_rb_root *root, struct km_tnode *n, double *link_ns)
{
	struct ks_rb_node **link = &root->node, *parent = NULL;
	unsigned visits = 0;
	double t0;

	while (*link) {
		struct km_tnode *t = ks_rb_entry(*link, struct km_tnode, rb);

		parent = *link;
		visits++;
		link = n->key < t->key ? &(*link)->left : &(*link)->right;
	}
	t0 = km_now_ns();
	ks_rb_link_node(&n->rb, parent, link);
	ks_rb_insert_color(&n->rb, root);
	*link_ns += km_now_ns() - t0;
	return visits;
}

static unsigned km_tree_search(const struct ks_rb_root *root, uint64_t key)
{
	const struct ks_rb_node *n = root->node;
	unsigned visits = 0;

	while (n) {
		const struct km_tnode *t = ks_rb_entry(n, struct km_tnode, rb);

		visits++;
		if (key == t->key)
			break;
		n = key < t->key ? n->left : n->right;
	}
	return visits;
}
/* ---- tree walks as ksmd does them (working-set size) ---- */


/* A tree item: an rmap_item (unstable tree) or a stable node, 64 bytes, in random memory
 * order, naming one page of the pool whose first word is its random key. */
struct witem {
	struct ks_rb_node rb;   /* tree link */
	uint8_t *page;          /* its page's bytes, as the kernel reads them (direct map) */
	uint8_t *upage;         /* the same page's user mapping (4 KiB PTE: the walk) */
	uint64_t *meta;         /* stable: the KSM page's struct page (a 64-byte cell) */
	uint8_t pad[16];        /* to 64 bytes */
};

/* One descent of the tree for the page `s` (cache-resident, as just checksummed): each
 * visit takes the kernel's step to the item's page - unstable: its walk from (mm,
 * address) to the page, as move_pages(2) of one page (get_mergeable_page); stable: a
 * reference taken and dropped on the page's struct page (ksm_get_folio) - then compares
 * the page with s (memcmp_pages), whose result picks the next item: every step
 * depends on the one before, as in the kernel. Returns the visits. */
static unsigned walk_search(struct ks_rb_root *root, const uint8_t *s, enum km_walk_kind kind)
{
	struct ks_rb_node *n = root->node;
	unsigned visits = 0;
	int status, ret;

	while (n) {
		struct witem *it = ks_rb_entry(n, struct witem, rb);

		visits++;
		if (kind == KM_WALK_STABLE_SYS)
			km_sink += (uint64_t)syscall(SYS_getppid);
		if (kind != KM_WALK_UNSTABLE) {
			__atomic_fetch_add(it->meta, 1, __ATOMIC_ACQUIRE);
			__atomic_fetch_sub(it->meta, 1, __ATOMIC_RELEASE);
		} else {
			void *addr = it->upage;

			syscall(SYS_move_pages, 0, 1UL, &addr, NULL, &status, 0);
		}
		ret = km_memcmp(s, it->page, KM_PG);
		if (!ret)
			break;
		n = ret < 0 ? n->left : n->right;
	}
	return visits;
}

static void walk_insert(struct ks_rb_root *root, struct witem *it)
{
	struct ks_rb_node **link = &root->node, *parent = NULL;

	while (*link) {
		struct witem *t = ks_rb_entry(*link, struct witem, rb);

		parent = *link;
		link = km_memcmp(it->page, t->page, KM_PG) < 0 ? &parent->left : &parent->right;
	}
	ks_rb_link_node(&it->rb, parent, link);
	ks_rb_insert_color(&it->rb, root);
}

/* Searches of trees of 16..64Ki items, each item with a page of p->a (walked through its
 * 4 KiB user mapping; 64 MiB, so the largest trees share them 4 ways) and a copy of its
 * bytes in huge-page memory (compared; keys in the
 * first word), each search preceded by the checksum of a cold page of p->b (the scanned
 * page: ksmd checksums it before its tree searches, and that stream is what evicts the
 * deep nodes). Five passes; the median ns per search is kept. */
void km_walk_trees(struct km_pool *p, enum km_walk_kind kind, unsigned searches,
		       double timer_ns, struct km_walk_data *out)
{
	size_t maxn = (size_t)16 << (KM_WALK_SIZES - 1), l_items, l_meta, l_data;
	void *b_items, *b_meta, *b_data;
	struct witem *items = (struct witem *)km_map_huge(maxn * sizeof(*items), &b_items, &l_items);
	uint64_t *meta = (uint64_t *)km_map_huge(maxn * 64, &b_meta, &l_meta);
	uint8_t *data = km_map_huge(maxn * KM_PG, &b_data, &l_data);
	struct witem **order = ks_xmalloc(maxn * sizeof(*order));
	uint8_t *s = km_map_pages(1);

	memcpy(s, p->a, KM_PG);
	for (size_t i = 0; i < maxn; i++)
		memcpy(data + i * KM_PG, p->a, KM_PG);
	for (size_t i = 0; i < maxn; i++)
		order[i] = &items[i];
	for (size_t i = maxn - 1; i > 0; i--) {
		size_t j = km_rnd() % (i + 1);
		struct witem *t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
	for (size_t i = 0; i < maxn; i++) {
		uint64_t key = km_rnd();

		order[i]->page = data + i * KM_PG;
		order[i]->upage = p->a + (i % p->npages) * KM_PG;
		order[i]->meta = &meta[(km_rnd() % maxn) * 8];
		memcpy(order[i]->page, &key, sizeof(key));
	}
	for (unsigned k = 0; k < KM_WALK_SIZES; k++) {
		size_t n = (size_t)16 << k;
		struct ks_rb_root root = KS_RB_ROOT;
		double pass[5];

		out->n[k] = n;
		memset(out->hist[k], 0, sizeof(out->hist[k]));
		for (size_t i = 0; i < n; i++)
			walk_insert(&root, order[i]);
		for (unsigned ps = 0; ps < 5; ps++) {
			double tot = 0;

			for (unsigned q = 0; q < searches; q++) {
				uint64_t key = km_rnd();
				unsigned v;
				double t0;

				km_sink += ks_checksum(KS_CSUM_XXHASH64, p->b + km_pool_next(p) * KM_PG);
				memcpy(s, &key, sizeof(key));
				t0 = km_now_ns();
				v = walk_search(&root, s, kind);
				tot += km_now_ns() - t0 - timer_ns;
				if (ps == 0)
					out->hist[k][v < KM_WALK_MAXV ? v : KM_WALK_MAXV - 1] +=
						1.0 / searches;
			}
			pass[ps] = tot / searches;
		}
		qsort(pass, 5, sizeof(pass[0]), km_cmp_dbl);
		out->ns[k] = pass[2];
	}
	munmap(s, KM_PG);
	munmap(b_data, l_data);
	munmap(b_meta, l_meta);
	munmap(b_items, l_items);
	free(order);
}

static bool solve3(double a[3][3], double b[3], double x[3])
{
	double det = a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1]) -
		     a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0]) +
		     a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0]);

	if (det == 0)
		return false;
	for (int c = 0; c < 3; c++) {
		double m[3][3];

		memcpy(m, a, sizeof(m));
		for (int r = 0; r < 3; r++)
			m[r][c] = b[r];
		x[c] = (m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
			m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
			m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])) / det;
	}
	return true;
}

/* Fits d at depth D; false when singular or not 0 <= hot <= cold. */
bool km_walk_fit(const struct km_walk_data *d, unsigned depth, struct km_walk_fit *out)
{
	double x[KM_WALK_SIZES][3], a[3][3] = { { 0 } }, b[3] = { 0 }, c[3];
	double rss = 0, sst = 0, ymean = 0;

	for (unsigned k = 0; k < KM_WALK_SIZES; k++) {
		ymean += d->ns[k] / KM_WALK_SIZES;
		x[k][0] = 1;
		x[k][1] = x[k][2] = 0;
		for (unsigned v = 0; v < KM_WALK_MAXV; v++) {
			x[k][1] += d->hist[k][v] * (v < depth ? v : depth);
			x[k][2] += d->hist[k][v] * (v > depth ? v - depth : 0);
		}
		for (int i = 0; i < 3; i++) {
			b[i] += x[k][i] * d->ns[k];
			for (int j = 0; j < 3; j++)
				a[i][j] += x[k][i] * x[k][j];
		}
	}
	if (!solve3(a, b, c) || c[1] < 0 || c[2] < c[1])
		return false;
	for (unsigned k = 0; k < KM_WALK_SIZES; k++) {
		double e = d->ns[k] - c[0] - c[1] * x[k][1] - c[2] * x[k][2];

		rss += e * e;
		sst += (d->ns[k] - ymean) * (d->ns[k] - ymean);
	}
	*out = (struct km_walk_fit){ depth, c[1], c[2], sst > 0 ? 1 - rss / sst : 1 };
	return true;
}

/* The depth D = 1..24 that fits the walks measured (ok[k]) best: the smallest sum of
 * their unexplained shares (1 - R2), each fit valid. 0 when none is. */
unsigned km_walk_depth(const struct km_walk_data *d, const bool *ok, unsigned nkinds)
{
	double best = 1e300;
	unsigned depth = 0;

	for (unsigned dep = 1; dep <= 24; dep++) {
		double sum = 0;
		bool valid = true;

		for (unsigned k = 0; k < nkinds && valid; k++) {
			struct km_walk_fit f;

			if (!ok[k])
				continue;
			valid = km_walk_fit(&d[k], dep, &f);
			sum += 1 - f.r2;
		}
		if (valid && sum < best) {
			best = sum;
			depth = dep;
		}
	}
	return depth;
}

int km_tree_fit(unsigned scale, double timer_ns, struct ks_fit *fit, double *ins_ns,
		struct ks_err *err)
{
	size_t maxn = (size_t)1 << 18, npts = 0;
	struct km_tnode *nodes = ks_xcalloc(maxn, sizeof(*nodes));
	struct km_tnode **order = ks_xmalloc(maxn * sizeof(*order));
	double x[16], y[16];
	int rc;

	/* nodes in random memory order, as slab objects of a long-running system */
	for (size_t i = 0; i < maxn; i++)
		order[i] = &nodes[i];
	for (size_t i = maxn - 1; i > 0; i--) {
		size_t j = km_rnd() % (i + 1);
		struct km_tnode *t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
	*ins_ns = 0;
	for (size_t n = 16; n <= maxn; n *= 4) {
		struct ks_rb_root root = KS_RB_ROOT;
		uint64_t visits = 0;
		unsigned searches = 20000 * scale;
		double t0, link_ns = 0;

		for (size_t i = 0; i < n; i++)
			order[i]->key = km_rnd();
		for (size_t i = 0; i < n; i++)
			visits += km_tree_insert(&root, order[i], &link_ns);
		if (n == maxn) /* link + rebalance, minus one clock read per insert */
			*ins_ns = link_ns / n - timer_ns;
		visits = 0;
		t0 = km_now_ns();
		for (unsigned s = 0; s < searches; s++)
			visits += km_tree_search(&root, order[km_rnd() % n]->key);
		x[npts] = (double)visits / searches;
		y[npts++] = (km_now_ns() - t0) / searches;
	}
	free(order);
	free(nodes);
	if (*ins_ns < 0)
		*ins_ns = 0;
	rc = ks_fit_linear(x, y, npts, fit, err);
	return rc;
}
