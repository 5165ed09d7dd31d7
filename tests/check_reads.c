/* check_reads.c - the read cost model (models/reads.h): which reads are cache synonyms
 * for each backing, the price of a page with and without one, the zero page of an address,
 * and the backing the KSM model reports for a page (ks_ksm_backing) without changing it. */
#include <stdint.h>
#include <string.h>

#include <check.h>

#include "models/base/status.h"
#include "models/ksm.h"
#include "models/reads.h"
#include "models/vocab/content.h"

#define PG 4096ULL
#define BASE 0x10000000000ULL

/* s390-like: 256-byte lines, 128 cache colours; round numbers to check prices by. */
static const struct ks_read_costs s390ish = { .byte_ns = 0.25, .line_bytes = 256,
					      .cache_colours = 128, .synonym_ns = 2.0 };

/* ---- core: synonyms by backing ------------------------------------------------------- */

START_TEST(test_reads_private_never_pays)
{
	struct ks_reader *r = ks_reader_new(&s390ish, 128);

	for (uint64_t i = 0; i < 1000; i++)
		ck_assert_uint_eq(ks_reader_read(r, KS_RF_PRIVATE, 0, BASE + i * PG), 1024);
	ck_assert_uint_eq(ks_reader_totals(r)->synonym_pages, 0);
	ck_assert_uint_eq(ks_reader_totals(r)->by_frame[KS_RF_PRIVATE], 1000);
	ck_assert_uint_eq(ks_reader_totals(r)->ns, 1024000);
	ks_reader_free(r);
}
END_TEST

/* One KSM page mapped at consecutive addresses: every read after the first is under
 * another colour; the same address again is not. 16 lines x 2 ns = 32 ns extra. */
START_TEST(test_reads_ksm_page_synonyms)
{
	struct ks_reader *r = ks_reader_new(&s390ish, 128);

	ck_assert_uint_eq(ks_reader_read(r, KS_RF_KSM, 7, BASE), 1024);
	ck_assert_uint_eq(ks_reader_read(r, KS_RF_KSM, 7, BASE), 1024);
	ck_assert_uint_eq(ks_reader_read(r, KS_RF_KSM, 7, BASE + PG), 1024 + 32);
	ck_assert_uint_eq(ks_reader_read(r, KS_RF_KSM, 8, BASE + 2 * PG), 1024);
	/* 128 pages on: the same colour as BASE + PG */
	ck_assert_uint_eq(ks_reader_read(r, KS_RF_KSM, 7, BASE + 129 * PG), 1024);
	ck_assert_uint_eq(ks_reader_totals(r)->synonym_pages, 1);
	ks_reader_free(r);
}
END_TEST

/* A sequential sweep over empty pages: with 128 zero pages none is a synonym; with fewer
 * zero pages than cache colours (1 or 4) every read but the first of each is. */
START_TEST(test_reads_zero_colours)
{
	static const unsigned colours[] = { 1, 4, 128 };
	uint64_t want[] = { 4095, 4092, 0 };

	for (unsigned c = 0; c < 3; c++) {
		struct ks_reader *r = ks_reader_new(&s390ish, colours[c]);

		for (uint64_t i = 0; i < 4096; i++)
			ks_reader_read(r, KS_RF_ZERO, 0, BASE + i * PG);
		ck_assert_uint_eq(ks_reader_totals(r)->synonym_pages, want[c]);
		ck_assert_uint_eq(ks_reader_totals(r)->ns, 4096 * 1024 + want[c] * 32);
		ks_reader_free(r);
	}
}
END_TEST

/* No cache colours (x86, arm64): nothing is ever a synonym, whatever backs the page. */
START_TEST(test_reads_no_cache_colours)
{
	struct ks_read_costs c = s390ish;
	struct ks_reader *r;

	c.cache_colours = 1;
	r = ks_reader_new(&c, 1);
	for (uint64_t i = 0; i < 512; i++) {
		ks_reader_read(r, KS_RF_ZERO, 0, BASE + i * PG);
		ks_reader_read(r, KS_RF_KSM, 1, BASE + i * PG);
	}
	ck_assert_uint_eq(ks_reader_totals(r)->synonym_pages, 0);
	ck_assert_uint_eq(ks_reader_totals(r)->pages, 1024);
	ks_reader_free(r);
}
END_TEST

