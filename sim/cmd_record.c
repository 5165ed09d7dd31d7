/* cmd_record.c - `sim record`: records the anonymous memory of running processes, or of
 * a command it starts, into a page-write trace (traces/record_proc.h does the reading;
 * this file keeps the clock, starts and ends the command, and reports).
 *
 *   sim record --pid PID [--pid PID]... [--duration T] [--interval T] -o FILE
 *   sim record [--duration T] [--interval T] -o FILE -- CMD [ARG]...
 *
 * Snapshots are taken at 0, T, 2T, ... on the monotonic clock (and at the duration's
 * end); a snapshot that takes longer than the interval delays the next one. Every
 * failure is one line "sim: ..." and exit status 2; the trace appears under its name
 * only when it is complete. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cli_opts.h"
#include "models/base/xalloc.h"
#include "sim/config/units.h"
#include "traces/record_proc.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void on_child(int sig)
{
	(void)sig; /* only to interrupt the sleep, so an exit is seen at once */
}

static void usage(FILE *out)
{
	fputs("usage: sim record --pid PID [--pid PID]... [OPTIONS] -o FILE\n"
	      "       sim record [OPTIONS] -o FILE -- CMD [ARG]...\n"
	      "\n"
	      "Records the anonymous memory of running processes (or of CMD, started here)\n"
	      "into a page-write trace (docs/trace-format.md): regions from /proc/PID/smaps\n"
	      "(VmFlags mg = MADV_MERGEABLE), the contents of present pages, and the pages\n"
	      "that changed between snapshots. Distinct pages are stored once, zstd-\n"
	      "compressed. Replay it with a scenario's `trace:` key, or look at it with\n"
	      "`sim trace info`.\n"
	      "\n"
	      "  -p, --pid PID        a process to record (repeatable)\n"
	      "  -o, --output FILE    the trace (.kst binary, .kstt text)\n"
	      "  -d, --duration T     stop after T (e.g. 60s); default: until every process\n"
	      "                       has exited, or Ctrl-C. CMD is then sent SIGTERM\n"
	      "  -i, --interval T     time between snapshots (default 1s): a page written\n"
	      "                       several times in between is one write\n"
	      "      --mergeable-only only regions with MADV_MERGEABLE (VmFlags mg)\n"
	      "      --format bin|text  output format (default: from the extension)\n"
	      "  -q, --quiet          no summary\n"
	      "  -h, --help           this help\n"
	      "exit status: 0 recorded; 2 bad usage, no such process, no permission, I/O\n"
	      "error (nothing is left under FILE); 130 interrupted (the trace is kept)\n",
	      out);
}

struct rec_args {
	struct ks_strlist pids;
	const char *output, *duration, *interval, *format;
	bool mergeable_only, quiet;
};

static ks_time mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ks_time)ts.tv_sec * 1000000000 + (ks_time)ts.tv_nsec;
}

