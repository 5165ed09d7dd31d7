#!/bin/sh
# trace_cli.sh - `sim trace convert|gen|info` end to end: lossless conversions, a
# deterministic generator, and one-line errors with exit status 2.
set -u
: "${SIM:?SIM must name the sim binary}"
: "${SRCDIR:?SRCDIR must name the source tree}"
DATA="$SRCDIR/tests/data/traces"
T=$(mktemp -d "${TMPDIR:-/tmp}/trace_cli.XXXXXX") || exit 99
trap 'rm -rf "$T"' EXIT
fails=0

fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# expect_error STATUS MESSAGE-PREFIX COMMAND...: exit status and the one stderr line
expect_error() {
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

# text -> binary -> text is lossless; binary -> text -> binary is byte-identical
"$SIM" trace convert "$DATA/example.kstt" "$T/a.kst" || fail "convert to binary"
"$SIM" trace convert "$T/a.kst" "$T/a.kstt" || fail "convert to text"
"$SIM" trace convert "$T/a.kstt" "$T/b.kst" || fail "convert back to binary"
cmp -s "$T/a.kst" "$T/b.kst" || fail "binary -> text -> binary differs"
"$SIM" trace convert --format text "$T/b.kst" "$T/c.out" || fail "convert --format text"
cmp -s "$T/a.kstt" "$T/c.out" || fail "--format text differs from .kstt output"
head -1 "$T/a.kstt" | grep -qx 'ksmsim-trace 1' || fail "text output lacks its header line"

# info: counts by op, processes, time span
"$SIM" trace info "$T/a.kst" >"$T/info" || fail "info"
grep -qx 'records: 18' "$T/info" || fail "info: record count: $(cat "$T/info")"
grep -qx '  write        5' "$T/info" || fail "info: write count"
grep -qx '  literal      1' "$T/info" || fail "info: literal count"
grep -qx 'processes: 2 (2 started, 2 exited)' "$T/info" || fail "info: processes"
grep -qx 'time span: 0ns .. 2500ms' "$T/info" || fail "info: time span"
grep -qx 'format: binary, version 1' "$T/info" || fail "info: format"

# gen: deterministic, seed-dependent, and its file reads back
"$SIM" trace gen --scenario "$DATA/tiny.yaml" -o "$T/g1.kst" || fail "gen"
"$SIM" trace gen --scenario "$DATA/tiny.yaml" -o "$T/g2.kst" || fail "gen again"
cmp -s "$T/g1.kst" "$T/g2.kst" || fail "gen is not deterministic"
"$SIM" trace gen --scenario "$DATA/tiny.yaml" -o "$T/g3.kst" --seed 8 || fail "gen --seed"
cmp -s "$T/g1.kst" "$T/g3.kst" && fail "gen --seed 8 gave the seed-7 trace"
"$SIM" trace gen --scenario "$DATA/tiny.yaml" -o "$T/g.kstt" || fail "gen text"
"$SIM" trace convert "$T/g.kstt" "$T/g4.kst" || fail "convert generated text"
cmp -s "$T/g1.kst" "$T/g4.kst" || fail "generated text and binary differ"
"$SIM" trace gen --scenario "$DATA/tiny.yaml" --set duration=12ms -o "$T/short.kst" ||
	fail "gen --set"
"$SIM" trace info "$T/short.kst" | grep -qx 'time span: 0ns .. 10ms' || fail "gen --set duration"
"$SIM" trace info "$T/g1.kst" | grep -qx 'time span: 0ns .. 910ms' || fail "gen exit times"

# errors: one line, located, exit 2; a failed conversion leaves no output behind
expect_error 2 "sim: $DATA/bad_undefined_class.kstt:4: write uses undefined class 7" \
	"$SIM" trace convert "$DATA/bad_undefined_class.kstt" "$T/x.kst"
[ -e "$T/x.kst" ] && fail "failed convert left $T/x.kst"
ls "$T" | grep -q tmp && fail "failed convert left a temporary file"
expect_error 2 "sim: $DATA/bad_backwards.kstt:3: timestamp goes backwards (12ms < 15ms)" \
	"$SIM" trace info "$DATA/bad_backwards.kstt"
head -c 100 "$T/a.kst" >"$T/cut.kst"
expect_error 2 "sim: $T/cut.kst:" "$SIM" trace info "$T/cut.kst"
grep -q 'truncated record (expected' "$T/err" || fail "cut file: $(cat "$T/err")"
printf 'not a trace\n' >"$T/junk.kst"
expect_error 2 "sim: $T/junk.kst:0: not a ksmsim trace (bad magic)" \
	"$SIM" trace convert "$T/junk.kst" "$T/y.kstt"
expect_error 2 "sim: trace: cannot tell the format of '$T/z.txt'" \
	"$SIM" trace convert "$T/a.kst" "$T/z.txt"
expect_error 2 "sim: trace: unknown subcommand 'frob'" "$SIM" trace frob
expect_error 2 "sim: trace: gen needs --scenario NAME and -o OUT" "$SIM" trace gen -o "$T/q.kst"
expect_error 2 "sim: trace: unknown option '--bogus'" "$SIM" trace info --bogus x
"$SIM" trace --help >"$T/help" || fail "--help exit status"
grep -q '^usage: sim trace convert' "$T/help" || fail "--help text"

[ "$fails" -eq 0 ] || exit 1
echo "trace_cli: all passed"
