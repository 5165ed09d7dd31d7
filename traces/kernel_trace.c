/* kernel_trace.c - kernel traces in memory (kernel_trace.h, docs/kernel-traces.md):
 * building them, parsing tracepoint lines, and the pages each batch merged. Reading
 * and writing trace directories is in kernel_trace_io.c.
 *
 * Why: `sim regress` must compare the simulator with what a real kernel did, and the
 * recordings must be plain text so that they diff well in the repository and can be
 * produced by hand (cat of sysfs files, trace-cmd) on a production host.
 *
 * The in-memory form is the same for both: counters per batch (pages_scanned and
 * pages_skipped as deltas from batch 0, because run=2 does not reset them), per-process
 * ksm_stat rows, parsed tracepoint events, the PFN map and the mm -> pid table. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kernel_trace.h"
#include "models/base/xalloc.h"

const char *const ks_kt_counter_names[KS_KT_NCOUNTERS] = {
	"full_scans", "pages_scanned", "pages_shared", "pages_sharing", "pages_unshared",
	"pages_volatile", "pages_skipped", "stable_node_chains", "stable_node_dups",
	"ksm_zero_pages", "general_profit", "pages_to_scan"
};

static const char *const ev_names[KS_KT_EV_NTYPES] = {
	"ksm_start_scan", "ksm_stop_scan", "ksm_enter", "ksm_exit", "ksm_merge_one_page",
	"ksm_merge_with_ksm_page", "ksm_remove_ksm_page", "ksm_remove_rmap_item",
	"ksm_advisor"
};

#define GROW(arr, n, cap_unused) \
	((arr) = ks_xrealloc((arr), ((n) + 1) * sizeof(*(arr))))

struct ks_ktrace *ks_ktrace_new(void)
{
	return ks_xcalloc(1, sizeof(struct ks_ktrace));
}

void ks_ktrace_free(struct ks_ktrace *kt)
{
	if (!kt)
		return;
	for (unsigned i = 0; i < kt->nmeta; i++) {
		free(kt->meta_keys[i]);
		free(kt->meta_vals[i]);
	}
	for (size_t i = 0; i < kt->nevents; i++)
		free(kt->event_lines[i]);
	free(kt->meta_keys);
	free(kt->meta_vals);
	free(kt->event_lines);
	free(kt->dir);
	free(kt->scenario_text);
	free(kt->batches);
	free(kt->procs);
	free(kt->events);
	free(kt->pfns);
	free(kt->mms);
	free(kt->workload_csv);
	free(kt->samples_csv);
	free(kt);
}

void ks_ktrace_meta_set(struct ks_ktrace *kt, const char *key, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	for (unsigned i = 0; i < kt->nmeta; i++) {
		if (strcmp(kt->meta_keys[i], key) == 0) {
			free(kt->meta_vals[i]);
			kt->meta_vals[i] = ks_xstrdup(buf);
			return;
		}
	}
	GROW(kt->meta_keys, kt->nmeta, 0);
	GROW(kt->meta_vals, kt->nmeta, 0);
	kt->meta_keys[kt->nmeta] = ks_xstrdup(key);
	kt->meta_vals[kt->nmeta] = ks_xstrdup(buf);
	kt->nmeta++;
}

const char *ks_ktrace_meta(const struct ks_ktrace *kt, const char *key)
{
	for (unsigned i = 0; i < kt->nmeta; i++)
		if (strcmp(kt->meta_keys[i], key) == 0)
			return kt->meta_vals[i];
	return NULL;
}

void ks_ktrace_add_batch(struct ks_ktrace *kt, const struct ks_kt_batch *b)
{
	GROW(kt->batches, kt->nbatches, 0);
	kt->batches[kt->nbatches++] = *b;
}

void ks_ktrace_add_proc(struct ks_ktrace *kt, const struct ks_kt_proc *p)
{
	GROW(kt->procs, kt->nprocs, 0);
	kt->procs[kt->nprocs++] = *p;
}

void ks_ktrace_add_pfn(struct ks_ktrace *kt, const struct ks_kt_pfn *p)
{
	if (kt->npfns % 1024 == 0)
		kt->pfns = ks_xrealloc(kt->pfns, (kt->npfns + 1024) * sizeof(*kt->pfns));
	kt->pfns[kt->npfns++] = *p;
}

void ks_ktrace_add_mm(struct ks_ktrace *kt, const struct ks_kt_mm *m)
{
	GROW(kt->mms, kt->nmms, 0);
	kt->mms[kt->nmms++] = *m;
}

/* ---- tracepoint text ---- */

