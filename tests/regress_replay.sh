#!/bin/sh
# regress_replay.sh - `make check`: how `sim regress` sets up its replay of a kernel trace.
# 1. The replay covers every recorded batch when sleep_millisecs is not a whole number of
#    jiffies: the model sleeps msecs_to_jiffies(sleep) (HZ 250, 10 ms: 3 jiffies = 12 ms),
#    so a replay sized on sleep_millisecs ran out of time before the last batches ("no
#    such batch").
# 2. A relative trace.file in the trace's scenario.yaml is the file next to it, whatever
#    the current folder (it was looked up in the current folder only).
# The golden trace `identical` (static, HZ 250) is the base of both.
set -u
: "${SIM:?SIM not set}" "${SRCDIR:?SRCDIR not set}"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/regress_replay.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT INT TERM
fail=0
g="$SRCDIR/traces/kernel/linux-6.18/identical"
grep -q '^hz: 250$' "$g/meta.yaml" || { echo "FAIL: $g is not HZ 250"; exit 1; }

# 1. sleep_millisecs 10 at HZ 250: 13 recorded batches must all be replayed
cp -r "$g" "$tmp/s10" && chmod -R u+w "$tmp/s10"
sed -i 's/sleep_millisecs: 200/sleep_millisecs: 10/' "$tmp/s10/scenario.yaml" \
	"$tmp/s10/meta.yaml"
grep -q 'sleep_millisecs: 10$' "$tmp/s10/scenario.yaml" || { echo "FAIL: sed"; exit 1; }
if ! "$SIM" regress "$tmp/s10" >"$tmp/out" 2>&1 ||
	! grep -q '13 kernel batches, 13 simulated' "$tmp/out"; then
	echo "FAIL: sleep_millisecs 10 at HZ 250 is not replayed batch for batch:"
	cat "$tmp/out"; fail=1
fi

# 2. the workload as a page-write trace beside scenario.yaml, run from elsewhere
cp -r "$g" "$tmp/rel" && chmod -R u+w "$tmp/rel"
"$SIM" trace gen --scenario "$tmp/rel/scenario.yaml" -o "$tmp/rel/w.kstt" >/dev/null ||
	{ echo "FAIL: sim trace gen"; exit 1; }
sed -n '/^processes:/q;p' "$g/scenario.yaml" >"$tmp/rel/scenario.yaml"
printf 'trace:\n  file: w.kstt\n' >>"$tmp/rel/scenario.yaml"
mkdir "$tmp/elsewhere"
if ! (cd "$tmp/elsewhere" && "$SIM" regress ../rel) >"$tmp/out" 2>&1 ||
	! grep -q '^../rel: match' "$tmp/out"; then
	echo "FAIL: a relative trace.file is not found next to scenario.yaml:"
	cat "$tmp/out"; fail=1
fi
# a file of that name in the current folder is not the one replayed
cp "$tmp/rel/w.kstt" "$tmp/elsewhere/w.kstt"
sed -i 's/pages=64/pages=32/' "$tmp/elsewhere/w.kstt"
if ! (cd "$tmp/elsewhere" && "$SIM" regress ../rel) >"$tmp/out" 2>&1; then
	echo "FAIL: a w.kstt in the current folder was replayed instead of ../rel/w.kstt:"
	cat "$tmp/out"; fail=1
fi
[ "$fail" -eq 0 ] && echo "regress_replay: HZ 250 sleep 10 ms: 13/13 batches; trace.file beside scenario.yaml"
exit $fail
