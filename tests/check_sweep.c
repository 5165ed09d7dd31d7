/* check_sweep.c - sweeps: the plan (sim/sweep_plan.c: --vary lists and ranges, points,
 * shards, identity), the sweep tables (sim/results/sweep_db.c) and the statistics of the
 * v_sweep view against GSL, and the results schema upgrade of an older file. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_statistics_double.h>
#include <sqlite3.h>

#include "sim/results/db.h"
#include "sim/results/run_db.h"
#include "sim/results/schema.h"
#include "sim/results/sweep_db.h"
#include "sim/sweep_plan.h"
#include "tmpdir.h"

static char tmpdir[256], dbpath[512];

static void setup(void)
{
	ks_test_tmpdir(tmpdir, sizeof(tmpdir), "ks-sweep");
	snprintf(dbpath, sizeof(dbpath), "%s/results.db", tmpdir);
}

static void teardown(void)
{
	ks_test_rmdir(tmpdir);
}

/* The values of the plan's key k joined by ',' (static buffer). */
static const char *values(const struct ks_sweep_plan *p, unsigned k)
{
	static char buf[1024];
	size_t used = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < p->keys[k].nvalues; i++)
		used += (size_t)snprintf(buf + used, sizeof(buf) - used, "%s%s", i ? "," : "",
					 p->keys[k].values[i]);
	return buf;
}

static const char *one(const char *arg)
{
	static char buf[1024];
	struct ks_sweep_plan p = { .seeds = 1 };
	struct ks_err err = { 0 };

	ck_assert_msg(ks_sweep_plan_add(&p, arg, &err) == 0, "%s: %s", arg, err.msg);
	snprintf(buf, sizeof(buf), "%s", values(&p, 0));
	ks_sweep_plan_fini(&p);
	return buf;
}

static const char *fails(const char *arg)
{
	static struct ks_err err;
	struct ks_sweep_plan p = { .seeds = 1 };

	memset(&err, 0, sizeof(err));
	ck_assert_msg(ks_sweep_plan_add(&p, arg, &err) == KS_EINVAL, "%s accepted", arg);
	ck_assert_uint_eq(p.nkeys, 0);
	ks_sweep_plan_fini(&p);
	return err.msg;
}

/* ---- core: the plan ---- */

START_TEST(test_sweep_lists_and_ranges)
{
	ck_assert_str_eq(one("ksm.pages_to_scan=100,1000,10000"), "100,1000,10000");
	ck_assert_str_eq(one("ksm.checksum=xxhash64,crc32c"), "xxhash64,crc32c");
	ck_assert_str_eq(one("k=10..40/10"), "10,20,30,40");
	ck_assert_str_eq(one("k=10..45/10"), "10,20,30,40");
	ck_assert_str_eq(one("k=1..2/0.5"), "1,1.5,2");
	ck_assert_str_eq(one("k=0.1..0.3/0.1"), "0.1,0.2,0.3");
	ck_assert_str_eq(one("k=16MiB..64MiB/16MiB"), "16MiB,32MiB,48MiB,64MiB");
	ck_assert_str_eq(one("k=0..100:5"), "0,25,50,75,100");
	ck_assert_str_eq(one("k=100..0:3"), "100,50,0");
	ck_assert_str_eq(one("k=1..10000:5log"), "1,10,100,1000,10000");
	ck_assert_str_eq(one("k=10s..60s:6"), "10s,20s,30s,40s,50s,60s");
	ck_assert_str_eq(one("k=7..9:1"), "7");
	/* integers repeated after rounding are dropped */
	ck_assert_str_eq(one("k=1..3:10"), "1,2,3");
	/* not a range: a value that merely contains dots */
	ck_assert_str_eq(one("trace.file=../a.kst"), "../a.kst");
}
END_TEST

