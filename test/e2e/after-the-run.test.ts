// After the run, on the local target with the real CLI, Spark, sshd and S3 server: a failed run's
// cluster kept with --keep-on-failure, reached with `burst ssh`, ended by its own TTL guard; and
// `burst ui` serving finished runs' Spark UI, looked at in a real browser (headless Chromium).
import assert from "node:assert/strict";
import { existsSync, readFileSync, statSync } from "node:fs";
import { mkdir, readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { run } from "../../src/util/exec.ts";
import {
  assertNoLeftovers,
  burst,
  makeRepo,
  repoRoot,
  runDirs,
  runProcesses,
  startBurst,
  tempBurstHome,
  writeSpec,
} from "../helpers/burst.ts";
import { burstInTerminal } from "../helpers/terminal.ts";
import { waitFor } from "../helpers/wait.ts";

const wordcount = readFileSync(join(repoRoot, "examples/wordcount/job/wordcount.py"), "utf8");
// A Spark job that runs one action and then fails: it leaves an event log and exit code 3.
const failing = `from pyspark.sql import SparkSession
spark = SparkSession.builder.appName("fails-after-a-count").getOrCreate()
print("counted", spark.range(1000).count())
raise SystemExit(3)
`;
/** Where the browser's screenshot is kept (the repo's /tmp/ is git-ignored). */
const outputDir = join(repoRoot, "tmp", "test-output", "after-the-run");

const listedCluster = async (burstHome: string, runId: string): Promise<string> => {
  const listed = await burst(["list", "--json"], { burstHome });
  const row = listed.stdout
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as { runId: string; cluster: string })
    .find((entry) => entry.runId === runId);
  return row?.cluster ?? "(not listed)";
};

/** Addresses something listens on at `port` (ss: "127.0.0.1:40123"). */
async function listeners(port: number): Promise<string[]> {
  const result = await run("ss", ["-Hltn", `sport = :${port}`]);
  return result.stdout
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((line) => line.split(/\s+/)[3] ?? "");
}

