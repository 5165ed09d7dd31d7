/* load_scenario.c - scenario YAML into struct ks_scenario, with the schema tables below
 * (schema.h).
 *
 * The file is loaded as one libyaml document, the `--set` overrides are applied to its
 * nodes, and the nodes are converted mapping by mapping, each by its table: top level,
 * sample, ksm, ksm_changes, numa, processes -> regions -> contents, writes, trace. Every
 * mapping is checked for unknown and repeated keys before its values are read, every
 * value is range-checked, and the first problem ends the load with one located
 * message. Fractions of regions are resolved to page counts here, so the engine only
 * ever sees pages. docs/scenario.md is the user's reference for every key; keep the
 * two in step.
 *
 * A new key is one line in the table of its mapping (see schema.h), e.g. in
 * ksm_fields; a value that needs another key's value gets a setter or the schema's
 * check(), as the ones below do.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "find_file.h"
#include "load_scenario.h"
#include "load_zsmalloc.h"
#include "schema.h"
#include "yaml_util.h"
#include "models/base/xalloc.h"
#include "models/compress.h"
#include "models/vocab/checksum.h"
#include "traces/gen.h"
#include "traces/ktrace_replay.h"

#define PAGE_BYTES 4096ULL /* the only page size supported */
#define MAX_PAGES (UINT64_MAX / PAGE_BYTES)

/* 64-bit FNV-1a of a string. */
static uint64_t fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* The scalar text of an optional node, for messages ("" if it has none). */
static const char *text_of(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : "";
}

/* "region3": the name of an item that has none (owned). */
static char *numbered(const char *prefix, unsigned i)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%s%u", prefix, i);
	return ks_xstrdup(buf);
}

/* ---- content: {kind: zero | fill | image | random, ...} ------------------------ */

/* words[i].offset: its range depends on the width read before it. */
static int set_word_offset(struct ks_ydoc *yd, const struct ks_field *f, yaml_node_t *key,
			   yaml_node_t *val, const char *where, void *obj)
{
	struct ks_patch_spec *pt = obj;
	uint64_t off;
	int rc = ks_yaml_uint(yd, val, "offset", 0, PAGE_BYTES - pt->width, &off);

	(void)f, (void)key, (void)where;
	if (!rc)
		pt->offset = (unsigned)off;
	return rc;
}

/* words[i].value: a constant of the word's width, index, index+N or serial. */
static int set_word_value(struct ks_ydoc *yd, const struct ks_field *f, yaml_node_t *key,
			  yaml_node_t *val, const char *where, void *obj)
{
	struct ks_patch_spec *pt = obj;
	const char *s = text_of(val);
	uint64_t max = pt->width == 8 ? UINT64_MAX : (1ULL << (8 * pt->width)) - 1;
	char *end;

	(void)f, (void)key, (void)where;
	pt->value = 0;
	if (!strcmp(s, "serial")) {
		pt->source = KS_PV_SERIAL;
		return 0;
	}
	if (!strcmp(s, "index")) {
		pt->source = KS_PV_INDEX;
		return 0;
	}
	if (!strncmp(s, "index+", 6)) {
		pt->source = KS_PV_INDEX_PLUS;
		pt->value = strtoull(s + 6, &end, 0);
		if (s[6] < '0' || s[6] > '9' || *end)
			return ks_yaml_fail(yd, val, KS_EINVAL, "value must be an integer, index, "
					    "index+N or serial, got '%s'", s);
		return 0;
	}
	pt->source = KS_PV_CONST;
	return ks_yaml_uint(yd, val, "value", 0, max, &pt->value);
}

static const struct ks_field word_fields[] = {
	{ "width", KS_FT_UINT, KS_AT(struct ks_patch_spec, width), .umin = 1, .umax = 8,
	  .doc = "bytes, 1..8 (default 8)" },
	{ "offset", KS_FT_UINT, .required = true, .set = set_word_offset,
	  .doc = "bytes from the start of the page" },
	{ "value", KS_FT_ANY, .required = true, .set = set_word_value,
	  .doc = "a constant, index, index+N or serial" },
	{ NULL }
};
static const struct ks_schema word_schema = { .fields = word_fields };

/* words: of a fill content (obj). */
static int set_words(struct ks_ydoc *yd, const struct ks_field *f, yaml_node_t *key,
		     yaml_node_t *val, const char *where, void *obj)
{
	struct ks_content_spec *cs = obj;
	unsigned n = ks_yaml_count(val);
	int rc;

	(void)f, (void)key;
	if (n > KS_MAX_PATCHES)
		return ks_yaml_fail(yd, val, KS_EINVAL, "at most %d words per page, got %u",
				    KS_MAX_PATCHES, n);
	for (unsigned i = 0; i < n; i++) {
		cs->patches[i].width = 8;
		rc = ks_schema_apply_item(yd, &word_schema, val, where, i, &cs->patches[i]);
		if (rc)
			return rc;
		cs->npatches = i + 1;
	}
	return 0;
}

/* Indexed by enum ks_content_kind_spec. */
static const char *const kind_names[] = { "zero", "fill", "image", "random", NULL };

#define KIND_FIELD { "kind", KS_FT_ANY, .doc = "zero, fill, image or random" }
static const struct ks_field plain_fields[] = { KIND_FIELD, { NULL } };
static const struct ks_field fill_fields[] = {
	KIND_FIELD,
	{ "byte", KS_FT_UINT, KS_AT(struct ks_content_spec, fill), .umax = 255,
	  .doc = "the filler byte (default 0)" },
	{ "words", KS_FT_SEQ, .set = set_words, .doc = "words patched over the filler" },
	{ NULL }
};
static const struct ks_field image_fields[] = {
	KIND_FIELD,
	{ "image", KS_FT_STRING, KS_AT(struct ks_content_spec, image), .required = true,
	  .hint = "an image name", .doc = "page i holds page i of this named image" },
	{ NULL }
};
#undef KIND_FIELD
static const struct ks_schema kind_schemas[] = {
	[KS_SPEC_ZERO] = { .fields = plain_fields, .variant = "kind zero" },
	[KS_SPEC_FILL] = { .fields = fill_fields, .variant = "kind fill" },
	[KS_SPEC_IMAGE] = { .fields = image_fields, .variant = "kind image" },
	[KS_SPEC_RANDOM] = { .fields = plain_fields, .variant = "kind random" },
};

/* A content mapping into the struct ks_content_spec at f->off: its kind picks the
 * schema of its other keys. An image's seed is derived at the end (finish()). */
static int set_content(struct ks_ydoc *yd, const struct ks_field *f, yaml_node_t *key,
		       yaml_node_t *val, const char *where, void *obj)
{
	struct ks_content_spec *cs = (void *)((char *)obj + f->off);
	yaml_node_t *v = ks_yaml_get(yd, val, "kind", NULL);
	unsigned kind;
	int rc;

	if (!v)
		return ks_yaml_fail(yd, val, KS_EINVAL, "missing required key 'kind' in %s "
				    "(zero, fill, image or random)", where);
	rc = ks_yaml_enum(yd, v, "content kind", kind_names, &kind);
	if (rc)
		return rc;
	cs->kind = (enum ks_content_kind_spec)kind;
	return ks_schema_apply(yd, &kind_schemas[kind], key, val, where, cs);
}

/* ---- regions and their parts ---------------------------------------------------- */

enum part_size { PART_PAGES, PART_FRACTION, PART_REST };

/* One part of a region's contents as read; its size is resolved by set_parts(). */
struct part_in {
	struct ks_part part;
	enum part_size how;
	double fraction;
};

