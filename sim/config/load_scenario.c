/* load_scenario.c - scenario YAML into struct ks_scenario.
 *
 * The file is loaded as one libyaml document, the `--set` overrides are applied to its
 * nodes, and the nodes are converted section by section (top level, sample, ksm,
 * ksm_changes, numa, processes -> regions -> contents, writes, trace). Every mapping is checked for unknown
 * and repeated keys before its values are read, every value is range-checked, and the
 * first problem ends the load with one located message. Fractions of regions are resolved
 * to page counts here, so the engine only ever sees pages. docs/scenario.md is the user's
 * reference for every key; keep the two in step.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "load_scenario.h"
#include "yaml_util.h"
#include "models/base/xalloc.h"
#include "models/vocab/checksum.h"
#include "traces/ktrace_replay.h"

#define PAGE_BYTES 4096ULL /* the only page size supported */

static const char *const top_keys[] = {
	"name", "seed", "arch", "duration", "sample", "stop_when_stable", "stable_scans",
	"ksm", "ksm_changes", "numa", "processes", "trace", "path", NULL
};
static const char *const sample_keys[] = {
	"every", "every_batches", "interval", "processes", NULL
};
static const char *const ksm_keys[] = {
	"run", "pages_to_scan", "sleep_millisecs", "max_page_sharing", "use_zero_pages",
	"merge_across_nodes", "smart_scan", "stable_node_chains_prune_millisecs",
	"advisor_mode", "advisor_max_cpu", "advisor_min_pages_to_scan",
	"advisor_max_pages_to_scan", "advisor_target_scan_time", "checksum", "hz",
	"cmp_order", "zero_page_colours", "stable_before_checksum", "zero_page_after_stable",
	"algorithm", NULL
};
static const char *const change_keys[] = { "at", "set", NULL };
static const char *const numa_keys[] = { "nodes", "page_size", NULL };
static const char *const trace_keys[] = { "file", NULL };
static const char *const group_keys[] = {
	"name", "count", "start", "stagger", "exit", "regions", "writes", "reads", NULL
};
static const char *const region_keys[] = {
	"name", "size", "pages", "mergeable", "madvise_at", "unmerge_at", "shuffle",
	"contents", NULL
};
static const char *const part_keys[] = { "fraction", "pages", "rest", "content", NULL };
static const char *const write_keys[] = {
	"region", "first", "count", "fraction", "every", "rate", "start", "stop", "content",
	NULL
};
static const char *const read_keys[] = {
	"region", "first", "count", "fraction", "order", "rate", "start", "stop", NULL
};
static const char *const read_order_names[] = { "sequential", "random", NULL };
static const char *const word_keys[] = { "offset", "width", "value", NULL };
/* Indexed by enum ks_content_kind_spec. */
static const char *const kind_names[] = { "zero", "fill", "image", "random", NULL };
static const char *const kind_keys_plain[] = { "kind", NULL };
static const char *const kind_keys_fill[] = { "kind", "byte", "words", NULL };
static const char *const kind_keys_image[] = { "kind", "image", NULL };

/* Dotted path of a child: "ksm", "processes.0", "processes.0.regions" (paths longer
 * than the buffer are cut, which only shortens messages). */
static void child_path(char *buf, size_t len, const char *where, const char *key)
{
	if (snprintf(buf, len, "%s%s%s", where, *where ? "." : "", key) >= (int)len)
		buf[len - 1] = '\0';
}

static void item_path(char *buf, size_t len, const char *where, unsigned i)
{
	if (snprintf(buf, len, "%s.%u", where, i) >= (int)len)
		buf[len - 1] = '\0';
}

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

/* ---- content ------------------------------------------------------------------- */

static int conv_word(struct ks_ydoc *yd, yaml_node_t *n, const char *where,
		     struct ks_patch_spec *pt)
{
	yaml_node_t *v;
	uint64_t w = 8, off, max;
	const char *s;
	int rc;

	rc = ks_yaml_expect(yd, NULL, n, YAML_MAPPING_NODE, where);
	if (!rc)
		rc = ks_yaml_check_keys(yd, n, word_keys, where);
	if (!rc)
		rc = ks_yaml_get_uint(yd, n, "width", 1, 8, &w);
	if (rc)
		return rc;
	v = ks_yaml_get(yd, n, "offset", NULL);
	if (!v)
		return ks_yaml_fail(yd, n, KS_EINVAL, "missing required key 'offset' in %s", where);
	rc = ks_yaml_uint(yd, v, "offset", 0, PAGE_BYTES - w, &off);
	if (rc)
		return rc;
	pt->offset = (unsigned)off;
	pt->width = (unsigned)w;
	v = ks_yaml_get(yd, n, "value", NULL);
	if (!v)
		return ks_yaml_fail(yd, n, KS_EINVAL, "missing required key 'value' in %s", where);
	s = v->type == YAML_SCALAR_NODE ? (const char *)v->data.scalar.value : "";
	if (!strcmp(s, "serial")) {
		pt->source = KS_PV_SERIAL;
		pt->value = 0;
		return 0;
	}
	if (!strcmp(s, "index")) {
		pt->source = KS_PV_INDEX;
		pt->value = 0;
		return 0;
	}
	if (!strncmp(s, "index+", 6)) {
		char *end;

		pt->source = KS_PV_INDEX_PLUS;
		pt->value = strtoull(s + 6, &end, 0);
		if (s[6] < '0' || s[6] > '9' || *end)
			return ks_yaml_fail(yd, v, KS_EINVAL,
					    "value must be an integer, index, index+N or serial, got '%s'",
					    s);
		return 0;
	}
	pt->source = KS_PV_CONST;
	max = w == 8 ? UINT64_MAX : (1ULL << (8 * w)) - 1;
	return ks_yaml_uint(yd, v, "value", 0, max, &pt->value);
}

static int conv_fill(struct ks_ydoc *yd, yaml_node_t *n, const char *where,
		     struct ks_content_spec *cs)
{
	yaml_node_t *words;
	char path[256];
	uint64_t byte = 0;
	int rc;

