/* trace_io.h - reading and writing page-write traces: binary .kst and text .kstt.
 * docs/trace-format.md is the user-facing reference with examples.
 *
 * BINARY (.kst), little-endian. "varint" = unsigned LEB128 (1..10 bytes), "zigzag" = a
 * signed value mapped to a varint as (v << 1) ^ (v >> 63).
 *   Header (24 bytes):
 *   OFFSET SIZE MEANING
 *   0      8    magic "KSMTRACE"
 *   8      4    u32 format version = 1
 *   12     4    u32 flags, 0 (reserved; other values are rejected)
 *   16     8    u64 number of records (end record excluded), 0 = unknown
 *   Record (repeated):
 *   0      1    op: enum ks_trace_op (1..10)
 *   1      v    varint L: payload length in bytes (<= 8192)
 *   1+v    L    payload; starts with zigzag dt = t - t of the previous record (ns;
 *               the first record is relative to 0), then per op, all varints unless
 *               marked: CLASS cls, kind(u8), then FILL: fill(u8) npatches, per patch
 *               offset width(u8) source(u8) value | IMAGE, RANDOM: seed | ZERO: -;
 *               START pid namelen name-bytes; MMAP MUNMAP MERGEABLE UNMERGEABLE pid
 *               vpage npages; WRITE pid vpage npages cls arg zigzag-step;
 *               WRITE_LITERAL pid vpage 4096 raw bytes; EXIT pid.
 *               vpage = vaddr / 4096.
 *   End record (13 bytes, exactly once, last):
 *   0      1    0x00
 *   1      8    u64 number of records
 *   9      4    u32 CRC-32 (IEEE 802.3, as zlib's crc32) of every byte from offset 24
 *               up to, not including, this record
 *
 * TEXT (.kstt): first line "ksmsim-trace 1"; then one record per line, '#' starts a
 * comment; "[TIME] OP KEY=VALUE ...", TIME = N[.F](ns|us|ms|s), optional only on class
 * lines (default: the previous record's time). Numbers are decimal or 0x-hex.
 *   OP           KEYS (default)
 *   class ID K   K = zero | fill byte(0) word=OFF:WIDTH:(N|index|index+N)... |
 *                image seed | random seed
 *   start        pid name (%XX escapes)
 *   mmap munmap mergeable unmergeable   pid vaddr pages
 *   write        pid vaddr pages(1) class arg(0) step(0)
 *   literal      pid vaddr bytes=RUN,RUN,... with RUN = HEX or HEX*COUNT, 4096 bytes
 *   exit         pid
 *   knob         name=KNOB value=N   (a ksm_changes sysfs write; KNOB as in scenarios)
 *
 * Both readers check: time never decreases, a CLASS precedes every WRITE using it and
 * is defined once, ranges are page-aligned and non-empty, class specs are valid.
 * Only the record fields of the op are meaningful (see ks_trace_rec_equal). */
#ifndef KS_TRACE_IO_H
#define KS_TRACE_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "trace.h"

/* Version 1: records 1..10. Version 2 adds the page dictionary (PAGE, REF; binary: one
 * `pages` record carries up to 64 PAGE records, zstd-compressed). A writer writes
 * version 2 only into a file that holds dictionary records, so every other file still
 * reads with an older sim. */
#define KS_TRACE_VERSION 2
#define KS_TRACE_VERSION_MIN 1

struct ks_trace_writer; /* opaque */

enum ks_trace_format {
	KS_TRACE_BINARY = 0, /* .kst */
	KS_TRACE_TEXT        /* .kstt */
};

/* Reading. Opens a trace (format detected from its first bytes) as a source whose
 * next() validates every record. NULL with err ("FILE:OFFSET: problem") on failure. */
struct ks_trace_source *ks_trace_open(const char *path, struct ks_err *err);
/* Format version of a source opened by ks_trace_open (1 or 2). */
unsigned ks_trace_source_version(const struct ks_trace_source *src);
/* Dictionary pages read only when needed (a replay: about half of a recorded guest
 * trace's distinct pages are overwritten before anything reads them). From this call
 * on, a binary trace file's source hands out each PAGE record without its bytes, with
 * rec->pager and rec->page_key for ks_content_literal_later(): its `pages` record is
 * checked (header, sizes, CRC) as it is read, but decompressed only when the content
 * store first reads one of its pages (a few decompressed records are kept). True if the
 * source does so; false for any other source (text, a generator), which is unchanged.
 * The source must stay open while the store may read those pages. */
bool ks_trace_lazy_pages(struct ks_trace_source *src);
/* The first failure of a lazy source to give a page (a corrupt or unreadable `pages`
 * record found when it was first read: the page was given as zeros, so what was
 * computed since is void): 0, or its KS_E* code with err ("FILE:OFFSET: problem").
 * It is also what next() returns from then on. */
int ks_trace_lazy_error(struct ks_trace_source *src, struct ks_err *err);
/* Format of a trace file from its first bytes: 0, or KS_EPARSE / KS_EIO with err. */
int ks_trace_detect(const char *path, enum ks_trace_format *fmt, struct ks_err *err);
/* Format from a file name's extension (.kst, .kstt): 0, or KS_EINVAL if neither. */
int ks_trace_format_from_name(const char *path, enum ks_trace_format *fmt);

/* Writing: to PATH.tmpXXXXXX, renamed to PATH by a successful close. */
/* NULL with err on failure (cannot create the file). */
struct ks_trace_writer *ks_trace_writer_open(const char *path, enum ks_trace_format fmt,
					     struct ks_err *err);
/* Validates and appends one record. KS_EINVAL (invalid record) or KS_EIO, with err. */
int ks_trace_writer_put(struct ks_trace_writer *w, const struct ks_trace_rec *rec,
			struct ks_err *err);
/* Finalises (end record, header count), renames and frees w, even on failure (then
 * the temporary file is removed). 0 or KS_EIO with err. */
int ks_trace_writer_close(struct ks_trace_writer *w, struct ks_err *err);
/* Size of the finished file so far (records written and flushed or buffered), bytes. */
uint64_t ks_trace_writer_bytes(const struct ks_trace_writer *w);
/* Removes the temporary file and frees w; the destination is left untouched. NULL ok. */
void ks_trace_writer_abort(struct ks_trace_writer *w);

/* Records. */
/* True if a and b are the same record (compares only the fields of the op). */
bool ks_trace_rec_equal(const struct ks_trace_rec *a, const struct ks_trace_rec *b);
/* Lower-case op name ("write"), or "?" for an invalid op. */
const char *ks_trace_op_name(enum ks_trace_op op);
/* Formats t with the largest exact unit ("1500ms", "0ns") into buf; returns buf. */
char *ks_trace_time_str(ks_time t, char *buf, size_t len);

#endif
