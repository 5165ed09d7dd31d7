#!/bin/sh
# record_cli.sh - `sim record` end to end on tests/rec_target (memory of known contents,
# tests/rec_target.h): --pid and -- CMD, the regions and contents in the trace, a process
# that exits mid-recording, and the one-line errors (exit 2, nothing left behind).
# No timing is checked: durations only bound how long a recording may run.
set -u
: "${SIM:?SIM must name the sim binary}"
: "${BUILDDIR:?BUILDDIR must name the build tree}"
TARGET="$BUILDDIR/tests/rec_target"
T=$(mktemp -d "${TMPDIR:-/tmp}/record_cli.XXXXXX") || exit 99
P=
trap '[ -n "$P" ] && kill "$P" 2>/dev/null; rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

[ -r /proc/self/pagemap ] || { echo "SKIP: no /proc/PID/pagemap"; exit 77; }

expect_error() { # STATUS MESSAGE-PREFIX COMMAND...
	want_rc=$1 want_msg=$2
	shift 2
	"$@" >"$T/out" 2>"$T/err"
	rc=$?
	[ "$rc" -eq "$want_rc" ] || fail "$*: exit $rc, want $want_rc"
	[ "$(wc -l <"$T/err")" -eq 1 ] || fail "$*: stderr is not one line: $(cat "$T/err")"
	case $(cat "$T/err") in
	"$want_msg"*) ;;
	*) fail "$*: stderr '$(cat "$T/err")', want '$want_msg...'" ;;
	esac
}

wait_file() { # waits for a file (the target writes it when its memory is ready)
	i=0
	while [ ! -s "$1" ]; do
		i=$((i + 1))
		[ "$i" -lt 3000 ] || { fail "$1 never appeared"; return 1; }
		sleep 0.02
	done
}

# --pid: the mergeable region of 64 pages, contents as refs and zero writes
"$TARGET" "$T/ready" wait &
P=$!
wait_file "$T/ready"
read -r A B <"$T/ready"
"$SIM" record --pid "$P" --duration 200ms --interval 50ms -o "$T/p.kst" >"$T/out" ||
	fail "record --pid: $(cat "$T/out")"
grep -q "bytes per recorded page" "$T/out" || fail "no bytes per page in the summary"
"$SIM" trace convert "$T/p.kst" "$T/p.kstt" || fail "recorded trace does not convert"
a=$(printf '0x%x' "$A")
grep -q "^0ns start pid=$P name=rec_target\$" "$T/p.kstt" || fail "no start record"
grep -q "^0ns mmap pid=$P vaddr=$a pages=64\$" "$T/p.kstt" || fail "region A not mapped"
grep -q "^0ns mergeable pid=$P vaddr=$a pages=64\$" "$T/p.kstt" || fail "region A not mergeable"
[ "$(grep -c ' mergeable ' "$T/p.kstt")" -eq 1 ] || fail "more than region A is mergeable"
grep -q "^0ns write pid=$P vaddr=$a pages=8 class=1 arg=0 step=0\$" "$T/p.kstt" ||
	fail "zero pages of A not one zero write"
grep -q "^0ns ref pid=$P vaddr=$(printf '0x%x' $((A + 8 * 4096))) pages=16 id=[0-9]* step=0\$" \
	"$T/p.kstt" || fail "16 copies of P(1) not one ref with step 0"
"$SIM" trace info "$T/p.kst" >"$T/info" || fail "trace info"
grep -qx 'format: binary, version 2' "$T/info" || fail "info: version 2"
# --mergeable-only: region A alone (the replays below use this trace: the whole process
# may map terabytes it never touches, e.g. a sanitizer's shadow, and the simulator's
# page tables are dense)
"$SIM" record --pid "$P" --duration 100ms --interval 50ms --mergeable-only -o "$T/m.kst" \
	>"$T/out" || fail "record --mergeable-only: $(cat "$T/out")"
"$SIM" trace convert "$T/m.kst" "$T/m.kstt" || fail "mergeable-only trace does not convert"
grep -q "^0ns mmap pid=$P vaddr=$a pages=64\$" "$T/m.kstt" || fail "mergeable-only: A not mapped"
[ "$(grep -c ' mmap ' "$T/m.kstt")" -eq 1 ] || fail "mergeable-only: more than A mapped"
grep -q '^dictionary: ' "$T/info" || fail "info: dictionary"

# the process exits mid-recording: the trace ends with its exit, exit status 0
"$SIM" record --pid "$P" --duration 60s --interval 20ms -o "$T/x.kst" >"$T/out" 2>&1 &
R=$!
i=0
while ! ls "$T"/x.kst.tmp* >/dev/null 2>&1 && [ "$i" -lt 3000 ]; do
	i=$((i + 1)); sleep 0.02
