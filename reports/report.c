/* report.c - reading results databases (sim/results/db.h opens and checks them): the
 * text, CSV and list reports behind `sim report` and the end-of-run summary.
 *
 * Every report opens the file itself (read-write without create, so that a hot journal
 * left by a writer that died is rolled back; nothing is ever written), checks the
 * schema, resolves the run, prints, and closes. Figures come from the runs row where
 * the writer stored them (saved_bytes, t90_ns, ksmd_cpu_ns) and from the samples
 * otherwise (final counters, chart). */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sqlite3.h>

#include "converge.h"
#include "report.h"
#include "report_int.h"
#include "models/base/status.h"
#include "sim/results/db.h"
#include "sim/results/schema.h"

enum {
	CHART_COLS = 60,  /* chart width, characters (one column per time slice) */
	CHART_ROWS = 12,  /* chart height, lines */
	LABEL_WIDTH = 20  /* width of "name:" labels in the text report */
};

/* The runs row of the reported run (numbers only; text is printed straight away). */
struct report_run {
	int64_t id;            /* runs.id */
	uint64_t sim_end_ns;   /* simulated ns at the end */
	uint64_t batches;      /* ksmd batches */
	bool has_saved;        /* saved_bytes not NULL */
	int64_t saved_bytes;   /* bytes saved at the end */
	bool has_t90;          /* t90_ns not NULL */
	uint64_t t90_ns;       /* simulated ns to 90% of the final saving */
	bool has_cpu;          /* ksmd_cpu_ns not NULL */
	uint64_t ksmd_cpu_ns;  /* simulated ksmd CPU ns */
};

int ks_report_resolve_run(sqlite3 *db, const char *path, int64_t run_id, int64_t *id,
			  struct ks_err *err)
{
	int64_t n;
	int rc;

	if (run_id == KS_REPORT_LAST_RUN) {
		rc = ks_db_query_int(db, path, "SELECT coalesce(max(id), 0) FROM runs", NULL, 0, &n,
			       err);
		if (rc)
			return rc;
		if (n == 0)
			return ks_err_set(err, KS_ENOENT, "%s: no runs", path);
		*id = n;
		return 0;
	}
	rc = ks_db_query_int(db, path, "SELECT count(*) FROM runs WHERE id = ?1", NULL, run_id, &n,
		       err);
	if (rc)
		return rc;
	if (n == 0)
		return ks_err_set(err, KS_ENOENT, "%s: no run %" PRId64, path, run_id);
	*id = run_id;
	return 0;
}

int ks_report_out_check(FILE *out, const char *path, struct ks_err *err)
{
	if (fflush(out) != 0 || ferror(out))
		return ks_err_set(err, KS_EIO, "%s: cannot write report: %s", path,
				  strerror(errno));
	return 0;
}

void ks_report_fmt_bytes(char *buf, size_t n, int64_t bytes)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	double v = (double)bytes;
	size_t u = 0;

	if (bytes > -1024 && bytes < 1024) {
		snprintf(buf, n, "%" PRId64 " B", bytes);
		return;
	}
	v /= 1024.0;
	while (fabs(v) >= 1024.0 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024.0;
		u++;
	}
	snprintf(buf, n, "%.2f %s", v, units[u]);
}

void ks_report_fmt_ns(char *buf, size_t n, uint64_t ns)
{
	const uint64_t us = 1000, ms = 1000000, s = 1000000000;

	if (ns < us)
		snprintf(buf, n, "%" PRIu64 " ns", ns);
	else if (ns < ms)
		snprintf(buf, n, "%" PRIu64 ".%03" PRIu64 " us", ns / us, ns % us);
	else if (ns < s)
		snprintf(buf, n, "%" PRIu64 ".%03" PRIu64 " ms", ns / ms, ns % ms / us);
	else if (ns < 60 * s)
		snprintf(buf, n, "%" PRIu64 ".%03" PRIu64 " s", ns / s, ns % s / ms);
	else if (ns < 3600 * s)
		snprintf(buf, n, "%" PRIu64 " min %" PRIu64 ".%03" PRIu64 " s", ns / (60 * s),
			 ns / s % 60, ns % s / ms);
	else
		snprintf(buf, n, "%" PRIu64 " h %02" PRIu64 " min %02" PRIu64 " s",
			 ns / (3600 * s), ns / (60 * s) % 60, ns / s % 60);
}