START_TEST(test_sweep_points_and_params)
{
	struct ks_sweep_plan p = { .seeds = 3 };
	struct ks_err err = { 0 };
	char buf[256];

	ck_assert_int_eq(ks_sweep_plan_add(&p, "a=1,2", &err), 0);
	ck_assert_int_eq(ks_sweep_plan_add(&p, "b=x,y,z", &err), 0);
	ck_assert_uint_eq(ks_sweep_points(&p), 6);
	ck_assert_uint_eq(ks_sweep_tasks(&p), 18);
	/* the last key varies fastest */
	ks_sweep_point_params(&p, 0, buf, sizeof(buf));
	ck_assert_str_eq(buf, "a=1 b=x");
	ks_sweep_point_params(&p, 1, buf, sizeof(buf));
	ck_assert_str_eq(buf, "a=1 b=y");
	ks_sweep_point_params(&p, 3, buf, sizeof(buf));
	ck_assert_str_eq(buf, "a=2 b=x");
	ks_sweep_point_params(&p, 5, buf, sizeof(buf));
	ck_assert_str_eq(buf, "a=2 b=z");
	ck_assert_str_eq(ks_sweep_value(&p, 4, 1), "y");
	ks_sweep_keys_text(&p, buf, sizeof(buf));
	ck_assert_str_eq(buf, "a b");
	ks_sweep_plan_fini(&p);
}
END_TEST

START_TEST(test_sweep_shards_cover_every_task_once)
{
	for (unsigned n = 1; n <= 7; n++) {
		for (uint64_t t = 0; t < 100; t++) {
			unsigned owners = 0;

			for (unsigned i = 0; i < n; i++)
				owners += ks_sweep_task_in_shard(t, i, n) != 0;
			ck_assert_uint_eq(owners, 1);
		}
	}
}
END_TEST

START_TEST(test_sweep_plan_hash)
{
	struct ks_sweep_plan a = { .seeds = 3 }, b = { .seeds = 3 }, c = { .seeds = 2 };
	struct ks_err err = { 0 };

	ck_assert_int_eq(ks_sweep_plan_add(&a, "k=1..3/1", &err), 0);
	ck_assert_int_eq(ks_sweep_plan_add(&b, "k=1,2,3", &err), 0);
	ck_assert_int_eq(ks_sweep_plan_add(&c, "k=1,2,3", &err), 0);
	/* the same points are the same plan, however written; other seeds are not */
	ck_assert_uint_eq(ks_sweep_plan_hash(&a, KS_SWEEP_HASH_SEED),
			  ks_sweep_plan_hash(&b, KS_SWEEP_HASH_SEED));
	ck_assert_uint_ne(ks_sweep_plan_hash(&b, KS_SWEEP_HASH_SEED),
			  ks_sweep_plan_hash(&c, KS_SWEEP_HASH_SEED));
	ks_sweep_plan_fini(&a);
	ks_sweep_plan_fini(&b);
	ks_sweep_plan_fini(&c);
}
END_TEST

/* ---- errors ---- */

START_TEST(test_sweep_bad_vary)
{
	ck_assert_str_eq(fails("k="), "--vary k=: no values (an empty range)");
	ck_assert_str_eq(fails("k=40..10/10"),
			 "--vary k=40..10/10: empty range (its start is past its end)");
	ck_assert_str_eq(fails("k=1..10:0"), "--vary k=1..10:0: empty range (0 values)");
	ck_assert_str_eq(fails("k=1,,2"), "--vary k=1,,2: an empty value in the list");
	ck_assert_str_eq(fails("k=0..10:3log"),
			 "--vary k=0..10:3log: a geometric range needs positive ends");
	ck_assert_str_eq(fails("k=1..10/0"), "--vary k=1..10/0: the step must be positive");
	ck_assert_str_eq(fails("k=1s..10MiB/1"),
			 "--vary k=1s..10MiB/1: both ends of a range need the same unit");
	ck_assert_str_eq(fails("k=1..10"),
			 "--vary k=1..10: expected A..B/STEP, A..B:N or A..B:Nlog");
	ck_assert_str_eq(fails("k=1..10:x"),
			 "--vary k=1..10:x: expected a count after ':' (A..B:N or A..B:Nlog)");
	ck_assert_str_eq(fails("=1"), "--vary =1: expected KEY=V1,V2,... or KEY=A..B/STEP");
	ck_assert_str_eq(fails("k"), "--vary k: expected KEY=V1,V2,... or KEY=A..B/STEP");
	ck_assert_str_eq(fails("k=1..2000000/1"), "--vary k=1..2000000/1: too many values");
}
END_TEST