	rc = ks_yaml_get_uint(yd, n, "byte", 0, 255, &byte);
	if (!rc)
		rc = ks_yaml_get_sequence(yd, n, "words", where, &words);
	if (rc)
		return rc;
	cs->fill = (uint8_t)byte;
	if (!words)
		return 0;
	if (ks_yaml_count(words) > KS_MAX_PATCHES)
		return ks_yaml_fail(yd, words, KS_EINVAL, "at most %d words per page, got %u",
				    KS_MAX_PATCHES, ks_yaml_count(words));
	for (unsigned i = 0; i < ks_yaml_count(words); i++) {
		char wpath[256];

		child_path(path, sizeof(path), where, "words");
		item_path(wpath, sizeof(wpath), path, i);
		rc = conv_word(yd, ks_yaml_item(yd, words, i), wpath, &cs->patches[i]);
		if (rc)
			return rc;
		cs->npatches = i + 1;
	}
	return 0;
}

/* A content mapping {kind: ..., ...}; key (may be NULL) locates type errors. */
static int conv_content(struct ks_ydoc *yd, const struct ks_scenario *sc, yaml_node_t *key,
			yaml_node_t *n, const char *where, struct ks_content_spec *cs)
{
	static const char *const *const keys[] = {
		kind_keys_plain, kind_keys_fill, kind_keys_image, kind_keys_plain
	};
	yaml_node_t *v;
	char kwhere[300];
	unsigned kind;
	int rc;

	rc = ks_yaml_expect(yd, key, n, YAML_MAPPING_NODE, where);
	if (rc)
		return rc;
	v = ks_yaml_get(yd, n, "kind", NULL);
	if (!v)
		return ks_yaml_fail(yd, n, KS_EINVAL,
				    "missing required key 'kind' in %s (zero, fill, image or random)",
				    where);
	rc = ks_yaml_enum(yd, v, "content kind", kind_names, &kind);
	if (rc)
		return rc;
	snprintf(kwhere, sizeof(kwhere), "%s (kind %s)", where, kind_names[kind]);
	rc = ks_yaml_check_keys(yd, n, keys[kind], kwhere);
	if (rc)
		return rc;
	cs->kind = (enum ks_content_kind_spec)kind;
	if (kind == KS_SPEC_FILL)
		return conv_fill(yd, n, where, cs);
	if (kind != KS_SPEC_IMAGE)
		return 0;
	v = ks_yaml_get(yd, n, "image", NULL);
	if (!v)
		return ks_yaml_fail(yd, n, KS_EINVAL,
				    "missing required key 'image' (an image name) in %s", where);
	rc = ks_yaml_string(yd, v, "image", &cs->image);
	if (rc)
		return rc;
	cs->image_seed = fnv1a(cs->image) ^ sc->seed;
	return 0;
}

/* ---- regions and their parts ---------------------------------------------------- */

enum part_size { PART_PAGES, PART_FRACTION, PART_REST };

/* Reads one part; its size is resolved later (*how, *fraction). */
static int conv_part(struct ks_ydoc *yd, const struct ks_scenario *sc, yaml_node_t *n,
		     const char *where, struct ks_part *part, enum part_size *how,
		     double *fraction)
{
	yaml_node_t *fk = NULL, *pk = NULL, *rk = NULL, *ck = NULL;
	yaml_node_t *fv, *pv, *rv, *cv;
	char path[300];
	bool rest = false;
	int rc, given;

	rc = ks_yaml_expect(yd, NULL, n, YAML_MAPPING_NODE, where);
	if (!rc)
		rc = ks_yaml_check_keys(yd, n, part_keys, where);
	if (rc)
		return rc;
	fv = ks_yaml_get(yd, n, "fraction", &fk);
	pv = ks_yaml_get(yd, n, "pages", &pk);
	rv = ks_yaml_get(yd, n, "rest", &rk);
	if (rv) {
		rc = ks_yaml_bool(yd, rv, "rest", &rest);
		if (rc)
			return rc;
		if (!rest)
			return ks_yaml_fail(yd, rv, KS_EINVAL,
					    "rest can only be true (or give fraction or pages)");
	}
	given = !!fv + !!pv + !!rv;
	if (given == 0)
		return ks_yaml_fail(yd, n, KS_EINVAL,
				    "%s needs one of fraction, pages or rest: true", where);
	if (given > 1)
		return ks_yaml_fail(yd, rv ? rk : pk, KS_EINVAL,
				    "give only one of fraction, pages and rest in %s", where);
	if (fv) {
		*how = PART_FRACTION;
		rc = ks_yaml_double(yd, fv, "fraction", 0, true, 1, fraction);
	} else if (pv) {
		*how = PART_PAGES;
		rc = ks_yaml_uint(yd, pv, "pages", 0, UINT64_MAX / PAGE_BYTES, &part->pages);
	} else {
		*how = PART_REST;
	}
	if (rc)
		return rc;
	cv = ks_yaml_get(yd, n, "content", &ck);
	if (!cv)
		return ks_yaml_fail(yd, n, KS_EINVAL,
				    "missing required key 'content' in %s (e.g. content: {kind: zero})",
				    where);
	child_path(path, sizeof(path), where, "content");
	return conv_content(yd, sc, ck, cv, path, &part->content);
}

/* Turns fractions and rest into page counts: fractions are rounded to the nearest page
 * cumulatively, so fractions adding up to 1 cover the region exactly. */
