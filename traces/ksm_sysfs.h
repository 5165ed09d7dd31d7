/* ksm_sysfs.h - the running kernel's KSM, as every tool that drives it must treat it
 * (the kernel recorder, and any live benchmark or calibration): refuse it when it is in
 * use, start from an empty state (run=2 then run=0), save every knob before changing
 * it, and always put everything back: run=2, the knobs, then the original run.
 * Needs root and /sys/kernel/mm/ksm. System I/O only. */
#ifndef KS_KSM_SYSFS_H
#define KS_KSM_SYSFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "kernel_trace.h"
#include "models/base/status.h"
#include "models/vocab/knobs.h"

#define KS_KSM_SYSFS_DIR "/sys/kernel/mm/ksm/"

/* Small sysfs/procfs I/O. */
/* Reads a file into buf (NUL-terminated, trailing blanks and newlines removed): 0 or -1. */
int ks_sysfs_read(const char *path, char *buf, size_t n);
/* Writes val: 0 or -errno. */
int ks_sysfs_write(const char *path, const char *val);
/* A number read from a file; -1 if unreadable. */
int64_t ks_sysfs_read_num(const char *path);
/* "[none] scan-time" -> "none" (the bracketed choice); other text unchanged. */
void ks_sysfs_bracketed(char *s);
/* CLOCK_MONOTONIC now, ns; and a sleep of ns. */
int64_t ks_mono_ns(void);
void ks_sleep_ns(int64_t ns);

/* The writable knobs this module sets, in the order they are set (restored in reverse,
 * advisor_mode first); `run` is handled apart. */
enum { KS_SYSFS_NKNOBS = 12 };
extern const char *const ks_sysfs_knob_names[KS_SYSFS_NKNOBS];

/* What was found and changed, so that it can be put back. */
struct ks_ksm_live {
	char knob_orig[KS_SYSFS_NKNOBS][64]; /* values as found */
	bool knob_changed[KS_SYSFS_NKNOBS];  /* written by us */
	char run_orig[16];                   /* run as found */
	bool run_touched;                    /* run was written: release must restore */
	pid_t ksmd;                          /* the ksmd thread */
};

/* Takes the idle KSM: root, KSM present, run 0, nothing shared and no other process
 * with mergeable memory (ksmd would scan it: KS_EBUSY otherwise), then
 * run=2, run=0 (empties stale mm slots, resets the cursor and full_scans) and finds
 * ksmd. KS_EPERM (not root, no KSM, no ksmd), KS_EBUSY, KS_EIO; err says which. After
 * a failure, release must still be called. `who` names the tool in messages. */
int ks_ksm_live_acquire(struct ks_ksm_live *k, const char *who, struct ks_err *err);
/* The same, for a workload started outside: the `npids` processes `pids` may already
 * have mergeable memory (their mm slots stay registered through run=2). */
int ks_ksm_live_acquire_with(struct ks_ksm_live *k, const char *who, const pid_t *pids,
			     size_t npids, struct ks_err *err);
/* A process other than us and the `nok` processes `ok` with memory registered with KSM
 * (its ksm_stat says mergeable): ksmd would scan it too. Its pid (its comm into
 * comm[n]), or 0. */
pid_t ks_ksm_live_other_mergeable(const pid_t *ok, size_t nok, char *comm, size_t n);
/* Saves every knob, then writes those that differ from p (pages_to_scan is left to the
 * advisor in scan-time mode). KS_EIO with err. */
int ks_ksm_live_set_knobs(struct ks_ksm_live *k, const struct ks_ksm_params *p,
			  struct ks_err *err);
/* One write to the knob file `name` during a run (ksm_changes); the knob is restored
 * with the others. 0, or -errno (a refused write: EBUSY, EINVAL). */
int ks_ksm_live_write_knob(struct ks_ksm_live *k, const char *name, const char *val);
/* Writes run (0, 1, 2): 0 or -errno. */
int ks_ksm_live_set_run(struct ks_ksm_live *k, unsigned run);
/* Puts everything back (run=2, the knobs, the original run). Safe to call twice and
 * after a failed acquire. */
void ks_ksm_live_release(struct ks_ksm_live *k);
/* The sysfs counters (kernel_trace.h order); -1 where unreadable. */
void ks_ksm_live_counters(int64_t c[KS_KT_NCOUNTERS]);
/* ksmd's CPU time so far, ns (/proc/<ksmd>/schedstat); -1 if unreadable. */
int64_t ks_ksm_live_ksmd_cpu_ns(const struct ks_ksm_live *k);

#endif
