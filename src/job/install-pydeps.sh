#!/usr/bin/env bash
# Installs a job's Python dependencies on the master, before its first step: into a folder the
# driver puts on PYTHONPATH, zipped beside it (<folder>.zip) for executors on every node.
#
# Usage: install-pydeps.sh WORK_DIR DEST LOG CACHE_ROOT REQUIREMENTS_FILE [REQUIREMENT...]
#   WORK_DIR/env.sh      written by the node's bootstrap; its spark-env.sh names PYSPARK_PYTHON
#   DEST                 the folder to install into when nothing is cached
#   LOG                  pip's whole output (the run's logs keep it)
#   CACHE_ROOT           "" or a folder that outlives the run: a set installed once is reused
#   REQUIREMENTS_FILE    "" or a pip requirements file; REQUIREMENT... are single requirements
# Prints "installed|reused <folder>" on its last line; exits with pip's code when the install fails.
set -uo pipefail
work_dir=$1 dest=$2 log=$3 cache_root=$4 requirements=$5
shift 5

# shellcheck source=/dev/null
. "$work_dir/env.sh"
if [[ -n "${SPARK_CONF_DIR:-}" && -f "$SPARK_CONF_DIR/spark-env.sh" ]]; then
  # shellcheck source=/dev/null
  . "$SPARK_CONF_DIR/spark-env.sh"
fi
python="${PYSPARK_PYTHON:-python3}"
mkdir -p "$(dirname "$log")"

args=("$@")
[[ -n "$requirements" ]] && args+=(-r "$requirements")

# A requirements file that points at local files (wheels, editable folders) may change without
# its text changing: such a set is installed every run.
cacheable() {
  [[ -n "$cache_root" ]] || return 1
  [[ -z "$requirements" ]] && return 0
  ! grep -Eq '^[[:space:]]*(-|\.|/|file:)|@[[:space:]]*file:' "$requirements"
}

zip_folder() {
  "$python" -c 'import shutil, sys; shutil.make_archive(sys.argv[1], "zip", sys.argv[1])' "$1"
}

install_into() {
  "$python" -m pip install --disable-pip-version-check --no-input --progress-bar off \
    --target "$1" "${args[@]}" >>"$log" 2>&1 && zip_folder "$1" >>"$log" 2>&1
}

if cacheable; then
  key=$({
    "$python" -c 'import sys; print(sys.executable, sys.version)'
    printf '%s\n' "$@"
    [[ -z "$requirements" ]] || cat "$requirements"
  } | sha256sum | cut -c1-24)
  cached="$cache_root/$key"
  if [[ -f "$cached.zip" && -d "$cached" ]]; then
    echo "reusing the Python dependencies installed by an earlier run: $cached" >>"$log"
    echo "reused $cached"
    exit 0
  fi
  mkdir -p "$cache_root"
  tmp="$cached.tmp.$$"
  rm -rf "$tmp" "$tmp.zip"
  install_into "$tmp" || {
    code=$?
    rm -rf "$tmp" "$tmp.zip"
    exit "$code"
  }
  # The zip first, the folder last: a folder in place means its zip is too. A concurrent run
  # that got there first wins; ours is dropped.
  if [[ -d "$cached" ]]; then
    rm -rf "$tmp" "$tmp.zip"
  else
    mv -f "$tmp.zip" "$cached.zip" && mv -T "$tmp" "$cached"
  fi
  echo "installed $cached"
  exit 0
fi

rm -rf "$dest" "$dest.zip"
install_into "$dest" || exit $?
echo "installed $dest"