/* Exactly one of fraction, pages and rest. */
static int part_rules(struct ks_ydoc *yd, yaml_node_t *map, const char *where, void *obj)
{
	struct part_in *in = obj;
	yaml_node_t *fk = NULL, *pk = NULL, *rk = NULL;
	yaml_node_t *fv = ks_yaml_get(yd, map, "fraction", &fk);
	yaml_node_t *pv = ks_yaml_get(yd, map, "pages", &pk);
	yaml_node_t *rv = ks_yaml_get(yd, map, "rest", &rk);
	int given = !!fv + !!pv + !!rv;

	if (given == 0)
		return ks_yaml_fail(yd, map, KS_EINVAL,
				    "%s needs one of fraction, pages or rest: true", where);
	if (given > 1)
		return ks_yaml_fail(yd, rv ? rk : pk, KS_EINVAL,
				    "give only one of fraction, pages and rest in %s", where);
	in->how = fv ? PART_FRACTION : pv ? PART_PAGES : PART_REST;
	return 0;
}

static int set_rest(struct ks_ydoc *yd, const struct ks_field *f, yaml_node_t *key,
		    yaml_node_t *val, const char *where, void *obj)
{
	bool rest = false;
	int rc = ks_yaml_bool(yd, val, "rest", &rest);

	(void)f, (void)key, (void)where, (void)obj;
	if (!rc && !rest)
		rc = ks_yaml_fail(yd, val, KS_EINVAL,
				  "rest can only be true (or give fraction or pages)");
	return rc;
}

static const struct ks_field part_fields[] = {
	{ "fraction", KS_FT_DOUBLE, KS_AT(struct part_in, fraction), .dmin = 0, .dmin_open = true,
	  .dmax = 1, .doc = "share of the region's pages, (0, 1]" },
	{ "pages", KS_FT_UINT, KS_AT(struct part_in, part.pages), .umax = MAX_PAGES,
	  .doc = "a count of pages" },
	{ "rest", KS_FT_BOOL, .set = set_rest, .doc = "true: the pages the others leave" },
	{ "content", KS_FT_MAP, KS_AT(struct part_in, part.content), .required = true,
	  .hint = "e.g. content: {kind: zero}", .set = set_content, .doc = "what they hold" },
	{ NULL }
};
static const struct ks_schema part_schema = { .fields = part_fields, .rules = part_rules };

/* Reads the parts, then turns fractions and rest into page counts: fractions are
 * rounded to the nearest page cumulatively, so fractions adding up to 1 cover the region
 * exactly. */
static int read_parts(struct ks_ydoc *yd, yaml_node_t *seq, const char *where,
		      struct ks_region *rg, enum part_size *how, double *frac)
{
	unsigned n = ks_yaml_count(seq), rest = n;
	int rc = 0;

	for (unsigned i = 0; i < n && !rc; i++) {
		struct part_in in = { .how = PART_PAGES };

		rc = ks_schema_apply_item(yd, &part_schema, seq, where, i, &in);
		rg->parts[i] = in.part; /* owned by the region from here, even on error */
		how[i] = in.how;
		frac[i] = in.fraction;
		if (!rc && how[i] == PART_REST && rest < n)
			rc = ks_yaml_fail(yd, ks_yaml_item(yd, seq, i), KS_EINVAL, "only one part "
					  "of region '%s' may be rest (the first is %s.%u)",
					  rg->name, where, rest);
		if (!rc && how[i] == PART_REST)
			rest = i;
	}
	return rc;
}

static int size_parts(struct ks_ydoc *yd, yaml_node_t *seq, struct ks_region *rg,
		      const enum part_size *how, const double *frac)
{
	unsigned n = ks_yaml_count(seq), rest = n;
	uint64_t used = 0, frac_pages = 0;
	double cum = 0;

	for (unsigned i = 0; i < n; i++) {
		if (how[i] == PART_FRACTION) {
			uint64_t end;

			cum += frac[i];
			end = (uint64_t)llround(cum * (double)rg->pages);
			rg->parts[i].pages = end - frac_pages;
			frac_pages = end;
		}
		if (how[i] == PART_REST) {
			rest = i;
			continue;
		}
		used += rg->parts[i].pages;
		if (used > rg->pages)
			return ks_yaml_fail(yd, ks_yaml_item(yd, seq, i), KS_EINVAL,
					    "contents of region '%s' need %llu pages by here, more "
					    "than its %llu", rg->name, (unsigned long long)used,
					    (unsigned long long)rg->pages);
	}
	if (rest < n)
		rg->parts[rest].pages = rg->pages - used;
	return 0;
}

/* contents: of a region (obj), whose size was read before. */
static int set_parts(struct ks_ydoc *yd, const struct ks_field *f, yaml_node_t *key,
		     yaml_node_t *val, const char *where, void *obj)
{
	struct ks_region *rg = obj;
	unsigned n = ks_yaml_count(val);
	enum part_size *how = ks_xcalloc(n ? n : 1, sizeof(*how));
	double *frac = ks_xcalloc(n ? n : 1, sizeof(*frac));
	int rc;

	(void)f, (void)key;
	rg->parts = ks_xcalloc(n ? n : 1, sizeof(*rg->parts));
	rg->nparts = n;
	rc = read_parts(yd, val, where, rg, how, frac);
	if (!rc)
		rc = size_parts(yd, val, rg, how, frac);
	free(frac);
	free(how);
	return rc;
}

/* Exactly one of size and pages. */
static int region_rules(struct ks_ydoc *yd, yaml_node_t *map, const char *where, void *obj)
{
	yaml_node_t *pk = NULL;
	yaml_node_t *sv = ks_yaml_get(yd, map, "size", NULL);
	yaml_node_t *pv = ks_yaml_get(yd, map, "pages", &pk);

	(void)obj;
	if (sv && pv)
		return ks_yaml_fail(yd, pk, KS_EINVAL,
				    "give either size or pages for %s, not both", where);
	if (!sv && !pv)
		return ks_yaml_fail(yd, map, KS_EINVAL, "%s needs a size (e.g. size: 1GiB) or a "
				    "page count (pages: N)", where);
	return 0;
}

static int set_region_size(struct ks_ydoc *yd, const struct ks_field *f, yaml_node_t *key,
			   yaml_node_t *val, const char *where, void *obj)
{
	struct ks_region *rg = obj;
	uint64_t bytes;
	int rc = ks_yaml_size(yd, val, "size", &bytes);

	(void)f, (void)key, (void)where;
	if (rc)
		return rc;
	if (bytes == 0 || bytes % PAGE_BYTES)
		return ks_yaml_fail(yd, val, KS_EINVAL, "size must be a positive multiple of 4KiB "
				    "(4096 bytes): '%s'", text_of(val));
	if (bytes / PAGE_BYTES > KS_GEN_MAX_REGION_PAGES)
		return ks_yaml_fail(yd, val, KS_EINVAL, "size '%s' is more than a region may "
				    "have (%llu pages, 1TiB)", text_of(val), KS_GEN_MAX_REGION_PAGES);
	rg->pages = bytes / PAGE_BYTES;
	return 0;
}

static int region_check(struct ks_ydoc *yd, yaml_node_t *map, const char *where, void *obj)
{
	struct ks_region *rg = obj;

	(void)yd, (void)map, (void)where;
	if (rg->unmerge_at == KS_YAML_NEVER)
		rg->unmerge_at = 0;
	return 0;
}

