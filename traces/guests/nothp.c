/* nothp.c - `ks-nothp CMD [ARG]...`: runs CMD with transparent huge pages disabled for
 * it and its children (prctl PR_SET_THP_DISABLE, kept across fork and execve), so
 * that KSM sees the guest RAM of a QEMU started this way as 4 KiB pages whatever the
 * host's /sys/kernel/mm/transparent_hugepage/enabled says. Used by run-guests.sh. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs("usage: ks-nothp CMD [ARG]...\n", stderr);
		return 2;
	}
	if (prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0)) {
		fprintf(stderr, "ks-nothp: prctl(PR_SET_THP_DISABLE): %s\n", strerror(errno));
		return 2;
	}
	execvp(argv[1], argv + 1);
	fprintf(stderr, "ks-nothp: %s: %s\n", argv[1], strerror(errno));
	return 127;
}
