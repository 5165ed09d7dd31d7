#!/bin/sh
# tests/validate_timing.sh - `sim validate-timing` (cost-model validation 1): the
# comparison arithmetic, on a committed kernel trace with a synthetic arch model that
# prices every batch at exactly 100 us (tests/data/cost/timing-synthetic.yaml). The
# expected ratios are computed here from batches.csv alone; nothing is timed.
set -u
: "${SIM:?SIM must name the sim binary}" "${SRCDIR:?SRCDIR must name the source tree}"
T="$SRCDIR/traces/kernel/linux-6.18/vm-mix"
A="$SRCDIR/tests/data/cost/timing-synthetic.yaml"
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# median of the numbers on stdin, one per line
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2];
	else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
awk -F, 'NR > 2 && $4 > 0 { print 100000 / $4 }' "$T/batches.csv" | median > "$tmp/ratio"
awk -F, 'NR > 2 && $4 > 0 { e = (100000 - $4) / $4; if (e < 0) e = -e; print e }' \
	"$T/batches.csv" | median > "$tmp/err"
n=$(awk -F, 'NR > 2 && $4 > 0' "$T/batches.csv" | wc -l | tr -d ' ')
ratio=$(awk '{ printf "%.3f", $1 }' "$tmp/ratio")
err=$(awk '{ printf "%.1f", 100 * $1 }' "$tmp/err")

# default threshold 20%: this model is far off, exit 1 and FAIL
"$SIM" validate-timing --arch "$A" -b "$T" > "$tmp/out" 2>&1
rc=$?
[ $rc -eq 1 ] || { cat "$tmp/out"; fail "expected exit 1 above the threshold, got $rc"; }
grep -q "^all: $n batches of 1 traces: median ratio $ratio, median error $err% (threshold 20%): FAIL$" \
	"$tmp/out" || { cat "$tmp/out"; fail "expected median ratio $ratio, error $err% over $n batches"; }
# every batch is predicted at 100 us; batch 1's ratio is 100 us / its kernel time
b1=$(awk -F, 'NR == 3 { printf "%.3f", 100000 / $4 }' "$T/batches.csv")
grep -Eq "^ +1 +[0-9]+ +[0-9.]+ +[-0-9.]+ +100\.0 +$b1 " "$tmp/out" ||
	{ cat "$tmp/out"; fail "batch 1 row: expected sim 100.0 us, ratio $b1"; }

# a threshold above the median error passes (exit 0)
"$SIM" validate-timing --arch "$A" --threshold 0.9 --quiet "$T" > "$tmp/out" 2>&1
rc=$?
[ $rc -eq 0 ] || { cat "$tmp/out"; fail "expected exit 0 under --threshold 0.9, got $rc"; }
grep -q ": PASS$" "$tmp/out" || { cat "$tmp/out"; fail "expected PASS"; }
[ "$(wc -l < "$tmp/out")" -eq 1 ] || { cat "$tmp/out"; fail "--quiet prints one line"; }

# bad input: exit 2 with one message
"$SIM" validate-timing --arch "$A" "$tmp/nonexistent" > "$tmp/out" 2>&1
[ $? -eq 2 ] || fail "a missing trace directory must exit 2"
"$SIM" validate-timing --arch "$A" "$SRCDIR/traces/kernel/linux-6.18/advisor" > "$tmp/out" 2>&1
[ $? -eq 2 ] || fail "an advisor scan-time trace must be refused (exit 2)"
grep -q "advisor_mode scan-time" "$tmp/out" || { cat "$tmp/out"; fail "advisor message"; }
"$SIM" validate-timing --threshold x "$T" > "$tmp/out" 2>&1
[ $? -eq 2 ] || fail "a bad --threshold must exit 2"
"$SIM" validate-timing > "$tmp/out" 2>&1
[ $? -eq 2 ] || fail "no trace directory must exit 2"
echo "PASS: validate-timing ($n batches, median ratio $ratio, error $err%)"
