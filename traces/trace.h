/* trace.h - page-write trace records, and the source interface every trace reader and
 * synthetic generator implements. The file formats (binary .kst and text .kstt) are
 * documented in docs/trace-format.md and in traces/trace_io.h. */
#ifndef KS_TRACE_H
#define KS_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "models/base/simtime.h"
#include "models/base/status.h"
#include "models/vocab/content.h"

enum ks_trace_op {
	KS_TR_CLASS = 1,       /* define trace-local content class `cls` as `spec` */
	KS_TR_START,           /* process `pid` starts, called `name` */
	KS_TR_MMAP,            /* map [vaddr, +npages pages) anonymous, unpopulated */
	KS_TR_MUNMAP,          /* unmap the range */
	KS_TR_WRITE,           /* page i of the range gets (cls, arg + i * step) */
	KS_TR_WRITE_LITERAL,   /* the one page at vaddr gets the 4096 `bytes` */
	KS_TR_MERGEABLE,       /* madvise(MADV_MERGEABLE) on the range */
	KS_TR_UNMERGEABLE,     /* madvise(MADV_UNMERGEABLE) on the range */
	KS_TR_EXIT,            /* process exits */
	KS_TR_KNOB,            /* `value` written to /sys/kernel/mm/ksm/<knob> (no pid) */
	KS_TR_PAGE,            /* dictionary page `arg` (ids 0, 1, 2, ... in order) is `bytes` */
	KS_TR_REF,             /* page i of the range gets dictionary page arg + i * step */
	KS_TR_READ,            /* process `pid` reads every page of the range, in address
				* order (a CPU read: changes no page; priced by what backs
				* each page, models/reads.h) */
	KS_TR_OP_MAX
};

struct ks_trace_rec {
	ks_time t;                /* simulated ns; non-decreasing within a source */
	enum ks_trace_op op;
	uint32_t pid;             /* trace-local process id */
	uint64_t vaddr;           /* page-aligned virtual address */
	uint64_t npages;          /* range length in pages (>= 1 for ranged ops) */
	uint32_t cls;             /* WRITE: trace-local class; CLASS: the id being defined */
	uint64_t arg;             /* WRITE: content argument of the first page; PAGE: the
				   * page's id; REF: the dictionary id of the first page */
	int64_t step;             /* WRITE, REF: argument increment per page (0 = all alike) */
	struct ks_content_class_spec spec;               /* CLASS */
	struct ks_patch patches[KS_CONTENT_MAX_PATCHES]; /* CLASS: spec.patches points here */
	uint8_t bytes[KS_PAGE_SIZE];                     /* WRITE_LITERAL, PAGE */
	const struct ks_content_pager *pager; /* PAGE from a lazy source (ks_trace_lazy_pages):
					       * bytes[] not filled, the page is pager's
					       * page_key; NULL otherwise */
	uint64_t page_key;
	char name[64];            /* START: process name, NUL-terminated */
	uint32_t knob;            /* KNOB: enum ks_knob (models/vocab/knobs.h) */
	uint64_t value;           /* KNOB: the value written */
};

/* Clears the small fields of a record (not bytes[] nor patches[]); spec.patches points
 * at the record's own patches[]. */
void ks_trace_rec_clear(struct ks_trace_rec *r);

/* A stream of records in time order: a file reader or a synthetic generator. */
struct ks_trace_source {
	/* Returns 1 with *rec filled, 0 at the end, or a negative KS_E* with err set
	 * ("file:offset: problem"). */
	int (*next)(struct ks_trace_source *src, struct ks_trace_rec *rec, struct ks_err *err);
	void (*close)(struct ks_trace_source *src); /* frees src */
	/* Optional (NULL: none): where the record last returned by next() came from,
	 * "file:line" or "file:offset", for messages about what it asks of the model. */
	const char *(*where)(struct ks_trace_source *src, char *buf, size_t len);
};

#endif
