/* compare.c - two runs side by side (sim compare A[:RUN] B[:RUN]), as text or as an
 * HTML page: the settings that differ, the key figures (saving, times to 50% and 90%,
 * ksmd CPU), the final counters, ksmd CPU by component and the cmp_and_merge_page
 * latency histograms, each with B - A and B / A; then notes: settings that changed no
 * counter, pairings that are odd (the s390 CKSM checksum or coloured zero pages on
 * another arch, the 2009 algorithm on a modern arch model), runs of different
 * scenarios, durations or seeds only. */
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "report.h"
#include "report_int.h"
#include "svg.h"
#include "models/base/xalloc.h"
#include "sim/results/db.h"

enum { MAX_PARAMS = 40, NCOMP = 5, MAX_BUCKETS = 64 };

/* The key figures (v_run_summary), in print order. */
static const struct {
	const char *col, *label;
} figs[] = {
	{ "saved_mib", "memory saved at the end (MiB)" },
	{ "peak_saved_mib", "peak saving (MiB)" },
	{ "t50_s", "time to 50% of the saving (s)" },
	{ "t90_s", "time to 90% of the saving (s)" },
	{ "ksmd_cpu_s", "ksmd CPU (s)" },
	{ "ksmd_cpu_pct", "ksmd CPU (% of simulated time)" },
	{ "sim_s", "simulated time (s)" },
	{ "batches", "ksmd batches" },
	{ "wall_seconds", "wall time (s)" },
};
enum { NFIGS = sizeof(figs) / sizeof(figs[0]) };

/* The final counters compared (the last sample). */
static const char *const counters[] = {
	"full_scans", "pages_scanned", "pages_shared", "pages_sharing", "pages_unshared",
	"pages_volatile", "pages_skipped", "ksm_zero_pages", "stable_node_chains",
	"stable_node_dups", "general_profit", "rmap_items", "cow_ksm"
};
enum { NCOUNTERS = sizeof(counters) / sizeof(counters[0]) };

static const char *const comps[NCOMP] = { "compare", "checksum", "tree", "merge", "other" };

/* The readers' figures of a run that read (table reads). */
static const struct {
	const char *col, *label;
} read_figs[] = {
	{ "ns / 1e9", "readers' time with KSM (s)" },
	{ "ns_noksm / 1e9", "readers' time without KSM (s)" },
	{ "1.0 * ns / ns_noksm", "readers' time, with / without" },
	{ "pages", "pages read" },
	{ "synonym_pages", "reads that were cache synonyms" },
	{ "zero_page_colours", "zero pages" },
};
enum { NREADS = sizeof(read_figs) / sizeof(read_figs[0]) };

struct side {
	sqlite3 *db;
	const char *path;
	int64_t id;
	char label[256];            /* "A: file.db run 3" */
	char scenario[128], arch[64];
	uint64_t seed;
	double fig[NFIGS];          /* NaN: NULL */
	double cnt[NCOUNTERS];      /* NaN: no samples */
	double comp[NCOMP];         /* ksmd CPU s by component */
	bool has_comp;
	unsigned nparams;           /* run_params, as text (0: none, an older run) */
	char pname[MAX_PARAMS][48], pval[MAX_PARAMS][64];
	uint64_t lo[2][MAX_BUCKETS], count[2][MAX_BUCKETS]; /* latency: anon, ksm */
	size_t nb[2];
	bool has_reads;             /* a reads row (docs/cost-models.md, "Reads") */
	char variant[32];
	double rd[NREADS];          /* read_figs */
};

static double col_num(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? NAN : sqlite3_column_double(st, i);
}

