#!/bin/sh
# validations_smoke.sh - `make check`: the cheap part of `make check-validations`
# (tests/validations.sh): validation 1 (validate-timing on the six timing traces, ~1 s)
# must reproduce README.md's table; a copy with one figure changed must fail, naming
# the line; --write must put the generated table back. The others (a minute of CPU)
# run in `make check-validations`.
set -u
: "${SIM:?SIM not set}" "${SRCDIR:?SRCDIR not set}"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/validations_smoke.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT INT TERM
fail() { echo "FAIL: $*"; exit 1; }
V="$SRCDIR/tests/validations.sh"
sh "$V" --check "$SRCDIR/README.md" --only 1 >"$tmp/out" 2>&1 ||
	{ cat "$tmp/out"; fail "README.md's validation 1 table is not what validate-timing prints"; }
grep -q "^validation 1: reproduced" "$tmp/out" || { cat "$tmp/out"; fail "no verdict"; }
# one figure off: t-image's median error
sed 's/^| t-image | \(.*\) | 20\.1% |/| t-image | \1 | 20.2% |/' "$SRCDIR/README.md" >"$tmp/R.md"
cmp -s "$SRCDIR/README.md" "$tmp/R.md" && fail "sed did not change t-image's row"
sh "$V" --check "$tmp/R.md" --only 1 >"$tmp/out" 2>&1 && { cat "$tmp/out"; fail "a changed figure passed"; }
grep -q "^-| t-image .* 20.2% |" "$tmp/out" && grep -q "^+| t-image .* 20.1% |" "$tmp/out" ||
	{ cat "$tmp/out"; fail "the difference is not shown"; }
sh "$V" --write "$tmp/R.md" --only 1 >/dev/null 2>&1 || fail "--write"
cmp -s "$SRCDIR/README.md" "$tmp/R.md" || { diff "$SRCDIR/README.md" "$tmp/R.md"; fail "--write did not restore the table"; }
# a README without the block is bad input
grep -v "validation:1 -->" "$SRCDIR/README.md" >"$tmp/N.md"
sh "$V" --check "$tmp/N.md" --only 1 >"$tmp/out" 2>&1
[ $? -eq 2 ] || { cat "$tmp/out"; fail "a README without the block must exit 2"; }
echo "validations_smoke: validation 1 reproduced; a changed figure fails; --write restores"
