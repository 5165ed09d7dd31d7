/* html.c - `sim report DB --html DIR`: one self-contained page (DIR/index.html, inline
 * CSS and SVG, no script, nothing fetched) with every sweep of the database (per metric
 * the mean against the first varied key with its 95% confidence band, one line per
 * value of the second key, and the table), one run in detail (memory saved and the
 * pages_* counters over time, ksmd CPU over time, the cost breakdown and the
 * cmp_and_merge_page latency histograms) and the list of runs.
 *
 * SVG is written directly (svg.c) rather than through gnuplot: no extra dependency or
 * process, output identical on every machine, small (the plots thin long series to the
 * pixel width), and the page's structure is ours to test (tests/html.sh opens it in
 * headless Chromium).
 *
 * The page is written to a temporary file in DIR and renamed into place, so a failure
 * never leaves half a page; DIR is created if missing (its parent must exist). */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "report.h"
#include "report_int.h"
#include "svg.h"
#include "models/base/xalloc.h"
#include "sim/results/db.h"

enum { MAX_SERIES = 8, MAX_RUNS_LISTED = 500 };

static const char page_style[] =
	"body{font-family:sans-serif;max-width:780px;margin:1em auto;color:#222}"
	"h1{font-size:1.4em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ccc}"
	"h3{font-size:1em}table{border-collapse:collapse;font-size:.85em;margin:.5em 0}"
	"td,th{padding:2px 8px;border-bottom:1px solid #eee;text-align:right}"
	"td:first-child,th:first-child{text-align:left}.note{color:#555;font-size:.9em}"
	".plot{display:block;margin:.8em 0;font-size:12px}.plot .title{font-weight:bold}"
	".plot .small{font-size:10px}.grid{stroke:#e4e4e4}.frame{fill:none;stroke:#888}"
	".line{fill:none;stroke-width:1.8}.band{fill-opacity:.18;stroke:none}";

int ks_html_begin(FILE *out, const char *title)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	      "<meta name=\"generator\" content=\"ksmsim " PACKAGE_VERSION "\"><title>", out);
	ks_svg_text(out, title);
	fprintf(out, "</title><style>%s</style></head><body>\n<h1>", page_style);
	ks_svg_text(out, title);
	fputs("</h1>\n", out);
	return 0;
}

void ks_html_end(FILE *out)
{
	fputs("<p class=\"note\">Written by ksmsim " PACKAGE_VERSION " (sim report --html). "
	      "Simulated times are in simulated seconds; bands are 95% confidence intervals "
	      "of the mean (Student's t) over a point's complete runs.</p>\n</body></html>\n",
	      out);
}

/* ---- the output folder ---- */

int ks_html_open(const char *dir, struct ks_html_file *f, struct ks_err *err)
{
	struct stat sb;
	int fd;

	memset(f, 0, sizeof(*f));
	if (mkdir(dir, 0777) != 0 && errno != EEXIST)
		return ks_err_set(err, KS_EIO, "%s: cannot make the report folder: %s", dir,
				  strerror(errno));
	if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
		return ks_err_set(err, KS_EIO, "%s: not a folder", dir);
	snprintf(f->final, sizeof(f->final), "%s/index.html", dir);
	snprintf(f->tmp, sizeof(f->tmp), "%s/.index.html.XXXXXX", dir);
	fd = mkstemp(f->tmp);
	if (fd < 0)
		return ks_err_set(err, KS_EIO, "%s: cannot write the report: %s", dir,
				  strerror(errno));
	f->out = fdopen(fd, "w");
	if (!f->out) {
		close(fd);
		unlink(f->tmp);
		return ks_err_set(err, KS_EIO, "%s: cannot write the report: %s", dir,
				  strerror(errno));
	}
	return 0;
}

