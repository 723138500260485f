#!/bin/bash
# Spot interruption watcher for a Spark worker node. Polls the instance metadata service (IMDSv2:
# a PUT for a session token, then GET spot/instance-action with it; 404 = no notice) and, on a
# notice, records it and starts Spark's graceful decommissioning by sending SIGPWR to the Worker
# daemon (spark.decommission.enabled: no new tasks, shuffle and RDD blocks migrate away).
# Usage: spot-watch.sh --state-dir DIR (--worker-pid PID | --worker-unit UNIT)
#                      [--imds HOST[:PORT]] [--interval SECONDS] [--token-ttl SECONDS]
# --imds exists for tests (a stand-in on loopback); nodes use the default 169.254.169.254.
# Writes DIR/spot-interruption (the notice's JSON) and prints "burst-spot-interruption: ..." on a
# notice, then exits 0 once the worker was signalled.
set -euo pipefail

imds=169.254.169.254
interval=5
token_ttl=21600
state_dir=""
worker_pid=""
worker_unit=""

usage() {
  echo "usage: spot-watch.sh --state-dir DIR (--worker-pid PID | --worker-unit UNIT) [--imds HOST[:PORT]] [--interval SECONDS] [--token-ttl SECONDS]" >&2
  exit 2
}

while (($# > 0)); do
  case $1 in
    --imds) imds=${2:?}; shift 2 ;;
    --interval) interval=${2:?}; shift 2 ;;
    --token-ttl) token_ttl=${2:?}; shift 2 ;;
    --state-dir) state_dir=${2:?}; shift 2 ;;
    --worker-pid) worker_pid=${2:?}; shift 2 ;;
    --worker-unit) worker_unit=${2:?}; shift 2 ;;
    *) usage ;;
  esac
done
if [ -z "$state_dir" ] || { [ -z "$worker_pid" ] && [ -z "$worker_unit" ]; }; then usage; fi

base="http://${imds}/latest"
token=""
token_expires=0

log() { echo "burst-spot-watch: $*"; }

# A fresh IMDSv2 session token when none is held or it is about to expire.
refresh_token() {
  if [ -n "$token" ] && ((SECONDS < token_expires)); then return 0; fi
  token=$(curl --silent --fail --max-time 2 --request PUT \
    --header "X-aws-ec2-metadata-token-ttl-seconds: ${token_ttl}" "${base}/api/token") || {
    token=""
    return 1
  }
  token_expires=$((SECONDS + token_ttl - 60))
}

# Prints the notice and returns 0 when there is one; 1 when none; 2 when the answer was unusable;
# 3 when the token was refused (expired).
fetch_notice() {
  local body status
  body=$(mktemp)
  status=$(curl --silent --max-time 2 --output "$body" --write-out '%{http_code}' \
    --header "X-aws-ec2-metadata-token: ${token}" "${base}/meta-data/spot/instance-action") || status=000
  case $status in
    200) cat "$body"; rm -f "$body"; return 0 ;;
    404) rm -f "$body"; return 1 ;;
    401) rm -f "$body"; return 3 ;;
    *) log "instance-action answered HTTP $status"; rm -f "$body"; return 2 ;;
  esac
}

worker_main_pid() {
  if [ -n "$worker_pid" ]; then
    echo "$worker_pid"
  else
    systemctl show --property MainPID --value "$worker_unit"
  fi
}

decommission_worker() {
  local pid
  pid=$(worker_main_pid)
  if [ -z "$pid" ] || [ "$pid" = 0 ]; then
    log "no running worker to decommission"
    return 1
  fi
  kill -PWR "$pid"
  log "sent SIGPWR to the Spark worker (pid $pid): graceful decommissioning started"
}

mkdir -p "$state_dir"
log "watching ${base}/meta-data/spot/instance-action every ${interval} s"
while true; do
  if refresh_token; then
    status=0
    notice=$(fetch_notice) || status=$?
    if ((status == 0)); then
      printf '%s\n' "$notice" >"$state_dir/spot-interruption.tmp"
      mv "$state_dir/spot-interruption.tmp" "$state_dir/spot-interruption"
      echo "burst-spot-interruption: $notice"
      decommission_worker
      exit 0
    fi
    if ((status == 3)); then token=""; fi # refused: a new token next round
  else
    log "no IMDSv2 token from ${base}/api/token; retrying"
  fi
  sleep "$interval"
done
