// dependencies.pip end to end on the local target: installed before the first step for the
// driver and the executors, reused by the next run, a failed install is a failed run with pip's
// output in the run's logs, and an unparsable requirement provisions nothing. The wheel is built
// here and served on 127.0.0.1, so pip needs no package index.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { readdir, readFile, rm, unlink } from "node:fs/promises";
import { createServer } from "node:http";
import { basename, join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  assertNoLeftovers,
  burst,
  eventTexts,
  makeRepo,
  parseEvents,
  runDirs,
  runEndOf,
  tempBurstHome,
  writeSpec,
} from "../helpers/burst.ts";
import { buildWheel } from "../helpers/wheel.ts";

const JOB = `from pyspark.sql import SparkSession

import burstdemo


def on_executor(rows):
    import os

    import burstdemo

    for row in rows:
        yield f"{burstdemo.shout('row ' + str(row))} from={os.path.basename(os.path.dirname(os.path.dirname(burstdemo.__file__)))}"


spark = SparkSession.builder.getOrCreate()
print(f"driver: {burstdemo.shout('hello')}")
for line in spark.sparkContext.parallelize(range(2), 2).mapPartitions(on_executor).collect():
    print(f"executor: {line}")
spark.stop()
`;

describe("dependencies.pip on the local target", { concurrency: false }, () => {
  let burstHome: string;
  let wheelUrl: string;
  let missingUrl: string;
  let closeServer: () => Promise<void>;
  const reusedFolders = new Set<string>();
  const existingCache = new Set<string>();

  before(async () => {
    burstHome = await tempBurstHome();
    for (const entry of await readdir(join(burstHome, "cache", "pydeps")).catch(() => [] as string[])) {
      existingCache.add(entry);
    }
    const wheel = await buildWheel(join(burstHome, "wheels"));
    const body = readFileSync(wheel);
    const server = createServer((request, response) => {
      if (request.url === `/${basename(wheel)}`) response.writeHead(200).end(body);
      else response.writeHead(404).end("not found");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    assert.ok(address && typeof address === "object");
    // A fresh URL per test run, so the first run below really installs.
    const base = `http://127.0.0.1:${address.port}`;
    wheelUrl = `${base}/${basename(wheel)}`;
    missingUrl = `${base}/burstdemo-9.9.9-py3-none-any.whl`;
    closeServer = () => new Promise((resolve) => server.close(() => resolve()));
  });

  test("reach the driver and the executors before the first step, and the next run reuses them", async () => {
    const repo = await makeRepo({ "job.py": JOB });
    const spec = await writeSpec(`name: pipdeps
code: { repo: ${repo.dir} }
job: { type: pyspark, entrypoint: job.py }
dependencies:
  pip: ["burstdemo @ ${wheelUrl}"]
cluster: { workers: 1 }
results: s3://e2e-results/runs/
`);
    for (const round of ["first", "second"]) {
      const result = await burst([spec, "--json"], { burstHome });
      const events = parseEvents(result.stdout);
      assert.equal(result.code, 0, `${round} run failed:\n${result.stderr}\n${JSON.stringify(runEndOf(events))}`);
      const job = eventTexts(events, "job-log");
      assert.ok(job.includes("driver: HELLO!"), job.join("\n"));
      const executors = job.filter((line) => line.startsWith("executor: "));
      assert.deepEqual(
        executors.map((line) => line.replace(/ from=.*$/, "")),
        ["executor: ROW 0!", "executor: ROW 1!"],
      );
      const infos = eventTexts(events, "info");
      assert.ok(
        infos.some((line) => line.startsWith(`pip install burstdemo @ ${wheelUrl}`)),
        infos.join("\n"),
      );
      const reused = infos.find((line) => line.startsWith("Python dependencies reused from "));
      if (round === "first") {
        assert.equal(reused, undefined, "the first run installs");
        // Installed into the shared cache: noted now so the cleanup finds it whatever happens next.
        for (const entry of await readdir(join(burstHome, "cache", "pydeps")).catch(() => [] as string[])) {
          if (!existingCache.has(entry))
            reusedFolders.add(join(burstHome, "cache", "pydeps", entry.replace(/\.zip$/, "")));
        }
      } else {
        assert.ok(reused, `the second run reuses the first run's install:\n${infos.join("\n")}`);
        const folder = reused.replace("Python dependencies reused from ", "");
        assert.ok(folder.startsWith(join(burstHome, "cache", "pydeps")), folder);
        reusedFolders.add(folder);
      }
    }
  });

  test("a failed install fails the run (exit 1) with pip's output in the run's logs", async () => {
    const repo = await makeRepo({ "job.py": JOB });
    const spec = await writeSpec(`name: pipfail
code: { repo: ${repo.dir} }
job: { type: pyspark, entrypoint: job.py }
dependencies:
  pip: ["burstdemo @ ${missingUrl}"]
cluster: { workers: 1 }
results: s3://e2e-results/runs/
`);
    const result = await burst([spec, "--json"], { burstHome });
    const events = parseEvents(result.stdout);
    const end = runEndOf(events);
    assert.equal(result.code, 1, `${result.stderr}\n${JSON.stringify(end)}`);
    assert.equal(end.outcome, "failed");
    assert.match(String(end.message), /pip could not install the job's Python dependencies/);
    assert.match(String(end.message), /logs\/pip\/stdout\.log/);
    assert.deepEqual(eventTexts(events, "job-log"), [], "no step ran");
    const runDir = (await runDirs(burstHome)).sort().pop();
    assert.ok(runDir);
    const pipLog = await readFile(join(runDir, "results", "logs", "pip", "stdout.log"), "utf8");
    assert.match(pipLog, /404/, pipLog);
    const manifest = JSON.parse(await readFile(join(runDir, "results", "manifest.json"), "utf8"));
    assert.ok(manifest.files.includes("logs/pip/stdout.log"), JSON.stringify(manifest.files));
    await assertNoLeftovers(runDir);
  });

  test("an unparsable requirement is exit 2 with file:line, and nothing is provisioned", async () => {
    const spec = await writeSpec(`name: pipbad
code: { repo: https://github.com/org/jobs.git }
job: { type: pyspark, entrypoint: job.py }
dependencies:
  pip: [numpy, scikit-learn=1.5.2]
`);
    const before = (await runDirs(burstHome)).length;
    const result = await burst([spec], { burstHome });
    assert.equal(result.code, 2, result.stderr);
    assert.ok(
      result.stderr.includes(`${spec}:5:16: dependencies.pip[1]: expected a pip requirement like scikit-learn==1.5.2`),
      result.stderr,
    );
    assert.equal((await runDirs(burstHome)).length, before);
  });

  after(async () => {
    await closeServer?.();
    for (const runDir of await runDirs(burstHome)) await assertNoLeftovers(runDir);
    for (const folder of reusedFolders) {
      // The shared cache keeps nothing of this test.
      await rm(folder, { recursive: true, force: true });
      await rm(`${folder}.zip`, { force: true });
    }
    assert.ok(![...reusedFolders].some((folder) => existsSync(folder)));
    await unlink(join(burstHome, "cache"));
    await rm(burstHome, { recursive: true, force: true });
  });
});
