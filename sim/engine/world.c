/* world.c - one run: trace sources feed the KSM model, ksmd runs as a self-rescheduling
 * event, observers hear of it. Every event kind of the simulator is registered here:
 *
 *   ev_trace   apply every record of one source that is due now, then schedule the
 *              source's next record (records at one instant are applied together, so
 *              processes set up at t=0 are all registered before ksmd's first batch);
 *   ev_ksmd    one ksm_do_scan() batch; its cost (if a cost model is attached) is ksmd
 *              CPU time; the next batch comes after cost + sleep_millisecs (rounded up
 *              to jiffies). When ksmd_should_run() is false ksmd idles until a workload
 *              event makes it true (as __ksm_enter() wakes it);
 *   ev_sample  periodic sampling when the scenario samples by interval;
 *   ev_knob    one write to a /sys/kernel/mm/ksm file (a KNOB record, from a trace or
 *              from the scenario's ksm_changes via the generator), run after every
 *              workload record of its instant. The kernel may refuse it (EINVAL, EBUSY):
 *              that is reported to the observers and is not an error of the run. run=1 wakes
 *              an idle ksmd; a new sleep_millisecs wakes a sleeping ksmd at once (the
 *              batch already queued is dropped: it carries an older ksmd_gen).
 *
 * Observers (observer.h) hear of every batch, page, tracepoint, knob write, sample and
 * the progress, and commit at the end; the caller injects the wall clock. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"
#include "huge_chunks.h"
#include "reclaim.h"
#include "world.h"
#include "models/base/debug.h"
#include "models/base/xalloc.h"
#include "models/ksm.h"
#include "models/reads.h"
#include "sim/config/load_zsmalloc.h"
#include "traces/gen.h"
#include "traces/trace.h"
#include "traces/trace_io.h"

#define KS_MAX_SOURCES 2
#define KS_TRACE_PID_OFFSET 1000000u

struct src {
	struct ks_trace_source *ts;
	const char *origin;        /* for messages: trace path or the scenario's path */
	int64_t *cls_map;          /* trace-local class -> store class, -1 undefined */
	size_t ncls;
	ks_content *dict;          /* dictionary page id -> interned content (PAGE records) */
	size_t ndict, capdict;
	uint32_t pid_offset;       /* keeps pids of two sources apart */
	int64_t shift_ns;          /* added to each record's time (trace file only) */
	struct ks_trace_rec *rec;  /* lookahead record (large: heap-allocated) */
	bool have;                 /* rec holds the next record */
	bool lazy;                 /* its dictionary pages are read when first needed */
	uint64_t nrec;             /* records applied */
};

struct proc {
	uint32_t pid;
	char name[64];
	bool alive;
	struct ks_read_totals rd;       /* its reads as backed with KSM */
	struct ks_read_totals rd_noksm; /* ... and without */
};

struct saved_point {
	ks_time t;
	int64_t saved;
};

/* A knob write waiting for its ev_knob (after the workload records of its instant). */
struct knob_write {
	uint32_t knob;              /* enum ks_knob */
	uint64_t value;             /* value written */
};

struct world {
	const struct ks_world_opts *o;
	const struct ks_scenario *sc;
	struct ks_sim sim;
	struct ks_content_store *cs;
	struct ks_ksm *ksm;
	struct ks_reader *rd_ksm;   /* the workload's reads as the KSM model backs them */
	struct ks_reader *rd_noksm; /* the same reads without KSM */
	bool zero_pages;            /* use_zero_pages as last written (false: 2009) */
	bool ran_merge, ran_zero;   /* ksmd ran batches with it 0, with it 1 */
	struct ks_proc_reads *proc_reads; /* the summary's, built at its end */
	struct ks_reclaim *reclaim;  /* host memory pressure (scenario host:), or NULL */
	struct src srcs[KS_MAX_SOURCES];
	unsigned nsrc;
	bool ksmd_pending;          /* an ev_ksmd of generation ksmd_gen is in the queue */
	uint64_t ksmd_gen;          /* ev_ksmd events of another generation do nothing */
	ks_time ksmd_busy_until;    /* end of the last batch's CPU time, ns */
	uint64_t batches_at_instant; /* batches in a row with no simulated time passing */
	unsigned sleep_ms;          /* sleep_millisecs as last written (wake on change) */
	struct knob_write *knobs;   /* queued knob writes, FIFO from knob_head */
	size_t nknobs, capknobs, knob_head;
	uint64_t batches;
	uint64_t cpu_ns;            /* ksmd CPU time of completed batches */
	uint64_t batch_cost_ns;     /* cost of the batch in progress so far */
	ks_time batch_start;
	struct ks_work page_sum;    /* page work of the batch in progress */
	struct proc *procs;
	size_t nprocs, capprocs;
	struct ks_proc_sample *psamples; /* scratch for one sample's processes (capprocs) */
	struct saved_point *hist;   /* saved bytes after every batch, for t90 */
	size_t nhist, caphist;
	uint64_t last_full_scans;
	struct ks_ksm_stats last_key;
	unsigned unchanged_scans;
	ks_time progress_step, next_progress;
	int rc;                     /* first error */
	struct ks_err *err;
	char trace_path[4096];      /* trace.file resolved against the scenario's folder */
	bool sampled;               /* a sample was taken ... */
	ks_time last_sample_t;      /* ... at this time */
	uint64_t last_sample_batch; /* ... after this many batches */
};

