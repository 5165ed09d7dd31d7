#!/usr/bin/env bash
# slurm.sh - the Slurm job-array recipe of docs/sweeps.md on a private single-node
# cluster: starts munged, slurmctld and slurmd of its own (own key, socket, ports, state
# and spool folders under a temporary folder; nothing of the machine's configuration is
# used or changed), submits a 4-task job array in which task I runs
# `sim sweep ... --shard I/4`, merges the 4 databases and compares them with the same
# sweep run serially. Stops every daemon it started, on any exit. `make check-slurm`.
# Skipped (77), with the reason, without root, without the Debian packages slurmctld,
# slurmd, slurm-client and munge, or when a Slurm controller already runs here.
set -u
: "${SIM:?}" "${SRCDIR:?}"
skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root (slurmd runs jobs as their user)"
for c in munged slurmctld slurmd sbatch sinfo; do
	command -v $c >/dev/null || skip "$c not found (apt-get install slurmctld slurmd slurm-client munge)"
done
pgrep -x slurmctld >/dev/null && skip "a slurmctld already runs on this machine"
command -v sqlite3 >/dev/null || skip "sqlite3 not found"

. "$SRCDIR/tests/lib.sh"
chmod 755 "$tmp"
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do
		for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$p" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
logs() { for f in "$tmp"/*.log; do echo "== $f"; tail -20 "$f"; done; }
die() { echo "FAIL: $*"; logs; exit 1; }
# A free TCP port from a start.
free_port() {
	local p=$1
	while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do p=$((p + 1)); done
	echo "$p"
}

# munge: a key and a socket of our own.
mkdir -m 700 "$tmp/munge"
dd if=/dev/urandom of="$tmp/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$tmp/munge/munge.key"
munged --socket="$tmp/munge/sock" --key-file="$tmp/munge/munge.key" \
	--pid-file="$tmp/munge/munged.pid" --log-file="$tmp/munged.log" \
	--seed-file="$tmp/munge/seed" --force ||
	skip "munged does not start here: $(tail -1 "$tmp/munged.log" 2>/dev/null)"
pids+=("$(cat "$tmp/munge/munged.pid")")

# slurm.conf: one node (this host), no cgroups, no accounting, our ports and folders.
host=$(hostname -s)
cpus=$(nproc)
ctld_port=$(free_port 16817)
d_port=$(free_port $((ctld_port + 1)))
mkdir -p "$tmp/state" "$tmp/spool" "$tmp/parts"
cat >"$tmp/slurm.conf" <<EOF
ClusterName=ksmsimtest
SlurmctldHost=$host
SlurmctldPort=$ctld_port
SlurmdPort=$d_port
SlurmUser=root
AuthType=auth/munge
AuthInfo=socket=$tmp/munge/sock
CredType=cred/munge
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/slurmctld.log
SlurmdLogFile=$tmp/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
NodeName=$host CPUs=$cpus State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF="$tmp/slurm.conf"
slurmctld -f "$SLURM_CONF" || die "slurmctld did not start"
for _ in $(seq 1 50); do [ -s "$tmp/slurmctld.pid" ] && break; sleep 0.1; done
pids+=("$(cat "$tmp/slurmctld.pid")")
slurmd -f "$SLURM_CONF" || die "slurmd did not start"
for _ in $(seq 1 50); do [ -s "$tmp/slurmd.pid" ] && break; sleep 0.1; done
pids+=("$(cat "$tmp/slurmd.pid")")
for _ in $(seq 1 150); do
	sinfo -h -o %t 2>/dev/null | grep -qE '^(idle|mix)' && break
	sleep 0.2
done
sinfo -h -o %t | grep -qE '^(idle|mix)' || die "the node never became idle: $(sinfo 2>&1)"
ok

# The recipe: a 4-task array, task I runs shard I of 4 into its own database.
vary=(--vary ksm.pages_to_scan=10..60/10 --seeds 2)
cat >"$tmp/sweep.sbatch" <<EOF
#!/bin/sh
#SBATCH --array=0-3
#SBATCH --output=$tmp/task-%a.log
exec "$SIM" sweep --scenario "$data/poisson.yaml" ${vary[*]} \\
	--shard \$SLURM_ARRAY_TASK_ID/4 --db "$tmp/parts/shard\$SLURM_ARRAY_TASK_ID.db" --quiet
EOF
(cd "$tmp" && sbatch --wait --chdir="$tmp" "$tmp/sweep.sbatch" >"$tmp/sbatch.out" 2>&1)
check "job array exit" 0 $?
check "4 databases" 4 "$(ls "$tmp/parts" | grep -c '^shard[0-3].db$')"
"$SIM" db merge "$tmp/all.db" "$tmp"/parts/shard*.db >/dev/null
check "merge" 0 $?
"$SIM" sweep --scenario "$data/poisson.yaml" "${vary[@]}" --db "$tmp/serial.db" --quiet
check "array = serial" "$(results "$tmp/serial.db" | md5sum)" "$(results "$tmp/all.db" | md5sum)"
check "one sweep of 12 runs" "1|12" "$(sqlite3 "$tmp/all.db" 'select count(*), (select count(*) from runs) from sweeps')"
[ "$fail" = 0 ] || logs
finish
