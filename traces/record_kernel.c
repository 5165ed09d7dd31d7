/* record_kernel.c - `sim record-kernel`: the scenario run on the real kernel
 * (record_kernel.h).
 *
 * Why: "faithful" must be a measured fact; this realises exactly the workload the
 * simulator replays (same pids, addresses, page bytes, knobs) on this machine's KSM and
 * records what ksmd did after each of its batches.
 *
 * How:
 *   1. generate the scenario's records (traces/gen.h) with every content class interned
 *      in one store, so that children materialise the exact page bytes;
 *   2. refuse if KSM is in use; write run=2 then run=0 (empties stale mm slots and
 *      resets the scan cursor and full_scans), save and set every knob;
 *   3. tracefs: mount if needed, mono clock, hash-ptr 0, every ksm event and
 *      sched_switch filtered on ksmd (its S switch-out ends a batch);
 *   4. apply the t=0 records serially, one child per process (MAP_FIXED_NOREPLACE at the
 *      scenario's addresses, MADV_NOHUGEPAGE), so mm slots register in pid order;
 *   5. write run=1 (T0) and, after every batch, while ksmd sleeps: read the sysfs
 *      counters, ksmd's CPU time, every /proc/PID/ksm_stat and pagemap; then apply the
 *      timed records that the zero-cost simulator applies before its next batch
 *      (record at t lies in the sleep after batch floor(t / sleep) + 1, sleep being
 *      msecs_to_jiffies(sleep_millisecs) as ksmd sleeps it) and check that
 *      ksmd did not run meanwhile (else the workload is "racy");
 *   6. always: kill the children, run=2, restore knobs, tracefs, run.
 *
 * An external workload (--pid, or -- CMD: e.g. QEMU guests) replaces steps 1 and 4:
 * the processes run on their own, so step 5 only cuts batches and reads the counters
 * and every process's ksm_stat; no pfnmap, no ksm events (a guest merges far too many
 * pages to trace each), and the workload is "live" (it races ksmd by nature). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gen.h"
#include "kernel_trace.h"
#include "ksm_sysfs.h"
#include "record_kernel.h"
#include "machine_state.h"
#include "tracefs.h"
#include "models/base/xalloc.h"
#include "models/vocab/content.h"

#define KSM_DIR KS_KSM_SYSFS_DIR
#define POLL_NS 2000000LL         /* trace_pipe polling period */
#define RACE_MARGIN_NS 20000000LL /* workload must finish this long before ksmd wakes */

/* ---------------------------------------------------------------- the state */

/* One command to a child. */
struct cmd {
	int op;                       /* enum ks_trace_op */
	uint64_t vaddr;               /* page address */
	uint64_t npages;              /* range, pages */
	uint32_t cls;                 /* WRITE: store class id */
	uint64_t arg;                 /* WRITE: argument of the first page */
	int64_t step;                 /* WRITE: argument step per page */
};

/* A generated record, with its class mapped into the store. */
struct rec {
	ks_time t;                    /* scenario ns */
	uint32_t pid;                 /* scenario pid */
	char name[64];                /* START: process name */
	struct cmd c;                 /* what to do */
	uint64_t slot;                /* 0: setup; k: after batch k */
	bool racy;                    /* t is a multiple of ksmd's sleep */
};

struct region {
	uint64_t vaddr, npages;       /* mapping */
	uint64_t *pfn;                /* last PFN seen per page (0 = not present) */
};

struct child {
	uint32_t pid;                 /* scenario pid */
	pid_t os_pid;                 /* real pid, 0 = not started / reaped */
	int to, from;                 /* command pipe (write end), reply pipe (read end) */
	char name[64];
	uint64_t mm;                  /* from ksm_enter */
	bool alive;                   /* not exited */
	struct region *regions;       /* mapped regions */
	unsigned nregions;
	unsigned pending;             /* wall clock: commands sent, replies not yet read */
};

struct rec_state {
	const struct ks_recorder_opts *o;
	struct ks_err *err;
	struct ks_content_store *cs;
	struct rec *recs;             /* every record, in stream order */
	size_t nrecs;
	struct child *kids;           /* indexed by scenario pid - 1 */
	unsigned nkids;
	struct ks_ktrace *kt;
	struct ks_ksm_live ksm;       /* the real KSM: what to restore */
	struct ks_tracefs tr;         /* tracing: what to restore */
	int64_t t0;                   /* run=1 written, CLOCK_MONOTONIC ns */
	int64_t first_in;             /* ksmd's first switch-in after its last S switch-out:
				       * the batch's start (ns, 0 none yet) */
	int64_t last_out;             /* ksmd's last S switch-out (ns, 0 none) */
	uint64_t outs;                /* S switch-outs since T0 */
	bool recording;               /* keep ksm events */
	int64_t sleep_ns;             /* ksmd's sleep: sleep_millisecs in jiffies, in ns */
	char *workload;               /* workload.csv text */
	size_t wlen;
	bool racy, timed;
	bool external;                /* --pid / -- CMD: processes not ours to drive */
	pid_t cmd_pid;                /* -- CMD: the command (its own process group) */
	bool cmd_done;                /* the command exited */
	unsigned cap_kids;            /* -- CMD: room in kids */
	uint64_t late_reads;          /* external: batches whose reads ksmd overtook */
	int64_t exited_cpu_ns;        /* wall clock: CPU time of the children that exited */
	char *samples;                /* wall clock: samples.csv text */
	size_t slen;
	pid_t intruder;               /* a process not ours that entered KSM (0: none) */
	char intruder_comm[64];
	uint64_t intruder_mm;
};