static int conv_parts(struct ks_ydoc *yd, const struct ks_scenario *sc, yaml_node_t *seq,
		      const char *where, struct ks_region *rg)
{
	unsigned n = ks_yaml_count(seq), rest = n;
	enum part_size *how = ks_xcalloc(n ? n : 1, sizeof(*how));
	double *frac = ks_xcalloc(n ? n : 1, sizeof(*frac)), cum = 0;
	uint64_t used = 0, frac_pages = 0;
	char path[300];
	int rc = 0;

	rg->parts = ks_xcalloc(n ? n : 1, sizeof(*rg->parts));
	rg->nparts = n;
	for (unsigned i = 0; i < n && !rc; i++) {
		item_path(path, sizeof(path), where, i);
		rc = conv_part(yd, sc, ks_yaml_item(yd, seq, i), path, &rg->parts[i], &how[i],
			       &frac[i]);
		if (!rc && how[i] == PART_REST && rest < n)
			rc = ks_yaml_fail(yd, ks_yaml_item(yd, seq, i), KS_EINVAL,
					  "only one part of region '%s' may be rest (the first is %s.%u)",
					  rg->name, where, rest);
		if (!rc && how[i] == PART_REST)
			rest = i;
	}
	for (unsigned i = 0; i < n && !rc; i++) {
		if (how[i] == PART_FRACTION) {
			uint64_t end;

			cum += frac[i];
			end = (uint64_t)llround(cum * (double)rg->pages);
			rg->parts[i].pages = end - frac_pages;
			frac_pages = end;
		}
		if (how[i] == PART_REST)
			continue;
		used += rg->parts[i].pages;
		if (used > rg->pages)
			rc = ks_yaml_fail(yd, ks_yaml_item(yd, seq, i), KS_EINVAL,
					  "contents of region '%s' need %llu pages by here, more than its %llu",
					  rg->name, (unsigned long long)used,
					  (unsigned long long)rg->pages);
	}
	if (!rc && rest < n)
		rg->parts[rest].pages = rg->pages - used;
	free(frac);
	free(how);
	return rc;
}

static int conv_region_size(struct ks_ydoc *yd, yaml_node_t *n, const char *where,
			    struct ks_region *rg)
{
	yaml_node_t *sk = NULL, *pk = NULL;
	yaml_node_t *sv = ks_yaml_get(yd, n, "size", &sk), *pv = ks_yaml_get(yd, n, "pages", &pk);
	uint64_t bytes;
	int rc;

	if (sv && pv)
		return ks_yaml_fail(yd, pk, KS_EINVAL,
				    "give either size or pages for %s, not both", where);
	if (!sv && !pv)
		return ks_yaml_fail(yd, n, KS_EINVAL,
				    "%s needs a size (e.g. size: 1GiB) or a page count (pages: N)",
				    where);
	if (pv)
		return ks_yaml_uint(yd, pv, "pages", 1, UINT64_MAX / PAGE_BYTES, &rg->pages);
	rc = ks_yaml_size(yd, sv, "size", &bytes);
	if (rc)
		return rc;
	if (bytes == 0 || bytes % PAGE_BYTES)
		return ks_yaml_fail(yd, sv, KS_EINVAL,
				    "size must be a positive multiple of 4KiB (4096 bytes): '%s'",
				    (const char *)sv->data.scalar.value);
	rg->pages = bytes / PAGE_BYTES;
	return 0;
}

static int conv_region(struct ks_ydoc *yd, const struct ks_scenario *sc, yaml_node_t *n,
		       const char *where, unsigned idx, struct ks_region *rg)
{
	yaml_node_t *contents;
	ks_time unmerge = KS_YAML_NEVER;
	char buf[300];
	int rc;

	rc = ks_yaml_expect(yd, NULL, n, YAML_MAPPING_NODE, where);
	if (!rc)
		rc = ks_yaml_check_keys(yd, n, region_keys, where);
	if (!rc)
		rc = ks_yaml_get_string(yd, n, "name", &rg->name);
	if (rc)
		return rc;
	if (!rg->name) {
		snprintf(buf, sizeof(buf), "region%u", idx);
		rg->name = ks_xstrdup(buf);
	}
	rg->mergeable = true;
	rc = conv_region_size(yd, n, where, rg);
	if (!rc)
		rc = ks_yaml_get_bool(yd, n, "mergeable", &rg->mergeable);
	if (!rc)
		rc = ks_yaml_get_duration(yd, n, "madvise_at", false, &rg->madvise_at);
	if (!rc)
		rc = ks_yaml_get_duration(yd, n, "unmerge_at", true, &unmerge);
	if (!rc && unmerge == 0)
		rc = ks_yaml_fail(yd, ks_yaml_get(yd, n, "unmerge_at", NULL), KS_EINVAL,
				  "unmerge_at must be > 0 (or never)");
	if (!rc)
		rc = ks_yaml_get_bool(yd, n, "shuffle", &rg->shuffle);
	if (!rc)
		rc = ks_yaml_get_sequence(yd, n, "contents", where, &contents);
	if (rc)
		return rc;
	rg->unmerge_at = unmerge == KS_YAML_NEVER ? 0 : unmerge;
	if (!contents)
		return 0;
	child_path(buf, sizeof(buf), where, "contents");
	return conv_parts(yd, sc, contents, buf, rg);
}

/* ---- write schedules ------------------------------------------------------------ */

static int conv_write_region(struct ks_ydoc *yd, yaml_node_t *n, const char *where,
			     const struct ks_group *g, struct ks_write_sched *w)
{
	yaml_node_t *v = ks_yaml_get(yd, n, "region", NULL);
	const char **names;
	char *name = NULL;
	const char *hint;
	int rc;

	if (!v)
		return ks_yaml_fail(yd, n, KS_EINVAL, "missing required key 'region' in %s", where);
	rc = ks_yaml_string(yd, v, "region", &name);
	if (rc)
		return rc;
	for (w->region = 0; w->region < g->nregions; w->region++)
		if (!strcmp(g->regions[w->region].name, name))
			break;
	if (w->region < g->nregions) {
		free(name);
		return 0;
	}
	names = ks_xcalloc(g->nregions + 1, sizeof(*names));
	for (unsigned i = 0; i < g->nregions; i++)
		names[i] = g->regions[i].name;
	hint = ks_suggest(name, names);
	if (hint)
		rc = ks_yaml_fail(yd, v, KS_EINVAL,
				  "unknown region '%s' in %s (did you mean '%s'?)", name, where, hint);
	else
		rc = ks_yaml_fail(yd, v, KS_EINVAL, "unknown region '%s' in %s (group '%s' has %s%s)",
				  name, where, g->name, names[0],
				  g->nregions > 1 ? ", ..." : "");
	free(names);
	free(name);
	return rc;
}

