/* fuzz_world.c - libFuzzer target: the world fed a fuzzed trace (corpus world: traces in
 * either format). Whatever a trace asks for, the engine and the KSM model must finish
 * or refuse it with one located line naming the trace: no crash, no sanitizer report,
 * no allocation beyond the page limit, no hang. The scenario is fixed: 2 s simulated,
 * 100 pages every 20 ms, with the invariant checks of --enable-debug where built. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "sim/config/load_scenario.h"
#include "sim/engine/world.h"

/* Pages the world may map at once: well above what a fuzzed input of a few KB needs,
 * far below what would exhaust the machine. */
#define FZ_MAX_PAGES (1u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static const char scenario[] =
		"name: fuzz\nseed: 1\nduration: 2s\n"
		"ksm: {pages_to_scan: 100, sleep_millisecs: 20, use_zero_pages: true}\n"
		"trace: {file: in.trace}\n";
	/* loaded once: the run only reads it (const in ks_world_opts), and parsing it
	 * again for every input was an eighth of the time */
	static struct ks_scenario sc;
	static bool loaded;
	struct ks_err err = { 0 };
	struct ks_summary sum;
	struct ks_world_opts o = { .sc = &sc, .max_pages = FZ_MAX_PAGES };

	fz_dir();
	fz_write("in.trace", d, n);
	if (!loaded) {
		if (ks_scenario_load_string(scenario, "fuzz.yaml", NULL, 0, &sc, &err)) {
			fprintf(stderr, "fuzz: the fixed scenario does not load: %s\n", err.msg);
			abort();
		}
		loaded = true;
	}
	if (ks_world_run(&o, &sum, &err))
		fz_check_msg(err.msg, "in.trace|scenario");
	return 0;
}
