#!/usr/bin/env bash
# sweep.sh - `sim sweep` end to end: parallel runs equal serial ones, ranges, the plan,
# points and shards into their own databases (resuming), SIGINT, bad input (one line,
# exit 2, nothing written), and the views a plain sqlite3 client sees.
set -u
. "$SRCDIR/tests/lib.sh"
one_line_exit2() { # DESCRIPTION OUTPUT STATUS PATTERN
	check "$1: exit" 2 "$3"
	check "$1: one line" 1 "$(printf '%s\n' "$2" | wc -l)"
	printf '%s' "$2" | grep -qE -e "$4" && ok || bad "$1: message: $2"
}

# Serial and -j 3 give the same runs; every task is one complete run.
vary=(--vary ksm.pages_to_scan=10..30/10 --vary ksm.sleep_millisecs=10,20)
"$SIM" sweep --scenario "$data/poisson.yaml" "${vary[@]}" --seeds 2 --db "$tmp/s1.db" \
	>"$tmp/s1.out"
check "serial exit" 0 $?
"$SIM" sweep --scenario "$data/poisson.yaml" "${vary[@]}" --seeds 2 --db "$tmp/s3.db" -j 3 \
	>"$tmp/s3.out"
check "-j 3 exit" 0 $?
check "-j 3 runs" "12|12" "$(q "$tmp/s3.db" "select count(*), sum(status = 'complete') from runs")"
check "-j 3 equals serial" "$(results "$tmp/s1.db" | md5sum)" "$(results "$tmp/s3.db" | md5sum)"
check "points x seeds" "6|2" "$(q "$tmp/s3.db" 'select count(distinct point), max(c) from (select point, count(*) c from sweep_runs group by point)')"
grep -qE '^ +5  ksm.pages_to_scan=30 ksm.sleep_millisecs=20 +2  ' "$tmp/s3.out" && ok ||
	bad "sweep table: $(cat "$tmp/s3.out")"
grep -q "±" "$tmp/s3.out" && ok || bad "no confidence intervals printed"

# -j 2 writes the serial sweep's database: every table, row for row, ids included (run
# ids are set aside in task order before any task runs), but for the columns of wall
# clock time and the uids (runs.uid is random; a whole sweep's uid ends in the time and
# pid that made it, so only its first 16 digits, the definition's hash, are compared).
# Point 0 is the costly one, so under -j 2 the other worker ends tasks 1, 2, ... first.
db_dump() { # DB
	local t cols
	for t in $(q "$1" "select name from sqlite_master where type = 'table' order by name"); do
		cols=$(q "$1" "select group_concat(case when '$t' = 'sweeps' and name = 'uid'
			then 'substr(uid, 1, 16)' else '\"' || name || '\"' end, ', ')
			from pragma_table_info('$t') where name not like '%unix_ms'
			and name <> 'wall_seconds' and not ('$t' = 'runs' and name = 'uid')")
		echo "== $t $(q "$1" "select count(*) from \"$t\"")"
		q "$1" "select $cols from \"$t\" order by $cols"
	done
}
ids=("$SIM" sweep --scenario "$data/poisson.yaml" --set processes.p.regions.mem.pages=2000
	--vary ksm.pages_to_scan=5000,1,2,3,4,5 --seeds 2 --quiet)
"${ids[@]}" --db "$tmp/ids1.db"
check "ids: serial exit" 0 $?
"${ids[@]}" --db "$tmp/ids2.db" -j 2
check "ids: -j 2 exit" 0 $?
db_dump "$tmp/ids1.db" >"$tmp/ids1.dump"
db_dump "$tmp/ids2.db" >"$tmp/ids2.dump"
if cmp -s "$tmp/ids1.dump" "$tmp/ids2.dump"; then ok; else
	bad "-j 2 database differs from the serial one: $(diff "$tmp/ids1.dump" "$tmp/ids2.dump" | head -5)"
fi
check "ids: the dump holds the runs" "12|12|12" \
	"$(awk '/^== (runs|sweep_runs|run_params) / {printf "%s%s", s, $3; s = "|"}' "$tmp/ids1.dump")"
check "ids: in task order" "1|12|0" "$(q "$tmp/ids2.db" "select min(run_id), max(run_id),
	sum(run_id <> 1 + point * 2 + seed - 1) from sweep_runs")"