static int conv_write_range(struct ks_ydoc *yd, yaml_node_t *n, const char *where,
			    uint64_t pages, struct ks_write_sched *w)
{
	yaml_node_t *ck = NULL, *fk = NULL;
	yaml_node_t *cv = ks_yaml_get(yd, n, "count", &ck), *fv = ks_yaml_get(yd, n, "fraction", &fk);
	double f;
	int rc;

	rc = ks_yaml_get_uint(yd, n, "first", 0, pages - 1, &w->first);
	if (rc)
		return rc;
	if (cv && fv)
		return ks_yaml_fail(yd, fk, KS_EINVAL,
				    "give either count or fraction in %s, not both", where);
	w->count = pages - w->first;
	if (cv)
		rc = ks_yaml_uint(yd, cv, "count", 1, UINT64_MAX, &w->count);
	if (fv) {
		rc = ks_yaml_double(yd, fv, "fraction", 0, true, 1, &f);
		if (!rc)
			w->count = (uint64_t)llround(f * (double)pages);
		if (!rc && w->count == 0)
			rc = ks_yaml_fail(yd, fv, KS_EINVAL,
					  "fraction %g of %llu pages is less than one page", f,
					  (unsigned long long)pages);
	}
	if (!rc && w->count > pages - w->first)
		rc = ks_yaml_fail(yd, cv ? cv : fv, KS_EINVAL,
				  "first + count = %llu is beyond the end of the region (%llu pages)",
				  (unsigned long long)(w->first + w->count),
				  (unsigned long long)pages);
	return rc;
}

static int conv_write(struct ks_ydoc *yd, const struct ks_scenario *sc, yaml_node_t *n,
		      const char *where, const struct ks_group *g, struct ks_write_sched *w)
{
	yaml_node_t *ek = NULL, *rk = NULL, *ck = NULL;
	yaml_node_t *ev, *rv, *cv;
	ks_time stop = KS_YAML_NEVER;
	char path[300];
	int rc;

	w->content.kind = KS_SPEC_RANDOM;
	rc = ks_yaml_expect(yd, NULL, n, YAML_MAPPING_NODE, where);
	if (!rc)
		rc = ks_yaml_check_keys(yd, n, write_keys, where);
	if (!rc)
		rc = conv_write_region(yd, n, where, g, w);
	if (!rc)
		rc = conv_write_range(yd, n, where, g->regions[w->region].pages, w);
	if (rc)
		return rc;
	ev = ks_yaml_get(yd, n, "every", &ek);
	rv = ks_yaml_get(yd, n, "rate", &rk);
	if (ev && rv)
		return ks_yaml_fail(yd, rk, KS_EINVAL,
				    "give either every (periodic) or rate (Poisson) in %s, not both",
				    where);
	if (!ev && !rv)
		return ks_yaml_fail(yd, n, KS_EINVAL,
				    "%s needs every (e.g. every: 50ms) or rate (writes per page per second)",
				    where);
	if (ev) {
		w->kind = KS_WRITE_PERIODIC;
		rc = ks_yaml_duration(yd, ev, "every", false, &w->period);
		if (!rc && w->period == 0)
			rc = ks_yaml_fail(yd, ev, KS_EINVAL, "every must be > 0");
	} else {
		w->kind = KS_WRITE_POISSON;
		rc = ks_yaml_double(yd, rv, "rate", 0, true, INFINITY, &w->rate_per_page);
	}
	if (!rc)
		rc = ks_yaml_get_duration(yd, n, "start", false, &w->start);
	if (!rc)
		rc = ks_yaml_get_duration(yd, n, "stop", true, &stop);
	if (!rc && stop != KS_YAML_NEVER && stop <= w->start)
		rc = ks_yaml_fail(yd, ks_yaml_get(yd, n, "stop", NULL), KS_EINVAL,
				  "stop must be later than start");
	if (rc)
		return rc;
	w->stop = stop == KS_YAML_NEVER ? 0 : stop;
	cv = ks_yaml_get(yd, n, "content", &ck);
	if (!cv)
		return 0;
	child_path(path, sizeof(path), where, "content");
	return conv_content(yd, sc, ck, cv, path, &w->content);
}

/* ---- read schedules ------------------------------------------------------------- */

/* A reads: item. Its region and range follow the rules of writes: (a read of pages the
 * region does not have is refused here, with its line). */
static int conv_read(struct ks_ydoc *yd, yaml_node_t *n, const char *where,
		     const struct ks_group *g, struct ks_read_sched *r)
{
	struct ks_write_sched range = { 0 };
	ks_time stop = KS_YAML_NEVER;
	yaml_node_t *v;
	unsigned order = KS_READ_SEQUENTIAL;
	int rc;

	rc = ks_yaml_expect(yd, NULL, n, YAML_MAPPING_NODE, where);
	if (!rc)
		rc = ks_yaml_check_keys(yd, n, read_keys, where);
	if (!rc)
		rc = conv_write_region(yd, n, where, g, &range);
	if (!rc)
		rc = conv_write_range(yd, n, where, g->regions[range.region].pages, &range);
	if (rc)
		return rc;
	r->region = range.region;
	r->first = range.first;
	r->count = range.count;
	v = ks_yaml_get(yd, n, "order", NULL);
	if (v && (rc = ks_yaml_enum(yd, v, "order", read_order_names, &order)))
		return rc;
	r->order = (enum ks_read_order)order;
	v = ks_yaml_get(yd, n, "rate", NULL);
	if (!v)
		return ks_yaml_fail(yd, n, KS_EINVAL, "%s needs rate (pages read per second, "
				    "e.g. rate: 100000)", where);
	rc = ks_yaml_double(yd, v, "rate", 0, true, 1e12, &r->rate);
	if (!rc)
		rc = ks_yaml_get_duration(yd, n, "start", false, &r->start);
	if (!rc)
		rc = ks_yaml_get_duration(yd, n, "stop", true, &stop);
	if (!rc && stop != KS_YAML_NEVER && stop <= r->start)
		rc = ks_yaml_fail(yd, ks_yaml_get(yd, n, "stop", NULL), KS_EINVAL,
				  "stop must be later than start");
	r->stop = stop == KS_YAML_NEVER ? 0 : stop;
	return rc;
}

