/* report.h - reads results databases (sim/results/db.h, schema.h) and prints run
 * reports. Reads only. */
#ifndef KS_REPORT_H
#define KS_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "models/base/status.h"

/* Pass as run_id to mean the run with the highest id. Real ids are >= 1. */
enum { KS_REPORT_LAST_RUN = 0 };

/* Reports. Each opens db_path read-only and returns 0, or with err set: KS_ENOENT
 * "PATH: no such results database" / "PATH: no run N" / "PATH: no runs", KS_ESQL (not a
 * results database, version mismatch, sqlite error), KS_EIO on a write error to out. */
/* Text report of one run: header, final counters, saving, t90, chart, processes. */
int ks_report_print(const char *db_path, int64_t run_id, FILE *out, struct ks_err *err);
/* The same, with the cost tables (ksmd CPU by component, latency histograms) or not
 * (sim --report: the end-of-run cost report has printed them already). */
int ks_report_print_run(const char *db_path, int64_t run_id, bool costs, FILE *out,
			struct ks_err *err);
/* The run's samples as CSV, one header line then one line per sample. */
int ks_report_csv(const char *db_path, int64_t run_id, FILE *out, struct ks_err *err);
/* One line per run: id, scenario, seed, status, started (UTC), saved. */
int ks_report_list(const char *db_path, FILE *out, struct ks_err *err);
/* A sweep (sweep_id KS_REPORT_LAST_RUN: the last one) as a table: per point, mean and
 * 95% confidence interval of the memory saved, t50, t90, ksmd CPU % and full scans.
 * KS_ENOENT "PATH: no sweeps" / "PATH: no sweep N" besides the errors above. */
int ks_report_sweep(const char *db_path, int64_t sweep_id, FILE *out, struct ks_err *err);
/* The sweep's rows of the v_sweep view as CSV. */
int ks_report_sweep_csv(const char *db_path, int64_t sweep_id, FILE *out, struct ks_err *err);

/* JSON: {"database", "run_id", "run": {"summary", "params", "cost_components",
 * "latency_hist", "samples"}, "sweeps": [{"sweep", "points"}]}; with sweep_only, the
 * one sweep (sweep_id, or KS_REPORT_LAST_RUN for the last) as {"sweep", "points"}. */
int ks_report_json(const char *db_path, int64_t run_id, int64_t sweep_id, bool sweep_only,
		   FILE *out, struct ks_err *err);
/* One read-only SQL statement over the database: its rows as an aligned table (NULL
 * as NULL, a row count at the end) or as CSV. KS_EINVAL "PATH: --sql: ..." for a syntax
 * error, more than one statement, a statement that would write or has parameters;
 * nothing runs then. */
int ks_report_sql(const char *db_path, const char *sql, bool csv, FILE *out,
		  struct ks_err *err);
/* A self-contained HTML page (DIR/index.html: inline CSS and SVG plots) with every
 * sweep, the run (KS_REPORT_LAST_RUN: the last) in detail and the list of runs. DIR is
 * made if missing; on error no page is left. KS_EIO "DIR: ..." besides the above. */
int ks_report_html(const char *db_path, int64_t run_id, const char *out_dir,
		   struct ks_err *err);

/* Two runs side by side (run ids or KS_REPORT_LAST_RUN): settings that differ, key
 * figures, final counters, ksmd CPU by component, latency histograms, each with B - A
 * and B / A, and notes (settings with no effect, odd pairings). As text, or as
 * DIR/index.html (as ks_report_html). */
int ks_report_compare(const char *db_a, int64_t run_a, const char *db_b, int64_t run_b,
		      FILE *out, struct ks_err *err);
int ks_report_compare_html(const char *db_a, int64_t run_a, const char *db_b, int64_t run_b,
			   const char *out_dir, struct ks_err *err);

/* What sim advise looks for. */
struct ks_advise_target {
	double saving_pct;          /* percent of the achievable saving, (0, 100] */
	double within_s;            /* simulated seconds */
	double max_cpu_pct;         /* ksmd CPU, percent of simulated time */
};
/* The trade-off table of a sweep (KS_REPORT_LAST_RUN: the last) against the target,
 * and the advice: the cheapest point (ksmd CPU) every run of which reaches the target
 * in time. *found says whether one did. KS_ENOENT "PATH: sweep N has no complete runs"
 * besides the errors above. */
int ks_report_advise(const char *db_path, int64_t sweep_id, const struct ks_advise_target *t,
		     FILE *out, bool *found, struct ks_err *err);

/* Prints a histogram in the bcc/bpftrace form "[2K, 4K)  33516 |@@@@...|": bucket i is
 * [lo[i], hi[i]) with count[i]; empty buckets before the first and after the last
 * non-empty one are not printed. */
void ks_report_hist(const uint64_t *lo, const uint64_t *hi, const uint64_t *count,
		    size_t n, FILE *out);

/* Formatting helpers (never fail; output truncated to n). */
/* A power-of-two count with a binary suffix: 512, 2K, 4M. */
void ks_report_fmt_pow2(char *buf, size_t n, uint64_t v);
/* Bytes in binary units: "512 B", "3.50 KiB", "1.25 MiB", "2.00 GiB", "1.00 TiB". */
void ks_report_fmt_bytes(char *buf, size_t n, int64_t bytes);
/* Simulated ns in human units: "750 ns", "1.500 us", "20.000 ms", "3.250 s",
 * "2 min 5.000 s", "1 h 02 min 05 s". */
void ks_report_fmt_ns(char *buf, size_t n, uint64_t ns);

#endif
