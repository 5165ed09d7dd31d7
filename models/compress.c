/* compress.c - zram's compressors applied to real page bytes.
 *
 * Why: the size of a zram object is the compressed length of the page, so the pool the
 * zsmalloc model builds is only as right as these lengths. Wherever a well-kept library
 * produces the kernel's output it is used: liblzo2's lzo1x_1_15_compress for `lzo`,
 * liblz4's LZ4_compress_default for `lz4` (the kernel backend's acceleration 1), libzstd
 * at level 3 for `zstd`. `lzo-rle` exists in no library: ks_lzo1x_1_compress() is the
 * kernel's lzogeneric1x_1_compress() (lib/lzo/lzo1x_compress.c) written afresh, with
 * bitstream version 1 adding the zero-run instruction (a 4-byte M4 form with a run of
 * 4..2051 zero bytes). With version 0 it must give liblzo2's bytes exactly, which the
 * tests check on many pages; version 1 is checked against the real zram (docs/zram.md).
 *
 * The kernel's code has three variants of the match-length and zero-run scans (64-bit,
 * 32-bit, bytewise) that can differ near the end of the input; this follows the 64-bit
 * little-endian one (x86_64, arm64: CONFIG_HAVE_EFFICIENT_UNALIGNED_ACCESS + CTZ64). */
#include <assert.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <lz4.h>
#include <lzo/lzo1x.h>
#include <zstd.h>

#include "compress.h"
#include "models/base/xalloc.h"

/* lib/lzo/lzodefs.h */
#define M2_MAX_LEN 8
#define M3_MAX_LEN 33
#define M4_MAX_LEN 9
#define M2_MAX_OFFSET 0x0800
#define M3_MAX_OFFSET 0x4000
#define M4_MAX_OFFSET_V0 0xbfff
#define M4_MAX_OFFSET_V1 0xbffe
#define M3_MARKER 32
#define M4_MARKER 16
#define MIN_ZERO_RUN_LENGTH 4
#define MAX_ZERO_RUN_LENGTH (2047 + MIN_ZERO_RUN_LENGTH)
#define D_BITS 13
#define D_SIZE (1u << D_BITS)
#define D_MASK (D_SIZE - 1)

#define ZSTD_LEVEL 3   /* zram's zstd backend default (zstd_default_clevel()) */

static const char *const alg_names[KS_COMP_NALGS] = { "lzo-rle", "lzo", "lz4", "zstd" };

struct ks_comp {
	enum ks_comp_alg alg;
	void *wrk;              /* lzo work memory (either lzo variant) */
	ZSTD_CCtx *zctx;        /* zstd */
	uint8_t *buf;           /* ks_comp_bound(4096) bytes for ks_comp_page_len() */
};

int ks_comp_from_name(const char *name)
{
	for (int i = 0; i < KS_COMP_NALGS; i++)
		if (!strcmp(name, alg_names[i]))
			return i;
	return -1;
}

const char *ks_comp_name(enum ks_comp_alg alg)
{
	return alg < KS_COMP_NALGS ? alg_names[alg] : "?";
}

