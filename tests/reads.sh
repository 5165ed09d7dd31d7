#!/bin/sh
# reads.sh - reads in the workload and their cost (seed 003, docs/cost-models.md "Reads"):
# the shipped s390x scenario reproduces the seed's claim (use_zero_pages == no KSM,
# merging empty pages into KSM pages slower), 4 and 128 zero pages differ where the arch
# has cache colours and nowhere else, reads change no KSM counter, both paths and a
# replayed trace agree, and bad input is one line with exit status 2.
set -u
. "$SRCDIR/tests/lib.sh"
rdata="$SRCDIR/tests/data/reads"
db="$tmp/z.db"
run() { # run LABEL ARGS...: one run of zero-colour-s390 (5 s simulated) into $db
	label=$1
	shift
	"$SIM" --scenario zero-colour-s390 --set duration=5s --quiet --db "$db" "$@" ||
		bad "$label: exit $?"
}
last() { q "$db" "select $1 from reads where run_id = (select max(id) from runs)"; }

# the seed's claim on s390x, the three variants
run coloured
check "variant" ksm-zero-pages "$(last variant)"
col=$(last ns) col_noksm=$(last ns_noksm)
check "use_zero_pages 1: readers' time with KSM = without" "$col_noksm" "$col"
check "use_zero_pages 1: no synonym" 0 "$(last synonym_pages)"
run merged --set ksm.use_zero_pages=false
check "variant" ksm-merge "$(last variant)"
mer=$(last ns)
[ "$(last ksm_pages)" -gt 0 ] || bad "merged: no read of a KSM page"
[ "$(last synonym_pages)" -gt 0 ] || bad "merged: no synonym"
run noksm --set ksm.run=0
check "variant" no-ksm "$(last variant)"
nok=$(last ns)
check "no KSM = its own baseline" "$(last ns_noksm)" "$nok"
check "use_zero_pages 1 = no KSM" "$nok" "$col"
"$SIM" --scenario zero-colour-s390 --set duration=5s --set ksm.run=0 --db "$tmp/r0.db" \
	>"$tmp/out" 2>"$tmp/err" || bad "run 0: exit $?"
check "run 0: no warning (ksmd never ran, nothing to converge)" "" "$(cat "$tmp/err")"
grep -q "^  KSM variant: *no KSM (ksmd never ran)" "$tmp/out" || bad "run 0: variant line"
[ "$mer" -gt "$nok" ] || bad "merged ($mer ns) is not slower than no KSM ($nok ns)"

"$SIM" report "$db" --run 2 >"$tmp/report" || bad "report: exit $?"
grep -q "^readers' time: .* with KSM, .* without (x1\.[0-9]*; .* ksm-merge, 128 zero pages)" \
	"$tmp/report" || bad "report lacks the readers' time: $(grep readers "$tmp/report")"

# sim compare puts the variants side by side
"$SIM" compare "$db:1" "$db:2" >"$tmp/cmp" || bad "compare: exit $?"
grep -q "^  KSM variant  *ksm-zero-pages  *ksm-merge$" "$tmp/cmp" ||
	bad "compare lacks the variants: $(grep variant "$tmp/cmp")"
grep -q "^  readers' time with KSM (s) .* 1\.[0-9]*$" "$tmp/cmp" ||
	bad "compare lacks the readers' time: $(grep readers "$tmp/cmp")"
check "compare: one readers' section" 1 "$(grep -c '^readers (' "$tmp/cmp")"

# 4 against 128 zero pages: the reader differs, KSM does not
run colours4 --set ksm.zero_page_colours=4
c4=$(last ns)
[ "$c4" -gt "$col" ] || bad "4 zero pages ($c4 ns) not slower than 128 ($col ns)"
check "4 vs 128 zero pages: same KSM counters" \
	"$(q "$db" "select saved_bytes, ksmd_cpu_ns, batches from runs where id = 1")" \
	"$(q "$db" "select saved_bytes, ksmd_cpu_ns, batches from runs where id = 4")"
check "zero_page_colours stored" "4|128" \
	"$(q "$db" "select group_concat(zero_page_colours, '|') from
		    (select zero_page_colours from run_params where run_id in (4, 1) order by run_id desc)")"
