/* check_kernel_trace.c - the kernel trace format (traces/kernel_trace.h): tracepoint
 * text parsing (tracefs and trace-cmd forms), write/read round trip, event-to-batch
 * assignment, foreign import, and located errors. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kernel_trace.h"

static char tmpdir[256];

static void mk_tmp(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/check_kt.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void rm_tmp(void)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

static void put(const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

START_TEST(test_kernel_trace_parse_tracefs_lines)
{
	struct ks_kt_event ev;

	ck_assert_int_eq(ks_kt_parse_event("ksmd-37 [001] ..... 1359.956100: "
		"ksm_merge_with_ksm_page: ksm pfn 1234 rmap_item ffff888100aa0000 mm "
		"ffff8881044a8640 error 0", &ev), 1);
	ck_assert_int_eq(ev.type, KS_KT_EV_MERGE_WITH_KSM_PAGE);
	ck_assert_int_eq(ev.ksm_page, 1);
	ck_assert_uint_eq(ev.pfn, 1234);
	ck_assert_uint_eq(ev.mm, 0xffff8881044a8640ULL);
	ck_assert_uint_eq(ev.rmap_item, 0xffff888100aa0000ULL);
	ck_assert_int_eq(ev.t_ns, 1359956100000LL);
	ck_assert_int_eq(ks_kt_parse_event("ksmd-37 [001] ..... 5.000001: "
		"ksm_merge_with_ksm_page: pfn 99 rmap_item 0x10 mm 0x20 error -14", &ev), 1);
	ck_assert_int_eq(ev.ksm_page, 0);
	ck_assert_int_eq(ev.err, -14);
	ck_assert_uint_eq(ev.mm, 0x20);
	ck_assert_int_eq(ks_kt_parse_event("ksmd-37 [000] ..... 1.5: ksm_stop_scan: seq 3 "
		"rmap size 128", &ev), 1);
	ck_assert_int_eq(ev.type, KS_KT_EV_STOP_SCAN);
	ck_assert_int_eq(ev.a, 3);
	ck_assert_int_eq(ev.b, 128);
	ck_assert_int_eq(ks_kt_parse_event("ksmd-37 [001] ..... 1426.300012: ksm_advisor: "
		"ksm scan time 2 pages_to_scan 128 cpu percent 7", &ev), 1);
	ck_assert_int_eq(ev.a, 2);
	ck_assert_int_eq(ev.b, 128);
	ck_assert_int_eq(ev.c, 7);
}
END_TEST

START_TEST(test_kernel_trace_parse_trace_cmd_and_others)
{
	struct ks_kt_event ev;

	/* trace-cmd report: no flags column */
	ck_assert_int_eq(ks_kt_parse_event("            ksmd-37    [001]  2.250000: "
		"ksm_merge_one_page: ksm pfn 4096 rmap_item ffff1 mm ffff2 error 0", &ev), 1);
	ck_assert_int_eq(ev.type, KS_KT_EV_MERGE_ONE_PAGE);
	ck_assert_uint_eq(ev.pfn, 4096);
	ck_assert_int_eq(ev.t_ns, 2250000000LL);
	ck_assert_int_eq(ks_kt_parse_event("sim-1 [000] .N... 9.0: ksm_enter: mm ffff8881", &ev),
			 1);
	ck_assert_int_eq(ev.type, KS_KT_EV_ENTER);
	ck_assert_uint_eq(ev.mm, 0xffff8881ULL);
	/* not ksm events */
	ck_assert_int_eq(ks_kt_parse_event("ksmd-37 [000] d.... 1.0: sched_switch: "
		"prev_comm=ksmd prev_pid=37", &ev), 0);
	ck_assert_int_eq(ks_kt_parse_event("# tracer: nop", &ev), 0);
}
END_TEST

