# lib.sh - what the shell tests share (sourced): $data and $tmp (removed on exit), pass
# and fail counters, and their checks. A test ends with `finish`. $tmp is made in the
# folder the test runs in (the build tree under make check), not in the shared /tmp,
# where a cleanup from outside can remove it mid-test (tests/signals.sh).
: "${SIM:?}" "${SRCDIR:?}"
data="$SRCDIR/tests/data/cli"
tmp=$(mktemp -d "$PWD/test-tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0

ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }
check() { # check DESCRIPTION EXPECTED ACTUAL
	if [ "$2" = "$3" ]; then ok; else bad "$1: expected '$2', got '$3'"; fi
}
q() { sqlite3 "$1" "$2"; }
# Every sweep run's (point, seed) and results, in a fixed order: the same for any -j.
results() {
	q "$1" "select w.point, w.seed, r.saved_bytes, r.t90_ns, r.ksmd_cpu_ns, r.batches
	       from sweep_runs w join runs r on r.id = w.run_id order by w.point, w.seed"
}
finish() {
	echo "$pass passed, $fail failed"
	[ "$fail" = 0 ]
}