# 1 against 128 zero pages on s390x's caches: an s390x model whose kernel may also have
# one zero page (as kernels before 4.x had on z900..z9); one zero page is read from every
# colour, so nearly every read of it is a synonym, as with 4
sed 's/values: \[4, 8/values: [1, 4, 8/' "$SRCDIR/arch-models/s390x.yaml" >"$tmp/s390x-1.yaml"
run colours1 --arch "$tmp/s390x-1.yaml" --set ksm.zero_page_colours=1
c1=$(last ns)
[ "$c1" -gt "$col" ] || bad "1 zero page ($c1 ns) not slower than 128 ($col ns)"
[ "$(last synonym_pages)" -gt 0 ] || bad "1 zero page: no synonym"
# before 4.13 (no max_page_sharing) every empty page merged into one KSM page: as slow
run onepage --set ksm.use_zero_pages=false --set ksm.max_page_sharing=1000000
check "one KSM page: every read of an empty page from it" "$(q "$db" "select ksm_pages from reads where run_id = 2")" "$(last ksm_pages)"
[ "$(last synonym_pages)" -ge "$(q "$db" "select synonym_pages from reads where run_id = 2")" ] ||
	bad "one KSM page: fewer synonyms than 122 KSM pages"
[ "$(last ns)" -gt "$nok" ] || bad "one KSM page not slower than no KSM"
# s390x with host: the zero pages its RAM gives (setup_zero_pages(): 128 from 512 MiB,
# one per 4 MiB below, at least 4); a count that RAM rules out is refused
run ram256 --set host.ram=256MiB --set host.kernel_reserved=16MiB
check "s390x on 256 MiB: 64 zero pages" 64 "$(last zero_page_colours)"
run ram8g --set host.ram=8GiB --set host.kernel_reserved=16MiB
check "s390x on 8 GiB: 128 zero pages" 128 "$(last zero_page_colours)"
run ram256-64 --set host.ram=256MiB --set host.kernel_reserved=16MiB --set ksm.zero_page_colours=64
check "s390x on 256 MiB, 64 given" 64 "$(last zero_page_colours)"
# MIPS's rule as an arch model would state it (docs/cost-models.md, "MIPS"): 8 cache
# colours, 8 zero pages with cpu_has_vce (R4000/R4400), else 1; s390x's costs kept
sed -e '/^  cache_colours:/,/^  synonym:/s/value: 128/value: 8/' \
	-e 's/values: \[4, 8, 16, 32, 64, 128\]/values: [1, 8]/' -e 's/default: 128/default: 8/' \
	"$SRCDIR/arch-models/s390x.yaml" >"$tmp/r4400.yaml"
run vce --arch "$tmp/r4400.yaml"
check "8 cache colours, 8 zero pages: the arch's default" 8 "$(last zero_page_colours)"
check "8 cache colours" 8 "$(last cache_colours)"
check "8 zero pages, use_zero_pages 1: no synonym" 0 "$(last synonym_pages)"
run vce1 --arch "$tmp/r4400.yaml" --set ksm.zero_page_colours=1
[ "$(last synonym_pages)" -gt 0 ] || bad "8 cache colours, 1 zero page: no synonym"
# x86_64 has one zero page and no cache colours: the variants read alike
run x86-coloured --arch x86_64
x1=$(last ns)
run x86-merged --arch x86_64 --set ksm.use_zero_pages=false
check "x86_64: merged = use_zero_pages" "$x1" "$(last ns)"
check "x86_64: one zero page" 1 "$(last zero_page_colours)"

# reads change no KSM counter: the same scenario without its reader
sed '/^    reads:/,$d' "$SRCDIR/scenarios/zero-colour-s390.yaml" >"$tmp/noread.yaml"
"$SIM" --scenario "$tmp/noread.yaml" --set duration=5s --quiet --db "$tmp/n.db" ||
	bad "no reader: exit $?"
cols="t_ns, batch, full_scans, pages_scanned, pages_shared, pages_sharing, pages_unshared,
      pages_volatile, ksm_zero_pages, general_profit, rmap_items, cow_ksm, ksmd_cpu_ns"
