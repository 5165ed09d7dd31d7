/* check_trace.c - trace formats (binary .kst, text .kstt), their readers and writers,
 * and the synthetic generator (traces/gen.c). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>

#include "models/base/xalloc.h"
#include "traces/gen.h"
#include "traces/scenario.h"
#include "traces/trace_io.h"

/* ------------------------------------------------------------------ helpers */

static char tmpdir[256]; /* per-test scratch folder */

static void tmp_setup(void)
{
	const char *base = getenv("TMPDIR");

	snprintf(tmpdir, sizeof(tmpdir), "%s/check_trace.XXXXXX", base ? base : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void tmp_teardown(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
}

static const char *tmp_path(const char *name)
{
	static char paths[4][512];
	static unsigned next;
	char *p = paths[next++ % 4];

	snprintf(p, sizeof(paths[0]), "%s/%s", tmpdir, name);
	return p;
}

/* A growable list of records. */
struct recs {
	struct ks_trace_rec *r; /* records */
	size_t n;               /* in use */
	size_t cap;             /* allocated */
};

static struct ks_trace_rec *recs_add(struct recs *v)
{
	struct ks_trace_rec *r;

	if (v->n == v->cap) {
		v->cap = v->cap ? 2 * v->cap : 16;
		v->r = ks_xrealloc(v->r, v->cap * sizeof(*v->r));
		for (size_t i = 0; i < v->n; i++)
			v->r[i].spec.patches = v->r[i].patches;
	}
	r = &v->r[v->n++];
	memset(r, 0, sizeof(*r));
	r->spec.patches = r->patches;
	return r;
}

/* Reads src to its end into v (closes src); returns next()'s final status. */
static int recs_read(struct ks_trace_source *src, struct recs *v, struct ks_err *err)
{
	int rc;

	for (;;) {
		struct ks_trace_rec *r = recs_add(v);

		rc = src->next(src, r, err);
		if (rc <= 0) {
			v->n--;
			break;
		}
		r->spec.patches = r->patches;
	}
	src->close(src);
	return rc;
}

static void recs_free(struct recs *v)
{
	free(v->r);
	memset(v, 0, sizeof(*v));
}

static void recs_write(const struct recs *v, const char *path, enum ks_trace_format fmt)
{
	struct ks_trace_writer *w;
	struct ks_err err;

	w = ks_trace_writer_open(path, fmt, &err);
	ck_assert_msg(w != NULL, "%s", err.msg);
	for (size_t i = 0; i < v->n; i++)
		ck_assert_msg(ks_trace_writer_put(w, &v->r[i], &err) == 0, "%s", err.msg);
	ck_assert_msg(ks_trace_writer_close(w, &err) == 0, "%s", err.msg);
}

static void recs_load(const char *path, struct recs *v)
{
	struct ks_trace_source *src;
	struct ks_err err;

	src = ks_trace_open(path, &err);
	ck_assert_msg(src != NULL, "%s", err.msg);
	ck_assert_msg(recs_read(src, v, &err) == 0, "%s", err.msg);
}

static void recs_assert_equal(const struct recs *a, const struct recs *b)
{
	ck_assert_uint_eq(a->n, b->n);
	for (size_t i = 0; i < a->n; i++)
		ck_assert_msg(ks_trace_rec_equal(&a->r[i], &b->r[i]),
			      "record %zu differs (op %s vs %s)", i,
			      ks_trace_op_name(a->r[i].op), ks_trace_op_name(b->r[i].op));
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	ck_assert_ptr_nonnull(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = ks_xmalloc((size_t)n + 1);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static void spit(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

/* Opens path and reads to the end; returns the error message (static) or NULL. */
static const char *read_error(const char *path)
{
	static struct ks_err err;
	struct ks_trace_source *src;
	struct recs v = { 0 };
	int rc;

	memset(&err, 0, sizeof(err));
	src = ks_trace_open(path, &err);
	if (!src)
		return err.msg;
	rc = recs_read(src, &v, &err);
	recs_free(&v);
	return rc < 0 ? err.msg : NULL;
}

/* Record builders. */
static void rec_class(struct recs *v, ks_time t, uint32_t cls, enum ks_content_kind kind,
		      uint64_t seed)
{
	struct ks_trace_rec *r = recs_add(v);

	r->t = t;
	r->op = KS_TR_CLASS;
	r->cls = cls;
	r->spec.kind = kind;
	r->spec.seed = seed;
}

static struct ks_trace_rec *rec_op(struct recs *v, ks_time t, enum ks_trace_op op,
				   uint32_t pid, uint64_t vaddr, uint64_t npages)
{
	struct ks_trace_rec *r = recs_add(v);

	r->t = t;
	r->op = op;
	r->pid = pid;
	r->vaddr = vaddr;
	r->npages = npages;
	return r;
}

/* Every op and class kind, with awkward values. */
static void sample_records(struct recs *v)
{
	struct ks_trace_rec *r;

	rec_class(v, 0, 1, KS_CONTENT_ZERO, 0);
	r = recs_add(v);
	r->op = KS_TR_CLASS;
	r->cls = 2;
	r->spec.kind = KS_CONTENT_FILL;
	r->spec.fill = 0xa5;
	r->spec.npatches = 3;
	r->patches[0] = (struct ks_patch){ 4088, 8, KS_PATCH_ARG, 0 };
	r->patches[1] = (struct ks_patch){ 0, 1, KS_PATCH_CONST, 0xff };
	r->patches[2] = (struct ks_patch){ 100, 4, KS_PATCH_ARG_PLUS, 12345 };
	rec_class(v, 0, 3, KS_CONTENT_IMAGE, 0x1234);
	rec_class(v, 0, 4000000, KS_CONTENT_RANDOM, UINT64_MAX);
	r = rec_op(v, 0, KS_TR_START, 1, 0, 0);
	strcpy(r->name, "vm/0 with space%#=\t");
	rec_op(v, 0, KS_TR_MMAP, 1, 0x100000000ULL, 262144);
	r = rec_op(v, 0, KS_TR_WRITE, 1, 0x100000000ULL, 262144);
	r->cls = 2;
	r->arg = 0;
	r->step = 1;
	r = rec_op(v, 1500, KS_TR_WRITE, 1, 0x100003000ULL, 3);
	r->cls = 4000000;
	r->arg = 10;
	r->step = -5;
	r = rec_op(v, KS_MS(2), KS_TR_WRITE_LITERAL, 1, 0x100001000ULL, 1);
	for (unsigned i = 0; i < KS_PAGE_SIZE; i++)
		r->bytes[i] = i < 4000 ? 0 : (uint8_t)(i * 7);
	r->bytes[17] = 0x42;
	rec_class(v, KS_MS(3), 5, KS_CONTENT_ZERO, 0);
	rec_op(v, KS_MS(3), KS_TR_MERGEABLE, 1, 0x100000000ULL, 262144);
	rec_op(v, KS_S(1), KS_TR_UNMERGEABLE, 1, 0x100000000ULL, 2);
	rec_op(v, KS_S(1), KS_TR_MUNMAP, 1, 0x100000000ULL, 262144);
	r = rec_op(v, KS_S(1) + 1, KS_TR_START, 4294967295u, 0, 0);
	r->name[0] = '\0';
	r = rec_op(v, KS_S(1) + 1, KS_TR_KNOB, 0, 0, 0);
	r->knob = KS_KNOB_USE_ZERO_PAGES;
	r->value = 1;
	rec_op(v, KS_MS(1500), KS_TR_EXIT, 1, 0, 0);
	r = rec_op(v, KS_MS(1500), KS_TR_KNOB, 0, 0, 0);
	r->knob = KS_KNOB_ADVISOR_TARGET_SCAN_TIME; /* the last knob, any value */
	r->value = UINT64_MAX;
}

/* --------------------------------------------------------------- scenarios */

static struct ks_group *add_group(struct ks_scenario *sc, const char *name, unsigned count)
{
	struct ks_group *g;

	sc->groups = ks_xrealloc(sc->groups, (sc->ngroups + 1) * sizeof(*sc->groups));
	g = &sc->groups[sc->ngroups++];
	memset(g, 0, sizeof(*g));
	g->name = ks_xstrdup(name);
	g->count = count;
	return g;
}

static struct ks_region *add_region(struct ks_group *g, const char *name, uint64_t pages,
				    bool mergeable)
{
	struct ks_region *r;

	g->regions = ks_xrealloc(g->regions, (g->nregions + 1) * sizeof(*g->regions));
	r = &g->regions[g->nregions++];
	memset(r, 0, sizeof(*r));
	r->name = ks_xstrdup(name);
	r->pages = pages;
	r->mergeable = mergeable;
	return r;
}

static struct ks_content_spec *add_part(struct ks_region *r, uint64_t pages,
					enum ks_content_kind_spec kind)
{
	struct ks_part *p;

	r->parts = ks_xrealloc(r->parts, (r->nparts + 1) * sizeof(*r->parts));
	p = &r->parts[r->nparts++];
	memset(p, 0, sizeof(*p));
	p->pages = pages;
	p->content.kind = kind;
	return &p->content;
}

static struct ks_write_sched *add_write(struct ks_group *g, unsigned region, uint64_t first,
					uint64_t count, enum ks_write_kind kind)
{
	struct ks_write_sched *w;

	g->writes = ks_xrealloc(g->writes, (g->nwrites + 1) * sizeof(*g->writes));
	w = &g->writes[g->nwrites++];
	memset(w, 0, sizeof(*w));
	w->region = region;
	w->first = first;
	w->count = count;
	w->kind = kind;
	w->content.kind = KS_SPEC_RANDOM;
	return w;
}

static void gen_read(const struct ks_scenario *sc, struct recs *v)
{
	struct ks_trace_source *src;
	struct ks_err err;

	src = ks_gen_open(sc, &err);
	ck_assert_msg(src != NULL, "%s", err.msg);
	ck_assert_msg(recs_read(src, v, &err) == 0, "%s", err.msg);
}

/* A busy scenario: two groups, staggered, shuffled, both schedule kinds. */
static void busy_scenario(struct ks_scenario *sc, uint64_t seed)
{
	struct ks_group *g;
	struct ks_region *r;
	struct ks_content_spec *c;
	struct ks_write_sched *w;

	ks_scenario_init(sc);
	sc->seed = seed;
	sc->duration = KS_S(2);
	g = add_group(sc, "vm", 3);
	g->stagger = KS_MS(7);
	g->exit = KS_MS(1500);
	r = add_region(sc->groups, "ram", 64, true);
	r->madvise_at = KS_MS(3);
	r->unmerge_at = KS_MS(1200);
	add_part(r, 8, KS_SPEC_ZERO);
	c = add_part(r, 16, KS_SPEC_FILL);
	c->fill = 0x11;
	c->npatches = 1;
	c->patches[0] = (struct ks_patch_spec){ 4088, 8, KS_PV_INDEX, 0 };
	c = add_part(r, 16, KS_SPEC_IMAGE);
	c->image_seed = 0xabc ^ seed;
	add_part(r, 24, KS_SPEC_RANDOM);
	r = add_region(g, "heap", 32, true);
	r->shuffle = true;
	add_part(r, 16, KS_SPEC_ZERO);
	add_part(r, 10, KS_SPEC_RANDOM);
	w = add_write(g, 0, 40, 24, KS_WRITE_PERIODIC);
	w->period = KS_MS(100);
	w = add_write(g, 1, 0, 32, KS_WRITE_POISSON);
	w->rate_per_page = 5;
	g = add_group(sc, "idle", 1);
	g->start = KS_MS(7);
	r = add_region(g, "ram", 4, false);
	add_part(r, 4, KS_SPEC_ZERO);
}

/* -------------------------------------------------------------- core: files */

START_TEST(test_trace_round_trip_binary_text_binary)
{
	struct recs orig = { 0 }, a = { 0 }, b = { 0 }, c = { 0 };
	const char *bin1 = tmp_path("a.kst"), *txt = tmp_path("a.kstt"), *bin2 = tmp_path("b.kst");
	char *d1, *d2;
	size_t n1, n2;

	sample_records(&orig);
	recs_write(&orig, bin1, KS_TRACE_BINARY);
	recs_load(bin1, &a);
	recs_assert_equal(&orig, &a);
	recs_write(&a, txt, KS_TRACE_TEXT);
	recs_load(txt, &b);
	recs_assert_equal(&orig, &b);
	recs_write(&b, bin2, KS_TRACE_BINARY);
	recs_load(bin2, &c);
	recs_assert_equal(&orig, &c);
	d1 = slurp(bin1, &n1);
	d2 = slurp(bin2, &n2);
	ck_assert_uint_eq(n1, n2);
	ck_assert_mem_eq(d1, d2, n1);
	free(d1);
	free(d2);
	recs_free(&orig);
	recs_free(&a);
	recs_free(&b);
	recs_free(&c);
}
END_TEST

START_TEST(test_trace_binary_header_and_trailer)
{
	struct recs v = { 0 };
	const char *path = tmp_path("h.kst");
	unsigned char *d;
	size_t n;

	sample_records(&v);
	recs_write(&v, path, KS_TRACE_BINARY);
	d = (unsigned char *)slurp(path, &n);
	ck_assert_mem_eq(d, "KSMTRACE", 8);
	ck_assert_uint_eq(d[8], 1);                   /* version, little-endian */
	ck_assert_uint_eq(d[9] | d[10] | d[11], 0);
	ck_assert_uint_eq(d[16], v.n);                /* record count */
	ck_assert_uint_eq(d[n - 13], 0);              /* end record */
	ck_assert_uint_eq(d[n - 12], v.n);
	ck_assert_uint_eq(d[24], KS_TR_CLASS);        /* first record's op */
	free(d);
	recs_free(&v);
}
END_TEST

START_TEST(test_trace_text_syntax)
{
	const char *path = tmp_path("s.kstt");
	static const char text[] =
		"ksmsim-trace 1\n"
		"# a comment\n"
		"\n"
		"class 1 fill byte=0x00 word=4088:8:index  # trailing comment\n"
		"1.5ms start pid=7 name=vm%2F0\n"
		"  1500us class 2 image seed=0x1234\n"
		"class 3 random seed=99\n"
		"1500us mmap pid=7 vaddr=0x100000000 pages=4\n"
		"2ms write pid=7 vaddr=0x100000000 class=1\n"
		"2ms write pid=7 vaddr=0x100001000 pages=3 class=3 arg=5 step=-1\n"
		"2ms literal pid=7 vaddr=0x100001000 bytes=00*4088,0100000000000000\n"
		"0.002s exit pid=7\n";
	struct recs v = { 0 };

	spit(path, text, sizeof(text) - 1);
	recs_load(path, &v);
	ck_assert_uint_eq(v.n, 9);
	ck_assert_int_eq(v.r[0].op, KS_TR_CLASS);
	ck_assert_uint_eq(v.r[0].t, 0);
	ck_assert_uint_eq(v.r[0].spec.npatches, 1);
	ck_assert_uint_eq(v.r[0].patches[0].offset, 4088);
	ck_assert_uint_eq(v.r[0].patches[0].source, KS_PATCH_ARG);
	ck_assert_uint_eq(v.r[1].t, KS_US(1500));
	ck_assert_str_eq(v.r[1].name, "vm/0");
	ck_assert_uint_eq(v.r[2].t, KS_US(1500));  /* class without time: previous time */
	ck_assert_uint_eq(v.r[2].spec.seed, 0x1234);
	ck_assert_uint_eq(v.r[3].spec.seed, 99);
	ck_assert_uint_eq(v.r[5].npages, 1);       /* defaults: pages=1 arg=0 step=0 */
	ck_assert_uint_eq(v.r[5].arg, 0);
	ck_assert_int_eq(v.r[5].step, 0);
	ck_assert_int_eq(v.r[6].step, -1);
	ck_assert_uint_eq(v.r[6].arg, 5);
	ck_assert_int_eq(v.r[7].op, KS_TR_WRITE_LITERAL);
	for (unsigned i = 0; i < KS_PAGE_SIZE; i++)
		ck_assert_uint_eq(v.r[7].bytes[i], i == 4088 ? 1 : 0);
	ck_assert_int_eq(v.r[8].op, KS_TR_EXIT);
	ck_assert_uint_eq(v.r[8].t, KS_MS(2));
	recs_free(&v);
}
END_TEST

/* KNOB records: "TIME knob name=FILE value=N", written back the same way. */
START_TEST(test_trace_knob_text)
{
	const char *path = tmp_path("k.kstt"), *out = tmp_path("k2.kstt");
	static const char text[] =
		"ksmsim-trace 1\n"
		"60s knob name=use_zero_pages value=1\n"
		"60s knob value=0x10 name=pages_to_scan\n"
		"61500ms knob name=run value=7\n";
	static const char written[] =
		"ksmsim-trace 1\n"
		"60s knob name=use_zero_pages value=1\n"
		"60s knob name=pages_to_scan value=16\n"
		"61500ms knob name=run value=7\n";
	struct recs v = { 0 };
	char *d;
	size_t n;

	spit(path, text, sizeof(text) - 1);
	recs_load(path, &v);
	ck_assert_uint_eq(v.n, 3);
	ck_assert_int_eq(v.r[0].op, KS_TR_KNOB);
	ck_assert_uint_eq(v.r[0].t, KS_S(60));
	ck_assert_uint_eq(v.r[0].knob, KS_KNOB_USE_ZERO_PAGES);
	ck_assert_uint_eq(v.r[0].value, 1);
	ck_assert_uint_eq(v.r[1].knob, KS_KNOB_PAGES_TO_SCAN);
	ck_assert_uint_eq(v.r[1].value, 16);
	ck_assert_uint_eq(v.r[2].knob, KS_KNOB_RUN);
	ck_assert_uint_eq(v.r[2].value, 7); /* out of range for run: kept, refused when applied */
	ck_assert_str_eq(ks_trace_op_name(KS_TR_KNOB), "knob");
	recs_write(&v, out, KS_TRACE_TEXT);
	d = slurp(out, &n);
	ck_assert_str_eq(d, written);
	free(d);
	recs_free(&v);
}
END_TEST

START_TEST(test_trace_literal_runs)
{
	const char *path = tmp_path("l.kstt"), *out = tmp_path("l2.kstt");
	static const char text[] =
		"ksmsim-trace 1\n"
		"0ns literal pid=1 vaddr=0x1000 bytes=00*4088,0100000000000000\n"
		"0ns literal pid=1 vaddr=0x2000 bytes=abcd*2048\n";
	struct recs v = { 0 }, w = { 0 };

	spit(path, text, sizeof(text) - 1);
	recs_load(path, &v);
	ck_assert_uint_eq(v.n, 2);
	for (unsigned i = 0; i < KS_PAGE_SIZE; i++) {
		ck_assert_uint_eq(v.r[0].bytes[i], i == 4088 ? 1 : 0);
		ck_assert_uint_eq(v.r[1].bytes[i], i % 2 ? 0xcd : 0xab);
	}
	recs_write(&v, out, KS_TRACE_TEXT);
	recs_load(out, &w);
	recs_assert_equal(&v, &w);
	recs_free(&v);
	recs_free(&w);
}
END_TEST

START_TEST(test_trace_time_str)
{
	char b[32];

	ck_assert_str_eq(ks_trace_time_str(0, b, sizeof(b)), "0ns");
	ck_assert_str_eq(ks_trace_time_str(KS_MS(1500), b, sizeof(b)), "1500ms");
	ck_assert_str_eq(ks_trace_time_str(KS_S(3), b, sizeof(b)), "3s");
	ck_assert_str_eq(ks_trace_time_str(KS_US(12), b, sizeof(b)), "12us");
	ck_assert_str_eq(ks_trace_time_str(1234567, b, sizeof(b)), "1234567ns");
}
END_TEST

/* --------------------------------------------------------- core: generator */

/* Two processes x 4 pages: every record worked out by hand. */
START_TEST(test_trace_gen_tiny_exact)
{
	const uint64_t base = 1ULL << 40;
	struct ks_scenario sc;
	struct ks_group *g;
	struct ks_region *r;
	struct ks_content_spec *c;
	struct recs v = { 0 }, e = { 0 };
	struct ks_trace_rec *x;

	ks_scenario_init(&sc);
	sc.duration = KS_MS(20);
	g = add_group(&sc, "vm", 2);
	g->stagger = KS_MS(1);
	g->exit = KS_MS(10);
	r = add_region(g, "ram", 4, true);
	r->madvise_at = KS_MS(2);
	c = add_part(r, 2, KS_SPEC_FILL);
	c->fill = 0x11;
	c->npatches = 1;
	c->patches[0] = (struct ks_patch_spec){ 0, 8, KS_PV_INDEX, 0 };
	add_part(r, 2, KS_SPEC_RANDOM);
	gen_read(&sc, &v);

	x = rec_op(&e, 0, KS_TR_START, 1, 0, 0);
	strcpy(x->name, "vm/0");
	rec_op(&e, 0, KS_TR_MMAP, 1, base, 4);
	x = recs_add(&e);
	x->op = KS_TR_CLASS;
	x->cls = 1;
	x->spec.kind = KS_CONTENT_FILL;
	x->spec.fill = 0x11;
	x->spec.npatches = 1;
	x->patches[0] = (struct ks_patch){ 0, 8, KS_PATCH_ARG, 0 };
	x = rec_op(&e, 0, KS_TR_WRITE, 1, base, 2);
	x->cls = 1, x->arg = 0, x->step = 1;
	rec_class(&e, 0, 2, KS_CONTENT_RANDOM, v.n > 4 ? v.r[4].spec.seed : 0);
	x = rec_op(&e, 0, KS_TR_WRITE, 1, base + 2 * 4096, 2);
	x->cls = 2, x->arg = 1ULL << 39, x->step = 1; /* serials start above page indices */
	x = rec_op(&e, KS_MS(1), KS_TR_START, 2, 0, 0);
	strcpy(x->name, "vm/1");
	rec_op(&e, KS_MS(1), KS_TR_MMAP, 2, base, 4);
	x = rec_op(&e, KS_MS(1), KS_TR_WRITE, 2, base, 2);
	x->cls = 1, x->arg = 0, x->step = 1;
	x = rec_op(&e, KS_MS(1), KS_TR_WRITE, 2, base + 2 * 4096, 2);
	x->cls = 2, x->arg = (1ULL << 39) + 2, x->step = 1; /* fresh serials */
	rec_op(&e, KS_MS(2), KS_TR_MERGEABLE, 1, base, 4);
	rec_op(&e, KS_MS(3), KS_TR_MERGEABLE, 2, base, 4);
	rec_op(&e, KS_MS(10), KS_TR_EXIT, 1, 0, 0);
	rec_op(&e, KS_MS(11), KS_TR_EXIT, 2, 0, 0);

	ck_assert_int_eq(v.r[4].spec.kind, KS_CONTENT_RANDOM);
	recs_assert_equal(&e, &v);
	recs_free(&v);
	recs_free(&e);
	ks_scenario_fini(&sc);
}
END_TEST

START_TEST(test_trace_gen_time_order)
{
	struct ks_scenario sc;
	struct recs v = { 0 };
	unsigned nclass = 0;

	busy_scenario(&sc, 42);
	gen_read(&sc, &v);
	ck_assert_uint_gt(v.n, 100);
	for (size_t i = 1; i < v.n; i++)
		ck_assert_uint_ge(v.r[i].t, v.r[i - 1].t);
	for (size_t i = 0; i < v.n; i++) {
		ck_assert_uint_le(v.r[i].t, sc.duration);
		if (v.r[i].op == KS_TR_CLASS)
			ck_assert_uint_eq(v.r[i].cls, ++nclass); /* ids 1, 2, ... in first use */
		if (v.r[i].op == KS_TR_WRITE)
			ck_assert_uint_le(v.r[i].cls, nclass);  /* defined before use */
	}
	recs_free(&v);
	ks_scenario_fini(&sc);
}
END_TEST

START_TEST(test_trace_gen_deterministic)
{
	struct ks_scenario a, b;
	struct recs va = { 0 }, vb = { 0 }, vc = { 0 };
	bool differ = false;

	busy_scenario(&a, 42);
	busy_scenario(&b, 42);
	gen_read(&a, &va);
	gen_read(&b, &vb);
	recs_assert_equal(&va, &vb);
	ks_scenario_fini(&b);
	busy_scenario(&b, 43);
	gen_read(&b, &vc);
	for (size_t i = 0; i < va.n && i < vc.n && !differ; i++)
		differ = !ks_trace_rec_equal(&va.r[i], &vc.r[i]);
	ck_assert_msg(differ || va.n != vc.n, "seed 43 gave the same stream as seed 42");
	/* the random class seed follows the scenario seed */
	for (size_t i = 0; i < va.n; i++)
		if (va.r[i].op == KS_TR_CLASS && va.r[i].spec.kind == KS_CONTENT_RANDOM)
			for (size_t j = 0; j < vc.n; j++)
				if (vc.r[j].op == KS_TR_CLASS &&
				    vc.r[j].spec.kind == KS_CONTENT_RANDOM)
					ck_assert_uint_ne(va.r[i].spec.seed, vc.r[j].spec.seed);
	recs_free(&va);
	recs_free(&vb);
	recs_free(&vc);
	ks_scenario_fini(&a);
	ks_scenario_fini(&b);
}
END_TEST

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* Every page of a random write is new: no (class, arg) pair is ever repeated. */
START_TEST(test_trace_gen_random_unique)
{
	struct ks_scenario sc;
	struct recs v = { 0 };
	uint32_t rnd = 0;
	uint64_t *args = NULL, n = 0;

	busy_scenario(&sc, 5);
	gen_read(&sc, &v);
	for (size_t i = 0; i < v.n; i++)
		if (v.r[i].op == KS_TR_CLASS && v.r[i].spec.kind == KS_CONTENT_RANDOM)
			rnd = v.r[i].cls;
	ck_assert_uint_ne(rnd, 0);
	for (size_t i = 0; i < v.n; i++) {
		if (v.r[i].op != KS_TR_WRITE || v.r[i].cls != rnd)
			continue;
		ck_assert_int_eq(v.r[i].step, 1);
		args = ks_xrealloc(args, (n + v.r[i].npages) * sizeof(*args));
		for (uint64_t k = 0; k < v.r[i].npages; k++)
			args[n++] = v.r[i].arg + k;
	}
	/* sorted, no two equal neighbours: no repeat (n log n; a pairwise check took
	 * seconds and hit Check's timeout on a loaded machine) */
	qsort(args, n, sizeof(*args), cmp_u64);
	for (uint64_t i = 1; i < n; i++)
		if (args[i - 1] == args[i])
			ck_abort_msg("random arg %" PRIu64 " written twice", args[i]);
	ck_assert_uint_gt(n, 1);
	free(args);
	recs_free(&v);
	ks_scenario_fini(&sc);
}
END_TEST

START_TEST(test_trace_gen_periodic_count)
{
	struct ks_scenario sc;
	struct ks_group *g;
	struct ks_write_sched *w;
	struct recs v = { 0 };
	unsigned writes = 0;

	ks_scenario_init(&sc);
	sc.duration = KS_S(1);
	g = add_group(&sc, "w", 1);
	add_part(add_region(g, "ram", 16, false), 16, KS_SPEC_ZERO);
	w = add_write(g, 0, 4, 8, KS_WRITE_PERIODIC);
	w->period = KS_MS(100);
	gen_read(&sc, &v);
	for (size_t i = 0; i < v.n; i++) {
		if (v.r[i].op != KS_TR_WRITE || v.r[i].t == 0)
			continue;
		writes++;
		ck_assert_uint_eq(v.r[i].t, KS_MS(100) * writes);
		ck_assert_uint_eq(v.r[i].vaddr, (1ULL << 40) + 4 * 4096);
		ck_assert_uint_eq(v.r[i].npages, 8);
	}
	ck_assert_uint_eq(writes, 10);
	recs_free(&v);
	ks_scenario_fini(&sc);
}
END_TEST

START_TEST(test_trace_gen_poisson_count)
{
	struct ks_scenario sc;
	struct ks_group *g;
	struct ks_write_sched *w;
	struct recs v = { 0 };
	unsigned writes = 0, low = 0;

	ks_scenario_init(&sc);
	sc.duration = KS_S(1);
	g = add_group(&sc, "p", 1);
	add_part(add_region(g, "ram", 256, false), 256, KS_SPEC_ZERO);
	w = add_write(g, 0, 100, 100, KS_WRITE_POISSON);
	w->rate_per_page = 10; /* 100 pages x 10/s x 1 s: mean 1000, sd ~32 */
	gen_read(&sc, &v);
	for (size_t i = 0; i < v.n; i++) {
		uint64_t page;

		if (v.r[i].op != KS_TR_WRITE || v.r[i].t == 0)
			continue;
		writes++;
		page = (v.r[i].vaddr - (1ULL << 40)) / 4096;
		ck_assert_uint_ge(page, 100);
		ck_assert_uint_lt(page, 200);
		ck_assert_uint_eq(v.r[i].npages, 1);
		low += page < 150;
	}
	ck_assert_uint_ge(writes, 850);
	ck_assert_uint_le(writes, 1150);
	ck_assert_uint_ge(low, writes / 2 - 100); /* uniform over the range */
	ck_assert_uint_le(low, writes / 2 + 100);
	recs_free(&v);
	ks_scenario_fini(&sc);
}
END_TEST

START_TEST(test_trace_gen_file_round_trip)
{
	struct ks_scenario sc;
	struct recs v = { 0 }, b = { 0 }, t = { 0 };

	busy_scenario(&sc, 7);
	gen_read(&sc, &v);
	recs_write(&v, tmp_path("g.kst"), KS_TRACE_BINARY);
	recs_write(&v, tmp_path("g.kstt"), KS_TRACE_TEXT);
	recs_load(tmp_path("g.kst"), &b);
	recs_load(tmp_path("g.kstt"), &t);
	recs_assert_equal(&v, &b);
	recs_assert_equal(&v, &t);
	recs_free(&v);
	recs_free(&b);
	recs_free(&t);
	ks_scenario_fini(&sc);
}
END_TEST

/* ksm_changes become KNOB records, after every workload record of their instant, in
 * file order at one instant; a change after the end is not emitted. */
START_TEST(test_trace_gen_knobs)
{
	struct ks_knob_change ch[] = {
		{ KS_MS(1), KS_KNOB_USE_ZERO_PAGES, 1 },
		{ 0, KS_KNOB_PAGES_TO_SCAN, 500 },
		{ KS_MS(1), KS_KNOB_RUN, 0 },
		{ KS_MS(30), KS_KNOB_RUN, 1 },
	};
	struct ks_scenario sc;
	struct ks_group *g;
	struct recs v = { 0 }, b = { 0 };
	size_t at0 = 0, at1 = 0, nknob = 0;

	ks_scenario_init(&sc);
	sc.duration = KS_MS(20);
	g = add_group(&sc, "vm", 2);
	g->stagger = KS_MS(1);
	add_part(add_region(g, "ram", 4, true), 4, KS_SPEC_ZERO);
	sc.nksm_changes = 4;
	sc.ksm_changes = ks_xmalloc(sizeof(ch));
	memcpy(sc.ksm_changes, ch, sizeof(ch));
	gen_read(&sc, &v);
	for (size_t i = 0; i < v.n; i++) {
		if (v.r[i].op != KS_TR_KNOB)
			continue;
		nknob++;
		if (v.r[i].t == 0)
			at0 = i;
		else if (!at1)
			at1 = i;
	}
	ck_assert_uint_eq(nknob, 3);
	/* at 0: after vm/0's START, MMAP, CLASS, WRITE, MERGEABLE; at 1ms: after vm/1's */
	ck_assert_uint_eq(at0, 5);
	ck_assert_uint_eq(v.r[at0].knob, KS_KNOB_PAGES_TO_SCAN);
	ck_assert_uint_eq(v.r[at0].value, 500);
	ck_assert_uint_eq(at1, 10);
	ck_assert_uint_eq(v.n, 12);
	ck_assert_uint_eq(v.r[10].knob, KS_KNOB_USE_ZERO_PAGES);
	ck_assert_uint_eq(v.r[11].knob, KS_KNOB_RUN);
	ck_assert_uint_eq(v.r[11].t, KS_MS(1));
	recs_write(&v, tmp_path("kn.kst"), KS_TRACE_BINARY);
	recs_load(tmp_path("kn.kst"), &b);
	recs_assert_equal(&v, &b);
	/* knob changes alone (no processes) still make a stream */
	recs_free(&v);
	ks_scenario_fini(&sc);
	ks_scenario_init(&sc);
	sc.nksm_changes = 1;
	sc.ksm_changes = ks_xmalloc(sizeof(ch));
	memcpy(sc.ksm_changes, ch, sizeof(ch[0]));
	gen_read(&sc, &v);
	ck_assert_uint_eq(v.n, 1);
	ck_assert_int_eq(v.r[0].op, KS_TR_KNOB);
	recs_free(&v);
	recs_free(&b);
	ks_scenario_fini(&sc);
}
END_TEST

/* The initial contents of page j, from the writes at t0 of one process. */
static void page_contents(const struct recs *v, uint32_t pid, uint64_t npages,
			  uint64_t *cls, uint64_t *arg)
{
	for (uint64_t j = 0; j < npages; j++)
		cls[j] = UINT64_MAX;
	for (size_t i = 0; i < v->n; i++) {
		const struct ks_trace_rec *r = &v->r[i];

		if (r->op != KS_TR_WRITE || r->pid != pid || r->t != 0)
			continue;
		for (uint64_t k = 0; k < r->npages; k++) {
			uint64_t j = (r->vaddr - (1ULL << 40)) / 4096 + k;

			ck_assert_uint_lt(j, npages);
			ck_assert_uint_eq(cls[j], UINT64_MAX); /* written once */
			cls[j] = r->cls;
			arg[j] = r->arg + k * (uint64_t)r->step;
		}
	}
}

START_TEST(test_trace_gen_shuffle)
{
	struct ks_scenario sc;
	struct ks_region *r;
	struct ks_content_spec *c;
	struct recs plain = { 0 }, shuf = { 0 };
	uint64_t pc[40], pa[40], sc_[40], sa[40];
	unsigned moved = 0;

	ks_scenario_init(&sc);
	r = add_region(add_group(&sc, "vm", 2), "ram", 40, true);
	add_part(r, 10, KS_SPEC_ZERO);
	c = add_part(r, 12, KS_SPEC_FILL);
	c->npatches = 1;
	c->patches[0] = (struct ks_patch_spec){ 8, 8, KS_PV_INDEX_PLUS, 3 };
	c = add_part(r, 12, KS_SPEC_IMAGE);
	c->image_seed = 77;
	gen_read(&sc, &plain);
	sc.groups[0].regions[0].shuffle = true;
	gen_read(&sc, &shuf);
	page_contents(&plain, 1, 40, pc, pa);
	page_contents(&shuf, 1, 40, sc_, sa);
	/* the same multiset of contents on the 34 covered pages, in another order */
	for (unsigned j = 0; j < 40; j++) {
		unsigned found = 0;

		ck_assert_uint_eq(pc[j] == UINT64_MAX, j >= 34);
		ck_assert_uint_eq(sc_[j] == UINT64_MAX, j >= 34);
		if (j >= 34)
			continue;
		moved += pc[j] != sc_[j] || pa[j] != sa[j];
		for (unsigned k = 0; k < 34; k++)
			found += pc[j] == sc_[k] && pa[j] == sa[k];
		ck_assert_uint_ge(found, 1);
	}
	ck_assert_uint_gt(moved, 10);
	/* the two processes are shuffled differently (seeded by pid) */
	page_contents(&shuf, 2, 40, pc, pa);
	moved = 0;
	for (unsigned j = 0; j < 34; j++)
		moved += pc[j] != sc_[j] || pa[j] != sa[j];
	ck_assert_uint_gt(moved, 0);
	recs_free(&plain);
	recs_free(&shuf);
	ks_scenario_fini(&sc);
}
END_TEST

/* Image pages: arg is the index within the part, so equal parts give equal pages. */
START_TEST(test_trace_gen_image_args)
{
	struct ks_scenario sc;
	struct ks_group *g;
	struct ks_region *r;
	struct recs v = { 0 };
	unsigned seen = 0, mmaps = 0;

	ks_scenario_init(&sc);
	g = add_group(&sc, "vm", 1);
	r = add_region(g, "a", 8, false);
	add_part(r, 3, KS_SPEC_ZERO);
	add_part(r, 5, KS_SPEC_IMAGE)->image_seed = 9;
	r = add_region(g, "b", 5, false);
	add_part(r, 5, KS_SPEC_IMAGE)->image_seed = 9;
	gen_read(&sc, &v);
	for (size_t i = 0; i < v.n; i++) {
		if (v.r[i].op == KS_TR_MMAP)
			ck_assert_uint_eq(v.r[i].vaddr, ks_gen_region_vaddr(mmaps++));
		if (v.r[i].op != KS_TR_WRITE || v.r[i].npages != 5)
			continue;
		ck_assert_uint_eq(v.r[i].arg, 0);
		ck_assert_int_eq(v.r[i].step, 1);
		seen++;
	}
	ck_assert_uint_eq(seen, 2);
	ck_assert_uint_eq(mmaps, 2);
	ck_assert_uint_eq(ks_gen_region_vaddr(1), 2ULL << 40);
	recs_free(&v);
	ks_scenario_fini(&sc);
}
END_TEST

START_TEST(test_trace_gen_exit_cuts)
{
	struct ks_scenario sc;
	struct ks_group *g;
	struct ks_region *r;
	struct ks_write_sched *w;
	struct recs v = { 0 };
	ks_time exit_t = 0;

	ks_scenario_init(&sc);
	sc.duration = KS_S(10);
	g = add_group(&sc, "short", 1);
	g->start = KS_MS(50);
	g->exit = KS_MS(500);
	r = add_region(g, "ram", 4, true);
	r->madvise_at = KS_S(1); /* after exit: never happens */
	add_part(r, 4, KS_SPEC_RANDOM);
	w = add_write(g, 0, 0, 4, KS_WRITE_PERIODIC);
	w->period = KS_MS(50); /* 100..500ms after start: 500ms is the exit, excluded */
	w = add_write(g, 0, 0, 4, KS_WRITE_POISSON);
	w->rate_per_page = 100;
	gen_read(&sc, &v);
	ck_assert_int_eq(v.r[v.n - 1].op, KS_TR_EXIT);
	exit_t = v.r[v.n - 1].t;
	ck_assert_uint_eq(exit_t, KS_MS(550));
	for (size_t i = 0; i + 1 < v.n; i++) {
		ck_assert_int_ne(v.r[i].op, KS_TR_MERGEABLE);
		ck_assert_uint_lt(v.r[i].t, exit_t);
		ck_assert_uint_ge(v.r[i].t, KS_MS(50));
	}
	recs_free(&v);
	ks_scenario_fini(&sc);
}
END_TEST

/* Pids run over the groups in order; names are GROUP/i; starts are staggered. */
START_TEST(test_trace_gen_pids_names)
{
	struct ks_scenario sc;
	struct ks_group *g;
	struct recs v = { 0 };
	unsigned starts = 0;
	static const char *const names[] = { "a/0", "a/1", "a/2", "b/0", "b/1" };
	static const ks_time t0[] = { KS_MS(1), KS_MS(4), KS_MS(7), KS_MS(2), KS_MS(2) };

	ks_scenario_init(&sc);
	g = add_group(&sc, "a", 3);
	g->start = KS_MS(1);
	g->stagger = KS_MS(3);
	add_group(&sc, "b", 2)->start = KS_MS(2);
	gen_read(&sc, &v);
	ck_assert_uint_eq(v.n, 5);
	for (size_t i = 0; i < v.n; i++) {
		uint32_t pid = v.r[i].pid;

		ck_assert_int_eq(v.r[i].op, KS_TR_START);
		ck_assert_uint_ge(pid, 1);
		ck_assert_uint_le(pid, 5);
		ck_assert_str_eq(v.r[i].name, names[pid - 1]);
		ck_assert_uint_eq(v.r[i].t, t0[pid - 1]);
		starts |= 1u << pid;
	}
	ck_assert_uint_eq(starts, 0x3e);
	ck_assert_uint_eq(ks_gen_pid(&sc, 1, 1), 5);
	/* b/0 and b/1 start together: pid order breaks the tie */
	ck_assert_uint_eq(v.r[1].pid, 4);
	ck_assert_uint_eq(v.r[2].pid, 5);
	recs_free(&v);
	ks_scenario_fini(&sc);
}
END_TEST

/* 64 processes x 4 GiB: generated lazily, so the first records come at once. */
START_TEST(test_trace_gen_lazy_large)
{
	struct ks_scenario sc;
	struct ks_group *g;
	struct ks_region *r;
	struct ks_trace_source *src;
	struct ks_trace_rec *rec = ks_xmalloc(sizeof(*rec));
	struct ks_err err;
	uint64_t pages = 0;
	int rc;

	ks_scenario_init(&sc);
	g = add_group(&sc, "vm", 64);
	r = add_region(g, "ram", 1ULL << 20, true);
	add_part(r, 1ULL << 19, KS_SPEC_ZERO);
	add_part(r, 1ULL << 19, KS_SPEC_RANDOM);
	src = ks_gen_open(&sc, &err);
	ck_assert_ptr_nonnull(src);
	while ((rc = src->next(src, rec, &err)) > 0)
		if (rec->op == KS_TR_WRITE)
			pages += rec->npages;
	ck_assert_int_eq(rc, 0);
	ck_assert_uint_eq(pages, 64ULL << 20);
	src->close(src);
	free(rec);
	ks_scenario_fini(&sc);
}
END_TEST

/* --------------------------------------------------------------------- edges */

START_TEST(test_trace_empty)
{
	struct recs v = { 0 }, w = { 0 };

	recs_write(&v, tmp_path("e.kst"), KS_TRACE_BINARY);
	recs_write(&v, tmp_path("e.kstt"), KS_TRACE_TEXT);
	recs_load(tmp_path("e.kst"), &w);
	ck_assert_uint_eq(w.n, 0);
	recs_load(tmp_path("e.kstt"), &w);
	ck_assert_uint_eq(w.n, 0);
	recs_free(&w);
}
END_TEST

START_TEST(test_trace_writer_abort_keeps_destination)
{
	const char *path = tmp_path("keep.kst");
	struct ks_trace_writer *w;
	struct recs v = { 0 };
	struct ks_err err;
	char *d;
	size_t n;

	spit(path, "old", 3);
	w = ks_trace_writer_open(path, KS_TRACE_BINARY, &err);
	ck_assert_ptr_nonnull(w);
	sample_records(&v);
	ck_assert_int_eq(ks_trace_writer_put(w, &v.r[0], &err), 0);
	ks_trace_writer_abort(w);
	d = slurp(path, &n);
	ck_assert_uint_eq(n, 3);
	ck_assert_mem_eq(d, "old", 3);
	free(d);
	/* no temporary file left next to it */
	{
		char cmd[600];

		snprintf(cmd, sizeof(cmd), "test $(ls -A '%s' | wc -l) -eq 1", tmpdir);
		ck_assert_int_eq(system(cmd), 0);
	}
	recs_free(&v);
}
END_TEST

START_TEST(test_trace_format_from_name)
{
	enum ks_trace_format f;

	ck_assert_int_eq(ks_trace_format_from_name("a/b.kst", &f), 0);
	ck_assert_int_eq(f, KS_TRACE_BINARY);
	ck_assert_int_eq(ks_trace_format_from_name("x.kstt", &f), 0);
	ck_assert_int_eq(f, KS_TRACE_TEXT);
	ck_assert_int_eq(ks_trace_format_from_name("x.txt", &f), KS_EINVAL);
	ck_assert_int_eq(ks_trace_format_from_name(".kst", &f), KS_EINVAL);
}
END_TEST

START_TEST(test_trace_duration_cuts)
{
	struct ks_scenario sc;
	struct ks_group *g;
	struct ks_write_sched *w;
	struct recs v = { 0 };

	ks_scenario_init(&sc);
	sc.duration = KS_MS(250);
	g = add_group(&sc, "a", 2);
	g->stagger = KS_MS(200);
	g->exit = KS_MS(100); /* a/1 exits at 300ms, after the end: no EXIT */
	add_part(add_region(g, "ram", 4, false), 4, KS_SPEC_ZERO);
	w = add_write(g, 0, 0, 4, KS_WRITE_PERIODIC);
	w->period = KS_MS(25);
	gen_read(&sc, &v);
	for (size_t i = 0; i < v.n; i++) {
		ck_assert_uint_le(v.r[i].t, KS_MS(250));
		if (v.r[i].op == KS_TR_EXIT)
			ck_assert_uint_eq(v.r[i].pid, 1);
	}
	ck_assert_int_eq(v.r[v.n - 1].op, KS_TR_WRITE);
	ck_assert_uint_eq(v.r[v.n - 1].t, KS_MS(250));
	recs_free(&v);
	ks_scenario_fini(&sc);
}
END_TEST

/* -------------------------------------------------------------------- errors */

/* Little builder for hand-made binary files. */
struct bb {
	uint8_t d[16384]; /* bytes */
	size_t n;         /* used */
};

static void bb_varint(uint8_t *p, size_t *n, uint64_t v)
{
	while (v >= 0x80) {
		p[(*n)++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[(*n)++] = (uint8_t)v;
}

static void bb_header(struct bb *b)
{
	memset(b, 0, sizeof(*b));
	memcpy(b->d, "KSMTRACE", 8);
	b->d[8] = 1;
	b->n = 24;
}

/* Appends a record: op, length, payload (dt as zigzag, then varints). */
static size_t bb_rec(struct bb *b, int op, int64_t dt, const uint64_t *v, unsigned nv)
{
	uint8_t pl[256];
	size_t pn = 0, at = b->n;

	bb_varint(pl, &pn, ((uint64_t)dt << 1) ^ (uint64_t)(dt >> 63));
	for (unsigned i = 0; i < nv; i++)
		bb_varint(pl, &pn, v[i]);
	b->d[b->n++] = (uint8_t)op;
	bb_varint(b->d, &b->n, pn);
	memcpy(b->d + b->n, pl, pn);
	b->n += pn;
	return at;
}

/* A valid file: START "a" at 0 (offset 24, 6 bytes), then a LITERAL at vaddr 0x1000
 * (offset 30: op, 2-byte length 4099, dt, pid, vpage, 4096 bytes = 4102 bytes), then
 * the end record at offset 4132. */
static void valid_file(const char *path)
{
	struct recs v = { 0 };
	struct ks_trace_rec *r;

	r = rec_op(&v, 0, KS_TR_START, 1, 0, 0);
	strcpy(r->name, "a");
	r = rec_op(&v, 0, KS_TR_WRITE_LITERAL, 1, 0x1000, 1);
	memset(r->bytes, 0x5a, sizeof(r->bytes));
	recs_write(&v, path, KS_TRACE_BINARY);
	recs_free(&v);
}

static void patch_file(const char *path, long off, uint8_t byte)
{
	FILE *f = fopen(path, "r+b");

	ck_assert_ptr_nonnull(f);
	fseek(f, off, SEEK_SET);
	fputc(byte, f);
	fclose(f);
}

/* Each case makes a broken file and names the message it must give. */
struct err_case {
	const char *name;                 /* file name (extension decides nothing) */
	void (*make)(const char *path);   /* writes the file */
	const char *expect;               /* message after the path */
};

static void mk_bad_magic(const char *p) { valid_file(p); patch_file(p, 0, 'X'); }
static void mk_version(const char *p) { valid_file(p); patch_file(p, 8, 7); }
static void mk_unknown_op(const char *p) { valid_file(p); patch_file(p, 24, 0x55); }
static void mk_truncated(const char *p) { valid_file(p); ck_assert_int_eq(truncate(p, 130), 0); }
static void mk_truncated_len(const char *p) { valid_file(p); ck_assert_int_eq(truncate(p, 31), 0); }
static void mk_no_end(const char *p) { valid_file(p); ck_assert_int_eq(truncate(p, 4132), 0); }
static void mk_cut_end(const char *p) { valid_file(p); ck_assert_int_eq(truncate(p, 4140), 0); }
static void mk_corrupt(const char *p) { valid_file(p); patch_file(p, 2000, 0x00); }
static void mk_flags(const char *p) { valid_file(p); patch_file(p, 12, 1); }
static void mk_short_header(const char *p) { spit(p, "KSMTRACE\1\0", 10); }
static void mk_empty(const char *p) { spit(p, "", 0); }

static void mk_count(const char *p)
{
	valid_file(p);
	patch_file(p, 16, 5);
}

static void mk_trailing(const char *p)
{
	FILE *f;

	valid_file(p);
	f = fopen(p, "ab");
	fputc('x', f);
	fclose(f);
}

static void mk_backwards(const char *p)
{
	struct bb b;
	uint64_t v[] = { 1, 1, 'a' };

	bb_header(&b);
	bb_rec(&b, KS_TR_START, (int64_t)KS_MS(15), v, 3);
	bb_rec(&b, KS_TR_EXIT, -(int64_t)KS_MS(3), v, 1); /* at offset 33 */
	spit(p, b.d, b.n);
}

static void mk_undefined_class(const char *p)
{
	struct bb b;
	uint64_t v[] = { 1, 16, 2, 7, 0, 0 }; /* pid vpage npages cls arg step */

	bb_header(&b);
	bb_rec(&b, KS_TR_WRITE, 0, v, 6);
	spit(p, b.d, b.n);
}

static void mk_malformed(const char *p)
{
	struct bb b;
	uint64_t v[] = { 1, 16 }; /* an MMAP without npages */

	bb_header(&b);
	bb_rec(&b, KS_TR_MMAP, 0, v, 2);
	spit(p, b.d, b.n);
}

#define TEXT_CASE(fn, body) \
	static void fn(const char *p) { static const char t[] = body; spit(p, t, sizeof(t) - 1); }

TEXT_CASE(tx_undefined_class, "ksmsim-trace 1\n0ns start pid=1 name=a\n"
	  "0ns write pid=1 vaddr=0x1000 pages=2 class=7 arg=0 step=1\n")
TEXT_CASE(tx_backwards, "ksmsim-trace 1\n# c\n15ms start pid=1 name=a\n12ms exit pid=1\n")
TEXT_CASE(tx_version, "ksmsim-trace 7\n")
TEXT_CASE(tx_bad_header, "ksmsim-tracer 1\n")
TEXT_CASE(tx_unknown_op, "ksmsim-trace 1\n0ns fork pid=1\n")
TEXT_CASE(tx_unknown_key, "ksmsim-trace 1\n0ns exit pid=1 colour=red\n")
TEXT_CASE(tx_bad_time, "ksmsim-trace 1\n12 exit pid=1\n")
TEXT_CASE(tx_frac_ns, "ksmsim-trace 1\n1.5ns exit pid=1\n")
TEXT_CASE(tx_missing_key, "ksmsim-trace 1\n0ns mmap pid=1 vaddr=0x1000\n")
TEXT_CASE(tx_no_time, "ksmsim-trace 1\nexit pid=1\n")
TEXT_CASE(tx_bad_number, "ksmsim-trace 1\n0ns mmap pid=1 vaddr=0x1000 pages=ten\n")
TEXT_CASE(tx_unaligned, "ksmsim-trace 1\n0ns mmap pid=1 vaddr=0x1001 pages=1\n")
TEXT_CASE(tx_short_literal, "ksmsim-trace 1\n0ns literal pid=1 vaddr=0x1000 bytes=00*4095\n")
TEXT_CASE(tx_bad_hex, "ksmsim-trace 1\n0ns literal pid=1 vaddr=0x1000 bytes=00*4000,zz\n")
TEXT_CASE(tx_class_twice, "ksmsim-trace 1\nclass 1 zero\nclass 1 random seed=1\n")
TEXT_CASE(tx_bad_word, "ksmsim-trace 1\nclass 1 fill word=4090:8:index\n")
TEXT_CASE(tx_bad_kind, "ksmsim-trace 1\nclass 1 literal\n")
TEXT_CASE(tx_dup_key, "ksmsim-trace 1\n0ns exit pid=1 pid=2\n")
TEXT_CASE(tx_no_pages, "ksmsim-trace 1\n0ns mmap pid=1 vaddr=0x1000 pages=0\n")
TEXT_CASE(tx_bad_knob, "ksmsim-trace 1\n0ns knob name=use_zero_page value=1\n")
TEXT_CASE(tx_knob_no_value, "ksmsim-trace 1\n0ns knob name=run\n")
TEXT_CASE(tx_knob_pid, "ksmsim-trace 1\n0ns knob pid=1 name=run value=1\n")

static void mk_bad_knob(const char *p)
{
	struct bb b;
	uint64_t v[] = { KS_KNOB_COUNT, 1 }; /* knob value */

	bb_header(&b);
	bb_rec(&b, KS_TR_KNOB, 0, v, 2);
	spit(p, b.d, b.n);
}

static const struct err_case err_cases[] = {
	{ "magic.kst", mk_bad_magic, ":0: not a ksmsim trace (bad magic)" },
	{ "empty.kst", mk_empty, ":0: not a ksmsim trace (bad magic)" },
	{ "version.kst", mk_version, ":8: unsupported trace version 7 (this sim reads versions 1 to 2)" },
	{ "flags.kst", mk_flags, ":12: unsupported trace flags 0x1" },
	{ "header.kst", mk_short_header, ":10: truncated header (expected 24 bytes)" },
	{ "op.kst", mk_unknown_op, ":24: unknown record type 0x55" },
	{ "trunc.kst", mk_truncated, ":30: truncated record (expected 4102 bytes)" },
	{ "trunclen.kst", mk_truncated_len, ":30: truncated record (expected 2 bytes)" },
	{ "noend.kst", mk_no_end, ":4132: truncated trace (end record missing)" },
	{ "cutend.kst", mk_cut_end, ":4132: truncated record (expected 13 bytes)" },
	{ "crc.kst", mk_corrupt, ":4132: checksum mismatch" },
	{ "count.kst", mk_count, ":16: header counts 5 records, file has 2" },
	{ "trailing.kst", mk_trailing, ":4145: data after the end record" },
	{ "back.kst", mk_backwards, ":33: timestamp goes backwards (12ms < 15ms)" },
	{ "undef.kst", mk_undefined_class, ":24: write uses undefined class 7" },
	{ "malformed.kst", mk_malformed, ":24: malformed mmap record" },
	{ "undef.kstt", tx_undefined_class, ":3: write uses undefined class 7" },
	{ "back.kstt", tx_backwards, ":4: timestamp goes backwards (12ms < 15ms)" },
	{ "version.kstt", tx_version, ":1:14: unsupported trace version 7 (this sim reads versions 1 to 2)" },
	{ "header.kstt", tx_bad_header, ":1:1: not a ksmsim trace" },
	{ "op.kstt", tx_unknown_op, ":2:5: unknown record type 'fork'" },
	{ "key.kstt", tx_unknown_key, ":2:16: unknown key 'colour' for exit" },
	{ "time.kstt", tx_bad_time, ":2:1: invalid time '12'" },
	{ "fracns.kstt", tx_frac_ns, ":2:1: invalid time '1.5ns'" },
	{ "missing.kstt", tx_missing_key, ":2:5: mmap needs pages=" },
	{ "notime.kstt", tx_no_time, ":2:1: exit record needs a time" },
	{ "number.kstt", tx_bad_number, ":2:35: invalid number 'ten' for pages" },
	{ "unaligned.kstt", tx_unaligned, ":2: mmap address 0x1001 is not page-aligned" },
	{ "literal.kstt", tx_short_literal, ":2:38: literal has 4095 bytes, expected 4096" },
	{ "hex.kstt", tx_bad_hex, ":2:46: invalid hex bytes 'zz'" },
	{ "twice.kstt", tx_class_twice, ":3: class 1 defined twice" },
	{ "word.kstt", tx_bad_word, ":2: class 1 word 1 (offset 4090 width 8) does not fit" },
	{ "kind.kstt", tx_bad_kind, ":2:9: unknown class kind 'literal'" },
	{ "dup.kstt", tx_dup_key, ":2:16: duplicate key 'pid'" },
	{ "nopages.kstt", tx_no_pages, ":2: mmap range has no pages" },
	{ "knob.kstt", tx_bad_knob, ":2:15: unknown knob 'use_zero_page'" },
	{ "knobvalue.kstt", tx_knob_no_value, ":2:5: knob needs value=" },
	{ "knobpid.kstt", tx_knob_pid, ":2:10: unknown key 'pid' for knob" },
	{ "knob.kst", mk_bad_knob, ":24: unknown knob 13" },
};

START_TEST(test_trace_error_messages)
{
	const struct err_case *c = &err_cases[_i];
	const char *path = tmp_path(c->name), *msg;
	char expect[1024];

	c->make(path);
	snprintf(expect, sizeof(expect), "%s%s", path, c->expect);
	msg = read_error(path);
	ck_assert_msg(msg != NULL, "%s: no error", c->name);
	ck_assert_msg(strncmp(msg, expect, strlen(expect)) == 0, "%s: got '%s', want '%s'",
		      c->name, msg, expect);
}
END_TEST

/* An error is sticky: next() keeps returning it. */
START_TEST(test_trace_error_sticky)
{
	const char *path = tmp_path("sticky.kstt");
	struct ks_trace_rec *rec = ks_xmalloc(sizeof(*rec));
	struct ks_trace_source *src;
	struct ks_err err;

	tx_backwards(path);
	src = ks_trace_open(path, &err);
	ck_assert_ptr_nonnull(src);
	ck_assert_int_eq(src->next(src, rec, &err), 1);
	ck_assert_int_eq(src->next(src, rec, &err), KS_EPARSE);
	err.msg[0] = '\0';
	ck_assert_int_eq(src->next(src, rec, &err), KS_EPARSE);
	ck_assert_ptr_nonnull(strstr(err.msg, "timestamp goes backwards"));
	src->close(src);
	free(rec);
}
END_TEST

START_TEST(test_trace_open_missing)
{
	struct ks_err err;

	ck_assert_ptr_null(ks_trace_open(tmp_path("nope.kst"), &err));
	ck_assert_int_eq(err.code, KS_ENOENT);
	ck_assert_ptr_nonnull(strstr(err.msg, "nope.kst: cannot open"));
}
END_TEST

START_TEST(test_trace_writer_rejects_invalid)
{
	const char *path = tmp_path("w.kst");
	struct ks_trace_writer *w;
	struct recs v = { 0 };
	struct ks_err err;

	rec_op(&v, KS_MS(15), KS_TR_EXIT, 1, 0, 0);
	rec_op(&v, KS_MS(12), KS_TR_EXIT, 1, 0, 0);
	w = ks_trace_writer_open(path, KS_TRACE_BINARY, &err);
	ck_assert_ptr_nonnull(w);
	ck_assert_int_eq(ks_trace_writer_put(w, &v.r[0], &err), 0);
	ck_assert_int_eq(ks_trace_writer_put(w, &v.r[1], &err), KS_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "record 2: timestamp goes backwards (12ms < 15ms)"));
	v.r[1].t = KS_MS(20);
	v.r[1].op = KS_TR_WRITE;
	v.r[1].vaddr = 0x1000;
	v.r[1].npages = 1;
	v.r[1].cls = 3;
	ck_assert_int_eq(ks_trace_writer_put(w, &v.r[1], &err), KS_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "write uses undefined class 3"));
	ks_trace_writer_abort(w);
	ck_assert_int_ne(access(path, F_OK), 0);
	recs_free(&v);
}
END_TEST

START_TEST(test_trace_gen_rejects_bad_scenario)
{
	struct ks_scenario sc;
	struct ks_group *g;
	struct ks_content_spec *c;
	struct ks_err err;

	ks_scenario_init(&sc);
	g = add_group(&sc, "big", 1);
	add_region(g, "ram", (1ULL << 28) + 1, false);
	ck_assert_ptr_null(ks_gen_open(&sc, &err));
	ck_assert_int_eq(err.code, KS_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "group 'big' region 'ram'"));
	sc.groups[0].regions[0].pages = 4;
	c = add_part(&sc.groups[0].regions[0], 4, KS_SPEC_FILL);
	c->npatches = 1;
	c->patches[0] = (struct ks_patch_spec){ 4092, 8, KS_PV_CONST, 1 };
	ck_assert_ptr_null(ks_gen_open(&sc, &err));
	ck_assert_ptr_nonnull(strstr(err.msg, "does not fit a page"));
	c->patches[0].offset = 0;
	add_write(&sc.groups[0], 3, 0, 1, KS_WRITE_PERIODIC);
	ck_assert_ptr_null(ks_gen_open(&sc, &err));
	ck_assert_ptr_nonnull(strstr(err.msg, "no region 3"));
	ks_scenario_fini(&sc);
}
END_TEST

Suite *ks_test_suite(void);

Suite *ks_test_suite(void)
{
	Suite *s = suite_create("trace");
	TCase *core = tcase_create("core");
	TCase *edges = tcase_create("edges");
	TCase *errors = tcase_create("errors");

	tcase_add_checked_fixture(core, tmp_setup, tmp_teardown);
	tcase_add_checked_fixture(edges, tmp_setup, tmp_teardown);
	tcase_add_checked_fixture(errors, tmp_setup, tmp_teardown);
	tcase_set_timeout(core, 60);
	tcase_set_timeout(edges, 60); /* Check's default, 4 s, is short on a loaded machine */
	tcase_set_timeout(errors, 60);
	tcase_add_test(core, test_trace_round_trip_binary_text_binary);
	tcase_add_test(core, test_trace_binary_header_and_trailer);
	tcase_add_test(core, test_trace_text_syntax);
	tcase_add_test(core, test_trace_literal_runs);
	tcase_add_test(core, test_trace_knob_text);
	tcase_add_test(core, test_trace_gen_knobs);
	tcase_add_test(core, test_trace_time_str);
	tcase_add_test(core, test_trace_gen_tiny_exact);
	tcase_add_test(core, test_trace_gen_time_order);
	tcase_add_test(core, test_trace_gen_deterministic);
	tcase_add_test(core, test_trace_gen_random_unique);
	tcase_add_test(core, test_trace_gen_periodic_count);
	tcase_add_test(core, test_trace_gen_poisson_count);
	tcase_add_test(core, test_trace_gen_file_round_trip);
	tcase_add_test(core, test_trace_gen_shuffle);
	tcase_add_test(core, test_trace_gen_image_args);
	tcase_add_test(core, test_trace_gen_exit_cuts);
	tcase_add_test(core, test_trace_gen_pids_names);
	tcase_add_test(core, test_trace_gen_lazy_large);
	suite_add_tcase(s, core);
	tcase_add_test(edges, test_trace_empty);
	tcase_add_test(edges, test_trace_writer_abort_keeps_destination);
	tcase_add_test(edges, test_trace_format_from_name);
	tcase_add_test(edges, test_trace_duration_cuts);
	suite_add_tcase(s, edges);
	tcase_add_loop_test(errors, test_trace_error_messages, 0,
			    (int)(sizeof(err_cases) / sizeof(err_cases[0])));
	tcase_add_test(errors, test_trace_error_sticky);
	tcase_add_test(errors, test_trace_open_missing);
	tcase_add_test(errors, test_trace_writer_rejects_invalid);
	tcase_add_test(errors, test_trace_gen_rejects_bad_scenario);
	suite_add_tcase(s, errors);
	return s;
}
