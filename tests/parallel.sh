#!/usr/bin/env bash
# parallel.sh - the GNU parallel recipes of docs/sweeps.md, as written there: points in
# databases of their own merged afterwards, and every point into one shared database
# at once (WAL: the writers wait for each other, none fails). Skipped (77) without GNU
# parallel.
set -u
: "${SIM:?}" "${SRCDIR:?}"
if ! parallel --version 2>/dev/null | grep -q 'GNU parallel'; then
	echo "SKIP: GNU parallel is not installed (Debian package 'parallel')"
	exit 77
fi
. "$SRCDIR/tests/lib.sh"
cd "$tmp" || exit 2
sweep=("$SIM" sweep --scenario "$data/poisson.yaml" --vary ksm.pages_to_scan=10..60/10 --seeds 2)
"${sweep[@]}" --db serial.db --quiet
check "serial" 0 $?

# Recipe 1: one database per point, then merge.
mkdir parts
"${sweep[@]}" --plan | awk '!/^#/ {print $2}' | sort -un |
	parallel --will-cite -j 4 "${sweep[@]}" --point {} --db parts/point{}.db --quiet
check "parallel, one database per point" 0 $?
"$SIM" db merge all.db parts/*.db >/dev/null
check "merge" 0 $?
check "merged = serial" "$(results serial.db | md5sum)" "$(results all.db | md5sum)"

# Recipe 2: every point into one database at once.
"${sweep[@]}" --plan | awk '!/^#/ {print $2}' | sort -un |
	parallel --will-cite -j 6 "${sweep[@]}" --point {} --db shared.db --quiet
check "parallel into one database" 0 $?
check "shared = serial" "$(results serial.db | md5sum)" "$(results shared.db | md5sum)"
check "shared: one sweep" "1|12" "$(q shared.db 'select count(*), (select count(*) from runs) from sweeps')"

finish
