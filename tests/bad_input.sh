#!/bin/bash
# bad_input.sh - the bad-input corpus (tests/data/bad/): every case must end with exit
# status 2, exactly one line on stderr, "sim: " then a message naming its file (or the
# option) with no control byte, and nothing written: the scratch folder the command
# runs in stays empty (no database, no journal, no temporary file), nothing appears
# beside it (a name like "../x" must not put a database there) and the databases given
# with --db keep every byte. BAD_INPUT_VERBOSE=1 prints each case's message.
# A case is "WHERE|ARGS": WHERE must appear in the message, ARGS are sim's arguments
# ($D is the corpus folder; words are split on spaces; \xNN is a byte).
: "${SIM:?SIM not set}" "${SRCDIR:?SRCDIR not set}"
D=$SRCDIR/tests/data/bad
scratch=$(mktemp -d "${TMPDIR:-/tmp}/bad_input.XXXXXX") || exit 99
trap 'rm -rf "$scratch"' EXIT
mkdir "$scratch/a_dir.yaml"
# a YAML input over the 4 MiB limit
{ echo "name: big"; head -c 5000000 /dev/zero | tr '\0' '#'; echo; } >"$scratch/big.yaml"
sqlite3 "$scratch/../bad_input_other_schema.$$.db" \
	"CREATE TABLE runs(id INTEGER); PRAGMA user_version = 99;" || exit 99
other_db=$scratch/../bad_input_other_schema.$$.db
printf 'not a database\n' >"$scratch/../bad_input_text.$$.db"
text_db=$scratch/../bad_input_text.$$.db
trap 'rm -rf "$scratch" "$other_db" "$text_db"' EXIT
run=0 fail=0
# what must not change: the scratch folder beside work/ and the databases' bytes
state() {
	ls -A "$scratch"
	cksum "$other_db" "$text_db"
}

check() { # WHERE ARGS...
	local where=$1 out rc lines left
	shift
	run=$((run + 1))
	out=$(cd "$scratch/work" && "$SIM" "$@" 2>&1 >/dev/null)
	rc=$?
	lines=$(printf '%s\n' "$out" | grep -c '')
	left=$(ls -A "$scratch/work")
	[ "$(state)" = "$before" ] || left="$left (beside it or in a --db file: $(state))"
	[ -z "${BAD_INPUT_VERBOSE:-}" ] || printf '%s -> %s\n' "$where" "$out"
	if [ $rc != 2 ] || [ "$lines" != 1 ] || [ "${out#sim: }" = "$out" ] ||
		[ "${out#*"$where"}" = "$out" ] || printf '%s' "$out" | LC_ALL=C grep -q '[[:cntrl:]]' ||
		[ -n "$left" ]; then
		echo "FAIL: sim $* -> exit $rc, $lines line(s): $out${left:+; left behind: $left}" |
			LC_ALL=C sed 's/[[:cntrl:]]/?/g'
		fail=$((fail + 1))
	fi
	rm -rf "$scratch/work"
	mkdir "$scratch/work"
}
mkdir "$scratch/work"
before=$(state)

