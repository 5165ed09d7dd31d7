/* kernel_trace.h - kernel traces: what the real kernel's KSM did, batch by batch, for
 * `sim regress` to compare against (format reference: docs/kernel-traces.md).
 *
 * A kernel trace is a DIRECTORY:
 *   FILE          CONTENT
 *   meta.yaml     flat "key: value" lines: format, kernel, hz, knobs.*, workload, ...
 *   scenario.yaml the scenario text exactly as run (with --set applied)
 *   batches.csv   batch,t_start_ns,t_end_ns,ksmd_cpu_ns, then every counter of
 *                 ks_kt_counter_names[] (pages_scanned/pages_skipped: deltas from batch 0)
 *   procs.csv     batch,pid,name,ksm_rmap_items,ksm_zero_pages,ksm_merging_pages,
 *                 ksm_process_profit,ksm_merge_any,ksm_mergeable
 *   mms.csv       pid,name,os_pid,mm (the mm pointer of the process's ksm_enter event)
 *   events.txt    the ksm tracepoint lines as tracefs prints them
 *   pfnmap.csv    batch,phase,pid,vaddr,pfn: page-to-PFN map, phase s (setup, full),
 *                 b (after batch) or w (after the workload of the sleep): changes only
 *   workload.csv  slot,t_sim_ns,t_real_ns,pid,op,vaddr,npages: timed records as run
 * Batch 0 is the state before run=1; batch k >= 1 is the state after ksmd's k-th batch.
 * A FOREIGN trace (another tool's) is a directory with scenario.yaml, counters.csv (one
 * row per batch, columns named as the sysfs files, absolute values) and optionally
 * trace.txt (`trace-cmd report` or /sys/kernel/tracing/trace text) and meta.yaml. */
#ifndef KS_KERNEL_TRACE_H
#define KS_KERNEL_TRACE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "models/base/status.h"

enum ks_kt_counter {
	KS_KT_FULL_SCANS = 0, KS_KT_PAGES_SCANNED, KS_KT_PAGES_SHARED, KS_KT_PAGES_SHARING,
	KS_KT_PAGES_UNSHARED, KS_KT_PAGES_VOLATILE, KS_KT_PAGES_SKIPPED,
	KS_KT_STABLE_NODE_CHAINS, KS_KT_STABLE_NODE_DUPS, KS_KT_KSM_ZERO_PAGES,
	KS_KT_GENERAL_PROFIT, KS_KT_PAGES_TO_SCAN, KS_KT_NCOUNTERS
};
/* A value that was not recorded (foreign traces may lack some counters). */
#define KS_KT_NONE INT64_MIN
/* Most processes a kernel trace's meta.yaml may name (a recording runs a few). */
#define KS_KT_MAX_PROCESSES 4096
/* Sysfs names of the counters, in enum order. */
extern const char *const ks_kt_counter_names[KS_KT_NCOUNTERS];

enum ks_kt_ev_type {
	KS_KT_EV_START_SCAN = 0, KS_KT_EV_STOP_SCAN, KS_KT_EV_ENTER, KS_KT_EV_EXIT,
	KS_KT_EV_MERGE_ONE_PAGE, KS_KT_EV_MERGE_WITH_KSM_PAGE, KS_KT_EV_REMOVE_KSM_PAGE,
	KS_KT_EV_REMOVE_RMAP_ITEM, KS_KT_EV_ADVISOR, KS_KT_EV_NTYPES
};

struct ks_kt_batch {
	uint64_t batch;               /* 0 = before run=1, k = after ksmd batch k */
	int64_t t_start_ns;           /* ksmd's first switch-in after its sleep,
				       * CLOCK_MONOTONIC ns (0: unknown) */
	int64_t t_end_ns;             /* ksmd went to sleep, CLOCK_MONOTONIC ns */
	int64_t ksmd_cpu_ns;          /* ksmd CPU time of this batch, ns (-1: unknown) */
	int64_t c[KS_KT_NCOUNTERS];   /* counters (KS_KT_NONE: not recorded) */
};

struct ks_kt_proc {
	uint64_t batch;               /* as in ks_kt_batch */
	uint32_t pid;                 /* scenario pid (1..N) */
	int64_t rmap_items;           /* /proc/PID/ksm_stat ksm_rmap_items, pages */
	int64_t zero_pages;           /* ksm_zero_pages, pages */
	int64_t merging_pages;        /* ksm_merging_pages, pages */
	int64_t profit;               /* ksm_process_profit, bytes */
	bool merge_any;               /* ksm_merge_any */
	bool mergeable;               /* ksm_mergeable */
};

struct ks_kt_event {
	int64_t t_ns;                 /* trace timestamp, ns */
	enum ks_kt_ev_type type;
	uint64_t ksm_page;            /* MERGE_WITH_KSM_PAGE: 0 = "pfn" form, 1 = "ksm pfn" */
	uint64_t pfn;                 /* merge / remove events */
	uint64_t rmap_item;           /* pointer value, a stable id within one recording */
	uint64_t mm;                  /* pointer value of the mm */
	int64_t err;                  /* merge events: 0 or -errno */
	int64_t a, b, c;              /* START/STOP: seq, rmap size; ADVISOR: scan_time s,
					 pages_to_scan, cpu_percent */
};

struct ks_kt_pfn {
	uint64_t batch;               /* snapshot after this batch (0: setup) */
	char phase;                   /* 's' setup, 'b' after batch, 'w' after workload */
	uint32_t pid;                 /* scenario pid */
	uint64_t vaddr;               /* page address */
	uint64_t pfn;                 /* 0 = not present */
};

