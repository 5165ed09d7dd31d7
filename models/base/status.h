/* status.h - status codes (0 or negative KS_E*) and located error messages. */
#ifndef KS_STATUS_H
#define KS_STATUS_H

#include <stddef.h>

enum ks_status {
	KS_OK = 0,
	KS_ENOMEM = -1,   /* out of memory */
	KS_EINVAL = -2,   /* invalid argument or input value */
	KS_EIO = -3,      /* file or system I/O failed */
	KS_EPARSE = -4,   /* malformed input (YAML, trace, CSV) */
	KS_ESQL = -5,     /* SQLite failed */
	KS_ERANGE = -6,   /* value out of range */
	KS_ENOENT = -7,   /* no such file, process or page */
	KS_EBUSY = -8,    /* refused in the current state (like the kernel's EBUSY) */
	KS_EPERM = -9,    /* not permitted (not root, no KSM) */
	KS_EINTR = -10,   /* interrupted (SIGINT) */
	KS_EDIVERGE = -11 /* simulation diverged from a reference */
};

/* A status plus a message that already carries its location, e.g.
 * "scenarios/vm.yaml:12:5: unknown key 'pages_to_scn'". */
struct ks_err {
	int code;       /* KS_E* */
	char msg[1024]; /* one line, no trailing newline */
};

/* Fills err (if not NULL) and returns code. The message is kept printable and on one
 * line (ks_str_escape). */
int ks_err_set(struct ks_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Copies `in` to out (len bytes, NUL-terminated, cut at a whole character) with every
 * byte a terminal would act on escaped: newline, tab and CR as \n \t \r, other
 * control bytes (ESC, BEL, DEL, ...) and bytes that are not valid UTF-8 as \xNN.
 * Returns the length written. */
size_t ks_str_escape(char *out, size_t len, const char *in);
/* Offset of the first byte of s that is not valid UTF-8, or SIZE_MAX if s is. */
size_t ks_str_utf8_bad(const char *s);
/* Text for a status code; never NULL. */
const char *ks_strerror(int code);

#endif
