#!/usr/bin/env bash
# All tests, with node's built-in runner: unit and component tests first, the end-to-end runs on
# the local target last. Needs `bash scripts/setup.sh` once on the machine (README); installs the
# tests' own parts (scripts/setup-tests.sh: Consul, moto, shellcheck, aws CLI) when missing.
# Pass file paths to run only those: npm test -- test/spec/load.test.ts
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup-tests.sh
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
if [ "$#" -gt 0 ]; then
  files=("$@")
else
  mapfile -t unit < <(find test -name '*.test.ts' -not -path 'test/e2e/*' | sort)
  mapfile -t e2e < <(find test/e2e -name '*.test.ts' | sort)
  files=("${unit[@]}" "${e2e[@]}")
fi
exec node --import tsx --test --test-reporter=spec --test-concurrency=1 "${files[@]}"
