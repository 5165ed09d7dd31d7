/* gen.c - the synthetic trace generator (semantics: docs/trace-format.md).
 *
 * Why: most scenarios describe their workload as `processes:` groups (N VMs with the
 * same image, a few writers) rather than as a recorded trace. The engine only replays
 * record streams, so this module turns the groups into one, exactly as if it had been
 * read from a file; `sim trace gen` writes the same stream out.
 *
 * How: every process has one "life" cursor (START, MMAPs, the initial WRITEs, then the
 * timed MERGEABLE / UNMERGEABLE / EXIT records) and one cursor per write schedule. The
 * cursors sit in a min-heap keyed by (time of their next record, process index << 32 |
 * cursor index), so records come out in time order with a fixed tie-break, and nothing
 * is materialised beyond one record per cursor (plus, while a shuffled region is being
 * filled, its permutation). CLASS records are slipped in before the first WRITE that
 * uses a class; trace class ids count from 1 in that order. Each of the scenario's
 * ksm_changes is one more cursor with one KNOB record, keyed after every process, so a
 * knob change comes after the workload records of the same instant.
 *
 * Cursor states (life): START -> MMAP (per region) -> INIT (per region: per part, or per
 * run of the shuffled permutation) -> TIMED (sorted list) -> DONE. A schedule cursor is
 * alive while its next time is before min(exit, stop). The stream ends when the
 * earliest cursor is past sc->duration. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "gen.h"
#include "scenario.h"
#include "models/base/heap.h"
#include "models/base/xalloc.h"

/* Salts so that the seeds derived from one scenario seed are independent. */
enum {
	GEN_SALT_RANDOM_CLASS = 0x52414e44, /* "RAND" */
	GEN_SALT_SHUFFLE = 0x53485546,      /* "SHUF" */
	GEN_SALT_POISSON = 0x504f4953,      /* "POIS" */
	GEN_SALT_READ = 0x52454144          /* "READ" */
};

/* A content class of the generated trace. */
#define GEN_SERIAL_BASE (1ULL << 39) /* content args are 40 bits; page indices stay below */

struct gen_class {
	struct ks_content_class_spec spec;             /* spec.patches points at patches */
	struct ks_patch patches[KS_CONTENT_MAX_PATCHES]; /* FILL words */
	uint32_t id;                                   /* trace class id; 0 = not emitted yet */
	bool serial;                                   /* args are fresh serials (RANDOM, or
							* FILL with `serial` words) */
};

/* Per group: the class (index into gen->classes) of each part and each schedule. */
struct gen_group {
	unsigned **part_cls; /* [region][part] */
	unsigned *write_cls; /* [schedule] */
};

enum gen_phase { PH_START, PH_MMAP, PH_INIT, PH_TIMED, PH_DONE };
enum gen_timed_kind { TM_MERGEABLE, TM_UNMERGEABLE, TM_EXIT }; /* tie order at one time */

struct gen_timed {
	ks_time t;                /* when, ns */
	enum gen_timed_kind kind; /* what */
	unsigned region;          /* MERGEABLE, UNMERGEABLE: which region */
};

/* One process and its life cursor. */
struct gen_proc {
	const struct ks_group *grp;   /* its group */
	const struct gen_group *gg;   /* the group's classes */
	uint32_t pid;                 /* trace pid */
	char name[64];                /* "GROUP/i" */
	ks_time t0;                   /* start, ns */
	ks_time end;                  /* exit time, ns (KS_TIME_MAX = never) */
	enum gen_phase phase;         /* life cursor state */
	unsigned r;                   /* MMAP, INIT: current region */
	unsigned k;                   /* INIT, in order: next part */
	uint64_t q;                   /* INIT, shuffled: next page */
	uint64_t covered;             /* INIT: pages of region r covered by parts */
	uint64_t *pstart;             /* INIT: first page of each part, + covered (owned) */
	uint64_t *argbase;            /* INIT: first serial of each RANDOM part (owned) */
	uint64_t *perm;               /* INIT, shuffled: content index at each page (owned) */
	struct gen_timed *timed;      /* TIMED records, sorted (owned) */
	unsigned ntimed;              /* entries in timed */
	unsigned ti;                  /* next entry of timed */
};

/* One write schedule of one process. */
struct gen_sched {
	struct gen_proc *proc;          /* the process */
	const struct ks_write_sched *ws; /* the schedule */
	unsigned cls;                   /* class index */
	uint64_t first, count;          /* page range within the region (clipped) */
	uint64_t k;                     /* PERIODIC: index of the next write (from 1) */
	ks_time origin;                 /* process start + schedule start, ns */
	ks_time next;                   /* time of the next write, ns */
	ks_time limit;                  /* writes happen strictly before this, ns */
	double mean_ns;                 /* POISSON: mean inter-arrival time, ns */
	gsl_rng *rng;                   /* POISSON: its own generator (owned) */
};