/* Sleeps until monotonic time `until` (ns), or a signal. */
static void sleep_until(ks_time until)
{
	struct timespec ts = { (time_t)(until / 1000000000), (long)(until % 1000000000) };

	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

/* Starts CMD; its pid, or -1 after printing why (exec failures included). */
static pid_t start_command(char **cmd)
{
	int fds[2], e = 0;
	ssize_t n;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC)) {
		ks_cli_error("record: pipe: %s", strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		ks_cli_error("record: fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		close(fds[0]);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		execvp(cmd[0], cmd);
		e = errno;
		if (write(fds[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	close(fds[1]);
	do
		n = read(fds[0], &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	close(fds[0]);
	if (n > 0) {
		waitpid(pid, NULL, 0);
		ks_cli_error("record: cannot run '%s': %s", cmd[0], strerror(e));
		return -1;
	}
	return pid;
}

/* True if the started command (pid > 0) has exited; it is left to be reaped. */
static bool child_exited(pid_t pid)
{
	siginfo_t si = { 0 };

	return pid > 0 && waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
	       si.si_pid == pid;
}

/* Ends CMD if it still runs (SIGTERM, then SIGKILL after 5 s) and reaps it. */
static void end_command(pid_t pid)
{
	ks_time until;

	if (waitpid(pid, NULL, WNOHANG) == pid)
		return;
	kill(pid, SIGTERM);
	until = mono_ns() + 5000000000;
	while (mono_ns() < until) {
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return;
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static int parse_time_opt(const char *what, const char *s, ks_time *out)
{
	const char *why = ks_parse_duration(s, false, out);

	if (why || *out == 0) {
		ks_cli_error("record: %s '%s': %s; try 'sim record --help'", what, s,
			     why ? why : "must be more than 0");
		return KS_EXIT_ERROR;
	}
	return 0;
}

static void print_summary(const char *out, const struct ks_prec_stats *st, ks_time span,
			  size_t nproc)
{
	printf("recorded %zu process%s for %.2f s: %" PRIu64 " snapshots (mean %.3f s, longest "
	       "%.3f s)\n", nproc, nproc == 1 ? "" : "es", span / 1e9, st->snapshots,
	       st->snapshots ? st->snapshot_ns_sum / 1e9 / (double)st->snapshots : 0.0,
	       st->snapshot_ns_max / 1e9);
	printf("  pages read:      %" PRIu64 " (present pages, all snapshots)\n", st->pages_read);
	printf("  pages recorded:  %" PRIu64 " writes (%" PRIu64 " zero, %" PRIu64
	       " distinct non-zero pages stored)\n", st->pages_recorded, st->zero_pages,
	       st->dict_pages);
	if (st->pages_dropped || st->read_errors)
		printf("  pages dropped:   %" PRIu64 " (discarded by the process); unreadable: %"
		       PRIu64 "\n", st->pages_dropped, st->read_errors);
	printf("  recorder state:  %.1f MiB at most (page states where pages were present)\n",
	       st->state_bytes_max / 1048576.0);
	printf("  trace:           %s, %" PRIu64 " bytes", out, st->trace_bytes);
	if (st->pages_recorded)
		printf(" = %.1f bytes per recorded page", (double)st->trace_bytes /
		       (double)st->pages_recorded);
	if (st->dict_pages)
		printf(", %.1f per distinct page", (double)st->trace_bytes / (double)st->dict_pages);
	printf("\n");
}

/* Checks the command line a (and the command after --, if any) and fills po and the
 * times. 0, or KS_EXIT_ERROR after the message. */
static int check_args(const struct rec_args *a, char **cmd, struct ks_prec_opts *po,
		      ks_time *duration, ks_time *interval)
{
	if (!a->output) {
		ks_cli_error("record: needs -o FILE; try 'sim record --help'");
		return KS_EXIT_ERROR;
	}
	if (cmd && !cmd[0]) {
		ks_cli_error("record: no command after --; try 'sim record --help'");
		return KS_EXIT_ERROR;
	}
	if (!a->pids.n && !cmd) {
		ks_cli_error("record: needs --pid PID or -- CMD; try 'sim record --help'");
		return KS_EXIT_ERROR;
	}
	if (a->pids.n && cmd) {
		ks_cli_error("record: give --pid or -- CMD, not both; try 'sim record --help'");
		return KS_EXIT_ERROR;
	}
	if ((a->duration && parse_time_opt("--duration", a->duration, duration)) ||
	    (a->interval && parse_time_opt("--interval", a->interval, interval)))
		return KS_EXIT_ERROR;
	if (a->format) {
		if (strcmp(a->format, "bin") == 0 || strcmp(a->format, "binary") == 0)
			po->fmt = KS_TRACE_BINARY;
		else if (strcmp(a->format, "text") == 0)
			po->fmt = KS_TRACE_TEXT;
		else {
			ks_cli_error("record: unknown format '%s' (bin or text)", a->format);
			return KS_EXIT_ERROR;
		}
	} else if (ks_trace_format_from_name(a->output, &po->fmt)) {
		ks_cli_error("record: cannot tell the format of '%s' (name it .kst or .kstt, or "
			     "use --format)", a->output);
		return KS_EXIT_ERROR;
	}
	po->mergeable_only = a->mergeable_only;
	for (unsigned i = 0; i < a->pids.n; i++) {
		char *end;
		long v;

		errno = 0;
		v = strtol(a->pids.v[i], &end, 10);
		if (errno || *end || v <= 0 || v > INT32_MAX) {
			ks_cli_error("record: --pid '%s' is not a process id", a->pids.v[i]);
			return KS_EXIT_ERROR;
		}
	}
	return 0;
}

/* Takes the snapshots until the processes are gone, the duration is over or a signal
 * stops it; *t = the last snapshot's time. 0, or KS_EXIT_ERROR after the message. */
static int snapshot_loop(struct ks_prec *r, ks_time duration, ks_time interval, pid_t child,
			 ks_time *t, struct ks_err *err)
{
	ks_time t0 = mono_ns();

	for (uint64_t k = 1;; k++) {
		int alive;
		ks_time next;

		/* stamped to the microsecond; the first snapshot is the trace's time 0 */
		*t = k == 1 ? 0 : (mono_ns() - t0) / 1000 * 1000;
		if (duration && *t > duration)
			*t = duration; /* the last snapshot is stamped with the end it stands for */
		alive = ks_prec_snapshot(r, *t, err);
		if (alive < 0) {
			ks_cli_error("%s", err->msg);
			return KS_EXIT_ERROR;
		}
		if (alive == 0 || stop || (duration && *t >= duration))
			return 0;
		next = (ks_time)k * interval;
		if (duration && next > duration)
			next = duration;
		while (!stop && mono_ns() - t0 < next && !child_exited(child))
			sleep_until(t0 + next);
	}
}

int ks_cmd_record(int argc, char **argv)
{
	struct rec_args a = { 0 };
	const struct ks_opt opts[] = {
		KS_LIST("pid", 'p', &a.pids),
		KS_STR("output", 'o', &a.output),
		KS_STR("duration", 'd', &a.duration),
		KS_STR("interval", 'i', &a.interval),
		KS_STR("format", 0, &a.format),
		KS_FLAG("mergeable-only", 0, &a.mergeable_only),
		KS_FLAG("quiet", 'q', &a.quiet),
		KS_OPT_END };
	const struct ks_cmdline cl = { .cmd = "record", .usage = usage, .opts = opts };
	struct ks_prec_opts po = { .fmt = KS_TRACE_BINARY };
	struct ks_prec_stats st;
	struct ks_strlist args;
	struct ks_prec *r = NULL;
	struct ks_err err = { 0 };
	ks_time duration = 0, interval = 1000000000, t = 0;
	char **cmd = NULL;
	int nopt = argc, rc;
	pid_t child = -1;
	struct sigaction sa = { 0 }, sc = { 0 };

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			nopt = i;
			cmd = argv + i + 1;
			break;
		}
	}
	rc = ks_cli_parse(&cl, nopt, argv, &args);
	if (rc >= 0)
		goto out;
	rc = KS_EXIT_ERROR;
	if (args.n) {
		ks_cli_error("record: unexpected argument '%s' (a command goes after --); try "
			     "'sim record --help'", args.v[0]);
		goto out;
	}
	if (check_args(&a, cmd, &po, &duration, &interval))
		goto out;
	r = ks_prec_open(a.output, &po, &err);
	if (!r) {
		ks_cli_error("%s", err.msg);
		goto out;
	}
	for (unsigned i = 0; i < a.pids.n; i++) {
		if (ks_prec_add(r, (pid_t)strtol(a.pids.v[i], NULL, 10), &err)) {
			ks_cli_error("record: %s", err.msg);
			goto out_abort;
		}
	}
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sc.sa_handler = on_child;
	sigaction(SIGCHLD, &sc, NULL);
	if (cmd) {
		const char *base = strrchr(cmd[0], '/');

		child = start_command(cmd);
		if (child < 0)
			goto out_abort;
		if (ks_prec_add_child(r, child, base ? base + 1 : cmd[0], &err)) {
			ks_cli_error("record: %s", err.msg);
			goto out_abort;
		}
	}
	if (snapshot_loop(r, duration, interval, child, &t, &err))
		goto out_abort;
	if (child > 0) {
		end_command(child);
		child = -1;
	}
	rc = ks_prec_close(r, &st, &err);
	r = NULL;
	if (rc) {
		ks_cli_error("%s", err.msg);
		rc = KS_EXIT_ERROR;
		goto out;
	}
	if (!a.quiet)
		print_summary(a.output, &st, t, a.pids.n ? a.pids.n : 1);
	rc = stop ? KS_EXIT_INTERRUPTED : KS_EXIT_OK;
	goto out;

out_abort:
	ks_prec_abort(r);
	if (child > 0)
		end_command(child);
out:
	ks_strlist_free(&args);
	ks_strlist_free(&a.pids);
	return rc;
}
