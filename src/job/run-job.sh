#!/usr/bin/env bash
# Runs a burst job on the master node, detached from the SSH session that launched it, so a
# dropped connection does not kill the job: the CLI reconnects and resumes reading the logs.
#
# Usage: run-job.sh ATTEMPT_DIR WORK_DIR CWD   (one folder per attempt of a step)
#   ATTEMPT_DIR/argv     the command, NUL-separated (no shell quoting involved); removed once read
#   ATTEMPT_DIR/job.env  optional, 0600: exports for the job (may hold secrets); removed once read
#   WORK_DIR/env.sh  written by the node's bootstrap: SPARK_HOME, SPARK_CONF_DIR, PATH
# Writes ATTEMPT_DIR/stdout.log, stderr.log, then exit_code (atomically, last).
# WORK_DIR/job.pid and ATTEMPT_DIR/pid hold this process group (node teardown stops it).
# Fd 9 is ATTEMPT_DIR/lock, locked exclusively by the launcher before it started this script: the
# lock lasts exactly as long as this process (the kernel drops it at exit, even on SIGKILL), so a
# follower blocked on `flock -s ATTEMPT_DIR/lock` learns the end at once, without polling.
set -uo pipefail
job_dir=$1 work_dir=$2 cwd=$3

# This shell leads its own session (setsid), so its pid names the job's whole process group.
echo "$$" >"$work_dir/job.pid"
echo "$$" >"$job_dir/pid"
finish() {
  echo "$1" >"$job_dir/exit_code.tmp" && mv "$job_dir/exit_code.tmp" "$job_dir/exit_code"
  rm -f "$work_dir/job.pid"
  exit "$1"
}

# shellcheck source=/dev/null
. "$work_dir/env.sh"
if [[ -f "$job_dir/job.env" ]]; then
  # shellcheck source=/dev/null
  . "$job_dir/job.env"
fi
mapfile -d '' argv <"$job_dir/argv"
# Both may hold secrets (env values, --conf values); a kept or local node's disk outlives the job.
rm -f "$job_dir/job.env" "$job_dir/argv"
cd "$cwd" || { echo "burst: job folder $cwd does not exist" >"$job_dir/stderr.log"; finish 127; }

# The job does not inherit the lock: a daemon it leaves behind must not keep followers waiting.
"${argv[@]}" >"$job_dir/stdout.log" 2>"$job_dir/stderr.log" </dev/null 9>&- &
child=$!
trap 'kill -TERM "$child" 2>/dev/null' TERM INT HUP
# wait returns early when a trapped signal arrives; keep waiting until the job has exited.
while true; do
  wait "$child"
  code=$?
  kill -0 "$child" 2>/dev/null || break
done
finish "$code"
