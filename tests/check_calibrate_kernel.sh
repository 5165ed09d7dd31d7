#!/bin/sh
# check_calibrate_kernel.sh - `make check-calibrate-kernel`: `sim calibrate --kernel` on
# this machine's KSM (minutes): records the battery (traces/kernel/calibrate/) and the
# held-out timing workloads, fits, and fails when the held-out median per-batch error is
# above 15%. Skipped (exit 77, saying why) without root, KSM, or with KSM in use.
set -u
: "${SIM:?SIM not set}" "${SRCDIR:?SRCDIR not set}"
ksm=/sys/kernel/mm/ksm
if [ "$(id -u)" -ne 0 ]; then echo "check-calibrate-kernel: SKIPPED: needs root"; exit 77; fi
if [ ! -e $ksm/run ]; then echo "check-calibrate-kernel: SKIPPED: no KSM ($ksm missing)"; exit 77; fi
if [ "$(cat $ksm/run)" != 0 ] || [ "$(cat $ksm/pages_shared)" != 0 ]; then
	echo "check-calibrate-kernel: SKIPPED: KSM is in use (run=$(cat $ksm/run))"; exit 77
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/check_calibrate_kernel.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT INT TERM
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) (a busy machine inflates the kernel's times)"
"$SIM" calibrate --kernel --work "$tmp/traces" --out "$tmp/fitted.yaml" --threshold 0.15
