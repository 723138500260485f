#!/usr/bin/env bash
# The local cluster's TTL guard, like `shutdown -h +ttl` on an AWS node: at its deadline it
# stops every node of the run even if the CLI that launched it was killed. The deadline (epoch
# seconds) lives in NODE_DIR/deadline, so a kept cluster's end can be brought forward
# (`--keep-on-failure`, src/targets/local/target.ts). The nodes' state stays in terraform, and
# `burst gc` (or `burst down`) clears it: stop-node.sh is idempotent.
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"
: "${NODE_DIR:?}" "${NODES_DIR:?}" "${TTL_SECONDS:?}"

mkdir -p "$NODE_DIR"
echo $(($(date +%s) + TTL_SECONDS)) >"$NODE_DIR/deadline.tmp"
mv "$NODE_DIR/deadline.tmp" "$NODE_DIR/deadline"
# Builtins only (printf %()T, read): the loop forks nothing but its sleep.
wait_deadline="while printf -v now '%(%s)T' -1 && read -r end <'$NODE_DIR/deadline' && ((now < end)); do sleep 2; done"
stop_all="$wait_deadline; for node in '$NODES_DIR'/*/; do"
stop_all+=" [ \"\$node\" = '$NODE_DIR/' ] || NODE_DIR=\${node%/} bash '$(dirname "$0")/stop-node.sh'; done"
start_daemon "$NODE_DIR" ttl-guard bash -c "$stop_all"
