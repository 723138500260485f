#!/usr/bin/env bash
# Builds the Consul agent pinned in tools/consul/go.mod into burst's cache and prints its
# path on the last line of stdout. Idempotent: a cached binary of the right version is reused.
# Each version has its own folder (cache/consul/<version>/), so checkouts pinning different
# versions share one cache without rebuilding over each other.
#   scripts/setup/consul.sh            build if missing or outdated
#   scripts/setup/consul.sh --force    rebuild
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
module_dir="$repo_root/tools/consul"
force=false
[[ "${1:-}" == "--force" ]] && force=true

log() { printf 'consul-setup: %s\n' "$*" >&2; }

version="$(awk '$1 == "require" && $2 == "github.com/hashicorp/consul" { print $3 } \
  $1 == "github.com/hashicorp/consul" { print $2 }' "$module_dir/go.mod" | head -n 1)"
if [[ -z "$version" ]]; then
  log "cannot find the pinned github.com/hashicorp/consul version in $module_dir/go.mod"
  exit 2
fi
wanted="Consul ${version}"
bin_dir="${BURST_HOME:-$HOME/.burst}/cache/consul/${version}"
target="$bin_dir/consul"

if [[ "$force" == false && -x "$target" ]]; then
  have="$("$target" version 2>/dev/null | head -n 1 || true)"
  if [[ "$have" == "$wanted" ]]; then
    log "using cached $have at $target"
    echo "$target"
    exit 0
  fi
  log "cached binary reports '${have:-nothing}', want '$wanted': rebuilding"
fi

if ! command -v go >/dev/null 2>&1; then
  log "go is not on PATH; install Go >= $(awk '$1 == "go" { print $2 }' "$module_dir/go.mod") to build Consul"
  exit 3
fi

mkdir -p "$bin_dir"
# Build next to the target, then rename: a concurrent reader never sees a half-written binary.
tmp="$(mktemp "$bin_dir/.consul.XXXXXX")"
trap 'rm -f "$tmp"' EXIT

log "building github.com/hashicorp/consul ${version} with $(go version | awk '{ print $3 }') (first build takes ~3-4 min on 2 cores)"
start=$SECONDS
packages="$tmp.packages"
trap 'rm -f "$tmp" "$packages"' EXIT
(
  cd "$module_dir"
  # -mod=readonly: go.sum is committed; a build must never rewrite it. -v lists each package
  # compiled, which the heartbeat below counts.
  exec go build -mod=readonly -trimpath -v \
    -ldflags "-s -w" \
    -o "$tmp" github.com/hashicorp/consul 2>"$packages"
) &
build=$!
while kill -0 "$build" 2>/dev/null; do
  for _ in $(seq 150); do kill -0 "$build" 2>/dev/null && sleep 0.1; done
  kill -0 "$build" 2>/dev/null &&
    log "still building: $(grep -cv '^go: ' "$packages" || true) packages compiled ($((SECONDS - start)) s)"
done
if ! wait "$build"; then
  grep -v '^[a-z0-9.-]*\(/[^ ]*\)\?$' "$packages" >&2 || true
  log "go build failed"
  exit 3
fi
chmod 0755 "$tmp"
mv -f "$tmp" "$target"
rm -f "$packages"
trap - EXIT

log "built $("$target" version | head -n 1) in $((SECONDS - start))s -> $target"
echo "$target"
