/* trace_int.h - what the trace readers and writers share inside traces/ (trace_io.c,
 * trace_rec.c, trace_bin.c, trace_text.c): the record checker, the reader and writer
 * state, and each format's entry points. Not for use outside these files. */
#ifndef KS_TRACE_INT_H
#define KS_TRACE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "trace_io.h"

#define TR_MAGIC "KSMTRACE"
#define TR_HEADER_SIZE 24u
#define TR_END_SIZE 13u
#define TR_MAX_PAYLOAD 8192u
#define TR_TEXT_MAGIC "ksmsim-trace"
#define TR_BATCH_PAGES 64u  /* PAGE records per binary `pages` record, at most */
/* A `pages` record's payload: dt, first id, count, codec, then the (compressed) pages. */
#define TR_MAX_PAGES_PAYLOAD (TR_BATCH_PAGES * KS_PAGE_SIZE + 64u)
#define TR_FRAME_CACHE 32u  /* lazy pages: decompressed `pages` records kept */

/* Lazy pages: where a `pages` record's pages are in the file. */
struct tr_frame {
	uint64_t start;   /* offset of the record, for messages */
	uint64_t off;     /* offset of its pages (zstd frame or raw bytes) */
	uint32_t len;     /* their size in the file, bytes */
	uint8_t n;        /* pages, 1..TR_BATCH_PAGES */
	uint8_t codec;    /* enum tr_codec */
};
enum tr_codec { TR_CODEC_RAW = 0, TR_CODEC_ZSTD = 1 };

/* What every reader and writer verifies across records. */
struct tr_check {
	ks_time last_t;    /* time of the previous record, ns */
	uint8_t *defined;  /* bitmap of class ids defined so far */
	size_t ndefined;   /* bytes allocated in `defined` */
	uint64_t nrecs;    /* records accepted so far */
	uint64_t ndict;    /* dictionary pages defined so far (PAGE records) */
};

void tr_check_fini(struct tr_check *c);
/* Validates r after the records already accepted; 0, or -1 with msg set. */
int tr_check_rec(struct tr_check *c, const struct ks_trace_rec *r, char *msg, size_t len);
bool tr_op_is_valid(int op);
bool tr_op_is_ranged(enum ks_trace_op op);
bool tr_op_is_dict(enum ks_trace_op op);

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
	uint64_t rec_off;           /* offset of the record last returned */
	uint32_t crc;               /* CRC-32 of the record bytes so far */
	uint64_t hdr_count;         /* header's record count (0 = unknown) */
	ks_time last_t;             /* delta base: t of the previous record, ns */
	uint8_t buf[TR_MAX_PAYLOAD + 16]; /* one record */
	uint32_t version;           /* format version of the file */
	uint8_t *big;               /* a `pages` record's payload (TR_MAX_PAGES_PAYLOAD) */
	uint8_t *pages;             /* its decoded pages (TR_BATCH_PAGES pages) */
	void *zdctx;                /* ZSTD_DCtx reused by every `pages` record (NULL until
				     * the first): a context per frame cost its allocation */
	unsigned npend, ipend;      /* pages decoded, pages handed out */
	uint64_t pend_first;        /* id of pages[0] */
	ks_time pend_t;             /* time of the batch */
	uint64_t pend_start;        /* file offset of the batch, for messages */
	/* lazy pages (ks_trace_lazy_pages) */
	bool lazy;                  /* PAGE records go out without their bytes */
	struct ks_content_pager pager; /* what they name: fetch is tr_bin_fetch */
	struct tr_frame *frames;    /* every `pages` record read so far */
	size_t nframes, capframes;
	uint8_t *fc;                /* TR_FRAME_CACHE decompressed records (NULL until the
				     * first fetch) */
	uint64_t fc_id[TR_FRAME_CACHE]; /* frame index + 1 held in each, 0: none */
	unsigned fc_next;           /* the one replaced next (round robin) */
	uint8_t *zin;               /* a record's pages as read back (pread) */
	/* text */
	char *line;                 /* getline() buffer (owned) */
	size_t linecap;             /* its size, bytes */
	unsigned long lineno;       /* 1-based number of the line in `line` */
};


/* Records a reader failure (repeated by every later next()) and sets err. */
int tr_rd_fail(struct tr_reader *rd, struct ks_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Checks r against the previous records; `where` is "file:offset" or "file:line". */
int tr_rd_check(struct tr_reader *rd, const struct ks_trace_rec *r, const char *where,
		struct ks_err *err);

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
	bool dict;                /* a PAGE or REF was written: the file is version 2 */
	uint64_t bytes;           /* bytes written so far (header and records) */
	/* binary: PAGE records waiting to go out as one `pages` record */
	uint8_t *batch;           /* TR_BATCH_PAGES pages */
	uint8_t *zbuf;            /* the encoded record */
	void *zctx;               /* ZSTD_CCtx, created on first use */
	unsigned nbatch;          /* pages in batch */
	uint64_t batch_first;     /* id of its first page */
	ks_time batch_t;          /* time of its pages */
	ks_time batch_last_t;     /* time of the record before the batch (delta base) */
};


/* Binary .kst (trace_bin.c). */
int tr_bin_open(struct tr_reader *rd, struct ks_err *err);
int tr_bin_next(struct ks_trace_source *src, struct ks_trace_rec *rec, struct ks_err *err);
/* ks_content_pager.fetch of a lazy binary reader. */
void tr_bin_fetch(const struct ks_content_pager *pg, uint64_t key, uint8_t *out);
bool tr_bin_put(struct ks_trace_writer *w, const struct ks_trace_rec *r);
/* Writes the PAGE records waiting in w's batch as one `pages` record. */
bool tr_bin_flush_pages(struct ks_trace_writer *w);
/* Little-endian n-byte store. */
void tr_put_le(uint8_t *p, uint64_t v, unsigned n);

/* Text .kstt (trace_text.c). */
int tr_tx_open(struct tr_reader *rd, struct ks_err *err);
int tr_tx_next(struct ks_trace_source *src, struct ks_trace_rec *rec, struct ks_err *err);
bool tr_text_put(struct ks_trace_writer *w, const struct ks_trace_rec *r);

#endif
