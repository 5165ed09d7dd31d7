#!/usr/bin/env bash
# compare.sh - `sim compare`: figures with differences and ratios, settings that differ,
# the notes (no effect, odd pairings, seed only), runs from one or two databases, and
# bad input (one line, exit 2).
set -u
. "$SRCDIR/tests/lib.sh"
has() { printf '%s\n' "$2" | grep -qF -- "$3" && ok || bad "$1: no '$3' in: $2"; }
run() { "$SIM" --scenario "$data/poisson.yaml" --quiet "$@"; }

run --db "$tmp/a.db"                                                  # run 1
run --db "$tmp/a.db" --set ksm.pages_to_scan=50                       # run 2
run --db "$tmp/a.db" --set ksm.stable_node_chains_prune_millisecs=5000 # run 3
run --db "$tmp/a.db" --seed 9                                         # run 4
run --db "$tmp/b.db" --set ksm.checksum=cksm                          # b: run 1

out=$("$SIM" compare "$tmp/a.db:1" "$tmp/a.db:2")
check "exit" 0 $?
has "header" "$out" "A: $tmp/a.db run 1 (poisson, seed 1, arch x86_64)"
has "setting that differs" "$out" "pages_to_scan"
# the ratio column is B / A of the columns before it
row=$(printf '%s\n' "$out" | grep '^  full_scans ')
read -r _ fa fb _ ratio <<<"$row"
check "ratio" "$(awk -v a="$fa" -v b="$fb" 'BEGIN { printf "%.3f", b / a }')" "$ratio"
has "latency buckets" "$out" "cmp_and_merge_page latency, anonymous pages"
has "components" "$out" "ksmd CPU by component (s):"

out=$("$SIM" compare "$tmp/a.db:1" "$tmp/a.db:3")
has "no effect" "$out" "the settings that differ (stable_node_chains_prune_millisecs) changed no KSM counter"
out=$("$SIM" compare "$tmp/a.db:1" "$tmp/a.db:4")
has "seed only" "$out" "only the seed differs"
out=$("$SIM" compare "$tmp/a.db:1" "$tmp/b.db")
has "two databases" "$out" "B: $tmp/b.db run 1"
has "odd pairing" "$out" "B: the CKSM checksum is s390's instruction, priced here on x86_64"
out=$("$SIM" compare "$tmp/a.db" "$tmp/a.db:last")
has "last by default" "$out" "A and B are the same run"

out=$("$SIM" compare "$tmp/a.db:1" "$tmp/a.db:9" 2>&1)
check "no such run: exit" 2 $?
check "no such run: message" "sim: compare: $tmp/a.db: no run 9" "$out"
out=$("$SIM" compare "$tmp/a.db:1" "$tmp/nope.db" 2>&1)
check "no such database: exit" 2 $?
check "no such database: message" "sim: compare: $tmp/nope.db: no such results database" "$out"
out=$("$SIM" compare "$tmp/a.db:1" 2>&1)
check "one run only: exit" 2 $?
out=$("$SIM" compare "$tmp/a.db:1" "$tmp/a.db:2" --html "$tmp/none/x" 2>&1)
check "unwritable html: exit" 2 $?
check "unwritable html: one line" 1 "$(printf '%s\n' "$out" | wc -l)"

finish
