/* trace_bin.c - the binary trace format (.kst; layout in trace_io.h): the reader's
 * decoder and the writer's encoder, with the CRC-32 that guards the records. */
#include <ctype.h>
#include <stddef.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>
#include <zstd.h>

#include "scenario.h"
#include "trace_int.h"
#include "models/base/xalloc.h"

/* CRC-32 (reflected 0xEDB88320, ~0 in and out: zlib's crc32()) of n more bytes. zlib's
 * is ten times a byte-wise table's speed; a replay reads every byte of the trace
 * through it (125 MB for 8 guests x 512 MiB: 0.3 s byte-wise, 0.03 s here). */
static uint32_t crc32_update(uint32_t crc, const uint8_t *p, size_t n)
{
	while (n > 0) {
		uInt k = n > (1u << 30) ? 1u << 30 : (uInt)n;

		crc = (uint32_t)crc32(crc, p, k);
		p += k;
		n -= k;
	}
	return crc;
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
		if (r->op == KS_TR_WRITE)
			r->cls = (uint32_t)cur_varint(c);
		if (r->op == KS_TR_WRITE || r->op == KS_TR_REF) {
			r->arg = cur_varint(c);
			r->step = cur_zigzag(c);
		}
		break;
	}
}

/* Reads n bytes into p, adding them to the CRC; false on a short read. */
static bool bin_read_to(struct tr_reader *rd, uint8_t *p, size_t n, bool crc)
{
	size_t got = fread(p, 1, n, rd->f);

	if (crc)
		rd->crc = crc32_update(rd->crc, p, got);
	rd->off += got;
	return got == n;
}

/* Reads n bytes into rd->buf + at, adding them to the CRC; false on a short read. */
static bool bin_read(struct tr_reader *rd, size_t at, size_t n, bool crc)
{
	return bin_read_to(rd, rd->buf + at, n, crc);
}

/* tr_rd_check() for the record at offset start; its place is formatted only when it
 * fails (a replay reads hundreds of thousands of records). */
static int bin_check(struct tr_reader *rd, const struct ks_trace_rec *rec, uint64_t start,
		     struct ks_err *err)
{
	char where[600], msg[512];

	if (!tr_check_rec(&rd->chk, rec, msg, sizeof(msg)))
		return 0;
	snprintf(where, sizeof(where), "%s:%" PRIu64, rd->path, start);
	return tr_rd_fail(rd, err, KS_EPARSE, "%s: %s", where, msg);
}

/* Hands out the next PAGE of the decoded `pages` record (lazy: the record's frame and
 * the page's place in it, as the pager's key). */
static int next_pending(struct tr_reader *rd, struct ks_trace_rec *rec, struct ks_err *err)
{
	ks_trace_rec_clear(rec);
	rec->op = KS_TR_PAGE;
	rec->t = rd->pend_t;
	rec->arg = rd->pend_first + rd->ipend;
	if (rd->lazy) {
		rec->pager = &rd->pager;
		rec->page_key = (uint64_t)(rd->nframes - 1) * TR_BATCH_PAGES + rd->ipend;
	} else {
		memcpy(rec->bytes, rd->pages + (size_t)rd->ipend * KS_PAGE_SIZE, KS_PAGE_SIZE);
	}
	rd->ipend++;
	if (bin_check(rd, rec, rd->pend_start, err))
		return rd->state;
	return 1;
}

/* A lazy reader's note of a `pages` record whose pages (rest bytes) are at file offset
 * off: checked as far as it can be without decompressing (the frame's header and
 * block structure; its bytes are under the trace's CRC). */
static int keep_frame(struct tr_reader *rd, uint64_t start, uint64_t off, const uint8_t *p,
		      size_t rest, uint64_t n, unsigned codec, struct ks_err *err)
{
	if (codec == TR_CODEC_ZSTD && ZSTD_findFrameCompressedSize(p, rest) != rest)
		return tr_rd_fail(rd, err, KS_EPARSE, "%s:%" PRIu64 ": corrupt pages record "
				  "(zstd: %s)", rd->path, start,
				  ZSTD_isError(ZSTD_findFrameCompressedSize(p, rest)) ?
				  ZSTD_getErrorName(ZSTD_findFrameCompressedSize(p, rest)) :
				  "frame size differs from the record's");
	if (rd->nframes == rd->capframes) {
		rd->capframes = rd->capframes ? 2 * rd->capframes : 1024;
		rd->frames = ks_xrealloc(rd->frames, rd->capframes * sizeof(*rd->frames));
	}
	rd->frames[rd->nframes++] = (struct tr_frame){ .start = start, .off = off,
		.len = (uint32_t)rest, .n = (uint8_t)n, .codec = (uint8_t)codec };
	return 0;
}

