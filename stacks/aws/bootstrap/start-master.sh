#!/bin/bash
# Runs the Spark standalone master as a systemd service, bound to the master's fixed private
# address (its pre-created network interface), so workers can find it without waiting for it.
# Reads: SPARK_HOME MASTER_HOST MASTER_PORT MASTER_UI_PORT
set -euo pipefail

cat > /etc/systemd/system/burst-spark-master.service <<UNIT
[Unit]
Description=Spark standalone master (burst)
Wants=network-online.target
After=network-online.target

[Service]
User=spark
WorkingDirectory=/var/lib/spark
Environment=SPARK_HOME=${SPARK_HOME}
ExecStart=${SPARK_HOME}/bin/spark-class org.apache.spark.deploy.master.Master --host ${MASTER_HOST} --port ${MASTER_PORT} --webui-port ${MASTER_UI_PORT}
Restart=on-failure
RestartSec=5

[Install]
WantedBy=multi-user.target
UNIT
systemctl daemon-reload
systemctl enable --now burst-spark-master.service