static int load_figs(struct side *s, struct ks_err *err)
{
	sqlite3_stmt *st;
	char sql[1024];
	size_t used = (size_t)snprintf(sql, sizeof(sql), "SELECT scenario, arch, seed");
	int rc;

	for (unsigned i = 0; i < NFIGS; i++)
		used += (size_t)snprintf(sql + used, sizeof(sql) - used, ", %s", figs[i].col);
	snprintf(sql + used, sizeof(sql) - used, " FROM v_run_summary WHERE run_id = ?1");
	rc = ks_db_prep(s->db, s->path, sql, &st, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, s->id);
	if (sqlite3_step(st) != SQLITE_ROW) {
		rc = ks_db_fail(s->db, s->path, err);
	} else {
		snprintf(s->scenario, sizeof(s->scenario), "%s", ks_report_col_text(st, 0, "?"));
		snprintf(s->arch, sizeof(s->arch), "%s", ks_report_col_text(st, 1, "?"));
		s->seed = (uint64_t)ks_db_col_i64(st, 2);
		for (unsigned i = 0; i < NFIGS; i++)
			s->fig[i] = col_num(st, 3 + (int)i);
	}
	sqlite3_finalize(st);
	return rc;
}

static int load_counters(struct side *s, struct ks_err *err)
{
	sqlite3_stmt *st;
	char sql[1024];
	size_t used = (size_t)snprintf(sql, sizeof(sql), "SELECT t_ns");
	int rc, step;

	for (unsigned i = 0; i < NCOUNTERS; i++)
		used += (size_t)snprintf(sql + used, sizeof(sql) - used, ", %s", counters[i]);
	snprintf(sql + used, sizeof(sql) - used, " FROM samples WHERE run_id = ?1"
		 " ORDER BY t_ns DESC, rowid DESC LIMIT 1");
	rc = ks_db_prep(s->db, s->path, sql, &st, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, s->id);
	step = sqlite3_step(st);
	for (unsigned i = 0; i < NCOUNTERS; i++)
		s->cnt[i] = step == SQLITE_ROW ? col_num(st, 1 + (int)i) : NAN;
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		rc = ks_db_fail(s->db, s->path, err);
	sqlite3_finalize(st);
	return rc;
}

static int load_costs(struct side *s, struct ks_err *err)
{
	sqlite3_stmt *st;
	int rc = ks_db_prep(s->db, s->path, "SELECT component, ns FROM cost_components"
			    " WHERE run_id = ?1", &st, err);

	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, s->id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *c = ks_report_col_text(st, 0, "");
		unsigned k = 0;

		while (k < NCOMP - 1 && strcmp(c, comps[k]))
			k++;
		s->comp[k] += sqlite3_column_double(st, 1) / 1e9;
		s->has_comp = true;
	}
	sqlite3_finalize(st);
	for (unsigned kind = 0; kind < 2 && !rc; kind++) {
		rc = ks_db_prep(s->db, s->path, "SELECT bucket_lo_ns, count FROM latency_hist"
				" WHERE run_id = ?1 AND page_kind = ?2 ORDER BY bucket_lo_ns", &st,
				err);
		if (rc)
			break;
		sqlite3_bind_int64(st, 1, s->id);
		sqlite3_bind_text(st, 2, kind ? "ksm" : "anon", -1, SQLITE_STATIC);
		while (sqlite3_step(st) == SQLITE_ROW && s->nb[kind] < MAX_BUCKETS) {
			s->lo[kind][s->nb[kind]] = (uint64_t)ks_db_col_i64(st, 0);
			s->count[kind][s->nb[kind]++] = (uint64_t)ks_db_col_i64(st, 1);
		}
		sqlite3_finalize(st);
	}
	return rc;
}

/* The run's reads row, if it has one (a file older than the table has none). */
static int load_reads(struct side *s, struct ks_err *err)
{
	sqlite3_stmt *st;
	char sql[512];
	size_t used = (size_t)snprintf(sql, sizeof(sql), "SELECT variant");
	int step;

	for (unsigned i = 0; i < NREADS; i++)
		used += (size_t)snprintf(sql + used, sizeof(sql) - used, ", %s", read_figs[i].col);
	snprintf(sql + used, sizeof(sql) - used, " FROM reads WHERE run_id = ?1");
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		sqlite3_finalize(st);
		return 0;
	}
	sqlite3_bind_int64(st, 1, s->id);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		s->has_reads = true;
		snprintf(s->variant, sizeof(s->variant), "%s", ks_report_col_text(st, 0, "?"));
		for (unsigned i = 0; i < NREADS; i++)
			s->rd[i] = col_num(st, 1 + (int)i);
	}
	sqlite3_finalize(st);
	return step == SQLITE_ROW || step == SQLITE_DONE ? 0 : ks_db_fail(s->db, s->path, err);
}

