/* trace_text.c - the text trace format (.kstt; grammar in trace_io.h): a line
 * tokenizer and parser with file:line:col messages, and the writer. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scenario.h"
#include "trace_int.h"
#include "models/base/xalloc.h"


struct tr_tok {
	char *s;      /* NUL-terminated token (in the line buffer) */
	unsigned col; /* 1-based column */
};

enum tr_key {
	K_PID, K_NAME, K_VADDR, K_PAGES, K_CLASS, K_ARG, K_STEP, K_BYTES, K_BYTE, K_WORD,
	K_SEED, K_VALUE, K_ID, K_NKEYS
};

static const char *const key_names[K_NKEYS] = {
	"pid", "name", "vaddr", "pages", "class", "arg", "step", "bytes", "byte", "word", "seed",
	"value", "id",
};

#define KB(k) (1u << (k))
#define RANGE_KEYS (KB(K_PID) | KB(K_VADDR) | KB(K_PAGES))

/* Allowed and required keys per op (CLASS: per kind, see class_keys()). */
static const struct { unsigned allowed, required; } op_keys[KS_TR_OP_MAX] = {
	[KS_TR_START] = { KB(K_PID) | KB(K_NAME), KB(K_PID) | KB(K_NAME) },
	[KS_TR_MMAP] = { RANGE_KEYS, RANGE_KEYS },
	[KS_TR_MUNMAP] = { RANGE_KEYS, RANGE_KEYS },
	[KS_TR_MERGEABLE] = { RANGE_KEYS, RANGE_KEYS },
	[KS_TR_UNMERGEABLE] = { RANGE_KEYS, RANGE_KEYS },
	[KS_TR_WRITE] = { RANGE_KEYS | KB(K_CLASS) | KB(K_ARG) | KB(K_STEP),
			  KB(K_PID) | KB(K_VADDR) | KB(K_CLASS) },
	[KS_TR_WRITE_LITERAL] = { KB(K_PID) | KB(K_VADDR) | KB(K_BYTES),
				  KB(K_PID) | KB(K_VADDR) | KB(K_BYTES) },
	[KS_TR_EXIT] = { KB(K_PID), KB(K_PID) },
	[KS_TR_KNOB] = { KB(K_NAME) | KB(K_VALUE), KB(K_NAME) | KB(K_VALUE) },
	[KS_TR_PAGE] = { KB(K_ID) | KB(K_BYTES), KB(K_ID) | KB(K_BYTES) },
	[KS_TR_REF] = { RANGE_KEYS | KB(K_ID) | KB(K_STEP), KB(K_PID) | KB(K_VADDR) | KB(K_ID) },
	[KS_TR_READ] = { RANGE_KEYS, RANGE_KEYS },
};

static const char *const kind_names[] = {
	[KS_CONTENT_ZERO] = "zero", [KS_CONTENT_FILL] = "fill",
	[KS_CONTENT_IMAGE] = "image", [KS_CONTENT_RANDOM] = "random",
};

/* A text-reader error at a column of the current line (col 0: no column). */
__attribute__((format(printf, 4, 5)))
static int tx_fail(struct tr_reader *rd, struct ks_err *err, unsigned col, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (col)
		return tr_rd_fail(rd, err, KS_EPARSE, "%s:%lu:%u: %s", rd->path, rd->lineno, col, msg);
	return tr_rd_fail(rd, err, KS_EPARSE, "%s:%lu: %s", rd->path, rd->lineno, msg);
}

/* Splits the line into tokens (stops at a token starting with '#'); returns the count. */
static unsigned tokenize(char *line, struct tr_tok *tok, unsigned max)
{
	unsigned n = 0;
	char *p = line;

	while (n < max) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p || *p == '#')
			break;
		tok[n].s = p;
		tok[n].col = (unsigned)(p - line) + 1;
		n++;
		while (*p && *p != ' ' && *p != '\t')
			p++;
		if (*p)
			*p++ = '\0';
	}
	return n;
}