/* One read schedule of one process: READ records of `chunk` pages in address order
 * (sequential) or of one random page (random), page j read at origin + j / rate. */
struct gen_rsched {
	struct gen_proc *proc;           /* the process */
	const struct ks_read_sched *rs;  /* the schedule */
	uint64_t first, count;           /* page range within the region (clipped) */
	uint64_t j;                      /* pages read so far */
	uint64_t chunk;                  /* sequential: pages per record */
	ks_time origin;                  /* process start + schedule start, ns */
	ks_time next;                    /* time of the next record, ns */
	ks_time limit;                   /* reads happen strictly before this, ns */
	gsl_rng *rng;                    /* random: its own generator (owned) */
};

struct gen_cursor {
	struct gen_proc *proc;   /* life cursor of this process, or */
	struct gen_sched *sched; /* this schedule, or */
	struct gen_rsched *rsched; /* this read schedule, or */
	const struct ks_knob_change *change; /* this knob write (one record) */
};

/* Heap key of knob cursors: above every process's (pids stay below UINT32_MAX). */
#define GEN_KNOB_SEQ ((uint64_t)UINT32_MAX << 32)

struct gen {
	struct ks_trace_source src;   /* first member: the interface */
	const struct ks_scenario *sc; /* what is generated (not owned) */
	struct gen_class *classes;    /* distinct classes (owned) */
	unsigned nclasses;            /* in use */
	uint32_t next_id;             /* next trace class id to hand out */
	struct gen_group *groups;     /* [sc->ngroups] (owned) */
	struct gen_proc *procs;       /* in pid order (owned) */
	unsigned nprocs;
	struct gen_sched *scheds;     /* (owned) */
	unsigned nscheds;
	struct gen_rsched *rscheds;   /* (owned) */
	unsigned nrscheds;
	struct gen_cursor *cursors;   /* heap payloads (owned) */
	struct ks_heap heap;          /* cursors by (next time, process, cursor index) */
	gsl_rng *shuffle_rng;         /* reseeded per shuffled region (owned) */
	uint64_t serial;              /* next unique serial (RANDOM pages, `serial` words);
				       * starts at GEN_SERIAL_BASE, above any page index,
				       * so a `serial` word never equals an `index` word */
	struct ks_trace_rec *pending; /* a WRITE held back behind its CLASS (owned) */
	bool have_pending;            /* pending is valid */
};

/* ------------------------------------------------------------------- helpers */

static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static unsigned long gen_seed(uint64_t seed, uint64_t salt, uint64_t a, uint64_t b)
{
	return (unsigned long)mix64(mix64(mix64(seed ^ salt) ^ a) ^ b);
}

static ks_time tadd(ks_time a, ks_time b)
{
	return a > KS_TIME_MAX - b ? KS_TIME_MAX : a + b;
}

static gsl_rng *rng_new(void)
{
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);

	if (!r)
		abort(); /* out of memory */
	return r;
}

static const char *sc_where(const struct ks_scenario *sc)
{
	return sc->path ? sc->path : sc->name ? sc->name : "scenario";
}

static bool class_equal(const struct ks_content_class_spec *a,
			const struct ks_content_class_spec *b)
{
	if (a->kind != b->kind)
		return false;
	if (a->kind == KS_CONTENT_IMAGE || a->kind == KS_CONTENT_RANDOM)
		return a->seed == b->seed;
	if (a->kind != KS_CONTENT_FILL)
		return true;
	if (a->fill != b->fill || a->npatches != b->npatches)
		return false;
	for (unsigned i = 0; i < a->npatches; i++)
		if (a->patches[i].offset != b->patches[i].offset ||
		    a->patches[i].width != b->patches[i].width ||
		    a->patches[i].source != b->patches[i].source ||
		    a->patches[i].value != b->patches[i].value)
			return false;
	return true;
}