void ks_report_fmt_unix_ms(char *buf, size_t n, int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(buf, n, "%Y-%m-%d %H:%M:%S UTC", &tm))
		snprintf(buf, n, "%" PRId64 " ms", ms);
}

const char *ks_report_col_text(sqlite3_stmt *st, int i, const char *dflt)
{
	const unsigned char *s = sqlite3_column_text(st, i);

	return s ? (const char *)s : dflt;
}

/* Header lines from the runs row; fills *run. */
static int print_header(sqlite3 *db, const char *path, FILE *out, struct report_run *run,
			struct ks_err *err)
{
	sqlite3_stmt *st;
	char t[64], wall[64];
	int rc;

	rc = ks_db_prep(db, path, "SELECT scenario, seed, arch, status, sim_end_ns, batches,"
		  " wall_seconds, saved_bytes, t90_ns, ksmd_cpu_ns, started_unix_ms,"
		  " sim_version FROM runs WHERE id = ?1", &st, err);
	if (rc)
		return rc;
	if (sqlite3_bind_int64(st, 1, run->id) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW) {
		rc = ks_db_fail(db, path, err);
		goto out_finalize;
	}
	run->sim_end_ns = (uint64_t)ks_db_col_i64(st, 4);
	run->batches = (uint64_t)ks_db_col_i64(st, 5);
	run->has_saved = sqlite3_column_type(st, 7) != SQLITE_NULL;
	run->saved_bytes = ks_db_col_i64(st, 7);
	run->has_t90 = sqlite3_column_type(st, 8) != SQLITE_NULL;
	run->t90_ns = (uint64_t)ks_db_col_i64(st, 8);
	run->has_cpu = sqlite3_column_type(st, 9) != SQLITE_NULL;
	run->ksmd_cpu_ns = (uint64_t)ks_db_col_i64(st, 9);

	fprintf(out, "run %" PRId64 ": scenario %s, seed %" PRIu64 ", arch %s, status %s\n",
		run->id, ks_report_col_text(st, 0, "?"), (uint64_t)ks_db_col_i64(st, 1),
		ks_report_col_text(st, 2, "?"), ks_report_col_text(st, 3, "?"));
	ks_report_fmt_ns(t, sizeof(t), run->sim_end_ns);
	fprintf(out, "%-*s%s (%" PRIu64 " batches)\n", LABEL_WIDTH, "simulated time:", t,
		run->batches);
	if (sqlite3_column_type(st, 6) != SQLITE_NULL)
		snprintf(wall, sizeof(wall), "%.3f s", sqlite3_column_double(st, 6));
	else
		snprintf(wall, sizeof(wall), "unknown");
	fprintf(out, "%-*s%s\n", LABEL_WIDTH, "wall time:", wall);
	if (sqlite3_column_type(st, 10) != SQLITE_NULL) {
		ks_report_fmt_unix_ms(t, sizeof(t), ks_db_col_i64(st, 10));
		fprintf(out, "%-*s%s (sim %s)\n", LABEL_WIDTH, "started:", t,
			ks_report_col_text(st, 11, "?"));
	}
out_finalize:
	sqlite3_finalize(st);
	return rc;
}

/* Peak saving and convergence, from the run's samples (reports/converge.h): whether the
 * time to 90% above is of a saving that had settled. */
