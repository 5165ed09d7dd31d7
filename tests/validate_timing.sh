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

# full scans: the batches up to the one that raises full_scans; each predicted at
# (its batches) x 100 us; scans with a batch without a kernel time left out
awk -F, 'NR > 2 { ks += $4; nb++; if ($4 <= 0) bad = 1
	if ($5 > prev) { if (!bad) print nb * 100000 / ks; ks = 0; nb = 0; bad = 0 }
	prev = $5 }' "$T/batches.csv" > "$tmp/scans"
ns=$(wc -l < "$tmp/scans" | tr -d ' ')
[ "$ns" -ge 2 ] || fail "$T has fewer than 2 complete full scans"
sratio=$(median < "$tmp/scans" | awk '{ printf "%.3f", $1 }')
serr=$(awk '{ e = $1 - 1; if (e < 0) e = -e; print e }' "$tmp/scans" | median |
	awk '{ printf "%.1f", 100 * $1 }')

# default thresholds 20% per batch, 10% per full scan: this model is far off, exit 1
"$SIM" validate-timing --arch "$A" -b "$T" > "$tmp/out" 2>&1
rc=$?
[ $rc -eq 1 ] || { cat "$tmp/out"; fail "expected exit 1 above the threshold, got $rc"; }
grep -q "^all: $n batches of 1 traces: median ratio $ratio, median error $err% (threshold 20%); $ns full scans: median ratio $sratio, median error $serr% (threshold 10%): FAIL$" \
	"$tmp/out" || { cat "$tmp/out"; fail "expected median ratio $ratio, error $err% over $n batches; $sratio, $serr% over $ns scans"; }
# every batch is predicted at 100 us; batch 1's ratio is 100 us / its kernel time
b1=$(awk -F, 'NR == 3 { printf "%.3f", 100000 / $4 }' "$T/batches.csv")
grep -Eq "^ +1 +[0-9]+ +[0-9.]+ +[-0-9.]+ +100\.0 +$b1 " "$tmp/out" ||
	{ cat "$tmp/out"; fail "batch 1 row: expected sim 100.0 us, ratio $b1"; }

# the per-batch threshold met, the per-scan one not: still FAIL
"$SIM" validate-timing --arch "$A" --threshold 0.99 --quiet "$T" > "$tmp/out" 2>&1
[ $? -eq 1 ] || { cat "$tmp/out"; fail "a full-scan error above --scan-threshold must fail"; }
# thresholds above both median errors pass (exit 0)
"$SIM" validate-timing --arch "$A" --threshold 0.9 --scan-threshold 0.9 --quiet "$T" \
	> "$tmp/out" 2>&1
rc=$?
[ $rc -eq 0 ] || { cat "$tmp/out"; fail "expected exit 0 under --threshold 0.9, got $rc"; }
grep -q ": PASS$" "$tmp/out" || { cat "$tmp/out"; fail "expected PASS"; }
[ "$(wc -l < "$tmp/out")" -eq 1 ] || { cat "$tmp/out"; fail "--quiet prints one line"; }

# timed workloads priced at 60 ms a batch: the costs add up past the records' times
# (knob-changes: pages_to_scan 100 -> 200 at 1.1 s, recorded after batch 6, which a
# delayed batch 6 would start at 1.3 s; start-exit: late starts and an exit), yet every
# record is applied in the sleep the recorder applied it in, so the simulated work is
# the kernel's in every batch
sed 's/100000/60000000/; s/^arch: .*/arch: timing-60ms/' "$A" > "$tmp/t60.yaml"
grep -q 60000000 "$tmp/t60.yaml" || fail "sed on $A"
for w in knob-changes start-exit; do
	V="$SRCDIR/traces/kernel/linux-6.18/$w"
	grep -q '^workload: timed$' "$V/meta.yaml" || fail "$V is not a timed trace"
	"$SIM" validate-timing --arch "$tmp/t60.yaml" -b "$V" > "$tmp/out" 2>&1
	[ $? -le 1 ] || { cat "$tmp/out"; fail "$w with a 60 ms batch cost"; }
	grep -q "work differs" "$tmp/out" &&
		{ cat "$tmp/out"; fail "$w: a timed record was applied in another sleep"; }
	b3=$(awk -F, 'NR == 5 { printf "%.3f", 60000000 / $4 }' "$V/batches.csv")
	grep -Eq "^ +3 +[0-9]+ +[0-9.]+ +[-0-9.]+ +60000\.0 +$b3 " "$tmp/out" ||
		{ cat "$tmp/out"; fail "$w batch 3 row: expected sim 60000.0 us, ratio $b3"; }
done

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
echo "PASS: validate-timing ($n batches, median ratio $ratio, error $err%; $ns full scans, $sratio, $serr%; timed knob-changes and start-exit exact at 60 ms a batch)"
