#!/usr/bin/env bash
# Step "check" of examples/pipeline: a plain shell step that runs after the Spark step, on the
# same cluster, and leaves a small report in the results.
set -euo pipefail
counts="${1:?usage: check.sh <s3a://counts/>}"
mkdir -p pipeline-report
{
  echo "run: ${BURST_RUN_ID:-unknown}"
  echo "counts: ${counts}"
  echo "checked at: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
} | tee pipeline-report/check.txt
