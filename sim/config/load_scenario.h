/* load_scenario.h - the scenario loader: YAML (docs/scenario.md) plus `--set` overrides
 * into struct ks_scenario (traces/scenario.h), validated once, with located messages. */
#ifndef KS_LOAD_SCENARIO_H
#define KS_LOAD_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>

#include "models/base/status.h"
#include "traces/scenario.h"

/* Loads a scenario file, applying `--set key=value` overrides (nsets of them, each "a.b.c=value")
 * before conversion. Returns 0, or a negative KS_E* with err->msg = "FILE:LINE:COL: problem".
 * *sc need not be initialised; on error it is left finalised (empty). */
int ks_scenario_load_file(const char *path, const char *const *sets, unsigned nsets,
			  struct ks_scenario *sc, struct ks_err *err);
/* Same from a string; `origin` names it in messages. sc->path stays NULL. */
int ks_scenario_load_string(const char *text, const char *origin, const char *const *sets,
			    unsigned nsets, struct ks_scenario *sc, struct ks_err *err);
/* Resolves a scenario name: as given (relative to the current folder), then with ".yaml"
 * appended, then in the source tree's scenarios/ (KS_SRCDIR compile-time define), then in the
 * installed scenarios/ (KS_PKGDATADIR "/scenarios"). Writes the path found into out.
 * Returns 0 or KS_ENOENT with err listing where it looked (KS_ERANGE if outlen is short). */
int ks_scenario_find(const char *name, char *out, size_t outlen, struct ks_err *err);
/* Loads a kernel trace's scenario.yaml text and sets it up for a batch-by-batch replay
 * (traces/ktrace_replay.h, with `span` and `process_samples` as there). 0, or a
 * negative KS_E* with err set (bad scenario, sleep_millisecs 0). */
struct ks_ktrace;
int ks_scenario_load_ktrace(const struct ks_ktrace *kt, unsigned span, bool process_samples,
			    struct ks_scenario *sc, struct ks_err *err);

#endif
