/* cmd_zsmalloc.c - `sim zsmalloc [--chain N] [--legacy] [--arch NAME] [--guest]
 * [--sizes DIST] [--all] [--no-classes]`: prints zsmalloc's size-class table and, for an
 * object-size distribution, the expected cost of one object access (read, write) under
 * each mapping path on an arch (models/zsmalloc.h, docs/zsmalloc.md).
 *
 * The per-arch prices live in arch-models/zsmalloc/NAME.yaml:
 *
 *   KEY                 TYPE      MEANING
 *   arch                string    name (required)
 *   description         string    optional
 *   clock_ghz           {value, source, [note]}   needed when a cost is in cycles
 *   costs.op, .kmap, .copy_byte, .xor_byte, .pte, .tlb_flush, .lock
 *                       {ns | cycles, source, [note]}   all required
 *   costs.guest_factor  {value >= 1, source, [note]}    required
 *
 * Every number must carry a non-empty `source`. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <gsl/gsl_cdf.h>

#include "cli.h"
#include "models/base/xalloc.h"
#include "models/zsmalloc.h"
#include "sim/config/yaml_util.h"

#define PG KS_ZS_PAGE_SIZE

/* ---- the cost file ------------------------------------------------------------------- */

struct zs_cost_key {
	const char *key;
	size_t off;            /* offset of the double in struct ks_zs_costs */
};

#define CK(k, f) { k, offsetof(struct ks_zs_costs, f) }
static const struct zs_cost_key cost_keys[] = {
	CK("op", op_ns), CK("kmap", kmap_ns), CK("copy_byte", copy_byte_ns),
	CK("xor_byte", xor_byte_ns), CK("pte", pte_ns), CK("tlb_flush", tlb_flush_ns),
	CK("lock", lock_ns),
};
#undef CK
#define NCOST (sizeof(cost_keys) / sizeof(cost_keys[0]))

struct zs_arch {
	char *name;                /* `arch:` (owned) */
	char *description;         /* `description:` (owned), may be NULL */
	struct ks_zs_costs c;      /* prices, ns */
};

static int need_source(struct ks_ydoc *yd, yaml_node_t *m, const char *where)
{
	yaml_node_t *v = ks_yaml_get(yd, m, "source", NULL);

	if (!v)
		return ks_yaml_fail(yd, m, KS_EINVAL, "'%s' has no 'source' (every number must "
				    "say where it comes from)", where);
	if (v->type != YAML_SCALAR_NODE || !v->data.scalar.length || ks_yaml_is_null(v))
		return ks_yaml_fail(yd, v, KS_EINVAL, "'source' of '%s' must be a non-empty string",
				    where);
	return 0;
}

/* A {value, source, [note]} entry. */
static int conv_value(struct ks_ydoc *yd, yaml_node_t *m, const char *key, double min,
		      double max, double *out)
{
	static const char *const keys[] = { "value", "source", "note", NULL };
	yaml_node_t *v;
	int rc = ks_yaml_expect(yd, NULL, m, YAML_MAPPING_NODE, key);

	if (!rc)
		rc = ks_yaml_check_keys(yd, m, keys, key);
	if (!rc)
		rc = need_source(yd, m, key);
	if (rc)
		return rc;
	v = ks_yaml_get(yd, m, "value", NULL);
	if (!v)
		return ks_yaml_fail(yd, m, KS_EINVAL, "'%s' needs 'value'", key);
	return ks_yaml_double(yd, v, "value", min, false, max, out);
}

