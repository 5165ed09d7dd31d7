/* merge_db.c - sim db merge: copies results databases into one without id collisions.
 *
 * The copy is driven by the schema itself, so that tables added later merge without
 * code here: every table of an input is copied by the columns it shares with the
 * output; a table whose primary key is an `id` gets new ids (a map old -> new per
 * table), and every column that REFERENCES such a table (PRAGMA foreign_key_list) is
 * rewritten through its map; a row whose parent was not copied is not copied either.
 * Tables are taken parents first. Three tables are special:
 *   runs     a run whose uid is in the output already is not copied again (merging the
 *            same file twice adds nothing), nor a complete run of a sweep task (sweep
 *            uid, point, seed) the output holds complete (parts that overlap);
 *   sweeps   a sweep whose uid is in the output already is that sweep: the parts of one
 *            distributed sweep become one sweep (sweep_points is then kept once, by its
 *            primary key);
 *   run_sources  written, not copied: each new run gets (input file, its id there,
 *            now), or the input's own row when the run was merged before (first origin).
 * t_quantiles is the output's own, and run_id_reservations (a sweep's, while it runs)
 * is not copied: runs get ids past the output's reservations. Rows are read through a
 * second connection and inserted with bound values (sqlite3_bind_value), all inputs in
 * one transaction. */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "db.h"
#include "merge_db.h"
#include "models/base/xalloc.h"

enum { MAX_TABLES = 64, MAX_COLS = 64, NAME_LEN = 64 };

/* Old -> new ids of one table with an id primary key (0: not copied). */
struct idmap {
	int64_t *to;
	int64_t n;                  /* old ids 0..n-1 */
};

struct table {
	char name[NAME_LEN];
	bool has_id;                /* `id INTEGER PRIMARY KEY`: new ids, a map */
	struct idmap map;
	bool done;
	unsigned ncols;             /* columns shared with the output */
	char cols[MAX_COLS][NAME_LEN];
	int ref[MAX_COLS];          /* table index a column references, -1 none */
};

struct merge {
	sqlite3 *out, *in;
	const char *out_path, *in_path;
	char in_real[PATH_MAX];     /* the input, as recorded in run_sources */
	struct table t[MAX_TABLES];
	unsigned nt;
	int64_t now_ms;
	struct ks_merge_stats *st;
	struct ks_err *err;
};

static int fail_in(struct merge *m)
{
	return ks_db_fail(m->in, m->in_path, m->err);
}

static int fail_out(struct merge *m)
{
	return ks_db_fail(m->out, m->out_path, m->err);
}

static int find_table(const struct merge *m, const char *name)
{
	for (unsigned i = 0; i < m->nt; i++)
		if (!strcmp(m->t[i].name, name))
			return (int)i;
	return -1;
}

/* Whether the output has the table. */
static bool out_has_table(struct merge *m, const char *table)
{
	sqlite3_stmt *st;
	bool has;

	if (sqlite3_prepare_v2(m->out, "SELECT 1 FROM sqlite_master WHERE type = 'table'"
			       " AND name = ?1", -1, &st, NULL) != SQLITE_OK)
		return false;
	sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
	has = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return has;
}

/* Whether the output has column `col` in `table`. */
static bool out_has(struct merge *m, const char *table, const char *col)
{
	sqlite3_stmt *st;
	bool has = false;

	if (sqlite3_prepare_v2(m->out, "SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2",
			       -1, &st, NULL) != SQLITE_OK)
		return false;
	sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, col, -1, SQLITE_STATIC);
	has = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return has;
}