START_TEST(test_sweep_bad_plans)
{
	struct ks_sweep_plan p = { .seeds = 1000 };
	struct ks_err err = { 0 };
	unsigned i, n;

	ck_assert_int_eq(ks_sweep_plan_add(&p, "a=1..100/1", &err), 0);
	ck_assert_int_eq(ks_sweep_plan_add(&p, "a=5", &err), KS_EINVAL);
	ck_assert_str_eq(err.msg, "--vary a=5: this key is varied twice");
	ck_assert_int_eq(ks_sweep_plan_add(&p, "b=1..100/1", &err), KS_EINVAL);
	ck_assert_str_eq(err.msg, "--vary b=1..100/1: too many points x seeds (at most 1000000)");
	ck_assert_uint_eq(p.nkeys, 1);
	ks_sweep_plan_fini(&p);
	ck_assert_int_eq(ks_sweep_parse_shard("3/4", &i, &n, &err), 0);
	ck_assert_uint_eq(i, 3);
	ck_assert_uint_eq(n, 4);
	ck_assert_int_eq(ks_sweep_parse_shard("4/4", &i, &n, &err), KS_EINVAL);
	ck_assert_int_eq(ks_sweep_parse_shard("1/0", &i, &n, &err), KS_EINVAL);
	ck_assert_int_eq(ks_sweep_parse_shard("-1/4", &i, &n, &err), KS_EINVAL);
	ck_assert_int_eq(ks_sweep_parse_shard("1/4x", &i, &n, &err), KS_EINVAL);
	ck_assert_str_eq(err.msg, "--shard needs I/N with 0 <= I < N, e.g. 0/4");
}
END_TEST

/* ---- the database ---- */

static const char *const test_values[] = { "100", "1000" };

static const char *test_value(const void *ctx, uint64_t point, unsigned k)
{
	(void)ctx;
	(void)k;
	return test_values[point];
}

static int64_t join_test_sweep(const char *uid)
{
	const char *keys[] = { "ksm.pages_to_scan" };
	struct ks_err err = { 0 };
	int64_t id = 0;

	ck_assert_msg(ks_sweep_db_join(dbpath, &(struct ks_sweep_def){
			.scenario = "unit", .vary = "ksm.pages_to_scan", .uid = uid, .sets = "",
			.seeds = 4, .base_seed = 1, .points = 2, .nkeys = 1, .keys = keys,
			.value = test_value }, &id, &err) == 0, "%s", err.msg);
	return id;
}

/* One run of a sweep point with a given final saving (bytes; 0 = nothing saved, so
 * t50/t90 never reached) and ksmd CPU. */
static void write_point_run(int64_t sweep_id, unsigned point, uint64_t seed, int64_t saved,
			    uint64_t cpu_ns)
{
	struct ks_err err = { 0 };
	struct ks_run_db *d = ks_run_db_open(dbpath, &err);
	struct ks_ksm_params k;
	struct ks_summary sum = {
		.status = KS_RUN_COMPLETE, .sim_end = KS_MS(10000), .batches = 10,
		.saved_bytes = saved, .ksmd_cpu_ns = cpu_ns,
		.t50 = saved ? KS_MS(1000) + seed : KS_TIME_MAX,
		.t90 = saved ? KS_MS(2000) + seed : KS_TIME_MAX,
		.peak_saved_bytes = saved, .peak_t = KS_MS(3000),
	};
	struct ks_sample smp = { .t = KS_MS(10000), .batch = 10,
				 .st = { .full_scans = 3 + point } };

	ck_assert_msg(d != NULL, "%s", err.msg);
	ks_ksm_params_default(&k);
	k.pages_to_scan = point ? 1000 : 100;
	ck_assert_int_eq(ks_run_db_begin(d, &(struct ks_run_info){
			.scenario_name = "unit", .seed = seed, .arch = "x86_64", .ksm = &k,
			.duration_ns = KS_MS(10000), .processes = 2, .pages = 64,
			.sweep_id = sweep_id, .point = point,
			.point_params = test_value(NULL, point, 0) }, &err), 0);
	ck_assert_int_eq(ks_run_db_sample(d, &smp, NULL, 0, &err), 0);
	ck_assert_msg(ks_run_db_end(d, &sum, &err) == 0, "%s", err.msg);
	ks_run_db_close(d);
}

static sqlite3 *db_open(void)
{
	sqlite3 *db;

	ck_assert_int_eq(sqlite3_open(dbpath, &db), SQLITE_OK);
	return db;
}