/* run_params as text, every column but run_id. */
static int load_params(struct side *s, struct ks_err *err)
{
	sqlite3_stmt *st;
	int rc = ks_db_prep(s->db, s->path, "SELECT * FROM run_params WHERE run_id = ?1", &st,
			    err);

	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, s->id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		for (int i = 0; i < sqlite3_column_count(st) && s->nparams < MAX_PARAMS; i++) {
			if (!strcmp(sqlite3_column_name(st, i), "run_id"))
				continue;
			snprintf(s->pname[s->nparams], sizeof(s->pname[0]), "%s",
				 sqlite3_column_name(st, i));
			snprintf(s->pval[s->nparams++], sizeof(s->pval[0]), "%s",
				 ks_report_col_text(st, i, "NULL"));
		}
	}
	sqlite3_finalize(st);
	return 0;
}

static int side_open(struct side *s, const char *path, int64_t run, char name,
		     struct ks_err *err)
{
	int rc;

	memset(s, 0, sizeof(*s));
	s->path = path;
	rc = ks_results_open_read(path, &s->db, err);
	if (!rc)
		rc = ks_report_resolve_run(s->db, path, run, &s->id, err);
	if (!rc)
		rc = load_figs(s, err);
	if (!rc)
		rc = load_counters(s, err);
	if (!rc)
		rc = load_costs(s, err);
	if (!rc)
		rc = load_params(s, err);
	if (!rc)
		rc = load_reads(s, err);
	snprintf(s->label, sizeof(s->label), "%c: %s run %" PRId64, name, path, s->id);
	return rc;
}

static void side_close(struct side *s)
{
	sqlite3_close(s->db);
	s->db = NULL;
}

/* ---- comparing ---- */

/* The value of a named setting, or NULL. */
static const char *param(const struct side *s, const char *name)
{
	for (unsigned i = 0; i < s->nparams; i++)
		if (!strcmp(s->pname[i], name))
			return s->pval[i];
	return NULL;
}

static bool same_num(double a, double b)
{
	return (isnan(a) && isnan(b)) || a == b;
}

/* Whether every counter and every time to a saving is the same. */
static bool same_outcome(const struct side *a, const struct side *b)
{
	for (unsigned i = 0; i < NCOUNTERS; i++)
		if (!same_num(a->cnt[i], b->cnt[i]))
			return false;
	return same_num(a->fig[0], b->fig[0]) && same_num(a->fig[2], b->fig[2]) &&
		same_num(a->fig[3], b->fig[3]);
}

