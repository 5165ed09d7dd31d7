/* yaml_util.h - shared helpers of the YAML loaders (scenario, arch model): load one libyaml
 * document, apply `--set a.b.c=value` overrides, walk nodes and parse scalars with units.
 * Every message is one line "FILE:LINE:COL: problem" (or "--set ARG: problem"). */
#ifndef KS_YAML_UTIL_H
#define KS_YAML_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <yaml.h>

#include "models/base/simtime.h"
#include "models/base/status.h"
#include "units.h"


/* A loaded document plus what locates messages about its nodes. */
struct ks_ydoc {
	yaml_document_t doc;      /* the document, valid while `loaded` */
	bool loaded;              /* doc holds nodes to delete */
	const char *origin;       /* file name in messages (not owned) */
	const char **node_set;    /* per node id - 1: --set argument that made it, or NULL */
	size_t nnode_set;         /* entries of node_set */
	struct ks_err *err;       /* receives every message (may be NULL) */
};

/* Loading, overrides, output */
/* Limits on every YAML input (scenario, arch and zsmalloc models, --set): its size in
 * bytes, and how deeply mappings and sequences nest. */
#define KS_YAML_MAX_BYTES (4u << 20)
#define KS_YAML_MAX_DEPTH 64u

/* Reads a whole file, NUL-terminated (*text owned by caller). 0, KS_ENOENT or KS_EIO. */
int ks_yaml_read_file(const char *path, char **text, size_t *len, struct ks_err *err);
/* Parses exactly one document; messages go to err from now on. 0 or KS_EPARSE. */
int ks_yaml_load(struct ks_ydoc *yd, const char *text, size_t len, const char *origin,
		 struct ks_err *err);
/* Deletes the document; safe after a failed load and after ks_yaml_emit. */
void ks_yaml_fini(struct ks_ydoc *yd);
/* Applies "a.b.c=value" (elements: keys, list indexes or item names) to the scalar at that
 * path, adding missing mapping keys. `arg` must outlive yd. 0 or KS_EINVAL. */
int ks_yaml_set(struct ks_ydoc *yd, const char *arg);
/* Emits the document as YAML (*out owned by caller) and deletes it. 0 or KS_EIO. */
int ks_yaml_emit(struct ks_ydoc *yd, char **out);

/* Walking nodes; `where` is a dotted path such as "ksm" or "processes.0" ("" = top) */
/* Root node, or NULL for an empty document. Never fails. */
yaml_node_t *ks_yaml_root(struct ks_ydoc *yd);
/* Fills yd->err with "LOCATION(at): message"; returns code. */
/* Where a node is, as messages name it: "FILE:LINE:COL" or "--set ARG". Returns buf. */
const char *ks_yaml_where(struct ks_ydoc *yd, const yaml_node_t *at, char *buf, size_t len);
int ks_yaml_fail(struct ks_ydoc *yd, const yaml_node_t *at, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* True for a plain empty, "~" or "null" scalar (a key written without a value). */
bool ks_yaml_is_null(const yaml_node_t *n);
/* 0 if node has `type`, else KS_EINVAL "expected a mapping for 'WHAT', got a scalar",
 * located at key (when not NULL) or node. */
int ks_yaml_expect(struct ks_ydoc *yd, const yaml_node_t *key, const yaml_node_t *node,
		   yaml_node_type_t type, const char *what);
/* Rejects non-scalar, unknown (with a "did you mean" suggestion) and repeated keys of a
 * mapping; known is NULL-terminated. 0 or KS_EINVAL. */
int ks_yaml_check_keys(struct ks_ydoc *yd, const yaml_node_t *map, const char *const *known,
		       const char *where);
/* Value of key in map (first one), or NULL; *keyp (if not NULL) gets the key node. */
yaml_node_t *ks_yaml_get(struct ks_ydoc *yd, const yaml_node_t *map, const char *key,
			 yaml_node_t **keyp);
/* *out = the mapping/sequence at key, NULL if absent or null. 0 or KS_EINVAL (wrong type). */
int ks_yaml_get_mapping(struct ks_ydoc *yd, const yaml_node_t *map, const char *key,
			const char *where, yaml_node_t **out);
int ks_yaml_get_sequence(struct ks_ydoc *yd, const yaml_node_t *map, const char *key,
			 const char *where, yaml_node_t **out);
/* Items of a sequence: count, and item i (NULL if out of range). Never fail. */
unsigned ks_yaml_count(const yaml_node_t *seq);
yaml_node_t *ks_yaml_item(struct ks_ydoc *yd, const yaml_node_t *seq, unsigned i);

/* Scalars of node n; `key` names the value in messages. 0 or KS_EINVAL/KS_ERANGE */
int ks_yaml_uint(struct ks_ydoc *yd, const yaml_node_t *n, const char *key, uint64_t min,
		 uint64_t max, uint64_t *out);                /* decimal or 0x hex */
int ks_yaml_double(struct ks_ydoc *yd, const yaml_node_t *n, const char *key, double min,
		   bool min_open, double max, double *out);   /* [min or (min, max] */
int ks_yaml_bool(struct ks_ydoc *yd, const yaml_node_t *n, const char *key, bool *out);
int ks_yaml_duration(struct ks_ydoc *yd, const yaml_node_t *n, const char *key,
		     bool never_ok, ks_time *out);            /* unit required; never */
int ks_yaml_size(struct ks_ydoc *yd, const yaml_node_t *n, const char *key,
		 uint64_t *out);                              /* bytes, unit required */
int ks_yaml_string(struct ks_ydoc *yd, const yaml_node_t *n, const char *key, char **out);
int ks_yaml_enum(struct ks_ydoc *yd, const yaml_node_t *n, const char *key,
		 const char *const *names, unsigned *out);   /* index into names */
/* The same for the value of `key` in map: an absent key leaves *out unchanged. */
int ks_yaml_get_uint(struct ks_ydoc *yd, const yaml_node_t *map, const char *key,
		     uint64_t min, uint64_t max, uint64_t *out);
int ks_yaml_get_unsigned(struct ks_ydoc *yd, const yaml_node_t *map, const char *key,
			 unsigned min, unsigned max, unsigned *out);
int ks_yaml_get_bool(struct ks_ydoc *yd, const yaml_node_t *map, const char *key, bool *out);
int ks_yaml_get_duration(struct ks_ydoc *yd, const yaml_node_t *map, const char *key,
			 bool never_ok, ks_time *out);
int ks_yaml_get_string(struct ks_ydoc *yd, const yaml_node_t *map, const char *key,
		       char **out);                          /* replaces (frees) *out */

#endif