static void fail(struct world *w, int code)
{
	if (!w->rc)
		w->rc = code;
	ks_sim_stop(&w->sim);
}

/* A source whose dictionary pages are read when first needed (ks_trace_lazy_pages)
 * found one it could not give (a corrupt `pages` record): what was computed since is
 * void, the run fails with its error. */
static bool lazy_failed(struct world *w)
{
	for (unsigned i = 0; i < w->nsrc && !w->rc; i++)
		if (w->srcs[i].lazy && ks_trace_lazy_error(w->srcs[i].ts, w->err)) {
			fail(w, w->err->code);
			return true;
		}
	return w->rc != 0;
}

/* Calls `fn` of every observer that has one. */
#define TELL(w, fn, ...) do { \
		for (size_t i_ = 0; i_ < (w)->o->nobs; i_++) \
			if ((w)->o->obs[i_].fn) \
				(w)->o->obs[i_].fn((w)->o->obs[i_].self, __VA_ARGS__); \
	} while (0)

/* ---- the KSM model's observer: cost, tracepoints, advisor clock ---- */

static void obs_page_done(void *self, enum ks_page_kind kind, const struct ks_work *pw,
			  uint64_t n)
{
	struct world *w = self;
	uint64_t ns = w->o->cost.page_ns ? w->o->cost.page_ns(w->o->cost.self, kind, pw, n) : 0;

	w->batch_cost_ns += n * ns;
	ks_work_add_n(&w->page_sum, pw, n);
	TELL(w, page, kind, ns, pw, n);
}

static void obs_event(void *self, const struct ks_ksm_event *ev)
{
	struct world *w = self;

	TELL(w, event, w->batch_start + w->batch_cost_ns, ev);
}

static uint64_t obs_clock(void *self)
{
	struct world *w = self;

	return w->batch_start + w->batch_cost_ns;
}

static uint64_t obs_cpu(void *self)
{
	struct world *w = self;

	return w->o->ksmd_cpu_base_ns + w->cpu_ns + w->batch_cost_ns;
}

/* ---- sampling ---- */

static int64_t saved_bytes(const struct ks_ksm_stats *st)
{
	return (int64_t)(st->pages_sharing + st->ksm_zero_pages) * 4096;
}

/* The readers' totals into a sample. */
static void sample_reads(const struct world *w, struct ks_sample *smp)
{
	smp->read_pages = ks_reader_totals(w->rd_ksm)->pages;
	smp->read_ns = ks_reader_totals(w->rd_ksm)->ns;
	smp->read_ns_noksm = ks_reader_totals(w->rd_noksm)->ns;
}

static void take_sample(struct world *w, ks_time t)
{
	struct ks_sample smp = { .t = t, .batch = w->batches, .ksmd_cpu_ns = w->cpu_ns };
	struct ks_swap_stats swap;
	size_t np = 0;

	sample_reads(w, &smp);
	ks_ksm_stats(w->ksm, &smp.st);
	if (w->reclaim) {
		ks_reclaim_stats(w->reclaim, &swap);
		smp.swap = &swap;
	}
	w->sampled = true;
	w->last_sample_t = t;
	w->last_sample_batch = w->batches;
	for (size_t i = 0; w->sc->process_samples && i < w->nprocs; i++) {
		struct ks_proc_sample *ps = &w->psamples[np];

		*ps = (struct ks_proc_sample){ .t = t, .pid = w->procs[i].pid,
					       .process = w->procs[i].name };
		if (w->procs[i].alive && !ks_ksm_proc_stats(w->ksm, ps->pid, &ps->ps))
			np++;
	}
	for (size_t i = 0; i < w->o->nobs; i++) {
		const struct ks_observer *ob = &w->o->obs[i];
		int rc;

		if (ob->sample && (rc = ob->sample(ob->self, &smp, w->psamples, np, w->err))) {
			fail(w, rc);
			return;
		}
	}
}

static void ev_sample(struct ks_sim *sim, void *subject, void *object)
{
	struct world *w = subject;

	(void)object;
	take_sample(w, sim->now);
	ks_sim_schedule_after(sim, w->sc->sample_interval, ev_sample, w, NULL);
}

/* Batches in a row at one instant after which a run is refused (see ev_ksmd). */
#define KS_WORLD_MAX_BATCHES_AT_INSTANT 100

/* ---- ksmd ---- */

static void ev_ksmd(struct ks_sim *sim, void *subject, void *object);

static void schedule_ksmd(struct world *w, ks_time at)
{
	w->ksmd_pending = true;
	ks_sim_schedule_at(&w->sim, at, ev_ksmd, w, (void *)(uintptr_t)w->ksmd_gen);
}

static void wake_ksmd(struct world *w)
{
	if (!w->ksmd_pending && ks_ksm_should_run(w->ksm))
		schedule_ksmd(w, w->sim.now);
}

