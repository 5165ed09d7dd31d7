#!/bin/sh
# campaign.sh BINDIR SEEDS PROG:NAME [EXECS [SECONDS [SEGMENT]]] - a long fuzz run of one
# target cut into segments of SEGMENT s (default 290), so that other work on a shared
# machine can interleave: each segment starts a new libFuzzer process on the grown
# corpus BINDIR/corpus/NAME (plus the seeds SEEDS/NAME), with the oracles of run.sh
# (-timeout=10: a hang is an input over 10 s; 2 GB RSS and allocation limits). Runs
# until EXECS executions (default 1000000) or SECONDS of fuzzing (default 1800) in all,
# or the first failure. Each segment runs under $FUZZ_WRAP (default "nice -n 19").
# Appends one line per segment to BINDIR/logs/NAME.campaign
# ("segment seconds execs corpus_files result") and prints the sums at the end:
#   NAME execs seconds corpus_files result
# Exit 1 if a segment failed (crash, sanitizer report, oracle, hang, out of memory):
# the input is BINDIR/artifacts/NAME-*, the log BINDIR/logs/NAME.seg-N.log.
bindir=$1 seeds=$2 pair=$3 want=${4:-1000000} budget=${5:-1800} seg=${6:-290}
prog=${pair%%:*} name=${pair#*:}
wrap=${FUZZ_WRAP:-nice -n 19}
if [ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then
	export TMPDIR=/dev/shm
fi
mkdir -p "$bindir/corpus/$name" "$bindir/artifacts" "$bindir/logs"
record=$bindir/logs/$name.campaign
execs=0 secs=0 n=0 result=ok
while [ "$execs" -lt "$want" ] && [ "$secs" -lt "$budget" ]; do
	n=$((n + 1))
	left=$((budget - secs))
	t=$seg
	[ "$left" -lt "$t" ] && t=$left
	log=$bindir/logs/$name.seg-$n.log
	start=$(date +%s)
	# shellcheck disable=SC2086 # FUZZ_WRAP is a command with its arguments
	if $wrap "$bindir/$prog" -max_total_time="$t" -timeout=10 -rss_limit_mb=2048 \
		-malloc_limit_mb=2048 -max_len=16384 -print_final_stats=1 \
		-artifact_prefix="$bindir/artifacts/$name-" \
		"$bindir/corpus/$name" "$seeds/$name" >"$log" 2>&1; then
		r=ok
	else
		r=FAILED
	fi
	# the fuzzing time, not the wait for the wrapper's lock
	took=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)
	[ -n "$took" ] || took=$(($(date +%s) - start))
	e=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	execs=$((execs + ${e:-0}))
	secs=$((secs + took))
	files=$(ls "$bindir/corpus/$name" | wc -l)
	echo "$n $took ${e:-?} $files $r" >>"$record"
	if [ "$r" != ok ]; then
		result="FAILED (see $log)"
		grep -E 'ERROR|oracle|SUMMARY|runtime error|timeout|out-of-memory' "$log" | head -5
		break
	fi
done
echo "$name $execs $secs $(ls "$bindir/corpus/$name" | wc -l) $result"
[ "$result" = ok ]
