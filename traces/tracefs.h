/* tracefs.h - the kernel's tracing for KSM: mount tracefs if needed, save its settings,
 * enable the ksm tracepoints and ksmd's sched_switch (filtered on ksmd), read
 * trace_pipe without blocking, and restore everything afterwards. Root only. */
#ifndef KS_TRACEFS_H
#define KS_TRACEFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "models/base/status.h"

#define KS_TRACEFS_DIR "/sys/kernel/tracing"

enum { KS_TRACEFS_NEVENTS = 10 };

struct ks_tracefs {
	bool sched_only;              /* set before setup: only ksmd's sched_switch, no ksm
				       * events (a workload too big to trace every merge) */
	bool mounted;                 /* we mounted tracefs */
	bool saved;                   /* settings saved and changed */
	char tr_on[16], tr_clock[32], tr_size[32], tr_hash[16];
	bool ev_enabled[KS_TRACEFS_NEVENTS]; /* we enabled it */
	bool filter_set;              /* sched_switch filter written */
	int pipe_fd;                  /* trace_pipe, -1 when closed */
	char pbuf[65536];             /* partial trace_pipe data */
	size_t plen;
};

/* Sets tracing up (mono clock, hash-ptr 0, 4 MiB buffer, events on, pipe open,
 * tracing_on 1). 0, or KS_EIO / KS_EPERM (tracepoint missing) with err. After a
 * failure, restore must still be called. */
int ks_tracefs_setup(struct ks_tracefs *t, struct ks_err *err);
/* Reads whatever trace_pipe has, without blocking, and passes each complete line. */
void ks_tracefs_drain(struct ks_tracefs *t, void (*line)(void *ctx, const char *l), void *ctx);
/* Puts every setting back and unmounts if setup mounted: 0, or KS_EIO if the unmount
 * failed. Safe on a zeroed struct with pipe_fd -1. */
int ks_tracefs_restore(struct ks_tracefs *t, struct ks_err *err);
/* Timestamp (ns) of a trace line: the token ending right before `marker`
 * (": sched_switch:"); -1 if absent. */
int64_t ks_tracefs_line_ts(const char *line, const char *marker);

#endif
