#!/bin/bash
# signals.sh - every signal ends a run cleanly: SIGINT, SIGTERM, SIGHUP and a second
# SIGINT during the commit each leave the run in the database as `interrupted` (exit
# 130); kill -9 leaves the database consistent with the earlier runs intact; a signal
# during `sim trace convert` leaves no file. A signal is sent once sim has its handlers
# (bits of SigCgt in /proc/PID/status), so nothing here depends on timing.
#
# The scratch folder is in the build tree (the folder make check runs the test in), not
# in the shared /tmp: on 2026-12-03 a run failed when its /tmp folder was removed under
# it by a cleanup of /tmp from outside (every run into runs.db failed: the folder it was
# in was gone); a failure now also says when the folder has gone.
: "${SIM:?SIM not set}" "${SRCDIR:?SRCDIR not set}"
tmp=$(mktemp -d "$PWD/signals.XXXXXX") || exit 99
pid=
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
cd "$tmp" || exit 99
long=$SRCDIR/tests/data/cli/long.yaml fail=0

# Waits until process $1 catches signal number $2 (SigCgt bit), or it is gone.
wait_caught() {
	local mask
	while mask=$(sed -n 's/^SigCgt:\t//p' /proc/"$1"/status 2>/dev/null) && [ -n "$mask" ]; do
		(( (16#$mask >> ($2 - 1)) & 1 )) && return 0
		sleep 0.05
	done
	return 1
}
fail() {
	echo "FAIL: $*"
	[ -d "$tmp" ] || echo "FAIL: (the test's folder $tmp was removed from outside)"
	fail=1
}

# SIGINT, SIGTERM, SIGHUP, and two SIGINTs in a row (the second during the commit)
n=0
for sigs in INT TERM HUP "INT INT"; do
	"$SIM" --scenario "$long" --db runs.db -q &
	pid=$!
	wait_caught $pid 15 || fail "sim never caught SIGTERM"
	for s in $sigs; do kill -s "$s" $pid; done
	wait $pid
	rc=$?
	pid=
	n=$((n + 1))
	[ $rc = 130 ] || fail "SIG$sigs: exit $rc, expected 130"
	status=$(sqlite3 runs.db "SELECT status FROM runs WHERE id = $n")
	[ "$status" = interrupted ] || fail "SIG$sigs: run $n is '$status', expected interrupted"
done

# kill -9: the database stays consistent and keeps the runs before
"$SIM" --scenario "$long" --db runs.db -q &
pid=$!
wait_caught $pid 15 || fail "sim never caught SIGTERM"
kill -9 $pid
wait $pid 2>/dev/null
pid=
[ "$(sqlite3 runs.db 'PRAGMA integrity_check')" = ok ] || fail "kill -9: integrity_check"
[ "$(sqlite3 runs.db 'SELECT count(*) FROM runs')" = 4 ] ||
	fail "kill -9: $(sqlite3 runs.db 'SELECT count(*) FROM runs') runs, expected the 4 before"
# (killed inside the run's one transaction: the handlers come after BEGIN) and the
# database takes the next run
"$SIM" --scenario "$SRCDIR/tests/data/cli/tiny.yaml" --db runs.db -q >/dev/null ||
	fail "a run after kill -9: exit $?"
[ "$(sqlite3 runs.db "SELECT count(*) FROM runs WHERE status = 'complete'")" = 1 ] ||
	fail "kill -9: the next run is not in the database"

# sim trace convert: a signal removes the temporary file; OUT is not written. The
# input is large enough (~400 000 records) that the copy is still running.
{
	echo "ksmsim-trace 1"
	echo "class 1 zero"
	echo "0ns start pid=1 name=p"
	for ((i = 0; i < 4000; i++)); do
		echo "${i}us mmap pid=1 vaddr=$((0x100000000 + i * 0x100000)) pages=1"
	done
} >seed.kstt
for ((i = 0; i < 100; i++)); do cat seed.kstt; done | awk 'NR <= 3 || !/^(ksmsim|class|0ns start)/' |
	awk '{ if ($1 ~ /us$/) { $1 = (NR * 1000) "ns" } print }' >big.kstt
"$SIM" trace convert big.kstt out.kst &
pid=$!
wait_caught $pid 2 || true # it may be done already: then nothing is checked below
if kill -INT $pid 2>/dev/null; then
	wait $pid
	rc=$?
	pid=
	if [ $rc = 130 ]; then
		[ ! -e out.kst ] || fail "convert interrupted: out.kst written"
	elif [ $rc != 0 ]; then
		fail "convert: exit $rc"
	fi
fi

# sim trace import: the same for a memory image (16 GiB, sparse: no disk used; reading
# it takes seconds)
truncate -s 16G mem.raw
"$SIM" trace import --image raw mem.raw -o mem.kst >/dev/null &
pid=$!
wait_caught $pid 2 || true
if kill -INT $pid 2>/dev/null; then
	wait $pid
	rc=$?
	pid=
	if [ $rc = 130 ]; then
		[ ! -e mem.kst ] || fail "import interrupted: mem.kst written"
	elif [ $rc != 0 ]; then
		fail "import: exit $rc"
	fi
fi
wait 2>/dev/null
pid=
left=$(ls -A | grep -v -x -e runs.db -e runs.db-wal -e runs.db-shm -e seed.kstt -e big.kstt \
	-e out.kst -e mem.raw -e mem.kst)
[ -z "$left" ] || fail "left behind: $left"
exit $fail
