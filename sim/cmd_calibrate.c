/* cmd_calibrate.c - `sim calibrate [--out FILE] [--name NAME] [--quick]`: measures this
 * host with real 4 KiB buffers and writes an arch model (arch-models/NAME.yaml) whose
 * every number says how it was measured, with the fit quality next to it.
 *
 * What is measured, all in user space:
 *   compare     a word-at-a-time memcmp written like the kernel's generic lib/string.c
 *               memcmp (x86_64 has no assembly memcmp), at first-difference offsets
 *               0, 8, ..., 4088, 4095 and equal pages, cache-resident (tree walks
 *               revisit the top of the tree); fixed + per-byte by least squares; the
 *               cost against a cold page goes into the source text;
 *   checksum    each algorithm of models/checksum.c over whole cold pages: 4 KiB pages
 *               (no huge pages) of a pool larger than the last-level cache, visited in
 *               shuffled order, as ksmd reads physically scattered pages once a scan;
 *   page_copy   memcpy of 4 KiB;
 *   tree        models/rbtree.c searches in trees of 16..256Ki nodes: ns per search against
 *               nodes visited, fixed + per-visit by least squares; an insert's link +
 *               rebalance timed alone;
 *   page walk   move_pages(2) of one page minus getppid(2): mmap_read_lock, VMA lookup,
 *               page-table walk, folio reference - the kernel's own walk, as ksmd does
 *               for every scanned page (address order);
 *   tree walks  searches of trees of 16..64Ki items whose every visit is the kernel's
 *               step (move_pages of the item's page: unstable; a struct page reference:
 *               stable) and a memcmp picking the next item, each search after checksumming
 *               a cold page: the ns per search against the visits fits a hot cost for the
 *               first D visits of a descent and a cold one below (tree_hot_depth);
 *   cold load   a pointer chase through huge-page memory (KSM-page rescans, page tables);
 *   syscalls    userfaultfd write-protect of one page (a PTE change plus a TLB flush
 *               under the mmap read lock: wrprotect and replace; mprotect() where it is
 *               missing), madvise(MADV_DONTNEED) of one page (replace: PTE cleared,
 *               flushed, old page freed), each minus a null syscall, a first-touch write fault (break_cow), malloc/free of 64 bytes
 *               (rmap_item / stable_node slab), an uncontended rwlock pair plus dependent
 *               loads (fallback when move_pages is missing), a pipe ping-pong (wakeup).
 * Repeated measurements report their median (robust to preemption on a shared host).
 * Timing here is intended: this is a measurement tool, not a test. */
#include "config.h"

#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/userfaultfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cost_fit.h"
#include "models/base/xalloc.h"
#include "models/rbtree.h"
#include "models/vocab/checksum.h"

#define PG 4096u

static volatile uint64_t sink_u64; /* keeps results alive */

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* The kernel's generic memcmp (lib/string.c with efficient unaligned access): compare
 * machine words while they are equal, then bytes. */
static __attribute__((noinline)) int kmemcmp(const void *cs, const void *ct, size_t count)
{
	const unsigned char *a = cs, *b = ct;

	while (count >= sizeof(unsigned long)) {
		unsigned long x, y;

		memcpy(&x, a, sizeof(x));
		memcpy(&y, b, sizeof(y));
		if (x != y)
			break;
		a += sizeof(x);
		b += sizeof(x);
		count -= sizeof(x);
	}
	for (; count; count--, a++, b++)
		if (*a != *b)
			return *a < *b ? -1 : 1;
	return 0;
}

/* Two sets of pages. A scattered pool is what ksmd reads: 4 KiB pages (no huge pages)
 * visited in a shuffled order, so neither the caches nor the prefetchers have seen the
 * next page, as with the physically scattered pages of a large working set. */
struct pool {
	uint8_t *a, *b;   /* npages pages each */
	size_t npages;
	size_t *order;    /* page visiting order (shuffled when scattered) */
	size_t next;      /* position in order */
};

static uint64_t rnd(void);

static uint8_t *map_pages(size_t npages)
{
	void *m = mmap(NULL, npages * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);

	if (m == MAP_FAILED) {
		fprintf(stderr, "sim: out of memory (%zu bytes)\n", npages * PG);
		abort();
	}
	madvise(m, npages * PG, MADV_NOHUGEPAGE);
	return m;
}

static void pool_init(struct pool *p, size_t npages, bool scattered)
{
	p->npages = npages;
	p->a = map_pages(npages);
	p->b = map_pages(npages);
	p->order = ks_xmalloc(npages * sizeof(*p->order));
	for (size_t i = 0; i < npages * PG; i++)
		p->a[i] = p->b[i] = (uint8_t)(i * 131 + 7);
	for (size_t i = 0; i < npages; i++)
		p->order[i] = i;
	for (size_t i = npages - 1; scattered && i > 0; i--) {
		size_t j = rnd() % (i + 1), t = p->order[i];

		p->order[i] = p->order[j];
		p->order[j] = t;
	}
	p->next = 0;
}

static size_t pool_next(struct pool *p)
{
	return p->order[p->next++ % p->npages];
}

static void pool_fini(struct pool *p)
{
	munmap(p->a, p->npages * PG);
	munmap(p->b, p->npages * PG);
	free(p->order);
}

/* ns per compare of page pairs that first differ at `off` (PG: equal), cold. */
/* ns per compare of page pairs that first differ at `off` (PG: equal): the first page of
 * each pair from `w` (cache-resident, as the page ksmd just checksummed), the second
 * from `p` (the tree's page). Every page holds the same bytes (pool_init's pattern
 * repeats every 4 KiB), so any page of w matches any page of p. Min of the trials. */
static double time_compare(struct pool *w, struct pool *p, unsigned off, unsigned reps,
			   unsigned trials)
{
	double best = 1e30;

	for (size_t i = 0; i < p->npages; i++)
		if (off < PG)
			p->b[i * PG + off] = (uint8_t)(p->a[i * PG + off] + 1);
	for (unsigned t = 0; t < trials; t++) {
		double t0 = now_ns(), d;
		int acc = 0;

		for (unsigned r = 0; r < reps; r++) {
			size_t i = pool_next(p);

			acc += kmemcmp(w->a + (i % w->npages) * PG, p->b + i * PG, PG);
		}
		d = (now_ns() - t0) / reps;
		sink_u64 += (uint64_t)acc;
		if (d < best)
			best = d;
	}
	for (size_t i = 0; i < p->npages; i++)
		if (off < PG)
			p->b[i * PG + off] = p->a[i * PG + off];
	return best;
}

static double time_checksum(struct pool *p, enum ks_checksum_alg alg, unsigned reps)
{
	double t0 = now_ns();
	uint64_t acc = 0;

	for (unsigned r = 0; r < reps; r++)
		acc += ks_checksum(alg, p->a + pool_next(p) * PG);
	sink_u64 += acc;
	return (now_ns() - t0) / reps;
}

