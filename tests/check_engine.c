/* check_engine.c - the event engine (ordering by (time, seq), events scheduled from a
 * handler, stop, interrupt) and the world (ksmd batch timing with jiffy rounding,
 * waking on registration, sampling by batch and by interval, stop_when_stable,
 * interruption), with an in-memory sink. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "sim/config/load_scenario.h"
#include "sim/engine/engine.h"
#include "sim/engine/world.h"

/* ---- engine ---- */

struct log {
	char s[64];
	int n;
};

static void ev_mark(struct ks_sim *sim, void *subject, void *object)
{
	struct log *l = subject;

	(void)sim;
	l->s[l->n++] = *(const char *)object;
}

static void ev_spawn(struct ks_sim *sim, void *subject, void *object)
{
	ev_mark(sim, subject, object);
	/* scheduled "now" from a handler: runs after everything already due now */
	ks_sim_schedule_at(sim, sim->now, ev_mark, subject, "z");
}

START_TEST(test_engine_order)
{
	struct ks_sim sim;
	struct log l = { .n = 0 };

	ks_sim_init(&sim, 1000);
	ks_sim_schedule_at(&sim, 20, ev_mark, &l, "c");
	ks_sim_schedule_at(&sim, 10, ev_spawn, &l, "a");
	ks_sim_schedule_at(&sim, 10, ev_mark, &l, "b");
	ks_sim_schedule_at(&sim, 20, ev_mark, &l, "d");
	ks_sim_schedule_at(&sim, 2000, ev_mark, &l, "x"); /* after the end: not run */
	ck_assert(!ks_sim_run(&sim));
	l.s[l.n] = '\0';
	ck_assert_str_eq(l.s, "abzcd");
	ck_assert_uint_eq(sim.now, 20);
	ks_sim_fini(&sim);
}
END_TEST

static void ev_stop(struct ks_sim *sim, void *subject, void *object)
{
	ev_mark(sim, subject, object);
	ks_sim_stop(sim);
}

START_TEST(test_engine_stop_and_interrupt)
{
	struct ks_sim sim;
	struct log l = { .n = 0 };
	volatile int flag = 1;

	ks_sim_init(&sim, 1000);
	ks_sim_schedule_at(&sim, 5, ev_stop, &l, "s");
	ks_sim_schedule_at(&sim, 6, ev_mark, &l, "n");
	ck_assert(!ks_sim_run(&sim));
	ck_assert_int_eq(l.n, 1);
	ks_sim_fini(&sim);

	ks_sim_init(&sim, 1000);
	sim.interrupt = &flag;
	ks_sim_schedule_at(&sim, 5, ev_mark, &l, "i");
	ck_assert(ks_sim_run(&sim)); /* interrupted before running anything */
	ck_assert_int_eq(l.n, 1);
	ks_sim_fini(&sim);
}
END_TEST

/* ---- world, with an in-memory observer ---- */

struct memsink {
	struct ks_observer obs;
	struct ks_sample smp[4096];
	size_t n;
	size_t nproc;
	size_t ncommit;
};

static int ms_sample(void *self, const struct ks_sample *smp,
		     const struct ks_proc_sample *procs, size_t nprocs, struct ks_err *e)
{
	struct memsink *m = self;

	(void)procs, (void)e;
	if (m->n < sizeof(m->smp) / sizeof(m->smp[0]))
		m->smp[m->n++] = *smp;
	m->nproc += nprocs;
	return 0;
}

static int ms_commit(void *self, const struct ks_summary *sum, struct ks_err *e)
{
	(void)sum, (void)e;
	((struct memsink *)self)->ncommit++;
	return 0;
}

static struct memsink *memsink_new(void)
{
	struct memsink *m = calloc(1, sizeof(*m));

	m->obs = (struct ks_observer){ .self = m, .sample = ms_sample, .commit = ms_commit };
	return m;
}

static int run_text(const char *yaml, struct memsink *m, struct ks_summary *sum,
		    volatile int *interrupt)
{
	struct ks_scenario sc;
	struct ks_err err = { 0 };
	struct ks_world_opts o = { 0 };
	int rc;

	ks_scenario_init(&sc);
	rc = ks_scenario_load_string(yaml, "t.yaml", NULL, 0, &sc, &err);
	ck_assert_msg(rc == 0, "%s", err.msg);
	o.sc = &sc;
	o.obs = &m->obs;
	o.nobs = 1;
	o.interrupt = interrupt;
	rc = ks_world_run(&o, sum, &err);
	ck_assert_uint_eq(m->ncommit, rc == 0); /* committed once, only if it did not fail */
	ks_scenario_fini(&sc);
	return rc;
}

#define BASE "name: t\n" \
	"processes:\n" \
	"  - name: p\n" \
	"    count: 2\n" \
	"    regions:\n" \
	"      - name: m\n" \
	"        pages: 8\n" \
	"        contents:\n" \
	"          - rest: true\n" \
	"            content: {kind: fill, byte: 1, words: [{offset: 0, value: 7}]}\n"

/* Every batch is sampled; batches start every sleep_millisecs rounded up to jiffies
 * (HZ 250: 10 ms -> 3 jiffies = 12 ms); the first batch runs when the processes have
 * registered (t = 5 ms), not before. */
