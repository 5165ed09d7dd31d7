/* cmd_zram_validate.c - `sim zram-validate SCENARIO|--trace FILE [--alg A,...] [--pages N]
 * [--stride K] [--device zram0] [--sim-only] [--seed N] [--set K=V]...`: the pages a
 * scenario writes, stored once in the simulated zram (models/zram.h) and once in the
 * real /dev/zramN of this machine (traces/zram_dev.h: root, /tmp/zram.lock, the device
 * reset and left as found), and mm_stat's orig_data_size, compr_data_size and
 * mem_used_total compared: targets 2% (compr_data_size) and 5% (mem_used_total).
 *
 * The pages: the scenario's synthetic trace (traces/gen.h), or a recorded trace
 * (--trace: its literal writes, dictionary pages and refs), in record order, every page
 * of every write, each address only once (its first content), every K-th (--stride)
 * until N. Exit 0 when every algorithm is within the targets, 1 when one is not, 2 on
 * bad input or a device error (one line). docs/zram.md, "Validation". */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_opts.h"
#include "models/base/xalloc.h"
#include "models/compress.h"
#include "models/zram.h"
#include "traces/gen.h"
#include "traces/scenario.h"
#include "traces/trace.h"
#include "traces/trace_io.h"
#include "traces/zram_dev.h"

#define COMPR_TARGET_PCT 2.0
#define MEM_TARGET_PCT 5.0

struct zv_opts {
	struct ks_strlist args;
	const char *algs;          /* --alg, comma-separated; NULL: the device's (or all) */
	uint64_t pages;            /* --pages */
	uint64_t stride;           /* --stride */
	const char *device;        /* --device */
	bool sim_only;             /* --sim-only */
	const char *seed;          /* --seed */
	const char *trace;         /* --trace: pages from a recorded trace */
	struct ks_strlist sets;    /* --set */
	unsigned wait;             /* --wait seconds for the lock */
};

static void zv_usage(FILE *out)
{
	fputs("usage: sim zram-validate SCENARIO|--trace FILE [--alg A[,B...]] [--pages N]\n"
	      "                         [--stride K] [--device zram0] [--sim-only] [--wait S]\n"
	      "                         [--seed N] [--set KEY=VALUE]...\n"
	      "\n"
	      "Stores the pages SCENARIO writes in the simulated zram and in the real\n"
	      "/dev/zram0 (root; under flock /tmp/zram.lock; the device must be unused and is\n"
	      "reset and left as found) and compares mm_stat: compr_data_size (target 2%) and\n"
	      "mem_used_total (target 5%). Exit 0 within the targets, 1 outside.\n"
	      "Options:\n"
	      "  --alg LIST      lzo-rle, lzo, lz4, zstd (default: those the device offers)\n"
	      "  --pages N       pages to store (default 65536 = 256 MiB)\n"
	      "  --stride K      take every K-th page of the scenario's writes (default 1)\n"
	      "  --device NAME   zram device (default zram0)\n"
	      "  --sim-only      the simulated pool only (no root, no device)\n"
	      "  --wait S        seconds to wait for /tmp/zram.lock (default 600)\n"
	      "  --trace FILE    the pages of a recorded page-write trace (text or binary:\n"
	      "                  literal writes, its page dictionary) instead of a scenario\n"
	      "  --seed N        override the scenario seed\n"
	      "  --set KEY=VALUE override a scenario key\n"
	      "  -h, --help      this help\n", out);
}

/* The pages to store: content descriptors, in order. */
struct page_set {
	struct ks_content_store *cs;
	ks_content *c;
	uint64_t n, cap;
	uint64_t *seen;             /* open-addressing set of (pid, vaddr) keys, 0 empty */
	uint64_t seen_cap, nseen;
};

