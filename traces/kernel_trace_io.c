/* kernel_trace_io.c - kernel trace directories on disk (kernel_trace.h,
 * docs/kernel-traces.md): writing them, and reading them back or importing foreign
 * ones (counters.csv + trace.txt), with file:line messages. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kernel_trace.h"
#include "models/base/xalloc.h"

#define GROW(arr, n, cap_unused) \
	((arr) = ks_xrealloc((arr), ((n) + 1) * sizeof(*(arr))))

/* ---- writing ---- */

static FILE *open_out(const char *dir, const char *name, struct ks_err *err)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		ks_err_set(err, KS_EIO, "%s: cannot create: %s", path, strerror(errno));
	return f;
}

static int close_out(FILE *f, const char *dir, const char *name, struct ks_err *err)
{
	bool bad = ferror(f) != 0;

	if (fclose(f) || bad)
		return ks_err_set(err, KS_EIO, "%s/%s: write error", dir, name);
	return 0;
}

static int write_meta(const struct ks_ktrace *kt, const char *dir, struct ks_err *err)
{
	FILE *f = open_out(dir, "meta.yaml", err);

	if (!f)
		return err->code;
	fputs("# ksmsim kernel trace (docs/kernel-traces.md)\n", f);
	for (unsigned i = 0; i < kt->nmeta; i++)
		fprintf(f, "%s: %s\n", kt->meta_keys[i], kt->meta_vals[i]);
	return close_out(f, dir, "meta.yaml", err);
}

static int write_batches(const struct ks_ktrace *kt, const char *dir, struct ks_err *err)
{
	FILE *f = open_out(dir, "batches.csv", err);

	if (!f)
		return err->code;
	fputs("batch,t_start_ns,t_end_ns,ksmd_cpu_ns", f);
	for (int c = 0; c < KS_KT_NCOUNTERS; c++)
		fprintf(f, ",%s", ks_kt_counter_names[c]);
	fputc('\n', f);
	for (size_t i = 0; i < kt->nbatches; i++) {
		const struct ks_kt_batch *b = &kt->batches[i];

		fprintf(f, "%" PRIu64 ",%" PRId64 ",%" PRId64 ",%" PRId64, b->batch, b->t_start_ns,
			b->t_end_ns, b->ksmd_cpu_ns);
		for (int c = 0; c < KS_KT_NCOUNTERS; c++)
			fprintf(f, ",%" PRId64, b->c[c]);
		fputc('\n', f);
	}
	return close_out(f, dir, "batches.csv", err);
}

static const char *mm_name(const struct ks_ktrace *kt, uint32_t pid)
{
	for (size_t i = 0; i < kt->nmms; i++)
		if (kt->mms[i].pid == pid)
			return kt->mms[i].name;
	return "";
}

static int write_procs(const struct ks_ktrace *kt, const char *dir, struct ks_err *err)
{
	FILE *f = open_out(dir, "procs.csv", err);

	if (!f)
		return err->code;
	fputs("batch,pid,name,ksm_rmap_items,ksm_zero_pages,ksm_merging_pages,"
	      "ksm_process_profit,ksm_merge_any,ksm_mergeable\n", f);
	for (size_t i = 0; i < kt->nprocs; i++) {
		const struct ks_kt_proc *p = &kt->procs[i];

		fprintf(f, "%" PRIu64 ",%" PRIu32 ",%s,%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64
			",%d,%d\n", p->batch, p->pid, mm_name(kt, p->pid), p->rmap_items,
			p->zero_pages, p->merging_pages, p->profit, p->merge_any, p->mergeable);
	}
	return close_out(f, dir, "procs.csv", err);
}