/* Collects the notes (one line each, NUL-separated into buf); returns how many. */
static unsigned notes(const struct side *a, const struct side *b, char *buf, size_t len)
{
	const struct side *sides[2] = { a, b };
	size_t used = 0;
	unsigned n = 0, ndiff = 0;
	char diff[512] = "";

#define NOTE(...) do { if (used < len) { \
	used += (size_t)snprintf(buf + used, len - used, __VA_ARGS__) + 1; n++; } } while (0)
	if (!strcmp(a->path, b->path) && a->id == b->id)
		NOTE("A and B are the same run");
	if (strcmp(a->scenario, b->scenario))
		NOTE("the runs are of different scenarios (%s, %s): only like figures compare",
		     a->scenario, b->scenario);
	if (!same_num(a->fig[6], b->fig[6]))
		NOTE("the simulated durations differ (%.4g s, %.4g s): compare ksmd CPU %% rather "
		     "than seconds", a->fig[6], b->fig[6]);
	if (!a->nparams || !b->nparams)
		NOTE("%s has no recorded settings (written by an older sim): settings not compared",
		     !a->nparams ? "A" : "B");
	for (unsigned i = 0; a->nparams && i < a->nparams; i++) {
		const char *vb = param(b, a->pname[i]);

		if (vb && strcmp(vb, a->pval[i]) && strcmp(a->pname[i], "seed")) {
			size_t u = strlen(diff);

			snprintf(diff + u, sizeof(diff) - u, "%s%s", ndiff ? ", " : "", a->pname[i]);
			ndiff++;
		}
	}
	if (a->nparams && b->nparams && !ndiff && a->seed != b->seed)
		NOTE("only the seed differs: the differences are noise between seeds (a sweep "
		     "with --seeds gives confidence intervals)");
	if (ndiff && same_outcome(a, b))
		NOTE("the settings that differ (%s) changed no KSM counter and no time to a "
		     "saving%s", diff, same_num(a->fig[4], b->fig[4]) ? ", nor ksmd CPU" :
		     "; only ksmd CPU differs");
	for (unsigned k = 0; k < 2; k++) {
		const struct side *s = sides[k];
		const char *cs = param(s, "checksum"), *col = param(s, "zero_page_colours");
		const char *alg = param(s, "algorithm");
		char who = k ? 'B' : 'A';

		if (cs && !strcmp(cs, "cksm") && strcmp(s->arch, "s390x"))
			NOTE("%c: the CKSM checksum is s390's instruction, priced here on %s", who,
			     s->arch);
		if (col && strcmp(col, "1") && strcmp(s->arch, "s390x"))
			NOTE("%c: %s coloured zero pages on %s (the kernel colours them on s390 and "
			     "MIPS only)", who, col, s->arch);
		if (alg && !strcmp(alg, "2009") && strcmp(s->arch, "core2-2009"))
			NOTE("%c: the 2009 algorithm on the %s arch model (its benchmark ran on "
			     "core2-2009)", who, s->arch);
	}
#undef NOTE
	return n;
}

/* "B - A" and "B / A" of two numbers into a and r ("-" where undefined). */
static void diff_ratio(double x, double y, char *d, size_t dl, char *r, size_t rl)
{
	if (isnan(x) || isnan(y)) {
		snprintf(d, dl, "-");
		snprintf(r, rl, "-");
		return;
	}
	snprintf(d, dl, "%+.4g", y - x);
	if (x != 0)
		snprintf(r, rl, "%.3f", y / x);
	else
		snprintf(r, rl, "-");
}

static void fmt_val(char *buf, size_t n, double v, bool never)
{
	if (isnan(v))
		snprintf(buf, n, never ? "never" : "-");
	else
		snprintf(buf, n, "%.6g", v);
}

/* A row of the text table. */
static void text_row(FILE *out, const char *label, double x, double y, bool never)
{
	char a[32], b[32], d[32], r[32];

	fmt_val(a, sizeof(a), x, never);
	fmt_val(b, sizeof(b), y, never);
	diff_ratio(x, y, d, sizeof(d), r, sizeof(r));
	fprintf(out, "  %-32s %14s %14s %12s %8s\n", label, a, b, d, r);
}

static uint64_t hist_total(const struct side *s, unsigned kind)
{
	uint64_t t = 0;

	for (size_t i = 0; i < s->nb[kind]; i++)
		t += s->count[kind][i];
	return t;
}

/* The count of the bucket starting at lo, 0 if absent. */
static uint64_t hist_count(const struct side *s, unsigned kind, uint64_t lo)
{
	for (size_t i = 0; i < s->nb[kind]; i++)
		if (s->lo[kind][i] == lo)
			return s->count[kind][i];
	return 0;
}

