// component: shellcheck, terraform
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { ensureTerraform } from "../../../src/terraform/binary.ts";
import { shellQuote } from "../../../src/util/shell.ts";
import { artifactsBucketUrl, mavenCentral, nodeArtifacts, nodeDownloads } from "../../../stacks/aws/artifacts.ts";
import {
  bakeParts,
  bootstrapParts,
  type NodeBootstrapInput,
  renderBakeBootstrap,
  renderNodeBootstrap,
  systemdCalendar,
  variablesRead,
} from "../../../stacks/aws/bootstrap.ts";
import { renderSparkEnv } from "../../../stacks/shared/spark-conf.ts";
import { masterIpReference, params, synthCluster, vpc } from "./helpers.ts";

const stacksDir = fileURLToPath(new URL("../../../stacks/", import.meta.url));
const scriptDirs = ["aws/bootstrap", "shared/node", "local/scripts"];
const scripts = scriptDirs.flatMap((dir) =>
  readdirSync(join(stacksDir, dir))
    .filter((file) => file.endsWith(".sh"))
    .map((file) => `${dir}/${file}`),
);

const input: NodeBootstrapInput = {
  role: "worker",
  sparkVersion: "3.5.3",
  region: "eu-west-1",
  // What synthCluster's parameters give: pyspark, the wheels and the s3a jars from the VPC's artifacts bucket.
  downloads: nodeDownloads(nodeArtifacts("3.5.3", { mavenRepo: mavenCentral, architecture: "x86_64" }), {
    kind: "bucket",
    url: artifactsBucketUrl(vpc.artifactsBucket, params),
  }),
  bakedAmi: false,
  ttlMinutes: 90,
  expiresAt: "2025-03-04T05:06:07.890Z",
  masterHost: "10.42.0.10",
  sshUser: "admin",
  workerCores: 8,
  workerMemory: "28g",
  sparkConf: { "spark.executor.extraJavaOptions": "-Dx='y' ${not.a.template}" },
};

/** shellcheck's findings (empty when clean); the test fails loudly when shellcheck is missing. */
function shellcheck(file: string): string {
  // From the file's folder, following its `source`s: the local scripts source the role.
  const result = spawnSync("shellcheck", ["--shell=bash", "--severity=style", "-x", basename(file)], {
    encoding: "utf8",
    cwd: dirname(file),
  });
  assert.ok(!result.error, `shellcheck could not run: ${result.error?.message}`);
  return result.stdout;
}

/**
 * Runs the rendered user data with the boot's three steps replaced by recorders (defined after
 * every part's functions, before the entry point runs): which steps ran, in what order.
 */