static int print_convergence(sqlite3 *db, const char *path, FILE *out,
			     const struct report_run *run, struct ks_err *err)
{
	struct ks_conv_point *p = NULL;
	struct ks_convergence c;
	size_t n = 0, cap = 0;
	sqlite3_stmt *st;
	char buf[64], t[32];
	int rc, step;

	rc = ks_db_prep(db, path, "SELECT t_ns, pages_sharing + ksm_zero_pages, full_scans "
			"FROM samples WHERE run_id = ?1 ORDER BY t_ns, rowid", &st, err);
	if (rc)
		return rc;
	if (sqlite3_bind_int64(st, 1, run->id) != SQLITE_OK) {
		rc = ks_db_fail(db, path, err);
		sqlite3_finalize(st);
		return rc;
	}
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? 2 * cap : 256;
			p = realloc(p, cap * sizeof(*p));
			if (!p)
				abort();
		}
		p[n++] = (struct ks_conv_point){ (ks_time)ks_db_col_i64(st, 0),
						 ks_db_col_i64(st, 1) * KS_RESULTS_PAGE_BYTES,
						 (uint64_t)ks_db_col_i64(st, 2) };
	}
	if (step != SQLITE_DONE) {
		rc = ks_db_fail(db, path, err);
		sqlite3_finalize(st);
		free(p);
		return rc;
	}
	sqlite3_finalize(st);
	if (n) {
		ks_convergence(p, n, &c);
		ks_report_fmt_bytes(buf, sizeof(buf), c.peak_saved);
		ks_report_fmt_ns(t, sizeof(t), c.peak_t);
		fprintf(out, "%-*s%s, first reached at %s\n", LABEL_WIDTH, "peak saving:", buf, t);
		if (c.converged)
			fprintf(out, "%-*sreached (the saving moved %.1f%% over the last full "
				"scan)\n", LABEL_WIDTH, "convergence:", 100.0 * c.change);
		else
			fprintf(out, "%-*sNOT reached: %s; the time to 90%% is of a saving that "
				"may still grow\n", LABEL_WIDTH, "convergence:", c.why);
	}
	free(p);
	return 0;
}

/* Final counters (the last sample) and the saving figures. */
/* The readers by process group (the part of the process name before '/'): table
 * read_procs (a file older than the table prints nothing). */
static int print_read_groups(sqlite3 *db, const char *path, FILE *out, int64_t run_id,
			     struct ks_err *err)
{
	sqlite3_stmt *st;
	char with[32], without[32], who[128];
	int step, n = 0;

	if (sqlite3_prepare_v2(db, "SELECT substr(process, 1, instr(process || '/', '/') - 1)"
			       " AS grp, count(*), min(process), sum(ns), sum(ns_noksm), sum(pages),"
			       " sum(synonym_pages) FROM read_procs WHERE run_id = ?1"
			       " GROUP BY grp ORDER BY min(rowid)", -1, &st, NULL) != SQLITE_OK) {
		sqlite3_finalize(st);
		return 0;
	}
	sqlite3_bind_int64(st, 1, run_id);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t procs = ks_db_col_i64(st, 1), ns = ks_db_col_i64(st, 3);
		int64_t noksm = ks_db_col_i64(st, 4);

		ks_report_fmt_ns(with, sizeof(with), (uint64_t)ns);
		ks_report_fmt_ns(without, sizeof(without), (uint64_t)noksm);
		if (procs == 1)
			snprintf(who, sizeof(who), "%s", ks_report_col_text(st, 2, "?"));
		else
			snprintf(who, sizeof(who), "%s (%" PRId64 " processes)",
				 ks_report_col_text(st, 0, "?"), procs);
		fprintf(out, "%-*s%s: %s with KSM, %s without (x%.3f; %" PRId64 " pages, %" PRId64
			" synonyms)\n", LABEL_WIDTH, n++ ? "" : "readers by group:", who, with,
			without, noksm > 0 ? (double)ns / (double)noksm : 1.0,
			ks_db_col_i64(st, 5), ks_db_col_i64(st, 6));
	}
	sqlite3_finalize(st);
	return step == SQLITE_DONE ? 0 : ks_db_fail(db, path, err);
}

/* The readers' time of a run that read (table reads; a file older than the table, or a
 * run without reads, prints nothing). */
static int print_reads(sqlite3 *db, const char *path, FILE *out, int64_t run_id,
		       struct ks_err *err)
{
	sqlite3_stmt *st;
	char with[32], without[32];
	int step;

	if (sqlite3_prepare_v2(db, "SELECT variant, zero_page_colours, pages, ns, ns_noksm,"
			       " synonym_pages FROM reads WHERE run_id = ?1", -1, &st,
			       NULL) != SQLITE_OK) {
		sqlite3_finalize(st);
		return 0;
	}
	sqlite3_bind_int64(st, 1, run_id);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		int64_t ns = ks_db_col_i64(st, 3), noksm = ks_db_col_i64(st, 4);

