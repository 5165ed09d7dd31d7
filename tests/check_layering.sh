#!/usr/bin/env bash
# check_layering.sh - the include rules of the house style (rule 19), checked mechanically:
#   models/   pure: libc headers that do no I/O, xxhash.h, and models/ + sim/base/ headers
#   sim/base/ libc only, and only its own headers
#   traces/   no libyaml, no SQLite
#   yaml.h    only in sim/yaml_util.* and sim/load_*.c
#   sqlite3.h only in sim/sink_sqlite.c, sim/base/results_schema.h (names only) and reports/
set -u
: "${SRCDIR:?}"
cd "$SRCDIR" || exit 2
fail=0 pass=0
violation() { echo "layering: $1"; fail=$((fail + 1)); }

pure='stdint.h|stdbool.h|stddef.h|stdlib.h|string.h|assert.h|math.h|limits.h|xxhash.h'
for f in models/*.c models/*.h; do
	while IFS= read -r line; do
		h=$(sed -E 's/.*<([^>]+)>.*/\1/' <<<"$line")
		grep -qxE "$pure" <<<"$h" || violation "$f includes <$h> (models are pure: no I/O)"
	done < <(grep -E '^#include <' "$f")
	while IFS= read -r line; do
		h=$(sed -E 's/.*"([^"]+)".*/\1/' <<<"$line")
		base=$(basename "$h")
		[ -f "models/$base" ] || [ -f "sim/base/$base" ] ||
			violation "$f includes \"$h\" (models may use models/ and sim/base/ only)"
	done < <(grep -E '^#include "' "$f")
	pass=$((pass + 1))
done
for f in sim/base/*.c sim/base/*.h; do
	while IFS= read -r line; do
		h=$(sed -E 's/.*"([^"]+)".*/\1/' <<<"$line")
		[ -f "sim/base/$(basename "$h")" ] || violation "$f includes \"$h\" (sim/base is layer 0)"
	done < <(grep -E '^#include "' "$f")
	pass=$((pass + 1))
done
for f in $(grep -lE '#include <yaml.h>' -r sim traces models reports); do
	case "$f" in sim/yaml_util.[ch] | sim/load_*.c) pass=$((pass + 1)) ;;
	*) violation "$f includes <yaml.h> (only the YAML loaders may)" ;; esac
done
for f in $(grep -lE '#include <sqlite3.h>' -r sim traces models reports); do
	case "$f" in sim/sink_sqlite.c | sim/base/results_schema.h | reports/*) pass=$((pass + 1)) ;;
	*) violation "$f includes <sqlite3.h> (only the SQLite sink and reports may)" ;; esac
done
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
