#!/bin/bash
# Writes Spark's configuration (rendered by stacks/shared/spark-conf.ts, the same text the local
# target uses), creates the service user and the folders burst works in.
# Reads: SPARK_HOME SPARK_DEFAULTS SPARK_ENV LOG4J2 SSH_USER WORK_DIR
set -euo pipefail

if [ ! -x "$SPARK_HOME/bin/spark-class" ]; then
  echo "burst: no Spark in $SPARK_HOME (a baked AMI must have Java 17 and Spark there)" >&2
  exit 1
fi
id -u spark >/dev/null 2>&1 || useradd --system --home-dir /var/lib/spark --create-home --shell /usr/sbin/nologin spark
install -d -o spark -g spark /var/lib/spark/work

printf '%s' "$SPARK_DEFAULTS" > "$SPARK_HOME/conf/spark-defaults.conf"
printf '%s' "$SPARK_ENV" > "$SPARK_HOME/conf/spark-env.sh"
printf '%s' "$LOG4J2" > "$SPARK_HOME/conf/log4j2.properties"

# The job's driver runs here as the SSH user (client mode), and writes the event log here too.
ssh_group=$(id -gn "$SSH_USER")
install -d -o "$SSH_USER" -g "$ssh_group" "$WORK_DIR" "$WORK_DIR/eventlog"