/* The input's tables, their shared columns and whether they have an id key. */
static int read_tables(struct merge *m)
{
	sqlite3_stmt *st, *ci;
	int rc = 0;

	m->nt = 0;
	if (sqlite3_prepare_v2(m->in, "SELECT name FROM sqlite_master WHERE type = 'table'"
			       " AND name NOT LIKE 'sqlite_%' ORDER BY rowid", -1, &st, NULL))
		return fail_in(m);
	while (!rc && sqlite3_step(st) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		struct table *t;

		if (strlen(name) >= NAME_LEN || !out_has_table(m, name) ||
		    m->nt == MAX_TABLES) {
			m->st->tables_skipped++;
			continue;
		}
		t = &m->t[m->nt++];
		memset(t, 0, sizeof(*t));
		snprintf(t->name, sizeof(t->name), "%s", name);
		if (sqlite3_prepare_v2(m->in, "SELECT name, pk, lower(type) FROM"
				       " pragma_table_info(?1) ORDER BY cid", -1, &ci, NULL)) {
			rc = fail_in(m);
			break;
		}
		sqlite3_bind_text(ci, 1, name, -1, SQLITE_STATIC);
		while (sqlite3_step(ci) == SQLITE_ROW && t->ncols < MAX_COLS) {
			const char *col = (const char *)sqlite3_column_text(ci, 0);

			if (!strcmp(col, "id") && sqlite3_column_int(ci, 1) == 1 &&
			    !strcmp((const char *)sqlite3_column_text(ci, 2), "integer")) {
				t->has_id = true;
				continue;
			}
			if (strlen(col) < NAME_LEN && out_has(m, name, col)) {
				snprintf(t->cols[t->ncols], NAME_LEN, "%s", col);
				t->ref[t->ncols++] = -1;
			}
		}
		sqlite3_finalize(ci);
	}
	sqlite3_finalize(st);
	return rc;
}

/* Which shared column references which table (PRAGMA foreign_key_list). */
static int read_refs(struct merge *m)
{
	for (unsigned i = 0; i < m->nt; i++) {
		struct table *t = &m->t[i];
		sqlite3_stmt *st;

		if (sqlite3_prepare_v2(m->in, "SELECT \"from\", \"table\" FROM"
				       " pragma_foreign_key_list(?1)", -1, &st, NULL))
			return fail_in(m);
		sqlite3_bind_text(st, 1, t->name, -1, SQLITE_STATIC);
		while (sqlite3_step(st) == SQLITE_ROW) {
			const char *from = (const char *)sqlite3_column_text(st, 0);
			int parent = find_table(m, (const char *)sqlite3_column_text(st, 1));

			for (unsigned c = 0; c < t->ncols; c++)
				if (!strcmp(t->cols[c], from))
					t->ref[c] = parent;
		}
		sqlite3_finalize(st);
	}
	return 0;
}

/* A map big enough for the table's ids. */
static int map_alloc(struct merge *m, struct table *t)
{
	char sql[128];
	int64_t max;
	int rc;

	snprintf(sql, sizeof(sql), "SELECT coalesce(max(id), 0) FROM \"%s\"", t->name);
	rc = ks_db_query_int(m->in, m->in_path, sql, NULL, 0, &max, m->err);
	if (rc)
		return rc;
	if (max < 0 || max > 100000000)
		return ks_err_set(m->err, KS_EINVAL, "%s: table %s: ids up to %lld, too many to "
				  "merge", m->in_path, t->name, (long long)max);
	t->map.n = max + 1;
	t->map.to = ks_xcalloc((size_t)t->map.n, sizeof(*t->map.to));
	return 0;
}

/* The new id of an old one through a table's map; 0 if it was not copied. */
static int64_t map_get(const struct table *t, int64_t old)
{
	return old >= 0 && old < t->map.n ? t->map.to[old] : 0;
}

/* Looks a uid up in the output table; *id 0 if absent. */
static int out_find_uid(struct merge *m, const char *table, const char *uid, int64_t *id)
{
	char sql[128];

	*id = 0;
	if (!uid)
		return 0;
	snprintf(sql, sizeof(sql), "SELECT coalesce(max(id), 0) FROM %s WHERE uid = ?1", table);
	return ks_db_query_int(m->out, m->out_path, sql, uid, 0, id, m->err);
}

/* Marks (map value -1) the input's complete sweep runs whose task (sweep uid, point,
 * seed) the output holds complete already: the same task is the same run (runs are
 * deterministic), so a sweep's points do not count it twice. */
