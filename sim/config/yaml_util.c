/* yaml_util.c - shared helpers of the YAML loaders.
 *
 * A loader reads the file, loads one document with yaml_parser_load(), applies the
 * `--set` overrides to the node graph (new scalar nodes, new mapping pairs), converts the
 * nodes into plain structs with the helpers below, and deletes the document. Messages
 * are located with libyaml's 0-based marks printed 1-based; a node made by an override
 * has no place in the file, so messages about it name the --set argument instead. The
 * table yd->node_set remembers which nodes an override made.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "yaml_util.h"
#include "models/base/xalloc.h"

/* ---- loading, overrides, output ------------------------------------------------ */

int ks_yaml_read_file(const char *path, char **text, size_t *len, struct ks_err *err)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 4096, n = 0;
	char *buf;

	if (!f)
		return ks_err_set(err, errno == ENOENT ? KS_ENOENT : KS_EIO,
				  "%s: cannot open: %s", path, strerror(errno));
	buf = ks_xmalloc(cap);
	for (;;) {
		size_t got = fread(buf + n, 1, cap - n - 1, f);

		n += got;
		if (n + 1 < cap)
			break;
		if (n > KS_YAML_MAX_BYTES) {
			fclose(f);
			free(buf);
			return ks_err_set(err, KS_EINVAL, "%s: more than %u bytes: too large for "
					  "a YAML input", path, KS_YAML_MAX_BYTES);
		}
		cap *= 2;
		buf = ks_xrealloc(buf, cap);
	}
	if (ferror(f)) {
		int e = errno;

		fclose(f);
		free(buf);
		return ks_err_set(err, KS_EIO, "%s: cannot read: %s", path, strerror(e));
	}
	fclose(f);
	buf[n] = '\0';
	*text = buf;
	if (len)
		*len = n;
	return 0;
}

static int parser_fail(yaml_parser_t *p, const char *origin, struct ks_err *err)
{
	if (p->error == YAML_MEMORY_ERROR)
		return ks_err_set(err, KS_ENOMEM, "%s: out of memory while parsing", origin);
	if (p->error == YAML_READER_ERROR)
		return ks_err_set(err, KS_EPARSE, "%s: byte %zu: YAML syntax error: %s", origin,
				  p->problem_offset, p->problem ? p->problem : "unreadable");
	return ks_err_set(err, KS_EPARSE, "%s:%zu:%zu: YAML syntax error: %s", origin,
			  p->problem_mark.line + 1, p->problem_mark.column + 1,
			  p->problem ? p->problem : "malformed");
}

/* Refuses nesting deeper than KS_YAML_MAX_DEPTH before the document is built: libyaml
 * takes time quadratic in the depth (40 000 levels: ~20 s), and no input of ours nests
 * beyond ten. One pass over the parser's events, stopped at the first one too deep. */
