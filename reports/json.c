/* json.c - `sim report DB --format json`: a run (its v_run_summary row, run_params, its
 * samples, cost components, latency histogram and the arch numbers' provenance) and the sweeps (their rows and their
 * v_sweep rows) as one JSON object; with --sweep, that sweep alone. Values keep their
 * SQLite types: integers, reals (NULL and non-finite reals as null), text. Column names
 * and units are those of docs/results-schema.md. */
#include <inttypes.h>
#include <stdbool.h>
#include <math.h>
#include <string.h>

#include <sqlite3.h>

#include "report.h"
#include "report_int.h"
#include "sim/results/db.h"

static void json_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

static void json_value(FILE *out, sqlite3_stmt *st, int i)
{
	double d;

	switch (sqlite3_column_type(st, i)) {
	case SQLITE_INTEGER:
		fprintf(out, "%" PRId64, ks_db_col_i64(st, i));
		break;
	case SQLITE_FLOAT:
		d = sqlite3_column_double(st, i);
		if (isfinite(d))
			fprintf(out, "%.15g", d);
		else
			fputs("null", out);
		break;
	case SQLITE_NULL:
		fputs("null", out);
		break;
	default:
		json_str(out, (const char *)sqlite3_column_text(st, i));
	}
}

/* The current row as an object. */
static void json_object(FILE *out, sqlite3_stmt *st)
{
	fputc('{', out);
	for (int i = 0; i < sqlite3_column_count(st); i++) {
		if (i)
			fputc(',', out);
		json_str(out, sqlite3_column_name(st, i));
		fputc(':', out);
		json_value(out, st, i);
	}
	fputc('}', out);
}

/* "key": [rows of sql with ?1 = id] (or the first row alone, or null, when one). */
static int json_query(sqlite3 *db, const char *path, FILE *out, const char *key,
		      const char *sql, int64_t id, bool one, struct ks_err *err)
{
	sqlite3_stmt *st;
	int step, n = 0, rc = ks_db_prep(db, path, sql, &st, err);

	if (rc)
		return rc;
	if (sqlite3_bind_parameter_count(st))
		sqlite3_bind_int64(st, 1, id);
	json_str(out, key);
	fputs(one ? ":" : ":[", out);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (n++)
			fputc(',', out);
		json_object(out, st);
		if (one)
			break;
	}
	if (one && !n)
		fputs("null", out);
	fputs(one ? "" : "]", out);
	if (step != SQLITE_DONE && step != SQLITE_ROW)
		rc = ks_db_fail(db, path, err);
	sqlite3_finalize(st);
	return rc;
}

static bool has_table(sqlite3 *db, const char *name)
{
	sqlite3_stmt *st;
	bool yes;

	if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND"
			       " name = ?1", -1, &st, NULL) != SQLITE_OK)
		return false;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	yes = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return yes;
}

static int json_sweep(sqlite3 *db, const char *path, int64_t id, FILE *out,
		      struct ks_err *err)
{
	int rc;

	fputc('{', out);
	rc = json_query(db, path, out, "sweep", "SELECT * FROM sweeps WHERE id = ?1", id, true,
			err);
	fputc(',', out);
	if (!rc)
		rc = json_query(db, path, out, "points", "SELECT * FROM v_sweep WHERE sweep_id = ?1"
				" ORDER BY point, metric", id, false, err);
	fputc('}', out);
	return rc;
}

static int json_run(sqlite3 *db, const char *path, int64_t id, FILE *out, struct ks_err *err)
{
	static const struct {
		const char *key, *sql;
		bool one;
	} parts[] = {
		{ "summary", "SELECT * FROM v_run_summary WHERE run_id = ?1", true },
		{ "params", "SELECT * FROM run_params WHERE run_id = ?1", true },
		{ "cost_components", "SELECT component, ns, share FROM cost_components"
		  " WHERE run_id = ?1 ORDER BY rowid", false },
		{ "latency_hist", "SELECT page_kind, bucket_lo_ns, bucket_hi_ns, count FROM"
		  " latency_hist WHERE run_id = ?1 ORDER BY page_kind, bucket_lo_ns", false },
		{ "cost_provenance", "SELECT key, provenance, source FROM cost_provenance"
		  " WHERE run_id = ?1 ORDER BY rowid", false },
		{ "samples", "SELECT t_ns, batch, full_scans, pages_scanned, pages_shared,"
		  " pages_sharing, pages_unshared, pages_volatile, pages_skipped,"
		  " stable_node_chains, stable_node_dups, ksm_zero_pages, general_profit,"
		  " pages_to_scan, rmap_items, cow_ksm, ksmd_cpu_ns FROM samples"
		  " WHERE run_id = ?1 ORDER BY t_ns, rowid", false },
	};
	int rc = 0;

	fputc('{', out);
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]) && !rc; i++) {
		if (i)
			fputc(',', out);
		/* a file written before cost_provenance existed: no numbers, not an error */
		if (!strcmp(parts[i].key, "cost_provenance") && !has_table(db, parts[i].key)) {
			fputs("\"cost_provenance\":[]", out);
			continue;
		}
		rc = json_query(db, path, out, parts[i].key, parts[i].sql, id, parts[i].one, err);
	}
	fputc('}', out);
	return rc;
}

int ks_report_json(const char *db_path, int64_t run_id, int64_t sweep_id, bool sweep_only,
		   FILE *out, struct ks_err *err)
{
	sqlite3 *db;
	sqlite3_stmt *st = NULL;
	int64_t id;
	int rc = ks_results_open_read(db_path, &db, err), n = 0;

	if (rc)
		return rc;
	if (sweep_only) {
		rc = ks_report_sweep_resolve(db, db_path, sweep_id, &id, err);
		if (!rc)
			rc = json_sweep(db, db_path, id, out, err);
		goto out_close;
	}
	rc = ks_report_resolve_run(db, db_path, run_id, &id, err);
	if (rc)
		goto out_close;
	fputs("{\"database\":", out);
	json_str(out, db_path);
	fprintf(out, ",\"run_id\":%" PRId64 ",\"run\":", id);
	rc = json_run(db, db_path, id, out, err);
	if (!rc)
		rc = ks_db_prep(db, db_path, "SELECT id FROM sweeps ORDER BY id", &st, err);
	if (rc)
		goto out_close;
	fputs(",\"sweeps\":[", out);
	while (!rc && sqlite3_step(st) == SQLITE_ROW) {
		if (n++)
			fputc(',', out);
		rc = json_sweep(db, db_path, ks_db_col_i64(st, 0), out, err);
	}
	fputs("]}", out);
out_close:
	if (!rc) {
		fputc('\n', out);
		rc = ks_report_out_check(out, db_path, err);
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	return rc;
}
