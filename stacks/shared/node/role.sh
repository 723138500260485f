#!/bin/bash
# The Spark node role, written once for every target: install Spark (pyspark, in the venv of
# PYSPARK_PYTHON) when it is missing, write its conf and the job runner's env.sh, start the
# master or a worker, arm the TTL guard, and report progress and the outcome (ready/failed marker, console lines the CLI reads).
# Each target supplies a platform layer (stacks/aws/bootstrap/platform.sh,
# stacks/local/scripts/platform.sh) defining: platform_console LINE, platform_install_packages,
# platform_prepare_node, platform_protect_spark_conf FILE (only the Spark services and the job's
# driver may read FILE: it holds the run's auth secret), platform_start_service NAME CMD...,
# platform_watch_spot (workers), platform_arm_ttl and platform_on_failure.
# Reads: NODE_ROLE NODE_NAME STATE_DIR SPARK_HOME SPARK_CONF_DIR PYTHON_FILES SPARK_JARS SPARK_DEFAULTS SPARK_ENV LOG4J2 WORK_DIR MASTER_HOST MASTER_PORT MASTER_UI_PORT MASTER_WAIT_SECONDS WORKER_HOST WORKER_PORT WORKER_UI_PORT WORKER_CORES WORKER_MEMORY WORKER_DIR SPARK_LOCAL_IP PYSPARK_PYTHON PYTHON_VENV SPARK_AUTH_SECRET_FILE SECRET_WAIT_SECONDS
set -euo pipefail

# ---- progress and outcome ----

role_current_step=start

# A step the CLI shows while it waits ("master: install-spark").
role_step() {
  role_current_step=$1
  echo "burst: step $1 ($(date -u +%H:%M:%S))"
  platform_console "burst-step: $NODE_NAME $1"
}

# EXIT trap: a failure leaves the failed marker, the log's tail on the console, then the platform's cleanup.
role_finish() {
  local status=$?
  trap - EXIT
  if ((status == 0)); then exit 0; fi
  mkdir -p "$STATE_DIR"
  printf '%s %s\n' "$role_current_step" "$status" >"$STATE_DIR/bootstrap.failed"
  if [ -f "$STATE_DIR/bootstrap.log" ]; then
    tail -n 20 "$STATE_DIR/bootstrap.log" | while IFS= read -r line; do platform_console "burst-log: $NODE_NAME $line"; done
  fi
  platform_console "burst-failed: $NODE_NAME $role_current_step (exit $status)"
  platform_on_failure
  exit "$status"
}

role_ready() {
  date -u +%Y-%m-%dT%H:%M:%SZ >"$STATE_DIR/bootstrap.ready"
  platform_console "burst-ready: $NODE_NAME"
}

# wait_for_port HOST PORT SECONDS: true once something accepts TCP connections there.
wait_for_port() {
  local host=$1 port=$2 deadline=$((SECONDS + $3))
  while ((SECONDS < deadline)); do
    if (exec 3<>"/dev/tcp/${host}/${port}") 2>/dev/null; then
      return 0
    fi
    sleep 0.2
  done
  return 1
}

# ---- Spark ----

download() { # url file
  curl --fail --silent --show-error --location --retry 5 --retry-delay 3 --retry-connrefused \
    --output "$2" "$1" || {
    echo "burst: could not download $1" >&2
    return 1
  }
}

# fetch_verified URL FILE HEX: the download, kept only when its digest is the pinned one (64 hex
# digits: SHA-256, as PyPI publishes; 128: SHA-512, as jars.txt pins).
fetch_verified() {
  local actual sum=sha512sum
  if [ "${#3}" -eq 64 ]; then sum=sha256sum; fi
  download "$1" "$2"
  actual=$("$sum" "$2" | awk '{print $1}')
  if [ "$actual" != "$3" ]; then
    rm -f "$2"
    echo "burst: checksum mismatch for $1: its ${sum%sum} is $actual, the pinned one $3" >&2
    return 1
  fi
}

# Spark is the pyspark release the local target runs too: the files of PYTHON_FILES ("<sha256>
# <build|node> <url>" lines: pyspark's sdist, py4j, numpy, pandas, pyarrow... and the build tool
# pyspark's sdist needs) are fetched and checked against their pinned SHA-256, then pip installs
# exactly those files into the venv drivers and executors run (PYSPARK_PYTHON), from no index and
# with no dependency resolution (nothing unpinned can come in; `pip check` proves the set whole).
# SPARK_HOME is that pyspark's home; each jar of SPARK_JARS ("<sha512> <url>" lines) joins its jars.
install_spark() {
  local wheelhouse sha digest group url home
  wheelhouse=$(mktemp -d)
  mkdir -p "$wheelhouse/build" "$wheelhouse/node"
  while read -r digest group url; do
    [ -n "$url" ] || continue
    fetch_verified "$url" "$wheelhouse/$group/${url##*/}" "$digest"
  done <<<"$PYTHON_FILES"
  python3 -m venv "$PYTHON_VENV"
  local pip=("$PYTHON_VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-index --no-deps)
  # A site's pip.conf or PIP_* settings must not add an index or other files.
  PIP_CONFIG_FILE=/dev/null "${pip[@]}" "$wheelhouse"/build/*
  PIP_CONFIG_FILE=/dev/null "${pip[@]}" --no-build-isolation "$wheelhouse"/node/*
  PIP_CONFIG_FILE=/dev/null "$PYTHON_VENV/bin/python" -m pip check --disable-pip-version-check
  rm -rf "$wheelhouse"
  home=$("$PYTHON_VENV/bin/python" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))')
  rm -rf "$SPARK_HOME"
  ln -s "$home" "$SPARK_HOME"
  while read -r sha url; do
    [ -n "$url" ] || continue
    fetch_verified "$url" "$SPARK_HOME/jars/${url##*/}" "$sha"
  done <<<"$SPARK_JARS"
}

