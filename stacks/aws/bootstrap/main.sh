#!/bin/bash
# The node's boot: every line it prints goes to STATE_DIR/bootstrap.log (the console gets only
# the role's progress lines), then the role runs. Last part of the rendered user data.
# Reads: STATE_DIR
set -euo pipefail

mkdir -p "$STATE_DIR"
exec >>"$STATE_DIR/bootstrap.log" 2>&1
run_node_role
