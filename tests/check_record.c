/* check_record.c - the process recorder (traces/record_proc.c) and the page dictionary
 * of the trace format (version 2: page and ref records).
 *
 * The recorder test starts a child with known memory (tests/rec_target.h), takes the
 * snapshots by hand (before and after the child changes its pages, and after it exits),
 * then replays the trace page by page and compares every page of both regions with
 * what the child holds: no clock is involved, so the test cannot race. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <check.h>
#include <elf.h>

#include "rec_target.h"
#include "tmpdir.h"
#include "models/base/xalloc.h"
#include "reports/converge.h"
#include "traces/import_mem.h"
#include "traces/record_kernel.h"
#include "traces/record_proc.h"
#include "traces/trace_io.h"

static char tmpdir[256];

static void tmp_setup(void)
{
	ks_test_tmpdir(tmpdir, sizeof(tmpdir), "check_record");
}

static void tmp_teardown(void)
{
	ks_test_rmdir(tmpdir);
}

/* ---- a replay of a trace into pages: one process ---- */

#define MAXPG 4096

struct page_map {
	uint64_t vaddr[MAXPG];
	int32_t dict[MAXPG];   /* -2 absent, -1 zero, else dictionary id */
	bool mergeable[MAXPG];
	unsigned n;
	uint8_t (*dictpg)[KS_PAGE_SIZE];
	uint64_t ndict, capdict;
	unsigned starts, exits, pages_defined;
	ks_time exit_t;
	uint64_t win[4][2];    /* if nwin: only pages in these [start, end) are followed (the
				* process has other memory: its heap, a sanitizer's shadow) */
	unsigned nwin;
};

/* Is page vaddr one the test follows? */
static bool pm_wanted(const struct page_map *m, uint64_t vaddr)
{
	if (!m->nwin)
		return true;
	for (unsigned w = 0; w < m->nwin; w++)
		if (vaddr >= m->win[w][0] && vaddr < m->win[w][1])
			return true;
	return false;
}

/* The first page >= vaddr the test follows, or UINT64_MAX. */
static uint64_t pm_next_wanted(const struct page_map *m, uint64_t vaddr)
{
	uint64_t best = UINT64_MAX;

	if (pm_wanted(m, vaddr))
		return vaddr;
	for (unsigned w = 0; w < m->nwin; w++)
		if (m->win[w][0] > vaddr && m->win[w][0] < best)
			best = m->win[w][0];
	return best;
}

/* The first index >= i of the record's run whose page the test follows, or npages. */
static uint64_t pm_from(const struct page_map *m, const struct ks_trace_rec *r, uint64_t i)
{
	uint64_t a;

	if (i >= r->npages)
		return r->npages;
	a = pm_next_wanted(m, r->vaddr + i * KS_PAGE_SIZE);
	if (a == UINT64_MAX || (a - r->vaddr) / KS_PAGE_SIZE >= r->npages)
		return r->npages;
	return (a - r->vaddr) / KS_PAGE_SIZE;
}

#define PM_FOR_EACH(m, r, i) \
	for (uint64_t i = pm_from(m, r, 0); i < (r)->npages; i = pm_from(m, r, i + 1))

static int pm_slot(struct page_map *m, uint64_t vaddr)
{
	for (unsigned i = 0; i < m->n; i++)
		if (m->vaddr[i] == vaddr)
			return (int)i;
	ck_assert_uint_lt(m->n, MAXPG);
	m->vaddr[m->n] = vaddr;
	m->dict[m->n] = -2;
	m->mergeable[m->n] = false;
	return (int)m->n++;
}

/* Applies records of `pid` with t <= until; the source stays positioned after them. */
static void pm_apply(struct page_map *m, struct ks_trace_source *src, struct ks_trace_rec *r,
		     bool *have, uint32_t pid, ks_time until)
{
	struct ks_err err;
	int rc;

	for (;;) {
		if (!*have) {
			rc = src->next(src, r, &err);
			ck_assert_msg(rc >= 0, "%s", err.msg);
			if (rc == 0)
				return;
			*have = true;
		}
		if (r->t > until)
			return;
		*have = false;
		if (r->op == KS_TR_PAGE) {
			if (m->ndict == m->capdict) {
				m->capdict = m->capdict ? 2 * m->capdict : 64;
				m->dictpg = ks_xrealloc(m->dictpg, m->capdict * KS_PAGE_SIZE);
			}
			memcpy(m->dictpg[m->ndict++], r->bytes, KS_PAGE_SIZE);
			m->pages_defined++;
			continue;
		}
		if (r->op == KS_TR_CLASS || r->pid != pid)
			continue;
		switch (r->op) {
		case KS_TR_START:
			m->starts++;
			break;
		case KS_TR_EXIT:
			m->exits++;
			m->exit_t = r->t;
			break;
		case KS_TR_MMAP:
		case KS_TR_MUNMAP:
			PM_FOR_EACH(m, r, i)
				m->dict[pm_slot(m, r->vaddr + i * KS_PAGE_SIZE)] = -2;
			break;
		case KS_TR_MERGEABLE:
		case KS_TR_UNMERGEABLE:
			PM_FOR_EACH(m, r, i)
				m->mergeable[pm_slot(m, r->vaddr + i * KS_PAGE_SIZE)] =
					r->op == KS_TR_MERGEABLE;
			break;
		case KS_TR_WRITE: /* the recorder's writes are of the zero class */
			PM_FOR_EACH(m, r, i)
				m->dict[pm_slot(m, r->vaddr + i * KS_PAGE_SIZE)] = -1;
			break;
		case KS_TR_REF:
			PM_FOR_EACH(m, r, i) {
				uint64_t id = r->arg + (uint64_t)((int64_t)i * r->step);

				ck_assert_uint_lt(id, m->ndict);
				m->dict[pm_slot(m, r->vaddr + i * KS_PAGE_SIZE)] = (int32_t)id;
			}
			break;
		default:
			ck_abort_msg("unexpected record %s", ks_trace_op_name(r->op));
		}
	}
}