static int sys_err(struct rec_state *s, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int sys_err(struct rec_state *s, int code, const char *fmt, ...)
{
	va_list ap;

	if (s->err->code)
		return code; /* keep the first message */
	va_start(ap, fmt);
	vsnprintf(s->err->msg, sizeof(s->err->msg), fmt, ap);
	va_end(ap);
	s->err->code = code;
	return code;
}

static void note(struct rec_state *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void note(struct rec_state *s, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	if (!s->o->note)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	s->o->note(buf);
}

static void wl_append(struct rec_state *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void wl_append(struct rec_state *s, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	n = strlen(buf);
	s->workload = ks_xrealloc(s->workload, s->wlen + n + 1);
	memcpy(s->workload + s->wlen, buf, n + 1);
	s->wlen += n;
}

/* ---------------------------------------------------------------- records */

static int collect_records(struct rec_state *s)
{
	struct ks_trace_source *src = ks_gen_open(s->o->sc, s->err);
	struct ks_trace_rec *r;
	int64_t *map = NULL;
	size_t nmap = 0;
	int rc;

	if (!src)
		return s->err->code ? s->err->code : KS_EINVAL;
	r = ks_xcalloc(1, sizeof(*r));
	while ((rc = src->next(src, r, s->err)) == 1) {
		struct rec x = { .t = r->t, .pid = r->pid };

		x.c.op = r->op;
		x.c.vaddr = r->vaddr;
		x.c.npages = r->npages;
		if (r->op == KS_TR_CLASS) {
			int64_t id = ks_content_class(s->cs, &r->spec);

			if (id < 0) {
				rc = sys_err(s, KS_EINVAL, "scenario: bad content class %u", r->cls);
				break;
			}
			if (r->cls >= nmap) {
				map = ks_xrealloc(map, (r->cls + 16) * sizeof(*map));
				for (size_t i = nmap; i < r->cls + 16; i++)
					map[i] = -1;
				nmap = r->cls + 16;
			}
			map[r->cls] = id;
			continue;
		}
		if (r->op == KS_TR_PAGE || r->op == KS_TR_REF) {
			rc = sys_err(s, KS_EINVAL, "scenario: a recorded trace (page dictionary) "
				     "cannot be replayed on the kernel");
			break;
		}
		if (r->op == KS_TR_WRITE) {
			if (r->cls >= nmap || map[r->cls] < 0) {
				rc = sys_err(s, KS_EINVAL, "scenario: write with undefined class");
				break;
			}
			x.c.cls = (uint32_t)map[r->cls];
			x.c.arg = r->arg;
			x.c.step = r->step;
		} else if (r->op == KS_TR_WRITE_LITERAL) {
			ks_content c = ks_content_literal(s->cs, r->bytes);

			x.c.op = KS_TR_WRITE;
			x.c.npages = 1;
			x.c.cls = ks_content_cls(c);
			x.c.arg = ks_content_arg(c);
		}
		if (r->op == KS_TR_KNOB) {
			if (r->knob == KS_KNOB_SLEEP_MILLISECS || r->knob == KS_KNOB_RUN) {
				rc = sys_err(s, KS_EINVAL, "scenario: ksm_changes of %s cannot be "
					     "recorded (batches are cut at a fixed sleep, with run=1)",
					     ks_knob_name((enum ks_knob)r->knob));
				break;
			}
			x.c.cls = r->knob;      /* enum ks_knob */
			x.c.arg = r->value;
		}
		if (r->op == KS_TR_START)
			snprintf(x.name, sizeof(x.name), "%s", r->name);
		if (x.t > 0) {
			x.slot = ks_record_kernel_slot(&s->o->sc->ksm, x.t, &x.racy);
			s->timed = true;
		}
		if (s->nrecs % 256 == 0)
			s->recs = ks_xrealloc(s->recs, (s->nrecs + 256) * sizeof(*s->recs));
		s->recs[s->nrecs++] = x;
		if (r->pid > s->nkids)
			s->nkids = r->pid;
	}
	free(map);
	free(r);
	src->close(src);
	if (rc < 0)
		return rc;
	s->kids = ks_xcalloc(s->nkids + 1, sizeof(*s->kids));
	for (unsigned i = 0; i < s->nkids; i++) {
		s->kids[i].pid = i + 1;
		s->kids[i].to = s->kids[i].from = -1;
	}
	return 0;
}

/* ---------------------------------------------------------------- children */

static void child_main(const struct rec_state *s, int in, int out)
{
	struct cmd c;
	uint8_t *page = ks_xmalloc(KS_PAGE_SIZE);

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_DFL);
	while (read(in, &c, sizeof(c)) == (ssize_t)sizeof(c)) {
		int res = 0;
		size_t len = c.npages * KS_PAGE_SIZE;
		void *a = (void *)(uintptr_t)c.vaddr;

		switch (c.op) {
		case KS_TR_MMAP:
			if (mmap(a, len, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0) != a)
				res = errno ? errno : EEXIST;
			else if (madvise(a, len, MADV_NOHUGEPAGE))
				res = errno;
			break;
		case KS_TR_MUNMAP:
			res = munmap(a, len) ? errno : 0;
			break;
		case KS_TR_WRITE:
			for (uint64_t i = 0; i < c.npages; i++) {
				uint64_t arg = c.arg + (uint64_t)((int64_t)i * c.step);

				ks_content_bytes(s->cs, ks_content_make(c.cls, arg), page);
				memcpy((uint8_t *)a + i * KS_PAGE_SIZE, page, KS_PAGE_SIZE);
			}
			break;
		case KS_TR_MERGEABLE:
			res = madvise(a, len, MADV_MERGEABLE) ? errno : 0;
			break;
		case KS_TR_UNMERGEABLE:
			res = madvise(a, len, MADV_UNMERGEABLE) ? errno : 0;
			break;
		case KS_TR_EXIT:
			_exit(0);
		default:
			res = EINVAL;
		}
		if (write(out, &res, sizeof(res)) != (ssize_t)sizeof(res))
			_exit(1);
	}
	_exit(0);
}

static int start_child(struct rec_state *s, struct child *k, const char *name)
{
	int a[2], b[2];
	pid_t p;

	if (pipe(a))
		return sys_err(s, KS_EIO, "pipe: %s", strerror(errno));
	if (pipe(b)) {
		close(a[0]);
		close(a[1]);
		return sys_err(s, KS_EIO, "pipe: %s", strerror(errno));
	}
	fflush(NULL);
	p = fork();
	if (p < 0)
		return sys_err(s, KS_EIO, "fork: %s", strerror(errno));
	if (p == 0) {
		close(a[1]);
		close(b[0]);
		for (unsigned i = 0; i < s->nkids; i++) {
			if (s->kids[i].to >= 0)
				close(s->kids[i].to);
			if (s->kids[i].from >= 0)
				close(s->kids[i].from);
		}
		if (s->tr.pipe_fd >= 0)
			close(s->tr.pipe_fd);
		child_main(s, a[0], b[1]);
	}
	close(a[0]);
	close(b[1]);
	k->os_pid = p;
	k->to = a[1];
	k->from = b[0];
	k->alive = true;
	snprintf(k->name, sizeof(k->name), "%s", name[0] ? name : "process");
	return 0;
}

static void reap_child(struct child *k)
{
	if (k->to < 0 && k->from < 0 && k->os_pid > 0 && k->mm == UINT64_MAX) {
		k->os_pid = 0; /* an external process: not ours to kill */
		k->alive = false;
		return;
	}
	if (k->to >= 0)
		close(k->to);
	if (k->from >= 0)
		close(k->from);
	k->to = k->from = -1;
	if (k->os_pid > 0) {
		kill(k->os_pid, SIGKILL);
		waitpid(k->os_pid, NULL, 0);
	}
	k->os_pid = 0;
	k->alive = false;
}

static void track_region(struct child *k, const struct cmd *c)
{
	if (c->op == KS_TR_MMAP) {
		k->regions = ks_xrealloc(k->regions, (k->nregions + 1) * sizeof(*k->regions));
		k->regions[k->nregions++] = (struct region){ c->vaddr, c->npages,
			ks_xcalloc(c->npages, sizeof(uint64_t)) };
		return;
	}
	for (unsigned i = 0; i < k->nregions; i++) {
		struct region *r = &k->regions[i];

		if (c->vaddr == r->vaddr && c->npages == r->npages) {
			free(r->pfn);
			*r = k->regions[--k->nregions];
			return;
		}
	}
}

/* A ksm_changes write: the same sysfs write on the real kernel. The knob is restored at
 * the end like the others; a write the kernel refuses (EBUSY, EINVAL) is not an error
 * of the recording, as it is not one of the simulated run. */
static void run_knob(struct rec_state *s, const struct rec *x)
{
	char val[32];

	if (x->c.cls == KS_KNOB_ADVISOR_MODE)
		snprintf(val, sizeof(val), "%s", x->c.arg ? "scan-time" : "none");
	else
		snprintf(val, sizeof(val), "%" PRIu64, x->c.arg);
	ks_ksm_live_write_knob(&s->ksm, ks_knob_name((enum ks_knob)x->c.cls), val);
}

/* Sends one command to a child: true when it went whole into the pipe. Written from
 * a copy: gcc (-Wstringop-overread, with ASan's instrumentation) takes &x->c for its
 * first member `op`, 4 bytes, and warns that write() reads 48 from it. */
static bool send_cmd(const struct child *k, const struct cmd *c)
{
	struct cmd copy = *c;

	return write(k->to, &copy, sizeof(copy)) == (ssize_t)sizeof(copy);
}

static int run_cmd(struct rec_state *s, const struct rec *x)
{
	struct child *k;
	int res = 0;

	if (x->c.op == KS_TR_KNOB) {
		run_knob(s, x);
		return 0;
	}
	k = &s->kids[x->pid - 1];
	if (x->c.op == KS_TR_START)
		return start_child(s, k, x->name);
	if (!k->alive)
		return sys_err(s, KS_EINVAL, "scenario: record for process %u, not running",
			       x->pid);
	if (!send_cmd(k, &x->c))
		return sys_err(s, KS_EIO, "process %u: command pipe: %s", x->pid,
			       strerror(errno));
	if (x->c.op == KS_TR_EXIT) {
		waitpid(k->os_pid, NULL, 0);
		k->os_pid = 0;
		reap_child(k);
		return 0;
	}
	if (read(k->from, &res, sizeof(res)) != (ssize_t)sizeof(res))
		return sys_err(s, KS_EIO, "process %u died", x->pid);
	if (res)
		return sys_err(s, KS_EIO, "process %u: %s at 0x%" PRIx64 " (%" PRIu64
			       " pages): %s", x->pid, x->c.op == KS_TR_MMAP ? "mmap" : "madvise",
			       x->c.vaddr, x->c.npages, strerror(res));
	if (x->c.op == KS_TR_MMAP || x->c.op == KS_TR_MUNMAP)
		track_region(k, &x->c);
	return 0;
}

/* ---------------------------------------------------------------- tracefs */

/* ksm_enter: an mm joined KSM. The task on the line is the child that called madvise;
 * a task that is none of ours is another process registering memory with KSM while we
 * record: ksmd scans its pages too, so the counters would not be the scenario's (make
 * check's `sim record` tests map mergeable memory, for one). Without a pid on the line,
 * registrations are serialised: the first child without an mm. */
static void enter_event(struct rec_state *s, const char *line, const struct ks_kt_event *ev)
{
	char comm[64];
	int64_t pid = ks_kt_line_pid(line, comm, sizeof(comm));

	for (unsigned i = 0; i < s->nkids; i++) {
		struct child *k = &s->kids[i];

		if (k->alive && !k->mm && (pid < 0 || pid == k->os_pid)) {
			k->mm = ev->mm;
			return;
		}
		if (pid >= 0 && pid == k->os_pid)
			return; /* ours, registered already */
	}
	if (!s->intruder) {
		/* tracefs prints "<...>" for a task whose comm it did not keep (its
		 * saved_cmdlines missed it): the process may still be there to ask */
		if (pid > 0 && !strcmp(comm, "<...>")) {
			char path[64];

			snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
			if (ks_sysfs_read(path, comm, sizeof(comm)))
				snprintf(comm, sizeof(comm), "<...>");
		}
		s->intruder = pid < 0 ? -1 : (pid_t)pid;
		s->intruder_mm = ev->mm;
		snprintf(s->intruder_comm, sizeof(s->intruder_comm), "%s", pid < 0 ? "?" : comm);
	}
}

/* An error once another process entered KSM during the recording (see enter_event). */
static int check_intruder(struct rec_state *s)
{
	if (!s->intruder)
		return 0;
	return sys_err(s, KS_EBUSY, "process %d (%s) registered memory with KSM during the "
		       "recording (mm 0x%" PRIx64 "): ksmd scans its pages too, so the counters "
		       "are not the scenario's; nothing written (record with KSM to yourself)",
		       (int)s->intruder, s->intruder_comm, s->intruder_mm);
}

static void handle_line(void *ctx, const char *line)
{
	struct rec_state *s = ctx;

	if (strstr(line, ": sched_switch:")) {
		int64_t ts = ks_tracefs_line_ts(line, ": sched_switch:");
		const char *st = strstr(line, "prev_state="), *in = strstr(line, "next_comm=ksmd ");
		bool out = strstr(line, "prev_comm=ksmd ") && st && st[11] == 'S';

		if (ts < s->t0 || !s->t0)
			return;
		/* the first: ksmd blocks (D) and is preempted (R) within a batch, and each
		 * return is a switch-in too */
		if (in && ts > s->last_out && !s->first_in)
			s->first_in = ts;
		if (out) {
			s->last_out = ts;
			s->outs++;
		}
		return;
	}
	if (strstr(line, ": ksm_")) {
		struct ks_kt_event ev;

		if (ks_kt_parse_event(line, &ev) == 1 && ev.type == KS_KT_EV_ENTER)
			enter_event(s, line, &ev);
		ks_ktrace_add_event_line(s->kt, line);
	}
}

/* Handles whatever trace_pipe has (non-blocking). */
static void drain_pipe(struct rec_state *s)
{
	ks_tracefs_drain(&s->tr, handle_line, s);
}

/* ---------------------------------------------------------------- snapshots */

static void read_procs(struct rec_state *s, uint64_t batch)
{
	for (unsigned i = 0; i < s->nkids; i++) {
		struct child *k = &s->kids[i];
		struct ks_kt_proc p = { .batch = batch, .pid = k->pid };
		char path[64], buf[1024], *l;

		if (!k->alive || !k->os_pid)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/ksm_stat", (int)k->os_pid);
		if (ks_sysfs_read(path, buf, sizeof(buf)))
			continue;
		for (l = strtok(buf, "\n"); l; l = strtok(NULL, "\n")) {
			char key[64], val[64];

			if (sscanf(l, "%63s %63s", key, val) != 2)
				continue;
			if (!strcmp(key, "ksm_rmap_items"))
				p.rmap_items = strtoll(val, NULL, 10);
			else if (!strcmp(key, "ksm_zero_pages"))
				p.zero_pages = strtoll(val, NULL, 10);
			else if (!strcmp(key, "ksm_merging_pages"))
				p.merging_pages = strtoll(val, NULL, 10);
			else if (!strcmp(key, "ksm_process_profit"))
				p.profit = strtoll(val, NULL, 10);
			else if (!strcmp(key, "ksm_merge_any:"))
				p.merge_any = !strcmp(val, "yes");
			else if (!strcmp(key, "ksm_mergeable:"))
				p.mergeable = !strcmp(val, "yes");
		}
		ks_ktrace_add_proc(s->kt, &p);
	}
}

enum { PAGEMAP_CHUNK = 4096 }; /* pagemap entries per read (32 KiB) */

/* Reads the PFN of every mapped page; records changes (all when phase 's'). */
static void read_pfns(struct rec_state *s, uint64_t batch, char phase)
{
	for (unsigned i = 0; i < s->nkids; i++) {
		struct child *k = &s->kids[i];
		char path[64];
		int fd;

		if (!k->alive || !k->os_pid)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)k->os_pid);
		fd = open(path, O_RDONLY);
		if (fd < 0)
			continue;
		for (unsigned r = 0; r < k->nregions; r++) {
			struct region *rg = &k->regions[r];
			uint64_t ent[PAGEMAP_CHUNK];
			size_t have = 0;

			for (uint64_t pg = 0; pg < rg->npages; pg++) {
				uint64_t e, pfn;

				/* one pread per PAGEMAP_CHUNK pages: one per page kept the
				 * recorder busy for seconds per batch on a GiB region */
				if (pg % PAGEMAP_CHUNK == 0) {
					uint64_t n = rg->npages - pg < PAGEMAP_CHUNK ?
						     rg->npages - pg : PAGEMAP_CHUNK;
					ssize_t got = pread(fd, ent, n * 8,
							    (off_t)(((rg->vaddr >> 12) + pg) * 8));

					have = got > 0 ? (size_t)got / 8 : 0;
				}
				e = pg % PAGEMAP_CHUNK < have ? ent[pg % PAGEMAP_CHUNK] : 0;
				pfn = (e >> 63) & 1 ? e & ((1ULL << 55) - 1) : 0;
				if (phase != 's' && pfn == rg->pfn[pg])
					continue;
				rg->pfn[pg] = pfn;
				ks_ktrace_add_pfn(s->kt, &(struct ks_kt_pfn){
					batch, phase, k->pid, rg->vaddr + pg * KS_PAGE_SIZE, pfn });
			}
		}
		close(fd);
	}
}