check "reads change no counter" "$(q "$tmp/n.db" "select $cols from samples where run_id = 1")" \
	"$(q "$db" "select $cols from samples where run_id = 1")"
check "no reader: no reads row" 0 "$(q "$tmp/n.db" "select count(*) from reads")"
[ "$(q "$db" "select count(*) from read_samples where run_id = 1")" -gt 0 ] ||
	bad "no read_samples"

# determinism, the reference path, and the same workload replayed from a trace
run again
check "same seed, same reads" "$(q "$db" "select pages, ns, ns_noksm, synonym_pages from reads where run_id = 1")" \
	"$(last "pages, ns, ns_noksm, synonym_pages")"
run reference --set path=reference --set ksm.use_zero_pages=false
check "reference path = bulk path" "$mer" "$(last ns)"
"$SIM" trace gen --scenario zero-colour-s390 --set duration=5s -o "$tmp/z.kst" >/dev/null ||
	bad "trace gen: exit $?"
"$SIM" trace convert "$tmp/z.kst" "$tmp/z.kstt" || bad "convert"
grep -q ' read pid=1 vaddr=' "$tmp/z.kstt" || bad "no read record in the generated trace"
printf 'name: replay\narch: s390x\nduration: 5s\nksm: {pages_to_scan: 4000, sleep_millisecs: 20, use_zero_pages: false}\ntrace: {file: %s}\n' \
	"$tmp/z.kstt" >"$tmp/replay.yaml"
"$SIM" --scenario "$tmp/replay.yaml" --quiet --db "$db" || bad "replay: exit $?"
check "replayed trace = generator" "$mer" "$(last ns)"

# the variant is what ksmd ran with, not the knobs at the start (ksm_changes)
sc=$SRCDIR/scenarios/zero-colour-s390.yaml
sed 's/^  use_zero_pages: true/  use_zero_pages: true\n  run: 0\nksm_changes:\n  - at: 1s\n    set: {run: 1}/' \
	"$sc" >"$tmp/late-run.yaml"
"$SIM" --scenario "$tmp/late-run.yaml" --set duration=5s --quiet --db "$db" || bad "late run: exit $?"
check "run 0, then 1: the variant ksmd ran" ksm-zero-pages "$(last variant)"
check "run 0, then 1: the zero pages read" "$col" "$(last ns)"
sed 's/^  use_zero_pages: true/  use_zero_pages: false\nksm_changes:\n  - at: 3s\n    set: {use_zero_pages: true}/' \
	"$sc" >"$tmp/flip.yaml"
"$SIM" --scenario "$tmp/flip.yaml" --set duration=5s --db "$db" >"$tmp/out" || bad "flip: exit $?"
check "use_zero_pages changed while ksmd ran" mixed "$(last variant)"
check "mixed: as merged until the change (every page merged by then)" "$mer" "$(last ns)"
grep -q "^  KSM variant: *mixed: use_zero_pages changed while ksmd ran" "$tmp/out" ||
	bad "summary lacks the mixed variant: $(grep variant "$tmp/out")"
run algo2009 --set ksm.algorithm=2009
check "2009 algorithm: empty pages merged whatever use_zero_pages says" ksm-merge "$(last variant)"

# readers per process and per group: they add up to the run's totals
"$SIM" --scenario "$rdata/groups.yaml" --db "$tmp/g.db" >"$tmp/out" || bad "groups: exit $?"
check "read_procs rows: the processes that read" "solver/0|solver/1|scan/0" \
	"$(q "$tmp/g.db" "select group_concat(process, '|') from (select process from read_procs order by rowid)")"
check "read_procs add up to reads" \
	"$(q "$tmp/g.db" "select pages, ns, ns_noksm, synonym_pages, private_pages, ksm_pages, zero_pages from reads")" \
	"$(q "$tmp/g.db" "select sum(pages), sum(ns), sum(ns_noksm), sum(synonym_pages), sum(private_pages),
			     sum(ksm_pages), sum(zero_pages) from read_procs")"
