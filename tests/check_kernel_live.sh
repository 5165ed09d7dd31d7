#!/bin/sh
# check_kernel_live.sh - `make check-kernel`: re-records every golden kernel trace's
# scenario live on this machine's KSM and compares the recording with the simulator.
# Skipped (exit 77, automake's skip, saying why) without root, KSM, or with KSM in use
# (run not 0, pages shared, or another process with mergeable memory, e.g. a QEMU
# guest). The recorder restores every knob; this script checks that run is back to its
# original value.
# A recording that fails (no data: ksmd starved on a loaded machine, or another process
# registered memory with KSM meanwhile, which the recorder refuses) is tried up to 3
# times, each failure printed; a recording that diverges is not retried. KEEP=DIR keeps
# every recording that failed to match in DIR. Last, with REC_TARGET (tests/rec_target,
# 64 mergeable pages), it checks live that the recorder refuses a recording during which
# another process registers memory with KSM: what spoiled unique-smart and volatile when
# make check's `sim record` tests ran beside a live recording.
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
	try=1
	while ! "$SIM" record-kernel -q --scenario "$d/scenario.yaml" --batches "$nb" \
		--out "$tmp/$name" 2>"$tmp/err"; do
		echo "check-kernel: recording $name, try $try: $(cat "$tmp/err")"
		rm -rf "${tmp:?}/$name"
		try=$((try + 1))
		[ "$try" -le 3 ] || break
	done
	if [ "$try" -gt 3 ]; then
		echo "FAIL: recording $name (3 tries)"; fail=1; continue
	fi
	if ! "$SIM" regress "$tmp/$name"; then
		echo "FAIL: live recording of $name diverges from the simulator"; fail=1
		if [ -n "${KEEP:-}" ]; then
			mkdir -p "$KEEP" && rm -rf "${KEEP:?}/$name" && cp -r "$tmp/$name" "$KEEP/" &&
				echo "check-kernel: kept in $KEEP/$name"
		fi
	fi
done
if [ -n "${REC_TARGET:-}" ] && [ -x "$REC_TARGET" ]; then
	# identical: 13 batches of 200 ms; the stranger registers 1 s in
	d="$SRCDIR/traces/kernel/linux-6.18/identical"
	(sleep 1; exec "$REC_TARGET" "$tmp/ready") &
	sp=$!
	"$SIM" record-kernel -q --scenario "$d/scenario.yaml" --batches 13 \
		--out "$tmp/stranger" 2>"$tmp/err"
	rc=$?
	kill "$sp" 2>/dev/null; wait "$sp" 2>/dev/null
	if [ "$rc" -eq 2 ] && [ ! -e "$tmp/stranger" ] &&
		grep -Eq "process [0-9]+ \(rec_target\) (registered memory with KSM during the recording|registered mergeable memory|has mergeable memory)" "$tmp/err"; then
		echo "check-kernel: a stranger registering with KSM is refused: $(cat "$tmp/err")"
	else
		echo "FAIL: a recording with another process entering KSM: exit $rc, $(cat "$tmp/err")"
		fail=1
	fi
fi
# --wall-clock: two processes sharing an image, one rewriting 64 pages every 100 ms, ksmd
# free-running at 20 ms for 3 s: three samples, ksmd and the writer on the CPU, the
# image merged, every timed instant of the trace applied (none after the duration)
cat >"$tmp/wall.yaml" <<'EOF2'
name: wall-clock-check
seed: 7
duration: 3s
sample:
  interval: 1s
ksm:
  pages_to_scan: 500
  sleep_millisecs: 20
processes:
  - name: p
    count: 2
    regions:
      - name: ram
        size: 4MiB
        contents:
          - rest: true
            content: {kind: image, image: wall-check}
    writes:
      - region: ram
        fraction: 0.0625
        every: 100ms
        content: {kind: random}
EOF2
if "$SIM" record-kernel -q --scenario "$tmp/wall.yaml" --wall-clock --out "$tmp/wall" \
	2>"$tmp/err"; then
	"$SIM" trace gen --scenario "$tmp/wall.yaml" -o "$tmp/wall.kstt" >/dev/null
	want=$(awk '$2 == "write" && $1 != "0ns" { v = $1; if (v ~ /ms$/) sub(/ms$/, "", v)
		else if (sub(/s$/, "", v)) v *= 1000; if (v + 0 < 3000) print v + 0 }' "$tmp/wall.kstt" |
		sort -u | wc -l)
	got=$(sed -n 's/^wall.instants: //p' "$tmp/wall/meta.yaml")
	if ! awk -F, -v want="$want" -v got="$got" 'NR > 1 { n++; t = $1; cpu = $2; fs = $4;
		sharing = $6; wl = $9 } END { exit !(n == 3 && t >= 3e9 && cpu > 0 && fs >= 1 &&
		sharing >= 900 && wl > 0 && want == got && want == 29) }' "$tmp/wall/samples.csv"
	then
		echo "FAIL: --wall-clock: samples or instants wrong (instants $got, trace $want):"
		cat "$tmp/wall/samples.csv"; fail=1
	elif ! grep -q '^workload: wall-clock$' "$tmp/wall/meta.yaml"; then
		echo "FAIL: --wall-clock: meta.yaml does not say workload: wall-clock"; fail=1
	else
		echo "check-kernel: --wall-clock: $(tail -1 "$tmp/wall/samples.csv" | cut -d, -f1-6)"
	fi
else
	echo "FAIL: --wall-clock run: $(cat "$tmp/err")"; fail=1
fi
# a scenario whose ksm.hz makes ksmd sleep another time than this kernel's HZ does is
# refused (105 ms: 110 ms at HZ 100, 108 at 250, 106.7 at 300, 105 at 1000)
khz=$( (zcat /proc/config.gz || cat "/boot/config-$(uname -r)") 2>/dev/null |
	sed -n 's/^CONFIG_HZ=//p')
if [ -n "$khz" ]; then
	shz=100; [ "$khz" = 100 ] && shz=1000
	if "$SIM" record-kernel -q --scenario "$SRCDIR/traces/kernel/linux-6.18/identical/scenario.yaml" \
		--set ksm.hz=$shz --set ksm.sleep_millisecs=105 --batches 2 --out "$tmp/hz" \
		2>"$tmp/err" || ! grep -q "ksm.hz is $shz, this kernel's CONFIG_HZ $khz" "$tmp/err"; then
		echo "FAIL: ksm.hz $shz on a kernel at HZ $khz not refused: $(cat "$tmp/err")"; fail=1
	fi
fi
after=$(cd $ksm && for f in run pages_to_scan sleep_millisecs max_page_sharing use_zero_pages smart_scan advisor_mode; do printf '%s=%s ' $f "$(cat $f)"; done)
if [ "$before" != "$after" ]; then
	echo "FAIL: KSM knobs not restored: before: $before; after: $after"; fail=1
fi
if [ "$(grep -c ' /sys/kernel/tracing tracefs' /proc/mounts)" != "$mounted_before" ]; then
	echo "FAIL: tracefs mount state changed"; fail=1
fi
[ "$fail" -eq 0 ] && echo "check-kernel: $n live recordings on Linux $kver match the simulator"
exit $fail