static int write_small(const struct ks_ktrace *kt, const char *dir, struct ks_err *err)
{
	FILE *f = open_out(dir, "mms.csv", err);
	int rc;

	if (!f)
		return err->code;
	fputs("pid,name,mm\n", f);
	for (size_t i = 0; i < kt->nmms; i++)
		fprintf(f, "%" PRIu32 ",%s,0x%" PRIx64 "\n", kt->mms[i].pid, kt->mms[i].name,
			kt->mms[i].mm);
	rc = close_out(f, dir, "mms.csv", err);
	if (rc)
		return rc;
	f = open_out(dir, "events.txt", err);
	if (!f)
		return err->code;
	for (size_t i = 0; i < kt->nevents; i++)
		fprintf(f, "%s\n", kt->event_lines[i]);
	rc = close_out(f, dir, "events.txt", err);
	if (rc)
		return rc;
	f = open_out(dir, "pfnmap.csv", err);
	if (!f)
		return err->code;
	fputs("batch,phase,pid,vaddr,pfn\n", f);
	for (size_t i = 0; i < kt->npfns; i++) {
		const struct ks_kt_pfn *p = &kt->pfns[i];

		fprintf(f, "%" PRIu64 ",%c,%" PRIu32 ",0x%" PRIx64 ",%" PRIu64 "\n", p->batch,
			p->phase, p->pid, p->vaddr, p->pfn);
	}
	rc = close_out(f, dir, "pfnmap.csv", err);
	if (rc || !kt->workload_csv)
		return rc;
	f = open_out(dir, "workload.csv", err);
	if (!f)
		return err->code;
	fputs(kt->workload_csv, f);
	return close_out(f, dir, "workload.csv", err);
}

int ks_ktrace_write(const struct ks_ktrace *kt, const char *dir, struct ks_err *err)
{
	FILE *f;
	int rc;

	if (mkdir(dir, 0777) && errno != EEXIST)
		return ks_err_set(err, KS_EIO, "%s: cannot create directory: %s", dir,
				  strerror(errno));
	rc = write_meta(kt, dir, err);
	if (rc)
		return rc;
	f = open_out(dir, "scenario.yaml", err);
	if (!f)
		return err->code;
	fputs(kt->scenario_text ? kt->scenario_text : "", f);
	rc = close_out(f, dir, "scenario.yaml", err);
	if (!rc && kt->samples_csv) {
		f = open_out(dir, "samples.csv", err);
		if (!f)
			return err->code;
		fputs(kt->samples_csv, f);
		return close_out(f, dir, "samples.csv", err);
	}
	if (!rc)
		rc = write_batches(kt, dir, err);
	if (!rc)
		rc = write_procs(kt, dir, err);
	if (!rc)
		rc = write_small(kt, dir, err);
	return rc;
}

/* ---- reading ---- */

