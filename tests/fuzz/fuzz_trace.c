/* fuzz_trace.c - libFuzzer target: the page-write trace readers (binary .kst and text
 * .kstt, chosen by the input's first bytes; corpora trace_bin and trace_text).
 * Oracles: a reader failure is one located line naming the file; every record a reader
 * accepts is one the writer accepts, and the file written in either format reads back
 * as the same records (sim trace convert is lossless); nothing is left behind. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "traces/trace_io.h"

#define MAX_RECS 512

static struct ks_trace_rec *recs; /* the records read, in order */

static void fz_fail(const char *what, const char *msg)
{
	fprintf(stderr, "fuzz oracle: %s: %s\n", what, msg);
	abort();
}

/* Writes recs[0..n) as fmt to PATH, reads it back and compares. */
static void round_trip(size_t n, enum ks_trace_format fmt)
{
	const char *out = fmt == KS_TRACE_BINARY ? "out.kst" : "out.kstt";
	static struct ks_trace_rec back;
	struct ks_err err = { 0 };
	struct ks_trace_writer *w = ks_trace_writer_open(out, fmt, &err);
	struct ks_trace_source *src;
	size_t i;
	int rc = 0;

	if (!w)
		fz_fail("writer_open", err.msg);
	for (i = 0; i < n; i++)
		if (ks_trace_writer_put(w, &recs[i], &err))
			fz_fail("the writer refuses a record the reader accepted", err.msg);
	if (ks_trace_writer_close(w, &err))
		fz_fail("writer_close", err.msg);
	src = ks_trace_open(out, &err);
	if (!src)
		fz_fail("reading back", err.msg);
	for (i = 0; (rc = src->next(src, &back, &err)) == 1; i++)
		if (i >= n || !ks_trace_rec_equal(&back, &recs[i]))
			fz_fail("round trip", "a record differs");
	if (rc < 0)
		fz_fail("reading back", err.msg);
	if (i != n)
		fz_fail("round trip", "record count differs");
	src->close(src);
	remove(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct ks_err err = { 0 };
	struct ks_trace_source *src;
	const char *path;
	size_t nrec = 0;
	bool complete;
	int rc = 0;

	if (!recs) {
		recs = calloc(MAX_RECS, sizeof(*recs));
		fz_dir();
		fz_mark();
	}
	path = fz_write("in.trace", d, n);
	src = ks_trace_open(path, &err);
	if (!src) {
		fz_check_msg(err.msg, path);
		return 0;
	}
	while (nrec < MAX_RECS && (rc = src->next(src, &recs[nrec], &err)) == 1)
		nrec++;
	complete = nrec < MAX_RECS && rc == 0;
	if (nrec < MAX_RECS && rc < 0) {
		fz_check_msg(err.msg, path);
		/* a failure repeats: the reader never goes on after an error */
		if (src->next(src, &recs[nrec], &err) >= 0)
			fz_fail("reader", "next() after a failure did not fail again");
	}
	src->close(src);
	if (complete) {
		round_trip(nrec, KS_TRACE_BINARY);
		round_trip(nrec, KS_TRACE_TEXT);
	}
	fz_check_left((const char *const[]){ "in.trace", NULL });
	return 0;
}