/* Decodes a `pages` record (len payload bytes in rd->big, read from file offset off)
 * into rd->pages; a lazy reader only notes where its pages are. */
static int decode_pages(struct tr_reader *rd, uint64_t start, uint64_t off, size_t len,
			struct ks_err *err)
{
	struct tr_cur c = { rd->big, rd->big + len, false };
	int64_t dt = cur_zigzag(&c);
	uint64_t first = cur_varint(&c), n = cur_varint(&c);
	unsigned codec = cur_u8(&c);
	size_t rest = (size_t)(c.end - c.p), want;

	if (c.bad || n < 1 || n > TR_BATCH_PAGES || codec > TR_CODEC_ZSTD)
		return tr_rd_fail(rd, err, KS_EPARSE, "%s:%" PRIu64 ": malformed pages record",
				  rd->path, start);
	want = (size_t)n * KS_PAGE_SIZE;
	if (rd->lazy) {
		if (codec == TR_CODEC_RAW ? rest != want :
		    ZSTD_getFrameContentSize(c.p, rest) != want)
			return tr_rd_fail(rd, err, KS_EPARSE, "%s:%" PRIu64 ": %s pages record "
					  "(%s %" PRIu64 " pages)", rd->path, start,
					  codec == TR_CODEC_RAW ? "malformed" : "corrupt",
					  codec == TR_CODEC_RAW ? "wrong size for" :
					  "zstd frame does not hold", n);
		if (keep_frame(rd, start, off + (uint64_t)(c.p - rd->big), c.p, rest, n, codec,
			       err))
			return rd->state;
	} else if (codec == TR_CODEC_RAW) {
		if (rest != want)
			return tr_rd_fail(rd, err, KS_EPARSE, "%s:%" PRIu64 ": malformed pages record "
					  "(%zu bytes for %" PRIu64 " raw pages)", rd->path, start,
					  rest, n);
		memcpy(rd->pages, c.p, want);
	} else {
		unsigned long long fsz = ZSTD_getFrameContentSize(c.p, rest);
		size_t got;

		if (fsz != want)
			return tr_rd_fail(rd, err, KS_EPARSE, "%s:%" PRIu64 ": corrupt pages record "
					  "(zstd frame does not hold %" PRIu64 " pages)", rd->path,
					  start, n);
		if (!rd->zdctx && !(rd->zdctx = ZSTD_createDCtx())) {
			fputs("sim: out of memory (zstd context)\n", stderr);
			abort();
		}
		got = ZSTD_decompressDCtx(rd->zdctx, rd->pages, want, c.p, rest);
		if (ZSTD_isError(got) || got != want)
			return tr_rd_fail(rd, err, KS_EPARSE, "%s:%" PRIu64 ": corrupt pages record "
					  "(zstd: %s)", rd->path, start, ZSTD_isError(got) ?
					  ZSTD_getErrorName(got) : "short frame");
	}
	if (dt < 0 && (uint64_t)-(dt + 1) + 1 > rd->last_t)
		return tr_rd_fail(rd, err, KS_EPARSE, "%s:%" PRIu64 ": timestamp goes backwards",
				  rd->path, start);
	rd->pend_t = rd->last_t + (uint64_t)dt;
	rd->last_t = rd->pend_t;
	rd->pend_first = first;
	rd->pend_start = start;
	rd->npend = (unsigned)n;
	rd->ipend = 0;
	return 0;
}

static int bin_end(struct tr_reader *rd, uint64_t start, struct ks_err *err)
{
	uint64_t count = 0;
	uint32_t crc = 0;

	if (!bin_read(rd, 0, TR_END_SIZE - 1, false))
		return tr_rd_fail(rd, err, KS_EPARSE, "%s:%" PRIu64 ": truncated record (expected "
			       "%u bytes)", rd->path, start, TR_END_SIZE);
	for (int i = 7; i >= 0; i--)
		count = count << 8 | rd->buf[i];
	for (int i = 11; i >= 8; i--)
		crc = crc << 8 | rd->buf[i];
	if (crc != rd->crc)
		return tr_rd_fail(rd, err, KS_EPARSE, "%s:%" PRIu64 ": checksum mismatch (end "
			       "record says 0x%08" PRIx32 ", records give 0x%08" PRIx32 ")",
			       rd->path, start, crc, rd->crc);
	if (count != rd->chk.nrecs)
		return tr_rd_fail(rd, err, KS_EPARSE, "%s:%" PRIu64 ": end record counts %" PRIu64
			       " records, file has %" PRIu64, rd->path, start, count,
			       rd->chk.nrecs);
	if (rd->hdr_count && rd->hdr_count != count)
		return tr_rd_fail(rd, err, KS_EPARSE, "%s:16: header counts %" PRIu64 " records, "
			       "file has %" PRIu64, rd->path, rd->hdr_count, count);
	if (getc(rd->f) != EOF)
		return tr_rd_fail(rd, err, KS_EPARSE, "%s:%" PRIu64 ": data after the end record",
			       rd->path, rd->off);
	rd->state = 1;
	return 0;
}