static bool sources_done(const struct world *w)
{
	for (unsigned i = 0; i < w->nsrc; i++)
		if (w->srcs[i].have)
			return false;
	return true;
}

/* stop_when_stable: counters unchanged for stable_scans full scans, workload over. */
static void check_stable(struct world *w, const struct ks_ksm_stats *st)
{
	struct ks_ksm_stats key = { .pages_shared = st->pages_shared,
				    .pages_sharing = st->pages_sharing,
				    .pages_unshared = st->pages_unshared,
				    .pages_volatile = st->pages_volatile,
				    .ksm_zero_pages = st->ksm_zero_pages };

	if (st->full_scans == w->last_full_scans)
		return;
	w->last_full_scans = st->full_scans;
	if (memcmp(&key, &w->last_key, sizeof(key)) == 0 && sources_done(w))
		w->unchanged_scans++;
	else
		w->unchanged_scans = 0;
	w->last_key = key;
	if (w->sc->stop_when_stable && w->unchanged_scans >= w->sc->stable_scans)
		ks_sim_stop(&w->sim);
}

static void record_history(struct world *w, ks_time t, const struct ks_ksm_stats *st)
{
	if (w->nhist == w->caphist) {
		w->caphist = w->caphist ? 2 * w->caphist : 1024;
		w->hist = ks_xrealloc(w->hist, w->caphist * sizeof(*w->hist));
	}
	w->hist[w->nhist++] = (struct saved_point){ t, saved_bytes(st) };
}

static void ev_ksmd(struct ks_sim *sim, void *subject, void *object)
{
	struct world *w = subject;
	struct ks_work batch = { 0 }, rest;
	struct ks_ksm_stats st;
	struct ks_sample bs;
	ks_time end;

	if ((uintptr_t)object != w->ksmd_gen)
		return; /* replaced by an earlier wake-up */
	w->ksmd_pending = false;
	w->batch_start = sim->now;
	w->batch_cost_ns = 0;
	memset(&w->page_sum, 0, sizeof(w->page_sum));
	if (!ks_ksm_scan_batch(w->ksm, sim->now, &batch)) {
		lazy_failed(w);
		return; /* idle until woken */
	}
	if (lazy_failed(w))
		return;
	if (w->zero_pages)
		w->ran_zero = true;
	else
		w->ran_merge = true;
	rest = batch;
	for (size_t i = 0; i < sizeof(rest) / sizeof(uint64_t); i++)
		((uint64_t *)&rest)[i] -= ((uint64_t *)&w->page_sum)[i];
	if (w->o->cost.batch_ns)
		w->batch_cost_ns += w->o->cost.batch_ns(w->o->cost.self, &batch, &rest);
	w->cpu_ns += w->batch_cost_ns;
	w->batches++;
	/* cost_not_slept: the batch's CPU time is counted, ksmd's time line stays the
	 * zero-cost one (the recorder's: timed records fall in the sleeps they were
	 * recorded in) */
	end = sim->now + (w->o->cost_not_slept ? 0 : w->batch_cost_ns);
	if (KS_DEBUG_CHECKS) {
		int bad = ks_ksm_check(w->ksm);

		if (bad) {
			ks_err_set(w->err, KS_EINVAL, "internal error: KSM model invariant %d "
				   "violated after batch %" PRIu64, bad, w->batches);
			fail(w, KS_EINVAL);
			return;
		}
	}
	ks_ksm_stats(w->ksm, &st);
	record_history(w, end, &st);
	if (w->sc->sample_mode == KS_SAMPLE_BATCH && w->batches % w->sc->sample_every == 0)
		take_sample(w, end);
	bs = (struct ks_sample){ .t = end, .batch = w->batches, .st = st,
				 .ksmd_cpu_ns = w->cpu_ns };
	sample_reads(w, &bs);
	TELL(w, batch, &(struct ks_batch_done){
		.t_end = end, .cost_ns = w->batch_cost_ns, .work = &batch, .sample = &bs });
	check_stable(w, &st);
	w->batch_cost_ns = 0;
	w->batch_start = end;
	w->ksmd_busy_until = end;
	/* A batch that costs nothing followed by sleep_millisecs 0 comes back at the same
	 * instant, for ever: nothing else can run. The kernel's ksmd always takes time. */
	w->batches_at_instant = end + ks_ksm_sleep_ns(w->ksm) == sim->now ?
				w->batches_at_instant + 1 : 0;
	if (w->batches_at_instant >= KS_WORLD_MAX_BATCHES_AT_INSTANT) {
		ks_err_set(w->err, KS_EINVAL, "%s: ksmd ran %" PRIu64 " batches at t=%" PRIu64
			   "ns without simulated time passing: sleep_millisecs 0 needs an arch "
			   "model whose batches cost time", w->sc->path ? w->sc->path : "scenario",
			   w->batches_at_instant, sim->now);
		fail(w, KS_EINVAL);
		return;
	}
	schedule_ksmd(w, end + ks_ksm_sleep_ns(w->ksm));
}

/* ---- knob writes ---- */

/* sleep_millisecs changed: ksmd asleep wakes now; ksmd still busy with its batch sleeps
 * the new value after it (the kernel reads sleep_millisecs when the sleep starts). */
