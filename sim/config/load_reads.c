/* load_reads.c - the reads: section of an arch model (load_reads.h):
 *
 *   reads:
 *     page:              {per_byte_ns: N, source: S}   ns per byte of a page read
 *     line_bytes:        {value: N, source: S}          cache line, bytes
 *     cache_colours:     {value: N, source: S}          synonym colours of the cache
 *     synonym:           {ns: N, source: S}             extra ns per line of a synonym
 *     zero_page_colours: {values: [N...], default: N, source: S,
 *                         ram_pages_per_zero_page: N}   (optional: the count follows RAM)
 *
 * with, in each, `provenance:` (measured, cited, derived, fitted or estimate), as every
 * cost of an arch model has (docs/cost-models.md), so no estimate passes for more. */
#include <stdint.h>

#include "load_arch.h"
#include "load_reads.h"
#include "schema.h"
#include "yaml_util.h"

/* Every entry: where its number comes from and which kind of source that is (the
 * provenance every arch cost carries, load_arch.h). */
#define KIND_SOURCE                                                                       \
	KS_SOURCE_FIELD,                                                                   \
	{ "provenance", KS_FT_ENUM, .required = true, .names = ks_arch_prov_names,         \
	  .hint = "measured, cited, derived, fitted or estimate",                          \
	  .doc = "the kind of source: measured, cited, derived, fitted or estimate" },     \
	{ "note", KS_FT_STRING, .doc = "free text" }

static bool pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

/* {value, source} of a power of two, applied to the unsigned it sets. */
static int check_pow2(struct ks_ydoc *yd, yaml_node_t *map, const char *where, void *obj)
{
	unsigned v = *(unsigned *)obj;

	if (pow2(v))
		return 0;
	return ks_yaml_fail(yd, ks_yaml_get(yd, map, "value", NULL), KS_EINVAL,
			    "%s must be a power of two, got %u", where, v);
}

static const struct ks_field page_fields[] = {
	KIND_SOURCE,
	{ "per_byte_ns", KS_FT_DOUBLE, .off = 0, .size = sizeof(double), .required = true,
	  .dmin = 0, .dmax = 1e6, .doc = "ns per byte of a page read, any backing" },
	{ NULL }
};
static const struct ks_schema page_schema = { .fields = page_fields };

static const struct ks_field line_fields[] = {
	KIND_SOURCE,
	{ "value", KS_FT_UINT, .off = 0, .size = sizeof(unsigned), .required = true,
	  .umin = 8, .umax = 4096, .doc = "bytes" },
	{ NULL }
};
static const struct ks_schema line_schema = { .fields = line_fields, .check = check_pow2 };

static const struct ks_field colour_fields[] = {
	KIND_SOURCE,
	{ "value", KS_FT_UINT, .off = 0, .size = sizeof(unsigned), .required = true,
	  .umin = 1, .umax = 1024, .doc = "page colours (1: no synonyms)" },
	{ NULL }
};
static const struct ks_schema colour_schema = { .fields = colour_fields, .check = check_pow2 };

static const struct ks_field synonym_fields[] = {
	KIND_SOURCE,
	{ "ns", KS_FT_DOUBLE, .off = 0, .size = sizeof(double), .required = true, .dmin = 0,
	  .dmax = 1e6, .doc = "extra ns per line read under another colour" },
	{ NULL }
};
static const struct ks_schema synonym_schema = { .fields = synonym_fields };

/* values: ascending powers of two. */
static int set_counts(struct ks_ydoc *yd, const struct ks_field *f, yaml_node_t *key,
		      yaml_node_t *val, const char *where, void *obj)
{
	struct ks_zero_colours *z = obj;
	uint64_t x;
	int rc;

	(void)f;
	if (!ks_yaml_count(val))
		return ks_yaml_fail(yd, key, KS_EINVAL, "%s needs at least one count", where);
	if (ks_yaml_count(val) > KS_MAX_ZERO_COLOUR_COUNTS)
		return ks_yaml_fail(yd, val, KS_ERANGE, "%s: at most %d counts", where,
				    KS_MAX_ZERO_COLOUR_COUNTS);
	z->n = ks_yaml_count(val);
	for (unsigned i = 0; i < z->n; i++) {
		yaml_node_t *v = ks_yaml_item(yd, val, i);

		rc = ks_yaml_uint(yd, v, "zero_page_colours", 1, 1024, &x);
		if (!rc && !pow2(x))
			rc = ks_yaml_fail(yd, v, KS_EINVAL, "zero page counts are powers of two, "
					  "got %llu", (unsigned long long)x);
		if (!rc && i && x <= z->counts[i - 1])
			rc = ks_yaml_fail(yd, v, KS_EINVAL, "zero page counts go up, got %llu "
					  "after %u", (unsigned long long)x, z->counts[i - 1]);
		if (rc)
			return rc;
		z->counts[i] = (unsigned)x;
	}
	return 0;
}

static int check_default(struct ks_ydoc *yd, yaml_node_t *map, const char *where, void *obj)
{
	struct ks_zero_colours *z = obj;

	for (unsigned i = 0; i < z->n; i++)
		if (z->counts[i] == z->dflt)
			return 0;
	return ks_yaml_fail(yd, ks_yaml_get(yd, map, "default", NULL), KS_EINVAL,
			    "%s.default %u is not one of its values", where, z->dflt);
}

static const struct ks_field zero_fields[] = {
	KIND_SOURCE,
	{ "values", KS_FT_SEQ, .required = true, .set = set_counts,
	  .doc = "the zero page counts the arch's kernel can have, ascending" },
	{ "default", KS_FT_UINT, KS_AT(struct ks_zero_colours, dflt), .required = true,
	  .umin = 1, .umax = 1024, .doc = "the count a run gets unless its scenario says" },
	{ "ram_pages_per_zero_page", KS_FT_UINT, KS_AT(struct ks_zero_colours, ram_pages_each),
	  .umin = 1, .umax = 1u << 30,
	  .doc = "when the count follows the RAM: the largest count c <= default with RAM "
		 "pages / this >= c (at least the smallest); a scenario with host: gets it" },
	{ NULL }
};
static const struct ks_schema zero_schema = { .fields = zero_fields, .check = check_default };

static int reads_present(struct ks_ydoc *yd, yaml_node_t *map, const char *where, void *obj)
{
	(void)yd;
	(void)map;
	(void)where;
	((struct ks_arch_reads *)obj)->present = true;
	return 0;
}

static const struct ks_field reads_fields[] = {
	{ "page", KS_FT_MAP, KS_AT(struct ks_arch_reads, c.byte_ns), .required = true,
	  .sub = &page_schema, .doc = "a page read, any backing" },
	{ "line_bytes", KS_FT_MAP, KS_AT(struct ks_arch_reads, c.line_bytes),
	  .required = true, .sub = &line_schema, .doc = "the cache line" },
	{ "cache_colours", KS_FT_MAP, KS_AT(struct ks_arch_reads, c.cache_colours),
	  .required = true, .sub = &colour_schema,
	  .doc = "page colours of the virtually indexed cache" },
	{ "synonym", KS_FT_MAP, KS_AT(struct ks_arch_reads, c.synonym_ns), .required = true,
	  .sub = &synonym_schema, .doc = "what a cache synonym adds per line" },
	{ "zero_page_colours", KS_FT_MAP, KS_AT(struct ks_arch_reads, zero), .required = true,
	  .sub = &zero_schema, .doc = "the zero page counts of the arch's kernel" },
	{ NULL }
};
const struct ks_schema ks_arch_reads_schema = { .fields = reads_fields,
						.check = reads_present };