static double time_copy(struct pool *p, unsigned reps)
{
	double t0 = now_ns();

	for (unsigned r = 0; r < reps; r++) {
		size_t i = pool_next(p);

		memcpy(p->b + i * PG, p->a + ((i * 7 + 3) % p->npages) * PG, PG);
	}
	sink_u64 += p->b[0];
	return (now_ns() - t0) / reps;
}

/* ---- rbtree ---- */

struct tnode {
	struct ks_rb_node rb;
	uint64_t key;
	uint8_t pad[40];   /* about a stable_node / rmap_item */
};

static uint64_t rng = 0x12345678abcdefull;

static uint64_t rnd(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Inserts n; adds the time of the link + rebalance alone (what the kernel does after
 * its search found the place, as unstable_tree_search_insert) to *link_ns. */
static unsigned tree_insert(struct ks_rb_root *root, struct tnode *n, double *link_ns)
{
	struct ks_rb_node **link = &root->node, *parent = NULL;
	unsigned visits = 0;
	double t0;

	while (*link) {
		struct tnode *t = ks_rb_entry(*link, struct tnode, rb);

		parent = *link;
		visits++;
		link = n->key < t->key ? &(*link)->left : &(*link)->right;
	}
	t0 = now_ns();
	ks_rb_link_node(&n->rb, parent, link);
	ks_rb_insert_color(&n->rb, root);
	*link_ns += now_ns() - t0;
	return visits;
}

static unsigned tree_search(const struct ks_rb_root *root, uint64_t key)
{
	const struct ks_rb_node *n = root->node;
	unsigned visits = 0;

	while (n) {
		const struct tnode *t = ks_rb_entry(n, struct tnode, rb);

		visits++;
		if (key == t->key)
			break;
		n = key < t->key ? n->left : n->right;
	}
	return visits;
}

/* ---- tree walks as ksmd does them (working-set size) ---- */

static int cmp_dbl(const void *a, const void *b);

/* A tree item: an rmap_item (unstable tree) or a stable node, 64 bytes, in random memory
 * order, naming one page of the pool whose first word is its random key. */
struct witem {
	struct ks_rb_node rb;   /* tree link */
	uint8_t *page;          /* its page's bytes, as the kernel reads them (direct map) */
	uint8_t *upage;         /* the same page's user mapping (4 KiB PTE: the walk) */
	uint64_t *meta;         /* stable: the KSM page's struct page (a 64-byte cell) */
	uint8_t pad[16];        /* to 64 bytes */
};

/* Memory mapped with huge pages where the kernel has them: the direct map through
 * which the kernel reads pages, struct pages and slab objects costs it no 4 KiB TLB
 * misses, so neither may the proxy's accesses to them. *base gets the mapping to unmap. */
static uint8_t *map_huge(size_t bytes, void **base, size_t *len)
{
	size_t huge = (size_t)2 << 20;
	uint8_t *m;

	*len = bytes + huge;
	m = mmap(NULL, *len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED) {
		fprintf(stderr, "sim: out of memory (%zu bytes)\n", *len);
		abort();
	}
	*base = m;
	m = (uint8_t *)(((uintptr_t)m + huge - 1) & ~(uintptr_t)(huge - 1));
	madvise(m, bytes, MADV_HUGEPAGE);
	memset(m, 0, bytes);
	return m;
}

enum { WALK_SIZES = 13, WALK_MAXV = 64 }; /* trees of 16 << 0 .. 16 << 12 items */

/* What a visit of the tree walk does. */
enum walk_kind {
	WALK_UNSTABLE = 0,  /* move_pages(2) of the item's page */
	WALK_STABLE,        /* a reference on the item's struct page */
	WALK_STABLE_SYS,    /* the same plus a null syscall: what the syscall costs the proxy */
	WALK_KINDS
};

/* One descent of the tree for the page `s` (cache-resident, as just checksummed): each
 * visit takes the kernel's step to the item's page - unstable: its walk from (mm,
 * address) to the page, as move_pages(2) of one page (get_mergeable_page); stable: a
 * reference taken and dropped on the page's struct page (ksm_get_folio) - then compares
 * the page with s (memcmp_pages), whose result picks the next item: every step
 * depends on the one before, as in the kernel. Returns the visits. */
static unsigned walk_search(struct ks_rb_root *root, const uint8_t *s, enum walk_kind kind)
{
	struct ks_rb_node *n = root->node;
	unsigned visits = 0;
	int status, ret;

	while (n) {
		struct witem *it = ks_rb_entry(n, struct witem, rb);

		visits++;
		if (kind == WALK_STABLE_SYS)
			sink_u64 += (uint64_t)syscall(SYS_getppid);
		if (kind != WALK_UNSTABLE) {
			__atomic_fetch_add(it->meta, 1, __ATOMIC_ACQUIRE);
			__atomic_fetch_sub(it->meta, 1, __ATOMIC_RELEASE);
		} else {
			void *addr = it->upage;

			syscall(SYS_move_pages, 0, 1UL, &addr, NULL, &status, 0);
		}
		ret = kmemcmp(s, it->page, PG);
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
		link = kmemcmp(it->page, t->page, PG) < 0 ? &parent->left : &parent->right;
	}
	ks_rb_link_node(&it->rb, parent, link);
	ks_rb_insert_color(&it->rb, root);
}

/* What walk_trees measured: for each tree size, ns per search and the searches'
 * histogram of visits. */
struct walk_data {
	size_t n[WALK_SIZES];                      /* items in the tree */
	double ns[WALK_SIZES];                     /* median over passes of ns per search */
	double hist[WALK_SIZES][WALK_MAXV];        /* share of searches with v visits */
};

/* Searches of trees of 16..64Ki items, each item with a page of p->a (walked through its
 * 4 KiB user mapping; 64 MiB, so the largest trees share them 4 ways) and a copy of its bytes in huge-page memory (compared; keys in the
 * first word), each search preceded by the checksum of a cold page of p->b (the scanned
 * page: ksmd checksums it before its tree searches, and that stream is what evicts the
 * deep nodes). Five passes; the median ns per search is kept. */
static void walk_trees(struct pool *p, enum walk_kind kind, unsigned searches,
		       double timer_ns, struct walk_data *out)
{
	size_t maxn = (size_t)16 << (WALK_SIZES - 1), l_items, l_meta, l_data;
	void *b_items, *b_meta, *b_data;
	struct witem *items = (struct witem *)map_huge(maxn * sizeof(*items), &b_items, &l_items);
	uint64_t *meta = (uint64_t *)map_huge(maxn * 64, &b_meta, &l_meta);
	uint8_t *data = map_huge(maxn * PG, &b_data, &l_data);
	struct witem **order = ks_xmalloc(maxn * sizeof(*order));
	uint8_t *s = map_pages(1);

	memcpy(s, p->a, PG);
	for (size_t i = 0; i < maxn; i++)
		memcpy(data + i * PG, p->a, PG);
	for (size_t i = 0; i < maxn; i++)
		order[i] = &items[i];
	for (size_t i = maxn - 1; i > 0; i--) {
		size_t j = rnd() % (i + 1);
		struct witem *t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
	for (size_t i = 0; i < maxn; i++) {
		uint64_t key = rnd();

		order[i]->page = data + i * PG;
		order[i]->upage = p->a + (i % p->npages) * PG;
		order[i]->meta = &meta[(rnd() % maxn) * 8];
		memcpy(order[i]->page, &key, sizeof(key));
	}
	for (unsigned k = 0; k < WALK_SIZES; k++) {
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
				uint64_t key = rnd();
				unsigned v;
				double t0;

				sink_u64 += ks_checksum(KS_CSUM_XXHASH64, p->b + pool_next(p) * PG);
				memcpy(s, &key, sizeof(key));
				t0 = now_ns();
				v = walk_search(&root, s, kind);
				tot += now_ns() - t0 - timer_ns;
				if (ps == 0)
					out->hist[k][v < WALK_MAXV ? v : WALK_MAXV - 1] +=
						1.0 / searches;
			}
			pass[ps] = tot / searches;
		}
		qsort(pass, 5, sizeof(pass[0]), cmp_dbl);
		out->ns[k] = pass[2];
	}
	munmap(s, PG);
	munmap(b_data, l_data);
	munmap(b_meta, l_meta);
	munmap(b_items, l_items);
	free(order);
}

