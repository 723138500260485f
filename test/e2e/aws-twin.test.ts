// Rung 5 of docs/aws.md: the whole `burst --target aws` on the AWS twin (scripts/servers/twin/):
// moto answers the APIs and the real hashicorp/aws provider applies against it; every instance it
// launches boots as a Debian 12 system container with its own user data at its own private
// address; IMDSv2 gives nodes the instance role's credentials; nodes read and write the same
// emulated S3 the CLI uses. The CLI runs with a network guard (test/helpers/net-guard.mjs) that
// refuses and records any connection other than loopback and the twin's VPC. What only a real
// account shows (EC2's own boot, IAM enforced by AWS, capacity, prices, real network paths) is in
// docs/aws.md.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { DescribeInstancesCommand } from "@aws-sdk/client-ec2";
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import { motoRegion } from "../../scripts/servers/moto.ts";
import type { RecordedCall } from "../../scripts/servers/twin/aws-front.ts";
import { startTwin, type Twin } from "../../scripts/servers/twin/twin.ts";
import { tagKeys } from "../../stacks/aws/tags.ts";
import {
  burst,
  makeRepo,
  parseEvents,
  repoRoot,
  runDirs,
  startBurst,
  tempBurstHome,
  writeSpec,
} from "../helpers/burst.ts";
import { evaluate, type Policy } from "../helpers/iam-policy-eval.ts";
import { judgeCalls } from "../helpers/iam-traffic.ts";

const minutes = (n: number) => n * 60_000;
const guardModule = fileURLToPath(new URL("../helpers/net-guard.mjs", import.meta.url));
/** The account's own buckets the VPC stack made, which the examples' s3://${data}/ and s3://${results}/ name. */
const dataBucket = `burst-main-data-123456789012-${motoRegion}`;
const resultsBucket = `burst-main-results-123456789012-${motoRegion}`;
/** docs/iam-policy.json with its placeholders filled in as the twin names things. */
const policy = JSON.parse(
  readFileSync(join(repoRoot, "docs", "iam-policy.json"), "utf8")
    .replaceAll("ACCOUNT_ID", "123456789012")
    .replaceAll("RESULTS_BUCKET", resultsBucket)
    .replaceAll("DATA_BUCKET", dataBucket)
    .replaceAll("STATE_BUCKET", "burst-tfstate")
    .replaceAll("LOCK_TABLE", "burst-tflock"),
) as Policy;