		ks_report_fmt_ns(with, sizeof(with), (uint64_t)ns);
		ks_report_fmt_ns(without, sizeof(without), (uint64_t)noksm);
		fprintf(out, "%-*s%s with KSM, %s without (x%.3f; %" PRId64 " pages read, %"
			PRId64 " cache synonyms; %s, %" PRId64 " zero pages)\n", LABEL_WIDTH,
			"readers' time:", with, without,
			noksm > 0 ? (double)ns / (double)noksm : 1.0, ks_db_col_i64(st, 2),
			ks_db_col_i64(st, 5), ks_report_col_text(st, 0, "?"),
			ks_db_col_i64(st, 1));
	}
	sqlite3_finalize(st);
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		return ks_db_fail(db, path, err);
	return step == SQLITE_ROW ? print_read_groups(db, path, out, run_id, err) : 0;
}

static int print_final(sqlite3 *db, const char *path, FILE *out, const struct report_run *run,
		       struct ks_err *err)
{
	sqlite3_stmt *st;
	char buf[64], buf2[64];
	int64_t saved_pages = -1, full_scans = -1;
	int rc, step;

	rc = ks_db_prep(db, path, "SELECT " KS_RESULTS_SAMPLES_COLUMNS " FROM samples"
		  " WHERE run_id = ?1 ORDER BY t_ns DESC, rowid DESC LIMIT 1", &st, err);
	if (rc)
		return rc;
	if (sqlite3_bind_int64(st, 1, run->id) != SQLITE_OK)
		goto err_sql;
	step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		ks_report_fmt_ns(buf, sizeof(buf), (uint64_t)ks_db_col_i64(st, 0));
		fprintf(out, "\nfinal counters (sample at %s):\n", buf);
		for (int i = 1; i < sqlite3_column_count(st); i++) {
			const char *name = sqlite3_column_name(st, i);
			int64_t v = ks_db_col_i64(st, i);

			fprintf(out, "  %-20s%20" PRId64 "\n", name, v);
			if (!strcmp(name, "full_scans"))
				full_scans = v;
			if (!strcmp(name, "pages_sharing") || !strcmp(name, "ksm_zero_pages"))
				saved_pages = (saved_pages < 0 ? 0 : saved_pages) + v;
		}
	} else if (step == SQLITE_DONE) {
		fprintf(out, "\nfinal counters: no samples\n");
	} else {
		goto err_sql;
	}
	sqlite3_finalize(st);

	fputc('\n', out);
	if (run->has_saved) {
		ks_report_fmt_bytes(buf, sizeof(buf), run->saved_bytes);
		fprintf(out, "%-*s%s (%" PRId64 " pages)\n", LABEL_WIDTH, "memory saved:", buf,
			run->saved_bytes / KS_RESULTS_PAGE_BYTES);
	} else if (saved_pages >= 0) {
		ks_report_fmt_bytes(buf, sizeof(buf), saved_pages * KS_RESULTS_PAGE_BYTES);
		fprintf(out, "%-*s%s (%" PRId64 " pages)\n", LABEL_WIDTH, "memory saved:", buf,
			saved_pages);
	} else {
		fprintf(out, "%-*sunknown\n", LABEL_WIDTH, "memory saved:");
	}
	if (run->has_t90)
		ks_report_fmt_ns(buf, sizeof(buf), run->t90_ns);
	else
		snprintf(buf, sizeof(buf), "unknown");
	fprintf(out, "%-*s%s\n", LABEL_WIDTH, "time to 90% saving:", buf);
	rc = print_convergence(db, path, out, run, err);
	if (rc)
		return rc;
	if (full_scans >= 0)
		fprintf(out, "%-*s%" PRId64 "\n", LABEL_WIDTH, "full scans:", full_scans);
	if (run->has_cpu) {
		ks_report_fmt_ns(buf, sizeof(buf), run->ksmd_cpu_ns);
		if (run->sim_end_ns > 0)
			snprintf(buf2, sizeof(buf2), " (%.2f%% of simulated time)",
				 100.0 * (double)run->ksmd_cpu_ns / (double)run->sim_end_ns);
		else
			buf2[0] = '\0';
		fprintf(out, "%-*s%s%s\n", LABEL_WIDTH, "ksmd CPU time:", buf, buf2);
	}
	return print_reads(db, path, out, run->id, err);

err_sql:
	rc = ks_db_fail(db, path, err);
	sqlite3_finalize(st);
	return rc;
}

/* ASCII chart of (pages_sharing + ksm_zero_pages) * 4096 over simulated time: each
 * column shows the last sample in its time slice (carried forward over empty slices). */