static int conv_reads(struct ks_ydoc *yd, yaml_node_t *seq, const char *where,
		      struct ks_group *g)
{
	char path[256], ipath[300];
	int rc;

	child_path(path, sizeof(path), where, "reads");
	g->nreads = ks_yaml_count(seq);
	g->reads = ks_xcalloc(g->nreads ? g->nreads : 1, sizeof(*g->reads));
	for (unsigned i = 0; i < g->nreads; i++) {
		item_path(ipath, sizeof(ipath), path, i);
		rc = conv_read(yd, ks_yaml_item(yd, seq, i), ipath, g, &g->reads[i]);
		if (rc)
			return rc;
	}
	return 0;
}

/* ---- process groups ------------------------------------------------------------- */

static int conv_group_times(struct ks_ydoc *yd, yaml_node_t *n, struct ks_group *g)
{
	ks_time exit = KS_YAML_NEVER;
	int rc;

	rc = ks_yaml_get_unsigned(yd, n, "count", 1, UINT32_MAX, &g->count);
	if (!rc)
		rc = ks_yaml_get_duration(yd, n, "start", false, &g->start);
	if (!rc)
		rc = ks_yaml_get_duration(yd, n, "stagger", false, &g->stagger);
	if (!rc)
		rc = ks_yaml_get_duration(yd, n, "exit", true, &exit);
	if (!rc && exit == 0)
		rc = ks_yaml_fail(yd, ks_yaml_get(yd, n, "exit", NULL), KS_EINVAL,
				  "exit must be > 0 (or never)");
	g->exit = exit == KS_YAML_NEVER ? 0 : exit;
	return rc;
}

static int conv_group(struct ks_ydoc *yd, const struct ks_scenario *sc, yaml_node_t *n,
		      const char *where, unsigned idx, struct ks_group *g)
{
	yaml_node_t *regions, *writes, *reads;
	char path[256], ipath[300];
	int rc;

	rc = ks_yaml_expect(yd, NULL, n, YAML_MAPPING_NODE, where);
	if (!rc)
		rc = ks_yaml_check_keys(yd, n, group_keys, where);
	if (!rc)
		rc = ks_yaml_get_string(yd, n, "name", &g->name);
	if (rc)
		return rc;
	if (!g->name) {
		snprintf(path, sizeof(path), "group%u", idx);
		g->name = ks_xstrdup(path);
	}
	g->count = 1;
	rc = conv_group_times(yd, n, g);
	if (!rc)
		rc = ks_yaml_get_sequence(yd, n, "regions", where, &regions);
	if (!rc)
		rc = ks_yaml_get_sequence(yd, n, "writes", where, &writes);
	if (!rc)
		rc = ks_yaml_get_sequence(yd, n, "reads", where, &reads);
	if (rc)
		return rc;
	if (!regions || !ks_yaml_count(regions))
		return ks_yaml_fail(yd, regions ? regions : n, KS_EINVAL,
				    "%s (group '%s') needs at least one region in 'regions'", where,
				    g->name);
	child_path(path, sizeof(path), where, "regions");
	g->nregions = ks_yaml_count(regions);
	g->regions = ks_xcalloc(g->nregions, sizeof(*g->regions));
	for (unsigned i = 0; i < g->nregions; i++) {
		item_path(ipath, sizeof(ipath), path, i);
		rc = conv_region(yd, sc, ks_yaml_item(yd, regions, i), ipath, i, &g->regions[i]);
		for (unsigned j = 0; !rc && j < i; j++)
			if (!strcmp(g->regions[j].name, g->regions[i].name))
				rc = ks_yaml_fail(yd, ks_yaml_item(yd, regions, i), KS_EINVAL,
						  "duplicate region name '%s' in group '%s'",
						  g->regions[i].name, g->name);
		if (rc)
			return rc;
	}
	if (reads && (rc = conv_reads(yd, reads, where, g)))
		return rc;
	if (!writes)
		return 0;
	child_path(path, sizeof(path), where, "writes");
	g->nwrites = ks_yaml_count(writes);
	g->writes = ks_xcalloc(g->nwrites ? g->nwrites : 1, sizeof(*g->writes));
	for (unsigned i = 0; i < g->nwrites; i++) {
		item_path(ipath, sizeof(ipath), path, i);
		rc = conv_write(yd, sc, ks_yaml_item(yd, writes, i), ipath, g, &g->writes[i]);
		if (rc)
			return rc;
	}
	return 0;
}

static int conv_groups(struct ks_ydoc *yd, yaml_node_t *seq, struct ks_scenario *sc)
{
	char path[64];
	int rc;

	sc->ngroups = ks_yaml_count(seq);
	sc->groups = ks_xcalloc(sc->ngroups ? sc->ngroups : 1, sizeof(*sc->groups));
	for (unsigned i = 0; i < sc->ngroups; i++) {
		item_path(path, sizeof(path), "processes", i);
		rc = conv_group(yd, sc, ks_yaml_item(yd, seq, i), path, i, &sc->groups[i]);
		for (unsigned j = 0; !rc && j < i; j++)
			if (!strcmp(sc->groups[j].name, sc->groups[i].name))
				rc = ks_yaml_fail(yd, ks_yaml_item(yd, seq, i), KS_EINVAL,
						  "duplicate process group name '%s'",
						  sc->groups[i].name);
		if (rc)
			return rc;
	}
	return 0;
}

/* ---- sections ------------------------------------------------------------------- */

