#!/bin/bash
# The AWS platform under the node role (stacks/shared/node/role.sh): Debian packages through apt,
# Spark as systemd services run by a `spark` user, the TTL guard as systemd timers (transient and on
# disk), and the serial console (which the CLI reads with ec2:GetConsoleOutput) for progress.
# Reads: NODE_PACKAGES SSH_USER WORK_DIR SPARK_HOME SPARK_CONF_DIR SPARK_LOCAL_IP TTL_MINUTES EXPIRES_AT_CALENDAR STATE_DIR SPOT_WATCH_SCRIPT
set -euo pipefail

platform_console() {
  echo "$1"
  echo "$1" >/dev/console 2>/dev/null || true
}

# Only what is missing; the lock timeout outlasts a first-boot unattended-upgrades run.
platform_install_packages() {
  local missing=() package
  for package in $NODE_PACKAGES; do
    dpkg -s "$package" 2>/dev/null | grep -q '^Status: install ok installed' || missing+=("$package")
  done
  if ((${#missing[@]} == 0)); then
    echo "burst: packages already installed: $NODE_PACKAGES"
    return 0
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 update -q
  apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${missing[@]}"
}

# The service user, and the folder the job's driver runs in as the SSH user (client mode).
platform_prepare_node() {
  id -u spark >/dev/null 2>&1 || useradd --system --home-dir /var/lib/spark --create-home --shell /usr/sbin/nologin spark
  install -d -o spark -g spark /var/lib/spark/work
  install -d -o "$SSH_USER" -g "$(id -gn "$SSH_USER")" "$WORK_DIR" "$WORK_DIR/eventlog"
}

# The Spark services run as `spark`, the job's driver as the SSH user: both in group spark, which
# alone may read the file (the SSH connection the job uses opens after this, once the node is ready).
platform_protect_spark_conf() { # file
  chgrp spark "$1"
  chmod 0640 "$1"
  usermod -a -G spark "$SSH_USER"
}

platform_start_service() { # name command...
  local name=$1 environment="SPARK_HOME=$SPARK_HOME SPARK_CONF_DIR=$SPARK_CONF_DIR"
  shift
  # An empty SPARK_LOCAL_IP would make Spark bind to loopback: set it only when given.
  if [ -n "$SPARK_LOCAL_IP" ]; then environment+=" SPARK_LOCAL_IP=$SPARK_LOCAL_IP"; fi
  cat >"/etc/systemd/system/burst-spark-$name.service" <<UNIT
[Unit]
Description=Spark standalone $name (burst)
Wants=network-online.target
After=network-online.target

[Service]
User=spark
WorkingDirectory=/var/lib/spark
Environment=$environment
ExecStart=$*
Restart=always
RestartSec=5

[Install]
WantedBy=multi-user.target
UNIT
  systemctl daemon-reload
  systemctl enable --now "burst-spark-$name.service"
}

# The spot watcher (stacks/shared/node/spot-watch.sh) as a root service beside the worker: on an
# interruption notice it records it and sends the worker SIGPWR (graceful decommissioning).
platform_watch_spot() {
  install -d /usr/local/lib/burst
  printf '%s' "$SPOT_WATCH_SCRIPT" >/usr/local/lib/burst/spot-watch.sh
  chmod 0755 /usr/local/lib/burst/spot-watch.sh
  cat >/etc/systemd/system/burst-spot-watch.service <<UNIT
[Unit]
Description=burst: decommission the Spark worker on a spot interruption notice
After=burst-spark-worker.service

[Service]
ExecStart=/usr/local/lib/burst/spot-watch.sh --state-dir ${STATE_DIR} --worker-unit burst-spark-worker.service
Restart=on-failure
RestartSec=5

[Install]
WantedBy=multi-user.target
UNIT
  systemctl daemon-reload
  systemctl enable --now burst-spot-watch.service
}

# The node powers itself off TTL_MINUTES after boot whatever happens to the CLI; the launch
# template's shutdown behaviour is "terminate", so off means deleted. A transient timer, not
# `shutdown -h +N`: shutdown refuses non-root logins (/run/nologin) for its last five minutes, which
# locked the CLI out of a node with a short TTL, and out of collecting results near any TTL.
# Armed once: the boot arms it before anything else, and the role's own ttl-guard step finds it armed.
platform_arm_ttl() {
  if [ -e "$STATE_DIR/ttl.armed" ]; then return 0; fi
  systemd-run --quiet --unit=burst-ttl-boot --on-active="${TTL_MINUTES}min" --timer-property=AccuracySec=1s \
    --description="burst: cluster TTL of ${TTL_MINUTES} minutes reached" /usr/bin/systemctl poweroff
  # A reboot forgets a pending shutdown; this timer is on disk and fires at the run's expiry
  # (Persistent: also at boot when the expiry passed while the node was down).
  cat >/etc/systemd/system/burst-ttl.timer <<UNIT
[Unit]
Description=burst: power off at the run's expiry

[Timer]
OnCalendar=${EXPIRES_AT_CALENDAR}
Persistent=true

[Install]
WantedBy=timers.target
UNIT
  cat >/etc/systemd/system/burst-ttl.service <<'UNIT'
[Unit]
Description=burst: cluster TTL reached

[Service]
Type=oneshot
ExecStart=/usr/bin/systemctl poweroff
UNIT
  systemctl daemon-reload
  systemctl enable --now burst-ttl.timer
  touch "$STATE_DIR/ttl.armed"
}

# Services already started keep running until the TTL: an engineer can look at a failed node.
platform_on_failure() { :; }
