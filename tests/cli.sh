#!/usr/bin/env bash
# cli.sh - `sim --scenario` end to end: results database contents, determinism,
# --set, lookup by name, the acceptance case, bad input, and SIGINT.
set -u
. "$SRCDIR/tests/lib.sh"

# --version and --help
"$SIM" --version | grep -q '^sim (ksmsim) ' && ok || bad "--version"
"$SIM" --help | grep -q 'usage: sim --scenario' && ok || bad "--help"

# A run: the results database holds the run, its samples and process samples.
"$SIM" --scenario "$data/tiny.yaml" --db "$tmp/t.db" --quiet
check "tiny exit" 0 $?
check "tiny status" complete "$(q "$tmp/t.db" 'select status from runs')"
check "tiny final shared/sharing" "1|127" \
	"$(q "$tmp/t.db" 'select pages_shared, pages_sharing from samples order by t_ns desc, batch desc limit 1')"
check "tiny scenario text" 1 "$(q "$tmp/t.db" "select instr(scenario_text, 'name: tiny') > 0 from runs")"
check "tiny process samples" 2 "$(q "$tmp/t.db" 'select count(distinct pid) from process_samples')"
check "tiny merging pages" "64|64" \
	"$(q "$tmp/t.db" "select group_concat(m, '|') from (select max(ksm_merging_pages) m from process_samples group by pid order by pid)")"
# The report of a run shows its cost tables (x86_64 cost model by default).
rep=$("$SIM" report "$tmp/t.db")
check "report exit" 0 $?
for want in "memory saved:" "ksmd CPU by component:" "cmp_and_merge_page latency, anon page" \
	"cmp_and_merge_page latency, ksm page"; do
	printf '%s\n' "$rep" | grep -qF "$want" && ok || bad "report lacks '$want'"
done
# --report prints the cost tables once.
rep=$("$SIM" --scenario "$data/tiny.yaml" --db "$tmp/rep.db" --report)
check "--report: cost table once" 1 "$(printf '%s\n' "$rep" | grep -c '^ksmd CPU by component')"
check "--report: histograms once" 1 "$(printf '%s\n' "$rep" | grep -c '^cmp_and_merge_page latency, anon page')"
printf '%s\n' "$rep" | grep -q '^final counters' && ok || bad "--report: no full report"
# A second run into the same database adds a run.
"$SIM" --scenario "$data/tiny.yaml" --db "$tmp/t.db" --quiet
check "second run" 2 "$(q "$tmp/t.db" 'select count(*) from runs')"

# Determinism: same scenario and seed give identical rows; another seed differs.
for s in 1 2; do
	"$SIM" --scenario "$data/poisson.yaml" --seed $s --db "$tmp/p$s.db" --quiet
done
rows() { q "$1" 'select t_ns, batch, full_scans, pages_scanned, pages_shared, pages_sharing, pages_unshared, pages_volatile, pages_skipped from samples order by t_ns, batch'; }
"$SIM" --scenario "$data/poisson.yaml" --seed 1 --db "$tmp/p1b.db" --quiet
check "determinism" "$(rows "$tmp/p1.db" | md5sum)" "$(rows "$tmp/p1b.db" | md5sum)"
[ "$(rows "$tmp/p1.db" | md5sum)" != "$(rows "$tmp/p2.db" | md5sum)" ] && ok ||
	bad "a different seed should change the run"

# A scenario's workload written as a trace and replayed gives the identical run.
"$SIM" trace gen --scenario "$data/poisson.yaml" -o "$tmp/w.kst" >/dev/null
check "trace gen" 0 $?
sed -n '1,/^processes:/p' "$data/poisson.yaml" | sed '$d' > "$tmp/replay.yaml"
printf 'trace:\n  file: w.kst\n' >> "$tmp/replay.yaml"
"$SIM" --scenario "$tmp/replay.yaml" --db "$tmp/replay.db" --quiet
check "replay exit" 0 $?
check "replay equals synthetic" "$(rows "$tmp/p1.db" | md5sum)" "$(rows "$tmp/replay.db" | md5sum)"
"$SIM" trace convert "$tmp/w.kst" "$tmp/w.kstt" >/dev/null &&
	sed -i 's/w.kst$/w.kstt/' "$tmp/replay.yaml" &&
	"$SIM" --scenario "$tmp/replay.yaml" --db "$tmp/replay2.db" --quiet
