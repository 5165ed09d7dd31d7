/* check_load_scenario.c - the scenario loader: every key of a full scenario, defaults,
 * fraction/rest resolution, --set overrides, scenario lookup, and one exact located
 * message per error kind. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "models/vocab/checksum.h"
#include "sim/config/load_scenario.h"

/* A minimal valid process group, appended to scenarios that test something else. */
Suite *ks_test_suite(void);

#define MINPROC "processes:\n  - regions:\n      - pages: 1\n"

static const char *srcdir(void)
{
	const char *s = getenv("SRCDIR");

	return s && *s ? s : KS_SRCDIR;
}

static void data_path(char *buf, size_t len, const char *file)
{
	snprintf(buf, len, "%s/tests/data/scenarios/%s", srcdir(), file);
}

static int load(const char *text, const char *const *sets, unsigned nsets,
		struct ks_scenario *sc, struct ks_err *err)
{
	memset(err, 0, sizeof(*err));
	return ks_scenario_load_string(text, "t.yaml", sets, nsets, sc, err);
}

/* ---- core ----------------------------------------------------------------------- */

START_TEST(test_load_scenario_full_file)
{
	struct ks_scenario sc;
	struct ks_err err;
	const struct ks_group *g;
	const struct ks_region *r;
	const struct ks_part *p;
	const struct ks_write_sched *w;
	char path[PATH_MAX];
	int rc;

	data_path(path, sizeof(path), "full.yaml");
	rc = ks_scenario_load_file(path, NULL, 0, &sc, &err);
	ck_assert_msg(rc == 0, "%s", err.msg);
	ck_assert_str_eq(sc.name, "full");
	ck_assert_str_eq(sc.path, path);
	ck_assert_ptr_nonnull(strstr(sc.text, "# Every key of the scenario format"));
	ck_assert_uint_eq(sc.seed, 42);
	ck_assert_str_eq(sc.arch, "arm64");
	ck_assert_uint_eq(sc.duration, KS_S(600));
	ck_assert_int_eq(sc.sample_mode, KS_SAMPLE_INTERVAL);
	ck_assert_uint_eq(sc.sample_interval, KS_MS(100));
	ck_assert(!sc.process_samples);
	ck_assert(sc.stop_when_stable);
	ck_assert_uint_eq(sc.stable_scans, 5);
	/* ksm */
	ck_assert_uint_eq(sc.ksm.run, 2);
	ck_assert_uint_eq(sc.ksm.pages_to_scan, 200);
	ck_assert_uint_eq(sc.ksm.sleep_millisecs, 10);
	ck_assert_uint_eq(sc.ksm.max_page_sharing, 128);
	ck_assert(sc.ksm.use_zero_pages);
	ck_assert(!sc.ksm.merge_across_nodes);
	ck_assert(!sc.ksm.smart_scan);
	ck_assert_uint_eq(sc.ksm.stable_node_chains_prune_millisecs, 1000);
	ck_assert_int_eq(sc.ksm.advisor_mode, KS_ADVISOR_SCAN_TIME);
	ck_assert_uint_eq(sc.ksm.advisor_max_cpu, 50);
	ck_assert_uint_eq(sc.ksm.advisor_min_pages_to_scan, 400);
	ck_assert_uint_eq(sc.ksm.advisor_max_pages_to_scan, 20000);
	ck_assert_uint_eq(sc.ksm.advisor_target_scan_time, 100);
	ck_assert_int_eq(sc.ksm.checksum, KS_CSUM_JHASH2);
	ck_assert_uint_eq(sc.ksm.hz, 250);
	ck_assert(sc.ksm.cmp_order_pre_611);
	ck_assert_uint_eq(sc.ksm.zero_page_colours, 8);
	ck_assert_uint_eq(sc.numa_nodes, 2);
	ck_assert_uint_eq(sc.page_size, 4096);
	ck_assert_str_eq(sc.trace_file, "traces/example.kst");
	/* group vm */
	ck_assert_uint_eq(sc.ngroups, 2);
	g = &sc.groups[0];
	ck_assert_str_eq(g->name, "vm");
	ck_assert_uint_eq(g->count, 8);
	ck_assert_uint_eq(g->start, KS_S(1));
	ck_assert_uint_eq(g->stagger, KS_MS(500));
	ck_assert_uint_eq(g->exit, KS_S(300));
	ck_assert_uint_eq(g->nregions, 2);
	r = &g->regions[0];
	ck_assert_str_eq(r->name, "ram");
	ck_assert_uint_eq(r->pages, 262144);
	ck_assert(r->mergeable);
	ck_assert_uint_eq(r->madvise_at, KS_S(2));
	ck_assert_uint_eq(r->unmerge_at, KS_S(200));
	ck_assert(r->shuffle);
	ck_assert_uint_eq(r->nparts, 3);
	p = r->parts;
	ck_assert_uint_eq(p[0].pages, 157286); /* 0.6 * 262144 = 157286.4 */
	ck_assert_int_eq(p[0].content.kind, KS_SPEC_IMAGE);
	ck_assert_str_eq(p[0].content.image, "win2008");
	ck_assert_uint_eq(p[1].pages, 1000);
	ck_assert_int_eq(p[1].content.kind, KS_SPEC_ZERO);
	ck_assert_uint_eq(p[2].pages, 262144 - 157286 - 1000);
	ck_assert_int_eq(p[2].content.kind, KS_SPEC_FILL);
	ck_assert_uint_eq(p[2].content.fill, 0xff);
	ck_assert_uint_eq(p[2].content.npatches, 3);
	ck_assert_uint_eq(p[2].content.patches[0].offset, 4088);
	ck_assert_uint_eq(p[2].content.patches[0].width, 8);
	ck_assert_int_eq(p[2].content.patches[0].source, KS_PV_INDEX);
	ck_assert_uint_eq(p[2].content.patches[1].offset, 0);
	ck_assert_uint_eq(p[2].content.patches[1].width, 4);
	ck_assert_int_eq(p[2].content.patches[1].source, KS_PV_CONST);
	ck_assert_uint_eq(p[2].content.patches[1].value, 0xdeadbeef);
	ck_assert_int_eq(p[2].content.patches[2].source, KS_PV_INDEX_PLUS);
	ck_assert_uint_eq(p[2].content.patches[2].value, 7);
	r = &g->regions[1];
	ck_assert_str_eq(r->name, "heap");
	ck_assert_uint_eq(r->pages, 100);
	ck_assert(!r->mergeable);
	ck_assert_uint_eq(r->unmerge_at, 0);
	ck_assert_uint_eq(r->nparts, 0);
	ck_assert_uint_eq(g->nwrites, 2);
	w = &g->writes[0];
	ck_assert_uint_eq(w->region, 0);
	ck_assert_uint_eq(w->first, 10);
	ck_assert_uint_eq(w->count, 100);
	ck_assert_int_eq(w->kind, KS_WRITE_PERIODIC);
	ck_assert_uint_eq(w->period, KS_MS(50));
	ck_assert_uint_eq(w->start, KS_S(10));
	ck_assert_uint_eq(w->stop, KS_S(20));
	ck_assert_int_eq(w->content.kind, KS_SPEC_ZERO);
	w = &g->writes[1];
	ck_assert_uint_eq(w->region, 1);
	ck_assert_uint_eq(w->first, 0);
	ck_assert_uint_eq(w->count, 5);
	ck_assert_int_eq(w->kind, KS_WRITE_POISSON);
	ck_assert_double_eq_tol(w->rate_per_page, 2.5, 1e-12);
	ck_assert_uint_eq(w->stop, 0);
	ck_assert_int_eq(w->content.kind, KS_SPEC_RANDOM);
	/* group idle: defaults */
	g = &sc.groups[1];
	ck_assert_str_eq(g->name, "idle");
	ck_assert_uint_eq(g->count, 1);
	ck_assert_uint_eq(g->exit, 0);
	ck_assert_str_eq(g->regions[0].name, "region0");
	ck_assert_uint_eq(g->regions[0].parts[0].pages, 16);
	ck_assert_int_eq(g->regions[0].parts[0].content.kind, KS_SPEC_RANDOM);
	ck_assert_uint_eq(ks_scenario_total_pages(&sc), 8 * (262144 + 100) + 16);
	ks_scenario_fini(&sc);
}
END_TEST