START_TEST(test_world_batch_timing)
{
	struct memsink *m = memsink_new();
	struct ks_summary sum;

	ck_assert_int_eq(run_text("duration: 300ms\n"
				  "ksm: {pages_to_scan: 4, sleep_millisecs: 10, hz: 250}\n"
				  BASE "    start: 5ms\n", m, &sum, NULL), 0);
	ck_assert_int_eq(sum.status, KS_RUN_COMPLETE);
	ck_assert_uint_ge(m->n, 8);
	ck_assert_uint_eq(m->smp[0].t, 5000000);
	for (size_t i = 1; i < sum.batches; i++) {
		ck_assert_uint_eq(m->smp[i].t - m->smp[i - 1].t, 12000000);
		ck_assert_uint_eq(m->smp[i].batch, i + 1);
	}
	/* 16 identical pages: after the merging scan, one KSM page with 16 mappings */
	ck_assert_uint_eq(sum.final.pages_shared, 1);
	ck_assert_uint_eq(sum.final.pages_sharing, 15);
	ck_assert_uint_gt(m->nproc, 0);
	free(m);
}
END_TEST

START_TEST(test_world_interval_sampling)
{
	struct memsink *m = memsink_new();
	struct ks_summary sum;

	ck_assert_int_eq(run_text("duration: 1s\nsample: {interval: 100ms, processes: false}\n"
				  BASE, m, &sum, NULL), 0);
	/* t = 0, 100 ms, ..., 1 s */
	ck_assert_uint_eq(m->n, 11);
	for (size_t i = 0; i < m->n; i++)
		ck_assert_uint_eq(m->smp[i].t, i * 100000000ULL);
	ck_assert_uint_eq(m->nproc, 0);
	free(m);
}
END_TEST

/* stop_when_stable ends the run once the counters stopped changing for N full scans. */
START_TEST(test_world_stop_when_stable)
{
	struct memsink *m = memsink_new();
	struct ks_summary sum;

	ck_assert_int_eq(run_text("duration: 1h\nstop_when_stable: true\nstable_scans: 2\n"
				  "ksm: {pages_to_scan: 100}\n" BASE, m, &sum, NULL), 0);
	ck_assert_int_eq(sum.status, KS_RUN_COMPLETE);
	ck_assert_uint_lt(sum.sim_end, 1000000000ULL);
	/* merged in scan 2, unchanged in scans 3 and 4 */
	ck_assert_uint_eq(sum.final.full_scans, 4);
	ck_assert_uint_eq(sum.final.pages_sharing, 15);
	free(m);
}
END_TEST

/* Time to 90% of the final saving is the end of the batch that reached it. */
START_TEST(test_world_t90)
{
	struct memsink *m = memsink_new();
	struct ks_summary sum;

	ck_assert_int_eq(run_text("duration: 1s\nksm: {pages_to_scan: 100, sleep_millisecs: 20}\n"
				  BASE, m, &sum, NULL), 0);
	ck_assert_int_eq(sum.saved_bytes, 15 * 4096);
	/* batch 1 records checksums (t = 0); batch 2 merges everything (t = 20 ms) */
	ck_assert_uint_eq(sum.t90, 20000000);
	free(m);
}
END_TEST

START_TEST(test_world_interrupted)
{
	struct memsink *m = memsink_new();
	struct ks_summary sum;
	volatile int flag = 1;

	ck_assert_int_eq(run_text("duration: 1s\n" BASE, m, &sum, &flag), 0);
	ck_assert_int_eq(sum.status, KS_RUN_INTERRUPTED);
	free(m);
}
END_TEST

/* A write to an address no process mapped is bad input: an error naming the record. */
START_TEST(test_world_bad_trace_record)
{
	struct memsink *m = memsink_new();
	struct ks_summary sum;
	struct ks_scenario sc;
	struct ks_err err = { 0 };
	struct ks_world_opts o = { 0 };
	char path[] = "/tmp/ksmsim-bad-XXXXXX.kstt";
	int fd = mkstemps(path, 5);
	FILE *f = fdopen(fd, "w");
	char yaml[256];

	fputs("ksmsim-trace 1\nclass 1 fill byte=0x00\n0ns start pid=1 name=x\n"
	      "0ns write pid=1 vaddr=0x1000 pages=1 class=1 arg=0 step=0\n", f);
	fclose(f);
	snprintf(yaml, sizeof(yaml), "name: t\nduration: 1s\ntrace: {file: %s}\n", path);
	ks_scenario_init(&sc);
	ck_assert_int_eq(ks_scenario_load_string(yaml, "t.yaml", NULL, 0, &sc, &err), 0);
	o.sc = &sc;
	o.obs = &m->obs;
	o.nobs = 1;
	ck_assert_int_lt(ks_world_run(&o, &sum, &err), 0);
	ck_assert_uint_eq(m->ncommit, 0);
	ck_assert_int_eq(sum.status, KS_RUN_FAILED);
	ck_assert_msg(strstr(err.msg, "record 3") && strstr(err.msg, "write outside a mapping"),
		      "%s", err.msg);
	ks_scenario_fini(&sc);
	unlink(path);
	free(m);
}
END_TEST

Suite *ks_test_suite(void);

Suite *ks_test_suite(void)
{
	Suite *s = suite_create("engine");
	TCase *core = tcase_create("core");
	TCase *edges = tcase_create("edges");
	TCase *errors = tcase_create("errors");

	tcase_add_test(core, test_engine_order);
	tcase_add_test(core, test_engine_stop_and_interrupt);
	tcase_add_test(core, test_world_batch_timing);
	tcase_add_test(core, test_world_interval_sampling);
	tcase_add_test(core, test_world_t90);
	tcase_add_test(edges, test_world_stop_when_stable);
	tcase_add_test(edges, test_world_interrupted);
	tcase_add_test(errors, test_world_bad_trace_record);
	suite_add_tcase(s, core);
	suite_add_tcase(s, edges);
	suite_add_tcase(s, errors);
	return s;
}
