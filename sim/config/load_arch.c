/* load_arch.c - reads arch-models/NAME.yaml (docs/cost-models.md) with the schema tables
 * below (schema.h):
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
 *     tree_warm_up:     {value 0 or 1, source}   optional, default 0 (models/cost_model.h)
 *   Optional simple costs: gup_lookup, page_alloc, walk_hole (missing = 0);
 *   stable_visit_cold, unstable_visit_cold (missing = the warm stable_visit /
 *   unstable_visit); ksm_page_cold (missing = ksm_page).
 *
 * A cost without a non-empty `source` and a `provenance` is refused: every number must
 * say where it came from (the source: a measurement here with command and date, a
 * publication, a derivation, a fit) and which of the five kinds that is (provenance:
 * measured, cited, derived, fitted, estimate; docs/cost-models.md). The provenance and
 * source of every entry are kept in the model (struct ks_arch_prov) for the reports. A
 * new key of a cost entry is one line in FIT_FIELDS (or the table of its entry kind). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "find_file.h"
#include "models/base/xalloc.h"
#include "load_arch.h"
#include "load_reads.h"
#include "schema.h"
#include "yaml_util.h"

#define PROV_HINT "measured, cited, derived, fitted or estimate"

const char *const ks_arch_prov_names[] = { "measured", "cited", "derived", "fitted",
					   "estimate", NULL };

/* The kind of an entry's source; required. */
#define PROV_FIELD                                                                        \
	{ "provenance", KS_FT_ENUM, .required = true, .names = ks_arch_prov_names,         \
	  .hint = PROV_HINT, .doc = "the kind of source: " PROV_HINT }

/* What every cost entry may carry besides its numbers: where they come from and, for a
 * fit or a median, its quality. Checked, not stored. */
#define FIT_FIELDS                                                                        \
	KS_SOURCE_FIELD,                                                                   \
	PROV_FIELD,                                                                        \
	{ "r2", KS_FT_DOUBLE, .doc = "coefficient of determination of the fit" },          \
	{ "n", KS_FT_UINT, .doc = "measurements behind the number" },                      \
	{ "note", KS_FT_STRING, .doc = "free text" }

#define NS_MAX 1e12 /* no single step of ksmd takes 1000 s */

/* A linear cost fixed + per_byte * bytes, as read (then copied into the table). */
struct linear_cost {
	double fixed, per_byte;
};

static const struct ks_field linear_fields[] = {
	FIT_FIELDS,
	{ "fixed_ns", KS_FT_DOUBLE, KS_AT(struct linear_cost, fixed), .required = true,
	  .dmax = NS_MAX, .doc = "ns per call" },
	{ "per_byte_ns", KS_FT_DOUBLE, KS_AT(struct linear_cost, per_byte), .required = true,
	  .dmax = NS_MAX, .doc = "ns per byte" },
	{ "fixed_stderr_ns", KS_FT_DOUBLE, .dmax = NS_MAX, .doc = "standard error of fixed_ns" },
	{ "per_byte_stderr_ns", KS_FT_DOUBLE, .dmax = NS_MAX,
	  .doc = "standard error of per_byte_ns" },
	{ NULL }
};
static const struct ks_schema linear_schema = { .fields = linear_fields };

static int compare_defaults(struct ks_ydoc *yd, yaml_node_t *map, const char *where, void *obj)
{
	struct ks_cost_table *t = obj;

	(void)where;
	if (!ks_yaml_get(yd, map, "cold_per_byte_ns", NULL))
		t->cmp_cold_byte_ns = t->cmp_byte_ns;
	return 0;
}

static const struct ks_field compare_fields[] = {
	FIT_FIELDS,
	{ "fixed_ns", KS_FT_DOUBLE, KS_AT(struct ks_cost_table, cmp_fixed_ns), .required = true,
	  .dmax = NS_MAX, .doc = "ns per memcmp_pages() call" },
	{ "per_byte_ns", KS_FT_DOUBLE, KS_AT(struct ks_cost_table, cmp_byte_ns),
	  .required = true, .dmax = NS_MAX, .doc = "ns per byte compared (first diff + 1)" },
	{ "cold_per_byte_ns", KS_FT_DOUBLE, KS_AT(struct ks_cost_table, cmp_cold_byte_ns),
	  .dmax = NS_MAX, .doc = "ns per byte against a cold tree page (default per_byte_ns)" },
	{ "fixed_stderr_ns", KS_FT_DOUBLE, .dmax = NS_MAX, .doc = "standard error of fixed_ns" },
	{ "per_byte_stderr_ns", KS_FT_DOUBLE, .dmax = NS_MAX,
	  .doc = "standard error of per_byte_ns" },
	{ NULL }
};
static const struct ks_schema compare_schema = { .fields = compare_fields,
						  .check = compare_defaults };