START_TEST(test_load_scenario_defaults)
{
	struct ks_scenario sc;
	struct ks_err err;
	const struct ks_region *r;
	int rc = load("duration: 1s\n" MINPROC, NULL, 0, &sc, &err);

	ck_assert_msg(rc == 0, "%s", err.msg);
	ck_assert_str_eq(sc.name, "t");
	ck_assert_ptr_null(sc.path);
	ck_assert_str_eq(sc.text, "duration: 1s\n" MINPROC);
	ck_assert_uint_eq(sc.seed, 1);
	ck_assert_str_eq(sc.arch, "x86_64");
	ck_assert_int_eq(sc.sample_mode, KS_SAMPLE_BATCH);
	ck_assert_uint_eq(sc.sample_every, 1);
	ck_assert(sc.process_samples);
	ck_assert(!sc.stop_when_stable);
	ck_assert_uint_eq(sc.stable_scans, 3);
	ck_assert(!sc.reference_path);
	ck_assert_uint_eq(sc.ksm.run, 1);
	ck_assert_uint_eq(sc.ksm.pages_to_scan, 100);
	ck_assert_uint_eq(sc.ksm.sleep_millisecs, 20);
	ck_assert_uint_eq(sc.ksm.max_page_sharing, 256);
	ck_assert(!sc.ksm.use_zero_pages);
	ck_assert(sc.ksm.merge_across_nodes);
	ck_assert(sc.ksm.smart_scan);
	ck_assert_uint_eq(sc.ksm.stable_node_chains_prune_millisecs, 2000);
	ck_assert_int_eq(sc.ksm.advisor_mode, KS_ADVISOR_NONE);
	ck_assert_uint_eq(sc.ksm.advisor_max_cpu, 70);
	ck_assert_uint_eq(sc.ksm.advisor_min_pages_to_scan, 500);
	ck_assert_uint_eq(sc.ksm.advisor_max_pages_to_scan, 30000);
	ck_assert_uint_eq(sc.ksm.advisor_target_scan_time, 200);
	ck_assert_int_eq(sc.ksm.checksum, KS_CSUM_XXHASH64);
	ck_assert_uint_eq(sc.ksm.hz, 1000);
	ck_assert(!sc.ksm.cmp_order_pre_611);
	ck_assert_uint_eq(sc.ksm.zero_page_colours, 1);
	ck_assert_uint_eq(sc.numa_nodes, 1);
	ck_assert_uint_eq(sc.page_size, 4096);
	ck_assert_ptr_null(sc.trace_file);
	ck_assert_uint_eq(sc.ngroups, 1);
	ck_assert_str_eq(sc.groups[0].name, "group0");
	ck_assert_uint_eq(sc.groups[0].count, 1);
	ck_assert_uint_eq(sc.groups[0].start, 0);
	ck_assert_uint_eq(sc.groups[0].stagger, 0);
	ck_assert_uint_eq(sc.groups[0].exit, 0);
	ck_assert_uint_eq(sc.groups[0].nwrites, 0);
	r = &sc.groups[0].regions[0];
	ck_assert_str_eq(r->name, "region0");
	ck_assert_uint_eq(r->pages, 1);
	ck_assert(r->mergeable);
	ck_assert_uint_eq(r->madvise_at, 0);
	ck_assert_uint_eq(r->unmerge_at, 0);
	ck_assert(!r->shuffle);
	ck_assert_uint_eq(r->nparts, 0);
	ks_scenario_fini(&sc);
}
END_TEST

