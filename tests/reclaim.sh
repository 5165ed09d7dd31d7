#!/usr/bin/env bash
# reclaim.sh - host memory pressure end to end (docs/zram.md): a small overcommitted
# scenario swaps into the simulated zram; the counters are in swap_samples and
# swap_paths; a KSM page takes one slot for all its mappers; the limit holds; the run is
# deterministic and the bulk and reference paths agree; bad host: input is refused.
set -u
. "$SRCDIR/tests/lib.sh"
sc="$SRCDIR/tests/data/zram/overcommit.yaml"

"$SIM" --scenario "$sc" --db "$tmp/a.db" --quiet
check "run exit" 0 $?
check "status" complete "$(q "$tmp/a.db" 'select status from runs')"
check "a swap sample per sample" "$(q "$tmp/a.db" 'select count(*) from samples')" \
	"$(q "$tmp/a.db" 'select count(*) from swap_samples')"
last="select %s from swap_samples order by t_ns desc limit 1"
out=$(q "$tmp/a.db" "$(printf "$last" pswpout)")
[ "$out" -gt 1000 ] && ok || bad "pswpout $out"
ks=$(q "$tmp/a.db" "$(printf "$last" ksm_swpout)")
[ "$ks" -gt 0 ] && ok || bad "no KSM page swapped out"
# KSM pages are not duplicated in swap: more swap entries than slots (one slot per KSM
# page for all its mappers), and every slot a page of zram
check "swap entries > slots" 1 "$(q "$tmp/a.db" "$(printf "$last" 'swap_pages > swap_slots')")"
check "slots = zram pages" 1 "$(q "$tmp/a.db" "$(printf "$last" \
	'swap_slots * 4096 = orig_data_size')")"
# the limit holds at every sample: resident pages plus the zram pool
check "limit held" 0 "$(q "$tmp/a.db" 'select count(*) from swap_samples
	where resident_pages + mem_used_total / 4096 > limit_pages and reclaim_short = 0')"
check "swap_paths rows" 5 "$(q "$tmp/a.db" 'select count(*) from swap_paths')"
# every swap-out priced (the last sample may precede records of its own instant)
check "swap-outs priced" 1 "$(q "$tmp/a.db" "select out_ops >= $out and out_ops < $out + 2000
	from swap_paths where path = 'copy'")"
check "spanning objects cost more with page tables than copying" 1 \
	"$(q "$tmp/a.db" "select (select out_ns from swap_paths where path = 'pgtable') >
	   (select out_ns from swap_paths where path = 'copy') and
	   (select out_spanning from swap_paths where path = 'copy') > 0")"

# determinism, and the page-by-page reference path gives the same run
dump() { q "$1" 'select * from swap_samples order by t_ns'; q "$1" \
	'select t_ns, pages_shared, pages_sharing, pages_unshared from samples order by t_ns, batch'; }
"$SIM" --scenario "$sc" --db "$tmp/b.db" --quiet
check "deterministic" "$(dump "$tmp/a.db")" "$(dump "$tmp/b.db")"
"$SIM" --scenario "$sc" --set path=reference --db "$tmp/r.db" --quiet
check "reference path: same run" "$(dump "$tmp/a.db")" "$(dump "$tmp/r.db")"

# without host: no reclaim, no swap rows
"$SIM" --scenario "$SRCDIR/tests/data/cli/tiny.yaml" --db "$tmp/t.db" --quiet
check "no host: no swap rows" 0 "$(q "$tmp/t.db" 'select count(*) from swap_samples')"

# bad input: one line naming file:line, exit 2
sed 's/ram: 56MiB/ram: 20MiB/; s/kernel_reserved: 16MiB/kernel_reserved: 64MiB/' "$sc" >"$tmp/small.yaml"
err=$("$SIM" --scenario "$tmp/small.yaml" --db "$tmp/x.db" --quiet 2>&1)
check "tiny host exit" 2 $?
check "tiny host: one line" 1 "$(printf '%s\n' "$err" | wc -l)"
printf '%s\n' "$err" | grep -q "small.yaml:[0-9]*:[0-9]*: host.ram '20MiB' is smaller than the kernel" \
	&& ok || bad "tiny host message: $err"
sed 's/algorithm: lzo-rle/algorithm: lzma/' "$sc" >"$tmp/alg.yaml"
err=$("$SIM" --scenario "$tmp/alg.yaml" --db "$tmp/x.db" --quiet 2>&1)
check "unknown compressor exit" 2 $?
printf '%s\n' "$err" | grep -q "alg.yaml:[0-9]*:[0-9]*: host.zram.algorithm: unknown compressor 'lzma'" \
	&& ok || bad "compressor message: $err"
sed 's/costs: x86_64/costs: vax/' "$sc" >"$tmp/costs.yaml"
"$SIM" --scenario "$tmp/costs.yaml" --db "$tmp/x.db" --quiet 2>/dev/null
check "unknown cost model exit" 2 $?
[ ! -e "$tmp/x.db" ] || [ "$(q "$tmp/x.db" 'select count(*) from runs')" = 0 ] && ok \
	|| bad "a refused run left a run behind"
finish
