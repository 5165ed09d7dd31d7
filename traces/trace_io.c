/* trace_io.c - readers and writers for page-write traces (formats in trace_io.h).
 *
 * Why two formats: the binary .kst is what recorders and `sim trace gen` produce for
 * long runs (a few bytes per WRITE record, a CRC-32 trailer that catches truncation and
 * corruption); the text .kstt is for people: hand-written test traces, diffs, greps.
 * `sim trace convert` maps one onto the other losslessly.
 *
 * Both readers and the writer share one record checker (struct tr_check), so a file
 * this module writes is always one it can read back, and the engine can rely on: time
 * never decreases, classes are defined (once) before use, ranges are page-aligned and
 * non-empty. Per-process sanity (write before mmap, pid reuse) is the engine's business.
 *
 * Reader state machine: HEADER (checked in ks_trace_open) -> RECORDS (next() returns 1)
 * -> END (returns 0 forever) or ERROR (returns the same error forever). */
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
#include "trace_io.h"
#include "models/base/xalloc.h"

#define TR_MAGIC "KSMTRACE"
#define TR_HEADER_SIZE 24u
#define TR_END_SIZE 13u
#define TR_MAX_PAYLOAD 8192u
#define TR_TEXT_MAGIC "ksmsim-trace"

/* ------------------------------------------------------------------ utilities */

static uint32_t crc_table[256]; /* CRC-32 (reflected 0xEDB88320), filled on first use */

static uint32_t crc32_update(uint32_t crc, const uint8_t *p, size_t n)
{
	if (!crc_table[1]) {
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t c = i;

			for (int k = 0; k < 8; k++)
				c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
			crc_table[i] = c;
		}
	}
	crc = ~crc;
	while (n--)
		crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

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
	[KS_TR_EXIT] = "exit", [KS_TR_KNOB] = "knob",
};

static bool op_is_valid(int op)
{
	return op >= KS_TR_CLASS && op < KS_TR_OP_MAX;
}

const char *ks_trace_op_name(enum ks_trace_op op)
{
	return op_is_valid((int)op) ? op_names[op] : "?";
}

/* MMAP, MUNMAP, WRITE, MERGEABLE, UNMERGEABLE: records that carry vaddr + npages. */
static bool op_is_ranged(enum ks_trace_op op)
{
	return op == KS_TR_MMAP || op == KS_TR_MUNMAP || op == KS_TR_WRITE ||
	       op == KS_TR_MERGEABLE || op == KS_TR_UNMERGEABLE;
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
	case KS_TR_WRITE:
		if (a->cls != b->cls || a->arg != b->arg || a->step != b->step)
			return false;
		/* fall through */
	case KS_TR_MMAP:
	case KS_TR_MUNMAP:
	case KS_TR_MERGEABLE:
	case KS_TR_UNMERGEABLE:
		return a->pid == b->pid && a->vaddr == b->vaddr && a->npages == b->npages;
	case KS_TR_WRITE_LITERAL:
		return a->pid == b->pid && a->vaddr == b->vaddr &&
		       memcmp(a->bytes, b->bytes, KS_PAGE_SIZE) == 0;
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
	memset(&r->spec, 0, sizeof(r->spec));
	r->spec.patches = r->patches;
	r->name[0] = '\0';
	r->knob = 0;
	r->value = 0;
}

/* ------------------------------------------------------------ record checker */

/* What every reader and writer verifies across records. */
struct tr_check {
	ks_time last_t;    /* time of the previous record, ns */
	uint8_t *defined;  /* bitmap of class ids defined so far */
	size_t ndefined;   /* bytes allocated in `defined` */
	uint64_t nrecs;    /* records accepted so far */
};

static void tr_check_fini(struct tr_check *c)
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