/* The v_sweep row of (point, metric): runs, n, mean, sd, ci95 (NaN for NULL). */
static void sweep_row(sqlite3 *db, int point, const char *metric, int *runs, int *n,
		      double v[3])
{
	sqlite3_stmt *st;

	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT runs, n, mean, sd, ci95 FROM v_sweep"
					    " WHERE point = ?1 AND metric = ?2", -1, &st, NULL),
			 SQLITE_OK);
	sqlite3_bind_int(st, 1, point);
	sqlite3_bind_text(st, 2, metric, -1, SQLITE_STATIC);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	*runs = sqlite3_column_int(st, 0);
	*n = sqlite3_column_int(st, 1);
	for (int i = 0; i < 3; i++)
		v[i] = sqlite3_column_type(st, 2 + i) == SQLITE_NULL ? NAN :
			sqlite3_column_double(st, 2 + i);
	sqlite3_finalize(st);
}

START_TEST(test_sweep_view_statistics)
{
	/* point 0: four savings; point 1: one of four runs saves nothing (t90 never) */
	const double mib[4] = { 100, 104, 97, 111 };
	int64_t id = join_test_sweep("u1");
	double v[3], t90[3], mean, sd, ci;
	sqlite3 *db;
	int runs, n;

	for (unsigned s = 0; s < 4; s++) {
		write_point_run(id, 0, 1 + s, (int64_t)(mib[s] * 1048576), 1000000000u * (s + 1));
		write_point_run(id, 1, 1 + s, s == 2 ? 0 : 4096 * 100, 500000000);
	}
	/* the same uid joins the same sweep */
	ck_assert_int_eq(join_test_sweep("u1"), id);
	ck_assert_int_ne(join_test_sweep("u2"), id);
	db = db_open();
	sweep_row(db, 0, "saved_mib", &runs, &n, v);
	mean = gsl_stats_mean(mib, 1, 4);
	sd = gsl_stats_sd(mib, 1, 4);
	ci = sd / sqrt(4) * gsl_cdf_tdist_Pinv(0.975, 3);
	ck_assert_int_eq(runs, 4);
	ck_assert_int_eq(n, 4);
	ck_assert_double_eq_tol(v[0], mean, 1e-9);
	ck_assert_double_eq_tol(v[1], sd, 1e-9);
	ck_assert_double_eq_tol(v[2], ci, 1e-9);
	/* ksmd CPU %: 1..4 s of 10 s */
	sweep_row(db, 0, "ksmd_cpu_pct", &runs, &n, v);
	ck_assert_double_eq_tol(v[0], 25.0, 1e-9);
	/* never reached is NULL, not 0: the mean is over the runs that reached it */
	sweep_row(db, 1, "t90_s", &runs, &n, t90);
	ck_assert_int_eq(runs, 4);
	ck_assert_int_eq(n, 3);
	ck_assert_double_eq_tol(t90[0], 2.0 + (1 + 2 + 4) / 3.0 * 1e-9, 1e-12);
	sweep_row(db, 1, "saved_mib", &runs, &n, v);
	ck_assert_int_eq(n, 4);
	ck_assert_double_eq_tol(v[0], 0.390625 * 3 / 4, 1e-12);
	/* x is typed, and so are the knob columns of run_params */
	{
		sqlite3_stmt *st;

		ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT typeof(x), x, x_key,"
			" (SELECT max(p.pages_to_scan) FROM run_params p JOIN sweep_runs w"
			"  ON w.run_id = p.run_id WHERE w.point = 1)"
			" FROM v_sweep WHERE point = 1 LIMIT 1", -1, &st, NULL), SQLITE_OK);
		ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
		ck_assert_str_eq((const char *)sqlite3_column_text(st, 0), "integer");
		ck_assert_int_eq(sqlite3_column_int(st, 1), 1000);
		ck_assert_str_eq((const char *)sqlite3_column_text(st, 2), "ksm.pages_to_scan");
		ck_assert_int_eq(sqlite3_column_int(st, 3), 1000);
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
}
END_TEST

START_TEST(test_sweep_t_quantiles)
{
	struct ks_err err = { 0 };
	struct ks_run_db *d = ks_run_db_open(dbpath, &err);
	sqlite3 *db;
	sqlite3_stmt *st;

	ks_run_db_close(d);
	db = db_open();
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT count(*), min(df), max(df),"
					    " (SELECT t975 FROM t_quantiles WHERE df = 2)"
					    " FROM t_quantiles", -1, &st, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	ck_assert_int_eq(sqlite3_column_int(st, 0), KS_RESULTS_T_QUANTILES_MAX_DF);
	ck_assert_int_eq(sqlite3_column_int(st, 1), 1);
	ck_assert_int_eq(sqlite3_column_int(st, 2), KS_RESULTS_T_QUANTILES_MAX_DF);
	/* the textbook value: t(0.975, 2) = 4.3027 */
	ck_assert_double_eq_tol(sqlite3_column_double(st, 3), 4.302653, 1e-6);
	sqlite3_finalize(st);
	sqlite3_close(db);
}
END_TEST

