#!/bin/sh
# check_calibrate_kernel.sh - `make check-calibrate-kernel`: `sim calibrate --kernel` on
# this machine's KSM (minutes): records the battery (traces/kernel/calibrate/) and the
# held-out timing workloads, fits; then records the six timing workloads again, twice,
# AFTER the fit, and prices them with the fitted model (sim validate-timing). Fails
# when the held-out median per-batch error is above 15%, or when on the fresh
# recordings the median per-batch error is above 15% or the median per-full-scan error
# above 10% (issue 10's targets). Skipped (exit 77, saying why) without root, KSM, or
# with KSM in use. The whole run holds /tmp/ksm-kernel.lock (calibrate --kernel takes
# the inherited lock); every tool saves and restores the knobs it changes and leaves
# run=2 then run=0.
set -u
: "${SIM:?SIM not set}" "${SRCDIR:?SRCDIR not set}"
ksm=/sys/kernel/mm/ksm
if [ "$(id -u)" -ne 0 ]; then echo "check-calibrate-kernel: SKIPPED: needs root"; exit 77; fi
if [ ! -e $ksm/run ]; then echo "check-calibrate-kernel: SKIPPED: no KSM ($ksm missing)"; exit 77; fi
if [ -z "${KS_CCK_LOCKED:-}" ]; then
	KS_CCK_LOCKED=1 exec flock /tmp/ksm-kernel.lock sh "$0" "$@"
fi
if [ "$(cat $ksm/run)" != 0 ] || [ "$(cat $ksm/pages_shared)" != 0 ]; then
	echo "check-calibrate-kernel: SKIPPED: KSM is in use (run=$(cat $ksm/run))"; exit 77
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/check_calibrate_kernel.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT INT TERM
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) (a busy machine inflates the kernel's times)"
"$SIM" calibrate --kernel --work "$tmp/traces" --out "$tmp/fitted.yaml" --threshold 0.15
rc=$?
[ -s "$tmp/fitted.yaml" ] || { echo "check-calibrate-kernel: no fitted model (exit $rc)"; exit 1; }
mkdir -p "$tmp/fresh.r1" "$tmp/fresh.r2" || exit 99
for r in r1 r2; do
	for s in t-unique t-unique-big t-image t-identical t-lastbytes t-vmmix; do
		"$SIM" record-kernel --scenario "$SRCDIR/traces/kernel/timing/scenarios/$s.yaml" \
			--out "$tmp/fresh.$r/$s" --quiet ||
			{ echo "check-calibrate-kernel: recording $s ($r) after the fit failed"; exit 1; }
	done
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "the six timing workloads recorded again after the fit, priced by the fitted model:"
"$SIM" validate-timing --arch "$tmp/fitted.yaml" --threshold 0.15 --scan-threshold 0.10 \
	"$tmp"/fresh.r1/* "$tmp"/fresh.r2/*
vr=$?
[ $vr -le 1 ] || exit $vr
[ $rc -eq 0 ] && [ $vr -eq 0 ]
