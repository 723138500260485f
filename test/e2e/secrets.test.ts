// Secrets never leave the places they are meant for. Canaries are planted wherever a user puts a
// secret (a job env var, a secret Spark property, AWS keys and a Consul token in the CLI's
// environment, a token in the repo URL), a real local burst runs with them, and every artifact
// is scanned: stdout, stderr, the --json events, the manifest, every uploaded object, the run
// folder (logs, stack, terraform state and log, record) and the Consul KV, for each canary's
// literal, URL-encoded and base64 forms. While terraform applies and while the job runs, the
// environment of every process of the run (/proc/<pid>/environ) holds no canary given to the
// CLI's environment; Spark's own work and temp files (executor logs, the event log in progress,
// /tmp/spark-*) are read mid-job. SSH private keys stay 0600 inside the run folder's keys/. The run's own
// Spark authentication secret, which the job hands to the test through a folder outside
// BURST_HOME, is scanned for the same way.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, lstatSync, readdirSync, readFileSync, statSync } from "node:fs";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { after, before, describe, test } from "node:test";
import { type ConsulAgent, startConsulAgent } from "../../scripts/servers/consul.ts";
import {
  assertNoLeftovers,
  burst,
  makeRepo,
  parseEvents,
  type RunProcess,
  runDirs,
  runProcesses,
  startBurst,
  tempBurstHome,
  writeSpec,
} from "../helpers/burst.ts";

const canary = (what: string) => `canary${what}${randomBytes(8).toString("hex")}`;
// "+/=" as in real AWS secret keys: URL-encoding changes them, so that form differs from the literal.
const canaries: {
  [name: string]: string;
  jobEnv: string;
  sparkConf: string;
  gitToken: string;
  awsSecret: string;
  consulToken: string;
  cliEnv: string;
} = {
  jobEnv: canary("jobenv"),
  sparkConf: canary("sparkconf"),
  awsSecret: `${canary("awssecret")}+/=`,
  consulToken: `${canary("consultoken")}+/=`,
  cliEnv: `${canary("clienv")}+/=`,
  gitToken: canary("gittoken"),
};
/** The canaries given to the CLI's environment: no process burst starts may hold them. */
const cliEnvCanaries = { awsSecret: canaries.awsSecret, consulToken: canaries.consulToken, cliEnv: canaries.cliEnv };
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** Every regular file below `dir` (symlinks not followed: the shared runtime cache is one). */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const files: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    const stat = lstatSync(path, { throwIfNoEntry: false });
    if (!stat || stat.isSymbolicLink()) continue;
    if (stat.isDirectory()) files.push(...filesUnder(path));
    else if (stat.isFile()) files.push(path);
  }
  return files;
}

/**
 * Spark's own files while the job runs, which go when the cluster stops: the nodes' work folders
 * (executors' stdout/stderr, the event log still in progress) and the temp folders Spark makes in
 * /tmp (driver and executor scratch, block managers) since the run started.
 */
function sparkWorkFiles(runDir: string, since: number): string[] {
  const temp = readdirSync("/tmp")
    .filter((entry) => /^(spark|blockmgr)-/.test(entry))
    .map((entry) => join("/tmp", entry))
    .filter((path) => (lstatSync(path, { throwIfNoEntry: false })?.mtimeMs ?? 0) >= since);
  const nodeConf = /\/nodes\/[^/]+\/conf\//;
  return [join(runDir, "nodes"), ...temp].flatMap((dir) => {
    try {
      // Not the nodes' conf/: spark-defaults.conf is where the run's auth secret is meant to be while
      // the cluster is up (the scan after the run shows it gone from there).
      return filesUnder(dir).filter((file) => !nodeConf.test(file));
    } catch {
      return []; // another run's temp folder, removed while listed
    }
  });
}

/** A value as it may leak: literally, URL-encoded, or inside base64 (and base64url) at each byte alignment. */
function encodedForms(value: string): string[] {
  const base64 = [0, 1, 2].map((shift) => {
    const encoded = Buffer.from(`${"x".repeat(shift)}${value}`).toString("base64");
    // Leave out the characters that also encode bytes of the text around the value.
    return encoded.slice(shift === 0 ? 0 : 4, -4);
  });
  const base64url = base64.map((form) => form.replaceAll("+", "-").replaceAll("/", "_"));
  return [...new Set([value, encodeURIComponent(value), ...base64, ...base64url])];
}