int ks_html_close(struct ks_html_file *f, bool keep, struct ks_err *err)
{
	int rc = 0;

	if (!f->out)
		return 0;
	if (keep && (fflush(f->out) != 0 || ferror(f->out) || fsync(fileno(f->out)) != 0))
		rc = ks_err_set(err, KS_EIO, "%s: cannot write the report: %s", f->final,
				strerror(errno));
	if (fclose(f->out) != 0 && keep && !rc)
		rc = ks_err_set(err, KS_EIO, "%s: cannot write the report: %s", f->final,
				strerror(errno));
	f->out = NULL;
	if (keep && !rc) {
		chmod(f->tmp, 0644);
		if (rename(f->tmp, f->final) != 0)
			rc = ks_err_set(err, KS_EIO, "%s: cannot write the report: %s", f->final,
					strerror(errno));
	}
	if (!keep || rc)
		unlink(f->tmp);
	return rc;
}

/* ---- columns of a query ---- */

/* Growable arrays of doubles, one per selected column (NaN for NULL). */
struct cols {
	double *v[16];
	size_t n, cap, ncols;
};

static void cols_free(struct cols *c)
{
	for (size_t k = 0; k < c->ncols; k++)
		free(c->v[k]);
	memset(c, 0, sizeof(*c));
}

/* Steps a bound statement to the end, every column into c (as doubles). */
static int cols_read(sqlite3 *db, const char *path, sqlite3_stmt *st, struct cols *c,
		     struct ks_err *err)
{
	int step;

	c->ncols = (size_t)sqlite3_column_count(st);
	if (c->ncols > 16)
		c->ncols = 16;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (c->n == c->cap) {
			c->cap = c->cap ? 2 * c->cap : 256;
			for (size_t k = 0; k < c->ncols; k++)
				c->v[k] = ks_xrealloc(c->v[k], c->cap * sizeof(double));
		}
		for (size_t k = 0; k < c->ncols; k++)
			c->v[k][c->n] = sqlite3_column_type(st, (int)k) == SQLITE_NULL ? NAN :
				sqlite3_column_double(st, (int)k);
		c->n++;
	}
	return step == SQLITE_DONE ? 0 : ks_db_fail(db, path, err);
}

/* Prepares sql, binds ?1 = id, reads every row. */
static int query_cols(sqlite3 *db, const char *path, const char *sql, int64_t id,
		      struct cols *c, struct ks_err *err)
{
	sqlite3_stmt *st;
	int rc = ks_db_prep(db, path, sql, &st, err);

	memset(c, 0, sizeof(*c));
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	rc = cols_read(db, path, st, c, err);
	sqlite3_finalize(st);
	return rc;
}

/* ---- one run ---- */

int ks_html_run_plots(sqlite3 *db, const char *path, int64_t run_id, FILE *out,
		      struct ks_err *err)
{
	static const char *const names[] = { "pages_shared", "pages_sharing", "pages_unshared",
					     "pages_volatile", "ksm_zero_pages" };
	struct cols c;
	struct ks_svg_series s[5];
	double *t, *saved, *cpu;
	int rc = query_cols(db, path, "SELECT t_ns / 1e9, pages_shared, pages_sharing,"
			    " pages_unshared, pages_volatile, ksm_zero_pages, ksmd_cpu_ns"
			    " FROM samples WHERE run_id = ?1 ORDER BY t_ns, rowid", run_id, &c, err);

