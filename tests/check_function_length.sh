#!/usr/bin/env bash
# check_function_length.sh - no C function longer than KS_MAX_FUNCTION_LINES (150) lines
# of body anywhere in the tree: a longer one is split into named steps (HACKING.md).
# Functions are found as the house style writes them: the signature starts in column 0
# and the body is the lines between a "{" and a "}" in column 0 (the same counts as
# ctags' line/end fields). The counter checks itself first on a function of known size,
# so a broken counter fails instead of passing everything.
set -u
: "${SRCDIR:?}"
max=${KS_MAX_FUNCTION_LINES:-150}

# Prints "LINES FILE:LINE NAME" for every function of the files given.
lengths() {
	awk '
	FNR == 1 { start = 0 }
	/^[A-Za-z_].*\(/ { sig = $0; sigline = FNR }
	/^\{/ { start = FNR; name = sig; sub(/\(.*/, "", name)
		n = split(name, w, /[ *]+/); name = w[n]; next }
	/^\}/ && start { print FNR - start - 1, FILENAME ":" sigline, name; start = 0 }
	' "$@"
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/fnlen.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
{
	printf 'static int\nsmall(void)\n{\n\treturn 0;\n}\n\nint long_one(int a,\n\t     int b)\n{\n'
	for i in $(seq 1 $((max + 1))); do printf '\ta += %d;\n' "$i"; done
	printf '\treturn a + b;\n}\n'
} >"$tmp/probe.c"
probe=$(lengths "$tmp/probe.c")
want="1 $tmp/probe.c:2 small
$((max + 2)) $tmp/probe.c:7 long_one"
if [ "$probe" != "$want" ]; then
	echo "function length: the counter is broken: got '$probe', want '$want'"
	exit 1
fi

cd "$SRCDIR" || exit 2
# shellcheck disable=SC2046
long=$(lengths $(find models traces sim reports tests arch-models -name '*.c' 2>/dev/null |
		 sort) | awk -v max="$max" '$1 > max')
if [ -n "$long" ]; then
	printf 'function longer than %s lines (split it into named steps):\n%s\n' "$max" "$long"
	exit 1
fi
echo "function length: every function has at most $max lines"