static int check_depth(const char *text, size_t len, const char *origin, struct ks_err *err)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	unsigned depth = 0;
	int rc = 0;

	if (!yaml_parser_initialize(&parser))
		return ks_err_set(err, KS_ENOMEM, "%s: out of memory", origin);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	for (;;) {
		if (!yaml_parser_parse(&parser, &ev)) {
			rc = 0; /* the loader reports syntax errors, with their place */
			break;
		}
		if (ev.type == YAML_MAPPING_START_EVENT || ev.type == YAML_SEQUENCE_START_EVENT) {
			if (++depth > KS_YAML_MAX_DEPTH) {
				rc = ks_err_set(err, KS_EINVAL, "%s:%zu:%zu: nested more than %u "
						"levels deep", origin, ev.start_mark.line + 1,
						ev.start_mark.column + 1, KS_YAML_MAX_DEPTH);
				yaml_event_delete(&ev);
				break;
			}
		} else if (ev.type == YAML_MAPPING_END_EVENT ||
			   ev.type == YAML_SEQUENCE_END_EVENT) {
			depth--;
		}
		if (ev.type == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	return rc;
}

int ks_yaml_load(struct ks_ydoc *yd, const char *text, size_t len, const char *origin,
		 struct ks_err *err)
{
	yaml_parser_t parser;
	yaml_document_t extra;
	yaml_node_t *root2;
	int rc = 0;

	memset(yd, 0, sizeof(*yd));
	yd->origin = origin;
	yd->err = err;
	if (len > KS_YAML_MAX_BYTES)
		return ks_err_set(err, KS_EINVAL, "%s: more than %u bytes: too large for a YAML "
				  "input", origin, KS_YAML_MAX_BYTES);
	rc = check_depth(text, len, origin, err);
	if (rc)
		return rc;
	if (!yaml_parser_initialize(&parser))
		return ks_err_set(err, KS_ENOMEM, "%s: out of memory", origin);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &yd->doc)) {
		rc = parser_fail(&parser, origin, err);
		goto out_delete_parser;
	}
	yd->loaded = true;
	if (!yaml_document_get_root_node(&yd->doc)) {
		rc = ks_err_set(err, KS_EPARSE, "%s: the document is empty", origin);
		goto out_delete_parser;
	}
	/* A second document in the same file is a mistake, not something to ignore. */
	if (!yaml_parser_load(&parser, &extra)) {
		rc = parser_fail(&parser, origin, err);
		goto out_delete_parser;
	}
	root2 = yaml_document_get_root_node(&extra);
	if (root2)
		rc = ks_err_set(err, KS_EPARSE, "%s:%zu:%zu: only one YAML document is allowed",
				origin, root2->start_mark.line + 1, root2->start_mark.column + 1);
	yaml_document_delete(&extra);
out_delete_parser:
	yaml_parser_delete(&parser);
	if (rc)
		ks_yaml_fini(yd);
	return rc;
}

void ks_yaml_fini(struct ks_ydoc *yd)
{
	if (yd->loaded)
		yaml_document_delete(&yd->doc);
	yd->loaded = false;
	free(yd->node_set);
	yd->node_set = NULL;
	yd->nnode_set = 0;
}

static size_t node_count(const struct ks_ydoc *yd)
{
	return (size_t)(yd->doc.nodes.top - yd->doc.nodes.start);
}

/* Records that nodes with ids above `before` were made by override `arg`. */
static void tag_new_nodes(struct ks_ydoc *yd, size_t before, const char *arg)
{
	size_t n = node_count(yd);

	if (n > yd->nnode_set) {
		yd->node_set = ks_xrealloc(yd->node_set, n * sizeof(*yd->node_set));
		for (size_t i = yd->nnode_set; i < n; i++)
			yd->node_set[i] = NULL;
		yd->nnode_set = n;
	}
	for (size_t i = before; i < n; i++)
		yd->node_set[i] = arg;
}

static const char *set_of(const struct ks_ydoc *yd, const yaml_node_t *n)
{
	size_t i;

	if (!n || !yd->loaded || n < yd->doc.nodes.start || n >= yd->doc.nodes.top)
		return NULL;
	i = (size_t)(n - yd->doc.nodes.start);
	return i < yd->nnode_set ? yd->node_set[i] : NULL;
}