static void ksmd_sleep_changed(struct world *w)
{
	ks_time at = w->sim.now;

	if (!w->ksmd_pending)
		return; /* idle: nothing to cut short */
	if (at < w->ksmd_busy_until)
		at = w->ksmd_busy_until + ks_ksm_sleep_ns(w->ksm);
	w->ksmd_gen++;
	schedule_ksmd(w, at);
}

static void ev_knob(struct ks_sim *sim, void *subject, void *object)
{
	struct world *w = subject;
	struct knob_write kw = w->knobs[w->knob_head++];
	int rc;

	(void)object;
	if (w->knob_head == w->nknobs)
		w->knob_head = w->nknobs = 0;
	rc = ks_ksm_set_knob(w->ksm, (enum ks_knob)kw.knob, kw.value);
	TELL(w, knob, sim->now, (enum ks_knob)kw.knob, kw.value, rc);
	if (rc)
		return; /* refused, as sysfs would: the run goes on */
	if (kw.knob == KS_KNOB_USE_ZERO_PAGES)
		w->zero_pages = kw.value && w->sc->ksm.algorithm != KS_KSM_ALG_2009;
	if (kw.knob == KS_KNOB_SLEEP_MILLISECS && kw.value != w->sleep_ms) {
		w->sleep_ms = (unsigned)kw.value;
		ksmd_sleep_changed(w);
	}
	wake_ksmd(w); /* run=1, or a knob that lets an idle ksmd run */
}

/* Queues a knob write behind every workload record due at this instant. */
static void queue_knob(struct world *w, const struct ks_trace_rec *r)
{
	if (w->nknobs == w->capknobs) {
		w->capknobs = w->capknobs ? 2 * w->capknobs : 16;
		w->knobs = ks_xrealloc(w->knobs, w->capknobs * sizeof(*w->knobs));
	}
	w->knobs[w->nknobs++] = (struct knob_write){ r->knob, r->value };
	ks_sim_schedule_at(&w->sim, w->sim.now, ev_knob, w, NULL);
}

/* ---- trace records ---- */

static struct proc *find_proc(struct world *w, uint32_t pid)
{
	for (size_t i = w->nprocs; i-- > 0;)
		if (w->procs[i].pid == pid)
			return &w->procs[i];
	return NULL;
}

static int rec_error(struct world *w, struct src *s, const char *what, int rc)
{
	const struct ks_trace_rec *r = s->rec;

	return ks_err_set(w->err, KS_EINVAL,
			  "%s: record %" PRIu64 " (t=%" PRIu64 "ns, pid %" PRIu32
			  ", vaddr 0x%" PRIx64 "): %s: %s",
			  s->origin, s->nrec + 1, r->t, r->pid, r->vaddr, what, ks_strerror(rc));
}

static int apply_class(struct world *w, struct src *s, const struct ks_trace_rec *r)
{
	int64_t id = ks_content_class(w->cs, &r->spec);

	if (id < 0)
		return rec_error(w, s, "bad content class", (int)id);
	if (r->cls >= s->ncls) {
		size_t n = r->cls + 16;

		s->cls_map = ks_xrealloc(s->cls_map, n * sizeof(*s->cls_map));
		for (size_t i = s->ncls; i < n; i++)
			s->cls_map[i] = -1;
		s->ncls = n;
	}
	s->cls_map[r->cls] = id;
	return 0;
}

static int apply_write(struct world *w, struct src *s, const struct ks_trace_rec *r,
		       uint32_t pid)
{
	uint32_t cls;
	int rc;

	if (r->cls >= s->ncls || s->cls_map[r->cls] < 0)
		return rec_error(w, s, "write uses an undefined content class", KS_EINVAL);
	cls = (uint32_t)s->cls_map[r->cls];
	if (!w->sc->reference_path) {
		rc = ks_ksm_write_range(w->ksm, pid, r->vaddr, r->npages, cls, r->arg, r->step);
		return rc ? rec_error(w, s, "write outside a mapping", rc) : 0;
	}
	for (uint64_t i = 0; i < r->npages; i++) {
		uint64_t arg = r->arg + (uint64_t)((int64_t)i * r->step);

		rc = ks_ksm_write(w->ksm, pid, r->vaddr + i * 4096, ks_content_make(cls, arg));
		if (rc)
			return rec_error(w, s, "write outside a mapping", rc);
	}
	return 0;
}

/* REF: page i gets dictionary page arg + i * step. The bulk path writes each run of
 * pages whose contents continue one class with a constant arg step as one range (the
 * recorder's fresh pages are consecutive literals); the reference path page by page. */