static int conv_sample(struct ks_ydoc *yd, yaml_node_t *n, struct ks_scenario *sc)
{
	static const char *const every_names[] = { "batch", NULL };
	yaml_node_t *ek = NULL, *bk = NULL, *ik = NULL;
	yaml_node_t *ev, *bv, *iv;
	unsigned dummy;
	int rc;

	rc = ks_yaml_check_keys(yd, n, sample_keys, "sample");
	if (rc)
		return rc;
	ev = ks_yaml_get(yd, n, "every", &ek);
	bv = ks_yaml_get(yd, n, "every_batches", &bk);
	iv = ks_yaml_get(yd, n, "interval", &ik);
	if (!!ev + !!bv + !!iv > 1)
		return ks_yaml_fail(yd, iv ? ik : bk, KS_EINVAL,
				    "give only one of every, every_batches and interval in sample");
	if (ev)
		rc = ks_yaml_enum(yd, ev, "sample every", every_names, &dummy);
	if (bv)
		rc = ks_yaml_get_unsigned(yd, n, "every_batches", 1, UINT32_MAX, &sc->sample_every);
	if (iv) {
		sc->sample_mode = KS_SAMPLE_INTERVAL;
		rc = ks_yaml_duration(yd, iv, "interval", false, &sc->sample_interval);
		if (!rc && sc->sample_interval == 0)
			rc = ks_yaml_fail(yd, iv, KS_EINVAL, "interval must be > 0");
	}
	if (!rc)
		rc = ks_yaml_get_bool(yd, n, "processes", &sc->process_samples);
	return rc;
}

static int conv_ksm_enums(struct ks_ydoc *yd, yaml_node_t *n, struct ks_ksm_params *p)
{
	static const char *const advisor_names[] = { "none", "scan-time", NULL };
	static const char *const order_names[] = { "v6.11", "pre-v6.11", NULL };
	static const char *const algorithm_names[] = { "linux-6.18", "2009", NULL };
	const char *csum_names[KS_CSUM_COUNT + 1];
	enum ks_checksum_alg alg;
	yaml_node_t *v;
	unsigned i;
	int rc;

	for (i = 0; i < KS_CSUM_COUNT; i++)
		csum_names[i] = ks_checksum_name((enum ks_checksum_alg)i);
	csum_names[KS_CSUM_COUNT] = NULL;
	v = ks_yaml_get(yd, n, "advisor_mode", NULL);
	if (v) {
		rc = ks_yaml_enum(yd, v, "advisor_mode", advisor_names, &i);
		if (rc)
			return rc;
		p->advisor_mode = i ? KS_ADVISOR_SCAN_TIME : KS_ADVISOR_NONE;
	}
	v = ks_yaml_get(yd, n, "cmp_order", NULL);
	if (v) {
		rc = ks_yaml_enum(yd, v, "cmp_order", order_names, &i);
		if (rc)
			return rc;
		p->cmp_order_pre_611 = i == 1;
	}
	v = ks_yaml_get(yd, n, "algorithm", NULL);
	if (v) {
		rc = ks_yaml_enum(yd, v, "algorithm", algorithm_names, &i);
		if (rc)
			return rc;
		p->algorithm = i ? KS_KSM_ALG_2009 : KS_KSM_ALG_LINUX_618;
	}
	v = ks_yaml_get(yd, n, "checksum", NULL);
	if (v) {
		rc = ks_yaml_enum(yd, v, "checksum", csum_names, &i);
		if (rc)
			return rc;
		if (!ks_checksum_parse(csum_names[i], &alg))
			return ks_yaml_fail(yd, v, KS_EINVAL, "checksum '%s' is not supported",
					    csum_names[i]);
		p->checksum = (int)alg;
	}
	return 0;
}

/* The knobs of /sys/kernel/mm/ksm present in n (ksm: or a ksm_changes set:), except
 * advisor_mode (see conv_ksm_enums); absent keys leave *p unchanged. */
static int conv_ksm_knobs(struct ks_ydoc *yd, yaml_node_t *n, struct ks_ksm_params *p)
{
	int rc;

	rc = ks_yaml_get_unsigned(yd, n, "run", 0, 2, &p->run);
	if (!rc)
		rc = ks_yaml_get_unsigned(yd, n, "pages_to_scan", 0, UINT32_MAX, &p->pages_to_scan);
	if (!rc)
		rc = ks_yaml_get_unsigned(yd, n, "sleep_millisecs", 0, UINT32_MAX,
					  &p->sleep_millisecs);
	if (!rc)
		rc = ks_yaml_get_unsigned(yd, n, "max_page_sharing", 2, INT32_MAX,
					  &p->max_page_sharing);
	if (!rc)
		rc = ks_yaml_get_bool(yd, n, "use_zero_pages", &p->use_zero_pages);
	if (!rc)
		rc = ks_yaml_get_bool(yd, n, "merge_across_nodes", &p->merge_across_nodes);
	if (!rc)
		rc = ks_yaml_get_bool(yd, n, "smart_scan", &p->smart_scan);
	if (!rc)
		rc = ks_yaml_get_unsigned(yd, n, "stable_node_chains_prune_millisecs", 0,
					  UINT32_MAX, &p->stable_node_chains_prune_millisecs);
	if (!rc)
		rc = ks_yaml_get_uint(yd, n, "advisor_max_cpu", 1, 100, &p->advisor_max_cpu);
	if (!rc)
		rc = ks_yaml_get_uint(yd, n, "advisor_min_pages_to_scan", 1, UINT64_MAX,
				      &p->advisor_min_pages_to_scan);
	if (!rc)
		rc = ks_yaml_get_uint(yd, n, "advisor_max_pages_to_scan", 1, UINT64_MAX,
				      &p->advisor_max_pages_to_scan);
	if (!rc)
		rc = ks_yaml_get_uint(yd, n, "advisor_target_scan_time", 1, UINT64_MAX,
				      &p->advisor_target_scan_time);
	return rc;
}