/* Many frames: the table grows and keeps every frame's colour. */
START_TEST(test_reads_many_frames)
{
	struct ks_reader *r = ks_reader_new(&s390ish, 128);

	for (uint64_t f = 1; f <= 5000; f++)
		ks_reader_read(r, KS_RF_KSM, f, BASE + f * PG);
	for (uint64_t f = 1; f <= 5000; f++)
		ks_reader_read(r, KS_RF_KSM, f, BASE + (f + 128) * PG);
	ck_assert_uint_eq(ks_reader_totals(r)->synonym_pages, 0);
	for (uint64_t f = 1; f <= 5000; f++)
		ks_reader_read(r, KS_RF_KSM, f, BASE + (f + 1) * PG);
	ck_assert_uint_eq(ks_reader_totals(r)->synonym_pages, 5000);
	ks_reader_free(r);
}
END_TEST

START_TEST(test_reads_zero_page_of)
{
	/* ZERO_PAGE(vaddr) = empty_zero_page + (vaddr & zero_page_mask) */
	ck_assert_uint_eq(ks_zero_page_colour(0x1234567000ULL, 128), (0x1234567ULL) & 127);
	ck_assert_uint_eq(ks_zero_page_colour(0x1234567fffULL, 128), (0x1234567ULL) & 127);
	ck_assert_uint_eq(ks_zero_page_colour(0x1234567000ULL, 1), 0);
	ck_assert_uint_eq(ks_zero_page_colour(0x3000ULL, 8), 3);
}
END_TEST

/* ---- core: what backs a page in the KSM model ----------------------------------------- */

START_TEST(test_reads_backing)
{
	struct ks_ksm_params p;
	struct ks_content_store *cs = ks_content_store_new();
	struct ks_ksm *ksm;
	struct ks_ksm_stats before, after;
	struct ks_backing b;
	struct ks_work w = { 0 };

	ks_ksm_params_default(&p);
	p.run = 1;
	p.use_zero_pages = false;
	ksm = ks_ksm_new(&p, cs);
	ck_assert_int_eq(ks_ksm_proc_start(ksm, 1), 0);
	ck_assert_int_eq(ks_ksm_mmap(ksm, 1, BASE, 8), 0);
	for (uint64_t i = 0; i < 4; i++)
		ck_assert_int_eq(ks_ksm_write(ksm, 1, BASE + i * PG, KS_CONTENT_ZERO_PAGE), 0);
	ck_assert_int_eq(ks_ksm_madvise(ksm, 1, BASE, 8, true), 0);
	ck_assert_int_eq(ks_ksm_backing(ksm, 1, BASE, &b), 0);
	ck_assert_int_eq(b.kind, KS_BACK_PRIVATE);
	ck_assert_int_eq(ks_ksm_backing(ksm, 1, BASE + 5 * PG, &b), 0);
	ck_assert_int_eq(b.kind, KS_BACK_NONE);
	ck_assert_int_eq(ks_ksm_backing(ksm, 1, BASE + 8 * PG, &b), KS_ENOENT);
	ck_assert_int_eq(ks_ksm_backing(ksm, 2, BASE, &b), KS_ENOENT);
	for (int i = 0; i < 10; i++)
		ks_ksm_scan_batch(ksm, (ks_time)i * 20000000, &w);
	ks_ksm_stats(ksm, &before);
	ck_assert_uint_eq(before.pages_sharing, 3);
	ck_assert_int_eq(ks_ksm_backing(ksm, 1, BASE + 3 * PG, &b), 0);
	ck_assert_int_eq(b.kind, KS_BACK_KSM);
	ck_assert_uint_ge(b.frame, 1);
	ks_ksm_stats(ksm, &after);
	ck_assert_int_eq(memcmp(&before, &after, sizeof(before)), 0);
	ck_assert_int_eq(ks_ksm_check(ksm), 0);
	ks_ksm_free(ksm);
	ks_content_store_free(cs);
}
END_TEST

/* ---- edges: the arch's zero page counts ------------------------------------------------ */