static const struct ks_field region_fields[] = {
	{ "name", KS_FT_STRING, KS_AT(struct ks_region, name), .doc = "default regionN" },
	{ "size", KS_FT_SIZE, .set = set_region_size, .doc = "bytes with a unit, 4KiB pages" },
	/* the generator's address layout bounds a region (traces/gen.h) */
	{ "pages", KS_FT_UINT, KS_AT(struct ks_region, pages), .umin = 1,
	  .umax = KS_GEN_MAX_REGION_PAGES, .doc = "or the size in pages (at most 2^28, 1TiB)" },
	{ "mergeable", KS_FT_BOOL, KS_AT(struct ks_region, mergeable),
	  .doc = "MADV_MERGEABLE (default true)" },
	{ "madvise_at", KS_FT_DURATION, KS_AT(struct ks_region, madvise_at),
	  .doc = "when MADV_MERGEABLE is applied, after the process starts" },
	{ "unmerge_at", KS_FT_DURATION, KS_AT(struct ks_region, unmerge_at), .never_ok = true,
	  .nonzero = true, .doc = "MADV_UNMERGEABLE at this time (default never)" },
	{ "shuffle", KS_FT_BOOL, KS_AT(struct ks_region, shuffle),
	  .doc = "shuffle the parts' pages (seeded)" },
	{ "contents", KS_FT_SEQ, .set = set_parts, .doc = "parts: {fraction|pages|rest, content}" },
	{ NULL }
};
static const struct ks_schema region_schema = {
	.fields = region_fields, .rules = region_rules, .check = region_check
};

/* ---- write schedules ------------------------------------------------------------ */

/* One write schedule as read, with the group whose regions it names. */
struct write_in {
	struct ks_write_sched w;
	const struct ks_group *g;
	double fraction;
};

/* The range of a write or read schedule: not both count and fraction. */
static int range_rules(struct ks_ydoc *yd, yaml_node_t *map, const char *where, void *obj)
{
	yaml_node_t *fk = NULL;

	(void)obj;
	if (ks_yaml_get(yd, map, "count", NULL) && ks_yaml_get(yd, map, "fraction", &fk))
		return ks_yaml_fail(yd, fk, KS_EINVAL,
				    "give either count or fraction in %s, not both", where);
	return 0;
}

/* The range's rules; exactly one of every and rate (which sets the kind). */
static int write_rules(struct ks_ydoc *yd, yaml_node_t *map, const char *where, void *obj)
{
	struct write_in *in = obj;
	yaml_node_t *rk = NULL;
	yaml_node_t *ev = ks_yaml_get(yd, map, "every", NULL);
	yaml_node_t *rv = ks_yaml_get(yd, map, "rate", &rk);
	int rc = range_rules(yd, map, where, obj);

	if (rc)
		return rc;
	if (ev && rv)
		return ks_yaml_fail(yd, rk, KS_EINVAL, "give either every (periodic) or rate "
				    "(Poisson) in %s, not both", where);
	if (!ev && !rv)
		return ks_yaml_fail(yd, map, KS_EINVAL, "%s needs every (e.g. every: 50ms) or rate "
				    "(writes per page per second)", where);
	in->w.kind = ev ? KS_WRITE_PERIODIC : KS_WRITE_POISSON;
	return 0;
}

/* region: a name of the group's regions. */
static int set_write_region(struct ks_ydoc *yd, const struct ks_field *f, yaml_node_t *key,
			    yaml_node_t *val, const char *where, void *obj)
{
	struct write_in *in = obj;
	const struct ks_group *g = in->g;
	int wlen = (int)(strlen(where) - strlen(f->key) - 1); /* the write's path */
	const char **names, *hint;
	char *name = NULL;
	int rc = ks_yaml_string(yd, val, "region", &name);

	(void)key;
	if (rc)
		return rc;
	for (in->w.region = 0; in->w.region < g->nregions; in->w.region++)
		if (!strcmp(g->regions[in->w.region].name, name))
			break;
	if (in->w.region < g->nregions) {
		free(name);
		return 0;
	}
	names = ks_xcalloc(g->nregions + 1, sizeof(*names));
	for (unsigned i = 0; i < g->nregions; i++)
		names[i] = g->regions[i].name;
	hint = ks_suggest(name, names);
	if (hint)
		rc = ks_yaml_fail(yd, val, KS_EINVAL, "unknown region '%s' in %.*s (did you mean "
				  "'%s'?)", name, wlen, where, hint);
	else
		rc = ks_yaml_fail(yd, val, KS_EINVAL, "unknown region '%s' in %.*s (group '%s' has "
				  "%s%s)", name, wlen, where, g->name,
				  names[0], g->nregions > 1 ? ", ..." : "");
	free(names);
	free(name);
	return rc;
}

/* first: within the region named before it. */
static int set_write_first(struct ks_ydoc *yd, const struct ks_field *f, yaml_node_t *key,
			   yaml_node_t *val, const char *where, void *obj)
{
	struct write_in *in = obj;

	(void)f, (void)key, (void)where;
	return ks_yaml_uint(yd, val, "first", 0, in->g->regions[in->w.region].pages - 1,
			    &in->w.first);
}

/* The page range of a write or read schedule from first and count or fraction. */
static int range_check(struct ks_ydoc *yd, yaml_node_t *map, struct write_in *in)
{
	struct ks_write_sched *w = &in->w;
	uint64_t pages = in->g->regions[w->region].pages;
	yaml_node_t *cv = ks_yaml_get(yd, map, "count", NULL);
	yaml_node_t *fv = ks_yaml_get(yd, map, "fraction", NULL);

	if (fv) {
		w->count = (uint64_t)llround(in->fraction * (double)pages);
		if (w->count == 0)
			return ks_yaml_fail(yd, fv, KS_EINVAL, "fraction %g of %llu pages is less "
					    "than one page", in->fraction,
					    (unsigned long long)pages);
	}
	if (!cv && !fv)
		w->count = pages - w->first;
	if (w->count > pages - w->first)
		return ks_yaml_fail(yd, cv ? cv : fv, KS_EINVAL, "first + count = %llu is beyond "
				    "the end of the region (%llu pages)",
				    (unsigned long long)(w->first + w->count),
				    (unsigned long long)pages);
	return 0;
}

/* The active window [start, stop): stop (never: 0) after start. */
static int window_check(struct ks_ydoc *yd, yaml_node_t *map, ks_time start, ks_time *stop)
{
	yaml_node_t *sv = ks_yaml_get(yd, map, "stop", NULL);

	if (sv && *stop != KS_YAML_NEVER && *stop <= start)
		return ks_yaml_fail(yd, sv, KS_EINVAL, "stop must be later than start");
	if (*stop == KS_YAML_NEVER)
		*stop = 0;
	return 0;
}

static int write_check(struct ks_ydoc *yd, yaml_node_t *map, const char *where, void *obj)
{
	struct write_in *in = obj;
	int rc = range_check(yd, map, in);

	(void)where;
	return rc ? rc : window_check(yd, map, in->w.start, &in->w.stop);
}

/* The page range of a schedule: T is the struct read into, R the path of its
 * struct write_in ("" or "range."). */
#define RANGE_FIELDS(T, R)                                                                \
	{ "region", KS_FT_STRING, .required = true, .set = set_write_region,               \
	  .doc = "the name of one of the group's regions" },                               \
	{ "first", KS_FT_UINT, .set = set_write_first, .doc = "first page (default 0)" },  \
	{ "count", KS_FT_UINT, KS_AT(T, R w.count), .umin = 1,                             \
	  .doc = "pages (default: to the end of the region)" },                            \
	{ "fraction", KS_FT_DOUBLE, KS_AT(T, R fraction), .dmin = 0, .dmin_open = true,    \
	  .dmax = 1, .doc = "or the share of the region's pages" }
