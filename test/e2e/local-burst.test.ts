// End to end on the local target: the real CLI, terraform, Spark standalone daemons, sshd and an
// S3 server. Nothing here is mocked; each test checks what a user would see and that the run left
// no process, port or state lock behind.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { ensureSpark } from "../../src/targets/local/spark.ts";
import { run } from "../../src/util/exec.ts";
import {
  assertNoLeftovers,
  burst,
  makeRepo,
  parseEvents,
  repoRoot,
  runDirs,
  startBurst,
  tempBurstHome,
  writeSpec,
} from "../helpers/burst.ts";
import { keys, objectText, withResults } from "../helpers/local-results.ts";

const wordcount = readFileSync(join(repoRoot, "examples/wordcount/job/wordcount.py"), "utf8");
const text = "the quick brown fox jumps over the lazy dog\nthe dog sleeps\n";

describe("local burst, end to end", { concurrency: false }, () => {
  let burstHome: string;
  before(async () => {
    burstHome = await tempBurstHome();
  });

  test("a PySpark job reads s3a:// input and writes s3a:// output on 1 master + 2 workers", async () => {
    const repo = await makeRepo({ "jobs/wordcount.py": wordcount });
    const spec = await writeSpec(
      `name: wordcount
code: { repo: ${repo.dir}, ref: main, subdirectory: jobs }
job:
  type: pyspark
  entrypoint: wordcount.py
  args: [s3a://e2e-data/in/, s3a://e2e-data/out/]
cluster: { workers: 2 }
inputs: [{ from: input.txt, to: s3://e2e-data/in/ }]
results: s3://e2e-results/runs/
`,
      { "input.txt": text },
    );
    const result = await burst([spec, "--json"], { burstHome });
    const events = parseEvents(result.stdout);
    const end = events.find((event) => event.type === "run-end");
    assert.equal(result.code, 0, `burst failed:\n${result.stderr}\n${JSON.stringify(end)}`);
    assert.equal(end?.outcome, "succeeded");
    const phasesDone = events.filter((e) => e.type === "phase-end" && e.ok).map((e) => e.phase);
    assert.deepEqual(phasesDone, [
      "params",
      "validate",
      "synth",
      "apply",
      "wait-ready",
      "stage",
      "clone",
      "run",
      "collect",
      "destroy",
    ]);
    assert.ok(events.some((e) => e.type === "job-log" && String(e.line).includes("top words: the=3")));

    const [runDir] = await runDirs(burstHome);
    assert.ok(runDir);
    const runId = runDir.split("/").pop() ?? "";
    await withResults(burstHome, async (s3) => {
      const outputKeys = await keys(s3, "e2e-data", "out/");
      const csvKey = outputKeys.find((key) => key.endsWith(".csv"));
      assert.ok(csvKey, `no CSV among ${outputKeys.join(", ")}`);
      const csv = await objectText(s3, "e2e-data", csvKey);
      assert.match(csv, /^word,count\nthe,3\ndog,2\n/);

      const prefix = `runs/wordcount/${runId}/`;
      const manifest = JSON.parse(await objectText(s3, "e2e-results", `${prefix}manifest.json`));
      assert.equal(manifest.runId, runId);
      assert.equal(manifest.name, "wordcount");
      assert.equal(manifest.target, "local");
      assert.equal(manifest.code.commit, repo.sha);
      assert.equal(manifest.code.ref, "main");
      assert.equal(manifest.jobExitCode, 0);
      assert.equal(manifest.outcome, "succeeded");
      assert.match(manifest.spec.sha256, /^[0-9a-f]{64}$/);
      assert.equal(manifest.cluster.workers, 2);
      assert.equal(manifest.costEstimateUsd, 0);
      assert.ok(manifest.phases.some((p: { phase: string }) => p.phase === "run"));
      const stdout = await objectText(s3, "e2e-results", `${prefix}logs/job/attempt-1/stdout.log`);
      assert.match(stdout, /distinct words: 9/);
      // Rolling event logs: one folder per application (eventlog_v2_<app>/), its events in parts.
      const uploaded = await keys(s3, "e2e-results", `${prefix}logs/eventlog/`);
      const applications = new Set(uploaded.map((key) => key.slice(`${prefix}logs/eventlog/`.length).split("/")[0]));
      assert.equal(applications.size, 1, `one Spark event log: ${uploaded.join(", ")}`);
      assert.ok(
        uploaded.some((key) => /\/eventlog_v2_[^/]+\/events_\d+_/.test(key)),
        uploaded.join(", "),
      );
    });
    await assertNoLeftovers(runDir);
  });

  test("a jar job runs its main class with spark-submit", async () => {
    const spark = await ensureSpark("3.5.3", () => {});
    const repo = await makeRepo({
      "SumJob.java": `import org.apache.spark.sql.SparkSession;
public class SumJob {
  public static void main(String[] args) {
    SparkSession spark = SparkSession.builder().appName("sum").getOrCreate();
    long n = Long.parseLong(args[0]);
    long sum = spark.range(1, n + 1).selectExpr("sum(id)").first().getLong(0);
    System.out.println("sum of 1.." + n + " = " + sum);
    spark.stop();
  }
}
`,
    });
    const classes = join(repo.dir, "classes");
    await mkdir(classes);
    await run("javac", ["-cp", `${spark.sparkHome}/jars/*`, "-d", classes, join(repo.dir, "SumJob.java")], {
      check: true,
    });
    await run("jar", ["cf", join(repo.dir, "sum.jar"), "-C", classes, "."], { check: true });
    const git = (args: string[]) =>
      run("git", ["-c", "user.email=t@b", "-c", "user.name=t", ...args], { cwd: repo.dir, check: true });
    await git(["add", "sum.jar"]);
    await git(["commit", "--quiet", "-m", "jar"]);

    const spec = await writeSpec(`name: sum-jar
code: { repo: ${repo.dir}, ref: main }
job: { type: jar, entrypoint: sum.jar, class: SumJob, args: ["1000"] }
cluster: { workers: 1 }
results: s3://e2e-results/runs/
`);
    const lines: string[] = [];
    const result = await burst([spec], { burstHome, onLine: (line) => lines.push(line) });
    assert.equal(result.code, 0, result.stderr);
    assert.ok(
      lines.some((line) => line.includes("sum of 1..1000 = 500500")),
      lines.join("\n"),
    );
    for (const runDir of await runDirs(burstHome)) await assertNoLeftovers(runDir);
  });

  test("a shell job on a single node keeps its declared outputs", async () => {
    const repo = await makeRepo({
      "report.sh": 'mkdir -p report\necho "greeting: $GREETING" > report/summary.txt\necho done\n',
    });
    const spec = await writeSpec(`name: shell-report
code: { repo: ${repo.dir} }
job: { type: shell, entrypoint: report.sh, env: { GREETING: hello } }
cluster: { workers: 0 }
outputs: [report]
results: s3://e2e-results/runs/
`);
    const result = await burst([spec, "--json"], { burstHome });
    assert.equal(result.code, 0, result.stderr);
    const events = parseEvents(result.stdout);
    const results = events.find((event) => event.type === "results");
    assert.ok(results, "a results event");
    const uri = String(results.uri);
    const prefix = uri.replace("s3://e2e-results/", "");
    await withResults(burstHome, async (s3) => {
      assert.equal(await objectText(s3, "e2e-results", `${prefix}outputs/report/summary.txt`), "greeting: hello\n");
    });
    // The browse path printed for the user is where the object is on disk.
    assert.ok(existsSync(join(String(results.browse), "outputs/report/summary.txt")));
  });

  test("a failing job exits 1, its logs are still uploaded and the cluster destroyed", async () => {
    const repo = await makeRepo({
      "fail.py": 'import sys\nprint("about to fail")\nsys.stderr.write("boom: no such table\\n")\nsys.exit(3)\n',
    });
    const spec = await writeSpec(`name: failing
code: { repo: ${repo.dir} }
job: { type: pyspark, entrypoint: fail.py }
cluster: { workers: 1 }
results: s3://e2e-results/runs/
`);
    const result = await burst([spec], { burstHome });
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /the job exited with code 3/);
    const runDir = (await runDirs(burstHome)).sort().pop() ?? "";
    const record = JSON.parse(await readFile(join(runDir, "run.json"), "utf8"));
    assert.equal(record.destroyed, true);
    assert.equal(record.outcome, "failed");
    const runId = record.runId as string;
    await withResults(burstHome, async (s3) => {
      // Spark's PythonRunner merges the Python driver's stderr into its stdout.
      const stdout = await objectText(s3, "e2e-results", `runs/failing/${runId}/logs/job/attempt-1/stdout.log`);
      assert.match(stdout, /about to fail\nboom: no such table/);
      const manifest = JSON.parse(await objectText(s3, "e2e-results", `runs/failing/${runId}/manifest.json`));
      assert.equal(manifest.jobExitCode, 3);
      assert.equal(manifest.outcome, "failed");
    });
    await assertNoLeftovers(runDir);
  });

  test("Ctrl-C while the job runs stops it, destroys the cluster and exits 130", async () => {
    const repo = await makeRepo({ "wait.sh": 'echo "job started"\nsleep 600\necho "never printed"\n' });
    const spec = await writeSpec(`name: interrupted
code: { repo: ${repo.dir} }
job: { type: shell, entrypoint: wait.sh }
cluster: { workers: 0 }
results: s3://e2e-results/runs/
`);
    let signalled = false;
    const child = startBurst([spec], {
      burstHome,
      onLine: (line) => {
        if (!signalled && line.includes("job started")) {
          signalled = true;
          process.kill(child.pid ?? 0, "SIGINT");
        }
      },
    });
    const result = await child.done;
    assert.ok(signalled, "the job started");
    assert.equal(result.code, 130, result.stderr);
    assert.match(result.stderr, /interrupted by SIGINT/);
    const runDir = (await runDirs(burstHome)).sort().pop() ?? "";
    const record = JSON.parse(await readFile(join(runDir, "run.json"), "utf8"));
    assert.equal(record.destroyed, true);
    assert.equal(record.outcome, "interrupted");
    await assertNoLeftovers(runDir);
  });

  test("a process the job detaches from its group (setsid) is stopped with the cluster", async () => {
    const marks = await mkdtemp(join(tmpdir(), "burst-detached-"));
    const repo = await makeRepo({
      "detach.sh": `setsid sleep 600 </dev/null >/dev/null 2>&1 &\necho "$!" > ${marks}/pid\necho "detached $!"\n`,
    });
    const spec = await writeSpec(`name: detached
code: { repo: ${repo.dir} }
job: { type: shell, entrypoint: detach.sh }
cluster: { workers: 0 }
results: s3://e2e-results/runs/
`);
    const result = await burst([spec], { burstHome });
    const detached = Number(readFileSync(join(marks, "pid"), "utf8"));
    try {
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /detached \d+/);
      const runDir = (await runDirs(burstHome)).sort().pop() ?? "";
      await assertNoLeftovers(runDir);
      const alive = existsSync(`/proc/${detached}`) && !/\) Z /.test(readFileSync(`/proc/${detached}/stat`, "utf8"));
      assert.equal(alive, false, `the detached process ${detached} outlived the cluster`);
    } finally {
      const ours =
        existsSync(`/proc/${detached}`) && readFileSync(`/proc/${detached}/cmdline`, "utf8") === "sleep\x00600\x00";
      if (ours) process.kill(detached, "SIGKILL");
    }
  });

  test("bad input exits 2 before anything is provisioned", async () => {
    const before = (await runDirs(burstHome)).length;
    const spec = await writeSpec(
      "name: bad\ncode: { repo: /nonexistent/repo }\njob: { type: pyspark, entrypoint: x.py }\n",
    );
    const result = await burst([spec], { burstHome });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /spark\.yml:2:\d+: code\.repo/);
    assert.equal((await runDirs(burstHome)).length, before, "no run folder was created");
  });

  after(async () => {
    for (const runDir of await runDirs(burstHome)) await assertNoLeftovers(runDir);
  });
});
