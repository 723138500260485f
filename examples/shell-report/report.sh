#!/usr/bin/env bash
# A non-Spark job: burst rents one big box, runs this script on it and keeps what it writes.
set -euo pipefail
mkdir -p report
{
  echo "host: $(hostname)"
  echo "cores: $(nproc)"
  echo "memory: $(free -m | awk '/^Mem:/ {print $2}') MiB"
  echo "run: ${BURST_RUN_ID}"
  echo "greeting: ${GREETING:-hello}"
} | tee report/summary.txt
echo "report written to report/summary.txt"
