/* xalloc.h - allocation that aborts with a message when memory runs out. */
#ifndef KS_XALLOC_H
#define KS_XALLOC_H

#include <stddef.h>

/* Never return NULL: print "sim: out of memory (N bytes)" and abort(). */
void *ks_xmalloc(size_t n);
void *ks_xcalloc(size_t nmemb, size_t size);
void *ks_xrealloc(void *p, size_t n);
char *ks_xstrdup(const char *s);

#endif