/* The sorted union of both sides' bucket starts; returns how many. */
static size_t hist_union(const struct side *a, const struct side *b, unsigned kind,
			 uint64_t *lo)
{
	size_t n = 0;
	const struct side *sides[2] = { a, b };

	for (unsigned k = 0; k < 2; k++)
		for (size_t i = 0; i < sides[k]->nb[kind]; i++) {
			size_t j = 0;

			while (j < n && lo[j] != sides[k]->lo[kind][i])
				j++;
			if (j == n && n < 2 * MAX_BUCKETS)
				lo[n++] = sides[k]->lo[kind][i];
		}
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && lo[j - 1] > lo[j]; j--) {
			uint64_t t = lo[j];

			lo[j] = lo[j - 1];
			lo[j - 1] = t;
		}
	return n;
}

static void text_report(const struct side *a, const struct side *b, FILE *out)
{
	char nbuf[4096];
	unsigned nn;
	bool any = false;

	fprintf(out, "%s (%s, seed %" PRIu64 ", arch %s)\n", a->label, a->scenario, a->seed,
		a->arch);
	fprintf(out, "%s (%s, seed %" PRIu64 ", arch %s)\n", b->label, b->scenario, b->seed,
		b->arch);
	fprintf(out, "\nsettings that differ:\n");
	for (unsigned i = 0; i < a->nparams; i++) {
		const char *vb = param(b, a->pname[i]);

		if (vb && strcmp(vb, a->pval[i])) {
			fprintf(out, "  %-32s %14s %14s\n", a->pname[i], a->pval[i], vb);
			any = true;
		}
	}
	if (!any)
		fprintf(out, "  %s\n", a->nparams && b->nparams ? "none" : "unknown");
	fprintf(out, "\n  %-32s %14s %14s %12s %8s\n", "", "A", "B", "B - A", "B / A");
	for (unsigned i = 0; i < NFIGS; i++)
		text_row(out, figs[i].label, a->fig[i], b->fig[i], i == 2 || i == 3);
	fprintf(out, "\nfinal counters:\n");
	for (unsigned i = 0; i < NCOUNTERS; i++)
		text_row(out, counters[i], a->cnt[i], b->cnt[i], false);
	if (a->has_comp || b->has_comp) {
		fprintf(out, "\nksmd CPU by component (s):\n");
		for (unsigned k = 0; k < NCOMP; k++)
			text_row(out, comps[k], a->has_comp ? a->comp[k] : NAN,
				 b->has_comp ? b->comp[k] : NAN, false);
	}
	if (a->has_reads || b->has_reads) {
		fprintf(out, "\nreaders (docs/cost-models.md, \"Reads\"):\n");
		fprintf(out, "  %-32s %14s %14s\n", "KSM variant",
			a->has_reads ? a->variant : "-", b->has_reads ? b->variant : "-");
		for (unsigned i = 0; i < NREADS; i++)
			text_row(out, read_figs[i].label, a->has_reads ? a->rd[i] : NAN,
				 b->has_reads ? b->rd[i] : NAN, false);
	}
	for (unsigned kind = 0; kind < 2; kind++) {
		uint64_t lo[2 * MAX_BUCKETS], ta = hist_total(a, kind), tb = hist_total(b, kind);
		size_t n = hist_union(a, b, kind, lo);

		if (!n)
			continue;
		fprintf(out, "\ncmp_and_merge_page latency, %s pages (calls; share of the run's):\n",
			kind ? "KSM" : "anonymous");
		text_row(out, "calls", (double)ta, (double)tb, false);
		for (size_t i = 0; i < n; i++) {
			char lab[96], l[24], h[24];
			uint64_t ca = hist_count(a, kind, lo[i]), cb = hist_count(b, kind, lo[i]);

			ks_report_fmt_pow2(l, sizeof(l), lo[i]);
			ks_report_fmt_pow2(h, sizeof(h), lo[i] ? 2 * lo[i] : 1);
			snprintf(lab, sizeof(lab), "[%s, %s) %5.1f%% %5.1f%%", l, h,
				 ta ? 100.0 * (double)ca / (double)ta : 0.0,
				 tb ? 100.0 * (double)cb / (double)tb : 0.0);
			text_row(out, lab, (double)ca, (double)cb, false);
		}
	}
	nn = notes(a, b, nbuf, sizeof(nbuf));
	if (nn) {
		const char *p = nbuf;

		fprintf(out, "\nnotes:\n");
		for (unsigned i = 0; i < nn; i++, p += strlen(p) + 1)
			fprintf(out, "  - %s\n", p);
	}
}

