/* load_arch.c - reads arch-models/NAME.yaml. Layout (docs/cost-models.md):
 *
 *   arch: NAME                 required, string
 *   description: TEXT          optional
 *   costs:                     required mapping; every entry is a mapping with
 *     compare:   {fixed_ns, per_byte_ns, source, [cold_per_byte_ns, r2, *_stderr_ns, n,
 *                 note]}   (cold_per_byte_ns: against a cold tree page; default per_byte_ns)
 *     checksum:  {ALG: {fixed_ns, per_byte_ns, source, ...}, ...}  (ALG as in scenarios)
 *     NAME:      {ns, source, [stderr_ns, r2, n, note]}   for every simple cost below
 *     guest_tlb_factor: {value, source, [note]}
 *     tree_hot_depth:   {value, source, [note]}  optional, default 0 (no hot/cold split)
 *   Optional simple costs: gup_lookup, page_alloc (missing = 0); stable_visit_cold,
 *   unstable_visit_cold (missing = the warm stable_visit / unstable_visit).
 *
 * A cost without a non-empty `source` is refused: every number must say where it came
 * from (a measurement here with date and method, or a publication). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "load_arch.h"
#include "yaml_util.h"
#include "models/base/xalloc.h"

/* The simple (one-number) costs: YAML key and field. */
struct simple_cost {
	const char *key;
	size_t off;    /* offset of the double in struct ks_cost_table */
	bool optional; /* may be missing (then 0): priced work only algorithm 2009 does */
};

#define SC(k, f) { k, offsetof(struct ks_cost_table, f), false }
#define SC_OPT(k, f) { k, offsetof(struct ks_cost_table, f), true }
static const struct simple_cost simple_costs[] = {
	SC("anon_page", anon_page_ns), SC("ksm_page", ksm_page_ns),
	SC("walk_entry", walk_entry_ns), SC("skip", skip_ns),
	SC("item_alloc", item_alloc_ns), SC("item_free", item_free_ns),
	SC("stable_visit", stable_visit_ns), SC("unstable_visit", unstable_visit_ns),
	SC("chain_dup", chain_dup_ns), SC("tree_insert", tree_insert_ns),
	SC("stale_node", stale_node_ns), SC("wrprotect", wrprotect_ns),
	SC("replace", replace_ns), SC("merge", merge_ns), SC("zero_merge", zero_merge_ns),
	SC("break_cow", break_cow_ns), SC("scan_start", scan_start_ns),
	SC("batch", batch_ns), SC("page_copy", page_copy_ns),
	SC_OPT("gup_lookup", gup_lookup_ns), SC_OPT("page_alloc", page_alloc_ns),
	SC_OPT("stable_visit_cold", stable_visit_cold_ns),
	SC_OPT("unstable_visit_cold", unstable_visit_cold_ns),
};
#undef SC
#undef SC_OPT
#define NSIMPLE (sizeof(simple_costs) / sizeof(simple_costs[0]))

static const char *const top_keys[] = { "arch", "description", "cpu", "costs", NULL };
static const char *const linear_keys[] = {
	"fixed_ns", "per_byte_ns", "source", "r2", "fixed_stderr_ns", "per_byte_stderr_ns",
	"n", "note", NULL
};
static const char *const compare_keys[] = {
	"fixed_ns", "per_byte_ns", "cold_per_byte_ns", "source", "r2", "fixed_stderr_ns",
	"per_byte_stderr_ns", "n", "note", NULL
};
static const char *const simple_keys[] = {
	"ns", "source", "stderr_ns", "r2", "n", "note", NULL
};
static const char *const factor_keys[] = { "value", "source", "note", NULL };

static int need_source(struct ks_ydoc *yd, yaml_node_t *m, const char *where)
{
	yaml_node_t *v = ks_yaml_get(yd, m, "source", NULL);

	if (!v)
		return ks_yaml_fail(yd, m, KS_EINVAL, "cost '%s' has no 'source' (every number "
				    "must say where it comes from)", where);
	if (v->type != YAML_SCALAR_NODE || v->data.scalar.length == 0 || ks_yaml_is_null(v))
		return ks_yaml_fail(yd, v, KS_EINVAL, "'source' of '%s' must be a non-empty "
				    "string", where);
	return 0;
}

static int need_value(struct ks_ydoc *yd, yaml_node_t *m, const char *key, const char *where,
		      double *out)
{
	yaml_node_t *v = ks_yaml_get(yd, m, key, NULL);

	if (!v)
		return ks_yaml_fail(yd, m, KS_EINVAL, "cost '%s' needs '%s'", where, key);
	return ks_yaml_double(yd, v, key, 0.0, false, 1e12, out);
}