	if (rc)
		return rc;
	t = c.v[0];
	saved = ks_xcalloc(c.n + 1, sizeof(double));
	cpu = ks_xcalloc(c.n + 1, sizeof(double));
	for (size_t i = 0; i < c.n; i++) {
		double dt = i ? t[i] - t[i - 1] : 0;

		saved[i] = (c.v[2][i] + c.v[5][i]) * 4096.0 / 1048576.0;
		cpu[i] = i && dt > 0 ? 100.0 * (c.v[6][i] - c.v[6][i - 1]) / 1e9 / dt : NAN;
	}
	ks_svg_lines(out, &(struct ks_svg_axes){ .title = "Memory saved: (pages_sharing + "
		     "ksm_zero_pages) x 4 KiB", .xlabel = "simulated time (s)", .ylabel = "MiB",
		     .y_from_zero = true }, &(struct ks_svg_series){ .x = t, .y = saved,
								   .n = c.n }, 1);
	for (unsigned k = 0; k < 5; k++)
		s[k] = (struct ks_svg_series){ .name = names[k], .x = t, .y = c.v[1 + k],
					       .n = c.n };
	ks_svg_lines(out, &(struct ks_svg_axes){ .title = "KSM counters", .xlabel =
		     "simulated time (s)", .ylabel = "pages", .y_from_zero = true }, s, 5);
	ks_svg_lines(out, &(struct ks_svg_axes){ .title = "ksmd CPU between samples", .xlabel =
		     "simulated time (s)", .ylabel = "% of one CPU", .y_from_zero = true },
		     &(struct ks_svg_series){ .x = t, .y = cpu, .n = c.n }, 1);
	free(saved);
	free(cpu);
	cols_free(&c);
	return 0;
}

int ks_html_cost_plots(sqlite3 *const *dbs, const char *const *paths, const int64_t *runs,
		       const char *const *names, size_t nruns, FILE *out, struct ks_err *err)
{
	static const char *const comps[] = { "compare", "checksum", "tree", "merge", "other" };
	double *hist_v[4];
	const char *labels[64];
	char labbuf[64][24];
	uint64_t lo[64];
	size_t nb = 0;
	int rc = 0;

	/* the cost breakdown: one bar chart per run */
	for (size_t r = 0; r < nruns && !rc; r++) {
		struct cols c;
		double v[5] = { 0 };
		char title[160];

		rc = query_cols(dbs[r], paths[r], "SELECT CASE component WHEN 'compare' THEN 0"
				" WHEN 'checksum' THEN 1 WHEN 'tree' THEN 2 WHEN 'merge' THEN 3"
				" ELSE 4 END, ns / 1e9 FROM cost_components WHERE run_id = ?1",
				runs[r], &c, err);
		if (rc)
			break;
		for (size_t i = 0; i < c.n; i++)
			v[(int)c.v[0][i]] += c.v[1][i];
		snprintf(title, sizeof(title), "ksmd CPU by component%s%s", names ? ": " : "",
			 names ? names[r] : "");
		if (c.n)
			ks_svg_hbars(out, title, comps, v, 5, "s");
		cols_free(&c);
	}
	/* latency histograms: the union of the buckets, one series per run */
	for (unsigned kind = 0; kind < 2 && !rc; kind++) {
		const char *k = kind ? "ksm" : "anon";
		const char *hist_names[4];
		size_t nr = nruns < 4 ? nruns : 4;

		nb = 0;
		for (size_t r = 0; r < nr && !rc; r++) {
			sqlite3_stmt *st;

			rc = ks_db_prep(dbs[r], paths[r], "SELECT DISTINCT bucket_lo_ns FROM"
					" latency_hist WHERE run_id = ?1 AND page_kind = ?2", &st, err);
			if (rc)
				break;
			sqlite3_bind_int64(st, 1, runs[r]);
			sqlite3_bind_text(st, 2, k, -1, SQLITE_STATIC);
			while (sqlite3_step(st) == SQLITE_ROW && nb < 64) {
				uint64_t b = (uint64_t)ks_db_col_i64(st, 0);
				size_t j = 0;

				while (j < nb && lo[j] != b)
					j++;
				if (j == nb)
					lo[nb++] = b;
			}
			sqlite3_finalize(st);
		}
		if (rc || !nb)
			continue;
		for (size_t i = 1; i < nb; i++)
			for (size_t j = i; j > 0 && lo[j - 1] > lo[j]; j--) {
				uint64_t tmp = lo[j];

				lo[j] = lo[j - 1];
				lo[j - 1] = tmp;
			}
		for (size_t i = 0; i < nb; i++) {
			ks_report_fmt_pow2(labbuf[i], sizeof(labbuf[i]), lo[i]);
			labels[i] = labbuf[i];
		}
		for (size_t r = 0; r < nr && !rc; r++) {
			sqlite3_stmt *st;

			hist_v[r] = ks_xcalloc(nb, sizeof(double));
			hist_names[r] = names ? names[r] : NULL;
			rc = ks_db_prep(dbs[r], paths[r], "SELECT bucket_lo_ns, count FROM latency_hist"
					" WHERE run_id = ?1 AND page_kind = ?2", &st, err);
			if (rc) {
				free(hist_v[r]);
				nr = r;
				break;
			}
			sqlite3_bind_int64(st, 1, runs[r]);
			sqlite3_bind_text(st, 2, k, -1, SQLITE_STATIC);
			while (sqlite3_step(st) == SQLITE_ROW)
				for (size_t i = 0; i < nb; i++)
					if (lo[i] == (uint64_t)ks_db_col_i64(st, 0))
						hist_v[r][i] += sqlite3_column_double(st, 1);
			sqlite3_finalize(st);
		}
		if (!rc)
			ks_svg_columns(out, kind ? "cmp_and_merge_page latency, KSM pages" :
				       "cmp_and_merge_page latency, anonymous pages",
				       "latency bucket, from (ns; power-of-two buckets)", "calls",
				       labels, nb, (const double *const *)hist_v,
				       names ? hist_names : NULL, nr);
		for (size_t r = 0; r < nr; r++)
			free(hist_v[r]);
	}
	return rc;
}

