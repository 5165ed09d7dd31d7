#!/usr/bin/env bash
# run-guests.sh - boots N small Linux guests under QEMU (TCG: this machine has no
# /dev/kvm), lets the real KSM merge them while `sim record-kernel --pid` takes ksmd's
# counters batch by batch and, where this sim has it, `sim record --pid` records the
# same guests' memory; then `sim regress` compares the simulator on that recording with
# the real KSM. traces/guests/README.md says what each step does and what it measures.
#
#   run-guests.sh --sim PATH --nothp PATH --out DIR [-n N] [-m MiB] [--duration S]
#                 [--tasks LIST] [--task-mb LIST] [--pages-to-scan N] [--sleep-ms N]
#                 [--interval T] [--no-record] [--no-regress] [--smoke] [--cache DIR]
#
# Exit: 0 done (regress passed or not run; --smoke: or out of tolerance), 1 regress
# out of tolerance, 2 error,
# 77 skipped (not root, no KSM, no QEMU/busybox/kernel, KSM in use) with the reason.
# Takes /tmp/ksm-kernel.lock for as long as any QEMU it started lives. Saves every KSM
# knob and restores it, then run=2 and run=0, and kills every QEMU it started, on exit,
# error and signal.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
sim= nothp= out= n=8 mb=512 duration=120 pts=4000 sleep_ms=100 record=1 regress=1 interval=1s smoke=0
tasks=sort,sort,sort,copy,copy,random,boot,sort
task_mb=
cache=${KS_GUESTS_CACHE:-/var/cache/ksmsim-guests}
while [ $# -gt 0 ]; do
	case $1 in
	--sim) sim=$2; shift ;;
	--nothp) nothp=$2; shift ;;
	--out) out=$2; shift ;;
	-n) n=$2; shift ;;
	-m) mb=$2; shift ;;
	--duration) duration=$2; shift ;;
	--tasks) tasks=$2; shift ;;
	--task-mb) task_mb=$2; shift ;;
	--pages-to-scan) pts=$2; shift ;;
	--sleep-ms) sleep_ms=$2; shift ;;
	--interval) interval=$2; shift ;;
	--no-record) record=0 ;;
	--no-regress) regress=0 ;;
	--smoke) smoke=1 ;;
	--cache) cache=$2; shift ;;
	-h | --help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "run-guests: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done
[ -n "$sim" ] && [ -n "$nothp" ] && [ -n "$out" ] ||
	{ echo "run-guests: needs --sim, --nothp and --out" >&2; exit 2; }