/* A simple cost {ns, source, ...}, applied to the double it sets. */
static const struct ks_field simple_fields[] = {
	FIT_FIELDS,
	{ "ns", KS_FT_DOUBLE, .off = 0, .size = sizeof(double), .required = true, .dmax = NS_MAX,
	  .doc = "ns per occurrence" },
	{ "stderr_ns", KS_FT_DOUBLE, .dmax = NS_MAX, .doc = "standard error of ns" },
	{ NULL }
};
static const struct ks_schema simple_schema = { .fields = simple_fields };

/* A dimensionless {value, source, [note]}, applied to the double it sets. */
static const struct ks_field tlb_factor_fields[] = {
	PROV_FIELD, KS_SOURCED_VALUE_FIELDS(1.0, 1000.0) };
static const struct ks_field hot_depth_fields[] = {
	PROV_FIELD, KS_SOURCED_VALUE_FIELDS(0.0, 64.0) };
static const struct ks_field warm_up_fields[] = {
	PROV_FIELD, KS_SOURCED_VALUE_FIELDS(0.0, 1.0) };
static const struct ks_schema tlb_factor_schema = { .fields = tlb_factor_fields };
static const struct ks_schema warm_up_schema = { .fields = warm_up_fields };
static const struct ks_schema hot_depth_schema = { .fields = hot_depth_fields };

/* One checksum algorithm's entry: its linear cost goes into the table's arrays. */
static int set_checksum(struct ks_ydoc *yd, const struct ks_field *f, yaml_node_t *key,
			yaml_node_t *val, const char *where, void *obj)
{
	struct ks_cost_table *t = obj;
	struct linear_cost lin = { 0, 0 };
	enum ks_checksum_alg alg;
	int rc;

	if (!ks_checksum_parse(f->key, &alg))
		abort(); /* the table below is built from the algorithms' names */
	rc = ks_schema_apply(yd, &linear_schema, key, val, where, &lin);
	if (rc)
		return rc;
	t->csum_fixed_ns[alg] = lin.fixed;
	t->csum_byte_ns[alg] = lin.per_byte;
	t->csum_known[alg] = true;
	return 0;
}

/* costs.checksum: a mapping whose keys are the algorithms' names. */
static int set_checksums(struct ks_ydoc *yd, const struct ks_field *f, yaml_node_t *key,
			 yaml_node_t *val, const char *where, void *obj)
{
	struct ks_field algs[KS_CSUM_COUNT + 1];
	struct ks_schema s = { .fields = algs };

	(void)f;
	memset(algs, 0, sizeof(algs));
	for (unsigned i = 0; i < KS_CSUM_COUNT; i++) {
		algs[i].key = ks_checksum_name((enum ks_checksum_alg)i);
		algs[i].type = KS_FT_MAP;
		algs[i].set = set_checksum;
	}
	return ks_schema_apply(yd, &s, key, val, where, obj);
}

/* The cold visits default to the warm ones (an arch without the split). */
static int costs_defaults(struct ks_ydoc *yd, yaml_node_t *map, const char *where, void *obj)
{
	struct ks_cost_table *t = obj;

	(void)where;
	if (!ks_yaml_get(yd, map, "stable_visit_cold", NULL))
		t->stable_visit_cold_ns = t->stable_visit_ns;
	if (!ks_yaml_get(yd, map, "unstable_visit_cold", NULL))
		t->unstable_visit_cold_ns = t->unstable_visit_ns;
	if (!ks_yaml_get(yd, map, "ksm_page_cold", NULL))
		t->ksm_page_cold_ns = t->ksm_page_ns;
	return 0;
}

/* A simple cost: required, or optional (missing = 0: work only algorithm 2009 prices). */
#define SC(k, m, d) { k, KS_FT_MAP, KS_AT(struct ks_cost_table, m), .required = true,    \
		      .sub = &simple_schema, .doc = d }
#define SC_OPT(k, m, d) { k, KS_FT_MAP, KS_AT(struct ks_cost_table, m),                  \
			  .sub = &simple_schema, .doc = d }
