/* kernel_trace.c - reading and writing kernel trace directories (kernel_trace.h,
 * docs/kernel-traces.md), and importing foreign ones (counters.csv + trace.txt).
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
	for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
		sec = sec * 10 + (s[i] - '0');
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

/* ---- writing ---- */

static FILE *open_out(const char *dir, const char *name, struct ks_err *err)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		ks_err_set(err, KS_EIO, "%s: cannot create: %s", path, strerror(errno));
	return f;
}

static int close_out(FILE *f, const char *dir, const char *name, struct ks_err *err)
{
	bool bad = ferror(f) != 0;

	if (fclose(f) || bad)
		return ks_err_set(err, KS_EIO, "%s/%s: write error", dir, name);
	return 0;
}

static int write_meta(const struct ks_ktrace *kt, const char *dir, struct ks_err *err)
{
	FILE *f = open_out(dir, "meta.yaml", err);

	if (!f)
		return err->code;
	fputs("# ksmsim kernel trace (docs/kernel-traces.md)\n", f);
	for (unsigned i = 0; i < kt->nmeta; i++)
		fprintf(f, "%s: %s\n", kt->meta_keys[i], kt->meta_vals[i]);
	return close_out(f, dir, "meta.yaml", err);
}

static int write_batches(const struct ks_ktrace *kt, const char *dir, struct ks_err *err)
{
	FILE *f = open_out(dir, "batches.csv", err);

	if (!f)
		return err->code;
	fputs("batch,t_start_ns,t_end_ns,ksmd_cpu_ns", f);
	for (int c = 0; c < KS_KT_NCOUNTERS; c++)
		fprintf(f, ",%s", ks_kt_counter_names[c]);
	fputc('\n', f);
	for (size_t i = 0; i < kt->nbatches; i++) {
		const struct ks_kt_batch *b = &kt->batches[i];

		fprintf(f, "%" PRIu64 ",%" PRId64 ",%" PRId64 ",%" PRId64, b->batch, b->t_start_ns,
			b->t_end_ns, b->ksmd_cpu_ns);
		for (int c = 0; c < KS_KT_NCOUNTERS; c++)
			fprintf(f, ",%" PRId64, b->c[c]);
		fputc('\n', f);
	}
	return close_out(f, dir, "batches.csv", err);
}

static const char *mm_name(const struct ks_ktrace *kt, uint32_t pid)
{
	for (size_t i = 0; i < kt->nmms; i++)
		if (kt->mms[i].pid == pid)
			return kt->mms[i].name;
	return "";
}

static int write_procs(const struct ks_ktrace *kt, const char *dir, struct ks_err *err)
{
	FILE *f = open_out(dir, "procs.csv", err);

	if (!f)
		return err->code;
	fputs("batch,pid,name,ksm_rmap_items,ksm_zero_pages,ksm_merging_pages,"
	      "ksm_process_profit,ksm_merge_any,ksm_mergeable\n", f);
	for (size_t i = 0; i < kt->nprocs; i++) {
		const struct ks_kt_proc *p = &kt->procs[i];

		fprintf(f, "%" PRIu64 ",%" PRIu32 ",%s,%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64
			",%d,%d\n", p->batch, p->pid, mm_name(kt, p->pid), p->rmap_items,
			p->zero_pages, p->merging_pages, p->profit, p->merge_any, p->mergeable);
	}
	return close_out(f, dir, "procs.csv", err);
}