static int print_chart(sqlite3 *db, const char *path, FILE *out, const struct report_run *run,
		       struct ks_err *err)
{
	int64_t col_val[CHART_COLS];
	int64_t vmax = 0;
	uint64_t tmax = run->sim_end_ns;
	sqlite3_stmt *st;
	char lab[32], lab2[32];
	int rc, step, nsamples = 0;

	rc = ks_db_prep(db, path, "SELECT t_ns, (pages_sharing + ksm_zero_pages) FROM samples"
		  " WHERE run_id = ?1 ORDER BY t_ns, rowid", &st, err);
	if (rc)
		return rc;
	if (sqlite3_bind_int64(st, 1, run->id) != SQLITE_OK)
		goto err_sql;
	for (int c = 0; c < CHART_COLS; c++)
		col_val[c] = -1;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		uint64_t t = (uint64_t)ks_db_col_i64(st, 0);
		int64_t v = ks_db_col_i64(st, 1) * KS_RESULTS_PAGE_BYTES;
		int c;

		if (t > tmax)
			tmax = t;
		c = tmax ? (int)((double)t / (double)tmax * CHART_COLS) : 0;
		if (c >= CHART_COLS)
			c = CHART_COLS - 1;
		col_val[c] = v;
		if (v > vmax)
			vmax = v;
		nsamples++;
	}
	if (step != SQLITE_DONE)
		goto err_sql;
	sqlite3_finalize(st);

	fprintf(out, "\nsaved memory over simulated time:\n");
	if (nsamples == 0) {
		fprintf(out, "  (no samples)\n");
		return 0;
	}
	if (vmax <= 0) {
		fprintf(out, "  (no memory saved)\n");
		return 0;
	}
	for (int c = 1; c < CHART_COLS; c++)
		if (col_val[c] < 0 && col_val[c - 1] >= 0)
			col_val[c] = col_val[c - 1];
	ks_report_fmt_bytes(lab, sizeof(lab), vmax);
	ks_report_fmt_bytes(lab2, sizeof(lab2), vmax / 2);
	for (int r = CHART_ROWS; r >= 1; r--) {
		const char *label = r == CHART_ROWS ? lab : r == CHART_ROWS / 2 ? lab2 : "";

		fprintf(out, "%11s |", label);
		for (int c = 0; c < CHART_COLS; c++) {
			int level = col_val[c] <= 0 ? 0 :
				(int)ceil((double)col_val[c] * CHART_ROWS / (double)vmax);

			fputc(level >= r ? '#' : ' ', out);
		}
		fputc('\n', out);
	}
	fprintf(out, "%11s +", "0 B");
	for (int c = 0; c < CHART_COLS; c++)
		fputc('-', out);
	ks_report_fmt_ns(lab, sizeof(lab), tmax);
	fprintf(out, "\n%13s0 s%*s\n", "", CHART_COLS - 3, lab);
	return 0;

err_sql:
	rc = ks_db_fail(db, path, err);
	sqlite3_finalize(st);
	return rc;
}

/* The last process_samples row of each process. */
static int print_processes(sqlite3 *db, const char *path, FILE *out,
			   const struct report_run *run, struct ks_err *err)
{
	sqlite3_stmt *st;
	int rc, step, n = 0;

	/* SQLite takes the bare columns from the row holding max(t_ns). */
	rc = ks_db_prep(db, path, "SELECT pid, process, max(t_ns), ksm_rmap_items, ksm_zero_pages,"
		  " ksm_merging_pages, ksm_process_profit, ksm_merge_any, ksm_mergeable"
		  " FROM process_samples WHERE run_id = ?1 GROUP BY pid, process"
		  " ORDER BY pid, process", &st, err);
	if (rc)
		return rc;
	if (sqlite3_bind_int64(st, 1, run->id) != SQLITE_OK)
		goto err_sql;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (n++ == 0)
			fprintf(out, "\nprocesses (last sample of each):\n"
				"  %7s %-12s %14s %14s %17s %18s %13s %13s\n", "pid", "process",
				"ksm_rmap_items", "ksm_zero_pages", "ksm_merging_pages",
				"ksm_process_profit", "ksm_merge_any", "ksm_mergeable");
		fprintf(out, "  %7" PRId64 " %-12s %14" PRId64 " %14" PRId64 " %17" PRId64
			" %18" PRId64 " %13d %13d\n",
			ks_db_col_i64(st, 0), ks_report_col_text(st, 1, "?"),
			ks_db_col_i64(st, 3), ks_db_col_i64(st, 4),
			ks_db_col_i64(st, 5), ks_db_col_i64(st, 6),
			sqlite3_column_int(st, 7), sqlite3_column_int(st, 8));
	}
	if (step != SQLITE_DONE)
		goto err_sql;
	if (n == 0)
		fprintf(out, "\nprocesses: none sampled\n");
	sqlite3_finalize(st);
	return 0;