START_TEST(test_load_scenario_fractions)
{
	/* 10 pages: 0.25 -> 3 (2.5 rounds up), 0.25 -> 2 (cumulative 5), 2 fixed, rest 3. */
	static const char text[] =
		"duration: 1s\n"
		"processes:\n"
		"  - regions:\n"
		"      - pages: 10\n"
		"        contents:\n"
		"          - {fraction: 0.25, content: {kind: zero}}\n"
		"          - {rest: true, content: {kind: random}}\n"
		"          - {fraction: 0.25, content: {kind: zero}}\n"
		"          - {pages: 2, content: {kind: fill, byte: 7}}\n"
		"      - pages: 3\n"
		"        contents:\n"
		"          - {fraction: 0.5, content: {kind: zero}}\n"
		"          - {fraction: 0.5, content: {kind: zero}}\n";
	struct ks_scenario sc;
	struct ks_err err;
	const struct ks_region *r;
	int rc = load(text, NULL, 0, &sc, &err);

	ck_assert_msg(rc == 0, "%s", err.msg);
	r = &sc.groups[0].regions[0];
	ck_assert_uint_eq(r->nparts, 4);
	ck_assert_uint_eq(r->parts[0].pages, 3);
	ck_assert_uint_eq(r->parts[1].pages, 3);
	ck_assert_int_eq(r->parts[1].content.kind, KS_SPEC_RANDOM);
	ck_assert_uint_eq(r->parts[2].pages, 2);
	ck_assert_uint_eq(r->parts[3].pages, 2);
	ck_assert_uint_eq(r->parts[3].content.fill, 7);
	/* Halves of 3 pages: 2 + 1, never 2 + 2. */
	r = &sc.groups[0].regions[1];
	ck_assert_uint_eq(r->parts[0].pages + r->parts[1].pages, 3);
	ck_assert_uint_eq(r->parts[0].pages, 2);
	ks_scenario_fini(&sc);
}
END_TEST

static const char set_base[] =
	"# comment\n"
	"duration: 1s\n"
	"seed: 1\n"
	"processes:\n"
	"  - name: vm\n"
	"    regions:\n"
	"      - name: ram\n"
	"        pages: 10\n"
	"  - name: idle\n"
	"    regions:\n"
	"      - pages: 1\n";

START_TEST(test_load_scenario_set_overrides)
{
	const char *sets[] = {
		"seed=5",                          /* scalar */
		"seed=99",                         /* last one wins */
		"processes.0.count=4",             /* list item by index, key added */
		"processes.vm.regions.ram.pages=20", /* list items by name */
		"ksm.pages_to_scan=500",           /* absent section created */
		"name=a: b",                       /* value that needs quoting when emitted */
		"processes.idle.exit=2s",
	};
	struct ks_scenario sc, again;
	struct ks_err err;
	int rc = load(set_base, sets, 7, &sc, &err);

	ck_assert_msg(rc == 0, "%s", err.msg);
	ck_assert_uint_eq(sc.seed, 99);
	ck_assert_uint_eq(sc.groups[0].count, 4);
	ck_assert_uint_eq(sc.groups[0].regions[0].pages, 20);
	ck_assert_uint_eq(sc.groups[1].exit, KS_S(2));
	ck_assert_uint_eq(sc.ksm.pages_to_scan, 500);
	ck_assert_str_eq(sc.name, "a: b");
	/* sc->text is the document as run: loading it again gives the same scenario. */
	ck_assert_ptr_null(strstr(sc.text, "# comment"));
	rc = load(sc.text, NULL, 0, &again, &err);
	ck_assert_msg(rc == 0, "%s\n%s", err.msg, sc.text);
	ck_assert_uint_eq(again.seed, 99);
	ck_assert_uint_eq(again.groups[0].count, 4);
	ck_assert_uint_eq(again.groups[0].regions[0].pages, 20);
	ck_assert_uint_eq(again.groups[1].exit, KS_S(2));
	ck_assert_uint_eq(again.ksm.pages_to_scan, 500);
	ck_assert_str_eq(again.name, "a: b");
	ks_scenario_fini(&again);
	ks_scenario_fini(&sc);
}
END_TEST

