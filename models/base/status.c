/* status.c - status codes and located error messages. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "status.h"

/* Length of the valid UTF-8 sequence at s (2..4), or 0 if s does not start one
 * (overlong forms, surrogates and code points above U+10FFFF are invalid). */
static size_t utf8_len(const unsigned char *s)
{
	uint32_t cp;
	size_t n;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return n;
}

size_t ks_str_utf8_bad(const char *in)
{
	const unsigned char *s = (const unsigned char *)in;

	for (size_t i = 0; s[i];) {
		size_t u = s[i] >= 0x80 ? utf8_len(s + i) : 1;

		if (!u)
			return i;
		i += u;
	}
	return SIZE_MAX;
}

size_t ks_str_escape(char *out, size_t len, const char *in)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t o = 0;

	if (!len)
		return 0;
	while (*s) {
		char esc[5];
		size_t n = 1, u = *s >= 0x80 ? utf8_len(s) : 0;
		const char *from = esc;

		if (u) {
			n = u;
			from = (const char *)s;
		} else if (*s == '\n' || *s == '\r' || *s == '\t') {
			esc[0] = '\\';
			esc[1] = *s == '\n' ? 'n' : *s == '\r' ? 'r' : 't';
			esc[2] = '\0';
			n = 2;
		} else if (*s < 0x20 || *s >= 0x7f) {
			snprintf(esc, sizeof(esc), "\\x%02x", *s);
			n = 4;
		} else {
			from = (const char *)s;
		}
		if (o + n >= len)
			break;
		memcpy(out + o, from, n);
		o += n;
		s += u ? u : 1;
	}
	out[o] = '\0';
	return o;
}

int ks_err_set(struct ks_err *err, int code, const char *fmt, ...)
{
	char raw[sizeof(err->msg)];
	va_list ap;

	if (!err)
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	ks_str_escape(err->msg, sizeof(err->msg), raw);
	return code;
}

const char *ks_strerror(int code)
{
	switch (code) {
	case KS_OK: return "success";
	case KS_ENOMEM: return "out of memory";
	case KS_EINVAL: return "invalid value";
	case KS_EIO: return "I/O error";
	case KS_EPARSE: return "parse error";
	case KS_ESQL: return "SQLite error";
	case KS_ERANGE: return "value out of range";
	case KS_ENOENT: return "not found";
	case KS_EBUSY: return "busy";
	case KS_EPERM: return "not permitted";
	case KS_EINTR: return "interrupted";
	case KS_EDIVERGE: return "diverged";
	}
	return "unknown error";
}
