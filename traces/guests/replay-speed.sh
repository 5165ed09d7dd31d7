#!/usr/bin/env bash
# replay-speed.sh - how fast the simulator replays a recorded guest run, against the CPU
# time the real ksmd took for the same batches: `sim regress DIR/kt` N times (the replay
# is the simulation of every kernel batch, each ending when the kernel's did), the
# median of its CPU time (the process's CLOCK_PROCESS_CPUTIME_ID over the world's run,
# as `sim regress` prints it) against the sum of ksmd_cpu_ns in DIR/kt/batches.csv.
#
#   replay-speed.sh --sim PATH DIR [-r N] [--db FILE] [--if-present]
#
# DIR is a run-guests.sh output folder (DIR/kt holds the kernel trace and guests.kst).
# Prints the numbers and stores them like run-guests.sh does: appended to
# DIR/numbers.csv and to the table guests_numbers of DIR/regress.db (and of --db FILE,
# e.g. make bench's bench.db). Times are only worth quoting from an idle machine: the
# load average before and after is printed and stored with them.
# Exit: 0 done, 2 error; with --if-present, a DIR without a trace is a message and 0.
set -euo pipefail

sim= dir= repeats=3 db= if_present=0
while [ $# -gt 0 ]; do
	case $1 in
	--sim) sim=$2; shift ;;
	-r) repeats=$2; shift ;;
	--db) db=$2; shift ;;
	--if-present) if_present=1 ;;
	-h | --help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	-*) echo "replay-speed: unknown argument $1" >&2; exit 2 ;;
	*) dir=$1 ;;
	esac
	shift
done
[ -n "$sim" ] && [ -n "$dir" ] || { echo "replay-speed: needs --sim and DIR" >&2; exit 2; }
case $repeats in '' | *[!0-9]* | 0) echo "replay-speed: -r wants a count >= 1" >&2; exit 2 ;; esac
if [ ! -s "$dir/kt/guests.kst" ] || [ ! -s "$dir/kt/batches.csv" ]; then
	if [ $if_present = 1 ]; then
		echo "replay-speed: no recorded guest run in $dir (make check-guests makes one): skipped"
		exit 0
	fi
	echo "replay-speed: $dir/kt: no guests.kst or batches.csv (a run-guests.sh folder?)" >&2
	exit 2
fi

load0=$(cut -d' ' -f1-3 /proc/loadavg)
runs=()
for ((k = 0; k < repeats; k++)); do
	line=$("$sim" regress "$dir/kt" --quiet | grep -a '^  speed:' || true)
	# "  speed: the real ksmd used 7.89 s of CPU for these batches; the replay 2.41 s ..."
	ksmd=$(awk '{ print $6 }' <<<"$line")
	r=$(awk '{ print $15 }' <<<"$line")
	case $r in '' | *[!0-9.]*) echo "replay-speed: sim regress $dir/kt printed no speed line" >&2; exit 2 ;; esac
	runs+=("$r")
done
load1=$(cut -d' ' -f1-3 /proc/loadavg)
med=$(printf '%s\n' "${runs[@]}" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
ratio=$(awk -v a="$ksmd" -v b="$med" 'BEGIN { printf "%.2f", (b > 0) ? a / b : 0 }')
how="median of $repeats sim regress runs (${runs[*]} s); load average $load0 -> $load1; $(date -u +%Y-%m-%dT%H:%MZ)"
rows=$(printf '%s\n' \
	"replay_cpu_s,$med,s,$how" \
	"replay_speedup,$ratio,x,ksmd_cpu_s / replay_cpu_s")
echo "replay-speed: $dir: ksmd $ksmd s of CPU for the recorded batches; replay $med s ($how): ${ratio}x"
printf '%s\n' "$rows" >>"$dir/numbers.csv"
if command -v sqlite3 >/dev/null; then
	for f in "$dir/regress.db" ${db:+"$db"}; do
		sqlite3 "$f" "CREATE TABLE IF NOT EXISTS guests_numbers(run_unix INTEGER, key TEXT, value TEXT, unit TEXT, how TEXT);"
		while IFS=, read -r k v u h; do
			sqlite3 "$f" "INSERT INTO guests_numbers VALUES ($(date +%s), '$k', '$v', '$u', '${h//\'/\'\'}');"
		done <<<"$rows"
	done
fi