static int apply_ref(struct world *w, struct src *s, const struct ks_trace_rec *r,
		     uint32_t pid)
{
	uint64_t i = 0;
	int rc;

	if (r->arg >= s->ndict)
		return rec_error(w, s, "ref to an undefined page", KS_EINVAL);
	while (i < r->npages) {
		ks_content c0 = s->dict[r->arg + (uint64_t)((int64_t)i * r->step)];
		uint64_t n = 1;
		int64_t d = 0;

		if (!w->sc->reference_path && i + 1 < r->npages) {
			ks_content c1 = s->dict[r->arg + (uint64_t)((int64_t)(i + 1) * r->step)];

			if (ks_content_cls(c1) == ks_content_cls(c0) &&
			    ks_content_arg(c1) >= ks_content_arg(c0)) {
				d = (int64_t)(ks_content_arg(c1) - ks_content_arg(c0));
				for (n = 2; i + n < r->npages; n++) {
					ks_content cn = s->dict[r->arg +
						(uint64_t)((int64_t)(i + n) * r->step)];

					if (cn != ks_content_make(ks_content_cls(c0),
								  ks_content_arg(c0) +
								  (uint64_t)((int64_t)n * d)))
						break;
				}
			}
		}
		if (n == 1)
			rc = ks_ksm_write(w->ksm, pid, r->vaddr + i * KS_PAGE_SIZE, c0);
		else
			rc = ks_ksm_write_range(w->ksm, pid, r->vaddr + i * KS_PAGE_SIZE, n,
						ks_content_cls(c0), ks_content_arg(c0), d);
		if (rc)
			return rec_error(w, s, "write outside a mapping", rc);
		i += n;
	}
	return 0;
}

/* A read of an unmapped page: one line naming the record (file:line of a text trace). */
static int read_error(struct world *w, struct src *s, uint32_t pid, uint64_t vaddr)
{
	char where[4200];

	if (s->ts->where)
		s->ts->where(s->ts, where, sizeof(where));
	else
		snprintf(where, sizeof(where), "%s: record %" PRIu64, s->origin, s->nrec + 1);
	return ks_err_set(w->err, KS_EINVAL, "%s: read of an unmapped range: pid %" PRIu32
			  " has no mapping at 0x%" PRIx64 " (t=%" PRIu64 "ns)", where,
			  pid - s->pid_offset, vaddr, s->rec->t);
}

/* Every page of the range read once, in address order, priced twice: as the KSM model
 * backs it now, and as it would be backed without KSM (written pages private, untouched
 * ones the read fault's ZERO_PAGE(vaddr)). The model is not changed, except that with
 * host: swapped-out pages are faulted back in first (ks_reclaim_read). */
static int apply_read(struct world *w, struct src *s, const struct ks_trace_rec *r,
		      uint32_t pid)
{
	struct ks_read_totals k0 = *ks_reader_totals(w->rd_ksm);
	struct ks_read_totals n0 = *ks_reader_totals(w->rd_noksm);
	struct proc *p = find_proc(w, pid);

	if (w->reclaim)
		ks_reclaim_read(w->reclaim, pid, r->vaddr, r->npages);
	for (uint64_t i = 0; i < r->npages; i++) {
		uint64_t va = r->vaddr + i * KS_PAGE_SIZE;
		enum ks_read_frame k = KS_RF_PRIVATE;
		struct ks_backing b;

		if (ks_ksm_backing(w->ksm, pid, va, &b))
			return read_error(w, s, pid, va);
		switch (b.kind) {
		case KS_BACK_KSM:
			k = KS_RF_KSM;
			break;
		case KS_BACK_NONE:
		case KS_BACK_ZERO:
			k = KS_RF_ZERO;
			break;
		default:
			break;
		}
		ks_reader_read(w->rd_ksm, k, b.frame, va);
		ks_reader_read(w->rd_noksm, b.kind == KS_BACK_NONE ? KS_RF_ZERO : KS_RF_PRIVATE,
			       0, va);
	}
	if (p) {
		ks_read_totals_add_since(&p->rd, ks_reader_totals(w->rd_ksm), &k0);
		ks_read_totals_add_since(&p->rd_noksm, ks_reader_totals(w->rd_noksm), &n0);
	}
	return 0;
}

static int apply_start(struct world *w, const struct ks_trace_rec *r, uint32_t pid)
{
	struct proc *p;
	int rc = ks_ksm_proc_start(w->ksm, pid);

	if (rc)
		return rc;
	if (w->nprocs == w->capprocs) {
		w->capprocs = w->capprocs ? 2 * w->capprocs : 16;
		w->procs = ks_xrealloc(w->procs, w->capprocs * sizeof(*w->procs));
		w->psamples = ks_xrealloc(w->psamples, w->capprocs * sizeof(*w->psamples));
	}
	p = &w->procs[w->nprocs++];
	memset(p, 0, sizeof(*p)); /* its read totals start at 0 */
	p->pid = pid;
	p->alive = true;
	snprintf(p->name, sizeof(p->name), "%s", r->name[0] ? r->name : "process");
	return 0;
}