/* Its active window: S the path of the struct with start and stop. */
#define WINDOW_FIELDS(T, S)                                                               \
	{ "start", KS_FT_DURATION, KS_AT(T, S start), .doc = "default 0s" },               \
	{ "stop", KS_FT_DURATION, KS_AT(T, S stop), .never_ok = true, .doc = "default never" }

static const struct ks_field write_fields[] = {
	RANGE_FIELDS(struct write_in, ),
	{ "every", KS_FT_DURATION, KS_AT(struct write_in, w.period), .nonzero = true,
	  .doc = "periodic: every page of the range once per period" },
	{ "rate", KS_FT_DOUBLE, KS_AT(struct write_in, w.rate_per_page), .dmin = 0,
	  .dmin_open = true, .dmax = INFINITY, .doc = "Poisson: writes per page per second" },
	WINDOW_FIELDS(struct write_in, w.),
	{ "content", KS_FT_MAP, KS_AT(struct write_in, w.content), .set = set_content,
	  .doc = "what is written (default kind random)" },
	{ NULL }
};
static const struct ks_schema write_schema = {
	.fields = write_fields, .rules = write_rules, .check = write_check
};

/* writes: of a group (obj), whose regions were read before. */
static int set_writes(struct ks_ydoc *yd, const struct ks_field *f, yaml_node_t *key,
		      yaml_node_t *val, const char *where, void *obj)
{
	struct ks_group *g = obj;
	int rc;

	(void)f, (void)key;
	g->nwrites = ks_yaml_count(val);
	g->writes = ks_xcalloc(g->nwrites ? g->nwrites : 1, sizeof(*g->writes));
	for (unsigned i = 0; i < g->nwrites; i++) {
		struct write_in in = { .w.content.kind = KS_SPEC_RANDOM, .g = g };

		rc = ks_schema_apply_item(yd, &write_schema, val, where, i, &in);
		g->writes[i] = in.w; /* owned by the group from here, even on error */
		if (rc)
			return rc;
	}
	return 0;
}

/* ---- read schedules ------------------------------------------------------------- */

/* A reads: item as read: its region and range follow the rules of writes: (a read of
 * pages the region does not have is refused here, with its line). The range comes
 * first, so the write setters and range_check() serve it. */
struct read_in {
	struct write_in range;
	struct ks_read_sched r;
};

static int read_check(struct ks_ydoc *yd, yaml_node_t *map, const char *where, void *obj)
{
	struct read_in *in = obj;
	int rc = range_check(yd, map, &in->range);

	(void)where;
	in->r.region = in->range.w.region;
	in->r.first = in->range.w.first;
	in->r.count = in->range.w.count;
	return rc ? rc : window_check(yd, map, in->r.start, &in->r.stop);
}

static const char *const read_order_names[] = { "sequential", "random", NULL };

static const struct ks_field read_fields[] = {
	RANGE_FIELDS(struct read_in, range.),
	{ "order", KS_FT_ENUM, KS_AT(struct read_in, r.order), .names = read_order_names,
	  .doc = "sequential (default, wrapping at the end) or random" },
	{ "rate", KS_FT_DOUBLE, KS_AT(struct read_in, r.rate), .required = true, .dmin = 0,
	  .dmin_open = true, .dmax = 1e12, .hint = "pages read per second, e.g. rate: 100000",
	  .doc = "pages read per simulated second" },
	WINDOW_FIELDS(struct read_in, r.),
	{ NULL }
};
#undef RANGE_FIELDS
#undef WINDOW_FIELDS
static const struct ks_schema read_schema = {
	.fields = read_fields, .rules = range_rules, .check = read_check
};

/* reads: of a group (obj), whose regions were read before. */
static int set_reads(struct ks_ydoc *yd, const struct ks_field *f, yaml_node_t *key,
		     yaml_node_t *val, const char *where, void *obj)
{
	struct ks_group *g = obj;
	int rc;

	(void)f, (void)key;
	g->nreads = ks_yaml_count(val);
	g->reads = ks_xcalloc(g->nreads ? g->nreads : 1, sizeof(*g->reads));
	for (unsigned i = 0; i < g->nreads; i++) {
		struct read_in in = { .range.g = g };

		rc = ks_schema_apply_item(yd, &read_schema, val, where, i, &in);
		g->reads[i] = in.r;
		if (rc)
			return rc;
	}
	return 0;
}

/* ---- process groups ------------------------------------------------------------- */

/* regions: of a group (obj); names are unique within it. */
static int set_regions(struct ks_ydoc *yd, const struct ks_field *f, yaml_node_t *key,
		       yaml_node_t *val, const char *where, void *obj)
{
	struct ks_group *g = obj;
	int rc;

	(void)f, (void)key;
	if (ks_yaml_count(val) > KS_GEN_MAX_REGIONS)
		return ks_yaml_fail(yd, val, KS_EINVAL, "%s has %u regions, more than %u", where,
				    ks_yaml_count(val), KS_GEN_MAX_REGIONS);
	g->nregions = ks_yaml_count(val);
	g->regions = ks_xcalloc(g->nregions, sizeof(*g->regions));
	for (unsigned i = 0; i < g->nregions; i++) {
		struct ks_region *rg = &g->regions[i];

		rg->mergeable = true;
		rg->name = numbered("region", i);
		rc = ks_schema_apply_item(yd, &region_schema, val, where, i, rg);
		for (unsigned j = 0; !rc && j < i; j++)
			if (!strcmp(g->regions[j].name, rg->name))
				rc = ks_yaml_fail(yd, ks_yaml_item(yd, val, i), KS_EINVAL,
						  "duplicate region name '%s' in group '%s'",
						  rg->name, g->name);
		if (rc)
			return rc;
	}
	return 0;
}

/* A group needs at least one region (checked before its writes, which name them). */
static int group_rules(struct ks_ydoc *yd, yaml_node_t *map, const char *where, void *obj)
{
	struct ks_group *g = obj;
	yaml_node_t *rv = ks_yaml_get(yd, map, "regions", NULL);
	yaml_node_t *nv = ks_yaml_get(yd, map, "name", NULL);

	if (rv && ks_yaml_is_null(rv))
		rv = NULL;
	if (rv && (rv->type != YAML_SEQUENCE_NODE || ks_yaml_count(rv)))
		return 0; /* a wrong type is for the regions field to say */
	return ks_yaml_fail(yd, rv ? rv : map, KS_EINVAL, "%s (group '%s') needs at least one "
			    "region in 'regions'", where,
			    nv && nv->type == YAML_SCALAR_NODE ? text_of(nv) : g->name);
}

static int group_check(struct ks_ydoc *yd, yaml_node_t *map, const char *where, void *obj)
{
	struct ks_group *g = obj;

	(void)yd, (void)map, (void)where;
	if (g->exit == KS_YAML_NEVER)
		g->exit = 0;
	return 0;
}

