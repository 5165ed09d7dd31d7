/* cmd_trace.c - `sim trace convert|gen|info`: trace files from the command line.
 *
 *   sim trace convert [--format bin|text] IN OUT   binary <-> text (OUT's extension)
 *   sim trace gen --scenario NAME -o OUT [--seed N] [--set KEY=VALUE]... [--format F]
 *   sim trace info FILE                            version, counts, processes, span
 *   sim trace import IN -o OUT [--image elf|raw] [--name NAME] [--zero-pages written|absent]
 *
 * Every failure is one line "sim: ..." on stderr and exit status 2 (KS_EXIT_ERROR). */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "cli_opts.h"
#include "models/base/xalloc.h"
#include "sim/config/load_scenario.h"
#include "traces/gen.h"
#include "traces/import_mem.h"
#include "traces/scenario.h"
#include "traces/trace_io.h"

static const char trace_usage[] =
	"usage: sim trace convert [--format bin|text] IN OUT\n"
	"       sim trace gen --scenario NAME -o OUT [--seed N] [--set KEY=VALUE]...\n"
	"                     [--format bin|text]\n"
	"       sim trace info FILE\n"
	"       sim trace import IN -o OUT [--image elf|raw] [--name NAME]\n"
	"                     [--zero-pages written|absent] [--format bin|text]\n"
	"\n"
	"Page-write traces: binary .kst or text .kstt (docs/trace-format.md).\n"
	"  convert   rewrite IN in the format of OUT's extension (or --format)\n"
	"  gen       write the synthetic trace of a scenario's processes: groups\n"
	"  info      print the version, record counts, processes and time span of FILE\n"
	"  import    a memory image as a trace of one process: a QEMU dump-guest-memory\n"
	"            ELF core (x86_64) or a raw memory file (--image raw)\n"
	"Options:\n"
	"  --format bin|text   output format (default: from the extension)\n"
	"  --scenario NAME     scenario file or name (gen)\n"
	"  -o, --output FILE   output trace (gen)\n"
	"  --seed N            override the scenario seed (gen)\n"
	"  --set KEY=VALUE     override a scenario key, e.g. --set duration=10s (gen)\n"
	"  --image elf|raw     kind of memory image (import; default: an ELF core)\n"
	"  --name NAME         the process name in the trace (import; default: image)\n"
	"  --zero-pages written|absent  zero pages of the image as written pages (the\n"
	"                      default) or left unpopulated (import)\n"
	"  -h, --help          this help\n";

/* Options shared by the subcommands. */
struct trace_opts {
	struct ks_strlist args;  /* positional arguments: the subcommand and its files */
	const char *format;      /* --format, or NULL */
	const char *scenario;    /* --scenario */
	const char *output;      /* -o */
	const char *seed;        /* --seed */
	struct ks_strlist sets;  /* --set values */
	const char *image;       /* --image (import) */
	const char *name;        /* --name (import) */
	const char *zero_pages;  /* --zero-pages (import) */
};

__attribute__((format(printf, 1, 2)))
static int usage_error(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ks_cli_error("trace: %s; try 'sim trace --help'", msg);
	return KS_EXIT_ERROR;
}

static void usage(FILE *out)
{
	fputs(trace_usage, out);
}

static int parse_opts(int argc, char **argv, struct trace_opts *o)
{
	const struct ks_opt opts[] = {
		KS_STR("format", 0, &o->format),
		KS_STR("scenario", 0, &o->scenario),
		KS_STR("output", 'o', &o->output),
		KS_STR("seed", 0, &o->seed),
		KS_LIST("set", 0, &o->sets),
		KS_STR("image", 0, &o->image),
		KS_STR("name", 0, &o->name),
		KS_STR("zero-pages", 0, &o->zero_pages),
		KS_OPT_END };
	const struct ks_cmdline cl = { .cmd = "trace", .usage = usage, .opts = opts,
				       .min_args = 1, .max_args = 3,
				       .args = "a subcommand (convert, gen, info or import)" };

	return ks_cli_parse(&cl, argc, argv, &o->args);
}

