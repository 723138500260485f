// component: systemd-nspawn containers, versitygw, sshd
// Rung 4 of docs/aws.md: the user data SparkClusterStack synthesizes, taken from cdk.tf.json and
// evaluated by terraform (base64gzip, as EC2 receives it), booted by cloud-init (NoCloud) in
// Debian 12 system containers with systemd as PID 1. Nodes talk over a bridge this test creates;
// pyspark, the node's wheels (PyPI's files, from setup-tests' cache) and the s3a jars come from an
// artifacts bucket on a real S3 server (versitygw) on the bridge, staged there by the stage
// command's own code, and are fetched with plain unsigned HTTPS-or-HTTP as from the VPC's bucket; Debian's
// packages are pre-installed in the root (scripts/setup/node-root.sh), so the role's apt step
// finds them and skips apt-get. Then the real job runner clones, pip-installs and runs a PySpark
// job over SSH, with the host key pinned from the master's console. The nodes wait for the run's
// Spark authentication secret, which the test hands them as the CLI does: over SSH, pinned to
// each node's console host key, into a root-only file (src/remote/secret-file.ts).

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { CreateBucketCommand, PutBucketPolicyCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import {
  BridgeNetwork,
  ensureNodeRoot,
  NodeContainer,
  serveDirectory,
} from "../../../scripts/servers/node-container.ts";
import { type S3Server, startS3Server } from "../../../scripts/servers/s3server.ts";
import { resolvConfText, startVpcDns, type VpcDns } from "../../../scripts/servers/twin/dns.ts";
import { hostArchitecture, wheelhouseDir, wheelhouseFiles } from "../../../scripts/setup/node-wheelhouse.ts";
import { infraError } from "../../../src/errors.ts";
import { bundleLocalCode, type ResolvedCode } from "../../../src/job/code.ts";
import { jobLaunch } from "../../../src/job/command.ts";
import { RemoteJob } from "../../../src/job/remote-job.ts";
import { type BootstrapState, bootstrapState, waitForBootstrap } from "../../../src/lifecycle/node-bootstrap.ts";
import { waitForWorkers } from "../../../src/lifecycle/wait-ready.ts";
import { newKeyPair } from "../../../src/remote/keys.ts";
import { writeSecretFile } from "../../../src/remote/secret-file.ts";
import { RemoteNode } from "../../../src/remote/ssh.ts";
import { hostKeyFromConsole, waitForHostKey } from "../../../src/targets/aws/host-key.ts";
import { stageArtifacts } from "../../../src/targets/aws/stage-artifacts.ts";
import { nodeArtifacts } from "../../../stacks/aws/artifacts.ts";
import { nodeLayout } from "../../../stacks/aws/bootstrap.ts";
import type { ClusterOutputs } from "../../../stacks/contract.ts";
import { pythonPackages } from "../../../stacks/shared/node/packages.ts";
import { type BootAttempt, bootWithOneRetry } from "../../helpers/boot-retry.ts";
import { blocks, evaluateWithTerraform, masterIpReference, params, type Synthesized, synthCluster } from "./helpers.ts";

const sparkVersion = "3.5.3";
const mirrorScript = fileURLToPath(new URL("../../../scripts/servers/node-mirror.sh", import.meta.url));
const minutes = (n: number) => n * 60_000;

/** The launch template's user data for a role, evaluated by terraform exactly as EC2 gets it. */
async function evaluatedUserData(config: Synthesized, role: "master" | "worker", masterIp: string): Promise<Buffer> {
  const template = blocks(config, "aws_launch_template").find((lt) => String(lt.name).endsWith(`-${role}`));
  const expression = /^\$\{(.*)\}$/.exec(String(template?.user_data))?.[1];
  assert.ok(expression, `no user data on the ${role}'s launch template`);
  // The stack's own user data locals; only the master's address, which terraform computes from
  // its subnet (a data source: no provider here), becomes the test network's address.
  const locals: Record<string, string> = {};
  for (const [name, value] of Object.entries(config.locals ?? {})) {
    if (name.includes("user_data")) locals[name] = value.replace(masterIpReference, masterIp);
  }
  const { user_data: userData = "" } = await evaluateWithTerraform({ user_data: `\${${expression}}` }, locals);
  return Buffer.from(userData, "base64");
}

/** The console so far; a container whose nspawn has ended will print nothing more: fail now. */
async function readWhileRunning(container: NodeContainer): Promise<string> {
  const text = container.console();
  if (!container.running && hostKeyFromConsole(text).kind === "absent") {
    throw infraError(`container ${container.name} ended before printing its host key`);
  }
  return text;
}

/** Whether cloud-init got as far as running a node's user data (the "final" stage). */
function reachedUserData(container: NodeContainer): boolean {
  return /running 'modules:final'/.test(container.console());
}

function consoleOf(container: NodeContainer) {
  return { node: container.name, read: async () => container.console() };
}

describe("the synthesized user data, booted in Debian 12 system containers", { timeout: minutes(20) }, () => {
  const subnet = `10.213.${Math.floor(Math.random() * 200) + 20}`;
  const masterIp = `${subnet}.10`;
  const scratch = mkdtempSync(join(tmpdir(), "burst-booted-"));
  const containers: NodeContainer[] = [];
  let network: BridgeNetwork | undefined;
  let dns: VpcDns | undefined;
  let closeMirror = async () => {};
  let artifactsServer: S3Server | undefined;
  const artifactsBucket = "burst-main-artifacts-booted";
  const brokenBucket = "burst-main-artifacts-broken";
  let master: NodeContainer;
  let worker: NodeContainer;
  let bootBroken: () => Promise<NodeContainer> = async () => {
    throw new Error("the harness did not start");
  };
  let node: RemoteNode | undefined;
  let mirrorUrl = "";
  let mirrorRequests: string[] = [];
  const privateKeyPath = join(scratch, "id_ed25519");
  const timings: Record<string, number> = {};
  /** Each boot of both nodes, in order: how long it took and how it ended. */
  const attempts: BootAttempt[] = [];
  const steps: string[] = [];
  const sparkAuthSecret = randomBytes(32).toString("hex");

  before(async () => {
    const root = ensureNodeRoot();
    const mirrorDir = execFileSync("bash", [mirrorScript, sparkVersion], { encoding: "utf8" }).trim();
    for (const { path } of wheelhouseFiles(sparkVersion)) {
      assert.ok(existsSync(path), `${path} is cached (bash scripts/setup-tests.sh fetches it from PyPI)`);
    }
    network = new BridgeNetwork(subnet);
    const namespaces = [10, 11, 12].map((host) => (network as BridgeNetwork).addNamespace(host));
    const mirror = await serveDirectory(mirrorDir, network.hostAddress);
    mirrorUrl = mirror.url;
    mirrorRequests = mirror.requests;
    closeMirror = () => new Promise((resolve) => mirror.server.close(() => resolve()));
    // Nodes reach no package index: a job's requirements come from the mirror, as from a site's.
    const pipConfig = join(scratch, "pip.conf");
    writeFileSync(
      pipConfig,
      `[global]\nno-index = true\nfind-links = ${mirror.url}/wheels/\ntrusted-host = ${network.hostAddress}\n`,
    );

    // The subnet's resolver, as the AWS twin's (scripts/servers/twin/dns.ts), on the bridge's address:
    // without one a node keeps the host's, which it cannot reach, and every JVM waits 10 s for its name.
    dns = await startVpcDns({ vpcCidr: network.cidr, region: "eu-west-1", host: network.hostAddress, port: 53 });
    const resolvConf = join(scratch, "resolv.conf");
    writeFileSync(resolvConf, resolvConfText(network.hostAddress, "eu-west-1"));

    const pair = newKeyPair("burst-booted-test");
    const key = { private: pair.privateKey, public: pair.publicKey };
    writeFileSync(privateKeyPath, key.private, { mode: 0o600 });
    chmodSync(privateKeyPath, 0o600);
    // The VPC's artifacts bucket: a real S3 server on the bridge, filled by the stage command's
    // code. Its policy lets anyone read objects; AWS's adds aws:SourceVpce (the VPC's endpoint),
    // which versitygw does not evaluate: here only the test's bridge reaches it.
    artifactsServer = await startS3Server({ host: network.hostAddress });
    const s3 = artifactsServer.client();
    try {
      for (const bucket of [artifactsBucket, brokenBucket]) {
        await s3.send(new CreateBucketCommand({ Bucket: bucket }));
        await s3.send(
          new PutBucketPolicyCommand({
            Bucket: bucket,
            Policy: JSON.stringify({
              Version: "2012-10-17",
              Statement: [
                { Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: `arn:aws:s3:::${bucket}/*` },
              ],
            }),
          }),
        );
      }
      const artifacts = nodeArtifacts(sparkVersion, { mavenRepo: "", architecture: hostArchitecture() });
      // A bucket whose first file is not the one PyPI publishes (what a tampered or truncated copy looks like).
      const first = artifacts[0];
      assert.ok(first);
      await s3.send(new PutObjectCommand({ Bucket: brokenBucket, Key: first.key, Body: "not the wheel" }));
      const staged = await stageArtifacts({
        client: s3,
        bucket: artifactsBucket,
        artifacts,
        sources: [mirrorDir, wheelhouseDir()],
        scratchDir: scratch,
        log: () => {},
      });
      assert.deepEqual(
        staged.map((item) => item.action),
        artifacts.map(() => "uploaded"),
      );
    } finally {
      s3.destroy();
    }

    const stack = (overrides: Parameters<typeof synthCluster>[0]) =>
      synthCluster({
        workers: 1,
        sparkVersion,
        workerCores: 1,
        workerMemory: "1g",
        ttlMinutes: 60,
        expiresAt: new Date(Date.now() + minutes(60)).toISOString(),
        sshPublicKey: key.public,
        sparkConf: {},
        params: { ...params, downloads: "bucket" },
        artifactsUrl: `${artifactsServer?.endpoint}/${artifactsBucket}`,
        ...overrides,
      });
    const cluster = stack({});
    // A node whose bucket holds a file that is not the pinned one, with a one-minute TTL: it must
    // report the mismatch, then power off.
    const failing = stack({ ttlMinutes: 1, artifactsUrl: `${artifactsServer?.endpoint}/${brokenBucket}` });
    bootBroken = async () =>
      boot("burst-broken", namespaces[2] ?? "", await evaluatedUserData(failing, "worker", masterIp));

    const boot = async (name: string, namespace: string, userData: Buffer) => {
      const container = await NodeContainer.boot({
        root,
        name,
        namespace,
        userData,
        publicKey: key.public,
        pipConfig,
        resolvConf,
      });
      containers.push(container);
      return container;
    };
    const masterData = await evaluatedUserData(cluster, "master", masterIp);
    const workerData = await evaluatedUserData(cluster, "worker", masterIp);
    // As the aws target's deliverSecrets does, once each node's console shows its host key.
    const deliver = async (container: NodeContainer, host: string, hostKeyWaitMs: number, signal: AbortSignal) => {
      const hostKey = await waitForHostKey(async () => readWhileRunning(container), {
        instanceId: container.name,
        timeoutMs: hostKeyWaitMs,
        intervalMs: 500,
        signal,
      });
      await writeSecretFile(
        { host, port: 22, user: params.sshUser, privateKeyPath, hostKey },
        nodeLayout.sparkAuthSecretFile,
        sparkAuthSecret,
        { waitMs: minutes(2) },
      );
    };
    /** Waits until both booted nodes have their secret and report ready (the user data ran to its end). */
    const awaitReady = async (hostKeyWaitMs: number, start: number) => {
      const stop = new AbortController();
      try {
        await Promise.all([
          deliver(master, masterIp, hostKeyWaitMs, stop.signal),
          deliver(worker, `${subnet}.11`, hostKeyWaitMs, stop.signal),
          waitForBootstrap([consoleOf(master), consoleOf(worker)], {
            timeoutMs: minutes(10),
            pollMs: 1000,
            signal: stop.signal,
            onProgress: (name, step) => steps.push(`${((Date.now() - start) / 1000).toFixed(1)} s ${name}: ${step}`),
          }),
        ]);
      } catch (error) {
        // The nodes' own account of why, in the test's output: CI keeps nothing else of a container.
        const reports = [master, worker].map((container) => container.report()).join("\n");
        throw new Error(`${(error as Error).message}\n${reports}`, { cause: error });
      } finally {
        stop.abort();
      }
    };
    // At most two boots of both nodes; a second only when a container never got as far as
    // cloud-init's final stage (systemd-nspawn or the container's own boot, not what burst
    // synthesized). Each attempt is counted and reported by its own test below, never silently.
    // A node whose user data ran and still printed no key, or failed, fails at once; so does a
    // boot that throws (the harness could not start a container), with its own error.
    let booted: NodeContainer[] = [];
    await bootWithOneRetry(
      attempts,
      async (number) => {
        const start = Date.now();
        booted = [];
        master = await boot("burst-master", namespaces[0] ?? "", masterData);
        booted.push(master);
        worker = await boot("burst-worker", namespaces[1] ?? "", workerData);
        booted.push(worker);
        try {
          // A node prints its host key seconds into its user data; two minutes is ample.
          await awaitReady(number === 1 ? minutes(2) : minutes(5), start);
          timings.bootToReady = Date.now() - start;
        } finally {
          timings[`bootAttempt${number}`] = Date.now() - start;
        }
      },
      () => {
        if (booted.length < 2) return undefined; // the harness could not start a container
        const stuck = booted.filter((container) => !reachedUserData(container)).map(({ name }) => name);
        return stuck.length > 0 ? `${stuck.join(" and ")} never reached cloud-init's final stage` : undefined;
      },
      async (error) => {
        for (const container of booted) await container.stop();
        // The nodes' reports of the failed attempt, printed with the steps once the file ends.
        steps.push(
          `(attempt ${attempts.length}: ${attempts.at(-1)?.outcome}; booted both again)\n${(error as Error).message}`,
        );
      },
    );
  });

  after(async () => {
    node?.dispose();
    for (const container of containers) await container.stop();
    await closeMirror();
    await artifactsServer?.stop();
    await dns?.stop();
    network?.delete();
    rmSync(scratch, { recursive: true, force: true });
    if (steps.length > 0) console.log(`node steps (since launch):\n  ${steps.join("\n  ")}`);
    console.log(`timings: ${JSON.stringify(timings)}`);
  });

  it("boots both nodes in at most two attempts, and reports how many it took", (t) => {
    const described = attempts.map(
      (attempt, i) => `${i + 1}: ${attempt.outcome} in ${(attempt.ms / 1000).toFixed(0)} s`,
    );
    t.diagnostic(`boot attempts: ${attempts.length} (${described.join("; ")})`);
    assert.equal(attempts.at(-1)?.outcome, "ready");
    assert.ok(attempts.length <= 2, described.join("; "));
  });

  it("runs the role through cloud-init on both nodes: the master and the worker report ready", () => {
    for (const container of [master, worker]) {
      const state: BootstrapState = bootstrapState(container.console());
      assert.equal(state.kind, "ready", `${container.name}: ${container.console().slice(-2000)}`);
    }
    assert.match(master.console(), /burst-step: master install-spark/);
    // pyspark, the wheels and the jars came from the artifacts bucket (its address is the only source
    // the user data names), each checked against its pin: nothing of Spark's from the mirror.
    assert.deepEqual(
      mirrorRequests.filter((path) => path.startsWith("/pypi/") || path.startsWith("/maven2/")),
      [],
    );
    for (const container of [master, worker]) {
      // SPARK_HOME is PyPI's pyspark, installed in the venv drivers and executors run.
      assert.equal(
        container.exec("readlink -f /opt/spark").stdout.trim(),
        "/opt/burst/python/lib/python3.11/site-packages/pyspark",
        container.name,
      );
      const installed = container.exec("ls /opt/spark/jars").stdout;
      assert.match(installed, /^hadoop-aws-3\.3\.4\.jar$/m, container.name);
      assert.match(installed, /^aws-java-sdk-bundle-1\.12\.262\.jar$/m, container.name);
    }
  });

  it("registers the worker with the master, asked over SSH with the host key the master printed", async () => {
    const reading = hostKeyFromConsole(master.console());
    assert.equal(reading.kind, "found");
    const hostKey = reading.kind === "found" ? reading.hostKey : "";
    node = await RemoteNode.connect(
      { host: masterIp, port: 22, user: params.sshUser, privateKeyPath, hostKey },
      { waitMs: 60_000 },
    );
    const outputs = { uiUrl: `http://localhost:${nodeLayout.masterUiPort}` } as ClusterOutputs;
    assert.equal(await waitForWorkers(node, outputs, 1, { timeoutMs: minutes(2), pollMs: 1000 }), 1);
  });

  it("starts Spark with authentication on, the delivered secret readable by root and group spark only", async () => {
    assert.ok(node);
    for (const container of [master, worker]) {
      assert.match(container.console(), /burst-step: \S+ await-secret/);
      assert.ok(!container.console().includes(sparkAuthSecret), `${container.name}: the secret is not on the console`);
      const file = container.exec(`stat -c '%a %U %G' ${nodeLayout.sparkAuthSecretFile}`).stdout.trim();
      assert.equal(file, "600 root root");
      const conf = container.exec("stat -c '%a %U %G' /opt/spark/conf/spark-defaults.conf").stdout.trim();
      assert.equal(conf, "640 root spark", `${container.name}: spark-defaults.conf`);
      const defaults = container.exec("cat /opt/spark/conf/spark-defaults.conf").stdout;
      assert.match(defaults, /^spark\.authenticate true$/m);
      assert.ok(defaults.includes(`spark.authenticate.secret ${sparkAuthSecret}\n`), "the secret went into the conf");
      const logged = container.exec(`grep -rlF ${sparkAuthSecret} /var/lib/burst/bootstrap.log /var/log || true`);
      assert.equal(logged.stdout.trim(), "", `${container.name}: no log holds the secret`);
    }
    // The job's user reads the conf through group spark (the role added it), without sudo.
    const asUser = await node.check("id -nG && head -c 0 /opt/spark/conf/spark-defaults.conf && echo readable", "id");
    assert.match(asUser, /\bspark\b/);
    assert.match(asUser, /readable/);
  });

  it("writes env.sh for the job runner and arms the TTL guard's timer", async () => {
    assert.ok(node);
    const env = await node.check(`cat ${nodeLayout.workDir}/env.sh`, "reading env.sh");
    assert.match(env, /^export SPARK_HOME='\/opt\/spark'$/m);
    assert.match(env, /^export PYSPARK_PYTHON='\/opt\/burst\/python\/bin\/python'$/m);
    const timers = await node.check("systemctl list-timers --all --no-legend burst-ttl.timer", "listing timers");
    assert.match(timers, /burst-ttl\.timer/);
    const git = await node.check("git --version && /opt/burst/python/bin/python -m pip --version", "tools");
    assert.match(git, /git version/);
    // The data-science runtime every target has: PySpark's extras for ML, SQL and the pandas API.
    const versions = await node.check(
      `/opt/burst/python/bin/python -c 'import numpy, pandas, pyarrow; print(numpy.__version__, pandas.__version__, pyarrow.__version__)'`,
      "importing numpy, pandas and pyarrow",
    );
    const pinned = pythonPackages(sparkVersion).filter((spec) => /^(numpy|pandas|pyarrow)==/.test(spec));
    assert.equal(pinned.length, 3);
    assert.equal(versions.trim(), pinned.map((spec) => spec.split("==")[1]).join(" "));
  });

  it("clones a repository, installs its requirements and runs a PySpark job through the real job runner", async () => {
    assert.ok(node);
    const repo = join(scratch, "repo");
    execFileSync("git", ["init", "--quiet", repo]);
    writeFileSync(
      join(repo, "requirements.txt"),
      `--no-index\n--trusted-host ${new URL(mirrorUrl).hostname}\n--find-links ${mirrorUrl}/wheels/\nburst-probe==1.0\n`,
    );
    writeFileSync(
      join(repo, "job.py"),
      [
        "import socket",
        "import burst_probe",
        "from pyspark.sql import SparkSession",
        "spark = SparkSession.builder.getOrCreate()",
        "rdd = spark.sparkContext.parallelize(range(1000), 4)",
        "hosts = sorted(set(rdd.map(lambda _: socket.gethostname()).collect()))",
        "auth = spark.sparkContext.getConf().get('spark.authenticate')",
        "print(f'{burst_probe.greeting()} sum={rdd.map(lambda x: x * 2).sum()} executors={hosts} auth={auth}')",
        "spark.stop()",
        "",
      ].join("\n"),
    );
    const gitIn = (...args: string[]) =>
      execFileSync("git", ["-C", repo, "-c", "user.name=t", "-c", "user.email=t@t", ...args], { encoding: "utf8" });
    gitIn("add", ".");
    gitIn("commit", "--quiet", "-m", "job");
    const sha = gitIn("rev-parse", "HEAD").trim();
    const code: ResolvedCode = { displayRepo: repo, ref: "HEAD", sha, source: { kind: "local", path: repo } };

    const started = Date.now();
    const job = new RemoteJob(node, nodeLayout.workDir, "");
    assert.equal(await job.stageCode(code, await bundleLocalCode(code, join(scratch, "bundle"))), sha);
    const installed = await job.installPythonDependencies({
      requirementsFile: "requirements.txt",
      packages: [],
      logFolder: "pip",
    });
    assert.ok(installed.ok, `pip install failed: ${installed.ok ? "" : installed.tail}`);
    const pythonPath = installed.folder;
    const launch = jobLaunch(
      { type: "pyspark", entrypoint: "job.py", args: [], conf: {}, env: {}, timeoutMinutes: 0 },
      {
        name: "booted",
        runId: "booted-test",
        step: "main",
        sparkMasterUrl: `spark://${masterIp}:${nodeLayout.masterPort}`,
        resultsUri: "s3://unused/",
      },
      { packages: [], jars: [], pythonPath },
    );
    await job.launch(launch, "1");
    const lines: string[] = [];
    const outcome = await job.follow({
      onLine: (stream, line) => lines.push(`${stream}: ${line}`),
      timeoutMs: minutes(5),
      reconnect: async () => {
        throw new Error("the SSH connection dropped");
      },
    });
    timings.job = Date.now() - started;
    assert.equal(outcome.exitCode, 0, lines.slice(-30).join("\n"));
    assert.ok(
      lines.includes("stdout: hello from burst_probe sum=999000 executors=['burst-worker'] auth=true"),
      lines.slice(-30).join("\n"),
    );
  });

  it("reports a failed bootstrap with its node, step and log tail, then the short TTL powers that node off only", async () => {
    const broken = await bootBroken();
    await assert.rejects(
      waitForBootstrap([consoleOf(broken)], { timeoutMs: minutes(3), pollMs: 1000 }),
      (error: Error) => {
        assert.match(error.message, /node burst-broken failed its bootstrap at step install-spark/);
        assert.match(
          error.message,
          /checksum mismatch for http:\/\/[\d.:]+\/burst-main-artifacts-broken\/pypi\/wheel-[\d.]+-py3-none-any\.whl: its sha256 is [0-9a-f]{64}, the pinned one [0-9a-f]{64}/,
        );
        return true;
      },
    );
    assert.equal(broken.exec("cat /var/lib/burst/bootstrap.failed").stdout, "install-spark 1\n");
    assert.equal(broken.exec("test -e /var/lib/burst/bootstrap.ready").code, 1);
    // ttlMinutes 1: the transient TTL timer fires a minute after the role armed it.
    assert.equal(await broken.exited(minutes(3)), true, "the failed node powered itself off at its TTL");
    assert.equal(master.running && worker.running, true, "the other nodes keep running");
  });
});