/* The hot/cold fit: ns per search = c0 + hot * E[min(v, D)] + cold * E[max(0, v - D)],
 * least squares at a given depth D (3x3 normal equations). */
struct walk_fit {
	unsigned depth;       /* D: visits per descent that stay hot */
	double hot, cold;     /* ns per visit above / below D */
	double r2;            /* of the fit */
};

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
static bool walk_fit(const struct walk_data *d, unsigned depth, struct walk_fit *out)
{
	double x[WALK_SIZES][3], a[3][3] = { { 0 } }, b[3] = { 0 }, c[3];
	double rss = 0, sst = 0, ymean = 0;

	for (unsigned k = 0; k < WALK_SIZES; k++) {
		ymean += d->ns[k] / WALK_SIZES;
		x[k][0] = 1;
		x[k][1] = x[k][2] = 0;
		for (unsigned v = 0; v < WALK_MAXV; v++) {
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
	for (unsigned k = 0; k < WALK_SIZES; k++) {
		double e = d->ns[k] - c[0] - c[1] * x[k][1] - c[2] * x[k][2];

		rss += e * e;
		sst += (d->ns[k] - ymean) * (d->ns[k] - ymean);
	}
	*out = (struct walk_fit){ depth, c[1], c[2], sst > 0 ? 1 - rss / sst : 1 };
	return true;
}

/* The depth D = 1..24 that fits the walks measured (ok[k]) best: the smallest sum of
 * their unexplained shares (1 - R2), each fit valid. 0 when none is. */
static unsigned walk_depth(const struct walk_data *d, const bool *ok, unsigned nkinds)
{
	double best = 1e300;
	unsigned depth = 0;

	for (unsigned dep = 1; dep <= 24; dep++) {
		double sum = 0;
		bool valid = true;

		for (unsigned k = 0; k < nkinds && valid; k++) {
			struct walk_fit f;

			if (!ok[k])
				continue;
			valid = walk_fit(&d[k], dep, &f);
			sum += 1 - f.r2;
		}
		if (valid && sum < best) {
			best = sum;
			depth = dep;
		}
	}
	return depth;
}

/* ---- syscall-level proxies ---- */

static double time_mprotect(unsigned reps)
{
	uint8_t *pg = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	double t0, d;

	if (pg == MAP_FAILED)
		return -1;
	pg[0] = 1;
	t0 = now_ns();
	for (unsigned r = 0; r < reps; r++) {
		mprotect(pg, PG, PROT_READ);
		mprotect(pg, PG, PROT_READ | PROT_WRITE);
		pg[0] = (uint8_t)r; /* re-dirties the PTE and reloads the TLB entry */
	}
	d = (now_ns() - t0) / (2.0 * reps);
	munmap(pg, PG);
	return d;
}

/* write_protect_page() without mprotect's VMA work: userfaultfd's write-protect of one
 * resident page (UFFDIO_WRITEPROTECT: mmap read lock, VMA lookup, page-table walk, PTE
 * write-protect, TLB flush of the page), ns per operation (a protect + unprotect pair
 * halved). -1 when userfaultfd write-protect is not available. */
static double time_uffd_wp(unsigned reps)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_WP };
	int fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	uint8_t *pg;
	double t0, d = -1;

	if (fd < 0)
		return -1;
	pg = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (pg == MAP_FAILED)
		goto out_close;
	pg[0] = 1;
	reg.range = (struct uffdio_range){ (uintptr_t)pg, PG };
	if (ioctl(fd, UFFDIO_API, &api) || !(api.features & UFFD_FEATURE_PAGEFAULT_FLAG_WP) ||
	    ioctl(fd, UFFDIO_REGISTER, &reg))
		goto out_unmap;
	t0 = now_ns();
	for (unsigned r = 0; r < reps; r++) {
		struct uffdio_writeprotect wp = { .range = reg.range,
						  .mode = UFFDIO_WRITEPROTECT_MODE_WP };

		if (ioctl(fd, UFFDIO_WRITEPROTECT, &wp))
			goto out_unmap;
		wp.mode = 0;
		if (ioctl(fd, UFFDIO_WRITEPROTECT, &wp))
			goto out_unmap;
	}
	d = (now_ns() - t0) / (2.0 * reps);
out_unmap:
	munmap(pg, PG);
out_close:
	close(fd);
	return d;
}

/* replace_page()'s part beyond a write-protect: the old page's PTE cleared and flushed,
 * its rmap dropped and the folio freed - madvise(MADV_DONTNEED) of one resident page,
 * timed alone (the refault that repopulates it is not timed), minus one clock read. */
struct zap_arg { unsigned reps; double timer_ns; };

