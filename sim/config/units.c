/* units.c - numbers with units ("600ms", "1.5GiB") and nearest-word suggestions, for
 * the YAML loaders and the command line alike (units.h). No libyaml here. */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "units.h"
#include "models/base/xalloc.h"

struct unit {
	const char *name; /* suffix */
	uint64_t mult;    /* base units (ns or bytes) per unit */
};

static const struct unit time_units[] = {
	{ "ns", 1 }, { "us", 1000 }, { "\xc2\xb5s", 1000 }, { "ms", 1000000 },
	{ "s", 1000000000ULL }, { "min", 60000000000ULL }, { "h", 3600000000000ULL },
	{ NULL, 0 }
};

static const struct unit size_units[] = {
	{ "B", 1 }, { "KiB", 1ULL << 10 }, { "MiB", 1ULL << 20 }, { "GiB", 1ULL << 30 },
	{ "TiB", 1ULL << 40 }, { NULL, 0 }
};

static uint64_t gcd(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

/* Parses "<digits>[.<digits>][ ]<unit>" exactly into base units. `eg` is an example for
 * the missing-unit message, `names` the list of units for the unknown-unit one. */
static const char *parse_units(const char *s, const struct unit *units, const char *whole,
			       const char *no_unit, const char *bad_unit, uint64_t *out)
{
	uint64_t ip = 0, fp = 0, pow10 = 1, mult = 0, v;
	const char *p = s;
	unsigned nfrac = 0;

	if (*p == '-')
		return "must not be negative";
	if (*p < '0' || *p > '9')
		return "is not a number with a unit";
	for (; *p >= '0' && *p <= '9'; p++) {
		if (ip > (UINT64_MAX - 9) / 10)
			return "is too large";
		ip = ip * 10 + (uint64_t)(*p - '0');
	}
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++) {
			if (nfrac == 18) {
				if (*p != '0')
					return whole;
				continue;
			}
			fp = fp * 10 + (uint64_t)(*p - '0');
			pow10 *= 10;
			nfrac++;
		}
	}
	while (*p == ' ')
		p++;
	if (!*p)
		return no_unit;
	for (unsigned i = 0; units[i].name; i++)
		if (!strcmp(p, units[i].name))
			mult = units[i].mult;
	if (!mult)
		return bad_unit;
	/* fp / pow10 units must be a whole count of base units: fp * mult divisible by pow10. */
	{
		uint64_t g = gcd(mult, pow10), den = pow10 / g, m = mult / g;

		if (fp % den)
			return whole;
		fp /= den;
		if (fp && m > UINT64_MAX / fp)
			return "is too large";
		fp *= m;
	}
	if (ip && mult > UINT64_MAX / ip)
		return "is too large";
	v = ip * mult;
	if (v > UINT64_MAX - fp)
		return "is too large";
	*out = v + fp;
	return NULL;
}

const char *ks_parse_duration(const char *s, bool never_ok, ks_time *out)
{
	const char *why;
	uint64_t v;

	if (!strcmp(s, "never")) {
		if (!never_ok)
			return "cannot be never";
		*out = KS_YAML_NEVER;
		return NULL;
	}
	why = parse_units(s, time_units, "is not a whole number of nanoseconds",
			  "needs a unit (e.g. 600s)",
			  "has an unknown unit (use ns, us, ms, s, min or h)", &v);
	if (why)
		return why;
	if (v == KS_YAML_NEVER)
		return "is too large";
	*out = v;
	return NULL;
}

const char *ks_parse_size(const char *s, uint64_t *out)
{
	return parse_units(s, size_units, "is not a whole number of bytes",
			   "needs a unit (e.g. 4KiB)",
			   "has an unknown unit (use B, KiB, MiB, GiB or TiB)", out);
}

/* ---- suggestions ---------------------------------------------------------------- */

unsigned ks_edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned *d, r;

	if (la > 64 || lb > 64)
		return UINT_MAX / 2;
	d = ks_xmalloc((la + 1) * (lb + 1) * sizeof(*d));
#define D(i, j) d[(i) * (lb + 1) + (j)]
	for (size_t i = 0; i <= la; i++)
		D(i, 0) = (unsigned)i;
	for (size_t j = 0; j <= lb; j++)
		D(0, j) = (unsigned)j;
	for (size_t i = 1; i <= la; i++)
		for (size_t j = 1; j <= lb; j++) {
			unsigned best = D(i - 1, j - 1) + (a[i - 1] != b[j - 1]);

			if (D(i - 1, j) + 1 < best)
				best = D(i - 1, j) + 1;
			if (D(i, j - 1) + 1 < best)
				best = D(i, j - 1) + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    D(i - 2, j - 2) + 1 < best)
				best = D(i - 2, j - 2) + 1;
			D(i, j) = best;
		}
	r = D(la, lb);
#undef D
	free(d);
	return r;
}

const char *ks_suggest(const char *word, const char *const *known)
{
	size_t len = strlen(word);
	unsigned limit = len <= 4 ? 1 : len <= 8 ? 2 : 3, best = UINT_MAX;
	const char *hit = NULL;

	for (unsigned i = 0; known[i]; i++) {
		unsigned d = ks_edit_distance(word, known[i]);

		if (d < best) {
			best = d;
			hit = known[i];
		}
	}
	return best <= limit ? hit : NULL;
}