static int write_small(const struct ks_ktrace *kt, const char *dir, struct ks_err *err)
{
	FILE *f = open_out(dir, "mms.csv", err);
	int rc;

	if (!f)
		return err->code;
	fputs("pid,name,mm\n", f);
	for (size_t i = 0; i < kt->nmms; i++)
		fprintf(f, "%" PRIu32 ",%s,0x%" PRIx64 "\n", kt->mms[i].pid, kt->mms[i].name,
			kt->mms[i].mm);
	rc = close_out(f, dir, "mms.csv", err);
	if (rc)
		return rc;
	f = open_out(dir, "events.txt", err);
	if (!f)
		return err->code;
	for (size_t i = 0; i < kt->nevents; i++)
		fprintf(f, "%s\n", kt->event_lines[i]);
	rc = close_out(f, dir, "events.txt", err);
	if (rc)
		return rc;
	f = open_out(dir, "pfnmap.csv", err);
	if (!f)
		return err->code;
	fputs("batch,phase,pid,vaddr,pfn\n", f);
	for (size_t i = 0; i < kt->npfns; i++) {
		const struct ks_kt_pfn *p = &kt->pfns[i];

		fprintf(f, "%" PRIu64 ",%c,%" PRIu32 ",0x%" PRIx64 ",%" PRIu64 "\n", p->batch,
			p->phase, p->pid, p->vaddr, p->pfn);
	}
	rc = close_out(f, dir, "pfnmap.csv", err);
	if (rc || !kt->workload_csv)
		return rc;
	f = open_out(dir, "workload.csv", err);
	if (!f)
		return err->code;
	fputs(kt->workload_csv, f);
	return close_out(f, dir, "workload.csv", err);
}

int ks_ktrace_write(const struct ks_ktrace *kt, const char *dir, struct ks_err *err)
{
	FILE *f;
	int rc;

	if (mkdir(dir, 0777) && errno != EEXIST)
		return ks_err_set(err, KS_EIO, "%s: cannot create directory: %s", dir,
				  strerror(errno));
	rc = write_meta(kt, dir, err);
	if (rc)
		return rc;
	f = open_out(dir, "scenario.yaml", err);
	if (!f)
		return err->code;
	fputs(kt->scenario_text ? kt->scenario_text : "", f);
	rc = close_out(f, dir, "scenario.yaml", err);
	if (!rc)
		rc = write_batches(kt, dir, err);
	if (!rc)
		rc = write_procs(kt, dir, err);
	if (!rc)
		rc = write_small(kt, dir, err);
	return rc;
}

/* ---- reading ---- */

