/* gen_text.h - what the randomised scenario generators of the tests share (check_bulk,
 * check_bulk_reads): a seeded splitmix64 stream and a growing text to write YAML into.
 * Header-only: each test program has its own stream. */
#ifndef KS_TESTS_GEN_TEXT_H
#define KS_TESTS_GEN_TEXT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "models/base/xalloc.h"

/* The stream's state: a test seeds it by assigning (rng = f(seed)). */
static uint64_t rng;

static inline uint64_t rnd(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* A number in [lo, hi]. */
static inline uint64_t pick(uint64_t lo, uint64_t hi)
{
	return lo + rnd() % (hi - lo + 1);
}

static inline bool chance(unsigned percent)
{
	return rnd() % 100 < percent;
}

struct text {
	char *s;
	size_t n, cap;
};

/* Appends printf-formatted text, growing t (t->s NUL-terminated once anything is put). */
static inline void put(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int k;

	for (;;) {
		va_start(ap, fmt);
		k = vsnprintf(t->s + t->n, t->cap - t->n, fmt, ap);
		va_end(ap);
		if (k >= 0 && (size_t)k < t->cap - t->n)
			break;
		t->cap = t->cap ? 2 * t->cap : 4096;
		t->s = ks_xrealloc(t->s, t->cap);
	}
	t->n += (size_t)k;
}

#endif
