/* report_int.h - helpers shared by the report files of reports/ (not for callers
 * outside this folder: they see report.h). */
#ifndef KS_REPORT_INT_H
#define KS_REPORT_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "models/base/status.h"

struct sqlite3;
struct sqlite3_stmt;

/* KS_EIO "PATH: cannot write report: ..." if out has an error after a flush, else 0. */
int ks_report_out_check(FILE *out, const char *path, struct ks_err *err);
/* Writes the rows of a prepared (bound) statement as CSV: a header of its column names,
 * then one line per row (NULL empty, reals with 15 digits, text quoted as RFC 4180
 * wants). 0, KS_ESQL or KS_EIO. */
int ks_report_csv_rows(struct sqlite3 *db, const char *path, struct sqlite3_stmt *st,
		       FILE *out, struct ks_err *err);
/* Turns KS_REPORT_LAST_RUN into the highest run id and checks that the run exists:
 * 0, or KS_ENOENT "PATH: no run N" / "PATH: no runs", KS_ESQL. */
int ks_report_resolve_run(struct sqlite3 *db, const char *path, int64_t run_id, int64_t *id,
			  struct ks_err *err);
/* The same for sweeps: "PATH: no sweep N" / "PATH: no sweeps". */
int ks_report_sweep_resolve(struct sqlite3 *db, const char *path, int64_t sweep_id,
			    int64_t *id, struct ks_err *err);
/* Column i of the current row as text, or dflt for NULL. */
const char *ks_report_col_text(struct sqlite3_stmt *st, int i, const char *dflt);
/* ms since the epoch as "YYYY-MM-DD HH:MM:SS UTC". */
void ks_report_fmt_unix_ms(char *buf, size_t n, int64_t ms);

/* HTML pages (html.c) */
/* A page being written: a temporary file in the folder, renamed to index.html. */
struct ks_html_file {
	FILE *out;
	char tmp[4096], final[4096];
};
/* Makes the folder if missing (its parent must exist) and opens a temporary file in
 * it: 0 or KS_EIO "DIR: cannot make the report folder: ..." / "DIR: cannot write the
 * report: ...". */
int ks_html_open(const char *dir, struct ks_html_file *f, struct ks_err *err);
/* keep: flushes, syncs and renames the page into place (KS_EIO on failure, the
 * temporary file removed); otherwise removes it. Never sets err when !keep. */
int ks_html_close(struct ks_html_file *f, bool keep, struct ks_err *err);
/* The head of a page (inline style) with its title as heading; and its end. */
int ks_html_begin(FILE *out, const char *title);
void ks_html_end(FILE *out);
/* A run's plots over time: memory saved, the pages_* counters, ksmd CPU. */
int ks_html_run_plots(struct sqlite3 *db, const char *path, int64_t run_id, FILE *out,
		      struct ks_err *err);
/* The cost breakdown of each run and the latency histograms of up to four runs side by
 * side (names: legend labels, NULL for one run). */
int ks_html_cost_plots(struct sqlite3 *const *dbs, const char *const *paths,
		       const int64_t *runs, const char *const *names, size_t nruns, FILE *out,
		       struct ks_err *err);

#endif
