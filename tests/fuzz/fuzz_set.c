/* fuzz_set.c - libFuzzer target: `--set` overrides on the command line (corpus set):
 * each input line is one `--set` argument to `sim --scenario tiny.yaml --dry-run`, in
 * any bytes (non-UTF-8, control bytes, newlines in values through escapes).
 * Oracles (fz_sim): exit 0 or 2, one printable line naming the --set or the file on
 * exit 2, nothing written. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

#define MAX_SETS 8

static const char tiny[] =
	"name: tiny\nseed: 3\nduration: 2s\nksm: {pages_to_scan: 50, sleep_millisecs: 20}\n"
	"processes:\n  - name: p\n    count: 2\n    regions:\n      - name: mem\n"
	"        pages: 128\n        contents:\n          - pages: 64\n"
	"            content: {kind: fill, byte: 0x11}\n"
	"          - rest: true\n            content: {kind: random}\n";

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	const char *argv[4 + 2 * MAX_SETS + 1] = { "sim", "--scenario", "tiny.yaml",
						   "--dry-run" };
	char *text = malloc(n + 1), *save = NULL;
	int argc = 4;

	memcpy(text, d, n);
	text[n] = '\0';
	fz_write("tiny.yaml", (const uint8_t *)tiny, sizeof(tiny) - 1);
	for (char *l = strtok_r(text, "\n", &save); l && argc < 4 + 2 * MAX_SETS;
	     l = strtok_r(NULL, "\n", &save)) {
		argv[argc++] = "--set";
		argv[argc++] = l;
	}
	argv[argc] = NULL;
	fz_mark();
	fz_sim("tiny.yaml|--set", argc, argv);
	fz_check_left(NULL);
	free(text);
	return 0;
}
