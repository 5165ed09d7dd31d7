/* cmd_zsmalloc.c - `sim zsmalloc [--chain N] [--legacy] [--arch NAME] [--guest]
 * [--sizes DIST] [--all] [--no-classes]`: prints zsmalloc's size-class table and, for an
 * object-size distribution, the expected cost of one object access (read, write) under
 * each mapping path on an arch (models/zsmalloc.h, docs/zsmalloc.md).
 *
 * The per-arch prices live in arch-models/zsmalloc/NAME.yaml, read by
 * sim/config/load_zsmalloc.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

#include "cli.h"
#include "cli_opts.h"
#include "models/base/xalloc.h"
#include "models/zsmalloc.h"
#include "sim/config/load_zsmalloc.h"

#define PG KS_ZS_PAGE_SIZE

/* ---- the size distribution ----------------------------------------------------------- */

/* Fills w[1..4096] with probabilities from DIST; NULL or the problem. */
static const char *parse_sizes(const char *dist, double *w)
{
	double a, b, sum = 0;
	char *end;

	memset(w, 0, (PG + 1) * sizeof(*w));
	if (strncmp(dist, "uniform:", 8) == 0) {
		long lo = strtol(dist + 8, &end, 10), hi;

		if (end == dist + 8 || *end != '-')
			return "uniform: expected uniform:MIN-MAX";
		hi = strtol(end + 1, &end, 10);
		if (*end || lo < 1 || hi > PG || lo > hi)
			return "uniform: expected 1 <= MIN <= MAX <= 4096";
		for (long s = lo; s <= hi; s++)
			w[s] = 1;
	} else if (strncmp(dist, "normal:", 7) == 0) {
		a = strtod(dist + 7, &end);
		if (end == dist + 7 || *end != ',')
			return "normal: expected normal:MEAN,SD";
		b = strtod(end + 1, &end);
		if (*end || !isfinite(a) || !isfinite(b) || b <= 0)
			return "normal: expected a number MEAN and SD > 0";
		for (unsigned s = 1; s <= PG; s++)
			w[s] = gsl_cdf_gaussian_P(s + 0.5 - a, b) - gsl_cdf_gaussian_P(s - 0.5 - a, b);
	} else {
		const char *p = strncmp(dist, "list:", 5) == 0 ? dist + 5 : dist;

		do {
			long s = strtol(p, &end, 10);

			if (end == p || (*end && *end != ','))
				return "expected uniform:MIN-MAX, normal:MEAN,SD or a list S1,S2,...";
			if (s < 1 || s > PG)
				return "object sizes must be 1..4096 bytes";
			w[s] += 1;
			p = end + 1;
		} while (*end);
	}
	for (unsigned s = 1; s <= PG; s++)
		sum += w[s];
	if (!(sum > 1e-12))
		return "the distribution has no mass in 1..4096 bytes";
	for (unsigned s = 1; s <= PG; s++)
		w[s] /= sum;
	return NULL;
}

/* ---- output -------------------------------------------------------------------------- */

static void print_classes(const struct ks_zs_geom *g, bool all)
{
	unsigned lo[KS_ZS_NCLASSES], hi[KS_ZS_NCLASSES];

	memset(lo, 0, sizeof(lo));
	memset(hi, 0, sizeof(hi));
	for (unsigned s = 1; s <= PG; s++) {
		unsigned i = ks_zs_lookup(g, s)->index;

		lo[i] = lo[i] ? lo[i] : s;
		hi[i] = s;
	}
	printf("zsmalloc size classes: chain %u, %s, %u of %u classes after merging, "
	       "huge_class_size %u\n", g->chain, g->rule == KS_ZS_RULE_MIN_WASTE ?
	       "min-waste rule (v6.3+)" : "max-used% rule (2012-v6.2)", g->ndistinct,
	       KS_ZS_NCLASSES, g->huge_class_size);
	printf("%5s %5s %5s %5s %5s %7s  %-11s %s\n", "index", "size", "pages", "objs", "span",
	       "waste%", "requests", "flags");
	for (unsigned i = 0; i < KS_ZS_NCLASSES; i++) {
		const struct ks_zs_class *c = &g->cls[i];
		char req[24] = "-", flags[40] = "";

		if (c->merged_into != i && !all)
			continue;
		if (hi[i])
			snprintf(req, sizeof(req), "%u-%u", lo[i], hi[i]);
		if (c->merged_into != i)
			snprintf(flags, sizeof(flags), "merged into %u (size %u)", c->merged_into,
				 g->cls[c->merged_into].size);
		else if (c->huge)
			snprintf(flags, sizeof(flags), "huge");
		printf("%5u %5u %5u %5u %5u %7.2f  %-*s%s\n", i, c->size, c->pages, c->objs,
		       c->spanning, 100.0 * c->waste / (c->pages * PG), flags[0] ? 12 : 0, req,
		       flags);
	}
}