/* Parses a whole string as a decimal or 0x-hex u64. */
static bool parse_u64(const char *s, uint64_t *v)
{
	char *end;

	if (!isdigit((unsigned char)s[0]))
		return false;
	errno = 0;
	*v = strtoull(s, &end, 0);
	if (s[0] == '0' && s[1] && s[1] != 'x' && s[1] != 'X')
		*v = strtoull(s, &end, 10); /* no octal */
	return !errno && !*end;
}

static bool parse_i64(const char *s, int64_t *v)
{
	uint64_t u;

	if (s[0] == '-') {
		if (!parse_u64(s + 1, &u) || u > (uint64_t)INT64_MAX + 1)
			return false;
		*v = u ? -(int64_t)(u - 1) - 1 : 0;
		return true;
	}
	if (!parse_u64(s, &u) || u > INT64_MAX)
		return false;
	*v = (int64_t)u;
	return true;
}

/* "N[.F]unit" -> ns; false if malformed, not a whole ns, or too large. */
static bool parse_time(const char *s, ks_time *t)
{
	static const struct { const char *unit; uint64_t ns; } units[] = {
		{ "ns", 1 }, { "us", 1000 }, { "ms", 1000000 }, { "s", 1000000000 },
	};
	uint64_t whole = 0, frac = 0, fdiv = 1, mul = 0;
	const char *p = s;

	if (!isdigit((unsigned char)*p))
		return false;
	for (; isdigit((unsigned char)*p); p++) {
		if (whole > (UINT64_MAX - 9) / 10)
			return false;
		whole = whole * 10 + (uint64_t)(*p - '0');
	}
	if (*p == '.') {
		if (!isdigit((unsigned char)*++p))
			return false;
		for (; isdigit((unsigned char)*p); p++) {
			if (fdiv > UINT64_MAX / 100)
				return false;
			frac = frac * 10 + (uint64_t)(*p - '0');
			fdiv *= 10;
		}
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(p, units[i].unit) == 0)
			mul = units[i].ns;
	if (!mul || (frac * mul) % fdiv || whole > (UINT64_MAX - frac * mul / fdiv) / mul)
		return false;
	*t = whole * mul + frac * mul / fdiv;
	return true;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* "RUN,RUN,..." with RUN = HEX or HEX*COUNT -> exactly 4096 bytes. */
static int parse_bytes(struct tr_reader *rd, const struct tr_tok *v, uint8_t *out,
		       struct ks_err *err)
{
	uint8_t pat[KS_PAGE_SIZE];
	size_t n = 0;
	char *run = v->s;

	for (;;) {
		char *comma = strchr(run, ','), *star;
		unsigned col = v->col + (unsigned)(run - v->s);
		uint64_t count = 1;
		size_t plen = 0;

		if (comma)
			*comma = '\0';
		star = strchr(run, '*');
		if (star) {
			*star = '\0';
			if (!parse_u64(star + 1, &count) || count == 0)
				return tx_fail(rd, err, col, "invalid repeat count '%s'", star + 1);
		}
		for (char *h = run; *h; h += 2) {
			int hi = hexval(h[0]), lo = hi < 0 ? -1 : hexval(h[1]);

			if (lo < 0 || plen >= sizeof(pat))
				return tx_fail(rd, err, col, "invalid hex bytes '%s'", run);
			pat[plen++] = (uint8_t)(hi << 4 | lo);
		}
		if (!plen)
			return tx_fail(rd, err, col, "empty run in literal bytes");
		if (count > (KS_PAGE_SIZE - n) / plen)
			return tx_fail(rd, err, col, "literal longer than %u bytes", KS_PAGE_SIZE);
		for (uint64_t i = 0; i < count; i++, n += plen)
			memcpy(out + n, pat, plen);
		if (!comma)
			break;
		run = comma + 1;
	}
	if (n != KS_PAGE_SIZE)
		return tx_fail(rd, err, v->col, "literal has %zu bytes, expected %u", n,
			       KS_PAGE_SIZE);
	return 0;
}

/* "%XX" escapes -> name; false if malformed or too long. */
static bool parse_name(const char *s, char *name, size_t len)
{
	size_t n = 0;

	for (; *s; s++) {
		int c = (unsigned char)*s;

		if (c == '%') {
			int hi = hexval(s[1]), lo = hi < 0 ? -1 : hexval(s[2]);

			if (lo < 0 || (hi == 0 && lo == 0))
				return false;
			c = hi << 4 | lo;
			s += 2;
		}
		if (n + 1 >= len)
			return false;
		name[n++] = (char)c;
	}
	name[n] = '\0';
	return true;
}

/* "OFF:WIDTH:VALUE" with VALUE = N | index | index+N. */
static bool parse_word(char *s, struct ks_patch *p)
{
	char *c1 = strchr(s, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	uint64_t off, width;

	if (!c2)
		return false;
	*c1 = *c2 = '\0';
	if (!parse_u64(s, &off) || !parse_u64(c1 + 1, &width) || off >= KS_PAGE_SIZE ||
	    width > 8)
		return false;
	p->offset = (uint16_t)off;
	p->width = (uint8_t)width;
	p->value = 0;
	if (strcmp(c2 + 1, "index") == 0) {
		p->source = KS_PATCH_ARG;
		return true;
	}
	if (strncmp(c2 + 1, "index+", 6) == 0) {
		p->source = KS_PATCH_ARG_PLUS;
		return parse_u64(c2 + 7, &p->value);
	}
	p->source = KS_PATCH_CONST;
	return parse_u64(c2 + 1, &p->value);
}

/* One key=value into rec; *seen gets the key's bit. */
static int parse_kv(struct tr_reader *rd, const struct tr_tok *tk, unsigned allowed,
		    unsigned *seen, struct ks_trace_rec *r, struct ks_err *err)
{
	char *eq = strchr(tk->s, '=');
	struct tr_tok v;
	uint64_t u = 0;
	int k;

	if (!eq)
		return tx_fail(rd, err, tk->col, "expected key=value, got '%s'", tk->s);
	*eq = '\0';
	v.s = eq + 1;
	v.col = tk->col + (unsigned)(v.s - tk->s);
	for (k = 0; k < K_NKEYS; k++)
		if (strcmp(tk->s, key_names[k]) == 0)
			break;
	if (k == K_NKEYS || !(allowed & KB(k)))
		return tx_fail(rd, err, tk->col, "unknown key '%s' for %s", tk->s,
			       ks_trace_op_name(r->op));
	if ((*seen & KB(k)) && k != K_WORD)
		return tx_fail(rd, err, tk->col, "duplicate key '%s'", tk->s);
	*seen |= KB(k);
	switch (k) {
	case K_NAME:
		if (r->op == KS_TR_KNOB) {
			enum ks_knob knob;

			if (ks_knob_parse(v.s, &knob))
				return tx_fail(rd, err, v.col, "unknown knob '%s' (a file of "
					       "/sys/kernel/mm/ksm, e.g. pages_to_scan)", v.s);
			r->knob = (uint32_t)knob;
			return 0;
		}
		if (!parse_name(v.s, r->name, sizeof(r->name)))
			return tx_fail(rd, err, v.col, "invalid process name (at most %zu bytes, "
				       "%%XX escapes)", sizeof(r->name) - 1);
		return 0;
	case K_BYTES:
		return parse_bytes(rd, &v, r->bytes, err);
	case K_STEP:
		if (!parse_i64(v.s, &r->step))
			return tx_fail(rd, err, v.col, "invalid number '%s' for step", v.s);
		return 0;
	case K_WORD:
		if (r->spec.npatches >= KS_CONTENT_MAX_PATCHES)
			return tx_fail(rd, err, tk->col, "more than %u words",
				       KS_CONTENT_MAX_PATCHES);
		if (!parse_word(v.s, &r->patches[r->spec.npatches]))
			return tx_fail(rd, err, v.col, "invalid word (expected OFFSET:WIDTH:VALUE,"
				       " VALUE a number, index or index+N)");
		r->spec.npatches++;
		return 0;
	default:
		break;
	}
	if (!parse_u64(v.s, &u) || ((k == K_PID || k == K_CLASS) && u > UINT32_MAX) ||
	    (k == K_BYTE && u > 255))
		return tx_fail(rd, err, v.col, "invalid number '%s' for %s", v.s, key_names[k]);
	switch (k) {
	case K_PID: r->pid = (uint32_t)u; break;
	case K_VADDR: r->vaddr = u; break;
	case K_PAGES: r->npages = u; break;
	case K_CLASS: r->cls = (uint32_t)u; break;
	case K_ARG: r->arg = u; break;
	case K_ID: r->arg = u; break;
	case K_BYTE: r->spec.fill = (uint8_t)u; break;
	case K_SEED: r->spec.seed = u; break;
	case K_VALUE: r->value = u; break;
	default: break;
	}
	return 0;
}

/* "class ID KIND": fills cls and kind; returns the keys allowed and required. */
static int parse_class_head(struct tr_reader *rd, const struct tr_tok *tok, unsigned ntok,
			    struct ks_trace_rec *r, unsigned *allowed, unsigned *required,
			    struct ks_err *err)
{
	uint64_t id;
	int kind;

	if (ntok < 2 || !parse_u64(tok[0].s, &id) || id > UINT32_MAX)
		return tx_fail(rd, err, ntok ? tok[0].col : 0, "class needs an id and a kind "
			       "(class ID zero|fill|image|random)");
	for (kind = 0; kind <= KS_CONTENT_RANDOM; kind++)
		if (strcmp(tok[1].s, kind_names[kind]) == 0)
			break;
	if (kind > KS_CONTENT_RANDOM)
		return tx_fail(rd, err, tok[1].col, "unknown class kind '%s' (zero, fill, image "
			       "or random)", tok[1].s);
	r->cls = (uint32_t)id;
	r->spec.kind = kind;
	*allowed = *required = 0;
	if (kind == KS_CONTENT_FILL)
		*allowed = KB(K_BYTE) | KB(K_WORD);
	else if (kind != KS_CONTENT_ZERO)
		*allowed = *required = KB(K_SEED);
	return 0;
}

/* Parses one non-empty line into rec. */
static int tx_parse(struct tr_reader *rd, struct tr_tok *tok, unsigned ntok,
		    struct ks_trace_rec *r, struct ks_err *err)
{
	unsigned i = 0, seen = 0, allowed, required, opcol;
	bool have_t = false;
	int op;

	ks_trace_rec_clear(r);
	if (isdigit((unsigned char)tok[0].s[0])) {
		if (!parse_time(tok[0].s, &r->t))
			return tx_fail(rd, err, tok[0].col, "invalid time '%s' (e.g. 1500ms, 1.5s, "
				       "0ns)", tok[0].s);
		have_t = true;
		i++;
	}
	if (i >= ntok)
		return tx_fail(rd, err, tok[0].col, "record type missing after the time");
	for (op = KS_TR_CLASS; op < KS_TR_OP_MAX; op++)
		if (strcmp(tok[i].s, ks_trace_op_name(op)) == 0)
			break;
	if (op == KS_TR_OP_MAX || (rd->version < 2 && tr_op_is_dict(op)))
		return tx_fail(rd, err, tok[i].col, "unknown record type '%s'%s", tok[i].s,
			       op == KS_TR_OP_MAX ? "" : " (a version 2 record in a version 1 "
			       "trace)");
	r->op = op;
	opcol = tok[i++].col;
	if (!have_t && op != KS_TR_CLASS)
		return tx_fail(rd, err, opcol, "%s record needs a time (e.g. 0ns)", ks_trace_op_name(op));
	if (!have_t)
		r->t = rd->chk.last_t;
	allowed = op_keys[op].allowed;
	required = op_keys[op].required;
	if (op == KS_TR_CLASS) {
		if (parse_class_head(rd, tok + i, ntok - i, r, &allowed, &required, err))
			return rd->state;
		i += 2;
	}
	if (op == KS_TR_WRITE || op == KS_TR_WRITE_LITERAL || op == KS_TR_REF)
		r->npages = 1;
	for (; i < ntok; i++)
		if (parse_kv(rd, &tok[i], allowed, &seen, r, err))
			return rd->state;
	for (int k = 0; k < K_NKEYS; k++)
		if ((required & KB(k)) && !(seen & KB(k)))
			return tx_fail(rd, err, opcol, "%s needs %s=", ks_trace_op_name(op), key_names[k]);
	return 0;
}

int tr_tx_next(struct ks_trace_source *src, struct ks_trace_rec *rec, struct ks_err *err)
{
	struct tr_reader *rd = (struct tr_reader *)src;
	struct tr_tok tok[2 + K_NKEYS + KS_CONTENT_MAX_PATCHES + 2];
	char where[600];
	unsigned ntok;
	ssize_t n;

	if (rd->state)
		return rd->state > 0 ? 0 : ks_err_set(err, rd->failure.code, "%s",
						      rd->failure.msg);
	for (;;) {
		errno = 0;
		n = getline(&rd->line, &rd->linecap, rd->f);
		if (n < 0) {
			if (ferror(rd->f))
				return tr_rd_fail(rd, err, KS_EIO, "%s:%lu: read failed: %s", rd->path,
					       rd->lineno, strerror(errno));
			rd->state = 1;
			return 0;
		}
		rd->lineno++;
		while (n > 0 && (rd->line[n - 1] == '\n' || rd->line[n - 1] == '\r'))
			rd->line[--n] = '\0';
		if (strlen(rd->line) != (size_t)n)
			return tx_fail(rd, err, (unsigned)strlen(rd->line) + 1, "NUL byte in line");
		for (ssize_t i = 0; i < n; i++) /* names carry such bytes as %XX */
			if (((unsigned char)rd->line[i] < 0x20 && rd->line[i] != '\t') ||
			    rd->line[i] == 0x7f)
				return tx_fail(rd, err, (unsigned)i + 1, "control byte 0x%02x in line "
					       "(write it as %%%02X in a name)",
					       (unsigned char)rd->line[i], (unsigned char)rd->line[i]);
		ntok = tokenize(rd->line, tok, sizeof(tok) / sizeof(tok[0]));
		if (ntok)
			break;
	}
	if (ntok == sizeof(tok) / sizeof(tok[0]))
		return tx_fail(rd, err, tok[ntok - 1].col, "too many fields");
	if (tx_parse(rd, tok, ntok, rec, err))
		return rd->state;
	snprintf(where, sizeof(where), "%s:%lu", rd->path, rd->lineno);
	if (tr_rd_check(rd, rec, where, err))
		return rd->state;
	return 1;
}

int tr_tx_open(struct tr_reader *rd, struct ks_err *err)
{
	struct tr_tok tok[3];
	unsigned ntok;
	uint64_t version;
	ssize_t n;

	n = getline(&rd->line, &rd->linecap, rd->f);
	rd->lineno = 1;
	if (n < 0)
		return ks_err_set(err, KS_EPARSE, "%s:0: not a ksmsim trace (bad magic)", rd->path);
	rd->line[strcspn(rd->line, "\r\n")] = '\0';
	ntok = tokenize(rd->line, tok, 3);
	if (ntok != 2 || strcmp(tok[0].s, TR_TEXT_MAGIC) != 0 || !parse_u64(tok[1].s, &version))
		return ks_err_set(err, KS_EPARSE, "%s:1:1: not a ksmsim trace (the first line "
				  "must be '%s %d')", rd->path, TR_TEXT_MAGIC, KS_TRACE_VERSION);
	if (version < KS_TRACE_VERSION_MIN || version > KS_TRACE_VERSION)
		return ks_err_set(err, KS_EPARSE, "%s:1:%u: unsupported trace version %" PRIu64
				  " (this sim reads versions %d to %d)", rd->path, tok[1].col,
				  version, KS_TRACE_VERSION_MIN, KS_TRACE_VERSION);
	rd->version = (uint32_t)version;
	return 0;
}

/* Name with bytes outside '!'..'~' and "%#=" as %XX. */
static void text_name(FILE *f, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c <= ' ' || c > '~' || c == '%' || c == '#' || c == '=')
			fprintf(f, "%%%02X", c);
		else
			fputc(c, f);
	}
}

