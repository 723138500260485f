#!/usr/bin/env bash
# Shared by scripts/setup.sh and scripts/setup-tests.sh: step logging with timings, the
# machine's python and sudo, and a heartbeat for steps that are silent for minutes.
# Sourced, not run.

now_ms() { date +%s%3N; }
SETUP_START=$(now_ms)
STEP_START=$SETUP_START
SETUP_NAME="${1:-setup}" # the prefix of every line: source lib.sh NAME
say() { printf '[%s] %s\n' "$SETUP_NAME" "$*" >&2; }
step() {
  STEP_START=$(now_ms)
  say "$*"
}
seconds_since() {
  local ms=$(($(now_ms) - $1))
  printf '%d.%d s' $((ms / 1000)) $(((ms % 1000) / 100))
}
done_step() { say "  done: $1 ($(seconds_since "$STEP_START"))"; }
finish() { say "complete in $(seconds_since "$SETUP_START")"; }

# Runs "$@" and, every 15 s while it runs, prints "still <what> (N s)" so a long step never looks hung.
with_heartbeat() {
  local what=$1
  shift
  local began=$SECONDS
  "$@" &
  local pid=$!
  while ! wait_for "$pid" 15; do say "  still $what ($((SECONDS - began)) s)"; done
  wait "$pid"
}

# True once process $1 has exited (within $2 seconds), false if it is still running.
wait_for() {
  local i
  for ((i = 0; i < $2 * 10; i++)); do
    kill -0 "$1" 2>/dev/null || return 0
    sleep 0.1
  done
  return 1
}

SUDO=""
if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi

# shellcheck disable=SC2034 # read by the scripts that source this file
PYTHON="${BURST_PYTHON:-$(command -v python3 || command -v python || true)}"

# apt-get install of the named packages (with one apt-get update), or a clear error without apt.
apt_install() {
  command -v apt-get >/dev/null 2>&1 || {
    say "error: missing $* and no apt-get: install them with your package manager"
    exit 3
  }
  say "  apt-get install $*"
  with_heartbeat "running apt-get update" $SUDO apt-get update -qq
  with_heartbeat "installing $*" $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
}
