/* tracefs.c - KSM tracing set up and put back (tracefs.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "ksm_sysfs.h"
#include "tracefs.h"

#define TRACE_DIR KS_TRACEFS_DIR

static const char *const trace_events[KS_TRACEFS_NEVENTS] = {
	"ksm/ksm_start_scan", "ksm/ksm_stop_scan", "ksm/ksm_enter", "ksm/ksm_exit",
	"ksm/ksm_merge_one_page", "ksm/ksm_merge_with_ksm_page", "ksm/ksm_remove_ksm_page",
	"ksm/ksm_remove_rmap_item", "ksm/ksm_advisor", "sched/sched_switch"
};

static void tpath(char *buf, size_t n, const char *rel)
{
	snprintf(buf, n, TRACE_DIR "/%s", rel);
}

static int save_settings(struct ks_tracefs *t, struct ks_err *err)
{
	char v[256], *e;

	if (ks_sysfs_read(TRACE_DIR "/tracing_on", t->tr_on, sizeof(t->tr_on)) ||
	    ks_sysfs_read(TRACE_DIR "/trace_clock", t->tr_clock, sizeof(t->tr_clock)) ||
	    ks_sysfs_read(TRACE_DIR "/buffer_size_kb", v, sizeof(v)) ||
	    ks_sysfs_read(TRACE_DIR "/options/hash-ptr", t->tr_hash, sizeof(t->tr_hash)))
		return ks_err_set(err, KS_EIO, TRACE_DIR ": cannot read the tracing settings");
	ks_sysfs_bracketed(t->tr_clock);
	e = strstr(v, "expanded: ");
	snprintf(t->tr_size, sizeof(t->tr_size), "%lld", strtoll(e ? e + 10 : v, NULL, 10));
	t->saved = true;
	return 0;
}

static int enable_events(struct ks_tracefs *t, struct ks_err *err)
{
	char p[512], v[256];

	for (int i = 0; i < KS_TRACEFS_NEVENTS; i++) {
		char rel[128];

		if (t->sched_only && strncmp(trace_events[i], "sched/", 6) != 0)
			continue;
		snprintf(rel, sizeof(rel), "events/%s/enable", trace_events[i]);
		tpath(p, sizeof(p), rel);
		if (ks_sysfs_read(p, v, sizeof(v)))
			return ks_err_set(err, KS_EPERM, "%s: tracepoint missing (kernel too old?)",
					  p);
		if (v[0] == '1')
			continue;
		if (ks_sysfs_write(p, "1"))
			return ks_err_set(err, KS_EIO, "%s: cannot enable", p);
		t->ev_enabled[i] = true;
	}
	return 0;
}

int ks_tracefs_setup(struct ks_tracefs *t, struct ks_err *err)
{
	static const char filter[] = "prev_comm == \"ksmd\" || next_comm == \"ksmd\"";
	char p[512];
	int rc;

	if (access(TRACE_DIR "/trace_pipe", F_OK)) {
		if (mount("nodev", TRACE_DIR, "tracefs", 0, NULL))
			return ks_err_set(err, KS_EIO, "cannot mount tracefs on " TRACE_DIR ": %s",
					  strerror(errno));
		t->mounted = true;
	}
	rc = save_settings(t, err);
	if (rc)
		return rc;
	if (ks_sysfs_write(TRACE_DIR "/tracing_on", "0") ||
	    ks_sysfs_write(TRACE_DIR "/trace_clock", "mono") ||
	    ks_sysfs_write(TRACE_DIR "/options/hash-ptr", "0") ||
	    ks_sysfs_write(TRACE_DIR "/buffer_size_kb", "4096") ||
	    ks_sysfs_write(TRACE_DIR "/trace", ""))
		return ks_err_set(err, KS_EIO, TRACE_DIR ": cannot configure tracing");
	tpath(p, sizeof(p), "events/sched/sched_switch/filter");
	if (ks_sysfs_write(p, filter))
		return ks_err_set(err, KS_EIO, "%s: cannot set the ksmd filter", p);
	t->filter_set = true;
	rc = enable_events(t, err);
	if (rc)
		return rc;
	t->pipe_fd = open(TRACE_DIR "/trace_pipe", O_RDONLY | O_NONBLOCK);
	if (t->pipe_fd < 0)
		return ks_err_set(err, KS_EIO, TRACE_DIR "/trace_pipe: %s", strerror(errno));
	if (ks_sysfs_write(TRACE_DIR "/tracing_on", "1"))
		return ks_err_set(err, KS_EIO, TRACE_DIR "/tracing_on: cannot write");
	return 0;
}

int ks_tracefs_restore(struct ks_tracefs *t, struct ks_err *err)
{
	char p[512];

	if (t->pipe_fd >= 0)
		close(t->pipe_fd);
	t->pipe_fd = -1;
	if (t->saved)
		ks_sysfs_write(TRACE_DIR "/tracing_on", "0");
	for (int i = 0; i < KS_TRACEFS_NEVENTS; i++) {
		char rel[128];

		if (!t->ev_enabled[i])
			continue;
		snprintf(rel, sizeof(rel), "events/%s/enable", trace_events[i]);
		tpath(p, sizeof(p), rel);
		ks_sysfs_write(p, "0");
		t->ev_enabled[i] = false;
	}
	if (t->filter_set) {
		tpath(p, sizeof(p), "events/sched/sched_switch/filter");
		ks_sysfs_write(p, "0");
		t->filter_set = false;
	}
	if (t->saved) {
		ks_sysfs_write(TRACE_DIR "/trace", "");
		ks_sysfs_write(TRACE_DIR "/trace_clock", t->tr_clock);
		ks_sysfs_write(TRACE_DIR "/options/hash-ptr", t->tr_hash);
		ks_sysfs_write(TRACE_DIR "/buffer_size_kb", t->tr_size);
		ks_sysfs_write(TRACE_DIR "/tracing_on", t->tr_on);
		t->saved = false;
	}
	if (t->mounted && umount(TRACE_DIR) == 0)
		t->mounted = false;
	if (t->mounted)
		return ks_err_set(err, KS_EIO, "cannot unmount " TRACE_DIR);
	return 0;
}

int64_t ks_tracefs_line_ts(const char *line, const char *marker)
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

void ks_tracefs_drain(struct ks_tracefs *t, void (*line)(void *ctx, const char *l), void *ctx)
{
	for (;;) {
		ssize_t n = read(t->pipe_fd, t->pbuf + t->plen, sizeof(t->pbuf) - 1 - t->plen);
		char *l, *e;

		if (n <= 0)
			return;
		t->plen += (size_t)n;
		t->pbuf[t->plen] = '\0';
		l = t->pbuf;
		while ((e = strchr(l, '\n')) != NULL) {
			*e = '\0';
			line(ctx, l);
			l = e + 1;
		}
		t->plen -= (size_t)(l - t->pbuf);
		memmove(t->pbuf, l, t->plen);
		if (t->plen == sizeof(t->pbuf) - 1)
			t->plen = 0; /* an absurdly long line: drop it */
	}
}