int tr_bin_next(struct ks_trace_source *src, struct ks_trace_rec *rec, struct ks_err *err)
{
	struct tr_reader *rd = (struct tr_reader *)src;
	uint64_t start = rd->off, len = 0;
	unsigned lenlen = 0;
	struct tr_cur cur;
	int64_t dt;
	int op;

	rd->rec_off = start;

	if (rd->state)
		return rd->state > 0 ? 0 : ks_err_set(err, rd->failure.code, "%s",
						      rd->failure.msg);
	if (rd->ipend < rd->npend)
		return next_pending(rd, rec, err);
	if (!bin_read(rd, 0, 1, false))
		return tr_rd_fail(rd, err, KS_EPARSE, "%s:%" PRIu64 ": truncated trace (end record "
			       "missing)", rd->path, start);
	op = rd->buf[0];
	if (op == 0)
		return bin_end(rd, start, err);
	rd->crc = crc32_update(rd->crc, rd->buf, 1);
	if (!tr_op_is_valid(op) || (rd->version < 2 && tr_op_is_dict(op)))
		return tr_rd_fail(rd, err, KS_EPARSE, "%s:%" PRIu64 ": unknown record type 0x%02x",
			       rd->path, start, (unsigned)op);
	do {
		if (!bin_read(rd, 1 + lenlen, 1, true))
			return tr_rd_fail(rd, err, KS_EPARSE, "%s:%" PRIu64 ": truncated record "
				       "(expected %u bytes)", rd->path, start, lenlen + 2);
		len |= (uint64_t)(rd->buf[1 + lenlen] & 0x7f) << (7 * lenlen);
		lenlen++;
	} while ((rd->buf[lenlen] & 0x80) && lenlen < 3);
	if (op == KS_TR_PAGE) { /* binary: a `pages` record */
		if ((rd->buf[lenlen] & 0x80) || len > TR_MAX_PAGES_PAYLOAD)
			return tr_rd_fail(rd, err, KS_EPARSE, "%s:%" PRIu64 ": record too long (more "
					  "than %u bytes)", rd->path, start, TR_MAX_PAGES_PAYLOAD);
		if (!rd->big) {
			rd->big = ks_xmalloc(TR_MAX_PAGES_PAYLOAD);
			rd->pages = ks_xmalloc((size_t)TR_BATCH_PAGES * KS_PAGE_SIZE);
		}
		if (!bin_read_to(rd, rd->big, len, true))
			return tr_rd_fail(rd, err, KS_EPARSE, "%s:%" PRIu64 ": truncated record "
					  "(expected %" PRIu64 " bytes)", rd->path, start,
					  1 + lenlen + len);
		if (decode_pages(rd, start, rd->off - len, (size_t)len, err))
			return rd->state;
		return next_pending(rd, rec, err);
	}
	if ((rd->buf[lenlen] & 0x80) || len > TR_MAX_PAYLOAD)
		return tr_rd_fail(rd, err, KS_EPARSE, "%s:%" PRIu64 ": record too long (more than "
			       "%u bytes)", rd->path, start, TR_MAX_PAYLOAD);
	if (!bin_read(rd, 0, len, true))
		return tr_rd_fail(rd, err, KS_EPARSE, "%s:%" PRIu64 ": truncated record (expected "
			       "%" PRIu64 " bytes)", rd->path, start, 1 + lenlen + len);
	ks_trace_rec_clear(rec);
	rec->op = op;
	cur.p = rd->buf;
	cur.end = rd->buf + len;
	cur.bad = false;
	dt = cur_zigzag(&cur);
	decode_payload(&cur, rec);
	if (cur.bad || cur.p != cur.end)
		return tr_rd_fail(rd, err, KS_EPARSE, "%s:%" PRIu64 ": malformed %s record",
			       rd->path, start, ks_trace_op_name(op));
	if (dt < 0 && (uint64_t)-(dt + 1) + 1 > rd->last_t) {
		char b[32];

		return tr_rd_fail(rd, err, KS_EPARSE, "%s:%" PRIu64 ": timestamp goes backwards "
			       "(before 0ns < %s)", rd->path, start,
			       ks_trace_time_str(rd->last_t, b, sizeof(b)));
	}
	rec->t = rd->last_t + (uint64_t)dt;
	if (bin_check(rd, rec, start, err))
		return rd->state;
	rd->last_t = rec->t;
	return 1;
}

