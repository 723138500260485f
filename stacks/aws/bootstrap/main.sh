#!/bin/bash
# The node's boot: the TTL guard first (whatever fails next, a missing host key included, the node
# still powers off), then the host key for the CLI, then the role with every line it prints in
# STATE_DIR/bootstrap.log (the console gets only the role's progress lines).
# Reads: STATE_DIR
set -euo pipefail

mkdir -p "$STATE_DIR"
platform_arm_ttl >>"$STATE_DIR/bootstrap.log" 2>&1
announce_host_key
exec >>"$STATE_DIR/bootstrap.log" 2>&1
run_node_role
