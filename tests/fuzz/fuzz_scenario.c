/* fuzz_scenario.c - libFuzzer target: the scenario loader (corpus scenario). The input
 * is the YAML text; lines after a line "=== set" are `--set KEY=VALUE` overrides.
 * Oracles: a failure is one located line naming the file (or the --set); a scenario
 * that loads is describable (total pages and processes computed without overflow). */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "sim/config/load_scenario.h"

#define MAX_SETS 16

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	char *text = malloc(n + 1), *sets_at, *sets[MAX_SETS], *save = NULL;
	unsigned nsets = 0;
	struct ks_err err = { 0 };
	struct ks_scenario sc;
	const char *path;

	memcpy(text, d, n);
	text[n] = '\0';
	sets_at = strstr(text, "\n=== set\n");
	if (sets_at) {
		*sets_at = '\0';
		for (char *l = strtok_r(sets_at + 9, "\n", &save); l && nsets < MAX_SETS;
		     l = strtok_r(NULL, "\n", &save))
			sets[nsets++] = l;
	}
	path = fz_write("in.yaml", (const uint8_t *)text, strlen(text));
	if (ks_scenario_load_file(path, (const char *const *)sets, nsets, &sc, &err)) {
		fz_check_msg(err.msg, nsets ? NULL : path);
		if (nsets && !strstr(err.msg, path) && !strstr(err.msg, "--set"))
			fz_check_msg(err.msg, path);
	} else {
		(void)ks_scenario_total_pages(&sc);
		(void)ks_scenario_processes(&sc);
		ks_scenario_fini(&sc);
	}
	free(text);
	return 0;
}