int tr_bin_open(struct tr_reader *rd, struct ks_err *err)
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
	if (version < KS_TRACE_VERSION_MIN || version > KS_TRACE_VERSION)
		return ks_err_set(err, KS_EPARSE, "%s:8: unsupported trace version %" PRIu32
				  " (this sim reads versions %d to %d)", rd->path, version,
				  KS_TRACE_VERSION_MIN, KS_TRACE_VERSION);
	rd->version = version;
	if (flags)
		return ks_err_set(err, KS_EPARSE, "%s:12: unsupported trace flags 0x%" PRIx32,
				  rd->path, flags);
	return 0;
}

/* --- lazy pages */

bool ks_trace_lazy_pages(struct ks_trace_source *src)
{
	struct tr_reader *rd = (struct tr_reader *)src;

	struct stat st;

	if (!src || src->next != tr_bin_next || rd->npend > rd->ipend ||
	    fstat(fileno(rd->f), &st) || !S_ISREG(st.st_mode))
		return false; /* a pipe cannot be read back: every page decoded as it comes */
	rd->lazy = true;
	rd->pager.fetch = tr_bin_fetch;
	return true;
}

int ks_trace_lazy_error(struct ks_trace_source *src, struct ks_err *err)
{
	struct tr_reader *rd = (struct tr_reader *)src;

	if (!src || src->next != tr_bin_next || !rd->lazy || rd->state >= 0)
		return 0;
	return ks_err_set(err, rd->failure.code, "%s", rd->failure.msg);
}

/* Decompresses frame f into slot b of the cache: 0, or fails the reader. */
static int fetch_frame(struct tr_reader *rd, uint64_t f, uint8_t *out)
{
	const struct tr_frame *fr = &rd->frames[f];
	size_t want = (size_t)fr->n * KS_PAGE_SIZE, got;
	ssize_t r;

	if (!rd->zin)
		rd->zin = ks_xmalloc(TR_MAX_PAGES_PAYLOAD);
	r = pread(fileno(rd->f), fr->codec == TR_CODEC_RAW ? out : rd->zin, fr->len,
		  (off_t)fr->off);
	if (r != (ssize_t)fr->len)
		return tr_rd_fail(rd, NULL, KS_EIO, "%s:%" PRIu64 ": cannot read the pages record "
				  "back: %s", rd->path, fr->start, r < 0 ? strerror(errno) :
				  "file shorter than when it was read");
	if (fr->codec == TR_CODEC_RAW)
		return 0;
	if (!rd->zdctx && !(rd->zdctx = ZSTD_createDCtx())) {
		fputs("sim: out of memory (zstd context)\n", stderr);
		abort();
	}
	got = ZSTD_decompressDCtx(rd->zdctx, out, want, rd->zin, fr->len);
	if (ZSTD_isError(got) || got != want)
		return tr_rd_fail(rd, NULL, KS_EPARSE, "%s:%" PRIu64 ": corrupt pages record "
				  "(zstd: %s)", rd->path, fr->start, ZSTD_isError(got) ?
				  ZSTD_getErrorName(got) : "short frame");
	return 0;
}

/* The pager's fetch: page key % 64 of frame key / 64, from the cache of decompressed
 * frames or decompressed into it (the oldest replaced). A failure fails the reader
 * (ks_trace_lazy_error, next()) and gives zeros. */
