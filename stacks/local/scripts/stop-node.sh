#!/usr/bin/env bash
# Stops every process a local node started, waiting until they are gone so their ports are
# free when destroy returns. Each *.pid in NODE_DIR (daemons) or NODE_DIR/work (the job the CLI
# launched over SSH) names a process group; children in other sessions (sshd's per-connection
# processes) are stopped through their parent, and what left its group through the sshd's
# session marker. Then the run's Spark auth secret is removed.
set -uo pipefail
node_dir=${NODE_DIR:?NODE_DIR is required}
[[ -d "$node_dir" ]] || exit 0

# Alive: a process of the group (or the pid itself) that is not a zombie. A stopped daemon whose
# parent is gone waits as a zombie until init reaps it, which on some machines (a VM's PID 1)
# happens only every second or so; a zombie holds no port or file, so it counts as gone.
alive() {
  ps -e -o pid= -o pgid= -o stat= | awk -v id="$1" '($1 == id || $2 == id) && $3 !~ /^Z/ { found = 1 } END { exit !found }'
}

pids=()
for pid_file in "$node_dir"/*.pid "$node_dir"/work/*.pid; do
  [[ -f "$pid_file" ]] || continue
  pid=$(cat "$pid_file")
  [[ "$pid" =~ ^[0-9]+$ ]] || continue
  pids+=("$pid")
  pkill -TERM -P "$pid" 2>/dev/null || true
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
done

# A process that left the job's group (a `setsid`, a double fork) still carries the marker this
# node's sshd gives every session (start-sshd.sh): stop those too, or they outlive the cluster.
while IFS= read -r environ; do
  pid=${environ#/proc/}
  pid=${pid%/environ}
  [[ "$pid" =~ ^[0-9]+$ && "$pid" != "$$" ]] || continue
  pids+=("$pid")
  kill -TERM "$pid" 2>/dev/null || true
done < <(grep -lzxF "BURST_SSHD_NODE=$node_dir" /proc/[0-9]*/environ 2>/dev/null)

deadline=$((SECONDS + 15))
for pid in "${pids[@]}"; do
  while alive "$pid" && ((SECONDS < deadline)); do sleep 0.1; done
  if alive "$pid"; then
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  fi
done
for pid in "${pids[@]}"; do
  for _ in $(seq 50); do alive "$pid" || break; sleep 0.1; done
done
rm -f "$node_dir"/*.pid "$node_dir"/work/*.pid
# The run's Spark auth secret outlives no cluster: out of the node's conf, and its file gone
# (SPARK_AUTH_SECRET_FILE is given to the master's stop only).
if [[ -f "$node_dir/conf/spark-defaults.conf" ]]; then
  sed -i '/^spark\.authenticate\.secret /d' "$node_dir/conf/spark-defaults.conf"
fi
if [[ -n "${SPARK_AUTH_SECRET_FILE:-}" ]]; then rm -f "$SPARK_AUTH_SECRET_FILE"; fi
exit 0
