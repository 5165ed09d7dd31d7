#!/bin/sh
# bench_kernel.sh - `make bench-kernel`: the simulator against the real KSM, side by
# side in one run. Each workload is run on this machine's KSM (`sim record-kernel`,
# which restores every knob it changes, also on errors and signals) and then simulated
# (Linux 6.18 model, x86_64 cost model, the kernel's HZ) over the same span; the ratio
# is the real ksmd's CPU time over that span (from /proc/<ksmd>/schedstat, as the
# recorder reads it) divided by the simulator's wall time. Goal: >= 10 on every row.
# The simulation covers the recording's span (the recorder's batches last their sleep
# plus ksmd's scan, so 30 s of scenario take longer on the kernel); the pages scanned
# by both are printed beside the ratio. Needs sqlite3 (the bench table, read back).
# REPEATS (default 3) repeats per workload; the median ratio is printed per workload.
# WORKLOADS (default: all four below) picks some, e.g. to keep each run short.
# The simulations run through `sim bench`, so they are also stored in the bench table of
# $DB (default bench.db), under the recording's scenario path.
#
# Workloads (the recorder needs sleep_millisecs >= 100, and a bench must take minutes,
# not the shipped scenarios' 400-500 s of idle waiting):
#   ksmpages-worst, -best, -third  as shipped (2 or 3 x 1 GiB), but 20000 pages every
#                                  100 ms, the later copies started at 5 s (and 15 s),
#                                  ending 20-40 s in;
#   8vms-scaled                    8 x 128 MiB guests of 8vms, 60 s, pages_to_scan 5000
#                                  every 100 ms (the shipped 50,000 pages/s).
# Needs root, /sys/kernel/mm/ksm and an idle KSM; runs under flock /tmp/ksm-kernel.lock
# (other users of the real KSM wait); skipped (exit 0) with the reason otherwise.
set -u
: "${SIM:?SIM not set}"
ksm=/sys/kernel/mm/ksm
if [ "$(id -u)" -ne 0 ]; then echo "bench-kernel: SKIPPED: needs root"; exit 0; fi
if [ ! -e $ksm/run ]; then echo "bench-kernel: SKIPPED: no KSM ($ksm missing)"; exit 0; fi
if [ -z "${BENCH_KERNEL_LOCKED:-}" ]; then
	BENCH_KERNEL_LOCKED=1 exec flock /tmp/ksm-kernel.lock "$0" "$@"
fi
if [ "$(cat $ksm/run)" != 0 ] || [ "$(cat $ksm/pages_shared)" != 0 ]; then
	echo "bench-kernel: SKIPPED: KSM is in use (run=$(cat $ksm/run))"; exit 0
fi
for f in /proc/[0-9]*/ksm_stat; do
	if grep -qs 'ksm_mergeable: yes' "$f"; then
		p=${f#/proc/}; p=${p%/ksm_stat}
		echo "bench-kernel: SKIPPED: KSM is in use: process $p has mergeable memory"
		exit 0
	fi
done
REPEATS=${REPEATS:-3}
DB=${DB:-bench.db}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench_kernel.XXXXXX") || exit 2
# The recorder restores every knob it changes; the settings are saved here as well and
# written back (then run=2, run=0) on any exit, so nothing is left changed.
knobs="pages_to_scan sleep_millisecs max_page_sharing use_zero_pages smart_scan
	merge_across_nodes stable_node_chains_prune_millisecs advisor_mode"
# (advisor_mode reads "[none] scan-time": the bracketed word is the value to write back)
for k in $knobs; do
	[ -e "$ksm/$k" ] && sed 's/.*\[\(.*\)\].*/\1/' "$ksm/$k" > "$tmp/knob.$k"
done
restore() {
	for k in $knobs; do
		[ -e "$tmp/knob.$k" ] &&
			[ "$(sed 's/.*\[\(.*\)\].*/\1/' "$ksm/$k")" != "$(cat "$tmp/knob.$k")" ] &&
			cat "$tmp/knob.$k" > "$ksm/$k" 2>/dev/null
	done
	echo 2 > $ksm/run; echo 0 > $ksm/run
	rm -rf "$tmp"
}
trap restore EXIT
trap 'exit 130' INT TERM
hz=$( (zcat /proc/config.gz || cat "/boot/config-$(uname -r)") 2>/dev/null |
	sed -n 's/^CONFIG_HZ=//p')
# What the simulator is to model, kept in the recording's scenario.yaml: this kernel's
# algorithm, checksum and HZ, this machine's cost model, the whole recorded span.
model="--set ksm.algorithm=linux-6.18 --set arch=x86_64 --set ksm.checksum=xxhash64
	--set stop_when_stable=false ${hz:+--set ksm.hz=$hz}"

# ksmpages: 20000 pages every 100 ms (a batch of the shipped 99999 outlasts the
# recorder's wait for ksmd's switch-out when other jobs load the machine)
kp="--set ksm.sleep_millisecs=100 --set ksm.pages_to_scan=${KSMPAGES_BATCH:-20000}"
workload() { # name: prints its record-kernel options
	case $1 in
	ksmpages-worst) echo "--scenario ksmpages-worst $kp
		--set processes.second.start=5s --set duration=30s" ;;
	ksmpages-best) echo "--scenario ksmpages-best $kp
		--set processes.second.start=5s --set duration=20s" ;;
	ksmpages-third) echo "--scenario ksmpages-third $kp
		--set processes.second.start=5s --set processes.third.start=15s
		--set duration=40s" ;;
	8vms-scaled) echo "--scenario 8vms --set ksm.sleep_millisecs=100
		--set ksm.pages_to_scan=5000 --set processes.vm.regions.ram.size=128MiB
		--set duration=60s" ;;
	esac
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2];
	else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "bench-kernel on Linux $(uname -r), $(nproc) CPUs, load $(cut -d' ' -f1 /proc/loadavg)" \
	"(ratio = real ksmd CPU / simulator wall; goal >= 10)"