const char *ks_comp_names(void)
{
	return "lzo-rle, lzo, lz4, zstd";
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* A literal run of t bytes from ii; state is the offset (from op) of the instruction
 * byte whose low 2 bits take a run of 1..3. Returns the new op. */
static uint8_t *emit_literals(uint8_t *op, const uint8_t *ii, size_t t, int state,
			      bool first)
{
	if (first && t <= 238) {
		*op++ = (uint8_t)(17 + t);
	} else if (t <= 3) {
		op[state] |= (uint8_t)t;
	} else if (t <= 18) {
		*op++ = (uint8_t)(t - 3);
	} else {
		size_t tt = t - 18;

		*op++ = 0;
		while (tt > 255) {
			tt -= 255;
			*op++ = 0;
		}
		*op++ = (uint8_t)tt;
	}
	memcpy(op, ii, t);
	return op + t;
}

/* A long length: 0 bytes worth 255 each, then the rest. */
static uint8_t *emit_len(uint8_t *op, size_t len)
{
	while (len > 255) {
		len -= 255;
		*op++ = 0;
	}
	*op++ = (uint8_t)len;
	return op;
}

/* lzo1x_1_do_compress(): one block of up to m4_max_offset + 1 bytes. ti bytes before
 * `in` are literals still pending from the previous block. Returns the bytes left as
 * literals at the end; *out_len gets the bytes written. */
static size_t do_compress(const uint8_t *in, size_t in_len, uint8_t *out, size_t *out_len,
			  size_t ti, uint16_t *dict, int *state, unsigned version)
{
	const uint8_t *const in_end = in + in_len;
	const uint8_t *const ip_end = in + in_len - 20;
	const uint8_t *ip = in, *ii = in;
	uint8_t *op = out;

	ip += ti < 4 ? 4 - ti : 0;
	for (;;) {
		const uint8_t *m_pos = NULL;
		size_t t, m_len, m_off;
		uint32_t dv, run = 0;

		ip += 1 + ((size_t)(ip - ii) >> 5);
next:
		if (ip >= ip_end)
			break;
		dv = le32(ip);
		if (dv == 0 && version) {
			/* A zero run: up to the first non-zero byte, at most 2051 bytes. */
			const uint8_t *ir = ip + 4;
			const uint8_t *limit = ip_end < ip + MAX_ZERO_RUN_LENGTH + 1 ?
					       ip_end : ip + MAX_ZERO_RUN_LENGTH + 1;

			while (ir < limit && *ir == 0)
				ir++;
			run = (uint32_t)(ir - ip);
			if (run > MAX_ZERO_RUN_LENGTH)
				run = MAX_ZERO_RUN_LENGTH;
		} else {
			uint32_t h = ((dv * 0x1824429du) >> (32 - D_BITS)) & D_MASK;

			m_pos = in + dict[h];
			dict[h] = (uint16_t)(ip - in);
			if (dv != le32(m_pos)) {
				ip += 1 + ((size_t)(ip - ii) >> 5);
				goto next;
			}
		}

		ii -= ti;
		ti = 0;
		t = (size_t)(ip - ii);
		if (t)
			op = emit_literals(op, ii, t, *state, false);

		if (run) {
			ip += run;
			run -= MIN_ZERO_RUN_LENGTH;
			put_le32(op, (run << 21) | 0xfffc18u | (run & 7));
			op += 4;
			run = 0;
			*state = -3;
			ii = ip;
			goto next;
		}

		/* Match length: 8 bytes at a time, then the first differing byte. */
		m_len = 4;
		{
			uint64_t v = le64(ip + m_len) ^ le64(m_pos + m_len);

			if (v == 0) {
				do {
					m_len += 8;
					v = le64(ip + m_len) ^ le64(m_pos + m_len);
					if (ip + m_len >= ip_end)
						goto m_len_done;
				} while (v == 0);
			}
			m_len += (unsigned)__builtin_ctzll(v) / 8;
		}
m_len_done:
		m_off = (size_t)(ip - m_pos);
		ip += m_len;
		if (m_len <= M2_MAX_LEN && m_off <= M2_MAX_OFFSET) {
			m_off -= 1;
			*op++ = (uint8_t)(((m_len - 1) << 5) | ((m_off & 7) << 2));
			*op++ = (uint8_t)(m_off >> 3);
		} else if (m_off <= M3_MAX_OFFSET) {
			m_off -= 1;
			if (m_len <= M3_MAX_LEN) {
				*op++ = (uint8_t)(M3_MARKER | (m_len - 2));
			} else {
				*op++ = M3_MARKER;
				op = emit_len(op, m_len - M3_MAX_LEN);
			}
			*op++ = (uint8_t)(m_off << 2);
			*op++ = (uint8_t)(m_off >> 6);
		} else {
			m_off -= 0x4000;
			if (m_len <= M4_MAX_LEN) {
				*op++ = (uint8_t)(M4_MARKER | ((m_off >> 11) & 8) | (m_len - 2));
			} else {
				*op++ = (uint8_t)(M4_MARKER | ((m_off >> 11) & 8));
				op = emit_len(op, m_len - M4_MAX_LEN);
			}
			*op++ = (uint8_t)(m_off << 2);
			*op++ = (uint8_t)(m_off >> 6);
		}
		*state = -2;
		ii = ip;
		goto next;
	}
	*out_len = (size_t)(op - out);
	return (size_t)(in_end - (ii - ti));
}

size_t ks_lzo1x_1_compress(const uint8_t *in, size_t len, uint8_t *out, void *wrk,
			   unsigned version)
{
	const uint8_t *ip = in;
	uint8_t *op = out, *data_start;
	size_t l = len, t = 0, m4_max;
	int state = -2;

	/* Version 0 never starts with 17 (except for empty input): the version marker. */
	if (version) {
		*op++ = 17;
		*op++ = (uint8_t)version;
		m4_max = M4_MAX_OFFSET_V1;
	} else {
		m4_max = M4_MAX_OFFSET_V0;
	}
	data_start = op;
	while (l > 20) {
		size_t ll = l <= m4_max + 1 ? l : m4_max + 1, olen;

		memset(wrk, 0, D_SIZE * sizeof(uint16_t));
		t = do_compress(ip, ll, op, &olen, t, wrk, &state, version);
		ip += ll;
		op += olen;
		l -= ll;
	}
	t += l;
	if (t > 0)
		op = emit_literals(op, in + len - t, t, state, op == data_start);
	*op++ = M4_MARKER | 1;
	*op++ = 0;
	*op++ = 0;
	return (size_t)(op - out);
}

struct ks_comp *ks_comp_new(enum ks_comp_alg alg)
{
	struct ks_comp *c = ks_xcalloc(1, sizeof(*c));

	assert(alg < KS_COMP_NALGS);
	c->alg = alg;
	c->buf = ks_xmalloc(ks_comp_bound(4096));
	if (alg == KS_COMP_LZO_RLE || alg == KS_COMP_LZO) {
		size_t n = LZO1X_1_15_MEM_COMPRESS > KS_LZO_WRKMEM ? LZO1X_1_15_MEM_COMPRESS :
			   KS_LZO_WRKMEM;

		c->wrk = ks_xmalloc(n);
		if (alg == KS_COMP_LZO && lzo_init() != LZO_E_OK)
			abort(); /* the library does not fit its header: unusable build */
	} else if (alg == KS_COMP_ZSTD) {
		c->zctx = ZSTD_createCCtx();
		if (!c->zctx)
			abort(); /* out of memory */
	}
	return c;
}

void ks_comp_free(struct ks_comp *c)
{
	if (!c)
		return;
	free(c->wrk);
	ZSTD_freeCCtx(c->zctx);
	free(c->buf);
	free(c);
}

size_t ks_comp_bound(size_t len)
{
	size_t lzo = len + len / 16 + 64 + 3 + 2, lz4 = (size_t)LZ4_compressBound((int)len);
	size_t zs = ZSTD_compressBound(len), m = lzo;

	m = lz4 > m ? lz4 : m;
	m = zs > m ? zs : m;
	return m + 16; /* slack for the lzo literal copy's last bytes */
}

size_t ks_comp_compress(struct ks_comp *c, const uint8_t *in, size_t len, uint8_t *out)
{
	lzo_uint olen;
	size_t z;
	int n;

	switch (c->alg) {
	case KS_COMP_LZO_RLE:
		return ks_lzo1x_1_compress(in, len, out, c->wrk, 1);
	case KS_COMP_LZO:
		if (lzo1x_1_15_compress(in, len, out, &olen, c->wrk) != LZO_E_OK)
			abort(); /* lzo1x-1 cannot fail on a buffer of ks_comp_bound() */
		return olen;
	case KS_COMP_LZ4:
		n = LZ4_compress_default((const char *)in, (char *)out, (int)len,
					 (int)ks_comp_bound(len));
		assert(n > 0);
		return (size_t)n;
	case KS_COMP_ZSTD:
		z = ZSTD_compressCCtx(c->zctx, out, ks_comp_bound(len), in, len, ZSTD_LEVEL);
		assert(!ZSTD_isError(z));
		return z;
	case KS_COMP_NALGS:
		break;
	}
	abort();
}

size_t ks_comp_page_len(struct ks_comp *c, const uint8_t *page)
{
	return ks_comp_compress(c, page, 4096, c->buf);
}
