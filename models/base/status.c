/* status.c - status codes and located error messages. */
#include <stdarg.h>
#include <stdio.h>

#include "status.h"

int ks_err_set(struct ks_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
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