static int apply_record(struct world *w, struct src *s)
{
	const struct ks_trace_rec *r = s->rec;
	uint32_t pid = r->pid + s->pid_offset;
	struct proc *p;
	int rc = 0;

	switch (r->op) {
	case KS_TR_CLASS:
		return apply_class(w, s, r);
	case KS_TR_START:
		rc = apply_start(w, r, pid);
		return rc ? rec_error(w, s, "process already running", rc) : 0;
	case KS_TR_MMAP:
		if (w->o->max_pages && r->npages > w->o->max_pages - ks_ksm_mapped_pages(w->ksm))
			return ks_err_set(w->err, KS_ERANGE, "%s: record %" PRIu64 " (t=%" PRIu64
					  "ns, pid %" PRIu32 "): mapping %" PRIu64 " more pages "
					  "would exceed the limit of %" PRIu64 " mapped pages "
					  "(%" PRIu64 " mapped; see --max-memory)", s->origin,
					  s->nrec + 1, r->t, r->pid, r->npages, w->o->max_pages,
					  ks_ksm_mapped_pages(w->ksm));
		rc = ks_ksm_mmap(w->ksm, pid, r->vaddr, r->npages);
		if (!rc && w->reclaim)
			ks_reclaim_mmap(w->reclaim, pid, r->vaddr, r->npages);
		return rc ? rec_error(w, s, "mmap failed", rc) : 0;
	case KS_TR_MUNMAP:
		rc = ks_ksm_munmap(w->ksm, pid, r->vaddr, r->npages);
		if (!rc && w->reclaim)
			ks_reclaim_munmap(w->reclaim, pid, r->vaddr, r->npages);
		return rc ? rec_error(w, s, "munmap failed", rc) : 0;
	case KS_TR_WRITE:
		if (w->reclaim)
			ks_reclaim_write(w->reclaim, pid, r->vaddr, r->npages);
		return apply_write(w, s, r, pid);
	case KS_TR_WRITE_LITERAL:
		if (w->reclaim)
			ks_reclaim_write(w->reclaim, pid, r->vaddr, 1);
		rc = ks_ksm_write(w->ksm, pid, r->vaddr, ks_content_literal(w->cs, r->bytes));
		return rc ? rec_error(w, s, "write outside a mapping", rc) : 0;
	case KS_TR_PAGE:
		if (s->ndict == s->capdict) {
			s->capdict = s->capdict ? 2 * s->capdict : 1024;
			s->dict = ks_xrealloc(s->dict, s->capdict * sizeof(*s->dict));
		}
		s->dict[s->ndict++] = r->pager ?
			ks_content_literal_later(w->cs, r->pager, r->page_key) :
			ks_content_literal(w->cs, r->bytes);
		return 0;
	case KS_TR_REF:
		if (w->reclaim)
			ks_reclaim_write(w->reclaim, pid, r->vaddr, r->npages);
		return apply_ref(w, s, r, pid);
	case KS_TR_MERGEABLE:
	case KS_TR_UNMERGEABLE:
		rc = ks_ksm_madvise(w->ksm, pid, r->vaddr, r->npages, r->op == KS_TR_MERGEABLE);
		return rc ? rec_error(w, s, "madvise failed", rc) : 0;
	case KS_TR_EXIT:
		rc = ks_ksm_proc_exit(w->ksm, pid);
		if (rc)
			return rec_error(w, s, "exit of a process not running", rc);
		if (w->reclaim)
			ks_reclaim_exit(w->reclaim, pid);
		p = find_proc(w, pid);
		if (p)
			p->alive = false;
		return 0;
	case KS_TR_KNOB:
		queue_knob(w, r);
		return 0;
	case KS_TR_READ:
		return apply_read(w, s, r, pid);
	default:
		return rec_error(w, s, "unknown record type", KS_EINVAL);
	}
}

static int fetch(struct world *w, struct src *s)
{
	int rc = s->ts->next(s->ts, s->rec, w->err);

	if (rc < 0)
		return rc;
	s->have = rc == 1;
	if (s->have && s->shift_ns) {
		int64_t t = (int64_t)s->rec->t + s->shift_ns;

		s->rec->t = t > 0 ? (ks_time)t : 0; /* clamped: still never decreasing */
	}
	return 0;
}

static void ev_trace(struct ks_sim *sim, void *subject, void *object)
{
	struct world *w = subject;
	struct src *s = object;
	int rc;

	while (s->have && s->rec->t <= sim->now) {
		rc = apply_record(w, s);
		if (rc) {
			fail(w, rc);
			return;
		}
		s->nrec++;
		rc = fetch(w, s);
		if (rc) {
			fail(w, rc);
			return;
		}
	}
	if (w->reclaim)
		ks_reclaim_balance(w->reclaim);
	if (lazy_failed(w))
		return;
	if (s->have)
		ks_sim_schedule_at(sim, s->rec->t, ev_trace, w, s);
	wake_ksmd(w);
}

/* ---- setup and teardown ---- */

/* trace.file is relative to the current folder; failing that, to the scenario's. */
static const char *resolve_trace_path(struct world *w, const struct ks_scenario *sc)
{
	const char *slash = sc->path ? strrchr(sc->path, '/') : NULL;

	if (sc->trace_file[0] == '/' || access(sc->trace_file, F_OK) == 0 || !slash)
		return sc->trace_file;
	snprintf(w->trace_path, sizeof(w->trace_path), "%.*s/%s", (int)(slash - sc->path),
		 sc->path, sc->trace_file);
	return access(w->trace_path, F_OK) == 0 ? w->trace_path : sc->trace_file;
}

