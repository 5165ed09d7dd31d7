#!/bin/sh
# run.sh BINDIR CORPUS SECONDS [--smoke] - runs every libFuzzer target of FUZZ_PAIRS
# ("program:corpus" words) under nice -n 19: the seed corpus CORPUS/NAME is replayed,
# then SECONDS of fuzzing grow BINDIR/corpus/NAME (the seeds stay untouched). A crash,
# a sanitizer report, a hang over 10 s or an allocation over 2 GB stops the target;
# its input is saved as BINDIR/artifacts/NAME-*. One line per target: executions, new
# corpus size, result. Exit 1 if any target failed. --smoke: no line per target
# unless it failed.
bindir=$1 corpus=$2 seconds=$3 smoke=$4
failed=0
# the targets write their inputs to files: in memory where there is /dev/shm
if [ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then
	export TMPDIR=/dev/shm
fi
mkdir -p "$bindir/corpus" "$bindir/artifacts" "$bindir/logs"
for pair in $FUZZ_PAIRS; do
	prog=${pair%%:*} name=${pair#*:}
	mkdir -p "$bindir/corpus/$name"
	log=$bindir/logs/$name.log
	if nice -n 19 "$bindir/$prog" -max_total_time="$seconds" -timeout=10 \
		-rss_limit_mb=2048 -malloc_limit_mb=2048 -max_len=16384 -print_final_stats=1 \
		-artifact_prefix="$bindir/artifacts/$name-" \
		"$bindir/corpus/$name" "$corpus/$name" >"$log" 2>&1; then
		result=ok
	else
		result="FAILED (see $log)"
		failed=1
	fi
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	if [ -z "$smoke" ] || [ "$result" != ok ]; then
		printf '%-12s %-12s %10s execs in %ss, corpus %s files: %s\n' "$name" "$prog" \
			"${execs:-?}" "$seconds" "$(ls "$bindir/corpus/$name" | wc -l)" "$result"
	fi
	if [ "$result" != ok ]; then
		grep -E 'ERROR|oracle|SUMMARY|runtime error' "$log" | head -5
	fi
done
exit $failed
