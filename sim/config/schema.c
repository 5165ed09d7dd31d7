/* schema.c - table-driven conversion of YAML mappings (schema.h).
 *
 * One pass per mapping: the keys are checked against the table (unknown, repeated),
 * then every entry of the table is looked up in table order, so that a file with
 * several problems always gets the same first message, and a key may depend on one
 * converted before it (a scenario's ksm_changes on its duration). The scalar
 * conversions and their messages are yaml_util.c's; this file adds the walk, the
 * stores into members of any unsigned size, and the missing-key message.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema.h"
#include "models/base/xalloc.h"

void ks_schema_path(char *buf, size_t len, const char *where, const char *key)
{
	if (snprintf(buf, len, "%s%s%s", where, *where ? "." : "", key) >= (int)len)
		buf[len - 1] = '\0';
}

void ks_schema_item_path(char *buf, size_t len, const char *where, unsigned i)
{
	if (snprintf(buf, len, "%s.%u", where, i) >= (int)len)
		buf[len - 1] = '\0';
}

/* The value's name in messages. */
static const char *label(const struct ks_field *f)
{
	return f->label ? f->label : f->key;
}

static void *member(const struct ks_field *f, void *obj)
{
	return (char *)obj + f->off;
}

/* Largest value an unsigned member of `size` bytes holds. */
static uint64_t size_max(size_t size)
{
	return size >= 8 ? UINT64_MAX : (1ULL << (8 * size)) - 1;
}

static void store_uint(const struct ks_field *f, void *obj, uint64_t v)
{
	void *m = member(f, obj);

	switch (f->size) {
	case 1: *(uint8_t *)m = (uint8_t)v; break;
	case 2: *(uint16_t *)m = (uint16_t)v; break;
	case 4: *(uint32_t *)m = (uint32_t)v; break;
	case 8: *(uint64_t *)m = v; break;
	default: abort(); /* a table entry of another size is a programming error */
	}
}

static int conv_uint(struct ks_ydoc *yd, const struct ks_field *f, yaml_node_t *val,
		     void *obj)
{
	uint64_t max = f->umax ? f->umax : size_max(f->size ? f->size : 8), v;
	int rc = ks_yaml_uint(yd, val, label(f), f->umin, max, &v);

	if (!rc && f->nonzero && v == 0)
		rc = ks_yaml_fail(yd, val, KS_EINVAL, "%s must be > 0", label(f));
	if (!rc && f->size)
		store_uint(f, obj, v);
	return rc;
}

static int conv_double(struct ks_ydoc *yd, const struct ks_field *f, yaml_node_t *val,
		       void *obj)
{
	bool any = f->dmin == 0 && f->dmax == 0 && !f->dmin_open;
	double v;
	int rc = ks_yaml_double(yd, val, label(f), any ? -INFINITY : f->dmin, f->dmin_open,
				any ? INFINITY : f->dmax, &v);

	if (!rc && f->size)
		*(double *)member(f, obj) = v;
	return rc;
}

static int conv_duration(struct ks_ydoc *yd, const struct ks_field *f, yaml_node_t *val,
			 void *obj)
{
	ks_time t;
	int rc = ks_yaml_duration(yd, val, label(f), f->never_ok, &t);

	if (!rc && f->nonzero && t == 0)
		rc = ks_yaml_fail(yd, val, KS_EINVAL, "%s must be > 0%s", label(f),
				  f->never_ok ? " (or never)" : "");
	if (!rc && f->size)
		*(ks_time *)member(f, obj) = t;
	return rc;
}

static int conv_source(struct ks_ydoc *yd, yaml_node_t *val, const char *where)
{
	if (val->type != YAML_SCALAR_NODE || val->data.scalar.length == 0 ||
	    ks_yaml_is_null(val))
		return ks_yaml_fail(yd, val, KS_EINVAL, "%s must be a non-empty string (where "
				    "the number comes from)", where);
	return 0;
}

/* A scalar-typed value by its type. */
static int conv_scalar(struct ks_ydoc *yd, const struct ks_field *f, yaml_node_t *val,
		       const char *where, void *obj)
{
	uint64_t bytes;
	unsigned idx;
	bool b;
	int rc;

	switch (f->type) {
	case KS_FT_STRING:
		if (!f->size) {
			char *s = NULL;

			rc = ks_yaml_string(yd, val, label(f), &s);
			free(s);
			return rc;
		}
		return ks_yaml_string(yd, val, label(f), (char **)member(f, obj));
	case KS_FT_UINT:
		return conv_uint(yd, f, val, obj);
	case KS_FT_DOUBLE:
		return conv_double(yd, f, val, obj);
	case KS_FT_BOOL:
		rc = ks_yaml_bool(yd, val, label(f), &b);
		if (!rc && f->size)
			*(bool *)member(f, obj) = b;
		return rc;
	case KS_FT_DURATION:
		return conv_duration(yd, f, val, obj);
	case KS_FT_SIZE:
		rc = ks_yaml_size(yd, val, label(f), &bytes);
		if (!rc && f->size)
			*(uint64_t *)member(f, obj) = bytes;
		return rc;
	case KS_FT_ENUM:
		rc = ks_yaml_enum(yd, val, label(f), f->names, &idx);
		if (!rc && f->size)
			store_uint(f, obj, idx);
		return rc;
	case KS_FT_SOURCE:
		return conv_source(yd, val, where);
	default:
		return 0;
	}
}