/* 0 if r may follow the records seen so far (and records it), else -1 with msg. */
static int tr_check_rec(struct tr_check *c, const struct ks_trace_rec *r, char *msg,
			size_t len)
{
	char a[32], b[32];

	if (!op_is_valid((int)r->op)) {
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
	case KS_TR_WRITE:
		if (!tr_class_defined(c, r->cls)) {
			snprintf(msg, len, "write uses undefined class %" PRIu32, r->cls);
			return -1;
		}
		/* fall through */
	case KS_TR_MMAP:
	case KS_TR_MUNMAP:
	case KS_TR_MERGEABLE:
	case KS_TR_UNMERGEABLE:
	case KS_TR_WRITE_LITERAL:
		if (check_range(r, msg, len))
			return -1;
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

/* ------------------------------------------------------------------- readers */

struct tr_reader {
	struct ks_trace_source src; /* first member: the interface */
	char *path;                 /* file name, for messages (owned) */
	FILE *f;                    /* the open file */
	bool text;                  /* text (.kstt) rather than binary */
	struct tr_check chk;        /* cross-record validation */
	int state;                  /* 0 reading, 1 at the end, < 0 failed (KS_E*) */
	struct ks_err failure;      /* the error, repeated by every later next() */
	/* binary */
	uint64_t off;               /* bytes consumed, = offset of the next byte */
	uint32_t crc;               /* CRC-32 of the record bytes so far */
	uint64_t hdr_count;         /* header's record count (0 = unknown) */
	ks_time last_t;             /* delta base: t of the previous record, ns */
	uint8_t buf[TR_MAX_PAYLOAD + 16]; /* one record */
	/* text */
	char *line;                 /* getline() buffer (owned) */
	size_t linecap;             /* its size, bytes */
	unsigned long lineno;       /* 1-based number of the line in `line` */
};

__attribute__((format(printf, 4, 5)))
static int rd_fail(struct tr_reader *rd, struct ks_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	rd->failure.code = code;
	va_start(ap, fmt);
	vsnprintf(rd->failure.msg, sizeof(rd->failure.msg), fmt, ap);
	va_end(ap);
	rd->state = code;
	return ks_err_set(err, code, "%s", rd->failure.msg);
}

static void rd_close(struct ks_trace_source *src)
{
	struct tr_reader *rd = (struct tr_reader *)src;

	if (!rd)
		return;
	if (rd->f)
		fclose(rd->f);
	tr_check_fini(&rd->chk);
	free(rd->line);
	free(rd->path);
	free(rd);
}

/* Checks r against the previous records; `where` is "file:offset" or "file:line". */
static int rd_check(struct tr_reader *rd, const struct ks_trace_rec *r, const char *where,
		    struct ks_err *err)
{
	char msg[512];

	if (tr_check_rec(&rd->chk, r, msg, sizeof(msg)))
		return rd_fail(rd, err, KS_EPARSE, "%s: %s", where, msg);
	return 0;
}

/* --- binary */

/* A bounds-checked cursor over one record's payload. */
struct tr_cur {
	const uint8_t *p;   /* next byte */
	const uint8_t *end; /* one past the payload */
	bool bad;           /* ran past the end or a varint was malformed */
};

static uint8_t cur_u8(struct tr_cur *c)
{
	if (c->p >= c->end) {
		c->bad = true;
		return 0;
	}
	return *c->p++;
}

static uint64_t cur_varint(struct tr_cur *c)
{
	uint64_t v = 0;

	for (unsigned shift = 0; shift < 70; shift += 7) {
		uint8_t b = cur_u8(c);

		if (c->bad)
			return 0;
		if (shift == 63 && b > 1) {
			c->bad = true;
			return 0;
		}
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return v;
	}
	c->bad = true;
	return 0;
}

static int64_t cur_zigzag(struct tr_cur *c)
{
	uint64_t u = cur_varint(c);

	return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

static uint64_t cur_vaddr(struct tr_cur *c)
{
	uint64_t vpage = cur_varint(c);

	if (vpage > (UINT64_MAX >> 12))
		c->bad = true;
	return vpage << 12;
}

/* Decodes the payload of a record with op `op` (t is set by the caller). */
static void decode_payload(struct tr_cur *c, struct ks_trace_rec *r)
{
	switch (r->op) {
	case KS_TR_CLASS:
		r->cls = (uint32_t)cur_varint(c);
		r->spec.kind = cur_u8(c);
		if (r->spec.kind == KS_CONTENT_FILL) {
			uint64_t n;

			r->spec.fill = cur_u8(c);
			n = cur_varint(c);
			if (n > KS_CONTENT_MAX_PATCHES) {
				c->bad = true;
				return;
			}
			r->spec.npatches = (unsigned)n;
			for (unsigned i = 0; i < n; i++) {
				struct ks_patch *p = &r->patches[i];
				uint64_t off = cur_varint(c);

				p->offset = off > UINT16_MAX ? UINT16_MAX : (uint16_t)off;
				p->width = cur_u8(c);
				p->source = cur_u8(c);
				p->value = cur_varint(c);
			}
		} else if (r->spec.kind == KS_CONTENT_IMAGE || r->spec.kind == KS_CONTENT_RANDOM) {
			r->spec.seed = cur_varint(c);
		}
		break;
	case KS_TR_START: {
		uint64_t n;

		r->pid = (uint32_t)cur_varint(c);
		n = cur_varint(c);
		if (n >= sizeof(r->name) || n > (uint64_t)(c->end - c->p)) {
			c->bad = true;
			return;
		}
		memcpy(r->name, c->p, n);
		r->name[n] = '\0';
		if (memchr(r->name, '\0', n))
			c->bad = true;
		c->p += n;
		break;
	}
	case KS_TR_WRITE_LITERAL:
		r->pid = (uint32_t)cur_varint(c);
		r->vaddr = cur_vaddr(c);
		r->npages = 1;
		if (c->end - c->p < (ptrdiff_t)KS_PAGE_SIZE) {
			c->bad = true;
			return;
		}
		memcpy(r->bytes, c->p, KS_PAGE_SIZE);
		c->p += KS_PAGE_SIZE;
		break;
	case KS_TR_EXIT:
		r->pid = (uint32_t)cur_varint(c);
		break;
	case KS_TR_KNOB: {
		uint64_t knob = cur_varint(c);

		r->knob = knob > UINT32_MAX ? UINT32_MAX : (uint32_t)knob;
		r->value = cur_varint(c);
		break;
	}
	default: /* ranged ops */
		r->pid = (uint32_t)cur_varint(c);
		r->vaddr = cur_vaddr(c);
		r->npages = cur_varint(c);
		if (r->op == KS_TR_WRITE) {
			r->cls = (uint32_t)cur_varint(c);
			r->arg = cur_varint(c);
			r->step = cur_zigzag(c);
		}
		break;
	}
}

/* Reads n bytes into rd->buf + at, adding them to the CRC; false on a short read. */
static bool bin_read(struct tr_reader *rd, size_t at, size_t n, bool crc)
{
	size_t got = fread(rd->buf + at, 1, n, rd->f);

	if (crc)
		rd->crc = crc32_update(rd->crc, rd->buf + at, got);
	rd->off += got;
	return got == n;
}

static int bin_end(struct tr_reader *rd, uint64_t start, struct ks_err *err)
{
	uint64_t count = 0;
	uint32_t crc = 0;

	if (!bin_read(rd, 0, TR_END_SIZE - 1, false))
		return rd_fail(rd, err, KS_EPARSE, "%s:%" PRIu64 ": truncated record (expected "
			       "%u bytes)", rd->path, start, TR_END_SIZE);
	for (int i = 7; i >= 0; i--)
		count = count << 8 | rd->buf[i];
	for (int i = 11; i >= 8; i--)
		crc = crc << 8 | rd->buf[i];
	if (crc != rd->crc)
		return rd_fail(rd, err, KS_EPARSE, "%s:%" PRIu64 ": checksum mismatch (end "
			       "record says 0x%08" PRIx32 ", records give 0x%08" PRIx32 ")",
			       rd->path, start, crc, rd->crc);
	if (count != rd->chk.nrecs)
		return rd_fail(rd, err, KS_EPARSE, "%s:%" PRIu64 ": end record counts %" PRIu64
			       " records, file has %" PRIu64, rd->path, start, count,
			       rd->chk.nrecs);
	if (rd->hdr_count && rd->hdr_count != count)
		return rd_fail(rd, err, KS_EPARSE, "%s:16: header counts %" PRIu64 " records, "
			       "file has %" PRIu64, rd->path, rd->hdr_count, count);
	if (getc(rd->f) != EOF)
		return rd_fail(rd, err, KS_EPARSE, "%s:%" PRIu64 ": data after the end record",
			       rd->path, rd->off);
	rd->state = 1;
	return 0;
}

static int bin_next(struct ks_trace_source *src, struct ks_trace_rec *rec, struct ks_err *err)
{
	struct tr_reader *rd = (struct tr_reader *)src;
	uint64_t start = rd->off, len = 0;
	unsigned lenlen = 0;
	struct tr_cur cur;
	char where[600];
	int64_t dt;
	int op;

	if (rd->state)
		return rd->state > 0 ? 0 : ks_err_set(err, rd->failure.code, "%s",
						      rd->failure.msg);
	if (!bin_read(rd, 0, 1, false))
		return rd_fail(rd, err, KS_EPARSE, "%s:%" PRIu64 ": truncated trace (end record "
			       "missing)", rd->path, start);
	op = rd->buf[0];
	if (op == 0)
		return bin_end(rd, start, err);
	rd->crc = crc32_update(rd->crc, rd->buf, 1);
	if (!op_is_valid(op))
		return rd_fail(rd, err, KS_EPARSE, "%s:%" PRIu64 ": unknown record type 0x%02x",
			       rd->path, start, (unsigned)op);
	do {
		if (!bin_read(rd, 1 + lenlen, 1, true))
			return rd_fail(rd, err, KS_EPARSE, "%s:%" PRIu64 ": truncated record "
				       "(expected %u bytes)", rd->path, start, lenlen + 2);
		len |= (uint64_t)(rd->buf[1 + lenlen] & 0x7f) << (7 * lenlen);
		lenlen++;
	} while ((rd->buf[lenlen] & 0x80) && lenlen < 3);
	if ((rd->buf[lenlen] & 0x80) || len > TR_MAX_PAYLOAD)
		return rd_fail(rd, err, KS_EPARSE, "%s:%" PRIu64 ": record too long (more than "
			       "%u bytes)", rd->path, start, TR_MAX_PAYLOAD);
	if (!bin_read(rd, 0, len, true))
		return rd_fail(rd, err, KS_EPARSE, "%s:%" PRIu64 ": truncated record (expected "
			       "%" PRIu64 " bytes)", rd->path, start, 1 + lenlen + len);
	ks_trace_rec_clear(rec);
	rec->op = op;
	cur.p = rd->buf;
	cur.end = rd->buf + len;
	cur.bad = false;
	dt = cur_zigzag(&cur);
	decode_payload(&cur, rec);
	if (cur.bad || cur.p != cur.end)
		return rd_fail(rd, err, KS_EPARSE, "%s:%" PRIu64 ": malformed %s record",
			       rd->path, start, ks_trace_op_name(op));
	if (dt < 0 && (uint64_t)-(dt + 1) + 1 > rd->last_t) {
		char b[32];

		return rd_fail(rd, err, KS_EPARSE, "%s:%" PRIu64 ": timestamp goes backwards "
			       "(before 0ns < %s)", rd->path, start,
			       ks_trace_time_str(rd->last_t, b, sizeof(b)));
	}
	rec->t = rd->last_t + (uint64_t)dt;
	snprintf(where, sizeof(where), "%s:%" PRIu64, rd->path, start);
	if (rd_check(rd, rec, where, err))
		return rd->state;
	rd->last_t = rec->t;
	return 1;
}

static int bin_open(struct tr_reader *rd, struct ks_err *err)
{
	uint32_t version = 0, flags = 0;

	if (!bin_read(rd, 0, TR_HEADER_SIZE, false))
		return ks_err_set(err, KS_EPARSE, "%s:%" PRIu64 ": truncated header (expected %u "
				  "bytes)", rd->path, rd->off, TR_HEADER_SIZE);
	for (int i = 11; i >= 8; i--)
		version = version << 8 | rd->buf[i];
	for (int i = 15; i >= 12; i--)
		flags = flags << 8 | rd->buf[i];
	for (int i = 23; i >= 16; i--)
		rd->hdr_count = rd->hdr_count << 8 | rd->buf[i];
	if (version != KS_TRACE_VERSION)
		return ks_err_set(err, KS_EPARSE, "%s:8: unsupported trace version %" PRIu32
				  " (this sim reads version %d)", rd->path, version,
				  KS_TRACE_VERSION);
	if (flags)
		return ks_err_set(err, KS_EPARSE, "%s:12: unsupported trace flags 0x%" PRIx32,
				  rd->path, flags);
	return 0;
}

/* --- text */

struct tr_tok {
	char *s;      /* NUL-terminated token (in the line buffer) */
	unsigned col; /* 1-based column */
};

enum tr_key {
	K_PID, K_NAME, K_VADDR, K_PAGES, K_CLASS, K_ARG, K_STEP, K_BYTES, K_BYTE, K_WORD,
	K_SEED, K_VALUE, K_NKEYS
};

static const char *const key_names[K_NKEYS] = {
	"pid", "name", "vaddr", "pages", "class", "arg", "step", "bytes", "byte", "word", "seed",
	"value",
};

#define KB(k) (1u << (k))
#define RANGE_KEYS (KB(K_PID) | KB(K_VADDR) | KB(K_PAGES))

/* Allowed and required keys per op (CLASS: per kind, see class_keys()). */
static const struct { unsigned allowed, required; } op_keys[KS_TR_OP_MAX] = {
	[KS_TR_START] = { KB(K_PID) | KB(K_NAME), KB(K_PID) | KB(K_NAME) },
	[KS_TR_MMAP] = { RANGE_KEYS, RANGE_KEYS },
	[KS_TR_MUNMAP] = { RANGE_KEYS, RANGE_KEYS },
	[KS_TR_MERGEABLE] = { RANGE_KEYS, RANGE_KEYS },
	[KS_TR_UNMERGEABLE] = { RANGE_KEYS, RANGE_KEYS },
	[KS_TR_WRITE] = { RANGE_KEYS | KB(K_CLASS) | KB(K_ARG) | KB(K_STEP),
			  KB(K_PID) | KB(K_VADDR) | KB(K_CLASS) },
	[KS_TR_WRITE_LITERAL] = { KB(K_PID) | KB(K_VADDR) | KB(K_BYTES),
				  KB(K_PID) | KB(K_VADDR) | KB(K_BYTES) },
	[KS_TR_EXIT] = { KB(K_PID), KB(K_PID) },
	[KS_TR_KNOB] = { KB(K_NAME) | KB(K_VALUE), KB(K_NAME) | KB(K_VALUE) },
};

static const char *const kind_names[] = {
	[KS_CONTENT_ZERO] = "zero", [KS_CONTENT_FILL] = "fill",
	[KS_CONTENT_IMAGE] = "image", [KS_CONTENT_RANDOM] = "random",
};

/* A text-reader error at a column of the current line (col 0: no column). */
__attribute__((format(printf, 4, 5)))
static int tx_fail(struct tr_reader *rd, struct ks_err *err, unsigned col, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (col)
		return rd_fail(rd, err, KS_EPARSE, "%s:%lu:%u: %s", rd->path, rd->lineno, col, msg);
	return rd_fail(rd, err, KS_EPARSE, "%s:%lu: %s", rd->path, rd->lineno, msg);
}

/* Splits the line into tokens (stops at a token starting with '#'); returns the count. */
static unsigned tokenize(char *line, struct tr_tok *tok, unsigned max)
{
	unsigned n = 0;
	char *p = line;

	while (n < max) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p || *p == '#')
			break;
		tok[n].s = p;
		tok[n].col = (unsigned)(p - line) + 1;
		n++;
		while (*p && *p != ' ' && *p != '\t')
			p++;
		if (*p)
			*p++ = '\0';
	}
	return n;
}

/* Parses a whole string as a decimal or 0x-hex u64. */
static bool parse_u64(const char *s, uint64_t *v)
{
	char *end;

	if (!isdigit((unsigned char)s[0]))
		return false;
	errno = 0;
	*v = strtoull(s, &end, 0);
	if (s[0] == '0' && s[1] && s[1] != 'x' && s[1] != 'X')
		*v = strtoull(s, &end, 10); /* no octal */
	return !errno && !*end;
}

static bool parse_i64(const char *s, int64_t *v)
{
	uint64_t u;

	if (s[0] == '-') {
		if (!parse_u64(s + 1, &u) || u > (uint64_t)INT64_MAX + 1)
			return false;
		*v = u ? -(int64_t)(u - 1) - 1 : 0;
		return true;
	}
	if (!parse_u64(s, &u) || u > INT64_MAX)
		return false;
	*v = (int64_t)u;
	return true;
}

/* "N[.F]unit" -> ns; false if malformed, not a whole ns, or too large. */
static bool parse_time(const char *s, ks_time *t)
{
	static const struct { const char *unit; uint64_t ns; } units[] = {
		{ "ns", 1 }, { "us", 1000 }, { "ms", 1000000 }, { "s", 1000000000 },
	};
	uint64_t whole = 0, frac = 0, fdiv = 1, mul = 0;
	const char *p = s;

	if (!isdigit((unsigned char)*p))
		return false;
	for (; isdigit((unsigned char)*p); p++) {
		if (whole > (UINT64_MAX - 9) / 10)
			return false;
		whole = whole * 10 + (uint64_t)(*p - '0');
	}
	if (*p == '.') {
		if (!isdigit((unsigned char)*++p))
			return false;
		for (; isdigit((unsigned char)*p); p++) {
			if (fdiv > UINT64_MAX / 100)
				return false;
			frac = frac * 10 + (uint64_t)(*p - '0');
			fdiv *= 10;
		}
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(p, units[i].unit) == 0)
			mul = units[i].ns;
	if (!mul || (frac * mul) % fdiv || whole > (UINT64_MAX - frac * mul / fdiv) / mul)
		return false;
	*t = whole * mul + frac * mul / fdiv;
	return true;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* "RUN,RUN,..." with RUN = HEX or HEX*COUNT -> exactly 4096 bytes. */
static int parse_bytes(struct tr_reader *rd, const struct tr_tok *v, uint8_t *out,
		       struct ks_err *err)
{
	uint8_t pat[KS_PAGE_SIZE];
	size_t n = 0;
	char *run = v->s;

	for (;;) {
		char *comma = strchr(run, ','), *star;
		unsigned col = v->col + (unsigned)(run - v->s);
		uint64_t count = 1;
		size_t plen = 0;

		if (comma)
			*comma = '\0';
		star = strchr(run, '*');
		if (star) {
			*star = '\0';
			if (!parse_u64(star + 1, &count) || count == 0)
				return tx_fail(rd, err, col, "invalid repeat count '%s'", star + 1);
		}
		for (char *h = run; *h; h += 2) {
			int hi = hexval(h[0]), lo = hi < 0 ? -1 : hexval(h[1]);

			if (lo < 0 || plen >= sizeof(pat))
				return tx_fail(rd, err, col, "invalid hex bytes '%s'", run);
			pat[plen++] = (uint8_t)(hi << 4 | lo);
		}
		if (!plen)
			return tx_fail(rd, err, col, "empty run in literal bytes");
		if (count > (KS_PAGE_SIZE - n) / plen)
			return tx_fail(rd, err, col, "literal longer than %u bytes", KS_PAGE_SIZE);
		for (uint64_t i = 0; i < count; i++, n += plen)
			memcpy(out + n, pat, plen);
		if (!comma)
			break;
		run = comma + 1;
	}
	if (n != KS_PAGE_SIZE)
		return tx_fail(rd, err, v->col, "literal has %zu bytes, expected %u", n,
			       KS_PAGE_SIZE);
	return 0;
}

/* "%XX" escapes -> name; false if malformed or too long. */
static bool parse_name(const char *s, char *name, size_t len)
{
	size_t n = 0;

	for (; *s; s++) {
		int c = (unsigned char)*s;

		if (c == '%') {
			int hi = hexval(s[1]), lo = hi < 0 ? -1 : hexval(s[2]);

			if (lo < 0 || (hi == 0 && lo == 0))
				return false;
			c = hi << 4 | lo;
			s += 2;
		}
		if (n + 1 >= len)
			return false;
		name[n++] = (char)c;
	}
	name[n] = '\0';
	return true;
}

/* "OFF:WIDTH:VALUE" with VALUE = N | index | index+N. */
static bool parse_word(char *s, struct ks_patch *p)
{
	char *c1 = strchr(s, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	uint64_t off, width;

	if (!c2)
		return false;
	*c1 = *c2 = '\0';
	if (!parse_u64(s, &off) || !parse_u64(c1 + 1, &width) || off >= KS_PAGE_SIZE ||
	    width > 8)
		return false;
	p->offset = (uint16_t)off;
	p->width = (uint8_t)width;
	p->value = 0;
	if (strcmp(c2 + 1, "index") == 0) {
		p->source = KS_PATCH_ARG;
		return true;
	}
	if (strncmp(c2 + 1, "index+", 6) == 0) {
		p->source = KS_PATCH_ARG_PLUS;
		return parse_u64(c2 + 7, &p->value);
	}
	p->source = KS_PATCH_CONST;
	return parse_u64(c2 + 1, &p->value);
}

/* One key=value into rec; *seen gets the key's bit. */
static int parse_kv(struct tr_reader *rd, const struct tr_tok *tk, unsigned allowed,
		    unsigned *seen, struct ks_trace_rec *r, struct ks_err *err)
{
	char *eq = strchr(tk->s, '=');
	struct tr_tok v;
	uint64_t u = 0;
	int k;

	if (!eq)
		return tx_fail(rd, err, tk->col, "expected key=value, got '%s'", tk->s);
	*eq = '\0';
	v.s = eq + 1;
	v.col = tk->col + (unsigned)(v.s - tk->s);
	for (k = 0; k < K_NKEYS; k++)
		if (strcmp(tk->s, key_names[k]) == 0)
			break;
	if (k == K_NKEYS || !(allowed & KB(k)))
		return tx_fail(rd, err, tk->col, "unknown key '%s' for %s", tk->s,
			       ks_trace_op_name(r->op));
	if ((*seen & KB(k)) && k != K_WORD)
		return tx_fail(rd, err, tk->col, "duplicate key '%s'", tk->s);
	*seen |= KB(k);
	switch (k) {
	case K_NAME:
		if (r->op == KS_TR_KNOB) {
			enum ks_knob knob;

			if (ks_knob_parse(v.s, &knob))
				return tx_fail(rd, err, v.col, "unknown knob '%s' (a file of "
					       "/sys/kernel/mm/ksm, e.g. pages_to_scan)", v.s);
			r->knob = (uint32_t)knob;
			return 0;
		}
		if (!parse_name(v.s, r->name, sizeof(r->name)))
			return tx_fail(rd, err, v.col, "invalid process name (at most %zu bytes, "
				       "%%XX escapes)", sizeof(r->name) - 1);
		return 0;
	case K_BYTES:
		return parse_bytes(rd, &v, r->bytes, err);
	case K_STEP:
		if (!parse_i64(v.s, &r->step))
			return tx_fail(rd, err, v.col, "invalid number '%s' for step", v.s);
		return 0;
	case K_WORD:
		if (r->spec.npatches >= KS_CONTENT_MAX_PATCHES)
			return tx_fail(rd, err, tk->col, "more than %u words",
				       KS_CONTENT_MAX_PATCHES);
		if (!parse_word(v.s, &r->patches[r->spec.npatches]))
			return tx_fail(rd, err, v.col, "invalid word (expected OFFSET:WIDTH:VALUE,"
				       " VALUE a number, index or index+N)");
		r->spec.npatches++;
		return 0;
	default:
		break;
	}
	if (!parse_u64(v.s, &u) || ((k == K_PID || k == K_CLASS) && u > UINT32_MAX) ||
	    (k == K_BYTE && u > 255))
		return tx_fail(rd, err, v.col, "invalid number '%s' for %s", v.s, key_names[k]);
	switch (k) {
	case K_PID: r->pid = (uint32_t)u; break;
	case K_VADDR: r->vaddr = u; break;
	case K_PAGES: r->npages = u; break;
	case K_CLASS: r->cls = (uint32_t)u; break;
	case K_ARG: r->arg = u; break;
	case K_BYTE: r->spec.fill = (uint8_t)u; break;
	case K_SEED: r->spec.seed = u; break;
	case K_VALUE: r->value = u; break;
	default: break;
	}
	return 0;
}

/* "class ID KIND": fills cls and kind; returns the keys allowed and required. */
static int parse_class_head(struct tr_reader *rd, const struct tr_tok *tok, unsigned ntok,
			    struct ks_trace_rec *r, unsigned *allowed, unsigned *required,
			    struct ks_err *err)
{
	uint64_t id;
	int kind;

	if (ntok < 2 || !parse_u64(tok[0].s, &id) || id > UINT32_MAX)
		return tx_fail(rd, err, ntok ? tok[0].col : 0, "class needs an id and a kind "
			       "(class ID zero|fill|image|random)");
	for (kind = 0; kind <= KS_CONTENT_RANDOM; kind++)
		if (strcmp(tok[1].s, kind_names[kind]) == 0)
			break;
	if (kind > KS_CONTENT_RANDOM)
		return tx_fail(rd, err, tok[1].col, "unknown class kind '%s' (zero, fill, image "
			       "or random)", tok[1].s);
	r->cls = (uint32_t)id;
	r->spec.kind = kind;
	*allowed = *required = 0;
	if (kind == KS_CONTENT_FILL)
		*allowed = KB(K_BYTE) | KB(K_WORD);
	else if (kind != KS_CONTENT_ZERO)
		*allowed = *required = KB(K_SEED);
	return 0;
}

/* Parses one non-empty line into rec. */
static int tx_parse(struct tr_reader *rd, struct tr_tok *tok, unsigned ntok,
		    struct ks_trace_rec *r, struct ks_err *err)
{
	unsigned i = 0, seen = 0, allowed, required, opcol;
	bool have_t = false;
	int op;

	ks_trace_rec_clear(r);
	if (isdigit((unsigned char)tok[0].s[0])) {
		if (!parse_time(tok[0].s, &r->t))
			return tx_fail(rd, err, tok[0].col, "invalid time '%s' (e.g. 1500ms, 1.5s, "
				       "0ns)", tok[0].s);
		have_t = true;
		i++;
	}
	if (i >= ntok)
		return tx_fail(rd, err, tok[0].col, "record type missing after the time");
	for (op = KS_TR_CLASS; op < KS_TR_OP_MAX; op++)
		if (strcmp(tok[i].s, op_names[op]) == 0)
			break;
	if (op == KS_TR_OP_MAX)
		return tx_fail(rd, err, tok[i].col, "unknown record type '%s'", tok[i].s);
	r->op = op;
	opcol = tok[i++].col;
	if (!have_t && op != KS_TR_CLASS)
		return tx_fail(rd, err, opcol, "%s record needs a time (e.g. 0ns)", op_names[op]);
	if (!have_t)
		r->t = rd->chk.last_t;
	allowed = op_keys[op].allowed;
	required = op_keys[op].required;
	if (op == KS_TR_CLASS) {
		if (parse_class_head(rd, tok + i, ntok - i, r, &allowed, &required, err))
			return rd->state;
		i += 2;
	}
	if (op == KS_TR_WRITE || op == KS_TR_WRITE_LITERAL)
		r->npages = 1;
	for (; i < ntok; i++)
		if (parse_kv(rd, &tok[i], allowed, &seen, r, err))
			return rd->state;
	for (int k = 0; k < K_NKEYS; k++)
		if ((required & KB(k)) && !(seen & KB(k)))
			return tx_fail(rd, err, opcol, "%s needs %s=", op_names[op], key_names[k]);
	return 0;
}

static int tx_next(struct ks_trace_source *src, struct ks_trace_rec *rec, struct ks_err *err)
{
	struct tr_reader *rd = (struct tr_reader *)src;
	struct tr_tok tok[2 + K_NKEYS + KS_CONTENT_MAX_PATCHES + 2];
	char where[600];
	unsigned ntok;
	ssize_t n;

	if (rd->state)
		return rd->state > 0 ? 0 : ks_err_set(err, rd->failure.code, "%s",
						      rd->failure.msg);
	for (;;) {
		errno = 0;
		n = getline(&rd->line, &rd->linecap, rd->f);
		if (n < 0) {
			if (ferror(rd->f))
				return rd_fail(rd, err, KS_EIO, "%s:%lu: read failed: %s", rd->path,
					       rd->lineno, strerror(errno));
			rd->state = 1;
			return 0;
		}
		rd->lineno++;
		while (n > 0 && (rd->line[n - 1] == '\n' || rd->line[n - 1] == '\r'))
			rd->line[--n] = '\0';
		if (strlen(rd->line) != (size_t)n)
			return tx_fail(rd, err, (unsigned)strlen(rd->line) + 1, "NUL byte in line");
		ntok = tokenize(rd->line, tok, sizeof(tok) / sizeof(tok[0]));
		if (ntok)
			break;
	}
	if (ntok == sizeof(tok) / sizeof(tok[0]))
		return tx_fail(rd, err, tok[ntok - 1].col, "too many fields");
	if (tx_parse(rd, tok, ntok, rec, err))
		return rd->state;
	snprintf(where, sizeof(where), "%s:%lu", rd->path, rd->lineno);
	if (rd_check(rd, rec, where, err))
		return rd->state;
	return 1;
}

static int tx_open(struct tr_reader *rd, struct ks_err *err)
{
	struct tr_tok tok[3];
	unsigned ntok;
	uint64_t version;
	ssize_t n;

	n = getline(&rd->line, &rd->linecap, rd->f);
	rd->lineno = 1;
	if (n < 0)
		return ks_err_set(err, KS_EPARSE, "%s:0: not a ksmsim trace (bad magic)", rd->path);
	rd->line[strcspn(rd->line, "\r\n")] = '\0';
	ntok = tokenize(rd->line, tok, 3);
	if (ntok != 2 || strcmp(tok[0].s, TR_TEXT_MAGIC) != 0 || !parse_u64(tok[1].s, &version))
		return ks_err_set(err, KS_EPARSE, "%s:1:1: not a ksmsim trace (the first line "
				  "must be '%s %d')", rd->path, TR_TEXT_MAGIC, KS_TRACE_VERSION);
	if (version != KS_TRACE_VERSION)
		return ks_err_set(err, KS_EPARSE, "%s:1:%u: unsupported trace version %" PRIu64
				  " (this sim reads version %d)", rd->path, tok[1].col, version,
				  KS_TRACE_VERSION);
	return 0;
}

/* --- opening */

struct ks_trace_source *ks_trace_open(const char *path, struct ks_err *err)
{
	struct tr_reader *rd;
	char magic[8];
	size_t n;

	rd = ks_xcalloc(1, sizeof(*rd));
	rd->path = ks_xstrdup(path);
	rd->f = fopen(path, "rb");
	if (!rd->f) {
		ks_err_set(err, errno == ENOENT ? KS_ENOENT : KS_EIO, "%s: cannot open: %s",
			   path, strerror(errno));
		goto err_free;
	}
	n = fread(magic, 1, sizeof(magic), rd->f);
	rewind(rd->f);
	if (n == sizeof(magic) && memcmp(magic, TR_MAGIC, 8) == 0) {
		rd->src.next = bin_next;
		if (bin_open(rd, err))
			goto err_free;
	} else if (n == sizeof(magic) && memcmp(magic, TR_TEXT_MAGIC, 8) == 0) {
		rd->text = true;
		rd->src.next = tx_next;
		if (tx_open(rd, err))
			goto err_free;
	} else {
		ks_err_set(err, KS_EPARSE, "%s:0: not a ksmsim trace (bad magic)", path);
		goto err_free;
	}
	rd->src.close = rd_close;
	return &rd->src;

err_free:
	rd_close(&rd->src);
	return NULL;
}

int ks_trace_detect(const char *path, enum ks_trace_format *fmt, struct ks_err *err)
{
	struct ks_trace_source *src = ks_trace_open(path, err);

	if (!src)
		return err ? err->code : KS_EPARSE;
	*fmt = ((struct tr_reader *)src)->text ? KS_TRACE_TEXT : KS_TRACE_BINARY;
	src->close(src);
	return 0;
}

int ks_trace_format_from_name(const char *path, enum ks_trace_format *fmt)
{
	size_t n = strlen(path);

	if (n > 4 && strcmp(path + n - 4, ".kst") == 0) {
		*fmt = KS_TRACE_BINARY;
		return 0;
	}
	if (n > 5 && strcmp(path + n - 5, ".kstt") == 0) {
		*fmt = KS_TRACE_TEXT;
		return 0;
	}
	return KS_EINVAL;
}

/* ------------------------------------------------------------------- writers */

struct ks_trace_writer {
	enum ks_trace_format fmt; /* what is written */
	char *path;               /* destination (owned) */
	char *tmp;                /* temporary file, renamed to path at close (owned) */
	FILE *f;                  /* the temporary file */
	struct tr_check chk;      /* the records written must read back */
	uint32_t crc;             /* binary: CRC-32 of the record bytes so far */
	ks_time last_t;           /* time of the previous record, ns */
	uint8_t buf[TR_MAX_PAYLOAD + 16]; /* binary: one encoded record */
};

static size_t put_varint(uint8_t *p, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

static size_t put_zigzag(uint8_t *p, int64_t v)
{
	return put_varint(p, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Encodes the payload of r into p; returns its length. */
static size_t encode_payload(uint8_t *p, const struct ks_trace_rec *r, ks_time last_t)
{
	size_t n = put_zigzag(p, (int64_t)(r->t - last_t));

	switch (r->op) {
	case KS_TR_CLASS:
		n += put_varint(p + n, r->cls);
		p[n++] = (uint8_t)r->spec.kind;
		if (r->spec.kind == KS_CONTENT_FILL) {
			p[n++] = r->spec.fill;
			n += put_varint(p + n, r->spec.npatches);
			for (unsigned i = 0; i < r->spec.npatches; i++) {
				const struct ks_patch *pt = &r->spec.patches[i];

				n += put_varint(p + n, pt->offset);
				p[n++] = pt->width;
				p[n++] = pt->source;
				n += put_varint(p + n, pt->value);
			}
		} else if (r->spec.kind != KS_CONTENT_ZERO) {
			n += put_varint(p + n, r->spec.seed);
		}
		break;
	case KS_TR_START: {
		size_t len = strlen(r->name);

		n += put_varint(p + n, r->pid);
		n += put_varint(p + n, len);
		memcpy(p + n, r->name, len);
		n += len;
		break;
	}
	case KS_TR_WRITE_LITERAL:
		n += put_varint(p + n, r->pid);
		n += put_varint(p + n, r->vaddr >> 12);
		memcpy(p + n, r->bytes, KS_PAGE_SIZE);
		n += KS_PAGE_SIZE;
		break;
	case KS_TR_EXIT:
		n += put_varint(p + n, r->pid);
		break;
	case KS_TR_KNOB:
		n += put_varint(p + n, r->knob);
		n += put_varint(p + n, r->value);
		break;
	default:
		n += put_varint(p + n, r->pid);
		n += put_varint(p + n, r->vaddr >> 12);
		n += put_varint(p + n, r->npages);
		if (r->op == KS_TR_WRITE) {
			n += put_varint(p + n, r->cls);
			n += put_varint(p + n, r->arg);
			n += put_zigzag(p + n, r->step);
		}
		break;
	}
	return n;
}

static bool bin_put(struct ks_trace_writer *w, const struct ks_trace_rec *r)
{
	uint8_t payload[TR_MAX_PAYLOAD];
	size_t len = encode_payload(payload, r, w->last_t), n = 0;

	w->buf[n++] = (uint8_t)r->op;
	n += put_varint(w->buf + n, len);
	memcpy(w->buf + n, payload, len);
	n += len;
	w->crc = crc32_update(w->crc, w->buf, n);
	return fwrite(w->buf, 1, n, w->f) == n;
}

/* Name with bytes outside '!'..'~' and "%#=" as %XX. */
static void text_name(FILE *f, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c <= ' ' || c > '~' || c == '%' || c == '#' || c == '=')
			fprintf(f, "%%%02X", c);
		else
			fputc(c, f);
	}
}

/* Literal bytes as runs: a byte repeated 4+ times is "xx*N", the rest plain hex. */
static void text_bytes(FILE *f, const uint8_t *b)
{
	const char *sep = "";
	size_t i = 0;

	while (i < KS_PAGE_SIZE) {
		size_t r = 1;

		while (i + r < KS_PAGE_SIZE && b[i + r] == b[i])
			r++;
		if (r >= 4) {
			fprintf(f, "%s%02x*%zu", sep, b[i], r);
			i += r;
		} else {
			fputs(sep, f);
			while (i < KS_PAGE_SIZE) {
				r = 1;
				while (i + r < KS_PAGE_SIZE && b[i + r] == b[i] && r < 4)
					r++;
				if (r >= 4)
					break;
				fprintf(f, "%02x", b[i++]);
			}
		}
		sep = ",";
	}
}

static void text_class(FILE *f, const struct ks_trace_rec *r)
{
	const struct ks_content_class_spec *s = &r->spec;

	fprintf(f, "class %" PRIu32 " %s", r->cls, kind_names[s->kind]);
	if (s->kind == KS_CONTENT_FILL) {
		fprintf(f, " byte=0x%02x", s->fill);
		for (unsigned i = 0; i < s->npatches; i++) {
			const struct ks_patch *p = &s->patches[i];

			fprintf(f, " word=%u:%u:", p->offset, p->width);
			if (p->source == KS_PATCH_ARG)
				fputs("index", f);
			else if (p->source == KS_PATCH_ARG_PLUS)
				fprintf(f, "index+%" PRIu64, p->value);
			else
				fprintf(f, "0x%" PRIx64, p->value);
		}
	} else if (s->kind != KS_CONTENT_ZERO) {
		fprintf(f, " seed=0x%" PRIx64, s->seed);
	}
}

static bool text_put(struct ks_trace_writer *w, const struct ks_trace_rec *r)
{
	FILE *f = w->f;
	char t[32];

	ks_trace_time_str(r->t, t, sizeof(t));
	if (r->op == KS_TR_CLASS) {
		if (r->t != w->last_t)
			fprintf(f, "%s ", t);
		text_class(f, r);
	} else if (r->op == KS_TR_KNOB) {
		fprintf(f, "%s knob name=%s value=%" PRIu64, t,
			ks_knob_name((enum ks_knob)r->knob), r->value);
	} else {
		fprintf(f, "%s %s pid=%" PRIu32, t, op_names[r->op], r->pid);
	}
	if (r->op == KS_TR_START) {
		fputs(" name=", f);
		text_name(f, r->name);
	} else if (r->op == KS_TR_WRITE_LITERAL) {
		fprintf(f, " vaddr=0x%" PRIx64 " bytes=", r->vaddr);
		text_bytes(f, r->bytes);
	} else if (op_is_ranged(r->op)) {
		fprintf(f, " vaddr=0x%" PRIx64 " pages=%" PRIu64, r->vaddr, r->npages);
		if (r->op == KS_TR_WRITE)
			fprintf(f, " class=%" PRIu32 " arg=%" PRIu64 " step=%" PRId64, r->cls,
				r->arg, r->step);
	}
	return fputc('\n', f) != EOF;
}

struct ks_trace_writer *ks_trace_writer_open(const char *path, enum ks_trace_format fmt,
					     struct ks_err *err)
{
	struct ks_trace_writer *w = ks_xcalloc(1, sizeof(*w));
	uint8_t hdr[TR_HEADER_SIZE] = TR_MAGIC;
	mode_t mask;
	bool ok;
	int fd;

	w->fmt = fmt;
	w->path = ks_xstrdup(path);
	w->tmp = ks_xmalloc(strlen(path) + 12);
	sprintf(w->tmp, "%s.tmpXXXXXX", path);
	fd = mkstemp(w->tmp);
	if (fd < 0) {
		ks_err_set(err, KS_EIO, "%s: cannot create: %s", path, strerror(errno));
		goto err_free;
	}
	mask = umask(0);
	umask(mask);
	if (fchmod(fd, 0666 & ~mask) || !(w->f = fdopen(fd, "wb"))) {
		ks_err_set(err, KS_EIO, "%s: cannot create: %s", w->tmp, strerror(errno));
		close(fd);
		goto err_unlink;
	}
	if (fmt == KS_TRACE_BINARY) {
		put_le(hdr + 8, KS_TRACE_VERSION, 4);
		ok = fwrite(hdr, 1, sizeof(hdr), w->f) == sizeof(hdr);
	} else {
		ok = fprintf(w->f, "%s %d\n", TR_TEXT_MAGIC, KS_TRACE_VERSION) > 0;
	}
	if (!ok) {
		ks_err_set(err, KS_EIO, "%s: write failed: %s", w->tmp, strerror(errno));
		goto err_unlink;
	}
	return w;

err_unlink:
	ks_trace_writer_abort(w);
	return NULL;
err_free:
	free(w->tmp);
	free(w->path);
	free(w);
	return NULL;
}

int ks_trace_writer_put(struct ks_trace_writer *w, const struct ks_trace_rec *rec,
			struct ks_err *err)
{
	char msg[512];
	bool ok;

	if (tr_check_rec(&w->chk, rec, msg, sizeof(msg)))
		return ks_err_set(err, KS_EINVAL, "%s: record %" PRIu64 ": %s", w->path,
				  w->chk.nrecs + 1, msg);
	ok = w->fmt == KS_TRACE_BINARY ? bin_put(w, rec) : text_put(w, rec);
	w->last_t = rec->t;
	if (!ok)
		return ks_err_set(err, KS_EIO, "%s: write failed: %s", w->tmp, strerror(errno));
	return 0;
}

int ks_trace_writer_close(struct ks_trace_writer *w, struct ks_err *err)
{
	uint8_t end[TR_END_SIZE], count[8];
	bool ok = true;

	if (w->fmt == KS_TRACE_BINARY) {
		end[0] = 0;
		put_le(end + 1, w->chk.nrecs, 8);
		put_le(end + 9, w->crc, 4);
		put_le(count, w->chk.nrecs, 8);
		ok = fwrite(end, 1, sizeof(end), w->f) == sizeof(end) &&
		     fseek(w->f, 16, SEEK_SET) == 0 &&
		     fwrite(count, 1, sizeof(count), w->f) == sizeof(count);
	}
	ok = fflush(w->f) == 0 && ok;
	ok = fclose(w->f) == 0 && ok;
	w->f = NULL;
	if (!ok || rename(w->tmp, w->path)) {
		ks_err_set(err, KS_EIO, "%s: write failed: %s", ok ? w->path : w->tmp,
			   strerror(errno));
		ks_trace_writer_abort(w);
		return KS_EIO;
	}
	free(w->tmp);
	w->tmp = NULL;
	ks_trace_writer_abort(w);
	return 0;
}

void ks_trace_writer_abort(struct ks_trace_writer *w)
{
	if (!w)
		return;
	if (w->f)
		fclose(w->f);
	if (w->tmp)
		unlink(w->tmp);
	tr_check_fini(&w->chk);
	free(w->tmp);
	free(w->path);
	free(w);
}
