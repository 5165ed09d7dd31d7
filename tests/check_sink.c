/* check_sink.c - the SQLite results database: writer (sim/results/run_db.c), schema
 * (sim/results/schema.h), reports (reports/report.c) and `sim report` ($SIM).
 * Every test works in its own mkdtemp directory; values written through the sink are
 * read back with sqlite3 directly. */
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <check.h>
#include <sqlite3.h>

#include "reports/report.h"
#include "sim/results/run_db.h"
#include "sim/results/schema.h"
#include "tmpdir.h"

static char tmpdir[256];   /* per-test temporary directory */
static char dbpath[512];   /* tmpdir/results.db */

static void setup(void)
{
	ks_test_tmpdir(tmpdir, sizeof(tmpdir), "ks-sink");
	snprintf(dbpath, sizeof(dbpath), "%s/results.db", tmpdir);
}

static void teardown(void)
{
	ks_test_rmdir(tmpdir);
}

/* Sample i: every field distinct (field k holds i * 1000 + k) so swapped columns show. */
static struct ks_sample mk_sample(uint64_t i)
{
	struct ks_sample s = {
		.t = KS_MS(10) * i, .batch = i * 1000 + 1,
		.st = {
			.full_scans = i * 1000 + 2, .pages_scanned = i * 1000 + 3,
			.pages_shared = i * 1000 + 4, .pages_sharing = i * 1000 + 5,
			.pages_unshared = i * 1000 + 6, .pages_volatile = i * 1000 + 7,
			.pages_skipped = i * 1000 + 8, .stable_node_chains = i * 1000 + 9,
			.stable_node_dups = i * 1000 + 10, .ksm_zero_pages = i * 1000 + 11,
			.general_profit = -(int64_t)(i * 1000 + 12),
			.pages_to_scan = i * 1000 + 13, .rmap_items = i * 1000 + 14,
			.cow_ksm = i * 1000 + 15,
		},
		.ksmd_cpu_ns = i * 1000 + 16,
	};
	return s;
}

static const uint64_t *sample_fields(const struct ks_sample *s, uint64_t *f)
{
	uint64_t v[] = { s->t, s->batch, s->st.full_scans, s->st.pages_scanned,
		s->st.pages_shared, s->st.pages_sharing, s->st.pages_unshared,
		s->st.pages_volatile, s->st.pages_skipped, s->st.stable_node_chains,
		s->st.stable_node_dups, s->st.ksm_zero_pages, (uint64_t)s->st.general_profit,
		s->st.pages_to_scan, s->st.rmap_items, s->st.cow_ksm, s->ksmd_cpu_ns };

	memcpy(f, v, sizeof(v));
	return f;
}

static struct ks_proc_sample mk_proc(uint64_t i, unsigned p)
{
	static char names[4][16];
	struct ks_proc_sample ps;

	snprintf(names[p], sizeof(names[p]), "vm/%u", p);
	ps.t = KS_MS(10) * i;
	ps.pid = 100 + p;
	ps.process = names[p];
	ps.ps.ksm_rmap_items = i * 100 + p;
	ps.ps.ksm_zero_pages = i * 10 + p;
	ps.ps.ksm_merging_pages = i * 50 + p;
	ps.ps.ksm_process_profit = (int64_t)(i * 4096) - (int64_t)p;
	ps.ps.ksm_merge_any = p == 1;
	ps.ps.ksm_mergeable = p != 2;
	return ps;
}

static const struct ks_run_info test_info = {
	.scenario_name = "unit", .scenario_text = "name: unit\nseed: 7\n", .seed = 7,
	.sim_version = "0.1", .arch = "x86_64", .started_unix_ms = 1700000000123LL,
};

static struct ks_summary mk_summary(enum ks_run_status status, uint64_t n)
{
	struct ks_summary sum = {
		.status = status, .finished_unix_ms = 1700000001456LL,
		.sim_end = KS_MS(10) * n, .batches = n * 1000 + 1,
		.saved_bytes = 123 * 4096, .t90 = KS_MS(5), .ksmd_cpu_ns = 987654,
		.wall_seconds = 1.25,
	};
	return sum;
}

/* Writes one run of n samples and nproc processes per sample; returns its id. With
 * end == false the writer is closed without ks_run_db_end. */
static int64_t write_run(struct ks_run_db *s, uint64_t n, unsigned nproc,
			 enum ks_run_status status, bool end)
{
	struct ks_err err = { 0 };
	struct ks_summary sum = mk_summary(status, n);