function bootOrder(script: string, options: { hostKeyFails?: boolean } = {}): { calls: string[]; status: number } {
  const dir = mkdtempSync(join(tmpdir(), "burst-boot-order-"));
  try {
    const calls = join(dir, "calls");
    const recorders = [
      `STATE_DIR=${shellQuote(join(dir, "state"))}`,
      `platform_arm_ttl() { echo platform_arm_ttl >> ${shellQuote(calls)}; }`,
      `announce_host_key() { echo announce_host_key >> ${shellQuote(calls)}; ${options.hostKeyFails ? "return 1" : "true"}; }`,
      `run_node_role() { echo run_node_role >> ${shellQuote(calls)}; }`,
    ].join("\n");
    const marker = "# ---- aws/bootstrap/main.sh";
    assert.ok(script.includes(marker));
    writeFileSync(join(dir, "boot.sh"), script.replace(marker, `${recorders}\n${marker}`));
    const run = spawnSync("bash", [join(dir, "boot.sh")], { encoding: "utf8" });
    const ran = existsSync(calls) ? readFileSync(calls, "utf8") : "";
    return { calls: ran.split("\n").filter(Boolean), status: run.status ?? -1 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function shellcheckText(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), "burst-bootstrap-"));
  try {
    writeFileSync(join(dir, "user-data.sh"), text);
    return shellcheck(join(dir, "user-data.sh"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("node scripts (the role, the AWS and the local platform)", () => {
  it("are real files, each passing shellcheck", () => {
    assert.deepEqual(scripts.sort(), [
      "aws/bootstrap/announce-host-key.sh",
      "aws/bootstrap/bake.sh",
      "aws/bootstrap/end-by.sh",
      "aws/bootstrap/main.sh",
      "aws/bootstrap/platform.sh",
      "local/scripts/common.sh",
      "local/scripts/platform.sh",
      "local/scripts/start-master.sh",
      "local/scripts/start-s3.sh",
      "local/scripts/start-sshd.sh",
      "local/scripts/start-ttl-guard.sh",
      "local/scripts/start-worker.sh",
      "local/scripts/stop-node.sh",
      "shared/node/role.sh",
      "shared/node/spot-watch.sh",
    ]);
    for (const script of scripts) assert.equal(shellcheck(join(stacksDir, script)), "", script);
  });

  it("declare in a header comment every variable the user-data parts read", () => {
    for (const part of new Set([...bootstrapParts, ...bakeParts])) {
      const text = readFileSync(join(stacksDir, part), "utf8");
      const declared = /^# Reads: (.*)$/m.exec(text)?.[1]?.split(" ") ?? [];
      assert.deepEqual(variablesRead(text).sort(), declared.filter(Boolean).sort(), part);
    }
  });
});

describe("renderNodeBootstrap", () => {
  it("installs the spot watcher on workers as a service watching the real metadata address", () => {
    const script = renderNodeBootstrap(input);
    assert.ok(
      script.includes(
        `SPOT_WATCH_SCRIPT=${shellQuote(readFileSync(join(stacksDir, "shared/node/spot-watch.sh"), "utf8"))}`,
      ),
    );
    assert.match(
      script,
      /ExecStart=\/usr\/local\/lib\/burst\/spot-watch\.sh --state-dir \$\{STATE_DIR\} --worker-unit burst-spark-worker\.service/,
    );
    const execStart = script.split("\n").filter((line) => line.startsWith("ExecStart=/usr/local/lib/burst/spot-watch"));
    assert.equal(execStart.length, 1);
    assert.ok(!execStart[0]?.includes("--imds"), "no metadata address override on nodes");
    assert.ok(script.indexOf("platform_watch_spot\n") > script.indexOf("start_worker; fi"), "after the worker started");
  });

  for (const [role, bakedAmi] of [
    ["master", false],
    ["worker", false],
    ["worker", true],
  ] as const) {
    it(`renders a ${role}${bakedAmi ? " (baked AMI)" : ""} script that passes shellcheck`, () => {
      assert.equal(shellcheckText(renderNodeBootstrap({ ...input, role, bakedAmi })), "");
    });
  }

  it("renders the host-key announcement, the shared node role, the AWS platform and the entry point", () => {
    assert.deepEqual(bootstrapParts, [
      "aws/bootstrap/announce-host-key.sh",
      "shared/node/role.sh",
      "aws/bootstrap/platform.sh",
      "aws/bootstrap/main.sh",
    ]);
    const script = renderNodeBootstrap(input);
    const order = bootstrapParts.map((part) => `# ---- ${part}`);
    const at = order.map((marker) => script.indexOf(marker));
    assert.ok(at.every((index) => index > 0));
    assert.deepEqual(
      at,
      [...at].sort((a, b) => a - b),
    );
    assert.ok(script.trimEnd().endsWith("run_node_role"), "the role runs last, once every function is defined");
  });

  for (const role of ["master", "worker"] as const) {
    it(`arms the TTL guard on a ${role} before anything else, the host key next, then the role`, () => {
      assert.deepEqual(bootOrder(renderNodeBootstrap({ ...input, role })), {
        calls: ["platform_arm_ttl", "announce_host_key", "run_node_role"],
        status: 0,
      });
    });
  }

  it("leaves the TTL guard armed when the node has no host key to announce, and stops there", () => {
    assert.deepEqual(bootOrder(renderNodeBootstrap(input), { hostKeyFails: true }), {
      calls: ["platform_arm_ttl", "announce_host_key"],
      status: 1,
    });
  });

  it("powers off with systemd timers, never `shutdown -h +N` (which locks logins out for its last 5 minutes)", () => {
    const script = renderNodeBootstrap(input);
    const commands = script.split("\n").filter((line) => !/^\s*#/.test(line));
    assert.deepEqual(
      commands.filter((line) => /\bshutdown\b/.test(line)),
      [],
    );
    assert.match(script, /systemd-run --quiet --unit=burst-ttl-boot --on-active="\$\{TTL_MINUTES\}min"/);
    assert.match(script, /^OnCalendar=\$\{EXPIRES_AT_CALENDAR\}$/m);
  });

  it("prints the host key line the CLI pins (burst-host-key: ...) to the console on every node", () => {
    for (const role of ["master", "worker"] as const) {
      const script = renderNodeBootstrap({ ...input, role });
      assert.match(script, /^ {2}echo "burst-host-key: \$key_type \$key_blob" > \/dev\/console /m, role);
    }
  });

  it("installs git, pip and venv besides Java, and gives PySpark a venv of its own", () => {
    const script = renderNodeBootstrap(input);
    const packages = /^NODE_PACKAGES='(.*)'$/m.exec(script)?.[1]?.split(" ") ?? [];
    for (const name of ["openjdk-17-jre-headless", "git", "python3-pip", "python3-venv", "curl"]) {
      assert.ok(packages.includes(name), name);
    }
    assert.match(script, /^PYSPARK_PYTHON='\/opt\/burst\/python\/bin\/python'$/m);
    assert.match(script, /^ +apt-get -o DPkg::Lock::Timeout=600 install /m);
  });

  it("assigns exactly the variables the parts read, quoted for the shell", () => {
    const script = renderNodeBootstrap(input);
    const header = script.split("\n# ---- ")[0] ?? "";
    const assigned = [...header.matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]);
    const parts = bootstrapParts.map((part) => readFileSync(join(stacksDir, part), "utf8"));
    assert.deepEqual(assigned, [...new Set(parts.flatMap(variablesRead))].sort());
    assert.match(script, /^TTL_MINUTES='90'$/m);
    assert.match(script, /^EXPIRES_AT_CALENDAR='2025-03-04 05:06:07 UTC'$/m);
    assert.match(script, /^WORKER_CORES='8'$/m);
    assert.match(script, /^WORKER_MEMORY='28g'$/m);
    assert.match(script, /^MASTER_HOST='10\.42\.0\.10'$/m);
    assert.match(script, /^NODE_ROLE='worker'$/m);
    const sparkEnv = renderSparkEnv({ pysparkPython: "/opt/burst/python/bin/python" });
    assert.ok(script.includes(`SPARK_ENV='${sparkEnv.replaceAll("'", `'\\''`)}'`));
  });

  it("stays under EC2's 16 KB user-data limit once gzipped", () => {
    const script = renderNodeBootstrap({ ...input, role: "master" });
    assert.ok(gzipSync(script).length < 16 * 1024, `${gzipSync(script).length} bytes`);
  });

  it("keeps the job-side values literal: a quote or ${...} in conf is data, not code", () => {
    const dir = mkdtempSync(join(tmpdir(), "burst-bootstrap-"));
    try {
      const header = renderNodeBootstrap(input).split("\n# ---- ")[0] ?? "";
      writeFileSync(
        join(dir, "header.sh"),
        `${header.replace("set -euo pipefail", "")}\nprintf '%s' "$SPARK_DEFAULTS"`,
      );
      const defaults = execFileSync("bash", [join(dir, "header.sh")], { encoding: "utf8" });
      assert.match(defaults, /^spark\.executor\.extraJavaOptions -Dx='y' \$\{not\.a\.template\}$/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("turns the run's expiry into a systemd calendar time in UTC", () => {
    assert.equal(systemdCalendar("2025-01-01T23:59:59+02:00"), "2025-01-01 21:59:59 UTC");
    assert.throws(() => systemdCalendar("tomorrow"), /ISO-8601/);
  });
});

describe("renderBakeBootstrap (an image builder's user data)", () => {
  const bake = renderBakeBootstrap({
    sparkVersion: input.sparkVersion,
    region: input.region,
    downloads: input.downloads,
    sshUser: input.sshUser,
    ttlMinutes: 45,
  });

  it("passes shellcheck and stays under EC2's 16 KB user-data limit once gzipped", () => {
    assert.equal(shellcheckText(bake), "");
    assert.ok(gzipSync(bake).length < 16 * 1024);
  });

  it("is the node role's own code in bake mode, on the AWS platform: install, clean, power off", () => {
    assert.deepEqual(
      [...bake.matchAll(/^# ---- ((?:aws|shared)\/\S+) ----$/gm)].map((match) => match[1]),
      ["shared/node/role.sh", "aws/bootstrap/platform.sh", "aws/bootstrap/bake.sh"],
    );
    const entry = bake.slice(bake.indexOf("# ---- aws/bootstrap/bake.sh ----"));
    const order = [
      '--on-active="${TTL_MINUTES}min"',
      "bake_node_role",
      'rm -rf "$STATE_DIR"',
      "burst-baked:",
      "systemctl poweroff",
    ];
    const positions = order.map((text) => entry.lastIndexOf(text));
    assert.ok(
      positions.every((at) => at > 0),
      `each of ${order.join(", ")} in the entry point`,
    );
    assert.deepEqual(
      [...positions].sort((a, b) => a - b),
      positions,
      "in that order",
    );
    assert.doesNotMatch(entry, /run_node_role|platform_arm_ttl|announce_host_key/, "nothing of a run in the image");
    assert.match(bake, /^TTL_MINUTES='45'$/m);
    assert.match(bake, /^NODE_NAME='builder'$/m);
  });
});

describe("user data in the synthesized stack", () => {
  it("is exactly the rendered script once terraform evaluates it, and passes shellcheck", async () => {
    // terraform, or the OpenTofu that setup builds when terraform is missing: never skipped.
    const terraform = (await ensureTerraform(() => {})).binary;
    const config = synthCluster({ sparkConf: { "spark.x": "${y} %{z}" } });
    const dir = mkdtempSync(join(tmpdir(), "burst-userdata-"));
    try {
      // The user data locals, with the master's address (computed from its subnet) replaced by a
      // known one; no provider needed.
      const locals: Record<string, string> = { master_ip: "10.42.0.10" };
      for (const [name, value] of Object.entries(config.locals ?? {})) {
        if (name.includes("user_data")) locals[name] = value.replace(masterIpReference, "${local.master_ip}");
      }
      const outputs = Object.fromEntries(
        Object.keys(locals)
          .filter((name) => name !== "master_ip")
          .map((name) => [name, { value: `\${local.${name}}` }]),
      );
      writeFileSync(join(dir, "main.tf.json"), JSON.stringify({ locals, output: outputs }));
      const env = { ...process.env, TF_CLI_CONFIG_FILE: "", CHECKPOINT_DISABLE: "1" };
      execFileSync(terraform, ["init", "-input=false"], { cwd: dir, env, stdio: "pipe" });
      execFileSync(terraform, ["apply", "-auto-approve", "-input=false"], { cwd: dir, env, stdio: "pipe" });
      const evaluated = JSON.parse(
        execFileSync(terraform, ["output", "-json"], { cwd: dir, env, encoding: "utf8" }),
      ) as Record<string, { value: string }>;
      const byRole = (role: string) => Object.entries(evaluated).find(([name]) => name.startsWith(role))?.[1].value;
      const expected = (role: "master" | "worker") =>
        renderNodeBootstrap({
          ...input,
          role,
          ttlMinutes: 120,
          expiresAt: "2025-01-01T04:00:00.000Z",
          sparkConf: { "spark.x": "${y} %{z}" },
        });
      assert.equal(byRole("master"), expected("master"));
      assert.equal(byRole("workers"), expected("worker"));
      assert.equal(shellcheckText(byRole("master") ?? ""), "");
      assert.equal(shellcheckText(byRole("workers") ?? ""), "");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
