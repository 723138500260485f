#!/usr/bin/env bash
# Stops every process a local node started, waiting until they are gone so their ports are
# free when destroy returns. Each *.pid in NODE_DIR (daemons) or NODE_DIR/work (the job the CLI
# launched over SSH) names a process group; what runs below them in other sessions (sshd's
# per-connection processes and their commands) and what left its group carrying the sshd's
# session marker go too. Then the run's Spark auth secret is removed.
set -uo pipefail
node_dir=${NODE_DIR:?NODE_DIR is required}
[[ -d "$node_dir" ]] || exit 0

roots=()
for pid_file in "$node_dir"/*.pid "$node_dir"/work/*.pid; do
  [[ -f "$pid_file" ]] || continue
  pid=$(cat "$pid_file")
  [[ "$pid" =~ ^[0-9]+$ ]] && roots+=("$pid")
done

# What to stop, now: each daemon and its process group, everything below them (sshd's
# per-connection processes and their sessions, whatever session they moved to), and what carries
# the marker this node's sshd gives every session (start-sshd.sh), which finds a job's `setsid`
# or double fork after its parent is gone. Zombies hold no port or file and count as gone; this
# script and its callers are never taken (a node's TTL guard stops the other nodes).
stoppable() {
  local marked
  marked=$(grep -lzxF "BURST_SSHD_NODE=$node_dir" /proc/[0-9]*/environ 2>/dev/null | sed 's#^/proc/##; s#/environ$##' | tr '\n' ' ')
  ps -e -o pid= -o ppid= -o pgid= -o stat= | awk -v roots="${roots[*]}" -v marked="$marked" -v self="$$" '
    BEGIN {
      n = split(roots, list, " "); for (i = 1; i <= n; i++) root[list[i]] = 1
      n = split(marked, list, " "); for (i = 1; i <= n; i++) mark[list[i]] = 1
    }
    { parent[$1] = $2; group[$1] = $3; if ($4 !~ /^Z/) live[$1] = 1 }
    END {
      for (p = self; p in parent && p > 1; p = parent[p]) mine[p] = 1
      for (p in live) if (root[p] || root[group[p]] || mark[p]) take[p] = 1
      do {
        changed = 0
        for (p in live) if (!(p in take) && (parent[p] in take)) { take[p] = 1; changed = 1 }
      } while (changed)
      for (p in take) {
        # our own pipeline (ps, awk, the command substitution) descends from this script
        for (q = p; q in parent && q > 1 && !(q in mine); q = parent[q]) {}
        if (!(p in mine) && !(q in mine)) print p
      }
    }'
}

# Rounds until nothing is left: a session sshd forked before it was stopped, or a child a dying
# process spawned, appears after the first look and is stopped by the next one. SIGTERM for
# 15 s, then SIGKILL.
term_until=$((SECONDS + 15))
give_up=$((SECONDS + 30))
while ((SECONDS < give_up)); do
  mapfile -t found < <(stoppable)
  ((${#found[@]} > 0)) || break
  if ((SECONDS < term_until)); then signal=TERM; else signal=KILL; fi
  kill "-$signal" "${found[@]}" 2>/dev/null || true
  # Until those are gone (a busy machine may take a while), then look again.
  for _ in $(seq 20); do
    ps -o stat= -p "$(IFS=,; echo "${found[*]}")" 2>/dev/null | grep -qv '^Z' || break
    sleep 0.1
  done
done
rm -f "$node_dir"/*.pid "$node_dir"/work/*.pid
# The run's Spark auth secret outlives no cluster: out of the node's conf, and its file gone
# (SPARK_AUTH_SECRET_FILE is given to the master's stop only).
if [[ -f "$node_dir/conf/spark-defaults.conf" ]]; then
  sed -i '/^spark\.authenticate\.secret /d' "$node_dir/conf/spark-defaults.conf"
fi
if [[ -n "${SPARK_AUTH_SECRET_FILE:-}" ]]; then rm -f "$SPARK_AUTH_SECRET_FILE"; fi
exit 0