	ck_assert_int_eq(ks_run_db_begin(s, &test_info, &err), 0);
	for (uint64_t i = 0; i < n; i++) {
		struct ks_sample smp = mk_sample(i);
		struct ks_proc_sample ps[8];

		ck_assert_uint_le(nproc, 8);
		for (unsigned p = 0; p < nproc; p++)
			ps[p] = mk_proc(i, p);
		ck_assert_int_eq(ks_run_db_sample(s, &smp, ps, nproc, &err), 0);
	}
	if (end)
		ck_assert_msg(ks_run_db_end(s, &sum, &err) == 0, "%s", err.msg);
	return ks_run_db_run_id(s);
}

static sqlite3 *db_open(void)
{
	sqlite3 *db;

	ck_assert_int_eq(sqlite3_open(dbpath, &db), SQLITE_OK);
	return db;
}

static int64_t db_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v;

	ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK, "%s: %s", sql,
		      sqlite3_errmsg(db));
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static struct ks_run_db *sink_open(void)
{
	struct ks_err err = { 0 };
	struct ks_run_db *s = ks_run_db_open(dbpath, &err);

	ck_assert_msg(s != NULL, "%s", err.msg);
	return s;
}

/* ---- core ---- */

START_TEST(test_sink_roundtrip_every_column)
{
	const uint64_t n = 40;
	struct ks_run_db *s = sink_open();
	int64_t id = write_run(s, n, 3, KS_RUN_COMPLETE, true);
	sqlite3 *db;
	sqlite3_stmt *st;
	uint64_t want[KS_RESULTS_SAMPLES_NCOLUMNS];
	uint64_t i = 0;

	ks_run_db_close(s);
	ck_assert_int_eq(id, 1);
	db = db_open();
	ck_assert_int_eq(db_int(db, "PRAGMA user_version"), KS_RESULTS_SCHEMA_VERSION);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT id, scenario, scenario_text, seed,"
		" sim_version, arch, started_unix_ms, finished_unix_ms, status, sim_end_ns,"
		" batches, saved_bytes, t90_ns, ksmd_cpu_ns, wall_seconds FROM runs", -1, &st,
		NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	ck_assert_int_eq(sqlite3_column_int64(st, 0), 1);
	ck_assert_str_eq((const char *)sqlite3_column_text(st, 1), "unit");
	ck_assert_str_eq((const char *)sqlite3_column_text(st, 2), "name: unit\nseed: 7\n");
	ck_assert_int_eq(sqlite3_column_int64(st, 3), 7);
	ck_assert_str_eq((const char *)sqlite3_column_text(st, 4), "0.1");
	ck_assert_str_eq((const char *)sqlite3_column_text(st, 5), "x86_64");
	ck_assert_int_eq(sqlite3_column_int64(st, 6), 1700000000123LL);
	ck_assert_int_eq(sqlite3_column_int64(st, 7), 1700000001456LL);
	ck_assert_str_eq((const char *)sqlite3_column_text(st, 8), "complete");
	ck_assert_int_eq(sqlite3_column_int64(st, 9), (int64_t)(KS_MS(10) * n));
	ck_assert_int_eq(sqlite3_column_int64(st, 10), n * 1000 + 1);
	ck_assert_int_eq(sqlite3_column_int64(st, 11), 123 * 4096);
	ck_assert_int_eq(sqlite3_column_int64(st, 12), (int64_t)KS_MS(5));
	ck_assert_int_eq(sqlite3_column_int64(st, 13), 987654);
	ck_assert_double_eq(sqlite3_column_double(st, 14), 1.25);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);

	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT run_id, " KS_RESULTS_SAMPLES_COLUMNS
		" FROM samples ORDER BY t_ns", -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct ks_sample smp = mk_sample(i);

		sample_fields(&smp, want);
		ck_assert_int_eq(sqlite3_column_int64(st, 0), id);
		for (int c = 0; c < KS_RESULTS_SAMPLES_NCOLUMNS; c++)
			ck_assert_msg((uint64_t)sqlite3_column_int64(st, c + 1) == want[c],
				      "sample %d column %s", (int)i, sqlite3_column_name(st, c + 1));
		i++;
	}
	sqlite3_finalize(st);
	ck_assert_int_eq(i, n);

	ck_assert_int_eq(db_int(db, "SELECT count(*) FROM process_samples"), n * 3);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT run_id, "
		KS_RESULTS_PROCESS_SAMPLES_COLUMNS " FROM process_samples"
		" ORDER BY t_ns, pid", -1, &st, NULL), SQLITE_OK);
	for (i = 0; i < n; i++) {
		for (unsigned p = 0; p < 3; p++) {
			struct ks_proc_sample ps = mk_proc(i, p);

			ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
			ck_assert_int_eq(sqlite3_column_int64(st, 0), id);
			ck_assert_int_eq(sqlite3_column_int64(st, 1), (int64_t)ps.t);
			ck_assert_int_eq(sqlite3_column_int64(st, 2), ps.pid);
			ck_assert_str_eq((const char *)sqlite3_column_text(st, 3), ps.process);
			ck_assert_int_eq(sqlite3_column_int64(st, 4), ps.ps.ksm_rmap_items);
			ck_assert_int_eq(sqlite3_column_int64(st, 5), ps.ps.ksm_zero_pages);
			ck_assert_int_eq(sqlite3_column_int64(st, 6), ps.ps.ksm_merging_pages);
			ck_assert_int_eq(sqlite3_column_int64(st, 7), ps.ps.ksm_process_profit);
			ck_assert_int_eq(sqlite3_column_int(st, 8), ps.ps.ksm_merge_any);
			ck_assert_int_eq(sqlite3_column_int(st, 9), ps.ps.ksm_mergeable);
		}
	}
	ck_assert_int_eq(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	sqlite3_close(db);
}
END_TEST