/* The run's key figures as a table. */
static int run_table(sqlite3 *db, const char *path, int64_t id, FILE *out,
		     struct ks_err *err)
{
	sqlite3_stmt *st;
	int rc = ks_db_prep(db, path, "SELECT scenario, seed, status, arch, sim_s, saved_mib,"
			    " peak_saved_mib, t50_s, t90_s, ksmd_cpu_s, ksmd_cpu_pct, full_scans,"
			    " wall_seconds FROM v_run_summary WHERE run_id = ?1", &st, err);
	static const char *const heads[] = {
		"scenario", "seed", "status", "arch", "simulated (s)", "saved at the end (MiB)",
		"peak saving (MiB)", "time to 50% (s)", "time to 90% (s)", "ksmd CPU (s)",
		"ksmd CPU (%)", "full scans", "wall time (s)"
	};

	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) != SQLITE_ROW) {
		rc = ks_db_fail(db, path, err);
		goto out_finalize;
	}
	fputs("<table>", out);
	for (int i = 0; i < 13; i++) {
		fprintf(out, "<tr><td>%s</td><td>", heads[i]);
		if (sqlite3_column_type(st, i) == SQLITE_NULL)
			fputs(i == 7 || i == 8 ? "never" : "-", out);
		else if (sqlite3_column_type(st, i) == SQLITE_FLOAT)
			fprintf(out, "%.4g", sqlite3_column_double(st, i));
		else
			ks_svg_text(out, (const char *)sqlite3_column_text(st, i));
		fputs("</td></tr>", out);
	}
	fputs("</table>\n", out);
out_finalize:
	sqlite3_finalize(st);
	return rc;
}

static int run_section(sqlite3 *db, const char *path, int64_t id, FILE *out,
		       struct ks_err *err)
{
	const char *paths[1] = { path };
	int rc;

	fprintf(out, "<h2 id=\"run\">Run %" PRId64 "</h2>\n", id);
	rc = run_table(db, path, id, out, err);
	if (!rc)
		rc = ks_html_run_plots(db, path, id, out, err);
	if (!rc)
		rc = ks_html_cost_plots(&db, paths, &id, NULL, 1, out, err);
	return rc;
}

/* ---- sweeps ---- */

