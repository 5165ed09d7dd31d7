#!/bin/sh
# tests/calibrate_fit.sh - `sim calibrate --fit` (the fit of `sim calibrate --kernel`) on
# committed kernel traces, without root: the report's parts, non-negative terms, a model
# the loader accepts with every fitted number labelled, and bad input. Nothing is timed
# (the traces' kernel times were recorded before); the live battery is
# `make check-calibrate-kernel`.
set -u
: "${SIM:?SIM must name the sim binary}" "${SRCDIR:?SRCDIR must name the source tree}"
T="$SRCDIR/traces/kernel/timing/linux-6.18"
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$SIM" calibrate --fit "$T/t-unique" --fit "$T/t-image" --fit "$T/t-identical" \
	--fit "$T/t-lastbytes" --holdout "$T/t-vmmix" --out "$tmp/m.yaml" > "$tmp/out" 2>&1 ||
	{ cat "$tmp/out"; fail "the fit must succeed"; }
for s in "99 batches of 4 traces fitted on" "all, held out by fold" "all held out" \
	"t-vmmix" "anon_page"; do
	grep -q "$s" "$tmp/out" || { cat "$tmp/out"; fail "report lacks '$s'"; }
done
# every term is a time: none negative
awk '/^term/ { on = 1; next } on && NF >= 4 && $1 !~ /^per-batch/ { if ($2 < 0) bad = 1 }
     /^$/ { on = 0 } END { exit bad }' "$tmp/out" || { cat "$tmp/out"; fail "a negative term"; }
# the model loads, fitted numbers say so and name their data
grep -q "provenance: fitted" "$tmp/m.yaml" || fail "no fitted entry in the model"
grep -q "fitted to t-unique, t-image, t-identical, t-lastbytes (99 batches)" "$tmp/m.yaml" ||
	fail "a fitted source must name its data"
"$SIM" validate-timing --arch "$tmp/m.yaml" --threshold 10 -q "$T/t-vmmix" > "$tmp/v" 2>&1 ||
	{ cat "$tmp/v"; fail "the fitted model must load and price"; }

# bad input: exit 2, one message, no model left behind
"$SIM" calibrate --fit "$tmp/nonexistent" --out "$tmp/x.yaml" > "$tmp/out" 2>&1
[ $? -eq 2 ] || fail "a missing trace must exit 2"
[ ! -e "$tmp/x.yaml" ] || fail "a failed fit must leave no model"
"$SIM" calibrate --holdout "$T/t-unique" > "$tmp/out" 2>&1
[ $? -eq 2 ] || fail "--holdout without --fit must exit 2"
"$SIM" calibrate --kernel --fit "$T/t-unique" > "$tmp/out" 2>&1
[ $? -eq 2 ] || fail "--kernel with --fit must exit 2"
"$SIM" calibrate --only no_such_key > "$tmp/out" 2>&1
[ $? -eq 2 ] || fail "an unknown --only key must exit 2"
grep -q "no cost key 'no_such_key'" "$tmp/out" || { cat "$tmp/out"; fail "--only message"; }
echo "PASS: calibrate --fit"
