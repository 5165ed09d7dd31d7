/* reads.c - pricing CPU reads by the physical page behind them (reads.h): a small
 * open-addressing table remembers, per shared frame (KSM page or zero page), the cache
 * colour it was last read under. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "reads.h"
#include "models/base/xalloc.h"

#define PAGE_SHIFT 12
#define PAGE_BYTES 4096u

/* A shared frame's key: KSM pages (pfn << 1), zero pages (colour << 1 | 1); 0 = empty. */
struct slot {
	uint64_t key;
	uint32_t colour;   /* cache colour of its last read */
};

struct ks_reader {
	struct ks_read_costs c;
	unsigned zero_colours;
	uint64_t page_ns;      /* a page read without a synonym */
	uint64_t synonym_ns;   /* what a synonym adds to it: lines * synonym_ns */
	struct slot *slots;    /* power-of-two table, at most half full */
	size_t cap, used;
	struct ks_read_totals t;
};

unsigned ks_zero_page_colour(uint64_t vaddr, unsigned colours)
{
	return colours > 1 ? (unsigned)((vaddr >> PAGE_SHIFT) & (colours - 1)) : 0;
}

unsigned ks_cache_colour(uint64_t vaddr, unsigned colours)
{
	return colours > 1 ? (unsigned)((vaddr >> PAGE_SHIFT) & (colours - 1)) : 0;
}

const char *ks_read_frame_name(enum ks_read_frame k)
{
	static const char *const names[KS_RF_COUNT] = { "private", "ksm", "zero" };

	return (unsigned)k < KS_RF_COUNT ? names[k] : "?";
}

struct ks_reader *ks_reader_new(const struct ks_read_costs *c, unsigned zero_colours)
{
	struct ks_reader *r = ks_xcalloc(1, sizeof(*r));
	unsigned lines;

	r->c = *c;
	if (!r->c.cache_colours)
		r->c.cache_colours = 1;
	if (!r->c.line_bytes || r->c.line_bytes > PAGE_BYTES)
		r->c.line_bytes = PAGE_BYTES;
	lines = PAGE_BYTES / r->c.line_bytes;
	r->zero_colours = zero_colours ? zero_colours : 1;
	r->page_ns = (uint64_t)llround(PAGE_BYTES * (c->byte_ns > 0 ? c->byte_ns : 0));
	r->synonym_ns = (uint64_t)llround(lines * (c->synonym_ns > 0 ? c->synonym_ns : 0));
	r->cap = 1024;
	r->slots = ks_xcalloc(r->cap, sizeof(*r->slots));
	return r;
}

void ks_reader_free(struct ks_reader *r)
{
	if (!r)
		return;
	free(r->slots);
	free(r);
}

static size_t slot_hash(uint64_t key, size_t cap)
{
	key ^= key >> 33;
	key *= 0xff51afd7ed558ccdULL;
	key ^= key >> 33;
	return (size_t)key & (cap - 1);
}

static struct slot *slot_find(struct ks_reader *r, uint64_t key, bool *fresh);

static void grow(struct ks_reader *r)
{
	struct slot *old = r->slots;
	size_t oldcap = r->cap;
	bool fresh;

	r->cap *= 2;
	r->slots = ks_xcalloc(r->cap, sizeof(*r->slots));
	r->used = 0;
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].key)
			slot_find(r, old[i].key, &fresh)->colour = old[i].colour;
	free(old);
}

/* The slot of key, created (fresh) when absent. */
static struct slot *slot_find(struct ks_reader *r, uint64_t key, bool *fresh)
{
	size_t i;

	if (2 * (r->used + 1) > r->cap)
		grow(r);
	for (i = slot_hash(key, r->cap); r->slots[i].key; i = (i + 1) & (r->cap - 1)) {
		if (r->slots[i].key == key) {
			*fresh = false;
			return &r->slots[i];
		}
	}
	r->slots[i].key = key;
	r->used++;
	*fresh = true;
	return &r->slots[i];
}

