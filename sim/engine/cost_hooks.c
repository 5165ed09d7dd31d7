/* cost_hooks.c - prices every cmp_and_merge_page() call and every batch of a run with an
 * arch cost table (models/cost_model.c) and keeps what the cost report shows. The world
 * adds the returned ns to ksmd's CPU time and delays the next batch by them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cost_hooks.h"
#include "models/base/xalloc.h"
#include "sim/config/load_arch.h"

struct ks_cost_model {
	char *name;                         /* arch name (owned) */
	struct ks_cost_table t;
	struct ks_arch_reads reads;         /* read costs and zero page counts */
	enum ks_checksum_alg checksum;      /* the run's algorithm */
	struct ks_cost_stats st;
	uint64_t batch_pages_ns;            /* ns of the pages of the batch in progress */
	uint64_t sdesc, udesc;              /* stable / unstable descents of the batch so far
					     * (tree_warm_up) */
	bool have_last;                     /* last_* hold the last page priced */
	enum ks_page_kind last_kind;
	struct ks_work last_work;
	struct ks_cost_split last_split;    /* its price (the price is a pure function) */
	struct ks_cost_batch *batches;      /* owned, nbatches of them */
	size_t nbatches, capbatches;
	struct ks_cost_merge_window *win;   /* owned, nwin of them */
	size_t nwin, capwin;
	size_t last_win;                    /* index of the last window hit (cache) */
	char *prov;                         /* the numbers by provenance (owned; NULL) */
	struct ks_cost_prov *entries;       /* every number's provenance (owned strings) */
	size_t nentries;
};

struct ks_cost_model *ks_cost_model_new(const char *name, const struct ks_cost_table *t,
					enum ks_checksum_alg checksum)
{
	struct ks_cost_model *cm = ks_xcalloc(1, sizeof(*cm));

	cm->name = ks_xstrdup(name ? name : "?");
	cm->t = *t;
	cm->checksum = checksum;
	ks_arch_reads_init(&cm->reads);
	return cm;
}

const struct ks_arch_reads *ks_cost_model_reads(const struct ks_cost_model *cm)
{
	return &cm->reads;
}

/* "  measured  compare, checksum.xxhash64, ...\n" for every kind the model uses. */
static char *prov_lines(const struct ks_arch_model *am)
{
	size_t len = 1;
	char *s;

	for (size_t i = 0; i < am->nprov; i++)
		len += strlen(am->prov[i].key) + 2;
	len += 16 * 5;
	s = ks_xmalloc(len);
	s[0] = 0;
	for (unsigned k = 0; ks_arch_prov_names[k]; k++) {
		bool first = true;

		for (size_t i = 0; i < am->nprov; i++) {
			if (am->prov[i].kind != (enum ks_arch_prov_kind)k)
				continue;
			if (first)
				sprintf(s + strlen(s), "  %-9s ", ks_arch_prov_names[k]);
			sprintf(s + strlen(s), "%s%s", first ? "" : ", ", am->prov[i].key);
			first = false;
		}
		if (!first)
			strcat(s, "\n");
	}
	return s;
}

const char *ks_cost_model_provenance(const struct ks_cost_model *cm)
{
	return cm->prov;
}

const struct ks_cost_prov *ks_cost_model_prov(const struct ks_cost_model *cm, size_t *n)
{
	*n = cm->nentries;
	return cm->entries;
}

/* A copy of the model's provenance entries for the run's database. */
static void keep_entries(struct ks_cost_model *cm, const struct ks_arch_model *am)
{
	cm->entries = ks_xcalloc(am->nprov + 1, sizeof(*cm->entries));
	for (size_t i = 0; i < am->nprov; i++)
		cm->entries[i] = (struct ks_cost_prov){
			.key = ks_xstrdup(am->prov[i].key),
			.kind = ks_arch_prov_names[am->prov[i].kind],
			.source = ks_xstrdup(am->prov[i].source) };
	cm->nentries = am->nprov;
}

int ks_cost_model_open(const char *arch, const struct ks_ksm_params *p,
		       struct ks_cost_model **out, struct ks_err *err)
{
	struct ks_arch_model am;
	char path[4096];
	enum ks_checksum_alg alg = (enum ks_checksum_alg)p->checksum;
	int rc;

	*out = NULL;
	if (!arch || !*arch)
		return 0;
	rc = ks_arch_find(arch, path, sizeof(path), err);
	if (!rc)
		rc = ks_arch_load_file(path, &am, err);
	if (rc)
		return rc;
	if ((unsigned)alg >= KS_CSUM_COUNT || !am.t.csum_known[alg]) {
		rc = ks_err_set(err, KS_EINVAL, "%s: arch model '%s' has no cost for checksum '%s'",
				path, am.name, ks_checksum_name(alg));
		ks_arch_fini(&am);
		return rc;
	}
	*out = ks_cost_model_new(am.name, &am.t, alg);
	(*out)->reads = am.reads;
	(*out)->prov = prov_lines(&am);
	keep_entries(*out, &am);
	ks_arch_fini(&am);
	return 0;
}

