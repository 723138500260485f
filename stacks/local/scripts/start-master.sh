#!/usr/bin/env bash
# Starts the Spark standalone master of a local cluster and writes the node's env.sh, the
# file the job runner sources on every target to find Spark.
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"
: "${NODE_DIR:?}" "${SPARK_HOME:?}" "${MASTER_PORT:?}" "${MASTER_UI_PORT:?}" "${WORK_DIR:?}"
: "${SPARK_DEFAULTS:?}" "${SPARK_ENV:?}" "${LOG4J2:?}"

conf_dir="$NODE_DIR/conf"
mkdir -p "$conf_dir" "$WORK_DIR/eventlog"
printf '%s' "$SPARK_DEFAULTS" >"$conf_dir/spark-defaults.conf"
printf '%s' "$SPARK_ENV" >"$conf_dir/spark-env.sh"
printf '%s' "$LOG4J2" >"$conf_dir/log4j2.properties"
cat >"$WORK_DIR/env.sh" <<ENV
export SPARK_HOME='$SPARK_HOME'
export SPARK_CONF_DIR='$conf_dir'
export SPARK_LOCAL_IP=127.0.0.1
export PATH="\$SPARK_HOME/bin:\$PATH"
ENV

SPARK_CONF_DIR=$conf_dir SPARK_LOCAL_IP=127.0.0.1 SPARK_LOG_DIR=$NODE_DIR \
  start_daemon "$NODE_DIR" master "$SPARK_HOME/bin/spark-class" org.apache.spark.deploy.master.Master \
  --host 127.0.0.1 --port "$MASTER_PORT" --webui-port "$MASTER_UI_PORT"
wait_for_port 127.0.0.1 "$MASTER_PORT" 60 || fail_with_log "$NODE_DIR" master "Spark master did not listen on port $MASTER_PORT"