START_TEST(test_load_scenario_find_order)
{
	char tmpl[] = "/tmp/ks-find-XXXXXX", old[PATH_MAX], out[PATH_MAX];
	struct ks_err err;
	FILE *f;

	ck_assert_ptr_nonnull(getcwd(old, sizeof(old)));
	ck_assert_ptr_nonnull(mkdtemp(tmpl));
	ck_assert_int_eq(chdir(tmpl), 0);
	/* Only the source tree has scenarios/local.mk: found there. */
	ck_assert_int_eq(ks_scenario_find("local.mk", out, sizeof(out), &err), 0);
	ck_assert_str_eq(out, KS_SRCDIR "/scenarios/local.mk");
	/* A file of that name in the current folder comes first. */
	f = fopen("local.mk", "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);
	ck_assert_int_eq(ks_scenario_find("local.mk", out, sizeof(out), &err), 0);
	ck_assert_str_eq(out, "local.mk");
	/* ".yaml" is appended when the name alone does not exist. */
	f = fopen("mine.yaml", "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);
	ck_assert_int_eq(ks_scenario_find("mine", out, sizeof(out), &err), 0);
	ck_assert_str_eq(out, "mine.yaml");
	/* Too small an output buffer is an error, not a truncated path. */
	ck_assert_int_eq(ks_scenario_find("mine", out, 5, &err), KS_ERANGE);
	ck_assert_int_eq(ks_scenario_find("no-such-scenario", out, sizeof(out), &err),
			 KS_ENOENT);
	ck_assert_ptr_nonnull(strstr(err.msg, "scenario 'no-such-scenario' not found"));
	ck_assert_ptr_nonnull(strstr(err.msg, "no-such-scenario.yaml, " KS_SRCDIR
				     "/scenarios/no-such-scenario, "));
	ck_assert_ptr_nonnull(strstr(err.msg, KS_PKGDATADIR "/scenarios/no-such-scenario.yaml)"));
	unlink("local.mk");
	unlink("mine.yaml");
	ck_assert_int_eq(chdir(old), 0);
	rmdir(tmpl);
}
END_TEST

/* ---- edges ---------------------------------------------------------------------- */

START_TEST(test_load_scenario_units)
{
	static const struct {
		const char *value;
		ks_time ns;
	} cases[] = {
		{ "1.5s", KS_MS(1500) }, { "100ms", KS_MS(100) }, { "2min", KS_S(120) },
		{ "1h", KS_S(3600) }, { "10us", KS_US(10) }, { "7ns", 7 },
		{ "0.000000001s", 1 }, { "1.25 ms", KS_US(1250) },
	};
	struct ks_scenario sc;
	struct ks_err err;
	char text[256];

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), "duration: %s\n" MINPROC, cases[i].value);
		ck_assert_msg(load(text, NULL, 0, &sc, &err) == 0, "%s", err.msg);
		ck_assert_uint_eq(sc.duration, cases[i].ns);
		ks_scenario_fini(&sc);
	}
	ck_assert_int_eq(load("duration: 1s\nprocesses:\n  - regions:\n      - size: 1.5MiB\n",
			      NULL, 0, &sc, &err), 0);
	ck_assert_uint_eq(sc.groups[0].regions[0].pages, 384);
	ks_scenario_fini(&sc);
	ck_assert_int_eq(load("duration: 1s\nseed: 0xFFFFFFFFFFFFFFFF\nksm:\n  use_zero_pages: ON\n"
			      "  smart_scan: 0\n" MINPROC, NULL, 0, &sc, &err), 0);
	ck_assert_uint_eq(sc.seed, UINT64_MAX);
	ck_assert(sc.ksm.use_zero_pages);
	ck_assert(!sc.ksm.smart_scan);
	ks_scenario_fini(&sc);
}
END_TEST

START_TEST(test_load_scenario_image_seed)
{
	static const char text[] =
		"duration: 1s\n"
		"processes:\n"
		"  - regions:\n"
		"      - pages: 2\n"
		"        contents:\n"
		"          - {pages: 1, content: {kind: image, image: win2008}}\n"
		"          - {pages: 1, content: {kind: image, image: debian}}\n"
		"  - regions:\n"
		"      - pages: 1\n"
		"        contents:\n"
		"          - {rest: yes, content: {kind: image, image: win2008}}\n";
	const char *seed2[] = { "seed=2" };
	struct ks_scenario a, b;
	struct ks_err err;

	ck_assert_int_eq(load(text, NULL, 0, &a, &err), 0);
	ck_assert_int_eq(load(text, seed2, 1, &b, &err), 0);
	/* Same name, same run: same image; other name: other image. */
	ck_assert_uint_eq(a.groups[0].regions[0].parts[0].content.image_seed,
			  a.groups[1].regions[0].parts[0].content.image_seed);
	ck_assert_uint_ne(a.groups[0].regions[0].parts[0].content.image_seed,
			  a.groups[0].regions[0].parts[1].content.image_seed);
	/* image_seed = FNV-1a(name) ^ seed: seeds 1 and 2 differ by 1 ^ 2. */
	ck_assert_uint_eq(a.groups[0].regions[0].parts[0].content.image_seed ^
			  b.groups[0].regions[0].parts[0].content.image_seed, 3);
	/* FNV-1a 64 of "win2008", xor seed 1. */
	ck_assert_uint_eq(a.groups[0].regions[0].parts[0].content.image_seed,
			  0x38d30f9767063d13ULL ^ 1);
	ks_scenario_fini(&a);
	ks_scenario_fini(&b);
}
END_TEST

START_TEST(test_load_scenario_null_sections)
{
	struct ks_scenario sc;
	struct ks_err err;

	/* Keys written without a value (everything below commented out) are empty. */
	ck_assert_int_eq(load("duration: 1s\nksm:\nsample:\nnuma:\n" MINPROC, NULL, 0, &sc, &err),
			 0);
	ck_assert_uint_eq(sc.ksm.pages_to_scan, 100);
	ks_scenario_fini(&sc);
	/* A trace alone is a scenario. */
	ck_assert_int_eq(load("duration: 1s\ntrace: {file: a.kst}\n", NULL, 0, &sc, &err), 0);
	ck_assert_uint_eq(sc.ngroups, 0);
	ck_assert_str_eq(sc.trace_file, "a.kst");
	ks_scenario_fini(&sc);
	ck_assert_int_eq(load("duration: 1s\nsample: {every_batches: 10}\n" MINPROC, NULL, 0, &sc,
			      &err), 0);
	ck_assert_int_eq(sc.sample_mode, KS_SAMPLE_BATCH);
	ck_assert_uint_eq(sc.sample_every, 10);
	ks_scenario_fini(&sc);
}
END_TEST