/** "<where>: <canary name>" for every canary found in `text`, in any of its encoded forms. */
function leaks(where: string, text: string, among: Record<string, string> = canaries): string[] {
  return Object.entries(among)
    .filter(([, value]) => value !== "" && encodedForms(value).some((form) => text.includes(form)))
    .map(([name]) => `${where}: ${name}`);
}

/** "<pid> <command>: <canary name>" for every CLI-environment canary in a run process's environment. */
function environLeaks(processes: readonly RunProcess[]): string[] {
  return processes.flatMap((found) =>
    leaks(`${found.pid} ${found.args.slice(0, 120)}`, found.environ.join("\n"), cliEnvCanaries),
  );
}

// The job proves it received its secrets by printing their hashes, never the values. With its
// executors up it waits for the test to read every process's environment (GATE appears).
const job = `import hashlib, os, time
from pyspark.sql import SparkSession
spark = SparkSession.builder.getOrCreate()
digest = lambda text: hashlib.sha256(text.encode()).hexdigest()
print("env digest", digest(os.environ.get("JOB_TOKEN", "")))
print("conf digest", digest(spark.sparkContext.getConf().get("spark.my.secret.password", "")))
print("rows", spark.range(10).count())
# Where the run's Spark auth stands, for the test; the secret itself goes to a file outside burst's reach.
conf = spark.sparkContext.getConf()
print("authenticate", conf.get("spark.authenticate", "false"))
with open(os.path.join(os.environ["PROBE_DIR"], "spark-auth"), "w") as probe:
    probe.write(conf.get("spark.authenticate.secret", ""))
print("waiting for the environment scan", flush=True)
while not os.path.exists(os.environ["GATE"]):
    time.sleep(0.2)
spark.stop()
`;

/** What the scans of /proc saw: the processes of the run at each moment. */
interface EnvironScans {
  apply: RunProcess[];
  job: RunProcess[];
}