describe("the whole aws burst on the twin", { timeout: minutes(75), concurrency: false }, () => {
  let twin: Twin;
  let s3: S3Client;
  let guardLog: string;
  let orphan: Promise<{ home: string; runId: string; nodes: string[] }>;

  before(async () => {
    twin = await startTwin({ log: (line) => console.log(line) });
    s3 = twin.moto.s3();
    guardLog = join(await mkdtemp(join(tmpdir(), "burst-guard-")), "refused.log");
    orphan = orphanRun();
    orphan.catch(() => {}); // awaited (and so reported) by its own test
  });

  after(async () => {
    s3?.destroy();
    await twin?.stop();
    // Nothing of the twin's is left on the machine: no container, namespace or bridge.
    assert.equal(execFileSync("ip", ["netns", "list"], { encoding: "utf8" }).includes("burst-"), false);
    assert.equal(
      /systemd-nspawn .*--machine=i-/.test(execFileSync("ps", ["-eo", "args"], { encoding: "utf8" })),
      false,
    );
  });

  /** `burst <args> --target aws --yes` on the twin, with the network guard loaded into the CLI. */
  const awsBurst = (args: readonly string[], home: string) =>
    burst([...args, "--target", "aws", "--yes"], { burstHome: home, env: cliEnv(), timeoutMs: minutes(20) });
  const cliEnv = () => ({
    ...twin.env(),
    NODE_OPTIONS: `--import=${guardModule}`,
    BURST_NET_GUARD_LOG: guardLog,
    BURST_NET_GUARD_ALLOW: `${twin.vpcCidr.split(".").slice(0, 2).join(".")}.`,
  });

  const text = async (bucket: string, key: string) =>
    (await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body?.transformToString()) ?? "";
  const keys = async (bucket: string, prefix: string) =>
    ((await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }))).Contents ?? []).map(
      (object) => object.Key ?? "",
    );

  /** After a run: moto holds no live instance of it, and the twin no container, namespace or process for one. */
  const assertNothingLeft = async (runId: string) => {
    await twin.machines.settled(minutes(2));
    const ec2 = twin.ec2();
    try {
      const answer = await ec2.send(
        new DescribeInstancesCommand({ Filters: [{ Name: `tag:${tagKeys.runId}`, Values: [runId] }] }),
      );
      const instances = (answer.Reservations ?? []).flatMap((reservation) => reservation.Instances ?? []);
      assert.ok(instances.length > 0, "the run's instances are found by its tag");
      const live = instances.filter((instance) => instance.State?.Name !== "terminated");
      assert.deepEqual(
        live.map((instance) => `${instance.InstanceId} ${instance.State?.Name}`),
        [],
        "every instance of the run is terminated",
      );
      for (const instance of instances) {
        const machine = twin.machines.byId(instance.InstanceId ?? "");
        assert.ok(machine, `instance ${instance.InstanceId} was booted as a container`);
        assert.equal(machine.container.running, false, `${instance.InstanceId}'s container has stopped`);
      }
    } finally {
      ec2.destroy();
    }
    assert.deepEqual(twin.machines.bootFailures, [], "every instance booted");
    assert.equal(existsSync(guardLog) ? readFileSync(guardLog, "utf8") : "", "", "the CLI contacted only the twin");
  };

  const onlyRunId = async (home: string) => {
    const dirs = await runDirs(home);
    assert.equal(dirs.length, 1, `one run in ${home}`);
    return (dirs[0] ?? "").split("/").pop() ?? "";
  };

  test("examples/wordcount on 1 master + 2 workers: exit 0, results and manifest in S3, nothing left, every API call allowed by docs/iam-policy.json", async () => {
    const home = await tempBurstHome();
    const firstCall = twin.front.calls.length;
    const head = execFileSync("git", ["-C", repoRoot, "rev-parse", "HEAD"], { encoding: "utf8" }).trim();
    const result = await awsBurst([join(repoRoot, "examples", "wordcount", "spark.yml"), "--json"], home);
    const calls = twin.front.calls.slice(firstCall);
    const events = parseEvents(result.stdout);
    const end = events.find((event) => event.type === "run-end");
    assert.equal(result.code, 0, `${result.stderr.slice(-6000)}\n${JSON.stringify(end)}`);
    assert.deepEqual(
      events.filter((event) => event.type === "phase-end" && event.ok).map((event) => event.phase),
      ["params", "validate", "synth", "apply", "wait-ready", "stage", "clone", "run", "collect", "destroy"],
    );
    assert.ok(events.some((event) => event.type === "job-log" && String(event.line).includes("top words: the=11")));
    const runId = await onlyRunId(home);

    // The job's own output, written by the executors through s3a with the instance role's credentials.
    const outputs = await keys(dataBucket, "wordcount/output/");
    assert.ok(
      outputs.some((key) => /part-/.test(key)),
      `the job wrote its output: ${outputs.join(", ")}`,
    );
    // Results: manifest (with the commit), the job's logs, Spark's event log.
    const prefix = `runs/wordcount/${runId}/`;
    const manifest = JSON.parse(await text(resultsBucket, `${prefix}manifest.json`));
    assert.equal(manifest.code.commit, head);
    assert.equal(manifest.target, "aws");
    assert.equal(manifest.outcome, "succeeded");
    assert.match(await text(resultsBucket, `${prefix}logs/job/attempt-1/stdout.log`), /distinct words: 34/);
    assert.ok((await keys(resultsBucket, `${prefix}logs/eventlog/`)).length > 0, "the event log was uploaded");

    // The CLI read each node's console (host keys); every node took an IMDSv2 token; the master (the
    // driver lists the input) and a worker (its tasks read and write) fetched the instance role's
    // credentials. Not every worker: which one gets the two-partition job's tasks is Spark's choice.
    const nodeIds = [...(await instancesOf(runId, "master")), ...(await instancesOf(runId, "worker"))].map(
      (instance) => instance.InstanceId ?? "",
    );
    assert.equal(nodeIds.length, 3);
    const consoles = new Set(
      calls.filter((call) => call.action === "GetConsoleOutput").map((call) => call.params.InstanceId),
    );
    const fetchedCredentials = (instanceId: string) =>
      (twin.imds.requests.get(instanceId) ?? []).some((request) =>
        /GET \/latest\/meta-data\/iam\/security-credentials\/\S+/.test(request),
      );
    for (const instanceId of nodeIds) {
      assert.ok(consoles.has(instanceId), `the CLI read ${instanceId}'s console`);
      const asked = twin.imds.requests.get(instanceId) ?? [];
      assert.ok(asked.includes("PUT /latest/api/token"), `${instanceId} took an IMDSv2 token: ${asked.join(", ")}`);
    }
    const [masterId, ...workerIds] = nodeIds;
    assert.ok(fetchedCredentials(masterId ?? ""), "the master (the driver) fetched role credentials");
    assert.ok(workerIds.some(fetchedCredentials), "a worker (the tasks) fetched role credentials");
    // Spark's JVMs asked the VPC's resolver for their own canonical name, and had an answer (dns.ts).
    const privateIps = (await instancesOf(runId, "master")).map((instance) => instance.PrivateIpAddress ?? "");
    const reverseOf = (ip: string) => `PTR ${ip.split(".").reverse().join(".")}.in-addr.arpa`;
    assert.ok(
      privateIps.some((ip) => twin.dns.questions.includes(reverseOf(ip))),
      `the master asked for its name: ${twin.dns.questions.slice(-20).join(", ")}`,
    );
    await assertNothingLeft(runId);
    assertAllowed(twin.front.calls, calls);
  });

  test("a failing job: exit 1, its logs in S3, everything destroyed", async () => {
    const home = await tempBurstHome();
    const repo = await makeRepo({
      "main.py": "import sys\nprint('about to fail', flush=True)\nraise RuntimeError('the job broke on purpose')\n",
    });
    const spec = await writeSpec(`name: twin-failing
code: { repo: ${repo.dir} }
job: { type: pyspark, entrypoint: main.py }
cluster: { workers: 1 }
results: s3://\${results}/runs/
`);
    const result = await awsBurst([spec], home);
    assert.equal(result.code, 1, result.stderr.slice(-4000));
    assert.match(result.stderr, /ok destroy/);
    const runId = await onlyRunId(home);
    // Spark's PythonRunner merges the Python driver's stderr (the traceback) into its stdout.
    const stdout = await text(resultsBucket, `runs/twin-failing/${runId}/logs/job/attempt-1/stdout.log`);
    assert.match(stdout, /about to fail[\s\S]*RuntimeError: the job broke on purpose/);
    const manifest = JSON.parse(await text(resultsBucket, `runs/twin-failing/${runId}/manifest.json`));
    assert.equal(manifest.outcome, "failed");
    await assertNothingLeft(runId);
  });

  test("Ctrl-C during the job: exit 130, the logs so far in S3, everything destroyed", async () => {
    const home = await tempBurstHome();
    const repo = await makeRepo({
      "main.py": "import time\nprint('job started', flush=True)\ntime.sleep(900)\n",
    });
    const spec = await writeSpec(`name: twin-interrupted
code: { repo: ${repo.dir} }
job: { type: pyspark, entrypoint: main.py }
cluster: { workers: 1 }
results: s3://\${results}/runs/
`);
    const { sent, result } = await signalWhenJobStarts(spec, home, "SIGINT");
    assert.ok(sent, `the job started:\n${result.stdout.slice(-2000)}\n${result.stderr.slice(-3000)}`);
    assert.equal(result.code, 130, result.stderr.slice(-4000));
    assert.match(result.stderr, /ok destroy/);
    const runId = await onlyRunId(home);
    const stdout = await text(resultsBucket, `runs/twin-interrupted/${runId}/logs/job/attempt-1/stdout.log`);
    assert.match(stdout, /job started/);
    await assertNothingLeft(runId);
  });

  /** An aws burst of `spec` that gets `signal` once its job prints "job started". */
  const signalWhenJobStarts = async (spec: string, home: string, signal: NodeJS.Signals) => {
    let sent = false;
    const cli = startBurst([spec, "--target", "aws", "--yes"], {
      burstHome: home,
      env: cliEnv(),
      timeoutMs: minutes(20),
      onLine: (line) => {
        if (!sent && line.includes("job started")) {
          sent = true;
          cli.child.kill(signal);
        }
      },
    });
    const result = await cli.done;
    return { sent, result };
  };

  /** The run's instances of one role (burst:role tag), as moto lists them. */
  const instancesOf = async (runId: string, role: "master" | "worker") => {
    const ec2 = twin.ec2();
    try {
      const answer = await ec2.send(
        new DescribeInstancesCommand({
          Filters: [
            { Name: `tag:${tagKeys.runId}`, Values: [runId] },
            { Name: `tag:${tagKeys.role}`, Values: [role] },
          ],
        }),
      );
      return (answer.Reservations ?? []).flatMap((reservation) => reservation.Instances ?? []);
    } finally {
      ec2.destroy();
    }
  };

  test("a spot interruption raised through a worker's IMDS: that worker is decommissioned, the job finishes on the other", async () => {
    const home = await tempBurstHome();
    const repo = await makeRepo({
      "main.py": [
        "import time",
        "from pyspark.sql import SparkSession",
        "sc = SparkSession.builder.getOrCreate().sparkContext",
        "executors = lambda: sc._jsc.sc().getExecutorIds().size()",
        "deadline = time.time() + 180",
        "while executors() < 2 and time.time() < deadline: time.sleep(1)",
        "print(f'executors before the notice: {executors()}', flush=True)",
        "print('first stage', sc.parallelize(range(100), 4).sum(), flush=True)",
        // The test raises the notice on seeing the line above; the worker's watcher polls every 5 s.
        "while executors() > 1 and time.time() < deadline: time.sleep(1)",
        "print(f'executors after the notice: {executors()}', flush=True)",
        "print('second stage', sc.parallelize(range(100), 4).map(lambda x: x * 2).sum(), flush=True)",
        "",
      ].join("\n"),
    });
    const spec = await writeSpec(`name: twin-spot
code: { repo: ${repo.dir} }
job: { type: pyspark, entrypoint: main.py }
cluster: { workers: 2, worker: { spot: true } }
results: s3://\${results}/runs/
`);
    let interrupted: string | undefined;
    let raise: Promise<void> | undefined;
    const cli = startBurst([spec, "--target", "aws", "--yes"], {
      burstHome: home,
      env: cliEnv(),
      timeoutMs: minutes(20),
      onLine: (line) => {
        if (raise === undefined && line.includes("first stage 4950")) {
          raise = (async () => {
            const runId = await onlyRunId(home);
            const [worker] = await instancesOf(runId, "worker");
            interrupted = worker?.InstanceId;
            if (interrupted) twin.imds.raiseSpotInterruption(interrupted);
          })();
        }
      },
    });
    const result = await cli.done;
    await raise;
    assert.equal(result.code, 0, result.stderr.slice(-5000));
    assert.ok(interrupted, "a worker was interrupted");
    // The job's stdout goes to the CLI's stdout; burst's own account of the interruption to stderr.
    assert.match(result.stdout, /executors before the notice: 2/);
    assert.match(result.stdout, /executors after the notice: 1/);
    assert.match(result.stdout, /second stage 9900/);
    assert.match(
      result.stderr,
      /was interrupted \(spot notice\) and decommissioned at .*; its executor \d+ left gracefully/,
    );
    const runId = await onlyRunId(home);
    const machine = twin.machines.byId(interrupted);
    assert.ok(machine);
    // The watcher read the notice through IMDSv2 and recorded it before signalling the worker.
    const asked = twin.imds.requests.get(interrupted) ?? [];
    assert.ok(asked.includes("GET /latest/meta-data/spot/instance-action"), asked.join(", "));
    await assertNothingLeft(runId);
  });

  test("examples/ml (two pyspark.ml steps with numpy, pandas and pyarrow on the executors) on the twin: exit 0", async () => {
    const home = await tempBurstHome();
    const result = await awsBurst([join(repoRoot, "examples", "ml", "spark.yml")], home);
    assert.equal(result.code, 0, result.stderr.slice(-5000));
    assert.match(result.stdout, /generated 5000 customers/);
    assert.match(result.stdout, /model: AUC 0\.\d+/);
    const runId = await onlyRunId(home);
    assert.ok(
      (await keys(dataBucket, "ml/predictions/")).some((key) => key.endsWith(".csv")),
      "predictions written",
    );
    assert.ok((await keys(resultsBucket, `runs/churn-model/${runId}/outputs/metrics/`)).length > 0, "metrics kept");
    await assertNothingLeft(runId);
  });

  test("a legacy block (the old spark.yml format) with --target aws: exit 0", async () => {
    const home = await tempBurstHome();
    const result = await awsBurst([join(repoRoot, "examples", "legacy", "spark.yml"), "--block", "pi_report"], home);
    assert.equal(result.code, 0, result.stderr.slice(-5000));
    assert.match(result.stdout, /pi_report: 3\.1\d+ from 4 partitions x 50000 samples/);
    assert.ok((await keys(dataBucket, "legacy/pi-report/")).length > 0, "the report went to S3");
    await assertNothingLeft(await onlyRunId(home));
  });

  // Started in before(), so the nodes' five-minute TTL runs out while the tests above run.
  test("kill -9 of the CLI during the job: the nodes' TTL guard powers them off, the twin terminates them; list shows the run orphaned, gc cleans it", async () => {
    const { home, runId, nodes } = await orphan;
    assert.equal(nodes.length, 2, "a master and a worker outlived their CLI");
    // Within the TTL (5 min from boot) and a margin, every node powers itself off and is terminated.
    const deadline = Date.now() + minutes(8);
    for (;;) {
      const live = [...(await instancesOf(runId, "master")), ...(await instancesOf(runId, "worker"))].filter(
        (instance) => instance.State?.Name !== "terminated",
      );
      if (live.length === 0) break;
      assert.ok(Date.now() < deadline, `still running after the TTL: ${live.map((i) => i.InstanceId).join(", ")}`);
      await new Promise((resolve) => setTimeout(resolve, 5000));
    }
    for (const node of nodes) {
      assert.equal(twin.machines.byId(node)?.ended, "powered off (terminated in moto)", node);
    }
    const listed = await burst(["list"], { burstHome: home, env: cliEnv() });
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, new RegExp(`${runId}.* orphaned +expired `), "past its TTL: the nodes ended it");
    const gc = await burst(["gc"], { burstHome: home, env: cliEnv(), timeoutMs: minutes(10) });
    assert.equal(gc.code, 0, `${gc.stdout}\n${gc.stderr}`);
    const after = await burst(["list"], { burstHome: home, env: cliEnv() });
    assert.match(after.stdout, new RegExp(`${runId}.* orphaned +destroyed `));
    await assertNothingLeft(runId);
  });

  /** A run whose CLI is killed (SIGKILL) once its job has started; its nodes are left to their TTL. */
  async function orphanRun(): Promise<{ home: string; runId: string; nodes: string[] }> {
    const home = await tempBurstHome();
    const repo = await makeRepo({ "main.py": "import time\nprint('job started', flush=True)\ntime.sleep(3600)\n" });
    // The shortest TTL a spec may ask for; the node arms it as its first step.
    const spec = await writeSpec(`name: twin-orphan
code: { repo: ${repo.dir} }
job: { type: pyspark, entrypoint: main.py }
cluster: { workers: 1, ttlMinutes: 5 }
results: s3://\${results}/runs/
`);
    const { sent: killed, result } = await signalWhenJobStarts(spec, home, "SIGKILL");
    assert.ok(killed, `the orphan's job started:\n${result.stderr.slice(-3000)}`);
    const runId = await onlyRunId(home);
    const nodes = [...(await instancesOf(runId, "master")), ...(await instancesOf(runId, "worker"))];
    return { home, runId, nodes: nodes.map((node) => node.InstanceId ?? "") };
  }
});

