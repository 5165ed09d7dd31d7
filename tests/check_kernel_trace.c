/* check_kernel_trace.c - the kernel trace format (traces/kernel_trace.h): tracepoint
 * text parsing (tracefs and trace-cmd forms), write/read round trip, event-to-batch
 * assignment, foreign import, merged pages from events + PFN map, and located errors. */
#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "traces/kernel_trace.h"

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

/* The task (comm-PID) before the cpu field: how the recorder tells its own processes'
 * ksm_enter from another process's. */
START_TEST(test_kernel_trace_line_task)
{
	char comm[64];

	ck_assert_int_eq(ks_kt_line_pid("sim-1373    [000] .N... 64576.573428: ksm_enter: mm "
					"ffff8881231d0c80", comm, sizeof(comm)), 1373);
	ck_assert_str_eq(comm, "sim");
	ck_assert_int_eq(ks_kt_line_pid("      rec_target-1379    [000] ..... 1.0: ksm_enter: "
					"mm 1", comm, sizeof(comm)), 1379);
	ck_assert_str_eq(comm, "rec_target");
	/* a comm may hold '-', ' ' and '[' */
	ck_assert_int_eq(ks_kt_line_pid("my-x [y]-42 [001] ..... 2.0: ksm_enter: mm 2", comm,
					sizeof(comm)), 42);
	ck_assert_str_eq(comm, "my-x [y]");
	ck_assert_int_eq(ks_kt_line_pid("<...>-99 [000] ..... 2.0: ksm_exit: mm 2", comm, 4), 99);
	ck_assert_str_eq(comm, "<..");
	ck_assert_int_eq(ks_kt_line_pid("            ksmd-37    [001]  2.250000: ksm_enter: mm 1",
					NULL, 0), 37);
	ck_assert_int_eq(ks_kt_line_pid("# tracer: nop", comm, sizeof(comm)), -1);
	ck_assert_int_eq(ks_kt_line_pid("ksmd [001] ..... 1.0: ksm_enter: mm 1", comm,
					sizeof(comm)), -1);
	ck_assert_int_eq(ks_kt_line_pid("ksmd-37 [x] ..... 1.0: ksm_enter: mm 1", comm,
					sizeof(comm)), -1);
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

/* A two-process trace of two batches (batch k ends at 1.k*2 s) for the merged pages:
 * pid 1 (mm a1) pages 0x1000.. at PFNs 100..103, pid 2 (mm a2) 0x1000.. at 200..202. */
static struct ks_ktrace *merge_trace(void)
{
	static const struct { uint64_t batch; char phase; uint32_t pid; uint64_t va, pfn; }
	rows[] = {
		{ 0, 's', 1, 0x1000, 100 }, { 0, 's', 1, 0x2000, 101 },
		{ 0, 's', 1, 0x3000, 102 }, { 0, 's', 1, 0x4000, 103 },
		{ 0, 's', 2, 0x1000, 200 }, { 0, 's', 2, 0x2000, 201 },
		{ 0, 's', 2, 0x3000, 202 },
		/* written in the sleep after batch 1 (listed first: replay order is by phase) */
		{ 1, 'w', 1, 0x2000, 600 },
		/* batch 1: two merges into KSM page 100, a zero-page merge, a COW break */
		{ 1, 'b', 2, 0x1000, 100 }, { 1, 'b', 1, 0x2000, 100 },
		{ 1, 'b', 2, 0x2000, 7 }, { 1, 'b', 1, 0x3000, 555 },
		/* batch 2: a promoted page that moved; pid 1's page gets PFN 600 with no
		 * "ksm pfn 600" event of pid 1; pid 2's merge into 600 */
		{ 2, 'b', 1, 0x4000, 700 }, { 2, 'b', 1, 0x3000, 600 },
		{ 2, 'b', 2, 0x3000, 600 },
	};
	static const char *const ev[] = {
		"1.1000: ksm_merge_with_ksm_page: pfn 100 rmap_item 1 mm a1 error 0",
		"1.1001: ksm_merge_with_ksm_page: ksm pfn 100 rmap_item 2 mm a2 error 0",
		"1.1002: ksm_merge_with_ksm_page: ksm pfn 100 rmap_item 3 mm a1 error 0",
		"1.1003: ksm_merge_with_ksm_page: ksm pfn 100 rmap_item 4 mm a1 error -14",
		"1.1004: ksm_merge_one_page: pfn 7 rmap_item 5 mm a2 error 0",
		"1.3000: ksm_merge_with_ksm_page: pfn 600 rmap_item 3 mm a1 error 0",
		"1.3001: ksm_merge_with_ksm_page: ksm pfn 600 rmap_item 6 mm a2 error 0",
		"1.3002: ksm_merge_with_ksm_page: pfn 700 rmap_item 7 mm a1 error 0",
		"1.3003: ksm_merge_with_ksm_page: ksm pfn 600 rmap_item 8 mm a2 error 0",
	};
	struct ks_ktrace *kt = ks_ktrace_new();
	char line[160];

	for (int i = 0; i < 3; i++)
		ks_ktrace_add_batch(kt, &(struct ks_kt_batch){ .batch = (uint64_t)i,
				    .t_end_ns = 1000000000LL + 200000000LL * i });
	ks_ktrace_add_mm(kt, &(struct ks_kt_mm){ .pid = 1, .mm = 0xa1 });
	ks_ktrace_add_mm(kt, &(struct ks_kt_mm){ .pid = 2, .mm = 0xa2 });
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		ks_ktrace_add_pfn(kt, &(struct ks_kt_pfn){ rows[i].batch, rows[i].phase,
				  rows[i].pid, rows[i].va, rows[i].pfn });
	for (size_t i = 0; i < sizeof(ev) / sizeof(ev[0]); i++) {
		snprintf(line, sizeof(line), "ksmd-37 [001] ..... %s", ev[i]);
		ck_assert_int_eq(ks_ktrace_add_event_line(kt, line), 1);
	}
	return kt;
}

static bool has_merged(const struct ks_kt_merged *m, size_t n, uint64_t batch, uint32_t pid,
		       uint64_t vaddr, enum ks_kt_merge_kind kind)
{
	for (size_t i = 0; i < n; i++)
		if (m[i].batch == batch && m[i].pid == pid && m[i].vaddr == vaddr &&
		    m[i].kind == kind)
			return true;
	return false;
}

START_TEST(test_kernel_trace_merged_pages_resolved)
{
	struct ks_ktrace *kt = merge_trace();
	struct ks_kt_merged *m = NULL;
	size_t n;

	ck_assert(ks_ktrace_has_merged_pages(kt));
	n = ks_ktrace_merged_pages(kt, &m);
	ck_assert_uint_eq(n, 8);
	/* sorted by batch, pid, vaddr */
	for (size_t i = 1; i < n; i++)
		ck_assert_int_lt(ks_kt_merged_cmp(&m[i - 1], &m[i]), 0);
	/* batch 1: the unstable merge (promoted page keeps PFN 100, the tree page moves to
	 * it), a stable merge, a zero-page merge */
	ck_assert(has_merged(m, n, 1, 1, 0x1000, KS_KT_MERGE_NEW_KSM));
	ck_assert(has_merged(m, n, 1, 2, 0x1000, KS_KT_MERGE_INTO_KSM));
	ck_assert(has_merged(m, n, 1, 1, 0x2000, KS_KT_MERGE_INTO_KSM));
	ck_assert(has_merged(m, n, 1, 2, 0x2000, KS_KT_MERGE_INTO_ZERO));
	ck_assert_uint_eq(m[3].pfn, 7);
	/* batch 2: promoted at the PFN the sleep's write gave it; promoted at the PFN it
	 * got during the batch; merged into 600 */
	ck_assert(has_merged(m, n, 2, 1, 0x2000, KS_KT_MERGE_NEW_KSM));
	ck_assert(has_merged(m, n, 2, 1, 0x4000, KS_KT_MERGE_NEW_KSM));
	ck_assert(has_merged(m, n, 2, 2, 0x3000, KS_KT_MERGE_INTO_KSM));
	free(m);
	ks_ktrace_free(kt);
}
END_TEST

START_TEST(test_kernel_trace_merged_pages_not_merges)
{
	struct ks_ktrace *kt = merge_trace();
	struct ks_kt_merged *m = NULL;
	size_t n = ks_ktrace_merged_pages(kt, &m);

	/* PFN changes no successful event of the page's process explains: the COW break
	 * (1:0x3000 in batch 1), the write in the sleep (1:0x2000 -> 600), pid 1's page
	 * taking PFN 600 while only pid 2 merged into it */
	ck_assert(!has_merged(m, n, 1, 1, 0x3000, KS_KT_MERGE_INTO_KSM));
	ck_assert(!has_merged(m, n, 2, 1, 0x3000, KS_KT_MERGE_INTO_KSM));
	ck_assert(!has_merged(m, n, 2, 1, 0x3000, KS_KT_MERGE_NEW_KSM));
	/* the second "ksm pfn 600" of pid 2 has no page: reported as such */
	ck_assert(has_merged(m, n, 2, 2, KS_KT_NO_PAGE, KS_KT_MERGE_INTO_KSM));
	ck_assert_uint_eq(m[n - 1].pfn, 600);
	free(m);
	/* without a PFN map there is nothing to resolve against */
	free(kt->pfns);
	kt->pfns = NULL;
	kt->npfns = 0;
	ck_assert(!ks_ktrace_has_merged_pages(kt));
	ks_ktrace_free(kt);
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
	tcase_add_test(core, test_kernel_trace_line_task);
	tcase_add_test(core, test_kernel_trace_round_trip_and_batches);
	tcase_add_test(core, test_kernel_trace_merged_pages_resolved);
	tcase_add_test(edges, test_kernel_trace_merged_pages_not_merges);
	tcase_add_test(edges, test_kernel_trace_parse_trace_cmd_and_others);
	tcase_add_test(edges, test_kernel_trace_foreign_import_deltas);
	tcase_add_test(errors, test_kernel_trace_errors_located);
	suite_add_tcase(s, core);
	suite_add_tcase(s, edges);
	suite_add_tcase(s, errors);
	return s;
}