static const struct ks_field group_fields[] = {
	{ "name", KS_FT_STRING, KS_AT(struct ks_group, name), .doc = "default groupN" },
	{ "count", KS_FT_UINT, KS_AT(struct ks_group, count), .umin = 1,
	  .doc = "processes in the group (default 1)" },
	{ "start", KS_FT_DURATION, KS_AT(struct ks_group, start),
	  .doc = "the first process's start (default 0s)" },
	{ "stagger", KS_FT_DURATION, KS_AT(struct ks_group, stagger),
	  .doc = "between successive processes' starts" },
	{ "exit", KS_FT_DURATION, KS_AT(struct ks_group, exit), .never_ok = true,
	  .nonzero = true, .doc = "process exit (default never)" },
	{ "regions", KS_FT_SEQ, .set = set_regions, .doc = "the group's memory regions" },
	{ "reads", KS_FT_SEQ, .set = set_reads, .doc = "read schedules" },
	{ "writes", KS_FT_SEQ, .set = set_writes, .doc = "write schedules" },
	{ NULL }
};
static const struct ks_schema group_schema = {
	.fields = group_fields, .rules = group_rules, .check = group_check
};

/* processes: of the scenario (obj); group names are unique. */
static int set_groups(struct ks_ydoc *yd, const struct ks_field *f, yaml_node_t *key,
		      yaml_node_t *val, const char *where, void *obj)
{
	struct ks_scenario *sc = obj;
	int rc;

	(void)f, (void)key;
	sc->ngroups = ks_yaml_count(val);
	sc->groups = ks_xcalloc(sc->ngroups ? sc->ngroups : 1, sizeof(*sc->groups));
	for (unsigned i = 0; i < sc->ngroups; i++) {
		struct ks_group *g = &sc->groups[i];

		g->name = numbered("group", i);
		g->count = 1;
		rc = ks_schema_apply_item(yd, &group_schema, val, where, i, g);
		for (unsigned j = 0; !rc && j < i; j++)
			if (!strcmp(sc->groups[j].name, g->name))
				rc = ks_yaml_fail(yd, ks_yaml_item(yd, val, i), KS_EINVAL,
						  "duplicate process group name '%s'", g->name);
		if (rc)
			return rc;
	}
	return 0;
}

/* ---- sample --------------------------------------------------------------------- */

/* At most one of every, every_batches and interval (which sets the mode). */
static int sample_rules(struct ks_ydoc *yd, yaml_node_t *map, const char *where, void *obj)
{
	struct ks_scenario *sc = obj;
	yaml_node_t *bk = NULL, *ik = NULL;
	yaml_node_t *ev = ks_yaml_get(yd, map, "every", NULL);
	yaml_node_t *bv = ks_yaml_get(yd, map, "every_batches", &bk);
	yaml_node_t *iv = ks_yaml_get(yd, map, "interval", &ik);

	if (!!ev + !!bv + !!iv > 1)
		return ks_yaml_fail(yd, iv ? ik : bk, KS_EINVAL, "give only one of every, "
				    "every_batches and interval in %s", where);
	if (iv)
		sc->sample_mode = KS_SAMPLE_INTERVAL;
	return 0;
}

static const char *const every_names[] = { "batch", NULL };
static const struct ks_field sample_fields[] = {
	{ "every", KS_FT_ENUM, .names = every_names, .label = "sample every",
	  .doc = "batch: after every ksmd batch" },
	{ "every_batches", KS_FT_UINT, KS_AT(struct ks_scenario, sample_every), .umin = 1,
	  .doc = "after every N batches" },
	{ "interval", KS_FT_DURATION, KS_AT(struct ks_scenario, sample_interval),
	  .nonzero = true, .doc = "or every this much simulated time" },
	{ "processes", KS_FT_BOOL, KS_AT(struct ks_scenario, process_samples),
	  .doc = "write process_samples rows (default true)" },
	{ NULL }
};
static const struct ks_schema sample_schema = { .fields = sample_fields,
						.rules = sample_rules };

/* ---- ksm and ksm_changes -------------------------------------------------------- */

static const char *const advisor_names[] = { "none", "scan-time", NULL };
static const char *const order_names[] = { "v6.11", "pre-v6.11", NULL };
static const char *const algorithm_names[] = { "linux-6.18", "2009", NULL };

/* checksum: an algorithm's name (models/vocab/checksum.h). */
static int set_checksum(struct ks_ydoc *yd, const struct ks_field *f, yaml_node_t *key,
			yaml_node_t *val, const char *where, void *obj)
{
	struct ks_ksm_params *p = obj;
	const char *names[KS_CSUM_COUNT + 1];
	enum ks_checksum_alg alg;
	unsigned i;
	int rc;

	(void)f, (void)key, (void)where;
	for (i = 0; i < KS_CSUM_COUNT; i++)
		names[i] = ks_checksum_name((enum ks_checksum_alg)i);
	names[KS_CSUM_COUNT] = NULL;
	rc = ks_yaml_enum(yd, val, "checksum", names, &i);
	if (rc)
		return rc;
	if (!ks_checksum_parse(names[i], &alg))
		return ks_yaml_fail(yd, val, KS_EINVAL, "checksum '%s' is not supported", names[i]);
	p->checksum = (int)alg;
	return 0;
}

/* The knobs of /sys/kernel/mm/ksm: in ksm: and in a ksm_changes set: (where these are
 * the only keys: the names of models/vocab/knobs.h, which ks_knob_parse knows). */
#define P struct ks_ksm_params
#define KNOB_FIELDS                                                                       \
	{ "run", KS_FT_UINT, KS_AT(P, run), .umax = 2, .doc = "0 stop, 1 run, 2 unmerge" }, \
	{ "pages_to_scan", KS_FT_UINT, KS_AT(P, pages_to_scan),                            \
	  .doc = "pages per batch (default 100)" },                                        \
	{ "sleep_millisecs", KS_FT_UINT, KS_AT(P, sleep_millisecs),                        \
	  .doc = "ms between batches (default 20)" },                                      \
	{ "max_page_sharing", KS_FT_UINT, KS_AT(P, max_page_sharing), .umin = 2,           \
	  .umax = INT32_MAX, .doc = "mappings per KSM page (default 256)" },                \
	{ "use_zero_pages", KS_FT_BOOL, KS_AT(P, use_zero_pages), .doc = "default false" }, \
	{ "merge_across_nodes", KS_FT_BOOL, KS_AT(P, merge_across_nodes),                  \
	  .doc = "default true" },                                                         \
	{ "smart_scan", KS_FT_BOOL, KS_AT(P, smart_scan), .doc = "default true" },          \
	{ "stable_node_chains_prune_millisecs", KS_FT_UINT,                                \
	  KS_AT(P, stable_node_chains_prune_millisecs), .doc = "default 2000" },           \
	{ "advisor_max_cpu", KS_FT_UINT, KS_AT(P, advisor_max_cpu), .umin = 1,             \
	  .umax = 100, .doc = "percent (default 70)" },                                    \
	{ "advisor_min_pages_to_scan", KS_FT_UINT, KS_AT(P, advisor_min_pages_to_scan),    \
	  .umin = 1, .doc = "default 500" },                                               \
	{ "advisor_max_pages_to_scan", KS_FT_UINT, KS_AT(P, advisor_max_pages_to_scan),    \
	  .umin = 1, .doc = "default 30000" },                                             \
	{ "advisor_target_scan_time", KS_FT_UINT, KS_AT(P, advisor_target_scan_time),      \
	  .umin = 1, .doc = "seconds (default 200)" },                                     \
	{ "advisor_mode", KS_FT_ENUM, KS_AT(P, advisor_mode), .names = advisor_names,      \
	  .doc = "none or scan-time" }

static const struct ks_field knob_fields[] = { KNOB_FIELDS, { NULL } };
static const struct ks_schema knob_schema = { .fields = knob_fields };