/* Literal bytes as runs: a byte repeated 4+ times is "xx*N", the rest plain hex. */
static void text_bytes(FILE *f, const uint8_t *b)
{
	const char *sep = "";
	size_t i = 0;

	while (i < KS_PAGE_SIZE) {
		size_t r = 1;

		while (i + r < KS_PAGE_SIZE && b[i + r] == b[i])
			r++;
		if (r >= 4) {
			fprintf(f, "%s%02x*%zu", sep, b[i], r);
			i += r;
		} else {
			fputs(sep, f);
			while (i < KS_PAGE_SIZE) {
				r = 1;
				while (i + r < KS_PAGE_SIZE && b[i + r] == b[i] && r < 4)
					r++;
				if (r >= 4)
					break;
				fprintf(f, "%02x", b[i++]);
			}
		}
		sep = ",";
	}
}

static void text_class(FILE *f, const struct ks_trace_rec *r)
{
	const struct ks_content_class_spec *s = &r->spec;

	fprintf(f, "class %" PRIu32 " %s", r->cls, kind_names[s->kind]);
	if (s->kind == KS_CONTENT_FILL) {
		fprintf(f, " byte=0x%02x", s->fill);
		for (unsigned i = 0; i < s->npatches; i++) {
			const struct ks_patch *p = &s->patches[i];

			fprintf(f, " word=%u:%u:", p->offset, p->width);
			if (p->source == KS_PATCH_ARG)
				fputs("index", f);
			else if (p->source == KS_PATCH_ARG_PLUS)
				fprintf(f, "index+%" PRIu64, p->value);
			else
				fprintf(f, "0x%" PRIx64, p->value);
		}
	} else if (s->kind != KS_CONTENT_ZERO) {
		fprintf(f, " seed=0x%" PRIx64, s->seed);
	}
}

