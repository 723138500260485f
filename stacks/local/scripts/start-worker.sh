#!/usr/bin/env bash
# Starts one Spark worker of a local cluster: the node role every target runs
# (stacks/shared/node/role.sh) on the local platform. It does not depend on the master
# resource: like a cloud node it waits for the master's port, so all nodes launch in parallel.
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"
# shellcheck source=platform.sh
. "$(dirname "$0")/platform.sh"
: "${NODE_DIR:?}" "${SPARK_HOME:?}" "${PYSPARK_PYTHON:?}" "${MASTER_PORT:?}" "${WORKER_PORT:?}" "${WORKER_UI_PORT:?}"
: "${WORKER_CORES:?}" "${WORKER_MEMORY:?}" "${SPARK_DEFAULTS:?}" "${SPARK_ENV:?}" "${LOG4J2:?}"

NODE_ROLE=worker NODE_NAME=$(basename "$NODE_DIR") STATE_DIR=$NODE_DIR SPARK_CONF_DIR=$NODE_DIR/conf
SPARK_LOCAL_IP=127.0.0.1 MASTER_HOST=127.0.0.1 WORKER_HOST=127.0.0.1 WORKER_DIR=$NODE_DIR/work
WORK_DIR=$NODE_DIR/job MASTER_WAIT_SECONDS=90
run_node_role
