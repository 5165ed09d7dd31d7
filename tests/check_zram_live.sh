#!/usr/bin/env bash
# check_zram_live.sh - `make check-zram`: the simulated zram against this machine's
# /dev/zram0 for lzo-rle, lzo and lz4 on 65536 pages of two shipped scenarios (and of a
# recorded trace named by ZRAM_TRACE=FILE, e.g. a `sim record` of QEMU guests): every
# row within the targets (compr_data_size 2%, mem_used_total 5%), the device left as it
# was found (initstate, disksize, comp_algorithm). Needs root and an unused /dev/zram0:
# otherwise exit 77 with the reason. docs/zram.md, "Validation".
set -u
: "${SIM:?SIM not set}" "${SRCDIR:?SRCDIR not set}"
if [ "$(id -u)" != 0 ]; then
	echo "check-zram skipped: needs root (writes /dev/zram0)"
	exit 77
fi
if [ ! -e /sys/block/zram0 ]; then
	echo "check-zram skipped: no /sys/block/zram0 (modprobe zram)"
	exit 77
fi
if [ "$(cat /sys/block/zram0/initstate)" != 0 ]; then
	echo "check-zram skipped: /dev/zram0 is in use (initstate 1), left alone"
	exit 77
fi
state() { cat /sys/block/zram0/initstate /sys/block/zram0/disksize /sys/block/zram0/comp_algorithm; }
before=$(state)
fail=0
run() { # LABEL ARGS...
	local label=$1
	shift
	echo "== $label"
	"$SIM" zram-validate "$@" --pages 65536 --alg lzo-rle,lzo,lz4 --wait 600
	rc=$?
	if [ $rc != 0 ]; then
		echo "FAIL: $label: exit $rc"
		fail=1
	fi
	if [ "$(state)" != "$before" ]; then
		echo "FAIL: $label: /dev/zram0 not left as found"
		fail=1
	fi
}
run 2009-overcommit "$SRCDIR/scenarios/2009-overcommit.yaml" --stride 47
run 8vms "$SRCDIR/scenarios/8vms.yaml" --stride 7
if [ -n "${ZRAM_TRACE:-}" ]; then
	run "$ZRAM_TRACE" --trace "$ZRAM_TRACE"
else
	echo "(no recorded trace: set ZRAM_TRACE=FILE to add one)"
fi
exit $fail
