/* recorder.h - realises a scenario on the running kernel's KSM and records a kernel trace
 * (traces/kernel_trace.h; docs/kernel-traces.md): one child process per scenario process,
 * knobs set and restored, tracefs events, counters after every ksmd batch.
 * Needs root and /sys/kernel/mm/ksm. System I/O only here; the format is kernel_trace. */
#ifndef KS_RECORDER_H
#define KS_RECORDER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "scenario.h"
#include "models/base/status.h"

struct ks_recorder_opts {
	const struct ks_scenario *sc;   /* the scenario as run (its duration is ignored) */
	const char *scenario_file;      /* recorded in meta.yaml */
	const char *out_dir;            /* trace directory to write */
	uint64_t batches;               /* ksmd batches to record (>= 1) */
	uint64_t scans;                 /* or: stop after this many full scans (0: off) */
	/* An external workload instead of the scenario's processes (the scenario then gives
	 * only the knobs): the running processes pids[0..npids), scenario pids 1..npids in
	 * that order, or the command cmd (argv, NULL-terminated) started at T0 with its
	 * descendants that register with KSM, numbered as they are found. No pfnmap.csv, no
	 * ksm events (only ksmd's sched_switch); the workload is "live". */
	const pid_t *pids;
	unsigned npids;
	char *const *cmd;
	uint64_t duration_ns;           /* external: stop after this long (0: off) */
	/* Wall clock (--wall-clock): the scenario's processes as above, but ksmd runs freely
	 * (any sleep_millisecs) and every timed record is applied at T0 + its time on the
	 * clock, the processes writing in parallel, as the scenario's processes would; no
	 * batches are cut, no tracefs. Every sample_ns (and at the end, T0 + the scenario's
	 * duration) a row of samples.csv: ksmd's CPU time, the counters, the workload's
	 * and the rest of the machine's CPU time, how late the records ran. `wall` gets
	 * the totals. The folder has meta.yaml, scenario.yaml and samples.csv. */
	bool wall_clock;
	uint64_t sample_ns;             /* wall clock: sampling period (0: 1 s) */
	struct ks_wall_result *wall;    /* wall clock: totals out (may be NULL) */
	volatile int *interrupt;        /* set by SIGINT/SIGTERM: stop, restore, KS_EINTR */
	void (*note)(const char *msg);  /* progress notes; may be NULL */
};

/* Records. Returns 0, or a negative KS_E* with err set: KS_EPERM (not root, no KSM),
 * KS_EBUSY (KSM in use: run != 0 or pages_shared != 0), KS_EIO (sysfs, tracefs, fork,
 * mmap), KS_EINTR (interrupted; knobs restored, nothing written), KS_EDIVERGE (a batch
 * could not be isolated). Whatever happens, every knob it changed is restored, the
 * tracefs settings it changed are restored and tracefs is unmounted if it mounted it. */
int ks_record_kernel(const struct ks_recorder_opts *o, struct ks_err *err);

/* The totals of a wall-clock run, from T0 (run=1) to its end. */
struct ks_wall_result {
	int64_t span_ns;                /* T0 to the last sample */
	int64_t ksmd_cpu_ns;            /* ksmd's CPU time (/proc/<ksmd>/schedstat) */
	int64_t workload_cpu_ns;        /* the scenario's processes' CPU time (schedstat) */
	int64_t recorder_cpu_ns;        /* this process's */
	int64_t others_cpu_ns;          /* the rest of the machine's (/proc/stat busy, less
					 * the three above; -1 unknown) */
	int64_t pages_scanned, full_scans, pages_shared, pages_sharing;
	uint64_t groups;                /* timed record instants applied */
	int64_t max_late_ns;            /* latest start of an instant after its time */
	int64_t max_apply_ns;           /* longest an instant took to apply */
	uint64_t late_groups;           /* instants started >= 10 ms after their time */
	double load1_before, load1_after;
};
/* The batch after which a timed record at t (> 0) is applied: it lies in the sleep after
 * batch floor(t / S) + 1, S = ks_ksm_sleep_jiffies_ns(p) (sleep_millisecs rounded up to
 * whole jiffies at p->hz, as ksmd and the zero-cost simulator sleep); *racy when t falls
 * on a batch's start (a multiple of S). */
uint64_t ks_record_kernel_slot(const struct ks_ksm_params *p, ks_time t, bool *racy);
/* External workloads: every process gone ends the recording cleanly (its last rows are
 * the batches it lived through); a pid that does not exist at the start is KS_EINVAL. */

#endif
