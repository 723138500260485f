#!/usr/bin/env bash
# Helpers shared by the local node scripts. Sourced, never run.

# The node role's functions (wait_for_port among them); the Spark nodes run its run_node_role.
# shellcheck source=../../shared/node/role.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../shared/node/role.sh"

# start_daemon NODE_DIR NAME CMD...: run CMD detached in its own session, its output in
# NODE_DIR/NAME.log, its process group id in NODE_DIR/NAME.pid. Terraform waits for the
# provisioner's output pipes to close, so the daemon must not inherit them. The daemon's
# environment is explicit (daemon_env, plus the variables named in DAEMON_ENV): a long-lived
# process must not hold what the CLI or terraform was given.
start_daemon() {
  local node_dir=$1 name=$2
  shift 2
  local -a environment
  # shellcheck disable=SC2086 # DAEMON_ENV is a space-separated list of names
  mapfile -t environment < <(daemon_env ${DAEMON_ENV:-})
  mkdir -p "$node_dir"
  # If the script fails after this, terraform taints the node and runs no destroy-time
  # provisioner for a tainted resource: stop what the node started before failing.
  started_node_dir=$node_dir
  # The node role has its own EXIT trap (role_finish), which stops the node on failure too.
  [[ -n "$(trap -p EXIT)" ]] || trap stop_node_on_failure EXIT
  setsid env -i "${environment[@]}" "$@" >"$node_dir/$name.log" 2>&1 </dev/null &
  echo $! >"$node_dir/$name.pid"
}

# daemon_env NAME...: NAME=value lines for what every daemon needs (PATH, HOME, TMPDIR, the
# locale, JAVA_HOME) and for each NAME given, leaving out those unset or empty.
daemon_env() {
  local name
  for name in PATH HOME TMPDIR LANG LC_ALL TZ JAVA_HOME "$@"; do
    if [[ -n "${!name:-}" ]]; then printf '%s=%s\n' "$name" "${!name}"; fi
  done
}

# stop_node_on_failure: start_daemon's EXIT trap.
stop_node_on_failure() {
  local status=$?
  if ((status != 0)); then
    NODE_DIR=$started_node_dir bash "$(dirname "${BASH_SOURCE[0]}")/stop-node.sh"
  fi
  exit "$status"
}

# fail_with_log NODE_DIR NAME MESSAGE: report a daemon that did not come up, with its log tail.
fail_with_log() {
  local node_dir=$1 name=$2 message=$3
  echo "burst: $message" >&2
  if [[ -f "$node_dir/$name.log" ]]; then
    echo "--- last lines of $node_dir/$name.log ---" >&2
    tail -n 30 "$node_dir/$name.log" >&2
  fi
  exit 1
}