describe("after the run", { concurrency: false }, () => {
  let burstHome: string;
  let failedRunId = "";
  before(async () => {
    burstHome = await tempBurstHome();
  });

  test("--keep-on-failure keeps a failed run's cluster, burst ssh runs commands on its master, its TTL guard ends it at the deadline", async () => {
    const repo = await makeRepo({ "fail.py": failing });
    const spec = await writeSpec(`name: kept
code: { repo: ${repo.dir} }
job: { type: pyspark, entrypoint: fail.py }
cluster: { workers: 1 }
results: s3://e2e-results/runs/
`);
    const result = await burst([spec, "--keep-on-failure=50s"], { burstHome });
    assert.equal(result.code, 1, result.stderr);
    const runDir = (await runDirs(burstHome)).sort().pop() ?? "";
    const record = JSON.parse(await readFile(join(runDir, "run.json"), "utf8"));
    failedRunId = record.runId;
    assert.equal(record.outcome, "failed");
    assert.equal(record.kept, true);
    assert.equal(record.destroyed, false);
    const keptUntil = Date.parse(record.expiresAt);
    const secondsLeft = (keptUntil - Date.now()) / 1000;
    assert.ok(secondsLeft > 0 && secondsLeft <= 50, `kept until ${record.expiresAt}, ${secondsLeft} s from now`);
    assert.match(result.stderr, /cluster kept after the failure until /);
    assert.ok(result.stderr.includes(`burst -- ssh ${failedRunId}`), result.stderr);
    assert.ok(result.stderr.includes(`burst -- down ${failedRunId}`), result.stderr);
    assert.ok(runProcesses(runDir).length > 0, "the kept cluster's daemons are running");
    assert.equal(await listedCluster(burstHome, failedRunId), "kept");

    // In the master's work folder, with the job's Spark on PATH; the remote command's exit code is burst's.
    const ssh = await burst(["ssh", failedRunId, "--", "echo on-master:$(pwd); command -v spark-submit"], {
      burstHome,
    });
    assert.equal(ssh.code, 0, ssh.stderr);
    assert.match(ssh.stdout, new RegExp(`on-master:${runDir}/nodes/master/work\\n.*/bin/spark-submit\\n`));
    const failedCommand = await burst(["ssh", failedRunId, "--", "exit 7"], { burstHome });
    assert.equal(failedCommand.code, 7, failedCommand.stderr);

    // On a terminal: an interactive shell there, where Ctrl-C stops the remote command, not burst.
    const shell = burstInTerminal(["ssh", failedRunId], { burstHome });
    shell.type("echo interactive-$((6*7)) in $PWD; sleep 100\n");
    await shell.waitFor(/interactive-42 in \S*nodes\/master\/work/, 20_000);
    shell.type("\x03");
    shell.type("echo still-$((1+1))-here; exit 4\n");
    await shell.waitFor(/still-2-here/, 20_000);
    assert.equal(await shell.exited, 4, shell.plainOutput());

    // Nobody ends it: the nodes' TTL guard does, at the keep deadline.
    await waitFor(
      "the TTL guard to stop the kept cluster",
      () => runProcesses(runDir).length === 0,
      keptUntil - Date.now() + 30_000,
      500,
    );
    const endedAfter = (Date.now() - keptUntil) / 1000;
    assert.ok(endedAfter >= 0, `the cluster ended ${-endedAfter} s before its deadline`);
    assert.equal(await listedCluster(burstHome, failedRunId), "expired");
    const late = await burst(["ssh", failedRunId, "--", "true"], { burstHome });
    assert.equal(late.code, 2);
    assert.match(late.stderr, /its TTL guard ended the cluster/);

    // What is left is terraform state: down clears it.
    const down = await burst(["down", failedRunId], { burstHome });
    assert.equal(down.code, 0, down.stderr);
    assert.equal(await listedCluster(burstHome, failedRunId), "destroyed");
    await assertNoLeftovers(runDir);
  });

  test("Ctrl-C during a run with --keep-on-failure is a stop, not a failure: the cluster is destroyed, exit 130", async () => {
    const repo = await makeRepo({ "wait.sh": 'echo "job started"\nsleep 600\n' });
    const spec = await writeSpec(`name: interrupted-keep
code: { repo: ${repo.dir} }
job: { type: shell, entrypoint: wait.sh }
cluster: { workers: 0 }
results: s3://e2e-results/runs/
`);
    let signalled = false;
    const child = startBurst([spec, "--keep-on-failure"], {
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
    assert.doesNotMatch(result.stderr, /cluster kept/);
    const runDir = (await runDirs(burstHome)).sort().pop() ?? "";
    const record = JSON.parse(await readFile(join(runDir, "run.json"), "utf8"));
    assert.equal(record.outcome, "interrupted");
    assert.equal(record.destroyed, true);
    assert.notEqual(record.kept, true);
    await assertNoLeftovers(runDir);
  });

  test("burst ui serves finished runs' Spark UI on loopback, a browser shows the wordcount run's completed jobs, Ctrl-C stops it", async (t) => {
    assert.ok(failedRunId, "the --keep-on-failure test ran first");
    const repo = await makeRepo({ "wordcount.py": wordcount });
    const spec = await writeSpec(
      `name: wordcount
code: { repo: ${repo.dir} }
job:
  type: pyspark
  entrypoint: wordcount.py
  args: [s3a://e2e-data/in/, s3a://e2e-data/out/]
cluster: { workers: 1 }
inputs: [{ from: input.txt, to: s3://e2e-data/in/ }]
results: s3://e2e-results/runs/
`,
      { "input.txt": "the quick brown fox jumps over the lazy dog\n" },
    );
    const result = await burst([spec], { burstHome });
    assert.equal(result.code, 0, result.stderr);
    const runDir = (await runDirs(burstHome)).sort().pop() ?? "";
    const runId = runDir.split("/").pop() ?? "";
    assert.ok(existsSync(join(runDir, "results", "logs", "eventlog")), "the run collected its event log");

    // The failed run's local copy is gone: its event log comes back from its results in S3.
    await rm(join(burstHome, "runs", failedRunId, "results"), { recursive: true });
    let stderr = "";
    let announced: { url: string; applications: { runId: string; appId: string; name: string; url: string }[] } = {
      url: "",
      applications: [],
    };
    const began = Date.now();
    const ui = startBurst(["ui", runId, failedRunId, "--json"], {
      burstHome,
      onLine: (line, stream) => {
        if (stream === "stdout" && line.includes('"type":"ui"')) announced = JSON.parse(line);
        if (stream === "stderr") stderr += `${line}\n`;
      },
    });
    try {
      await waitFor("burst ui to print its URL", () => announced.url !== "", 120_000);
      const serverSeconds = (Date.now() - began) / 1000;
      assert.match(
        stderr,
        new RegExp(
          `run ${failedRunId}: event log fetched from s3://e2e-results/runs/kept/${failedRunId}/logs/eventlog/`,
        ),
      );
      const { url, applications } = announced;
      const port = Number(new URL(url).port);
      // Java shows an IPv4 bind on its dual-stack socket as [::ffff:127.0.0.1].
      const bound = await listeners(port);
      assert.ok(bound.length > 0, "the History Server listens");
      for (const address of bound) {
        assert.match(
          address,
          new RegExp(`^(127\\.0\\.0\\.1|\\[::ffff:127\\.0\\.0\\.1\\]):${port}$`),
          "on loopback only",
        );
      }
      assert.deepEqual(
        applications.map((app) => [app.runId, app.name]),
        [
          [runId, "wordcount"],
          [failedRunId, "fails-after-a-count"],
        ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
      );
      const wordcountApp = applications.find((app) => app.runId === runId);
      assert.ok(wordcountApp);

      // A real browser, once: Chromium renders the application's jobs page, prints its DOM and screenshots it.
      await mkdir(outputDir, { recursive: true });
      const screenshot = join(outputDir, "spark-ui-wordcount-jobs.png");
      await rm(screenshot, { force: true });
      const browserBegan = Date.now();
      const page = await run(
        "chromium",
        [
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--no-first-run",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
          `--user-data-dir=${join(burstHome, "chromium-profile")}`,
          "--window-size=1280,900",
          "--dump-dom",
          `--screenshot=${screenshot}`,
          wordcountApp.url,
        ],
        { timeoutMs: 90_000 },
      );
      const browserSeconds = (Date.now() - browserBegan) / 1000;
      assert.equal(page.code, 0, page.stderr);
      assert.match(page.stdout, /wordcount/, "the page names the application");
      const completed = /Completed Jobs \((\d+)\)/.exec(page.stdout);
      assert.ok(completed, "the page lists completed jobs");
      assert.ok(Number(completed[1]) >= 1, `completed jobs: ${completed[1]}`);
      assert.ok(statSync(screenshot).size > 20_000, "the screenshot has content (a blank page is ~5 kB)");
      t.diagnostic(`screenshot: ${screenshot}`);
      t.diagnostic(
        `History Server up and listing 2 runs in ${serverSeconds.toFixed(1)} s; chromium (DOM + screenshot) ${browserSeconds.toFixed(1)} s`,
      );
    } finally {
      ui.child.kill("SIGINT");
    }
    const ended = await ui.done;
    assert.equal(ended.code, 0, ended.stderr);
    const port = Number(new URL(announced.url).port);
    assert.deepEqual(await listeners(port), [], "Ctrl-C stopped the History Server");
    assert.deepEqual(
      (await readdir(burstHome)).filter((entry) => entry.startsWith("ui-")),
      [],
      "its folder of event logs is removed",
    );
    await assertNoLeftovers(runDir);
  });
});