START_TEST(test_sink_two_runs_two_ids)
{
	struct ks_run_db *s = sink_open();
	int64_t a = write_run(s, 5, 1, KS_RUN_COMPLETE, true);
	int64_t b = write_run(s, 7, 1, KS_RUN_COMPLETE, true);
	int64_t c;
	sqlite3 *db;

	ks_run_db_close(s);
	s = sink_open(); /* re-running into the same file adds a run */
	c = write_run(s, 3, 0, KS_RUN_COMPLETE, true);
	ks_run_db_close(s);
	ck_assert_int_ne(a, b);
	ck_assert_int_ne(b, c);
	ck_assert_int_ne(a, c);
	db = db_open();
	ck_assert_int_eq(db_int(db, "SELECT count(*) FROM runs"), 3);
	ck_assert_int_eq(db_int(db, "SELECT count(*) FROM samples"), 15);
	ck_assert_int_eq(db_int(db, "SELECT count(*) FROM samples WHERE run_id ="
				" (SELECT max(id) FROM runs)"), 3);
	sqlite3_close(db);
}
END_TEST

START_TEST(test_sink_interrupted_keeps_samples)
{
	struct ks_run_db *s = sink_open();
	int64_t id = write_run(s, 9, 2, KS_RUN_INTERRUPTED, true);
	sqlite3 *db;
	sqlite3_stmt *st;

	ks_run_db_close(s);
	db = db_open();
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT status FROM runs WHERE id = ?1", -1,
					    &st, NULL), SQLITE_OK);
	sqlite3_bind_int64(st, 1, id);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	ck_assert_str_eq((const char *)sqlite3_column_text(st, 0), "interrupted");
	sqlite3_finalize(st);
	ck_assert_int_eq(db_int(db, "SELECT count(*) FROM samples"), 9);
	ck_assert_int_eq(db_int(db, "SELECT count(*) FROM process_samples"), 18);
	sqlite3_close(db);
}
END_TEST

START_TEST(test_sink_failed_status_commits)
{
	struct ks_run_db *s = sink_open();

	write_run(s, 4, 1, KS_RUN_FAILED, true);
	ks_run_db_close(s);
	sqlite3 *db = db_open();
	ck_assert_int_eq(db_int(db, "SELECT count(*) FROM runs WHERE status = 'failed'"), 1);
	ck_assert_int_eq(db_int(db, "SELECT count(*) FROM samples"), 4);
	sqlite3_close(db);
}
END_TEST

/* The known run behind the report tests: 31 samples 100 ms apart (3 s); pages_sharing
 * grows by 100 per sample up to 1000 (at 1 s), ksm_zero_pages is 24 from the second
 * sample on: final saving 1024 pages = 4 MiB; 90% (921.6 pages) is reached at 900 ms. */