/* ---------------------------------------------------------------- external workloads */

/* Registers the running process os_pid as scenario pid nkids + 1. */
static void ext_add(struct rec_state *s, pid_t os_pid)
{
	struct child *k;
	char path[64], comm[64];

	if (s->nkids + 1 > s->cap_kids) {
		s->cap_kids = s->cap_kids ? 2 * s->cap_kids : 16;
		s->kids = ks_xrealloc(s->kids, s->cap_kids * sizeof(*s->kids));
	}
	k = &s->kids[s->nkids++];
	memset(k, 0, sizeof(*k));
	k->pid = s->nkids;
	k->os_pid = os_pid;
	k->to = k->from = -1;
	k->mm = UINT64_MAX; /* marks it external; written as 0 to mms.csv */
	k->alive = true;
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)os_pid);
	if (ks_sysfs_read(path, comm, sizeof(comm)))
		snprintf(comm, sizeof(comm), "process");
	snprintf(k->name, sizeof(k->name), "%s", comm);
}

static bool ext_mergeable(pid_t p)
{
	char path[64], buf[512];

	snprintf(path, sizeof(path), "/proc/%d/ksm_stat", (int)p);
	return ks_sysfs_read(path, buf, sizeof(buf)) == 0 && strstr(buf, "ksm_mergeable: yes");
}

