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

#include <zstd.h>

#include "scenario.h"
#include "trace_int.h"
#include "models/base/xalloc.h"

__attribute__((format(printf, 4, 5)))
int tr_rd_fail(struct tr_reader *rd, struct ks_err *err, int code, const char *fmt, ...)
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
	free(rd->big);
	free(rd->pages);
	free(rd->frames);
	free(rd->fc);
	free(rd->zin);
	ZSTD_freeDCtx(rd->zdctx);
	free(rd->line);
	free(rd->path);
	free(rd);
}

/* Checks r against the previous records; `where` is "file:offset" or "file:line". */
int tr_rd_check(struct tr_reader *rd, const struct ks_trace_rec *r, const char *where,
		    struct ks_err *err)
{
	char msg[512];

	if (tr_check_rec(&rd->chk, r, msg, sizeof(msg)))
		return tr_rd_fail(rd, err, KS_EPARSE, "%s: %s", where, msg);
	return 0;
}



/* --- opening */

static const char *rd_where(struct ks_trace_source *src, char *buf, size_t len)
{
	struct tr_reader *rd = (struct tr_reader *)src;

	if (rd->text)
		snprintf(buf, len, "%s:%lu", rd->path, rd->lineno);
	else
		snprintf(buf, len, "%s:%llu", rd->path, (unsigned long long)rd->rec_off);
	return buf;
}

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
		rd->src.next = tr_bin_next;
		if (tr_bin_open(rd, err))
			goto err_free;
	} else if (n == sizeof(magic) && memcmp(magic, TR_TEXT_MAGIC, 8) == 0) {
		rd->text = true;
		rd->src.next = tr_tx_next;
		if (tr_tx_open(rd, err))
			goto err_free;
	} else {
		ks_err_set(err, KS_EPARSE, "%s:0: not a ksmsim trace (bad magic)", path);
		goto err_free;
	}
	rd->src.close = rd_close;
	rd->src.where = rd_where;
	return &rd->src;

err_free:
	rd_close(&rd->src);
	return NULL;
}

unsigned ks_trace_source_version(const struct ks_trace_source *src)
{
	return ((const struct tr_reader *)src)->version;
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
	/* version 1 unless dictionary records follow (then patched to 2 at close) */
	if (fmt == KS_TRACE_BINARY) {
		tr_put_le(hdr + 8, KS_TRACE_VERSION_MIN, 4);
		ok = fwrite(hdr, 1, sizeof(hdr), w->f) == sizeof(hdr);
	} else {
		ok = fprintf(w->f, "%s %d\n", TR_TEXT_MAGIC, KS_TRACE_VERSION_MIN) > 0;
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
	if (tr_op_is_dict(rec->op))
		w->dict = true;
	ok = w->fmt == KS_TRACE_BINARY ? tr_bin_put(w, rec) : tr_text_put(w, rec);
	w->last_t = rec->t;
	if (!ok)
		return ks_err_set(err, KS_EIO, "%s: write failed: %s", w->tmp, strerror(errno));
	return 0;
}

int ks_trace_writer_close(struct ks_trace_writer *w, struct ks_err *err)
{
	uint8_t end[TR_END_SIZE], count[8], version[4];
	bool ok = true;

	if (w->fmt == KS_TRACE_BINARY) {
		ok = tr_bin_flush_pages(w);
		end[0] = 0;
		tr_put_le(end + 1, w->chk.nrecs, 8);
		tr_put_le(end + 9, w->crc, 4);
		tr_put_le(count, w->chk.nrecs, 8);
		tr_put_le(version, w->dict ? 2 : KS_TRACE_VERSION_MIN, 4);
		ok = ok && fwrite(end, 1, sizeof(end), w->f) == sizeof(end) &&
		     fseek(w->f, 8, SEEK_SET) == 0 &&
		     fwrite(version, 1, sizeof(version), w->f) == sizeof(version) &&
		     fseek(w->f, 16, SEEK_SET) == 0 &&
		     fwrite(count, 1, sizeof(count), w->f) == sizeof(count);
	} else if (w->dict) {
		ok = fseek(w->f, (long)strlen(TR_TEXT_MAGIC) + 1, SEEK_SET) == 0 &&
		     fputc('2', w->f) != EOF;
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

uint64_t ks_trace_writer_bytes(const struct ks_trace_writer *w)
{
	long pos = w->f ? ftell(w->f) : -1;

	return pos < 0 ? 0 : (uint64_t)pos;
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
	free(w->batch);
	free(w->zbuf);
	ZSTD_freeCCtx(w->zctx);
	free(w->tmp);
	free(w->path);
	free(w);
}