describe("secrets: canaries never reach an artifact", { concurrency: false }, () => {
  let consul: ConsulAgent;
  let home: string;
  let runDir: string;
  let stdout: string;
  let stderr: string;
  let code: number | null;
  const scans: EnvironScans = { apply: [], job: [] };
  let probeDir: string;
  /** Spark's work and temp files read mid-job (path → what leaked from it). */
  const sparkFiles = { scanned: [] as string[], found: [] as string[] };

  before(async () => {
    consul = await startConsulAgent();
    home = await tempBurstHome();
    const gate = join(await mkdtemp(join(tmpdir(), "burst-secrets-gate-")), "scanned");
    probeDir = await mkdtemp(join(tmpdir(), "burst-secrets-probe-"));
    const repo = await makeRepo({ "job.py": job });
    const spec = await writeSpec(`name: secrets
code: { repo: ${repo.dir} }
job:
  type: pyspark
  entrypoint: job.py
  env: { JOB_TOKEN: "${canaries.jobEnv}", GATE: ${gate}, PROBE_DIR: ${probeDir} }
  conf: { spark.my.secret.password: "${canaries.sparkConf}" }
cluster: { workers: 1 }
results: s3://secrets/runs/
`);
    const scan = async () => {
      const [dir] = await runDirs(home);
      return dir ? runProcesses(dir, [child.pid ?? 0]) : [];
    };
    const started = Date.now();
    const child = startBurst([spec, "--json", "--verbose"], {
      burstHome: home,
      env: {
        ...consul.env(),
        CONSUL_HTTP_TOKEN: canaries.consulToken,
        AWS_ACCESS_KEY_ID: "AKIACANARYKEYID",
        AWS_SECRET_ACCESS_KEY: canaries.awsSecret,
        DEPLOY_TOKEN: canaries.cliEnv,
      },
      onLine: (line, stream) => {
        if (stream !== "stdout") return;
        // Mid-apply (terraform and the node scripts alive), and mid-job (daemons, executors).
        if (scans.apply.length === 0 && line.includes('"type":"resource-start"')) {
          void scan().then((found) => {
            if (scans.apply.length === 0) scans.apply = found;
          });
        }
        if (line.includes("waiting for the environment scan")) {
          void scan()
            .then(async (found) => {
              scans.job = found;
              // The job wrote the run's Spark auth secret before this line: it is scanned for too.
              canaries.sparkAuthSecret = await readFile(join(probeDir, "spark-auth"), "utf8").catch(() => "");
              const [dir = ""] = await runDirs(home);
              for (const file of sparkWorkFiles(dir, started - 1000)) {
                const text = (() => {
                  try {
                    return readFileSync(file, "latin1");
                  } catch {
                    return undefined; // removed while read (another run's temp file)
                  }
                })();
                if (text === undefined) continue;
                sparkFiles.scanned.push(file.startsWith(dir) ? relative(dir, file) : file);
                sparkFiles.found.push(...leaks(file, text));
              }
            })
            .finally(() => writeFile(gate, ""));
        }
      },
    });
    const result = await child.done;
    ({ stdout, stderr, code } = result);
    [runDir = ""] = await runDirs(home);
    // From here on the run's Spark auth secret is scanned for like every canary.
    canaries.sparkAuthSecret = await readFile(join(probeDir, "spark-auth"), "utf8").catch(() => "");
  });

  after(async () => {
    await consul?.stop();
  });

  test("the run succeeds and the job received its secrets", () => {
    assert.equal(code, 0, stderr);
    const lines = parseEvents(stdout)
      .filter((event) => event.type === "job-log")
      .map((event) => String(event.line));
    assert.ok(lines.includes(`env digest ${sha256(canaries.jobEnv)}`), lines.join("\n"));
    assert.ok(lines.includes(`conf digest ${sha256(canaries.sparkConf)}`), lines.join("\n"));
  });

  test("Spark ran with authentication on, with a per-run secret from outside the stack", () => {
    const lines = parseEvents(stdout)
      .filter((event) => event.type === "job-log")
      .map((event) => String(event.line));
    assert.ok(lines.includes("authenticate true"), lines.join("\n"));
    assert.ok(lines.includes("rows 10"), "executors on the worker authenticated and ran the job");
    assert.match(canaries.sparkAuthSecret ?? "", /^[0-9a-f]{64}$/, "the driver had the run's 256-bit secret");
    assert.deepEqual(existsSync(join(runDir, "secrets", "spark-auth")), false, "the secret file went with the cluster");
  });

  test("while terraform applies, terraform and the node scripts hold no canary of the CLI's environment", () => {
    const terraform = scans.apply.filter((found) => /terraform (apply|destroy)/.test(found.args));
    assert.ok(terraform.length > 0, `terraform was seen mid-apply:\n${scans.apply.map((p) => p.args).join("\n")}`);
    assert.deepEqual(environLeaks(scans.apply), []);
  });

  test("while the job runs, no daemon, executor, sshd, S3 server or TTL guard holds a canary of the CLI's environment", () => {
    const seen = (pattern: RegExp, what: string) =>
      assert.ok(
        scans.job.some((found) => pattern.test(found.args)),
        `${what} was among the run's processes:\n${scans.job.map((p) => p.args).join("\n")}`,
      );
    seen(/org\.apache\.spark\.deploy\.master\.Master/, "the Spark master");
    seen(/org\.apache\.spark\.deploy\.worker\.Worker/, "a Spark worker");
    seen(/CoarseGrainedExecutorBackend/, "an executor");
    seen(/sshd.*-f \S*sshd_config/, "the run's sshd");
    seen(/versitygw|posix/, "the S3 server");
    seen(/done; for node in .*stop-node\.sh/, "the TTL guard");
    assert.deepEqual(environLeaks(scans.job), []);
  });

  test("stdout, stderr and the --json events hold no canary", () => {
    assert.deepEqual([...leaks("stdout", stdout), ...leaks("stderr", stderr)], []);
  });

  test("no file the run wrote holds a canary: run folder, stack, state, logs, manifest, uploaded objects", () => {
    const found: string[] = [];
    const scanned: string[] = [];
    for (const file of filesUnder(home)) {
      scanned.push(relative(home, file));
      found.push(...leaks(relative(home, file), readFileSync(file, "latin1")));
    }
    // What must have been scanned for this to mean anything.
    const runPath = relative(home, runDir);
    for (const expected of [
      `${runPath}/run.json`,
      `${runPath}/terraform.log`,
      `${runPath}/stack/stacks/cluster/cdk.tf.json`,
      `${runPath}/stack/stacks/cluster/terraform.tfstate`,
      `${runPath}/results/manifest.json`,
      `${runPath}/logs/job-stdout.log`,
    ]) {
      assert.ok(scanned.includes(expected), `${expected} was scanned`);
    }
    const runId = runDir.split("/").pop();
    const uploads = scanned.filter((path) => path.startsWith(`local/s3/secrets/runs/secrets/${runId}/`));
    assert.ok(
      uploads.some((path) => path.endsWith("/manifest.json")),
      uploads.join("\n"),
    );
    assert.ok(
      uploads.some((path) => path.includes("/logs/eventlog/")),
      "the Spark event log was uploaded",
    );
    assert.deepEqual(found, []);
  });

  test("while the job runs, Spark's work and temp files (executor logs, event log in progress, /tmp/spark-*) hold no canary", () => {
    const { scanned, found } = sparkFiles;
    // What must have been read for this to mean anything.
    assert.ok(canaries.sparkAuthSecret, "the run's Spark auth secret was scanned for");
    assert.ok(
      scanned.some((path) => /^nodes\/master\/work\/eventlog\/.*\.inprogress$/.test(path)),
      `the event log in progress was scanned:\n${scanned.join("\n")}`,
    );
    assert.ok(
      scanned.some((path) => /^nodes\/worker-1\/work\/app-[^/]+\/\d+\/stderr$/.test(path)),
      "an executor's stderr in the worker's work folder was scanned",
    );
    assert.ok(
      scanned.some((path) => path.startsWith("/tmp/spark-")),
      "a Spark temp folder in /tmp was scanned",
    );
    assert.deepEqual(found, []);
  });

  test("the Consul KV holds no canary", async () => {
    const kv = await consul.kv("");
    const found = [...kv].flatMap(([key, value]) => leaks(`consul ${key}`, `${key}\n${value}`));
    assert.deepEqual(found, []);
  });

  test("SSH private keys are 0600 and only in the run folder's keys/", () => {
    const keyFiles: string[] = [];
    for (const file of filesUnder(home)) {
      if (!readFileSync(file, "latin1").includes("BEGIN OPENSSH PRIVATE KEY")) continue;
      keyFiles.push(relative(runDir, file));
      assert.ok(file.startsWith(join(runDir, "keys")), `${file} holds a private key outside keys/`);
      assert.equal(statSync(file).mode & 0o777, 0o600, `${file} is 0600`);
    }
    assert.deepEqual(keyFiles.sort(), ["keys/host_ed25519", "keys/id_ed25519"]);
    assert.equal(statSync(join(runDir, "keys")).mode & 0o777, 0o700);
  });

  test("the run left nothing behind", async () => {
    await assertNoLeftovers(runDir);
  });
});

