#!/usr/bin/env bash
# What the tests need beyond scripts/setup.sh (which must have run). `npm test` runs this first;
# idempotent, a few seconds once everything is there:
#
#   ShellCheck                  apt-get, when missing (a test checks the node scripts with it)
#   aws CLI                     pip install awscli (the upload benchmark compares against it)
#   moto[server]                pip install (the EC2 emulator the aws target is tested against)
#   Consul                      scripts/setup/consul.sh: built from source into the burst cache
#                               (~3 min cold on 2 cores; burst itself only talks to a Consul you run)
#   node wheelhouse             scripts/setup/node-wheelhouse.ts: what AWS nodes pip-install, from PyPI
#   Debian 12 node root         apt-get debootstrap + systemd-container, then scripts/setup/node-root.sh
#                               (~5 min the first time; the booted-container test boots it)
#   Chromium                    apt-get chromium: a real browser, headless, opens `burst ui` (test/fleet/ui.test.ts)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

# shellcheck source=scripts/setup/lib.sh
source scripts/setup/lib.sh setup-tests

# One install at a time: test runs started together (several worktrees, a helper and CI) wait for
# the first one's builds instead of each building Consul and the node root on the same cores.
mkdir -p "${BURST_HOME:-$HOME/.burst}"
exec 9>"${BURST_HOME:-$HOME/.burst}/setup-tests.lock"
flock 9

[ -n "$PYTHON" ] || {
  say "error: python3 is missing: apt-get install -y python3 python3-venv python3-pip"
  exit 3
}

# 1. shellcheck.
step "shellcheck"
if command -v shellcheck >/dev/null 2>&1; then
  done_step "shellcheck present"
else
  apt_install shellcheck
  done_step "installed shellcheck"
fi

# 2. aws CLI (a benchmark compares against it; burst itself does not need it).
step "aws CLI"
if command -v aws >/dev/null 2>&1; then
  done_step "aws present"
else
  if with_heartbeat "installing awscli" "$PYTHON" -m pip install --quiet --disable-pip-version-check awscli; then
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

# 3. moto's server: the EC2 API emulator the tests run the sweeper and the aws target against.
step "moto server (EC2 emulator)"
# find_spec looks the packages up without importing them (importing moto takes seconds).
if "$PYTHON" -c "import importlib.util as u, sys; sys.exit(not all(u.find_spec(m) for m in ('moto', 'flask', 'flask_cors')))" >/dev/null 2>&1; then
  done_step "moto present"
else
  with_heartbeat "installing moto[server]" "$PYTHON" -m pip install --quiet --disable-pip-version-check "moto[server]==5.2.1" ||
    say "  warning: could not pip install moto[server]; the emulator-based tests will fail"
  if command -v pyenv >/dev/null 2>&1; then pyenv rehash || true; fi
  done_step "installed moto[server]"
fi

# 4. Consul, the real agent the parameter-store and registry tests run against.
step "consul (test agent)"
bash scripts/setup/consul.sh >/dev/null
done_step "consul"

# 5. The Python files AWS nodes install (pyspark's sdist, numpy/pandas/pyarrow wheels), from PyPI,
# checked against PyPI's SHA-256: the booted-container test and the twin stage them offline.
step "node wheelhouse (pyspark and the node's wheels, for the booted-container test and the twin)"
with_heartbeat "fetching from PyPI" node --import tsx scripts/setup/node-wheelhouse.ts >/dev/null
done_step "node wheelhouse"

# 6. The Debian 12 root the booted-container test boots (test/stacks/aws/booted-node.test.ts).
step "node root (Debian 12 for the booted-container test)"
if [ "$(id -u)" = 0 ] || [ -n "$SUDO" ]; then
  command -v debootstrap >/dev/null 2>&1 || apt_install debootstrap
  command -v systemd-nspawn >/dev/null 2>&1 || apt_install systemd-container
  # shellcheck disable=SC2086 # SUDO is empty (root) or one word
  with_heartbeat "building the node root" $SUDO env HOME="$HOME" BURST_HOME="${BURST_HOME:-}" bash scripts/setup/node-root.sh >/dev/null
  done_step "node root"
else
  say "  warning: building the node root needs root (debootstrap, systemd-nspawn); the booted-container test will fail"
fi

# 6. A real browser for the Spark UI test: Debian's chromium, run headless (no npm browser download).
step "chromium (headless browser for the burst ui test)"
if command -v chromium >/dev/null 2>&1; then
  done_step "chromium present"
else
  apt_install chromium
  done_step "installed chromium"
fi

finish
