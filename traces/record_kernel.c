/* recorder.c - `sim record-kernel`: the scenario run on the real kernel (recorder.h).
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
 *      (record at t lies in the sleep after batch floor(t / sleep) + 1) and check that
 *      ksmd did not run meanwhile (else the workload is "racy");
 *   6. always: kill the children, run=2, restore knobs, tracefs, run. */
#include "config.h"

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
#include "record_kernel.h"
#include "models/base/xalloc.h"
#include "models/vocab/content.h"

#define KSM_DIR "/sys/kernel/mm/ksm/"
#define TRACE_DIR "/sys/kernel/tracing"
#define POLL_NS 2000000LL         /* trace_pipe polling period */
#define RACE_MARGIN_NS 20000000LL /* workload must finish this long before ksmd wakes */

/* ---------------------------------------------------------------- small I/O */

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void sleep_ns(int64_t ns)
{
	struct timespec ts = { ns / 1000000000, ns % 1000000000 };

	nanosleep(&ts, NULL);
}

static int read_str(const char *path, char *buf, size_t n)
{
	int fd = open(path, O_RDONLY);
	ssize_t got;

	if (fd < 0)
		return -1;
	got = read(fd, buf, n - 1);
	close(fd);
	if (got < 0)
		return -1;
	buf[got] = '\0';
	while (got > 0 && (buf[got - 1] == '\n' || buf[got - 1] == ' '))
		buf[--got] = '\0';
	return 0;
}

