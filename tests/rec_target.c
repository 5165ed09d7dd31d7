/* rec_target.c - a process with known memory, for the tests of `sim record`
 * (tests/record_cli.sh, tests/check_record.c).
 *
 *   rec_target READYFILE [exit|wait]
 *
 * Maps region A (64 pages, MADV_MERGEABLE) and region B (4 pages, not mergeable), fills
 * them as rec_target_fill() says, writes "ADDR_A ADDR_B\n" to READYFILE (through a
 * temporary name, so a reader never sees half a line), then either exits at once
 * (`exit`: the recorder sees the exit), or (`wait`, the default) waits: SIGUSR1 applies
 * rec_target_change() and writes "changed" to READYFILE.changed; SIGTERM ends it. */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "rec_target.h"

static volatile sig_atomic_t got_usr1, got_term;

static void on_usr1(int sig)
{
	(void)sig;
	got_usr1 = 1;
}

static void on_term(int sig)
{
	(void)sig;
	got_term = 1;
}

static int write_file(const char *path, const char *text)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f || fputs(text, f) == EOF || fclose(f) || rename(tmp, path))
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	uint8_t *a, *b;
	char line[128], path[4096];
	sigset_t mask, old;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: rec_target READYFILE [exit|wait]\n");
		return 2;
	}
	a = mmap(NULL, REC_A_PAGES * REC_PAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	b = mmap(NULL, REC_B_PAGES * REC_PAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (a == MAP_FAILED || b == MAP_FAILED || madvise(a, REC_A_PAGES * REC_PAGE,
							  MADV_MERGEABLE)) {
		perror("rec_target: mmap/madvise");
		return 1;
	}
	rec_target_fill(a, b);
	signal(SIGUSR1, on_usr1);
	signal(SIGTERM, on_term);
	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR1);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, &old);
	snprintf(line, sizeof(line), "%p %p\n", (void *)a, (void *)b);
	if (write_file(argv[1], line)) {
		perror("rec_target: ready file");
		return 1;
	}
	if (argc == 3 && strcmp(argv[2], "exit") == 0)
		return 0;
	while (!got_term) {
		sigsuspend(&old);
		if (got_usr1) {
			got_usr1 = 0;
			rec_target_change(a, b);
			snprintf(path, sizeof(path), "%s.changed", argv[1]);
			if (write_file(path, "changed\n"))
				return 1;
		}
	}
	return 0;
}