static const char *const path_what[KS_ZS_NPATHS] = {
	"v3.6-v6.14 zs_map_object: per-CPU copy buffer",
	"2011-12 x86 / ARM to v5.8: 2 PTEs + 2 TLB flushes",
	"Nitin Gupta 2012: in-place XOR swap, restore on unmap",
	"the same, no restore",
	"v6.15+ zs_obj_read_begin / zs_obj_write",
};

/* Expected ns of one access (read, write) to a random live object, its read ns when the
 * object spans, and the bytes a read copies or swaps. */
struct path_cost {
	double ns[2];          /* read, write: expected ns per access */
	double span_ns;        /* read ns, given the object spans (0 if none spans) */
	double span_w;         /* probability that an access spans */
	double bytes;          /* bytes copied or swapped per read */
};

static void class_cost(const struct ks_zs_class *c, enum ks_zs_path p, double wt,
		       const struct ks_zs_costs *zc, bool guest, struct path_cost *pc)
{
	for (unsigned a = 0; a < 2; a++)
		for (unsigned k = 0; k < c->objs; k++) {
			struct ks_zs_work wk = { 0 };
			double ns;

			/* a random live object: every slot of its zspage alike */
			ks_zs_access_work(c, k, p, a, &wk);
			ns = ks_zs_work_ns(&wk, zc, guest);
			pc->ns[a] += wt * ns / c->objs;
			if (a != KS_ZS_READ)
				continue;
			pc->bytes += wt * (double)(wk.copy_bytes + wk.xor_bytes) / c->objs;
			if (wk.spanning) {
				pc->span_ns += wt * ns / c->objs;
				pc->span_w += wt / c->objs;
			}
		}
}

static void print_costs(const struct ks_zs_geom *g, const double *w, const char *dist,
			const struct ks_zs_model *zm, bool guest)
{
	struct path_cost pc[KS_ZS_NPATHS];
	double span = 0, mean = 0, store = 0;

	memset(pc, 0, sizeof(pc));
	for (unsigned s = 1; s <= PG; s++) {
		const struct ks_zs_class *c = ks_zs_lookup(g, s);

		if (w[s] == 0)
			continue;
		mean += w[s] * s;
		store += w[s] * c->pages * PG / c->objs;
		span += w[s] * (c->huge ? 0 : (double)c->spanning / c->objs);
		for (unsigned p = 0; p < KS_ZS_NPATHS; p++)
			class_cost(c, p, w[s], &zm->c, guest, &pc[p]);
	}
	printf("\nobjects %s: mean %.1f B, %.1f B of zspage per object (%.1f%% used), "
	       "%.1f%% of objects span two pages\n", dist, mean, store, 100 * mean / store,
	       100 * span);
	printf("arch %s%s; expected ns of one access to a random object:\n", zm->name,
	       guest ? ", inside a KVM guest" : "");
	printf("%-14s %9s %9s %9s %10s %9s  %s\n", "path", "read", "write", "read|span",
	       "moved B/rd", "read/copy", "what");
	for (unsigned p = 0; p < KS_ZS_NPATHS; p++)
		printf("%-14s %9.2f %9.2f %9.2f %10.1f %9.2f  %s\n", ks_zs_path_name(p),
		       pc[p].ns[0], pc[p].ns[1], pc[p].span_w > 0 ? pc[p].span_ns / pc[p].span_w : 0,
		       pc[p].bytes, pc[p].ns[0] / pc[KS_ZS_PATH_COPY].ns[0], path_what[p]);
}

