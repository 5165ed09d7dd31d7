/* schema.h - the one way every YAML file kind (scenario, arch model, zsmalloc model) is
 * read: a table of the keys of each mapping, {key, type, range, required, doc, setter},
 * applied to a mapping node and an object.
 *
 * ks_schema_apply() rejects unknown keys (naming the nearest known one), repeated keys
 * and non-scalar keys, runs the schema's rules() (which keys go together), then walks
 * the table in its order: a missing required key is
 * "missing required key 'K' in WHERE (HINT)", a present one is converted by its type
 * into the member the entry names, or handed to the entry's setter. Last, the schema's
 * check() sees the whole mapping (defaults, cross-key rules). Every message is one line
 * "FILE:LINE:COL: problem" (yaml_util.h).
 *
 * Adding a key to a file kind is one line in its table (and one in its docs/ page):
 *
 *	{ "pages_to_scan", KS_FT_UINT, KS_AT(struct ks_ksm_params, pages_to_scan),
 *	  .umax = UINT32_MAX, .doc = "pages per batch" },
 */
#ifndef KS_SCHEMA_H
#define KS_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "yaml_util.h"

enum ks_field_type {
	KS_FT_STRING,   /* char * (owned; a repeated set frees the old one) */
	KS_FT_UINT,     /* unsigned integer member of 1, 2, 4 or 8 bytes, in [umin, umax] */
	KS_FT_DOUBLE,   /* double in [dmin, dmax], (dmin, dmax] with dmin_open */
	KS_FT_BOOL,     /* bool */
	KS_FT_DURATION, /* ks_time with a unit; "never" (KS_YAML_NEVER) with never_ok */
	KS_FT_SIZE,     /* uint64_t bytes with a unit */
	KS_FT_ENUM,     /* index into names, in an unsigned integer member (or enum) */
	KS_FT_MAP,      /* a mapping: the schema sub, applied to the member's address */
	KS_FT_SEQ,      /* a sequence: the setter converts it */
	KS_FT_SOURCE,   /* non-empty string saying where a number comes from; checked only */
	KS_FT_ANY,      /* any value: the setter converts it, or it is only accepted */
};

struct ks_schema;
struct ks_field;

/* A setter converts one present value itself: obj is the object the schema is applied
 * to (not offset by f->off), where the value's dotted path. 0 or a KS_E* after a
 * located message. */
typedef int (*ks_field_set_fn)(struct ks_ydoc *yd, const struct ks_field *f, yaml_node_t *key,
			       yaml_node_t *val, const char *where, void *obj);

struct ks_field {
	const char *key;               /* the YAML key; NULL ends a table */
	enum ks_field_type type;
	size_t off;                    /* the member's offset in obj (see KS_AT) ... */
	size_t size;                   /* ... and size; 0: checked, not stored */
	bool required;                 /* absent -> "missing required key" */
	bool nonzero;                  /* UINT / DURATION: 0 is refused ("K must be > 0") */
	bool never_ok;                 /* DURATION: "never" allowed */
	bool dmin_open;                /* DOUBLE: dmin itself is refused */
	uint64_t umin, umax;           /* UINT: range (umax 0: the member's largest) */
	double dmin, dmax;             /* DOUBLE: range (both 0: any finite number) */
	const char *const *names;      /* ENUM: NULL-terminated */
	const struct ks_schema *sub;   /* MAP: the mapping's own keys */
	ks_field_set_fn set;           /* converts the value instead of the type */
	const char *label;             /* the value's name in messages (default: the key) */
	const char *hint;              /* appended to the missing-key message, e.g. "e.g. 600s" */
	const char *doc;               /* one line: meaning and unit */
};

/* The member m of struct type T as a field's destination. */
#define KS_AT(T, m) .off = offsetof(T, m), .size = sizeof(((T *)0)->m)

/* Where a number comes from: every cost entry of an arch or zsmalloc model has one. */
#define KS_SOURCE_HINT "every number must say where it comes from"
#define KS_SOURCE_FIELD                                                                   \
	{ "source", KS_FT_SOURCE, .required = true, .hint = KS_SOURCE_HINT,                \
	  .doc = "where the number comes from: measured (command, date), cited, derived" }

/* The fields of a sourced number {value, source, [note]} in [lo, hi], for a schema
 * applied to the double it sets. */
#define KS_SOURCED_VALUE_FIELDS(lo, hi)                                                   \
	KS_SOURCE_FIELD,                                                                   \
	{ "value", KS_FT_DOUBLE, .off = 0, .size = sizeof(double), .required = true,       \
	  .dmin = (lo), .dmax = (hi), .doc = "the number" },                               \
	{ "note", KS_FT_STRING, .doc = "free text" },                                      \
	{ NULL }

/* A hook of a schema: 0 or a KS_E* after a located message. */
typedef int (*ks_schema_hook_fn)(struct ks_ydoc *yd, yaml_node_t *map, const char *where,
				 void *obj);

struct ks_schema {
	const struct ks_field *fields;  /* NULL-key terminated, in conversion order */
	/* optional: runs after every field was converted (defaults, checks across keys) */
	ks_schema_hook_fn check;
	/* optional: runs after the key check, before any value is converted: which keys go
	 * together ("give either size or pages, not both") */
	ks_schema_hook_fn rules;
	/* optional: which variant of a mapping this is, for messages about its keys:
	 * "unknown key 'byte' in X (kind zero)" */
	const char *variant;
};

/* Applies schema s to the mapping node map (located by key when not NULL, e.g. for
 * "expected a mapping for 'ksm', got a scalar"), storing into obj. `where` is the
 * mapping's dotted path ("" at the top, "costs.compare", "processes.0"). 0 or KS_E*. */
int ks_schema_apply(struct ks_ydoc *yd, const struct ks_schema *s, yaml_node_t *key,
		    yaml_node_t *map, const char *where, void *obj);
/* Applies s to item i of the sequence seq (path WHERE.i), storing into obj. */
int ks_schema_apply_item(struct ks_ydoc *yd, const struct ks_schema *s, yaml_node_t *seq,
			 const char *where, unsigned i, void *obj);
/* Loads one YAML document from text (origin names it in messages) and applies s to
 * its root, which must be a mapping ("expected a mapping for 'WHAT', got ..."). For
 * files without `--set` overrides (arch and zsmalloc models). 0 or KS_E* with err. */
int ks_schema_load(const char *text, size_t len, const char *origin, const char *what,
		   const struct ks_schema *s, void *obj, struct ks_err *err);
/* The same for the file at path. */
int ks_schema_load_file(const char *path, const char *what, const struct ks_schema *s,
			void *obj, struct ks_err *err);
/* Converts one value by f's type into obj (as ks_schema_apply does for a present key). */
int ks_schema_convert(struct ks_ydoc *yd, const struct ks_field *f, yaml_node_t *key,
		      yaml_node_t *val, const char *where, void *obj);
/* Dotted path of a child: "ksm", "processes.0.regions"; cut to len (messages only). */
void ks_schema_path(char *buf, size_t len, const char *where, const char *key);
/* Dotted path of a sequence item: "processes.0". */
void ks_schema_item_path(char *buf, size_t len, const char *where, unsigned i);

#endif