/* Reads a whole file; NULL (errno set) if it cannot be opened. */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0, cap = 0, got;

	if (!f)
		return NULL;
	do {
		if (cap - n < 4096) {
			cap = cap ? 2 * cap : 65536;
			buf = ks_xrealloc(buf, cap + 1);
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
	} while (got);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

/* Iterates lines of a buffer in place: returns the next line (NUL-terminated, without
 * '\n' or '\r'), or NULL at the end. */
static char *next_line(char **cur)
{
	char *s = *cur, *e;

	if (!s || !*s)
		return NULL;
	e = strchr(s, '\n');
	if (e) {
		*e = '\0';
		*cur = e + 1;
	} else {
		*cur = s + strlen(s);
	}
	e = s + strlen(s);
	while (e > s && e[-1] == '\r')
		*--e = '\0';
	return s;
}

#define KT_MAX_COLS 40

/* Splits a CSV line (no quoting) in place. Returns the number of fields. */
static unsigned split_csv(char *line, char **f)
{
	unsigned n = 0;

	for (;;) {
		if (n == KT_MAX_COLS)
			return n;
		f[n++] = line;
		line = strchr(line, ',');
		if (!line)
			return n;
		*line++ = '\0';
	}
}

static int col_of(char **hdr, unsigned nh, const char *name)
{
	for (unsigned i = 0; i < nh; i++)
		if (strcmp(hdr[i], name) == 0)
			return (int)i;
	return -1;
}

static int num(const char *s, int64_t *v)
{
	char *end;

	errno = 0;
	*v = (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) ? (int64_t)strtoull(s, &end, 16) :
							     strtoll(s, &end, 10);
	return (end == s || *end || errno) ? KS_EPARSE : 0;
}

/* A CSV table: header then rows, all cells numeric except column `text_col` (-1). */
struct csv {
	char *buf;
	char *hdr[KT_MAX_COLS];
	unsigned nh;
	char *cur;
	unsigned line;
	char path[4096];
};

static int csv_open(struct csv *c, const char *dir, const char *name, bool required,
		    struct ks_err *err)
{
	char *h;

	snprintf(c->path, sizeof(c->path), "%s/%s", dir, name);
	c->buf = slurp(c->path);
	if (!c->buf)
		return required ? ks_err_set(err, KS_ENOENT, "%s: cannot open: %s", c->path,
					     strerror(errno)) : 1;
	c->cur = c->buf;
	c->line = 1;
	h = next_line(&c->cur);
	if (!h)
		return ks_err_set(err, KS_EPARSE, "%s:1: empty file, expected a header line",
				  c->path);
	c->nh = split_csv(h, c->hdr);
	return 0;
}

/* Next data row: 1 with fields, 0 at the end, KS_EPARSE on a short row. */
static int csv_row(struct csv *c, char **f, struct ks_err *err)
{
	char *l;
	unsigned n;

	do {
		l = next_line(&c->cur);
		c->line++;
		if (!l)
			return 0;
	} while (!*l || *l == '#');
	n = split_csv(l, f);
	if (n != c->nh)
		return ks_err_set(err, KS_EPARSE, "%s:%u: %u fields, the header has %u", c->path,
				  c->line, n, c->nh);
	return 1;
}

static int csv_num(struct csv *c, char **f, int col, int64_t *v, struct ks_err *err)
{
	if (col < 0) {
		*v = KS_KT_NONE;
		return 0;
	}
	if (num(f[col], v))
		return ks_err_set(err, KS_EPARSE, "%s:%u: column '%s': not a number: '%s'",
				  c->path, c->line, c->hdr[col], f[col]);
	return 0;
}

static int read_meta(struct ks_ktrace *kt, const char *dir, bool required,
		     struct ks_err *err)
{
	char path[4096], *buf, *cur, *l;
	unsigned line = 0;

	snprintf(path, sizeof(path), "%s/meta.yaml", dir);
	buf = slurp(path);
	if (!buf)
		return required ? ks_err_set(err, KS_ENOENT, "%s: cannot open: %s", path,
					     strerror(errno)) : 0;
	cur = buf;
	while ((l = next_line(&cur)) != NULL) {
		char *colon, *v, *e;

		line++;
		while (*l == ' ')
			l++;
		if (!*l || *l == '#')
			continue;
		colon = strstr(l, ": ");
		if (!colon && l[strlen(l) - 1] == ':')
			colon = l + strlen(l) - 1;
		if (!colon) {
			free(buf);
			return ks_err_set(err, KS_EPARSE, "%s:%u: expected 'key: value'", path, line);
		}
		*colon = '\0';
		v = colon + 1;
		while (*v == ' ')
			v++;
		e = v + strlen(v);
		if (e - v >= 2 && (*v == '"' || *v == '\'') && e[-1] == *v) {
			e[-1] = '\0';
			v++;
		}
		ks_ktrace_meta_set(kt, l, "%s", v);
	}
	free(buf);
	return 0;
}

static int read_batches(struct ks_ktrace *kt, const char *dir, const char *name,
			bool absolute, struct ks_err *err)
{
	struct csv c = { 0 };
	char *f[KT_MAX_COLS];
	int cols[KS_KT_NCOUNTERS], cb, cs, ce, cc, rc;
	int64_t base_scanned = 0, base_skipped = 0, v;

	rc = csv_open(&c, dir, name, true, err);
	if (rc)
		return rc;
	cb = col_of(c.hdr, c.nh, "batch");
	cs = col_of(c.hdr, c.nh, "t_start_ns");
	ce = col_of(c.hdr, c.nh, "t_end_ns");
	if (ce < 0)
		ce = col_of(c.hdr, c.nh, "t_ns");
	cc = col_of(c.hdr, c.nh, "ksmd_cpu_ns");
	for (int k = 0; k < KS_KT_NCOUNTERS; k++)
		cols[k] = col_of(c.hdr, c.nh, ks_kt_counter_names[k]);
	for (int k = KS_KT_FULL_SCANS; k <= KS_KT_PAGES_VOLATILE; k++) {
		if (cols[k] < 0) {
			rc = ks_err_set(err, KS_EPARSE, "%s:1: missing column '%s'", c.path,
					ks_kt_counter_names[k]);
			goto out;
		}
	}
	while ((rc = csv_row(&c, f, err)) == 1) {
		struct ks_kt_batch b = { .batch = kt->nbatches };

		if ((rc = csv_num(&c, f, cb, &v, err)) != 0)
			goto out;
		if (cb >= 0)
			b.batch = (uint64_t)v;
		if (b.batch != kt->nbatches) {
			rc = ks_err_set(err, KS_EPARSE, "%s:%u: batch %" PRIu64 " out of order "
					"(expected %zu; batch 0 is the state before run=1)", c.path,
					c.line, b.batch, kt->nbatches);
			goto out;
		}
		if ((rc = csv_num(&c, f, cs, &b.t_start_ns, err)) ||
		    (rc = csv_num(&c, f, ce, &b.t_end_ns, err)) ||
		    (rc = csv_num(&c, f, cc, &b.ksmd_cpu_ns, err)))
			goto out;
		for (int k = 0; k < KS_KT_NCOUNTERS; k++)
			if ((rc = csv_num(&c, f, cols[k], &b.c[k], err)) != 0)
				goto out;
		if (absolute) {
			if (!kt->nbatches) {
				base_scanned = b.c[KS_KT_PAGES_SCANNED];
				base_skipped = b.c[KS_KT_PAGES_SKIPPED];
			}
			b.c[KS_KT_PAGES_SCANNED] -= base_scanned;
			if (b.c[KS_KT_PAGES_SKIPPED] != KS_KT_NONE)
				b.c[KS_KT_PAGES_SKIPPED] -= base_skipped;
		}
		ks_ktrace_add_batch(kt, &b);
	}
	if (!rc && kt->nbatches < 2)
		rc = ks_err_set(err, KS_EPARSE, "%s: needs batch 0 and at least one batch",
				c.path);
out:
	free(c.buf);
	return rc < 0 ? rc : 0;
}

static int read_procs(struct ks_ktrace *kt, const char *dir, struct ks_err *err)
{
	static const char *const names[] = { "batch", "pid", "ksm_rmap_items",
		"ksm_zero_pages", "ksm_merging_pages", "ksm_process_profit", "ksm_merge_any",
		"ksm_mergeable" };
	struct csv c = { 0 };
	char *f[KT_MAX_COLS];
	int cols[8], rc = csv_open(&c, dir, "procs.csv", false, err);
	int64_t v[8];

	if (rc)
		return rc < 0 ? rc : 0;
	for (int i = 0; i < 8; i++)
		cols[i] = col_of(c.hdr, c.nh, names[i]);
	while ((rc = csv_row(&c, f, err)) == 1) {
		struct ks_kt_proc p;

		for (int i = 0; i < 8; i++)
			if ((rc = csv_num(&c, f, cols[i], &v[i], err)) != 0)
				goto out;
		p = (struct ks_kt_proc){ (uint64_t)v[0], (uint32_t)v[1], v[2], v[3], v[4], v[5],
					 v[6] > 0, v[7] > 0 };
		ks_ktrace_add_proc(kt, &p);
	}
out:
	free(c.buf);
	return rc < 0 ? rc : 0;
}

static int read_mms(struct ks_ktrace *kt, const char *dir, struct ks_err *err)
{
	struct csv c = { 0 };
	char *f[KT_MAX_COLS];
	int rc = csv_open(&c, dir, "mms.csv", false, err), cp, cn, cm;
	int64_t pid, mm;

	if (rc)
		return rc < 0 ? rc : 0;
	cp = col_of(c.hdr, c.nh, "pid");
	cn = col_of(c.hdr, c.nh, "name");
	cm = col_of(c.hdr, c.nh, "mm");
	while ((rc = csv_row(&c, f, err)) == 1) {
		struct ks_kt_mm m = { 0 };

		if ((rc = csv_num(&c, f, cp, &pid, err)) || (rc = csv_num(&c, f, cm, &mm, err)))
			goto out;
		m.pid = (uint32_t)pid;
		m.mm = (uint64_t)mm;
		if (cn >= 0)
			snprintf(m.name, sizeof(m.name), "%s", f[cn]);
		ks_ktrace_add_mm(kt, &m);
	}
out:
	free(c.buf);
	return rc < 0 ? rc : 0;
}

static int read_pfns(struct ks_ktrace *kt, const char *dir, struct ks_err *err)
{
	struct csv c = { 0 };
	char *f[KT_MAX_COLS];
	int rc = csv_open(&c, dir, "pfnmap.csv", false, err);
	int cb, cph, cp, cv, cf;
	int64_t b, pid, va, pfn;

	if (rc)
		return rc < 0 ? rc : 0;
	cb = col_of(c.hdr, c.nh, "batch");
	cph = col_of(c.hdr, c.nh, "phase");
	cp = col_of(c.hdr, c.nh, "pid");
	cv = col_of(c.hdr, c.nh, "vaddr");
	cf = col_of(c.hdr, c.nh, "pfn");
	if (cph < 0) {
		rc = ks_err_set(err, KS_EPARSE, "%s:1: missing column 'phase'", c.path);
		goto out;
	}
	while ((rc = csv_row(&c, f, err)) == 1) {
		struct ks_kt_pfn p;

		if ((rc = csv_num(&c, f, cb, &b, err)) || (rc = csv_num(&c, f, cp, &pid, err)) ||
		    (rc = csv_num(&c, f, cv, &va, err)) || (rc = csv_num(&c, f, cf, &pfn, err)))
			goto out;
		p = (struct ks_kt_pfn){ (uint64_t)b, f[cph][0], (uint32_t)pid, (uint64_t)va,
					(uint64_t)pfn };
		ks_ktrace_add_pfn(kt, &p);
	}
out:
	free(c.buf);
	return rc < 0 ? rc : 0;
}

static int read_events(struct ks_ktrace *kt, const char *dir, const char *name,
		       struct ks_err *err)
{
	char path[4096], *buf, *cur, *l;
	unsigned line = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	buf = slurp(path);
	if (!buf)
		return 0;
	cur = buf;
	while ((l = next_line(&cur)) != NULL) {
		line++;
		if (*l == '#')
			continue;
		if (ks_ktrace_add_event_line(kt, l) < 0) {
			free(buf);
			return ks_err_set(err, KS_EPARSE, "%s:%u: malformed ksm event line", path,
					  line);
		}
	}
	free(buf);
	return 0;
}

int ks_ktrace_read(const char *dir, struct ks_ktrace **out, struct ks_err *err)
{
	struct ks_ktrace *kt = ks_ktrace_new();
	char path[4096], probe[4096];
	struct stat st;
	int rc;

	*out = NULL;
	kt->dir = ks_xstrdup(dir);
	if (stat(dir, &st) || !S_ISDIR(st.st_mode)) {
		rc = ks_err_set(err, KS_ENOENT, "%s: not a kernel trace directory", dir);
		goto fail;
	}
	snprintf(probe, sizeof(probe), "%s/batches.csv", dir);
	kt->foreign = stat(probe, &st) != 0;
	snprintf(path, sizeof(path), "%s/scenario.yaml", dir);
	kt->scenario_text = slurp(path);
	if (!kt->scenario_text) {
		rc = ks_err_set(err, KS_ENOENT, "%s: cannot open: %s", path, strerror(errno));
		goto fail;
	}
	rc = read_meta(kt, dir, !kt->foreign, err);
	if (!rc)
		rc = read_batches(kt, dir, kt->foreign ? "counters.csv" : "batches.csv",
				  kt->foreign, err);
	if (!rc && !kt->foreign)
		rc = read_procs(kt, dir, err);
	if (!rc && !kt->foreign)
		rc = read_mms(kt, dir, err);
	if (!rc && !kt->foreign)
		rc = read_pfns(kt, dir, err);
	if (!rc)
		rc = read_events(kt, dir, kt->foreign ? "trace.txt" : "events.txt", err);
	if (rc)
		goto fail;
	if (kt->foreign && !ks_ktrace_meta(kt, "workload"))
		ks_ktrace_meta_set(kt, "workload", "static");
	for (size_t i = 0; !kt->nmms && i < kt->nevents; i++) {
		/* foreign: processes registered in scenario pid order */
		for (size_t j = i; j < kt->nevents; j++) {
			struct ks_kt_mm m = { .pid = (uint32_t)kt->nmms + 1 };

			if (kt->events[j].type != KS_KT_EV_ENTER)
				continue;
			m.mm = kt->events[j].mm;
			ks_ktrace_add_mm(kt, &m);
		}
		break;
	}
	*out = kt;
	return 0;
fail:
	ks_ktrace_free(kt);
	return rc;
}
