/* load_zsmalloc.c - reads arch-models/zsmalloc/NAME.yaml with the schema tables below
 * (schema.h):
 *
 *   KEY                 TYPE      MEANING
 *   arch                string    name (required)
 *   description         string    optional
 *   clock_ghz           {value, source, provenance, [note]}   needed when a cost is
 *                                                  in cycles
 *   costs.op, .kmap, .copy_byte, .xor_byte, .pte, .tlb_flush, .lock
 *                       {ns | cycles, source, provenance, [note]}   all required
 *   costs.guest_factor  {value >= 1, source, provenance, [note]}    required
 *
 * Every number must carry a non-empty `source` and its `provenance` (measured, cited,
 * derived, fitted, estimate: the arch models' kinds, load_arch.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "find_file.h"
#include "load_arch.h"
#include "load_zsmalloc.h"
#include "schema.h"
#include "yaml_util.h"

/* A cost as written: ns or cycles (NAN: not given). */
struct zs_cost {
	double ns, cycles;
};

/* The kind of a number's source; required, as in arch models. */
#define ZS_PROV_FIELD                                                                     \
	{ "provenance", KS_FT_ENUM, .required = true, .names = ks_arch_prov_names,         \
	  .hint = "measured, cited, derived, fitted or estimate",                          \
	  .doc = "the kind of source: measured, cited, derived, fitted or estimate" }

static const struct ks_field cost_fields[] = {
	KS_SOURCE_FIELD,
	ZS_PROV_FIELD,
	{ "ns", KS_FT_DOUBLE, KS_AT(struct zs_cost, ns), .dmax = 1e9, .doc = "ns" },
	{ "cycles", KS_FT_DOUBLE, KS_AT(struct zs_cost, cycles), .dmax = 1e12,
	  .doc = "CPU cycles at clock_ghz" },
	{ "note", KS_FT_STRING, .doc = "free text" },
	{ NULL }
};
static const struct ks_schema cost_schema = { .fields = cost_fields };

/* One {ns | cycles, source, [note]} cost into the member f names; cycles need the
 * model's clock_ghz, read before the costs. */
static int set_cost(struct ks_ydoc *yd, const struct ks_field *f, yaml_node_t *key,
		    yaml_node_t *val, const char *where, void *obj)
{
	struct ks_zs_model *zm = obj;
	struct zs_cost c = { NAN, NAN };
	int rc = ks_schema_apply(yd, &cost_schema, key, val, where, &c);

	if (rc)
		return rc;
	if (isnan(c.ns) == isnan(c.cycles))
		return ks_yaml_fail(yd, val, KS_EINVAL, "%s needs exactly one of 'ns' and "
				    "'cycles'", where);
	if (isnan(c.ns) && zm->clock_ghz <= 0)
		return ks_yaml_fail(yd, ks_yaml_get(yd, val, "cycles", NULL), KS_EINVAL,
				    "%s is in cycles but the file has no 'clock_ghz'", where);
	*(double *)((char *)obj + f->off) = isnan(c.ns) ? c.cycles / zm->clock_ghz : c.ns;
	return 0;
}

static const struct ks_field guest_factor_fields[] = {
	ZS_PROV_FIELD, KS_SOURCED_VALUE_FIELDS(1.0, 1000.0) };
static const struct ks_schema guest_factor_schema = { .fields = guest_factor_fields };
static const struct ks_field clock_fields[] = {
	ZS_PROV_FIELD, KS_SOURCED_VALUE_FIELDS(0.001, 100.0) };
static const struct ks_schema clock_schema = { .fields = clock_fields };

#define COST(k, m, d) { k, KS_FT_MAP, KS_AT(struct ks_zs_model, c.m), .required = true,  \
			.set = set_cost, .doc = d }
static const struct ks_field costs_fields[] = {
	COST("op", op_ns, "per operation: pool/zspage locks, handle decode"),
	COST("kmap", kmap_ns, "per kmap+kunmap pair"),
	COST("copy_byte", copy_byte_ns, "per byte copied, cache-hot"),
	COST("xor_byte", xor_byte_ns, "per byte swapped in place"),
	COST("pte", pte_ns, "per kernel PTE write"),
	COST("tlb_flush", tlb_flush_ns, "per single-page kernel TLB invalidation"),
	COST("lock", lock_ns, "per extra lock acquire+release"),
	{ "guest_factor", KS_FT_MAP, KS_AT(struct ks_zs_model, c.guest_factor),
	  .required = true, .sub = &guest_factor_schema,
	  .doc = "multiplier on pte and tlb_flush in a KVM guest" },
	{ NULL }
};
#undef COST
/* Applied to the whole model (set_cost needs clock_ghz). */
static const struct ks_schema costs_schema = { .fields = costs_fields };

static const struct ks_field model_fields[] = {
	{ "arch", KS_FT_STRING, KS_AT(struct ks_zs_model, name), .required = true,
	  .hint = "the model's name", .doc = "the model's name" },
	{ "description", KS_FT_STRING, KS_AT(struct ks_zs_model, description),
	  .doc = "one line" },
	{ "clock_ghz", KS_FT_MAP, KS_AT(struct ks_zs_model, clock_ghz), .sub = &clock_schema,
	  .doc = "the clock that converts costs in cycles to ns" },
	{ "costs", KS_FT_MAP, .required = true, .sub = &costs_schema, .doc = "the prices" },
	{ NULL }
};
static const struct ks_schema model_schema = { .fields = model_fields };

int ks_zs_model_load_string(const char *text, const char *origin, struct ks_zs_model *zm,
			    struct ks_err *err)
{
	int rc;

	memset(zm, 0, sizeof(*zm));
	rc = ks_schema_load(text, strlen(text), origin, "the zsmalloc cost model", &model_schema,
			    zm, err);
	if (rc)
		ks_zs_model_fini(zm);
	return rc;
}

int ks_zs_model_load_file(const char *path, struct ks_zs_model *zm, struct ks_err *err)
{
	int rc;

	memset(zm, 0, sizeof(*zm));
	rc = ks_schema_load_file(path, "the zsmalloc cost model", &model_schema, zm, err);
	if (rc)
		ks_zs_model_fini(zm);
	return rc;
}

int ks_zs_model_find(const char *name, char *out, size_t outlen, struct ks_err *err)
{
	static const struct ks_file_kind kind = { "zsmalloc cost model", "arch-models/zsmalloc",
						  true, false };

	return ks_find_file(&kind, name, out, outlen, err);
}

void ks_zs_model_fini(struct ks_zs_model *zm)
{
	free(zm->name);
	free(zm->description);
	memset(zm, 0, sizeof(*zm));
}