static int conv_linear(struct ks_ydoc *yd, yaml_node_t *m, const char *where, double *fixed,
		       double *per_byte, const char *const *keys)
{
	int rc = ks_yaml_expect(yd, NULL, m, YAML_MAPPING_NODE, where);

	if (!rc)
		rc = ks_yaml_check_keys(yd, m, keys, where);
	if (!rc)
		rc = need_source(yd, m, where);
	if (!rc)
		rc = need_value(yd, m, "fixed_ns", where, fixed);
	if (!rc)
		rc = need_value(yd, m, "per_byte_ns", where, per_byte);
	return rc;
}

static int conv_checksums(struct ks_ydoc *yd, yaml_node_t *m, struct ks_cost_table *t)
{
	int rc = ks_yaml_expect(yd, NULL, m, YAML_MAPPING_NODE, "costs.checksum");
	const char *names[KS_CSUM_COUNT + 1];

	if (rc)
		return rc;
	for (unsigned i = 0; i < KS_CSUM_COUNT; i++)
		names[i] = ks_checksum_name((enum ks_checksum_alg)i);
	names[KS_CSUM_COUNT] = NULL;
	rc = ks_yaml_check_keys(yd, m, names, "costs.checksum");
	for (unsigned i = 0; !rc && i < KS_CSUM_COUNT; i++) {
		char where[64];
		yaml_node_t *v = ks_yaml_get(yd, m, names[i], NULL);

		if (!v)
			continue;
		snprintf(where, sizeof(where), "checksum.%s", names[i]);
		rc = conv_linear(yd, v, where, &t->csum_fixed_ns[i], &t->csum_byte_ns[i],
				 linear_keys);
		t->csum_known[i] = rc == 0;
	}
	return rc;
}

/* An optional {value, source} entry; *out is left alone when it is missing. */
static int conv_factor(struct ks_ydoc *yd, yaml_node_t *m, const char *key, double min,
		       double max, double *out)
{
	yaml_node_t *v = ks_yaml_get(yd, m, key, NULL), *f;
	int rc;

	if (!v)
		return 0;
	rc = ks_yaml_expect(yd, NULL, v, YAML_MAPPING_NODE, key);
	if (!rc)
		rc = ks_yaml_check_keys(yd, v, factor_keys, key);
	if (!rc)
		rc = need_source(yd, v, key);
	if (rc)
		return rc;
	f = ks_yaml_get(yd, v, "value", NULL);
	if (!f)
		return ks_yaml_fail(yd, v, KS_EINVAL, "cost '%s' needs 'value'", key);
	return ks_yaml_double(yd, f, "value", min, false, max, out);
}

static int conv_costs(struct ks_ydoc *yd, yaml_node_t *m, struct ks_cost_table *t)
{
	const char *known[NSIMPLE + 5];
	yaml_node_t *v;
	unsigned k = 0;
	int rc;

	for (unsigned i = 0; i < NSIMPLE; i++)
		known[k++] = simple_costs[i].key;
	known[k++] = "compare";
	known[k++] = "checksum";
	known[k++] = "guest_tlb_factor";
	known[k++] = "tree_hot_depth";
	known[k] = NULL;
	rc = ks_yaml_check_keys(yd, m, known, "costs");
	if (rc)
		return rc;
	v = ks_yaml_get(yd, m, "compare", NULL);
	if (!v)
		return ks_yaml_fail(yd, m, KS_EINVAL, "missing cost 'compare'");
	rc = conv_linear(yd, v, "compare", &t->cmp_fixed_ns, &t->cmp_byte_ns, compare_keys);
	if (rc)
		return rc;
	t->cmp_cold_byte_ns = t->cmp_byte_ns;
	if (ks_yaml_get(yd, v, "cold_per_byte_ns", NULL))
		rc = need_value(yd, v, "cold_per_byte_ns", "compare", &t->cmp_cold_byte_ns);
	if (rc)
		return rc;
	v = ks_yaml_get(yd, m, "checksum", NULL);
	if (!v)
		return ks_yaml_fail(yd, m, KS_EINVAL, "missing cost 'checksum'");
	rc = conv_checksums(yd, v, t);
	for (unsigned i = 0; !rc && i < NSIMPLE; i++) {
		const char *key = simple_costs[i].key;

		v = ks_yaml_get(yd, m, key, NULL);
		if (!v && simple_costs[i].optional)
			continue;
		if (!v)
			return ks_yaml_fail(yd, m, KS_EINVAL, "missing cost '%s'", key);
		rc = ks_yaml_expect(yd, NULL, v, YAML_MAPPING_NODE, key);
		if (!rc)
			rc = ks_yaml_check_keys(yd, v, simple_keys, key);
		if (!rc)
			rc = need_source(yd, v, key);
		if (!rc)
			rc = need_value(yd, v, "ns", key,
					(double *)((char *)t + simple_costs[i].off));
	}
	if (rc)
		return rc;
	/* the cold visits default to the warm ones (an arch without the split) */
	if (!ks_yaml_get(yd, m, "stable_visit_cold", NULL))
		t->stable_visit_cold_ns = t->stable_visit_ns;
	if (!ks_yaml_get(yd, m, "unstable_visit_cold", NULL))
		t->unstable_visit_cold_ns = t->unstable_visit_ns;
	rc = conv_factor(yd, m, "guest_tlb_factor", 1.0, 1000.0, &t->guest_tlb_factor);
	if (!rc)
		rc = conv_factor(yd, m, "tree_hot_depth", 0.0, 64.0, &t->tree_hot_depth);
	return rc;
}