/* hz is one of the kernel's; the zero page colours a power of two. */
static int ksm_check(struct ks_ydoc *yd, yaml_node_t *map, const char *where, void *obj)
{
	struct ks_ksm_params *p = obj;

	(void)where;
	if (p->hz != 100 && p->hz != 250 && p->hz != 300 && p->hz != 1000)
		return ks_yaml_fail(yd, ks_yaml_get(yd, map, "hz", NULL), KS_EINVAL,
				    "hz must be 100, 250, 300 or 1000, got %u", p->hz);
	if (p->zero_page_colours & (p->zero_page_colours - 1))
		return ks_yaml_fail(yd, ks_yaml_get(yd, map, "zero_page_colours", NULL),
				    KS_EINVAL, "zero_page_colours must be a power of two, got %u",
				    p->zero_page_colours);
	return 0;
}

static const struct ks_field ksm_fields[] = {
	KNOB_FIELDS,
	{ "cmp_order", KS_FT_ENUM, KS_AT(P, cmp_order_pre_611), .names = order_names,
	  .doc = "v6.11 or pre-v6.11: cmp_and_merge_page's order" },
	{ "algorithm", KS_FT_ENUM, KS_AT(P, algorithm), .names = algorithm_names,
	  .doc = "linux-6.18 or 2009" },
	{ "checksum", KS_FT_ANY, .set = set_checksum, .doc = "xxhash64 (default), ..." },
	{ "hz", KS_FT_UINT, KS_AT(P, hz), .umin = 1, .umax = 100000,
	  .doc = "kernel HZ: 100, 250, 300 or 1000 (default)" },
	{ "stable_before_checksum", KS_FT_BOOL, KS_AT(P, stable_before_checksum),
	  .doc = "the stable tree before the checksum test (pre-2024)" },
	{ "zero_page_after_stable", KS_FT_BOOL, KS_AT(P, zero_page_after_stable),
	  .doc = "the zero page after the stable tree (pre-2024)" },
	{ "zero_page_colours", KS_FT_UINT, KS_AT(P, zero_page_colours), .umin = 1,
	  .umax = 128, .doc = "coloured zero pages, a power of two (default 1)" },
	{ NULL }
};
#undef KNOB_FIELDS
#undef P
static const struct ks_schema ksm_schema = { .fields = ksm_fields, .check = ksm_check };

/* The value a sysfs write of knob k would carry to give p's setting. */
static uint64_t knob_value(const struct ks_ksm_params *p, enum ks_knob k)
{
	switch (k) {
	case KS_KNOB_RUN: return p->run;
	case KS_KNOB_PAGES_TO_SCAN: return p->pages_to_scan;
	case KS_KNOB_SLEEP_MILLISECS: return p->sleep_millisecs;
	case KS_KNOB_MAX_PAGE_SHARING: return p->max_page_sharing;
	case KS_KNOB_USE_ZERO_PAGES: return p->use_zero_pages;
	case KS_KNOB_MERGE_ACROSS_NODES: return p->merge_across_nodes;
	case KS_KNOB_SMART_SCAN: return p->smart_scan;
	case KS_KNOB_STABLE_NODE_CHAINS_PRUNE_MILLISECS:
		return p->stable_node_chains_prune_millisecs;
	case KS_KNOB_ADVISOR_MODE: return p->advisor_mode;
	case KS_KNOB_ADVISOR_MAX_CPU: return p->advisor_max_cpu;
	case KS_KNOB_ADVISOR_MIN_PAGES_TO_SCAN: return p->advisor_min_pages_to_scan;
	case KS_KNOB_ADVISOR_MAX_PAGES_TO_SCAN: return p->advisor_max_pages_to_scan;
	case KS_KNOB_ADVISOR_TARGET_SCAN_TIME: return p->advisor_target_scan_time;
	default: return 0;
	}
}

/* One ksm_changes item as read. */
struct change_in {
	ks_time at;
	struct ks_scenario *sc;
};

static int set_change_at(struct ks_ydoc *yd, const struct ks_field *f, yaml_node_t *key,
			 yaml_node_t *val, const char *where, void *obj)
{
	struct change_in *in = obj;
	int rc = ks_yaml_duration(yd, val, "at", false, &in->at);

	(void)f, (void)key, (void)where;
	if (!rc && in->at > in->sc->duration)
		rc = ks_yaml_fail(yd, val, KS_EINVAL, "at is after the end of the run (duration "
				  "%.9gs)", (double)in->sc->duration / 1e9);
	return rc;
}

/* set: its values are checked as in ksm:, then appended in file order. */
static int set_change_knobs(struct ks_ydoc *yd, const struct ks_field *f, yaml_node_t *key,
			    yaml_node_t *val, const char *where, void *obj)
{
	struct change_in *in = obj;
	struct ks_scenario *sc = in->sc;
	struct ks_ksm_params p;
	yaml_node_pair_t *pair;
	int rc;

	(void)f;
	if (val->data.mapping.pairs.top == val->data.mapping.pairs.start)
		return ks_yaml_fail(yd, val, KS_EINVAL, "%.*s needs knobs to write in 'set' (e.g. "
				    "set: {use_zero_pages: true})", (int)(strlen(where) - 4),
				    where);
	ks_ksm_params_default(&p);
	rc = ks_schema_apply(yd, &knob_schema, key, val, where, &p);
	for (pair = val->data.mapping.pairs.start; !rc && pair < val->data.mapping.pairs.top;
	     pair++) {
		yaml_node_t *k = yaml_document_get_node(&yd->doc, pair->key);
		struct ks_knob_change *c;
		enum ks_knob knob;

		if (ks_knob_parse((const char *)k->data.scalar.value, &knob))
			return ks_yaml_fail(yd, k, KS_EINVAL, "unknown knob in %s", where);
		sc->ksm_changes = ks_xrealloc(sc->ksm_changes, (sc->nksm_changes + 1) *
					      sizeof(*sc->ksm_changes));
		c = &sc->ksm_changes[sc->nksm_changes++];
		c->at = in->at;
		c->knob = knob;
		c->value = knob_value(&p, knob);
	}
	return rc;
}

static const struct ks_field change_fields[] = {
	{ "at", KS_FT_DURATION, .required = true, .hint = "e.g. at: 60s", .set = set_change_at,
	  .doc = "when, within the run" },
	{ "set", KS_FT_MAP, .required = true,
	  .hint = "the knobs to write, e.g. set: {use_zero_pages: true}", .set = set_change_knobs,
	  .doc = "knobs of ksm: and their values" },
	{ NULL }
};
static const struct ks_schema change_schema = { .fields = change_fields };

/* ksm_changes: of the scenario (obj), whose duration was read before. */
static int set_changes(struct ks_ydoc *yd, const struct ks_field *f, yaml_node_t *key,
		       yaml_node_t *val, const char *where, void *obj)
{
	int rc;

	(void)f, (void)key;
	for (unsigned i = 0; i < ks_yaml_count(val); i++) {
		struct change_in in = { .sc = obj };

		rc = ks_schema_apply_item(yd, &change_schema, val, where, i, &in);
		if (rc)
			return rc;
	}
	return 0;
}

/* ---- numa, trace, the top level ------------------------------------------------- */

static int set_page_size(struct ks_ydoc *yd, const struct ks_field *f, yaml_node_t *key,
			 yaml_node_t *val, const char *where, void *obj)
{
	uint64_t bytes;
	int rc = ks_yaml_size(yd, val, "page_size", &bytes);

	(void)f, (void)key, (void)where, (void)obj;
	if (!rc && bytes != PAGE_BYTES)
		rc = ks_yaml_fail(yd, val, KS_EINVAL, "page_size: only 4KiB pages are supported, "
				  "got '%s'", text_of(val));
	return rc;
}