static bool is_index(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* Item of a sequence selected by index or by the `name:` of mapping items; 0 if none. */
static int seq_select(struct ks_ydoc *yd, yaml_node_t *seq, const char *elem)
{
	unsigned n = ks_yaml_count(seq);

	if (is_index(elem)) {
		unsigned long i = strtoul(elem, NULL, 10);

		return i < n ? seq->data.sequence.items.start[i] : 0;
	}
	for (unsigned i = 0; i < n; i++) {
		yaml_node_t *item = ks_yaml_item(yd, seq, i);
		yaml_node_t *name;

		if (item->type != YAML_MAPPING_NODE)
			continue;
		name = ks_yaml_get(yd, item, "name", NULL);
		if (name && name->type == YAML_SCALAR_NODE &&
		    strcmp((const char *)name->data.scalar.value, elem) == 0)
			return seq->data.sequence.items.start[i];
	}
	return 0;
}

static int add_scalar(struct ks_ydoc *yd, const char *value)
{
	int id = yaml_document_add_scalar(&yd->doc, NULL, (const yaml_char_t *)value,
					  (int)strlen(value), YAML_ANY_SCALAR_STYLE);

	if (!id)
		abort(); /* libyaml only fails on out of memory */
	return id;
}

/* Walks one element further: *id is a mapping or sequence node; `last` says whether elem
 * is the final element (whose value becomes the scalar `value`). */
static int set_step(struct ks_ydoc *yd, const char *arg, const char *seen, int *id,
		    const char *elem, bool last, const char *value)
{
	yaml_node_t *node = yaml_document_get_node(&yd->doc, *id);
	yaml_node_pair_t *pair;
	int key, val;

	if (node->type == YAML_SEQUENCE_NODE) {
		yaml_node_item_t *items = node->data.sequence.items.start;
		unsigned n = ks_yaml_count(node);
		int item = seq_select(yd, node, elem);

		if (!item && is_index(elem))
			return ks_err_set(yd->err, KS_EINVAL, "--set %s: no item %s in %s (it has %u)",
					  arg, elem, seen, n);
		if (!item)
			return ks_err_set(yd->err, KS_EINVAL, "--set %s: no item named '%s' in %s",
					  arg, elem, seen);
		if (last) {
			unsigned i;

			for (i = 0; items[i] != item; i++)
				;
			/* add_scalar() may move the node table, not the items array. */
			items[i] = add_scalar(yd, value);
		}
		*id = item;
		return 0;
	}
	if (node->type != YAML_MAPPING_NODE)
		return ks_err_set(yd->err, KS_EINVAL, "--set %s: '%s' is a scalar, it has no '%s'",
				  arg, seen, elem);
	for (pair = node->data.mapping.pairs.start; pair < node->data.mapping.pairs.top; pair++) {
		yaml_node_t *k = yaml_document_get_node(&yd->doc, pair->key);

		if (k->type == YAML_SCALAR_NODE &&
		    strcmp((const char *)k->data.scalar.value, elem) == 0)
			break;
	}
	if (pair < node->data.mapping.pairs.top) {
		if (last)
			pair->value = add_scalar(yd, value);
		else if (ks_yaml_is_null(yaml_document_get_node(&yd->doc, pair->value)))
			pair->value = yaml_document_add_mapping(&yd->doc, NULL,
								YAML_ANY_MAPPING_STYLE);
		*id = pair->value;
		return 0;
	}
	/* Absent key: add it; the loader rejects it later if it is not a legal key. */
	key = add_scalar(yd, elem);
	val = last ? add_scalar(yd, value)
		   : yaml_document_add_mapping(&yd->doc, NULL, YAML_ANY_MAPPING_STYLE);
	if (!key || !val || !yaml_document_append_mapping_pair(&yd->doc, *id, key, val))
		abort();
	*id = val;
	return 0;
}

int ks_yaml_set(struct ks_ydoc *yd, const char *arg)
{
	const char *eq = strchr(arg, '=');
	size_t before = node_count(yd);
	char *path, *elem, *save = NULL, *seen;
	int id, rc = 0;

	if (ks_str_utf8_bad(arg) != SIZE_MAX) /* libyaml holds UTF-8 only */
		return ks_err_set(yd->err, KS_EINVAL, "--set %s: not valid UTF-8 (byte %zu)", arg,
				  ks_str_utf8_bad(arg) + 1);
	if (!eq)
		return ks_err_set(yd->err, KS_EINVAL,
				  "--set %s: expected KEY=VALUE (e.g. ksm.pages_to_scan=200)", arg);
	if (eq == arg)
		return ks_err_set(yd->err, KS_EINVAL, "--set %s: empty key before '='", arg);
	id = yd->loaded && ks_yaml_root(yd) ? 1 : 0;
	if (!id || yaml_document_get_node(&yd->doc, id)->type != YAML_MAPPING_NODE)
		return ks_err_set(yd->err, KS_EINVAL, "--set %s: the document is not a mapping", arg);
	path = ks_xmalloc((size_t)(eq - arg) + 1);
	memcpy(path, arg, (size_t)(eq - arg));
	path[eq - arg] = '\0';
	seen = ks_xcalloc(1, (size_t)(eq - arg) + 1);
	for (const char *p = path; *p; p++)
		if (*p == '.' && (p == path || p[1] == '.' || p[1] == '\0')) {
			rc = ks_err_set(yd->err, KS_EINVAL, "--set %s: empty element in key '%s'",
					arg, path);
			goto out_free;
		}
	for (elem = strtok_r(path, ".", &save); elem; elem = strtok_r(NULL, ".", &save)) {
		bool last = save == NULL || *save == '\0';

		rc = set_step(yd, arg, *seen ? seen : "the document", &id, elem, last, eq + 1);
		if (rc)
			goto out_free;
		if (*seen)
			strcat(seen, ".");
		strcat(seen, elem);
	}
out_free:
	tag_new_nodes(yd, before, arg);
	free(seen);
	free(path);
	return rc;
}

struct emit_buf {
	char *p;     /* text (NUL-terminated) */
	size_t len;  /* bytes used */
	size_t cap;  /* bytes allocated */
};

static int emit_write(void *data, unsigned char *buffer, size_t size)
{
	struct emit_buf *b = data;

	if (b->len + size + 1 > b->cap) {
		b->cap = (b->len + size + 1) * 2;
		b->p = ks_xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->len, buffer, size);
	b->len += size;
	b->p[b->len] = '\0';
	return 1;
}

int ks_yaml_emit(struct ks_ydoc *yd, char **out)
{
	yaml_emitter_t em;
	struct emit_buf b = { NULL, 0, 0 };
	int ok;

	if (!yaml_emitter_initialize(&em))
		abort();
	yaml_emitter_set_output(&em, emit_write, &b);
	yaml_emitter_set_unicode(&em, 1);
	yaml_emitter_set_width(&em, -1);
	ok = yaml_emitter_open(&em);
	/* yaml_emitter_dump() deletes the document whether it succeeds or not. */
	if (ok)
		ok = yaml_emitter_dump(&em, &yd->doc);
	else
		yaml_document_delete(&yd->doc);
	yd->loaded = false;
	if (ok)
		ok = yaml_emitter_close(&em);
	if (!ok) {
		int rc = ks_err_set(yd->err, KS_EIO, "%s: cannot write YAML: %s", yd->origin,
				    em.problem ? em.problem : "emitter error");

		yaml_emitter_delete(&em);
		free(b.p);
		return rc;
	}
	yaml_emitter_delete(&em);
	*out = b.p ? b.p : ks_xstrdup("");
	return 0;
}

/* ---- walking nodes -------------------------------------------------------------- */

yaml_node_t *ks_yaml_root(struct ks_ydoc *yd)
{
	return yd->loaded ? yaml_document_get_root_node(&yd->doc) : NULL;
}

const char *ks_yaml_where(struct ks_ydoc *yd, const yaml_node_t *at, char *buf, size_t len)
{
	const char *set = set_of(yd, at);

	if (set)
		snprintf(buf, len, "--set %s", set);
	else if (at)
		snprintf(buf, len, "%s:%zu:%zu", yd->origin, at->start_mark.line + 1,
			 at->start_mark.column + 1);
	else
		snprintf(buf, len, "%s", yd->origin);
	return buf;
}

int ks_yaml_fail(struct ks_ydoc *yd, const yaml_node_t *at, int code, const char *fmt, ...)
{
	char where[512], what[768];
	va_list ap;

	ks_yaml_where(yd, at, where, sizeof(where));
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return ks_err_set(yd->err, code, "%s: %s", where, what);
}

bool ks_yaml_is_null(const yaml_node_t *n)
{
	const char *v;

	if (!n || n->type != YAML_SCALAR_NODE)
		return false;
	if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE &&
	    n->data.scalar.style != YAML_ANY_SCALAR_STYLE)
		return false;
	v = (const char *)n->data.scalar.value;
	return !*v || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") ||
	       !strcmp(v, "NULL");
}