/* A file written before the added columns and views gains them; its old run reads
 * NULL there. */
START_TEST(test_sweep_schema_upgrade_of_an_older_file)
{
	sqlite3 *db = db_open();
	struct ks_err err = { 0 };
	struct ks_run_db *d;
	sqlite3_stmt *st;

	ck_assert_int_eq(sqlite3_exec(db,
		"CREATE TABLE runs(id INTEGER PRIMARY KEY, scenario TEXT NOT NULL,"
		" scenario_text TEXT, seed INTEGER NOT NULL, sim_version TEXT, arch TEXT,"
		" started_unix_ms INTEGER, finished_unix_ms INTEGER, status TEXT NOT NULL,"
		" sim_end_ns INTEGER, batches INTEGER, saved_bytes INTEGER, t90_ns INTEGER,"
		" ksmd_cpu_ns INTEGER, wall_seconds REAL);"
		"CREATE TABLE sweeps(id INTEGER PRIMARY KEY, scenario TEXT NOT NULL,"
		" vary TEXT NOT NULL, seeds INTEGER NOT NULL, started_unix_ms INTEGER);"
		"INSERT INTO runs(scenario, seed, status, saved_bytes, sim_end_ns, ksmd_cpu_ns)"
		" VALUES ('old', 1, 'complete', 4096, 1000000000, 10000000);"
		"PRAGMA user_version = 1;", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	d = ks_run_db_open(dbpath, &err);
	ck_assert_msg(d != NULL, "%s", err.msg);
	ks_run_db_close(d);
	db = db_open();
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT saved_mib, t50_s IS NULL,"
					    " peak_saved_mib IS NULL, ksmd_cpu_pct FROM v_run_summary",
					    -1, &st, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	ck_assert_double_eq_tol(sqlite3_column_double(st, 0), 4096 / 1048576.0, 1e-12);
	ck_assert_int_eq(sqlite3_column_int(st, 1), 1);
	ck_assert_int_eq(sqlite3_column_int(st, 2), 1);
	ck_assert_double_eq_tol(sqlite3_column_double(st, 3), 1.0, 1e-9);
	sqlite3_finalize(st);
	ck_assert_int_eq(sqlite3_exec(db, "SELECT uid, points FROM sweeps", NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
}
END_TEST

START_TEST(test_sweep_other_schema_version_refused)
{
	sqlite3 *db = db_open(), *w;
	struct ks_err err = { 0 };

	ck_assert_int_eq(sqlite3_exec(db, "CREATE TABLE runs(id INTEGER PRIMARY KEY);"
				      "PRAGMA user_version = 99;", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	ck_assert_int_eq(ks_results_open_write(dbpath, &w, &err), KS_ESQL);
	ck_assert_ptr_null(w);
	ck_assert_ptr_nonnull(strstr(err.msg, ": results schema version 99, this sim writes "
				     "version 1"));
}
END_TEST

Suite *ks_test_suite(void); /* called by check_main.c */

Suite *ks_test_suite(void)
{
	Suite *s = suite_create("sweep");
	TCase *core = tcase_create("core"), *errors = tcase_create("errors");
	TCase *edges = tcase_create("edges");

	tcase_add_test(core, test_sweep_lists_and_ranges);
	tcase_add_test(core, test_sweep_points_and_params);
	tcase_add_test(core, test_sweep_shards_cover_every_task_once);
	tcase_add_test(core, test_sweep_plan_hash);
	tcase_add_checked_fixture(core, setup, teardown);
	tcase_add_test(core, test_sweep_view_statistics);
	tcase_add_test(core, test_sweep_t_quantiles);
	tcase_add_checked_fixture(edges, setup, teardown);
	tcase_add_test(edges, test_sweep_schema_upgrade_of_an_older_file);
	tcase_add_test(errors, test_sweep_bad_vary);
	tcase_add_test(errors, test_sweep_bad_plans);
	tcase_add_checked_fixture(errors, setup, teardown);
	tcase_add_test(errors, test_sweep_other_schema_version_refused);
	suite_add_tcase(s, core);
	suite_add_tcase(s, edges);
	suite_add_tcase(s, errors);
	return s;
}
