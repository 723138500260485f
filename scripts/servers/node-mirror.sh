#!/usr/bin/env bash
# Assembles the mirror the booted-container test and the twin serve to their nodes over the bridge,
# from the burst cache only: the s3a jars in Maven layout (Maven Central's bytes, which the tests
# stage into their artifacts bucket beside the PyPI files of <cache>/pypi, see
# scripts/setup/node-wheelhouse.ts), and a one-module wheel a job's requirements file installs.
# Usage: node-mirror.sh SPARK_VERSION; prints the mirror folder (cached, idempotent).
set -euo pipefail
version=$1
cache="${BURST_HOME:-$HOME/.burst}/cache"
# The cached jars are part of the key: a jar the runtime added later (spark-hadoop-cloud) makes a new mirror.
key=$({ echo 2; find "$cache/maven" -name '*.jar' | sort; } | sha256sum | cut -c1-12)
mirror="$cache/node-mirror/$version-$key"
[[ -f "$mirror/.complete" ]] && { echo "$mirror"; exit 0; }
[[ -d "$cache/maven" ]] || { echo "node-mirror: no cached jars (bash scripts/setup.sh)" >&2; exit 3; }

rm -rf "$mirror" && mkdir -p "$mirror"

# The s3a jars the local runtime cached (Maven Central's bytes), in Maven's layout.
while IFS= read -r jar; do
  rel=${jar#"$cache/maven/"}
  mkdir -p "$mirror/maven2/$(dirname "$rel")"
  cp "$jar" "$mirror/maven2/$rel"
done < <(find "$cache/maven" -name '*.jar')

# A pure-Python wheel the job's requirements file installs from this mirror (no index).
mkdir -p "$mirror/wheels"
python3 - "$mirror/wheels/burst_probe-1.0-py3-none-any.whl" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w") as z:
    z.writestr("burst_probe/__init__.py", "def greeting():\n    return 'hello from burst_probe'\n")
    z.writestr("burst_probe-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: burst-probe\nVersion: 1.0\n")
    z.writestr("burst_probe-1.0.dist-info/WHEEL", "Wheel-Version: 1.0\nGenerator: burst\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
    z.writestr("burst_probe-1.0.dist-info/RECORD", "")
PY
touch "$mirror/.complete"
echo "$mirror"
