/* xalloc.c - out of memory is fatal (house style rule 11). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

static void oom(size_t n)
{
	fprintf(stderr, "sim: out of memory (%zu bytes)\n", n);
	abort();
}

void *ks_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		oom(n);
	return p;
}

void *ks_xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (!p)
		oom(nmemb * size);
	return p;
}

void *ks_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q)
		oom(n);
	return q;
}

char *ks_xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(ks_xmalloc(n), s, n);
}
