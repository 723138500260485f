#!/usr/bin/env bash
# One burst as a CI job runs it: no TTY, no stdin, every event as JSON in a file, the run's
# manifest kept for the job's artifacts, and burst's exit code as the job's result.
#
#   bash examples/ci/run-burst.sh SPEC [burst flags...]      (from the repository root)
#
# Writes ${BURST_CI_OUT:-burst-out}/: events.jsonl (burst --json), stderr.log, manifest.json (when
# the run got as far as collecting results) and summary.txt. Exits with burst's code:
#   0 succeeded · 1 the job failed · 2 bad input, nothing provisioned · 3 infrastructure · 130 interrupted
# On GitHub Actions it also writes an error annotation and the job summary.
set -uo pipefail
spec=${1:?usage: run-burst.sh SPEC [burst flags...]}
shift
out=${BURST_CI_OUT:-burst-out}
mkdir -p "$out"

# --json: stdout is events only, and burst never waits for a confirmation.
npm run --silent burst -- "$spec" --json "$@" </dev/null >"$out/events.jsonl" 2> >(tee "$out/stderr.log" >&2)
code=$?

case "$code" in
0) meaning="succeeded" ;;
1) meaning="the job failed (its logs are with the results)" ;;
2) meaning="bad input: nothing was provisioned" ;;
3) meaning="infrastructure failure (terraform, SSH, S3, Consul)" ;;
130) meaning="interrupted" ;;
*) meaning="unexpected exit code" ;;
esac

# The results event names the run's local results folder, which holds the manifest.
node - "$out" <<'JS'
const { copyFileSync, existsSync, readFileSync, writeFileSync } = require("node:fs");
const out = process.argv[2];
const events = readFileSync(`${out}/events.jsonl`, "utf8").split("\n").filter(Boolean).map((line) => JSON.parse(line));
const results = events.find((e) => e.type === "results");
const end = events.find((e) => e.type === "run-end");
if (results && existsSync(`${results.localDir}/manifest.json`)) copyFileSync(`${results.localDir}/manifest.json`, `${out}/manifest.json`);
const lines = [
  `run ${end?.runId ?? "(none)"}: ${end?.outcome ?? "no run-end event"} in ${end?.seconds ?? "?"} s`,
  ...(results ? [`results ${results.uri}`] : []),
  ...(end?.message ? [String(end.message)] : []),
];
writeFileSync(`${out}/summary.txt`, `${lines.join("\n")}\n`);
JS

echo "burst: $meaning (exit $code)"
cat "$out/summary.txt" 2>/dev/null
if [[ -n "${GITHUB_ACTIONS:-}" ]]; then
  if [[ "$code" -ne 0 ]]; then echo "::error title=burst::$meaning (exit $code)"; fi
  if [[ -n "${GITHUB_STEP_SUMMARY:-}" ]]; then
    { echo "### burst: $meaning (exit $code)"; echo '```'; cat "$out/summary.txt"; echo '```'; } >>"$GITHUB_STEP_SUMMARY"
  fi
fi
exit "$code"
