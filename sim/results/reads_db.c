/* reads_db.c - writes the readers' time of a run (reads_db.h). */
#include <sqlite3.h>

#include "db.h"
#include "reads_db.h"

static const char sql_buf[] =
	"CREATE TABLE IF NOT EXISTS buf.read_samples(t_ns, pages, ns, ns_noksm);";
static const char sql_ins[] =
	"INSERT INTO buf.read_samples(t_ns, pages, ns, ns_noksm) VALUES (?1, ?2, ?3, ?4)";
static const char sql_copy[] =
	"INSERT INTO main.read_samples(run_id, t_ns, pages, ns, ns_noksm)"
	" SELECT ?1, t_ns, pages, ns, ns_noksm FROM buf.read_samples ORDER BY rowid";
static const char sql_row[] =
	"INSERT INTO reads(run_id, variant, zero_page_colours, cache_colours, pages, ns,"
	" ns_noksm, synonym_pages, synonym_pages_noksm, private_pages, ksm_pages, zero_pages)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)";
static const char sql_proc[] =
	"INSERT INTO read_procs(run_id, pid, process, pages, ns, ns_noksm, synonym_pages,"
	" synonym_pages_noksm, private_pages, ksm_pages, zero_pages)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";

static int sq_error(struct sqlite3 *db, const char *path, struct ks_err *err)
{
	return ks_err_set(err, KS_ESQL, "%s: sqlite error: %s", path, sqlite3_errmsg(db));
}

static int bind_u64(sqlite3_stmt *st, int i, uint64_t v)
{
	return sqlite3_bind_int64(st, i, (sqlite3_int64)v);
}

int ks_reads_db_prepare(struct sqlite3 *db, const char *path, struct sqlite3_stmt **ins,
			struct ks_err *err)
{
	if (sqlite3_exec(db, sql_buf, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, sql_ins, -1, ins, NULL) != SQLITE_OK)
		return sq_error(db, path, err);
	return 0;
}

int ks_reads_db_sample(struct sqlite3 *db, const char *path, struct sqlite3_stmt *ins,
		       const struct ks_sample *smp, struct ks_err *err)
{
	int rc;

	if (!smp->read_pages)
		return 0;
	if (bind_u64(ins, 1, smp->t) || bind_u64(ins, 2, smp->read_pages) ||
	    bind_u64(ins, 3, smp->read_ns) || bind_u64(ins, 4, smp->read_ns_noksm))
		return sq_error(db, path, err);
	rc = sqlite3_step(ins) == SQLITE_DONE ? 0 : sq_error(db, path, err);
	sqlite3_reset(ins);
	return rc;
}

/* One read_procs row per process that read. */
static int write_procs(struct sqlite3 *db, const char *path, int64_t run_id,
		       const struct ks_summary *sum, struct ks_err *err)
{
	sqlite3_stmt *st;
	int rc = ks_db_prep(db, path, sql_proc, &st, err);

	for (size_t i = 0; !rc && i < sum->nproc_reads; i++) {
		const struct ks_proc_reads *p = &sum->proc_reads[i];

		if (sqlite3_bind_int64(st, 1, run_id) || bind_u64(st, 2, p->pid) ||
		    sqlite3_bind_text(st, 3, p->process, -1, SQLITE_STATIC) ||
		    bind_u64(st, 4, p->ksm.pages) || bind_u64(st, 5, p->ksm.ns) ||
		    bind_u64(st, 6, p->noksm.ns) || bind_u64(st, 7, p->ksm.synonym_pages) ||
		    bind_u64(st, 8, p->noksm.synonym_pages) ||
		    bind_u64(st, 9, p->ksm.by_frame[KS_RF_PRIVATE]) ||
		    bind_u64(st, 10, p->ksm.by_frame[KS_RF_KSM]) ||
		    bind_u64(st, 11, p->ksm.by_frame[KS_RF_ZERO]) ||
		    sqlite3_step(st) != SQLITE_DONE)
			rc = sq_error(db, path, err);
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	return rc;
}

int ks_reads_db_write(struct sqlite3 *db, const char *path, int64_t run_id,
		      const struct ks_summary *sum, const struct ks_ksm_params *k,
		      unsigned cache_colours, struct ks_err *err)
{
	const struct ks_read_totals *r = &sum->reads, *n = &sum->reads_noksm;
	sqlite3_stmt *st;
	int rc;

	if (!r->pages)
		return 0;
	rc = ks_db_prep(db, path, sql_copy, &st, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, run_id);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : sq_error(db, path, err);
	sqlite3_finalize(st);
	if (rc || (rc = ks_db_prep(db, path, sql_row, &st, err)))
		return rc;
	if (sqlite3_bind_int64(st, 1, run_id) ||
	    sqlite3_bind_text(st, 2, ks_read_variant_name(sum->read_variant), -1,
			      SQLITE_STATIC) ||
	    bind_u64(st, 3, k && k->zero_page_colours ? k->zero_page_colours : 1) ||
	    bind_u64(st, 4, cache_colours ? cache_colours : 1) ||
	    bind_u64(st, 5, r->pages) || bind_u64(st, 6, r->ns) || bind_u64(st, 7, n->ns) ||
	    bind_u64(st, 8, r->synonym_pages) || bind_u64(st, 9, n->synonym_pages) ||
	    bind_u64(st, 10, r->by_frame[KS_RF_PRIVATE]) ||
	    bind_u64(st, 11, r->by_frame[KS_RF_KSM]) ||
	    bind_u64(st, 12, r->by_frame[KS_RF_ZERO]))
		rc = sq_error(db, path, err);
	else if (sqlite3_step(st) != SQLITE_DONE)
		rc = sq_error(db, path, err);
	sqlite3_finalize(st);
	return rc ? rc : write_procs(db, path, run_id, sum, err);
}

void ks_reads_db_drop(struct sqlite3 *db)
{
	sqlite3_exec(db, "DELETE FROM buf.read_samples", NULL, NULL, NULL);
}