/* Reads a whole file; NULL (errno set) if it cannot be opened. */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0, cap = 0, got;

	if (!f)
		return NULL;
	do {
		if (cap - n < 4096) {
			cap = cap ? 2 * cap : 65536;
			buf = ks_xrealloc(buf, cap + 1);
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
	} while (got);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

/* Iterates lines of a buffer in place: returns the next line (NUL-terminated, without
 * '\n' or '\r'), or NULL at the end. */
static char *next_line(char **cur)
{
	char *s = *cur, *e;

	if (!s || !*s)
		return NULL;
	e = strchr(s, '\n');
	if (e) {
		*e = '\0';
		*cur = e + 1;
	} else {
		*cur = s + strlen(s);
	}
	e = s + strlen(s);
	while (e > s && e[-1] == '\r')
		*--e = '\0';
	return s;
}

#define KT_MAX_COLS 40

/* Splits a CSV line (no quoting) in place. Returns the number of fields. */
static unsigned split_csv(char *line, char **f)
{
	unsigned n = 0;

	for (;;) {
		if (n == KT_MAX_COLS)
			return n;
		f[n++] = line;
		line = strchr(line, ',');
		if (!line)
			return n;
		*line++ = '\0';
	}
}

static int col_of(char **hdr, unsigned nh, const char *name)
{
	for (unsigned i = 0; i < nh; i++)
		if (strcmp(hdr[i], name) == 0)
			return (int)i;
	return -1;
}

static int num(const char *s, int64_t *v)
{
	char *end;

	errno = 0;
	*v = (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) ? (int64_t)strtoull(s, &end, 16) :
							     strtoll(s, &end, 10);
	return (end == s || *end || errno) ? KS_EPARSE : 0;
}

/* A CSV table: header then rows, all cells numeric except column `text_col` (-1). */
struct csv {
	char *buf;
	char *hdr[KT_MAX_COLS];
	unsigned nh;
	char *cur;
	unsigned line;
	char path[4096];
};

static int csv_open(struct csv *c, const char *dir, const char *name, bool required,
		    struct ks_err *err)
{
	char *h;

	snprintf(c->path, sizeof(c->path), "%s/%s", dir, name);
	c->buf = slurp(c->path);
	if (!c->buf)
		return required ? ks_err_set(err, KS_ENOENT, "%s: cannot open: %s", c->path,
					     strerror(errno)) : 1;
	c->cur = c->buf;
	c->line = 1;
	h = next_line(&c->cur);
	if (!h)
		return ks_err_set(err, KS_EPARSE, "%s:1: empty file, expected a header line",
				  c->path);
	c->nh = split_csv(h, c->hdr);
	return 0;
}

/* Next data row: 1 with fields, 0 at the end, KS_EPARSE on a short row. */
static int csv_row(struct csv *c, char **f, struct ks_err *err)
{
	char *l;
	unsigned n;

	do {
		l = next_line(&c->cur);
		c->line++;
		if (!l)
			return 0;
	} while (!*l || *l == '#');
	n = split_csv(l, f);
	if (n != c->nh)
		return ks_err_set(err, KS_EPARSE, "%s:%u: %u fields, the header has %u", c->path,
				  c->line, n, c->nh);
	return 1;
}

static int csv_num(struct csv *c, char **f, int col, int64_t *v, struct ks_err *err)
{
	if (col < 0) {
		*v = KS_KT_NONE;
		return 0;
	}
	if (num(f[col], v))
		return ks_err_set(err, KS_EPARSE, "%s:%u: column '%s': not a number: '%s'",
				  c->path, c->line, c->hdr[col], f[col]);
	return 0;
}

/* The numbers of meta.yaml that the replay computes with, and their ranges. hz: the
 * kernel's CONFIG_HZ choices are 100..1000, a few arches use 1024 or 1200. */
static const struct { const char *key; uint64_t min, max; } meta_numbers[] = {
	{ "hz", 1, 10000 },
	{ "page_size", 4096, 4096 },
	{ "processes", 0, KS_KT_MAX_PROCESSES },
	{ "batches", 0, UINT32_MAX },
	{ "base.pages_scanned", 0, INT64_MAX },
	{ "base.pages_skipped", 0, INT64_MAX },
	{ "base.ksmd_cpu_ns", 0, INT64_MAX },
};

/* Checks a meta.yaml value the replay computes with: a decimal integer in range. */
static int check_meta_number(const char *path, unsigned line, const char *key,
			     const char *v, struct ks_err *err)
{
	for (size_t i = 0; i < sizeof(meta_numbers) / sizeof(meta_numbers[0]); i++) {
		unsigned long long x;
		char *end;

		if (strcmp(key, meta_numbers[i].key))
			continue;
		errno = 0;
		x = strtoull(v, &end, 10);
		if (*v < '0' || *v > '9' || *end || errno || x < meta_numbers[i].min ||
		    x > meta_numbers[i].max)
			return ks_err_set(err, KS_EPARSE, "%s:%u: %s '%s' is not an integer in "
					  "%" PRIu64 "..%" PRIu64, path, line, key, v,
					  meta_numbers[i].min, meta_numbers[i].max);
	}
	return 0;
}

static int read_meta(struct ks_ktrace *kt, const char *dir, bool required,
		     struct ks_err *err)
{
	char path[4096], *buf, *cur, *l;
	unsigned line = 0;

	snprintf(path, sizeof(path), "%s/meta.yaml", dir);
	buf = slurp(path);
	if (!buf)
		return required ? ks_err_set(err, KS_ENOENT, "%s: cannot open: %s", path,
					     strerror(errno)) : 0;
	cur = buf;
	while ((l = next_line(&cur)) != NULL) {
		char *colon, *v, *e;

		line++;
		while (*l == ' ')
			l++;
		if (!*l || *l == '#')
			continue;
		colon = strstr(l, ": ");
		if (!colon && l[strlen(l) - 1] == ':')
			colon = l + strlen(l) - 1;
		if (!colon) {
			free(buf);
			return ks_err_set(err, KS_EPARSE, "%s:%u: expected 'key: value'", path, line);
		}
		*colon = '\0';
		v = colon + 1;
		while (*v == ' ')
			v++;
		e = v + strlen(v);
		if (e - v >= 2 && (*v == '"' || *v == '\'') && e[-1] == *v) {
			e[-1] = '\0';
			v++;
		}
		if (check_meta_number(path, line, l, v, err)) {
			free(buf);
			return err->code;
		}
		ks_ktrace_meta_set(kt, l, "%s", v);
	}
	free(buf);
	return 0;
}

static int read_batches(struct ks_ktrace *kt, const char *dir, const char *name,
			bool absolute, struct ks_err *err)
{
	struct csv c = { 0 };
	char *f[KT_MAX_COLS];
	int cols[KS_KT_NCOUNTERS], cb, cs, ce, cc, rc;
	int64_t base_scanned = 0, base_skipped = 0, v;

	rc = csv_open(&c, dir, name, true, err);
	if (rc)
		return rc;
	cb = col_of(c.hdr, c.nh, "batch");
	cs = col_of(c.hdr, c.nh, "t_start_ns");
	ce = col_of(c.hdr, c.nh, "t_end_ns");
	if (ce < 0)
		ce = col_of(c.hdr, c.nh, "t_ns");
	cc = col_of(c.hdr, c.nh, "ksmd_cpu_ns");
	for (int k = 0; k < KS_KT_NCOUNTERS; k++)
		cols[k] = col_of(c.hdr, c.nh, ks_kt_counter_names[k]);
	for (int k = KS_KT_FULL_SCANS; k <= KS_KT_PAGES_VOLATILE; k++) {
		if (cols[k] < 0) {
			rc = ks_err_set(err, KS_EPARSE, "%s:1: missing column '%s'", c.path,
					ks_kt_counter_names[k]);
			goto out;
		}
	}
	while ((rc = csv_row(&c, f, err)) == 1) {
		struct ks_kt_batch b = { .batch = kt->nbatches };

		if ((rc = csv_num(&c, f, cb, &v, err)) != 0)
			goto out;
		if (cb >= 0)
			b.batch = (uint64_t)v;
		if (b.batch != kt->nbatches) {
			rc = ks_err_set(err, KS_EPARSE, "%s:%u: batch %" PRIu64 " out of order "
					"(expected %zu; batch 0 is the state before run=1)", c.path,
					c.line, b.batch, kt->nbatches);
			goto out;
		}
		if ((rc = csv_num(&c, f, cs, &b.t_start_ns, err)) ||
		    (rc = csv_num(&c, f, ce, &b.t_end_ns, err)) ||
		    (rc = csv_num(&c, f, cc, &b.ksmd_cpu_ns, err)))
			goto out;
		for (int k = 0; k < KS_KT_NCOUNTERS; k++)
			if ((rc = csv_num(&c, f, cols[k], &b.c[k], err)) != 0)
				goto out;
		if (absolute) {
			if (!kt->nbatches) {
				base_scanned = b.c[KS_KT_PAGES_SCANNED];
				base_skipped = b.c[KS_KT_PAGES_SKIPPED];
			}
			/* the counters only grow: a delta below 0 (or overflowing) is bad input */
			if (__builtin_sub_overflow(b.c[KS_KT_PAGES_SCANNED], base_scanned,
						   &b.c[KS_KT_PAGES_SCANNED]) ||
			    b.c[KS_KT_PAGES_SCANNED] < 0 ||
			    (b.c[KS_KT_PAGES_SKIPPED] != KS_KT_NONE &&
			     (__builtin_sub_overflow(b.c[KS_KT_PAGES_SKIPPED], base_skipped,
						     &b.c[KS_KT_PAGES_SKIPPED]) ||
			      b.c[KS_KT_PAGES_SKIPPED] < 0))) {
				rc = ks_err_set(err, KS_EPARSE, "%s:%u: pages_scanned or pages_skipped "
						"below its value in the first row (the counters "
						"only grow)", c.path, c.line);
				goto out;
			}
		}
		ks_ktrace_add_batch(kt, &b);
	}
	if (!rc && kt->nbatches < 2)
		rc = ks_err_set(err, KS_EPARSE, "%s: needs batch 0 and at least one batch",
				c.path);
out:
	free(c.buf);
	return rc < 0 ? rc : 0;
}

static int read_procs(struct ks_ktrace *kt, const char *dir, struct ks_err *err)
{
	static const char *const names[] = { "batch", "pid", "ksm_rmap_items",
		"ksm_zero_pages", "ksm_merging_pages", "ksm_process_profit", "ksm_merge_any",
		"ksm_mergeable" };
	struct csv c = { 0 };
	char *f[KT_MAX_COLS];
	int cols[8], rc = csv_open(&c, dir, "procs.csv", false, err);
	int64_t v[8];

	if (rc)
		return rc < 0 ? rc : 0;
	for (int i = 0; i < 8; i++)
		cols[i] = col_of(c.hdr, c.nh, names[i]);
	while ((rc = csv_row(&c, f, err)) == 1) {
		struct ks_kt_proc p;

		for (int i = 0; i < 8; i++)
			if ((rc = csv_num(&c, f, cols[i], &v[i], err)) != 0)
				goto out;
		p = (struct ks_kt_proc){ (uint64_t)v[0], (uint32_t)v[1], v[2], v[3], v[4], v[5],
					 v[6] > 0, v[7] > 0 };
		ks_ktrace_add_proc(kt, &p);
	}
out:
	free(c.buf);
	return rc < 0 ? rc : 0;
}

static int read_mms(struct ks_ktrace *kt, const char *dir, struct ks_err *err)
{
	struct csv c = { 0 };
	char *f[KT_MAX_COLS];
	int rc = csv_open(&c, dir, "mms.csv", false, err), cp, cn, cm;
	int64_t pid, mm;

	if (rc)
		return rc < 0 ? rc : 0;
	cp = col_of(c.hdr, c.nh, "pid");
	cn = col_of(c.hdr, c.nh, "name");
	cm = col_of(c.hdr, c.nh, "mm");
	while ((rc = csv_row(&c, f, err)) == 1) {
		struct ks_kt_mm m = { 0 };

		if ((rc = csv_num(&c, f, cp, &pid, err)) || (rc = csv_num(&c, f, cm, &mm, err)))
			goto out;
		m.pid = (uint32_t)pid;
		m.mm = (uint64_t)mm;
		if (cn >= 0)
			snprintf(m.name, sizeof(m.name), "%s", f[cn]);
		ks_ktrace_add_mm(kt, &m);
	}
out:
	free(c.buf);
	return rc < 0 ? rc : 0;
}

static int read_pfns(struct ks_ktrace *kt, const char *dir, struct ks_err *err)
{
	struct csv c = { 0 };
	char *f[KT_MAX_COLS];
	int rc = csv_open(&c, dir, "pfnmap.csv", false, err);
	int cb, cph, cp, cv, cf;
	int64_t b, pid, va, pfn;

	if (rc)
		return rc < 0 ? rc : 0;
	cb = col_of(c.hdr, c.nh, "batch");
	cph = col_of(c.hdr, c.nh, "phase");
	cp = col_of(c.hdr, c.nh, "pid");
	cv = col_of(c.hdr, c.nh, "vaddr");
	cf = col_of(c.hdr, c.nh, "pfn");
	if (cph < 0) {
		rc = ks_err_set(err, KS_EPARSE, "%s:1: missing column 'phase'", c.path);
		goto out;
	}
	while ((rc = csv_row(&c, f, err)) == 1) {
		struct ks_kt_pfn p;

		if ((rc = csv_num(&c, f, cb, &b, err)) || (rc = csv_num(&c, f, cp, &pid, err)) ||
		    (rc = csv_num(&c, f, cv, &va, err)) || (rc = csv_num(&c, f, cf, &pfn, err)))
			goto out;
		p = (struct ks_kt_pfn){ (uint64_t)b, f[cph][0], (uint32_t)pid, (uint64_t)va,
					(uint64_t)pfn };
		ks_ktrace_add_pfn(kt, &p);
	}
out:
	free(c.buf);
	return rc < 0 ? rc : 0;
}

/* Did the event just added from `line` bring an mm that no process of a native trace
 * has (mms.csv)? Traces of external workloads (mm 0) and imports cannot tell. */
static bool outsider(const struct ks_ktrace *kt)
{
	const struct ks_kt_event *ev = &kt->events[kt->nevents - 1];
	bool known = false, any = false;

	if (kt->foreign || ev->type != KS_KT_EV_ENTER)
		return false;
	for (size_t i = 0; i < kt->nmms; i++) {
		any = any || kt->mms[i].mm;
		known = known || kt->mms[i].mm == ev->mm;
	}
	return any && !known;
}

static int read_events(struct ks_ktrace *kt, const char *dir, const char *name,
		       struct ks_err *err)
{
	char path[4096], *buf, *cur, *l;
	unsigned line = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	buf = slurp(path);
	if (!buf)
		return 0;
	cur = buf;
	while ((l = next_line(&cur)) != NULL) {
		line++;
		if (*l == '#')
			continue;
		if (ks_ktrace_add_event_line(kt, l) < 0) {
			free(buf);
			return ks_err_set(err, KS_EPARSE, "%s:%u: malformed ksm event line", path,
					  line);
		}
		if (outsider(kt)) {
			char comm[64] = "?";
			int64_t pid = ks_kt_line_pid(l, comm, sizeof(comm));
			int rc = ks_err_set(err, KS_EPARSE, "%s:%u: ksm_enter of mm 0x%" PRIx64
					    " (task %s-%" PRId64 "), not a process of the trace "
					    "(mms.csv): another process registered memory with KSM "
					    "during the recording, so the counters include its pages; "
					    "re-record with KSM to yourself", path, line,
					    kt->events[kt->nevents - 1].mm, comm, pid);

			free(buf);
			return rc;
		}
	}
	free(buf);
	return 0;
}

int ks_ktrace_read(const char *dir, struct ks_ktrace **out, struct ks_err *err)
{
	struct ks_ktrace *kt = ks_ktrace_new();
	char path[4096], probe[4096];
	struct stat st;
	int rc;

	*out = NULL;
	kt->dir = ks_xstrdup(dir);
	if (stat(dir, &st) || !S_ISDIR(st.st_mode)) {
		rc = ks_err_set(err, KS_ENOENT, "%s: not a kernel trace directory", dir);
		goto fail;
	}
	snprintf(probe, sizeof(probe), "%s/samples.csv", dir);
	if (!stat(probe, &st)) {
		rc = ks_err_set(err, KS_EINVAL, "%s: a wall-clock run (record-kernel --wall-clock: "
				"samples.csv, no batches.csv): no batches to replay", dir);
		goto fail;
	}
	snprintf(probe, sizeof(probe), "%s/batches.csv", dir);
	kt->foreign = stat(probe, &st) != 0;
	snprintf(path, sizeof(path), "%s/scenario.yaml", dir);
	kt->scenario_text = slurp(path);
	if (!kt->scenario_text) {
		rc = ks_err_set(err, KS_ENOENT, "%s: cannot open: %s", path, strerror(errno));
		goto fail;
	}
	rc = read_meta(kt, dir, !kt->foreign, err);
	if (!rc)
		rc = read_batches(kt, dir, kt->foreign ? "counters.csv" : "batches.csv",
				  kt->foreign, err);
	if (!rc && !kt->foreign)
		rc = read_procs(kt, dir, err);
	if (!rc && !kt->foreign)
		rc = read_mms(kt, dir, err);
	if (!rc && !kt->foreign)
		rc = read_pfns(kt, dir, err);
	if (!rc)
		rc = read_events(kt, dir, kt->foreign ? "trace.txt" : "events.txt", err);
	if (rc)
		goto fail;
	if (kt->foreign && !ks_ktrace_meta(kt, "workload"))
		ks_ktrace_meta_set(kt, "workload", "static");
	for (size_t i = 0; !kt->nmms && i < kt->nevents; i++) {
		/* foreign: processes registered in scenario pid order */
		for (size_t j = i; j < kt->nevents; j++) {
			struct ks_kt_mm m = { .pid = (uint32_t)kt->nmms + 1 };

			if (kt->events[j].type != KS_KT_EV_ENTER)
				continue;
			m.mm = kt->events[j].mm;
			ks_ktrace_add_mm(kt, &m);
		}
		break;
	}
	*out = kt;
	return 0;
fail:
	ks_ktrace_free(kt);
	return rc;
}
