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
"$SIM" validate-timing --arch "$tmp/m.yaml" --threshold 10 --scan-threshold 10 -q "$T/t-vmmix" > "$tmp/v" 2>&1 ||
	{ cat "$tmp/v"; fail "the fitted model must load and price"; }

grep -q "provenance: fitted" "$tmp/m.yaml" && grep -A1 "^  tree_hot_depth:" "$tmp/m.yaml" |
	grep -q "value: [0-9]" || fail "the hot depth must be written"
grep -A3 "^  tree_hot_depth:" "$tmp/m.yaml" | grep -q "provenance: fitted" ||
	fail "the hot depth is fitted and must say so"
# the structure: warm-up chosen with the depth, the scan's walk fitted apart from the
# kinds of page (a rescan of the same KSM page adds nothing: ksm_page 0, derived)
grep -A1 "^  tree_warm_up:" "$tmp/m.yaml" | grep -q "value: 1$" &&
	grep -A2 "^  tree_warm_up:" "$tmp/m.yaml" | grep -q "provenance: derived" ||
	fail "tree_warm_up must be written: 1, derived (structure)"
grep -A4 "^  walk_entry:" "$tmp/m.yaml" | grep -q "provenance: fitted" ||
	fail "walk_entry (the scan itself) must be fitted"
grep -A2 "^  ksm_page:" "$tmp/m.yaml" | grep -q "provenance: derived" ||
	fail "ksm_page is 0 by structure and must say so"
grep -q "^hot tree depth [0-9]*, warm-up yes (.* with warm-up is least: .*%; without warm-up, not used: .*% at depth [0-9]*;" "$tmp/out" ||
	{ cat "$tmp/out"; fail "the report must give the error with and without warm-up"; }

# replicates (NAME.rN) are one workload: left out together, and compared with each other
# (identical copies: the kernel against itself is 0%); a trace recorded on a busy
# machine is left out unless --keep-busy; --rows writes one row per batch
cp -R "$T/t-unique" "$tmp/t-unique.r1" && cp -R "$T/t-unique" "$tmp/t-unique.r2" &&
	cp -R "$T/t-image" "$tmp/t-image" && cp -R "$T/t-image" "$tmp/t-busy" || exit 99
echo "machine.busy: yes" >> "$tmp/t-busy/meta.yaml"
"$SIM" calibrate --fit "$tmp/t-unique.r1" --fit "$tmp/t-unique.r2" --fit "$T/t-identical" \
	--fit "$T/t-lastbytes" --fit "$tmp/t-busy" --holdout "$tmp/t-image" \
	--rows "$tmp/rows.csv" > "$tmp/out" 2>&1 || { cat "$tmp/out"; fail "replicate fit"; }
grep -q "t-busy: recorded while the machine was busy" "$tmp/out" ||
	{ cat "$tmp/out"; fail "a busy trace must be said to be left out"; }
grep -q "(1 left out as recorded on a busy machine)" "$tmp/out" ||
	{ cat "$tmp/out"; fail "the busy count"; }
grep -E "^  t-unique +52 .*kernel/itself: +0\.0% \(52\)" "$tmp/out" > /dev/null ||
	{ cat "$tmp/out"; fail "replicates must be one workload with their own spread"; }
head -1 "$tmp/rows.csv" | grep -q "^trace,workload,set,kernel_batch,kernel_ns" ||
	fail "rows header"
[ "$(grep -c ',t-unique,fit,' "$tmp/rows.csv")" -eq 52 ] || fail "rows of the replicates"
if grep -q ',t-busy,' "$tmp/rows.csv"; then fail "a busy trace gave rows"; fi
"$SIM" calibrate --fit "$tmp/t-unique.r1" --fit "$T/t-identical" --fit "$T/t-lastbytes" \
	--fit "$tmp/t-busy" --keep-busy > "$tmp/out" 2>&1 || { cat "$tmp/out"; fail "--keep-busy"; }
grep -q "(0 left out" "$tmp/out" || { cat "$tmp/out"; fail "--keep-busy must keep it"; }

# bad input: exit 2, one message, no model left behind
"$SIM" calibrate --fit "$tmp/nonexistent" --out "$tmp/x.yaml" > "$tmp/out" 2>&1
[ $? -eq 2 ] || fail "a missing trace must exit 2"
[ ! -e "$tmp/x.yaml" ] || fail "a failed fit must leave no model"
"$SIM" calibrate --holdout "$T/t-unique" > "$tmp/out" 2>&1
[ $? -eq 2 ] || fail "--holdout without --fit must exit 2"
"$SIM" calibrate --kernel --fit "$T/t-unique" > "$tmp/out" 2>&1
[ $? -eq 2 ] || fail "--kernel with --fit must exit 2"
"$SIM" calibrate --fit "$T/t-unique" --holdout "$tmp/t-unique.r1" > "$tmp/out" 2>&1
[ $? -eq 2 ] || { cat "$tmp/out"; fail "a workload both fitted and held out must exit 2"; }
"$SIM" calibrate --only no_such_key > "$tmp/out" 2>&1
[ $? -eq 2 ] || fail "an unknown --only key must exit 2"
grep -q "no cost key 'no_such_key'" "$tmp/out" || { cat "$tmp/out"; fail "--only message"; }
echo "PASS: calibrate --fit"