static int conv_ksm(struct ks_ydoc *yd, yaml_node_t *n, struct ks_ksm_params *p)
{
	yaml_node_t *v;
	int rc;

	rc = ks_yaml_check_keys(yd, n, ksm_keys, "ksm");
	if (!rc)
		rc = conv_ksm_knobs(yd, n, p);
	if (!rc)
		rc = conv_ksm_enums(yd, n, p);
	if (!rc)
		rc = ks_yaml_get_unsigned(yd, n, "hz", 1, 100000, &p->hz);
	if (!rc && p->hz != 100 && p->hz != 250 && p->hz != 300 && p->hz != 1000)
		rc = ks_yaml_fail(yd, ks_yaml_get(yd, n, "hz", NULL), KS_EINVAL,
				  "hz must be 100, 250, 300 or 1000, got %u", p->hz);
	if (!rc)
		rc = ks_yaml_get_bool(yd, n, "stable_before_checksum", &p->stable_before_checksum);
	if (!rc)
		rc = ks_yaml_get_bool(yd, n, "zero_page_after_stable", &p->zero_page_after_stable);
	if (!rc)
		rc = ks_yaml_get_unsigned(yd, n, "zero_page_colours", 1, 128,
					  &p->zero_page_colours);
	v = ks_yaml_get(yd, n, "zero_page_colours", NULL);
	if (!rc && (p->zero_page_colours & (p->zero_page_colours - 1)))
		rc = ks_yaml_fail(yd, v, KS_EINVAL,
				  "zero_page_colours must be a power of two, got %u",
				  p->zero_page_colours);
	return rc;
}

/* ---- ksm_changes ---------------------------------------------------------------- */

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

/* A set: mapping; its values are checked as in ksm:, then appended in file order. */
static int conv_change_set(struct ks_ydoc *yd, yaml_node_t *set, const char *where,
			   ks_time at, struct ks_scenario *sc)
{
	const char *names[KS_KNOB_COUNT + 1];
	struct ks_ksm_params p;
	yaml_node_pair_t *pair;
	int rc;

	for (unsigned i = 0; i < KS_KNOB_COUNT; i++)
		names[i] = ks_knob_name((enum ks_knob)i);
	names[KS_KNOB_COUNT] = NULL;
	ks_ksm_params_default(&p);
	rc = ks_yaml_check_keys(yd, set, names, where);
	if (!rc)
		rc = conv_ksm_knobs(yd, set, &p);
	if (!rc)
		rc = conv_ksm_enums(yd, set, &p);
	if (rc)
		return rc;
	for (pair = set->data.mapping.pairs.start; pair < set->data.mapping.pairs.top; pair++) {
		yaml_node_t *key = yaml_document_get_node(&yd->doc, pair->key);
		struct ks_knob_change *c;
		enum ks_knob knob;

		if (ks_knob_parse((const char *)key->data.scalar.value, &knob))
			return ks_yaml_fail(yd, key, KS_EINVAL, "unknown knob in %s", where);
		sc->ksm_changes = ks_xrealloc(sc->ksm_changes, (sc->nksm_changes + 1) *
					      sizeof(*sc->ksm_changes));
		c = &sc->ksm_changes[sc->nksm_changes++];
		c->at = at;
		c->knob = knob;
		c->value = knob_value(&p, knob);
	}
	return 0;
}

static int conv_change(struct ks_ydoc *yd, yaml_node_t *n, const char *where,
		       struct ks_scenario *sc)
{
	yaml_node_t *v, *set;
	char path[300];
	ks_time at;
	int rc;

	rc = ks_yaml_expect(yd, NULL, n, YAML_MAPPING_NODE, where);
	if (!rc)
		rc = ks_yaml_check_keys(yd, n, change_keys, where);
	if (rc)
		return rc;
	v = ks_yaml_get(yd, n, "at", NULL);
	if (!v)
		return ks_yaml_fail(yd, n, KS_EINVAL, "missing required key 'at' in %s (e.g. at: 60s)",
				    where);
	rc = ks_yaml_duration(yd, v, "at", false, &at);
	if (!rc && at > sc->duration)
		rc = ks_yaml_fail(yd, v, KS_EINVAL, "at is after the end of the run (duration %.9gs)",
				  (double)sc->duration / 1e9);
	if (!rc)
		rc = ks_yaml_get_mapping(yd, n, "set", where, &set);
	if (rc)
		return rc;
	if (!set || !set->data.mapping.pairs.top ||
	    set->data.mapping.pairs.top == set->data.mapping.pairs.start)
		return ks_yaml_fail(yd, set ? set : n, KS_EINVAL,
				    "%s needs knobs to write in 'set' (e.g. set: {use_zero_pages: true})",
				    where);
	child_path(path, sizeof(path), where, "set");
	return conv_change_set(yd, set, path, at, sc);
}

static int conv_changes(struct ks_ydoc *yd, yaml_node_t *seq, struct ks_scenario *sc)
{
	char path[64];
	int rc;

	for (unsigned i = 0; i < ks_yaml_count(seq); i++) {
		item_path(path, sizeof(path), "ksm_changes", i);
		rc = conv_change(yd, ks_yaml_item(yd, seq, i), path, sc);
		if (rc)
			return rc;
	}
	return 0;
}

static int conv_numa(struct ks_ydoc *yd, yaml_node_t *n, struct ks_scenario *sc)
{
	yaml_node_t *v;
	uint64_t bytes;
	int rc;

	rc = ks_yaml_check_keys(yd, n, numa_keys, "numa");
	if (!rc)
		rc = ks_yaml_get_unsigned(yd, n, "nodes", 1, 64, &sc->numa_nodes);
	v = ks_yaml_get(yd, n, "page_size", NULL);
	if (rc || !v)
		return rc;
	rc = ks_yaml_size(yd, v, "page_size", &bytes);
	if (!rc && bytes != PAGE_BYTES)
		rc = ks_yaml_fail(yd, v, KS_EINVAL,
				  "page_size: only 4KiB pages are supported, got '%s'",
				  (const char *)v->data.scalar.value);
	return rc;
}