done
kill "$P"
wait "$P"
P=
wait "$R" || fail "record of a process that exits: exit $?: $(cat "$T/out")"
"$SIM" trace info "$T/x.kst" | grep -qx 'processes: 1 (1 started, 1 exited)' ||
	fail "no exit record for the process that exited"

# -- CMD: the command exits by itself; the recording ends with it
"$SIM" record -d 60s -i 20ms -o "$T/c.kstt" -- "$TARGET" "$T/ready2" exit >"$T/out" ||
	fail "record -- CMD: $(cat "$T/out")"
head -1 "$T/c.kstt" | grep -qx 'ksmsim-trace [12]' || fail "-- CMD: no text trace"
"$SIM" trace info "$T/c.kstt" | grep -qx 'processes: 1 (1 started, 1 exited)' ||
	fail "-- CMD: start and exit"

# replay: the recorded trace drives a run
cat >"$T/replay.yaml" <<EOS
name: replay
duration: 2s
trace:
  file: $T/m.kst
EOS
"$SIM" --scenario "$T/replay.yaml" --db "$T/r.db" -q || fail "replay of a recorded trace"
"$SIM" --scenario "$T/replay.yaml" --db "$T/ref.db" -q --set path=reference ||
	fail "replay on the reference path"
if command -v sqlite3 >/dev/null; then
	s1=$(sqlite3 "$T/r.db" "select t_ns, pages_shared, pages_sharing, pages_unshared, full_scans from samples")
	s2=$(sqlite3 "$T/ref.db" "select t_ns, pages_shared, pages_sharing, pages_unshared, full_scans from samples")
	[ -n "$s1" ] && [ "$s1" = "$s2" ] || fail "bulk and reference paths differ on a recorded trace"
fi

# errors: one line, exit 2, nothing under the final name
"$TARGET" "$T/ready3" exit
expect_error 2 "sim: record: needs --pid PID or -- CMD" "$SIM" record -o "$T/e.kst"
expect_error 2 "sim: record: needs -o FILE" "$SIM" record --pid 1
expect_error 2 "sim: record: --pid 'abc' is not a process id" "$SIM" record --pid abc -o "$T/e.kst"
expect_error 2 "sim: record: pid 2147483647: no such process" \
	"$SIM" record --pid 2147483647 -o "$T/e.kst"
expect_error 2 "sim: record: cannot run '$T/none': No such file or directory" \
	"$SIM" record -o "$T/e.kst" -- "$T/none"
expect_error 2 "sim: record: --interval '0s': must be more than 0" \
	"$SIM" record -i 0s --pid 1 -o "$T/e.kst"
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	chmod 777 "$T"
	expect_error 2 "sim: record: pid 1: cannot read its memory (/proc/1/mem: Permission denied)" \
		setpriv --reuid=65534 --regid=65534 --clear-groups "$SIM" record --pid 1 -o "$T/e.kst"
fi
ls "$T"/e.kst* >/dev/null 2>&1 && fail "a failed recording left a file: $(ls "$T"/e.kst*)"

# trace import: a raw image (a zero page, then two equal pages) and bad images
{ head -c 4096 /dev/zero; head -c 4096 "$TARGET"; head -c 4096 "$TARGET"; } >"$T/mem.raw"
"$SIM" trace import --image raw --name guest "$T/mem.raw" -o "$T/mem.kst" >"$T/out" ||
	fail "import raw: $(cat "$T/out")"
grep -q '^imported .*: 1 region, 3 pages (1 zero, 1 distinct non-zero pages stored)$' \
	"$T/out" || fail "import raw summary: $(cat "$T/out")"
"$SIM" trace info "$T/mem.kst" | grep -qx 'pages written: 3' || fail "import raw: pages"
expect_error 2 "sim: $T/mem.raw:0: not an ELF core dump (for a raw memory image use --image raw)" \
	"$SIM" trace import "$T/mem.raw" -o "$T/e.kst"
head -c 5000 "$T/mem.raw" >"$T/short.raw"
expect_error 2 "sim: $T/short.raw:4096: size 5000 is not a whole number of pages" \
	"$SIM" trace import --image raw "$T/short.raw" -o "$T/e.kst"
{ printf '\177ELF\002\001\001\000\000\000\000\000\000\000\000\000\004\000\267\000'
  head -c 44 /dev/zero; } >"$T/arm.elf"
expect_error 2 "sim: $T/arm.elf:18: ELF machine 183 (aarch64), not x86_64: only x86_64 dumps" \
	"$SIM" trace import "$T/arm.elf" -o "$T/e.kst"
head -c 40 "$T/arm.elf" >"$T/trunc.elf"
expect_error 2 "sim: $T/trunc.elf:0: truncated ELF header" \
	"$SIM" trace import "$T/trunc.elf" -o "$T/e.kst"
ls "$T"/e.kst* >/dev/null 2>&1 && fail "a failed import left a file: $(ls "$T"/e.kst*)"

[ "$fails" -eq 0 ] || exit 1
echo "record_cli: all passed"