/* Compares the replayed pages of a region with rec_target_expect(). */
static void pm_check_region(const struct page_map *m, uint64_t base, int reg, unsigned npages,
			    int changed)
{
	uint8_t want[KS_PAGE_SIZE];

	for (unsigned i = 0; i < npages; i++) {
		int k = rec_target_expect(reg, i, changed);
		int slot = -1;

		for (unsigned s = 0; s < m->n; s++)
			if (m->vaddr[s] == base + i * KS_PAGE_SIZE)
				slot = (int)s;
		ck_assert_msg(slot >= 0, "region %d page %u never mapped", reg, i);
		ck_assert_msg(m->mergeable[slot] == (reg == 0), "region %d page %u mergeable %d",
			      reg, i, m->mergeable[slot]);
		if (k < 0) {
			ck_assert_msg(m->dict[slot] == -2, "region %d page %u (changed %d) should be "
				      "absent, is %d", reg, i, changed, m->dict[slot]);
		} else if (k == 0) {
			ck_assert_msg(m->dict[slot] == -1, "region %d page %u should be zero, is %d",
				      reg, i, m->dict[slot]);
		} else {
			ck_assert_msg(m->dict[slot] >= 0, "region %d page %u (changed %d) should be "
				      "P(%d), is %d", reg, i, changed, k, m->dict[slot]);
			rec_target_page(want, (uint32_t)k);
			ck_assert_msg(memcmp(m->dictpg[m->dict[slot]], want, KS_PAGE_SIZE) == 0,
				      "region %d page %u holds the wrong bytes", reg, i);
		}
	}
}

/* The child: builds the memory, reports the addresses, changes on 'c', exits on 'x'. */
static void child_main(int cmd_fd, int ack_fd)
{
	uint8_t *a = mmap(NULL, REC_A_PAGES * REC_PAGE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *b = mmap(NULL, REC_B_PAGES * REC_PAGE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t addrs[2] = { (uintptr_t)a, (uintptr_t)b };
	char c;

	if (a == MAP_FAILED || b == MAP_FAILED || madvise(a, REC_A_PAGES * REC_PAGE,
							  MADV_MERGEABLE))
		_exit(3);
	rec_target_fill(a, b);
	if (write(ack_fd, addrs, sizeof(addrs)) != sizeof(addrs))
		_exit(4);
	while (read(cmd_fd, &c, 1) == 1) {
		if (c == 'x')
			_exit(0);
		rec_target_change(a, b);
		if (write(ack_fd, "k", 1) != 1)
			_exit(5);
	}
	_exit(0);
}

/* A child running body(cmd_fd, ack_fd), with the parent's ends of both pipes. */
struct kid {
	pid_t pid;
	int cmd; /* write: commands to the child */
	int ack; /* read: what the child reports */
};

static struct kid start_kid(void (*body)(int cmd_fd, int ack_fd))
{
	int cmd[2], ack[2];
	struct kid k;

	ck_assert_int_eq(pipe(cmd), 0);
	ck_assert_int_eq(pipe(ack), 0);
	k.pid = fork();
	ck_assert_int_ge(k.pid, 0);
	if (k.pid == 0) {
		close(cmd[1]);
		close(ack[0]);
		body(cmd[0], ack[1]);
	}
	close(cmd[0]);
	close(ack[1]);
	k.cmd = cmd[1];
	k.ack = ack[0];
	return k;
}

/* Waits until the child sleeps (state S in /proc/PID/stat): after its ack that is only
 * in its read() of the next command, so its memory (its stack too) holds still. Without
 * it, a snapshot taken right after the ack could race the child's way back into read()
 * and the next snapshot saw a stack page change (seen under load: 45 pages, not 44). */
static void kid_settle(const struct kid *k)
{
	char path[64], buf[256];

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)k->pid);
	for (unsigned i = 0; i < 20000; i++) {
		FILE *f = fopen(path, "r");
		char *p = NULL;

		ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
		if (fgets(buf, sizeof(buf), f))
			p = strrchr(buf, ')');
		fclose(f);
		if (p && p[1] == ' ' && p[2] == 'S')
			return;
		usleep(500);
	}
	ck_abort_msg("the child did not go back to sleep in 10 s");
}

/* Tells the child to change its memory ('c') and waits until it has and is waiting for
 * the next command. */
static void kid_change(const struct kid *k)
{
	char c;

	ck_assert_int_eq(write(k->cmd, "c", 1), 1);
	ck_assert_int_eq(read(k->ack, &c, 1), 1);
	kid_settle(k);
}

/* Tells the child to exit, reaps it and closes the pipes. */
static void kid_end(const struct kid *k)
{
	ck_assert_int_eq(write(k->cmd, "x", 1), 1);
	ck_assert_int_eq(waitpid(k->pid, NULL, 0), k->pid);
	close(k->cmd);
	close(k->ack);
}

