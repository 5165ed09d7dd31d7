/* sweep_report.c - a sweep of a results database as a table: per point, the mean and
 * the 95% confidence interval of the mean (Student's t, from the v_sweep view) of the
 * memory saved, the times to 50% and 90% of it, ksmd's CPU share and the full scans;
 * or the v_sweep rows as CSV. */
#include <inttypes.h>
#include <stdbool.h>
#include <string.h>

#include <sqlite3.h>

#include "report.h"
#include "report_int.h"
#include "sim/results/db.h"

/* The metrics of the table, in column order, with their headings. */
static const struct {
	const char *metric, *heading;
	int prec;
} cols[] = {
	{ "saved_mib", "saved MiB", 1 },
	{ "t50_s", "t50 s", 2 },
	{ "t90_s", "t90 s", 2 },
	{ "ksmd_cpu_pct", "ksmd CPU %", 2 },
	{ "full_scans", "full scans", 1 },
};
enum { NCOLS = sizeof(cols) / sizeof(cols[0]), CELL = 20 };

int ks_report_sweep_resolve(struct sqlite3 *db, const char *path, int64_t sweep_id,
			    int64_t *id, struct ks_err *err)
{
	int64_t n;
	int rc;

	if (sweep_id == KS_REPORT_LAST_RUN) {
		rc = ks_db_query_int(db, path, "SELECT coalesce(max(id), 0) FROM sweeps", NULL, 0,
				     &n, err);
		if (!rc && n == 0)
			rc = ks_err_set(err, KS_ENOENT, "%s: no sweeps", path);
		*id = n;
		return rc;
	}
	rc = ks_db_query_int(db, path, "SELECT count(*) FROM sweeps WHERE id = ?1", NULL,
			     sweep_id, &n, err);
	if (!rc && n == 0)
		rc = ks_err_set(err, KS_ENOENT, "%s: no sweep %" PRId64, path, sweep_id);
	*id = sweep_id;
	return rc;
}

/* "mean ±ci95", "never", and "[n/runs]" when only some runs reached it. */
static void fmt_cell(char *buf, size_t len, sqlite3_stmt *st, int prec)
{
	int64_t runs = ks_db_col_i64(st, 3), n = ks_db_col_i64(st, 4);
	double mean = sqlite3_column_double(st, 5);
	size_t used;

	if (n == 0) {
		snprintf(buf, len, "never");
		return;
	}
	if (sqlite3_column_type(st, 6) == SQLITE_NULL)
		used = (size_t)snprintf(buf, len, "%.*f", prec, mean);
	else
		used = (size_t)snprintf(buf, len, "%.*f ±%.*f", prec, mean, prec,
					sqlite3_column_double(st, 6));
	if (n < runs && used < len)
		snprintf(buf + used, len - used, " [%" PRId64 "/%" PRId64 "]", n, runs);
}

/* Prints s left-aligned in `width` characters (UTF-8: "±" is one character). */
static void put_cell(FILE *out, const char *s, int width)
{
	int chars = 0;

	for (const char *c = s; *c; c++)
		chars += ((unsigned char)*c & 0xc0) != 0x80;
	fprintf(out, "  %s%*s", s, width > chars ? width - chars : 0, "");
}

static int print_header(sqlite3 *db, const char *path, int64_t id, FILE *out,
			struct ks_err *err)
{
	sqlite3_stmt *st;
	int rc = ks_db_prep(db, path, "SELECT scenario, vary, points, seeds, coalesce(uid, ''),"
			    " (SELECT count(*) FROM sweep_runs WHERE sweep_id = ?1)"
			    " FROM sweeps WHERE id = ?1", &st, err);

	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) != SQLITE_ROW) {
		rc = ks_db_fail(db, path, err);
	} else {
		fprintf(out, "sweep %" PRId64 ": scenario %s, varying %s; ", id,
			sqlite3_column_text(st, 0), sqlite3_column_text(st, 1));
		if (sqlite3_column_type(st, 2) != SQLITE_NULL)
			fprintf(out, "%" PRId64 " points x ", ks_db_col_i64(st, 2));
		fprintf(out, "%" PRId64 " seeds, %" PRId64 " runs here\n", ks_db_col_i64(st, 3),
			ks_db_col_i64(st, 5));
	}
	sqlite3_finalize(st);
	return rc;
}

