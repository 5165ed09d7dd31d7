/* sql_report.c - `sim report DB --sql QUERY`: one read-only SQL statement over a
 * results database, its rows as an aligned table or as CSV. The database is opened as
 * for every report and put in query_only mode; a statement that would write, more than
 * one statement, or an empty one is refused before anything runs. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "models/base/xalloc.h"
#include "report.h"
#include "report_int.h"
#include "sim/results/db.h"

/* The rows of a table, every cell as text (NULL as "NULL"), for the aligned form. */
struct sql_table {
	char **cell; /* rows x ncol, row-major; row 0 holds the column names */
	size_t rows, cap, ncol;
	size_t *width;
};

static void table_add(struct sql_table *t, char **row)
{
	if (t->rows == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 64;
		t->cell = ks_xrealloc(t->cell, t->cap * t->ncol * sizeof(*t->cell));
	}
	for (size_t i = 0; i < t->ncol; i++) {
		size_t w = strlen(row[i]);

		t->cell[t->rows * t->ncol + i] = row[i];
		if (w > t->width[i])
			t->width[i] = w;
	}
	t->rows++;
}

static void table_free(struct sql_table *t)
{
	for (size_t i = 0; i < t->rows * t->ncol; i++)
		free(t->cell[i]);
	free(t->cell);
	free(t->width);
}

/* Cell i of the current row as text; control bytes become '?' so that a stored
 * string cannot reach the terminal raw. */
static char *cell_text(sqlite3_stmt *st, int i)
{
	char buf[64], *s;

	switch (sqlite3_column_type(st, i)) {
	case SQLITE_NULL:
		return ks_xstrdup("NULL");
	case SQLITE_INTEGER:
		snprintf(buf, sizeof(buf), "%" PRId64, (int64_t)sqlite3_column_int64(st, i));
		return ks_xstrdup(buf);
	case SQLITE_FLOAT:
		snprintf(buf, sizeof(buf), "%.6g", sqlite3_column_double(st, i));
		return ks_xstrdup(buf);
	case SQLITE_BLOB:
		snprintf(buf, sizeof(buf), "<blob %d bytes>", sqlite3_column_bytes(st, i));
		return ks_xstrdup(buf);
	default:
		s = ks_xstrdup((const char *)sqlite3_column_text(st, i));
		for (char *p = s; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				*p = '?';
		return s;
	}
}

/* Numbers right-aligned, text left-aligned, two spaces between columns. */
static void table_print(const struct sql_table *t, const int *numeric, FILE *out)
{
	for (size_t r = 0; r < t->rows; r++) {
		for (size_t i = 0; i < t->ncol; i++) {
			const char *c = t->cell[r * t->ncol + i];
			int w = (int)t->width[i];
			int last = i + 1 == t->ncol;

			if (numeric[i])
				fprintf(out, "%s%*s", i ? "  " : "", w, c);
			else
				fprintf(out, "%s%-*s", i ? "  " : "", last ? 0 : w, c);
		}
		fputc('\n', out);
	}
}

static int print_aligned(sqlite3 *db, const char *path, sqlite3_stmt *st, FILE *out,
			 struct ks_err *err)
{
	struct sql_table t = { .ncol = (size_t)sqlite3_column_count(st) };
	int *numeric = ks_xcalloc(t.ncol ? t.ncol : 1, sizeof(*numeric));
	char **row = ks_xcalloc(t.ncol ? t.ncol : 1, sizeof(*row));
	int step, rc = 0;

	t.width = ks_xcalloc(t.ncol ? t.ncol : 1, sizeof(*t.width));
	for (size_t i = 0; i < t.ncol; i++) {
		row[i] = ks_xstrdup(sqlite3_column_name(st, (int)i));
		numeric[i] = 1;
	}
	table_add(&t, row);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		for (size_t i = 0; i < t.ncol; i++) {
			int type = sqlite3_column_type(st, (int)i);

			if (type == SQLITE_TEXT || type == SQLITE_BLOB)
				numeric[i] = 0;
			row[i] = cell_text(st, (int)i);
		}
		table_add(&t, row);
	}
	if (step != SQLITE_DONE)
		rc = ks_db_fail(db, path, err);
	if (!rc) {
		table_print(&t, numeric, out);
		fprintf(out, "(%zu row%s)\n", t.rows - 1, t.rows == 2 ? "" : "s");
		rc = ks_report_out_check(out, path, err);
	}
	table_free(&t);
	free(row);
	free(numeric);
	return rc;
}

/* 0 if sql is one statement (and nothing after it but blanks, semicolons and
 * comments): the prepared statement into *st. */
static int prepare_one(sqlite3 *db, const char *path, const char *sql, sqlite3_stmt **st,
		       struct ks_err *err)
{
	sqlite3_stmt *next = NULL;
	const char *tail;

	*st = NULL;
	if (sqlite3_prepare_v2(db, sql, -1, st, &tail) != SQLITE_OK)
		return ks_err_set(err, KS_EINVAL, "%s: --sql: %s", path, sqlite3_errmsg(db));
	if (!*st)
		return ks_err_set(err, KS_EINVAL, "%s: --sql: no statement", path);
	if (sqlite3_prepare_v2(db, tail, -1, &next, NULL) != SQLITE_OK || next) {
		sqlite3_finalize(next);
		return ks_err_set(err, KS_EINVAL, "%s: --sql takes one statement; more "
				  "follow the first", path);
	}
	if (!sqlite3_stmt_readonly(*st))
		return ks_err_set(err, KS_EINVAL, "%s: --sql only reads; this statement "
				  "would change the database", path);
	if (sqlite3_bind_parameter_count(*st) > 0)
		return ks_err_set(err, KS_EINVAL, "%s: --sql: the statement has parameters "
				  "(?, :name); write the values into it", path);
	return 0;
}

int ks_report_sql(const char *db_path, const char *sql, bool csv, FILE *out,
		  struct ks_err *err)
{
	sqlite3_stmt *st = NULL;
	sqlite3 *db;
	int rc = ks_results_open_read(db_path, &db, err);

	if (rc)
		return rc;
	/* query_only: even a statement that slipped past sqlite3_stmt_readonly() (none
	 * should) cannot write; no ATTACH either (it would make a file). */
	sqlite3_limit(db, SQLITE_LIMIT_ATTACHED, 0);
	if (sqlite3_exec(db, "PRAGMA query_only = ON", NULL, NULL, NULL) != SQLITE_OK)
		rc = ks_db_fail(db, db_path, err);
	if (!rc)
		rc = prepare_one(db, db_path, sql, &st, err);
	if (!rc)
		rc = csv ? ks_report_csv_rows(db, db_path, st, out, err) :
			print_aligned(db, db_path, st, out, err);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return rc;
}