printf '%-15s %-6s %10s %10s %10s %9s %9s %8s %8s %8s %5s\n' workload run real_cpu_s \
	real_scan sim_scan sim_wall_s sim_cpu_s sim_ksmd ratio per_page load
fail=0
for w in ${WORKLOADS:-ksmpages-worst ksmpages-best ksmpages-third 8vms-scaled}; do
	[ -n "$(workload "$w")" ] || { echo "bench-kernel: no workload '$w'"; fail=1; continue; }
	: > "$tmp/ratios"
	r=1
	while [ "$r" -le "$REPEATS" ]; do
		d="$tmp/$w.$r"
		load=$(cut -d' ' -f1 /proc/loadavg)
		# shellcheck disable=SC2046
		if ! "$SIM" record-kernel -q $(workload "$w") $model --out "$d" >"$tmp/rec.log" 2>&1; then
			echo "bench-kernel: $w: recording failed:"; cat "$tmp/rec.log"; fail=1; break
		fi
		# ksmd_cpu_ns is per batch: the real ksmd's CPU over the recording is its sum;
		# pages_scanned counts from batch 0
		real=$(awk -F, 'NR > 2 { v += $4 } END { printf "%.3f", v / 1e9 }' "$d/batches.csv")
		rscan=$(awk -F, 'NR > 1 { v = $6 } END { print v }' "$d/batches.csv")
		# the recorder takes duration / sleep_millisecs batches, and each lasted its sleep
		# plus ksmd's scan: the simulation covers the recording's span (batch 0 to the
		# last batch's end), so that both do the same work (compare the scan columns)
		span=$(awk -F, 'NR == 2 { t0 = $3 } NR > 2 { t = $3 } END {
			printf "%d", (t - t0) / 1e6 + 0.5 }' "$d/batches.csv")
		sed "s/^duration:.*/duration: ${span}ms/" "$d/scenario.yaml" >"$d/bench.yaml"
		# the simulation through sim bench: its own process, wall and CPU time,
		# stored in the bench table of $DB (full precision read back from there)
		if ! "$SIM" bench --db "$DB" "$d/bench.yaml" >"$tmp/bench.log" 2>&1; then
			echo "bench-kernel: $w: the simulation failed:"; cat "$tmp/bench.log"
			fail=1; break
		fi
		row=$(sqlite3 -separator ' ' "$DB" "select printf('%.3f %.3f %.3f %d',
			wall_seconds, cpu_seconds, ksmd_cpu_seconds, pages_scanned) from bench
			order by id desc limit 1")
		# shellcheck disable=SC2086
		set -- $row
		wall=$1 cpu=$2 ksmd=$3 sscan=$4
		ratio=$(echo "$real $wall" | awk '{ printf "%.2f", ($2 > 0 ? $1 / $2 : 0) }')
		# the same per page scanned (where the two scanned different amounts)
		pp=$(echo "$real $rscan $wall $sscan" | awk '{
			printf "%.2f", ($2 > 0 && $3 > 0 ? ($1 / $2) / ($3 / $4) : 0) }')
		echo "$ratio" >> "$tmp/ratios"
		printf '%-15s #%-5s %10s %10s %10s %9s %9s %8s %8s %8s %5s\n' "$w" "$r" "$real" \
			"$rscan" "$sscan" "$wall" "$cpu" "$ksmd" "$ratio" "$pp" "$load"
		r=$((r + 1))
	done
	[ -s "$tmp/ratios" ] && printf '%-15s %-6s %10s %10s %10s %9s %9s %8s %8s %8s   %s\n' \
		"$w" median "" "" "" "" "" "" "$(median < "$tmp/ratios")" "" \
		"$(median < "$tmp/ratios" | awk '{ print ($1 >= 10 ? ">= 10" : "< 10") }')"
done
exit $fail
