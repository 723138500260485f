import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { after, before, describe, test } from "node:test";
import { main } from "../../src/cli/burst.ts";

/** main() with captured streams, in a BURST_HOME of the test's own. */
async function run(home: string, ...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const capture = () => {
    const stream = new PassThrough() as PassThrough & { text: string; isTTY?: boolean };
    stream.text = "";
    stream.on("data", (chunk: Buffer) => {
      stream.text += chunk.toString();
    });
    return stream;
  };
  const stdout = capture();
  const stderr = capture();
  const previous = process.env.BURST_HOME;
  process.env.BURST_HOME = home;
  try {
    const code = await main(argv, {
      stdout: stdout as unknown as NodeJS.WriteStream,
      stderr: stderr as unknown as NodeJS.WriteStream,
    });
    return { code, stdout: stdout.text, stderr: stderr.text };
  } finally {
    if (previous === undefined) delete process.env.BURST_HOME;
    else process.env.BURST_HOME = previous;
  }
}

const runEnd = (stdout: string) =>
  stdout
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .find((event) => event.type === "run-end");

describe("main --json: the run-end of a command that fails", () => {
  let home: string;
  before(async () => {
    home = await mkdtemp(join(tmpdir(), "burst-main-"));
    await mkdir(join(home, "runs", "broken"), { recursive: true });
    await writeFile(join(home, "runs", "broken", "run.json"), "{half a record");
  });
  after(async () => {
    await rm(home, { recursive: true, force: true });
  });

  test("reports infrastructure-failed with exit 3 for an infrastructure error, naming the file", async () => {
    const result = await run(home, "status", "broken", "--json");
    assert.equal(result.code, 3);
    const end = runEnd(result.stdout);
    assert.equal(end?.outcome, "infrastructure-failed");
    assert.equal(end?.exitCode, 3);
    assert.match(String(end?.message), /runs\/broken\/run\.json is not valid JSON/);
  });

  test("reports bad-input with exit 2 for an unknown run", async () => {
    const result = await run(home, "status", "no-such-run", "--json");
    assert.equal(result.code, 2);
    const end = runEnd(result.stdout);
    assert.equal(end?.outcome, "bad-input");
    assert.equal(end?.exitCode, 2);
  });

  test("writes the same error as one line on stderr without --json, and nothing on stdout", async () => {
    const result = await run(home, "status", "broken");
    assert.equal(result.code, 3);
    assert.equal(result.stdout, "");
    assert.match(result.stderr, /^burst: .*run\.json is not valid JSON/);
  });
});