check "text trace replay" "$(rows "$tmp/p1.db" | md5sum)" "$(rows "$tmp/replay2.db" | md5sum)"
head -c 3000 "$tmp/w.kst" > "$tmp/cut.kst"
sed -i 's/w.kstt$/cut.kst/' "$tmp/replay.yaml"
out=$("$SIM" --scenario "$tmp/replay.yaml" --db "$tmp/cut.db" 2>&1)
check "truncated trace exit" 2 $?
printf '%s' "$out" | grep -q "cut.kst:[0-9]*: truncated" && ok || bad "truncated trace message: $out"
check "truncated trace: nothing written" 0 "$(q "$tmp/cut.db" 'select count(*) from runs' 2>/dev/null || echo 0)"

# `serial` words make every page unique; `index` words repeat across processes.
"$SIM" --scenario "$data/serial.yaml" --db "$tmp/se.db" --quiet
check "serial words" "10|10|20" \
	"$(q "$tmp/se.db" 'select pages_shared, pages_sharing, pages_unshared + pages_volatile from samples order by t_ns desc, batch desc limit 1')"

# --dry-run checks and describes, and writes nothing.
out=$(cd "$tmp" && "$SIM" --scenario "$data/tiny.yaml" --dry-run)
check "dry-run exit" 0 $?
printf '%s' "$out" | grep -q "tiny: valid" && ok || bad "dry-run output: $out"
[ ! -e "$tmp/tiny.db" ] && ok || bad "dry-run wrote a database"
"$SIM" --scenario "$data/tiny.yaml" --dry-run --arch nosuch 2>/dev/null
check "dry-run unknown arch" 2 $?

# --set overrides reach the model.
"$SIM" --scenario "$data/tiny.yaml" --set ksm.pages_to_scan=7 --db "$tmp/s.db" --quiet
check "--set" 7 "$(q "$tmp/s.db" 'select max(pages_to_scan) from samples')"

# sim sweep: every point x seed is a run; sweep_runs says which.
"$SIM" sweep --scenario "$data/tiny.yaml" --vary ksm.pages_to_scan=10,30 --seeds 2 \
	--db "$tmp/sw.db" >"$tmp/sw.out"
check "sweep exit" 0 $?
check "sweep runs" 4 "$(q "$tmp/sw.db" 'select count(*) from runs')"
check "sweep points" "0|10|2;1|30|2" "$(q "$tmp/sw.db" "select group_concat(x, ';') from (select r.point || '|' || max(s.pages_to_scan) || '|' || count(distinct r.run_id) as x from sweep_runs r join samples s on s.run_id = r.run_id group by r.point order by r.point)")"
grep -qE "^ +1  ksm.pages_to_scan=30 +2 " "$tmp/sw.out" && ok || bad "sweep table: $(cat "$tmp/sw.out")"
"$SIM" sweep --scenario "$data/tiny.yaml" --vary ksm.pages_to_scn=1 --db "$tmp/sw2.db" >/dev/null 2>&1
check "sweep bad key" 2 $?
"$SIM" sweep --scenario "$data/tiny.yaml" --vary nothing 2>/dev/null
check "sweep bad vary" 2 $?

# sim zsmalloc: the class table and the mapping paths.
out=$("$SIM" zsmalloc)
check "zsmalloc exit" 0 $?
printf '%s\n' "$out" | grep -q "119 of 255 classes after merging, huge_class_size 3625" && ok ||
	bad "zsmalloc header"
check "zsmalloc class 3632" "8 9 7" "$(printf '%s\n' "$out" | awk '$2 == 3632 {print $3, $4, $5}')"
out=$("$SIM" zsmalloc --chain 4 --no-classes --sizes 100,3000)
printf '%s\n' "$out" | grep -q "^copy " && printf '%s\n' "$out" | grep -q "^pgtable " && ok ||
	bad "zsmalloc paths: $out"
