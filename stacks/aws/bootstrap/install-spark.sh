#!/bin/bash
# Installs Java 17 and Spark SPARK_VERSION (from SPARK_MIRROR) into SPARK_HOME, plus the s3a jars:
# hadoop-aws and the AWS SDK bundle at the versions Spark's own Hadoop was built with, read from
# Hadoop's POM (MAVEN_REPO) rather than a table here. Every download is checked against its
# published checksum. Skipped entirely on a baked AMI.
# Reads: SPARK_VERSION SPARK_MIRROR SPARK_HOME MAVEN_REPO
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends openjdk-17-jre-headless python3 curl ca-certificates

download() { # url file
  curl --fail --silent --show-error --location --retry 5 --retry-delay 3 --retry-connrefused \
    --output "$2" "$1"
}

# Apache .sha512 files come as "<hex>  <file>" or, for older releases, "<file>: <HEX HEX ...>".
sha512_of_published() { # checksum-file
  if grep -q ':' "$1"; then
    cut -d: -f2- "$1" | tr -d ' \n' | tr '[:upper:]' '[:lower:]'
  else
    awk '{print tolower($1); exit}' "$1"
  fi
}

verify_sha1() { # file checksum-file
  local expected actual
  expected=$(awk '{print tolower($1); exit}' "$2")
  actual=$(sha1sum "$1" | awk '{print $1}')
  if [ "$expected" != "$actual" ]; then
    echo "burst: checksum mismatch for $1" >&2
    return 1
  fi
}

maven_jar() { # path-in-repo destination-folder
  local name
  name=$(basename "$1")
  download "${MAVEN_REPO%/}/$1" "$2/$name"
  download "${MAVEN_REPO%/}/$1.sha1" "/tmp/$name.sha1"
  verify_sha1 "$2/$name" "/tmp/$name.sha1"
}

tarball="spark-${SPARK_VERSION}-bin-hadoop3.tgz"
url="${SPARK_MIRROR%/}/spark-${SPARK_VERSION}/${tarball}"
download "$url" "/tmp/$tarball"
download "$url.sha512" "/tmp/$tarball.sha512"
if [ "$(sha512_of_published "/tmp/$tarball.sha512")" != "$(sha512sum "/tmp/$tarball" | awk '{print $1}')" ]; then
  echo "burst: checksum mismatch for $url" >&2
  exit 1
fi
mkdir -p "$SPARK_HOME"
tar -xzf "/tmp/$tarball" -C "$SPARK_HOME" --strip-components=1
rm -f "/tmp/$tarball"

hadoop_version=""
for jar in "$SPARK_HOME"/jars/hadoop-client-api-*.jar; do
  hadoop_version=${jar##*/hadoop-client-api-}
  hadoop_version=${hadoop_version%.jar}
done
if [ -z "$hadoop_version" ]; then
  echo "burst: no hadoop-client-api jar in $SPARK_HOME/jars; cannot pick hadoop-aws" >&2
  exit 1
fi

pom="/tmp/hadoop-project-${hadoop_version}.pom"
download "${MAVEN_REPO%/}/org/apache/hadoop/hadoop-project/${hadoop_version}/hadoop-project-${hadoop_version}.pom" "$pom"
# Hadoop 3.4+ uses SDK v2 (software.amazon.awssdk:bundle); 3.3 uses v1 (aws-java-sdk-bundle).
sdk_v2=$(sed -n 's:.*<aws-java-sdk-v2.version>\(.*\)</aws-java-sdk-v2.version>.*:\1:p' "$pom" | head -n 1)
sdk_v1=$(sed -n 's:.*<aws-java-sdk.version>\(.*\)</aws-java-sdk.version>.*:\1:p' "$pom" | head -n 1)
if [ -n "$sdk_v2" ]; then
  sdk_jar="software/amazon/awssdk/bundle/${sdk_v2}/bundle-${sdk_v2}.jar"
elif [ -n "$sdk_v1" ]; then
  sdk_jar="com/amazonaws/aws-java-sdk-bundle/${sdk_v1}/aws-java-sdk-bundle-${sdk_v1}.jar"
else
  echo "burst: no AWS SDK version in $pom" >&2
  exit 1
fi
maven_jar "org/apache/hadoop/hadoop-aws/${hadoop_version}/hadoop-aws-${hadoop_version}.jar" "$SPARK_HOME/jars"
maven_jar "$sdk_jar" "$SPARK_HOME/jars"
