/* pages.c - `ks-trace-pages TRACE`: writes the bytes of every dictionary page (`page`
 * record) of a recorded trace to stdout, in id order: the distinct non-zero pages the
 * trace stores. `ks-trace-pages T | zstd -3 | wc -c` is the baseline the trace's size is
 * held against (traces/guests/README.md). Bad input: one line, exit 2. */
#include <stdio.h>
#include <stdlib.h>

#include "traces/trace.h"
#include "traces/trace_io.h"

int main(int argc, char **argv)
{
	struct ks_err err = { 0 };
	struct ks_trace_source *src;
	struct ks_trace_rec *r;
	unsigned long long n = 0;
	int rc;

	if (argc != 2) {
		fputs("usage: ks-trace-pages TRACE > pages.bin\n", stderr);
		return 2;
	}
	src = ks_trace_open(argv[1], &err);
	if (!src) {
		fprintf(stderr, "ks-trace-pages: %s\n", err.msg);
		return 2;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		abort();
	while ((rc = src->next(src, r, &err)) == 1) {
		if (r->op != KS_TR_PAGE)
			continue;
		if (fwrite(r->bytes, 1, sizeof(r->bytes), stdout) != sizeof(r->bytes)) {
			fputs("ks-trace-pages: stdout: write error\n", stderr);
			rc = -1;
			break;
		}
		n++;
	}
	if (rc < 0 && err.msg[0])
		fprintf(stderr, "ks-trace-pages: %s\n", err.msg);
	src->close(src);
	free(r);
	fprintf(stderr, "ks-trace-pages: %llu distinct pages\n", n);
	return rc < 0 ? 2 : 0;
}