START_TEST(test_load_scenario_too_many_words)
{
	char text[8192];
	size_t n;
	struct ks_scenario sc;
	struct ks_err err;

	n = (size_t)snprintf(text, sizeof(text),
			     "duration: 1s\nprocesses:\n  - regions:\n      - pages: 1\n"
			     "        contents:\n          - rest: true\n"
			     "            content:\n              kind: fill\n              words:\n");
	for (unsigned i = 0; i <= KS_MAX_PATCHES; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n,
				      "                - {offset: %u, value: 1}\n", i * 8);
	ck_assert_int_eq(load(text, NULL, 0, &sc, &err), KS_EINVAL);
	ck_assert_str_eq(err.msg, "t.yaml:10:17: at most 64 words per page, got 65");
	ck_assert_ptr_null(sc.groups);
}
END_TEST

/* ---- errors --------------------------------------------------------------------- */

static const struct error_case {
	const char *text;  /* scenario */
	const char *set;   /* one --set argument, or NULL */
	int code;          /* expected status */
	const char *msg;   /* expected message */
} error_cases[] = {
	{ "duration: 1s\nksm:\n  pages_to_scn: 5\n" MINPROC, NULL, KS_EINVAL,
	  "t.yaml:3:3: unknown key 'pages_to_scn' in ksm (did you mean 'pages_to_scan'?)" },
	{ "durration: 1s\n" MINPROC, NULL, KS_EINVAL,
	  "t.yaml:1:1: unknown key 'durration' at top level (did you mean 'duration'?)" },
	{ "duration: 1s\nbogus: 1\n" MINPROC, NULL, KS_EINVAL,
	  "t.yaml:2:1: unknown key 'bogus' at top level" },
	{ "duration: 600\n" MINPROC, NULL, KS_EINVAL,
	  "t.yaml:1:11: duration needs a unit (e.g. 600s): '600'" },
	{ "duration: 5sec\n" MINPROC, NULL, KS_EINVAL,
	  "t.yaml:1:11: duration has an unknown unit (use ns, us, ms, s, min or h): '5sec'" },
	{ "duration: 1.5ns\n" MINPROC, NULL, KS_EINVAL,
	  "t.yaml:1:11: duration is not a whole number of nanoseconds: '1.5ns'" },
	{ "duration: never\n" MINPROC, NULL, KS_EINVAL,
	  "t.yaml:1:11: duration cannot be never: 'never'" },
	{ "duration: -1s\n" MINPROC, NULL, KS_EINVAL,
	  "t.yaml:1:11: duration must not be negative: '-1s'" },
	{ "duration: 1s\nksm:\n  max_page_sharing: 1\n" MINPROC, NULL, KS_ERANGE,
	  "t.yaml:3:21: max_page_sharing must be >= 2, got 1" },
	{ "duration: 1s\nksm:\n  advisor_max_cpu: 101\n" MINPROC, NULL, KS_ERANGE,
	  "t.yaml:3:20: advisor_max_cpu must be between 1 and 100, got 101" },
	{ "duration: 1s\nksm:\n  run: -1\n" MINPROC, NULL, KS_ERANGE,
	  "t.yaml:3:8: run must be between 0 and 2, got -1" },
	{ "duration: 1s\nksm:\n  hz: 500\n" MINPROC, NULL, KS_EINVAL,
	  "t.yaml:3:7: hz must be 100, 250, 300 or 1000, got 500" },
	{ "duration: 1s\nksm:\n  zero_page_colours: 3\n" MINPROC, NULL, KS_EINVAL,
	  "t.yaml:3:22: zero_page_colours must be a power of two, got 3" },
	{ "duration: 1s\nksm:\n  checksum: md5\n" MINPROC, NULL, KS_EINVAL,
	  "t.yaml:3:13: unknown checksum 'md5' (expected one of: xxhash64, xxhash32, jhash2, "
	  "crc32c, sum, cksm)" },
	{ "duration: 1s\nksm:\n  checksum: xxhash\n" MINPROC, NULL, KS_EINVAL,
	  "t.yaml:3:13: unknown checksum 'xxhash' (did you mean 'xxhash64'?)" },
	{ "duration: 1s\nksm:\n  advisor_mode: scantime\n" MINPROC, NULL, KS_EINVAL,
	  "t.yaml:3:17: unknown advisor_mode 'scantime' (did you mean 'scan-time'?)" },
	{ "duration: 1s\nksm:\n  - 1\n" MINPROC, NULL, KS_EINVAL,
	  "t.yaml:2:1: expected a mapping for 'ksm', got a sequence" },
	{ "duration: 1s\nprocesses: {a: 1}\n", NULL, KS_EINVAL,
	  "t.yaml:2:1: expected a sequence for 'processes', got a mapping" },
	{ "duration: 1s\nksm: {run: 1\n" MINPROC, NULL, KS_EPARSE,
	  "t.yaml:3:10: YAML syntax error: did not find expected ',' or '}'" },
	{ "duration: 1s\n---\nseed: 1\n", NULL, KS_EPARSE,
	  "t.yaml:3:1: only one YAML document is allowed" },
	{ "", NULL, KS_EPARSE, "t.yaml: the document is empty" },
	{ "- duration: 1s\n", NULL, KS_EINVAL,
	  "t.yaml:1:1: a scenario must be a mapping of keys (name:, duration:, ...), got a sequence" },
	{ "duration: 1s\nseed: 1\nseed: 2\n" MINPROC, NULL, KS_EINVAL,
	  "t.yaml:3:1: duplicate key 'seed' (first at line 2)" },
	{ "duration: 1s\nseed: [1]\n" MINPROC, NULL, KS_EINVAL,
	  "t.yaml:2:7: expected a value for 'seed', got a sequence" },
	{ "duration: 1s\nseed: abc\n" MINPROC, NULL, KS_EINVAL,
	  "t.yaml:2:7: seed must be an integer, got 'abc'" },
	{ "duration: 1s\nseed:\n" MINPROC, NULL, KS_EINVAL, "t.yaml:2:6: 'seed' needs a value" },
	{ "duration: 1s\npath: fast\n" MINPROC, NULL, KS_EINVAL,
	  "t.yaml:2:7: unknown path 'fast' (expected one of: bulk, reference)" },
	{ "duration: 1s\nstop_when_stable: maybe\n" MINPROC, NULL, KS_EINVAL,
	  "t.yaml:2:19: stop_when_stable must be true or false, got 'maybe'" },
	{ "duration: 1s\nnuma:\n  page_size: 2MiB\n" MINPROC, NULL, KS_EINVAL,
	  "t.yaml:3:14: page_size: only 4KiB pages are supported, got '2MiB'" },
	{ "seed: 1\n" MINPROC, NULL, KS_EINVAL,
	  "t.yaml:1:1: missing required key 'duration' (e.g. duration: 600s)" },
	{ "duration: 1s\n", NULL, KS_EINVAL,
	  "t.yaml:1:1: a scenario needs process groups ('processes') or a 'trace', or both" },
	{ "duration: 1s\nsample: {every: batch, interval: 1s}\n" MINPROC, NULL, KS_EINVAL,
	  "t.yaml:2:24: give only one of every, every_batches and interval in sample" },
	{ "duration: 1s\ntrace: {}\n", NULL, KS_EINVAL,
	  "t.yaml:2:8: missing required key 'file' in trace" },
	/* processes */
	{ "duration: 1s\nprocesses:\n  - count: 0\n    regions: [{pages: 1}]\n", NULL, KS_ERANGE,
	  "t.yaml:3:12: count must be >= 1, got 0" },
	{ "duration: 1s\nprocesses:\n  - exit: 0s\n    regions: [{pages: 1}]\n", NULL, KS_EINVAL,
	  "t.yaml:3:11: exit must be > 0 (or never)" },
	{ "duration: 1s\nprocesses:\n  - name: vm\n", NULL, KS_EINVAL,
	  "t.yaml:3:5: processes.0 (group 'vm') needs at least one region in 'regions'" },
	{ "duration: 1s\nprocesses:\n  - {name: a, regions: [{pages: 1}]}\n"
	  "  - {name: a, regions: [{pages: 1}]}\n", NULL, KS_EINVAL,
	  "t.yaml:4:5: duplicate process group name 'a'" },
	{ "duration: 1s\nprocesses:\n  - regions:\n      - name: ram\n", NULL, KS_EINVAL,
	  "t.yaml:4:9: processes.0.regions.0 needs a size (e.g. size: 1GiB) or a page count "
	  "(pages: N)" },
	{ "duration: 1s\nprocesses:\n  - regions:\n      - size: 4KiB\n        pages: 1\n", NULL,
	  KS_EINVAL, "t.yaml:5:9: give either size or pages for processes.0.regions.0, not both" },
	{ "duration: 1s\nprocesses:\n  - regions:\n      - size: 5000B\n", NULL, KS_EINVAL,
	  "t.yaml:4:15: size must be a positive multiple of 4KiB (4096 bytes): '5000B'" },
	{ "duration: 1s\nprocesses:\n  - regions:\n      - size: 4096\n", NULL, KS_EINVAL,
	  "t.yaml:4:15: size needs a unit (e.g. 4KiB): '4096'" },
	{ "duration: 1s\nprocesses:\n  - regions:\n      - size: 4KB\n", NULL, KS_EINVAL,
	  "t.yaml:4:15: size has an unknown unit (use B, KiB, MiB, GiB or TiB): '4KB'" },
	{ "duration: 1s\nprocesses:\n  - regions:\n      - {pages: 1, name: a}\n"
	  "      - {pages: 1, name: a}\n", NULL, KS_EINVAL,
	  "t.yaml:5:9: duplicate region name 'a' in group 'group0'" },
	/* contents */
	{ "duration: 1s\nprocesses:\n  - regions:\n      - pages: 4\n        contents:\n"
	  "          - rest: true\n            content: {kind: zeros}\n", NULL, KS_EINVAL,
	  "t.yaml:7:29: unknown content kind 'zeros' (did you mean 'zero'?)" },
	{ "duration: 1s\nprocesses:\n  - regions:\n      - pages: 4\n        contents:\n"
	  "          - rest: true\n            content: {kind: zero, byte: 1}\n", NULL, KS_EINVAL,
	  "t.yaml:7:35: unknown key 'byte' in processes.0.regions.0.contents.0.content "
	  "(kind zero)" },
	{ "duration: 1s\nprocesses:\n  - regions:\n      - pages: 4\n        contents:\n"
	  "          - rest: true\n            content: {byte: 1}\n", NULL, KS_EINVAL,
	  "t.yaml:7:22: missing required key 'kind' in processes.0.regions.0.contents.0.content "
	  "(zero, fill, image or random)" },
	{ "duration: 1s\nprocesses:\n  - regions:\n      - pages: 4\n        contents:\n"
	  "          - rest: true\n            content: {kind: image}\n", NULL, KS_EINVAL,
	  "t.yaml:7:22: missing required key 'image' in "
	  "processes.0.regions.0.contents.0.content (an image name)" },
	{ "duration: 1s\nprocesses:\n  - regions:\n      - pages: 4\n        contents:\n"
	  "          - rest: true\n            content: {kind: fill, words: [{offset: 4090, "
	  "value: 1}]}\n", NULL, KS_ERANGE,
	  "t.yaml:7:52: offset must be between 0 and 4088, got 4090" },
	{ "duration: 1s\nprocesses:\n  - regions:\n      - pages: 4\n        contents:\n"
	  "          - rest: true\n            content: {kind: fill, words: [{offset: 0, "
	  "width: 1, value: 256}]}\n", NULL, KS_ERANGE,
	  "t.yaml:7:72: value must be between 0 and 255, got 256" },
	{ "duration: 1s\nprocesses:\n  - regions:\n      - pages: 4\n        contents:\n"
	  "          - rest: true\n            content: {kind: fill, byte: 256}\n", NULL,
	  KS_ERANGE, "t.yaml:7:41: byte must be between 0 and 255, got 256" },
	{ "duration: 1s\nprocesses:\n  - regions:\n      - pages: 4\n        contents:\n"
	  "          - pages: 1\n            fraction: 0.5\n            content: {kind: zero}\n",
	  NULL, KS_EINVAL,
	  "t.yaml:6:13: give only one of fraction, pages and rest in "
	  "processes.0.regions.0.contents.0" },
	{ "duration: 1s\nprocesses:\n  - regions:\n      - pages: 4\n        contents:\n"
	  "          - content: {kind: zero}\n", NULL, KS_EINVAL,
	  "t.yaml:6:13: processes.0.regions.0.contents.0 needs one of fraction, pages or rest: "
	  "true" },
	{ "duration: 1s\nprocesses:\n  - regions:\n      - pages: 4\n        contents:\n"
	  "          - fraction: 1.5\n            content: {kind: zero}\n", NULL, KS_ERANGE,
	  "t.yaml:6:23: fraction must be > 0 and <= 1, got 1.5" },
	{ "duration: 1s\nprocesses:\n  - regions:\n      - pages: 10\n        contents:\n"
	  "          - pages: 6\n            content: {kind: zero}\n"
	  "          - pages: 5\n            content: {kind: zero}\n", NULL, KS_EINVAL,
	  "t.yaml:8:13: contents of region 'region0' need 11 pages by here, more than its 10" },
	{ "duration: 1s\nprocesses:\n  - regions:\n      - pages: 10\n        contents:\n"
	  "          - {rest: true, content: {kind: zero}}\n"
	  "          - {rest: true, content: {kind: zero}}\n", NULL, KS_EINVAL,
	  "t.yaml:7:13: only one part of region 'region0' may be rest (the first is "
	  "processes.0.regions.0.contents.0)" },
	/* writes */
	{ "duration: 1s\nprocesses:\n  - name: vm\n    regions:\n      - name: ram\n"
	  "        pages: 4\n    writes:\n      - region: rma\n        every: 1s\n", NULL,
	  KS_EINVAL, "t.yaml:8:17: unknown region 'rma' in processes.0.writes.0 (did you mean "
	  "'ram'?)" },
	{ "duration: 1s\nprocesses:\n  - name: vm\n    regions:\n      - name: ram\n"
	  "        pages: 4\n    writes:\n      - region: ram\n        every: 1s\n"
	  "        rate: 2\n", NULL, KS_EINVAL,
	  "t.yaml:10:9: give either every (periodic) or rate (Poisson) in processes.0.writes.0, "
	  "not both" },
	{ "duration: 1s\nprocesses:\n  - name: vm\n    regions:\n      - name: ram\n"
	  "        pages: 4\n    writes:\n      - region: ram\n", NULL, KS_EINVAL,
	  "t.yaml:8:9: processes.0.writes.0 needs every (e.g. every: 50ms) or rate (writes per "
	  "page per second)" },
	{ "duration: 1s\nprocesses:\n  - name: vm\n    regions:\n      - name: ram\n"
	  "        pages: 10\n    writes:\n      - {region: ram, first: 8, count: 5, rate: 1}\n",
	  NULL, KS_EINVAL,
	  "t.yaml:8:40: first + count = 13 is beyond the end of the region (10 pages)" },
	{ "duration: 1s\nprocesses:\n  - name: vm\n    regions:\n      - name: ram\n"
	  "        pages: 10\n    writes:\n      - {region: ram, rate: 0}\n", NULL, KS_ERANGE,
	  "t.yaml:8:29: rate must be > 0, got 0" },
	{ "duration: 1s\nprocesses:\n  - name: vm\n    regions:\n      - name: ram\n"
	  "        pages: 10\n    writes:\n      - {region: ram, every: 1s, start: 5s, stop: 5s}\n",
	  NULL, KS_EINVAL, "t.yaml:8:51: stop must be later than start" },
	/* --set */
	{ MINPROC "duration: 1s\n", "ksm.pages_to_scn=5", KS_EINVAL,
	  "--set ksm.pages_to_scn=5: unknown key 'pages_to_scn' in ksm (did you mean "
	  "'pages_to_scan'?)" },
	{ "duration: 1s\nksm:\n  run: 1\n" MINPROC, "ksm.pages_to_scn=5", KS_EINVAL,
	  "--set ksm.pages_to_scn=5: unknown key 'pages_to_scn' in ksm (did you mean "
	  "'pages_to_scan'?)" },
	{ "duration: 1s\n" MINPROC, "ksm.pages_to_scan", KS_EINVAL,
	  "--set ksm.pages_to_scan: expected KEY=VALUE (e.g. ksm.pages_to_scan=200)" },
	{ "duration: 1s\n" MINPROC, "ksm.max_page_sharing=1", KS_ERANGE,
	  "--set ksm.max_page_sharing=1: max_page_sharing must be >= 2, got 1" },
	{ "duration: 1s\nksm:\n  max_page_sharing: 10\n" MINPROC, "ksm.max_page_sharing=x",
	  KS_EINVAL, "--set ksm.max_page_sharing=x: max_page_sharing must be an integer, got 'x'" },
	{ "duration: 1s\n" MINPROC, "duration=600", KS_EINVAL,
	  "--set duration=600: duration needs a unit (e.g. 600s): '600'" },
	{ "duration: 1s\n" MINPROC, "processes.nope.count=2", KS_EINVAL,
	  "--set processes.nope.count=2: no item named 'nope' in processes" },
	{ "duration: 1s\n" MINPROC, "processes.3.count=2", KS_EINVAL,
	  "--set processes.3.count=2: no item 3 in processes (it has 1)" },
	{ "duration: 1s\nseed: 3\n" MINPROC, "seed.x=1", KS_EINVAL,
	  "--set seed.x=1: 'seed' is a scalar, it has no 'x'" },
	{ "duration: 1s\n" MINPROC, "ksm..run=1", KS_EINVAL,
	  "--set ksm..run=1: empty element in key 'ksm..run'" },
	{ "duration: 1s\n" MINPROC, "=1", KS_EINVAL, "--set =1: empty key before '='" },
	{ "duration: 1s\n" MINPROC, "ksm=1", KS_EINVAL,
	  "--set ksm=1: expected a mapping for 'ksm', got a scalar" },
};