/* The metrics plotted for a sweep, with their axis labels. */
static const struct {
	const char *metric, *label;
} sweep_plots[] = {
	{ "saved_mib", "memory saved at the end (MiB)" },
	{ "t50_s", "time to 50% of the saving (s)" },
	{ "t90_s", "time to 90% of the saving (s)" },
	{ "ksmd_cpu_pct", "ksmd CPU (% of simulated time)" },
	{ "peak_saved_mib", "peak saving (MiB)" },
};

/* One plot: the metric's mean against x (the point's index when x is not a number), a
 * band for its 95% CI, a line per value of the second key (at most MAX_SERIES). */
static int sweep_plot(sqlite3 *db, const char *path, int64_t sweep, const char *metric,
		      const char *label, const char *x_key, const char *series_key,
		      bool numeric_x, FILE *out, struct ks_err *err)
{
	struct ks_svg_series s[MAX_SERIES];
	char names[MAX_SERIES][384], cur[96] = "";
	double *v[4];
	size_t n = 0, cap = 0, ns = 0;
	double xmin = INFINITY, xmax = -INFINITY;
	sqlite3_stmt *st;
	int step, rc = ks_db_prep(db, path, "SELECT CASE WHEN typeof(x) IN ('integer', 'real')"
				  " THEN x ELSE point END AS px, mean, ci95_lo, ci95_hi,"
				  " coalesce(series, '') FROM v_sweep WHERE sweep_id = ?1 AND"
				  " metric = ?2 ORDER BY series, px", &st, err);

	if (rc)
		return rc;
	memset(v, 0, sizeof(v));
	sqlite3_bind_int64(st, 1, sweep);
	sqlite3_bind_text(st, 2, metric, -1, SQLITE_STATIC);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *ser = (const char *)sqlite3_column_text(st, 4);

		if (!ns || strcmp(ser, cur)) {
			if (ns == MAX_SERIES)
				break;
			snprintf(cur, sizeof(cur), "%s", ser);
			snprintf(names[ns], sizeof(names[ns]), "%s = %s",
				 series_key ? series_key : "", ser);
			s[ns] = (struct ks_svg_series){ .name = series_key ? names[ns] : NULL,
							.n = 0, .markers = true };
			ns++;
		}
		if (n == cap) {
			cap = cap ? 2 * cap : 128;
			for (int k = 0; k < 4; k++)
				v[k] = ks_xrealloc(v[k], cap * sizeof(double));
		}
		for (int k = 0; k < 4; k++)
			v[k][n] = sqlite3_column_type(st, k) == SQLITE_NULL ? NAN :
				sqlite3_column_double(st, k);
		xmin = fmin(xmin, v[0][n]);
		xmax = fmax(xmax, v[0][n]);
		s[ns - 1].n++;
		n++;
	}
	sqlite3_finalize(st);
	if (step != SQLITE_DONE && step != SQLITE_ROW)
		rc = ks_db_fail(db, path, err);
	/* the series' arrays, now that they no longer move */
	for (size_t k = 0, off = 0; !rc && k < ns; off += s[k++].n) {
		s[k].x = v[0] + off;
		s[k].y = v[1] + off;
		s[k].lo = v[2] + off;
		s[k].hi = v[3] + off;
	}
	if (!rc)
		ks_svg_lines(out, &(struct ks_svg_axes){
			.title = label, .xlabel = numeric_x ? x_key : "point (see the table)",
			.ylabel = label, .y_from_zero = true,
			.xlog = numeric_x && xmin > 0 && xmax / xmin >= 50 }, s, ns);
	for (int k = 0; k < 4; k++)
		free(v[k]);
	return rc;
}

