/* bench.h - benchmark figures: read a finished run back, and store bench rows
 * (table `bench` of a bench database; see docs/results-schema.md). */
#ifndef KS_BENCH_H
#define KS_BENCH_H

#include <stdint.h>

#include "models/base/status.h"

struct ks_bench_row {
	const char *scenario;       /* scenario name */
	const char *sim_version;
	int64_t started_unix_ms;    /* wall clock at start */
	uint64_t sim_pages;         /* simulated pages (all processes) */
	uint64_t pages_scanned;     /* KSM pages_scanned at the end of the run */
	uint64_t full_scans;
	double sim_seconds;         /* simulated time covered */
	double wall_seconds;        /* wall time of the whole run (process start to exit) */
	double pages_per_second;    /* pages_scanned / wall_seconds */
	uint64_t peak_rss_bytes;    /* the run's maximum resident set size */
	double bytes_per_page;      /* peak_rss_bytes / sim_pages */
	double ksmd_cpu_seconds;    /* simulated ksmd CPU time of the run */
	double cpu_seconds;         /* user + system CPU time of the run's process */
	double wall_per_ksmd;       /* wall_seconds / ksmd_cpu_seconds (goal <= 0.1) */
	double cpu_per_ksmd;        /* cpu_seconds / ksmd_cpu_seconds */
	double load1;               /* the host's 1-minute load average at the start */
	unsigned repeat;            /* 1, 2, ... within one `sim bench` */
};

/* Reads the last run of a results database: final pages_scanned, full_scans, the
 * simulated end and the simulated ksmd CPU time (seconds) into row. 0 or
 * KS_ESQL/KS_ENOENT with err set. */
int ks_bench_read_run(const char *db_path, struct ks_bench_row *row, struct ks_err *err);
/* Appends a row to the bench table (created if needed), in one transaction. */
int ks_bench_store(const char *db_path, const struct ks_bench_row *row, struct ks_err *err);

/* One repeat of the sweep benchmark (table bench_sweep; schema.h has the units). */
struct ks_bench_sweep_row {
	int64_t started_unix_ms;
	const char *sim_version, *host;
	unsigned cpus;
	double load1;
	const char *scenario, *sets, *vary;
	unsigned points, seeds, jobs, repeat;
	double serial_s, parallel_s, ratio;
	int64_t html_bytes;         /* < 0: not measured (NULL) */
	double serial_cpu_s, parallel_cpu_s;
	double serial_others_s, parallel_others_s; /* < 0: not known (NULL) */
};

/* Appends a bench_sweep row, in one transaction. 0 or KS_E* with err set. */
int ks_bench_sweep_store(const char *db_path, const struct ks_bench_sweep_row *row,
			 struct ks_err *err);

#endif