static uint64_t hook_page_ns(void *self, enum ks_page_kind kind, const struct ks_work *w,
			     uint64_t n)
{
	struct ks_cost_model *cm = self;
	bool warm = cm->t.tree_warm_up > 0 && (w->stable_walks || w->unstable_walks);

	if (warm) {
		/* the price depends on the descents before it in the batch */
		ks_cost_price_run(&cm->t, cm->checksum, w, n, &cm->sdesc, &cm->udesc,
				  &cm->last_split);
		cm->have_last = false;
	} else if (!cm->have_last || kind != cm->last_kind ||
	    memcmp(w, &cm->last_work, sizeof(*w)) != 0) {
		ks_cost_price(&cm->t, cm->checksum, w, &cm->last_split);
		cm->last_kind = kind;
		cm->last_work = *w;
		cm->have_last = true;
	}
	ks_cost_stats_add_page(&cm->st, kind, &cm->last_split, n);
	cm->batch_pages_ns += n * cm->last_split.total;
	return cm->last_split.total;
}

static uint64_t hook_batch_ns(void *self, const struct ks_work *batch_total,
			      const struct ks_work *unattributed)
{
	struct ks_cost_model *cm = self;
	struct ks_cost_split c;

	ks_cost_price_batch(&cm->t, cm->checksum, unattributed, &c);
	ks_cost_stats_add_batch(&cm->st, &c);
	if (cm->nbatches == cm->capbatches) {
		cm->capbatches = cm->capbatches ? 2 * cm->capbatches : 256;
		cm->batches = ks_xrealloc(cm->batches, cm->capbatches * sizeof(*cm->batches));
	}
	cm->batches[cm->nbatches++] = (struct ks_cost_batch){
		.ns = cm->batch_pages_ns + c.total, .pages = batch_total->pages };
	cm->batch_pages_ns = 0;
	cm->sdesc = cm->udesc = 0;
	return c.total;
}

struct ks_cost_hooks ks_cost_model_hooks(struct ks_cost_model *cm)
{
	if (!cm)
		return (struct ks_cost_hooks){ 0 };
	return (struct ks_cost_hooks){ .self = cm, .page_ns = hook_page_ns,
				       .batch_ns = hook_batch_ns };
}

void ks_cost_model_free(struct ks_cost_model *cm)
{
	if (!cm)
		return;
	free(cm->name);
	free(cm->batches);
	free(cm->win);
	free(cm->prov);
	for (size_t i = 0; i < cm->nentries; i++) {
		free((char *)cm->entries[i].key);
		free((char *)cm->entries[i].source);
	}
	free(cm->entries);
	free(cm);
}

const char *ks_cost_model_name(const struct ks_cost_model *cm)
{
	return cm->name;
}

const struct ks_cost_table *ks_cost_model_table(const struct ks_cost_model *cm)
{
	return &cm->t;
}

const struct ks_cost_stats *ks_cost_model_stats(const struct ks_cost_model *cm)
{
	return &cm->st;
}

const struct ks_cost_batch *ks_cost_model_batches(const struct ks_cost_model *cm, size_t *n)
{
	*n = cm->nbatches;
	return cm->batches;
}

/* Stamps the last priced batch with its simulated end. */
static void obs_batch(void *self, const struct ks_batch_done *b)
{
	struct ks_cost_model *cm = self;

	if (cm->nbatches)
		cm->batches[cm->nbatches - 1].t_end = b->t_end;
}

/* Successful merges extend their process's merge window. */
static void obs_event(void *self, ks_time t, const struct ks_ksm_event *ev)
{
	struct ks_cost_model *cm = self;
	struct ks_cost_merge_window *w = NULL;

	if (ev->err || (ev->type != KS_EV_MERGE_ONE_PAGE &&
			       ev->type != KS_EV_MERGE_WITH_KSM_PAGE))
		return;
	if (cm->last_win < cm->nwin && cm->win[cm->last_win].pid == ev->pid)
		w = &cm->win[cm->last_win];
	for (size_t i = 0; !w && i < cm->nwin; i++)
		if (cm->win[i].pid == ev->pid) {
			w = &cm->win[i];
			cm->last_win = i;
		}
	if (!w) {
		if (cm->nwin == cm->capwin) {
			cm->capwin = cm->capwin ? 2 * cm->capwin : 8;
			cm->win = ks_xrealloc(cm->win, cm->capwin * sizeof(*cm->win));
		}
		w = &cm->win[cm->nwin++];
		*w = (struct ks_cost_merge_window){ .pid = ev->pid, .first = t };
	}
	w->last = t;
	w->merges++;
}

struct ks_observer ks_cost_model_observer(struct ks_cost_model *cm)
{
	return (struct ks_observer){ .self = cm, .batch = obs_batch, .event = obs_event };
}

const struct ks_cost_merge_window *ks_cost_model_merge_windows(const struct ks_cost_model *cm,
							       size_t *n)
{
	*n = cm->nwin;
	return cm->win;
}