static int open_sources(struct world *w)
{
	const struct ks_scenario *sc = w->sc;

	if (sc->ngroups || sc->nksm_changes) {
		struct src *s = &w->srcs[w->nsrc];

		s->ts = ks_gen_open(sc, w->err);
		if (!s->ts)
			return w->err->code ? w->err->code : KS_EINVAL;
		s->origin = sc->path ? sc->path : "scenario";
		w->nsrc++;
	}
	if (sc->trace_file) {
		struct src *s = &w->srcs[w->nsrc];

		s->origin = resolve_trace_path(w, sc);
		s->ts = ks_trace_open(s->origin, w->err);
		if (!s->ts)
			return w->err->code ? w->err->code : KS_EIO;
		s->lazy = ks_trace_lazy_pages(s->ts);
		s->pid_offset = w->nsrc && sc->ngroups ? KS_TRACE_PID_OFFSET : 0;
		s->shift_ns = w->o->trace_shift_ns;
		w->nsrc++;
	}
	for (unsigned i = 0; i < w->nsrc; i++) {
		int rc;

		w->srcs[i].rec = ks_xcalloc(1, sizeof(struct ks_trace_rec));
		rc = fetch(w, &w->srcs[i]);
		if (rc)
			return rc;
		if (w->srcs[i].have)
			ks_sim_schedule_at(&w->sim, w->srcs[i].rec->t, ev_trace, w, &w->srcs[i]);
	}
	return 0;
}

/* host: the zsmalloc prices of host.zram.costs (default: the scenario's arch), then the
 * reclaim layer. */
static int open_reclaim(struct world *w)
{
	const struct ks_host_spec *h = &w->sc->host;
	const char *name = h->zram_costs ? h->zram_costs :
			   w->sc->arch ? w->sc->arch : "x86_64";
	struct ks_zs_model zm = { 0 };
	char path[4096];
	int rc;

	if (!h->ram_pages)
		return 0;
	rc = ks_zs_model_find(name, path, sizeof(path), w->err);
	if (rc) {
		ks_err_set(w->err, rc, "%s: host.zram.costs: no zsmalloc cost model '%s' "
			   "(arch-models/zsmalloc/NAME.yaml)", w->sc->path ? w->sc->path : "scenario",
			   name);
		return rc;
	}
	rc = ks_zs_model_load_file(path, &zm, w->err);
	if (!rc) {
		w->reclaim = ks_reclaim_new(w->sc, w->ksm, w->cs, &zm.c);
		if (!w->reclaim)
			rc = ks_err_set(w->err, KS_EINVAL, "%s: host: bad zram settings",
					w->sc->path ? w->sc->path : "scenario");
	}
	ks_zs_model_fini(&zm);
	return rc;
}

static void close_world(struct world *w)
{
	for (unsigned i = 0; i < w->nsrc; i++) {
		if (w->srcs[i].ts)
			w->srcs[i].ts->close(w->srcs[i].ts);
		free(w->srcs[i].cls_map);
		free(w->srcs[i].dict);
		free(w->srcs[i].rec);
	}
	ks_sim_fini(&w->sim);
	ks_reclaim_free(w->reclaim);
	ks_ksm_free(w->ksm);
	ks_reader_free(w->rd_ksm);
	ks_reader_free(w->rd_noksm);
	free(w->proc_reads);
	ks_content_store_free(w->cs);
	free(w->procs);
	free(w->psamples);
	free(w->hist);
	free(w->knobs);
}

static void progress_event(struct ks_sim *sim, void *subject, void *object)
{
	struct world *w = subject;

	(void)object;
	TELL(w, progress, sim->now, w->sim.end);
	ks_sim_schedule_after(sim, w->progress_step, progress_event, w, NULL);
}

/* The first time the saving reached `permille` of the final one (KS_TIME_MAX: never). */
static ks_time time_to_saving(const struct world *w, int64_t final, int64_t permille)
{
	int64_t target = final * permille / 1000;

	if (final <= 0)
		return KS_TIME_MAX;
	for (size_t i = 0; i < w->nhist; i++)
		if (w->hist[i].saved >= target)
			return w->hist[i].t;
	return KS_TIME_MAX;
}

/* The processes that read, for the summary. */
static void summarise_proc_reads(struct world *w, struct ks_summary *sum)
{
	size_t n = 0;

	free(w->proc_reads);
	w->proc_reads = ks_xcalloc(w->nprocs ? w->nprocs : 1, sizeof(*w->proc_reads));
	for (size_t i = 0; i < w->nprocs; i++)
		if (w->procs[i].rd.pages)
			w->proc_reads[n++] = (struct ks_proc_reads){
				.pid = w->procs[i].pid, .process = w->procs[i].name,
				.ksm = w->procs[i].rd, .noksm = w->procs[i].rd_noksm };
	sum->proc_reads = w->proc_reads;
	sum->nproc_reads = n;
}