err_sql:
	rc = ks_db_fail(db, path, err);
	sqlite3_finalize(st);
	return rc;
}

void ks_report_fmt_pow2(char *buf, size_t n, uint64_t v)
{
	static const char suffix[] = { 0, 'K', 'M', 'G', 'T', 'P' };
	unsigned s = 0;

	while (v >= 1024 && v % 1024 == 0 && s < sizeof(suffix) - 1) {
		v /= 1024;
		s++;
	}
	if (s)
		snprintf(buf, n, "%" PRIu64 "%c", v, suffix[s]);
	else
		snprintf(buf, n, "%" PRIu64, v);
}

enum { HIST_BAR = 52 };

void ks_report_hist(const uint64_t *lo, const uint64_t *hi, const uint64_t *count,
		    size_t n, FILE *out)
{
	size_t first = n, last = 0;
	uint64_t max = 0;

	for (size_t b = 0; b < n; b++) {
		if (!count[b])
			continue;
		if (first == n)
			first = b;
		last = b;
		if (count[b] > max)
			max = count[b];
	}
	for (size_t b = first; b < n && b <= last; b++) {
		char l[24], h[24], label[64], bar[HIST_BAR + 1];
		unsigned len = (unsigned)(count[b] * HIST_BAR / max);

		ks_report_fmt_pow2(l, sizeof(l), lo[b]);
		ks_report_fmt_pow2(h, sizeof(h), hi[b]);
		snprintf(label, sizeof(label), "[%s, %s)", l, h);
		memset(bar, '@', len);
		memset(bar + len, ' ', HIST_BAR - len);
		bar[HIST_BAR] = 0;
		fprintf(out, "%-14s %8" PRIu64 " |%s|\n", label, count[b], bar);
	}
}

/* The run's cost tables, when it had a cost model: ksmd CPU by component and the
 * cmp_and_merge_page latency histograms. Nothing when the tables are empty. */
static int print_costs(sqlite3 *db, const char *path, FILE *out, const struct report_run *run,
		       struct ks_err *err)
{
	static const char *const kinds[] = { "anon", "ksm" };
	sqlite3_stmt *st = NULL;
	int rc, step, n = 0;

	rc = ks_db_prep(db, path, "SELECT component, ns, share FROM cost_components WHERE run_id = ?"
		  " ORDER BY rowid", &st, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, run->id);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		char t[32];

		if (n++ == 0)
			fprintf(out, "\nksmd CPU by component:\n  %-10s %16s %7s\n", "component",
				"time", "share");
		ks_report_fmt_ns(t, sizeof(t), (uint64_t)ks_db_col_i64(st, 1));
		fprintf(out, "  %-10s %16s %6.1f%%\n", ks_report_col_text(st, 0, "?"), t,
			100.0 * sqlite3_column_double(st, 2));
	}
	sqlite3_finalize(st);
	if (step != SQLITE_DONE)
		return ks_db_fail(db, path, err);
	for (unsigned k = 0; k < 2; k++) {
		uint64_t lo[64], hi[64], cnt[64], calls = 0;
		size_t nb = 0;

		rc = ks_db_prep(db, path, "SELECT bucket_lo_ns, bucket_hi_ns, count FROM latency_hist "
			  "WHERE run_id = ? AND page_kind = ? ORDER BY bucket_lo_ns", &st, err);
		if (rc)
			return rc;
		sqlite3_bind_int64(st, 1, run->id);
		sqlite3_bind_text(st, 2, kinds[k], -1, SQLITE_STATIC);
		while ((step = sqlite3_step(st)) == SQLITE_ROW && nb < 64) {
			uint64_t l = (uint64_t)ks_db_col_i64(st, 0);

			/* the table keeps non-empty buckets only: put the empty ones back */
			while (nb && hi[nb - 1] < l && hi[nb - 1] && nb < 63) {
				lo[nb] = hi[nb - 1];
				hi[nb] = 2 * lo[nb];
				cnt[nb++] = 0;
			}
			lo[nb] = l;
			hi[nb] = (uint64_t)ks_db_col_i64(st, 1);
			cnt[nb] = (uint64_t)ks_db_col_i64(st, 2);
			calls += cnt[nb++];
		}
		sqlite3_finalize(st);
		if (step != SQLITE_DONE && step != SQLITE_ROW)
			return ks_db_fail(db, path, err);
		if (!nb)
			continue;
		fprintf(out, "\ncmp_and_merge_page latency, %s page (%" PRIu64 " calls):\n",
			kinds[k], calls);
		ks_report_hist(lo, hi, cnt, nb, out);
	}
	return 0;
}