/* A {ns | cycles, source, [note]} cost; cycles need clock_ghz (0 = not given). */
static int conv_cost(struct ks_ydoc *yd, yaml_node_t *m, const char *key, double ghz,
		     double *out)
{
	static const char *const keys[] = { "ns", "cycles", "source", "note", NULL };
	yaml_node_t *ns, *cyc;
	int rc = ks_yaml_expect(yd, NULL, m, YAML_MAPPING_NODE, key);

	if (!rc)
		rc = ks_yaml_check_keys(yd, m, keys, key);
	if (!rc)
		rc = need_source(yd, m, key);
	if (rc)
		return rc;
	ns = ks_yaml_get(yd, m, "ns", NULL);
	cyc = ks_yaml_get(yd, m, "cycles", NULL);
	if (!ns == !cyc)
		return ks_yaml_fail(yd, m, KS_EINVAL, "cost '%s' needs exactly one of 'ns' and "
				    "'cycles'", key);
	if (ns)
		return ks_yaml_double(yd, ns, "ns", 0.0, false, 1e9, out);
	if (ghz <= 0)
		return ks_yaml_fail(yd, cyc, KS_EINVAL, "cost '%s' is in cycles but the file has "
				    "no 'clock_ghz'", key);
	rc = ks_yaml_double(yd, cyc, "cycles", 0.0, false, 1e12, out);
	*out /= ghz;
	return rc;
}

static int conv_zs_arch(struct ks_ydoc *yd, yaml_node_t *root, struct zs_arch *za)
{
	static const char *const top[] = { "arch", "description", "clock_ghz", "costs", NULL };
	const char *known[NCOST + 2];
	yaml_node_t *costs, *v;
	double ghz = 0;
	int rc = ks_yaml_expect(yd, NULL, root, YAML_MAPPING_NODE, "the zsmalloc cost model");

	if (!rc)
		rc = ks_yaml_check_keys(yd, root, top, "");
	if (!rc)
		rc = ks_yaml_get_string(yd, root, "arch", &za->name);
	if (!rc)
		rc = ks_yaml_get_string(yd, root, "description", &za->description);
	if (!rc && !za->name)
		rc = ks_yaml_fail(yd, root, KS_EINVAL, "missing key 'arch'");
	if (!rc && (v = ks_yaml_get(yd, root, "clock_ghz", NULL)))
		rc = conv_value(yd, v, "clock_ghz", 0.001, 100.0, &ghz);
	if (!rc)
		rc = ks_yaml_get_mapping(yd, root, "costs", "costs", &costs);
	if (!rc && !costs)
		rc = ks_yaml_fail(yd, root, KS_EINVAL, "missing key 'costs'");
	if (rc)
		return rc;
	for (unsigned i = 0; i < NCOST; i++)
		known[i] = cost_keys[i].key;
	known[NCOST] = "guest_factor";
	known[NCOST + 1] = NULL;
	rc = ks_yaml_check_keys(yd, costs, known, "costs");
	for (unsigned i = 0; !rc && i < NCOST; i++) {
		v = ks_yaml_get(yd, costs, cost_keys[i].key, NULL);
		if (!v)
			return ks_yaml_fail(yd, costs, KS_EINVAL, "missing cost '%s'",
					    cost_keys[i].key);
		rc = conv_cost(yd, v, cost_keys[i].key, ghz,
			       (double *)((char *)&za->c + cost_keys[i].off));
	}
	if (rc)
		return rc;
	v = ks_yaml_get(yd, costs, "guest_factor", NULL);
	if (!v)
		return ks_yaml_fail(yd, costs, KS_EINVAL, "missing cost 'guest_factor'");
	return conv_value(yd, v, "guest_factor", 1.0, 1000.0, &za->c.guest_factor);
}

static void zs_arch_fini(struct zs_arch *za)
{
	free(za->name);
	free(za->description);
	memset(za, 0, sizeof(*za));
}

static int zs_arch_load(const char *path, struct zs_arch *za, struct ks_err *err)
{
	struct ks_ydoc yd = { 0 };
	char *text = NULL;
	size_t len;
	int rc;

	memset(za, 0, sizeof(*za));
	rc = ks_yaml_read_file(path, &text, &len, err);
	if (rc)
		return rc;
	rc = ks_yaml_load(&yd, text, len, path, err);
	if (!rc)
		rc = conv_zs_arch(&yd, ks_yaml_root(&yd), za);
	ks_yaml_fini(&yd);
	free(text);
	if (rc)
		zs_arch_fini(za);
	return rc;
}