static int mark_done_tasks(struct merge *m, struct table *runs)
{
	sqlite3_stmt *in, *out;
	int rc = 0, step;

	if (find_table(m, "sweep_runs") < 0 || find_table(m, "sweeps") < 0)
		return 0;
	if (sqlite3_prepare_v2(m->in, "SELECT w.run_id, s.uid, w.point, w.seed FROM sweep_runs w"
			       " JOIN sweeps s ON s.id = w.sweep_id JOIN runs r ON r.id = w.run_id"
			       " WHERE r.status = 'complete' AND s.uid IS NOT NULL", -1, &in, NULL))
		return fail_in(m);
	if (sqlite3_prepare_v2(m->out, "SELECT count(*) FROM sweep_runs w JOIN sweeps s"
			       " ON s.id = w.sweep_id JOIN runs r ON r.id = w.run_id"
			       " WHERE s.uid = ?1 AND w.point = ?2 AND w.seed = ?3"
			       " AND r.status = 'complete'", -1, &out, NULL)) {
		sqlite3_finalize(in);
		return fail_out(m);
	}
	while ((step = sqlite3_step(in)) == SQLITE_ROW) {
		int64_t run = sqlite3_column_int64(in, 0);

		sqlite3_bind_value(out, 1, sqlite3_column_value(in, 1));
		sqlite3_bind_value(out, 2, sqlite3_column_value(in, 2));
		sqlite3_bind_value(out, 3, sqlite3_column_value(in, 3));
		if (sqlite3_step(out) != SQLITE_ROW) {
			rc = fail_out(m);
			break;
		}
		if (sqlite3_column_int64(out, 0) > 0 && run >= 0 && run < runs->map.n)
			runs->map.to[run] = -1;
		sqlite3_reset(out);
	}
	if (!rc && step != SQLITE_DONE)
		rc = fail_in(m);
	sqlite3_finalize(in);
	sqlite3_finalize(out);
	return rc;
}

