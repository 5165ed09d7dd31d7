/* page_dict.c - the page dictionary writer (page_dict.h).
 *
 * Runs: consecutive pages of one process that are all zero become one `write` of the
 * zero class; consecutive pages whose dictionary ids form an arithmetic sequence (the
 * same page repeated: step 0; pages first seen in order: step 1) become one `ref`. Runs
 * wait in a queue until ks_pdict_flush(), so that the `page` records in between leave
 * the writer in full batches of 64 (a `ref` or `write` ends the writer's batch).
 *
 * Identity: the 128-bit XXH3 hash of the bytes (libxxhash) in an open-addressing table
 * (24 bytes a slot, at most half full). Holding every distinct page to compare bytes
 * would cost 4 KiB per page: a recording of eight 1 GiB guests would need gigabytes. */
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "page_dict.h"
#include "models/base/xalloc.h"

#define QUEUE_MAX 65536u /* runs held back, at most */
#define ZERO_CLS 1u      /* the trace's zero class */
#define PD_ID(st) ((uint64_t)(st) - 2u)

/* A run of page writes. */
struct run {
	uint32_t pid;
	uint64_t vaddr, npages;
	bool zero;       /* zero class, else a ref */
	uint64_t id;     /* ref: first dictionary id */
	int64_t step;    /* ref: id increment per page */
};

struct dict_slot {
	uint64_t lo, hi; /* XXH3-128 of the page */
	uint64_t id1;    /* dictionary id + 1; 0 = empty slot */
};

struct ks_pdict {
	struct ks_trace_writer *w;
	struct ks_trace_rec *rec;   /* scratch record (large) */
	ks_time t;                  /* time of the records */
	bool zero_cls;              /* the zero class was defined */
	struct dict_slot *ht;
	uint64_t htmask, ndict;
	struct run *q;              /* held-back runs */
	size_t nq;
	struct run cur;             /* the run being built */
	bool have_cur;
	struct ks_pdict_stats st;
	struct ks_err err;          /* the first write error */
	int failed;                 /* its code, 0 if none */
};

struct ks_pdict *ks_pdict_new(struct ks_trace_writer *w)
{
	struct ks_pdict *d = ks_xcalloc(1, sizeof(*d));

	d->w = w;
	d->rec = ks_xmalloc(sizeof(*d->rec));
	d->q = ks_xmalloc(QUEUE_MAX * sizeof(*d->q));
	return d;
}

void ks_pdict_free(struct ks_pdict *d)
{
	if (!d)
		return;
	free(d->rec);
	free(d->q);
	free(d->ht);
	free(d);
}

void ks_pdict_set_time(struct ks_pdict *d, ks_time t)
{
	d->t = t;
}

void ks_pdict_put(struct ks_pdict *d, struct ks_trace_rec *rec)
{
	if (d->failed)
		return;
	rec->t = d->t;
	d->failed = ks_trace_writer_put(d->w, rec, &d->err);
}

void ks_pdict_put_range(struct ks_pdict *d, enum ks_trace_op op, uint32_t pid,
			uint64_t vaddr, uint64_t npages)
{
	ks_trace_rec_clear(d->rec);
	d->rec->op = op;
	d->rec->pid = pid;
	d->rec->vaddr = vaddr;
	d->rec->npages = npages;
	ks_pdict_put(d, d->rec);
}

int ks_pdict_error(const struct ks_pdict *d, struct ks_err *err)
{
	if (d->failed && err)
		*err = d->err;
	return d->failed;
}

const struct ks_pdict_stats *ks_pdict_stats(const struct ks_pdict *d)
{
	return &d->st;
}

/* ---- runs ---- */