int ks_schema_convert(struct ks_ydoc *yd, const struct ks_field *f, yaml_node_t *key,
		      yaml_node_t *val, const char *where, void *obj)
{
	int rc;

	if (f->type == KS_FT_MAP || f->type == KS_FT_SEQ) {
		rc = ks_yaml_expect(yd, key, val, f->type == KS_FT_MAP ? YAML_MAPPING_NODE :
				    YAML_SEQUENCE_NODE, where);
		if (rc)
			return rc;
	}
	if (f->set)
		return f->set(yd, f, key, val, where, obj);
	if (f->type == KS_FT_MAP)
		return ks_schema_apply(yd, f->sub, key, val, where, member(f, obj));
	return conv_scalar(yd, f, val, where, obj);
}

static int check_keys(struct ks_ydoc *yd, const struct ks_schema *s, yaml_node_t *map,
		      const char *where)
{
	const char **known;
	char variant[400];
	unsigned n = 0;
	int rc;

	if (s->variant) {
		snprintf(variant, sizeof(variant), "%s (%s)", where, s->variant);
		where = variant;
	}

	while (s->fields[n].key)
		n++;
	known = ks_xcalloc(n + 1, sizeof(*known));
	for (unsigned i = 0; i < n; i++)
		known[i] = s->fields[i].key;
	rc = ks_yaml_check_keys(yd, map, known, where);
	free(known);
	return rc;
}

static int missing(struct ks_ydoc *yd, const struct ks_field *f, yaml_node_t *map,
		   const char *where)
{
	return ks_yaml_fail(yd, map, KS_EINVAL, "missing required key '%s'%s%s%s%s%s", f->key,
			    *where ? " in " : "", where, f->hint ? " (" : "",
			    f->hint ? f->hint : "", f->hint ? ")" : "");
}

int ks_schema_apply(struct ks_ydoc *yd, const struct ks_schema *s, yaml_node_t *key,
		    yaml_node_t *map, const char *where, void *obj)
{
	int rc = ks_yaml_expect(yd, key, map, YAML_MAPPING_NODE, *where ? where : "the document");

	if (!rc)
		rc = check_keys(yd, s, map, where);
	if (!rc && s->rules)
		rc = s->rules(yd, map, where, obj);
	for (const struct ks_field *f = s->fields; !rc && f->key; f++) {
		yaml_node_t *k = NULL, *v = ks_yaml_get(yd, map, f->key, &k);
		char path[300];

		if (v && (f->type == KS_FT_MAP || f->type == KS_FT_SEQ) && ks_yaml_is_null(v))
			v = NULL; /* "ksm:" with nothing after it: as if absent */
		if (!v) {
			if (f->required)
				rc = missing(yd, f, map, where);
			continue;
		}
		ks_schema_path(path, sizeof(path), where, f->key);
		rc = ks_schema_convert(yd, f, k, v, path, obj);
	}
	if (!rc && s->check)
		rc = s->check(yd, map, where, obj);
	return rc;
}

int ks_schema_apply_item(struct ks_ydoc *yd, const struct ks_schema *s, yaml_node_t *seq,
			 const char *where, unsigned i, void *obj)
{
	char path[300];

	ks_schema_item_path(path, sizeof(path), where, i);
	return ks_schema_apply(yd, s, NULL, ks_yaml_item(yd, seq, i), path, obj);
}

int ks_schema_load(const char *text, size_t len, const char *origin, const char *what,
		   const struct ks_schema *s, void *obj, struct ks_err *err)
{
	struct ks_ydoc yd = { 0 };
	yaml_node_t *root;
	int rc = ks_yaml_load(&yd, text, len, origin, err);

	root = rc ? NULL : ks_yaml_root(&yd);
	if (!rc)
		rc = ks_yaml_expect(&yd, NULL, root, YAML_MAPPING_NODE, what);
	if (!rc)
		rc = ks_schema_apply(&yd, s, NULL, root, "", obj);
	ks_yaml_fini(&yd);
	return rc;
}

int ks_schema_load_file(const char *path, const char *what, const struct ks_schema *s,
			void *obj, struct ks_err *err)
{
	char *text = NULL;
	size_t len;
	int rc = ks_yaml_read_file(path, &text, &len, err);

	if (rc)
		return rc;
	rc = ks_schema_load(text, len, path, what, s, obj, err);
	free(text);
	return rc;
}