# The run's Spark authentication secret comes from outside the stack, into SPARK_AUTH_SECRET_FILE
# (0600): written before launch on the local target, over SSH after boot on aws.
await_auth_secret() {
  local deadline=$((SECONDS + SECRET_WAIT_SECONDS))
  while [ ! -s "$SPARK_AUTH_SECRET_FILE" ]; do
    if ((SECONDS >= deadline)); then
      echo "burst: no Spark authentication secret arrived at $SPARK_AUTH_SECRET_FILE within $SECRET_WAIT_SECONDS s" >&2
      return 1
    fi
    sleep 1
  done
}

# Spark's conf (rendered by stacks/shared/spark-conf.ts) and env.sh, the file src/job/run-job.sh
# sources on every target to find spark-submit.
configure_spark() {
  local defaults="$SPARK_CONF_DIR/spark-defaults.conf"
  mkdir -p "$SPARK_CONF_DIR" "$WORK_DIR/eventlog"
  # Created private before the secret goes in; printf is a builtin, so the secret is in no argv.
  rm -f "$defaults"
  (umask 077 && printf '%s' "$SPARK_DEFAULTS" >"$defaults")
  printf 'spark.authenticate.secret %s\n' "$(tr -d '\n' <"$SPARK_AUTH_SECRET_FILE")" >>"$defaults"
  platform_protect_spark_conf "$defaults"
  printf '%s' "$SPARK_ENV" >"$SPARK_CONF_DIR/spark-env.sh"
  printf '%s' "$LOG4J2" >"$SPARK_CONF_DIR/log4j2.properties"
  {
    echo "# Written by burst's node role; sourced by the job runner."
    echo "export SPARK_HOME='$SPARK_HOME'"
    echo "export SPARK_CONF_DIR='$SPARK_CONF_DIR'"
    echo "export PYSPARK_PYTHON='$PYSPARK_PYTHON'"
    if [ -n "$SPARK_LOCAL_IP" ]; then echo "export SPARK_LOCAL_IP='$SPARK_LOCAL_IP'"; fi
    # The job's own PATH, expanded when sourced.
    printf 'export PATH="%s/bin:$%s"\n' "$SPARK_HOME" PATH
  } >"$WORK_DIR/env.sh"
}

start_master() {
  platform_start_service master "$SPARK_HOME/bin/spark-class" org.apache.spark.deploy.master.Master \
    --host "$MASTER_HOST" --port "$MASTER_PORT" --webui-port "$MASTER_UI_PORT"
  wait_for_port "$MASTER_HOST" "$MASTER_PORT" 120 || {
    echo "burst: the Spark master did not listen on $MASTER_HOST:$MASTER_PORT within 120 s" >&2
    return 1
  }
}

# Workers boot alongside the master, not after it: they wait here until it accepts connections.
start_worker() {
  local flags=()
  if [ -n "$WORKER_HOST" ]; then flags+=(--host "$WORKER_HOST"); fi
  if [ -n "$WORKER_PORT" ]; then flags+=(--port "$WORKER_PORT"); fi
  if [ -n "$WORKER_UI_PORT" ]; then flags+=(--webui-port "$WORKER_UI_PORT"); fi
  if [ -n "$WORKER_CORES" ] && [ "$WORKER_CORES" != 0 ]; then flags+=(--cores "$WORKER_CORES"); fi
  if [ -n "$WORKER_MEMORY" ]; then flags+=(--memory "$WORKER_MEMORY"); fi
  wait_for_port "$MASTER_HOST" "$MASTER_PORT" "$MASTER_WAIT_SECONDS" || {
    echo "burst: the Spark master at $MASTER_HOST:$MASTER_PORT did not answer within $MASTER_WAIT_SECONDS s" >&2
    return 1
  }
  mkdir -p "$WORKER_DIR"
  platform_start_service worker "$SPARK_HOME/bin/spark-class" org.apache.spark.deploy.worker.Worker \
    "${flags[@]}" --work-dir "$WORKER_DIR" "spark://$MASTER_HOST:$MASTER_PORT"
  if [ -n "$WORKER_PORT" ]; then
    wait_for_port "${WORKER_HOST:-127.0.0.1}" "$WORKER_PORT" 60 || {
      echo "burst: the Spark worker did not listen on port $WORKER_PORT" >&2
      return 1
    }
  fi
}

# ---- the role, in order ----

# The install steps: skipped on a node whose image already holds them (a baked image).
install_node() {
  if [ ! -x "$SPARK_HOME/bin/spark-class" ] || [ ! -x "$PYSPARK_PYTHON" ]; then
    role_step install-packages
    platform_install_packages
    role_step install-spark
    install_spark
  fi
}

# The role's bake mode (an image builder, `npm run vpc -- image`): the install steps a base-image
# node runs at boot, the same code, and nothing of a run (no TTL on disk, secret, conf or service).
bake_node_role() {
  mkdir -p "$STATE_DIR"
  trap role_finish EXIT
  install_node
  role_step baked
}

run_node_role() {
  mkdir -p "$STATE_DIR"
  rm -f "$STATE_DIR/bootstrap.ready" "$STATE_DIR/bootstrap.failed"
  trap role_finish EXIT
  role_step ttl-guard
  platform_arm_ttl
  install_node
  role_step await-secret
  await_auth_secret
  role_step configure-spark
  platform_prepare_node
  configure_spark
  role_step "start-$NODE_ROLE"
  if [ "$NODE_ROLE" = master ]; then start_master; else start_worker; fi
  if [ "$NODE_ROLE" = worker ]; then
    role_step spot-watch
    platform_watch_spot
  fi
  role_ready
}