bool tr_text_put(struct ks_trace_writer *w, const struct ks_trace_rec *r)
{
	FILE *f = w->f;
	char t[32];

	ks_trace_time_str(r->t, t, sizeof(t));
	if (r->op == KS_TR_CLASS) {
		if (r->t != w->last_t)
			fprintf(f, "%s ", t);
		text_class(f, r);
	} else if (r->op == KS_TR_KNOB) {
		fprintf(f, "%s knob name=%s value=%" PRIu64, t,
			ks_knob_name((enum ks_knob)r->knob), r->value);
	} else if (r->op == KS_TR_PAGE) {
		fprintf(f, "%s page id=%" PRIu64 " bytes=", t, r->arg);
		text_bytes(f, r->bytes);
	} else {
		fprintf(f, "%s %s pid=%" PRIu32, t, ks_trace_op_name(r->op), r->pid);
	}
	if (r->op == KS_TR_START) {
		fputs(" name=", f);
		text_name(f, r->name);
	} else if (r->op == KS_TR_WRITE_LITERAL) {
		fprintf(f, " vaddr=0x%" PRIx64 " bytes=", r->vaddr);
		text_bytes(f, r->bytes);
	} else if (tr_op_is_ranged(r->op)) {
		fprintf(f, " vaddr=0x%" PRIx64 " pages=%" PRIu64, r->vaddr, r->npages);
		if (r->op == KS_TR_WRITE)
			fprintf(f, " class=%" PRIu32 " arg=%" PRIu64 " step=%" PRId64, r->cls,
				r->arg, r->step);
		if (r->op == KS_TR_REF)
			fprintf(f, " id=%" PRIu64 " step=%" PRId64, r->arg, r->step);
	}
	return fputc('\n', f) != EOF;
}

