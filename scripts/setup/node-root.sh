#!/usr/bin/env bash
# Builds the Debian 12 (bookworm) root the booted-container test boots with systemd-nspawn: what
# the default AMI's OS has (systemd, sshd, cloud-init, sudo) plus the Debian packages a node's
# bootstrap installs (stacks/aws/bootstrap/debian-packages.txt), pre-installed because a
# container reaches no apt mirror. Cached under ${BURST_HOME:-~/.burst}/cache/node-root/, keyed
# by this script and the package list; prints the root's path. Idempotent: a second run only
# checks. Needs root, debootstrap and systemd-container (apt-get install debootstrap systemd-container).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
packages_file="$here/../../stacks/aws/bootstrap/debian-packages.txt"
mirror=${BURST_DEBIAN_MIRROR:-http://deb.debian.org/debian}
key=$(cat "${BASH_SOURCE[0]}" "$packages_file" | sha256sum | cut -c1-12)
cache="${BURST_HOME:-$HOME/.burst}/cache/node-root"
root="$cache/bookworm-$key"

if [ -f "$root/.burst-complete" ]; then
  echo "$root"
  exit 0
fi
for tool in debootstrap systemd-nspawn; do
  command -v "$tool" >/dev/null || {
    echo "node-root: $tool is missing: apt-get install -y debootstrap systemd-container" >&2
    exit 3
  }
done
mapfile -t packages < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$packages_file")

mkdir -p "$cache"
building="$cache/.building-$key-$$"
trap 'rm -rf "$building"' EXIT
start=$SECONDS
echo "node-root: debootstrap bookworm from $mirror" >&2
debootstrap --variant=minbase \
  --include=systemd,systemd-sysv,dbus,openssh-server,sudo,iproute2,ca-certificates \
  bookworm "$building" "$mirror" >"$cache/debootstrap-$key.log" 2>&1 || {
  tail -n 20 "$cache/debootstrap-$key.log" >&2
  exit 1
}
echo "node-root: cloud-init and the node's packages (${packages[*]})" >&2
# A plain (non-boot) nspawn run: /proc and /dev set up for package scripts, host network;
# --keep-unit because this sandbox has no system bus to register a scope on.
systemd-nspawn --quiet --register=no --keep-unit --pipe -D "$building" \
  env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
  cloud-init "${packages[@]}" >"$cache/packages-$key.log" 2>&1 || {
  tail -n 20 "$cache/packages-$key.log" >&2
  exit 1
}
systemd-nspawn --quiet --register=no --keep-unit --pipe -D "$building" apt-get clean >/dev/null
# As on EC2: cloud-init makes the host keys at first boot, the user data via NoCloud (seeded by
# the test), no network config of its own (the test configures the container's interface).
rm -f "$building"/etc/ssh/ssh_host_*
cat >"$building/etc/cloud/cloud.cfg.d/90-burst-container.cfg" <<'CFG'
datasource_list: [NoCloud, None]
network: {config: disabled}
# As Debian's cloud images: the node's own name resolves (Spark looks it up at start).
manage_etc_hosts: true
# A locale the root has: en_US.UTF-8 (cloud-init's default) is not generated in a minbase root, and
# the failing locale module failed cloud-config.service, whose stop then hung (below).
locale: C.UTF-8
system_info:
  default_user:
    name: admin
    lock_passwd: true
    gecos: Debian
    groups: [adm, sudo]
    sudo: ["ALL=(ALL) NOPASSWD:ALL"]
    shell: /bin/bash
CFG
# cloud-init's units never time out (TimeoutSec=0). In these containers systemd sometimes misses
# the notice that a failed unit's cgroup emptied, so a failed cloud-config.service stayed in
# "deactivating" for ever and cloud-final (the user data) never started: the booted-node and twin
# tests' rare "never reached modules:final". A bounded stop lets the boot go on if it happens again.
for unit in cloud-init-local cloud-init cloud-config cloud-final; do
  mkdir -p "$building/etc/systemd/system/$unit.service.d"
  printf '[Service]\nTimeoutStopSec=20s\n' >"$building/etc/systemd/system/$unit.service.d/90-burst-stop.conf"
done
echo "node-root: built in $((SECONDS - start)) s" >&2
touch "$building/.burst-complete"
mv "$building" "$root"
trap - EXIT
echo "$root"
