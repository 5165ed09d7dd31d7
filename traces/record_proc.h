/* record_proc.h - records the anonymous memory of running processes into a page-write
 * trace (docs/trace-format.md, "Recording processes"): their regions from
 * /proc/PID/smaps, the contents of their present pages from /proc/PID/pagemap and
 * /proc/PID/mem, and, snapshot after snapshot, the pages whose contents changed.
 *
 * Page contents go through the trace's page dictionary: a zero page is a `write` of the
 * zero class, every other distinct page is stored once (a `page` record, zstd-compressed
 * in batches) and referenced by `ref` records. The caller decides when snapshots are
 * taken (sim/cmd_record.c: an interval on the monotonic clock); tests take them by hand.
 * System I/O only here (Linux /proc). */
#ifndef KS_RECORD_PROC_H
#define KS_RECORD_PROC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "trace_io.h"
#include "models/base/simtime.h"
#include "models/base/status.h"

struct ks_prec; /* opaque */

struct ks_prec_opts {
	enum ks_trace_format fmt;  /* binary (.kst) or text (.kstt) */
	bool mergeable_only;       /* only regions with VmFlags `mg` (MADV_MERGEABLE) */
};

/* What a recording did; pages are 4 KiB. */
struct ks_prec_stats {
	uint64_t snapshots;       /* snapshot rounds taken */
	uint64_t pages_read;      /* present pages read, over all snapshots */
	uint64_t pages_recorded;  /* page writes in the trace (initial contents + changes) */
	uint64_t zero_pages;      /* of those, zero pages (written as the zero class) */
	uint64_t dict_pages;      /* distinct non-zero pages stored in the dictionary */
	uint64_t pages_dropped;   /* pages that went from present to gone (not swapped): an
				   * munmap + mmap of the page in the trace */
	uint64_t read_errors;     /* present pages /proc/PID/mem would not give (skipped) */
	uint64_t trace_bytes;     /* size of the finished trace file */
	uint64_t state_bytes_max; /* most memory the per-page states took (blocks of 512
				   * pages where pages were present; not the mappings' size) */
	ks_time snapshot_ns_max;  /* longest snapshot round (monotonic ns) */
	ks_time snapshot_ns_sum;  /* all snapshot rounds together */
};

/* Opens the trace at path (written to path.tmpXXXXXX, renamed by ks_prec_close). NULL
 * with err on failure. */
struct ks_prec *ks_prec_open(const char *path, const struct ks_prec_opts *o,
			     struct ks_err *err);
/* Adds a process: it gets a `start` record at the next snapshot. Opens its /proc files
 * now, so a missing process is KS_ENOENT ("no such process") and one this user may not
 * read is KS_EPERM, each with a one-line err. */
int ks_prec_add(struct ks_prec *r, pid_t pid, struct ks_err *err);
/* The same for a child the caller started (not yet reaped): one that has already exited
 * is no error, but a process that started and exited before the first snapshot (its
 * `start` named `name`, then its `exit`). */
int ks_prec_add_child(struct ks_prec *r, pid_t pid, const char *name, struct ks_err *err);
/* Takes one snapshot of every live process at trace time t (>= the previous t): new,
 * gone and changed regions, and every present page whose contents changed. A process
 * that has exited gets an `exit` record at t. Returns the number of processes still
 * alive (>= 0), or a negative KS_E* with err (a write error of the trace). */
int ks_prec_snapshot(struct ks_prec *r, ks_time t, struct ks_err *err);
/* Finishes the trace, renames it to its final name and frees r; stats (may be NULL)
 * are filled. 0 or KS_EIO with err (then nothing is left under the final name). */
int ks_prec_close(struct ks_prec *r, struct ks_prec_stats *stats, struct ks_err *err);
/* Removes the temporary file and frees r. NULL ok. */
void ks_prec_abort(struct ks_prec *r);

#endif
