#!/usr/bin/env bash
# Starts the Spark standalone master of a local cluster: the node role every target runs
# (stacks/shared/node/role.sh: conf, env.sh, master, ready marker) on the local platform.
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"
# shellcheck source=platform.sh
. "$(dirname "$0")/platform.sh"
: "${NODE_DIR:?}" "${SPARK_HOME:?}" "${PYSPARK_PYTHON:?}" "${MASTER_PORT:?}" "${MASTER_UI_PORT:?}" "${WORK_DIR:?}"
: "${SPARK_DEFAULTS:?}" "${SPARK_ENV:?}" "${LOG4J2:?}"

NODE_ROLE=master NODE_NAME=master STATE_DIR=$NODE_DIR SPARK_CONF_DIR=$NODE_DIR/conf
SPARK_LOCAL_IP=127.0.0.1 MASTER_HOST=127.0.0.1
run_node_role