/* The table of a sweep: per point, mean ± ci95 of the plotted metrics. */
static int sweep_table(sqlite3 *db, const char *path, int64_t sweep, FILE *out,
		       struct ks_err *err)
{
	sqlite3_stmt *st;
	int64_t point = -1;
	int rc = ks_db_prep(db, path, "SELECT point, params, runs, metric, n, mean, ci95"
			    " FROM v_sweep WHERE sweep_id = ?1 AND metric IN ('saved_mib', 't50_s',"
			    " 't90_s', 'ksmd_cpu_pct') ORDER BY point, CASE metric WHEN 'saved_mib'"
			    " THEN 0 WHEN 't50_s' THEN 1 WHEN 't90_s' THEN 2 ELSE 3 END", &st, err);

	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, sweep);
	fputs("<table><tr><th>point</th><th>runs</th><th>saved (MiB)</th><th>t50 (s)</th>"
	      "<th>t90 (s)</th><th>ksmd CPU (%)</th></tr>", out);
	while (sqlite3_step(st) == SQLITE_ROW) {
		int64_t n = ks_db_col_i64(st, 4), runs = ks_db_col_i64(st, 2);

		if (ks_db_col_i64(st, 0) != point) {
			point = ks_db_col_i64(st, 0);
			fputs(point ? "</tr>" : "", out);
			fputs("<tr><td>", out);
			ks_svg_text(out, (const char *)sqlite3_column_text(st, 1));
			fprintf(out, "</td><td>%" PRId64 "</td>", runs);
		}
		if (!n)
			fputs("<td>never</td>", out);
		else if (sqlite3_column_type(st, 6) == SQLITE_NULL)
			fprintf(out, "<td>%.4g</td>", sqlite3_column_double(st, 5));
		else
			fprintf(out, "<td>%.4g ± %.2g%s</td>", sqlite3_column_double(st, 5),
				sqlite3_column_double(st, 6), n < runs ? " *" : "");
	}
	fputs(point >= 0 ? "</tr></table>\n" : "</table>\n", out);
	fputs("<p class=\"note\">mean ± half the 95% confidence interval; * only some runs "
	      "reached it (the mean is over those).</p>\n", out);
	sqlite3_finalize(st);
	return 0;
}

static int sweep_section(sqlite3 *db, const char *path, int64_t sweep, FILE *out,
			 struct ks_err *err)
{
	sqlite3_stmt *st;
	char x_key[256] = "", series_key[256] = "", head[1024];
	bool numeric_x = true, has_series = false;
	int rc = ks_db_prep(db, path, "SELECT s.scenario, s.vary, s.seeds,"
			    " (SELECT count(*) FROM sweep_runs w WHERE w.sweep_id = s.id),"
			    " (SELECT key FROM sweep_points WHERE sweep_id = s.id AND k = 0),"
			    " (SELECT key FROM sweep_points WHERE sweep_id = s.id AND k = 1),"
			    " (SELECT count(*) FROM sweep_points WHERE sweep_id = s.id AND k = 0"
			    "  AND typeof(value) NOT IN ('integer', 'real'))"
			    " FROM sweeps s WHERE s.id = ?1", &st, err);

	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, sweep);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return ks_db_fail(db, path, err);
	}
	snprintf(head, sizeof(head), "Sweep %" PRId64 ": %s, varying %s (%" PRId64 " seeds per "
		 "point, %" PRId64 " runs)", sweep, sqlite3_column_text(st, 0),
		 sqlite3_column_text(st, 1), ks_db_col_i64(st, 2),
		 ks_db_col_i64(st, 3));
	if (sqlite3_column_type(st, 4) != SQLITE_NULL)
		snprintf(x_key, sizeof(x_key), "%s", sqlite3_column_text(st, 4));
	if (sqlite3_column_type(st, 5) != SQLITE_NULL) {
		snprintf(series_key, sizeof(series_key), "%s", sqlite3_column_text(st, 5));
		has_series = true;
	}
	numeric_x = x_key[0] && ks_db_col_i64(st, 6) == 0;
	sqlite3_finalize(st);
	fprintf(out, "<h2 id=\"sweep%" PRId64 "\">", sweep);
	ks_svg_text(out, head);
	fputs("</h2>\n", out);
	for (size_t i = 0; i < sizeof(sweep_plots) / sizeof(sweep_plots[0]) && !rc; i++)
		rc = sweep_plot(db, path, sweep, sweep_plots[i].metric, sweep_plots[i].label, x_key,
				has_series ? series_key : NULL, numeric_x, out, err);
	if (!rc)
		rc = sweep_table(db, path, sweep, out, err);
	return rc;
}