describe("secrets: a token in the repo URL (dry run)", () => {
  const url = `https://burst-bot:${canaries.gitToken}@git.example.invalid/org/jobs.git`;
  const commit = "0123456789abcdef0123456789abcdef01234567";

  test("the plan, the resolved spec and the events show the URL without its token", async () => {
    const home = await tempBurstHome();
    const tmp = await mkdtemp(join(tmpdir(), "burst-secrets-tmp-"));
    const spec = await writeSpec(`name: token-url
code: { repo: "${url}", ref: ${commit} }
job: { type: pyspark, entrypoint: main.py }
cluster: { workers: 2 }
results: s3://secrets/runs/
`);
    for (const args of [
      [spec, "--dry-run"],
      [spec, "--dry-run", "--json", "--verbose"],
      ["validate", spec],
    ]) {
      const result = await burst(args, { burstHome: home, env: { TMPDIR: tmp } });
      assert.equal(result.code, 0, `${args.join(" ")}\n${result.stderr}`);
      const output = `${result.stdout}\n${result.stderr}`;
      assert.match(output, /https:\/\/\*\*\*@git\.example\.invalid\/org\/jobs\.git/, `${args.join(" ")} shows the URL`);
      assert.deepEqual(leaks(args.join(" "), output), []);
    }
    assert.deepEqual(await runDirs(home), [], "a dry run creates no run folder");
    const found = [...filesUnder(home), ...filesUnder(tmp)].flatMap((file) =>
      leaks(file, readFileSync(file, "latin1")),
    );
    assert.deepEqual(found, []);
  });
});