static double time_zap(unsigned reps, double timer_ns)
{
	volatile uint8_t *pg = mmap(NULL, PG, PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	double tot = 0;

	if (pg == MAP_FAILED)
		return -1;
	for (unsigned r = 0; r < reps; r++) {
		double t0;

		pg[0] = (uint8_t)r; /* fault the page back in */
		t0 = now_ns();
		madvise((void *)pg, PG, MADV_DONTNEED);
		tot += now_ns() - t0 - timer_ns;
	}
	munmap((void *)pg, PG);
	return tot / reps;
}

static double time_fault(unsigned npages)
{
	uint8_t *m = mmap(NULL, (size_t)npages * PG, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	double t0, d;

	if (m == MAP_FAILED)
		return -1;
	t0 = now_ns();
	for (unsigned i = 0; i < npages; i++)
		m[(size_t)i * PG] = 1;
	d = (now_ns() - t0) / npages;
	munmap(m, (size_t)npages * PG);
	return d;
}

static double time_malloc_free(unsigned reps)
{
	void **v = ks_xmalloc(reps * sizeof(*v));
	double t0 = now_ns(), d;

	for (unsigned r = 0; r < reps; r++)
		v[r] = malloc(64);
	for (unsigned r = 0; r < reps; r++)
		free(v[r]);
	d = (now_ns() - t0) / reps;
	free(v);
	return d;
}

/* The kernel's walk from an (mm, address) to its page, as ksmd does for every page it
 * scans (scan_get_next_rmap_item) and every unstable-tree node it visits
 * (get_mergeable_page): mmap_read_lock, VMA lookup, page-table walk to the PTE under
 * its lock, folio reference, unlock. move_pages(2) with no target nodes does exactly
 * that for one page (do_pages_stat: mmap_read_lock, vma_lookup, folio_walk_start);
 * minus a null system call (getppid) it is the kernel's walk. Pages of a 4 KiB-page
 * pool (pages already written) in address order (the scanner) or shuffled (tree
 * nodes). -1 when move_pages is not available (kernel without NUMA). */
static double time_page_walk(struct pool *p, unsigned reps)
{
	double t0, d, nul;
	int status;

	t0 = now_ns();
	for (unsigned r = 0; r < reps; r++)
		sink_u64 += (uint64_t)syscall(SYS_getppid);
	nul = (now_ns() - t0) / reps;
	t0 = now_ns();
	for (unsigned r = 0; r < reps; r++) {
		void *addr = p->a + pool_next(p) * PG;

		if (syscall(SYS_move_pages, 0, 1UL, &addr, NULL, &status, 0))
			return -1;
	}
	d = (now_ns() - t0) / reps - nul;
	return d > 0 ? d : 0;
}

/* A null system call (getppid): the entry and exit a user-space proxy pays and ksmd,
 * a kernel thread, does not. */
static double time_nullsys(unsigned reps)
{
	double t0 = now_ns();

	for (unsigned r = 0; r < reps; r++)
		sink_u64 += (uint64_t)syscall(SYS_getppid);
	return (now_ns() - t0) / reps;
}

/* Links `ring` 64-byte cells of next[] (8 size_t each) into one cycle in a shuffled
 * order: next[cell * 8] is the index of the following cell's first word. */
static void build_ring(size_t *next, size_t ring)
{
	size_t *perm = ks_xmalloc(ring * sizeof(*perm));

	for (size_t i = 0; i < ring; i++)
		perm[i] = i;
	for (size_t i = ring - 1; i > 0; i--) {
		size_t j = rnd() % (i + 1), tmp = perm[i];

		perm[i] = perm[j];
		perm[j] = tmp;
	}
	for (size_t i = 0; i < ring; i++)
		next[perm[i] * 8] = perm[(i + 1) % ring] * 8;
	free(perm);
}

/* One dependent cold load as the kernel takes it: a pointer chase through a shuffled
 * ring of 64-byte cells in 64 MiB of huge-page memory (the direct map: no 4 KiB TLB
 * misses). ns per load. */
static double time_chase(unsigned reps)
{
	size_t ring = (size_t)1 << 20, len, cur = 0;
	void *base;
	size_t *next = (size_t *)map_huge(ring * 64, &base, &len);
	double t0, d;

	build_ring(next, ring);
	t0 = now_ns();
	for (unsigned r = 0; r < reps; r++)
		cur = next[cur];
	d = (now_ns() - t0) / reps;
	sink_u64 += cur;
	munmap(base, len);
	return d;
}

/* An uncontended rwlock read pair plus `loads` dependent loads through a shuffled
 * pointer ring of 64-byte cells (a page-table walk's cache misses). */
static double time_lock_walk(unsigned reps, unsigned loads, size_t ring)
{
	pthread_rwlock_t lk = PTHREAD_RWLOCK_INITIALIZER;
	size_t *next = ks_xmalloc(ring * 8 * sizeof(size_t));
	size_t cur = 0;
	double t0, d;

	build_ring(next, ring);
	t0 = now_ns();
	for (unsigned r = 0; r < reps; r++) {
		if (loads)
			pthread_rwlock_rdlock(&lk);
		for (unsigned l = 0; l < (loads ? loads : 1); l++)
			cur = next[cur];
		if (loads)
			pthread_rwlock_unlock(&lk);
	}
	d = (now_ns() - t0) / reps;
	sink_u64 += cur;
	free(next);
	return d;
}

static int pipefd[2][2];

static void *pong(void *arg)
{
	char c;

	(void)arg;
	while (read(pipefd[0][0], &c, 1) == 1 && c)
		if (write(pipefd[1][1], &c, 1) != 1)
			break;
	return NULL;
}

/* Half a pipe round trip between two threads: one sleep/wakeup pair. */
static double time_wakeup(unsigned reps)
{
	pthread_t th;
	char c = 1;
	double t0, d;

	if (pipe(pipefd[0]) || pipe(pipefd[1]))
		return -1;
	pthread_create(&th, NULL, pong, NULL);
	t0 = now_ns();
	for (unsigned r = 0; r < reps; r++)
		if (write(pipefd[0][1], &c, 1) != 1 || read(pipefd[1][0], &c, 1) != 1)
			break;
	d = (now_ns() - t0) / (2.0 * reps);
	c = 0;
	if (write(pipefd[0][1], &c, 1) != 1)
		d = -1;
	pthread_join(th, NULL);
	for (int i = 0; i < 2; i++) {
		close(pipefd[i][0]);
		close(pipefd[i][1]);
	}
	return d;
}

/* ---- repeated measurements ---- */

/* A repeated measurement. `mean` is the MEDIAN of the runs: on a shared machine a run
 * that another process preempted is an outlier, not information about ksmd's step;
 * `se` is the standard error of the mean of the runs (their spread). */
struct stat_val {
	double mean, se;
	size_t n;
};

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int repeat(double (*fn)(void *), void *arg, size_t n, struct stat_val *out,
		  struct ks_err *err)
{
	double *v = ks_xmalloc(n * sizeof(*v)), mean;
	int rc;

	for (size_t i = 0; i < n; i++)
		v[i] = fn(arg);
	rc = ks_fit_mean(v, n, &mean, &out->se, err);
	qsort(v, n, sizeof(*v), cmp_dbl);
	out->mean = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	out->n = n;
	free(v);
	return rc;
}

struct csum_arg { struct pool *p; enum ks_checksum_alg alg; unsigned reps; };
static double m_csum(void *a) { struct csum_arg *c = a; return time_checksum(c->p, c->alg, c->reps); }
static double m_copy(void *a) { struct csum_arg *c = a; return time_copy(c->p, c->reps); }
static double m_walk(void *a) { struct csum_arg *c = a; return time_page_walk(c->p, c->reps); }
static double m_mprotect(void *a) { return time_mprotect(*(unsigned *)a); }
static double m_uffd_wp(void *a) { return time_uffd_wp(*(unsigned *)a); }
static double m_zap(void *a) { struct zap_arg *z = a; return time_zap(z->reps, z->timer_ns); }
static double m_fault(void *a) { return time_fault(*(unsigned *)a); }
static double m_malloc(void *a) { return time_malloc_free(*(unsigned *)a); }
static double m_wakeup(void *a) { return time_wakeup(*(unsigned *)a); }
static double m_nullsys(void *a) { return time_nullsys(*(unsigned *)a); }
static double m_chase(void *a) { return time_chase(*(unsigned *)a); }
struct lw_arg { unsigned reps, loads; size_t ring; };
static double m_lockwalk(void *a) { struct lw_arg *l = a; return time_lock_walk(l->reps, l->loads, l->ring); }

/* ---- output ---- */

static void put_simple(FILE *o, const char *key, double ns, const struct stat_val *sv,
		       const char *src)
{
	fprintf(o, "  %s:\n    ns: %.2f\n", key, ns);
	if (sv)
		fprintf(o, "    stderr_ns: %.3f\n    n: %zu\n", sv->se, sv->n);
	fprintf(o, "    source: \"%s\"\n", src);
}

static void put_linear(FILE *o, const char *indent, const char *key, double fixed,
		       double per_byte, const struct ks_fit *f, const struct stat_val *sv,
		       const char *src)
{
	fprintf(o, "%s%s:\n%s  fixed_ns: %.3f\n%s  per_byte_ns: %.6f\n", indent, key, indent,
		fixed, indent, per_byte);
	if (f)
		fprintf(o, "%s  r2: %.5f\n%s  fixed_stderr_ns: %.3f\n%s  per_byte_stderr_ns: %.6f\n"
			"%s  n: %zu\n", indent, f->r2, indent, f->se0, indent, f->se1, indent, f->n);
	if (sv)
		fprintf(o, "%s  per_byte_stderr_ns: %.6f\n%s  n: %zu\n", indent, sv->se / PG,
			indent, sv->n);
	fprintf(o, "%s  source: \"%s\"\n", indent, src);
}

static void usage(FILE *out)
{
	fputs("usage: sim calibrate [--out FILE] [--name NAME] [--quick]\n"
	      "\n"
	      "Measures this machine (memcmp at every first-difference offset, each checksum,\n"
	      "page copy, rbtree walks, PTE changes, faults, allocations, wakeups) and writes an\n"
	      "arch model with the fit quality (R^2, standard errors) next to every number.\n"
	      "\n"
	      "  -o, --out FILE   write the model here (default: standard output)\n"
	      "  -n, --name NAME  the model's name (default: x86_64)\n"
	      "      --quick      fewer repetitions (about 5x faster, noisier)\n"
	      "  -h, --help       this help\n", out);
}

int ks_cmd_calibrate(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "out", required_argument, NULL, 'o' }, { "name", required_argument, NULL, 'n' },
		{ "quick", no_argument, NULL, 'k' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 } };
	const char *outpath = NULL, *name = "x86_64";
	unsigned scale = 5, reps;
	struct ks_err err = { 0 };
	struct pool pool, warm, seq;
	struct ks_fit cmpfit, treefit;
	struct stat_val csum[KS_CSUM_COUNT], copy, mprot, fault, mfree, wake, lock4;
	struct stat_val wlock4, wlock0, walk_seq, walk_rand, chase, nullsys, uwp, zap;
	struct walk_data *wd = ks_xcalloc(WALK_KINDS, sizeof(*wd));
	struct walk_fit wf[WALK_KINDS];
	bool wf_ok[WALK_KINDS] = { false, false, false };
	unsigned depth;
	const struct stat_val *wp_sv;  /* the write-protect measurement used */
	double wp_ns;                  /* its ns, minus a null syscall */
	double cmp8, st_hot, st_cold = 0, st_step; /* one-word compare; stable visit hot,
						    * cold; hot with its compare, ns */
	double *x, *y, ins_ns = 0, timer_ns, cold_cmp[2];
	char date[32], src[1536];
	size_t npts = 0, cap = 600;
	time_t now = time(NULL);
	FILE *o = stdout;
	int c, rc = KS_EXIT_ERROR;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:n:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': outpath = optarg; break;
		case 'n': name = optarg; break;
		case 'k': scale = 1; break;
		case 'h': usage(stdout); return KS_EXIT_OK;
		case ':':
			ks_cli_error("option '%s' needs a value; try 'sim calibrate --help'",
				     argv[optind - 1]);
			return KS_EXIT_ERROR;
		default:
			ks_cli_error("unknown option '%s'; try 'sim calibrate --help'",
				     argv[optind - 1]);
			return KS_EXIT_ERROR;
		}
	}
	if (optind < argc) {
		ks_cli_error("unexpected argument '%s'; try 'sim calibrate --help'", argv[optind]);
		return KS_EXIT_ERROR;
	}
	strftime(date, sizeof(date), "%Y-%m-%d", gmtime(&now));
	pool_init(&pool, 16384, true);  /* 2 x 64 MiB, shuffled: larger than the LLC */
	pool_init(&seq, 16384, false);  /* the same in address order (the scanner) */
	pool_init(&warm, 256, false);   /* 2 x 1 MiB: cache-resident */
	x = ks_xmalloc(cap * sizeof(*x));
	y = ks_xmalloc(cap * sizeof(*y));
	if (!ks_cli_quiet)
		fprintf(stderr, "sim: calibrating: compare...\n");
	reps = 64 * scale;
	for (unsigned off = 0; off <= PG; off += 8) {
		unsigned o2 = off == PG ? PG - 1 : off;

		x[npts] = o2 + 1;
		y[npts++] = time_compare(&warm, &warm, o2, reps, 5);
	}
	x[npts] = PG; /* equal pages: all 4096 bytes */
	y[npts++] = time_compare(&warm, &warm, PG, reps, 5);
	cold_cmp[0] = time_compare(&warm, &pool, 0, reps, 5);
	cold_cmp[1] = time_compare(&warm, &pool, PG, reps, 5);
	if (getenv("KS_CALIBRATE_DUMP"))
		for (size_t i = 0; i < npts; i++)
			fprintf(stderr, "compare %g %g\n", x[i], y[i]);
	if (ks_fit_linear(x, y, npts, &cmpfit, &err))
		goto out_err;
	if (!ks_cli_quiet)
		fprintf(stderr, "sim: calibrating: checksums, copy...\n");
	for (unsigned a = 0; a < KS_CSUM_COUNT; a++) {
		struct csum_arg ca = { &pool, (enum ks_checksum_alg)a, 256 * scale };

		if (repeat(m_csum, &ca, 20, &csum[a], &err))
			goto out_err;
	}
	{
		struct csum_arg ca = { &pool, 0, 256 * scale };

		if (repeat(m_copy, &ca, 20, &copy, &err))
			goto out_err;
	}
	if (!ks_cli_quiet)
		fprintf(stderr, "sim: calibrating: rbtree...\n");
	npts = 0;
	{
		size_t maxn = (size_t)1 << 18;
		struct tnode *nodes = ks_xcalloc(maxn, sizeof(*nodes));
		struct tnode **order = ks_xmalloc(maxn * sizeof(*order));

		/* nodes in random memory order, as slab objects of a long-running system */
		for (size_t i = 0; i < maxn; i++)
			order[i] = &nodes[i];
		for (size_t i = maxn - 1; i > 0; i--) {
			size_t j = rnd() % (i + 1);
			struct tnode *t = order[i];

			order[i] = order[j];
			order[j] = t;
		}
		ins_ns = 0;
		timer_ns = now_ns();
		for (unsigned r = 0; r < 100000; r++)
			sink_u64 += (uint64_t)now_ns();
		timer_ns = (now_ns() - timer_ns) / 100000; /* one clock read */
		for (size_t n = 16; n <= maxn; n *= 4) {
			struct ks_rb_root root = KS_RB_ROOT;
			uint64_t visits = 0;
			unsigned searches = 20000 * scale;
			double t0, link_ns = 0;

			for (size_t i = 0; i < n; i++)
				order[i]->key = rnd();
			for (size_t i = 0; i < n; i++)
				visits += tree_insert(&root, order[i], &link_ns);
			if (n == maxn) /* link + rebalance, minus one clock read per insert */
				ins_ns = link_ns / n - timer_ns;
			visits = 0;
			t0 = now_ns();
			for (unsigned s = 0; s < searches; s++)
				visits += tree_search(&root, order[rnd() % n]->key);
			x[npts] = (double)visits / searches;
			y[npts++] = (now_ns() - t0) / searches;
		}
		free(order);
		free(nodes);
	}
	if (ks_fit_linear(x, y, npts, &treefit, &err))
		goto out_err;
	if (ins_ns < 0)
		ins_ns = 0;
	if (!ks_cli_quiet)
		fprintf(stderr, "sim: calibrating: PTE changes, faults, allocations, wakeups...\n");
	{
		unsigned r1 = 2000 * scale, r2 = 4096, r3 = 20000 * scale, r4 = 2000 * scale;
		struct lw_arg l4 = { 20000 * scale, 4, (size_t)1 << 20 };
		struct lw_arg w4 = { 20000 * scale, 4, 512 };
		struct lw_arg w0 = { 20000 * scale, 1, 512 };
		unsigned r5 = 20000 * scale;
		struct zap_arg za = { 2000 * scale, timer_ns };

		if (repeat(m_mprotect, &r1, 10, &mprot, &err) ||
		    repeat(m_uffd_wp, &r1, 10, &uwp, &err) ||
		    repeat(m_zap, &za, 10, &zap, &err) ||
		    repeat(m_fault, &r2, 10, &fault, &err) ||
		    repeat(m_malloc, &r3, 10, &mfree, &err) ||
		    repeat(m_wakeup, &r4, 10, &wake, &err) ||
		    repeat(m_lockwalk, &l4, 10, &lock4, &err) ||
		    repeat(m_lockwalk, &w4, 10, &wlock4, &err) ||
		    repeat(m_lockwalk, &w0, 10, &wlock0, &err) ||
		    repeat(m_chase, &r5, 10, &chase, &err) ||
		    repeat(m_nullsys, &r5, 10, &nullsys, &err))
			goto out_err;
	}
	{
		struct csum_arg ws = { &seq, 0, 4000 * scale }, wr = { &pool, 0, 4000 * scale };

		if (repeat(m_walk, &ws, 10, &walk_seq, &err) ||
		    repeat(m_walk, &wr, 10, &walk_rand, &err))
			goto out_err;
	}
	if (!ks_cli_quiet)
		fprintf(stderr, "sim: calibrating: tree walks by tree size...\n");
	for (int st = 0; st < WALK_KINDS; st++) {
		if (st == WALK_UNSTABLE && !(walk_rand.mean > 0))
			continue; /* no move_pages: the unstable walk cannot be taken */
		walk_trees(&pool, (enum walk_kind)st, 2000 * scale, timer_ns, &wd[st]);
		wf_ok[st] = true;
		if (getenv("KS_CALIBRATE_DUMP"))
			for (unsigned k = 0; k < WALK_SIZES; k++)
				fprintf(stderr, "walk %d %zu %g\n", st, wd[st].n[k], wd[st].ns[k]);
	}
	/* one depth for both trees (the same cache, the same stream evicting it) */
	depth = walk_depth(wd, wf_ok, WALK_STABLE_SYS);
	for (int st = 0; st < WALK_KINDS; st++)
		wf_ok[st] = wf_ok[st] && depth && walk_fit(&wd[st], depth, &wf[st]);
	if (outpath && !(o = fopen(outpath, "w"))) {
		ks_cli_error("%s: cannot write", outpath);
		goto out;
	}
	fprintf(o, "# arch-models/%s.yaml - written by `sim calibrate` (ksmsim %s) on %s.\n"
		"# Host: %ld CPUs online. Every number below was measured on this host in\n"
		"# user space with real 4 KiB buffers (cold: 4 KiB pages of 2 x 64 MiB visited\n"
		"# in shuffled order);\n"
		"# fits are GSL least squares (gsl_fit_linear); repeated runs give their median\n"
		"# with the standard error of their mean (stderr_ns).\n"
		"# Steps ksmd does in the kernel are measured through the nearest user-space\n"
		"# operation; each `source` names the proxy. See docs/cost-models.md.\n",
		name, PACKAGE_VERSION, date, sysconf(_SC_NPROCESSORS_ONLN));
	fprintf(o, "arch: %s\ndescription: \"calibrated with sim calibrate on %s\"\ncosts:\n",
		name, date);
	snprintf(src, sizeof(src), "sim calibrate %s: kernel-style word-at-a-time memcmp of two "
		 "cache-resident 4 KiB pages first differing at offsets 0,8,..,4088,4095 and "
		 "equal pages (min of 5 trials of %u pairs each); y = fixed + per_byte*(offset+1). "
		 "Against a cold page (64 MiB pool, shuffled) a compare took %.0f ns at offset 0 "
		 "and %.0f ns for a whole page (%.0f predicted): the warm fit prices the "
		 "visits within tree_hot_depth, cold_per_byte_ns = (whole - first) / 4095 the "
		 "bytes of the deeper ones (a Linux 6.18 profile of ksmd: memcmp about 25 ns "
		 "per call on random pages)",
		 date, reps, cold_cmp[0], cold_cmp[1], cmpfit.c0 + cmpfit.c1 * PG);
	put_linear(o, "  ", "compare", cmpfit.c0 > 0 ? cmpfit.c0 : 0, cmpfit.c1, &cmpfit, NULL,
		   src);
	fprintf(o, "    cold_per_byte_ns: %.6f\n",
		cold_cmp[1] > cold_cmp[0] ? (cold_cmp[1] - cold_cmp[0]) / (PG - 1) : cmpfit.c1);
	fprintf(o, "  checksum:\n");
	for (unsigned a = 0; a < KS_CSUM_COUNT; a++) {
		snprintf(src, sizeof(src), "sim calibrate %s: models/checksum.c %s over cold 4 KiB "
			 "pages in shuffled order (2 x 64 MiB pool), median of %zu runs of %u pages; "
			 "whole pages only, so the fixed part is folded into per_byte", date,
			 ks_checksum_name((enum ks_checksum_alg)a), csum[a].n, 256 * scale);
		put_linear(o, "    ", ks_checksum_name((enum ks_checksum_alg)a), 0,
			   csum[a].mean / PG, NULL, &csum[a], src);
	}
