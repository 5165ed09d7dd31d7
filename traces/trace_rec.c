/* trace_rec.c - trace records: names, equality, clearing, and the record checker that
 * every reader and the writer share (trace_int.h), so that a file this module writes is
 * always one it can read back. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scenario.h"
#include "trace_int.h"
#include "models/base/xalloc.h"

char *ks_trace_time_str(ks_time t, char *buf, size_t len)
{
	static const struct { ks_time ns; const char *unit; } units[] = {
		{ KS_S(1), "s" }, { KS_MS(1), "ms" }, { KS_US(1), "us" },
	};

	for (size_t i = 0; t && i < sizeof(units) / sizeof(units[0]); i++) {
		if (t % units[i].ns == 0) {
			snprintf(buf, len, "%" PRIu64 "%s", t / units[i].ns, units[i].unit);
			return buf;
		}
	}
	snprintf(buf, len, "%" PRIu64 "ns", t);
	return buf;
}

static const char *const op_names[KS_TR_OP_MAX] = {
	[KS_TR_CLASS] = "class", [KS_TR_START] = "start", [KS_TR_MMAP] = "mmap",
	[KS_TR_MUNMAP] = "munmap", [KS_TR_WRITE] = "write", [KS_TR_WRITE_LITERAL] = "literal",
	[KS_TR_MERGEABLE] = "mergeable", [KS_TR_UNMERGEABLE] = "unmergeable",
	[KS_TR_EXIT] = "exit", [KS_TR_KNOB] = "knob", [KS_TR_PAGE] = "page",
	[KS_TR_REF] = "ref", [KS_TR_READ] = "read",
};

bool tr_op_is_valid(int op)
{
	return op >= KS_TR_CLASS && op < KS_TR_OP_MAX;
}

const char *ks_trace_op_name(enum ks_trace_op op)
{
	return tr_op_is_valid((int)op) ? op_names[op] : "?";
}

/* MMAP, MUNMAP, WRITE, MERGEABLE, UNMERGEABLE, REF: records that carry vaddr + npages. */
bool tr_op_is_ranged(enum ks_trace_op op)
{
	return op == KS_TR_MMAP || op == KS_TR_MUNMAP || op == KS_TR_WRITE ||
	       op == KS_TR_MERGEABLE || op == KS_TR_UNMERGEABLE || op == KS_TR_REF ||
	       op == KS_TR_READ;
}

/* PAGE and REF: the records of the page dictionary (format version 2). */
bool tr_op_is_dict(enum ks_trace_op op)
{
	return op == KS_TR_PAGE || op == KS_TR_REF;
}

static bool spec_equal(const struct ks_content_class_spec *a,
		       const struct ks_content_class_spec *b)
{
	if (a->kind != b->kind)
		return false;
	switch (a->kind) {
	case KS_CONTENT_FILL:
		if (a->fill != b->fill || a->npatches != b->npatches)
			return false;
		for (unsigned i = 0; i < a->npatches; i++) {
			const struct ks_patch *p = &a->patches[i], *q = &b->patches[i];

			if (p->offset != q->offset || p->width != q->width ||
			    p->source != q->source || p->value != q->value)
				return false;
		}
		return true;
	case KS_CONTENT_IMAGE:
	case KS_CONTENT_RANDOM:
		return a->seed == b->seed;
	default:
		return true;
	}
}

bool ks_trace_rec_equal(const struct ks_trace_rec *a, const struct ks_trace_rec *b)
{
	if (a->t != b->t || a->op != b->op)
		return false;
	switch (a->op) {
	case KS_TR_CLASS:
		return a->cls == b->cls && spec_equal(&a->spec, &b->spec);
	case KS_TR_START:
		return a->pid == b->pid && strcmp(a->name, b->name) == 0;
	case KS_TR_REF:
	case KS_TR_WRITE:
		if (a->cls != b->cls || a->arg != b->arg || a->step != b->step)
			return false;
		/* fall through */
	case KS_TR_MMAP:
	case KS_TR_MUNMAP:
	case KS_TR_MERGEABLE:
	case KS_TR_UNMERGEABLE:
	case KS_TR_READ:
		return a->pid == b->pid && a->vaddr == b->vaddr && a->npages == b->npages;
	case KS_TR_WRITE_LITERAL:
		return a->pid == b->pid && a->vaddr == b->vaddr &&
		       memcmp(a->bytes, b->bytes, KS_PAGE_SIZE) == 0;
	case KS_TR_PAGE:
		return a->arg == b->arg && memcmp(a->bytes, b->bytes, KS_PAGE_SIZE) == 0;
	case KS_TR_EXIT:
		return a->pid == b->pid;
	case KS_TR_KNOB:
		return a->knob == b->knob && a->value == b->value;
	default:
		return false;
	}
}

