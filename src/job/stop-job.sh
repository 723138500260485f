#!/usr/bin/env bash
# Stops the job's whole process group: TERM, then KILL if anything is left after 10 seconds.
# Always exits 0: a group that is already gone is stopped.
#
# Usage: stop-job.sh PID   (the runner's pid, which leads the job's process group)
set -uo pipefail
group="-$1"

kill -TERM -- "$group" 2>/dev/null
for _ in $(seq 100); do
  kill -0 -- "$group" 2>/dev/null || exit 0
  sleep 0.1
done
kill -KILL -- "$group" 2>/dev/null
true
