/* cli_opts.h - the one way every command reads its command line: a table of options
 * (struct ks_opt), parsed with GNU conventions ("--name VALUE", "--name=VALUE",
 * "-x VALUE", "-xVALUE", short flags, "--" ends the options, positional arguments
 * anywhere), with the same one-line messages for every command and "-h/--help" always. */
#ifndef KS_CLI_OPTS_H
#define KS_CLI_OPTS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum ks_opt_kind {
	KS_OPT_FLAG,   /* bool *: set to true */
	KS_OPT_STR,    /* const char **: the value (the last one given wins) */
	KS_OPT_LIST,   /* struct ks_strlist *: every value, in order (repeatable) */
	KS_OPT_U64,    /* uint64_t *: decimal or 0x-hex integer in [min, max] */
	KS_OPT_UINT,   /* unsigned *: the same, max at most UINT_MAX */
	KS_OPT_DOUBLE, /* double *: finite number >= dmin */
	KS_OPT_FN      /* fn(ctx, value): 0, or non-zero after printing its own error */
};

struct ks_strlist {
	const char **v; /* values (pointers into argv), NULL-terminated */
	unsigned n;
};

struct ks_opt {
	const char *name;       /* long name without "--"; NULL ends the table */
	char short_name;        /* 0: none */
	enum ks_opt_kind kind;
	void *dest;             /* see the kinds; NULL for KS_OPT_FN */
	uint64_t min, max;      /* KS_OPT_U64 / KS_OPT_UINT: accepted range (max 0: type max) */
	double dmin;            /* KS_OPT_DOUBLE: smallest accepted value */
	int (*fn)(void *ctx, const char *value); /* KS_OPT_FN */
	void *ctx;              /* KS_OPT_FN */
	bool *given;            /* optional: set to true when the option appears */
};

/* Table entries. */
#define KS_FLAG(n, s, d) { .name = (n), .short_name = (s), .kind = KS_OPT_FLAG, .dest = (d) }
#define KS_STR(n, s, d) { .name = (n), .short_name = (s), .kind = KS_OPT_STR, .dest = (d) }
#define KS_LIST(n, s, d) { .name = (n), .short_name = (s), .kind = KS_OPT_LIST, .dest = (d) }
#define KS_U64(n, s, d, lo, hi) { .name = (n), .short_name = (s), .kind = KS_OPT_U64, \
				  .dest = (d), .min = (lo), .max = (hi) }
#define KS_UINT(n, s, d, lo, hi) { .name = (n), .short_name = (s), .kind = KS_OPT_UINT, \
				   .dest = (d), .min = (lo), .max = (hi) }
#define KS_DOUBLE(n, s, d, lo) { .name = (n), .short_name = (s), .kind = KS_OPT_DOUBLE, \
				 .dest = (d), .dmin = (lo) }
#define KS_FN(n, s, f, c) { .name = (n), .short_name = (s), .kind = KS_OPT_FN, .fn = (f), \
			    .ctx = (c) }
#define KS_OPT_END { .name = NULL }

struct ks_cmdline {
	const char *cmd;        /* command name for messages ("sweep"); NULL for `sim` */
	void (*usage)(FILE *out);
	const struct ks_opt *opts;
	unsigned min_args;      /* positional arguments required ... */
	unsigned max_args;      /* ... and accepted (UINT32_MAX: any number) */
	const char *args;       /* what they are, for "needs ..." ("DIR...") */
};

/* Parses argv[1..argc) (argv[0] is the command). Returns -1 to go on, with the
 * positional arguments in args (pointers into argv; free args->v with ks_strlist_free),
 * KS_EXIT_OK after printing the usage for -h/--help, or KS_EXIT_ERROR after printing one
 * line "sim: CMD: problem; try 'sim CMD --help'". */
int ks_cli_parse(const struct ks_cmdline *cl, int argc, char **argv, struct ks_strlist *args);
/* Frees the array of a list (not the strings, which belong to argv). */
void ks_strlist_free(struct ks_strlist *l);

#endif