/* Is p the command or one of its descendants? */
static bool ext_descends(pid_t p, pid_t root)
{
	for (int depth = 0; depth < 64 && p > 1; depth++) {
		char path[64], buf[512], *c;

		if (p == root)
			return true;
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)p);
		if (ks_sysfs_read(path, buf, sizeof(buf)) || !(c = strrchr(buf, ')')))
			return false;
		if (sscanf(c + 1, " %*c %d", &p) != 1)
			return false;
	}
	return false;
}

/* -- CMD: adds the command's descendants that registered with KSM since the last
 * look, in pid order; returns how many were added. */
static unsigned ext_discover(struct rec_state *s)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	pid_t *found = NULL;
	size_t n = 0;

	while (d && (e = readdir(d)) != NULL) {
		pid_t p = (pid_t)atoi(e->d_name);
		bool known = false;

		if (p <= 0)
			continue;
		for (unsigned i = 0; i < s->nkids; i++)
			known = known || s->kids[i].os_pid == p;
		if (known || !ext_mergeable(p) || !ext_descends(p, s->cmd_pid))
			continue;
		found = ks_xrealloc(found, (n + 1) * sizeof(*found));
		found[n++] = p;
	}
	if (d)
		closedir(d);
	for (size_t i = 0; i < n; i++) {
		ext_add(s, found[i]);
		note(s, "process %d (%s) registered with KSM: pid %u of the trace",
		     (int)found[i], s->kids[s->nkids - 1].name, s->nkids);
	}
	free(found);
	return (unsigned)n;
}

/* Marks the external processes that exited; reaps the command. True while any lives
 * (or the command runs). */
