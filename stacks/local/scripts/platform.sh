#!/usr/bin/env bash
# The local platform under the node role (stacks/shared/node/role.sh): Spark from the cached
# runtime (never installed here), detached processes with pid files (stop-node.sh kills them),
# progress in the node folder's console.log. The TTL guard is the run's ttl_guard node
# (start-ttl-guard.sh), which stops every local node at once. Sourced, never run.

platform_console() {
  echo "$1" >>"$STATE_DIR/console.log"
}

platform_install_packages() {
  echo "burst: no Spark in $SPARK_HOME; the local target runs the cached runtime (bash scripts/setup.sh)" >&2
  return 1
}

platform_prepare_node() {
  mkdir -p "$WORK_DIR"
}

# Services and the driver run as this user: the file stays 0600.
platform_protect_spark_conf() { :; }

platform_start_service() { # name command...
  local name=$1
  shift
  SPARK_LOG_DIR=$NODE_DIR DAEMON_ENV="SPARK_HOME SPARK_CONF_DIR SPARK_LOG_DIR SPARK_LOCAL_IP" \
    start_daemon "$NODE_DIR" "$name" "$@"
}

# No instance metadata here: test/e2e/spot-decommission.test.ts runs the watcher against a stand-in.
platform_watch_spot() { :; }

platform_arm_ttl() {
  echo "burst: the run's ttl_guard node stops this node after the TTL"
}

# A node that did not come up shows its daemons' last lines, then stops what it started.
platform_on_failure() {
  local log
  for log in "$NODE_DIR"/*.log; do
    [[ -f "$log" && "$log" != "$NODE_DIR/console.log" ]] || continue
    echo "--- last lines of $log ---" >&2
    tail -n 30 "$log" >&2
  done
  NODE_DIR=$NODE_DIR bash "$(dirname "${BASH_SOURCE[0]}")/stop-node.sh"
}
