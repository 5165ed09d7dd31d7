/* fuzz_ktrace.c - libFuzzer target: `sim regress DIR` on a fuzzed kernel trace folder
 * (corpus ktrace). The input holds the folder's files, each started by a line
 * "=== NAME" (scenario.yaml first, unnamed): meta.yaml, batches.csv, procs.csv,
 * mms.csv, pfnmap.csv, events.txt, or a foreign trace's counters.csv and trace.txt.
 * Oracles (fz_sim): exit 0, 1 or 2, never a crash or a hang; exit 2 is one line naming
 * the folder; nothing is written. */
#include <stdio.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static const char *const names[] = { "scenario.yaml", "meta.yaml", "batches.csv",
		"procs.csv", "mms.csv", "pfnmap.csv", "events.txt", "counters.csv",
		"trace.txt", NULL };
	const char *dir;

	fz_dir();
	dir = fz_split("kt", d, n, names);
	fz_mark();
	fz_sim("kt", 3, (const char *const[]){ "regress", "kt", "--quiet", NULL });
	fz_check_left(NULL);
	(void)dir;
	return 0;
}