START_TEST(test_kernel_trace_round_trip_and_batches)
{
	struct ks_ktrace *kt = ks_ktrace_new(), *back = NULL;
	struct ks_kt_batch b = { 0 };
	struct ks_err err = { 0 };

	mk_tmp();
	ks_ktrace_meta_set(kt, "kernel", "6.18.0");
	ks_ktrace_meta_set(kt, "workload", "static");
	kt->scenario_text = strdup("name: x\n");
	for (int i = 0; i < 3; i++) {
		b.batch = (uint64_t)i;
		b.t_end_ns = 1000 * (i + 1);
		b.c[KS_KT_PAGES_SHARING] = 10 * i;
		b.c[KS_KT_GENERAL_PROFIT] = -64 * i;
		ks_ktrace_add_batch(kt, &b);
	}
	ks_ktrace_add_mm(kt, &(struct ks_kt_mm){ .pid = 2, .mm = 0xabc, .name = "g/1" });
	ck_assert_int_eq(ks_ktrace_add_event_line(kt, "ksmd-1 [0] ..... 0.0000015: "
		"ksm_merge_with_ksm_page: pfn 7 rmap_item 1 mm abc error 0"), 1);
	ck_assert_int_eq(ks_ktrace_write(kt, tmpdir, &err), 0);
	ck_assert_int_eq(ks_ktrace_read(tmpdir, &back, &err), 0);
	ck_assert(!back->foreign);
	ck_assert_uint_eq(back->nbatches, 3);
	ck_assert_int_eq(back->batches[2].c[KS_KT_PAGES_SHARING], 20);
	ck_assert_int_eq(back->batches[2].c[KS_KT_GENERAL_PROFIT], -128);
	ck_assert_str_eq(ks_ktrace_meta(back, "kernel"), "6.18.0");
	ck_assert_uint_eq(back->nevents, 1);
	/* t = 1500 ns: after batch 0 (1000) and batch 1 (2000)'s end? -> batch 1 */
	ck_assert_uint_eq(ks_ktrace_event_batch(back, &back->events[0]), 1);
	ck_assert_uint_eq(ks_ktrace_mm_pid(back, 0xabc), 2);
	ck_assert_uint_eq(ks_ktrace_mm_pid(back, 0xdef), 0);
	ks_ktrace_free(kt);
	ks_ktrace_free(back);
	rm_tmp();
}
END_TEST

START_TEST(test_kernel_trace_foreign_import_deltas)
{
	struct ks_ktrace *kt = NULL;
	struct ks_err err = { 0 };

	mk_tmp();
	put("scenario.yaml", "name: y\n");
	put("counters.csv", "pages_shared,pages_sharing,pages_unshared,pages_volatile,"
	    "full_scans,pages_scanned,t_ns\n0,0,0,0,0,500,10\n1,3,0,0,1,600,20\n");
	put("trace.txt", "# tracer: nop\n ksmd-37 [001] ..... 0.000000015: ksm_enter: mm ff\n");
	ck_assert_int_eq(ks_ktrace_read(tmpdir, &kt, &err), 0);
	ck_assert(kt->foreign);
	ck_assert_uint_eq(kt->nbatches, 2);
	ck_assert_int_eq(kt->batches[1].c[KS_KT_PAGES_SCANNED], 100);
	ck_assert_int_eq(kt->batches[1].c[KS_KT_STABLE_NODE_DUPS], KS_KT_NONE);
	ck_assert_str_eq(ks_ktrace_meta(kt, "workload"), "static");
	ck_assert_uint_eq(ks_ktrace_mm_pid(kt, 0xff), 1);
	ks_ktrace_free(kt);
	rm_tmp();
}
END_TEST

START_TEST(test_kernel_trace_errors_located)
{
	struct ks_ktrace *kt = NULL;
	struct ks_err err = { 0 };

	ck_assert_int_eq(ks_ktrace_read("/nonexistent/kt", &kt, &err), KS_ENOENT);
	ck_assert_ptr_null(kt);
	mk_tmp();
	put("scenario.yaml", "name: y\n");
	put("counters.csv", "pages_shared,pages_sharing,pages_unshared,pages_volatile,"
	    "full_scans,pages_scanned\n0,0,0,0,0,0\n1,2\n");
	ck_assert_int_eq(ks_ktrace_read(tmpdir, &kt, &err), KS_EPARSE);
	ck_assert_ptr_nonnull(strstr(err.msg, "counters.csv:3: 2 fields, the header has 6"));
	put("counters.csv", "pages_shared,pages_sharing,pages_unshared,full_scans,"
	    "pages_scanned\n0,0,0,0,0\n");
	ck_assert_int_eq(ks_ktrace_read(tmpdir, &kt, &err), KS_EPARSE);
	ck_assert_ptr_nonnull(strstr(err.msg, "counters.csv:1: missing column 'pages_volatile'"));
	put("counters.csv", "pages_shared,pages_sharing,pages_unshared,pages_volatile,"
	    "full_scans,pages_scanned\n0,0,0,x,0,0\n");
	ck_assert_int_eq(ks_ktrace_read(tmpdir, &kt, &err), KS_EPARSE);
	ck_assert_ptr_nonnull(strstr(err.msg, "counters.csv:2: column 'pages_volatile'"));
	rm_tmp();
}
END_TEST

Suite *ks_test_suite(void);

Suite *ks_test_suite(void)
{
	Suite *s = suite_create("kernel_trace");
	TCase *core = tcase_create("core"), *edges = tcase_create("edges"),
	      *errors = tcase_create("errors");

	tcase_add_test(core, test_kernel_trace_parse_tracefs_lines);
	tcase_add_test(core, test_kernel_trace_round_trip_and_batches);
	tcase_add_test(edges, test_kernel_trace_parse_trace_cmd_and_others);
	tcase_add_test(edges, test_kernel_trace_foreign_import_deltas);
	tcase_add_test(errors, test_kernel_trace_errors_located);
	suite_add_tcase(s, core);
	suite_add_tcase(s, edges);
	suite_add_tcase(s, errors);
	return s;
}
