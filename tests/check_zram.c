/* check_zram.c - zram's compressors and the zram model: the own lzo1x-1 against
 * liblzo2 byte for byte (bitstream 0) and through liblzo2's decompressor, lzo-rle's
 * zero-run instruction, lz4 and zstd lengths equal to direct library calls, and the
 * mm_stat accounting of same-filled, huge and ordinary pages through store and free. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <lz4.h>
#include <lzo/lzo1x.h>
#include <zstd.h>

#include "models/base/status.h"
#include "models/compress.h"
#include "models/zram.h"

#define PG 4096

static uint64_t rng = 88172645463325252ull;

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* A page of 64-byte chunks: fresh bytes (random, or from a 16-letter alphabet), a copy
 * of an earlier chunk, or zeros, with about q tenths of the chunks redundant. */
static void make_page(uint8_t *p, unsigned q, bool text)
{
	for (unsigned c = 0; c < PG / 64; c++) {
		uint8_t *d = p + c * 64;

		if (c && next_rand() % 10 < q) {
			if (next_rand() % 3 == 0)
				memset(d, 0, 64);
			else
				memcpy(d, p + (next_rand() % c) * 64, 64);
			continue;
		}
		for (unsigned i = 0; i < 64; i++)
			d[i] = text ? (uint8_t)('a' + next_rand() % 16) : (uint8_t)next_rand();
	}
}

START_TEST(test_lzo_v0_equals_liblzo2)
{
	static uint8_t pg[PG], a[2 * PG], b[2 * PG], back[PG];
	static unsigned char wrk[LZO1X_1_15_MEM_COMPRESS], own[KS_LZO_WRKMEM];

	ck_assert_int_eq(lzo_init(), LZO_E_OK);
	for (unsigned i = 0; i < 600; i++) {
		lzo_uint lb, lback = PG;
		size_t la;

		make_page(pg, i % 11, i & 1);
		la = ks_lzo1x_1_compress(pg, PG, a, own, 0);
		ck_assert_int_eq(lzo1x_1_15_compress(pg, PG, b, &lb, wrk), LZO_E_OK);
		ck_assert_uint_eq(la, lb);
		ck_assert_int_eq(memcmp(a, b, la), 0);
		ck_assert_int_eq(lzo1x_decompress_safe(a, la, back, &lback, NULL), LZO_E_OK);
		ck_assert_uint_eq(lback, PG);
		ck_assert_int_eq(memcmp(back, pg, PG), 0);
	}
}
END_TEST

START_TEST(test_lzo_rle_zero_runs)
{
	static uint8_t pg[PG], out[2 * PG];
	static unsigned char own[KS_LZO_WRKMEM];
	size_t n;

	/* All zero: header 17 1, then zero runs of at most 2051 bytes (4 bytes each), the
	 * 16-byte tail as literals, and the 3-byte end marker. */
	memset(pg, 0, PG);
	n = ks_lzo1x_1_compress(pg, PG, out, own, 1);
	ck_assert_uint_eq(out[0], 17);
	ck_assert_uint_eq(out[1], 1);
	ck_assert_uint_le(n, 48);
	ck_assert_uint_eq(out[n - 3], 17);
	/* Without runs (bitstream 0) the same page needs more, and a random page gives the
	 * same length under both (no 4 zero bytes in a row to find: only the header). */
	ck_assert_uint_gt(ks_lzo1x_1_compress(pg, PG, out, own, 0), n);
	for (unsigned i = 0; i < PG; i++)
		pg[i] = (uint8_t)(1 + next_rand() % 255);
	ck_assert_uint_eq(ks_lzo1x_1_compress(pg, PG, out, own, 1),
			  ks_lzo1x_1_compress(pg, PG, out, own, 0) + 2);
}
END_TEST

START_TEST(test_lib_lengths)
{
	static uint8_t pg[PG], out[3 * PG];
	struct ks_comp *l4 = ks_comp_new(KS_COMP_LZ4), *zs = ks_comp_new(KS_COMP_ZSTD);

	for (unsigned i = 0; i < 200; i++) {
		make_page(pg, i % 11, i & 2);
		ck_assert_uint_eq(ks_comp_page_len(l4, pg),
				  (size_t)LZ4_compress_default((const char *)pg, (char *)out, PG,
							       (int)sizeof(out)));
		ck_assert_uint_eq(ks_comp_page_len(zs, pg),
				  ZSTD_compress(out, sizeof(out), pg, PG, 3));
	}
	ks_comp_free(l4);
	ks_comp_free(zs);
	ck_assert_int_eq(ks_comp_from_name("lzo-rle"), KS_COMP_LZO_RLE);
	ck_assert_int_eq(ks_comp_from_name("zstd"), KS_COMP_ZSTD);
	ck_assert_int_eq(ks_comp_from_name("deflate"), -1);
}
END_TEST

