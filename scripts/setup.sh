#!/usr/bin/env bash
# Machine setup for running burst (the README's first command). Idempotent: a second run only
# checks, in a few seconds. Needs node/npm, python3 (+pip), go and java; installs only what a
# burst uses (the tests' extra parts are scripts/setup-tests.sh, which `npm test` runs):
#
#   node_modules                npm ci, when missing or older than package-lock.json
#   sshd, git, java, venv       apt-get (only what is missing)
#   the compiled CLI            scripts/build.mjs: TypeScript -> dist/, when a source is newer
#   terraform/OpenTofu, versitygw, Spark (+ numpy, pandas, pyarrow) + s3a jars
#                               scripts/setup-runtimes.ts, into ${BURST_HOME:-$HOME/.burst}/cache
#
# Cold, it takes about 2 minutes on 2 cores (versitygw's Go build ~1.5 min, started at once beside
# npm ci, then Spark installed beside it; OpenTofu ~6 min more when no terraform is on PATH). Environment: BURST_HOME, BURST_PYTHON, SPARK_HOME,
# TERRAFORM_BINARY_NAME, BURST_MAVEN_REPO (see src/home.ts, src/targets/local/spark.ts and
# src/terraform/binary.ts).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

# shellcheck source=scripts/setup/lib.sh
source scripts/setup/lib.sh setup

for tool in node npm; do
  command -v "$tool" >/dev/null 2>&1 || {
    say "error: $tool is missing: install Node.js 20 or newer (https://nodejs.org/en/download)"
    exit 3
  }
done
[ -n "$PYTHON" ] || {
  say "error: python3 is missing: apt-get install -y python3 python3-venv python3-pip"
  exit 3
}

# 0. versitygw's Go build, the longest part of a cold setup, starts now, beside npm ci.
# shellcheck source=scripts/setup/go-prefetch.sh
source scripts/setup/go-prefetch.sh
trap stop_go_prefetch EXIT
start_go_prefetch

# 1. Node dependencies.
step "node dependencies"
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  with_heartbeat "running npm ci" npm ci --no-audit --no-fund
  done_step "npm ci"
else
  done_step "node_modules up to date"
fi

# 2. System packages, only those missing.
step "system packages"
need=()
[ -x /usr/sbin/sshd ] || command -v sshd >/dev/null 2>&1 || need+=(openssh-server)
command -v ssh-keygen >/dev/null 2>&1 || need+=(openssh-client)
command -v git >/dev/null 2>&1 || need+=(git)
command -v java >/dev/null 2>&1 || [ -n "${JAVA_HOME:-}" ] || need+=(openjdk-17-jre-headless)
# Debian's own python3 ships venv without ensurepip; pyspark is installed into a venv.
if ! "$PYTHON" -c 'import venv, ensurepip' >/dev/null 2>&1 && [ "$PYTHON" = /usr/bin/python3 ]; then
  need+=(python3-venv)
fi
if [ ${#need[@]} -gt 0 ]; then
  apt_install "${need[@]}"
  done_step "installed ${need[*]}"
else
  done_step "openssh-server, git, java present"
fi

# 3. The compiled CLI: `npm run burst` runs dist/ with no TypeScript loader.
step "compile the CLI (dist/)"
node scripts/build.mjs
done_step "dist/"

# 4. terraform/OpenTofu, the S3 server, Spark + s3a jars: into the burst cache.
step "runtimes (terraform, versitygw, Spark)"
node --import tsx scripts/setup-runtimes.ts
done_step "runtimes"

finish