/* Prints the keys of one provenance kind ("  fitted    compare, chain_dup"), or with
 * sources one line each; *any counts the lines printed (the heading before the first). */
static int print_prov_kind(sqlite3 *db, const char *path, sqlite3_stmt *st, int64_t run,
			   const char *kind, bool sources, FILE *out, int *any, struct ks_err *err)
{
	int step, n = 0;

	sqlite3_bind_int64(st, 1, run);
	sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (!(*any)++)
			fprintf(out, "\narch numbers by provenance (docs/cost-models.md):\n");
		if (sources)
			fprintf(out, "  %s (%s): %s\n", ks_report_col_text(st, 0, "?"), kind,
				ks_report_col_text(st, 1, "?"));
		else if (n++)
			fprintf(out, ", %s", ks_report_col_text(st, 0, "?"));
		else
			fprintf(out, "  %-9s %s", kind, ks_report_col_text(st, 0, "?"));
	}
	if (n && !sources)
		fputc('\n', out);
	sqlite3_reset(st);
	return step == SQLITE_DONE ? 0 : ks_db_fail(db, path, err);
}

/* The run's arch numbers by provenance (cost_provenance): one line per kind, then the
 * source of every fitted and estimated number (the ones to read before trusting a
 * time). Nothing for a run without rows there (no arch model, a file from before). */
static int print_prov(sqlite3 *db, const char *path, FILE *out, const struct report_run *run,
		      struct ks_err *err)
{
	static const char *const kinds[] = { "measured", "cited", "derived", "fitted",
					     "estimate" };
	sqlite3_stmt *st = NULL;
	int rc, step, any = 0;

	rc = ks_db_prep(db, path, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND"
			" name = 'cost_provenance'", &st, err);
	if (rc)
		return rc;
	step = sqlite3_step(st);
	sqlite3_finalize(st);
	if (step != SQLITE_ROW)
		return step == SQLITE_DONE ? 0 : ks_db_fail(db, path, err);
	rc = ks_db_prep(db, path, "SELECT key, source FROM cost_provenance WHERE run_id = ?1"
			" AND provenance = ?2 ORDER BY rowid", &st, err);
	for (unsigned k = 0; !rc && k < 5; k++)
		rc = print_prov_kind(db, path, st, run->id, kinds[k], false, out, &any, err);
	for (unsigned k = 3; !rc && k < 5; k++)
		rc = print_prov_kind(db, path, st, run->id, kinds[k], true, out, &any, err);
	sqlite3_finalize(st);
	return rc;
}

int ks_report_print(const char *db_path, int64_t run_id, FILE *out, struct ks_err *err)
{
	return ks_report_print_run(db_path, run_id, true, out, err);
}

int ks_report_print_run(const char *db_path, int64_t run_id, bool costs, FILE *out,
			struct ks_err *err)
{
	struct report_run run = { 0 };
	sqlite3 *db;
	int rc;

	rc = ks_results_open_read(db_path, &db, err);
	if (rc)
		return rc;
	rc = ks_report_resolve_run(db, db_path, run_id, &run.id, err);
	if (!rc)
		rc = print_header(db, db_path, out, &run, err);
	if (!rc)
		rc = print_final(db, db_path, out, &run, err);
	if (!rc)
		rc = print_chart(db, db_path, out, &run, err);
	if (!rc)
		rc = print_processes(db, db_path, out, &run, err);
	if (!rc && costs)
		rc = print_costs(db, db_path, out, &run, err);
	if (!rc && costs)
		rc = print_prov(db, db_path, out, &run, err);
	if (!rc)
		rc = ks_report_out_check(out, db_path, err);
	sqlite3_close(db);
	return rc;
}