struct ks_kt_mm {
	uint32_t pid;                 /* scenario pid */
	uint64_t mm;                  /* mm pointer from ksm_enter (0: unknown) */
	char name[64];                /* "group/i" */
};

struct ks_ktrace {
	char *dir;                    /* where it was read from / written to (owned) */
	bool foreign;                 /* imported from counters.csv + trace.txt */
	char **meta_keys, **meta_vals; /* meta.yaml, in file order (owned) */
	unsigned nmeta;
	char *scenario_text;          /* scenario.yaml (owned) */
	struct ks_kt_batch *batches;  size_t nbatches;
	struct ks_kt_proc *procs;     size_t nprocs;
	struct ks_kt_event *events;   size_t nevents;
	char **event_lines;           /* raw text of each event (owned), for writing */
	struct ks_kt_pfn *pfns;       size_t npfns;
	struct ks_kt_mm *mms;         size_t nmms;
	char *workload_csv;           /* workload.csv text (owned), may be NULL */
	char *samples_csv;            /* a wall-clock run (record-kernel --wall-clock):
				       * samples.csv text (owned); such a folder has
				       * meta.yaml, scenario.yaml and samples.csv only */
};

/* Lifecycle. _new never fails; _free(NULL) is a no-op. */
struct ks_ktrace *ks_ktrace_new(void);
void ks_ktrace_free(struct ks_ktrace *kt);
/* Meta: set (replaces) / get (NULL if absent). */
void ks_ktrace_meta_set(struct ks_ktrace *kt, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
const char *ks_ktrace_meta(const struct ks_ktrace *kt, const char *key);
/* Appends (copies) records; never fail. */
void ks_ktrace_add_batch(struct ks_ktrace *kt, const struct ks_kt_batch *b);
void ks_ktrace_add_proc(struct ks_ktrace *kt, const struct ks_kt_proc *p);
void ks_ktrace_add_pfn(struct ks_ktrace *kt, const struct ks_kt_pfn *p);
void ks_ktrace_add_mm(struct ks_ktrace *kt, const struct ks_kt_mm *m);
/* Parses one tracefs / trace-cmd text line; adds it if it is a ksm event. Returns 1 if
 * added, 0 if not a ksm event line, KS_EPARSE if a ksm event is malformed. */
int ks_ktrace_add_event_line(struct ks_ktrace *kt, const char *line);
/* Parses a line into *ev without adding it: 1 ksm event, 0 other, KS_EPARSE. */
int ks_kt_parse_event(const char *line, struct ks_kt_event *ev);
/* The task of a tracefs line ("  comm-PID  [cpu] flags ts: event: ..."): its pid, and
 * its comm into comm[n] (when comm is not NULL); -1 if the line has no such prefix. */
int64_t ks_kt_line_pid(const char *line, char *comm, size_t n);
/* Batch an event belongs to: the first batch k with t_ns <= its t_end_ns (batch 0's
 * t_end_ns is the moment run=1 was written), or the last batch + 1 if after it. */
uint64_t ks_ktrace_event_batch(const struct ks_ktrace *kt, const struct ks_kt_event *ev);
/* Scenario pid of an mm pointer, 0 if unknown. */
uint32_t ks_ktrace_mm_pid(const struct ks_ktrace *kt, uint64_t mm);

/* Merged pages: which (process, page) merged in each batch, reconstructed from the
 * successful merge events (events.txt, mm -> pid by mms.csv) and the PFN changes of the
 * batch (pfnmap.csv, phase b): INTO_KSM = the page's PFN became the KSM page's PFN
 * named by a "ksm pfn" event of its process; NEW_KSM = the page whose PFN (before the
 * batch, else after it) is that of a "pfn" (ksm_page NULL) event: promoted in place;
 * INTO_ZERO = the page's PFN became the zero-page PFN of a ksm_merge_one_page event.
 * An event that no page explains gives an entry with vaddr KS_KT_NO_PAGE. */
enum ks_kt_merge_kind { KS_KT_MERGE_INTO_KSM = 0, KS_KT_MERGE_NEW_KSM, KS_KT_MERGE_INTO_ZERO };
#define KS_KT_NO_PAGE UINT64_MAX
struct ks_kt_merged {
	uint64_t batch;               /* ksmd batch of the merge event, 1-based */
	uint32_t pid;                 /* scenario pid */
	uint64_t vaddr;               /* page address (KS_KT_NO_PAGE: not found) */
	enum ks_kt_merge_kind kind;   /* how it merged */
	uint64_t pfn;                 /* the event's pfn (KSM page, page or zero page) */
};
/* Whether the trace recorded what ks_ktrace_merged_pages needs (events and pfnmap). */
bool ks_ktrace_has_merged_pages(const struct ks_ktrace *kt);
/* Every merged page of batches 1..last, sorted by ks_kt_merged_cmp; *out is malloc'd
 * (free() it; NULL if none). Returns the count; never fails. */
size_t ks_ktrace_merged_pages(const struct ks_ktrace *kt, struct ks_kt_merged **out);
/* qsort order of merged pages: batch, pid, vaddr, kind. */
int ks_kt_merged_cmp(const void *a, const void *b);

/* Files. Each returns 0 or a negative KS_E* with err "PATH:LINE: problem". */
int ks_ktrace_write(const struct ks_ktrace *kt, const char *dir, struct ks_err *err);
/* Reads a native trace directory, or imports a foreign one (see above). */
int ks_ktrace_read(const char *dir, struct ks_ktrace **out, struct ks_err *err);

#endif