static int64_t write_known_run(void)
{
	struct ks_run_info info = {
		.scenario_name = "small", .scenario_text = "name: small\n", .seed = 42,
		.sim_version = "0.1", .arch = "x86_64", .started_unix_ms = 1700000000000LL,
	};
	struct ks_summary sum = {
		.status = KS_RUN_COMPLETE, .finished_unix_ms = 1700000001000LL,
		.sim_end = KS_S(3), .batches = 300, .saved_bytes = 1024 * 4096,
		.t90 = KS_MS(900), .ksmd_cpu_ns = KS_MS(150), .wall_seconds = 0.25,
	};
	struct ks_err err = { 0 };
	struct ks_run_db *s = sink_open();
	int64_t id;

	ck_assert_int_eq(ks_run_db_begin(s, &info, &err), 0);
	for (uint64_t i = 0; i <= 30; i++) {
		struct ks_sample smp = { .t = KS_MS(100) * i, .batch = i * 10 };
		struct ks_proc_sample ps[2];

		smp.st.pages_sharing = i < 10 ? i * 100 : 1000;
		smp.st.ksm_zero_pages = i >= 1 ? 24 : 0;
		smp.st.pages_shared = smp.st.pages_sharing / 4;
		smp.st.full_scans = i / 5;
		smp.ksmd_cpu_ns = KS_MS(5) * i;
		for (unsigned p = 0; p < 2; p++) {
			ps[p] = mk_proc(i, p);
			ps[p].t = smp.t;
		}
		ck_assert_int_eq(ks_run_db_sample(s, &smp, ps, 2, &err), 0);
	}
	ck_assert_int_eq(ks_run_db_end(s, &sum, &err), 0);
	id = ks_run_db_run_id(s);
	ks_run_db_close(s);
	return id;
}

/* Report text of a run, via open_memstream (caller frees). */
static char *report_text(int64_t run_id, int *rc, struct ks_err *err)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	*rc = ks_report_print(dbpath, run_id, f, err);
	fclose(f);
	return buf;
}

/* The line of text that starts with prefix (copied into line), or false. */
static bool find_line(const char *text, const char *prefix, char *line, size_t n)
{
	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (!strncmp(p, prefix, strlen(prefix))) {
			size_t l = strcspn(p, "\n");

			snprintf(line, n, "%.*s", (int)l, p);
			return true;
		}
	}
	return false;
}

static void assert_line(const char *text, const char *want)
{
	char line[512];

	ck_assert_msg(find_line(text, want, line, sizeof(line)), "no line '%s' in:\n%s", want,
		      text);
	ck_assert_str_eq(line, want);
}

START_TEST(test_sink_report_known_figures)
{
	int64_t id = write_known_run();
	struct ks_err err = { 0 };
	char line[512], top[128], bottom[128];
	int rc;
	char *text = report_text(KS_REPORT_LAST_RUN, &rc, &err);

	ck_assert_msg(rc == 0, "%s", err.msg);
	ck_assert_int_eq(id, 1);
	assert_line(text, "run 1: scenario small, seed 42, arch x86_64, status complete");
	assert_line(text, "simulated time:     3.000 s (300 batches)");
	assert_line(text, "wall time:          0.250 s");
	assert_line(text, "started:            2023-11-14 22:13:20 UTC (sim 0.1)");
	assert_line(text, "memory saved:       4.00 MiB (1024 pages)");
	assert_line(text, "time to 90% saving: 900.000 ms");
	assert_line(text, "full scans:         6");
	assert_line(text, "ksmd CPU time:      150.000 ms (5.00% of simulated time)");
	/* Final counters: the last sample. */
	assert_line(text, "  pages_sharing                       1000");
	assert_line(text, "  ksm_zero_pages                        24");
	assert_line(text, "  ksmd_cpu_ns                    150000000");
	/* Chart: 60 columns over 3 s, one sample every 2 columns; full height from 1 s
	 * (column 20); the first sample (0 saved) leaves columns 0-1 empty. */
	memset(top, ' ', 20);
	memset(top + 20, '#', 40);
	top[60] = '\0';
	snprintf(line, sizeof(line), "   4.00 MiB |%s", top);
	assert_line(text, line);
	memset(bottom, '#', 60);
	bottom[0] = bottom[1] = ' ';
	bottom[60] = '\0';
	ck_assert_ptr_nonnull(strstr(text, bottom));
	ck_assert_ptr_nonnull(strstr(text, "        0 B +----"));
	/* Processes: the last sample (i = 30) of each. */
	ck_assert_msg(find_line(text, "      101 vm/1", line, sizeof(line)), "%s", text);
	{
		long pid, rmap, zero, merging, profit;
		int any, mergeable;
		char name[32];

		ck_assert_int_eq(sscanf(line, "%ld %31s %ld %ld %ld %ld %d %d", &pid, name,
					&rmap, &zero, &merging, &profit, &any, &mergeable), 8);
		ck_assert_int_eq(rmap, 3001);
		ck_assert_int_eq(zero, 301);
		ck_assert_int_eq(merging, 1501);
		ck_assert_int_eq(profit, 30 * 4096 - 1);
		ck_assert_int_eq(any, 1);
		ck_assert_int_eq(mergeable, 1);
	}
	free(text);
}
END_TEST