static bool is_file(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* NAME as a path, else arch-models/zsmalloc/NAME.yaml in the source tree or installed. */
static int zs_arch_find(const char *name, char *out, size_t outlen, struct ks_err *err)
{
	const char *dirs[] = { KS_SRCDIR "/arch-models/zsmalloc/",
			       KS_PKGDATADIR "/arch-models/zsmalloc/" };

	if (strchr(name, '/') && is_file(name)) {
		snprintf(out, outlen, "%s", name);
		return 0;
	}
	for (unsigned d = 0; d < 2 && !strchr(name, '/'); d++) {
		snprintf(out, outlen, "%s%s.yaml", dirs[d], name);
		if (is_file(out))
			return 0;
	}
	return ks_err_set(err, KS_ENOENT, "zsmalloc: no cost model '%s' (looked for %s, "
			  "%s%s.yaml, %s%s.yaml)", name, name, dirs[0], name, dirs[1], name);
}

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
			const struct zs_arch *za, bool guest)
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
			class_cost(c, p, w[s], &za->c, guest, &pc[p]);
	}
	printf("\nobjects %s: mean %.1f B, %.1f B of zspage per object (%.1f%% used), "
	       "%.1f%% of objects span two pages\n", dist, mean, store, 100 * mean / store,
	       100 * span);
	printf("arch %s%s; expected ns of one access to a random object:\n", za->name,
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
	      "  --legacy      the 2012-v6.2 rule: most used %% over 1..chain pages\n"
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

int ks_cmd_zsmalloc(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "chain", required_argument, NULL, 'c' }, { "legacy", no_argument, NULL, 'l' },
		{ "arch", required_argument, NULL, 'a' }, { "guest", no_argument, NULL, 'g' },
		{ "sizes", required_argument, NULL, 's' }, { "all", no_argument, NULL, 'A' },
		{ "no-classes", no_argument, NULL, 'n' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *arch = "x86_64", *sizes = NULL, *problem;
	bool legacy = false, guest = false, all = false, classes = true, arch_given = false;
	long chain = 0;
	struct ks_zs_geom g;
	struct zs_arch za = { 0 };
	struct ks_err err = { 0 };
	char path[4096], *end;
	double *w = NULL;
	int opt, rc = KS_EXIT_ERROR;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			chain = strtol(optarg, &end, 10);
			if (end == optarg || *end || chain < 1 || chain > KS_ZS_CHAIN_MAX) {
				ks_cli_error("zsmalloc: --chain '%s': expected 1..%d", optarg,
					     KS_ZS_CHAIN_MAX);
				return KS_EXIT_ERROR;
			}
			break;
		case 'l': legacy = true; break;
		case 'a': arch = optarg; arch_given = true; break;
		case 'g': guest = true; break;
		case 's': sizes = optarg; break;
		case 'A': all = true; break;
		case 'n': classes = false; break;
		case 'h': zs_usage(stdout); return KS_EXIT_OK;
		default:
			ks_cli_error("zsmalloc: bad option '%s'; try 'sim zsmalloc --help'",
				     argv[optind - 1]);
			return KS_EXIT_ERROR;
		}
	}
	if (optind < argc) {
		ks_cli_error("zsmalloc: unexpected argument '%s'; try 'sim zsmalloc --help'",
			     argv[optind]);
		return KS_EXIT_ERROR;
	}
	if (!chain)
		chain = legacy ? KS_ZS_CHAIN_LEGACY : KS_ZS_CHAIN_DEFAULT;
	ks_zs_geom_init(&g, (unsigned)chain, legacy ? KS_ZS_RULE_MAX_USED_PCT :
			KS_ZS_RULE_MIN_WASTE);
	if (sizes) {
		w = ks_xmalloc((PG + 1) * sizeof(*w));
		problem = parse_sizes(sizes, w);
		if (problem) {
			ks_cli_error("zsmalloc: --sizes '%s': %s", sizes, problem);
			goto out;
		}
	}
	if (sizes || arch_given) {
		if (zs_arch_find(arch, path, sizeof(path), &err) ||
		    zs_arch_load(path, &za, &err)) {
			ks_cli_error("%s", err.msg);
			goto out;
		}
	}
	if (classes)
		print_classes(&g, all);
	if (sizes)
		print_costs(&g, w, sizes, &za, guest);
	rc = KS_EXIT_OK;
out:
	zs_arch_fini(&za);
	free(w);
	return rc;
}