int ks_report_compare(const char *db_a, int64_t run_a, const char *db_b, int64_t run_b,
		      FILE *out, struct ks_err *err)
{
	struct side *s = ks_xcalloc(2, sizeof(*s));
	int rc = side_open(&s[0], db_a, run_a, 'A', err);

	if (!rc)
		rc = side_open(&s[1], db_b, run_b, 'B', err);
	if (!rc) {
		text_report(&s[0], &s[1], out);
		rc = ks_report_out_check(out, db_a, err);
	}
	side_close(&s[0]);
	side_close(&s[1]);
	free(s);
	return rc;
}

/* ---- HTML ---- */

static void html_row(FILE *out, const char *label, double x, double y, bool never)
{
	char a[32], b[32], d[32], r[32];

	fmt_val(a, sizeof(a), x, never);
	fmt_val(b, sizeof(b), y, never);
	diff_ratio(x, y, d, sizeof(d), r, sizeof(r));
	fputs("<tr><td>", out);
	ks_svg_text(out, label);
	fprintf(out, "</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>", a, b, d, r);
}

/* One quantity of both runs over simulated time, from the samples. */
static int html_over_time(const struct side *a, const struct side *b, const char *expr,
			  const char *title, const char *ylabel, FILE *out, struct ks_err *err)
{
	const struct side *sides[2] = { a, b };
	struct ks_svg_series s[2];
	double *v[2][2] = { { NULL, NULL }, { NULL, NULL } };
	char sql[512];
	int rc = 0;

	snprintf(sql, sizeof(sql), "SELECT t_ns / 1e9, %s FROM samples WHERE run_id = ?1"
		 " ORDER BY t_ns, rowid", expr);
	for (unsigned k = 0; k < 2 && !rc; k++) {
		sqlite3_stmt *st;
		size_t n = 0, cap = 0;

		rc = ks_db_prep(sides[k]->db, sides[k]->path, sql, &st, err);
		if (rc)
			break;
		sqlite3_bind_int64(st, 1, sides[k]->id);
		while (sqlite3_step(st) == SQLITE_ROW) {
			if (n == cap) {
				cap = cap ? 2 * cap : 256;
				v[k][0] = ks_xrealloc(v[k][0], cap * sizeof(double));
				v[k][1] = ks_xrealloc(v[k][1], cap * sizeof(double));
			}
			v[k][0][n] = sqlite3_column_double(st, 0);
			v[k][1][n++] = col_num(st, 1);
		}
		sqlite3_finalize(st);
		s[k] = (struct ks_svg_series){ .name = k ? "B" : "A", .x = v[k][0], .y = v[k][1],
					       .n = n };
	}
	if (!rc)
		ks_svg_lines(out, &(struct ks_svg_axes){ .title = title, .xlabel =
			     "simulated time (s)", .ylabel = ylabel, .y_from_zero = true }, s, 2);
	for (unsigned k = 0; k < 2; k++) {
		free(v[k][0]);
		free(v[k][1]);
	}
	return rc;
}

static int html_report(const struct side *a, const struct side *b, FILE *out,
		       struct ks_err *err)
{
	sqlite3 *dbs[2] = { a->db, b->db };
	const char *paths[2] = { a->path, b->path }, *names[2] = { "A", "B" };
	int64_t runs[2] = { a->id, b->id };
	char nbuf[4096];
	unsigned nn;
	int rc;