/* The output format: --format, else OUT's extension. */
static int out_format(const struct trace_opts *o, const char *out, enum ks_trace_format *fmt)
{
	if (o->format) {
		if (strcmp(o->format, "bin") == 0 || strcmp(o->format, "binary") == 0)
			*fmt = KS_TRACE_BINARY;
		else if (strcmp(o->format, "text") == 0)
			*fmt = KS_TRACE_TEXT;
		else
			return usage_error("unknown format '%s' (bin or text)", o->format);
		return 0;
	}
	if (ks_trace_format_from_name(out, fmt))
		return usage_error("cannot tell the format of '%s' (name it .kst or .kstt, or "
				   "use --format)", out);
	return 0;
}

static volatile int stop_signal; /* SIGINT, SIGTERM or SIGHUP during a copy or import */

/* Copies every record of src to a new trace at out. A signal stops it: the temporary
 * file is removed, out is left as it was. */
static int copy_trace(struct ks_trace_source *src, const char *out, enum ks_trace_format fmt)
{
	struct ks_trace_rec *rec = ks_xmalloc(sizeof(*rec));
	struct ks_trace_writer *w;
	struct ks_err err;
	int rc = 0, exit = KS_EXIT_OK;

	ks_cli_signals_catch(&stop_signal); /* from before the temporary file exists */
	w = ks_trace_writer_open(out, fmt, &err);
	if (!w) {
		ks_cli_error("%s", err.msg);
		exit = KS_EXIT_ERROR;
		goto out;
	}
	while (!stop_signal && (rc = src->next(src, rec, &err)) > 0)
		if (ks_trace_writer_put(w, rec, &err))
			break;
	if (stop_signal) {
		ks_trace_writer_abort(w);
		ks_cli_error("%s: interrupted by signal %d; nothing written", out, stop_signal);
		exit = KS_EXIT_INTERRUPTED;
	} else if (rc != 0) { /* a reader error, or a writer error (rc still 1) */
		ks_trace_writer_abort(w);
		ks_cli_error("%s", err.msg);
		exit = KS_EXIT_ERROR;
	} else if (ks_trace_writer_close(w, &err)) {
		ks_cli_error("%s", err.msg);
		exit = KS_EXIT_ERROR;
	}
out:
	ks_cli_signals_restore();
	free(rec);
	return exit;
}

static int trace_convert(const struct trace_opts *o)
{
	struct ks_trace_source *src;
	enum ks_trace_format fmt;
	struct ks_err err;
	int rc;

	if (o->args.n != 3)
		return usage_error("%s", "convert needs IN and OUT");
	if (o->scenario || o->output || o->seed || o->sets.n)
		return usage_error("%s", "convert takes only --format");
	if (out_format(o, o->args.v[2], &fmt))
		return KS_EXIT_ERROR;
	src = ks_trace_open(o->args.v[1], &err);
	if (!src) {
		ks_cli_error("%s", err.msg);
		return KS_EXIT_ERROR;
	}
	rc = copy_trace(src, o->args.v[2], fmt);
	src->close(src);
	return rc;
}

static int trace_gen(const struct trace_opts *o)
{
	const char **sets = ks_xcalloc(o->sets.n + 2, sizeof(*sets));
	struct ks_trace_source *src;
	enum ks_trace_format fmt;
	struct ks_scenario sc;
	char path[4096], seedset[64];
	struct ks_err err;
	unsigned nsets = 0;
	int rc = KS_EXIT_ERROR;

	if (o->args.n != 1 || !o->scenario || !o->output) {
		usage_error("%s", "gen needs --scenario NAME and -o OUT");
		goto out_free;
	}
	if (out_format(o, o->output, &fmt))
		goto out_free;
	for (unsigned i = 0; i < o->sets.n; i++)
		sets[nsets++] = o->sets.v[i];
	if (o->seed) { /* as a --set, so seed-derived values (image seeds) follow it */
		snprintf(seedset, sizeof(seedset), "seed=%s", o->seed);
		sets[nsets++] = seedset;
	}
	ks_scenario_init(&sc);
	if (ks_scenario_find(o->scenario, path, sizeof(path), &err) ||
	    ks_scenario_load_file(path, sets, nsets, &sc, &err)) {
		ks_cli_error("%s", err.msg);
		goto out_fini;
	}
	src = ks_gen_open(&sc, &err);
	if (!src) {
		ks_cli_error("%s", err.msg);
		goto out_fini;
	}
	rc = copy_trace(src, o->output, fmt);
	src->close(src);
out_fini:
	ks_scenario_fini(&sc);
out_free:
	free(sets);
	return rc;
}

