#!/usr/bin/env bash
# Copies one log of an attempt to stdout from a byte offset until the job has ended and the log
# is read to its end; exits 0 then. The end is an event, not a poll: it blocks on the attempt's
# lock, which the job's runner holds until it exits (run-job.sh).
#
# Usage: follow-log.sh ATTEMPT_DIR STREAM OFFSET   (STREAM: stdout or stderr; OFFSET: bytes read)
set -uo pipefail
attempt_dir=$1 stream=$2 offset=$3
log="$attempt_dir/$stream.log"

flock -s "$attempt_dir/lock" true &
ended=$!
# tail --pid follows a sentinel that ends with the runner's lock; after reaping it, a touch of the
# log wakes tail at once, and tail reads whatever is left before it exits (-s 1 is only its
# fallback check). stdbuf: tail block-buffers into a pipe, holding lines back otherwise.
stdbuf -o0 tail -c "+$((offset + 1))" -s 1 --pid="$ended" -F "$log" 2>/dev/null &
follower=$!
wait "$ended"
status=$?
touch -c "$log"
wait "$follower"
exit "$status"