uint64_t ks_reader_read(struct ks_reader *r, enum ks_read_frame kind, uint64_t frame,
			uint64_t vaddr)
{
	unsigned colour = ks_cache_colour(vaddr, r->c.cache_colours);
	uint64_t ns = r->page_ns, key;
	struct slot *s;
	bool fresh;

	if ((unsigned)kind >= KS_RF_COUNT)
		kind = KS_RF_PRIVATE;
	r->t.pages++;
	r->t.by_frame[kind]++;
	if (kind != KS_RF_PRIVATE && r->c.cache_colours > 1) {
		key = kind == KS_RF_KSM ? frame << 1
					: (uint64_t)ks_zero_page_colour(vaddr, r->zero_colours) << 1 | 1;
		s = slot_find(r, key, &fresh);
		if (!fresh && s->colour != colour) {
			ns += r->synonym_ns;
			r->t.synonym_pages++;
		}
		s->colour = colour;
	}
	r->t.ns += ns;
	return ns;
}

const struct ks_read_totals *ks_reader_totals(const struct ks_reader *r)
{
	return &r->t;
}

void ks_read_totals_add_since(struct ks_read_totals *acc, const struct ks_read_totals *now,
			      const struct ks_read_totals *before)
{
	acc->pages += now->pages - before->pages;
	for (unsigned k = 0; k < KS_RF_COUNT; k++)
		acc->by_frame[k] += now->by_frame[k] - before->by_frame[k];
	acc->synonym_pages += now->synonym_pages - before->synonym_pages;
	acc->ns += now->ns - before->ns;
}

const char *ks_read_variant_name(enum ks_read_variant v)
{
	static const char *const names[KS_RV_COUNT] = { "no-ksm", "ksm-merge",
							"ksm-zero-pages", "mixed" };

	return (unsigned)v < KS_RV_COUNT ? names[v] : "?";
}

enum ks_read_variant ks_read_variant_of(bool merge, bool zero)
{
	if (merge && zero)
		return KS_RV_MIXED;
	return merge ? KS_RV_MERGE : zero ? KS_RV_ZERO_PAGES : KS_RV_NO_KSM;
}

void ks_arch_reads_init(struct ks_arch_reads *r)
{
	memset(r, 0, sizeof(*r));
	r->c.line_bytes = 4096;
	r->c.cache_colours = 1;
	r->zero.counts[0] = 1;
	r->zero.n = 1;
	r->zero.dflt = 1;
}

unsigned ks_arch_reads_colours_for_ram(const struct ks_arch_reads *r, uint64_t ram_pages)
{
	const struct ks_zero_colours *z = &r->zero;
	unsigned c = z->n ? z->counts[0] : 1;

	if (!z->ram_pages_each || !ram_pages)
		return z->dflt;
	for (unsigned i = 0; i < z->n; i++)
		if (z->counts[i] <= z->dflt && ram_pages / z->ram_pages_each >= z->counts[i])
			c = z->counts[i];
	return c;
}

bool ks_arch_reads_has_colours(const struct ks_arch_reads *r, unsigned colours)
{
	for (unsigned i = 0; i < r->zero.n; i++)
		if (r->zero.counts[i] == colours)
			return true;
	return false;
}

/* Appends the decimal digits of v at buf + *n (bounded by len, NUL kept). */
static void put_uint(char *buf, size_t len, size_t *n, unsigned v)
{
	char d[12];
	int k = 0;

	do
		d[k++] = (char)('0' + v % 10);
	while ((v /= 10) && k < (int)sizeof(d));
	while (k > 0 && *n + 1 < len)
		buf[(*n)++] = d[--k];
	buf[*n] = '\0';
}

const char *ks_arch_reads_colours_str(const struct ks_arch_reads *r, char *buf, size_t len)
{
	size_t n = 0;

	if (!len)
		return buf;
	buf[0] = '\0';
	for (unsigned i = 0; i < r->zero.n; i++) {
		if (i && n + 3 >= len)
			break; /* no room for ", N" */
		if (i) {
			buf[n++] = ',';
			buf[n++] = ' ';
		}
		put_uint(buf, len, &n, r->zero.counts[i]);
	}
	return buf;
}