int ks_report_sweep(const char *db_path, int64_t sweep_id, FILE *out, struct ks_err *err)
{
	sqlite3 *db;
	sqlite3_stmt *st = NULL;
	int64_t id, point = -1, width;
	char cells[NCOLS][64], params[512];
	int rc, step, runs = 0;

	rc = ks_results_open_read(db_path, &db, err);
	if (rc)
		return rc;
	rc = ks_report_sweep_resolve(db, db_path, sweep_id, &id, err);
	if (!rc)
		rc = print_header(db, db_path, id, out, err);
	if (!rc)
		rc = ks_db_prep(db, db_path, "SELECT point, params, metric, runs, n, mean, ci95"
				" FROM v_sweep WHERE sweep_id = ?1 ORDER BY point", &st, err);
	if (rc)
		goto out_close;
	sqlite3_bind_int64(st, 1, id);
	rc = ks_db_query_int(db, db_path, "SELECT coalesce(max(length(params)), 6) FROM"
			     " sweep_runs WHERE sweep_id = ?1", NULL, id, &width, err);
	if (rc)
		goto out_close;
	width = width < 6 ? 6 : width > 60 ? 60 : width;
	fprintf(out, "%5s  %-*s %4s", "point", (int)width, "params", "runs");
	for (unsigned c = 0; c < NCOLS; c++)
		put_cell(out, cols[c].heading, CELL);
	fputc('\n', out);
	for (;;) {
		step = sqlite3_step(st);
		if (step != SQLITE_ROW || ks_db_col_i64(st, 0) != point) {
			if (point >= 0) {
				fprintf(out, "%5" PRId64 "  %-*s %4d", point, (int)width, params,
					runs);
				for (unsigned c = 0; c < NCOLS; c++)
					put_cell(out, cells[c], CELL);
				fputc('\n', out);
			}
			if (step != SQLITE_ROW)
				break;
			point = ks_db_col_i64(st, 0);
			snprintf(params, sizeof(params), "%s", sqlite3_column_text(st, 1) ?
				 (const char *)sqlite3_column_text(st, 1) : "");
			runs = sqlite3_column_int(st, 3);
			for (unsigned c = 0; c < NCOLS; c++)
				snprintf(cells[c], sizeof(cells[c]), "-");
		}
		for (unsigned c = 0; c < NCOLS; c++)
			if (!strcmp((const char *)sqlite3_column_text(st, 2), cols[c].metric))
				fmt_cell(cells[c], sizeof(cells[c]), st, cols[c].prec);
	}
	if (step != SQLITE_DONE) {
		rc = ks_db_fail(db, db_path, err);
		goto out_close;
	}
	if (point < 0)
		fprintf(out, "(no complete runs)\n");
	fprintf(out, "mean ±95%% confidence interval over the point's complete runs (Student's "
		"t); [n/runs]: only n runs reached it\n");
	rc = ks_report_out_check(out, db_path, err);
out_close:
	sqlite3_finalize(st);
	sqlite3_close(db);
	return rc;
}

int ks_report_sweep_csv(const char *db_path, int64_t sweep_id, FILE *out, struct ks_err *err)
{
	sqlite3 *db;
	sqlite3_stmt *st = NULL;
	int64_t id;
	int rc;

	rc = ks_results_open_read(db_path, &db, err);
	if (rc)
		return rc;
	rc = ks_report_sweep_resolve(db, db_path, sweep_id, &id, err);
	if (!rc)
		rc = ks_db_prep(db, db_path, "SELECT * FROM v_sweep WHERE sweep_id = ?1"
				" ORDER BY point, metric", &st, err);
	if (rc)
		goto out_close;
	sqlite3_bind_int64(st, 1, id);
	rc = ks_report_csv_rows(db, db_path, st, out, err);
out_close:
	sqlite3_finalize(st);
	sqlite3_close(db);
	return rc;
}