static const struct ks_field numa_fields[] = {
	{ "nodes", KS_FT_UINT, KS_AT(struct ks_scenario, numa_nodes), .umin = 1, .umax = 64,
	  .doc = "NUMA nodes (default 1)" },
	{ "page_size", KS_FT_SIZE, .set = set_page_size, .doc = "4KiB (the only one)" },
	{ NULL }
};
static const struct ks_schema numa_schema = { .fields = numa_fields };

static const struct ks_field trace_fields[] = {
	{ "file", KS_FT_STRING, KS_AT(struct ks_scenario, trace_file), .required = true,
	  .doc = "a page-write trace replayed on top of the groups" },
	{ NULL }
};
static const struct ks_schema trace_schema = { .fields = trace_fields };

/* host: the host's RAM and zram (docs/zram.md). */
static int set_zram_algorithm(struct ks_ydoc *yd, const struct ks_field *f, yaml_node_t *key,
			      yaml_node_t *val, const char *where, void *obj)
{
	struct ks_host_spec *h = obj;
	int rc = ks_yaml_string(yd, val, "algorithm", &h->zram_algorithm);

	(void)f, (void)key, (void)where;
	if (!rc && ks_comp_from_name(h->zram_algorithm) < 0)
		rc = ks_yaml_fail(yd, val, KS_EINVAL, "host.zram.algorithm: unknown compressor "
				  "'%s' (known: %s)", h->zram_algorithm, ks_comp_names());
	return rc;
}

static int set_zram_costs(struct ks_ydoc *yd, const struct ks_field *f, yaml_node_t *key,
			  yaml_node_t *val, const char *where, void *obj)
{
	struct ks_host_spec *h = obj;
	struct ks_err e = { 0 };
	char path[4096];
	int rc = ks_yaml_string(yd, val, "costs", &h->zram_costs);

	(void)f, (void)key, (void)where;
	if (!rc && ks_zs_model_find(h->zram_costs, path, sizeof(path), &e))
		rc = ks_yaml_fail(yd, val, KS_EINVAL, "host.zram.costs: no zsmalloc cost model "
				  "'%s' (arch-models/zsmalloc/NAME.yaml)", h->zram_costs);
	return rc;
}

static const struct ks_field zram_fields[] = {
	{ "algorithm", KS_FT_STRING, .set = set_zram_algorithm,
	  .doc = "lzo-rle (default), lzo, lz4, zstd" },
	{ "chain", KS_FT_UINT, KS_AT(struct ks_host_spec, zram_chain), .umin = 1, .umax = 16,
	  .doc = "CONFIG_ZSMALLOC_CHAIN_SIZE (default 8)" },
	{ "costs", KS_FT_STRING, .set = set_zram_costs,
	  .doc = "arch-models/zsmalloc/NAME.yaml (default: the scenario's arch)" },
	{ NULL }
};
static const struct ks_schema zram_schema = { .fields = zram_fields };

static int set_host_ram(struct ks_ydoc *yd, const struct ks_field *f, yaml_node_t *key,
			yaml_node_t *val, const char *where, void *obj)
{
	struct ks_host_spec *h = obj;
	uint64_t bytes;
	int rc = ks_yaml_size(yd, val, "ram", &bytes);

	(void)f, (void)key, (void)where;
	if (!rc)
		h->ram_pages = bytes / PAGE_BYTES;
	return rc;
}

static int set_host_reserved(struct ks_ydoc *yd, const struct ks_field *f, yaml_node_t *key,
			     yaml_node_t *val, const char *where, void *obj)
{
	struct ks_host_spec *h = obj;
	uint64_t bytes;
	int rc = ks_yaml_size(yd, val, "kernel_reserved", &bytes);

	(void)f, (void)key, (void)where;
	if (!rc && bytes < (16ull << 20))
		rc = ks_yaml_fail(yd, val, KS_EINVAL, "host.kernel_reserved '%s' is below 16MiB: "
				  "no Linux kernel runs in that", text_of(val));
	if (!rc)
		h->kernel_pages = bytes / PAGE_BYTES;
	return rc;
}

/* The processes need at least 1 MiB beyond what the kernel keeps. */
static int host_check(struct ks_ydoc *yd, yaml_node_t *map, const char *where, void *obj)
{
	struct ks_host_spec *h = obj;
	yaml_node_t *ram = ks_yaml_get(yd, map, "ram", NULL);

	(void)where;
	if (h->ram_pages <= h->kernel_pages + (1u << 20) / PAGE_BYTES)
		return ks_yaml_fail(yd, ram ? ram : map, KS_EINVAL, "host.ram '%s' is smaller "
				    "than the kernel could run in: it keeps host.kernel_reserved "
				    "(%" PRIu64 "MiB) for itself and processes need at least 1MiB "
				    "more", ram ? text_of(ram) : "?",
				    (uint64_t)(h->kernel_pages * PAGE_BYTES >> 20));
	return 0;
}

static const struct ks_field host_fields[] = {
	{ "ram", KS_FT_SIZE, .set = set_host_ram, .required = true, .hint = "e.g. ram: 4GiB",
	  .doc = "the host's RAM" },
	{ "kernel_reserved", KS_FT_SIZE, .set = set_host_reserved,
	  .doc = "what the kernel keeps for itself (default 256MiB, an estimate)" },
	{ "zram", KS_FT_MAP, .sub = &zram_schema, .doc = "zram, the swap device" },
	{ NULL }
};
static const struct ks_schema host_schema = { .fields = host_fields, .check = host_check };

static void seed_images(struct ks_content_spec *cs, uint64_t seed)
{
	if (cs->kind == KS_SPEC_IMAGE && cs->image)
		cs->image_seed = fnv1a(cs->image) ^ seed;
}

/* Groups or a trace; every image's seed from its name and the run's seed; where
 * ksm.zero_page_colours and arch were given (cmd_run.c checks them against the arch
 * models there are). */
static int scenario_check(struct ks_ydoc *yd, yaml_node_t *map, const char *where, void *obj)
{
	struct ks_scenario *sc = obj;

	(void)where;
	yaml_node_t *ksm = ks_yaml_get(yd, map, "ksm", NULL), *colours;
	yaml_node_t *arch = ks_yaml_get(yd, map, "arch", NULL);
	char at[512];

	if (!sc->ngroups && !sc->trace_file)
		return ks_yaml_fail(yd, map, KS_EINVAL, "a scenario needs process groups "
				    "('processes') or a 'trace', or both");
	colours = ksm && ksm->type == YAML_MAPPING_NODE ?
		  ks_yaml_get(yd, ksm, "zero_page_colours", NULL) : NULL;
	if (colours) {
		free(sc->colours_where);
		sc->colours_where = ks_xstrdup(ks_yaml_where(yd, colours, at, sizeof(at)));
	}
	if (arch) { /* an arch model not found is reported there (cmd_run.c) */
		free(sc->arch_where);
		sc->arch_where = ks_xstrdup(ks_yaml_where(yd, arch, at, sizeof(at)));
	}
	for (unsigned i = 0; i < sc->ngroups; i++) {
		struct ks_group *g = &sc->groups[i];

		for (unsigned r = 0; r < g->nregions; r++)
			for (unsigned k = 0; k < g->regions[r].nparts; k++)
				seed_images(&g->regions[r].parts[k].content, sc->seed);
		for (unsigned w = 0; w < g->nwrites; w++)
			seed_images(&g->writes[w].content, sc->seed);
	}
	return 0;
}

