#!/usr/bin/env bash
# Blocks until the job's runner has exited (its lock is free), then prints "ended <exit code>",
# or "ended" alone when the runner was killed before it wrote one (run-job.sh writes it last).
#
# Usage: job-exit-code.sh ATTEMPT_DIR
set -uo pipefail
attempt_dir=$1

flock -s "$attempt_dir/lock" true || exit 1
echo "ended $(cat "$attempt_dir/exit_code" 2>/dev/null)"