static void record_child(const char *path, enum ks_trace_format fmt, uint64_t addrs[2],
			 pid_t *pid_out, struct ks_prec_stats *st)
{
	struct ks_prec_opts o = { .fmt = fmt };
	struct kid k = start_kid(child_main);
	struct ks_prec *r;
	struct ks_err err;

	ck_assert_int_eq(read(k.ack, addrs, 2 * sizeof(uint64_t)), 2 * sizeof(uint64_t));
	r = ks_prec_open(path, &o, &err);
	ck_assert_msg(r != NULL, "%s", err.msg);
	ck_assert_msg(ks_prec_add(r, k.pid, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(ks_prec_snapshot(r, KS_MS(0), &err), 1);
	kid_change(&k);
	ck_assert_int_eq(ks_prec_snapshot(r, KS_MS(100), &err), 1);
	/* a snapshot with nothing changed adds no page records */
	ck_assert_int_eq(ks_prec_snapshot(r, KS_MS(150), &err), 1);
	kid_end(&k);
	ck_assert_int_eq(ks_prec_snapshot(r, KS_MS(200), &err), 0);
	ck_assert_msg(access(path, F_OK) != 0, "the trace is visible before it is complete");
	ck_assert_msg(ks_prec_close(r, st, &err) == 0, "%s", err.msg);
	*pid_out = k.pid;
}

static void check_recording(enum ks_trace_format fmt, const char *name)
{
	char path[512];
	uint64_t addrs[2];
	struct ks_prec_stats st;
	struct ks_trace_source *src;
	struct ks_trace_rec *r = ks_xmalloc(sizeof(*r));
	struct page_map *m = ks_xcalloc(1, sizeof(*m));
	struct ks_err err;
	bool have = false;
	pid_t pid;
	uint8_t p1[KS_PAGE_SIZE];
	unsigned copies = 0;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	record_child(path, fmt, addrs, &pid, &st);
	m->win[0][0] = addrs[0];
	m->win[0][1] = addrs[0] + REC_A_PAGES * REC_PAGE;
	m->win[1][0] = addrs[1];
	m->win[1][1] = addrs[1] + REC_B_PAGES * REC_PAGE;
	m->nwin = 2;
	ck_assert_uint_eq(st.snapshots, 4);
	ck_assert_uint_ge(st.pages_dropped, 1);
	src = ks_trace_open(path, &err);
	ck_assert_msg(src != NULL, "%s", err.msg);
	pm_apply(m, src, r, &have, (uint32_t)pid, KS_MS(0));
	ck_assert_uint_eq(m->starts, 1);
	pm_check_region(m, addrs[0], 0, REC_A_PAGES, 0);
	pm_check_region(m, addrs[1], 1, REC_B_PAGES, 0);
	/* each distinct page once: P(1) (16 copies) is one dictionary page */
	rec_target_page(p1, 1);
	for (uint64_t i = 0; i < m->ndict; i++)
		copies += memcmp(m->dictpg[i], p1, KS_PAGE_SIZE) == 0;
	ck_assert_uint_eq(copies, 1);
	pm_apply(m, src, r, &have, (uint32_t)pid, KS_MS(100));
	pm_check_region(m, addrs[0], 0, REC_A_PAGES, 1);
	pm_check_region(m, addrs[1], 1, REC_B_PAGES, 1);
	{
		unsigned before = m->pages_defined;

		pm_apply(m, src, r, &have, (uint32_t)pid, KS_MS(150));
		ck_assert_uint_eq(m->pages_defined, before);
	}
	ck_assert_uint_eq(m->exits, 0);
	pm_apply(m, src, r, &have, (uint32_t)pid, KS_MS(200));
	ck_assert_uint_eq(m->exits, 1);
	ck_assert_uint_eq(m->exit_t, KS_MS(200));
	ck_assert(!have);
	src->close(src);
	free(m->dictpg);
	free(m);
	free(r);
}

START_TEST(test_record_child_binary)
{
	check_recording(KS_TRACE_BINARY, "child.kst");
}
END_TEST

START_TEST(test_record_child_text)
{
	check_recording(KS_TRACE_TEXT, "child.kstt");
}
END_TEST

/* ---- a huge sparse mapping: the recorder's work and memory follow the pages present,
 * not the size of the mappings (a sanitizer's shadow, a JVM's or QEMU's reservations) ---- */

#define SPARSE_BYTES (4ull << 40) /* 4 TiB of address space, MAP_NORESERVE */
static const uint64_t sparse_off[4] = { 0, (1ull << 40) + 7 * REC_PAGE,
					SPARSE_BYTES - REC_PAGE, 2ull << 40 };

static void sparse_child(int cmd_fd, int ack_fd)
{
	uint8_t *a = mmap(NULL, SPARSE_BYTES, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	uint64_t addr = (uintptr_t)a;
	char c;

	if (a == MAP_FAILED)
		_exit(3);
	for (unsigned k = 0; k < 3; k++)
		rec_target_page(a + sparse_off[k], 3 + k);
	if (write(ack_fd, &addr, sizeof(addr)) != sizeof(addr))
		_exit(4);
	while (read(cmd_fd, &c, 1) == 1) {
		if (c == 'x')
			_exit(0);
		madvise(a + sparse_off[1], REC_PAGE, MADV_DONTNEED); /* dropped */
		rec_target_page(a + sparse_off[3], 6);
		if (write(ack_fd, "k", 1) != 1)
			_exit(5);
	}
	_exit(0);
}

/* Is page `off` of the sparse region P(k) (k > 0) or absent (k < 0) in m? */
static void sparse_expect(const struct page_map *m, uint64_t base, unsigned w, int k)
{
	uint8_t want[KS_PAGE_SIZE];
	int slot = -1;

	for (unsigned s = 0; s < m->n; s++)
		if (m->vaddr[s] == base + sparse_off[w])
			slot = (int)s;
	if (k < 0) {
		ck_assert_msg(slot < 0 || m->dict[slot] == -2, "sparse page %u should be absent", w);
		return;
	}
	ck_assert_msg(slot >= 0 && m->dict[slot] >= 0, "sparse page %u not recorded", w);
	rec_target_page(want, (uint32_t)k);
	ck_assert_msg(memcmp(m->dictpg[m->dict[slot]], want, KS_PAGE_SIZE) == 0,
		      "sparse page %u holds the wrong bytes", w);
}

START_TEST(test_record_sparse_huge)
{
	struct ks_prec_opts o = { .fmt = KS_TRACE_BINARY };
	struct ks_prec_stats st;
	struct ks_trace_source *src;
	struct ks_trace_rec *rec = ks_xmalloc(sizeof(*rec));
	struct page_map *m = ks_xcalloc(1, sizeof(*m));
	struct kid k = start_kid(sparse_child);
	struct ks_prec *r;
	struct ks_err err;
	bool have = false;
	uint64_t base;
	char path[512];
	pid_t pid = k.pid;

	snprintf(path, sizeof(path), "%s/sparse.kst", tmpdir);
	ck_assert_int_eq(read(k.ack, &base, sizeof(base)), sizeof(base));
	r = ks_prec_open(path, &o, &err);
	ck_assert_msg(r != NULL, "%s", err.msg);
	ck_assert_msg(ks_prec_add(r, pid, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(ks_prec_snapshot(r, KS_MS(0), &err), 1);
	kid_change(&k);
	ck_assert_int_eq(ks_prec_snapshot(r, KS_MS(100), &err), 1);
	kid_end(&k);
	ck_assert_int_eq(ks_prec_snapshot(r, KS_MS(200), &err), 0);
	ck_assert_msg(ks_prec_close(r, &st, &err) == 0, "%s", err.msg);
	/* 4 TiB at 4 bytes a page would be 4 GiB of state: the states must follow the pages
	 * present (a few blocks here, plus the rest of the child's memory) */
	ck_assert_msg(st.state_bytes_max < (256u << 20), "page states took %" PRIu64 " bytes",
		      st.state_bytes_max);
	ck_assert_uint_ge(st.pages_dropped, 1);
	for (unsigned w = 0; w < 4; w++) {
		m->win[w][0] = base + sparse_off[w];
		m->win[w][1] = base + sparse_off[w] + REC_PAGE;
	}
	m->nwin = 4;
	src = ks_trace_open(path, &err);
	ck_assert_msg(src != NULL, "%s", err.msg);
	pm_apply(m, src, rec, &have, (uint32_t)pid, KS_MS(0));
	ck_assert_uint_eq(m->starts, 1);
	sparse_expect(m, base, 0, 3);
	sparse_expect(m, base, 1, 4);
	sparse_expect(m, base, 2, 5);
	sparse_expect(m, base, 3, -1);
	pm_apply(m, src, rec, &have, (uint32_t)pid, KS_MS(100));
	sparse_expect(m, base, 0, 3);
	sparse_expect(m, base, 1, -1);
	sparse_expect(m, base, 2, 5);
	sparse_expect(m, base, 3, 6);
	pm_apply(m, src, rec, &have, (uint32_t)pid, KS_MS(200));
	ck_assert_uint_eq(m->exits, 1);
	src->close(src);
	free(m->dictpg);
	free(m);
	free(rec);
}
END_TEST

/* A command that exits before the recorder opens its /proc files (a race `sim record --
 * CMD` cannot avoid): a start and an exit, not "no such process". */
START_TEST(test_record_child_gone_first)
{
	struct ks_prec_opts o = { .fmt = KS_TRACE_TEXT };
	struct ks_trace_rec *rec = ks_xmalloc(sizeof(*rec));
	struct ks_trace_source *src;
	struct ks_prec *r;
	struct ks_err err;
	siginfo_t si = { 0 };
	unsigned starts = 0, exits = 0;
	char path[512];
	pid_t pid;
	int rc;

	snprintf(path, sizeof(path), "%s/gone.kstt", tmpdir);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(0);
	ck_assert_int_eq(waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT), 0); /* a zombie */
	r = ks_prec_open(path, &o, &err);
	ck_assert_msg(r != NULL, "%s", err.msg);
	ck_assert_int_eq(ks_prec_add(r, pid, &err), KS_ENOENT);
	ck_assert_msg(ks_prec_add_child(r, pid, "gone", &err) == 0, "%s", err.msg);
	ck_assert_int_eq(ks_prec_snapshot(r, KS_MS(0), &err), 0);
	ck_assert_msg(ks_prec_close(r, NULL, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
	src = ks_trace_open(path, &err);
	ck_assert_msg(src != NULL, "%s", err.msg);
	while ((rc = src->next(src, rec, &err)) > 0) {
		if (rec->op == KS_TR_START) {
			starts++;
			ck_assert_str_eq(rec->name, "gone");
		}
		exits += rec->op == KS_TR_EXIT;
		ck_assert_uint_eq(rec->pid, (uint32_t)pid);
	}
	ck_assert_int_eq(rc, 0);
	ck_assert_uint_eq(starts, 1);
	ck_assert_uint_eq(exits, 1);
	src->close(src);
	free(rec);
}
END_TEST

START_TEST(test_record_no_such_pid)
{
	char path[512];
	struct ks_prec_opts o = { .fmt = KS_TRACE_BINARY };
	struct ks_prec *r;
	struct ks_err err;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(0);
	ck_assert_int_eq(waitpid(pid, NULL, 0), pid); /* reaped: the pid is free now */
	snprintf(path, sizeof(path), "%s/none.kst", tmpdir);
	r = ks_prec_open(path, &o, &err);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(ks_prec_add(r, pid, &err), KS_ENOENT);
	ck_assert_str_eq(strstr(err.msg, "no such process"), "no such process");
	ks_prec_abort(r);
	ck_assert_int_ne(access(path, F_OK), 0);
}
END_TEST

/* ---- the format: version 2 records ---- */

static void write_file(const char *path, const void *data, size_t n)
{
	FILE *f = fopen(path, "wb");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(data, 1, n, f), n);
	ck_assert_int_eq(fclose(f), 0);
}

/* Reads every record of path; 0, or the error code with err. */
static int read_all(const char *path, uint64_t *count, struct ks_err *err)
{
	struct ks_trace_rec *r = ks_xmalloc(sizeof(*r));
	struct ks_trace_source *src = ks_trace_open(path, err);
	int rc = 0;

	*count = 0;
	if (!src) {
		free(r);
		return err->code;
	}
	while ((rc = src->next(src, r, err)) > 0)
		(*count)++;
	src->close(src);
	free(r);
	return rc;
}

/* A trace with 200 dictionary pages (several `pages` records), refs and zero writes. */
static void write_dict_trace(const char *path, enum ks_trace_format fmt)
{
	struct ks_trace_rec *r = ks_xmalloc(sizeof(*r));
	struct ks_trace_writer *w = ks_trace_writer_open(path, fmt, NULL);

	ck_assert_ptr_nonnull(w);
	ks_trace_rec_clear(r);
	r->op = KS_TR_START;
	r->pid = 7;
	strcpy(r->name, "rec");
	ck_assert_int_eq(ks_trace_writer_put(w, r, NULL), 0);
	ks_trace_rec_clear(r);
	r->op = KS_TR_MMAP;
	r->pid = 7;
	r->vaddr = 0x100000;
	r->npages = 512;
	ck_assert_int_eq(ks_trace_writer_put(w, r, NULL), 0);
	for (unsigned i = 0; i < 200; i++) {
		ks_trace_rec_clear(r);
		r->op = KS_TR_PAGE;
		r->t = i < 150 ? 0 : KS_MS(5);
		r->arg = i;
		rec_target_page(r->bytes, i + 1);
		ck_assert_int_eq(ks_trace_writer_put(w, r, NULL), 0);
	}
	ks_trace_rec_clear(r);
	r->op = KS_TR_REF;
	r->t = KS_MS(5);
	r->pid = 7;
	r->vaddr = 0x100000;
	r->npages = 200;
	r->arg = 199;
	r->step = -1;
	ck_assert_int_eq(ks_trace_writer_put(w, r, NULL), 0);
	ck_assert_int_eq(ks_trace_writer_close(w, NULL), 0);
	free(r);
}

/* record-kernel places a timed record in the sleep where the zero-cost simulator
 * applies it: after batch floor(t / S) + 1, S the jiffy-rounded sleep. At HZ 250,
 * 150 ms is 38 jiffies = 152 ms: a record at 151 ms is applied after batch 1 (placing by
 * sleep_millisecs * 1e6 put it after batch 2), one at 152 ms is racy. */
START_TEST(test_record_kernel_slot_jiffies)
{
	struct ks_ksm_params p;
	bool racy;

	ks_ksm_params_default(&p);
	p.sleep_millisecs = 150;
	p.hz = 250;
	ck_assert_uint_eq(ks_record_kernel_slot(&p, 151000000, &racy), 1);
	ck_assert(!racy);
	ck_assert_uint_eq(ks_record_kernel_slot(&p, 152000000, &racy), 2);
	ck_assert(racy);
	ck_assert_uint_eq(ks_record_kernel_slot(&p, 10 * 152000000 + 1, &racy), 11);
	ck_assert(!racy);
	p.hz = 1000; /* 150 jiffies: 150 ms exactly */
	ck_assert_uint_eq(ks_record_kernel_slot(&p, 151000000, &racy), 2);
	ck_assert(!racy);
	ck_assert_uint_eq(ks_record_kernel_slot(&p, 150000000, &racy), 2);
	ck_assert(racy);
	p.hz = 300; p.sleep_millisecs = 100; /* 30 jiffies of 3333333 ns: 99999990 ns */
	ck_assert_uint_eq(ks_record_kernel_slot(&p, 99999995, &racy), 2);
}
END_TEST

START_TEST(test_dict_round_trip)
{
	char a[512], b[512], c[512];
	struct ks_trace_rec *ra = ks_xmalloc(sizeof(*ra)), *rb = ks_xmalloc(sizeof(*rb));
	struct ks_trace_source *sa, *sb;
	struct ks_err err;
	uint64_t n;
	int x, y;
	FILE *f;
	char line[64];

	snprintf(a, sizeof(a), "%s/a.kst", tmpdir);
	snprintf(b, sizeof(b), "%s/b.kstt", tmpdir);
	snprintf(c, sizeof(c), "%s/c.kst", tmpdir);
	write_dict_trace(a, KS_TRACE_BINARY);
	write_dict_trace(b, KS_TRACE_TEXT);
	ck_assert_int_eq(read_all(a, &n, &err), 0);
	ck_assert_uint_eq(n, 203);
	f = fopen(b, "r");
	ck_assert_ptr_nonnull(fgets(line, sizeof(line), f));
	fclose(f);
	ck_assert_str_eq(line, "ksmsim-trace 2\n");
	sa = ks_trace_open(a, &err);
	sb = ks_trace_open(b, &err);
	ck_assert_ptr_nonnull(sa);
	ck_assert_ptr_nonnull(sb);
	do {
		x = sa->next(sa, ra, &err);
		y = sb->next(sb, rb, &err);
		ck_assert_int_eq(x, y);
		if (x > 0)
			ck_assert_msg(ks_trace_rec_equal(ra, rb), "records differ (%s)",
				      ks_trace_op_name(ra->op));
	} while (x > 0);
	sa->close(sa);
	sb->close(sb);
	/* the binary file compresses: 200 pseudo-random pages are not much smaller, but
	 * the file is still version 2 with its pages in `pages` records */
	f = fopen(a, "rb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fread(line, 1, 12, f), 12);
	fclose(f);
	ck_assert_int_eq(line[8], 2);
	free(ra);
	free(rb);
	(void)c;
}
END_TEST

START_TEST(test_dict_old_version_rejects_pages)
{
	char p[512];
	struct ks_err err;
	uint64_t n;
	const char *t = "ksmsim-trace 1\n0ns page id=0 bytes=01*4096\n";

	snprintf(p, sizeof(p), "%s/old.kstt", tmpdir);
	write_file(p, t, strlen(t));
	ck_assert_int_eq(read_all(p, &n, &err), KS_EPARSE);
	ck_assert_msg(strstr(err.msg, ":2:5: unknown record type 'page' (a version 2 record"),
		      "%s", err.msg);
}
END_TEST

START_TEST(test_dict_bad_refs)
{
	char p[512];
	struct ks_err err;
	uint64_t n;
	const char *undefined = "ksmsim-trace 2\n0ns page id=0 bytes=01*4096\n"
		"0ns ref pid=1 vaddr=0x1000 pages=2 id=0 step=1\n";
	const char *order = "ksmsim-trace 2\n0ns page id=1 bytes=01*4096\n";

	snprintf(p, sizeof(p), "%s/u.kstt", tmpdir);
	write_file(p, undefined, strlen(undefined));
	ck_assert_int_eq(read_all(p, &n, &err), KS_EPARSE);
	ck_assert_msg(strstr(err.msg, ":3: ref to undefined page (id 0, step 1, 2 pages; 1 "
			     "pages defined)"), "%s", err.msg);
	write_file(p, order, strlen(order));
	ck_assert_int_eq(read_all(p, &n, &err), KS_EPARSE);
	ck_assert_msg(strstr(err.msg, ":2: page id 1 out of order (expected 0)"), "%s", err.msg);
}
END_TEST

/* Flips one byte inside the zstd frame of the first `pages` record. */
START_TEST(test_dict_corrupt_frame)
{
	char p[512];
	struct ks_err err;
	uint64_t n;
	uint8_t *buf;
	struct stat sb;
	FILE *f;

	snprintf(p, sizeof(p), "%s/z.kst", tmpdir);
	write_dict_trace(p, KS_TRACE_BINARY);
	ck_assert_int_eq(stat(p, &sb), 0);
	buf = ks_xmalloc((size_t)sb.st_size);
	f = fopen(p, "rb");
	ck_assert_uint_eq(fread(buf, 1, (size_t)sb.st_size, f), (size_t)sb.st_size);
	fclose(f);
	for (long i = 24; i < sb.st_size; i++) { /* the first `pages` record: op 11 */
		if (buf[i] == KS_TR_PAGE && buf[i + 1] & 0x80) {
			buf[i + 40] ^= 0x55;
			break;
		}
		ck_assert_int_lt(i, 200);
	}
	write_file(p, buf, (size_t)sb.st_size);
	ck_assert_int_eq(read_all(p, &n, &err), KS_EPARSE);
	ck_assert_msg(strstr(err.msg, "corrupt pages record") || strstr(err.msg, "checksum"),
		      "%s", err.msg);
	/* truncated */
	write_file(p, buf, (size_t)sb.st_size / 2);
	ck_assert_int_eq(read_all(p, &n, &err), KS_EPARSE);
	ck_assert_msg(strstr(err.msg, "truncated"), "%s", err.msg);
	free(buf);
}
END_TEST

/* ---- importing memory images ---- */

/* An x86_64 ELF core as dump-guest-memory writes it: a PT_NOTE, then segment 0 at
 * address 0 (P(1), zero, P(1), P(2)) and segment 1 at 0x100000 (P(3), P(1) in the file,
 * 3 pages in memory). Returns the file size; *machine/class patch the header. */
static size_t make_core(uint8_t *buf, unsigned machine, unsigned elfclass)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)(void *)buf;
	Elf64_Phdr *ph = (Elf64_Phdr *)(void *)(buf + sizeof(*eh));
	size_t data = 4096; /* QEMU puts headers and notes first; the pages follow */
	const int seg0[4] = { 1, 0, 1, 2 }, seg1[2] = { 3, 1 };

	memset(buf, 0, data);
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = (uint8_t)elfclass;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_CORE;
	eh->e_machine = (uint16_t)machine;
	eh->e_version = EV_CURRENT;
	eh->e_phoff = sizeof(*eh);
	eh->e_ehsize = sizeof(*eh);
	eh->e_phentsize = sizeof(*ph);
	eh->e_phnum = 3;
	ph[0] = (Elf64_Phdr){ .p_type = PT_NOTE, .p_offset = 1024, .p_filesz = 16 };
	ph[1] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_offset = data, .p_paddr = 0,
			      .p_filesz = 4 * 4096, .p_memsz = 4 * 4096 };
	ph[2] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_offset = data + 4 * 4096,
			      .p_paddr = 0x100000, .p_filesz = 2 * 4096, .p_memsz = 3 * 4096 };
	for (unsigned i = 0; i < 4; i++) {
		if (seg0[i])
			rec_target_page(buf + data + i * 4096, (uint32_t)seg0[i]);
		else
			memset(buf + data + i * 4096, 0, 4096);
	}
	for (unsigned i = 0; i < 2; i++)
		rec_target_page(buf + data + (4 + i) * 4096, (uint32_t)seg1[i]);
	return data + 6 * 4096;
}

/* Checks one page of a replayed image: k as in rec_target_expect(). */
static void check_image_page(const struct page_map *m, uint64_t addr, int k)
{
	uint8_t want[KS_PAGE_SIZE];
	int slot = -1;

	for (unsigned s = 0; s < m->n; s++)
		if (m->vaddr[s] == KS_IMAGE_BASE + addr)
			slot = (int)s;
	ck_assert_msg(slot >= 0, "address 0x%" PRIx64 " not mapped", addr);
	ck_assert(m->mergeable[slot]);
	if (k < 0) {
		ck_assert_int_eq(m->dict[slot], -2);
	} else if (k == 0) {
		ck_assert_int_eq(m->dict[slot], -1);
	} else {
		ck_assert_int_ge(m->dict[slot], 0);
		rec_target_page(want, (uint32_t)k);
		ck_assert_msg(memcmp(m->dictpg[m->dict[slot]], want, KS_PAGE_SIZE) == 0,
			      "0x%" PRIx64 " holds the wrong bytes", addr);
	}
}

static struct page_map *replay_file(const char *path)
{
	struct ks_trace_rec *r = ks_xmalloc(sizeof(*r));
	struct page_map *m = ks_xcalloc(1, sizeof(*m));
	struct ks_trace_source *src;
	struct ks_err err;
	bool have = false;

	src = ks_trace_open(path, &err);
	ck_assert_msg(src != NULL, "%s", err.msg);
	pm_apply(m, src, r, &have, 1, KS_TIME_MAX);
	src->close(src);
	free(r);
	return m;
}

START_TEST(test_import_elf_core)
{
	uint8_t *buf = ks_xmalloc(16 * 4096);
	char in[512], out[512];
	struct ks_import_opts o = { .fmt = KS_TRACE_BINARY, .name = "guest" };
	struct ks_import_stats st;
	struct ks_err err;
	struct page_map *m;
	size_t n = make_core(buf, EM_X86_64, ELFCLASS64);

	snprintf(in, sizeof(in), "%s/core.elf", tmpdir);
	snprintf(out, sizeof(out), "%s/core.kst", tmpdir);
	write_file(in, buf, n);
	ck_assert_msg(ks_import_mem(in, out, &o, &st, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(st.regions, 2);
	ck_assert_uint_eq(st.pages, 6);
	ck_assert_uint_eq(st.zero_pages, 1);
	ck_assert_uint_eq(st.dict_pages, 3); /* P(1), P(2), P(3) */
	m = replay_file(out);
	ck_assert_uint_eq(m->starts, 1);
	ck_assert_uint_eq(m->exits, 0);
	check_image_page(m, 0x0000, 1);
	check_image_page(m, 0x1000, 0);
	check_image_page(m, 0x2000, 1);
	check_image_page(m, 0x3000, 2);
	check_image_page(m, 0x100000, 3);
	check_image_page(m, 0x101000, 1);
	check_image_page(m, 0x102000, -1); /* in memory, not in the file */
	free(m->dictpg);
	free(m);
	/* zero pages left out */
	o.zero_absent = true;
	ck_assert_msg(ks_import_mem(in, out, &o, &st, &err) == 0, "%s", err.msg);
	m = replay_file(out);
	check_image_page(m, 0x1000, -1);
	free(m->dictpg);
	free(m);
	free(buf);
}
END_TEST

START_TEST(test_import_raw)
{
	uint8_t *buf = ks_xcalloc(3, 4096);
	char in[512], out[512];
	struct ks_import_opts o = { .fmt = KS_TRACE_TEXT, .kind = KS_IMAGE_RAW };
	struct ks_import_stats st;
	struct ks_err err;
	struct page_map *m;

	rec_target_page(buf + 4096, 7);
	rec_target_page(buf + 8192, 7);
	snprintf(in, sizeof(in), "%s/mem.raw", tmpdir);
	snprintf(out, sizeof(out), "%s/mem.kstt", tmpdir);
	write_file(in, buf, 3 * 4096);
	ck_assert_msg(ks_import_mem(in, out, &o, &st, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(st.pages, 3);
	ck_assert_uint_eq(st.dict_pages, 1);
	m = replay_file(out);
	check_image_page(m, 0, 0);
	check_image_page(m, 4096, 7);
	check_image_page(m, 8192, 7);
	free(m->dictpg);
	free(m);
	free(buf);
}
END_TEST

/* A signal during an import (the stop flag set): KS_EINTR, and neither the trace nor
 * its temporary file is left (sim trace import exits 130). */
START_TEST(test_import_stopped)
{
	uint8_t *buf = ks_xcalloc(3, 4096);
	char in[512], out[512];
	volatile int stop = 15;
	struct ks_import_opts o = { .fmt = KS_TRACE_BINARY, .kind = KS_IMAGE_RAW, .stop = &stop };
	struct ks_err err;
	DIR *d;
	struct dirent *e;

	snprintf(in, sizeof(in), "%s/stop.raw", tmpdir);
	snprintf(out, sizeof(out), "%s/stop.kst", tmpdir);
	write_file(in, buf, 3 * 4096);
	ck_assert_int_eq(ks_import_mem(in, out, &o, NULL, &err), KS_EINTR);
	ck_assert_msg(strstr(err.msg, "interrupted by signal 15"), "%s", err.msg);
	d = opendir(tmpdir);
	while ((e = readdir(d)))
		ck_assert_msg(strncmp(e->d_name, "stop.kst", 8) != 0, "left %s", e->d_name);
	closedir(d);
	stop = 0; /* the same import, not stopped, writes the trace */
	ck_assert_msg(ks_import_mem(in, out, &o, NULL, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(access(out, F_OK), 0);
	free(buf);
}
END_TEST

/* Imports a bad image: KS_EPARSE, the message, and no trace left. */
static void import_fails(const uint8_t *data, size_t n, enum ks_image_kind kind,
			 const char *want)
{
	char in[512], out[512];
	struct ks_import_opts o = { .fmt = KS_TRACE_BINARY, .kind = kind };
	struct ks_err err;
	DIR *d;
	struct dirent *e;

	snprintf(in, sizeof(in), "%s/bad.img", tmpdir);
	snprintf(out, sizeof(out), "%s/bad.kst", tmpdir);
	write_file(in, data, n);
	ck_assert_int_eq(ks_import_mem(in, out, &o, NULL, &err), KS_EPARSE);
	ck_assert_msg(strstr(err.msg, want), "got '%s', want '%s'", err.msg, want);
	ck_assert_ptr_null(strchr(err.msg, '\n'));
	d = opendir(tmpdir);
	while ((e = readdir(d)))
		ck_assert_msg(strncmp(e->d_name, "bad.kst", 7) != 0, "left %s", e->d_name);
	closedir(d);
}

START_TEST(test_import_bad_images)
{
	uint8_t *buf = ks_xmalloc(16 * 4096);
	size_t n;

	n = make_core(buf, EM_AARCH64, ELFCLASS64);
	import_fails(buf, n, KS_IMAGE_AUTO, ":18: ELF machine 183 (aarch64), not x86_64: only "
		     "x86_64 dumps are supported");
	n = make_core(buf, EM_X86_64, ELFCLASS32);
	import_fails(buf, n, KS_IMAGE_AUTO, ":4: ELF class 1 is not ELF64");
	n = make_core(buf, EM_X86_64, ELFCLASS64);
	import_fails(buf, n - 100, KS_IMAGE_AUTO, ":176: segment 2 (bytes 20480..28672) runs past "
		     "the end of the file (28572 bytes): truncated dump");
	import_fails(buf, 40, KS_IMAGE_AUTO, ":0: truncated ELF header (64 bytes needed, the file "
		     "has 40)");
	import_fails(buf, 100, KS_IMAGE_AUTO, ":32: 3 program headers at offset 64 run past the "
		     "end of the file (100 bytes): truncated");
	((Elf64_Phdr *)(void *)(buf + sizeof(Elf64_Ehdr)))[2].p_paddr = 0x2000;
	import_fails(buf, n, KS_IMAGE_AUTO, ":176: segment 2 overlaps segment 1 (address 0x2000)");
	((Elf64_Phdr *)(void *)(buf + sizeof(Elf64_Ehdr)))[2].p_paddr = 0x100800;
	import_fails(buf, n, KS_IMAGE_AUTO, ":176: segment 2 (address 0x100800, 8192 bytes in "
		     "the file, 12288 in memory) is not whole pages");
	memset(buf, 0, 4096);
	import_fails(buf, 4096, KS_IMAGE_AUTO, ":0: not an ELF core dump (for a raw memory image "
		     "use --image raw)");
	import_fails(buf, 4000, KS_IMAGE_RAW, ":0: size 4000 is not a whole number of pages");
	import_fails(buf, 0, KS_IMAGE_RAW, ":0: size 0 is not a whole number of pages");
	free(buf);
}
END_TEST

/* ---- summaries: peak, saving at a time, convergence (reports/converge.c) ---- */

START_TEST(test_converge)
{
	/* saving grows in scan 1 and 2, flat in scans 3 and 4 */
	const struct ks_conv_point flat[] = {
		{ KS_S(1), 0, 0 }, { KS_S(2), 100, 1 }, { KS_S(3), 4000, 2 }, { KS_S(4), 4000, 3 },
		{ KS_S(5), 4010, 4 }, { KS_S(6), 4010, 4 },
	};
	/* still growing by 25% over the last scan */
	const struct ks_conv_point growing[] = {
		{ KS_S(1), 0, 0 }, { KS_S(2), 1000, 1 }, { KS_S(3), 3000, 2 }, { KS_S(4), 4000, 3 },
	};
	/* one scan only, then a drop from the peak */
	const struct ks_conv_point one[] = {
		{ KS_S(1), 500, 0 }, { KS_S(2), 900, 0 }, { KS_S(3), 800, 1 },
	};
	struct ks_convergence c;
	int64_t v;

	ks_convergence(flat, 6, &c);
	ck_assert(c.converged);
	ck_assert_uint_eq(c.scans, 4);
	ck_assert_int_eq(c.peak_saved, 4010);
	ck_assert_uint_eq(c.peak_t, KS_S(5));
	ks_convergence(growing, 4, &c);
	ck_assert(!c.converged);
	ck_assert_str_eq(c.why, "the saving still changed by 25.0% over the last full scan");
	ks_convergence(one, 3, &c);
	ck_assert(!c.converged);
	ck_assert_int_eq(c.peak_saved, 900);
	ck_assert_uint_eq(c.peak_t, KS_S(2));
	ck_assert_str_eq(c.why, "only 1 full scan completed (KSM needs two: the first only "
			 "fills the unstable tree)");
	ks_convergence(NULL, 0, &c);
	ck_assert(!c.converged);
	ck_assert(ks_saved_at(flat, 6, KS_MS(500), &v));
	ck_assert_int_eq(v, 0);
	ck_assert(ks_saved_at(flat, 6, KS_S(3), &v));
	ck_assert_int_eq(v, 4000);
	ck_assert(ks_saved_at(flat, 6, KS_MS(3500), &v));
	ck_assert_int_eq(v, 4000);
	ck_assert(!ks_saved_at(flat, 6, KS_S(7), &v));
}
END_TEST

Suite *ks_test_suite(void);

Suite *ks_test_suite(void)
{
	Suite *s = suite_create("record");
	TCase *rec = tcase_create("recorder");
	TCase *fmt = tcase_create("format");

	tcase_add_checked_fixture(rec, tmp_setup, tmp_teardown);
	tcase_add_checked_fixture(fmt, tmp_setup, tmp_teardown);
	tcase_set_timeout(rec, 60);
	tcase_set_timeout(fmt, 60);
	tcase_add_test(rec, test_record_kernel_slot_jiffies);
	tcase_add_test(rec, test_record_child_binary);
	tcase_add_test(rec, test_record_child_text);
	tcase_add_test(rec, test_record_sparse_huge);
	tcase_add_test(rec, test_record_child_gone_first);
	tcase_add_test(rec, test_record_no_such_pid);
	tcase_add_test(fmt, test_dict_round_trip);
	tcase_add_test(fmt, test_dict_old_version_rejects_pages);
	tcase_add_test(fmt, test_dict_bad_refs);
	tcase_add_test(fmt, test_dict_corrupt_frame);
	tcase_add_test(fmt, test_import_elf_core);
	tcase_add_test(fmt, test_import_raw);
	tcase_add_test(fmt, test_import_stopped);
	tcase_add_test(fmt, test_import_bad_images);
	tcase_add_test(fmt, test_converge);
	suite_add_tcase(s, rec);
	suite_add_tcase(s, fmt);
	return s;
}