void tr_bin_fetch(const struct ks_content_pager *pg, uint64_t key, uint8_t *out)
{
	struct tr_reader *rd = (struct tr_reader *)((char *)pg - offsetof(struct tr_reader,
									   pager));
	uint64_t f = key / TR_BATCH_PAGES;
	unsigned i = (unsigned)(key % TR_BATCH_PAGES), b;

	if (rd->state < 0 || f >= rd->nframes || i >= rd->frames[f].n) {
		memset(out, 0, KS_PAGE_SIZE); /* failed before (or never handed out) */
		return;
	}
	for (b = 0; b < TR_FRAME_CACHE && rd->fc_id[b] != f + 1; b++)
		;
	if (b == TR_FRAME_CACHE) {
		if (!rd->fc)
			rd->fc = ks_xmalloc((size_t)TR_FRAME_CACHE * TR_BATCH_PAGES * KS_PAGE_SIZE);
		b = rd->fc_next;
		rd->fc_next = (rd->fc_next + 1) % TR_FRAME_CACHE;
		rd->fc_id[b] = 0;
		if (fetch_frame(rd, f, rd->fc + (size_t)b * TR_BATCH_PAGES * KS_PAGE_SIZE)) {
			memset(out, 0, KS_PAGE_SIZE);
			return;
		}
		rd->fc_id[b] = f + 1;
	}
	memcpy(out, rd->fc + ((size_t)b * TR_BATCH_PAGES + i) * KS_PAGE_SIZE, KS_PAGE_SIZE);
}

/* --- text */

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

void tr_put_le(uint8_t *p, uint64_t v, unsigned n)
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
		if (r->op == KS_TR_WRITE)
			n += put_varint(p + n, r->cls);
		if (r->op == KS_TR_WRITE || r->op == KS_TR_REF) {
			n += put_varint(p + n, r->arg);
			n += put_zigzag(p + n, r->step);
		}
		break;
	}
	return n;
}

/* zstd level of the page dictionary: 3, zstd's default, compresses a page batch at a few
 * hundred MB/s per core, fast enough to keep up with a recorder's snapshots. */
#define TR_ZSTD_LEVEL 3

bool tr_bin_flush_pages(struct ks_trace_writer *w)
{
	size_t raw = (size_t)w->nbatch * KS_PAGE_SIZE, n = 0, hdr, z;
	uint8_t *p;

	if (!w->nbatch)
		return true;
	if (!w->zbuf)
		w->zbuf = ks_xmalloc(16 + TR_MAX_PAGES_PAYLOAD + ZSTD_compressBound(raw));
	if (!w->zctx)
		w->zctx = ZSTD_createCCtx();
	if (!w->zctx) {
		fputs("sim: out of memory (zstd context)\n", stderr);
		abort();
	}
	p = w->zbuf + 8; /* payload; the op and length go in front of it */
	hdr = put_zigzag(p, (int64_t)(w->batch_t - w->batch_last_t));
	hdr += put_varint(p + hdr, w->batch_first);
	hdr += put_varint(p + hdr, w->nbatch);
	z = ZSTD_compressCCtx(w->zctx, p + hdr + 1, ZSTD_compressBound(raw), w->batch, raw,
			      TR_ZSTD_LEVEL);
	if (!ZSTD_isError(z) && z < raw) {
		p[hdr] = TR_CODEC_ZSTD;
		hdr += 1 + z;
	} else {
		p[hdr] = TR_CODEC_RAW;
		memcpy(p + hdr + 1, w->batch, raw);
		hdr += 1 + raw;
	}
	{
		uint8_t head[8];
		size_t hl = 0;

		head[hl++] = KS_TR_PAGE;
		hl += put_varint(head + hl, hdr);
		p -= hl;
		memcpy(p, head, hl);
		n = hl + hdr;
	}
	w->nbatch = 0;
	w->crc = crc32_update(w->crc, p, n);
	return fwrite(p, 1, n, w->f) == n;
}

bool tr_bin_put(struct ks_trace_writer *w, const struct ks_trace_rec *r)
{
	uint8_t payload[TR_MAX_PAYLOAD];
	size_t len, n = 0;

	if (r->op == KS_TR_PAGE) {
		bool ok = true;

		if (w->nbatch && (w->nbatch == TR_BATCH_PAGES || r->t != w->batch_t))
			ok = tr_bin_flush_pages(w);
		if (!w->batch)
			w->batch = ks_xmalloc((size_t)TR_BATCH_PAGES * KS_PAGE_SIZE);
		if (!w->nbatch) {
			w->batch_first = r->arg;
			w->batch_t = r->t;
			w->batch_last_t = w->last_t;
		}
		memcpy(w->batch + (size_t)w->nbatch++ * KS_PAGE_SIZE, r->bytes, KS_PAGE_SIZE);
		return ok;
	}
	if (w->nbatch && !tr_bin_flush_pages(w))
		return false;
	len = encode_payload(payload, r, w->last_t);
	w->buf[n++] = (uint8_t)r->op;
	n += put_varint(w->buf + n, len);
	memcpy(w->buf + n, payload, len);
	n += len;
	w->crc = crc32_update(w->crc, w->buf, n);
	return fwrite(w->buf, 1, n, w->f) == n;
}

