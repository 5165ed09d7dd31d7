#!/usr/bin/env bash
# record_kernel_ext.sh - `sim record-kernel`'s external form (--pid / -- CMD) refuses bad
# command lines with one line and exit 2, before touching KSM (no root needed).
set -u
: "${SIM:?}"
fail=0
expect() { # expected-message-part args...
	local want=$1 out rc
	shift
	out=$("$SIM" record-kernel "$@" 2>&1 >/dev/null)
	rc=$?
	if [ $rc != 2 ] || [ "$(printf '%s\n' "$out" | wc -l)" != 1 ] || [[ "$out" != *"$want"* ]]; then
		echo "FAIL: record-kernel $*: exit $rc, '$out' (wanted exit 2 and '$want')"
		fail=1
	fi
}
# a pid far above pid_max cannot exist
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
expect "--pid 1073741823: no such process" --pid 1073741823 --out "$tmp/x"
[ ! -e "$tmp/x" ] || { echo "FAIL: wrote $tmp/x for a process that does not exist"; fail=1; }
# an --out that cannot be made is refused before recording (not after it)
expect "--out /nonexistent/x: the folder /nonexistent does not exist" --pid 1 --out /nonexistent/x
expect "not a process id" --pid 12x --out /nonexistent/x
expect "a command goes after '--'" --out /nonexistent/x sleep 1
expect "exclude each other" --pid 1 --out /nonexistent/x -- sleep 1
expect "exclude each other" --pid 1 --scenario identical --out /nonexistent/x
expect "needs --out DIR" --pid 1
expect "--duration 3: " --pid 1 --out /nonexistent/x --duration 3
expect "unknown key 'pages_to_scn'" --pid 1 --out /nonexistent/x --set ksm.pages_to_scn=3
expect "need an external workload" --trace a.kst --out /nonexistent/x
[ ! -e /nonexistent/x ] || { echo "FAIL: wrote /nonexistent/x"; fail=1; }
exit $fail