static const char *type_name(yaml_node_type_t t)
{
	switch (t) {
	case YAML_SCALAR_NODE: return "a scalar";
	case YAML_SEQUENCE_NODE: return "a sequence";
	case YAML_MAPPING_NODE: return "a mapping";
	default: return "nothing";
	}
}

int ks_yaml_expect(struct ks_ydoc *yd, const yaml_node_t *key, const yaml_node_t *node,
		   yaml_node_type_t type, const char *what)
{
	const yaml_node_t *at = key && !set_of(yd, node) ? key : node;

	if (node->type == type)
		return 0;
	return ks_yaml_fail(yd, at, KS_EINVAL, "expected %s for '%s', got %s", type_name(type),
			    what, ks_yaml_is_null(node) ? "nothing" : type_name(node->type));
}

int ks_yaml_check_keys(struct ks_ydoc *yd, const yaml_node_t *map, const char *const *known,
		       const char *where)
{
	const yaml_node_pair_t *p, *q;

	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(&yd->doc, p->key);
		const char *name, *hint;
		unsigned i;

		if (k->type != YAML_SCALAR_NODE)
			return ks_yaml_fail(yd, k, KS_EINVAL, "expected a key name%s%s, got %s",
					    *where ? " in " : "", where, type_name(k->type));
		name = (const char *)k->data.scalar.value;
		for (i = 0; known[i] && strcmp(known[i], name); i++)
			;
		if (!known[i]) {
			hint = ks_suggest(name, known);
			return ks_yaml_fail(yd, k, KS_EINVAL, "unknown key '%s' %s%s%s%s%s", name,
					    *where ? "in " : "at top level", where,
					    hint ? " (did you mean '" : "", hint ? hint : "",
					    hint ? "'?)" : "");
		}
		for (q = map->data.mapping.pairs.start; q < p; q++) {
			yaml_node_t *k0 = yaml_document_get_node(&yd->doc, q->key);

			if (k0->type == YAML_SCALAR_NODE &&
			    !strcmp((const char *)k0->data.scalar.value, name))
				return ks_yaml_fail(yd, k, KS_EINVAL,
						    "duplicate key '%s'%s%s (first at line %zu)", name,
						    *where ? " in " : "", where,
						    k0->start_mark.line + 1);
		}
	}
	return 0;
}