static bool ext_alive(struct rec_state *s)
{
	bool any = false;

	if (s->cmd_pid > 0 && !s->cmd_done) {
		int st;

		if (waitpid(s->cmd_pid, &st, WNOHANG) == s->cmd_pid) {
			s->cmd_done = true;
			note(s, "the command exited (status %d)",
			     WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
		}
	}
	for (unsigned i = 0; i < s->nkids; i++) {
		struct child *k = &s->kids[i];
		char path[64];

		if (k->alive) {
			snprintf(path, sizeof(path), "/proc/%d/ksm_stat", (int)k->os_pid);
			if (access(path, R_OK)) {
				k->alive = false;
				note(s, "process %d (%s) exited", (int)k->os_pid, k->name);
			}
		}
		any = any || k->alive;
	}
	return any || (s->cmd_pid > 0 && !s->cmd_done);
}

/* -- CMD: starts the command in its own process group. */
static int ext_start_cmd(struct rec_state *s)
{
	pid_t p;

	fflush(NULL);
	p = fork();
	if (p < 0)
		return sys_err(s, KS_EIO, "fork: %s", strerror(errno));
	if (p == 0) {
		setpgid(0, 0);
		if (s->tr.pipe_fd >= 0)
			close(s->tr.pipe_fd);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		execvp(s->o->cmd[0], s->o->cmd);
		fprintf(stderr, "sim: record-kernel: %s: %s\n", s->o->cmd[0], strerror(errno));
		_exit(127);
	}
	setpgid(p, p);
	s->cmd_pid = p;
	return 0;
}

/* -- CMD: ends what is left of the command's process group. */
static void ext_stop_cmd(struct rec_state *s)
{
	if (s->cmd_pid <= 0)
		return;
	if (!s->cmd_done) {
		kill(-s->cmd_pid, SIGTERM);
		for (int i = 0; i < 200 && waitpid(s->cmd_pid, NULL, WNOHANG) == 0; i++)
			ks_sleep_ns(10000000);
		kill(-s->cmd_pid, SIGKILL);
		waitpid(s->cmd_pid, NULL, 0);
		s->cmd_done = true;
	} else {
		kill(-s->cmd_pid, SIGTERM);
	}
}

/* -- CMD: waits (KSM still off) until the command has a process registered with KSM:
 * ksmd would have nothing to scan before, and no batch would end. */
static int ext_wait_first(struct rec_state *s)
{
	int64_t deadline = ks_mono_ns() + 300000000000LL;

	while (!ext_discover(s)) {
		if (s->o->interrupt && *s->o->interrupt)
			return sys_err(s, KS_EINTR, "interrupted");
		if (!ext_alive(s))
			return sys_err(s, KS_EINVAL, "the command exited before any of its "
				       "processes registered memory with KSM (MADV_MERGEABLE)");
		if (ks_mono_ns() > deadline)
			return sys_err(s, KS_EINVAL, "no process of the command registered "
				       "memory with KSM within 300 s");
		ks_sleep_ns(50000000);
	}
	return 0;
}

/* ---------------------------------------------------------------- main flow */

/* The running kernel's CONFIG_HZ (/proc/config.gz or /boot/config-RELEASE); 0 unknown. */
static unsigned kernel_hz(void)
{
	FILE *p = popen("(zcat /proc/config.gz || cat /boot/config-$(uname -r)) 2>/dev/null",
			"r");
	char buf[256];
	unsigned hz = 0;

	while (p && fgets(buf, sizeof(buf), p))
		if (sscanf(buf, "CONFIG_HZ=%u", &hz) == 1)
			break;
	if (p)
		pclose(p);
	return hz;
}

/* The scenario's ksm.hz against the kernel's: ksmd sleeps sleep_millisecs rounded up
 * to whole jiffies of the kernel's HZ, and the timed records are placed by the
 * simulator's sleep at the scenario's HZ; a different sleep would put them in other
 * batches (and make a wall-clock run's batches another length than the simulator's),
 * so it is refused. The same sleep at both HZ (200 ms at 250 and 1000) is recorded,
 * with a note: jiffy-rounded times (stable_node_chains_prune_millisecs) may still
 * round differently. */
static int check_hz(const struct ks_recorder_opts *o, struct ks_err *err)
{
	struct ks_ksm_params here = o->sc->ksm;
	char msg[256];

	here.hz = kernel_hz();
	if (!here.hz || here.hz == o->sc->ksm.hz)
		return 0;
	if (ks_ksm_sleep_jiffies_ns(&here) != ks_ksm_sleep_jiffies_ns(&o->sc->ksm))
		return ks_err_set(err, KS_EINVAL, "%s: ksm.hz is %u, this kernel's CONFIG_HZ %u: "
				  "sleep_millisecs %u sleeps %.3f ms here and %.3f ms in the "
				  "simulator; set ksm.hz: %u", o->scenario_file &&
				  o->scenario_file[0] ? o->scenario_file : "scenario",
				  o->sc->ksm.hz, here.hz, o->sc->ksm.sleep_millisecs,
				  (double)ks_ksm_sleep_jiffies_ns(&here) / 1e6,
				  (double)ks_ksm_sleep_jiffies_ns(&o->sc->ksm) / 1e6, here.hz);
	if (o->note) {
		snprintf(msg, sizeof(msg), "the scenario's ksm.hz %u is not this kernel's %u "
			 "(the same %u ms sleep at both; set ksm.hz: %u to model this kernel)",
			 o->sc->ksm.hz, here.hz, o->sc->ksm.sleep_millisecs, here.hz);
		o->note(msg);
	}
	return 0;
}

static void meta_fill(struct rec_state *s, const int64_t *base)
{
	struct ks_ktrace *kt = s->kt;
	const struct ks_scenario *sc = s->o->sc;
	struct utsname u;
	char buf[256], path[256];
	time_t now = time(NULL);
	unsigned hz;

	uname(&u);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	ks_ktrace_meta_set(kt, "format", "ksmsim-kernel-trace 1");
	ks_ktrace_meta_set(kt, "kernel", "%s", u.release);
	ks_ktrace_meta_set(kt, "machine", "%s", u.machine);
	ks_ktrace_meta_set(kt, "recorded", "%s", buf);
	ks_ktrace_meta_set(kt, "recorder", "ksmsim %s", PACKAGE_VERSION);
	hz = kernel_hz();
	if (hz)
		ks_ktrace_meta_set(kt, "hz", "%u", hz);
	ks_ktrace_meta_set(kt, "page_size", "%ld", sysconf(_SC_PAGESIZE));
	ks_ktrace_meta_set(kt, "scenario", "%s", sc->name ? sc->name : "");
	ks_ktrace_meta_set(kt, "scenario_file", "%s",
			   s->o->scenario_file ? s->o->scenario_file : "");
	for (int i = 0; i < KS_SYSFS_NKNOBS; i++) {
		char key[96], v[64];

		snprintf(path, sizeof(path), KSM_DIR "%s", ks_sysfs_knob_names[i]);
		if (ks_sysfs_read(path, v, sizeof(v)))
			continue;
		ks_sysfs_bracketed(v);
		snprintf(key, sizeof(key), "knobs.%s", ks_sysfs_knob_names[i]);
		ks_ktrace_meta_set(kt, key, "%s", v);
	}
	ks_ktrace_meta_set(kt, "base.pages_scanned", "%" PRId64, base[KS_KT_PAGES_SCANNED]);
	ks_ktrace_meta_set(kt, "base.pages_skipped", "%" PRId64, base[KS_KT_PAGES_SKIPPED]);
	ks_ktrace_meta_set(kt, "base.ksmd_cpu_ns", "%" PRId64, ks_ksm_live_ksmd_cpu_ns(&s->ksm));
	ks_ktrace_meta_set(kt, "processes", "%u", s->nkids);
}

/* How busy the machine was while recording (machine_state.h): stored with the times,
 * and said when other work competed for the CPU. */
static void meta_machine(struct rec_state *s, const struct ks_machine_snap *a,
			 const struct ks_machine_snap *b)
{
	struct ks_machine_busy m;
	char buf[256];

	ks_machine_busy(a, b, &m);
	ks_ktrace_meta_set(s->kt, "machine.load1_before", "%.2f", m.load1_before);
	ks_ktrace_meta_set(s->kt, "machine.load1_after", "%.2f", m.load1_after);
	ks_ktrace_meta_set(s->kt, "machine.cpu_pressure_pct", "%.2f", m.psi_some_pct);
	ks_ktrace_meta_set(s->kt, "machine.steal_pct", "%.2f", m.steal_pct);
	ks_ktrace_meta_set(s->kt, "machine.busy_pct", "%.1f", m.busy_pct);
	ks_ktrace_meta_set(s->kt, "machine.cpu_mhz", "%.0f", m.mhz);
	ks_ktrace_meta_set(s->kt, "machine.busy", "%s", m.busy ? "yes" : "no");
	if (m.busy && s->o->note) {
		ks_machine_busy_str(&m, buf, sizeof(buf));
		s->o->note(buf);
	}
}

/* ---------------------------------------------------------------- wall clock */

/* Commands a child may have in flight: 256 * 48 B of commands and 1 KiB of replies, far
 * below a pipe's 64 KiB, so neither side ever blocks on a full pipe. */
enum { WALL_WINDOW = 256 };

/* The CPU time a child has used so far (/proc/PID/schedstat: ns on a CPU); 0 if gone. */
static int64_t child_cpu_ns(const struct child *k)
{
	char path[64];
	int64_t v;

	if (k->os_pid <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/schedstat", (int)k->os_pid);
	v = ks_sysfs_read_num(path);
	return v > 0 ? v : 0;
}

/* Reads one reply of a child that has commands in flight. */
static int wall_reply(struct rec_state *s, struct child *k)
{
	int res = 0;

	if (read(k->from, &res, sizeof(res)) != (ssize_t)sizeof(res))
		return sys_err(s, KS_EIO, "process %u died", k->pid);
	k->pending--;
	if (res)
		return sys_err(s, KS_EIO, "process %u: write or madvise: %s", k->pid,
			       strerror(res));
	return 0;
}

/* Reads every reply still in flight. */
static int wall_drain(struct rec_state *s)
{
	for (unsigned i = 0; i < s->nkids; i++)
		while (s->kids[i].pending)
			if (wall_reply(s, &s->kids[i]))
				return s->err->code;
	return 0;
}

/* Applies the records up to time `upto`, in stream order. Writes and madvise go to
 * their process without waiting for its reply (up to WALL_WINDOW in flight), so that
 * the processes of one instant write in parallel, as the scenario's processes would;
 * anything else (start, mmap, munmap, exit, a knob) waits for every reply first. */
static int wall_apply(struct rec_state *s, size_t *next, ks_time upto)
{
	while (*next < s->nrecs && s->recs[*next].t <= upto) {
		const struct rec *x = &s->recs[(*next)++];
		struct child *k = x->c.op == KS_TR_KNOB ? NULL : &s->kids[x->pid - 1];

		if (!k || (x->c.op != KS_TR_WRITE && x->c.op != KS_TR_MERGEABLE &&
			   x->c.op != KS_TR_UNMERGEABLE)) {
			if (wall_drain(s))
				return s->err->code;
			if (k && x->c.op == KS_TR_EXIT && k->alive)
				s->exited_cpu_ns += child_cpu_ns(k);
			if (run_cmd(s, x))
				return s->err->code;
			continue;
		}
		if (!k->alive)
			return sys_err(s, KS_EINVAL, "scenario: record for process %u, not "
				       "running", x->pid);
		if (k->pending >= WALL_WINDOW && wall_reply(s, k))
			return s->err->code;
		if (!send_cmd(k, &x->c))
			return sys_err(s, KS_EIO, "process %u: command pipe: %s", x->pid,
				       strerror(errno));
		k->pending++;
	}
	return wall_drain(s);
}

static void samples_append(struct rec_state *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void samples_append(struct rec_state *s, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	n = strlen(buf);
	s->samples = ks_xrealloc(s->samples, s->slen + n + 1);
	memcpy(s->samples + s->slen, buf, n + 1);
	s->slen += n;
}

/* CPU time the machine spent not idle between two snapshots, ns (-1 unknown). */
static int64_t busy_ns(const struct ks_machine_snap *a, const struct ks_machine_snap *b)
{
	long tck = sysconf(_SC_CLK_TCK);

	if (!a->have_stat || !b->have_stat || tck <= 0)
		return -1;
	return (int64_t)(((b->cpu_total - b->cpu_idle - b->cpu_steal) -
			  (a->cpu_total - a->cpu_idle - a->cpu_steal)) * (1000000000 / tck));
}

/* Where a wall-clock run's totals start (T0). */
struct wall_base {
	int64_t c[KS_KT_NCOUNTERS];   /* counters */
	int64_t ksmd_ns, workload_ns, self_ns;
	struct ks_machine_snap m;
};

static int64_t self_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The CPU time of the scenario's processes so far (the exited ones included). */
static int64_t workload_cpu_ns(const struct rec_state *s)
{
	int64_t v = s->exited_cpu_ns;

	for (unsigned i = 0; i < s->nkids; i++)
		if (s->kids[i].alive)
			v += child_cpu_ns(&s->kids[i]);
	return v;
}

static void wall_base_take(struct rec_state *s, struct wall_base *b)
{
	ks_ksm_live_counters(b->c);
	b->ksmd_ns = ks_ksm_live_ksmd_cpu_ns(&s->ksm);
	b->workload_ns = workload_cpu_ns(s);
	b->self_ns = self_cpu_ns();
	ks_machine_snap(&b->m);
}

/* One row of samples.csv (the header: wall_run), the totals so far into w. */
static void wall_sample(struct rec_state *s, const struct wall_base *b,
			struct ks_wall_result *w)
{
	int64_t c[KS_KT_NCOUNTERS], busy;
	struct ks_machine_snap m;

	ks_ksm_live_counters(c);
	w->ksmd_cpu_ns = ks_ksm_live_ksmd_cpu_ns(&s->ksm) - b->ksmd_ns;
	w->span_ns = ks_mono_ns() - s->t0;
	w->workload_cpu_ns = workload_cpu_ns(s) - b->workload_ns;
	w->recorder_cpu_ns = self_cpu_ns() - b->self_ns;
	ks_machine_snap(&m);
	busy = busy_ns(&b->m, &m);
	w->others_cpu_ns = busy < 0 ? -1 : busy - w->ksmd_cpu_ns - w->workload_cpu_ns -
			   w->recorder_cpu_ns;
	w->pages_scanned = c[KS_KT_PAGES_SCANNED] - b->c[KS_KT_PAGES_SCANNED];
	w->full_scans = c[KS_KT_FULL_SCANS];
	w->pages_shared = c[KS_KT_PAGES_SHARED];
	w->pages_sharing = c[KS_KT_PAGES_SHARING];
	w->load1_after = m.load1;
	samples_append(s, "%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64
		       ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64
		       ",%.2f\n", w->span_ns, w->ksmd_cpu_ns, w->pages_scanned, w->full_scans,
		       w->pages_shared, w->pages_sharing, c[KS_KT_PAGES_UNSHARED],
		       c[KS_KT_PAGES_VOLATILE], w->workload_cpu_ns, w->recorder_cpu_ns,
		       w->others_cpu_ns, w->max_late_ns, m.load1);
}

/* The records of one instant, at their time on the clock; how late, into w. */
static int wall_instant(struct rec_state *s, size_t *next, struct ks_wall_result *w)
{
	ks_time t = s->recs[*next].t;
	int64_t start = ks_mono_ns(), late = start - s->t0 - (int64_t)t, took;

	if (wall_apply(s, next, t))
		return s->err->code;
	took = ks_mono_ns() - start;
	w->groups++;
	w->max_late_ns = late > w->max_late_ns ? late : w->max_late_ns;
	w->max_apply_ns = took > w->max_apply_ns ? took : w->max_apply_ns;
	if (late >= 10000000)
		w->late_groups++;
	return 0;
}

/* Another process registered memory with KSM meanwhile? */
static int wall_check_others(struct rec_state *s)
{
	pid_t ok[KS_KT_MAX_PROCESSES];
	size_t n = 0;
	char comm[64];
	pid_t other;

	for (unsigned i = 0; i < s->nkids && n < KS_KT_MAX_PROCESSES; i++)
		if (s->kids[i].os_pid > 0)
			ok[n++] = s->kids[i].os_pid;
	other = ks_ksm_live_other_mergeable(ok, n, comm, sizeof(comm));
	if (!other)
		return 0;
	return sys_err(s, KS_EBUSY, "process %d (%s) registered memory with KSM during the "
		       "run: ksmd scans its pages too, so ksmd's CPU time is not the "
		       "scenario's; nothing written", (int)other, comm);
}

/* The wall-clock run: setup (the t=0 records, KSM off), run=1 at T0, then every record
 * at T0 + t and a sample every sample period, until T0 + the scenario's duration. */
static int wall_loop(struct rec_state *s, struct ks_wall_result *w)
{
	int64_t period = s->o->sample_ns ? (int64_t)s->o->sample_ns : 1000000000;
	int64_t dur = (int64_t)s->o->sc->duration, next_sample = period;
	struct wall_base b;
	size_t next = 0;

	if (wall_apply(s, &next, 0) || wall_check_others(s))
		return s->err->code;
	samples_append(s, "t_ns,ksmd_cpu_ns,pages_scanned,full_scans,pages_shared,"
		       "pages_sharing,pages_unshared,pages_volatile,workload_cpu_ns,"
		       "recorder_cpu_ns,others_cpu_ns,max_late_ns,load1\n");
	wall_base_take(s, &b);
	meta_fill(s, b.c);
	w->load1_before = b.m.load1;
	s->t0 = ks_mono_ns();
	if (ks_ksm_live_set_run(&s->ksm, 1))
		return sys_err(s, KS_EIO, KSM_DIR "run: cannot write 1");
	note(s, "running the scenario on the clock for %.1f s (ksmd free-running)",
	     (double)dur / 1e9);
	for (;;) {
		int64_t now = ks_mono_ns() - s->t0, wake = dur;

		if (s->o->interrupt && *s->o->interrupt)
			return sys_err(s, KS_EINTR, "interrupted");
		if (now >= dur)
			break;
		if (next < s->nrecs && (int64_t)s->recs[next].t <= now) {
			if (wall_instant(s, &next, w))
				return s->err->code;
			continue;
		}
		if (now >= next_sample) {
			wall_sample(s, &b, w);
			if (wall_check_others(s))
				return s->err->code;
			/* after a long instant, the next period boundary (no burst of rows) */
			next_sample = (now / period + 1) * period;
			continue;
		}
		if (next < s->nrecs && (int64_t)s->recs[next].t < wake)
			wake = (int64_t)s->recs[next].t;
		wake = next_sample < wake ? next_sample : wake;
		ks_sleep_ns(wake - now);
	}
	wall_sample(s, &b, w);
	return wall_check_others(s);
}

/* The totals of a wall-clock run in its meta.yaml. */
static void wall_meta(struct rec_state *s, const struct ks_wall_result *w)
{
	struct ks_ktrace *kt = s->kt;

	ks_ktrace_meta_set(kt, "workload", "wall-clock");
	ks_ktrace_meta_set(kt, "wall.span_ns", "%" PRId64, w->span_ns);
	ks_ktrace_meta_set(kt, "wall.ksmd_cpu_ns", "%" PRId64, w->ksmd_cpu_ns);
	ks_ktrace_meta_set(kt, "wall.workload_cpu_ns", "%" PRId64, w->workload_cpu_ns);
	ks_ktrace_meta_set(kt, "wall.recorder_cpu_ns", "%" PRId64, w->recorder_cpu_ns);
	ks_ktrace_meta_set(kt, "wall.others_cpu_ns", "%" PRId64, w->others_cpu_ns);
	ks_ktrace_meta_set(kt, "wall.pages_scanned", "%" PRId64, w->pages_scanned);
	ks_ktrace_meta_set(kt, "wall.full_scans", "%" PRId64, w->full_scans);
	ks_ktrace_meta_set(kt, "wall.instants", "%" PRIu64, w->groups);
	ks_ktrace_meta_set(kt, "wall.late_instants", "%" PRIu64, w->late_groups);
	ks_ktrace_meta_set(kt, "wall.max_late_ns", "%" PRId64, w->max_late_ns);
	ks_ktrace_meta_set(kt, "wall.max_apply_ns", "%" PRId64, w->max_apply_ns);
}

/* Waits for ksmd's next S switch-out after `outs`; 0, 1 when every process of an
 * external workload has exited (ksmd then has nothing left to scan), or an error on
 * timeout. */
static int wait_batch_end(struct rec_state *s, uint64_t outs)
{
	int64_t deadline = ks_mono_ns() + 10 * s->sleep_ns + 5000000000LL;

	for (unsigned n = 0;; n++) {
		drain_pipe(s);
		if (s->outs > outs)
			return 0;
		if (s->external && n % 50 == 49 && !ext_alive(s))
			return 1;
		if (s->o->interrupt && *s->o->interrupt)
			return sys_err(s, KS_EINTR, "interrupted");
		if (ks_mono_ns() > deadline)
			return sys_err(s, KS_EDIVERGE, "ksmd did not finish batch %" PRIu64
				       " in time (idle: no mergeable process left?)",
				       (uint64_t)s->kt->nbatches);
		ks_sleep_ns(POLL_NS);
	}
}

/* Applies the timed records of one slot; returns 0 or an error. */
static int run_slot(struct rec_state *s, size_t *next, uint64_t slot)
{
	bool did = false;

	while (*next < s->nrecs && s->recs[*next].slot <= slot) {
		const struct rec *x = &s->recs[*next];
		int64_t t = ks_mono_ns();
		int rc;

		if (x->racy)
			s->racy = true;
		rc = run_cmd(s, x);
		if (rc)
			return rc;
		wl_append(s, "%" PRIu64 ",%" PRIu64 ",%" PRId64 ",%" PRIu32 ",%d,0x%" PRIx64
			  ",%" PRIu64 "\n", slot, x->t, t - s->t0, x->pid, x->c.op, x->c.vaddr,
			  x->c.npages);
		(*next)++;
		did = true;
	}
	if (did)
		read_pfns(s, slot, 'w');
	return 0;
}

static int record_loop(struct rec_state *s)
{
	uint64_t nb = s->o->batches, b;
	int64_t cpu_prev, base[KS_KT_NCOUNTERS];
	size_t next = 0;
	struct ks_kt_batch b0 = { 0 };
	int rc;

	if (s->o->cmd) {
		rc = ext_start_cmd(s);
		if (!rc)
			rc = ext_wait_first(s);
		if (rc)
			return rc;
	}
	/* setup: every t=0 record, serially, then the snapshot of batch 0 */
	while (next < s->nrecs && s->recs[next].slot == 0) {
		rc = run_cmd(s, &s->recs[next++]);
		if (rc)
			return rc;
		drain_pipe(s);
	}
	for (int tries = 0; tries < 50; tries++) {
		bool all = true;

		drain_pipe(s);
		for (unsigned i = 0; i < s->nkids; i++)
			all = all && (!s->kids[i].alive || s->kids[i].mm);
		if (all)
			break;
		ks_sleep_ns(POLL_NS);
	}
	rc = check_intruder(s);
	if (rc)
		return rc;
	ks_ksm_live_counters(base);
	meta_fill(s, base);
	b0.c[0] = 0;
	memcpy(b0.c, base, sizeof(base));
	b0.c[KS_KT_PAGES_SCANNED] = b0.c[KS_KT_PAGES_SKIPPED] = 0;
	read_procs(s, 0);
	read_pfns(s, 0, 's');
	drain_pipe(s);
	cpu_prev = ks_ksm_live_ksmd_cpu_ns(&s->ksm);
	s->recording = true;
	s->t0 = ks_mono_ns();
	b0.t_start_ns = b0.t_end_ns = s->t0;
	b0.ksmd_cpu_ns = 0;
	ks_ktrace_add_batch(s->kt, &b0);
	if (ks_ksm_live_set_run(&s->ksm, 1))
		return sys_err(s, KS_EIO, KSM_DIR "run: cannot write 1");
	if (s->external)
		note(s, "recording the real KSM on %u running process%s", s->nkids,
		     s->nkids == 1 ? "" : "es");
	else
		note(s, "recording %" PRIu64 " ksmd batches (about %.1f s)", nb,
		     (double)nb * (double)s->sleep_ns / 1e9);
	for (b = 1; b <= nb; b++) {
		struct ks_kt_batch kb = { .batch = b };
		uint64_t outs = s->outs;
		int64_t chk[KS_KT_NCOUNTERS], done;
		const struct ks_kt_batch *prev;

		rc = wait_batch_end(s, outs);
		if (rc == 1) {
			note(s, "every process exited: recording ends after batch %" PRIu64, b - 1);
			break;
		}
		if (!rc)
			rc = check_intruder(s);
		if (rc)
			return rc;
		kb.t_end_ns = s->last_out;
		kb.t_start_ns = s->first_in && s->first_in <= kb.t_end_ns ? s->first_in : 0;
		s->first_in = 0;
		ks_ksm_live_counters(kb.c);
		kb.ksmd_cpu_ns = ks_ksm_live_ksmd_cpu_ns(&s->ksm) - cpu_prev;
		cpu_prev += kb.ksmd_cpu_ns;
		kb.c[KS_KT_PAGES_SCANNED] -= base[KS_KT_PAGES_SCANNED];
		kb.c[KS_KT_PAGES_SKIPPED] -= base[KS_KT_PAGES_SKIPPED];
		prev = &s->kt->batches[s->kt->nbatches - 1];
		if (kb.c[KS_KT_PAGES_SCANNED] == prev->c[KS_KT_PAGES_SCANNED] &&
		    kb.c[KS_KT_FULL_SCANS] == prev->c[KS_KT_FULL_SCANS] &&
		    kb.c[KS_KT_PAGES_SKIPPED] == prev->c[KS_KT_PAGES_SKIPPED])
			return sys_err(s, KS_EDIVERGE, "batch %" PRIu64 ": ksmd slept without "
				       "scanning (a batch boundary was lost)", b);
		ks_ktrace_add_batch(s->kt, &kb);
		read_procs(s, b);
		read_pfns(s, b, 'b');
		if (b < nb && !s->external) {
			rc = run_slot(s, &next, b);
			if (rc)
				return rc;
		}
		/* everything read or done while ksmd slept? */
		done = ks_mono_ns();
		drain_pipe(s);
		ks_ksm_live_counters(chk);
		if (s->external) {
			/* A live workload races ksmd anyway: a read that ksmd's next batch
			 * overtook (a loaded machine) is counted, not fatal. */
			if (s->outs > outs + 1 || chk[KS_KT_FULL_SCANS] != kb.c[KS_KT_FULL_SCANS] ||
			    chk[KS_KT_PAGES_SCANNED] - base[KS_KT_PAGES_SCANNED] !=
			    kb.c[KS_KT_PAGES_SCANNED])
				s->late_reads++;
			if (s->o->cmd)
				ext_discover(s);
			if (!ext_alive(s)) {
				note(s, "every process exited: recording ends after batch %"
				     PRIu64, b);
				break;
			}
			if (s->o->duration_ns &&
			    ks_mono_ns() - s->t0 >= (int64_t)s->o->duration_ns)
				break;
		} else if (s->outs > outs + 1 ||
			   chk[KS_KT_PAGES_SCANNED] - base[KS_KT_PAGES_SCANNED] !=
			   kb.c[KS_KT_PAGES_SCANNED] ||
			   chk[KS_KT_FULL_SCANS] != kb.c[KS_KT_FULL_SCANS] ||
			   done - kb.t_end_ns > s->sleep_ns - RACE_MARGIN_NS) {
			if (s->timed && b < nb)
				s->racy = true;
			else if (s->outs > outs + 1 || chk[KS_KT_FULL_SCANS] != kb.c[KS_KT_FULL_SCANS])
				return sys_err(s, KS_EDIVERGE, "batch %" PRIu64 ": counters could "
					       "not be read while ksmd slept; use a longer "
					       "sleep_millisecs", b);
		}
		if (s->o->scans && (uint64_t)kb.c[KS_KT_FULL_SCANS] >= s->o->scans)
			break;
	}
	drain_pipe(s);
	rc = check_intruder(s);
	if (rc)
		return rc;
	if (s->external) {
		char pl[1024] = "";

		for (unsigned i = 0; i < s->nkids; i++)
			snprintf(pl + strlen(pl), sizeof(pl) - strlen(pl), "%s%d", i ? " " : "",
				 (int)s->kids[i].os_pid);
		ks_ktrace_meta_set(s->kt, "processes", "%u", s->nkids);
		ks_ktrace_meta_set(s->kt, "os_pids", "%s", pl);
		ks_ktrace_meta_set(s->kt, "late_reads", "%" PRIu64, s->late_reads);
	}
	for (unsigned i = 0; i < s->nkids; i++) {
		struct ks_kt_mm m = { .pid = s->kids[i].pid,
				      .mm = s->kids[i].mm == UINT64_MAX ? 0 : s->kids[i].mm };

		snprintf(m.name, sizeof(m.name), "%s", s->kids[i].name);
		ks_ktrace_add_mm(s->kt, &m);
	}
	return 0;
}

uint64_t ks_record_kernel_slot(const struct ks_ksm_params *p, ks_time t, bool *racy)
{
	ks_time sleep = ks_ksm_sleep_jiffies_ns(p);

	*racy = t % sleep == 0;
	return (uint64_t)(t / sleep) + 1;
}

int ks_record_kernel(const struct ks_recorder_opts *o, struct ks_err *err)
{
	struct rec_state s = { .o = o, .err = err, .tr = { .pipe_fd = -1 } };
	struct ks_machine_snap m0 = { 0 }, m1 = { 0 };
	struct ks_wall_result wall = { 0 };
	int rc;

	err->code = 0;
	err->msg[0] = '\0';
	/* the kernel sleeps msecs_to_jiffies(sleep_millisecs), and so does the simulator
	 * whose batches the timed records must fall between */
	s.sleep_ns = (int64_t)ks_ksm_sleep_jiffies_ns(&o->sc->ksm);
	if (o->sc->ksm.sleep_millisecs < 100 && !o->wall_clock)
		return ks_err_set(err, KS_EINVAL, "%s: ksm.sleep_millisecs must be >= 100 to "
				  "record (counters are read while ksmd sleeps), got %u",
				  o->scenario_file ? o->scenario_file : "scenario",
				  o->sc->ksm.sleep_millisecs);
	if (o->sc->ksm.run != 1)
		return ks_err_set(err, KS_EINVAL, "record-kernel needs ksm.run: 1");
	if (!o->npids && !o->cmd && (rc = check_hz(o, err)) != 0)
		return rc;
	s.cs = ks_content_store_new();
	s.kt = ks_ktrace_new();
	s.external = o->npids > 0 || o->cmd;
	if (o->wall_clock && s.external)
		return ks_err_set(err, KS_EINVAL, "record-kernel: --wall-clock runs a scenario's "
				  "processes, not an external workload");
	s.tr.sched_only = s.external;
	if (o->npids && o->cmd)
		return ks_err_set(err, KS_EINVAL, "record-kernel: --pid and a command exclude "
				  "each other");
	for (unsigned i = 0; i < o->npids; i++) {
		if (o->pids[i] <= 0 || kill(o->pids[i], 0)) {
			rc = ks_err_set(err, KS_EINVAL, "--pid %d: no such process", (int)o->pids[i]);
			goto out_free;
		}
		for (unsigned j = 0; j < i; j++)
			if (o->pids[j] == o->pids[i]) {
				rc = ks_err_set(err, KS_EINVAL, "--pid %d: given twice",
						(int)o->pids[i]);
				goto out_free;
			}
		ext_add(&s, o->pids[i]);
	}
	rc = s.external ? 0 : collect_records(&s);
	if (rc)
		goto out_free;
	rc = ks_ksm_live_acquire_with(&s.ksm, "record-kernel", o->pids, o->npids, err);
	if (rc)
		goto out_restore;
	for (unsigned i = 0; !rc && i < o->npids; i++)
		if (!ext_mergeable(o->pids[i]))
			rc = ks_err_set(err, KS_EINVAL, "--pid %d (%s): no memory registered with "
					"KSM (no MADV_MERGEABLE region)", (int)o->pids[i],
					s.kids[i].name);
	if (!rc)
		rc = ks_ksm_live_set_knobs(&s.ksm, &o->sc->ksm, err);
	if (!rc && !o->wall_clock)
		rc = ks_tracefs_setup(&s.tr, err);
	if (!rc && !s.external) {
		/* acquire looked before tracing began; from now on ksm_enter events tell */
		char comm[64];
		pid_t other = ks_ksm_live_other_mergeable(NULL, 0, comm, sizeof(comm));

		if (other)
			rc = ks_err_set(err, KS_EBUSY, "KSM is in use: process %d (%s) registered "
					"mergeable memory that ksmd would scan too; refusing to "
					"use it", (int)other, comm);
	}
	ks_machine_snap(&m0);
	if (!rc)
		rc = o->wall_clock ? wall_loop(&s, o->wall ? o->wall : &wall) : record_loop(&s);
	ks_machine_snap(&m1);
out_restore:
	for (unsigned i = 0; s.kids && i < s.nkids; i++)
		reap_child(&s.kids[i]);
	ext_stop_cmd(&s);
	ks_ksm_live_release(&s.ksm);
	{
		struct ks_err terr = { 0 };

		if (ks_tracefs_restore(&s.tr, &terr) && !rc)
			rc = ks_err_set(err, terr.code, "%s", terr.msg);
	}
	if (!rc && o->wall_clock) {
		wall_meta(&s, o->wall ? o->wall : &wall);
		meta_machine(&s, &m0, &m1);
		s.kt->scenario_text = ks_xstrdup(o->sc->text ? o->sc->text : "");
		s.kt->samples_csv = s.samples;
		s.samples = NULL;
		rc = ks_ktrace_write(s.kt, o->out_dir, err);
	} else if (!rc) {
		ks_ktrace_meta_set(s.kt, "batches", "%zu", s.kt->nbatches - 1);
		ks_ktrace_meta_set(s.kt, "workload", "%s", s.external ? "live" :
				   s.racy ? "racy" : s.timed ? "timed" : "static");
		if (s.external && o->cmd)
			ks_ktrace_meta_set(s.kt, "command", "%s", o->cmd[0]);
		meta_machine(&s, &m0, &m1);
		s.kt->scenario_text = ks_xstrdup(o->sc->text ? o->sc->text : "");
		s.kt->workload_csv = ks_xmalloc(s.wlen + 64);
		snprintf(s.kt->workload_csv, s.wlen + 64, "slot,t_sim_ns,t_real_ns,pid,op,vaddr,"
			 "npages\n%s", s.workload ? s.workload : "");
		rc = ks_ktrace_write(s.kt, o->out_dir, err);
	}
out_free:
	for (unsigned i = 0; s.kids && i < s.nkids; i++) {
		for (unsigned r = 0; r < s.kids[i].nregions; r++)
			free(s.kids[i].regions[r].pfn);
		free(s.kids[i].regions);
	}
	free(s.kids);
	free(s.recs);
	free(s.workload);
	free(s.samples);
	ks_ktrace_free(s.kt);
	ks_content_store_free(s.cs);
	return rc;
}
