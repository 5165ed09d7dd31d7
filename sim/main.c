/* main.c - `sim`: dispatches to a command (cli.h). Only main() and cmd_*.c talk to the
 * user. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_errno.h>

#include "cli.h"

int ks_cli_quiet;

void ks_cli_error(const char *fmt, ...)
{
	va_list ap;

	fputs("sim: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void ks_cli_warn(const char *fmt, ...)
{
	va_list ap;

	if (ks_cli_quiet)
		return;
	fputs("sim: warning: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int64_t ks_cli_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

double ks_cli_mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

struct ks_cmd {
	const char *name;
	int (*run)(int argc, char **argv);
};

static const struct ks_cmd cmd_table[] = {
	{ "run", ks_cmd_run },
	{ "trace", ks_cmd_trace },
	{ "report", ks_cmd_report },
	{ "record-kernel", ks_cmd_record_kernel },
	{ "record", ks_cmd_record },
	{ "regress", ks_cmd_regress },
	{ "calibrate", ks_cmd_calibrate },
	{ "bench", ks_cmd_bench },
	{ "validate-timing", ks_cmd_validate_timing },
	{ "sweep", ks_cmd_sweep },
	{ "zsmalloc", ks_cmd_zsmalloc },
	{ "zram-validate", ks_cmd_zram_validate },
	{ "db", ks_cmd_db },
	{ "compare", ks_cmd_compare },
	{ "advise", ks_cmd_advise },
};

int main(int argc, char **argv)
{
	gsl_set_error_handler_off();
	if (argc >= 2 && argv[1][0] != '-') {
		for (size_t i = 0; i < sizeof(cmd_table) / sizeof(cmd_table[0]); i++)
			if (strcmp(argv[1], cmd_table[i].name) == 0)
				return cmd_table[i].run(argc - 1, argv + 1);
		ks_cli_error("unknown command '%s'; try 'sim --help'", argv[1]);
		return KS_EXIT_ERROR;
	}
	/* No command: `sim --scenario FILE ...` runs a simulation. */
	return ks_cmd_run(argc, argv);
}