static bool seen_add(struct page_set *ps, uint64_t key)
{
	uint64_t m = ps->seen_cap - 1, h;

	if (2 * (ps->nseen + 1) > ps->seen_cap) {
		uint64_t *old = ps->seen, oc = ps->seen_cap;

		ps->seen_cap = oc ? 2 * oc : 1024;
		ps->seen = ks_xcalloc(ps->seen_cap, sizeof(*ps->seen));
		ps->nseen = 0;
		for (uint64_t i = 0; i < oc; i++)
			if (old[i])
				seen_add(ps, old[i]);
		free(old);
		m = ps->seen_cap - 1;
	}
	for (h = (key * 0x9e3779b97f4a7c15ull) >> 20 & m; ps->seen[h]; h = (h + 1) & m)
		if (ps->seen[h] == key)
			return false;
	ps->seen[h] = key;
	ps->nseen++;
	return true;
}

static void page_add(struct page_set *ps, ks_content c)
{
	if (ps->n == ps->cap) {
		ps->cap = ps->cap ? 2 * ps->cap : 4096;
		ps->c = ks_xrealloc(ps->c, ps->cap * sizeof(*ps->c));
	}
	ps->c[ps->n++] = c;
}

/* A recorded trace's page dictionary (PAGE records), for its REF records. */
struct dict {
	ks_content *c;
	uint64_t n, cap;
};

/* Takes page i of a ranged record (content c) if its address is new and its turn. */
static void take(struct page_set *ps, const struct ks_trace_rec *r, uint64_t i, ks_content c,
		 uint64_t stride, uint64_t *k)
{
	uint64_t va = r->vaddr + i * 4096;

	if (!seen_add(ps, ((uint64_t)r->pid << 52) ^ (va >> 12) ^ 1))
		return;
	if ((*k)++ % stride)
		return;
	page_add(ps, c);
}

/* The page records of a recorded trace: literal writes, dictionary pages and their refs.
 * 1 when r was one of them, 0 otherwise, KS_EXIT_ERROR on a ref outside the dictionary. */
static int trace_page(struct page_set *ps, struct dict *d, const struct ks_trace_rec *r,
		      uint64_t want, uint64_t stride, uint64_t *k)
{
	switch (r->op) {
	case KS_TR_PAGE:
		if (d->n == d->cap) {
			d->cap = d->cap ? 2 * d->cap : 1024;
			d->c = ks_xrealloc(d->c, d->cap * sizeof(*d->c));
		}
		d->c[d->n++] = ks_content_literal(ps->cs, r->bytes);
		return 1;
	case KS_TR_WRITE_LITERAL:
		take(ps, r, 0, ks_content_literal(ps->cs, r->bytes), stride, k);
		return 1;
	case KS_TR_REF:
		for (uint64_t i = 0; i < r->npages && ps->n < want; i++) {
			uint64_t id = r->arg + (uint64_t)((int64_t)i * r->step);

			if (id >= d->n) {
				ks_cli_error("zram-validate: ref to page %" PRIu64 " of %" PRIu64
					     " defined", id, d->n);
				return KS_EXIT_ERROR;
			}
			take(ps, r, i, d->c[id], stride, k);
		}
		return 1;
	default:
		return 0;
	}
}

/* Collects the pages from the scenario's generator, or from a recorded trace (path). */
static int collect(const struct ks_scenario *sc, const char *path, uint64_t want,
		   uint64_t stride, struct page_set *ps)
{
	struct ks_trace_rec *r = ks_xmalloc(sizeof(*r));
	struct ks_trace_source *src;
	struct ks_err err = { 0 };
	struct dict d = { 0 };
	int64_t *map = NULL;
	size_t nmap = 0;
	uint64_t k = 0;
	bool bad = false;
	int rc = 0;

	src = path ? ks_trace_open(path, &err) : ks_gen_open(sc, &err);
	if (!src) {
		free(r);
		ks_cli_error("%s", err.msg);
		return KS_EXIT_ERROR;
	}
	while (ps->n < want && (rc = src->next(src, r, &err)) > 0) {
		int t = trace_page(ps, &d, r, want, stride, &k);

		if (t == KS_EXIT_ERROR) {
			bad = true;
			break;
		}
		if (t)
			continue;
		if (r->op == KS_TR_CLASS) {
			int64_t id = ks_content_class(ps->cs, &r->spec);

			if (r->cls >= nmap) {
				map = ks_xrealloc(map, (r->cls + 16) * sizeof(*map));
				for (size_t j = nmap; j < r->cls + 16; j++)
					map[j] = -1;
				nmap = r->cls + 16;
			}
			map[r->cls] = id;
			continue;
		}
		if (r->op != KS_TR_WRITE || r->cls >= nmap || map[r->cls] < 0)
			continue;
		for (uint64_t i = 0; i < r->npages && ps->n < want; i++)
			take(ps, r, i, ks_content_make((uint32_t)map[r->cls],
						       r->arg + (uint64_t)((int64_t)i * r->step)),
			     stride, &k);
	}
	src->close(src);
	free(map);
	free(d.c);
	free(r);
	if (rc < 0) {
		ks_cli_error("%s", err.msg);
		return KS_EXIT_ERROR;
	}
	if (bad)
		return KS_EXIT_ERROR; /* told already */
	if (ps->n == 0) {
		ks_cli_error("zram-validate: %s writes no pages",
			     path ? path : sc->path ? sc->path : sc->name);
		return KS_EXIT_ERROR;
	}
	return -1;
}

