#!/usr/bin/env bash
# Starts one Spark worker. It does not depend on the master resource: like a cloud node it
# discovers the master at boot (waits for its port), so all nodes launch in parallel.
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"
: "${NODE_DIR:?}" "${SPARK_HOME:?}" "${MASTER_PORT:?}" "${WORKER_PORT:?}" "${WORKER_UI_PORT:?}"
: "${WORKER_CORES:?}" "${WORKER_MEMORY:?}" "${SPARK_DEFAULTS:?}" "${SPARK_ENV:?}" "${LOG4J2:?}"

conf_dir="$NODE_DIR/conf"
mkdir -p "$conf_dir" "$NODE_DIR/work"
printf '%s' "$SPARK_DEFAULTS" >"$conf_dir/spark-defaults.conf"
printf '%s' "$SPARK_ENV" >"$conf_dir/spark-env.sh"
printf '%s' "$LOG4J2" >"$conf_dir/log4j2.properties"

wait_for_port 127.0.0.1 "$MASTER_PORT" 90 || { echo "burst: Spark master never came up on port $MASTER_PORT" >&2; exit 1; }
SPARK_CONF_DIR=$conf_dir SPARK_LOCAL_IP=127.0.0.1 SPARK_LOG_DIR=$NODE_DIR \
  start_daemon "$NODE_DIR" worker "$SPARK_HOME/bin/spark-class" org.apache.spark.deploy.worker.Worker \
  --host 127.0.0.1 --port "$WORKER_PORT" --webui-port "$WORKER_UI_PORT" \
  --cores "$WORKER_CORES" --memory "$WORKER_MEMORY" --work-dir "$NODE_DIR/work" \
  "spark://127.0.0.1:$MASTER_PORT"
wait_for_port 127.0.0.1 "$WORKER_PORT" 60 || fail_with_log "$NODE_DIR" worker "Spark worker did not listen on port $WORKER_PORT"
