/* fuzz_sim.c - `sim ARGS` run in-process for the command-line targets (fuzz.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"

int ks_sim_main(int argc, char **argv); /* sim/main.c, built with -Dmain=ks_sim_main */

int fz_sim(const char *where, int argc, const char *const *argv)
{
	static char buf[65536];
	char errpath[8192], *argv_copy[64], *line, *save = NULL;
	int saved_out, saved_err, fd, nul, rc, nerr = 0;
	ssize_t got;

	if (argc >= 63)
		fz_die("too many arguments");
	snprintf(errpath, sizeof(errpath), "%s/.stderr", fz_dir());
	fflush(stdout);
	fflush(stderr);
	fd = open(errpath, O_RDWR | O_CREAT | O_TRUNC, 0600);
	nul = open("/dev/null", O_WRONLY);
	saved_out = dup(1);
	saved_err = dup(2);
	if (fd < 0 || nul < 0 || saved_out < 0 || saved_err < 0)
		fz_die("cannot redirect: %s", strerror(errno));
	dup2(nul, 1);
	dup2(fd, 2);
	for (int i = 0; i < argc; i++)
		argv_copy[i] = (char *)argv[i];
	argv_copy[argc] = NULL;
	rc = ks_sim_main(argc, argv_copy);
	fflush(stdout);
	fflush(stderr);
	dup2(saved_out, 1);
	dup2(saved_err, 2);
	close(saved_out);
	close(saved_err);
	close(nul);
	got = pread(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	unlink(errpath);
	buf[got > 0 ? got : 0] = '\0';
	if (rc != 0 && rc != 1 && rc != 2)
		fz_die("exit status %d; stderr: %s", rc, buf);
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "sim: ", 5))
			fz_die("stderr line without 'sim: ': %s", line);
		fz_check_msg(line, NULL);
		if (strncmp(line, "sim: warning: ", 14) == 0)
			continue;
		nerr++;
		if (rc == 2)
			fz_check_msg(line, where);
	}
	if ((rc == 2 && nerr != 1) || (rc != 2 && nerr))
		fz_die("exit status %d with %d error lines", rc, nerr);
	return rc;
}
