// component: shellcheck
// The shell burst sends to a master (the job protocol beside run-job.sh, and pip's installer) is
// real files that ShellCheck sees, not strings inside TypeScript.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const srcDir = fileURLToPath(new URL("../../src/", import.meta.url));
const files = (ext: string) =>
  readdirSync(srcDir, { recursive: true, encoding: "utf8" })
    .filter((path) => path.endsWith(ext))
    .sort();

/** shellcheck's findings (empty when clean); the test fails loudly when shellcheck is missing. */
function shellcheck(file: string): string {
  const result = spawnSync("shellcheck", ["--shell=bash", "--severity=style", file], { encoding: "utf8", cwd: srcDir });
  assert.ok(!result.error, `shellcheck could not run: ${result.error?.message}`);
  return result.stdout;
}

describe("the master's scripts in src/", () => {
  it("are the job protocol and pip's installer, each passing shellcheck", () => {
    assert.deepEqual(files(".sh"), [
      "job/follow-log.sh",
      "job/install-pydeps.sh",
      "job/job-exit-code.sh",
      "job/launch-job.sh",
      "job/read-log.sh",
      "job/run-job.sh",
      "job/stop-job.sh",
    ]);
    for (const script of files(".sh")) assert.equal(shellcheck(script), "", script);
  });

  it("leave no protocol shell in TypeScript: no lock, session or process-group kill written in a string", () => {
    const inline = files(".ts").flatMap((file) =>
      readFileSync(join(srcDir, file), "utf8")
        .split("\n")
        .flatMap((line, index) =>
          /\b(flock|setsid|nohup)\b|kill -(TERM|KILL) --/.test(line) ? [`${file}:${index + 1}: ${line.trim()}`] : [],
        ),
    );
    assert.deepEqual(inline, []);
  });
});
