/* sweep_plan.c - the points of a parameter sweep: --vary lists and ranges, points as
 * the product of the keys' values (the last key varies fastest, as nested loops
 * written in command-line order), tasks and shards, and the plan's hash. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sweep_plan.h"
#include "models/base/xalloc.h"

/* One end or step of a range: a number with an optional unit suffix. */
struct num {
	double v;               /* the number */
	bool integer;           /* written without '.', exponent or fraction */
	char unit[16];          /* letters after it ("MiB", "s", "%"), may be empty */
};

/* Parses a number with an optional unit into *n; the whole of [s, end) must be used.
 * False if it is not one. */
static bool parse_num(const char *s, const char *end, struct num *n)
{
	char buf[64], *stop;
	size_t len = (size_t)(end - s), ulen;

	if (len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	errno = 0;
	n->v = strtod(buf, &stop);
	if (stop == buf || errno || !isfinite(n->v))
		return false;
	n->integer = strcspn(buf, ".eEpPxXiInN") >= (size_t)(stop - buf);
	ulen = strlen(stop);
	if (ulen >= sizeof(n->unit))
		return false;
	for (size_t i = 0; i < ulen; i++)
		if (!isalpha((unsigned char)stop[i]) && stop[i] != '%')
			return false;
	memcpy(n->unit, stop, ulen + 1);
	return true;
}

/* A value as --set will write it: integers without a fraction, others with %.6g. */
static char *fmt_value(double v, bool integer, const char *unit)
{
	char buf[80];

	if (integer)
		snprintf(buf, sizeof(buf), "%lld%s", (long long)llround(v), unit);
	else
		snprintf(buf, sizeof(buf), "%.6g%s", v, unit);
	return ks_xstrdup(buf);
}

static char *dup_n(const char *s, size_t n)
{
	char *d = ks_xmalloc(n + 1);

	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

static int vary_fail(struct ks_err *err, const char *arg, const char *problem)
{
	return ks_err_set(err, KS_EINVAL, "--vary %s: %s", arg, problem);
}

static void push(struct ks_sweep_key *k, char *v, unsigned *cap)
{
	if (k->nvalues == *cap) {
		*cap = *cap ? 2 * *cap : 16;
		k->values = ks_xrealloc(k->values, *cap * sizeof(*k->values));
	}
	k->values[k->nvalues++] = v;
}

/* "V1,V2,...": every value as written. */
static int parse_list(struct ks_sweep_key *k, const char *spec, const char *arg,
		      struct ks_err *err)
{
	unsigned cap = 0;
	const char *s = spec;

	for (;;) {
		size_t len = strcspn(s, ",");

		if (len == 0)
			return vary_fail(err, arg, *spec ? "an empty value in the list" :
					 "no values (an empty range)");
		push(k, dup_n(s, len), &cap);
		if (k->nvalues > KS_SWEEP_MAX_TASKS)
			return vary_fail(err, arg, "too many values");
		if (!s[len])
			return 0;
		s += len + 1;
	}
}

/* "A..B/STEP", "A..B:N", "A..B:Nlog" with a and b parsed; rest points after B. */
static int parse_range(struct ks_sweep_key *k, const struct num *a, const struct num *b,
		       char sep, const char *rest, const char *arg, struct ks_err *err)
{
	unsigned cap = 0;
	bool integer = a->integer && b->integer;

	if (strcmp(a->unit, b->unit))
		return vary_fail(err, arg, "both ends of a range need the same unit");
	if (sep == '/') {
		struct num st;

		if (!parse_num(rest, rest + strlen(rest), &st) || (st.unit[0] &&
		    strcmp(st.unit, a->unit)))
			return vary_fail(err, arg, "expected a step after '/' (A..B/STEP)");
		if (st.v <= 0)
			return vary_fail(err, arg, "the step must be positive");
		if (a->v > b->v)
			return vary_fail(err, arg, "empty range (its start is past its end)");
		integer = integer && st.integer;
		if ((b->v - a->v) / st.v >= KS_SWEEP_MAX_TASKS)
			return vary_fail(err, arg, "too many values");
		for (double x = a->v, i = 0; x <= b->v + st.v * 1e-9; x = a->v + ++i * st.v)
			push(k, fmt_value(x, integer, a->unit), &cap);
		return 0;
	} else {
		char *end;
		unsigned long n;
		bool geometric;

		errno = 0;
		n = strtoul(rest, &end, 10);
		geometric = !strcmp(end, "log");
		if (end == rest || errno || (*end && !geometric) || rest[0] == '-')
			return vary_fail(err, arg, "expected a count after ':' (A..B:N or A..B:Nlog)");
		if (n == 0)
			return vary_fail(err, arg, "empty range (0 values)");
		if (n > KS_SWEEP_MAX_TASKS)
			return vary_fail(err, arg, "too many values");
		if (geometric && (a->v <= 0 || b->v <= 0))
			return vary_fail(err, arg, "a geometric range needs positive ends");
		for (unsigned long i = 0; i < n; i++) {
			double f = n > 1 ? (double)i / (double)(n - 1) : 0.0;
			double x = geometric ? a->v * pow(b->v / a->v, f) :
				a->v + (b->v - a->v) * f;
			char *v = fmt_value(x, integer, a->unit);

			if (k->nvalues && !strcmp(k->values[k->nvalues - 1], v))
				free(v); /* the same integer again after rounding */
			else
				push(k, v, &cap);
		}
		return 0;
	}
}

int ks_sweep_plan_add(struct ks_sweep_plan *p, const char *arg, struct ks_err *err)
{
	const char *eq = strchr(arg, '='), *spec, *dots;
	struct ks_sweep_key *k;
	struct num a, b;
	int rc;

	if (p->nkeys == KS_SWEEP_MAX_KEYS)
		return vary_fail(err, arg, "too many --vary keys (at most 8)");
	if (!eq || eq == arg)
		return vary_fail(err, arg, "expected KEY=V1,V2,... or KEY=A..B/STEP");
	for (unsigned i = 0; i < p->nkeys; i++)
		if (strlen(p->keys[i].key) == (size_t)(eq - arg) &&
		    !strncmp(p->keys[i].key, arg, (size_t)(eq - arg)))
			return vary_fail(err, arg, "this key is varied twice");
	spec = eq + 1;
	k = &p->keys[p->nkeys];
	memset(k, 0, sizeof(*k));
	k->key = dup_n(arg, (size_t)(eq - arg));
	dots = strstr(spec, "..");
	if (dots && parse_num(spec, dots, &a)) {
		const char *bend = dots + 2 + strcspn(dots + 2, "/:");

		if (!*bend || !parse_num(dots + 2, bend, &b))
			rc = vary_fail(err, arg, "expected A..B/STEP, A..B:N or A..B:Nlog");
		else
			rc = parse_range(k, &a, &b, *bend, bend + 1, arg, err);
	} else {
		rc = parse_list(k, spec, arg, err);
	}
	p->nkeys++;
	if (!rc && ks_sweep_tasks(p) > KS_SWEEP_MAX_TASKS)
		rc = vary_fail(err, arg, "too many points x seeds (at most 1000000)");
	if (rc) {
		p->nkeys--;
		for (unsigned i = 0; i < k->nvalues; i++)
			free(k->values[i]);
		free(k->values);
		free(k->key);
		memset(k, 0, sizeof(*k));
	}
	return rc;
}

void ks_sweep_plan_fini(struct ks_sweep_plan *p)
{
	for (unsigned k = 0; k < p->nkeys; k++) {
		for (unsigned i = 0; i < p->keys[k].nvalues; i++)
			free(p->keys[k].values[i]);
		free(p->keys[k].values);
		free(p->keys[k].key);
	}
	p->nkeys = 0;
}

int ks_sweep_parse_shard(const char *s, unsigned *i, unsigned *n, struct ks_err *err)
{
	char *end;
	unsigned long a, b;

	errno = 0;
	a = strtoul(s, &end, 10);
	if (end == s || *end != '/' || s[0] == '-' || errno)
		goto bad;
	s = end + 1;
	b = strtoul(s, &end, 10);
	if (end == s || *end || s[0] == '-' || errno || b == 0 || b > KS_SWEEP_MAX_TASKS ||
	    a >= b)
		goto bad;
	*i = (unsigned)a;
	*n = (unsigned)b;
	return 0;
bad:
	return ks_err_set(err, KS_EINVAL, "--shard needs I/N with 0 <= I < N, e.g. 0/4");
}

uint64_t ks_sweep_points(const struct ks_sweep_plan *p)
{
	uint64_t n = 1;

	for (unsigned k = 0; k < p->nkeys; k++)
		n *= p->keys[k].nvalues;
	return n;
}

uint64_t ks_sweep_tasks(const struct ks_sweep_plan *p)
{
	return ks_sweep_points(p) * (p->seeds ? p->seeds : 1);
}

const char *ks_sweep_value(const struct ks_sweep_plan *p, uint64_t point, unsigned k)
{
	for (unsigned j = p->nkeys; j-- > k + 1;)
		point /= p->keys[j].nvalues;
	return p->keys[k].values[point % p->keys[k].nvalues];
}

void ks_sweep_set(const struct ks_sweep_plan *p, uint64_t point, unsigned k, char *buf,
		  size_t n)
{
	snprintf(buf, n, "%s=%s", p->keys[k].key, ks_sweep_value(p, point, k));
}

void ks_sweep_point_params(const struct ks_sweep_plan *p, uint64_t point, char *buf,
			   size_t n)
{
	size_t used = 0;

	buf[0] = '\0';
	for (unsigned k = 0; k < p->nkeys && used < n; k++) {
		used += (size_t)snprintf(buf + used, n - used, "%s", k ? " " : "");
		if (used < n)
			ks_sweep_set(p, point, k, buf + used, n - used);
		used = strlen(buf);
	}
}

void ks_sweep_keys_text(const struct ks_sweep_plan *p, char *buf, size_t n)
{
	size_t used = 0;

	buf[0] = '\0';
	for (unsigned k = 0; k < p->nkeys && used < n; k++)
		used += (size_t)snprintf(buf + used, n - used, "%s%s", k ? " " : "",
					 p->keys[k].key);
}

int ks_sweep_task_in_shard(uint64_t t, unsigned i, unsigned n)
{
	return t % n == i;
}

uint64_t ks_sweep_hash(uint64_t h, const void *data, size_t len)
{
	const unsigned char *b = data;

	for (size_t i = 0; i < len; i++) {
		h ^= b[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

uint64_t ks_sweep_plan_hash(const struct ks_sweep_plan *p, uint64_t h)
{
	for (unsigned k = 0; k < p->nkeys; k++) {
		h = ks_sweep_hash(h, p->keys[k].key, strlen(p->keys[k].key) + 1);
		for (unsigned i = 0; i < p->keys[k].nvalues; i++)
			h = ks_sweep_hash(h, p->keys[k].values[i],
					  strlen(p->keys[k].values[i]) + 1);
	}
	return ks_sweep_hash(h, &p->seeds, sizeof(p->seeds));
}