START_TEST(test_zram_accounting)
{
	static uint8_t pg[PG];
	struct ks_zram *z = ks_zram_new(KS_COMP_LZO_RLE, 8);
	struct ks_zram_stats st;
	uint64_t same, huge, small, w;
	int64_t small_len;

	ck_assert_ptr_nonnull(z);
	ck_assert_ptr_null(ks_zram_new(KS_COMP_LZ4, 0));
	ck_assert_uint_eq(ks_zram_huge_class_size(z), 3625);
	memset(pg, 0xab, PG);
	ck_assert(ks_zram_same_filled(pg, &w));
	same = ks_zram_store(z, pg);
	for (unsigned i = 0; i < PG; i++)
		pg[i] = (uint8_t)next_rand();
	ck_assert(!ks_zram_same_filled(pg, &w));
	huge = ks_zram_store(z, pg);
	make_page(pg, 8, true);
	small = ks_zram_store(z, pg);
	small_len = ks_zram_slot_bytes(z, small);
	ck_assert_int_gt(small_len, 0);
	ck_assert_int_lt(small_len, 3625);
	ks_zram_stats(z, &st);
	ck_assert_uint_eq(st.orig_data_size, 3 * PG);
	ck_assert_uint_eq(st.same_pages, 1);
	ck_assert_uint_eq(st.huge_pages, 1);
	ck_assert_uint_eq(st.compr_data_size, PG + (uint64_t)small_len);
	ck_assert_int_eq(ks_zram_slot_bytes(z, same), 0);
	ck_assert_int_eq(ks_zram_slot_bytes(z, huge), PG);
	/* a huge object has a zspage of its own; the small one shares a zspage of its class */
	ck_assert_uint_ge(st.mem_used_total, 2 * PG);
	ck_assert_int_eq(ks_zram_free_slot(z, huge), 0);
	ck_assert_int_eq(ks_zram_free_slot(z, huge), KS_ENOENT);
	ks_zram_stats(z, &st);
	ck_assert_uint_eq(st.huge_pages, 0);
	ck_assert_uint_eq(st.huge_pages_since, 1);
	ck_assert_uint_eq(st.compr_data_size, (uint64_t)small_len);
	ck_assert_uint_ge(st.mem_used_max, st.mem_used_total + PG);
	ck_assert_int_eq(ks_zram_free_slot(z, small), 0);
	ck_assert_int_eq(ks_zram_free_slot(z, same), 0);
	ks_zram_stats(z, &st);
	ck_assert_uint_eq(st.orig_data_size, 0);
	ck_assert_uint_eq(st.mem_used_total, 0);
	ck_assert_uint_eq(ks_zram_pages_stored(z), 0);
	ks_zram_free(z);
}
END_TEST

START_TEST(test_zram_many_pages_pool)
{
	/* Pages of one class fill their zspages before a new one is made: with writes only,
	 * at most one partly filled zspage per class. */
	static uint8_t pg[PG];
	struct ks_zram *z = ks_zram_new(KS_COMP_LZ4, 8);
	struct ks_zram_stats st;

	for (unsigned i = 0; i < 3000; i++) {
		make_page(pg, i % 11, i & 1);
		ks_zram_store(z, pg);
	}
	ks_zram_stats(z, &st);
	ck_assert_uint_eq(st.orig_data_size, 3000ull * PG);
	ck_assert_uint_ge(st.mem_used_total, st.compr_data_size);
	ck_assert_uint_le(st.mem_used_total, st.compr_data_size + 119ull * 8 * PG +
			  (3000 - st.same_pages) * 24ull);
	ks_zram_free(z);
}
END_TEST

Suite *ks_test_suite(void);

Suite *ks_test_suite(void)
{
	Suite *s = suite_create("zram");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_lzo_v0_equals_liblzo2);
	tcase_add_test(tc, test_lzo_rle_zero_runs);
	tcase_add_test(tc, test_lib_lengths);
	tcase_add_test(tc, test_zram_accounting);
	tcase_add_test(tc, test_zram_many_pages_pool);
	suite_add_tcase(s, tc);
	return s;
}
