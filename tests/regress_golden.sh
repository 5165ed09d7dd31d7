#!/bin/sh
# regress_golden.sh - `make check`: every golden kernel trace under traces/kernel/ must
# match the simulator exactly (sim regress exits 0); a trace with one counter changed
# must be reported as a divergence (exit 1) naming the batch and counter; so must a trace
# whose PFN map moves one merged page to another address (naming the batch and pages);
# a foreign trace (counters.csv with absolute values + trace.txt) must be imported and
# match.
set -u
: "${SIM:?SIM not set}" "${SRCDIR:?SRCDIR not set}"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/regress_golden.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT INT TERM
fail=0
n=0
for d in "$SRCDIR"/traces/kernel/linux-*/*/; do
	[ -f "$d/batches.csv" ] || continue
	n=$((n + 1))
	if ! "$SIM" regress --db "$tmp/r.db" "$d" >"$tmp/out" 2>&1; then
		echo "FAIL: golden trace $d diverges:"; cat "$tmp/out"; fail=1
	fi
done
[ "$n" -ge 10 ] || { echo "FAIL: expected >= 10 golden traces, found $n"; fail=1; }

# A tampered copy: pages_sharing of batch 5 off by one -> exit 1 and a clear message.
g="$SRCDIR/traces/kernel/linux-6.18/identical"
cp -r "$g" "$tmp/tampered"
awk -F, 'BEGIN{OFS=","} NR==1{for(i=1;i<=NF;i++) if($i=="pages_sharing") c=i}
	NR>1 && $1==5 {$c=$c+1} {print}' "$g/batches.csv" >"$tmp/tampered/batches.csv"
"$SIM" regress "$tmp/tampered" >"$tmp/out" 2>&1
rc=$?
if [ "$rc" -ne 1 ] || ! grep -q "first divergence: batch 5, pages_sharing" "$tmp/out"; then
	echo "FAIL: tampered trace: exit $rc, expected 1 with the first divergence:"
	cat "$tmp/out"; fail=1
fi

# A tampered PFN map: the first page that merged in batch 5 is recorded at another
# address of its process (one that did not change in batch 5); the counters and the
# merge counts still match, the merged pages must not.
awk -F, 'BEGIN { OFS = "," }
	NR == FNR { if ($2 == "s") all[$3] = all[$3] " " $4
		if ($1 == 5 && $2 == "b") chg[$3 "," $4] = 1; next }
	$1 == 5 && $2 == "b" && !done {
		n = split(all[$3], va, " ")
		for (i = 1; i <= n; i++) if (!(($3 "," va[i]) in chg)) break
		print "old=" $4 " new=" va[i] " pid=" $3 > "/dev/stderr"
		$4 = va[i]; done = 1 }
	{ print }' "$g/pfnmap.csv" "$g/pfnmap.csv" >"$tmp/tampered/pfnmap.csv" 2>"$tmp/moved"
cp "$g/batches.csv" "$tmp/tampered/batches.csv"
old=$(sed -n 's/.*old=\([^ ]*\).*/\1/p' "$tmp/moved")
new=$(sed -n 's/.*new=\([^ ]*\).*/\1/p' "$tmp/moved")
pid=$(sed -n 's/.*pid=\([^ ]*\).*/\1/p' "$tmp/moved")
"$SIM" regress "$tmp/tampered" >"$tmp/out" 2>&1
rc=$?
want="first divergence: batch 5, merged_pages: "
if [ "$rc" -ne 1 ] || [ -z "$old" ] || [ -z "$new" ] ||
   ! grep -q "${want}.*kernel merged $pid:$new (into KSM page), simulator did not" "$tmp/out" ||
   ! grep -q "${want}.*simulator merged $pid:$old (into KSM page), kernel did not" "$tmp/out" ||
   ! grep -q "merged pages  *no  *batch 5:" "$tmp/out"; then
	echo "FAIL: tampered pfnmap ($pid:$old moved to $new): exit $rc, expected 1, both pages:"
	cat "$tmp/out"; fail=1
fi

# A foreign trace: sysfs counters as absolute values (pages_scanned offset by 1000, as
# on a host where KSM ran before), the ksm events as tracefs printed them.
mkdir "$tmp/foreign"
cp "$g/scenario.yaml" "$tmp/foreign/"
cp "$g/events.txt" "$tmp/foreign/trace.txt"
awk -F, 'BEGIN{OFS=","} NR==1{for(i=1;i<=NF;i++){if($i=="pages_scanned")c=i; if($i=="t_end_ns")t=i}
	$t="t_ns"; print; next} {$c=$c+1000; print}' "$g/batches.csv" |
	cut -d, -f1,3- >"$tmp/foreign/counters.csv"
if ! "$SIM" regress "$tmp/foreign" >"$tmp/out" 2>&1; then
	echo "FAIL: foreign trace import:"; cat "$tmp/out"; fail=1
fi

# The comparison is stored.
if command -v sqlite3 >/dev/null 2>&1; then
	runs=$(sqlite3 "$tmp/r.db" "SELECT count(*) FROM regress_runs WHERE result='match'")
	[ "$runs" = "$n" ] || { echo "FAIL: regress_runs has $runs matches, expected $n"; fail=1; }
fi
# Bad input: exit 2.
"$SIM" regress "$tmp/nonexistent" >/dev/null 2>&1
[ $? -eq 2 ] || { echo "FAIL: missing trace directory should exit 2"; fail=1; }
[ "$fail" -eq 0 ] && echo "ok: $n golden kernel traces match"
exit $fail
