/* ksm_sysfs.c - the running kernel's KSM: taken when idle, set, and always restored
 * (ksm_sysfs.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ksm_sysfs.h"

#define KSM_DIR KS_KSM_SYSFS_DIR

int64_t ks_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void ks_sleep_ns(int64_t ns)
{
	struct timespec ts = { ns / 1000000000, ns % 1000000000 };

	nanosleep(&ts, NULL);
}

int ks_sysfs_read(const char *path, char *buf, size_t n)
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

int ks_sysfs_write(const char *path, const char *val)
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

int64_t ks_sysfs_read_num(const char *path)
{
	char buf[128];

	if (ks_sysfs_read(path, buf, sizeof(buf)))
		return -1;
	return strtoll(buf, NULL, 10);
}

void ks_sysfs_bracketed(char *s)
{
	char *a = strchr(s, '['), *b = a ? strchr(a, ']') : NULL;

	if (a && b) {
		memmove(s, a + 1, (size_t)(b - a - 1));
		s[b - a - 1] = '\0';
	}
}

const char *const ks_sysfs_knob_names[KS_SYSFS_NKNOBS] = {
	"max_page_sharing", "merge_across_nodes", "use_zero_pages", "smart_scan",
	"sleep_millisecs", "stable_node_chains_prune_millisecs", "advisor_max_cpu",
	"advisor_min_pages_to_scan", "advisor_max_pages_to_scan", "advisor_target_scan_time",
	"advisor_mode", "pages_to_scan"
};

enum { KNOB_MERGE_ACROSS_NODES = 1, KNOB_ADVISOR_MODE = 10,
       KNOB_PAGES_TO_SCAN = KS_SYSFS_NKNOBS - 1 };

static pid_t find_ksmd(void)
{
	for (pid_t p = 1; p < 4096; p++) {
		char path[64], buf[64];

		snprintf(path, sizeof(path), "/proc/%d/comm", (int)p);
		if (ks_sysfs_read(path, buf, sizeof(buf)) == 0 && strcmp(buf, "ksmd") == 0)
			return p;
	}
	return 0;
}

pid_t ks_ksm_live_other_mergeable(const pid_t *ok, size_t nok, char *comm, size_t n)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	pid_t found = 0, self = getpid();

	while (d && !found && (e = readdir(d)) != NULL) {
		char path[300], buf[512];
		pid_t p = (pid_t)atoi(e->d_name);

		bool mine = false;

		for (size_t i = 0; i < nok; i++)
			mine = mine || ok[i] == p;
		if (p <= 0 || p == self || mine)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/ksm_stat", (int)p);
		if (ks_sysfs_read(path, buf, sizeof(buf)) || !strstr(buf, "ksm_mergeable: yes"))
			continue;
		found = p;
		snprintf(path, sizeof(path), "/proc/%d/comm", (int)p);
		if (ks_sysfs_read(path, comm, n))
			snprintf(comm, n, "?");
	}
	if (d)
		closedir(d);
	return found;
}

int ks_ksm_live_acquire(struct ks_ksm_live *k, const char *who, struct ks_err *err)
{
	return ks_ksm_live_acquire_with(k, who, NULL, 0, err);
}

int ks_ksm_live_acquire_with(struct ks_ksm_live *k, const char *who, const pid_t *pids,
			     size_t npids, struct ks_err *err)
{
	char comm[64];
	pid_t other;
	char run[16];
	int64_t shared;

	memset(k, 0, sizeof(*k));
	if (geteuid() != 0)
		return ks_err_set(err, KS_EPERM, "%s needs root (it sets /sys/kernel/mm/ksm "
				  "knobs and reads tracefs and pagemap)", who);
	if (access(KSM_DIR "run", F_OK))
		return ks_err_set(err, KS_EPERM, "this kernel has no KSM (" KSM_DIR
				  " is missing)");
	if (ks_sysfs_read(KSM_DIR "run", run, sizeof(run)))
		return ks_err_set(err, KS_EIO, KSM_DIR "run: cannot read");
	shared = ks_sysfs_read_num(KSM_DIR "pages_shared");
	if (strcmp(run, "0") != 0 || shared != 0)
		return ks_err_set(err, KS_EBUSY, "KSM is in use (run=%s, pages_shared=%" PRId64
				  "); refusing to use it", run, shared);
	other = ks_ksm_live_other_mergeable(pids, npids, comm, sizeof(comm));
	if (other)
		return ks_err_set(err, KS_EBUSY, "KSM is in use: process %d (%s) has mergeable "
				  "memory that ksmd would scan too; refusing to use it",
				  (int)other, comm);
	snprintf(k->run_orig, sizeof(k->run_orig), "%s", run);
	k->run_touched = true;
	if (ks_sysfs_write(KSM_DIR "run", "2") || ks_sysfs_write(KSM_DIR "run", "0"))
		return ks_err_set(err, KS_EIO, KSM_DIR "run: cannot write");
	if (ks_sysfs_read_num(KSM_DIR "ksm_zero_pages") > 0 ||
	    ks_sysfs_read_num(KSM_DIR "pages_unshared") > 0)
		return ks_err_set(err, KS_EBUSY, "KSM still has pages after run=2; refusing to "
				  "use it");
	k->ksmd = find_ksmd();
	if (!k->ksmd)
		return ks_err_set(err, KS_EPERM, "no ksmd thread found");
	return 0;
}

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

int ks_ksm_live_set_knobs(struct ks_ksm_live *k, const struct ks_ksm_params *p,
			  struct ks_err *err)
{
	char path[256], want[64];

	for (int i = 0; i < KS_SYSFS_NKNOBS; i++) {
		snprintf(path, sizeof(path), KSM_DIR "%s", ks_sysfs_knob_names[i]);
		if (ks_sysfs_read(path, k->knob_orig[i], sizeof(k->knob_orig[i]))) {
			if (i == KNOB_MERGE_ACROSS_NODES)
				continue; /* exists only on NUMA kernels */
			return ks_err_set(err, KS_EIO, "%s: cannot read", path);
		}
		ks_sysfs_bracketed(k->knob_orig[i]);
	}
	for (int i = 0; i < KS_SYSFS_NKNOBS; i++) {
		char cur[64];
		int rc;

		if (i == KNOB_PAGES_TO_SCAN && p->advisor_mode == KS_ADVISOR_SCAN_TIME)
			continue; /* the advisor owns pages_to_scan */
		snprintf(path, sizeof(path), KSM_DIR "%s", ks_sysfs_knob_names[i]);
		knob_target(p, i, want, sizeof(want));
		if (ks_sysfs_read(path, cur, sizeof(cur)))
			continue;
		ks_sysfs_bracketed(cur);
		if (strcmp(cur, want) == 0)
			continue;
		k->knob_changed[i] = true;
		rc = ks_sysfs_write(path, want);
		if (rc)
			return ks_err_set(err, KS_EIO, "%s: cannot write %s: %s", path, want,
					  strerror(-rc));
	}
	return 0;
}