[ "$(q "$tmp/g.db" "select count(distinct ns) from read_procs")" = 3 ] || bad "per-process totals alike"
grep -q "^  readers by group: *solver (2 processes): .* with KSM, .* without (x1\.[0-9]*; 600002 pages" \
	"$tmp/out" || bad "summary lacks the solver group: $(grep -A1 'readers by' "$tmp/out")"
grep -q "^ *scan/0: .*; 100004 pages" "$tmp/out" || bad "summary lacks scan/0"
"$SIM" report "$tmp/g.db" >"$tmp/report" || bad "report groups: exit $?"
grep -q "^readers by group: *solver (2 processes): .* 600002 pages" "$tmp/report" ||
	bad "report lacks the groups: $(grep -A1 'readers by' "$tmp/report")"

# a file written before the variant 'mixed' existed takes a mixed run (its reads table
# rebuilt with the wider CHECK, its rows kept)
cp "$tmp/g.db" "$tmp/old.db"
q "$tmp/old.db" "create table r2 as select * from reads; drop table reads;
	create table reads(run_id INTEGER PRIMARY KEY REFERENCES runs(id),
	  variant TEXT NOT NULL CHECK(variant IN ('no-ksm','ksm-merge','ksm-zero-pages')),
	  zero_page_colours INTEGER NOT NULL, cache_colours INTEGER NOT NULL,
	  pages INTEGER NOT NULL, ns INTEGER NOT NULL, ns_noksm INTEGER NOT NULL,
	  synonym_pages INTEGER NOT NULL, synonym_pages_noksm INTEGER NOT NULL,
	  private_pages INTEGER NOT NULL, ksm_pages INTEGER NOT NULL, zero_pages INTEGER NOT NULL);
	insert into reads select * from r2; drop table r2;"
"$SIM" --scenario "$tmp/flip.yaml" --set duration=5s --quiet --db "$tmp/old.db" ||
	bad "mixed run into an older file: exit $?"
check "older file: rows kept, mixed added" "ksm-merge|mixed" \
	"$(q "$tmp/old.db" "select group_concat(variant, '|') from (select variant from reads order by run_id)")"

# bad input: one line, exit status 2
expect2() { # expect2 LABEL MESSAGE-PREFIX ARGS...
	label=$1 want=$2
	shift 2
	"$SIM" --quiet --db "$tmp/bad.db" "$@" >"$tmp/out" 2>"$tmp/err"
	check "$label: exit status" 2 "$?"
	check "$label: one line" 1 "$(wc -l <"$tmp/err")"
	case $(cat "$tmp/err") in
	"$want"*) ok ;;
	*) bad "$label: '$(cat "$tmp/err")', want '$want...'" ;;
	esac
}
printf 'name: c\nduration: 1s\nksm:\n  zero_page_colours: 128\nprocesses:\n  - regions: [{pages: 4}]\n' \
	>"$tmp/c.yaml"
expect2 "x86_64 with 128 zero pages" "sim: $tmp/c.yaml:4:22: zero_page_colours 128: arch 'x86_64'" \
	--scenario "$tmp/c.yaml"
expect2 "s390x with 2 zero pages" "sim: --set ksm.zero_page_colours=2: zero_page_colours 2: arch 's390x'" \
	--scenario zero-colour-s390 --set ksm.zero_page_colours=2
expect2 "s390x on 256 MiB with 128 zero pages" \
	"sim: --set ksm.zero_page_colours=128: zero_page_colours 128: arch 's390x' with host.ram 256.00 MiB sets up 64 zero pages" \
	--scenario zero-colour-s390 --set host.ram=256MiB --set host.kernel_reserved=16MiB \
	--set ksm.zero_page_colours=128
expect2 "read of an unmapped range" \
	"sim: $rdata/unmapped.kstt:7: read of an unmapped range: pid 1 has no mapping at 0x10000004000" \
	--scenario "$rdata/unmapped.yaml"
expect2 "read beyond the region" "sim: $rdata/bad-range.yaml:6:38: first + count = 12 is beyond" \
	--scenario "$rdata/bad-range.yaml"
[ ! -s "$tmp/bad.db" ] || [ "$(q "$tmp/bad.db" "select count(*) from runs")" = 0 ] ||
	bad "a failed run was kept"
finish
