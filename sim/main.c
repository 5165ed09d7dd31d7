/* main.c - `sim`: dispatches to a command (cli.h). Only main() and cmd_*.c talk to the
 * user. */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_errno.h>

#include "cli.h"
#include "models/base/status.h"

int ks_cli_quiet;

/* One line "sim: PREFIX<message>" on stderr, the message escaped (ks_str_escape): input
 * bytes never reach the terminal raw. */
__attribute__((format(printf, 2, 0)))
static void cli_say(const char *prefix, const char *fmt, va_list ap)
{
	char raw[4096], msg[4096];

	vsnprintf(raw, sizeof(raw), fmt, ap);
	ks_str_escape(msg, sizeof(msg), raw);
	fprintf(stderr, "sim: %s%s\n", prefix, msg);
}

void ks_cli_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cli_say("", fmt, ap);
	va_end(ap);
}

void ks_cli_warn(const char *fmt, ...)
{
	va_list ap;

	if (ks_cli_quiet)
		return;
	va_start(ap, fmt);
	cli_say("warning: ", fmt, ap);
	va_end(ap);
}

static volatile int *signal_flag;
static struct sigaction signal_old[3];
static const int caught_signals[3] = { SIGINT, SIGTERM, SIGHUP };

static void on_signal(int sig)
{
	if (signal_flag)
		*signal_flag = sig;
}

void ks_cli_signals_catch(volatile int *flag)
{
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_RESTART };

	sigemptyset(&sa.sa_mask);
	*flag = 0;
	signal_flag = flag;
	for (int i = 0; i < 3; i++)
		sigaction(caught_signals[i], &sa, &signal_old[i]);
}

void ks_cli_signals_restore(void)
{
	for (int i = 0; i < 3; i++)
		sigaction(caught_signals[i], &signal_old[i], NULL);
	signal_flag = NULL;
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
