// component: consul, the real CLI
// The bad-input catalogue, through the real CLI: command-line flags, the spec, config/*.yml,
// Consul values (a real agent) and the environment. Each case must fail with a message that
// names the problem and where it is (file:line:col, key, flag or variable), exit 2 for bad input
// or 3 for a broken machine, and provision nothing: no run folder, or one without resources in
// its terraform state. The spec module has its own ~70-case catalogue (test/runspec); ten
// representatives of it run here end to end.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { chmod, cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type ConsulAgent, startConsulAgent } from "../../scripts/servers/consul.ts";
import { burst, makeRepo, repoRoot, runDirs, tempBurstHome, writeSpec } from "../helpers/burst.ts";

type Group = "cli" | "spec" | "config" | "consul" | "environment";

interface Context {
  /** A folder holding a valid spec (spark.yml) and its repository. */
  readonly specFile: string;
  readonly repo: string;
  readonly consul: ConsulAgent;
}

interface Case {
  readonly group: Group;
  readonly title: string;
  /** CLI arguments; "SPEC" is replaced by the case's spec file. Default: [SPEC] (a real run). */
  readonly args?: readonly string[];
  /** The spec's YAML, REPO replaced by the repository folder. Default: a valid shell job. */
  readonly spec?: string;
  /** Edits to a copy of config/: file name → new text, or an edit of the shipped text. */
  readonly config?: Readonly<Record<string, string | ((shipped: string) => string)>>;
  /** Consul KV values, keyed relative to a prefix of the case's own. */
  readonly consul?: Readonly<Record<string, string>>;
  readonly env?: (context: Context) => Promise<Record<string, string | undefined>> | Record<string, string | undefined>;
  readonly exit: 2 | 3;
  /** What the message says. */
  readonly says: RegExp;
  /** Where: file:line[:col], the key, the flag or the variable. */
  readonly at: RegExp;
  /** A hint that must be shown. */
  readonly hint?: RegExp;
}

const VALID = `name: bad-input
code: { repo: REPO }
job: { type: shell, entrypoint: job.sh }
cluster: { workers: 0 }
results: s3://bad-input/runs/
`;

/** The valid spec with `key: value` lines replaced or added under their section. */
const specWith = (lines: string): string => VALID.replace("cluster: { workers: 0 }\n", lines);

const replace = (from: string | RegExp, to: string) => (text: string) => {
  const edited = text.replace(from, to);
  assert.notEqual(edited, text, `config edit ${from} applies`);
  return edited;
};