START_TEST(test_reads_arch_colours)
{
	struct ks_arch_reads a;
	char buf[64];

	ks_arch_reads_init(&a);
	ck_assert(ks_arch_reads_has_colours(&a, 1));
	ck_assert(!ks_arch_reads_has_colours(&a, 128));
	ck_assert_str_eq(ks_arch_reads_colours_str(&a, buf, sizeof(buf)), "1");
	a.zero.n = 6;
	for (unsigned i = 0; i < 6; i++)
		a.zero.counts[i] = 4u << i;
	ck_assert(ks_arch_reads_has_colours(&a, 128));
	ck_assert(!ks_arch_reads_has_colours(&a, 2));
	ck_assert_str_eq(ks_arch_reads_colours_str(&a, buf, sizeof(buf)),
			 "4, 8, 16, 32, 64, 128");
	ck_assert_str_eq(ks_arch_reads_colours_str(&a, buf, 6), "4, 8");
	/* no RAM rule: the default whatever the RAM */
	a.zero.dflt = 128;
	ck_assert_uint_eq(ks_arch_reads_colours_for_ram(&a, 4096), 128);
	/* s390's setup_zero_pages(): order 7, lowered while order > 2 and
	 * (totalram_pages >> 10) < (1 << order) */
	a.zero.ram_pages_each = 1024;
	ck_assert_uint_eq(ks_arch_reads_colours_for_ram(&a, 0), 128);          /* unknown */
	ck_assert_uint_eq(ks_arch_reads_colours_for_ram(&a, 2u << 20), 128);   /* 8 GiB */
	ck_assert_uint_eq(ks_arch_reads_colours_for_ram(&a, 131072), 128);     /* 512 MiB */
	ck_assert_uint_eq(ks_arch_reads_colours_for_ram(&a, 131071), 64);
	ck_assert_uint_eq(ks_arch_reads_colours_for_ram(&a, 65536), 64);       /* 256 MiB */
	ck_assert_uint_eq(ks_arch_reads_colours_for_ram(&a, 65535), 32);
	ck_assert_uint_eq(ks_arch_reads_colours_for_ram(&a, 8192), 8);         /* 32 MiB */
	ck_assert_uint_eq(ks_arch_reads_colours_for_ram(&a, 4096), 4);
	ck_assert_uint_eq(ks_arch_reads_colours_for_ram(&a, 100), 4);          /* at least 4 */
	/* never above the default (the order the kernel starts from) */
	a.zero.dflt = 32;
	ck_assert_uint_eq(ks_arch_reads_colours_for_ram(&a, 2u << 20), 32);
}
END_TEST

/* Per-process totals are differences of the reader's totals; the variant of a run from
 * the use_zero_pages values its ksmd batches ran with. */
START_TEST(test_reads_totals_since_and_variant)
{
	struct ks_reader *r = ks_reader_new(&s390ish, 1);
	struct ks_read_totals before, acc = { 0 };

	ks_reader_read(r, KS_RF_ZERO, 0, BASE);
	before = *ks_reader_totals(r);
	ks_reader_read(r, KS_RF_ZERO, 0, BASE + PG);      /* zero page 0 under colour 1 */
	ks_reader_read(r, KS_RF_PRIVATE, 0, BASE + 2 * PG);
	ks_read_totals_add_since(&acc, ks_reader_totals(r), &before);
	ks_read_totals_add_since(&acc, ks_reader_totals(r), &before);
	ck_assert_uint_eq(acc.pages, 4);
	ck_assert_uint_eq(acc.by_frame[KS_RF_ZERO], 2);
	ck_assert_uint_eq(acc.by_frame[KS_RF_PRIVATE], 2);
	ck_assert_uint_eq(acc.synonym_pages, 2);
	ck_assert_uint_eq(acc.ns, 2 * (1024 + 32 + 1024));
	ks_reader_free(r);

	ck_assert_int_eq(ks_read_variant_of(false, false), KS_RV_NO_KSM);
	ck_assert_int_eq(ks_read_variant_of(true, false), KS_RV_MERGE);
	ck_assert_int_eq(ks_read_variant_of(false, true), KS_RV_ZERO_PAGES);
	ck_assert_int_eq(ks_read_variant_of(true, true), KS_RV_MIXED);
	ck_assert_str_eq(ks_read_variant_name(KS_RV_NO_KSM), "no-ksm");
	ck_assert_str_eq(ks_read_variant_name(KS_RV_MERGE), "ksm-merge");
	ck_assert_str_eq(ks_read_variant_name(KS_RV_ZERO_PAGES), "ksm-zero-pages");
	ck_assert_str_eq(ks_read_variant_name(KS_RV_MIXED), "mixed");
	ck_assert_str_eq(ks_read_variant_name(KS_RV_COUNT), "?");
}
END_TEST

Suite *ks_test_suite(void); /* called by check_main.c */

Suite *ks_test_suite(void)
{
	Suite *s = suite_create("reads");
	TCase *core = tcase_create("core");
	TCase *edges = tcase_create("edges");

	tcase_add_test(core, test_reads_private_never_pays);
	tcase_add_test(core, test_reads_ksm_page_synonyms);
	tcase_add_test(core, test_reads_zero_colours);
	tcase_add_test(core, test_reads_no_cache_colours);
	tcase_add_test(core, test_reads_many_frames);
	tcase_add_test(core, test_reads_zero_page_of);
	tcase_add_test(core, test_reads_backing);
	tcase_add_test(core, test_reads_totals_since_and_variant);
	tcase_add_test(edges, test_reads_arch_colours);
	suite_add_tcase(s, core);
	suite_add_tcase(s, edges);
	return s;
}