/* "1234.567890" (any number of decimals) -> ns. */
static int parse_ts(const char *s, size_t n, int64_t *out)
{
	int64_t sec = 0, frac = 0, scale = 1000000000;
	size_t i = 0;

	if (!n)
		return KS_EPARSE;
	for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
		if (sec > (INT64_MAX / 1000000000 - 9) / 10)
			return KS_EPARSE; /* beyond 292 years of uptime */
		sec = sec * 10 + (s[i] - '0');
	}
	if (i < n && s[i] == '.') {
		for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
			if (scale > 1) {
				scale /= 10;
				frac += (s[i] - '0') * scale;
			}
		}
	}
	if (i != n)
		return KS_EPARSE;
	*out = sec * 1000000000 + frac;
	return 0;
}

/* Value of the word after `key` in the space-separated words of args. */
static bool word_after(const char *args, const char *key, int base, int64_t *out)
{
	size_t kl = strlen(key);
	const char *p = args;

	while ((p = strstr(p, key)) != NULL) {
		bool start_ok = p == args || p[-1] == ' ';

		if (start_ok && p[kl] == ' ') {
			char *end;
			const char *v = p + kl + 1;

			if (base == 16 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X'))
				v += 2;
			errno = 0;
			*out = base == 16 ? (int64_t)strtoull(v, &end, 16) : strtoll(v, &end, 10);
			return end != v && errno == 0;
		}
		p += kl;
	}
	return false;
}

int64_t ks_kt_line_pid(const char *line, char *comm, size_t n)
{
	const char *b = line;

	while (*b == ' ')
		b++;
	/* the task ends before the first " [NNN]" (cpu) that a "-PID" precedes; comm itself
	 * may hold '-', ' ' or '[' */
	for (const char *c = strchr(b, '['); c; c = strchr(c + 1, '[')) {
		const char *e = c, *d, *q = c + 1;
		int64_t pid = 0;

		while (*q >= '0' && *q <= '9')
			q++;
		if (q == c + 1 || *q != ']')
			continue;
		while (e > b && e[-1] == ' ')
			e--;
		if (e == c)
			continue;
		for (d = e; d > b && d[-1] >= '0' && d[-1] <= '9'; d--)
			;
		if (d == e || d - 1 <= b || d[-1] != '-' || e - d > 9)
			continue;
		for (q = d; q < e; q++)
			pid = pid * 10 + (*q - '0');
		if (comm && n)
			snprintf(comm, n, "%.*s", (int)(d - 1 - b), b);
		return pid;
	}
	return -1;
}

int ks_kt_parse_event(const char *line, struct ks_kt_event *ev)
{
	const char *colon = strstr(line, ": ksm_"), *name, *args, *ts;
	int type = -1;
	size_t nl;
	int64_t v;
	bool ok = true;

	if (!colon)
		return 0;
	name = colon + 2;
	args = strchr(name, ':');
	if (!args)
		return 0;
	nl = (size_t)(args - name);
	for (int i = 0; i < KS_KT_EV_NTYPES; i++)
		if (strlen(ev_names[i]) == nl && strncmp(name, ev_names[i], nl) == 0)
			type = i;
	if (type < 0)
		return 0;
	args++;
	while (*args == ' ')
		args++;
	memset(ev, 0, sizeof(*ev));
	ev->type = (enum ks_kt_ev_type)type;
	for (ts = colon; ts > line && ts[-1] != ' '; ts--)
		;
	if (parse_ts(ts, (size_t)(colon - ts), &ev->t_ns))
		return KS_EPARSE;
	switch (ev->type) {
	case KS_KT_EV_START_SCAN:
	case KS_KT_EV_STOP_SCAN:
		ok = word_after(args, "seq", 10, &ev->a) && word_after(args, "size", 10, &ev->b);
		break;
	case KS_KT_EV_ENTER:
	case KS_KT_EV_EXIT:
		ok = word_after(args, "mm", 16, &v);
		ev->mm = (uint64_t)v;
		break;
	case KS_KT_EV_MERGE_ONE_PAGE:
	case KS_KT_EV_MERGE_WITH_KSM_PAGE:
		ev->ksm_page = strncmp(args, "ksm ", 4) == 0;
		ok = word_after(args, "pfn", 10, &v);
		ev->pfn = (uint64_t)v;
		ok = ok && word_after(args, "rmap_item", 16, &v);
		ev->rmap_item = (uint64_t)v;
		ok = ok && word_after(args, "mm", 16, &v);
		ev->mm = (uint64_t)v;
		ok = ok && word_after(args, "error", 10, &ev->err);
		break;
	case KS_KT_EV_REMOVE_KSM_PAGE:
		ok = word_after(args, "pfn", 10, &v);
		ev->pfn = (uint64_t)v;
		break;
	case KS_KT_EV_REMOVE_RMAP_ITEM:
		ok = word_after(args, "pfn", 10, &v);
		ev->pfn = (uint64_t)v;
		ok = ok && word_after(args, "rmap_item", 16, &v);
		ev->rmap_item = (uint64_t)v;
		ok = ok && word_after(args, "mm", 16, &v);
		ev->mm = (uint64_t)v;
		break;
	case KS_KT_EV_ADVISOR:
		ok = word_after(args, "time", 10, &ev->a) &&
		     word_after(args, "pages_to_scan", 10, &ev->b) &&
		     word_after(args, "percent", 10, &ev->c);
		break;
	default:
		return 0;
	}
	return ok ? 1 : KS_EPARSE;
}

int ks_ktrace_add_event_line(struct ks_ktrace *kt, const char *line)
{
	struct ks_kt_event ev;
	int rc = ks_kt_parse_event(line, &ev);
	size_t n;

	if (rc != 1)
		return rc;
	while (*line == ' ')
		line++;
	n = strcspn(line, "\r\n");
	if (kt->nevents % 256 == 0) {
		kt->events = ks_xrealloc(kt->events, (kt->nevents + 256) * sizeof(*kt->events));
		kt->event_lines = ks_xrealloc(kt->event_lines,
					      (kt->nevents + 256) * sizeof(char *));
	}
	kt->events[kt->nevents] = ev;
	kt->event_lines[kt->nevents] = ks_xmalloc(n + 1);
	memcpy(kt->event_lines[kt->nevents], line, n);
	kt->event_lines[kt->nevents][n] = '\0';
	kt->nevents++;
	return 1;
}

uint64_t ks_ktrace_event_batch(const struct ks_ktrace *kt, const struct ks_kt_event *ev)
{
	for (size_t i = 0; i < kt->nbatches; i++)
		if (ev->t_ns <= kt->batches[i].t_end_ns)
			return kt->batches[i].batch;
	return kt->nbatches ? kt->batches[kt->nbatches - 1].batch + 1 : 1;
}

uint32_t ks_ktrace_mm_pid(const struct ks_ktrace *kt, uint64_t mm)
{
	for (size_t i = 0; i < kt->nmms; i++)
		if (kt->mms[i].mm == mm && mm)
			return kt->mms[i].pid;
	return 0;
}

/* ---- merged pages ---- */

/* A page of the PFN map and its PFN as the map is replayed. */
struct mp_page {
	uint32_t pid;                 /* scenario pid */
	uint64_t vaddr;               /* page address */
	uint64_t pfn;                 /* current PFN (0: not present) */
};

/* A pfnmap row in replay order: (batch, phase s < b < w, file order). */
struct mp_row {
	uint64_t batch;               /* the row's batch */
	int rank;                     /* 0 s, 1 b, 2 w, 3 unknown phase */
	size_t i;                     /* index in kt->pfns */
};

/* A successful merge event, waiting for the page it merged. */
struct mp_event {
	uint64_t batch;               /* ksmd batch of the event */
	enum ks_kt_merge_kind kind;   /* from the event type and ksm_page */
	uint32_t pid;                 /* from the event's mm */
	uint64_t pfn;                 /* the event's pfn */
	unsigned found;               /* pages resolved to it */
};

static int phase_rank(char phase)
{
	return phase == 's' ? 0 : phase == 'b' ? 1 : phase == 'w' ? 2 : 3;
}

static int mp_page_cmp(const void *a, const void *b)
{
	const struct mp_page *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->vaddr < y->vaddr ? -1 : x->vaddr > y->vaddr;
}

static int mp_row_cmp(const void *a, const void *b)
{
	const struct mp_row *x = a, *y = b;

	if (x->batch != y->batch)
		return x->batch < y->batch ? -1 : 1;
	if (x->rank != y->rank)
		return x->rank - y->rank;
	return x->i < y->i ? -1 : x->i > y->i;
}

/* Order of events within a batch; also the search key (batch, kind, pid, pfn). */
static int mp_event_cmp(const void *a, const void *b)
{
	const struct mp_event *x = a, *y = b;

	if (x->batch != y->batch)
		return x->batch < y->batch ? -1 : 1;
	if (x->kind != y->kind)
		return (int)x->kind - (int)y->kind;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->pfn < y->pfn ? -1 : x->pfn > y->pfn;
}

int ks_kt_merged_cmp(const void *a, const void *b)
{
	const struct ks_kt_merged *x = a, *y = b;

	if (x->batch != y->batch)
		return x->batch < y->batch ? -1 : 1;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	if (x->vaddr != y->vaddr)
		return x->vaddr < y->vaddr ? -1 : 1;
	return (int)x->kind - (int)y->kind;
}

bool ks_ktrace_has_merged_pages(const struct ks_ktrace *kt)
{
	return kt->nevents > 0 && kt->npfns > 0;
}

/* The event of ev[0..n) with key (batch, kind, pid, pfn) that has explained the fewest
 * pages (the first such), or NULL. */
static struct mp_event *mp_event_find(struct mp_event *ev, size_t n, uint64_t batch,
				      enum ks_kt_merge_kind kind, uint32_t pid, uint64_t pfn)
{
	struct mp_event key = { .batch = batch, .kind = kind, .pid = pid, .pfn = pfn };
	struct mp_event *best = NULL;
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (mp_event_cmp(&ev[mid], &key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < n && mp_event_cmp(&ev[lo], &key) == 0; lo++)
		if (!best || ev[lo].found < best->found)
			best = &ev[lo];
	return best;
}

static void mp_add(struct ks_kt_merged **out, size_t *n, const struct mp_event *e,
		   uint64_t vaddr)
{
	if (*n % 256 == 0)
		*out = ks_xrealloc(*out, (*n + 256) * sizeof(**out));
	(*out)[(*n)++] = (struct ks_kt_merged){ .batch = e->batch, .pid = e->pid,
						.vaddr = vaddr, .kind = e->kind,
						.pfn = e->pfn };
}

/* Promotions of ev[0..n) (one batch) not yet resolved: the page of the event's process
 * whose PFN in the map as it stands now is the event's pfn. */
static void mp_resolve_new(const struct mp_page *pg, size_t npg, struct mp_event *ev,
			   size_t n, struct ks_kt_merged **out, size_t *nout)
{
	size_t open = 0;

	for (size_t i = 0; i < n; i++)
		open += ev[i].kind == KS_KT_MERGE_NEW_KSM && !ev[i].found;
	for (size_t i = 0; open && i < npg; i++) {
		struct mp_event *e;

		if (!pg[i].pfn)
			continue;
		e = mp_event_find(ev, n, ev[0].batch, KS_KT_MERGE_NEW_KSM, pg[i].pid,
				  pg[i].pfn);
		if (!e || e->found)
			continue;
		e->found = 1;
		open--;
		mp_add(out, nout, e, pg[i].vaddr);
	}
}

size_t ks_ktrace_merged_pages(const struct ks_ktrace *kt, struct ks_kt_merged **out)
{
	uint64_t last = kt->nbatches ? kt->batches[kt->nbatches - 1].batch : 0;
	struct mp_page *pg = ks_xcalloc(kt->npfns + 1, sizeof(*pg));
	struct mp_row *rows = ks_xcalloc(kt->npfns + 1, sizeof(*rows));
	struct mp_event *ev = ks_xcalloc(kt->nevents + 1, sizeof(*ev));
	size_t npg = 0, nev = 0, nout = 0, ri = 0, ei = 0;

	*out = NULL;
	/* the pages (distinct pid, vaddr) and the rows in replay order */
	for (size_t i = 0; i < kt->npfns; i++) {
		const struct ks_kt_pfn *p = &kt->pfns[i];

		pg[i] = (struct mp_page){ .pid = p->pid, .vaddr = p->vaddr };
		rows[i] = (struct mp_row){ .batch = p->batch, .rank = phase_rank(p->phase),
					   .i = i };
	}
	qsort(pg, kt->npfns, sizeof(*pg), mp_page_cmp);
	for (size_t i = 0; i < kt->npfns; i++)
		if (!npg || mp_page_cmp(&pg[npg - 1], &pg[i]))
			pg[npg++] = pg[i];
	qsort(rows, kt->npfns, sizeof(*rows), mp_row_cmp);
	/* the successful merge events of batches 1..last, attributed to processes */
	for (size_t i = 0; i < kt->nevents; i++) {
		const struct ks_kt_event *e = &kt->events[i];
		struct mp_event m = { .pfn = e->pfn };

		if (e->err != 0 || (e->type != KS_KT_EV_MERGE_WITH_KSM_PAGE &&
				    e->type != KS_KT_EV_MERGE_ONE_PAGE))
			continue;
		m.batch = ks_ktrace_event_batch(kt, e);
		m.pid = ks_ktrace_mm_pid(kt, e->mm);
		if (m.batch < 1 || m.batch > last)
			continue;
		m.kind = e->type == KS_KT_EV_MERGE_ONE_PAGE ? KS_KT_MERGE_INTO_ZERO :
			 e->ksm_page ? KS_KT_MERGE_INTO_KSM : KS_KT_MERGE_NEW_KSM;
		ev[nev++] = m;
	}
	qsort(ev, nev, sizeof(*ev), mp_event_cmp);

	for (uint64_t b = 1; b <= last; b++) {
		size_t e0 = ei, n;

		while (ei < nev && ev[ei].batch == b)
			ei++;
		n = ei - e0;
		/* the map as ksmd found it: setup, earlier batches, earlier sleeps */
		for (; ri < kt->npfns && (rows[ri].batch < b ||
					  (rows[ri].batch == b && rows[ri].rank < 1)); ri++) {
			const struct ks_kt_pfn *p = &kt->pfns[rows[ri].i];
			struct mp_page key = { .pid = p->pid, .vaddr = p->vaddr };
			struct mp_page *q = bsearch(&key, pg, npg, sizeof(*pg), mp_page_cmp);

			q->pfn = p->pfn;
		}
		if (n)
			mp_resolve_new(pg, npg, &ev[e0], n, out, &nout);
		/* the batch's PFN changes: merges into a KSM page or the zero page */
		for (; ri < kt->npfns && rows[ri].batch == b && rows[ri].rank == 1; ri++) {
			const struct ks_kt_pfn *p = &kt->pfns[rows[ri].i];
			struct mp_page key = { .pid = p->pid, .vaddr = p->vaddr };
			struct mp_page *q = bsearch(&key, pg, npg, sizeof(*pg), mp_page_cmp);
			struct mp_event *e = NULL;

			q->pfn = p->pfn;
			if (n && p->pfn)
				e = mp_event_find(&ev[e0], n, b, KS_KT_MERGE_INTO_KSM, p->pid,
						  p->pfn);
			if (n && p->pfn && !e)
				e = mp_event_find(&ev[e0], n, b, KS_KT_MERGE_INTO_ZERO, p->pid,
						  p->pfn);
			if (!e)
				continue; /* not a merge: e.g. break_cow, a write, a migration */
			e->found++;
			mp_add(out, &nout, e, p->vaddr);
		}
		if (!n)
			continue;
		/* a promoted page that changed in the batch (its PFN after the batch) */
		mp_resolve_new(pg, npg, &ev[e0], n, out, &nout);
		for (size_t i = e0; i < ei; i++)
			if (!ev[i].found)
				mp_add(out, &nout, &ev[i], KS_KT_NO_PAGE);
	}
	free(ev);
	free(rows);
	free(pg);
	if (nout)
		qsort(*out, nout, sizeof(**out), ks_kt_merged_cmp);
	return nout;
}