START_TEST(test_sink_report_csv_and_list)
{
	char *buf = NULL, line[512];
	size_t len = 0;
	struct ks_err err = { 0 };
	FILE *f;
	int nl = 0;

	write_known_run();
	write_known_run();
	f = open_memstream(&buf, &len);
	ck_assert_int_eq(ks_report_csv(dbpath, 2, f, &err), 0);
	fclose(f);
	ck_assert_msg(find_line(buf, "t_ns,", line, sizeof(line)), "%s", buf);
	ck_assert_str_eq(line, "t_ns,batch,full_scans,pages_scanned,pages_shared,"
			 "pages_sharing,pages_unshared,pages_volatile,pages_skipped,"
			 "stable_node_chains,stable_node_dups,ksm_zero_pages,general_profit,"
			 "pages_to_scan,rmap_items,cow_ksm,ksmd_cpu_ns");
	assert_line(buf, "3000000000,300,6,0,250,1000,0,0,0,0,0,24,0,0,0,0,150000000");
	for (char *p = buf; *p; p++)
		nl += *p == '\n';
	ck_assert_int_eq(nl, 32); /* header + 31 samples */
	free(buf);

	buf = NULL;
	f = open_memstream(&buf, &len);
	ck_assert_int_eq(ks_report_list(dbpath, f, &err), 0);
	fclose(f);
	ck_assert_msg(find_line(buf, "     1  small", line, sizeof(line)), "%s", buf);
	ck_assert_ptr_nonnull(strstr(line, " complete "));
	ck_assert_ptr_nonnull(strstr(line, " 42 "));
	ck_assert_ptr_nonnull(strstr(line, "2023-11-14 22:13:20 UTC"));
	ck_assert_ptr_nonnull(strstr(line, "4.00 MiB"));
	ck_assert(find_line(buf, "     2  small", line, sizeof(line)));
	ck_assert(!find_line(buf, "     3 ", line, sizeof(line)));
	free(buf);
}
END_TEST

/* ---- edges ---- */

START_TEST(test_sink_close_without_end_leaves_nothing)
{
	struct ks_run_db *s = sink_open();
	sqlite3 *db;

	write_run(s, 20, 2, KS_RUN_COMPLETE, true);
	write_run(s, 50, 2, KS_RUN_COMPLETE, false);
	ks_run_db_close(s);
	db = db_open();
	ck_assert_int_eq(db_int(db, "SELECT count(*) FROM runs"), 1);
	ck_assert_int_eq(db_int(db, "SELECT count(*) FROM samples"), 20);
	ck_assert_int_eq(db_int(db, "SELECT count(*) FROM process_samples"), 40);
	ck_assert_int_eq(db_int(db, "SELECT count(*) FROM samples WHERE run_id <> 1"), 0);
	sqlite3_close(db);
}
END_TEST