yaml_node_t *ks_yaml_get(struct ks_ydoc *yd, const yaml_node_t *map, const char *key,
			 yaml_node_t **keyp)
{
	const yaml_node_pair_t *p;

	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(&yd->doc, p->key);

		if (k->type == YAML_SCALAR_NODE && !strcmp((const char *)k->data.scalar.value, key)) {
			if (keyp)
				*keyp = k;
			return yaml_document_get_node(&yd->doc, p->value);
		}
	}
	return NULL;
}

static int get_container(struct ks_ydoc *yd, const yaml_node_t *map, const char *key,
			 const char *where, yaml_node_type_t type, yaml_node_t **out)
{
	yaml_node_t *k = NULL, *v = ks_yaml_get(yd, map, key, &k);
	char what[256];
	int rc;

	*out = NULL;
	if (!v || ks_yaml_is_null(v))
		return 0;
	snprintf(what, sizeof(what), "%s%s%s", where, *where ? "." : "", key);
	rc = ks_yaml_expect(yd, k, v, type, what);
	if (rc)
		return rc;
	*out = v;
	return 0;
}

int ks_yaml_get_mapping(struct ks_ydoc *yd, const yaml_node_t *map, const char *key,
			const char *where, yaml_node_t **out)
{
	return get_container(yd, map, key, where, YAML_MAPPING_NODE, out);
}

int ks_yaml_get_sequence(struct ks_ydoc *yd, const yaml_node_t *map, const char *key,
			 const char *where, yaml_node_t **out)
{
	return get_container(yd, map, key, where, YAML_SEQUENCE_NODE, out);
}