skip() { echo "run-guests: SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root (real KSM knobs)"
[ -w /sys/kernel/mm/ksm/run ] || skip "this kernel has no KSM (/sys/kernel/mm/ksm)"
command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 missing (./setup.sh guests)"
[ -x /bin/busybox ] || skip "/bin/busybox missing (./setup.sh guests)"
command -v flock >/dev/null || skip "flock missing"

# Everything below holds the KSM lock.
if [ -z "${KS_GUESTS_LOCKED:-}" ]; then
	export KS_GUESTS_LOCKED=1
	exec flock /tmp/ksm-kernel.lock "$0" --sim "$sim" --nothp "$nothp" --out "$out" -n "$n" \
		-m "$mb" --duration "$duration" --tasks "$tasks" --task-mb "$task_mb" \
		--pages-to-scan "$pts" --sleep-ms "$sleep_ms" --cache "$cache" --interval "$interval" \
		$([ $record = 1 ] || echo --no-record) $([ $regress = 1 ] || echo --no-regress) \
		$([ $smoke = 0 ] || echo --smoke)
fi

ksm=/sys/kernel/mm/ksm
[ "$(cat $ksm/run)" = 0 ] && [ "$(cat $ksm/pages_shared)" = 0 ] ||
	skip "KSM is in use (run=$(cat $ksm/run), pages_shared=$(cat $ksm/pages_shared))"
if [ ! -s "$cache/vmlinuz" ]; then
	"$here/fetch-kernel.sh" "$cache" || skip "no guest kernel (fetch-kernel.sh $cache failed)"
fi
mkdir -p "$out"
out=$(cd "$out" && pwd)
"$here/mkinitramfs.sh" "$out/initrd.gz"

mono() { # CLOCK_BOOTTIME (= CLOCK_MONOTONIC here: no suspend), ns, 10 ms resolution
	local u
	read -r u _ </proc/uptime
	echo $((${u%.*} * 1000000000 + 10#${u#*.} * 10000000))
}

# Every knob this script or the recorders may change, saved; restored on any exit.
knobs="max_page_sharing use_zero_pages smart_scan sleep_millisecs pages_to_scan
	stable_node_chains_prune_millisecs advisor_mode merge_across_nodes"
declare -A saved
for k in $knobs; do
	[ -r "$ksm/$k" ] && saved[$k]=$(sed 's/.*\[\(.*\)\].*/\1/' "$ksm/$k")
done
saved_run=$(cat $ksm/run)
qpids=() recpid= rkpid=
cleanup() {
	local rc=$?
	trap - EXIT INT TERM HUP
	[ -n "$recpid" ] && kill -INT "$recpid" 2>/dev/null && wait "$recpid" 2>/dev/null
	[ -n "$rkpid" ] && kill -TERM "$rkpid" 2>/dev/null && wait "$rkpid" 2>/dev/null
	for p in "${qpids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${qpids[@]}"; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	echo 2 >$ksm/run 2>/dev/null || true
	echo none >$ksm/advisor_mode 2>/dev/null || true
	for k in "${!saved[@]}"; do
		[ "$(sed 's/.*\[\(.*\)\].*/\1/' "$ksm/$k")" = "${saved[$k]}" ] ||
			echo "${saved[$k]}" >"$ksm/$k" 2>/dev/null || true
	done
	[ -n "${saved[advisor_mode]:-}" ] && echo "${saved[advisor_mode]}" >$ksm/advisor_mode 2>/dev/null
	echo 0 >$ksm/run
	[ "$saved_run" = 0 ] || echo "$saved_run" >$ksm/run
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

IFS=, read -r -a tlist <<<"$tasks"
IFS=, read -r -a mlist <<<"${task_mb:-}"
: >"$out/guests.csv"
echo "guest,os_pid,task,task_mb,ram_mib,t_start_ns,t_booted_ns,t_done_ns,guest_booted_s,guest_done_s" \
	>"$out/guests.csv"
declare -A tstart
# Guests start one after the other, each once QEMU has registered its RAM with KSM, so
# that the mm slots (ksmd's scan order) follow the guest numbers.
for ((i = 0; i < n; i++)); do
	task=${tlist[i % ${#tlist[@]}]}
	if [ ${#mlist[@]} -gt 0 ]; then tmb=${mlist[i % ${#mlist[@]}]}; else
		case $task in sort) tmb=1 ;; copy) tmb=8 ;; random) tmb=8 ;; *) tmb=0 ;; esac
	fi
	tstart[$i]=$(mono)
	"$nothp" qemu-system-x86_64 -name "ksmsim-g$i" -accel tcg -machine pc,mem-merge=on \
		-m "$mb" -smp 1 -nodefaults -display none -no-reboot -monitor none \
		-serial "file:$out/g$i.log" -kernel "$cache/vmlinuz" -initrd "$out/initrd.gz" \
		-append "console=ttyS0 quiet loglevel=1 no_timer_check panic=-1 ksmsim.task=$task ksmsim.mb=$tmb ksmsim.seed=$i" \
		</dev/null >"$out/g$i.qemu.log" 2>&1 &
	qpids+=($!)
	echo "$task $tmb" >"$out/g$i.task"
	for _ in $(seq 200); do
		grep -q "ksm_mergeable: yes" "/proc/${qpids[i]}/ksm_stat" 2>/dev/null && break
		kill -0 "${qpids[i]}" 2>/dev/null || { cat "$out/g$i.qemu.log" >&2; exit 2; }
		sleep 0.05
	done
	grep -q "ksm_mergeable: yes" "/proc/${qpids[i]}/ksm_stat" ||
		{ echo "run-guests: guest $i: QEMU registered no memory with KSM" >&2; exit 2; }
	grep -q "THP_enabled:.*0" "/proc/${qpids[i]}/status" ||
		{ echo "run-guests: guest $i: THP not disabled" >&2; exit 2; }
done
echo "run-guests: $n guests x $mb MiB under QEMU TCG (no KVM): pids ${qpids[*]}"

pidargs=()
for p in "${qpids[@]}"; do pidargs+=(--pid "$p"); done
kt=$out/kt
rm -rf "$kt"
if [ $record = 1 ]; then
	if "$sim" record --help >/dev/null 2>&1; then
		# the trace's t = 0 is its first snapshot, a few ms after this (process start)
		trace_t0=$(mono)
		"$sim" record "${pidargs[@]}" -o "$out/guests.kst" --duration "${duration}s" \
			--interval "$interval" --mergeable-only >"$out/record.log" 2>&1 &
		recpid=$!
	else
		echo "run-guests: this sim has no 'sim record': the guests' memory is not recorded"
		record=0
	fi
fi
"$sim" record-kernel "${pidargs[@]}" --out "$kt" --trace guests.kst \
	--set ksm.sleep_millisecs="$sleep_ms" --set ksm.pages_to_scan="$pts" \
	--duration "${duration}s" >"$out/record-kernel.log" 2>&1 &
rkpid=$!

# The guests' progress, from their consoles (guest uptime and host time seen), and
# the CPU time sim record has used (sampled: /proc/PID/stat utime + stime, ticks).
declare -A booted done_
rec_ticks=0
while kill -0 "$rkpid" 2>/dev/null; do
	if [ -n "$recpid" ] && [ -r "/proc/$recpid/stat" ]; then
		st=$(sed 's/.*) //' "/proc/$recpid/stat" 2>/dev/null || true)
		[ -n "$st" ] && rec_ticks=$(awk '{ print $12 + $13 }' <<<"$st")
	fi
	for ((i = 0; i < n; i++)); do
		if [ -z "${booted[$i]:-}" ] && grep -q KSMSIM-BOOTED "$out/g$i.log" 2>/dev/null; then
			booted[$i]=$(mono)
		fi
		if [ -z "${done_[$i]:-}" ] && grep -q KSMSIM-DONE "$out/g$i.log" 2>/dev/null; then
			done_[$i]=$(mono)
		fi
	done
	sleep 0.2
done
set +e
wait "$rkpid"
rkrc=$?
rkpid=
set -e
[ -n "$recpid" ] && { wait "$recpid" || echo "run-guests: sim record failed: $(tail -1 "$out/record.log")"; }
recpid=
settled=0
for ((i = 0; i < n; i++)); do
	read -r task tmb <"$out/g$i.task"
	gb=$(awk '/KSMSIM-BOOTED/ { print $2; exit }' "$out/g$i.log")
	gd=$(awk '/KSMSIM-DONE/ { print $2; exit }' "$out/g$i.log")
	echo "$i,${qpids[i]},$task,$tmb,$mb,${tstart[$i]},${booted[$i]:-},${done_[$i]:-},$gb,$gd" >>"$out/guests.csv"
	if [ -z "${done_[$i]:-}" ]; then settled=-1; elif [ $settled -ge 0 ] && [ "${done_[$i]}" -gt $settled ]; then settled=${done_[$i]}; fi
done
# Stop the guests while the lock is held; the trap restores KSM.
for p in "${qpids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
wait "${qpids[@]}" 2>/dev/null || true
qpids=()
if [ $rkrc != 0 ]; then
	echo "run-guests: sim record-kernel failed ($rkrc): $(tail -1 "$out/record-kernel.log")" >&2
	exit 2
fi
[ -n "${trace_t0:-}" ] && echo "trace_t0_ns: $trace_t0" >>"$kt/meta.yaml"
if [ $settled -gt 0 ]; then
	echo "settled_ns: $settled" >>"$kt/meta.yaml"
else
	echo "run-guests: not every guest finished its task within ${duration}s" >&2
fi
echo "run-guests: kernel trace $kt ($(($(wc -l <"$kt/batches.csv") - 2)) batches)"
[ $record = 1 ] && [ -s "$out/guests.kst" ] && mv "$out/guests.kst" "$kt/guests.kst"
# The numbers: printed, and stored in DIR/regress.db (table guests_numbers).
numbers() {
	local tb dp base hz ksmd
	hz=$(getconf CLK_TCK)
	ksmd=$(awk -F, 'NR > 1 && $4 > 0 { s += $4 } END { printf "%.2f", s / 1e9 }' "$kt/batches.csv")
	{
		echo "guests,$n,,QEMU TCG guests (no KVM)"
		echo "guest_ram_mib,$mb,MiB,"
		echo "kernel_batches,$(($(wc -l <"$kt/batches.csv") - 2)),,sim record-kernel"
		echo "late_reads,$(awk '/^late_reads:/ { print $2 }' "$kt/meta.yaml"),,meta.yaml"
		echo "ksmd_cpu_s,$ksmd,s,sum of batches.csv ksmd_cpu_ns"
		if [ -s "$out/regress.txt" ]; then
			echo "replay_cpu_s,$(awk '/^  speed:/ { print $15 }' "$out/regress.txt"),s,sim regress once right after the guests (loaded machine; replay-speed.sh DIR: medians)"
		fi
		if [ -s "$kt/guests.kst" ]; then
			tb=$(stat -c %s "$kt/guests.kst")
			echo "trace_bytes,$tb,B,stat guests.kst"
			echo "record_cpu_s,$(awk -v t="$rec_ticks" -v h="$hz" 'BEGIN { printf "%.2f", t / h }'),s,sampled /proc/PID/stat every 0.2 s"
			if [ -x "$(dirname "$nothp")/ks-trace-pages" ] && command -v zstd >/dev/null; then
				dp=$("$(dirname "$nothp")/ks-trace-pages" "$kt/guests.kst" 2>&1 >/dev/null |
					awk '{ print $2 }')
				base=$("$(dirname "$nothp")/ks-trace-pages" "$kt/guests.kst" 2>/dev/null |
					zstd -3 -T1 -c | wc -c)
				echo "distinct_pages,$dp,pages,ks-trace-pages"
				echo "distinct_pages_zstd3_bytes,$base,B,ks-trace-pages | zstd -3 | wc -c"
				echo "trace_over_zstd,$(awk -v a="$tb" -v b="$base" 'BEGIN { printf "%.3f", a / b }'),,trace_bytes / distinct_pages_zstd3_bytes"
			fi
		fi
	} >"$out/numbers.csv"
	awk -F, '{ printf "  %s = %s %s\n", $1, $2, $3 }' "$out/numbers.csv"
	if command -v sqlite3 >/dev/null; then
		sqlite3 "$out/regress.db" "CREATE TABLE IF NOT EXISTS guests_numbers(run_unix INTEGER, key TEXT, value TEXT, unit TEXT, how TEXT);" &&
		while IFS=, read -r k v u h; do
			sqlite3 "$out/regress.db" "INSERT INTO guests_numbers VALUES ($(date +%s), '$k', '$v', '$u', '$h');"
		done <"$out/numbers.csv"
	fi
}
if [ $regress = 1 ] && [ -s "$kt/guests.kst" ]; then
	set +e
	"$sim" regress "$kt" --db "$out/regress.db" | tee "$out/regress.txt"
	rc=${PIPESTATUS[0]}
	echo "run-guests: numbers (DIR/numbers.csv, table guests_numbers of DIR/regress.db):"
	numbers
	if [ "$rc" = 1 ] && [ $smoke = 1 ]; then
		echo "run-guests: smoke: the comparison ran; its tolerance is judged by make check-guests"
		rc=0
	fi
	exit "$rc"
fi
exit 0