START_TEST(test_sink_process_death_leaves_nothing)
{
	struct ks_err err = { 0 };
	pid_t pid = fork();
	int status;
	sqlite3 *db;
	int rc;
	char *text;

	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		/* Enough rows to spill the page cache into the file mid-transaction. */
		struct ks_run_db *s = ks_run_db_open(dbpath, NULL);

		if (!s)
			_exit(3);
		write_run(s, 40000, 2, KS_RUN_COMPLETE, false);
		_exit(0); /* dies with the run open: no end_run, no close */
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* A report sees no run (the writer's journal is rolled back on open). */
	text = report_text(KS_REPORT_LAST_RUN, &rc, &err);
	free(text);
	ck_assert_int_eq(rc, KS_ENOENT);
	ck_assert_str_eq(err.msg + strlen(dbpath), ": no runs");
	db = db_open();
	ck_assert_int_eq(db_int(db, "SELECT count(*) FROM runs"), 0);
	ck_assert_int_eq(db_int(db, "SELECT count(*) FROM samples"), 0);
	ck_assert_int_eq(db_int(db, "SELECT count(*) FROM process_samples"), 0);
	ck_assert_int_eq(db_int(db, "SELECT count(*) FROM pragma_integrity_check"
				" WHERE integrity_check <> 'ok'"), 0);
	sqlite3_close(db);
	/* And the file takes the next run. */
	struct ks_run_db *s = sink_open();

	write_run(s, 3, 1, KS_RUN_COMPLETE, true);
	ks_run_db_close(s);
	db = db_open();
	ck_assert_int_eq(db_int(db, "SELECT count(*) FROM samples"), 3);
	sqlite3_close(db);
}
END_TEST

START_TEST(test_sink_many_samples)
{
	struct ks_run_db *s = sink_open();
	sqlite3 *db;

	/* many rows in the run's one transaction (its speed is make bench's business) */
	write_run(s, 50000, 1, KS_RUN_COMPLETE, true);
	ks_run_db_close(s);
	db = db_open();
	ck_assert_int_eq(db_int(db, "SELECT count(*) FROM samples"), 50000);
	sqlite3_close(db);
}
END_TEST

static const struct {
	uint64_t ns;
	const char *text;
} ns_cases[] = {
	{ 0, "0 ns" }, { 999, "999 ns" }, { 1500, "1.500 us" },
	{ KS_MS(20), "20.000 ms" }, { KS_MS(3250), "3.250 s" },
	{ KS_S(125), "2 min 5.000 s" }, { KS_S(3725), "1 h 02 min 05 s" },
};

START_TEST(test_sink_fmt_ns)
{
	char buf[64];

	ks_report_fmt_ns(buf, sizeof(buf), ns_cases[_i].ns);
	ck_assert_str_eq(buf, ns_cases[_i].text);
}
END_TEST

static const struct {
	int64_t bytes;
	const char *text;
} bytes_cases[] = {
	{ 0, "0 B" }, { 1023, "1023 B" }, { 3584, "3.50 KiB" },
	{ 1024 * 4096, "4.00 MiB" }, { 3LL << 30, "3.00 GiB" }, { -2048, "-2.00 KiB" },
};

START_TEST(test_sink_fmt_bytes)
{
	char buf[64];

	ks_report_fmt_bytes(buf, sizeof(buf), bytes_cases[_i].bytes);
	ck_assert_str_eq(buf, bytes_cases[_i].text);
}
END_TEST

START_TEST(test_sink_report_run_choice_and_unknown_t90)
{
	struct ks_err err = { 0 };
	struct ks_run_db *s = sink_open();
	struct ks_summary sum = mk_summary(KS_RUN_COMPLETE, 2);
	char *text;
	int rc;

	write_known_run(); /* run 1 */
	sum.t90 = KS_TIME_MAX; /* the engine's "never" */
	ck_assert_int_eq(ks_run_db_begin(s, &test_info, &err), 0);
	ck_assert_int_eq(ks_run_db_end(s, &sum, &err), 0);
	ks_run_db_close(s);

	text = report_text(KS_REPORT_LAST_RUN, &rc, &err);
	ck_assert_int_eq(rc, 0);
	assert_line(text, "run 2: scenario unit, seed 7, arch x86_64, status complete");
	assert_line(text, "time to 90% saving: unknown");
	assert_line(text, "final counters: no samples");
	ck_assert_ptr_nonnull(strstr(text, "(no samples)"));
	ck_assert_ptr_nonnull(strstr(text, "processes: none sampled"));
	free(text);
	text = report_text(1, &rc, &err);
	ck_assert_int_eq(rc, 0);
	assert_line(text, "run 1: scenario small, seed 42, arch x86_64, status complete");
	free(text);
}
END_TEST

/* ---- errors ---- */

START_TEST(test_sink_unwritable_path)
{
	struct ks_err err = { 0 };
	char p[600], want[700];
	struct ks_run_db *s;

	snprintf(p, sizeof(p), "%s/no-such-dir/x.db", tmpdir);
	s = ks_run_db_open(p, &err);
	ck_assert_ptr_null(s);
	ck_assert_int_eq(err.code, KS_EIO);
	snprintf(want, sizeof(want), "%s: cannot open results database: "
		 "unable to open database file", p);
	ck_assert_str_eq(err.msg, want);

	s = ks_run_db_open(tmpdir, &err); /* a directory */
	ck_assert_ptr_null(s);
	ck_assert_int_eq(err.code, KS_EIO);
	snprintf(want, sizeof(want), "%s: cannot open results database: is a directory",
		 tmpdir);
	ck_assert_str_eq(err.msg, want);

	if (geteuid() != 0) { /* root writes read-only files anyway */
		s = sink_open();
		ks_run_db_close(s);
		ck_assert_int_eq(chmod(dbpath, 0444), 0);
		s = ks_run_db_open(dbpath, &err);
		ck_assert_ptr_null(s);
		ck_assert_int_eq(err.code, KS_EIO);
		snprintf(want, sizeof(want), "%s: cannot open results database: "
			 "file is read-only", dbpath);
		ck_assert_str_eq(err.msg, want);
	}
}
END_TEST

START_TEST(test_sink_schema_version_mismatch)
{
	struct ks_err err = { 0 };
	sqlite3 *db = db_open();
	char want[700], *text;
	int rc;

	ck_assert_int_eq(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	snprintf(want, sizeof(want), "%s: results schema version 99, this sim writes "
		 "version %d", dbpath, KS_RESULTS_SCHEMA_VERSION);
	ck_assert_ptr_null(ks_run_db_open(dbpath, &err));
	ck_assert_int_eq(err.code, KS_ESQL);
	ck_assert_str_eq(err.msg, want);
	memset(&err, 0, sizeof(err));
	text = report_text(KS_REPORT_LAST_RUN, &rc, &err);
	free(text);
	ck_assert_int_eq(rc, KS_ESQL);
	ck_assert_str_eq(err.msg, want);
}
END_TEST

START_TEST(test_sink_not_a_results_database)
{
	struct ks_err err = { 0 };
	sqlite3 *db = db_open();
	char *text;
	int rc;
	FILE *f;

	/* Someone else's SQLite file: neither written into nor reported. */
	ck_assert_int_eq(sqlite3_exec(db, "CREATE TABLE t(x)", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	ck_assert_ptr_null(ks_run_db_open(dbpath, &err));
	ck_assert_int_eq(err.code, KS_ESQL);
	ck_assert_ptr_nonnull(strstr(err.msg, ": not a ksmsim results database"));
	text = report_text(KS_REPORT_LAST_RUN, &rc, &err);
	free(text);
	ck_assert_int_eq(rc, KS_ESQL);
	ck_assert_ptr_nonnull(strstr(err.msg, ": not a ksmsim results database"));
	ck_assert(!strncmp(err.msg, dbpath, strlen(dbpath)));

	/* A text file. */
	f = fopen(dbpath, "w");
	ck_assert_ptr_nonnull(f);
	fputs("this is not a database, it is a text file with enough bytes in it...\n", f);
	fclose(f);
	text = report_text(KS_REPORT_LAST_RUN, &rc, &err);
	free(text);
	ck_assert_int_eq(rc, KS_ESQL);
	ck_assert_ptr_nonnull(strstr(err.msg, ": not a ksmsim results database"));
}
END_TEST

START_TEST(test_sink_report_missing_file_and_run)
{
	struct ks_err err = { 0 };
	char want[700], *text;
	int rc;

	text = report_text(KS_REPORT_LAST_RUN, &rc, &err);
	free(text);
	ck_assert_int_eq(rc, KS_ENOENT);
	snprintf(want, sizeof(want), "%s: no such results database", dbpath);
	ck_assert_str_eq(err.msg, want);
	ck_assert_int_eq(access(dbpath, F_OK), -1); /* a report never creates the file */

	write_known_run();
	text = report_text(7, &rc, &err);
	free(text);
	ck_assert_int_eq(rc, KS_ENOENT);
	snprintf(want, sizeof(want), "%s: no run 7", dbpath);
	ck_assert_str_eq(err.msg, want);
}
END_TEST

/* Runs `$SIM args...` with stdout/stderr into files; returns the exit status. */
static int run_sim(const char *const *args, char *out, size_t nout, char *errt, size_t nerr)
{
	const char *sim = getenv("SIM") ? getenv("SIM") : "sim/sim";
	char po[600], pe[600];
	const char *argv[16];
	int n = 0, status;
	pid_t pid;
	FILE *f;

	snprintf(po, sizeof(po), "%s/out.txt", tmpdir);
	snprintf(pe, sizeof(pe), "%s/err.txt", tmpdir);
	argv[n++] = sim;
	for (int i = 0; args[i] && n < 15; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		int fo = open(po, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int fe = open(pe, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		dup2(fo, 1);
		dup2(fe, 2);
		execv(sim, (char *const *)argv);
		_exit(127);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) != 127, "cannot run %s", sim);
	f = fopen(po, "r");
	out[fread(out, 1, nout - 1, f)] = '\0';
	fclose(f);
	f = fopen(pe, "r");
	errt[fread(errt, 1, nerr - 1, f)] = '\0';
	fclose(f);
	unlink(po);
	unlink(pe);
	return WEXITSTATUS(status);
}

START_TEST(test_sink_sim_report_command)
{
	static char out[65536];
	char errt[2048], want[700];
	const char *missing[] = { "report", dbpath, NULL };
	const char *text[] = { "report", dbpath, NULL };
	const char *norun[] = { "report", dbpath, "--run", "9", NULL };
	const char *csv[] = { "report", "--format=csv", dbpath, "--run", "last", NULL };
	const char *list[] = { "report", dbpath, "--list", NULL };
	const char *badfmt[] = { "report", dbpath, "--format", "xml", NULL };

	ck_assert_int_eq(run_sim(missing, out, sizeof(out), errt, sizeof(errt)), 2);
	snprintf(want, sizeof(want), "sim: %s: no such results database\n", dbpath);
	ck_assert_str_eq(errt, want);
	ck_assert_str_eq(out, "");

	write_known_run();
	ck_assert_int_eq(run_sim(text, out, sizeof(out), errt, sizeof(errt)), 0);
	ck_assert_str_eq(errt, "");
	assert_line(out, "memory saved:       4.00 MiB (1024 pages)");
	assert_line(out, "time to 90% saving: 900.000 ms");

	ck_assert_int_eq(run_sim(norun, out, sizeof(out), errt, sizeof(errt)), 2);
	snprintf(want, sizeof(want), "sim: %s: no run 9\n", dbpath);
	ck_assert_str_eq(errt, want);

	ck_assert_int_eq(run_sim(csv, out, sizeof(out), errt, sizeof(errt)), 0);
	ck_assert(!strncmp(out, "t_ns,batch,full_scans,", 22));
	assert_line(out, "3000000000,300,6,0,250,1000,0,0,0,0,0,24,0,0,0,0,150000000");

	ck_assert_int_eq(run_sim(list, out, sizeof(out), errt, sizeof(errt)), 0);
	ck_assert_ptr_nonnull(strstr(out, "     1  small"));

	ck_assert_int_eq(run_sim(badfmt, out, sizeof(out), errt, sizeof(errt)), 2);
	ck_assert_str_eq(errt, "sim: report: --format is text, csv or json, not 'xml'; "
			 "try 'sim report --help'\n");
}
END_TEST

Suite *ks_test_suite(void);

Suite *ks_test_suite(void)
{
	Suite *s = suite_create("sink");
	TCase *core = tcase_create("core");
	TCase *edges = tcase_create("edges");
	TCase *errors = tcase_create("errors");

	tcase_add_checked_fixture(core, setup, teardown);
	tcase_add_test(core, test_sink_roundtrip_every_column);
	tcase_add_test(core, test_sink_two_runs_two_ids);
	tcase_add_test(core, test_sink_interrupted_keeps_samples);
	tcase_add_test(core, test_sink_failed_status_commits);
	tcase_add_test(core, test_sink_report_known_figures);
	tcase_add_test(core, test_sink_report_csv_and_list);
	suite_add_tcase(s, core);

	tcase_add_checked_fixture(edges, setup, teardown);
	tcase_set_timeout(edges, 60);
	tcase_add_test(edges, test_sink_close_without_end_leaves_nothing);
	tcase_add_test(edges, test_sink_process_death_leaves_nothing);
	tcase_add_test(edges, test_sink_many_samples);
	tcase_add_loop_test(edges, test_sink_fmt_ns, 0,
			    (int)(sizeof(ns_cases) / sizeof(ns_cases[0])));
	tcase_add_loop_test(edges, test_sink_fmt_bytes, 0,
			    (int)(sizeof(bytes_cases) / sizeof(bytes_cases[0])));
	tcase_add_test(edges, test_sink_report_run_choice_and_unknown_t90);
	suite_add_tcase(s, edges);

	tcase_add_checked_fixture(errors, setup, teardown);
	tcase_add_test(errors, test_sink_unwritable_path);
	tcase_add_test(errors, test_sink_schema_version_mismatch);
	tcase_add_test(errors, test_sink_not_a_results_database);
	tcase_add_test(errors, test_sink_report_missing_file_and_run);
	tcase_add_test(errors, test_sink_sim_report_command);
	suite_add_tcase(s, errors);
	return s;
}
