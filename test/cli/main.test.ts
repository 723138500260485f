// main(): the command line as a user meets it, called in-process with captured output: exit codes,
// messages, and what --json puts on stdout.
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { after, before, describe, test } from "node:test";
import { main, usage, version } from "../../src/cli/burst.ts";

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

describe("main: the command line itself", () => {
  let home: string;
  before(async () => {
    home = await mkdtemp(join(tmpdir(), "burst-main-args-"));
  });
  after(async () => {
    await rm(home, { recursive: true, force: true });
  });

  test("--help and -h print the usage on stdout and exit 0", async () => {
    for (const flag of ["--help", "-h"]) {
      const result = await run(home, flag);
      assert.equal(result.code, 0);
      assert.equal(result.stdout, usage);
      assert.equal(result.stderr, "");
    }
    assert.match(
      usage,
      /Exit codes: 0 job succeeded · 1 job failed · 2 bad input · 3 infrastructure failure · 130 interrupted/,
    );
  });

  test("--version and -v print package.json's version", async () => {
    for (const flag of ["--version", "-v"]) {
      const result = await run(home, flag);
      assert.equal(result.code, 0);
      assert.equal(result.stdout, `${version()}\n`);
    }
    assert.match(version(), /^\d+\.\d+\.\d+/);
  });

  test("an unknown option exits 2 with the problem, then the usage, on stderr", async () => {
    const result = await run(home, "--frobnicate", "spark.yml");
    assert.equal(result.code, 2);
    assert.equal(result.stdout, "");
    assert.match(result.stderr, /^burst: Unknown option '--frobnicate'/);
    assert.ok(result.stderr.endsWith(`\n\n${usage}`));
  });

  test("an option missing its value exits 2", async () => {
    const result = await run(home, "spark.yml", "--target");
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^burst: Option '--target <value>' argument missing/);
  });

  const badArguments: [string[], string][] = [
    [[], "a spec file is required, e.g. npm run burst -- examples/wordcount/spark.yml"],
    [["spark.yml", "--target", "gcp"], '--target must be "local" or "aws", found "gcp"'],
    [["a.yml", "b.yml"], 'unexpected argument "b.yml"; one spec file per run'],
    [["validate"], "usage: npm run burst -- validate <spark.yml>"],
    [["validate", "a.yml", "b.yml"], 'unexpected argument "b.yml" after validate <spark.yml>'],
    [["list", "extra"], 'unexpected argument "extra" after list'],
    [["status"], "usage: npm run burst -- status <run-id>"],
    [["logs", "run-1", "run-2"], 'unexpected argument "run-2" after logs <run-id>'],
    [["down"], "usage: npm run burst -- down <run-id>"],
    [["gc", "now"], 'unexpected argument "now" after gc'],
  ];
  for (const [argv, message] of badArguments) {
    test(`burst ${argv.join(" ") || "(nothing)"}: exit 2, "${message}"`, async () => {
      const result = await run(home, ...argv);
      assert.equal(result.code, 2);
      assert.equal(result.stderr, `burst: ${message}\n`);
      assert.equal(result.stdout, "");
    });
  }

  test("the same argument error under --json is a run-end event on stdout, bad-input with exit 2", async () => {
    const result = await run(home, "list", "extra", "--json");
    assert.equal(result.code, 2);
    assert.equal(result.stderr, "");
    const end = runEnd(result.stdout);
    assert.equal(end?.outcome, "bad-input");
    assert.equal(end?.exitCode, 2);
    assert.equal(end?.message, 'unexpected argument "extra" after list');
  });

  test("a word that is not a command is taken for a spec file: not found, exit 2, nothing provisioned", async () => {
    const saved = process.env.CONSUL_HTTP_ADDR;
    delete process.env.CONSUL_HTTP_ADDR;
    try {
      const result = await run(home, "frobnicate", "--json");
      assert.equal(result.code, 2);
      const end = runEnd(result.stdout);
      assert.equal(end?.outcome, "bad-input");
      assert.equal(end?.exitCode, 2);
      assert.match(String(end?.message), /frobnicate: spec file not found/);
      const runs = await readdir(join(home, "runs")).catch(() => []);
      assert.deepEqual(runs, [], "a spec that does not exist leaves no run folder");
    } finally {
      if (saved !== undefined) process.env.CONSUL_HTTP_ADDR = saved;
    }
  });

  test("list in a home without runs says so, and prints nothing under --json", async () => {
    const human = await run(home, "list");
    assert.equal(human.code, 0);
    assert.equal(human.stdout, "no runs yet\n");
    const json = await run(home, "list", "--json");
    assert.equal(json.code, 0);
    assert.equal(json.stdout, "");
  });
});

describe("main: after the run (--keep-on-failure, ssh, ui), what is refused before anything starts", () => {
  let home: string;
  before(async () => {
    home = await mkdtemp(join(tmpdir(), "burst-main-after-"));
    // A run that ended before its master answered: no event log, no master to reach.
    const runDir = join(home, "runs", "20261207-080000-abcd");
    await mkdir(runDir, { recursive: true });
    const record = {
      runId: "20261207-080000-abcd",
      name: "early",
      owner: "me",
      target: "local",
      specFile: "spark.yml",
      runDir,
      stackDir: join(runDir, "stack"),
      terraformBinary: "terraform",
      startedAt: "2026-12-07T08:00:00.000Z",
      expiresAt: "2099-12-07T09:00:00.000Z",
      resultsUri: "s3://results/early/20261207-080000-abcd/",
      pid: 1,
      phase: "apply",
      outcome: "infrastructure-failed",
      destroyed: true,
    };
    await writeFile(join(runDir, "run.json"), JSON.stringify(record));
  });
  after(async () => {
    await rm(home, { recursive: true, force: true });
  });

  test("--keep and --keep-on-failure together exit 2: --keep already keeps the cluster", async () => {
    const result = await run(home, "spark.yml", "--keep", "--keep-on-failure");
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--keep and --keep-on-failure together/);
    assert.deepEqual(await readdir(join(home, "runs")), ["20261207-080000-abcd"]);
  });

  test("a --keep-on-failure duration that is not one exits 2 before the spec is read", async () => {
    const result = await run(home, "no-such-spec.yml", "--keep-on-failure=soon");
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--keep-on-failure: expected a duration such as 30m, 90s, 2h or 1h30m, found "soon"/);
  });

  test("ssh to an unknown run, or to one whose cluster is gone, exits 2 saying why", async () => {
    const unknown = await run(home, "ssh", "no-such-run", "--", "true");
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /no run "no-such-run" on this machine/);
    const gone = await run(home, "ssh", "20261207-080000-abcd");
    assert.equal(gone.code, 2);
    assert.match(gone.stderr, /its cluster is destroyed/);
  });

  test("ui needs a run id, and a run without an event log exits 2 naming where it looked", async () => {
    const none = await run(home, "ui");
    assert.equal(none.code, 2);
    assert.match(none.stderr, /usage: npm run burst -- ui <run-id>/);
    const noLog = await run(home, "ui", "20261207-080000-abcd");
    assert.equal(noLog.code, 2);
    assert.match(noLog.stderr, /run 20261207-080000-abcd has no Spark event log in .*results\/logs\/eventlog/);
    assert.deepEqual(
      (await readdir(home)).filter((entry) => entry.startsWith("ui-")),
      [],
    );
  });
});