/* The class index of a scenario content spec; KS_EINVAL with err if invalid. */
static int gen_class_of(struct gen *g, const struct ks_content_spec *cs, const char *what,
			unsigned *out, struct ks_err *err)
{
	struct gen_class c;

	memset(&c, 0, sizeof(c));
	c.spec.patches = c.patches;
	switch (cs->kind) {
	case KS_SPEC_ZERO:
		c.spec.kind = KS_CONTENT_ZERO;
		break;
	case KS_SPEC_IMAGE:
		c.spec.kind = KS_CONTENT_IMAGE;
		c.spec.seed = cs->image_seed;
		break;
	case KS_SPEC_RANDOM:
		c.spec.kind = KS_CONTENT_RANDOM;
		c.serial = true;
		c.spec.seed = mix64(g->sc->seed ^ GEN_SALT_RANDOM_CLASS);
		break;
	case KS_SPEC_FILL:
		c.spec.kind = KS_CONTENT_FILL;
		c.spec.fill = cs->fill;
		if (cs->npatches > KS_CONTENT_MAX_PATCHES)
			return ks_err_set(err, KS_EINVAL, "%s: %s: %u words (max %u)",
					  sc_where(g->sc), what, cs->npatches,
					  KS_CONTENT_MAX_PATCHES);
		c.spec.npatches = cs->npatches;
		for (unsigned i = 0; i < cs->npatches; i++) {
			const struct ks_patch_spec *p = &cs->patches[i];

			if (p->width < 1 || p->width > 8 || p->offset >= KS_PAGE_SIZE ||
			    p->offset + p->width > KS_PAGE_SIZE || p->source > KS_PV_SERIAL)
				return ks_err_set(err, KS_EINVAL, "%s: %s: word at offset %u width "
						  "%u does not fit a page", sc_where(g->sc), what,
						  p->offset, p->width);
			c.patches[i].offset = (uint16_t)p->offset;
			c.patches[i].width = (uint8_t)p->width;
			if (p->source == KS_PV_SERIAL)
				c.serial = true;
			c.patches[i].source = p->source == KS_PV_CONST ? KS_PATCH_CONST :
					      p->source == KS_PV_INDEX_PLUS ? KS_PATCH_ARG_PLUS :
					      KS_PATCH_ARG;
			c.patches[i].value = p->value;
		}
		for (unsigned i = 0; c.serial && i < cs->npatches; i++)
			if (cs->patches[i].source == KS_PV_INDEX ||
			    cs->patches[i].source == KS_PV_INDEX_PLUS)
				return ks_err_set(err, KS_EINVAL, "%s: %s: words with value "
						  "'serial' and 'index' cannot share a page",
						  sc_where(g->sc), what);
		break;
	default:
		return ks_err_set(err, KS_EINVAL, "%s: %s: invalid content kind %d",
				  sc_where(g->sc), what, (int)cs->kind);
	}
	for (unsigned i = 0; i < g->nclasses; i++) {
		if (g->classes[i].serial == c.serial && class_equal(&g->classes[i].spec, &c.spec)) {
			*out = i;
			return 0;
		}
	}
	g->classes = ks_xrealloc(g->classes, (g->nclasses + 1) * sizeof(*g->classes));
	g->classes[g->nclasses] = c;
	/* the array may have moved: every spec points back at its own patches */
	for (unsigned i = 0; i <= g->nclasses; i++)
		g->classes[i].spec.patches = g->classes[i].patches;
	*out = g->nclasses++;
	return 0;
}

/* Argument of content index c (page index in the region before shuffling) of a part
 * that starts at page pstart and, if RANDOM, at serial base. */
static uint64_t content_arg(const struct gen_class *c, uint64_t idx, uint64_t pstart,
			    uint64_t base)
{
	if (c->serial)
		return base + idx - pstart;
	switch (c->spec.kind) {
	case KS_CONTENT_FILL: return idx;
	case KS_CONTENT_IMAGE: return idx - pstart;
	case KS_CONTENT_RANDOM: return base + idx - pstart;
	default: return 0;
	}
}

static void write_rec(struct ks_trace_rec *r, ks_time t, uint32_t pid, uint64_t vaddr,
		      uint64_t npages, unsigned cls, uint64_t arg, int64_t step)
{
	r->t = t;
	r->op = KS_TR_WRITE;
	r->pid = pid;
	r->vaddr = vaddr;
	r->npages = npages;
	r->cls = cls;
	r->arg = arg;
	r->step = step;
}

/* ------------------------------------------------------------- life cursors */

static void region_end(struct gen_proc *p)
{
	free(p->pstart);
	free(p->argbase);
	free(p->perm);
	p->pstart = p->argbase = p->perm = NULL;
}

