#!/bin/bash
# Runs a Spark standalone worker as a systemd service. Workers boot alongside the master, not
# after it: the service restarts until the master at MASTER_HOST accepts it.
# Reads: SPARK_HOME MASTER_HOST MASTER_PORT WORKER_RESOURCES
set -euo pipefail

cat > /etc/systemd/system/burst-spark-worker.service <<UNIT
[Unit]
Description=Spark standalone worker (burst)
Wants=network-online.target
After=network-online.target

[Service]
User=spark
WorkingDirectory=/var/lib/spark
Environment=SPARK_HOME=${SPARK_HOME}
ExecStart=${SPARK_HOME}/bin/spark-class org.apache.spark.deploy.worker.Worker --work-dir /var/lib/spark/work ${WORKER_RESOURCES} spark://${MASTER_HOST}:${MASTER_PORT}
Restart=always
RestartSec=10

[Install]
WantedBy=multi-user.target
UNIT
systemctl daemon-reload
systemctl enable --now burst-spark-worker.service
