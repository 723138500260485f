#!/usr/bin/env bash
# One-shot machine setup for burst (README quickstart and CI). Idempotent: a second run only
# checks, in about a second. Needs node/npm, python3 (+pip), go and java; installs the rest:
#
#   node_modules                npm ci, when missing or older than package-lock.json
#   sshd, shellcheck, git, ...  apt-get (only what is missing)
#   aws CLI                     pip install awscli (used by a benchmark), when missing
#   moto[server]                pip install (the EC2 emulator the tests use), when missing
#   terraform/OpenTofu, versitygw, Spark + s3a jars
#                               scripts/setup-runtimes.ts, into ${BURST_HOME:-$HOME/.burst}/cache
#   Consul                      scripts/setup/consul.sh, when present
#   Debian 12 node root         scripts/setup/node-root.sh (debootstrap, ~5 min the first time)
#
# Cold, it takes a few minutes (pyspark ~1 min, versitygw ~2 min, OpenTofu ~6 min when no
# terraform is on PATH). Environment: BURST_HOME, BURST_PYTHON, SPARK_HOME,
# TERRAFORM_BINARY_NAME, BURST_MAVEN_REPO (see src/targets/local/runtime.ts).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

now_ms() { date +%s%3N; }
SETUP_START=$(now_ms)
STEP_START=$SETUP_START
say() { printf '[setup] %s\n' "$*" >&2; }
step() {
  STEP_START=$(now_ms)
  say "$*"
}
done_step() {
  local ms=$(($(now_ms) - STEP_START))
  say "  done: $1 ($((ms / 1000)).$(((ms % 1000) / 100)) s)"
}

SUDO=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi
fi

for tool in node npm; do
  command -v "$tool" >/dev/null 2>&1 || {
    say "error: $tool is missing: install Node.js 20 or newer (https://nodejs.org/en/download)"
    exit 3
  }
done
PYTHON="${BURST_PYTHON:-$(command -v python3 || command -v python || true)}"
[ -n "$PYTHON" ] || {
  say "error: python3 is missing: apt-get install -y python3 python3-venv python3-pip"
  exit 3
}

# 1. Node dependencies.
step "node dependencies"
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
  done_step "npm ci"
else
  done_step "node_modules up to date"
fi

# 2. System packages, only those missing.
step "system packages"
need=()
[ -x /usr/sbin/sshd ] || command -v sshd >/dev/null 2>&1 || need+=(openssh-server)
command -v ssh-keygen >/dev/null 2>&1 || need+=(openssh-client)
command -v shellcheck >/dev/null 2>&1 || need+=(shellcheck)
command -v git >/dev/null 2>&1 || need+=(git)
command -v java >/dev/null 2>&1 || [ -n "${JAVA_HOME:-}" ] || need+=(openjdk-17-jre-headless)
# The booted-container test: a Debian 12 root, booted with systemd-nspawn.
command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
command -v systemd-nspawn >/dev/null 2>&1 || need+=(systemd-container)
# Debian's own python3 ships venv without ensurepip; pyspark is installed into a venv.
if ! "$PYTHON" -c 'import venv, ensurepip' >/dev/null 2>&1 && [ "$PYTHON" = /usr/bin/python3 ]; then
  need+=(python3-venv)
fi
if [ ${#need[@]} -gt 0 ]; then
  command -v apt-get >/dev/null 2>&1 || {
    say "error: missing ${need[*]} and no apt-get: install them with your package manager"
    exit 3
  }
  say "  apt-get install ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
  done_step "installed ${need[*]}"
else
  done_step "openssh-server, shellcheck, git, java present"
fi

# 3. aws CLI (a benchmark compares against it; burst itself does not need it).
step "aws CLI"
if command -v aws >/dev/null 2>&1; then
  done_step "aws present"
else
  if "$PYTHON" -m pip install --quiet --disable-pip-version-check awscli; then
    if command -v pyenv >/dev/null 2>&1; then pyenv rehash || true; fi
  elif command -v apt-get >/dev/null 2>&1; then
    # Debian's python refuses pip installs outside a venv (PEP 668): use its package instead.
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends awscli
  fi
  hash -r
  if command -v aws >/dev/null 2>&1; then
    done_step "installed aws"
  else
    say "  warning: aws CLI not on PATH after install (look in $("$PYTHON" -m site --user-base 2>/dev/null)/bin); only the benchmark needs it"
  fi
fi

# 3b. moto's server: the EC2 API emulator the tests run the sweeper and the aws target against.
step "moto server (EC2 emulator for tests)"
if "$PYTHON" -c "import moto.server, flask" >/dev/null 2>&1; then
  done_step "moto present"
else
  "$PYTHON" -m pip install --quiet --disable-pip-version-check "moto[server]==5.2.1" ||
    say "  warning: could not pip install moto[server]; the emulator-based tests will fail"
  if command -v pyenv >/dev/null 2>&1; then pyenv rehash || true; fi
  done_step "installed moto[server]"
fi

# 4. terraform/OpenTofu, the S3 server, Spark + s3a jars: into the burst cache.
step "runtimes (terraform, versitygw, Spark)"
node --import tsx scripts/setup-runtimes.ts
done_step "runtimes"

# 5. Consul (a separate script builds the agent), when present.
if [ -f scripts/setup/consul.sh ]; then
  step "consul"
  bash scripts/setup/consul.sh
  done_step "consul"
fi

# 6. The Debian 12 root the booted-container test boots (test/stacks/aws/booted-node.test.ts).
step "node root (Debian 12 for the booted-container test)"
if [ "$(id -u)" = 0 ] || [ -n "$SUDO" ]; then
  $SUDO env HOME="$HOME" BURST_HOME="${BURST_HOME:-}" bash scripts/setup/node-root.sh >/dev/null
  done_step "node root"
else
  say "  warning: building the node root needs root (debootstrap, systemd-nspawn); the booted-container test will fail"
fi

total=$(($(now_ms) - SETUP_START))
say "setup complete in $((total / 1000)).$(((total % 1000) / 100)) s"
