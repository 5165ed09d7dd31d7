#!/bin/sh
# check_kernel_live.sh - `make check-kernel`: re-records every golden kernel trace's
# scenario live on this machine's KSM and compares the recording with the simulator.
# Skipped (exit 77, automake's skip, saying why) without root, KSM, or with KSM in use
# (run not 0, pages shared, or another process with mergeable memory, e.g. a QEMU
# guest). The recorder restores every knob; this script checks that run is back to its
# original value.
set -u
: "${SIM:?SIM not set}" "${SRCDIR:?SRCDIR not set}"
ksm=/sys/kernel/mm/ksm
if [ "$(id -u)" -ne 0 ]; then echo "check-kernel: SKIPPED: needs root"; exit 77; fi
if [ ! -e $ksm/run ]; then echo "check-kernel: SKIPPED: no KSM ($ksm missing)"; exit 77; fi
if [ "$(cat $ksm/run)" != 0 ] || [ "$(cat $ksm/pages_shared)" != 0 ]; then
	echo "check-kernel: SKIPPED: KSM is in use (run=$(cat $ksm/run))"; exit 77
fi
for f in /proc/[0-9]*/ksm_stat; do
	if grep -qs 'ksm_mergeable: yes' "$f"; then
		p=${f#/proc/}; p=${p%/ksm_stat}
		echo "check-kernel: SKIPPED: KSM is in use: process $p ($(cat /proc/$p/comm 2>/dev/null)) has mergeable memory"
		exit 77
	fi
done
kver=$(uname -r | sed 's/^\([0-9]*\.[0-9]*\).*/\1/')
tmp=$(mktemp -d "${TMPDIR:-/tmp}/check_kernel.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT INT TERM
mounted_before=$(grep -c ' /sys/kernel/tracing tracefs' /proc/mounts)
before=$(cd $ksm && for f in run pages_to_scan sleep_millisecs max_page_sharing use_zero_pages smart_scan advisor_mode; do printf '%s=%s ' $f "$(cat $f)"; done)
fail=0
n=0
for d in "$SRCDIR"/traces/kernel/linux-*/*/; do
	[ -f "$d/batches.csv" ] || continue
	name=$(basename "$d")
	nb=$(grep '^batches:' "$d/meta.yaml" | sed 's/batches: *//')
	n=$((n + 1))
	if ! "$SIM" record-kernel -q --scenario "$d/scenario.yaml" --batches "$nb" \
		--out "$tmp/$name"; then
		echo "FAIL: recording $name"; fail=1; continue
	fi
	if ! "$SIM" regress "$tmp/$name"; then
		echo "FAIL: live recording of $name diverges from the simulator"; fail=1
	fi
done
after=$(cd $ksm && for f in run pages_to_scan sleep_millisecs max_page_sharing use_zero_pages smart_scan advisor_mode; do printf '%s=%s ' $f "$(cat $f)"; done)
if [ "$before" != "$after" ]; then
	echo "FAIL: KSM knobs not restored: before: $before; after: $after"; fail=1
fi
if [ "$(grep -c ' /sys/kernel/tracing tracefs' /proc/mounts)" != "$mounted_before" ]; then
	echo "FAIL: tracefs mount state changed"; fail=1
fi
[ "$fail" -eq 0 ] && echo "check-kernel: $n live recordings on Linux $kver match the simulator"
exit $fail