static void zs_usage(FILE *out)
{
	fputs("usage: sim zsmalloc [--chain N] [--legacy] [--arch NAME] [--guest]\n"
	      "                    [--sizes DIST] [--all] [--no-classes]\n"
	      "\n"
	      "Prints zsmalloc's size classes (slot size, pages and objects per zspage,\n"
	      "objects spanning two pages, waste, merged and huge classes) and, with --sizes,\n"
	      "the expected cost of reading and of writing one object under each mapping\n"
	      "path: copy, pgtable, xor, xor-norestore, obj-api (docs/zsmalloc.md).\n"
	      "\n"
	      "  --chain N     CONFIG_ZSMALLOC_CHAIN_SIZE, 1..16 (default 8; 4 with --legacy)\n"
	      "  --legacy      the 2012-v6.2 rule: most used % over 1..chain pages\n"
	      "  --arch NAME   prices from arch-models/zsmalloc/NAME.yaml (default x86_64)\n"
	      "  --guest       price PTE writes and TLB flushes as inside a KVM guest\n"
	      "  --sizes DIST  object sizes in bytes: uniform:MIN-MAX, normal:MEAN,SD\n"
	      "                (truncated to 1..4096) or a list S1,S2,...\n"
	      "  --all         list every class index, merged ones too\n"
	      "  --no-classes  skip the class table\n"
	      "\n"
	      "example: sim zsmalloc --arch x86_64-2012 --guest --sizes normal:1800,600\n",
	      out);
}

/* The model at NAME into *zm; 0 or an exit code after the message. */
static int load_model(const char *name, struct ks_zs_model *zm)
{
	struct ks_err err = { 0 };
	char path[4096];

	if (ks_zs_model_find(name, path, sizeof(path), &err) ||
	    ks_zs_model_load_file(path, zm, &err)) {
		ks_cli_error("%s", err.msg);
		return KS_EXIT_ERROR;
	}
	return 0;
}

int ks_cmd_zsmalloc(int argc, char **argv)
{
	const char *arch = NULL, *sizes = NULL, *problem;
	bool legacy = false, guest = false, all = false, no_classes = false;
	unsigned chain = 0;
	const struct ks_opt opts[] = {
		KS_UINT("chain", 0, &chain, 1, KS_ZS_CHAIN_MAX), KS_FLAG("legacy", 0, &legacy),
		KS_STR("arch", 0, &arch), KS_FLAG("guest", 0, &guest),
		KS_STR("sizes", 0, &sizes), KS_FLAG("all", 0, &all),
		KS_FLAG("no-classes", 0, &no_classes), KS_OPT_END
	};
	const struct ks_cmdline cl = { .cmd = "zsmalloc", .usage = zs_usage, .opts = opts };
	struct ks_strlist args;
	struct ks_zs_model zm = { 0 };
	struct ks_zs_geom g;
	double *w = NULL;
	int rc = ks_cli_parse(&cl, argc, argv, &args);

	if (rc >= 0)
		return rc;
	ks_strlist_free(&args);
	if (!chain)
		chain = legacy ? KS_ZS_CHAIN_LEGACY : KS_ZS_CHAIN_DEFAULT;
	ks_zs_geom_init(&g, chain, legacy ? KS_ZS_RULE_MAX_USED_PCT : KS_ZS_RULE_MIN_WASTE);
	rc = KS_EXIT_ERROR;
	if (sizes) {
		w = ks_xmalloc((PG + 1) * sizeof(*w));
		problem = parse_sizes(sizes, w);
		if (problem) {
			ks_cli_error("zsmalloc: --sizes '%s': %s", sizes, problem);
			goto out;
		}
	}
	if ((sizes || arch) && load_model(arch ? arch : "x86_64", &zm))
		goto out;
	if (!no_classes)
		print_classes(&g, all);
	if (sizes)
		print_costs(&g, w, sizes, &zm, guest);
	rc = KS_EXIT_OK;
out:
	ks_zs_model_fini(&zm);
	free(w);
	return rc;
}
