/* observer.h - what a run tells those who listen: the one interface through which the
 * world reports (the results database writer, the cost accounting, sim regress, sim
 * validate-timing, the progress bar and the knob warnings are all observers). A run has
 * any number of observers; each gets, in the order given, every call it has a
 * function for (NULL: not interested). */
#ifndef KS_OBSERVER_H
#define KS_OBSERVER_H

#include <stddef.h>
#include <stdint.h>

#include "models/base/simtime.h"
#include "models/base/status.h"
#include "models/ksm.h"
#include "models/reads.h"
#include "reclaim.h"

/* The /sys/kernel/mm/ksm counters at one instant. */
struct ks_sample {
	ks_time t;                  /* simulated ns */
	uint64_t batch;             /* ksmd batches so far */
	struct ks_ksm_stats st;
	uint64_t ksmd_cpu_ns;       /* simulated ksmd CPU time so far */
	uint64_t read_pages;        /* pages the workload read so far (read records) */
	uint64_t read_ns;           /* readers' time so far, as backed with KSM */
	uint64_t read_ns_noksm;     /* ... and as the same reads would cost without KSM */
	const struct ks_swap_stats *swap; /* host memory and zram (scenario host:), or NULL */
};

/* One process's /proc/PID/ksm_stat at one instant. */
struct ks_proc_sample {
	ks_time t;
	uint32_t pid;               /* simulated pid */
	const char *process;        /* "group/index", e.g. "vm/3" */
	struct ks_proc_stats ps;
};

/* One ksmd batch, just run. */
struct ks_batch_done {
	ks_time t_end;              /* simulated end: its start plus its CPU time */
	uint64_t cost_ns;           /* ksmd CPU time of the batch (0 without a cost model) */
	const struct ks_work *work; /* the batch's work, summed over its pages */
	const struct ks_sample *sample; /* counters after the batch */
};

enum ks_run_status { KS_RUN_COMPLETE = 0, KS_RUN_INTERRUPTED, KS_RUN_FAILED };

/* One process's reads (read records of its pid), priced both ways. */
struct ks_proc_reads {
	uint32_t pid;               /* simulated pid */
	const char *process;        /* "group/index", e.g. "solver/0" */
	struct ks_read_totals ksm;  /* as backed with KSM */
	struct ks_read_totals noksm; /* ... and without */
};

/* How a run ended. */
struct ks_summary {
	enum ks_run_status status;
	int64_t finished_unix_ms;   /* wall clock at the end (ks_world_opts.clock; 0 without) */
	ks_time sim_end;            /* simulated ns at the end */
	uint64_t batches;
	struct ks_ksm_stats final;
	int64_t saved_bytes;        /* (pages_sharing + ksm_zero_pages) * 4096 */
	ks_time t50;                /* simulated ns to reach 50% of the final saving */
	ks_time t90;                /* ... and 90% (both KS_TIME_MAX: never, nothing saved) */
	int64_t peak_saved_bytes;   /* largest saving after any batch */
	ks_time peak_t;             /* when it was first reached */
	uint64_t ksmd_cpu_ns;
	struct ks_read_totals reads;       /* the workload's reads as backed with KSM */
	struct ks_read_totals reads_noksm; /* the same reads without KSM: every written page
					    * private, every untouched one ZERO_PAGE(vaddr) */
	enum ks_read_variant read_variant; /* use_zero_pages as ksmd's batches ran with it */
	const struct ks_proc_reads *proc_reads; /* the processes that read, in start order;
						 * owned by the world: set for the observers'
						 * commit, NULL (and 0) once ks_world_run
						 * has returned */
	size_t nproc_reads;
	double wall_seconds;        /* wall time of the run (ks_world_opts.clock; 0 without) */
	bool has_swap;              /* the scenario has host: (reclaim into zram) */
	struct ks_swap_stats swap;  /* ... its counters at the end */
	struct ks_swap_cost swap_cost; /* ... and the zsmalloc work of its swap traffic */
};

struct ks_observer {
	void *self;                 /* passed to every call */
	/* After every ksmd batch. */
	void (*batch)(void *self, const struct ks_batch_done *b);
	/* After cmp_and_merge_page() calls: n >= 1 in a row, each with work w and price ns
	 * (0 without a cost model); n is 1 on the reference path (scenario key `path`). */
	void (*page)(void *self, enum ks_page_kind kind, uint64_t ns, const struct ks_work *w,
		     uint64_t n);
	/* At every KSM tracepoint, with its simulated time. */
	void (*event)(void *self, ks_time t, const struct ks_ksm_event *ev);
	/* After every write to a KSM knob (ksm_changes, trace KNOB records), with the
	 * kernel's answer: 0, or KS_EINVAL / KS_EBUSY when refused (the knob keeps its
	 * value, as after a failed sysfs write; not an error of the run). */
	void (*knob)(void *self, ks_time t, enum ks_knob knob, uint64_t value, int rc);
	/* At each sample point of the scenario: the counters and every live process's
	 * ksm_stat (nprocs 0 when the scenario does not sample processes). Non-zero with
	 * err set stops the run as failed (a writer could not write). */
	int (*sample)(void *self, const struct ks_sample *smp, const struct ks_proc_sample *procs,
		      size_t nprocs, struct ks_err *err);
	/* About every 0.1% of simulated time. */
	void (*progress)(void *self, ks_time now, ks_time end);
	/* The run is over (complete or interrupted); sum is final. Called only when the run
	 * did not fail. Non-zero with err set: this observer could not keep the run (the
	 * run then fails; observers after it are not called). */
	int (*commit)(void *self, const struct ks_summary *sum, struct ks_err *err);
};

#endif