/**
 * Every call the CLI and terraform sent (from loopback; nodes act as their role) is allowed by the
 * operator policy, judged as AWS would authorize it (test/helpers/iam-traffic.ts) with what
 * `history`, every call the twin recorded, tells about each resource's tags.
 */
function assertAllowed(history: readonly RecordedCall[], calls: readonly RecordedCall[]): void {
  const operatorCalls = calls.filter((call) => call.from.startsWith("127.") && call.signed);
  assert.ok(operatorCalls.length > 20, `recorded ${operatorCalls.length} operator calls`);
  const problems: string[] = [];
  const tolerated: string[] = [];
  for (const { call, judged } of judgeCalls(history, operatorCalls, { account: "123456789012", region: motoRegion })) {
    if (judged.kind === "unknown") {
      problems.push(`${call.service}:${call.action}: ${judged.reason}`);
      continue;
    }
    for (const check of judged.checks) {
      if (evaluate(policy, check).allowed) continue;
      const denied = `denied ${check.action} on ${check.resource} ${JSON.stringify(check.context ?? {})}`;
      // A probe whose denial the sender handles (it falls back, or ignores the error) fails nothing.
      if (judged.deniable) tolerated.push(`${denied} (${judged.deniable})`);
      else problems.push(denied);
    }
  }
  if (tolerated.length > 0) console.log(`denied, and handled by the caller:\n${[...new Set(tolerated)].join("\n")}`);
  assert.deepEqual([...new Set(problems)], [], "calls docs/iam-policy.json does not allow, or that cannot be judged");
}