/* ---- the list of runs ---- */

static int runs_list(sqlite3 *db, const char *path, FILE *out, struct ks_err *err)
{
	sqlite3_stmt *st;
	int64_t total;
	int rc = ks_db_query_int(db, path, "SELECT count(*) FROM runs", NULL, 0, &total, err);

	if (!rc)
		rc = ks_db_prep(db, path, "SELECT run_id, scenario, seed, status, saved_mib, t90_s,"
				" ksmd_cpu_pct FROM v_run_summary ORDER BY run_id DESC LIMIT ?1",
				&st, err);
	if (rc)
		return rc;
	sqlite3_bind_int(st, 1, MAX_RUNS_LISTED);
	fprintf(out, "<h2 id=\"runs\">Runs (%" PRId64 ")</h2>\n<table><tr><th>run</th>"
		"<th>scenario</th><th>seed</th><th>status</th><th>saved (MiB)</th>"
		"<th>t90 (s)</th><th>ksmd CPU (%%)</th></tr>", total);
	while (sqlite3_step(st) == SQLITE_ROW) {
		fprintf(out, "<tr><td>%" PRId64 "</td><td>", ks_db_col_i64(st, 0));
		ks_svg_text(out, (const char *)sqlite3_column_text(st, 1));
		fprintf(out, "</td><td>%" PRId64 "</td><td>%s</td><td>%.4g</td>",
			ks_db_col_i64(st, 2), sqlite3_column_text(st, 3),
			sqlite3_column_double(st, 4));
		if (sqlite3_column_type(st, 5) == SQLITE_NULL)
			fputs("<td>never</td>", out);
		else
			fprintf(out, "<td>%.4g</td>", sqlite3_column_double(st, 5));
		fprintf(out, "<td>%.3g</td></tr>", sqlite3_column_double(st, 6));
	}
	fputs("</table>\n", out);
	if (total > MAX_RUNS_LISTED)
		fprintf(out, "<p class=\"note\">The last %d of %" PRId64 " runs; all are in the "
			"database (view v_run_summary).</p>\n", MAX_RUNS_LISTED, total);
	sqlite3_finalize(st);
	return 0;
}

static int write_page(sqlite3 *db, const char *db_path, int64_t run_id, FILE *out,
		      struct ks_err *err)
{
	sqlite3_stmt *st;
	int64_t id;
	char title[512];
	const char *base = strrchr(db_path, '/');
	int rc = ks_report_resolve_run(db, db_path, run_id, &id, err);

	if (rc)
		return rc;
	snprintf(title, sizeof(title), "ksmsim results: %s", base ? base + 1 : db_path);
	ks_html_begin(out, title);
	rc = ks_db_prep(db, db_path, "SELECT id FROM sweeps ORDER BY id", &st, err);
	if (rc)
		return rc;
	while (!rc && sqlite3_step(st) == SQLITE_ROW)
		rc = sweep_section(db, db_path, ks_db_col_i64(st, 0), out, err);
	sqlite3_finalize(st);
	if (!rc)
		rc = run_section(db, db_path, id, out, err);
	if (!rc)
		rc = runs_list(db, db_path, out, err);
	ks_html_end(out);
	return rc;
}

int ks_report_html(const char *db_path, int64_t run_id, const char *out_dir,
		   struct ks_err *err)
{
	struct ks_html_file f;
	sqlite3 *db;
	int rc = ks_results_open_read(db_path, &db, err);

	if (rc)
		return rc;
	rc = ks_html_open(out_dir, &f, err);
	if (!rc) {
		int crc;

		rc = write_page(db, db_path, run_id, f.out, err);
		crc = ks_html_close(&f, rc == 0, err);
		if (!rc)
			rc = crc;
	}
	sqlite3_close(db);
	return rc;
}