/* A set of pids (open addressing; pid + 1 stored so that 0 marks a free slot). */
struct pid_set {
	uint64_t *slot; /* capacity entries */
	size_t cap;     /* power of two */
	size_t len;     /* pids stored */
};

static void pid_set_add(struct pid_set *s, uint32_t pid)
{
	size_t i;

	if (2 * (s->len + 1) > s->cap) {
		struct pid_set bigger = { ks_xcalloc(s->cap ? 2 * s->cap : 64, 8),
					  s->cap ? 2 * s->cap : 64, 0 };

		for (i = 0; i < s->cap; i++)
			if (s->slot[i])
				pid_set_add(&bigger, (uint32_t)(s->slot[i] - 1));
		free(s->slot);
		*s = bigger;
	}
	for (i = (pid * 2654435761u) & (s->cap - 1); s->slot[i]; i = (i + 1) & (s->cap - 1))
		if (s->slot[i] == (uint64_t)pid + 1)
			return;
	s->slot[i] = (uint64_t)pid + 1;
	s->len++;
}

static int trace_info(const struct trace_opts *o)
{
	struct ks_trace_rec *rec = ks_xmalloc(sizeof(*rec));
	uint64_t count[KS_TR_OP_MAX] = { 0 }, total = 0, written = 0, mapped = 0;
	unsigned version;
	struct pid_set pids = { NULL, 0, 0 };
	ks_time first = 0, last = 0;
	struct ks_trace_source *src;
	enum ks_trace_format fmt;
	char a[32], b[32];
	struct ks_err err;
	int rc = KS_EXIT_ERROR;

	if (o->args.n != 2 || o->format || o->scenario || o->output || o->seed || o->sets.n) {
		free(rec);
		return usage_error("%s", "info takes one FILE and no options");
	}
	if (ks_trace_detect(o->args.v[1], &fmt, &err) || !(src = ks_trace_open(o->args.v[1], &err))) {
		ks_cli_error("%s", err.msg);
		goto out_free;
	}
	version = ks_trace_source_version(src);
	while ((rc = src->next(src, rec, &err)) > 0) {
		if (!total++)
			first = rec->t;
		last = rec->t;
		count[rec->op]++;
		if (rec->op != KS_TR_CLASS && rec->op != KS_TR_KNOB &&
		    rec->op != KS_TR_PAGE)
			pid_set_add(&pids, rec->pid);
		if (rec->op == KS_TR_WRITE || rec->op == KS_TR_WRITE_LITERAL ||
		    rec->op == KS_TR_REF)
			written += rec->npages;
		if (rec->op == KS_TR_MMAP)
			mapped += rec->npages;
	}
	src->close(src);
	if (rc < 0) {
		ks_cli_error("%s", err.msg);
		rc = KS_EXIT_ERROR;
		goto out_free;
	}
	printf("file: %s\nformat: %s, version %d\nrecords: %" PRIu64 "\n", o->args.v[1],
	       fmt == KS_TRACE_BINARY ? "binary" : "text", version, total);
	for (int op = KS_TR_CLASS; op < KS_TR_OP_MAX; op++)
		printf("  %-12s %" PRIu64 "\n", ks_trace_op_name(op), count[op]);
	printf("processes: %zu (%" PRIu64 " started, %" PRIu64 " exited)\n", pids.len,
	       count[KS_TR_START], count[KS_TR_EXIT]);
	printf("pages mapped: %" PRIu64 "\npages written: %" PRIu64 "\n", mapped, written);
	if (count[KS_TR_PAGE]) {
		struct stat sb;

		printf("dictionary: %" PRIu64 " distinct pages\n", count[KS_TR_PAGE]);
		if (stat(o->args.v[1], &sb) == 0 && written)
			printf("file size: %lld bytes, %.1f bytes per page written\n",
			       (long long)sb.st_size, (double)sb.st_size / (double)written);
	}
	if (total)
		printf("time span: %s .. %s\n", ks_trace_time_str(first, a, sizeof(a)),
		       ks_trace_time_str(last, b, sizeof(b)));
	else
		printf("time span: (empty)\n");
	rc = KS_EXIT_OK;
out_free:
	free(pids.slot);
	free(rec);
	return rc;
}

