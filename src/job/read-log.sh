#!/usr/bin/env bash
# Copies what one log of an attempt holds from a byte offset to its end, once, without waiting:
# the last read of a log whose follower did not run to the job's end.
#
# Usage: read-log.sh ATTEMPT_DIR STREAM OFFSET
set -uo pipefail
attempt_dir=$1 stream=$2 offset=$3

tail -c "+$((offset + 1))" "$attempt_dir/$stream.log" 2>/dev/null
true
