#!/usr/bin/env bash
# Builds legacy-pi.jar against the Spark jars burst runs (so with the cluster's Scala version):
#   bash examples/legacy/jar/build.sh [SPARK_HOME] [OUT_JAR]
# SPARK_HOME defaults to the one `npm run burst` installs for the default Spark version; OUT_JAR
# to legacy-pi.jar beside this script.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
spark_home="${1:-${SPARK_HOME:-}}"
out="${2:-$here/legacy-pi.jar}"
if [ -z "$spark_home" ]; then
  spark_home="$(cd "$here/../../.." && node --import tsx scripts/setup-runtimes.ts --json 2>/dev/null |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).spark.sparkHome))')"
fi
[ -d "$spark_home/jars" ] || {
  echo "no Spark jars in $spark_home/jars: pass SPARK_HOME" >&2
  exit 2
}
classes="$(mktemp -d)"
trap 'rm -rf "$classes"' EXIT
javac --release 8 -cp "$spark_home/jars/*" -d "$classes" "$here/src/example/LegacyPi.java"
mkdir -p "$(dirname "$out")"
jar cf "$out" -C "$classes" .
echo "built $out against $(basename "$(ls "$spark_home"/jars/scala-library-*.jar)")"