void ks_trace_rec_clear(struct ks_trace_rec *r)
{
	r->t = 0;
	r->op = 0;
	r->pid = 0;
	r->vaddr = 0;
	r->npages = 0;
	r->cls = 0;
	r->arg = 0;
	r->step = 0;
	r->pager = NULL;
	r->page_key = 0;
	memset(&r->spec, 0, sizeof(r->spec));
	r->spec.patches = r->patches;
	r->name[0] = '\0';
	r->knob = 0;
	r->value = 0;
}

/* ------------------------------------------------------------ record checker */

void tr_check_fini(struct tr_check *c)
{
	free(c->defined);
	memset(c, 0, sizeof(*c));
}

static bool tr_class_defined(const struct tr_check *c, uint32_t cls)
{
	return cls / 8 < c->ndefined && (c->defined[cls / 8] >> (cls % 8)) & 1;
}

static void tr_class_define(struct tr_check *c, uint32_t cls)
{
	if (cls / 8 >= c->ndefined) {
		size_t n = c->ndefined ? c->ndefined : 64;

		while (n <= cls / 8)
			n *= 2;
		c->defined = ks_xrealloc(c->defined, n);
		memset(c->defined + c->ndefined, 0, n - c->ndefined);
		c->ndefined = n;
	}
	c->defined[cls / 8] |= (uint8_t)(1u << (cls % 8));
}

static int check_spec(const struct ks_trace_rec *r, char *msg, size_t len)
{
	const struct ks_content_class_spec *s = &r->spec;

	if (r->cls >= KS_CONTENT_MAX_CLASSES) {
		snprintf(msg, len, "class id %" PRIu32 " out of range (max %u)", r->cls,
			 KS_CONTENT_MAX_CLASSES - 1);
		return -1;
	}
	if (s->kind != KS_CONTENT_ZERO && s->kind != KS_CONTENT_FILL &&
	    s->kind != KS_CONTENT_IMAGE && s->kind != KS_CONTENT_RANDOM) {
		snprintf(msg, len, "class %" PRIu32 " has invalid kind %d", r->cls, (int)s->kind);
		return -1;
	}
	if (s->kind != KS_CONTENT_FILL)
		return 0;
	if (s->npatches > KS_CONTENT_MAX_PATCHES) {
		snprintf(msg, len, "class %" PRIu32 " has %u patches (max %u)", r->cls,
			 s->npatches, KS_CONTENT_MAX_PATCHES);
		return -1;
	}
	for (unsigned i = 0; i < s->npatches; i++) {
		const struct ks_patch *p = &s->patches[i];

		if (p->width < 1 || p->width > 8 || p->offset + p->width > KS_PAGE_SIZE ||
		    p->source > KS_PATCH_ARG_PLUS) {
			snprintf(msg, len, "class %" PRIu32 " word %u (offset %u width %u) does not "
				 "fit the page", r->cls, i + 1, p->offset, p->width);
			return -1;
		}
	}
	return 0;
}

/* The last argument of a WRITE, arg + (npages - 1) * step, must fit 40 bits. */
static bool write_args_fit(const struct ks_trace_rec *r)
{
	uint64_t n = r->npages - 1, mag;

	if (r->arg > KS_CONTENT_ARG_MASK)
		return false;
	if (r->step >= 0) {
		mag = (uint64_t)r->step;
		return !mag || n <= (KS_CONTENT_ARG_MASK - r->arg) / mag;
	}
	mag = (uint64_t)(-(r->step + 1)) + 1;
	return n <= r->arg / mag;
}

