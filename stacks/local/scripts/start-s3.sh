#!/usr/bin/env bash
# Starts the local S3 API server (versitygw, plain files under S3_DATA_DIR) for one run.
# Credentials come from a 0600 file, so they never appear in the stack or its state.
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"
: "${NODE_DIR:?}" "${S3_BINARY:?}" "${S3_PORT:?}" "${S3_REGION:?}" "${S3_DATA_DIR:?}" "${CREDENTIALS_FILE:?}"

# shellcheck disable=SC1090
. "$CREDENTIALS_FILE"
mkdir -p "$S3_DATA_DIR"
ROOT_ACCESS_KEY=$AWS_ACCESS_KEY_ID ROOT_SECRET_KEY=$AWS_SECRET_ACCESS_KEY DAEMON_ENV="ROOT_ACCESS_KEY ROOT_SECRET_KEY" \
  start_daemon "$NODE_DIR" s3 "$S3_BINARY" --port "127.0.0.1:$S3_PORT" --region "$S3_REGION" posix "$S3_DATA_DIR"
wait_for_port 127.0.0.1 "$S3_PORT" 30 || fail_with_log "$NODE_DIR" s3 "S3 server did not listen on port $S3_PORT"