static const struct ks_field cost_fields[] = {
	{ "compare", KS_FT_MAP, .required = true, .sub = &compare_schema,
	  .doc = "memcmp_pages(): fixed + per byte compared" },
	{ "checksum", KS_FT_MAP, .required = true, .set = set_checksums,
	  .doc = "calc_checksum() per algorithm: fixed + per byte" },
	SC("anon_page", anon_page_ns, "per anon page: mmap lock, folio get/put"),
	SC("ksm_page", ksm_page_ns, "per KSM page (early return)"),
	SC("walk_entry", walk_entry_ns, "per PTE visited by the scanner"),
	SC("skip", skip_ns, "per smart-scan skip"),
	SC("item_alloc", item_alloc_ns, "per rmap_item allocated"),
	SC("item_free", item_free_ns, "per rmap_item freed"),
	SC("stable_visit", stable_visit_ns, "per stable node visited (besides memcmp)"),
	SC("unstable_visit", unstable_visit_ns, "per unstable node visited"),
	SC("chain_dup", chain_dup_ns, "per chain dup examined"),
	SC("tree_insert", tree_insert_ns, "per rb-tree insert"),
	SC("stale_node", stale_node_ns, "per stale stable node removed"),
	SC("wrprotect", wrprotect_ns, "write_protect_page incl. TLB flush"),
	SC("replace", replace_ns, "replace_page incl. its flush"),
	SC("merge", merge_ns, "per merge: node and folio bookkeeping"),
	SC("zero_merge", zero_merge_ns, "per zero-page merge"),
	SC("break_cow", break_cow_ns, "per break_cow (fault + copy)"),
	SC("scan_start", scan_start_ns, "per full scan: lru_add_drain_all"),
	SC("batch", batch_ns, "per ksm_do_scan() batch: wakeup, schedule"),
	SC("page_copy", page_copy_ns, "4 KiB copy"),
	SC_OPT("gup_lookup", gup_lookup_ns, "2009: page lookup by address"),
	SC_OPT("page_alloc", page_alloc_ns, "2009: alloc_page of a new KSM page"),
	SC_OPT("stable_visit_cold", stable_visit_cold_ns,
	       "per stable node deeper than tree_hot_depth (default stable_visit)"),
	SC_OPT("unstable_visit_cold", unstable_visit_cold_ns,
	       "per unstable node deeper than tree_hot_depth (default unstable_visit)"),
	SC_OPT("ksm_page_cold", ksm_page_cold_ns,
	       "per KSM page other than the previous KSM-page rescan's (default ksm_page)"),
	SC_OPT("walk_hole", walk_hole_ns,
	       "per address walked without an anon or KSM page (default 0)"),
	{ "guest_tlb_factor", KS_FT_MAP, KS_AT(struct ks_cost_table, guest_tlb_factor),
	  .sub = &tlb_factor_schema, .doc = "TLB-flush multiplier in a KVM guest (default 1)" },
	{ "tree_hot_depth", KS_FT_MAP, KS_AT(struct ks_cost_table, tree_hot_depth),
	  .sub = &hot_depth_schema,
	  .doc = "tree visits per descent that stay cache-hot (default 0: no split)" },
	{ "tree_warm_up", KS_FT_MAP, KS_AT(struct ks_cost_table, tree_warm_up),
	  .sub = &warm_up_schema,
	  .doc = "1: the hot upper tree is re-warmed every batch (the m-th descent finds "
		 "min(tree_hot_depth, floor(log2 m)) levels hot); default 0" },
	{ NULL }
};
#undef SC
#undef SC_OPT
static const struct ks_schema cost_schema = { .fields = cost_fields,
					       .check = costs_defaults };

static const struct ks_field arch_fields[] = {
	{ "arch", KS_FT_STRING, KS_AT(struct ks_arch_model, name), .required = true,
	  .hint = "the model's name", .doc = "the model's name" },
	{ "description", KS_FT_STRING, KS_AT(struct ks_arch_model, description),
	  .doc = "one line" },
	{ "cpu", KS_FT_ANY, .doc = "the CPU measured (free form; not read)" },
	{ "costs", KS_FT_MAP, KS_AT(struct ks_arch_model, t), .required = true,
	  .sub = &cost_schema, .doc = "the prices" },
	{ "reads", KS_FT_MAP, KS_AT(struct ks_arch_model, reads), .sub = &ks_arch_reads_schema,
	  .doc = "what a CPU read of a page costs; the zero page counts (load_reads.h)" },
	{ NULL }
};
static const struct ks_schema arch_schema = { .fields = arch_fields };

/* Keeps the provenance and source of the entry `val` (a mapping the schema accepted). */
static void keep_prov(struct ks_ydoc *yd, yaml_node_t *val, const char *key,
		      struct ks_arch_model *am)
{
	yaml_node_t *p = ks_yaml_get(yd, val, "provenance", NULL);
	yaml_node_t *s = ks_yaml_get(yd, val, "source", NULL);
	struct ks_arch_prov *e;
	unsigned kind = 0;