/* One CSV field: text quoted when it holds a comma, a quote or a line break. */
static void csv_field(sqlite3_stmt *st, int i, FILE *out)
{
	const char *t;

	switch (sqlite3_column_type(st, i)) {
	case SQLITE_NULL:
		break;
	case SQLITE_INTEGER:
		fprintf(out, "%" PRId64, ks_db_col_i64(st, i));
		break;
	case SQLITE_FLOAT:
		fprintf(out, "%.15g", sqlite3_column_double(st, i));
		break;
	default:
		t = (const char *)sqlite3_column_text(st, i);
		if (!t || !t[strcspn(t, ",\"\r\n")]) {
			fputs(t ? t : "", out);
			break;
		}
		fputc('"', out);
		for (; *t; t++) {
			if (*t == '"')
				fputc('"', out);
			fputc(*t, out);
		}
		fputc('"', out);
	}
}

int ks_report_csv_rows(sqlite3 *db, const char *path, sqlite3_stmt *st, FILE *out,
		       struct ks_err *err)
{
	int step, n = sqlite3_column_count(st);

	for (int i = 0; i < n; i++)
		fprintf(out, "%s%s", i ? "," : "", sqlite3_column_name(st, i));
	fputc('\n', out);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		for (int i = 0; i < n; i++) {
			if (i)
				fputc(',', out);
			csv_field(st, i, out);
		}
		fputc('\n', out);
	}
	if (step != SQLITE_DONE)
		return ks_db_fail(db, path, err);
	return ks_report_out_check(out, path, err);
}

int ks_report_csv(const char *db_path, int64_t run_id, FILE *out, struct ks_err *err)
{
	sqlite3_stmt *st = NULL;
	sqlite3 *db;
	int64_t id;
	int rc;

	rc = ks_results_open_read(db_path, &db, err);
	if (rc)
		return rc;
	rc = ks_report_resolve_run(db, db_path, run_id, &id, err);
	if (!rc)
		rc = ks_db_prep(db, db_path, "SELECT " KS_RESULTS_SAMPLES_COLUMNS " FROM samples"
				" WHERE run_id = ?1 ORDER BY t_ns, rowid", &st, err);
	if (!rc && sqlite3_bind_int64(st, 1, id) != SQLITE_OK)
		rc = ks_db_fail(db, db_path, err);
	if (!rc)
		rc = ks_report_csv_rows(db, db_path, st, out, err);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return rc;
}

int ks_report_list(const char *db_path, FILE *out, struct ks_err *err)
{
	sqlite3_stmt *st = NULL;
	sqlite3 *db;
	char started[64], saved[32];
	int rc, step;

	rc = ks_results_open_read(db_path, &db, err);
	if (rc)
		return rc;
	rc = ks_db_prep(db, db_path, "SELECT id, scenario, seed, status, started_unix_ms, saved_bytes"
		  " FROM runs ORDER BY id", &st, err);
	if (rc)
		goto out_close;
	fprintf(out, "%6s  %-20s %20s  %-11s  %-23s  %s\n", "id", "scenario", "seed",
		"status", "started", "saved");
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_type(st, 4) != SQLITE_NULL)
			ks_report_fmt_unix_ms(started, sizeof(started), ks_db_col_i64(st, 4));
		else
			snprintf(started, sizeof(started), "?");
		if (sqlite3_column_type(st, 5) != SQLITE_NULL)
			ks_report_fmt_bytes(saved, sizeof(saved), ks_db_col_i64(st, 5));
		else
			snprintf(saved, sizeof(saved), "?");
		fprintf(out, "%6" PRId64 "  %-20s %20" PRIu64 "  %-11s  %-23s  %s\n",
			ks_db_col_i64(st, 0), ks_report_col_text(st, 1, "?"),
			(uint64_t)ks_db_col_i64(st, 2), ks_report_col_text(st, 3, "?"), started,
			saved);
	}
	if (step != SQLITE_DONE) {
		rc = ks_db_fail(db, db_path, err);
		goto out_close;
	}
	rc = ks_report_out_check(out, db_path, err);
out_close:
	sqlite3_finalize(st);
	sqlite3_close(db);
	return rc;
}