static void put_run(struct ks_pdict *d, const struct run *u)
{
	struct ks_trace_rec *r = d->rec;

	if (u->zero && !d->zero_cls) {
		ks_trace_rec_clear(r);
		r->op = KS_TR_CLASS;
		r->cls = ZERO_CLS;
		r->spec.kind = KS_CONTENT_ZERO;
		ks_pdict_put(d, r);
		d->zero_cls = true;
	}
	ks_trace_rec_clear(r);
	r->op = u->zero ? KS_TR_WRITE : KS_TR_REF;
	r->pid = u->pid;
	r->vaddr = u->vaddr;
	r->npages = u->npages;
	r->cls = u->zero ? ZERO_CLS : 0;
	r->arg = u->zero ? 0 : u->id;
	r->step = u->zero ? 0 : u->step;
	ks_pdict_put(d, r);
	d->st.pages_recorded += u->npages;
	if (u->zero)
		d->st.zero_pages += u->npages;
}

static void end_run(struct ks_pdict *d)
{
	if (!d->have_cur)
		return;
	d->have_cur = false;
	if (d->nq == QUEUE_MAX)
		ks_pdict_flush(d);
	d->q[d->nq++] = d->cur;
}

void ks_pdict_end_run(struct ks_pdict *d)
{
	end_run(d);
}

void ks_pdict_flush(struct ks_pdict *d)
{
	end_run(d);
	for (size_t i = 0; i < d->nq; i++)
		put_run(d, &d->q[i]);
	d->nq = 0;
}

void ks_pdict_write(struct ks_pdict *d, uint32_t pid, uint64_t vaddr, uint32_t st)
{
	struct run *u = &d->cur;
	bool zero = st == KS_PD_ZERO;

	if (d->have_cur && u->pid == pid && u->zero == zero &&
	    vaddr == u->vaddr + u->npages * KS_PAGE_SIZE) {
		if (zero) {
			u->npages++;
			return;
		}
		if (u->npages == 1) {
			u->step = (int64_t)(PD_ID(st) - u->id);
			u->npages++;
			return;
		}
		if (PD_ID(st) == u->id + (uint64_t)((int64_t)u->npages * u->step)) {
			u->npages++;
			return;
		}
	}
	end_run(d);
	*u = (struct run){ .pid = pid, .vaddr = vaddr, .npages = 1, .zero = zero,
			   .id = zero ? 0 : PD_ID(st), .step = 0 };
	d->have_cur = true;
}

/* ---- the dictionary ---- */

static void ht_grow(struct ks_pdict *d)
{
	uint64_t oldmask = d->htmask, mask = d->ht ? 2 * oldmask + 1 : 4095;
	struct dict_slot *old = d->ht, *ht = ks_xcalloc(mask + 1, sizeof(*ht));

	for (uint64_t i = 0; old && i <= oldmask; i++) {
		uint64_t j;

		if (!old[i].id1)
			continue;
		for (j = old[i].lo & mask; ht[j].id1; j = (j + 1) & mask)
			;
		ht[j] = old[i];
	}
	free(old);
	d->ht = ht;
	d->htmask = mask;
}

static bool page_is_zero(const uint8_t *p)
{
	uint64_t acc = 0, w;

	for (unsigned i = 0; i < KS_PAGE_SIZE; i += 8) {
		memcpy(&w, p + i, 8);
		acc |= w;
	}
	return acc == 0;
}

uint32_t ks_pdict_state(struct ks_pdict *d, const uint8_t *page)
{
	XXH128_hash_t h;
	uint64_t i;

	if (page_is_zero(page))
		return KS_PD_ZERO;
	h = XXH3_128bits(page, KS_PAGE_SIZE);
	if (!d->ht || 2 * (d->ndict + 1) > d->htmask)
		ht_grow(d);
	for (i = h.low64 & d->htmask; d->ht[i].id1; i = (i + 1) & d->htmask)
		if (d->ht[i].lo == h.low64 && d->ht[i].hi == h.high64)
			return KS_PD_DICT(d->ht[i].id1 - 1);
	d->ht[i] = (struct dict_slot){ h.low64, h.high64, d->ndict + 1 };
	ks_trace_rec_clear(d->rec);
	d->rec->op = KS_TR_PAGE;
	d->rec->arg = d->ndict;
	memcpy(d->rec->bytes, page, KS_PAGE_SIZE);
	ks_pdict_put(d, d->rec);
	d->st.dict_pages++;
	return KS_PD_DICT(d->ndict++);
}