static int write_str(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_TRUNC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	if (n < 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	close(fd);
	return 0;
}

static int64_t read_num(const char *path)
{
	char buf[128];

	if (read_str(path, buf, sizeof(buf)))
		return -1;
	return strtoll(buf, NULL, 10);
}

/* "[none] scan-time" -> "none" (the bracketed choice); other text unchanged. */
static void bracketed(char *s)
{
	char *a = strchr(s, '['), *b = a ? strchr(a, ']') : NULL;

	if (a && b) {
		memmove(s, a + 1, (size_t)(b - a - 1));
		s[b - a - 1] = '\0';
	}
}

/* ---------------------------------------------------------------- the state */

/* Knobs in the order they are set; restored in reverse (run last, apart). */
static const char *const knob_names[] = {
	"max_page_sharing", "merge_across_nodes", "use_zero_pages", "smart_scan",
	"sleep_millisecs", "stable_node_chains_prune_millisecs", "advisor_max_cpu",
	"advisor_min_pages_to_scan", "advisor_max_pages_to_scan", "advisor_target_scan_time",
	"advisor_mode", "pages_to_scan"
};
enum { NKNOBS = sizeof(knob_names) / sizeof(knob_names[0]) };

/* tracefs settings saved and restored. */
static const char *const trace_events[] = {
	"ksm/ksm_start_scan", "ksm/ksm_stop_scan", "ksm/ksm_enter", "ksm/ksm_exit",
	"ksm/ksm_merge_one_page", "ksm/ksm_merge_with_ksm_page", "ksm/ksm_remove_ksm_page",
	"ksm/ksm_remove_rmap_item", "ksm/ksm_advisor", "sched/sched_switch"
};
enum { NEVENTS = sizeof(trace_events) / sizeof(trace_events[0]) };

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
	bool racy;                    /* t is a multiple of sleep_millisecs */
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
	char knob_orig[NKNOBS][64];   /* saved values */
	bool knob_changed[NKNOBS];
	char run_orig[16];
	bool run_touched;
	bool mounted;                 /* we mounted tracefs */
	bool trace_set;               /* tracefs settings saved and changed */
	char tr_on[16], tr_clock[32], tr_size[32], tr_hash[16];
	bool ev_enabled[NEVENTS];     /* we enabled it */
	bool filter_set;
	int pipe_fd;                  /* trace_pipe, -1 */
	char pbuf[65536];             /* partial trace_pipe data */
	size_t plen;
	pid_t ksmd;
	int64_t t0;                   /* run=1 written, CLOCK_MONOTONIC ns */
	int64_t last_in, last_out;    /* ksmd switch-in / S switch-out (ns, 0 none) */
	uint64_t outs;                /* S switch-outs since T0 */
	bool recording;               /* keep ksm events */
	int64_t sleep_ns;             /* sleep_millisecs in ns */
	char *workload;               /* workload.csv text */
	size_t wlen;
	bool racy, timed;
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
			x.slot = (uint64_t)(x.t / (ks_time)s->sleep_ns) + 1;
			x.racy = x.t % (ks_time)s->sleep_ns == 0;
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
		if (s->pipe_fd >= 0)
			close(s->pipe_fd);
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
	const char *name = ks_knob_name((enum ks_knob)x->c.cls);
	char path[256], val[32];

	if (x->c.cls == KS_KNOB_ADVISOR_MODE)
		snprintf(val, sizeof(val), "%s", x->c.arg ? "scan-time" : "none");
	else
		snprintf(val, sizeof(val), "%" PRIu64, x->c.arg);
	for (int i = 0; i < NKNOBS; i++)
		if (strcmp(knob_names[i], name) == 0)
			s->knob_changed[i] = true;
	snprintf(path, sizeof(path), KSM_DIR "%s", name);
	write_str(path, val);
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
	if (write(k->to, &x->c, sizeof(x->c)) != (ssize_t)sizeof(x->c))
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

static void tpath(char *buf, size_t n, const char *rel)
{
	snprintf(buf, n, TRACE_DIR "/%s", rel);
}

static int trace_setup(struct rec_state *s)
{
	char p[512], v[256];
	static const char filter[] = "prev_comm == \"ksmd\" || next_comm == \"ksmd\"";

	if (access(TRACE_DIR "/trace_pipe", F_OK)) {
		if (mount("nodev", TRACE_DIR, "tracefs", 0, NULL))
			return sys_err(s, KS_EIO, "cannot mount tracefs on " TRACE_DIR ": %s",
				       strerror(errno));
		s->mounted = true;
	}
	if (read_str(TRACE_DIR "/tracing_on", s->tr_on, sizeof(s->tr_on)) ||
	    read_str(TRACE_DIR "/trace_clock", s->tr_clock, sizeof(s->tr_clock)) ||
	    read_str(TRACE_DIR "/buffer_size_kb", v, sizeof(v)) ||
	    read_str(TRACE_DIR "/options/hash-ptr", s->tr_hash, sizeof(s->tr_hash)))
		return sys_err(s, KS_EIO, TRACE_DIR ": cannot read the tracing settings");
	bracketed(s->tr_clock);
	{
		char *e = strstr(v, "expanded: ");

		snprintf(s->tr_size, sizeof(s->tr_size), "%lld",
			 strtoll(e ? e + 10 : v, NULL, 10));
	}
	s->trace_set = true;
	if (write_str(TRACE_DIR "/tracing_on", "0") ||
	    write_str(TRACE_DIR "/trace_clock", "mono") ||
	    write_str(TRACE_DIR "/options/hash-ptr", "0") ||
	    write_str(TRACE_DIR "/buffer_size_kb", "4096") ||
	    write_str(TRACE_DIR "/trace", ""))
		return sys_err(s, KS_EIO, TRACE_DIR ": cannot configure tracing");
	tpath(p, sizeof(p), "events/sched/sched_switch/filter");
	if (write_str(p, filter))
		return sys_err(s, KS_EIO, "%s: cannot set the ksmd filter", p);
	s->filter_set = true;
	for (int i = 0; i < NEVENTS; i++) {
		char rel[128];

		snprintf(rel, sizeof(rel), "events/%s/enable", trace_events[i]);
		tpath(p, sizeof(p), rel);
		if (read_str(p, v, sizeof(v)))
			return sys_err(s, KS_EPERM, "%s: tracepoint missing (kernel too old?)", p);
		if (v[0] == '1')
			continue;
		if (write_str(p, "1"))
			return sys_err(s, KS_EIO, "%s: cannot enable", p);
		s->ev_enabled[i] = true;
	}
	s->pipe_fd = open(TRACE_DIR "/trace_pipe", O_RDONLY | O_NONBLOCK);
	if (s->pipe_fd < 0)
		return sys_err(s, KS_EIO, TRACE_DIR "/trace_pipe: %s", strerror(errno));
	if (write_str(TRACE_DIR "/tracing_on", "1"))
		return sys_err(s, KS_EIO, TRACE_DIR "/tracing_on: cannot write");
	return 0;
}

static void trace_restore(struct rec_state *s)
{
	char p[512];

	if (s->pipe_fd >= 0)
		close(s->pipe_fd);
	s->pipe_fd = -1;
	if (s->trace_set)
		write_str(TRACE_DIR "/tracing_on", "0");
	for (int i = 0; i < NEVENTS; i++) {
		char rel[128];

		if (!s->ev_enabled[i])
			continue;
		snprintf(rel, sizeof(rel), "events/%s/enable", trace_events[i]);
		tpath(p, sizeof(p), rel);
		write_str(p, "0");
	}
	if (s->filter_set) {
		tpath(p, sizeof(p), "events/sched/sched_switch/filter");
		write_str(p, "0");
	}
	if (s->trace_set) {
		write_str(TRACE_DIR "/trace", "");
		write_str(TRACE_DIR "/trace_clock", s->tr_clock);
		write_str(TRACE_DIR "/options/hash-ptr", s->tr_hash);
		write_str(TRACE_DIR "/buffer_size_kb", s->tr_size);
		write_str(TRACE_DIR "/tracing_on", s->tr_on);
	}
	if (s->mounted && umount(TRACE_DIR) == 0)
		s->mounted = false;
}

/* Timestamp (ns) of a trace line: the token ending right before ": EVENT:". */
static int64_t line_ts(const char *line, const char *marker)
{
	const char *m = strstr(line, marker), *b;
	int64_t sec = 0, frac = 0, scale = 1000000000;

	if (!m)
		return -1;
	for (b = m; b > line && b[-1] != ' '; b--)
		;
	for (; b < m && *b >= '0' && *b <= '9'; b++)
		sec = sec * 10 + (*b - '0');
	if (b < m && *b == '.')
		for (b++; b < m && *b >= '0' && *b <= '9'; b++)
			if (scale > 1) {
				scale /= 10;
				frac += (*b - '0') * scale;
			}
	return sec * 1000000000 + frac;
}

static void handle_line(struct rec_state *s, const char *line)
{
	if (strstr(line, ": sched_switch:")) {
		int64_t ts = line_ts(line, ": sched_switch:");
		const char *st = strstr(line, "prev_state="), *in = strstr(line, "next_comm=ksmd ");
		bool out = strstr(line, "prev_comm=ksmd ") && st && st[11] == 'S';

		if (ts < s->t0 || !s->t0)
			return;
		if (in)
			s->last_in = ts;
		if (out) {
			s->last_out = ts;
			s->outs++;
		}
		return;
	}
	if (strstr(line, ": ksm_")) {
		struct ks_kt_event ev;

		if (ks_kt_parse_event(line, &ev) == 1 && ev.type == KS_KT_EV_ENTER) {
			for (unsigned i = 0; i < s->nkids; i++) {
				if (s->kids[i].alive && !s->kids[i].mm) {
					s->kids[i].mm = ev.mm; /* registrations are serialised */
					break;
				}
			}
		}
		ks_ktrace_add_event_line(s->kt, line);
	}
}

/* Reads whatever trace_pipe has (non-blocking) and handles complete lines. */
static void drain_pipe(struct rec_state *s)
{
	for (;;) {
		ssize_t n = read(s->pipe_fd, s->pbuf + s->plen, sizeof(s->pbuf) - 1 - s->plen);
		char *l, *e;

		if (n <= 0)
			return;
		s->plen += (size_t)n;
		s->pbuf[s->plen] = '\0';
		l = s->pbuf;
		while ((e = strchr(l, '\n')) != NULL) {
			*e = '\0';
			handle_line(s, l);
			l = e + 1;
		}
		s->plen -= (size_t)(l - s->pbuf);
		memmove(s->pbuf, l, s->plen);
		if (s->plen == sizeof(s->pbuf) - 1)
			s->plen = 0; /* an absurdly long line: drop it */
	}
}

/* ---------------------------------------------------------------- knobs */

static int knob_target(const struct ks_ksm_params *p, int i, char *v, size_t n)
{
	switch (i) {
	case 0: return snprintf(v, n, "%u", p->max_page_sharing);
	case 1: return snprintf(v, n, "%d", p->merge_across_nodes);
	case 2: return snprintf(v, n, "%d", p->use_zero_pages);
	case 3: return snprintf(v, n, "%d", p->smart_scan);
	case 4: return snprintf(v, n, "%u", p->sleep_millisecs);
	case 5: return snprintf(v, n, "%u", p->stable_node_chains_prune_millisecs);
	case 6: return snprintf(v, n, "%" PRIu64, p->advisor_max_cpu);
	case 7: return snprintf(v, n, "%" PRIu64, p->advisor_min_pages_to_scan);
	case 8: return snprintf(v, n, "%" PRIu64, p->advisor_max_pages_to_scan);
	case 9: return snprintf(v, n, "%" PRIu64, p->advisor_target_scan_time);
	case 10: return snprintf(v, n, "%s",
				 p->advisor_mode == KS_ADVISOR_SCAN_TIME ? "scan-time" : "none");
	default: return snprintf(v, n, "%u", p->pages_to_scan);
	}
}

static int knobs_set(struct rec_state *s)
{
	const struct ks_ksm_params *p = &s->o->sc->ksm;
	char path[256], want[64];

	for (int i = 0; i < NKNOBS; i++) {
		snprintf(path, sizeof(path), KSM_DIR "%s", knob_names[i]);
		if (read_str(path, s->knob_orig[i], sizeof(s->knob_orig[i]))) {
			if (i == 1)
				continue; /* merge_across_nodes exists only on NUMA kernels */
			return sys_err(s, KS_EIO, "%s: cannot read", path);
		}
		bracketed(s->knob_orig[i]);
	}
	for (int i = 0; i < NKNOBS; i++) {
		char cur[64];
		int rc;

		if (i == NKNOBS - 1 && p->advisor_mode == KS_ADVISOR_SCAN_TIME)
			continue; /* the advisor owns pages_to_scan */
		snprintf(path, sizeof(path), KSM_DIR "%s", knob_names[i]);
		knob_target(p, i, want, sizeof(want));
		if (read_str(path, cur, sizeof(cur)))
			continue;
		bracketed(cur);
		if (strcmp(cur, want) == 0)
			continue;
		s->knob_changed[i] = true;
		rc = write_str(path, want);
		if (rc)
			return sys_err(s, KS_EIO, "%s: cannot write %s: %s", path, want,
				       strerror(-rc));
	}
	return 0;
}

static void knobs_restore(struct rec_state *s)
{
	char path[256];

	/* advisor_mode first: pages_to_scan is not writable in scan-time mode */
	for (int j = -1; j < NKNOBS; j++) {
		int i = j < 0 ? 10 : NKNOBS - 1 - j;

		if ((j >= 0 && i == 10) || !s->knob_changed[i])
			continue;
		snprintf(path, sizeof(path), KSM_DIR "%s", knob_names[i]);
		write_str(path, s->knob_orig[i]);
		s->knob_changed[i] = false;
	}
}

/* ---------------------------------------------------------------- snapshots */

static int64_t ksmd_cpu(const struct rec_state *s)
{
	char path[64], buf[128];

	snprintf(path, sizeof(path), "/proc/%d/schedstat", (int)s->ksmd);
	if (read_str(path, buf, sizeof(buf)))
		return -1;
	return strtoll(buf, NULL, 10);
}

static pid_t find_ksmd(void)
{
	for (pid_t p = 1; p < 4096; p++) {
		char path[64], buf[64];

		snprintf(path, sizeof(path), "/proc/%d/comm", (int)p);
		if (read_str(path, buf, sizeof(buf)) == 0 && strcmp(buf, "ksmd") == 0)
			return p;
	}
	return 0;
}

static void read_counters(int64_t *c)
{
	char path[256];

	for (int k = 0; k < KS_KT_NCOUNTERS; k++) {
		snprintf(path, sizeof(path), KSM_DIR "%s", ks_kt_counter_names[k]);
		c[k] = read_num(path);
	}
}

static void read_procs(struct rec_state *s, uint64_t batch)
{
	for (unsigned i = 0; i < s->nkids; i++) {
		struct child *k = &s->kids[i];
		struct ks_kt_proc p = { .batch = batch, .pid = k->pid };
		char path[64], buf[1024], *l;

		if (!k->alive || !k->os_pid)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/ksm_stat", (int)k->os_pid);
		if (read_str(path, buf, sizeof(buf)))
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

			for (uint64_t pg = 0; pg < rg->npages; pg++) {
				uint64_t e = 0, pfn;
				off_t off = (off_t)(((rg->vaddr >> 12) + pg) * 8);

				if (pread(fd, &e, 8, off) != 8)
					e = 0;
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

/* ---------------------------------------------------------------- main flow */

static int preflight(struct rec_state *s)
{
	char run[16];
	int64_t shared;

	if (geteuid() != 0)
		return sys_err(s, KS_EPERM, "record-kernel needs root (it sets /sys/kernel/mm/ksm "
			       "knobs and reads tracefs and pagemap)");
	if (access(KSM_DIR "run", F_OK))
		return sys_err(s, KS_EPERM, "this kernel has no KSM (" KSM_DIR " is missing)");
	if (read_str(KSM_DIR "run", run, sizeof(run)))
		return sys_err(s, KS_EIO, KSM_DIR "run: cannot read");
	shared = read_num(KSM_DIR "pages_shared");
	if (strcmp(run, "0") != 0 || shared != 0)
		return sys_err(s, KS_EBUSY, "KSM is in use (run=%s, pages_shared=%" PRId64
			       "); refusing to record", run, shared);
	snprintf(s->run_orig, sizeof(s->run_orig), "%s", run);
	s->run_touched = true;
	if (write_str(KSM_DIR "run", "2") || write_str(KSM_DIR "run", "0"))
		return sys_err(s, KS_EIO, KSM_DIR "run: cannot write");
	if (read_num(KSM_DIR "ksm_zero_pages") > 0 || read_num(KSM_DIR "pages_unshared") > 0)
		return sys_err(s, KS_EBUSY, "KSM still has pages after run=2; refusing to record");
	s->ksmd = find_ksmd();
	if (!s->ksmd)
		return sys_err(s, KS_EPERM, "no ksmd thread found");
	return 0;
}

static void meta_fill(struct rec_state *s, const int64_t *base)
{
	struct ks_ktrace *kt = s->kt;
	const struct ks_scenario *sc = s->o->sc;
	struct utsname u;
	char buf[256], path[256];
	time_t now = time(NULL);
	FILE *p;
	unsigned hz = 0;

	uname(&u);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	ks_ktrace_meta_set(kt, "format", "ksmsim-kernel-trace 1");
	ks_ktrace_meta_set(kt, "kernel", "%s", u.release);
	ks_ktrace_meta_set(kt, "machine", "%s", u.machine);
	ks_ktrace_meta_set(kt, "recorded", "%s", buf);
	ks_ktrace_meta_set(kt, "recorder", "ksmsim %s", PACKAGE_VERSION);
	p = popen("(zcat /proc/config.gz || cat /boot/config-$(uname -r)) 2>/dev/null", "r");
	while (p && fgets(buf, sizeof(buf), p))
		if (sscanf(buf, "CONFIG_HZ=%u", &hz) == 1)
			break;
	if (p)
		pclose(p);
	if (hz)
		ks_ktrace_meta_set(kt, "hz", "%u", hz);
	ks_ktrace_meta_set(kt, "page_size", "%ld", sysconf(_SC_PAGESIZE));
	ks_ktrace_meta_set(kt, "scenario", "%s", sc->name ? sc->name : "");
	ks_ktrace_meta_set(kt, "scenario_file", "%s",
			   s->o->scenario_file ? s->o->scenario_file : "");
	for (int i = 0; i < NKNOBS; i++) {
		char key[96], v[64];

		snprintf(path, sizeof(path), KSM_DIR "%s", knob_names[i]);
		if (read_str(path, v, sizeof(v)))
			continue;
		bracketed(v);
		snprintf(key, sizeof(key), "knobs.%s", knob_names[i]);
		ks_ktrace_meta_set(kt, key, "%s", v);
	}
	ks_ktrace_meta_set(kt, "base.pages_scanned", "%" PRId64, base[KS_KT_PAGES_SCANNED]);
	ks_ktrace_meta_set(kt, "base.pages_skipped", "%" PRId64, base[KS_KT_PAGES_SKIPPED]);
	ks_ktrace_meta_set(kt, "base.ksmd_cpu_ns", "%" PRId64, ksmd_cpu(s));
	ks_ktrace_meta_set(kt, "processes", "%u", s->nkids);
}

/* Waits for ksmd's next S switch-out after `outs`; 0, or an error on timeout. */
static int wait_batch_end(struct rec_state *s, uint64_t outs)
{
	int64_t deadline = now_ns() + 10 * s->sleep_ns + 5000000000LL;

	for (;;) {
		drain_pipe(s);
		if (s->outs > outs)
			return 0;
		if (s->o->interrupt && *s->o->interrupt)
			return sys_err(s, KS_EINTR, "interrupted");
		if (now_ns() > deadline)
			return sys_err(s, KS_EDIVERGE, "ksmd did not finish batch %" PRIu64
				       " in time (idle: no mergeable process left?)",
				       (uint64_t)s->kt->nbatches);
		sleep_ns(POLL_NS);
	}
}

/* Applies the timed records of one slot; returns 0 or an error. */
static int run_slot(struct rec_state *s, size_t *next, uint64_t slot)
{
	bool did = false;

	while (*next < s->nrecs && s->recs[*next].slot <= slot) {
		const struct rec *x = &s->recs[*next];
		int64_t t = now_ns();
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
		sleep_ns(POLL_NS);
	}
	read_counters(base);
	meta_fill(s, base);
	b0.c[0] = 0;
	memcpy(b0.c, base, sizeof(base));
	b0.c[KS_KT_PAGES_SCANNED] = b0.c[KS_KT_PAGES_SKIPPED] = 0;
	read_procs(s, 0);
	read_pfns(s, 0, 's');
	drain_pipe(s);
	cpu_prev = ksmd_cpu(s);
	s->recording = true;
	s->t0 = now_ns();
	b0.t_start_ns = b0.t_end_ns = s->t0;
	b0.ksmd_cpu_ns = 0;
	ks_ktrace_add_batch(s->kt, &b0);
	if (write_str(KSM_DIR "run", "1"))
		return sys_err(s, KS_EIO, KSM_DIR "run: cannot write 1");
	note(s, "recording %" PRIu64 " ksmd batches (about %.1f s)", nb,
	     (double)nb * (double)s->sleep_ns / 1e9);
	for (b = 1; b <= nb; b++) {
		struct ks_kt_batch kb = { .batch = b };
		uint64_t outs = s->outs;
		int64_t chk[KS_KT_NCOUNTERS], done;
		const struct ks_kt_batch *prev;

		rc = wait_batch_end(s, outs);
		if (rc)
			return rc;
		kb.t_end_ns = s->last_out;
		kb.t_start_ns = s->last_in > s->kt->batches[s->kt->nbatches - 1].t_end_ns ?
				s->last_in : 0;
		read_counters(kb.c);
		kb.ksmd_cpu_ns = ksmd_cpu(s) - cpu_prev;
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
		if (b < nb) {
			rc = run_slot(s, &next, b);
			if (rc)
				return rc;
		}
		/* everything read or done while ksmd slept? */
		done = now_ns();
		drain_pipe(s);
		read_counters(chk);
		if (s->outs > outs + 1 || chk[KS_KT_PAGES_SCANNED] - base[KS_KT_PAGES_SCANNED] !=
		    kb.c[KS_KT_PAGES_SCANNED] || chk[KS_KT_FULL_SCANS] != kb.c[KS_KT_FULL_SCANS] ||
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
	for (unsigned i = 0; i < s->nkids; i++) {
		struct ks_kt_mm m = { .pid = s->kids[i].pid, .mm = s->kids[i].mm };

		snprintf(m.name, sizeof(m.name), "%s", s->kids[i].name);
		ks_ktrace_add_mm(s->kt, &m);
	}
	return 0;
}

int ks_record_kernel(const struct ks_recorder_opts *o, struct ks_err *err)
{
	struct rec_state s = { .o = o, .err = err, .pipe_fd = -1 };
	int rc;

	err->code = 0;
	err->msg[0] = '\0';
	s.sleep_ns = (int64_t)o->sc->ksm.sleep_millisecs * 1000000;
	if (s.sleep_ns < 100000000)
		return ks_err_set(err, KS_EINVAL, "%s: ksm.sleep_millisecs must be >= 100 to "
				  "record (counters are read while ksmd sleeps), got %u",
				  o->scenario_file ? o->scenario_file : "scenario",
				  o->sc->ksm.sleep_millisecs);
	if (o->sc->ksm.run != 1)
		return ks_err_set(err, KS_EINVAL, "record-kernel needs ksm.run: 1");
	s.cs = ks_content_store_new();
	s.kt = ks_ktrace_new();
	rc = collect_records(&s);
	if (rc)
		goto out_free;
	rc = preflight(&s);
	if (rc)
		goto out_restore;
	rc = knobs_set(&s);
	if (!rc)
		rc = trace_setup(&s);
	if (!rc)
		rc = record_loop(&s);
out_restore:
	for (unsigned i = 0; s.kids && i < s.nkids; i++)
		reap_child(&s.kids[i]);
	if (s.run_touched) {
		write_str(KSM_DIR "run", "2");
		knobs_restore(&s);
		write_str(KSM_DIR "run", s.run_orig);
	}
	if (s.pipe_fd >= 0 || s.trace_set || s.mounted)
		trace_restore(&s);
	if (s.mounted)
		rc = rc ? rc : sys_err(&s, KS_EIO, "cannot unmount " TRACE_DIR);
	if (!rc) {
		ks_ktrace_meta_set(s.kt, "batches", "%zu", s.kt->nbatches - 1);
		ks_ktrace_meta_set(s.kt, "workload", "%s",
				   s.racy ? "racy" : s.timed ? "timed" : "static");
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
	ks_ktrace_free(s.kt);
	ks_content_store_free(s.cs);
	return rc;
}