while IFS='|' read -r where args; do
	case "$where" in ''|'#'*) continue ;; esac
	args=${args//\$D/$D}
	args=${args//\$SCRATCH/$scratch}
	args=${args//\$OTHER_DB/$other_db}
	args=${args//\$TEXT_DB/$text_db}
	# shellcheck disable=SC2086
	eval "set -- $(printf '%s' "$args" | sed 's/\\x\([0-9a-f][0-9a-f]\)/$'"'"'\\x\1'"'"'/g')"
	check "$where" "$@"
done <<'CASES'
# scenarios: syntax, keys, values, names, sizes, limits (sim --scenario FILE)
s_syntax.yaml:3:9:|--scenario $D/s_syntax.yaml -q
s_unknown_key.yaml:2:1:|--scenario $D/s_unknown_key.yaml -q
s_bad_units.yaml:3:11:|--scenario $D/s_bad_units.yaml -q
s_negative_pages.yaml:10:16:|--scenario $D/s_negative_pages.yaml -q
s_zero_count.yaml:7:12:|--scenario $D/s_zero_count.yaml -q
s_name_dotdot.yaml:1:7:|--scenario $D/s_name_dotdot.yaml -q
s_name_slash.yaml:1:7:|--scenario $D/s_name_slash.yaml -q
s_name_esc.yaml:1:7:|--scenario $D/s_name_esc.yaml -q
s_name_newline.yaml:1:7:|--scenario $D/s_name_newline.yaml -q
s_esc_key.yaml:2:1:|--scenario $D/s_esc_key.yaml -q
s_empty.yaml|--scenario $D/s_empty.yaml -q
s_not_mapping.yaml:1:1:|--scenario $D/s_not_mapping.yaml -q
s_scalar_doc.yaml:1:1:|--scenario $D/s_scalar_doc.yaml -q
s_huge_duration.yaml:3:11:|--scenario $D/s_huge_duration.yaml -q
s_pages_overflow.yaml:10:16:|--scenario $D/s_pages_overflow.yaml -q
s_bad_kind.yaml:13:29:|--scenario $D/s_bad_kind.yaml -q
s_bad_byte.yaml:13:41:|--scenario $D/s_bad_byte.yaml -q
s_no_processes.yaml:1:1:|--scenario $D/s_no_processes.yaml -q
s_dup_key.yaml:3:1:|--scenario $D/s_dup_key.yaml -q
s_tab_indent.yaml:7:1:|--scenario $D/s_tab_indent.yaml -q
s_anchor_bomb.yaml:1:1:|--scenario $D/s_anchor_bomb.yaml -q
s_deep.yaml:1:|--scenario $D/s_deep.yaml -q
s_host_small.yaml:4:13: host.ram|--scenario $D/s_host_small.yaml -q
s_host_alg.yaml:4:37: host.zram.algorithm: unknown compressor|--scenario $D/s_host_alg.yaml -q
s_host_costs.yaml:4:|--scenario $D/s_host_costs.yaml -q
big.yaml|--scenario $SCRATCH/big.yaml -q
s_region_huge.yaml:10:16:|--scenario $D/s_region_huge.yaml -q
s_region_size_huge.yaml:10:15:|--scenario $D/s_region_size_huge.yaml -q
s_nonutf8.yaml: byte 7:|--scenario $D/s_nonutf8.yaml -q
no-such-trace.kst|--scenario $D/s_bad_trace_ref.yaml -q
t_backwards.kstt:4:|--scenario $D/s_trace_bad.yaml -q
t_huge_map.kstt: record 2|--scenario $D/s_trace_huge.yaml -q
t_write_unmapped.kstt: record 3|--scenario $D/s_trace_unmapped.yaml -q
t_read_unmapped.kstt:6: read of an unmapped range|--scenario $D/s_read_unmapped.yaml -q
b_read_unmapped.kst:41: read of an unmapped range|--scenario $D/s_read_unmapped_bin.yaml -q
# a `pages` record whose zstd frame is corrupt inside (its header, size and the CRC
# are right; made by `sim trace convert` of 14 records, byte 0x70 set to 0xff, the CRC
# made right again): found when ksmd first reads one of its pages, mid-run
b_corrupt_frame.kst:50: corrupt pages record|--scenario $D/s_corrupt_frame.yaml -q
b_corrupt_frame.kst:50: corrupt pages record|--scenario $D/s_corrupt_frame.yaml -q --db run.db
b_corrupt_frame.kst:50: corrupt pages record|trace convert $D/b_corrupt_frame.kst out.kstt
s_colours.yaml:5:22: zero_page_colours 128|--scenario $D/s_colours.yaml -q
s_colours.yaml:5:22: zero_page_colours 128|--scenario $D/s_colours.yaml --dry-run
s_colours_ram.yaml:8:22: zero_page_colours 128: arch 's390x' with host.ram|--scenario $D/s_colours_ram.yaml -q
--set ksm.zero_page_colours=2: zero_page_colours 2|--scenario zero-colour-s390 --set ksm.zero_page_colours=2 -q
s_sleep_range.yaml:4:43:|--scenario $D/s_sleep_range.yaml -q
s_pts_zero.yaml:4:22:|--scenario $D/s_pts_zero.yaml -q
s_seed_neg.yaml:2:7:|--scenario $D/s_seed_neg.yaml -q
s_arch_missing.yaml:3:7: arch model|--scenario $D/s_arch_missing.yaml -q
s_path_bad.yaml:3:7:|--scenario $D/s_path_bad.yaml -q
a_dir.yaml|--scenario $SCRATCH/a_dir.yaml -q
a_dir.yaml|--scenario $SCRATCH/a_dir.yaml --dry-run
ok.yaml: 256 pages|--scenario $D/ok.yaml --max-memory 1K -q
--max-memory|--scenario $D/ok.yaml --max-memory lots -q
samples|--scenario $D/ok.yaml --set sample.interval=1ns --set duration=600s --dry-run
# --set overrides
--set|--scenario $D/ok.yaml --set \xff\xfe=1 -q
--set|--scenario $D/ok.yaml --set ksm.pages_to_scan=\xff -q
--set|--scenario $D/ok.yaml --set noequals -q
--set|--scenario $D/ok.yaml --set =1 -q
--set|--scenario $D/ok.yaml --set ksm..x=1 -q
--set|--scenario $D/ok.yaml --set processes.9.count=1 -q
--set|--scenario $D/ok.yaml --set ksm.pages_to_scan=-1 -q
--set|--scenario $D/ok.yaml --set name=a\x1bb -q
--set arch=no-such-arch: arch model|--scenario $D/ok.yaml --set arch=no-such-arch --dry-run
--set arch=/: /: is a directory, not an arch model file|--scenario $D/ok.yaml --set arch=/ -q
# arch models (--arch FILE)
a_syntax.yaml:3:1:|--scenario $D/ok.yaml --arch $D/a_syntax.yaml -q
a_unknown_top.yaml:9:1:|--scenario $D/ok.yaml --arch $D/a_unknown_top.yaml -q
a_empty.yaml|--scenario $D/ok.yaml --arch $D/a_empty.yaml -q
a_list.yaml:1:1:|--scenario $D/ok.yaml --arch $D/a_list.yaml -q
# text traces (sim trace convert IN OUT)
t_backwards.kstt:4:|trace convert $D/t_backwards.kstt out.kst
t_bad_magic.kstt:1:14:|trace convert $D/t_bad_magic.kstt out.kst
t_no_magic.kstt:0:|trace convert $D/t_no_magic.kstt out.kst
t_undef_class.kstt:4:|trace convert $D/t_undef_class.kstt out.kst
t_unaligned.kstt:3:|trace convert $D/t_unaligned.kstt out.kst
t_zero_pages.kstt:3:|trace convert $D/t_zero_pages.kstt out.kst
t_overflow.kstt:3:|trace convert $D/t_overflow.kstt out.kst
t_bad_number.kstt:2:15:|trace convert $D/t_bad_number.kstt out.kst
t_bad_op.kstt:2:5:|trace convert $D/t_bad_op.kstt out.kst
t_time_overflow.kstt:2:1:|trace convert $D/t_time_overflow.kstt out.kst
t_ctrl_name.kstt:2:23:|trace convert $D/t_ctrl_name.kstt out.kst
t_dup_class.kstt:3:|trace convert $D/t_dup_class.kstt out.kst
t_bad_literal.kstt:4:38:|trace convert $D/t_bad_literal.kstt out.kst
t_knob_unknown.kstt:2:15:|trace convert $D/t_knob_unknown.kstt out.kst
# binary traces
b_truncated.kst:20:|trace convert $D/b_truncated.kst out.kstt
b_version.kst:8:|trace convert $D/b_version.kst out.kstt
b_flags.kst:12:|trace convert $D/b_flags.kst out.kstt
b_no_end.kst:24:|trace convert $D/b_no_end.kst out.kstt
b_bad_crc.kst:24:|trace convert $D/b_bad_crc.kst out.kstt
b_bad_op.kst:24:|trace convert $D/b_bad_op.kst out.kstt
b_long_len.kst:24:|trace convert $D/b_long_len.kst out.kstt
b_trailing.kst:37:|trace convert $D/b_trailing.kst out.kstt
# kernel trace folders (sim regress DIR)
k_hz/meta.yaml:28:|regress $D/k_hz -q
k_processes/meta.yaml:28:|regress $D/k_processes -q
k_scanned/counters.csv:3:|regress $D/k_scanned -q
k_ts/trace.txt:1:|regress $D/k_ts -q
k_nobatches/counters.csv|regress $D/k_nobatches -q
k_shortrow/batches.csv:4:|regress $D/k_shortrow -q
k_sleep0/scenario.yaml|regress $D/k_sleep0 -q
no-such-dir|regress $D/no-such-dir -q
# kernel recordings: a --out that cannot be made is refused before recording
no-such/x: the folder|record-kernel --scenario $D/ok.yaml --out $SCRATCH/no-such/x
ok.yaml: exists and is not a folder|record-kernel --scenario $D/ok.yaml --out $D/ok.yaml
--wall-clock runs a scenario for its duration|record-kernel --scenario $D/ok.yaml --wall-clock --batches 3 --out $SCRATCH/w
--wall-clock runs a scenario for its duration|record-kernel --wall-clock --pid 1 --out $SCRATCH/w
# results databases (--db FILE)
other_schema|--scenario $D/ok.yaml --db $OTHER_DB -q
bad_input_text|--scenario $D/ok.yaml --db $TEXT_DB -q
a_dir.yaml|--scenario $D/ok.yaml --db $SCRATCH/a_dir.yaml -q
CASES
echo "bad-input corpus: $run cases, $fail failed"
[ $run -ge 60 ] && [ $fail = 0 ]
