// Four local bursts at once, in one BURST_HOME, with the same spec name and the same buckets:
// no port, name, state or registry collision. Each run gets its own run id, cluster, terraform
// state, results and outputs, and each cleans up after itself.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import {
  assertNoLeftovers,
  burst,
  makeRepo,
  parseEvents,
  runDirs,
  stackPorts,
  tempBurstHome,
  writeSpec,
} from "../helpers/burst.ts";

const RUNS = 4;

// Each run sums a range of its own size on the cluster and reports it as a declared output.
const job = `import os, sys
from pyspark.sql import SparkSession
n = int(sys.argv[1])
spark = SparkSession.builder.getOrCreate()
total = spark.range(1, n + 1).selectExpr("sum(id)").first()[0]
print(f"run {n}: sum {total}")
os.makedirs("report", exist_ok=True)
with open("report/sum.txt", "w") as out:
    out.write(f"{n} {total} {os.environ['BURST_RUN_ID']}\\n")
spark.stop()
`;

describe("concurrency: four local bursts at once", () => {
  test("all succeed with their own cluster, state and results, and all clean up", async () => {
    const home = await tempBurstHome();
    const repo = await makeRepo({ "sum.py": job });
    const sizes = Array.from({ length: RUNS }, (_, i) => 1000 * (i + 1));
    const specs = await Promise.all(
      sizes.map((n) =>
        writeSpec(`name: concurrent
code: { repo: ${repo.dir} }
job: { type: pyspark, entrypoint: sum.py, args: ["${n}"] }
cluster: { workers: 1 }
outputs: [report]
results: s3://concurrent/runs/
`),
      ),
    );
    const results = await Promise.all(specs.map((spec) => burst([spec, "--json"], { burstHome: home })));

    const runIds = new Set<string>();
    const ports = new Map<number, string>();
    for (const [index, result] of results.entries()) {
      const n = sizes[index] ?? 0;
      const events = parseEvents(result.stdout);
      const end = events.find((event) => event.type === "run-end");
      assert.equal(result.code, 0, `run ${n}: ${JSON.stringify(end)}\n${result.stderr.slice(-3000)}`);
      const runId = String(events.find((event) => event.type === "run-start")?.runId);
      assert.ok(!runIds.has(runId), `run id ${runId} is unique`);
      runIds.add(runId);
      const sum = (n * (n + 1)) / 2;
      assert.ok(
        events.some((event) => event.type === "job-log" && event.line === `run ${n}: sum ${sum}`),
        `run ${n} printed its own result`,
      );
      // Its own results, under its own run id, in the shared S3 data folder.
      const prefix = join(home, "local", "s3", "concurrent", "runs", "concurrent", runId);
      assert.equal(readFileSync(join(prefix, "outputs", "report", "sum.txt"), "utf8"), `${n} ${sum} ${runId}\n`);
      const manifest = JSON.parse(readFileSync(join(prefix, "manifest.json"), "utf8"));
      assert.equal(manifest.runId, runId);
      assert.deepEqual(manifest.code.commit, repo.sha);
      assert.equal(manifest.outcome, "succeeded");

      const runDir = join(home, "runs", runId);
      const record = JSON.parse(readFileSync(join(runDir, "run.json"), "utf8"));
      assert.equal(record.destroyed, true);
      assert.equal(record.outcome, "succeeded");
      assert.ok(existsSync(join(runDir, "stack", "stacks", "cluster", "terraform.tfstate")), "a state of its own");
      for (const port of new Set(stackPorts(runDir))) {
        assert.equal(ports.get(port), undefined, `port ${port} used by ${runId} and ${ports.get(port)}`);
        ports.set(port, runId);
      }
      await assertNoLeftovers(runDir);
    }
    assert.equal((await runDirs(home)).length, RUNS, "one run folder per run");
    assert.ok(ports.size >= RUNS * 6, `each run had its own ports (${ports.size})`);
  });
});
