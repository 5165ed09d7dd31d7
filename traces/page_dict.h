/* page_dict.h - page contents into a trace through its page dictionary (format version
 * 2, docs/trace-format.md): zero pages as `write`s of a zero class, every other distinct
 * page once as a `page` record, and the pages of a process as runs of `ref`s. What the
 * process recorder (record_proc.c) and the memory-image importer (import_mem.c) share.
 *
 * Use: ks_pdict_state() for each page's bytes (a new distinct page is written at once),
 * ks_pdict_write() for each page that gets those bytes (runs are held back, so the
 * `page` records of many pages go out together and compress in big batches), and
 * ks_pdict_flush() before any record that must follow the writes. */
#ifndef KS_PAGE_DICT_H
#define KS_PAGE_DICT_H

#include <stdint.h>

#include "trace.h"
#include "trace_io.h"
#include "models/base/simtime.h"
#include "models/base/status.h"

/* Page states: 4 bytes per page for whoever tracks pages. */
#define KS_PD_ABSENT 0u                          /* no contents (not present) */
#define KS_PD_ZERO 1u                            /* the zero page */
#define KS_PD_DICT(id) ((uint32_t)(id) + 2u)     /* dictionary page id */

struct ks_pdict; /* opaque */

struct ks_pdict_stats {
	uint64_t pages_recorded; /* pages written (zero writes + refs) */
	uint64_t zero_pages;     /* of those, zero pages */
	uint64_t dict_pages;     /* distinct non-zero pages stored */
};

/* A dictionary writing into w (not owned). Never fails. */
struct ks_pdict *ks_pdict_new(struct ks_trace_writer *w);
void ks_pdict_free(struct ks_pdict *d);
/* Time of the records that follow (never decreasing). */
void ks_pdict_set_time(struct ks_pdict *d, ks_time t);
/* State of a page with these bytes: KS_PD_ZERO or KS_PD_DICT(id). A page not seen
 * before is written now as a `page` record. Pages are told apart by their 128-bit XXH3
 * hash (docs/trace-format.md, "Recording processes"). */
uint32_t ks_pdict_state(struct ks_pdict *d, const uint8_t *page);
/* Page vaddr of pid gets the contents of state (KS_PD_ZERO or KS_PD_DICT). */
void ks_pdict_write(struct ks_pdict *d, uint32_t pid, uint64_t vaddr, uint32_t state);
/* Writes every held-back run of page writes. */
void ks_pdict_flush(struct ks_pdict *d);
/* Ends the run of page writes being built, so that the next write starts a record of
 * its own: a recorder calls it at each region's end (a run must not span two regions,
 * even adjacent ones). The runs stay held back until ks_pdict_flush(). */
void ks_pdict_end_run(struct ks_pdict *d);
/* Writes rec now, at the current time (after ks_pdict_flush if it must follow the
 * page writes). */
void ks_pdict_put(struct ks_pdict *d, struct ks_trace_rec *rec);
/* A ranged record (mmap, munmap, mergeable, unmergeable) now. */
void ks_pdict_put_range(struct ks_pdict *d, enum ks_trace_op op, uint32_t pid,
			uint64_t vaddr, uint64_t npages);
/* The first write error (a KS_E* with *err filled), or 0. Later records are dropped. */
int ks_pdict_error(const struct ks_pdict *d, struct ks_err *err);
const struct ks_pdict_stats *ks_pdict_stats(const struct ks_pdict *d);

#endif