#define SRC(...) (snprintf(src, sizeof(src), __VA_ARGS__), src)
	/* The stable walk takes no syscall: its fit is the kernel's step. The unstable
	 * walk's hot visits minus a null syscall are the kernel's walk to a page; its cold
	 * visits are not used as measured, because a syscall per visit makes every cold
	 * visit of the proxy dearer (the stable walk with a getppid(2) per visit shows it):
	 * they are composed as the stable cold visit (item, struct page, page line, all
	 * cold) + the hot walk + one more cold load (the page-table line of the address). */
	cmp8 = (cmpfit.c0 > 0 ? cmpfit.c0 : 0) + 8 * cmpfit.c1;
	if (wf_ok[WALK_STABLE]) {
		const struct walk_fit *f = &wf[WALK_STABLE];

		st_hot = fmax(0, f->hot - cmp8);
		st_step = f->hot;
		st_cold = fmax(0, f->cold - cmp8);
		put_simple(o, "stable_visit_cold", st_cold, NULL,
			   SRC("sim calibrate %s: searches of trees of 16..64Ki items (64 B, "
			       "random memory order) each naming a page (huge-page memory, as the "
			       "kernel's direct map), each search after the checksum of a cold "
			       "4 KiB page (the scanned page); a visit takes and drops a reference "
			       "on a 64-byte 'struct page' cell (ksm_get_folio), then memcmps the "
			       "page, whose result picks the next item; ns per search = c0 + "
			       "hot*E[min(v,D)] + cold*E[max(0,v-D)] by least squares at D = %u "
			       "(tree_hot_depth; R2 %.4f): hot %.1f, cold %.1f ns per visit; minus "
			       "the warm compare of one word (%.1f ns, priced by compare)", date,
			       f->depth, f->r2, f->hot, f->cold, cmp8));
		put_simple(o, "stable_visit", st_hot, NULL,
			   SRC("sim calibrate %s: the hot visits of the stable_visit_cold fit "
			       "(%.1f ns) minus the warm compare of one word", date, f->hot));
	} else {
		put_simple(o, "stable_visit", treefit.c1, NULL,
			   SRC("sim calibrate %s: models/rbtree.c search in trees of 16..256Ki "
			       "nodes, per-visit slope %.3f +- %.3f ns, R2 %.4f, n %zu", date,
			       treefit.c1, treefit.se1, treefit.r2, treefit.n));
		st_step = treefit.c1;
	}
	if (wf_ok[WALK_UNSTABLE] && wf_ok[WALK_STABLE]) {
		const struct walk_fit *f = &wf[WALK_UNSTABLE], *g = &wf[WALK_STABLE_SYS];
		double hot = fmax(0, f->hot - nullsys.mean - cmp8);

		put_simple(o, "unstable_visit", hot, NULL,
			   SRC("sim calibrate %s: as stable_visit_cold, but a visit is the kernel's "
			       "walk to the item's page (get_mergeable_page: mmap_read_lock, VMA "
			       "lookup, page-table walk, folio ref) as move_pages(2) of one page of "
			       "a 4 KiB-page 64 MiB pool: at D = %u (R2 %.4f), hot %.1f ns per "
			       "visit minus a null syscall (getppid, %.1f ns) and the warm compare "
			       "of one word", date, f->depth, f->r2, f->hot, nullsys.mean));
		put_simple(o, "unstable_visit_cold", st_cold + hot + chase.mean, &chase,
			   SRC("sim calibrate %s: stable_visit_cold (%.1f ns: item, struct page and "
			       "page line cold) + unstable_visit (%.1f ns: the walk) + one dependent "
			       "cold load (%.1f ns, pointer chase through 64 MiB of huge-page "
			       "memory: the page-table line of the item's address). The proxy's "
			       "own cold visit, %.1f ns minus a null syscall, is not used: a syscall "
			       "per visit makes each cold visit of a proxy dearer (the stable walk "
			       "with a getppid(2) per visit: cold minus hot %.1f ns against %.1f ns "
			       "without; ksmd makes no syscall)", date, st_cold, hot, chase.mean,
			       f->cold - nullsys.mean, wf_ok[WALK_STABLE_SYS] ? g->cold - g->hot : 0,
			       wf[WALK_STABLE].cold - wf[WALK_STABLE].hot));
	} else if (walk_rand.mean > 0)
		put_simple(o, "unstable_visit", treefit.c1 + walk_rand.mean, &walk_rand,
			   SRC("sim calibrate %s: rbtree per-visit slope (%.2f ns) + the kernel's "
			       "walk to a tree item's page measured as move_pages(2) of one page "
			       "minus getppid(2), pages of a 64 MiB pool in shuffled order, %.2f "
			       "ns", date, treefit.c1, walk_rand.mean));
	else
		put_simple(o, "unstable_visit", treefit.c1 + lock4.mean, &lock4,
			   SRC("sim calibrate %s: rbtree per-visit slope (%.2f ns) + rwlock read "
			       "pair with 4 dependent cold loads (mmap_read_lock + 4-level "
			       "page-table walk of the tree item's mm, %.2f ns; move_pages(2) not "
			       "available)", date, treefit.c1, lock4.mean));
	if (wf_ok[WALK_UNSTABLE] || wf_ok[WALK_STABLE])
		fprintf(o, "  tree_hot_depth:\n    value: %u\n    source: \"sim calibrate %s: "
			"visits per descent that stay cache-hot while every search streams a cold "
			"4 KiB page: the D = 1..24 at which the hot/cold fits of the unstable and "
			"stable tree walks (unstable_visit_cold, stable_visit_cold) leave the least "
			"unexplained (sum of 1 - R2)\"\n", depth, date);
	put_simple(o, "chain_dup", st_step, NULL,
		   SRC("sim calibrate %s: a hot stable-tree visit as measured, its one-word "
		       "compare standing in for the hlist step (%s): a dup is examined with "
		       "ksm_get_folio like a stable node, and a chain is examined by every page "
		       "that matches it, so it stays cached", date, wf_ok[WALK_STABLE] ?
		       "stable_visit_cold fit" : "rbtree per-visit slope"));
	put_simple(o, "tree_insert", ins_ns, NULL,
		   SRC("sim calibrate %s: models/rbtree.c link + rebalance of inserts into a "
		       "tree growing to 256Ki nodes, timed alone (the kernel inserts where its "
		       "search ended), minus one clock read (%.1f ns)", date, timer_ns));
	put_simple(o, "stale_node", mfree.mean + ins_ns, NULL,
		   SRC("sim calibrate %s: malloc/free of 64 B (slab free) + one rb erase, taken "
		       "as one rb insert", date));
	if (walk_seq.mean > 0) {
		put_simple(o, "anon_page", walk_seq.mean, &walk_seq,
			   SRC("sim calibrate %s: the kernel's walk to the scanned page "
			       "(scan_get_next_rmap_item: mmap_read_lock, VMA lookup, page-table "
			       "walk, folio ref) measured as move_pages(2) of one page minus "
			       "getppid(2), pages of a 64 MiB pool in address order", date));
		put_simple(o, "ksm_page", walk_seq.mean + 2 * chase.mean, &walk_seq,
			   SRC("sim calibrate %s: as anon_page (%.2f ns) + 2 dependent cold loads "
			       "(%.2f ns each: pointer chase through 64 MiB of huge-page memory): the "
			       "KSM page's struct page (page_stable_node: scattered, unlike the "
			       "scanner's own pages) and its stable node (head, kpfn) before the "
			       "early return", date, walk_seq.mean, chase.mean));
	} else {
		put_simple(o, "anon_page", wlock4.mean, &wlock4,
			   SRC("sim calibrate %s: rwlock read pair + 4 dependent cache-resident "
			       "loads (mmap lock + folio_walk of the scanned address; move_pages(2) "
			       "not available)", date));
		put_simple(o, "ksm_page", wlock4.mean, &wlock4,
			   SRC("sim calibrate %s: as anon_page (the KSM-page early return still "
			       "takes the mmap lock and walks to the folio)", date));
	}
	put_simple(o, "walk_entry", wlock0.mean, &wlock0,
		   SRC("sim calibrate %s: one dependent cache-resident load (rmap_list step / "
		       "PTE read in address order)", date));
	put_simple(o, "skip", wlock0.mean, &wlock0,
		   SRC("sim calibrate %s: one dependent cache-resident load (smart-scan age "
		       "check)", date));
	put_simple(o, "item_alloc", mfree.mean / 2, &mfree,
		   SRC("sim calibrate %s: half of a glibc malloc(64)+free pair (kmem_cache_zalloc "
		       "proxy)", date));
	put_simple(o, "item_free", mfree.mean / 2, &mfree,
		   SRC("sim calibrate %s: half of a glibc malloc(64)+free pair (kmem_cache_free "
		       "proxy)", date));
	if (uwp.mean > 0) {
		wp_ns = fmax(0, uwp.mean - nullsys.mean);
		wp_sv = &uwp;
		SRC("sim calibrate %s: userfaultfd write-protect of one resident page "
		    "(UFFDIO_WRITEPROTECT: mmap read lock, VMA lookup, page-table walk, PTE "
		    "write-protect, TLB flush of the page, as write_protect_page), median of "
		    "%zu runs (%.2f ns), minus a null syscall (getppid, %.2f ns: ksmd is a "
		    "kernel thread); mprotect(2), which also rewrites the VMA under the mmap "
		    "write lock, took %.2f ns", date, uwp.n, uwp.mean, nullsys.mean, mprot.mean);
	} else {
		wp_ns = fmax(0, mprot.mean - nullsys.mean);
		wp_sv = &mprot;
		SRC("sim calibrate %s: mprotect() of one resident page (PTE change + local TLB "
		    "flush), median of %zu runs (%.2f ns), minus a null syscall (getppid, %.2f "
		    "ns: ksmd is a kernel thread; userfaultfd write-protect not available)",
		    date, mprot.n, mprot.mean, nullsys.mean);
	}
	put_simple(o, "wrprotect", wp_ns, wp_sv, src);
	if (zap.mean > 0)
		put_simple(o, "replace", fmax(0, zap.mean - nullsys.mean), &zap,
			   SRC("sim calibrate %s: replace_page (the PTE pointed at the KSM page, "
			       "flushed, the old page's rmap dropped and the folio freed) as "
			       "madvise(MADV_DONTNEED) of one resident page (PTE clear, flush, rmap "
			       "removal, free), timed alone, median of %zu runs (%.2f ns), minus a "
			       "null syscall (%.2f ns)", date, zap.n, zap.mean, nullsys.mean));
	else
		put_simple(o, "replace", wp_ns, wp_sv,
			   SRC("sim calibrate %s: as wrprotect (replace_page: PTE replace + "
			       "flush)", date));
	put_simple(o, "merge", mfree.mean + ins_ns, NULL,
		   SRC("sim calibrate %s: malloc/free 64 B + one rb insert (stable node / rmap "
		       "hlist bookkeeping)", date));
	put_simple(o, "zero_merge", wlock0.mean, &wlock0,
		   SRC("sim calibrate %s: one dependent cache-resident load (zero-page accounting; the "
		       "flushes are priced by wrprotect/replace)", date));
	put_simple(o, "break_cow", fault.mean + copy.mean, NULL,
		   SRC("sim calibrate %s: first-touch write fault of an anonymous page (%.0f ns) + "
		       "4 KiB copy (%.0f ns)", date, fault.mean, copy.mean));
	put_simple(o, "scan_start", wake.mean * 2 * (double)sysconf(_SC_NPROCESSORS_ONLN), &wake,
		   SRC("sim calibrate %s: lru_add_drain_all = a work item on every CPU: 2 thread "
		       "wakeups (pipe ping-pong) per online CPU", date));
	put_simple(o, "batch", wake.mean, &wake,
		   SRC("sim calibrate %s: one thread sleep/wakeup (half a pipe round trip)", date));
	put_simple(o, "page_copy", copy.mean, &copy,
		   SRC("sim calibrate %s: memcpy of a cold 4 KiB page, median of %zu runs", date,
		       copy.n));
	fprintf(o, "  guest_tlb_factor:\n    value: 1.0\n    source: \"sim calibrate %s: the "
		"flushes above were measured on this host as it runs (a guest's virtualisation "
		"cost is already in them)\"\n", date);
#undef SRC
	if (o != stdout && fclose(o)) {
		ks_cli_error("%s: write failed", outpath);
		goto out;
	}
	if (!ks_cli_quiet)
		fprintf(stderr, "sim: compare fit: %.1f ns + %.4f ns/B (R2 %.4f); tree visit "
			"%.2f ns (R2 %.4f)\n", cmpfit.c0, cmpfit.c1, cmpfit.r2, treefit.c1,
			treefit.r2);
	rc = KS_EXIT_OK;
	goto out;
out_err:
	ks_cli_error("calibrate: %s", err.msg);
out:
	pool_fini(&pool);
	pool_fini(&seq);
	pool_fini(&warm);
	free(wd);
	free(x);
	free(y);
	return rc;
}
