/* fuzz.h - what the libFuzzer targets of tests/fuzz/ share (fuzz_util.c): a private
 * folder for the files a reader needs, and the oracles every target applies beyond "no
 * crash": a failure is one located, printable line; nothing is left behind.
 * Built only with `configure --enable-fuzzers` (clang); `make fuzz` runs them. */
#ifndef KS_FUZZ_H
#define KS_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* The target's private folder ($TMPDIR/ksmsim-fuzz-XXXXXX), made on first use and
 * removed with its contents when the process exits. The process works in it. */
const char *fz_dir(void);
/* Reports a broken oracle on stderr and aborts (libFuzzer saves the input). */
void fz_die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
/* Writes n bytes to fz_dir()/name (name may hold one '/': the folder is made);
 * returns the full path (static storage, overwritten by the next call). */
const char *fz_write(const char *name, const uint8_t *d, size_t n);
/* The oracle on an error message: non-empty, one line, printable (no control byte,
 * valid UTF-8), and it names `where` (the input's path or the option; "A|B": either). Aborts with a
 * report if not. */
void fz_check_msg(const char *msg, const char *where);
/* Aborts unless fz_dir() holds exactly the entries it held at the last fz_mark() (the
 * names in `allowed` besides, NULL-terminated; may be NULL): nothing left behind. */
void fz_mark(void);
void fz_check_left(const char *const *allowed);
/* Splits the input into named files: a line "=== NAME" starts file NAME (a plain
 * name from `names`, NULL-terminated; other names are ignored with their text), text
 * before the first such line goes to `names[0]`. Writes each under fz_dir()/sub/
 * (emptied first); returns that folder's path. */
const char *fz_split(const char *sub, const uint8_t *d, size_t n, const char *const *names);
/* Runs `sim ARGS...` in-process (fuzz_sim.c) (sim/main.c built as ks_sim_main), stdout to
 * /dev/null, stderr captured, and checks the command-line contract: exit 0, 1 or 2;
 * every stderr line starts "sim: " and is printable; exit 2 <=> exactly one error line
 * (not a warning), naming `where`. Returns the exit status. */
int fz_sim(const char *where, int argc, const char *const *argv);

#endif
