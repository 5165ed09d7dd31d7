/* cli_opts.c - table-driven command-line parsing for every command (cli_opts.h). */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_opts.h"
#include "models/base/xalloc.h"

void ks_strlist_free(struct ks_strlist *l)
{
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static void list_add(struct ks_strlist *l, const char *s)
{
	l->v = ks_xrealloc(l->v, (l->n + 2) * sizeof(*l->v));
	l->v[l->n++] = s;
	l->v[l->n] = NULL;
}

/* "sim: sweep: <msg>; try 'sim sweep --help'" (or 'sim --help'). */
static int fail(const struct ks_cmdline *cl, const char *what, const char *arg)
{
	if (cl->cmd)
		ks_cli_error("%s: %s '%s'; try 'sim %s --help'", cl->cmd, what, arg, cl->cmd);
	else
		ks_cli_error("%s '%s'; try 'sim --help'", what, arg);
	return KS_EXIT_ERROR;
}

static int bad_value(const struct ks_cmdline *cl, const struct ks_opt *o, const char *v,
		     const char *expected)
{
	ks_cli_error("%s%s--%s: expected %s, got '%s'", cl->cmd ? cl->cmd : "",
		     cl->cmd ? ": " : "", o->name, expected, v);
	return KS_EXIT_ERROR;
}

static int set_u64(const struct ks_cmdline *cl, const struct ks_opt *o, const char *v,
		   uint64_t type_max)
{
	uint64_t max = o->max ? o->max : type_max, x;
	char *end, want[96];

	errno = 0;
	x = strtoull(v, &end, 0);
	if (!*v || *end || errno || v[0] == '-' || x < o->min || x > max) {
		if (max == type_max)
			snprintf(want, sizeof(want), "an integer >= %" PRIu64, o->min);
		else
			snprintf(want, sizeof(want), "an integer in %" PRIu64 "..%" PRIu64, o->min,
				 max);
		return bad_value(cl, o, v, want);
	}
	if (o->kind == KS_OPT_UINT)
		*(unsigned *)o->dest = (unsigned)x;
	else
		*(uint64_t *)o->dest = x;
	return 0;
}

static int apply(const struct ks_cmdline *cl, const struct ks_opt *o, const char *v)
{
	char *end, want[64];
	double d;

	if (o->given)
		*o->given = true;
	switch (o->kind) {
	case KS_OPT_FLAG:
		*(bool *)o->dest = true;
		return 0;
	case KS_OPT_STR:
		*(const char **)o->dest = v;
		return 0;
	case KS_OPT_LIST:
		list_add(o->dest, v);
		return 0;
	case KS_OPT_U64:
		return set_u64(cl, o, v, UINT64_MAX);
	case KS_OPT_UINT:
		return set_u64(cl, o, v, UINT_MAX);
	case KS_OPT_DOUBLE:
		errno = 0;
		d = strtod(v, &end);
		if (end == v || *end || errno || !isfinite(d) || d < o->dmin) {
			snprintf(want, sizeof(want), "a number >= %g", o->dmin);
			return bad_value(cl, o, v, want);
		}
		*(double *)o->dest = d;
		return 0;
	case KS_OPT_FN:
		return o->fn(o->ctx, v) ? KS_EXIT_ERROR : 0;
	}
	return KS_EXIT_ERROR;
}

static const struct ks_opt *find_long(const struct ks_opt *opts, const char *name, size_t n)
{
	for (const struct ks_opt *o = opts; o->name; o++)
		if (strlen(o->name) == n && strncmp(o->name, name, n) == 0)
			return o;
	return NULL;
}

static const struct ks_opt *find_short(const struct ks_opt *opts, char c)
{
	for (const struct ks_opt *o = opts; o->name; o++)
		if (o->short_name && o->short_name == c)
			return o;
	return NULL;
}

/* One "--name[=value]" at argv[*i]. */
static int parse_long(const struct ks_cmdline *cl, int argc, char **argv, int *i)
{
	const char *a = argv[*i] + 2, *eq = strchr(a, '=');
	size_t n = eq ? (size_t)(eq - a) : strlen(a);
	const struct ks_opt *o = find_long(cl->opts, a, n);

	if (!o)
		return fail(cl, "unknown option", argv[*i]);
	if (o->kind == KS_OPT_FLAG)
		return eq ? fail(cl, "option takes no value:", argv[*i]) : apply(cl, o, NULL);
	if (eq)
		return apply(cl, o, eq + 1);
	if (*i + 1 >= argc)
		return fail(cl, "option needs a value:", argv[*i]);
	return apply(cl, o, argv[++*i]);
}

/* One "-x", "-xVALUE", "-x VALUE" or a cluster of short flags "-qv" at argv[*i]. */
static int parse_short(const struct ks_cmdline *cl, int argc, char **argv, int *i)
{
	for (const char *p = argv[*i] + 1; *p; p++) {
		const struct ks_opt *o = find_short(cl->opts, *p);
		char opt[3] = { '-', *p, '\0' };
		int rc;

		if (!o)
			return fail(cl, "unknown option", opt);
		if (o->kind == KS_OPT_FLAG) {
			if ((rc = apply(cl, o, NULL)))
				return rc;
			continue;
		}
		if (p[1])
			return apply(cl, o, p + 1);
		if (*i + 1 >= argc)
			return fail(cl, "option needs a value:", opt);
		return apply(cl, o, argv[++*i]);
	}
	return 0;
}

static bool is_help(const char *a)
{
	return !strcmp(a, "-h") || !strcmp(a, "--help");
}

int ks_cli_parse(const struct ks_cmdline *cl, int argc, char **argv, struct ks_strlist *args)
{
	bool opts_done = false;
	int rc = 0;

	memset(args, 0, sizeof(*args));
	for (int i = 1; i < argc && !rc; i++) {
		const char *a = argv[i];

		if (!opts_done && is_help(a)) {
			cl->usage(stdout);
			ks_strlist_free(args);
			return KS_EXIT_OK;
		}
		if (!opts_done && !strcmp(a, "--"))
			opts_done = true;
		else if (!opts_done && a[0] == '-' && a[1] == '-')
			rc = parse_long(cl, argc, argv, &i);
		else if (!opts_done && a[0] == '-' && a[1])
			rc = parse_short(cl, argc, argv, &i);
		else if (args->n < cl->max_args)
			list_add(args, a);
		else
			rc = fail(cl, "unexpected argument", a);
	}
	if (!rc && args->n < cl->min_args) {
		if (cl->cmd)
			ks_cli_error("%s needs %s; try 'sim %s --help'", cl->cmd, cl->args,
				     cl->cmd);
		else
			ks_cli_error("needs %s; try 'sim --help'", cl->args);
		rc = KS_EXIT_ERROR;
	}
	if (rc) {
		ks_strlist_free(args);
		return rc;
	}
	return -1;
}
