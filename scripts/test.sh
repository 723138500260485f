#!/usr/bin/env bash
# Tests, with node's built-in runner. The tree mirrors the source: the tests of src/job/code.ts are
# in test/job/code.test.ts (stacks/ in test/stacks/, scripts/ in test/scripts/); end-to-end runs
# are in test/e2e, benchmarks in test/bench, shared test parts in test/helpers.
#
#   bash scripts/test.sh            every test (`npm test`): unit (3 files at a time), then component
#                                   and e2e (one at a time). Needs
#                                   `bash scripts/setup.sh` once (README); installs the tests' own
#                                   parts (scripts/setup-tests.sh: Consul, moto, shellcheck, aws CLI)
#                                   when missing.
#   bash scripts/test.sh --unit     the unit tests only (`npm run test:unit`, about 30 s): no
#                                   installs, no setup-tests.sh.
#   bash scripts/test.sh --list-unit  the files the unit lane runs, one a line.
#   bash scripts/test.sh FILE...    only those files: npm test -- test/runspec/good-specs.test.ts
#
# Unit or component: a test file that starts a real external program (Spark or Java, terraform,
# moto, Consul, versitygw, sshd, shellcheck, a container), runs burst's CLI or a scripts/*.ts as a
# process of its own, or compiles the CLI, says so on its FIRST line, naming what it starts:
#
#   // component: consul
#
# Every other test file outside test/e2e and test/bench is a unit test: the code under test called
# in-process, with temp files, the shell's own tools (bash, git, sleep) as child processes and
# loopback servers the test starts itself.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
# The unit lane: test files outside test/e2e and test/bench whose FIRST line is not a component
# marker (a marker further down does not count; test/architecture/test-lanes.test.ts holds both).
unit_files() {
  local file first
  find test -name '*.test.ts' -not -path 'test/e2e/*' -not -path 'test/bench/*' | LC_ALL=C sort |
    while IFS= read -r file; do
      first=
      IFS= read -r first <"$file" || true
      [[ "$first" == "// component: "* ]] || printf '%s\n' "$file"
    done
}
if [ "${1-}" = "--list-unit" ]; then
  unit_files
  exit 0
fi
if [ "${1-}" = "--unit" ]; then
  [ "$#" -eq 1 ] || {
    echo "usage: bash scripts/test.sh --unit (no file arguments)" >&2
    exit 2
  }
  mapfile -t files < <(unit_files)
  # Unit tests share nothing on disk or on ports they did not pick themselves. Three at a time on
  # two cores: a third file runs while others wait on their own timers and children (measured on
  # this machine at load ~7: 27-29 s, against 48-58 s two at a time, for the same CPU time).
  exec node --import tsx --test --test-reporter=spec --test-concurrency=3 "${files[@]}"
fi
bash scripts/setup-tests.sh
if [ "$#" -gt 0 ]; then
  exec node --import tsx --test --test-reporter=spec --test-concurrency=1 "$@"
fi
# Every test: the unit lane three files at a time, as `--unit` runs it; then the component files
# and the end-to-end runs one at a time (they start servers, Spark, containers: on two cores, two
# at once would slow both and make their timeouts a matter of luck). A failure in the first part
# does not skip the second: CI shows every failure of one run.
mapfile -t unit < <(unit_files)
mapfile -t others < <(
  find test -name '*.test.ts' -not -path 'test/e2e/*' | LC_ALL=C sort | LC_ALL=C comm -23 - <(printf '%s\n' "${unit[@]}")
)
mapfile -t e2e < <(find test/e2e -name '*.test.ts' | LC_ALL=C sort)
status=0
node --import tsx --test --test-reporter=spec --test-concurrency=3 "${unit[@]}" || status=1
node --import tsx --test --test-reporter=spec --test-concurrency=1 "${others[@]}" "${e2e[@]}" || status=1
exit "$status"