static void summarise(struct world *w, struct ks_summary *sum)
{
	sum->sim_end = w->sim.now;
	sum->batches = w->batches;
	ks_ksm_stats(w->ksm, &sum->final);
	sum->saved_bytes = saved_bytes(&sum->final);
	sum->ksmd_cpu_ns = w->cpu_ns;
	sum->reads = *ks_reader_totals(w->rd_ksm);
	sum->reads_noksm = *ks_reader_totals(w->rd_noksm);
	sum->read_variant = ks_read_variant_of(w->ran_merge, w->ran_zero);
	summarise_proc_reads(w, sum);
	if (w->reclaim) {
		sum->has_swap = true;
		ks_reclaim_stats(w->reclaim, &sum->swap);
		ks_reclaim_cost(w->reclaim, &sum->swap_cost);
	}
	sum->t50 = time_to_saving(w, sum->saved_bytes, 500);
	sum->t90 = time_to_saving(w, sum->saved_bytes, 900);
	sum->peak_saved_bytes = sum->saved_bytes;
	sum->peak_t = sum->sim_end;
	for (size_t i = w->nhist; i-- > 0;) {
		if (w->hist[i].saved >= sum->peak_saved_bytes) {
			sum->peak_saved_bytes = w->hist[i].saved;
			sum->peak_t = w->hist[i].t;
		}
	}
}

static bool wants_progress(const struct ks_world_opts *o)
{
	for (size_t i = 0; i < o->nobs; i++)
		if (o->obs[i].progress)
			return true;
	return false;
}

/* The run is kept by every observer in turn; the first that cannot fails the run. */
static int commit(struct world *w, struct ks_summary *sum, double t0)
{
	const struct ks_world_opts *o = w->o;

	if (o->clock.mono_s)
		sum->wall_seconds = o->clock.mono_s() - t0;
	if (o->clock.unix_ms)
		sum->finished_unix_ms = o->clock.unix_ms();
	for (size_t i = 0; i < o->nobs; i++) {
		int rc;

		if (o->obs[i].commit && (rc = o->obs[i].commit(o->obs[i].self, sum, w->err))) {
			sum->status = KS_RUN_FAILED;
			return rc;
		}
	}
	return 0;
}

int ks_world_run(const struct ks_world_opts *o, struct ks_summary *sum, struct ks_err *err)
{
	struct world *w = ks_xcalloc(1, sizeof(*w));
	double t0 = o->clock.mono_s ? o->clock.mono_s() : 0;
	int rc;

	w->o = o;
	w->sc = o->sc;
	w->err = err;
	memset(sum, 0, sizeof(*sum));
	ks_sim_init(&w->sim, o->sc->duration);
	w->sim.interrupt = o->interrupt;
	w->cs = ks_content_store_new();
	ks_content_store_set_chunks(w->cs, &ks_huge_chunks);
	w->ksm = ks_ksm_new(&o->sc->ksm, w->cs);
	w->rd_ksm = ks_reader_new(o->reads ? o->reads : &(struct ks_read_costs){ 0 },
				  o->sc->ksm.zero_page_colours);
	w->rd_noksm = ks_reader_new(o->reads ? o->reads : &(struct ks_read_costs){ 0 },
				    o->sc->ksm.zero_page_colours);
	ks_ksm_set_bulk(w->ksm, !o->sc->reference_path);
	w->zero_pages = o->sc->ksm.use_zero_pages && o->sc->ksm.algorithm != KS_KSM_ALG_2009;
	w->sleep_ms = o->sc->ksm.sleep_millisecs;
	ks_ksm_set_numa(w->ksm, o->sc->numa_nodes ? o->sc->numa_nodes : 1);
	ks_ksm_set_observer(w->ksm, &(struct ks_ksm_observer){
		.self = w, .page_done = obs_page_done, .event = obs_event,
		.clock_ns = obs_clock, .cpu_ns = obs_cpu });
	rc = open_reclaim(w);
	if (!rc)
		rc = open_sources(w);
	if (rc)
		goto out;
	if (o->sc->sample_mode == KS_SAMPLE_INTERVAL && o->sc->sample_interval)
		ks_sim_schedule_at(&w->sim, 0, ev_sample, w, NULL);
	if (wants_progress(o)) {
		w->progress_step = o->sc->duration / 1000 ? o->sc->duration / 1000 : 1;
		ks_sim_schedule_at(&w->sim, 0, progress_event, w, NULL);
	}
	wake_ksmd(w);
	sum->status = ks_sim_run(&w->sim) ? KS_RUN_INTERRUPTED : KS_RUN_COMPLETE;
	lazy_failed(w);
	rc = w->rc;
	if (!rc && sum->status == KS_RUN_COMPLETE && w->sim.now < o->sc->duration &&
	    !w->sc->stop_when_stable)
		w->sim.now = o->sc->duration; /* nothing left to happen: the run spans it all */
	if (!rc && sum->status == KS_RUN_COMPLETE &&
	    !(w->sampled && (o->sc->sample_mode == KS_SAMPLE_BATCH ?
			     w->last_sample_batch == w->batches :
			     w->last_sample_t == w->sim.now)))
		take_sample(w, w->sim.now); /* always end with the final counters */
	rc = w->rc;
out:
	summarise(w, sum);
	if (rc)
		sum->status = KS_RUN_FAILED;
	else
		rc = commit(w, sum, t0);
	close_world(w);
	free(w);
	sum->proc_reads = NULL; /* freed with the world */
	sum->nproc_reads = 0;
	return rc;
}
