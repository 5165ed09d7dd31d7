#!/usr/bin/env bash
# zram_validate.sh - `sim zram-validate`: the simulated pool of a scenario's pages
# (deterministic), bad input (one line, exit 2), and, as root with an unused
# /dev/zram0, a short live comparison (2000 pages) that must be within the targets.
set -u
. "$SRCDIR/tests/lib.sh"
sc="$SRCDIR/scenarios/ksmpages-best.yaml"

a=$("$SIM" zram-validate "$sc" --sim-only --pages 3000 --alg lzo-rle,lz4)
check "sim-only exit" 0 $?
b=$("$SIM" zram-validate "$sc" --sim-only --pages 3000 --alg lzo-rle,lz4)
check "sim-only deterministic" "$a" "$b"
check "sim-only rows" 2 "$(printf '%s\n' "$a" | grep -c ' sim   orig ')"
# ksmpages pages: zero but for one word, never same-filled, all in one small class
printf '%s\n' "$a" | grep -q 'lzo-rle  sim   orig     12288000 .* same        0  huge        0' \
	&& ok || bad "ksmpages pages: $a"

# a recorded trace of the same workload gives the same pages (class writes)
"$SIM" trace gen --scenario "$sc" -o "$tmp/k.kst" >/dev/null
check "trace gen exit" 0 $?
t=$("$SIM" zram-validate --trace "$tmp/k.kst" --sim-only --pages 3000 --alg lzo-rle,lz4)
check "--trace exit" 0 $?
check "--trace: the scenario's pages" "$(printf '%s\n' "$a" | grep ' sim ')" \
	"$(printf '%s\n' "$t" | grep ' sim ')"
# dictionary pages, refs, a literal write, an address seen already
t=$("$SIM" zram-validate --trace "$SRCDIR/tests/data/zram/dict.kstt" --sim-only --alg lzo-rle)
check "--trace dictionary exit" 0 $?
printf '%s\n' "$t" | grep -q '^lzo-rle  sim   orig        20480 .* same        2  huge        0$' \
	&& ok || bad "dictionary trace: $t"
err=$("$SIM" zram-validate "$sc" --trace "$tmp/k.kst" --sim-only 2>&1)
check "scenario and --trace exit" 2 $?
printf '%s\n' "$err" | grep -q "give a SCENARIO or --trace FILE" && ok || bad "message: $err"
err=$("$SIM" zram-validate --trace "$tmp/none.kst" --sim-only 2>&1)
check "missing trace exit" 2 $?
check "missing trace: one line" 1 "$(printf '%s\n' "$err" | wc -l)"

err=$("$SIM" zram-validate "$sc" --sim-only --alg lzo-rle,brotli 2>&1)
check "unknown compressor exit" 2 $?
check "unknown compressor: one line" 1 "$(printf '%s\n' "$err" | wc -l)"
printf '%s\n' "$err" | grep -q "unknown compressor 'brotli'" && ok || bad "message: $err"
"$SIM" zram-validate "$tmp/none.yaml" --sim-only >/dev/null 2>&1
check "missing scenario exit" 2 $?

if [ "$(id -u)" != 0 ] || [ ! -e /sys/block/zram0 ]; then
	echo "live part skipped: needs root and /sys/block/zram0"
elif [ "$(cat /sys/block/zram0/initstate)" != 0 ]; then
	echo "live part skipped: /dev/zram0 is in use"
else
	before=$(cat /sys/block/zram0/comp_algorithm)
	"$SIM" zram-validate "$SRCDIR/scenarios/2009-overcommit.yaml" --pages 2000 --stride 1500 --wait 120 \
		>"$tmp/live.txt"
	check "live exit (within targets)" 0 $?
	check "device left as found: algorithm" "$before" "$(cat /sys/block/zram0/comp_algorithm)"
	check "device left as found: initstate" 0 "$(cat /sys/block/zram0/initstate)"
fi
finish
