/* rec_target.h - the known memory of tests/rec_target.c, shared with
 * tests/check_record.c, which also builds it in a child of its own and checks a
 * recording page by page against rec_target_expect().
 *
 * Region A, 64 pages, MADV_MERGEABLE:
 *   0..7    zero (written, then zeroed: present zero pages)
 *   8..23   16 copies of page P(1)
 *   24..39  16 distinct pages P(100 + i)
 *   40..47  8 copies of P(2)
 *   48..63  never touched (not present)
 * Region B, 4 pages, not mergeable: P(3), P(3), P(4), 0.
 * rec_target_change(): A[24] = P(1) (now equal to 8..23), A[30] = P(5), A[8] discarded
 * with MADV_DONTNEED, B[3] = P(6). */
#ifndef KS_REC_TARGET_H
#define KS_REC_TARGET_H

#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#define REC_PAGE 4096u
#define REC_A_PAGES 64u
#define REC_B_PAGES 4u

/* Page P(k): bytes from a small LCG seeded with k (never all zero). */
static inline void rec_target_page(uint8_t *p, uint32_t k)
{
	uint32_t x = k * 2654435761u + 12345u;

	for (unsigned i = 0; i < REC_PAGE; i++) {
		x = x * 1103515245u + 12345u;
		p[i] = (uint8_t)(x >> 16);
	}
	p[0] = (uint8_t)(k | 1);
}

/* Expected content of page i of region A (reg 0) or B (reg 1), before (changed 0) or
 * after rec_target_change(): -1 not present, 0 zero, k > 0 page P(k). */
static inline int rec_target_expect(int reg, unsigned i, int changed)
{
	if (reg == 1)
		return i < 2 ? 3 : i == 2 ? 4 : (changed ? 6 : 0);
	if (changed && i == 8)
		return -1;
	if (changed && i == 24)
		return 1;
	if (changed && i == 30)
		return 5;
	if (i < 8)
		return 0;
	if (i < 24)
		return 1;
	if (i < 40)
		return 100 + (int)(i - 24);
	if (i < 48)
		return 2;
	return -1;
}

static inline void rec_target_fill(uint8_t *a, uint8_t *b)
{
	for (unsigned i = 0; i < REC_A_PAGES; i++) {
		int k = rec_target_expect(0, i, 0);

		if (k > 0)
			rec_target_page(a + i * REC_PAGE, (uint32_t)k);
		else if (k == 0)
			memset(a + i * REC_PAGE, 1, REC_PAGE), memset(a + i * REC_PAGE, 0, REC_PAGE);
	}
	for (unsigned i = 0; i < REC_B_PAGES; i++) {
		int k = rec_target_expect(1, i, 0);

		if (k > 0)
			rec_target_page(b + i * REC_PAGE, (uint32_t)k);
		else
			memset(b + i * REC_PAGE, 1, REC_PAGE), memset(b + i * REC_PAGE, 0, REC_PAGE);
	}
}

static inline void rec_target_change(uint8_t *a, uint8_t *b)
{
	rec_target_page(a + 24 * REC_PAGE, 1);
	rec_target_page(a + 30 * REC_PAGE, 5);
	madvise(a + 8 * REC_PAGE, REC_PAGE, MADV_DONTNEED);
	rec_target_page(b + 3 * REC_PAGE, 6);
}

#endif
