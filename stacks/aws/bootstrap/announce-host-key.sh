#!/bin/bash
# Prints this node's SSH host key to the serial console as "burst-host-key: ssh-ed25519 AAAA...".
# EC2 does not know host keys; the CLI reads this line (ec2:GetConsoleOutput) and pins the key
# before its first SSH connection. Runs before installation, because cloud-init's own key block
# appears only after the whole boot script. Reads no variables.
set -euo pipefail

announce_host_key() {
  local host_key=/etc/ssh/ssh_host_ed25519_key.pub key_type key_blob
  if [ ! -s "$host_key" ]; then
    echo "burst-host-key-error: no ed25519 host key at $host_key" >&2
    echo "burst-host-key-error: no ed25519 host key at $host_key" > /dev/console || true
    return 1
  fi
  read -r key_type key_blob _ < "$host_key"
  echo "burst-host-key: $key_type $key_blob"
  echo "burst-host-key: $key_type $key_blob" > /dev/console || echo "burst: cannot write to /dev/console" >&2
}
