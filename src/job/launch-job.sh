#!/usr/bin/env bash
# Starts one attempt of a step on the master, detached from the SSH session that runs this, and
# prints the runner's pid (which is also its process group).
#
# Usage: launch-job.sh ATTEMPT_DIR WORK_DIR CWD
#   stdin: three base64 lines: run-job.sh, the NUL-separated argv, job.env. They travel on stdin
#   because argv and job.env may hold secrets, which must never be in a command line; they are
#   read by the shell's builtins, so no file content is in any process's argv either.
set -uo pipefail
attempt_dir=$1 work_dir=$2 cwd=$3

mkdir -p "$attempt_dir" && cd "$attempt_dir" || exit 1
(
  umask 077
  for name in run-job.sh argv job.env; do
    IFS= read -r line && printf %s "$line" | base64 -d >"$name" || exit 1
  done
) || exit 1
# The lock is taken before the runner exists and handed down as fd 9, so no follower can find it
# free before the job has even started (run-job.sh's header says how it is released).
exec 9>lock && flock -x 9 || exit 1
# `;` not `&&` before the `&`: with `cd && cmd &` the whole list is backgrounded in a subshell
# that keeps the SSH channel open until the job ends. $! is the runner itself: setsid does not
# fork when its caller (a background child of a non-interactive shell) leads no process group.
setsid nohup bash run-job.sh "$attempt_dir" "$work_dir" "$cwd" </dev/null >/dev/null 2>&1 &
echo "$!"
