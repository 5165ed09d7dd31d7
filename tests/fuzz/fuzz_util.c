/* fuzz_util.c - the shared part of the libFuzzer targets (fuzz.h). */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "models/base/status.h"

static char dir[4096];
static char *marked[256];
static size_t nmarked;

void fz_die(const char *fmt, ...)
{
	va_list ap;

	fputs("fuzz oracle: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

static void rm_tree(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	char sub[8192];

	if (!d) {
		unlink(path);
		return;
	}
	while ((e = readdir(d)) != NULL) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
		rm_tree(sub);
	}
	closedir(d);
	rmdir(path);
}

static void fz_cleanup(void)
{
	if (dir[0])
		rm_tree(dir);
}

const char *fz_dir(void)
{
	const char *tmp = getenv("TMPDIR");

	if (dir[0])
		return dir;
	snprintf(dir, sizeof(dir), "%s/ksmsim-fuzz-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		fz_die("cannot make a temporary folder: %s", strerror(errno));
	atexit(fz_cleanup);
	if (chdir(dir))
		fz_die("cannot enter %s: %s", dir, strerror(errno));
	return dir;
}

const char *fz_write(const char *name, const uint8_t *d, size_t n)
{
	static char path[8192];
	const char *slash = strchr(name, '/');
	FILE *f;

	if (slash) {
		snprintf(path, sizeof(path), "%s/%.*s", fz_dir(), (int)(slash - name), name);
		mkdir(path, 0777);
	}
	snprintf(path, sizeof(path), "%s/%s", fz_dir(), name);
	f = fopen(path, "wb");
	if (!f || (n && fwrite(d, 1, n, f) != n) || fclose(f))
		fz_die("cannot write %s", path);
	return path;
}

void fz_check_msg(const char *msg, const char *where)
{
	if (!msg || !*msg)
		fz_die("failure without a message");
	for (const unsigned char *p = (const unsigned char *)msg; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			fz_die("control byte 0x%02x in message: %s", *p, msg);
	if (ks_str_utf8_bad(msg) != SIZE_MAX)
		fz_die("message is not UTF-8: %s", msg);
	if (where) {
		char alt[256], *save = NULL;
		bool found = false;

		snprintf(alt, sizeof(alt), "%s", where);
		for (char *a = strtok_r(alt, "|", &save); a && !found; a = strtok_r(NULL, "|", &save))
			found = strstr(msg, a) != NULL;
		if (!found)
			fz_die("message does not name '%s': %s", where, msg);
	}
}

static void list_dir(char **names, size_t *n, size_t max)
{
	DIR *d = opendir(fz_dir());
	struct dirent *e;

	*n = 0;
	if (!d)
		fz_die("cannot list %s", fz_dir());
	while ((e = readdir(d)) != NULL && *n < max)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			names[(*n)++] = strdup(e->d_name);
	closedir(d);
}

void fz_mark(void)
{
	for (size_t i = 0; i < nmarked; i++)
		free(marked[i]);
	list_dir(marked, &nmarked, 256);
}

void fz_check_left(const char *const *allowed)
{
	char *now[256];
	size_t n;

	list_dir(now, &n, 256);
	for (size_t i = 0; i < n; i++) {
		bool known = false;

		for (size_t j = 0; !known && j < nmarked; j++)
			known = strcmp(now[i], marked[j]) == 0;
		for (size_t j = 0; !known && allowed && allowed[j]; j++)
			known = strcmp(now[i], allowed[j]) == 0;
		if (!known)
			fz_die("file left behind: %s/%s", fz_dir(), now[i]);
	}
	for (size_t i = 0; i < n; i++)
		free(now[i]);
}

const char *fz_split(const char *sub, const uint8_t *d, size_t n, const char *const *names)
{
	static char path[8192];
	const uint8_t *end = d + n, *p = d;
	const char *name = names[0];
	char file[512];

	snprintf(path, sizeof(path), "%s/%s", fz_dir(), sub);
	rm_tree(path);
	if (mkdir(path, 0777))
		fz_die("cannot make %s", path);
	while (p <= end) {
		const uint8_t *q = p, *next;
		size_t len;

		/* this file's text runs up to the next "\n=== " or the end */
		for (next = NULL; q + 5 <= end; q++)
			if (q[0] == '\n' && !memcmp(q + 1, "=== ", 4)) {
				next = q + 1;
				break;
			}
		len = (size_t)((next ? q + 1 : end) - p);
		if (name) {
			snprintf(file, sizeof(file), "%s/%s", sub, name);
			fz_write(file, p, len);
		}
		if (!next)
			break;
		/* the header line names the next file */
		p = next + 4;
		q = memchr(p, '\n', (size_t)(end - p));
		name = NULL;
		for (size_t i = 0; names[i]; i++)
			if ((size_t)((q ? q : end) - p) == strlen(names[i]) &&
			    !memcmp(p, names[i], strlen(names[i])))
				name = names[i];
		if (!q)
			break;
		p = q + 1;
	}
	return path;
}