const catalogue: readonly Case[] = [
  // ---- command line
  {
    group: "cli",
    title: "an unknown flag",
    args: ["SPEC", "--bogus"],
    exit: 2,
    says: /Unknown option '--bogus'/,
    at: /--bogus/,
  },
  {
    group: "cli",
    title: "--target with an unknown target",
    args: ["SPEC", "--target", "bogus"],
    exit: 2,
    says: /--target must be "local" or "aws", found "bogus"/,
    at: /--target/,
  },
  {
    group: "cli",
    title: "--target without its value",
    args: ["SPEC", "--target"],
    exit: 2,
    says: /argument missing/,
    at: /--target/,
  },
  { group: "cli", title: "no spec file", args: [], exit: 2, says: /a spec file is required/, at: /spark\.yml/ },
  {
    group: "cli",
    title: "two spec files",
    args: ["SPEC", "SPEC"],
    exit: 2,
    says: /unexpected argument ".*spark\.yml"; one spec file per run/,
    at: /spark\.yml/,
  },
  {
    group: "cli",
    title: "a spec file that does not exist",
    args: ["/nonexistent/spark.yml"],
    exit: 2,
    says: /spec file not found/,
    at: /\/nonexistent\/spark\.yml/,
  },
  {
    group: "cli",
    title: "a folder instead of a spec file",
    args: ["/tmp"],
    exit: 2,
    says: /is a directory, not a spec file/,
    at: /\/tmp/,
  },
  {
    group: "cli",
    title: "--env naming an environment the spec does not define",
    args: ["SPEC", "--env", "prod"],
    exit: 2,
    says: /unknown environment "prod"/,
    at: /spark\.yml.*--env|--env.*spark\.yml/,
  },
  {
    group: "cli",
    title: "--block on a spec that has no blocks",
    args: ["SPEC", "--block", "etl"],
    exit: 2,
    says: /expected a legacy spec/,
    at: /--block etl/,
  },
  {
    group: "cli",
    title: "validate with two files",
    args: ["validate", "SPEC", "SPEC"],
    exit: 2,
    says: /unexpected argument/,
    at: /validate <spark\.yml>/,
  },
  { group: "cli", title: "status without a run id", args: ["status"], exit: 2, says: /usage/, at: /status <run-id>/ },
  {
    group: "cli",
    title: "down of an unknown run",
    args: ["down", "20990101-000000-dead"],
    exit: 2,
    says: /no run "20990101-000000-dead" on this machine/,
    at: /20990101-000000-dead/,
    hint: /burst -- list/,
  },
  {
    group: "cli",
    title: "logs of an unknown run",
    args: ["logs", "no-such-run"],
    exit: 2,
    says: /no run "no-such-run"/,
    at: /no-such-run/,
  },
  {
    group: "cli",
    title: "gc with an extra argument",
    args: ["gc", "now"],
    exit: 2,
    says: /unexpected argument "now" after gc/,
    at: /gc/,
  },
  {
    group: "cli",
    title: "list with an extra argument",
    args: ["list", "all"],
    exit: 2,
    says: /unexpected argument "all" after list/,
    at: /list/,
  },

  // ---- the spec (representatives of test/runspec/bad-specs.test.ts)
  {
    group: "spec",
    title: "a tab used for indentation",
    spec: "name: bad-input\ncode:\n\trepo: REPO\n",
    exit: 2,
    says: /invalid YAML/,
    at: /spark\.yml:3:1/,
    hint: /indent with spaces/,
  },
  {
    group: "spec",
    title: "a misspelled key suggests the right one",
    spec: specWith("cluster: { wrokers: 0 }\n"),
    exit: 2,
    says: /unknown key "wrokers"/,
    at: /spark\.yml:4:\d+: cluster\.wrokers/,
    hint: /did you mean 'workers'/,
  },
  {
    group: "spec",
    title: "a word where a number belongs",
    spec: specWith("cluster: { workers: many }\n"),
    exit: 2,
    says: /found string "many"/,
    at: /spark\.yml:4:\d+: cluster\.workers/,
  },
  {
    group: "spec",
    title: "a negative worker count",
    spec: specWith("cluster: { workers: -1 }\n"),
    exit: 2,
    says: /expected an integer from 0 to 1000, found -1/,
    at: /spark\.yml:4:\d+: cluster\.workers/,
  },
  {
    group: "spec",
    title: "no job and no steps",
    spec: "name: bad-input\ncode: { repo: REPO }\nresults: s3://bad-input/runs/\n",
    exit: 2,
    says: /expected required key "job" \(mapping\) or "steps"/,
    at: /spark\.yml:1:1: job/,
  },
  {
    group: "spec",
    title: "a pyspark job on zero workers",
    spec: specWith("cluster: { workers: 0 }\n").replace(
      "type: shell, entrypoint: job.sh",
      "type: pyspark, entrypoint: job.py",
    ),
    exit: 2,
    says: /expected at least 1 worker for a pyspark job, found 0/,
    at: /spark\.yml:\d+:\d+: cluster\.workers/,
  },
  {
    group: "spec",
    title: "results that are not an S3 URI",
    spec: VALID.replace("s3://bad-input/runs/", "https://example.com/runs/"),
    exit: 2,
    says: /expected an s3:\/\/ URI like s3:\/\/bucket\/prefix\/, found string "https:/,
    at: /spark\.yml:5:\d+: results/,
  },
  {
    group: "spec",
    title: "a job timeout longer than the cluster TTL",
    spec: VALID.replace("entrypoint: job.sh", "entrypoint: job.sh, timeoutMinutes: 500").replace(
      "cluster: { workers: 0 }",
      "cluster: { workers: 0, ttlMinutes: 60 }",
    ),
    exit: 2,
    says: /expected at most cluster\.ttlMinutes \(60\), found 500/,
    at: /spark\.yml:3:\d+: job\.timeoutMinutes/,
  },
  {
    group: "spec",
    title: "a jar job without its main class",
    spec: specWith("cluster: { workers: 1 }\n").replace(
      "type: shell, entrypoint: job.sh",
      "type: jar, entrypoint: job.jar",
    ),
    exit: 2,
    says: /expected a main class for a jar job/,
    at: /spark\.yml:3:\d+: job\.class/,
  },
  {
    group: "spec",
    title: "worker memory without a unit",
    spec: specWith("cluster: { workers: 0, worker: { memory: '2' } }\n"),
    exit: 2,
    says: /memory size/,
    at: /spark\.yml:4:\d+: cluster\.worker\.memory/,
    hint: /2m or 2g/,
  },

  // ---- config/*.yml (a copy, pointed to by BURST_CONFIG_DIR)
  {
    group: "config",
    title: "defaults.yml: a word where a number belongs",
    config: { "defaults.yml": replace(/ {2}workers: \d+/, "  workers: many") },
    exit: 2,
    says: /"many" is not a whole number/,
    at: /defaults\.yml:\d+:\d+: defaults\/workers/,
  },
  {
    group: "config",
    title: "defaults.yml: a TTL below the minimum",
    config: { "defaults.yml": replace(/ttlMinutes: \d+/, "ttlMinutes: 1") },
    exit: 2,
    says: /1 is out of range: expected a whole number from 5 to 10080/,
    at: /defaults\.yml:\d+:\d+: defaults\/ttlMinutes/,
  },
  {
    group: "config",
    title: "defaults.yml: results that are not an S3 URI",
    config: { "defaults.yml": replace(/results: .*/, "results: ftp://example.com/runs/") },
    exit: 2,
    says: /"ftp:\/\/example\.com\/runs\/" is not an S3 URI/,
    at: /defaults\.yml:\d+:\d+: defaults\/results/,
  },
  {
    group: "config",
    title: "defaults.yml: a Spark version that is not a release",
    config: { "defaults.yml": replace(/spark: [\d.]+/, "spark: latest") },
    exit: 2,
    says: /"latest" is not a Spark version like 3\.5\.3/,
    at: /defaults\.yml:\d+:\d+: defaults\/spark/,
  },
  {
    group: "config",
    title: "aws.yml: the region removed, for an aws run",
    config: { "aws.yml": replace(/ {2}region: .*\n/, "") },
    args: ["SPEC", "--target", "aws", "--dry-run"],
    exit: 2,
    says: /is not set \(looked at BURST_AWS_REGION and config files in/,
    at: /aws\/region/,
  },
  {
    group: "config",
    title: "local.yml: a memory size without a unit",
    config: { "local.yml": replace(/workerMemory: \w+/, "workerMemory: lots") },
    exit: 2,
    says: /"lots" is not a Spark memory size like 512m or 2g/,
    at: /local\.yml:\d+:\d+: local\/workerMemory/,
  },
  {
    group: "config",
    title: "local.yml: zero cores",
    config: { "local.yml": replace(/workerCores: \d+/, "workerCores: 0") },
    exit: 2,
    says: /0 is out of range: expected a whole number from 1 to 256/,
    at: /local\.yml:\d+:\d+: local\/workerCores/,
  },
  {
    group: "config",
    title: "local.yml: a misspelled key is not silently ignored",
    config: { "local.yml": replace("workerMemory:", "workerMemroy:") },
    exit: 2,
    says: /unknown parameter: did you mean 'local\/workerMemory'/,
    at: /local\.yml:\d+:\d+: local\/workerMemroy/,
  },
  {
    group: "config",
    title: "local.yml: a tab used for indentation",
    config: { "local.yml": "local:\n\tworkerCores: 1\n" },
    exit: 2,
    says: /invalid YAML/,
    at: /local\.yml:2:1/,
  },
  {
    group: "config",
    title: "local.yml: a list instead of sections",
    config: { "local.yml": "- workerCores\n- workerMemory\n" },
    exit: 2,
    says: /must be a map of sections/,
    at: /local\.yml:1:1/,
  },
  {
    group: "config",
    title: "a misspelled section",
    config: { "local.yml": replace(/^local:/m, "locale:") },
    exit: 2,
    says: /unknown parameter: did you mean 'local\/workerCores'/,
    // Two keys of the section are unknown: the message lists both, each with its file:line.
    at: /locale\/workerCores: .*local\.yml:\d+\)[\s\S]*locale\/workerMemory: .*local\.yml:\d+\)/,
  },
  {
    group: "config",
    title: "a key defined in two files",
    config: { "extra.yml": "local:\n  workerCores: 2\n" },
    exit: 2,
    says: /local\/workerCores is defined twice \(first at .*extra\.yml:2\)/,
    at: /local\.yml:\d+:\d+: local\/workerCores/,
  },
  {
    group: "config",
    title: "aws.yml: a region that does not exist",
    config: { "aws.yml": replace(/region: [\w-]+/, "region: mars-1") },
    exit: 2,
    says: /"mars-1" is not an AWS region/,
    at: /aws\.yml:\d+:\d+: aws\/region/,
  },
  {
    group: "config",
    title: "aws.yml: an SSH CIDR with a 33-bit prefix",
    config: { "aws.yml": replace(/sshAllowedCidrs: \[\]/, "sshAllowedCidrs: [10.0.0.0/33]") },
    exit: 2,
    says: /"10\.0\.0\.0\/33" is not an IPv4 or IPv6 CIDR block/,
    at: /aws\.yml:\d+:\d+: aws\/sshAllowedCidrs/,
  },
  {
    group: "config",
    title: "aws.yml: a VPC CIDR too large for the VPC",
    config: { "aws.yml": replace(/cidr: [\d./]+/, "cidr: 10.0.0.0/8") },
    exit: 2,
    says: /"10\.0\.0\.0\/8" is not an IPv4 CIDR block .* \(\/8 is out of range\)/,
    at: /aws\.yml:\d+:\d+: vpc-config\/cidr/,
  },
  {
    group: "config",
    title: "BURST_CONFIG_DIR naming a folder that does not exist",
    env: () => ({ BURST_CONFIG_DIR: "/nonexistent/config" }),
    exit: 2,
    says: /cannot read the config folder/,
    at: /\/nonexistent\/config/,
    hint: /point BURST_CONFIG_DIR/,
  },

  // ---- Consul values (a real agent; each case under a prefix of its own)
  {
    group: "consul",
    title: "a word where a number belongs",
    consul: { "defaults/workers": "many" },
    exit: 2,
    says: /"many" is not a whole number \(from consul/i,
    at: /defaults\/workers/,
  },
  {
    group: "consul",
    title: "a VPC CIDR with a 33-bit prefix",
    consul: { "vpc-config/cidr": "10.0.0.0/33" },
    exit: 2,
    says: /"10\.0\.0\.0\/33" is not/,
    at: /vpc-config\/cidr/,
  },
  {
    group: "consul",
    title: "an SSH CIDR list holding an address that is not one",
    consul: { "aws/sshAllowedCidrs": '["300.1.2.3/8"]' },
    exit: 2,
    says: /300\.1\.2\.3\/8/,
    at: /aws\/sshAllowedCidrs/,
  },
  {
    group: "consul",
    title: "a list that is not a list",
    consul: { "aws/buckets": "[burst-results" },
    exit: 2,
    says: /"\[burst-results" is not a JSON list/,
    at: /aws\/buckets/,
  },
  {
    group: "consul",
    title: "a memory size Spark cannot read",
    consul: { "local/workerMemory": "1x" },
    exit: 2,
    says: /"1x" is not a Spark memory size/,
    at: /local\/workerMemory/,
  },
  {
    group: "consul",
    title: "a TTL of zero",
    consul: { "defaults/ttlMinutes": "0" },
    exit: 2,
    says: /0 is out of range: expected a whole number from 5 to 10080 \(from consul:/,
    at: /defaults\/ttlMinutes/,
  },
  {
    group: "consul",
    title: "a webhook that is not an http(s) URL",
    consul: { "notify/webhook": "mailto:ops@example.com" },
    exit: 2,
    says: /is not an http\(s\) URL/,
    at: /notify\/webhook/,
  },
  {
    group: "consul",
    title: "missing: the region of an aws run in neither Consul nor the config files",
    consul: {},
    config: { "aws.yml": replace(/ {2}region: .*\n/, "") },
    args: ["SPEC", "--target", "aws", "--dry-run"],
    exit: 2,
    says: /is not set \(looked at BURST_AWS_REGION and Consul/i,
    at: /aws\/region/,
  },
  {
    group: "consul",
    title: "missing: the VPC outputs an aws run needs",
    consul: {},
    args: ["SPEC", "--target", "aws", "--dry-run"],
    exit: 2,
    says: /the VPC outputs for "main" are missing/,
    at: /vpc\/main/,
    hint: /npm run vpc -- deploy/,
  },

  // ---- the environment
  {
    group: "environment",
    title: "a parameter variable holding a word where a number belongs",
    env: () => ({ BURST_DEFAULTS_WORKERS: "many" }),
    exit: 2,
    says: /"many" is not a whole number \(from BURST_DEFAULTS_WORKERS\)/,
    at: /defaults\/workers/,
    hint: /fix or unset BURST_DEFAULTS_WORKERS/,
  },
  {
    group: "environment",
    title: "a worker memory variable Spark cannot read",
    env: () => ({ BURST_LOCAL_WORKER_MEMORY: "huge" }),
    exit: 2,
    says: /"huge" is not a Spark memory size/,
    at: /local\/workerMemory/,
    hint: /BURST_LOCAL_WORKER_MEMORY/,
  },
  {
    group: "environment",
    title: "a webhook variable that is not a URL",
    env: () => ({ BURST_NOTIFY_WEBHOOK: "ftp://example.com/hook" }),
    exit: 2,
    says: /is not an http\(s\) URL/,
    at: /notify\/webhook/,
    hint: /BURST_NOTIFY_WEBHOOK/,
  },
  {
    group: "environment",
    title: "CONSUL_HTTP_ADDR that is not an address",
    env: () => ({ CONSUL_HTTP_ADDR: "http://[::1" }),
    exit: 2,
    says: /is not an address like 127\.0\.0\.1:8500/,
    at: /CONSUL_HTTP_ADDR/,
  },
  {
    group: "environment",
    title: "a Consul prefix with a space in it",
    env: () => ({ BURST_CONSUL_PREFIX: "burst prod/" }),
    exit: 2,
    says: /is not a Consul key prefix/,
    at: /"burst prod\/"/,
    hint: /BURST_CONSUL_PREFIX/,
  },
  {
    group: "environment",
    title: "no terraform binary",
    env: () => ({ TERRAFORM_BINARY_NAME: "/nonexistent/terraform" }),
    exit: 3,
    says: /is not an executable file/,
    at: /TERRAFORM_BINARY_NAME=\/nonexistent\/terraform/,
    hint: /install it, or unset TERRAFORM_BINARY_NAME/,
  },
  {
    group: "environment",
    title: "a terraform binary that is not terraform",
    env: () => ({ TERRAFORM_BINARY_NAME: "/bin/true" }),
    exit: 3,
    says: /is not terraform or OpenTofu/,
    at: /\/bin\/true/,
  },
  {
    group: "environment",
    title: "no Java on the machine",
    env: async () => ({ PATH: await pathWithout("java"), JAVA_HOME: undefined }),
    exit: 3,
    says: /Java is needed to run Spark and was not found/,
    at: /Java/,
    hint: /apt-get install -y openjdk-17-jre-headless/,
  },
  {
    group: "environment",
    title: "SPARK_HOME naming a folder that does not exist",
    env: () => ({ SPARK_HOME: "/nonexistent/spark" }),
    exit: 3,
    says: /has no executable bin\/spark-submit/,
    at: /SPARK_HOME=\/nonexistent\/spark/,
    hint: /unset it to let burst install pyspark/,
  },
  {
    group: "environment",
    title: "SPARK_HOME naming a Spark without its jars",
    env: async () => ({ SPARK_HOME: await sparkWithoutJars() }),
    exit: 3,
    says: /has no jars\/ folder/,
    at: /SPARK_HOME/,
  },
  {
    group: "environment",
    title: "BURST_HOME that is a file, not a folder",
    env: async () => {
      const file = join(await mkdtemp(join(tmpdir(), "burst-badinput-")), "home");
      await writeFile(file, "not a folder\n");
      return { BURST_HOME: file };
    },
    exit: 3,
    says: /not a directory/,
    at: /burst-badinput-.*\/home/,
  },
];

/** A PATH of links to every program on this PATH except `program`. */
async function pathWithout(program: string): Promise<string> {
  const farm = await mkdtemp(join(tmpdir(), "burst-badinput-path-"));
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (!dir || !existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      if (name === program || existsSync(join(farm, name))) continue;
      await symlink(join(dir, name), join(farm, name)).catch(() => {});
    }
  }
  return farm;
}

/** A folder that looks like a Spark distribution (bin/spark-submit) but has no jars/. */
async function sparkWithoutJars(): Promise<string> {
  const home = await mkdtemp(join(tmpdir(), "burst-badinput-spark-"));
  await mkdir(join(home, "bin"));
  await writeFile(join(home, "bin", "spark-submit"), "#!/bin/sh\nexit 0\n");
  await chmod(join(home, "bin", "spark-submit"), 0o755);
  return home;
}

/** No run folder, or (for failures after a run folder exists) no resource in its terraform state. */
async function assertNothingProvisioned(burstHome: string, exit: number): Promise<void> {
  const dirs = await runDirs(burstHome);
  if (exit === 2) assert.deepEqual(dirs, [], "bad input creates no run folder");
  for (const dir of dirs) {
    const state = join(dir, "stack", "stacks", "cluster", "terraform.tfstate");
    if (!existsSync(state)) continue;
    const resources = (JSON.parse(await readFile(state, "utf8")).resources ?? []) as unknown[];
    assert.equal(resources.length, 0, `${state} holds no resource`);
  }
}

describe("bad-input catalogue, through the CLI", { concurrency: 4 }, () => {
  let context: Context;
  let caseNumber = 0;
  before(async () => {
    const consul = await startConsulAgent();
    const repo = await makeRepo({ "job.sh": "echo hello\n" });
    const specFile = await writeSpec(VALID.replace("REPO", repo.dir));
    context = { specFile, repo: repo.dir, consul };
  });
  after(async () => {
    await context?.consul.stop();
  });

  test("the catalogue has at least 40 cases across every group", () => {
    assert.ok(catalogue.length >= 40, `${catalogue.length} cases`);
    for (const group of ["cli", "spec", "config", "consul", "environment"] as const) {
      assert.ok(catalogue.filter((c) => c.group === group).length >= 5, `${group} has cases`);
    }
    assert.ok(
      catalogue.filter((c) => c.group === "spec").length <= 10,
      "at most ten spec cases (test/runspec has the rest)",
    );
  });

  for (const entry of catalogue) {
    test(`${entry.group}: ${entry.title} → exit ${entry.exit}`, async () => {
      const number = ++caseNumber;
      const burstHome = await tempBurstHome();
      const specFile = entry.spec ? await writeSpec(entry.spec.replaceAll("REPO", context.repo)) : context.specFile;
      const env: Record<string, string | undefined> = { BURST_GC_AWS: "0" };
      let configRoot: string | undefined;
      if (entry.config) {
        configRoot = await mkdtemp(join(tmpdir(), "burst-badinput-config-"));
        const configDir = join(configRoot, "config");
        await cp(join(repoRoot, "config"), configDir, { recursive: true });
        for (const [file, edit] of Object.entries(entry.config)) {
          const path = join(configDir, file);
          const shipped = existsSync(path) ? readFileSync(path, "utf8") : "";
          await writeFile(path, typeof edit === "string" ? edit : edit(shipped));
        }
        env.BURST_CONFIG_DIR = configDir;
      }
      if (entry.consul) {
        const prefix = `badinput-${number}-${Date.now()}/`;
        for (const [key, value] of Object.entries(entry.consul)) {
          await context.consul.api("PUT", `/kv/${prefix}${key}`, value);
        }
        Object.assign(env, context.consul.env(), { BURST_CONSUL_PREFIX: prefix });
      }
      Object.assign(env, await entry.env?.(context));
      const args = (entry.args ?? ["SPEC"]).map((arg) => (arg === "SPEC" ? specFile : arg));
      const result = await burst(args, { burstHome, env, timeoutMs: 120_000 });
      const shown = `burst ${args.join(" ")}\nexit ${result.code}\nstderr:\n${result.stderr}\nstdout:\n${result.stdout.slice(0, 2000)}`;
      assert.equal(result.code, entry.exit, shown);
      assert.match(result.stderr, entry.says, shown);
      assert.match(result.stderr, entry.at, `the message says where\n${shown}`);
      if (entry.hint) assert.match(result.stderr, entry.hint, `a hint\n${shown}`);
      assert.doesNotMatch(result.stderr, /\n\s+at .*\.ts:\d+/, "no stack trace");
      await assertNothingProvisioned(env.BURST_HOME ?? burstHome, entry.exit);
      if (configRoot) await rm(configRoot, { recursive: true, force: true });
    });
  }
});