static void fill_page(void *ctx, uint64_t i, uint8_t *buf)
{
	const struct page_set *ps = ctx;

	ks_content_bytes(ps->cs, ps->c[i], buf);
}

static double err_pct(uint64_t sim, uint64_t real)
{
	if (real == 0)
		return sim == 0 ? 0.0 : INFINITY;
	return 100.0 * ((double)sim - (double)real) / (double)real;
}

/* One algorithm: simulate, measure, print. Returns 0 within targets, 1 outside,
 * KS_EXIT_ERROR on a device error. */
static int one_alg(const struct zv_opts *o, const struct page_set *ps, enum ks_comp_alg alg)
{
	struct ks_zram *z = ks_zram_new(alg, KS_ZS_CHAIN_DEFAULT);
	struct ks_zram_stats s;
	struct ks_zram_mmstat m;
	struct ks_err err = { 0 };
	double ec, em;
	bool ok;

	for (uint64_t i = 0; i < ps->n; i++)
		ks_zram_store_content(z, ps->cs, ps->c[i]);
	ks_zram_stats(z, &s);
	ks_zram_free(z);
	printf("%-8s sim   orig %12" PRIu64 "  compr %12" PRIu64 "  mem_used %12" PRIu64
	       "  same %8" PRIu64 "  huge %8" PRIu64 "\n", ks_comp_name(alg), s.orig_data_size,
	       s.compr_data_size, s.mem_used_total, s.same_pages, s.huge_pages);
	if (o->sim_only)
		return 0;
	if (ks_zram_dev_measure(o->device, ks_comp_name(alg), ps->n, fill_page, (void *)ps,
				o->wait, &m, &err)) {
		ks_cli_error("zram-validate: %s", err.msg);
		return KS_EXIT_ERROR;
	}
	ec = err_pct(s.compr_data_size, m.compr_data_size);
	em = err_pct(s.mem_used_total, m.mem_used_total);
	ok = s.orig_data_size == m.orig_data_size && fabs(ec) <= COMPR_TARGET_PCT &&
	     fabs(em) <= MEM_TARGET_PCT;
	printf("%-8s real  orig %12" PRIu64 "  compr %12" PRIu64 "  mem_used %12" PRIu64
	       "  same %8" PRIu64 "  huge %8" PRIu64 "\n", "", m.orig_data_size,
	       m.compr_data_size, m.mem_used_total, m.same_pages, m.huge_pages);
	printf("%-8s error orig %+11.4f%%  compr %+11.4f%%  mem_used %+11.4f%%  %s\n", "",
	       err_pct(s.orig_data_size, m.orig_data_size), ec, em,
	       ok ? "within targets" : "OUTSIDE the targets (2% compr, 5% mem_used)");
	return ok ? 0 : 1;
}