	if (!p || p->type != YAML_SCALAR_NODE || !s || s->type != YAML_SCALAR_NODE)
		return;
	while (ks_arch_prov_names[kind] &&
	       strcmp(ks_arch_prov_names[kind], (const char *)p->data.scalar.value))
		kind++;
	am->prov = ks_xrealloc(am->prov, (am->nprov + 1) * sizeof(*am->prov));
	e = &am->prov[am->nprov++];
	e->key = ks_xstrdup(key);
	e->kind = (enum ks_arch_prov_kind)kind;
	e->source = ks_xstrdup((const char *)s->data.scalar.value);
}

/* Every cost entry's provenance, in file order ("checksum.ALG" for the checksums). */
static void collect_prov(struct ks_ydoc *yd, yaml_node_t *costs, struct ks_arch_model *am)
{
	for (yaml_node_pair_t *pr = costs->data.mapping.pairs.start;
	     pr < costs->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = yaml_document_get_node(&yd->doc, pr->key);
		yaml_node_t *v = yaml_document_get_node(&yd->doc, pr->value);
		const char *key = (const char *)k->data.scalar.value;

		if (v->type != YAML_MAPPING_NODE)
			continue;
		if (strcmp(key, "checksum")) {
			keep_prov(yd, v, key, am);
			continue;
		}
		for (yaml_node_pair_t *q = v->data.mapping.pairs.start;
		     q < v->data.mapping.pairs.top; q++) {
			yaml_node_t *ak = yaml_document_get_node(&yd->doc, q->key);
			yaml_node_t *av = yaml_document_get_node(&yd->doc, q->value);
			char name[64];

			snprintf(name, sizeof(name), "checksum.%s",
				 (const char *)ak->data.scalar.value);
			if (av->type == YAML_MAPPING_NODE)
				keep_prov(yd, av, name, am);
		}
	}
}

/* The reads: entries' provenance, as "reads.KEY". */
static void collect_reads_prov(struct ks_ydoc *yd, yaml_node_t *reads, struct ks_arch_model *am)
{
	for (yaml_node_pair_t *pr = reads->data.mapping.pairs.start;
	     pr < reads->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = yaml_document_get_node(&yd->doc, pr->key);
		yaml_node_t *v = yaml_document_get_node(&yd->doc, pr->value);
		char name[64];

		snprintf(name, sizeof(name), "reads.%s", (const char *)k->data.scalar.value);
		if (v->type == YAML_MAPPING_NODE)
			keep_prov(yd, v, name, am);
	}
}

const char *ks_arch_prov_of(const struct ks_arch_model *am, const char *key)
{
	for (size_t i = 0; i < am->nprov; i++)
		if (!strcmp(am->prov[i].key, key))
			return ks_arch_prov_names[am->prov[i].kind];
	return NULL;
}

int ks_arch_load_string(const char *text, const char *origin, struct ks_arch_model *am,
			struct ks_err *err)
{
	struct ks_ydoc yd = { 0 };
	yaml_node_t *root;
	int rc;

	memset(am, 0, sizeof(*am));
	ks_cost_table_zero(&am->t);
	ks_arch_reads_init(&am->reads);
	rc = ks_yaml_load(&yd, text, strlen(text), origin, err);
	root = rc ? NULL : ks_yaml_root(&yd);
	if (!rc)
		rc = ks_yaml_expect(&yd, NULL, root, YAML_MAPPING_NODE, "the arch model");
	if (!rc)
		rc = ks_schema_apply(&yd, &arch_schema, NULL, root, "", am);
	if (!rc)
		collect_prov(&yd, ks_yaml_get(&yd, root, "costs", NULL), am);
	if (!rc && am->reads.present)
		collect_reads_prov(&yd, ks_yaml_get(&yd, root, "reads", NULL), am);
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

int ks_arch_find(const char *name, char *out, size_t outlen, struct ks_err *err)
{
	static const struct ks_file_kind kind = { "arch model", "arch-models", false, true };

	return ks_find_file(&kind, name, out, outlen, err);
}

void ks_arch_fini(struct ks_arch_model *am)
{
	free(am->name);
	free(am->description);
	for (size_t i = 0; i < am->nprov; i++) {
		free(am->prov[i].key);
		free(am->prov[i].source);
	}
	free(am->prov);
	memset(am, 0, sizeof(*am));
}