/* Sets up INIT for region p->r: part boundaries, serials, permutation. */
static void region_begin(struct gen *g, struct gen_proc *p)
{
	const struct ks_region *rg;
	uint64_t at = 0;

	if (p->r >= p->grp->nregions)
		return;
	rg = &p->grp->regions[p->r];
	p->pstart = ks_xmalloc((rg->nparts + 1) * sizeof(*p->pstart));
	p->argbase = ks_xcalloc(rg->nparts + 1, sizeof(*p->argbase));
	for (unsigned k = 0; k < rg->nparts; k++) {
		uint64_t n = rg->parts[k].pages;

		n = n < rg->pages - at ? n : rg->pages - at;
		p->pstart[k] = at;
		if (g->classes[p->gg->part_cls[p->r][k]].serial) {
			p->argbase[k] = g->serial;
			g->serial += n;
		}
		at += n;
	}
	p->pstart[rg->nparts] = at;
	p->covered = at;
	p->k = 0;
	p->q = 0;
	if (rg->shuffle && at) {
		p->perm = ks_xmalloc(at * sizeof(*p->perm));
		for (uint64_t i = 0; i < at; i++)
			p->perm[i] = i;
		gsl_rng_set(g->shuffle_rng, gen_seed(g->sc->seed, GEN_SALT_SHUFFLE, p->pid, p->r));
		gsl_ran_shuffle(g->shuffle_rng, p->perm, at, sizeof(*p->perm));
	}
}

/* True if region p->r has another initial WRITE (skipping empty parts). */
static bool region_has_write(struct gen_proc *p)
{
	const struct ks_region *rg = &p->grp->regions[p->r];

	if (p->perm)
		return p->q < p->covered;
	while (p->k < rg->nparts && p->pstart[p->k] == p->pstart[p->k + 1])
		p->k++;
	return p->k < rg->nparts;
}

/* Moves the life cursor to its next record; false when it has none left. */
static bool life_settle(struct gen *g, struct gen_proc *p)
{
	for (;;) {
		switch (p->phase) {
		case PH_START:
			return true;
		case PH_MMAP:
			if (p->r < p->grp->nregions)
				return true;
			p->phase = PH_INIT;
			p->r = 0;
			region_begin(g, p);
			continue;
		case PH_INIT:
			if (p->r >= p->grp->nregions) {
				p->phase = PH_TIMED;
				continue;
			}
			if (region_has_write(p))
				return true;
			region_end(p);
			p->r++;
			region_begin(g, p);
			continue;
		case PH_TIMED:
			if (p->ti < p->ntimed)
				return true;
			p->phase = PH_DONE;
			continue;
		case PH_DONE:
			return false;
		}
	}
}

static ks_time life_time(const struct gen_proc *p)
{
	return p->phase == PH_TIMED ? p->timed[p->ti].t : p->t0;
}

