#!/bin/sh
# regress_outsider.sh - `make check`: a kernel trace whose events.txt holds a ksm_enter
# of an mm that none of its processes had (mms.csv) was recorded while another process
# registered memory with KSM: ksmd scanned that process's pages too, so its counters are
# not the scenario's (how make check's `sim record` tests, mapping 64 mergeable pages,
# spoiled live recordings of unique-smart and volatile on a loaded machine). `sim regress`
# must refuse it (exit 2, one line naming events.txt:LINE and the task) instead of
# reporting a divergence; the untouched copy must still match.
set -u
: "${SIM:?SIM not set}" "${SRCDIR:?SRCDIR not set}"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/regress_outsider.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT INT TERM
fail=0
g="$SRCDIR/traces/kernel/linux-6.18/volatile"
cp -r "$g" "$tmp/t"
chmod -R u+w "$tmp/t"
if ! "$SIM" regress "$tmp/t" >"$tmp/out" 2>&1; then
	echo "FAIL: the untouched copy of $g does not match:"; cat "$tmp/out"; fail=1
fi
# the task line of a stranger registering 1 ms after the first process did
ts=$(awk '/ksm_enter/ { sub(":", "", $4); printf "%.6f\n", $4 + 0.001; exit }' "$g/events.txt")
n=$(($(wc -l < "$g/events.txt") + 1))
echo "      rec_target-1379    [000] ..... $ts: ksm_enter: mm ffff8881231d1f40" \
	>>"$tmp/t/events.txt"
"$SIM" regress "$tmp/t" >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ "$rc" -ne 2 ] || [ "$(wc -l < "$tmp/err")" -ne 1 ] ||
	! grep -q "events.txt:$n: ksm_enter of mm 0xffff8881231d1f40 (task rec_target-1379), not a process of the trace" "$tmp/err"; then
	echo "FAIL: a trace with another process's ksm_enter: exit $rc (wanted 2), stderr:"
	cat "$tmp/err"; fail=1
fi
# one of the trace's own processes entering is not a stranger
cp "$g/events.txt" "$tmp/t/events.txt"
grep -m1 ksm_enter "$g/events.txt" >>"$tmp/t/events.txt"
if ! "$SIM" regress "$tmp/t" >"$tmp/out" 2>&1; then
	echo "FAIL: a repeated ksm_enter of the trace's own mm is refused:"; cat "$tmp/out"
	fail=1
fi
[ "$fail" -eq 0 ] && echo "regress_outsider: a stranger's ksm_enter is refused, line $n"
exit $fail
