#!/bin/bash
# TTL guard: the node powers itself off TTL_MINUTES after boot, whatever happens to the burst CLI
# that launched it. The launch template's shutdown behaviour is "terminate", so off means deleted.
# Reads: TTL_MINUTES EXPIRES_AT_CALENDAR
set -euo pipefail

shutdown -h "+${TTL_MINUTES}" "burst: cluster TTL of ${TTL_MINUTES} minutes reached"

# A reboot forgets a pending shutdown; this timer is on disk and fires at the run's expiry
# (Persistent: also at boot when the expiry passed while the node was down).
cat > /etc/systemd/system/burst-ttl.timer <<UNIT
[Unit]
Description=burst: power off at the run's expiry

[Timer]
OnCalendar=${EXPIRES_AT_CALENDAR}
Persistent=true

[Install]
WantedBy=timers.target
UNIT
cat > /etc/systemd/system/burst-ttl.service <<'UNIT'
[Unit]
Description=burst: cluster TTL reached

[Service]
Type=oneshot
ExecStart=/usr/bin/systemctl poweroff
UNIT
systemctl daemon-reload
systemctl enable --now burst-ttl.timer
