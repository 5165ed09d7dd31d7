/* import_mem.h - offline memory images as page-write traces: a QEMU `dump-guest-memory`
 * ELF core (x86_64, its PT_LOAD segments) or a raw memory file, each as one process whose
 * regions hold the image's pages (docs/trace-format.md, "Importing memory images"). */
#ifndef KS_IMPORT_MEM_H
#define KS_IMPORT_MEM_H

#include <stdbool.h>
#include <stdint.h>

#include "trace_io.h"
#include "models/base/status.h"

enum ks_image_kind {
	KS_IMAGE_AUTO = 0, /* ELF if it starts with the ELF magic, else refused */
	KS_IMAGE_ELF,      /* an ELF core dump (QEMU dump-guest-memory, x86_64) */
	KS_IMAGE_RAW       /* whole pages, from address 0 */
};

struct ks_import_opts {
	enum ks_trace_format fmt;   /* output format */
	enum ks_image_kind kind;
	const char *name;           /* process name (NULL: "image") */
	bool zero_absent;           /* zero pages left unpopulated instead of written */
	volatile int *stop;         /* may be NULL; nonzero (a signal number) stops the
				     * import: the trace being written is removed, KS_EINTR */
};

struct ks_import_stats {
	uint64_t regions;       /* regions (PT_LOAD segments; 1 for a raw file) */
	uint64_t pages;         /* pages read from the image */
	uint64_t pages_recorded, zero_pages, dict_pages; /* as in struct ks_pdict_stats */
	uint64_t trace_bytes;   /* size of the trace */
};

/* Base of the trace's addresses: image address A is trace address KS_IMAGE_BASE + A. */
#define KS_IMAGE_BASE (1ull << 40)

/* Imports `in` into the trace `out` (written to a temporary name, renamed when
 * complete). 0, or a negative KS_E* with err: one line naming the file, the offset and
 * the problem (truncated or corrupt image, another architecture, I/O). */
int ks_import_mem(const char *in, const char *out, const struct ks_import_opts *o,
		  struct ks_import_stats *st, struct ks_err *err);

#endif
