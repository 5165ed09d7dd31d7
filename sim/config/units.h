/* units.h - numbers with units and nearest-word suggestions: what the YAML loaders and
 * the command line share, without libyaml (sim/ may not include <yaml.h>). */
#ifndef KS_UNITS_H
#define KS_UNITS_H

#include <stdbool.h>
#include <stdint.h>

#include "models/base/simtime.h"

#define KS_YAML_NEVER KS_TIME_MAX /* duration result for "never" */

/* Parses "1.5s", "600ms", "never" (if never_ok); NULL or the problem ("needs a unit ..."). */
const char *ks_parse_duration(const char *s, bool never_ok, ks_time *out);
/* Parses "4KiB", "1.5GiB", "512B"; NULL or the problem. */
const char *ks_parse_size(const char *s, uint64_t *out);
/* Edit distance (insert, delete, substitute, swap neighbours). Never fails. */
unsigned ks_edit_distance(const char *a, const char *b);
/* The known word closest to word if close enough to be a likely typo, else NULL. */
const char *ks_suggest(const char *word, const char *const *known);

#endif