START_TEST(test_load_scenario_error_messages)
{
	const struct error_case *c = &error_cases[_i];
	struct ks_scenario sc;
	struct ks_err err;
	int rc;

	memset(&sc, 0xa5, sizeof(sc));
	rc = load(c->text, c->set ? &c->set : NULL, c->set ? 1 : 0, &sc, &err);
	ck_assert_msg(rc == c->code, "case %d: rc %d (%s), want %d", _i, rc, err.msg, c->code);
	ck_assert_int_eq(err.code, c->code);
	ck_assert_str_eq(err.msg, c->msg);
	ck_assert(!strchr(err.msg, '\n'));
	/* Nothing left behind: the scenario is empty. */
	ck_assert_ptr_null(sc.groups);
	ck_assert_ptr_null(sc.name);
	ck_assert_ptr_null(sc.text);
	ck_assert_uint_eq(sc.ngroups, 0);
	ks_scenario_fini(&sc);
}
END_TEST

START_TEST(test_load_scenario_file_errors)
{
	static const struct {
		const char *file, *msg;
		int code;
	} cases[] = {
		{ "bad_key.yaml", ":5:3: unknown key 'sleep_milisecs' in ksm (did you mean "
				  "'sleep_millisecs'?)", KS_EINVAL },
		{ "bad_syntax.yaml", ":4:10: YAML syntax error: did not find expected ',' or '}'",
		  KS_EPARSE },
		{ "bad_units.yaml", ":2:11: duration needs a unit (e.g. 600s): '600'", KS_EINVAL },
		{ "missing.yaml", ": cannot open: No such file or directory", KS_ENOENT },
	};
	char path[PATH_MAX], want[PATH_MAX + 200];
	struct ks_scenario sc;
	struct ks_err err;

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		data_path(path, sizeof(path), cases[i].file);
		ck_assert_int_eq(ks_scenario_load_file(path, NULL, 0, &sc, &err), cases[i].code);
		snprintf(want, sizeof(want), "%s%s", path, cases[i].msg);
		ck_assert_str_eq(err.msg, want);
		ck_assert_ptr_null(sc.path);
	}
}
END_TEST

Suite *ks_test_suite(void)
{
	Suite *s = suite_create("load_scenario");
	TCase *core = tcase_create("core");
	TCase *edges = tcase_create("edges");
	TCase *errors = tcase_create("errors");

	tcase_add_test(core, test_load_scenario_full_file);
	tcase_add_test(core, test_load_scenario_defaults);
	tcase_add_test(core, test_load_scenario_fractions);
	tcase_add_test(core, test_load_scenario_set_overrides);
	tcase_add_test(core, test_load_scenario_find_order);
	suite_add_tcase(s, core);
	tcase_add_test(edges, test_load_scenario_units);
	tcase_add_test(edges, test_load_scenario_image_seed);
	tcase_add_test(edges, test_load_scenario_null_sections);
	tcase_add_test(edges, test_load_scenario_too_many_words);
	suite_add_tcase(s, edges);
	tcase_add_loop_test(errors, test_load_scenario_error_messages, 0,
			    (int)(sizeof(error_cases) / sizeof(error_cases[0])));
	tcase_add_test(errors, test_load_scenario_file_errors);
	suite_add_tcase(s, errors);
	return s;
}