/* The name makes the default database NAME.db in the current folder: a plain file name
 * (no '/', not starting with '.', no control byte, at most 200 bytes). */
static int set_scenario_name(struct ks_ydoc *yd, const struct ks_field *f, yaml_node_t *key,
			     yaml_node_t *val, const char *where, void *obj)
{
	struct ks_scenario *sc = obj;
	char *name = NULL;
	size_t n;
	int rc = ks_yaml_string(yd, val, "name", &name);

	(void)f, (void)key, (void)where;
	if (rc)
		return rc;
	n = strlen(name);
	if (!n || n > 200 || name[0] == '.' || strchr(name, '/'))
		rc = ks_yaml_fail(yd, val, KS_EINVAL, "name '%s' must be a plain file name of "
				  "1 to 200 bytes, without '/' and not starting with '.' (it names "
				  "the results database NAME.db)", name);
	for (size_t i = 0; !rc && i < n; i++)
		if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
			rc = ks_yaml_fail(yd, val, KS_EINVAL, "name '%s' has a control byte "
					  "(0x%02x)", name, (unsigned char)name[i]);
	if (rc) {
		free(name);
		return rc;
	}
	free(sc->name);
	sc->name = name;
	return 0;
}

static const char *const path_names[] = { "bulk", "reference", NULL };

static const struct ks_field scenario_fields[] = {
	{ "name", KS_FT_STRING, .set = set_scenario_name,
	  .doc = "default: the file's name; a plain file name (it names NAME.db)" },
	{ "seed", KS_FT_UINT, KS_AT(struct ks_scenario, seed), .doc = "default 0" },
	{ "arch", KS_FT_STRING, KS_AT(struct ks_scenario, arch),
	  .doc = "arch model (default x86_64)" },
	{ "duration", KS_FT_DURATION, KS_AT(struct ks_scenario, duration), .required = true,
	  .nonzero = true, .hint = "e.g. duration: 600s", .doc = "simulated time" },
	{ "sample", KS_FT_MAP, .sub = &sample_schema, .doc = "when counters are sampled" },
	{ "stop_when_stable", KS_FT_BOOL, KS_AT(struct ks_scenario, stop_when_stable),
	  .doc = "end early after stable_scans full scans without change" },
	{ "stable_scans", KS_FT_UINT, KS_AT(struct ks_scenario, stable_scans), .umin = 1,
	  .umax = UINT32_MAX, .doc = "default 3" },
	{ "ksm", KS_FT_MAP, KS_AT(struct ks_scenario, ksm), .sub = &ksm_schema,
	  .doc = "the /sys/kernel/mm/ksm knobs and model variants" },
	{ "ksm_changes", KS_FT_SEQ, .set = set_changes, .doc = "knob writes during the run" },
	{ "numa", KS_FT_MAP, .sub = &numa_schema, .doc = "NUMA nodes and page size" },
	{ "processes", KS_FT_SEQ, .set = set_groups, .doc = "process groups" },
	{ "trace", KS_FT_MAP, .sub = &trace_schema, .doc = "a page-write trace" },
	{ "host", KS_FT_MAP, KS_AT(struct ks_scenario, host), .sub = &host_schema,
	  .doc = "host RAM and zram: reclaim when the processes outgrow it" },
	{ "path", KS_FT_ENUM, KS_AT(struct ks_scenario, reference_path), .names = path_names,
	  .doc = "bulk (default) or reference: the page-by-page path" },
	{ NULL }
};
static const struct ks_schema scenario_schema = { .fields = scenario_fields,
						  .check = scenario_check };

/* ---- entry points --------------------------------------------------------------- */

static int conv_scenario(struct ks_ydoc *yd, yaml_node_t *root, struct ks_scenario *sc)
{
	if (root->type != YAML_MAPPING_NODE)
		return ks_yaml_fail(yd, root, KS_EINVAL, "a scenario must be a mapping of keys "
				    "(name:, duration:, ...), got %s",
				    root->type == YAML_SEQUENCE_NODE ? "a sequence" : "a scalar");
	return ks_schema_apply(yd, &scenario_schema, NULL, root, "", sc);
}

/* File name without folders and without a ".yaml" suffix. */
static char *default_name(const char *origin)
{
	const char *base = strrchr(origin, '/');
	size_t len;
	char *s;

	base = base ? base + 1 : origin;
	len = strlen(base);
	if (len > 5 && !strcmp(base + len - 5, ".yaml"))
		len -= 5;
	s = ks_xmalloc(len + 1);
	memcpy(s, base, len);
	s[len] = '\0';
	return s;
}

static int load(const char *text, size_t len, const char *origin, const char *path,
		const char *const *sets, unsigned nsets, struct ks_scenario *sc,
		struct ks_err *err)
{
	struct ks_ydoc yd;
	int rc;

	ks_scenario_init(sc);
	rc = ks_yaml_load(&yd, text, len, origin, err);
	if (rc)
		goto err_fini_scenario;
	for (unsigned i = 0; i < nsets; i++) {
		rc = ks_yaml_set(&yd, sets[i]);
		if (rc)
			goto err_fini_doc;
	}
	rc = conv_scenario(&yd, ks_yaml_root(&yd), sc);
	if (rc)
		goto err_fini_doc;
	if (!sc->name)
		sc->name = default_name(origin);
	if (!sc->arch)
		sc->arch = ks_xstrdup("x86_64");
	sc->path = path ? ks_xstrdup(path) : NULL;
	if (nsets) {
		rc = ks_yaml_emit(&yd, &sc->text);
		if (rc)
			goto err_fini_doc;
	} else {
		sc->text = ks_xmalloc(len + 1);
		memcpy(sc->text, text, len);
		sc->text[len] = '\0';
	}
	ks_yaml_fini(&yd);
	return 0;
err_fini_doc:
	ks_yaml_fini(&yd);
err_fini_scenario:
	ks_scenario_fini(sc);
	return rc;
}

int ks_scenario_load_file(const char *path, const char *const *sets, unsigned nsets,
			  struct ks_scenario *sc, struct ks_err *err)
{
	char *text;
	size_t len;
	int rc;

	rc = ks_yaml_read_file(path, &text, &len, err);
	if (rc) {
		ks_scenario_init(sc);
		ks_scenario_fini(sc);
		return rc;
	}
	rc = load(text, len, path, path, sets, nsets, sc, err);
	free(text);
	return rc;
}

int ks_scenario_load_string(const char *text, const char *origin, const char *const *sets,
			    unsigned nsets, struct ks_scenario *sc, struct ks_err *err)
{
	return load(text, strlen(text), origin, NULL, sets, nsets, sc, err);
}

int ks_scenario_find(const char *name, char *out, size_t outlen, struct ks_err *err)
{
	static const struct ks_file_kind kind = { "scenario", "scenarios", false, false };

	return ks_find_file(&kind, name, out, outlen, err);
}

int ks_scenario_load_ktrace(const struct ks_ktrace *kt, unsigned span, bool process_samples,
			    struct ks_scenario *sc, struct ks_err *err)
{
	char origin[4200];
	int rc;

	snprintf(origin, sizeof(origin), "%s/scenario.yaml", kt->dir);
	rc = ks_scenario_load_string(kt->scenario_text, origin, NULL, 0, sc, err);
	if (rc)
		return rc;
	rc = ks_ktrace_fit_scenario(kt, span, process_samples, sc, err);
	if (rc)
		ks_scenario_fini(sc);
	return rc;
}