static int check_range(const struct ks_trace_rec *r, char *msg, size_t len)
{
	const char *op = ks_trace_op_name(r->op);

	if (r->vaddr % KS_PAGE_SIZE) {
		snprintf(msg, len, "%s address 0x%" PRIx64 " is not page-aligned", op, r->vaddr);
		return -1;
	}
	if (r->op == KS_TR_WRITE_LITERAL)
		return 0;
	if (r->npages == 0) {
		snprintf(msg, len, "%s range has no pages", op);
		return -1;
	}
	if (r->npages > (UINT64_MAX - r->vaddr) / KS_PAGE_SIZE + 1 ||
	    r->npages - 1 > (UINT64_MAX - r->vaddr) / KS_PAGE_SIZE) {
		snprintf(msg, len, "%s range 0x%" PRIx64 " + %" PRIu64 " pages overflows", op,
			 r->vaddr, r->npages);
		return -1;
	}
	return 0;
}

/* Every page of a REF names a dictionary page already defined: arg + i * step in
 * [0, ndict) for i < npages (the ends suffice: the ids are an arithmetic sequence). */
static bool ref_ids_defined(const struct tr_check *c, const struct ks_trace_rec *r)
{
	uint64_t n = r->npages - 1, mag;

	if (r->arg >= c->ndict)
		return false;
	if (r->step >= 0) {
		mag = (uint64_t)r->step;
		return !mag || n <= (c->ndict - 1 - r->arg) / mag;
	}
	mag = (uint64_t)(-(r->step + 1)) + 1;
	return n <= r->arg / mag;
}

/* 0 if r may follow the records seen so far (and records it), else -1 with msg. */
int tr_check_rec(struct tr_check *c, const struct ks_trace_rec *r, char *msg,
			size_t len)
{
	char a[32], b[32];

	if (!tr_op_is_valid((int)r->op)) {
		snprintf(msg, len, "unknown record type 0x%02x", (unsigned)r->op);
		return -1;
	}
	if (r->t < c->last_t) {
		snprintf(msg, len, "timestamp goes backwards (%s < %s)",
			 ks_trace_time_str(r->t, a, sizeof(a)),
			 ks_trace_time_str(c->last_t, b, sizeof(b)));
		return -1;
	}
	switch (r->op) {
	case KS_TR_CLASS:
		if (check_spec(r, msg, len))
			return -1;
		if (tr_class_defined(c, r->cls)) {
			snprintf(msg, len, "class %" PRIu32 " defined twice", r->cls);
			return -1;
		}
		tr_class_define(c, r->cls);
		break;
	case KS_TR_START:
		if (!memchr(r->name, '\0', sizeof(r->name))) {
			snprintf(msg, len, "process name longer than %zu bytes",
				 sizeof(r->name) - 1);
			return -1;
		}
		break;
	case KS_TR_PAGE:
		if (r->arg != c->ndict) {
			snprintf(msg, len, "page id %" PRIu64 " out of order (expected %" PRIu64 ")",
				 r->arg, c->ndict);
			return -1;
		}
		c->ndict++;
		break;
	case KS_TR_WRITE:
		if (!tr_class_defined(c, r->cls)) {
			snprintf(msg, len, "write uses undefined class %" PRIu32, r->cls);
			return -1;
		}
		/* fall through */
	case KS_TR_REF:
	case KS_TR_MMAP:
	case KS_TR_MUNMAP:
	case KS_TR_MERGEABLE:
	case KS_TR_UNMERGEABLE:
	case KS_TR_WRITE_LITERAL:
	case KS_TR_READ:
		if (check_range(r, msg, len))
			return -1;
		if (r->op == KS_TR_REF && !ref_ids_defined(c, r)) {
			snprintf(msg, len, "ref to undefined page (id %" PRIu64 ", step %" PRId64
				 ", %" PRIu64 " pages; %" PRIu64 " pages defined)", r->arg,
				 r->step, r->npages, c->ndict);
			return -1;
		}
		if (r->op == KS_TR_WRITE && !write_args_fit(r)) {
			snprintf(msg, len, "write arguments (arg %" PRIu64 ", step %" PRId64
				 ", %" PRIu64 " pages) do not fit %d bits", r->arg, r->step,
				 r->npages, KS_CONTENT_ARG_BITS);
			return -1;
		}
		break;
	case KS_TR_KNOB:
		/* any value: a write the kernel refuses is part of what a trace records */
		if (!ks_knob_name((enum ks_knob)r->knob)) {
			snprintf(msg, len, "unknown knob %" PRIu32, r->knob);
			return -1;
		}
		break;
	default:
		break;
	}
	c->last_t = r->t;
	c->nrecs++;
	return 0;
}

