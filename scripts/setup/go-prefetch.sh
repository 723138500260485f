#!/usr/bin/env bash
# Sourced by scripts/setup.sh. versitygw's Go build is the longest part of a cold setup (about
# 70 s of two cores' time, beside Spark's install). start_go_prefetch begins it at once, beside
# `npm ci`, instead of after it: a `go install` into a throwaway folder that fills Go's module and
# build caches. It holds the same lock the real install takes (src/install/go.ts, through
# src/install/lock.ts: a directory with an `owner` file), so the real install waits for it and
# then only links, and is the one that puts versitygw into the burst cache. Does nothing when
# versitygw is installed, go is missing, or another install holds the lock. Its output goes to
# <cache>/bin/.versitygw-prefetch.log; a failure there is the real install's to report.

GO_PREFETCH_PID=""

start_go_prefetch() {
  local go
  go=$(command -v go || true)
  [ -n "$go" ] || [ ! -x /usr/local/go/bin/go ] || go=/usr/local/go/bin/go
  [ -n "$go" ] || return 0
  local source=src/targets/local/s3-server.ts
  local module version
  module=$(sed -n 's/^export const VERSITYGW_MODULE = "\([^"]*\)";$/\1/p' "$source")
  version=$(sed -n 's/^export const VERSITYGW_VERSION = "\([^"]*\)";$/\1/p' "$source")
  [ -n "$module" ] && [ -n "$version" ] || return 0
  local bin="${BURST_HOME:-$HOME/.burst}/cache/bin"
  [ ! -x "$bin/versitygw" ] || return 0
  mkdir -p "$bin"
  local lock="$bin/.versitygw.lock"
  mkdir "$lock" 2>/dev/null || return 0
  (
    gobin=$(mktemp -d "$bin/.prefetch-versitygw-XXXXXX")
    child=""
    # shellcheck disable=SC2317 # run by the traps below
    cleanup() {
      [ -z "$child" ] || kill "$child" 2>/dev/null || true
      rm -rf "$gobin" "$lock"
    }
    trap cleanup EXIT
    trap 'exit 143' TERM INT
    printf '{"pid":%d,"host":"%s","since":"%s"}' "$BASHPID" "$(uname -n)" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$lock/owner"
    GOBIN="$gobin" CGO_ENABLED=0 GOFLAGS=-buildvcs=false GO111MODULE=on \
      "$go" install "$module/cmd/versitygw@$version" >"$bin/.versitygw-prefetch.log" 2>&1 &
    child=$!
    wait "$child" || true
    child=""
  ) &
  GO_PREFETCH_PID=$!
  say "  building versitygw $version in the background (Go's caches; the runtimes step installs it)"
}

# At setup's exit: a prefetch still running (setup failed before the runtimes step) is stopped.
stop_go_prefetch() {
  [ -n "$GO_PREFETCH_PID" ] || return 0
  kill "$GO_PREFETCH_PID" 2>/dev/null || true
  wait "$GO_PREFETCH_PID" 2>/dev/null || true
}
