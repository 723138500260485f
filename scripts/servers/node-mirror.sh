#!/usr/bin/env bash
# Assembles the mirror the booted-container test serves to its nodes over the bridge, from the
# burst cache only: Spark SPARK_VERSION as an Apache-layout tarball (spark-V-bin-hadoop3.tgz +
# .sha512) built from the cached pyspark distribution's own files, the s3a jars in Maven layout
# (the test stages both in its S3 server), and a one-module wheel for the requirements test.
# Also the wheels of the node runtime's Python packages (numpy, pandas, pyarrow for Debian 12's
# CPython 3.11), fetched once from PyPI with pip (its cache usually has them from setup), so
# nodes pip-install them from the mirror as a site's PyPI mirror would serve them.
# Usage: node-mirror.sh SPARK_VERSION REQUIREMENTS...; prints the mirror folder (cached, idempotent).
set -euo pipefail
version=$1
shift
cache="${BURST_HOME:-$HOME/.burst}/cache"
site=$(echo "$cache/spark/$version"/venv/lib/python3*/site-packages)
# The cached jars are part of the key: a jar the runtime added later (spark-hadoop-cloud) makes a new mirror.
key=$({ printf '%s\n' "$@"; find "$cache/maven" -name '*.jar' | sort; } | sha256sum | cut -c1-12)
mirror="$cache/node-mirror/$version-$key"
[[ -f "$mirror/.complete" ]] && { echo "$mirror"; exit 0; }
[[ -d "$site/pyspark" ]] || { echo "node-mirror: no cached pyspark $version (bash scripts/setup.sh)" >&2; exit 3; }

rm -rf "$mirror" && mkdir -p "$mirror"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
name="spark-$version-bin-hadoop3"
dist="$stage/$name"
mkdir -p "$dist/python/lib" "$dist/conf"
cp -r "$site/pyspark/bin" "$site/pyspark/sbin" "$dist/"
mkdir "$dist/jars"
for jar in "$site"/pyspark/jars/*.jar; do
  case ${jar##*/} in hadoop-aws-* | aws-java-sdk-bundle-* | bundle-* | spark-hadoop-cloud_*) continue ;; esac
  cp "$jar" "$dist/jars/"
done
py4j=$(basename "$(echo "$site"/pyspark/../py4j-*.dist-info)" .dist-info)
python3 - "$site" "$dist/python/lib" "${py4j#py4j-}" <<'PY'
import os, sys, zipfile
site, out, py4j_version = sys.argv[1:]
def pack(package, archive, skip=()):
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        for folder, dirs, files in os.walk(os.path.join(site, package)):
            rel = os.path.relpath(folder, site)
            if rel.split(os.sep)[1:2] and rel.split(os.sep)[1] in skip:
                continue
            for f in files:
                z.write(os.path.join(folder, f), os.path.join(rel, f))
pack("pyspark", os.path.join(out, "pyspark.zip"), skip=("jars", "bin", "sbin"))
pack("py4j", os.path.join(out, f"py4j-{py4j_version}-src.zip"))
PY
mkdir -p "$mirror/spark/spark-$version"
tar -czf "$mirror/spark/spark-$version/$name.tgz" -C "$stage" "$name"
(cd "$mirror/spark/spark-$version" && sha512sum "$name.tgz" >"$name.tgz.sha512")

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
# The node runtime's packages, as wheels for Debian 12's python3 (3.11, glibc 2.36, x86_64).
if [[ $# -gt 0 ]]; then
  python3 -m pip download --quiet --disable-pip-version-check --dest "$mirror/wheels" \
    --only-binary=:all: --python-version 3.11 --implementation cp --abi cp311 \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
    "$@" >&2
fi
touch "$mirror/.complete"
echo "$mirror"