/* The algorithms to check: --alg, else those the device offers that are modelled. */
static int pick_algs(const struct zv_opts *o, bool want[KS_COMP_NALGS])
{
	char list[512], *tok, *save = NULL;
	struct ks_err err = { 0 };

	if (o->algs) {
		snprintf(list, sizeof(list), "%s", o->algs);
		for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			int a = ks_comp_from_name(tok);

			if (a < 0) {
				ks_cli_error("zram-validate: --alg: unknown compressor '%s' (known: %s)",
					     tok, ks_comp_names());
				return KS_EXIT_ERROR;
			}
			want[a] = true;
		}
		return -1;
	}
	if (o->sim_only) {
		for (int a = 0; a < KS_COMP_NALGS; a++)
			want[a] = true;
		return -1;
	}
	if (ks_zram_dev_algorithms(o->device, list, sizeof(list), &err)) {
		ks_cli_error("zram-validate: %s", err.msg);
		return KS_EXIT_ERROR;
	}
	for (tok = strtok_r(list, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		int a = ks_comp_from_name(tok);

		if (a >= 0)
			want[a] = true;
	}
	return -1;
}

int ks_cmd_zram_validate(int argc, char **argv)
{
	struct zv_opts o = { .pages = 65536, .stride = 1, .device = "zram0", .wait = 600 };
	const struct ks_opt opts[] = {
		KS_STR("alg", 0, &o.algs),
		KS_U64("pages", 0, &o.pages, 1, 1ull << 24),
		KS_U64("stride", 0, &o.stride, 1, 1ull << 32),
		KS_STR("device", 0, &o.device),
		KS_FLAG("sim-only", 0, &o.sim_only),
		KS_UINT("wait", 0, &o.wait, 0, 86400),
		KS_STR("seed", 0, &o.seed),
		KS_STR("trace", 0, &o.trace),
		KS_LIST("set", 0, &o.sets),
		KS_OPT_END
	};
	const struct ks_cmdline cl = { .cmd = "zram-validate", .usage = zv_usage, .opts = opts,
				       .min_args = 0, .max_args = 1, .args = "SCENARIO" };
	struct ks_scenario sc;
	struct page_set ps = { 0 };
	bool want[KS_COMP_NALGS] = { false };
	int rc = ks_cli_parse(&cl, argc, argv, &o.args), worst = 0;

	if (rc >= 0)
		return rc;
	if (strchr(o.device, '/') || strlen(o.device) > 32) {
		ks_cli_error("zram-validate: --device: a name such as zram0, not '%s'", o.device);
		rc = KS_EXIT_ERROR;
		goto out_args;
	}
	if ((o.args.n == 1) == (o.trace != NULL)) {
		ks_cli_error("zram-validate: give a SCENARIO or --trace FILE (one of them)");
		rc = KS_EXIT_ERROR;
		goto out_args;
	}
	rc = pick_algs(&o, want);
	if (rc >= 0)
		goto out_args;
	if (o.trace) {
		ks_scenario_init(&sc);
		sc.name = ks_xstrdup("trace");
	} else if (ks_cli_load_scenario(o.args.v[0], o.sets.v, o.sets.n, &sc)) {
		rc = KS_EXIT_ERROR;
		goto out_args;
	}
	if (o.seed) {
		char *end;

		sc.seed = strtoull(o.seed, &end, 0);
		if (*end || !*o.seed) {
			ks_cli_error("zram-validate: --seed: not a number: '%s'", o.seed);
			rc = KS_EXIT_ERROR;
			goto out_sc;
		}
	}
	ps.cs = ks_content_store_new();
	rc = collect(&sc, o.trace, o.pages, o.stride, &ps);
	if (rc >= 0)
		goto out_pages;
	printf("zram-validate: %" PRIu64 " pages of %s (%s), device %s\n", ps.n,
	       o.trace ? o.trace : sc.path ? sc.path : sc.name, o.trace ? "recorded trace" :
	       sc.name, o.sim_only ? "none (--sim-only)" : o.device);
	for (int a = 0; a < KS_COMP_NALGS; a++) {
		int r;

		if (!want[a])
			continue;
		r = one_alg(&o, &ps, (enum ks_comp_alg)a);
		if (r == KS_EXIT_ERROR) {
			worst = KS_EXIT_ERROR;
			break;
		}
		if (r > worst)
			worst = r;
	}
	rc = worst;
out_pages:
	free(ps.c);
	free(ps.seen);
	ks_content_store_free(ps.cs);
out_sc:
	ks_scenario_fini(&sc);
out_args:
	ks_strlist_free(&o.args);
	ks_strlist_free(&o.sets);
	return rc;
}