unsigned ks_yaml_count(const yaml_node_t *seq)
{
	return (unsigned)(seq->data.sequence.items.top - seq->data.sequence.items.start);
}

yaml_node_t *ks_yaml_item(struct ks_ydoc *yd, const yaml_node_t *seq, unsigned i)
{
	if (i >= ks_yaml_count(seq))
		return NULL;
	return yaml_document_get_node(&yd->doc, seq->data.sequence.items.start[i]);
}

/* ---- scalars -------------------------------------------------------------------- */

/* The scalar text of n, or NULL after a message when n is not a scalar with a value. */
static const char *scalar(struct ks_ydoc *yd, const yaml_node_t *n, const char *key)
{
	if (n->type != YAML_SCALAR_NODE) {
		ks_yaml_fail(yd, n, KS_EINVAL, "expected a value for '%s', got %s", key,
			     type_name(n->type));
		return NULL;
	}
	if (ks_yaml_is_null(n)) {
		ks_yaml_fail(yd, n, KS_EINVAL, "'%s' needs a value", key);
		return NULL;
	}
	return (const char *)n->data.scalar.value;
}

/* Phrase "must be between 1 and 100" for a bounded range, else "must be >= 2" (value too
 * small) or "must be <= N" (too large). */
static void range_phrase(char *buf, size_t len, uint64_t min, uint64_t max, bool too_small)
{
	if (max < INT32_MAX)
		snprintf(buf, len, "must be between %llu and %llu", (unsigned long long)min,
			 (unsigned long long)max);
	else if (too_small)
		snprintf(buf, len, "must be >= %llu", (unsigned long long)min);
	else
		snprintf(buf, len, "must be <= %llu", (unsigned long long)max);
}

int ks_yaml_uint(struct ks_ydoc *yd, const yaml_node_t *n, const char *key, uint64_t min,
		 uint64_t max, uint64_t *out)
{
	const char *s = scalar(yd, n, key), *digits;
	unsigned long long v;
	char phrase[96], *end;
	int base = 10;

	if (!s)
		return KS_EINVAL;
	if (*s == '-' && s[1] >= '0' && s[1] <= '9') {
		range_phrase(phrase, sizeof(phrase), min, max, true);
		return ks_yaml_fail(yd, n, KS_ERANGE, "%s %s, got %s", key, phrase, s);
	}
	digits = *s == '+' ? s + 1 : s;
	if (digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) {
		base = 16;
		digits += 2;
	}
	errno = 0;
	v = strtoull(digits, &end, base);
	if (!*digits || *end || digits[0] == '-' || digits[0] == '+' || digits[0] == ' ')
		return ks_yaml_fail(yd, n, KS_EINVAL, "%s must be an integer, got '%s'", key, s);
	if (errno == ERANGE || v < min || v > max) {
		range_phrase(phrase, sizeof(phrase), min, max, errno != ERANGE && v < min);
		return ks_yaml_fail(yd, n, KS_ERANGE, "%s %s, got %s", key, phrase, s);
	}
	*out = v;
	return 0;
}

int ks_yaml_double(struct ks_ydoc *yd, const yaml_node_t *n, const char *key, double min,
		   bool min_open, double max, double *out)
{
	const char *s = scalar(yd, n, key);
	char *end;
	double v;

	if (!s)
		return KS_EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end || !isfinite(v) || errno == ERANGE)
		return ks_yaml_fail(yd, n, KS_EINVAL, "%s must be a number, got '%s'", key, s);
	if (v < min || (min_open && v == min) || v > max) {
		if (isinf(max))
			return ks_yaml_fail(yd, n, KS_ERANGE, "%s must be %s %g, got %s", key,
					    min_open ? ">" : ">=", min, s);
		return ks_yaml_fail(yd, n, KS_ERANGE, "%s must be %s %g and <= %g, got %s", key,
				    min_open ? ">" : ">=", min, max, s);
	}
	*out = v;
	return 0;
}