int ks_ksm_live_write_knob(struct ks_ksm_live *k, const char *name, const char *val)
{
	char path[256];

	for (int i = 0; i < KS_SYSFS_NKNOBS; i++)
		if (strcmp(ks_sysfs_knob_names[i], name) == 0)
			k->knob_changed[i] = true;
	snprintf(path, sizeof(path), KSM_DIR "%s", name);
	return ks_sysfs_write(path, val);
}

int ks_ksm_live_set_run(struct ks_ksm_live *k, unsigned run)
{
	char v[16];

	snprintf(v, sizeof(v), "%u", run);
	k->run_touched = true;
	return ks_sysfs_write(KSM_DIR "run", v);
}

static void knobs_restore(struct ks_ksm_live *k)
{
	char path[256];

	/* advisor_mode first: pages_to_scan is not writable in scan-time mode */
	for (int j = -1; j < KS_SYSFS_NKNOBS; j++) {
		int i = j < 0 ? KNOB_ADVISOR_MODE : KS_SYSFS_NKNOBS - 1 - j;

		if ((j >= 0 && i == KNOB_ADVISOR_MODE) || !k->knob_changed[i])
			continue;
		snprintf(path, sizeof(path), KSM_DIR "%s", ks_sysfs_knob_names[i]);
		ks_sysfs_write(path, k->knob_orig[i]);
		k->knob_changed[i] = false;
	}
}

void ks_ksm_live_release(struct ks_ksm_live *k)
{
	if (!k->run_touched)
		return;
	ks_sysfs_write(KSM_DIR "run", "2");
	knobs_restore(k);
	ks_sysfs_write(KSM_DIR "run", k->run_orig[0] ? k->run_orig : "0");
	k->run_touched = false;
}

void ks_ksm_live_counters(int64_t c[KS_KT_NCOUNTERS])
{
	char path[256];

	for (int i = 0; i < KS_KT_NCOUNTERS; i++) {
		snprintf(path, sizeof(path), KSM_DIR "%s", ks_kt_counter_names[i]);
		c[i] = ks_sysfs_read_num(path);
	}
}

int64_t ks_ksm_live_ksmd_cpu_ns(const struct ks_ksm_live *k)
{
	char path[64], buf[128];

	snprintf(path, sizeof(path), "/proc/%d/schedstat", (int)k->ksmd);
	if (ks_sysfs_read(path, buf, sizeof(buf)))
		return -1;
	return strtoll(buf, NULL, 10);
}
