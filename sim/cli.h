/* cli.h - the command table: `sim [COMMAND] ...`; each command is one cmd_*.c file.
 * Exit codes (documented in the man page): 0 success; 1 the run completed but a check
 * failed (sim regress found a divergence); 2 bad input, usage or I/O error (one line
 * "sim: file:line:col: problem" on stderr); 130 interrupted by SIGINT, SIGTERM or SIGHUP
 * (what was done is kept: a run is committed as interrupted). */
#ifndef KS_CLI_H
#define KS_CLI_H

#include <stdbool.h>
#include <stdint.h>

enum ks_exit {
	KS_EXIT_OK = 0,
	KS_EXIT_CHECK_FAILED = 1,
	KS_EXIT_ERROR = 2,
	KS_EXIT_INTERRUPTED = 130
};

/* Each returns an enum ks_exit. argv[0] is the command name. */
int ks_cmd_run(int argc, char **argv);           /* sim_run: cmd_run.c */
int ks_cmd_trace(int argc, char **argv);         /* sim trace ...: cmd_trace.c */
int ks_cmd_report(int argc, char **argv);        /* sim report DB: cmd_report.c */
int ks_cmd_record_kernel(int argc, char **argv); /* sim record-kernel: cmd_record_kernel.c */
int ks_cmd_record(int argc, char **argv);        /* sim record: cmd_record.c */
int ks_cmd_regress(int argc, char **argv);       /* sim regress DIR...: cmd_regress.c */
int ks_cmd_calibrate(int argc, char **argv);     /* sim calibrate: cmd_calibrate.c */
int ks_cmd_bench(int argc, char **argv);          /* sim bench: cmd_bench.c */
/* sim validate-timing DIR...: cmd_validate_timing.c */
int ks_cmd_validate_timing(int argc, char **argv);
int ks_cmd_sweep(int argc, char **argv);          /* sim sweep: cmd_sweep.c */
int ks_cmd_zsmalloc(int argc, char **argv);       /* sim zsmalloc: cmd_zsmalloc.c */
/* sim zram-validate SCENARIO: cmd_zram_validate.c */
int ks_cmd_zram_validate(int argc, char **argv);
int ks_cmd_db(int argc, char **argv);             /* sim db merge: cmd_db.c */
int ks_cmd_compare(int argc, char **argv);        /* sim compare: cmd_compare.c */
int ks_cmd_advise(int argc, char **argv);         /* sim advise: cmd_advise.c */

/* Finds and loads a scenario with its --set overrides; prints the error and returns
 * KS_EXIT_ERROR on failure. */
struct ks_scenario;
int ks_cli_load_scenario(const char *name, const char *const *sets, unsigned nsets,
			 struct ks_scenario *sc);

/* A run's place in a sweep (table sweep_runs). */
struct ks_cli_sweep_point {
	int64_t sweep_id;           /* sweeps.id in the run's database */
	unsigned point;             /* point index */
	const char *params;         /* its overrides, "key=value ..." */
	int64_t run_id;             /* the run id the sweep set aside for it (0: none) */
};

/* Runs a loaded scenario into a results database (cmd_run.c); prints errors and, with
 * `progress`, the progress bar and the summary. in_sweep (may be NULL) links the run to
 * a sweep point in the run's own transaction. Returns an enum ks_exit. */
struct ks_summary;
int ks_cli_run_scenario(struct ks_scenario *sc, const char *db, bool progress,
			const struct ks_cli_sweep_point *in_sweep, struct ks_summary *sum,
			int64_t *run_id);

/* sim bench --sweep (cmd_bench_sweep.c): the sweep run with -j 1 and -j jobs, repeats
 * times; self is the sim binary, tmpdir a folder for its databases. An enum ks_exit. */
int ks_cli_bench_sweep(const char *self, const char *bench_db, const char *tmpdir,
		       unsigned repeats, unsigned jobs);

/* SIGINT, SIGTERM and SIGHUP, from ks_cli_signals_catch() to ks_cli_signals_restore():
 * each sets *flag to its number (a second one too: nothing is killed half-way) and
 * the work in progress ends cleanly (a run is committed as interrupted, a trace being
 * written is removed). System calls restart. Not nested. */
void ks_cli_signals_catch(volatile int *flag);
void ks_cli_signals_restore(void);

/* The wall clock, read only at the command line: ms since the epoch, and monotonic
 * seconds for durations. */
int64_t ks_cli_wall_ms(void);
double ks_cli_mono_s(void);

/* Prints "sim: <msg>" to stderr. */
void ks_cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints "sim: warning: <msg>" unless quiet. */
void ks_cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
extern int ks_cli_quiet;

#endif