int ks_yaml_bool(struct ks_ydoc *yd, const yaml_node_t *n, const char *key, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };
	const char *s = scalar(yd, n, key);

	if (!s)
		return KS_EINVAL;
	for (unsigned i = 0; i < 4; i++) {
		if (!strcasecmp(s, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(s, no[i])) {
			*out = false;
			return 0;
		}
	}
	return ks_yaml_fail(yd, n, KS_EINVAL, "%s must be true or false, got '%s'", key, s);
}

int ks_yaml_duration(struct ks_ydoc *yd, const yaml_node_t *n, const char *key, bool never_ok,
		     ks_time *out)
{
	const char *s = scalar(yd, n, key), *why;

	if (!s)
		return KS_EINVAL;
	why = ks_parse_duration(s, never_ok, out);
	if (why)
		return ks_yaml_fail(yd, n, KS_EINVAL, "%s %s: '%s'", key, why, s);
	return 0;
}

int ks_yaml_size(struct ks_ydoc *yd, const yaml_node_t *n, const char *key, uint64_t *out)
{
	const char *s = scalar(yd, n, key), *why;

	if (!s)
		return KS_EINVAL;
	why = ks_parse_size(s, out);
	if (why)
		return ks_yaml_fail(yd, n, KS_EINVAL, "%s %s: '%s'", key, why, s);
	return 0;
}

int ks_yaml_string(struct ks_ydoc *yd, const yaml_node_t *n, const char *key, char **out)
{
	const char *s = scalar(yd, n, key);

	if (!s)
		return KS_EINVAL;
	free(*out);
	*out = ks_xstrdup(s);
	return 0;
}

int ks_yaml_enum(struct ks_ydoc *yd, const yaml_node_t *n, const char *key,
		 const char *const *names, unsigned *out)
{
	const char *s = scalar(yd, n, key), *hint;
	char list[512] = "";
	unsigned i;

	if (!s)
		return KS_EINVAL;
	for (i = 0; names[i]; i++)
		if (!strcmp(s, names[i])) {
			*out = i;
			return 0;
		}
	hint = ks_suggest(s, names);
	if (hint)
		return ks_yaml_fail(yd, n, KS_EINVAL, "unknown %s '%s' (did you mean '%s'?)", key,
				    s, hint);
	for (i = 0; names[i]; i++) {
		size_t len = strlen(list);

		snprintf(list + len, sizeof(list) - len, "%s%s", i ? ", " : "", names[i]);
	}
	return ks_yaml_fail(yd, n, KS_EINVAL, "unknown %s '%s' (expected one of: %s)", key, s,
			    list);
}

int ks_yaml_get_uint(struct ks_ydoc *yd, const yaml_node_t *map, const char *key,
		     uint64_t min, uint64_t max, uint64_t *out)
{
	yaml_node_t *v = ks_yaml_get(yd, map, key, NULL);

	return v ? ks_yaml_uint(yd, v, key, min, max, out) : 0;
}

int ks_yaml_get_unsigned(struct ks_ydoc *yd, const yaml_node_t *map, const char *key,
			 unsigned min, unsigned max, unsigned *out)
{
	uint64_t v = *out;
	int rc = ks_yaml_get_uint(yd, map, key, min, max, &v);

	if (!rc)
		*out = (unsigned)v;
	return rc;
}

int ks_yaml_get_bool(struct ks_ydoc *yd, const yaml_node_t *map, const char *key, bool *out)
{
	yaml_node_t *v = ks_yaml_get(yd, map, key, NULL);

	return v ? ks_yaml_bool(yd, v, key, out) : 0;
}

int ks_yaml_get_duration(struct ks_ydoc *yd, const yaml_node_t *map, const char *key,
			 bool never_ok, ks_time *out)
{
	yaml_node_t *v = ks_yaml_get(yd, map, key, NULL);

	return v ? ks_yaml_duration(yd, v, key, never_ok, out) : 0;
}

int ks_yaml_get_string(struct ks_ydoc *yd, const yaml_node_t *map, const char *key,
		       char **out)
{
	yaml_node_t *v = ks_yaml_get(yd, map, key, NULL);

	return v ? ks_yaml_string(yd, v, key, out) : 0;
}