"$SIM" zsmalloc --sizes bogus:1 2>/dev/null
check "zsmalloc bad sizes" 2 $?
# A zsmalloc cost model without a source for a number: one located line, exit 2.
sed '/^    cycles: 132/{n;d}' "$SRCDIR/arch-models/zsmalloc/x86_64-2012.yaml" >"$tmp/zs.yaml"
msg=$("$SIM" zsmalloc --arch "$tmp/zs.yaml" 2>&1 >/dev/null)
check "zsmalloc model without source" 2 $?
check "zsmalloc model message" "sim: $tmp/zs.yaml:21:5: missing required key 'source' in costs.op (every number must say where it comes from)" "$msg"
# ... and one without the kind of its source (provenance, as in arch models)
sed '/^    cycles: 132/{n;n;d}' "$SRCDIR/arch-models/zsmalloc/x86_64-2012.yaml" >"$tmp/zs.yaml"
msg=$("$SIM" zsmalloc --arch "$tmp/zs.yaml" 2>&1 >/dev/null)
check "zsmalloc model without provenance" 2 $?
check "zsmalloc provenance message" "sim: $tmp/zs.yaml:21:5: missing required key 'provenance' in costs.op (measured, cited, derived, fitted or estimate)" "$msg"
sed 's/provenance: estimate/provenance: guess/' "$SRCDIR/arch-models/zsmalloc/x86_64.yaml" >"$tmp/zs.yaml"
"$SIM" zsmalloc --arch "$tmp/zs.yaml" >/dev/null 2>&1
check "zsmalloc unknown provenance" 2 $?
for f in "$SRCDIR"/arch-models/zsmalloc/*.yaml; do
	check "zsmalloc $(basename "$f"): a provenance per source" "$(grep -c '^ *source:' "$f")" \
		"$(grep -c '^ *provenance: \(measured\|cited\|derived\|fitted\|estimate\)$' "$f")"
done

# The arch model's numbers and their provenance are stored with the run
# (cost_provenance) and shown by sim report: core2-2009's compare is fitted.
"$SIM" --scenario "$data/tiny.yaml" --set arch=core2-2009 --db "$tmp/prov.db" --quiet
check "provenance run" 0 $?
check "cost_provenance rows: one per entry of the file" \
	"$(grep -c '^ *provenance:' "$SRCDIR/arch-models/core2-2009.yaml")" \
	"$(q "$tmp/prov.db" 'select count(*) from cost_provenance where run_id = 1')"
check "cost_provenance: compare fitted" "fitted" \
	"$(q "$tmp/prov.db" "select provenance from cost_provenance where key = 'compare'")"
check "cost_provenance: its source" 1 \
	"$(q "$tmp/prov.db" "select instr(source, 'back-solv') > 0 from cost_provenance where key = 'compare'")"
rep=$("$SIM" report "$tmp/prov.db")
printf '%s\n' "$rep" | grep -q "^  fitted    compare$" && ok || bad "report: fitted line: $rep"
printf '%s\n' "$rep" | grep -q "^  compare (fitted): .*back-solv" && ok || bad "report: fitted source"
printf '%s\n' "$rep" | grep -q "^  page_alloc (estimate): " && ok || bad "report: estimate source"
# ... and in the JSON report: one object per number, with its provenance and source
"$SIM" report "$tmp/prov.db" --format json >"$tmp/prov.json"
check "json cost_provenance" "1|$(grep -c '^ *provenance:' "$SRCDIR/arch-models/core2-2009.yaml")|fitted|1" \
	"$(sqlite3 :memory: "select json_valid(j), json_array_length(j, '\$.run.cost_provenance'), (select json_extract(value, '\$.provenance') from json_each(j, '\$.run.cost_provenance') where json_extract(value, '\$.key') = 'compare'), (select instr(json_extract(value, '\$.source'), 'back-solv') > 0 from json_each(j, '\$.run.cost_provenance') where json_extract(value, '\$.key') = 'compare') from (select readfile('$tmp/prov.json') as j)")"
# a database without the table (written before it existed): the report says nothing
cp "$tmp/prov.db" "$tmp/old.db" && q "$tmp/old.db" 'drop table cost_provenance' >/dev/null
rep=$("$SIM" report "$tmp/old.db")
check "report of a file without cost_provenance" 0 $?
printf '%s\n' "$rep" | grep -q "by provenance" && bad "report: provenance from nowhere" || ok
"$SIM" report "$tmp/old.db" --format json >"$tmp/old.json"
check "json of a file without cost_provenance" "0 1|0" \
	"$? $(sqlite3 :memory: "select json_valid(j), json_array_length(j, '\$.run.cost_provenance') from (select readfile('$tmp/old.json') as j)")"

"$SIM" zsmalloc --chain 17 2>/dev/null
check "zsmalloc bad chain" 2 $?

# A bare arch name (no .yaml, no /) is a shipped model, never a file of the current
# folder; NAME.yaml and ./NAME are files there (first).
mkdir -p "$tmp/stray" && printf 'arch: stray\n' > "$tmp/stray/x86_64.yaml"
(cd "$tmp/stray" && "$SIM" --scenario "$data/tiny.yaml" --arch x86_64 --dry-run >/dev/null 2>&1)
check "bare arch name: the shipped model, not ./x86_64.yaml" 0 $?
msg=$(cd "$tmp/stray" && "$SIM" --scenario "$data/tiny.yaml" --arch x86_64.yaml --dry-run 2>&1)
check "arch NAME.yaml: the file of the current folder" "2 x86_64.yaml:1:1:" "$? $(printf '%s' "$msg" | cut -d' ' -f2)"
msg=$(cd "$tmp/stray" && "$SIM" --scenario "$data/tiny.yaml" --arch ./x86_64 --dry-run 2>&1)
check "arch ./NAME: the file of the current folder" "2 ./x86_64.yaml:1:1:" "$? $(printf '%s' "$msg" | cut -d' ' -f2)"

# Lookup by name: the shipped scenarios are found from any folder.
(cd "$tmp" && "$SIM" --scenario ksmpages-best --set duration=1s --set processes.ksmpages.regions.buf.size=4MiB --quiet)
check "lookup by name" 0 $?
[ -f "$tmp/ksmpages-best.db" ] && ok || bad "default database name"

# The acceptance case: 2 x 16384 identical pages -> 128 KSM pages, 32640 sharing.
"$SIM" --scenario "$data/best2x16384.yaml" --db "$tmp/b.db" --quiet
check "best case 2x16384" "128|32640" \
	"$(q "$tmp/b.db" 'select pages_shared, pages_sharing from samples order by t_ns desc, batch desc limit 1')"

# ksm_changes: knob writes at given times, applied as sysfs writes (see knobs.yaml).
"$SIM" --scenario "$data/knobs.yaml" --db "$tmp/k.db" --quiet
check "knobs exit (a refused write is no error)" 0 $?
check "knobs: KSM pages, no zero pages before the change" "1|0" \
	"$(q "$tmp/k.db" 'select max(pages_sharing) > 0, max(ksm_zero_pages) from samples where t_ns < 2000000000')"
check "knobs: zero pages after the change" "1|64" \
	"$(q "$tmp/k.db" 'select min(t_ns) > 3000000000, max(ksm_zero_pages) from samples where ksm_zero_pages > 0')"
check "knobs: pages_to_scan before, after" "100;500" \
	"$(q "$tmp/k.db" "select group_concat(distinct pages_to_scan) from samples where t_ns < 2000000000");$(q "$tmp/k.db" "select group_concat(distinct pages_to_scan) from samples where t_ns > 2000000000")"
check "knobs: a 400ms sleep" 0 \
	"$(q "$tmp/k.db" 'select count(*) from samples where t_ns > 4010000000 and t_ns < 4390000000')"
check "knobs: a new sleep_millisecs wakes ksmd at once" 1 \
	"$(q "$tmp/k.db" 'select count(*) from samples where t_ns between 5000000000 and 5005000000')"
krows() { q "$1" 'select t_ns, batch, full_scans, pages_scanned, pages_shared, pages_sharing, pages_unshared, pages_volatile, ksm_zero_pages, pages_to_scan from samples order by t_ns, batch'; }
"$SIM" trace gen --scenario "$data/knobs.yaml" -o "$tmp/k.kstt" >/dev/null
check "knobs: trace gen" 0 $?
grep -qx '2s knob name=use_zero_pages value=1' "$tmp/k.kstt" && ok || bad "knobs: no knob record"
printf 'name: knobs\nduration: 6s\nksm:\n  pages_to_scan: 100\ntrace:\n  file: k.kstt\n' > "$tmp/kr.yaml"
"$SIM" --scenario "$tmp/kr.yaml" --db "$tmp/kr.db" --quiet
check "knobs: replay equals synthetic" "$(krows "$tmp/k.db" | md5sum)" "$(krows "$tmp/kr.db" | md5sum)"
out=$("$SIM" --scenario "$data/knobs.yaml" --set ksm_changes.0.set.use_zero_page=1 --dry-run 2>&1)
check "knobs: unknown knob exit" 2 $?
printf '%s' "$out" | grep -q "unknown key 'use_zero_page' in ksm_changes.0.set (did you mean 'use_zero_pages'?)" &&
	ok || bad "knobs: unknown knob message: $out"

# Bad input: one line naming file:line:col, exit 2, no database written.
out=$("$SIM" --scenario "$data/bad_key.yaml" --db "$tmp/bad.db" 2>&1)
check "bad key exit" 2 $?
check "bad key lines" 1 "$(printf '%s\n' "$out" | wc -l)"
printf '%s' "$out" | grep -q "bad_key.yaml:4:3: unknown key 'pages_to_scn'.*did you mean 'pages_to_scan'" &&
	ok || bad "bad key message: $out"
[ ! -e "$tmp/bad.db" ] && ok || bad "bad input left a database"
out=$("$SIM" --scenario "$tmp/nope.yaml" 2>&1)
check "missing scenario exit" 2 $?
printf '%s' "$out" | grep -q "nope.yaml" && ok || bad "missing scenario message: $out"
out=$("$SIM" --scenario "$data/bad_trace.yaml" --db "$tmp/bt.db" 2>&1)
check "missing trace exit" 2 $?
printf '%s' "$out" | grep -q "missing.kst" && ok || bad "missing trace message: $out"
out=$("$SIM" --scenario "$data/tiny.yaml" --db "$tmp/no/such/dir/x.db" 2>&1)
check "unwritable db exit" 2 $?
printf '%s' "$out" | grep -q "no/such/dir/x.db" && ok || bad "unwritable db message: $out"
out=$("$SIM" --scenario "$data/tiny.yaml" --bogus 2>&1)
check "bad option exit" 2 $?
"$SIM" --scenario "$data/tiny.yaml" --set ksm.max_page_sharing=1 --db "$tmp/r.db" 2>/dev/null
check "out of range exit" 2 $?

# SIGINT: the run is kept, marked interrupted, with what it sampled. The database
# exists (with its schema) once the run has begun; the run itself is written at its end.
"$SIM" --scenario "$data/long.yaml" --db "$tmp/l.db" --quiet &
pid=$!
for _ in $(seq 1 50); do
	sleep 0.2
	[ -s "$tmp/l.db" ] && break
done
sleep 0.5
# Meanwhile another process writes a run into the same database: it does not wait for
# the long run (which holds no lock until it ends).
"$SIM" --scenario "$data/tiny.yaml" --db "$tmp/l.db" --quiet
check "second writer during a run" 0 $?
kill -0 $pid 2>/dev/null && ok || bad "the long run ended before the second writer"
check "second writer's run is in" "1|complete" "$(q "$tmp/l.db" 'select count(*), status from runs')"
kill -INT $pid
wait $pid
check "interrupt exit" 130 $?
check "interrupt status" interrupted "$(q "$tmp/l.db" "select status from runs where scenario = 'long'")"
[ "$(q "$tmp/l.db" 'select count(*) from samples s join runs r on r.id = s.run_id where r.scenario = '"'long'")" -gt 0 ] && ok || bad "interrupted run has no samples"

# A process killed mid-run leaves nothing of its run, and the file takes the next one.
"$SIM" --scenario "$data/long.yaml" --db "$tmp/k9.db" --quiet &
pid=$!
for _ in $(seq 1 50); do
	sleep 0.2
	[ -s "$tmp/k9.db" ] && break
done
sleep 0.5
kill -KILL $pid
wait $pid 2>/dev/null
check "killed run leaves nothing" "0|0|ok" "$(q "$tmp/k9.db" 'select (select count(*) from runs), (select count(*) from samples), (select * from pragma_integrity_check)')"
"$SIM" --scenario "$data/tiny.yaml" --db "$tmp/k9.db" --quiet
check "after a kill: the next run" 1 "$(q "$tmp/k9.db" 'select count(*) from runs')"

finish
