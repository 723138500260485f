#!/bin/bash
# An image builder's boot (`npm run vpc -- image`): the node role's bake mode (its install steps,
# the code a base-image node runs at boot), then the builder removes the state a node must not
# inherit and powers off (shutdown behaviour "stop"): stopped is the CLI's sign to make the image.
# A failure leaves burst-failed on the console and the builder running; the CLI terminates it.
# Reads: STATE_DIR TTL_MINUTES NODE_NAME
set -euo pipefail

# Whatever happens to the CLI, the builder stops itself: a transient timer, so none of it is in the image.
systemd-run --quiet --unit=burst-bake-ttl --on-active="${TTL_MINUTES}min" /usr/bin/systemctl poweroff
exec >>/var/log/burst-bake.log 2>&1
bake_node_role
rm -rf "$STATE_DIR"
platform_console "burst-baked: $NODE_NAME"
systemctl poweroff
