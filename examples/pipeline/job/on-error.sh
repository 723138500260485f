#!/usr/bin/env bash
# onError of examples/pipeline: runs once, on the same cluster, after a step has failed for good.
set -euo pipefail
mkdir -p pipeline-report
echo "run ${BURST_RUN_ID:-unknown} failed; partial output may remain under s3://burst-data/pipeline/" |
  tee pipeline-report/failed.txt
