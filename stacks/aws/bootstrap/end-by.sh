#!/bin/bash
# Brings this node's TTL guard (platform_arm_ttl, platform.sh) forward to a deadline: a cluster kept
# after a failure ends then even if nobody ends it. Not user data: the CLI runs it as root over SSH
# (src/targets/aws/end-cluster-by.ts) with the deadline in seconds since the epoch.
# Only ever earlier: one more timer on the same poweroff (burst-ttl.service), so whichever timer is
# first fires; a later deadline than one already set changes nothing. On disk and Persistent, like
# burst-ttl.timer, so a reboot keeps it.
set -euo pipefail

deadline=${1:-}
if ! [[ $deadline =~ ^[0-9]+$ ]]; then
  echo "end-by: expected the deadline in seconds since the epoch, found \"$deadline\"" >&2
  exit 2
fi
recorded=/etc/systemd/system/burst-keep.deadline
if [ -s "$recorded" ] && [ "$(cat "$recorded")" -le "$deadline" ]; then
  echo "burst-keep: this node already ends at $(date -u -d "@$(cat "$recorded")" '+%Y-%m-%d %H:%M:%S UTC')"
  exit 0
fi
# A calendar time already past would never fire for a timer that never ran: a few seconds ahead then.
now=$(date +%s)
if ((deadline < now + 5)); then deadline=$((now + 5)); fi
calendar=$(date -u -d "@$deadline" '+%Y-%m-%d %H:%M:%S UTC')
cat >/etc/systemd/system/burst-keep.timer <<UNIT
[Unit]
Description=burst: power off at the end of a kept cluster's keep

[Timer]
OnCalendar=${calendar}
AccuracySec=1s
Persistent=true
Unit=burst-ttl.service

[Install]
WantedBy=timers.target
UNIT
echo "$deadline" >"$recorded"
systemctl daemon-reload
systemctl enable --quiet burst-keep.timer
systemctl restart burst-keep.timer
echo "burst-keep: this node powers off at ${calendar}"