static int conv_trace(struct ks_ydoc *yd, yaml_node_t *n, struct ks_scenario *sc)
{
	yaml_node_t *v;
	int rc;

	rc = ks_yaml_check_keys(yd, n, trace_keys, "trace");
	if (rc)
		return rc;
	v = ks_yaml_get(yd, n, "file", NULL);
	if (!v)
		return ks_yaml_fail(yd, n, KS_EINVAL, "missing required key 'file' in trace");
	return ks_yaml_string(yd, v, "file", &sc->trace_file);
}

/* path: bulk (default) or reference (docs/scenario.md). */
static int conv_path(struct ks_ydoc *yd, yaml_node_t *root, struct ks_scenario *sc)
{
	static const char *const path_names[] = { "bulk", "reference", NULL };
	yaml_node_t *v = ks_yaml_get(yd, root, "path", NULL);
	unsigned i;
	int rc;

	if (!v)
		return 0;
	rc = ks_yaml_enum(yd, v, "path", path_names, &i);
	if (!rc)
		sc->reference_path = i == 1;
	return rc;
}

static int conv_sections(struct ks_ydoc *yd, yaml_node_t *root, struct ks_scenario *sc)
{
	yaml_node_t *m, *v;
	int rc;

	rc = ks_yaml_get_mapping(yd, root, "sample", "", &m);
	if (!rc && m)
		rc = conv_sample(yd, m, sc);
	if (!rc)
		rc = ks_yaml_get_bool(yd, root, "stop_when_stable", &sc->stop_when_stable);
	if (!rc)
		rc = ks_yaml_get_unsigned(yd, root, "stable_scans", 1, UINT32_MAX,
					  &sc->stable_scans);
	if (!rc)
		rc = ks_yaml_get_mapping(yd, root, "ksm", "", &m);
	if (!rc && m)
		rc = conv_ksm(yd, m, &sc->ksm);
	if (!rc && m && (v = ks_yaml_get(yd, m, "zero_page_colours", NULL))) {
		char where[512];

		free(sc->colours_where);
		sc->colours_where = ks_xstrdup(ks_yaml_where(yd, v, where, sizeof(where)));
	}
	if (!rc)
		rc = ks_yaml_get_sequence(yd, root, "ksm_changes", "", &m);
	if (!rc && m)
		rc = conv_changes(yd, m, sc);
	if (!rc)
		rc = ks_yaml_get_mapping(yd, root, "numa", "", &m);
	if (!rc && m)
		rc = conv_numa(yd, m, sc);
	if (!rc)
		rc = ks_yaml_get_sequence(yd, root, "processes", "", &m);
	if (!rc && m)
		rc = conv_groups(yd, m, sc);
	if (!rc)
		rc = ks_yaml_get_mapping(yd, root, "trace", "", &m);
	if (!rc && m)
		rc = conv_trace(yd, m, sc);
	if (!rc)
		rc = conv_path(yd, root, sc);
	return rc;
}

static int conv_scenario(struct ks_ydoc *yd, yaml_node_t *root, struct ks_scenario *sc)
{
	yaml_node_t *v;
	int rc;

	if (root->type != YAML_MAPPING_NODE)
		return ks_yaml_fail(yd, root, KS_EINVAL,
				    "a scenario must be a mapping of keys (name:, duration:, ...), got %s",
				    root->type == YAML_SEQUENCE_NODE ? "a sequence" : "a scalar");
	rc = ks_yaml_check_keys(yd, root, top_keys, "");
	if (!rc)
		rc = ks_yaml_get_string(yd, root, "name", &sc->name);
	if (!rc)
		rc = ks_yaml_get_uint(yd, root, "seed", 0, UINT64_MAX, &sc->seed);
	if (!rc)
		rc = ks_yaml_get_string(yd, root, "arch", &sc->arch);
	if (rc)
		return rc;
	v = ks_yaml_get(yd, root, "duration", NULL);
	if (!v)
		return ks_yaml_fail(yd, root, KS_EINVAL,
				    "missing required key 'duration' (e.g. duration: 600s)");
	rc = ks_yaml_duration(yd, v, "duration", false, &sc->duration);
	if (!rc && sc->duration == 0)
		rc = ks_yaml_fail(yd, v, KS_EINVAL, "duration must be > 0");
	if (!rc)
		rc = conv_sections(yd, root, sc);
	if (!rc && !sc->ngroups && !sc->trace_file)
		rc = ks_yaml_fail(yd, root, KS_EINVAL,
				  "a scenario needs process groups ('processes') or a 'trace', or both");
	return rc;
}

/* ---- entry points --------------------------------------------------------------- */

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

static bool is_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int ks_scenario_find(const char *name, char *out, size_t outlen, struct ks_err *err)
{
	const char *dirs[] = { "", KS_SRCDIR "/scenarios/", KS_PKGDATADIR "/scenarios/" };
	const char *sfx[] = { "", ".yaml" };
	size_t nl = strlen(name);
	bool has_yaml = nl > 5 && !strcmp(name + nl - 5, ".yaml");
	char tried[900] = "", cand[4096];

	for (unsigned d = 0; d < 3; d++) {
		if (d > 0 && name[0] == '/')
			break;
		for (unsigned s = 0; s < 2; s++) {
			size_t tl = strlen(tried);

			if (s == 1 && has_yaml)
				continue;
			snprintf(cand, sizeof(cand), "%s%s%s", dirs[d], name, sfx[s]);
			if (is_file(cand)) {
				if (strlen(cand) >= outlen)
					return ks_err_set(err, KS_ERANGE, "%s: path too long", cand);
				memcpy(out, cand, strlen(cand) + 1);
				return 0;
			}
			snprintf(tried + tl, sizeof(tried) - tl, "%s%s", tl ? ", " : "", cand);
		}
	}
	return ks_err_set(err, KS_ENOENT, "scenario '%s' not found (looked for %s)", name, tried);
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
