#!/usr/bin/env bash
# Starts the master node's sshd on a loopback port. It accepts only the run's key and
# presents the run's host key, which the CLI pins (no blind trust).
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"
: "${NODE_DIR:?}" "${SSHD_BINARY:?}" "${SSH_PORT:?}" "${HOST_KEY:?}" "${AUTHORIZED_KEYS:?}"

mkdir -p "$NODE_DIR" /run/sshd
chmod 0755 /run/sshd
config="$NODE_DIR/sshd_config"
cat >"$config" <<CONF
Port $SSH_PORT
ListenAddress 127.0.0.1
HostKey $HOST_KEY
AuthorizedKeysFile $AUTHORIZED_KEYS
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
AllowUsers $(id -un)
UsePAM no
StrictModes no
PermitUserEnvironment no
X11Forwarding no
AllowTcpForwarding no
PidFile none
LogLevel ERROR
Subsystem sftp internal-sftp
CONF
# Every process started through this sshd (the job, and whatever it detaches from its group)
# carries this node's folder, which is how stop-node.sh finds them. SetEnv needs OpenSSH 8.7+;
# an older sshd rejects it, and runs without it.
printf 'SetEnv BURST_SSHD_NODE="%s"\n' "$NODE_DIR" >>"$config"
"$SSHD_BINARY" -t -f "$config" 2>/dev/null || sed -i '$d' "$config"
start_daemon "$NODE_DIR" sshd "$SSHD_BINARY" -D -e -f "$config"
wait_for_port 127.0.0.1 "$SSH_PORT" 20 || fail_with_log "$NODE_DIR" sshd "sshd did not listen on port $SSH_PORT"