check "ids: reservation released" 0 "$(q "$tmp/ids2.db" 'select count(*) from run_id_reservations')"
# A run, and a merge, while a sweep holds ids 100..199: they take ids past them.
q "$tmp/ids2.db" "insert into run_id_reservations values (100, 199, 1, 1, 'h')"
"$SIM" --scenario "$data/tiny.yaml" --db "$tmp/ids2.db" --quiet >/dev/null
check "ids: a run past a reservation" 200 "$(q "$tmp/ids2.db" 'select max(id) from runs')"
"$SIM" db merge "$tmp/ids2.db" "$tmp/ids1.db" >/dev/null
check "ids: a merge past a reservation" "201|212|0" "$(q "$tmp/ids2.db" "select min(run_id),
	max(run_id), (select count(*) from run_id_reservations where first_id <> 100) from run_sources")"

# Nothing of a run stays behind for the next one in the same process: every task of a
# sweep run by one process (-j 1) or by two workers (-j 2: tasks of both sizes, handed
# out as the workers come free) is, row for row in every table of the run, the task run
# alone in a process of its own (--shard T/8 is task T alone).
run_dump() { # DB POINT SEED
	local id t cols
	id=$(q "$1" "select run_id from sweep_runs where point = $2 and seed = $3")
	[ -n "$id" ] || { echo "no run"; return; }
	q "$1" "select status, seed, scenario_text, sim_end_ns, batches, saved_bytes, t50_ns,
		t90_ns, peak_saved_bytes, peak_t_ns, ksmd_cpu_ns from runs where id = $id"
	for t in $(q "$1" "select m.name from sqlite_master m, pragma_table_info(m.name) p
			   where m.type = 'table' and p.name = 'run_id'
			   and m.name not in ('sweep_runs', 'run_sources') order by m.name"); do
		cols=$(q "$1" "select group_concat(name, ', ') from pragma_table_info('$t')
			       where name <> 'run_id'")
		echo "== $t $(q "$1" "select count(*) from $t where run_id = $id")"
		q "$1" "select $cols from $t where run_id = $id order by $cols"
	done
}
leak=(--vary processes.p.regions.mem.pages=400,120 --vary ksm.pages_to_scan=20,40 --seeds 2)
for j in 1 2; do
	"$SIM" sweep --scenario "$data/poisson.yaml" "${leak[@]}" -j $j --db "$tmp/leak$j.db" \
		--quiet
	check "leak -j $j: exit" 0 $?
done
same=0
for t in $(seq 0 7); do
	"$SIM" sweep --scenario "$data/poisson.yaml" "${leak[@]}" --shard $t/8 \
		--db "$tmp/alone$t.db" --quiet || bad "task $t alone: exit $?"
	alone=$(run_dump "$tmp/alone$t.db" $((t / 2)) $((1 + t % 2)))
	for j in 1 2; do
		if [ "$(run_dump "$tmp/leak$j.db" $((t / 2)) $((1 + t % 2)))" = "$alone" ]; then
			same=$((same + 1))
		else
			bad "task $t: -j $j differs from the task run alone"
		fi
	done
done
check "tasks in one process equal tasks alone" 16 "$same"
[ "$(run_dump "$tmp/alone7.db" 3 2 | grep -c '^== ')" -ge 5 ] && ok ||
	bad "run_dump found too few tables: $(run_dump "$tmp/alone7.db" 3 2 | grep '^== ')"

# The views work in a plain sqlite3 client: typed x, CI around the mean, units.
check "v_sweep x typed" "integer|10|ksm.pages_to_scan|integer|10" \
	"$(q "$tmp/s3.db" "select typeof(x), x, x_key, typeof(series), series from v_sweep where point = 0 limit 1")"
check "v_sweep CI brackets the mean" 0 \
	"$(q "$tmp/s3.db" "select count(*) from v_sweep where n > 1 and not (ci95_lo <= mean and mean <= ci95_hi)")"
check "v_sweep units" "ksmd_cpu_pct %;saved_mib MiB" \
	"$(q "$tmp/s3.db" "select group_concat(m, ';') from (select distinct metric || ' ' || unit as m from v_sweep where metric in ('ksmd_cpu_pct', 'saved_mib') order by m)")"
check "v_run_summary per run" 12 "$(q "$tmp/s3.db" 'select count(*) from v_run_summary where saved_mib > 0 and t50_s <= t90_s')"
check "run_params typed" "integer|30" "$(q "$tmp/s3.db" 'select typeof(max(pages_to_scan)), max(pages_to_scan) from run_params')"
check "sweep --report csv" 37 "$("$SIM" report "$tmp/s3.db" --sweep last --format csv | wc -l)"

# JSON: valid, typed, NULL (not 0) for a time never reached.
"$SIM" report "$tmp/s3.db" --format json >"$tmp/r.json"
check "json exit" 0 $?
check "json" "1|12|integer|6|36" "$(sqlite3 :memory: "select json_valid(j), json_extract(j, '$.run_id'), json_type(j, '$.run.params.pages_to_scan'), json_array_length(j, '$.sweeps[0].points') / 6, json_array_length(j, '$.sweeps[0].points') from (select readfile('$tmp/r.json') as j)")"
"$SIM" sweep --scenario "$data/tiny.yaml" --vary ksm.pages_to_scan=0 --db "$tmp/z.db" --quiet
"$SIM" report "$tmp/z.db" --format json --sweep last >"$tmp/z.json"
m() { echo "(select value from json_each(j, '\$.points') where json_extract(value, '\$.metric') = '$1')"; }
check "json: never is null, nothing saved is 0" "null|0|null|0" \
	"$(sqlite3 :memory: "select json_type($(m t90_s), '\$.mean'), json_extract($(m t90_s), '\$.n'), json_type($(m t90_s), '\$.ci95'), json_extract($(m saved_mib), '\$.mean') from (select readfile('$tmp/z.json') as j)")"

# sim advise: the cheapest point whose every run reaches the target in time. The oracle
# computes each run's time to the target in SQL and picks in awk.
advise_oracle() { # DB SAVING_PCT WITHIN_S CPU_PCT
	q "$1" "with a as (select max(mean) * 1048576 * $2 / 100.0 as target from v_sweep
	        where metric = 'saved_mib')
	        select w.point, w.params, v.ksmd_cpu_pct,
	        coalesce((select min(t_ns) from samples s where s.run_id = w.run_id and
	                  (s.pages_sharing + s.ksm_zero_pages) * 4096.0 >= a.target) / 1e9, 1e30)
	        from sweep_runs w join v_run_summary v on v.run_id = w.run_id, a
	        where v.status = 'complete' order by w.point" |
	awk -F'|' -v T="$3" -v C="$4" '
		{ n[$1]++; cpu[$1] += $3; p[$1] = $2; if ($4 > T) late[$1] = 1 }
		END { for (k in n) if (!late[k] && cpu[k] / n[k] <= C &&
			(best == "" || cpu[k] / n[k] < bc || (cpu[k] / n[k] == bc && k + 0 < best + 0)))
			{ best = k; bc = cpu[k] / n[k] }
		      print (best == "" ? "none" : p[best]) }'
}
for target in "90 1 0.2" "50 0.5 0.15" "95 3 1"; do
	read -r x t c <<<"$target"
	want=$(advise_oracle "$tmp/s3.db" "$x" "$t" "$c")
	out=$("$SIM" advise "$tmp/s3.db" --saving "$x" --within "$t" --cpu "$c")
	rc=$?
	got=$(printf '%s\n' "$out" | sed -n 's/^advice: \(.*\): [0-9]*% of the achievable.*/\1/p')
	check "advise $target" "$want" "${got:-none}"
	check "advise $target: exit" "$([ "$want" = none ] && echo 1 || echo 0)" $rc
done
out=$("$SIM" advise "$tmp/s3.db" --within 0.001)
check "advise: impossible target exit" 1 $?
printf '%s' "$out" | grep -q "^advice: no point reaches" && ok || bad "advise impossible: $out"
out=$("$SIM" advise "$tmp/s3.db" --saving 0 2>&1)
check "advise: bad saving" 2 $?
out=$("$SIM" advise "$tmp/s1.db" --sweep 7 2>&1)
check "advise: no such sweep" "sim: advise: $tmp/s1.db: no sweep 7" "$out"

# --plan lists the tasks and writes nothing.
out=$(cd "$tmp" && "$SIM" sweep --scenario "$data/poisson.yaml" --vary ksm.pages_to_scan=1..100:4log --seeds 2 --plan)
check "plan exit" 0 $?
check "plan tasks" 8 "$(printf '%s\n' "$out" | grep -vc '^#')"
printf '%s\n' "$out" | grep -qP '^7\t3\t2\tksm.pages_to_scan=100$' && ok || bad "plan: $out"
[ ! -e "$tmp/poisson-sweep.db" ] && ok || bad "--plan wrote a database"
printf '%s\n' "$out" | grep -qE '^# order: task order, run ids set aside in it; estimated cost of a task \(pages \+ pages scanned\) 900 to 3\.06e\+04$' &&
	ok || bad "plan order line: $out"

# --point and --shard write their own databases and skip what they hold.
(cd "$tmp" && "$SIM" sweep --scenario "$data/poisson.yaml" "${vary[@]}" --seeds 2 --point 4 --quiet)
check "--point exit" 0 $?
check "--point runs" "2|4" "$(q "$tmp/poisson-sweep-point4.db" 'select count(*), min(point) from sweep_runs')"
for i in 0 1 2; do
	(cd "$tmp" && "$SIM" sweep --scenario "$data/poisson.yaml" "${vary[@]}" --seeds 2 --shard $i/3 --quiet)
	check "--shard $i/3 exit" 0 $?
done
check "shards hold 12 runs" 12 "$(for i in 0 1 2; do q "$tmp/poisson-sweep-shard${i}of3.db" 'select count(*) from runs'; done | awk '{s += $1} END {print s}')"
check "shards share the uid" 1 "$(for i in 0 1 2; do q "$tmp/poisson-sweep-shard${i}of3.db" 'select uid from sweeps'; done | sort -u | wc -l)"
check "the plan names the parts' uid" "$(q "$tmp/poisson-sweep-shard0of3.db" 'select uid from sweeps')" \
	"$(cd "$tmp" && "$SIM" sweep --scenario "$data/poisson.yaml" "${vary[@]}" --seeds 2 --plan | sed -n '1s/.*(uid \(.*\))$/\1/p')"
out=$(cd "$tmp" && "$SIM" sweep --scenario "$data/poisson.yaml" "${vary[@]}" --seeds 2 --shard 1/3)
check "shard again: exit" 0 $?
printf '%s' "$out" | grep -q "skipping 4 of 4 runs" && ok || bad "shard resume: $out"
check "shard again: no new runs" 4 "$(q "$tmp/poisson-sweep-shard1of3.db" 'select count(*) from runs')"

# sim db merge: the shards make the same sweep as the serial run, with provenance;
# merging again adds nothing.
out=$("$SIM" db merge "$tmp/m.db" "$tmp"/poisson-sweep-shard*of3.db)
check "merge exit" 0 $?
printf '%s' "$out" | grep -q "merged 12 runs from 3 databases; sweeps: 1 new, 2 joined" && ok ||
	bad "merge output: $out"
check "merged = serial" "$(results "$tmp/s1.db" | md5sum)" "$(results "$tmp/m.db" | md5sum)"
check "merged: one sweep, its plan once" "1|12" "$(q "$tmp/m.db" 'select count(*), (select count(*) from sweep_points) from sweeps')"
check "merged: ids 1..12" "1|12|12" "$(q "$tmp/m.db" 'select min(id), max(id), count(distinct uid) from runs')"
check "merged: every table follows its run" \
	"$(q "$tmp/s1.db" 'select (select count(*) from samples), (select count(*) from process_samples), (select count(*) from cost_components), (select count(*) from cost_batches), (select count(*) from run_params)')" \
	"$(q "$tmp/m.db" 'select (select count(*) from samples), (select count(*) from process_samples), (select count(*) from cost_components), (select count(*) from cost_batches), (select count(*) from run_params)')"
check "merged: provenance" "12|3" "$(q "$tmp/m.db" "select count(*), count(distinct source_db) from run_sources where source_db like '%poisson-sweep-shard%of3.db'")"
check "merged: v_sweep" 6 "$(q "$tmp/m.db" "select count(*) from v_sweep where metric = 'saved_mib' and runs = 2")"
out=$("$SIM" db merge "$tmp/m.db" "$tmp"/poisson-sweep-shard*of3.db "$tmp/poisson-sweep-point4.db")
printf '%s' "$out" | grep -q "merged 0 runs from 4 databases (14 more were there already)" && ok ||
	bad "merge again: $out"
check "merge again: nothing new" 12 "$(q "$tmp/m.db" 'select count(*) from runs')"
# A merged file merges on with its first origin.
"$SIM" db merge "$tmp/m2.db" "$tmp/m.db" "$tmp/s1.db" >/dev/null
check "merge of a merge" "24|12|12" "$(q "$tmp/m2.db" "select count(*), sum(source_db like '%shard%'), sum(source_db like '%s1.db') from run_sources")"
check "merge of a merge: two sweeps" 2 "$(q "$tmp/m2.db" 'select count(*) from sweeps')"

# Bad merges: one line, exit 2, nothing written.
cp "$tmp/s1.db" "$tmp/v2.db"
q "$tmp/v2.db" 'pragma user_version = 2'
out=$("$SIM" db merge "$tmp/bm.db" "$tmp/s1.db" "$tmp/v2.db" 2>&1)
one_line_exit2 "merge: other schema version" "$out" $? \
	"sim: db merge: .*v2.db: results schema version 2, this sim writes version 1"
[ ! -e "$tmp/bm.db" ] && ok || bad "a refused merge left its output"
cp "$tmp/m.db" "$tmp/m3.db"
out=$("$SIM" db merge "$tmp/m3.db" "$tmp/s1.db" "$tmp/v2.db" 2>&1)
check "merge into an existing file refused: exit" 2 $?
check "merge into an existing file refused: unchanged" 12 "$(q "$tmp/m3.db" 'select count(*) from runs')"
out=$("$SIM" db merge "$tmp/m3.db" "$tmp/m3.db" 2>&1)
one_line_exit2 "merge: output as input" "$out" $? "m3.db: is the output database"
out=$("$SIM" db merge "$tmp/bm.db" "$tmp/nope.db" 2>&1)
one_line_exit2 "merge: missing input" "$out" $? "nope.db: no such results database"
out=$("$SIM" db merge "$tmp/bm.db" 2>&1)
check "merge: no input" 2 $?
[ ! -e "$tmp/bm.db" ] && ok || bad "a refused merge left its output"

# SIGINT: the running tasks keep their runs as interrupted; no new ones start.
"$SIM" sweep --scenario "$data/long.yaml" --vary ksm.pages_to_scan=100,200,300 -j 2 \
	--db "$tmp/int.db" --quiet &
pid=$!
for _ in $(seq 1 50); do
	sleep 0.2
	[ -s "$tmp/int.db" ] && break
done
sleep 1
kill -INT $pid
wait $pid
check "interrupted sweep exit" 130 $?
check "interrupted runs kept" "2|2" "$(q "$tmp/int.db" "select count(*), sum(status = 'interrupted') from runs")"

# SIGTERM and SIGHUP do what SIGINT does; a worker killed stops the sweep with one line
# naming it (exit 2 when the sweep is then interrupted too), the other worker's run kept.
for sig in TERM HUP KILLWORKER; do
	rm -f "$tmp/int.db"*
	"$SIM" sweep --scenario "$data/long.yaml" --vary ksm.pages_to_scan=100,200,300 -j 2 \
		--db "$tmp/int.db" --quiet 2>"$tmp/int.err" &
	pid=$!
	for _ in $(seq 1 50); do
		sleep 0.2
		kids=$(cat /proc/$pid/task/$pid/children 2>/dev/null)
		[ "$(echo $kids | wc -w)" = 2 ] && [ -s "$tmp/int.db" ] && break
	done
	check "SIG$sig: two workers" 2 "$(echo $kids | wc -w)"
	sleep 1
	if [ $sig = KILLWORKER ]; then
		kill -KILL ${kids%% *}
		sleep 0.5
		kill -INT $pid
		wait $pid
		check "killed worker: exit" 2 $?
		check "killed worker: other run kept" "1|1" "$(q "$tmp/int.db" "select count(*), sum(status = 'interrupted') from runs")"
		grep -qE '^sim: sweep: worker process [0-9]+ was killed by signal 9 .*its run is lost$' \
			"$tmp/int.err" && ok || bad "killed worker: message: $(cat "$tmp/int.err")"
	else
		kill -$sig $pid
		wait $pid
		check "SIG$sig sweep exit" 130 $?
		check "SIG$sig runs kept" "2|2" "$(q "$tmp/int.db" "select count(*), sum(status = 'interrupted') from runs")"
		check "SIG$sig: no message" "" "$(cat "$tmp/int.err")"
	fi
	for k in $kids; do
		kill -0 "$k" 2>/dev/null && bad "SIG$sig: worker $k still runs"
	done
done

# Bad input: one line, exit 2, no database.
out=$(cd "$tmp" && "$SIM" sweep --scenario "$data/tiny.yaml" --vary ksm.pages_to_scn=1,2 --db b1.db 2>&1)
one_line_exit2 "unknown key" "$out" $? \
	"sweep: --vary ksm.pages_to_scn=1: unknown key 'pages_to_scn' in ksm \(did you mean 'pages_to_scan'\?\)"
out=$(cd "$tmp" && "$SIM" sweep --scenario "$data/tiny.yaml" --vary ksm.pages_to_scan=30..10/10 --db b2.db 2>&1)
one_line_exit2 "empty range" "$out" $? "sweep: --vary ksm.pages_to_scan=30..10/10: empty range"
out=$(cd "$tmp" && "$SIM" sweep --scenario "$data/tiny.yaml" --vary ksm.pages_to_scan= --db b3.db 2>&1)
one_line_exit2 "no values" "$out" $? "no values"
out=$(cd "$tmp" && "$SIM" sweep --scenario "$data/tiny.yaml" --vary ksm.max_page_sharing=256,1 --db b4.db 2>&1)
one_line_exit2 "bad value" "$out" $? "sweep: --vary ksm.max_page_sharing=1: .*max_page_sharing"
out=$("$SIM" sweep --scenario "$data/tiny.yaml" --vary ksm.pages_to_scan=10 --db "$tmp/no/such/dir/s.db" 2>&1)
one_line_exit2 "unwritable folder" "$out" $? "no/such/dir/s.db: cannot open results database"
out=$("$SIM" sweep --scenario "$data/tiny.yaml" --vary ksm.pages_to_scan=10,20 --point 2 --db "$tmp/b5.db" 2>&1)
one_line_exit2 "point out of range" "$out" $? "sweep: --point needs a point from 0 to 1"
out=$("$SIM" sweep --scenario "$data/tiny.yaml" --vary ksm.pages_to_scan=10 --shard 3/3 2>&1)
one_line_exit2 "bad shard" "$out" $? "--shard needs I/N"
for f in b1 b2 b3 b4 b5; do
	[ ! -e "$tmp/$f.db" ] && ok || bad "bad input left $f.db"
done
[ ! -e "$tmp/no" ] && ok || bad "bad input made a folder"

# Every example query of docs/results-schema.md runs through `sim report --sql` and
# gives the rows the sqlite3 client gives; --sql refuses what would write.
n=0 rows=0
while IFS= read -r -d $'\x1e' stmt; do
	[ -n "${stmt//[[:space:]]/}" ] || continue
	n=$((n + 1))
	got=$("$SIM" report "$tmp/s3.db" --sql "$stmt" --format csv 2>&1)
	check "docs query $n: exit" 0 $?
	# the same rows (first column; sqlite3 formats reals its own way), header first
	want=$(sqlite3 -csv "$tmp/s3.db" "$stmt" | cut -d, -f1 | tr -d '\r')
	[ -n "$want" ] && rows=$((rows + 1))
	check "docs query $n: rows" "$want" "$(printf '%s\n' "$got" | sed 1d | cut -d, -f1)"
done < <(awk '/^```sql/ { on = 1; next } /^```/ { on = 0 } on && !/^--/ {
	printf "%s\n", $0; if ($0 ~ /;[[:space:]]*$/) printf "\x1e" }' \
	"$SRCDIR/docs/results-schema.md")
[ "$n" -ge 5 ] && [ "$rows" -ge 4 ] && ok || bad "docs example queries: $n, with rows: $rows"
out=$("$SIM" report "$tmp/s3.db" --sql "select count(*) as runs from runs")
check "--sql table" "runs|  12|(1 row)" "$(printf '%s' "$out" | paste -sd'|')"
before=$(q "$tmp/s3.db" "select count(*) from runs")
out=$("$SIM" report "$tmp/s3.db" --sql "delete from runs" 2>&1)
one_line_exit2 "--sql write" "$out" $? "only reads"
out=$("$SIM" report "$tmp/s3.db" --sql "select 1; delete from runs" 2>&1)
one_line_exit2 "--sql two statements" "$out" $? "one statement"
out=$("$SIM" report "$tmp/s3.db" --sql "attach '$tmp/a.db' as a" 2>&1)
one_line_exit2 "--sql attach" "$out" $? "attached"
[ ! -e "$tmp/a.db" ] && ok || bad "--sql attach made a file"
out=$("$SIM" report "$tmp/s3.db" --sql "selec 1" 2>&1)
one_line_exit2 "--sql syntax" "$out" $? "s3.db: --sql: near \"selec\": syntax error"
check "--sql changed nothing" "$before" "$(q "$tmp/s3.db" "select count(*) from runs")"

finish
