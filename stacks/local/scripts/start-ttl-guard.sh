#!/usr/bin/env bash
# The local cluster's TTL guard, like `shutdown -h +ttl` on an AWS node: after TTL_SECONDS it
# stops every node of the run even if the CLI that launched it was killed. The nodes' state
# stays in terraform, and `burst gc` (or `burst down`) clears it: stop-node.sh is idempotent.
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"
: "${NODE_DIR:?}" "${NODES_DIR:?}" "${TTL_SECONDS:?}"

stop_all="sleep $TTL_SECONDS; for node in '$NODES_DIR'/*/; do"
stop_all+=" [ \"\$node\" = '$NODE_DIR/' ] || NODE_DIR=\${node%/} bash '$(dirname "$0")/stop-node.sh'; done"
start_daemon "$NODE_DIR" ttl-guard bash -c "$stop_all"