	ks_html_begin(out, "ksmsim: two runs compared");
	fputs("<ul><li>", out);
	ks_svg_text(out, a->label);
	fprintf(out, " (%s, seed %" PRIu64 ", arch %s)</li><li>", a->scenario, a->seed, a->arch);
	ks_svg_text(out, b->label);
	fprintf(out, " (%s, seed %" PRIu64 ", arch %s)</li></ul>\n", b->scenario, b->seed,
		b->arch);
	nn = notes(a, b, nbuf, sizeof(nbuf));
	if (nn) {
		const char *p = nbuf;

		fputs("<h2>Notes</h2><ul>", out);
		for (unsigned i = 0; i < nn; i++, p += strlen(p) + 1) {
			fputs("<li>", out);
			ks_svg_text(out, p);
			fputs("</li>", out);
		}
		fputs("</ul>\n", out);
	}
	fputs("<h2>Settings that differ</h2><table><tr><th>setting</th><th>A</th><th>B</th></tr>",
	      out);
	for (unsigned i = 0; i < a->nparams; i++) {
		const char *vb = param(b, a->pname[i]);

		if (vb && strcmp(vb, a->pval[i])) {
			fprintf(out, "<tr><td>%s</td><td>", a->pname[i]);
			ks_svg_text(out, a->pval[i]);
			fputs("</td><td>", out);
			ks_svg_text(out, vb);
			fputs("</td></tr>", out);
		}
	}
	fputs("</table>\n<h2>Figures</h2><table><tr><th></th><th>A</th><th>B</th><th>B - A</th>"
	      "<th>B / A</th></tr>", out);
	for (unsigned i = 0; i < NFIGS; i++)
		html_row(out, figs[i].label, a->fig[i], b->fig[i], i == 2 || i == 3);
	for (unsigned i = 0; i < NCOUNTERS; i++)
		html_row(out, counters[i], a->cnt[i], b->cnt[i], false);
	for (unsigned k = 0; k < NCOMP && (a->has_comp || b->has_comp); k++) {
		char lab[96];

		snprintf(lab, sizeof(lab), "ksmd CPU, %s (s)", comps[k]);
		html_row(out, lab, a->has_comp ? a->comp[k] : NAN, b->has_comp ? b->comp[k] : NAN,
			 false);
	}
	for (unsigned i = 0; i < NREADS && (a->has_reads || b->has_reads); i++)
		html_row(out, read_figs[i].label, a->has_reads ? a->rd[i] : NAN,
			 b->has_reads ? b->rd[i] : NAN, false);
	fputs("</table>\n<h2>Over time</h2>\n", out);
	rc = html_over_time(a, b, "(pages_sharing + ksm_zero_pages) * 4096 / 1048576.0",
			    "Memory saved", "MiB", out, err);
	if (!rc)
		rc = html_over_time(a, b, "pages_sharing", "pages_sharing", "pages", out, err);
	if (!rc)
		rc = html_over_time(a, b, "ksmd_cpu_ns / 1e9", "ksmd CPU, cumulative",
				    "CPU seconds", out, err);
	if (!rc) {
		fputs("<h2>Costs</h2>\n", out);
		rc = ks_html_cost_plots(dbs, paths, runs, names, 2, out, err);
	}
	ks_html_end(out);
	return rc;
}

int ks_report_compare_html(const char *db_a, int64_t run_a, const char *db_b, int64_t run_b,
			   const char *out_dir, struct ks_err *err)
{
	struct side *s = ks_xcalloc(2, sizeof(*s));
	struct ks_html_file f;
	int rc = side_open(&s[0], db_a, run_a, 'A', err);

	if (!rc)
		rc = side_open(&s[1], db_b, run_b, 'B', err);
	if (!rc)
		rc = ks_html_open(out_dir, &f, err);
	if (!rc) {
		int crc;

		rc = html_report(&s[0], &s[1], f.out, err);
		crc = ks_html_close(&f, rc == 0, err);
		if (!rc)
			rc = crc;
	}
	side_close(&s[0]);
	side_close(&s[1]);
	free(s);
	return rc;
}