/* Index of the part holding content index c (binary search over part starts). */
static unsigned part_of(const struct gen_proc *p, unsigned nparts, uint64_t c)
{
	unsigned lo = 0, hi = nparts;

	while (hi - lo > 1) {
		unsigned mid = lo + (hi - lo) / 2;

		if (p->pstart[mid] <= c)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* An initial WRITE of region p->r (cls is a class index). */
static void life_init_write(struct gen *g, struct gen_proc *p, struct ks_trace_rec *r)
{
	const struct ks_region *rg = &p->grp->regions[p->r];
	uint64_t base = ks_gen_region_vaddr(p->r), c, n = 1;
	const struct gen_class *cl;
	unsigned k, ci;

	if (!p->perm) {
		k = p->k++;
		c = p->pstart[k];
		n = p->pstart[k + 1] - c;
	} else {
		c = p->perm[p->q];
		k = part_of(p, rg->nparts, c);
	}
	ci = p->gg->part_cls[p->r][k];
	cl = &g->classes[ci];
	if (p->perm) {
		/* extend over following pages that continue this part's sequence */
		while (p->q + n < p->covered) {
			uint64_t d = p->perm[p->q + n];

			if (d < p->pstart[k] || d >= p->pstart[k + 1] ||
			    (cl->spec.kind != KS_CONTENT_ZERO && d != c + n))
				break;
			n++;
		}
		base += p->q * KS_PAGE_SIZE;
		p->q += n;
	} else {
		base += c * KS_PAGE_SIZE;
	}
	write_rec(r, p->t0, p->pid, base, n, ci,
		  content_arg(cl, c, p->pstart[k], p->argbase[k]),
		  cl->spec.kind == KS_CONTENT_ZERO ? 0 : 1);
}

static void life_emit(struct gen *g, struct gen_proc *p, struct ks_trace_rec *r)
{
	const struct gen_timed *tm;

	r->pid = p->pid;
	switch (p->phase) {
	case PH_START:
		r->t = p->t0;
		r->op = KS_TR_START;
		memcpy(r->name, p->name, sizeof(r->name));
		p->phase = PH_MMAP;
		p->r = 0;
		break;
	case PH_MMAP:
		r->t = p->t0;
		r->op = KS_TR_MMAP;
		r->vaddr = ks_gen_region_vaddr(p->r);
		r->npages = p->grp->regions[p->r].pages;
		p->r++;
		break;
	case PH_INIT:
		life_init_write(g, p, r);
		break;
	default:
		tm = &p->timed[p->ti++];
		r->t = tm->t;
		r->op = tm->kind == TM_MERGEABLE ? KS_TR_MERGEABLE :
			tm->kind == TM_UNMERGEABLE ? KS_TR_UNMERGEABLE : KS_TR_EXIT;
		if (tm->kind != TM_EXIT) {
			r->vaddr = ks_gen_region_vaddr(tm->region);
			r->npages = p->grp->regions[tm->region].pages;
		}
		break;
	}
}

static int timed_cmp(const void *a, const void *b)
{
	const struct gen_timed *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return x->region < y->region ? -1 : x->region > y->region;
}

/* Builds the sorted MERGEABLE / UNMERGEABLE / EXIT list of p (nothing after exit). */
static void life_timed(struct gen_proc *p)
{
	const struct ks_group *grp = p->grp;

	p->timed = ks_xcalloc(2 * grp->nregions + 1, sizeof(*p->timed));
	for (unsigned r = 0; r < grp->nregions; r++) {
		const struct ks_region *rg = &grp->regions[r];
		ks_time t;

		if (rg->mergeable && (t = tadd(p->t0, rg->madvise_at)) <= p->end)
			p->timed[p->ntimed++] = (struct gen_timed){ t, TM_MERGEABLE, r };
		if (rg->unmerge_at && (t = tadd(p->t0, rg->unmerge_at)) <= p->end)
			p->timed[p->ntimed++] = (struct gen_timed){ t, TM_UNMERGEABLE, r };
	}
	if (grp->exit)
		p->timed[p->ntimed++] = (struct gen_timed){ p->end, TM_EXIT, 0 };
	qsort(p->timed, p->ntimed, sizeof(*p->timed), timed_cmp);
}

/* --------------------------------------------------------- schedule cursors */

/* Draws the next Poisson arrival after s->next. */
static void sched_poisson_step(struct gen_sched *s)
{
	double d = gsl_ran_exponential(s->rng, s->mean_ns) + 0.5;

	s->next = d >= (double)(KS_TIME_MAX - s->next) ? KS_TIME_MAX : s->next + (ks_time)d;
}

static void sched_init(struct gen *g, struct gen_sched *s, unsigned idx)
{
	const struct ks_write_sched *ws = s->ws;
	const struct gen_proc *p = s->proc;
	uint64_t rpages = p->grp->regions[ws->region].pages;
	ks_time origin = s->origin = tadd(p->t0, ws->start);

	s->first = ws->first < rpages ? ws->first : rpages;
	s->count = ws->count < rpages - s->first ? ws->count : rpages - s->first;
	if (s->count > (1ULL << 32))
		s->count = 1ULL << 32; /* gsl_rng_uniform_int's range; regions are smaller */
	s->limit = p->end;
	if (ws->stop && tadd(p->t0, ws->stop) < s->limit)
		s->limit = tadd(p->t0, ws->stop);
	s->next = KS_TIME_MAX; /* dead unless set below */
	if (!s->count)
		return;
	if (ws->kind == KS_WRITE_PERIODIC) {
		s->k = 1;
		if (ws->period)
			s->next = tadd(origin, ws->period);
		return;
	}
	if (!(ws->rate_per_page > 0))
		return;
	s->mean_ns = 1e9 / (ws->rate_per_page * (double)s->count);
	s->rng = rng_new();
	gsl_rng_set(s->rng, gen_seed(g->sc->seed, GEN_SALT_POISSON, p->pid, idx));
	s->next = origin;
	sched_poisson_step(s);
}

static void sched_emit(struct gen *g, struct gen_sched *s, struct ks_trace_rec *r)
{
	const struct gen_class *cl = &g->classes[s->cls];
	uint64_t page = s->first, n = s->count;
	uint64_t vbase = ks_gen_region_vaddr(s->ws->region);

	if (s->ws->kind == KS_WRITE_POISSON) {
		page = s->first + gsl_rng_uniform_int(s->rng, (unsigned long)s->count);
		n = 1;
	}
	/* FILL and IMAGE: the page index in the region; RANDOM, `serial` words: fresh serials */
	write_rec(r, s->next, s->proc->pid, vbase + page * KS_PAGE_SIZE, n, s->cls,
		  cl->serial ? g->serial : content_arg(cl, page, 0, 0),
		  cl->spec.kind == KS_CONTENT_ZERO ? 0 : 1);
	if (cl->serial)
		g->serial += n;
	if (s->ws->kind == KS_WRITE_POISSON) {
		sched_poisson_step(s);
	} else {
		s->k++;
		if (s->ws->period > (KS_TIME_MAX - s->origin) / s->k)
			s->next = KS_TIME_MAX;
		else
			s->next = s->origin + s->k * s->ws->period;
	}
}

/* ---------------------------------------------------------- read schedules */

/* Time of page j of a read schedule; KS_TIME_MAX past the end of time. */
static ks_time rsched_time(const struct gen_rsched *s, uint64_t j)
{
	double d = (double)j * 1e9 / s->rs->rate + 0.5;

	return d >= (double)(KS_TIME_MAX - s->origin) ? KS_TIME_MAX : s->origin + (ks_time)d;
}

static void rsched_init(struct gen *g, struct gen_rsched *s, unsigned idx)
{
	const struct ks_read_sched *rs = s->rs;
	const struct gen_proc *p = s->proc;
	uint64_t rpages = p->grp->regions[rs->region].pages;

	s->origin = tadd(p->t0, rs->start);
	s->first = rs->first < rpages ? rs->first : rpages;
	s->count = rs->count < rpages - s->first ? rs->count : rpages - s->first;
	if (s->count > (1ULL << 32))
		s->count = 1ULL << 32; /* gsl_rng_uniform_int's range; regions are smaller */
	s->limit = p->end;
	if (rs->stop && tadd(p->t0, rs->stop) < s->limit)
		s->limit = tadd(p->t0, rs->stop);
	s->next = KS_TIME_MAX;
	if (!s->count || !(rs->rate > 0))
		return;
	/* at most about one record per simulated ms: chunks of rate / 1000 pages */
	s->chunk = (uint64_t)ceil(rs->rate / 1000.0);
	if (s->chunk < 1)
		s->chunk = 1;
	if (rs->order == KS_READ_RANDOM) {
		s->chunk = 1;
		s->rng = rng_new();
		gsl_rng_set(s->rng, gen_seed(g->sc->seed, GEN_SALT_READ, p->pid, idx));
	}
	s->next = s->origin;
}

static void rsched_emit(struct gen_rsched *s, struct ks_trace_rec *r)
{
	uint64_t vbase = ks_gen_region_vaddr(s->rs->region), page, n;

	if (s->rs->order == KS_READ_RANDOM) {
		page = s->first + gsl_rng_uniform_int(s->rng, (unsigned long)s->count);
		n = 1;
	} else {
		page = s->first + s->j % s->count;
		n = s->count - s->j % s->count;
		if (n > s->chunk)
			n = s->chunk;
	}
	r->t = s->next;
	r->op = KS_TR_READ;
	r->pid = s->proc->pid;
	r->vaddr = vbase + page * KS_PAGE_SIZE;
	r->npages = n;
	s->j += n;
	s->next = rsched_time(s, s->j);
}

/* ------------------------------------------------------------------- source */

static void gen_push(struct gen *g, struct gen_cursor *c)
{
	struct gen_proc *p;
	uint64_t pidx, cidx;
	struct ks_heap_item it;

	if (c->change) {
		it.at = c->change->at;
		it.seq = GEN_KNOB_SEQ | (uint64_t)(c->change - g->sc->ksm_changes);
		it.payload = c;
		ks_heap_push(&g->heap, it);
		return;
	}
	p = c->proc ? c->proc : c->sched ? c->sched->proc : c->rsched->proc;
	pidx = (uint64_t)(p - g->procs);
	/* read cursors after every write schedule: existing keys keep their order */
	cidx = c->proc ? 0 : c->sched ? (uint64_t)(c->sched - g->scheds) + 1
		: (uint64_t)g->nscheds + 1 + (uint64_t)(c->rsched - g->rscheds);
	if (c->rsched) {
		if (c->rsched->next >= c->rsched->limit) {
			if (c->rsched->rng)
				gsl_rng_free(c->rsched->rng);
			c->rsched->rng = NULL;
			return;
		}
		it.at = c->rsched->next;
	} else if (c->proc) {
		if (!life_settle(g, p))
			return;
		it.at = life_time(p);
	} else {
		if (c->sched->next >= c->sched->limit) {
			if (c->sched->rng)
				gsl_rng_free(c->sched->rng);
			c->sched->rng = NULL;
			return;
		}
		it.at = c->sched->next;
	}
	it.seq = pidx << 32 | cidx;
	it.payload = c;
	ks_heap_push(&g->heap, it);
}

static int gen_next(struct ks_trace_source *src, struct ks_trace_rec *rec, struct ks_err *err)
{
	struct gen *g = (struct gen *)src;
	const struct ks_heap_item *top;
	struct ks_heap_item it;
	struct gen_cursor *c;
	struct gen_class *cl;

	if (g->have_pending) {
		memcpy(rec, g->pending, sizeof(*rec));
		rec->spec.patches = rec->patches;
		g->have_pending = false;
		return 1;
	}
	top = ks_heap_peek(&g->heap);
	if (!top || top->at > g->sc->duration)
		return 0;
	ks_heap_pop(&g->heap, &it);
	c = it.payload;
	ks_trace_rec_clear(rec);
	if (c->change) {
		rec->t = c->change->at;
		rec->op = KS_TR_KNOB;
		rec->knob = (uint32_t)c->change->knob;
		rec->value = c->change->value;
		return 1; /* one record: the cursor is not pushed again */
	}
	if (c->proc)
		life_emit(g, c->proc, rec);
	else if (c->sched)
		sched_emit(g, c->sched, rec);
	else
		rsched_emit(c->rsched, rec);
	gen_push(g, c);
	if (rec->op != KS_TR_WRITE)
		return 1;
	cl = &g->classes[rec->cls];
	if (cl->id) {
		rec->cls = cl->id;
		return 1;
	}
	/* First use of the class: emit its CLASS now, the WRITE next time. */
	cl->id = g->next_id++;
	rec->cls = cl->id;
	if (!g->pending)
		g->pending = ks_xmalloc(sizeof(*g->pending));
	memcpy(g->pending, rec, sizeof(*rec));
	g->have_pending = true;
	rec->op = KS_TR_CLASS;
	rec->pid = 0;
	rec->vaddr = rec->npages = rec->arg = 0;
	rec->step = 0;
	rec->spec = cl->spec;
	rec->spec.patches = rec->patches;
	memcpy(rec->patches, cl->patches, sizeof(rec->patches));
	return 1;
}

static void gen_close(struct ks_trace_source *src)
{
	struct gen *g = (struct gen *)src;

	if (!g)
		return;
	for (unsigned i = 0; g->procs && i < g->nprocs; i++) {
		region_end(&g->procs[i]);
		free(g->procs[i].timed);
	}
	for (unsigned i = 0; g->scheds && i < g->nscheds; i++)
		if (g->scheds[i].rng)
			gsl_rng_free(g->scheds[i].rng);
	for (unsigned i = 0; g->rscheds && i < g->nrscheds; i++)
		if (g->rscheds[i].rng)
			gsl_rng_free(g->rscheds[i].rng);
	for (unsigned gi = 0; g->groups && gi < g->sc->ngroups; gi++) {
		for (unsigned r = 0; g->groups[gi].part_cls && r < g->sc->groups[gi].nregions; r++)
			free(g->groups[gi].part_cls[r]);
		free(g->groups[gi].part_cls);
		free(g->groups[gi].write_cls);
	}
	if (g->shuffle_rng)
		gsl_rng_free(g->shuffle_rng);
	ks_heap_fini(&g->heap);
	free(g->groups);
	free(g->procs);
	free(g->scheds);
	free(g->rscheds);
	free(g->cursors);
	free(g->classes);
	free(g->pending);
	free(g);
}

/* Validates group gi and interns its classes; counts processes and schedules. */
static int gen_prepare_group(struct gen *g, unsigned gi, struct ks_err *err)
{
	const struct ks_group *grp = &g->sc->groups[gi];
	struct gen_group *gg = &g->groups[gi];
	char what[256];

	if (grp->nregions > KS_GEN_MAX_REGIONS)
		return ks_err_set(err, KS_EINVAL, "%s: group '%s': more than %u regions",
				  sc_where(g->sc), grp->name, KS_GEN_MAX_REGIONS);
	gg->part_cls = ks_xcalloc(grp->nregions + 1, sizeof(*gg->part_cls));
	gg->write_cls = ks_xcalloc(grp->nwrites + 1, sizeof(*gg->write_cls));
	for (unsigned r = 0; r < grp->nregions; r++) {
		const struct ks_region *rg = &grp->regions[r];

		if (rg->pages > KS_GEN_MAX_REGION_PAGES)
			return ks_err_set(err, KS_EINVAL, "%s: group '%s' region '%s': %llu pages "
					  "(max %llu, 1 TiB)", sc_where(g->sc), grp->name, rg->name,
					  (unsigned long long)rg->pages, KS_GEN_MAX_REGION_PAGES);
		gg->part_cls[r] = ks_xcalloc(rg->nparts + 1, sizeof(**gg->part_cls));
		for (unsigned k = 0; k < rg->nparts; k++) {
			snprintf(what, sizeof(what), "group '%s' region '%s' part %u", grp->name,
				 rg->name, k + 1);
			if (gen_class_of(g, &rg->parts[k].content, what, &gg->part_cls[r][k], err))
				return err ? err->code : KS_EINVAL;
		}
	}
	for (unsigned w = 0; w < grp->nwrites; w++) {
		const struct ks_write_sched *ws = &grp->writes[w];

		snprintf(what, sizeof(what), "group '%s' write %u", grp->name, w + 1);
		if (ws->region >= grp->nregions)
			return ks_err_set(err, KS_EINVAL, "%s: %s: no region %u", sc_where(g->sc),
					  what, ws->region);
		if (ws->kind == KS_WRITE_POISSON && !(ws->rate_per_page >= 0 &&
						      isfinite(ws->rate_per_page)))
			return ks_err_set(err, KS_EINVAL, "%s: %s: rate must be >= 0",
					  sc_where(g->sc), what);
		if (gen_class_of(g, &ws->content, what, &gg->write_cls[w], err))
			return err ? err->code : KS_EINVAL;
	}
	if (grp->count > UINT32_MAX - 1 - g->nprocs)
		return ks_err_set(err, KS_EINVAL, "%s: too many processes", sc_where(g->sc));
	g->nprocs += grp->count;
	for (unsigned k = 0; k < grp->nreads; k++)
		if (grp->reads[k].region >= grp->nregions)
			return ks_err_set(err, KS_EINVAL, "%s: group '%s' read %u: no region %u",
					  sc_where(g->sc), grp->name, k + 1, grp->reads[k].region);
	g->nscheds += grp->count * grp->nwrites;
	g->nrscheds += grp->count * grp->nreads;
	return 0;
}

/* Creates every process (pid order) and schedule, and pushes their cursors. */
static void gen_start(struct gen *g)
{
	unsigned pi = 0, si = 0, ri = 0, ci = 0;

	g->procs = ks_xcalloc(g->nprocs + 1, sizeof(*g->procs));
	g->scheds = ks_xcalloc(g->nscheds + 1, sizeof(*g->scheds));
	g->rscheds = ks_xcalloc(g->nrscheds + 1, sizeof(*g->rscheds));
	g->cursors = ks_xcalloc(g->nprocs + g->nscheds + g->nrscheds + g->sc->nksm_changes + 1,
				sizeof(*g->cursors));
	for (unsigned gi = 0; gi < g->sc->ngroups; gi++) {
		const struct ks_group *grp = &g->sc->groups[gi];

		for (unsigned i = 0; i < grp->count; i++, pi++) {
			struct gen_proc *p = &g->procs[pi];
			ks_time off = grp->stagger && i > KS_TIME_MAX / grp->stagger ?
				      KS_TIME_MAX : (ks_time)i * grp->stagger;

			p->grp = grp;
			p->gg = &g->groups[gi];
			p->pid = pi + 1;
			snprintf(p->name, sizeof(p->name), "%s/%u", grp->name ? grp->name : "g", i);
			p->t0 = tadd(grp->start, off);
			p->end = grp->exit ? tadd(p->t0, grp->exit) : KS_TIME_MAX;
			life_timed(p);
			g->cursors[ci].proc = p;
			gen_push(g, &g->cursors[ci++]);
			for (unsigned w = 0; w < grp->nwrites; w++, si++) {
				struct gen_sched *s = &g->scheds[si];

				s->proc = p;
				s->ws = &grp->writes[w];
				s->cls = g->groups[gi].write_cls[w];
				sched_init(g, s, w);
				g->cursors[ci].sched = s;
				gen_push(g, &g->cursors[ci++]);
			}
			for (unsigned k = 0; k < grp->nreads; k++, ri++) {
				struct gen_rsched *s = &g->rscheds[ri];

				s->proc = p;
				s->rs = &grp->reads[k];
				rsched_init(g, s, k);
				g->cursors[ci].rsched = s;
				gen_push(g, &g->cursors[ci++]);
			}
		}
	}
	for (unsigned k = 0; k < g->sc->nksm_changes; k++) {
		g->cursors[ci].change = &g->sc->ksm_changes[k];
		gen_push(g, &g->cursors[ci++]);
	}
}

struct ks_trace_source *ks_gen_open(const struct ks_scenario *sc, struct ks_err *err)
{
	struct gen *g = ks_xcalloc(1, sizeof(*g));

	g->src.next = gen_next;
	g->src.close = gen_close;
	g->sc = sc;
	g->next_id = 1;
	g->serial = GEN_SERIAL_BASE;
	ks_heap_init(&g->heap);
	g->groups = ks_xcalloc(sc->ngroups + 1, sizeof(*g->groups));
	for (unsigned gi = 0; gi < sc->ngroups; gi++)
		if (gen_prepare_group(g, gi, err))
			goto err_close;
	g->shuffle_rng = rng_new();
	gen_start(g);
	return &g->src;

err_close:
	gen_close(&g->src);
	return NULL;
}

uint32_t ks_gen_pid(const struct ks_scenario *sc, unsigned g, unsigned i)
{
	uint32_t pid = 1;

	for (unsigned k = 0; k < g && k < sc->ngroups; k++)
		pid += sc->groups[k].count;
	return pid + i;
}