/* Where a new run came from: the input's own record if it has one, else the input. */
static int add_source(struct merge *m, int64_t old, int64_t new_id)
{
	sqlite3_stmt *src = NULL, *ins;
	int rc = 0;

	if (sqlite3_prepare_v2(m->out, "INSERT INTO run_sources(run_id, source_db,"
			       " source_run_id, merged_unix_ms) VALUES (?1, ?2, ?3, ?4)", -1,
			       &ins, NULL))
		return fail_out(m);
	sqlite3_bind_int64(ins, 1, new_id);
	if (find_table(m, "run_sources") >= 0 &&
	    sqlite3_prepare_v2(m->in, "SELECT source_db, source_run_id, merged_unix_ms FROM"
			       " run_sources WHERE run_id = ?1", -1, &src, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(src, 1, old);
		if (sqlite3_step(src) == SQLITE_ROW) {
			sqlite3_bind_value(ins, 2, sqlite3_column_value(src, 0));
			sqlite3_bind_value(ins, 3, sqlite3_column_value(src, 1));
			sqlite3_bind_value(ins, 4, sqlite3_column_value(src, 2));
		} else {
			sqlite3_finalize(src);
			src = NULL;
		}
	}
	if (!src) {
		sqlite3_bind_text(ins, 2, m->in_real, -1, SQLITE_STATIC);
		sqlite3_bind_int64(ins, 3, old);
		sqlite3_bind_int64(ins, 4, m->now_ms);
	}
	if (sqlite3_step(ins) != SQLITE_DONE)
		rc = fail_out(m);
	sqlite3_finalize(src);
	sqlite3_finalize(ins);
	return rc;
}

/* SELECT [id,] cols FROM table on the input, and the matching INSERT on the output. */
/* The INSERT of a table's copied rows; `with_id` adds the id as parameter ncols + 1
 * (runs: the next free run id, past any sweep's reserved ids, db.h). */
static int prepare_copy(struct merge *m, const struct table *t, bool or_ignore, bool with_id,
			sqlite3_stmt **sel, sqlite3_stmt **ins)
{
	char s[4096], i[4096];
	size_t ls, li;

	ls = (size_t)snprintf(s, sizeof(s), "SELECT %s", t->has_id ? "id" : "rowid");
	li = (size_t)snprintf(i, sizeof(i), "INSERT %sINTO \"%s\"(", or_ignore ? "OR IGNORE " :
			      "", t->name);
	for (unsigned c = 0; c < t->ncols; c++) {
		ls += (size_t)snprintf(s + ls, sizeof(s) - ls, ", \"%s\"", t->cols[c]);
		li += (size_t)snprintf(i + li, sizeof(i) - li, "%s\"%s\"", c ? ", " : "",
				       t->cols[c]);
	}
	snprintf(s + ls, sizeof(s) - ls, " FROM \"%s\" ORDER BY 1", t->name);
	li += (size_t)snprintf(i + li, sizeof(i) - li, "%s) VALUES (", with_id ? ", id" : "");
	for (unsigned c = 0; c < t->ncols + with_id; c++)
		li += (size_t)snprintf(i + li, sizeof(i) - li, "%s?%u", c ? ", " : "", c + 1);
	snprintf(i + li, sizeof(i) - li, ")");
	*ins = NULL;
	if (sqlite3_prepare_v2(m->in, s, -1, sel, NULL))
		return fail_in(m);
	if (sqlite3_prepare_v2(m->out, i, -1, ins, NULL)) {
		sqlite3_finalize(*sel);
		return fail_out(m);
	}
	return 0;
}

/* The index of column `name` among the table's shared columns, -1 if absent. */
static int col_index(const struct table *t, const char *name)
{
	for (unsigned c = 0; c < t->ncols; c++)
		if (!strcmp(t->cols[c], name))
			return (int)c;
	return -1;
}

/* Binds a row's shared columns, references rewritten; false if a parent was not
 * copied (the row is not either). */
static bool bind_row(struct merge *m, const struct table *t, sqlite3_stmt *sel,
		     sqlite3_stmt *ins)
{
	for (unsigned c = 0; c < t->ncols; c++) {
		sqlite3_value *v = sqlite3_column_value(sel, (int)c + 1);

		if (t->ref[c] >= 0 && m->t[t->ref[c]].has_id &&
		    sqlite3_value_type(v) != SQLITE_NULL) {
			int64_t to = map_get(&m->t[t->ref[c]], sqlite3_value_int64(v));

			if (!to)
				return false;
			sqlite3_bind_int64(ins, (int)c + 1, to);
		} else {
			sqlite3_bind_value(ins, (int)c + 1, v);
		}
	}
	return true;
}

/* Copies one table; `uid_table` (runs, sweeps) keeps rows found by uid. */
static int copy_table(struct merge *m, struct table *t)
{
	bool is_runs = !strcmp(t->name, "runs"), is_sweeps = !strcmp(t->name, "sweeps");
	int uid_col = is_runs || is_sweeps ? col_index(t, "uid") : -1;
	sqlite3_stmt *sel, *ins;
	int rc, step;

	if (t->has_id && (rc = map_alloc(m, t)))
		return rc;
	if (is_runs && (rc = mark_done_tasks(m, t)))
		return rc;
	rc = prepare_copy(m, t, !is_runs && !is_sweeps, is_runs, &sel, &ins);
	if (rc)
		return rc;
	while (!rc && (step = sqlite3_step(sel)) == SQLITE_ROW) {
		int64_t old = sqlite3_column_int64(sel, 0), found = 0;

		if (is_runs && map_get(t, old) == -1) {
			t->map.to[old] = 0;
			m->st->runs_present++;
			continue;
		}
		if (uid_col >= 0)
			rc = out_find_uid(m, t->name, (const char *)sqlite3_column_text(sel,
					  uid_col + 1), &found);
		if (rc)
			break;
		if (found) {
			if (is_sweeps) {
				t->map.to[old] = found;
				m->st->sweeps_joined++;
			} else {
				m->st->runs_present++;
			}
			continue;
		}
		if (!bind_row(m, t, sel, ins)) {
			sqlite3_reset(ins);
			continue;
		}
		if (is_runs) {
			int64_t id;

			rc = ks_db_next_run_id(m->out, m->out_path, &id, m->err);
			if (rc)
				break;
			sqlite3_bind_int64(ins, (int)t->ncols + 1, id);
		}
		if (sqlite3_step(ins) != SQLITE_DONE) {
			rc = fail_out(m);
			break;
		}
		sqlite3_reset(ins);
		m->st->rows += sqlite3_changes(m->out) > 0;
		if (t->has_id)
			t->map.to[old] = sqlite3_last_insert_rowid(m->out);
		if (is_runs) {
			m->st->runs++;
			rc = add_source(m, old, t->map.to[old]);
		}
		m->st->sweeps_new += is_sweeps;
	}
	if (!rc && step != SQLITE_DONE)
		rc = fail_in(m);
	sqlite3_finalize(sel);
	sqlite3_finalize(ins);
	t->done = true;
	return rc;
}

/* Whether every table t references has been copied. */
static bool parents_done(const struct merge *m, const struct table *t)
{
	for (unsigned c = 0; c < t->ncols; c++)
		if (t->ref[c] >= 0 && &m->t[t->ref[c]] != t && !m->t[t->ref[c]].done)
			return false;
	return true;
}

static int merge_one(struct merge *m)
{
	int rc = read_tables(m);
	bool progress = true;

	if (!rc)
		rc = read_refs(m);
	for (unsigned i = 0; i < m->nt; i++)
		if (!strcmp(m->t[i].name, "run_sources") || !strcmp(m->t[i].name, "t_quantiles") ||
		    !strcmp(m->t[i].name, "run_id_reservations"))
			m->t[i].done = true;
	while (!rc && progress) {
		progress = false;
		for (unsigned i = 0; !rc && i < m->nt; i++) {
			if (m->t[i].done || !parents_done(m, &m->t[i]))
				continue;
			rc = copy_table(m, &m->t[i]);
			progress = true;
		}
	}
	for (unsigned i = 0; i < m->nt; i++)
		free(m->t[i].map.to);
	return rc;
}

/* Opens every input once for reading (schema and version checked) before anything is
 * written, and refuses the output among them. */
static int check_inputs(const char *out_path, const char *const *in, unsigned nin,
			struct ks_err *err)
{
	struct stat so, si;
	bool out_exists = stat(out_path, &so) == 0;

	for (unsigned i = 0; i < nin; i++) {
		sqlite3 *db;
		int rc = ks_results_open_read(in[i], &db, err);

		if (rc)
			return rc;
		sqlite3_close(db);
		if (out_exists && stat(in[i], &si) == 0 && si.st_dev == so.st_dev &&
		    si.st_ino == so.st_ino)
			return ks_err_set(err, KS_EINVAL, "%s: is the output database", in[i]);
	}
	return 0;
}

static void remove_db(const char *path)
{
	char p[PATH_MAX + 8];

	unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
}

int ks_results_merge(const char *out_path, const char *const *in, unsigned nin,
		     int64_t now_unix_ms, struct ks_merge_stats *st, struct ks_err *err)
{
	struct merge *m;
	struct stat sb;
	bool created = stat(out_path, &sb) != 0;
	int rc = check_inputs(out_path, in, nin, err);

	memset(st, 0, sizeof(*st));
	if (rc)
		return rc;
	m = ks_xcalloc(1, sizeof(*m));
	m->out_path = out_path;
	m->now_ms = now_unix_ms;
	m->st = st;
	m->err = err;
	rc = ks_results_open_write(out_path, &m->out, err);
	if (rc)
		goto out_free;
	if (sqlite3_exec(m->out, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		rc = fail_out(m);
		goto out_close;
	}
	for (unsigned i = 0; !rc && i < nin; i++) {
		m->in_path = in[i];
		if (!realpath(in[i], m->in_real))
			snprintf(m->in_real, sizeof(m->in_real), "%s", in[i]);
		rc = ks_results_open_read(in[i], &m->in, err);
		if (!rc)
			rc = merge_one(m);
		sqlite3_close(m->in);
		m->in = NULL;
	}
	if (!rc && sqlite3_exec(m->out, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		rc = fail_out(m);
	if (rc)
		sqlite3_exec(m->out, "ROLLBACK", NULL, NULL, NULL);
out_close:
	sqlite3_close(m->out);
	if (rc && created)
		remove_db(out_path);
out_free:
	free(m);
	return rc;
}