static int trace_import(const struct trace_opts *o)
{
	struct ks_import_opts io = { .name = o->name };
	struct ks_import_stats st;
	struct ks_err err;
	int rc;

	if (o->args.n != 2 || !o->output)
		return usage_error("%s", "import needs IN and -o OUT");
	if (o->scenario || o->seed || o->sets.n)
		return usage_error("%s", "import takes --image, --name, --zero-pages, --format");
	if (out_format(o, o->output, &io.fmt))
		return KS_EXIT_ERROR;
	if (!o->image)
		io.kind = KS_IMAGE_AUTO;
	else if (strcmp(o->image, "elf") == 0)
		io.kind = KS_IMAGE_ELF;
	else if (strcmp(o->image, "raw") == 0)
		io.kind = KS_IMAGE_RAW;
	else
		return usage_error("unknown image kind '%s' (elf or raw)", o->image);
	if (o->zero_pages && strcmp(o->zero_pages, "written") != 0 &&
	    strcmp(o->zero_pages, "absent") != 0)
		return usage_error("--zero-pages '%s' (written or absent)", o->zero_pages);
	io.zero_absent = o->zero_pages && strcmp(o->zero_pages, "absent") == 0;
	if (o->name && (!o->name[0] || strlen(o->name) > 63))
		return usage_error("%s", "--name needs 1 to 63 bytes");
	io.stop = &stop_signal;
	ks_cli_signals_catch(&stop_signal); /* from before the temporary file exists */
	rc = ks_import_mem(o->args.v[1], o->output, &io, &st, &err);
	ks_cli_signals_restore();
	if (rc) {
		ks_cli_error("%s", err.msg);
		return rc == KS_EINTR ? KS_EXIT_INTERRUPTED : KS_EXIT_ERROR;
	}
	printf("imported %s: %" PRIu64 " region%s, %" PRIu64 " pages (%" PRIu64 " zero, %"
	       PRIu64 " distinct non-zero pages stored)\n", o->args.v[1], st.regions,
	       st.regions == 1 ? "" : "s", st.pages, st.zero_pages, st.dict_pages);
	printf("  trace: %s, %" PRIu64 " bytes", o->output, st.trace_bytes);
	if (st.pages)
		printf(" = %.1f bytes per image page", (double)st.trace_bytes / (double)st.pages);
	printf("\n");
	return KS_EXIT_OK;
}

int ks_cmd_trace(int argc, char **argv)
{
	struct trace_opts o;
	int rc;

	memset(&o, 0, sizeof(o));
	rc = parse_opts(argc, argv, &o);
	if (rc >= 0)
		goto out;
	if (strcmp(o.args.v[0], "convert") == 0)
		rc = trace_convert(&o);
	else if (strcmp(o.args.v[0], "gen") == 0)
		rc = trace_gen(&o);
	else if (strcmp(o.args.v[0], "info") == 0)
		rc = trace_info(&o);
	else if (strcmp(o.args.v[0], "import") == 0)
		rc = trace_import(&o);
	else
		rc = usage_error("unknown subcommand '%s' (convert, gen, info or import)",
				 o.args.v[0]);
out:
	ks_strlist_free(&o.args);
	ks_strlist_free(&o.sets);
	return rc;
}
