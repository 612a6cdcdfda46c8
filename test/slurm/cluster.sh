#!/bin/bash
# The private Slurm cluster of a test (started by test/slurm/cluster.ts): munged, slurmctld and
# slurmd on the folder $1 (its etc/slurm.conf, munge key, state, spool, logs and sockets).
#
# It runs as PID 1 of a PID namespace of its own (unshare --pid --fork --mount-proc), so every
# process the daemons start (slurmstepd, the jobs and whatever they start) lives in that namespace
# and dies with it: the kernel kills a namespace's processes when its first one ends. It prints
# "ready" once the daemons are started, then waits until its standard input says "stop" or closes
# (the test process ended, however it ended: a failure, a timeout, an exception, Ctrl-C, SIGKILL),
# kills every process of the namespace, waits for them to be gone and removes the folder.
set -u
dir=$1
# kill -1 below must reach this namespace's processes only: anywhere else it would reach every
# process of the machine. Refuse to run unless this is the first process of a namespace of its own.
if [ "$$" -ne 1 ]; then
  echo "failed: cluster.sh runs only as the first process of a PID namespace of its own (unshare --pid --fork)"
  exit 1
fi
log=$dir/log

stop() {
  # kill(-1) from a namespace's first process reaches every other process in the namespace.
  kill -KILL -1 2>/dev/null
  # Gone when none is left to signal (bash, as PID 1, reaps the orphans it inherits).
  for _ in $(seq 200); do
    kill -0 -1 2>/dev/null || break
    wait 2>/dev/null
    sleep 0.05
  done
  rm -rf -- "$dir"
  exit "${1:-0}"
}

# Its own key and socket: a munged already running on this machine is neither used nor disturbed.
munged --foreground --socket="$dir/run/munge.socket" --key-file="$dir/munge/munge.key" \
  --pid-file="$dir/run/munged.pid" --seed-file="$dir/munge/munged.seed" --log-file="$log/munged.log" \
  >"$log/munged.out" 2>&1 &
for _ in $(seq 200); do
  [ -S "$dir/run/munge.socket" ] && break
  sleep 0.05
done
if [ ! -S "$dir/run/munge.socket" ]; then
  echo "failed: munged did not start: $(tail -n 1 "$log/munged.out")"
  stop 1
fi
slurmctld -D -f "$dir/etc/slurm.conf" >"$log/slurmctld.out" 2>&1 &
slurmd -D -f "$dir/etc/slurm.conf" >"$log/slurmd.out" 2>&1 &
echo ready

while IFS= read -r line; do
  [ "$line" = stop ] && break
done
stop 0