static int conv_arch(struct ks_ydoc *yd, yaml_node_t *root, struct ks_arch_model *am)
{
	yaml_node_t *costs;
	int rc;

	if (!root)
		return ks_err_set(yd->err, KS_EINVAL, "%s: empty arch model", yd->origin);
	rc = ks_yaml_expect(yd, NULL, root, YAML_MAPPING_NODE, "the arch model");
	if (!rc)
		rc = ks_yaml_check_keys(yd, root, top_keys, "");
	if (!rc)
		rc = ks_yaml_get_string(yd, root, "arch", &am->name);
	if (!rc)
		rc = ks_yaml_get_string(yd, root, "description", &am->description);
	if (!rc && !am->name)
		rc = ks_yaml_fail(yd, root, KS_EINVAL, "missing key 'arch' (the model's name)");
	if (!rc)
		rc = ks_yaml_get_mapping(yd, root, "costs", "costs", &costs);
	if (!rc && !costs)
		rc = ks_yaml_fail(yd, root, KS_EINVAL, "missing key 'costs'");
	if (!rc)
		rc = conv_costs(yd, costs, &am->t);
	return rc;
}

int ks_arch_load_string(const char *text, const char *origin, struct ks_arch_model *am,
			struct ks_err *err)
{
	struct ks_ydoc yd = { 0 };
	int rc;

	memset(am, 0, sizeof(*am));
	ks_cost_table_zero(&am->t);
	rc = ks_yaml_load(&yd, text, strlen(text), origin, err);
	if (!rc)
		rc = conv_arch(&yd, ks_yaml_root(&yd), am);
	ks_yaml_fini(&yd);
	if (rc)
		ks_arch_fini(am);
	return rc;
}

int ks_arch_load_file(const char *path, struct ks_arch_model *am, struct ks_err *err)
{
	char *text = NULL;
	size_t len;
	int rc;

	memset(am, 0, sizeof(*am));
	rc = ks_yaml_read_file(path, &text, &len, err);
	if (rc)
		return rc;
	rc = ks_arch_load_string(text, path, am, err);
	free(text);
	return rc;
}

static bool is_file(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

int ks_arch_find(const char *name, char *out, size_t outlen, struct ks_err *err)
{
	const char *dirs[] = { "", KS_SRCDIR "/arch-models/", KS_PKGDATADIR "/arch-models/" };
	const char *sfx[] = { ".yaml", "" };
	char tried[900] = "", cand[4096];

	for (unsigned d = 0; d < 3; d++) {
		if (d > 0 && name[0] == '/')
			break;
		for (unsigned s = 0; s < 2; s++) {
			size_t tl = strlen(tried);

			snprintf(cand, sizeof(cand), "%s%s%s", dirs[d], name, sfx[s]);
			if (is_file(cand)) {
				if (strlen(cand) >= outlen)
					return ks_err_set(err, KS_ERANGE, "%s: path too long",
							  cand);
				memcpy(out, cand, strlen(cand) + 1);
				return 0;
			}
			snprintf(tried + tl, sizeof(tried) - tl, "%s%s", tl ? ", " : "", cand);
		}
	}
	return ks_err_set(err, KS_ENOENT, "arch model '%s' not found (looked for %s)", name,
			  tried);
}

void ks_arch_fini(struct ks_arch_model *am)
{
	free(am->name);
	free(am->description);
	memset(am, 0, sizeof(*am));
}
