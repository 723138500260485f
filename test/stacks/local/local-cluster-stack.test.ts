import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { synthLocalCluster } from "../../../stacks/local/cluster-app.ts";
import type { LocalClusterProps } from "../../../stacks/local/local-cluster-stack.ts";

const props = (runDir: string, workers: number): LocalClusterProps => ({
  runId: "20261122-000000-abcd",
  name: "t",
  owner: "me",
  expiresAt: "2026-11-22T02:00:00.000Z",
  workers,
  sparkVersion: "3.5.3",
  ttlMinutes: 60,
  workerCores: 1,
  workerMemory: "1g",
  runDir,
  sparkHome: "/opt/spark",
  pythonExec: "/usr/bin/python3",
  extraClassPath: [],
  sshUser: "me",
  sshd: {
    binary: "/usr/sbin/sshd",
    port: 2222,
    hostKeyFile: "/k",
    hostPublicKey: "ssh-ed25519 AAAA",
    authorizedKeysFile: "/a",
  },
  s3: { binary: "/bin/vgw", port: 9000, dataDir: "/data", credentialsFile: `${runDir}/secrets/s3.env` },
  sparkAuthSecretFile: `${runDir}/secrets/spark-auth`,
  masterPort: 7077,
  masterUiPort: 8080,
  workerPorts: Array.from({ length: workers }, (_, i) => ({ port: 7100 + i, uiPort: 8100 + i })),
});

/** Synthesized through the local target's own door to CDKTF (no `terraform version` per resource). */
async function synth(workers: number, extra: Partial<LocalClusterProps> = {}) {
  const outdir = await mkdtemp(join(tmpdir(), "burst-local-stack-"));
  const { stackDir } = synthLocalCluster({ ...props("/runs/r1", workers), ...extra }, outdir);
  const text = readFileSync(join(stackDir, "cdk.tf.json"), "utf8");
  return { text, json: JSON.parse(text) };
}

describe("LocalClusterStack", () => {
  it("is made only of terraform_data (no provider to download) and keeps its state beside the stack", async () => {
    const { json } = await synth(2);
    assert.deepEqual(Object.keys(json.resource), ["terraform_data"]);
    assert.deepEqual(Object.keys(json.resource.terraform_data).sort(), [
      "master",
      "master_sshd",
      "s3",
      "ttl_guard",
      "worker_1",
      "worker_2",
    ]);
    assert.equal(json.provider, undefined);
    assert.deepEqual(json.terraform.backend, { local: { path: "terraform.tfstate" } });
  });

  it("launches every node in parallel: no resource depends on another", async () => {
    const { json } = await synth(3);
    for (const [name, resource] of Object.entries<Record<string, unknown>>(json.resource.terraform_data)) {
      assert.equal(resource.depends_on, undefined, `${name} has depends_on`);
      assert.doesNotMatch(JSON.stringify(resource), /\$\{terraform_data\./, `${name} references another node`);
    }
  });

  it("stops each node with a destroy-time provisioner", async () => {
    const { json } = await synth(1);
    for (const resource of Object.values<{ provisioner: { "local-exec": { when?: string; command: string } }[] }>(
      json.resource.terraform_data,
    )) {
      const destroy = resource.provisioner.find((p) => p["local-exec"].when === "destroy");
      assert.match(destroy?.["local-exec"].command ?? "", /stop-node\.sh$/);
    }
  });

  it("outputs the cluster contract and never a secret: the S3 credentials stay in their 0600 file", async () => {
    const { json, text } = await synth(1);
    for (const name of [
      "masterHost",
      "sshPort",
      "sshUser",
      "hostKey",
      "sparkMasterUrl",
      "uiUrl",
      "workDir",
      "sparkHome",
      "nodeIds",
    ]) {
      assert.ok(json.output[name], `output ${name}`);
    }
    assert.match(text, /secrets\/s3\.env/);
    assert.doesNotMatch(text, /AWS_SECRET_ACCESS_KEY=/);
  });

  it("guards the cluster with its TTL, like the shutdown timer on AWS nodes", async () => {
    const { json } = await synth(1);
    const guard = json.resource.terraform_data.ttl_guard.provisioner[0]["local-exec"];
    assert.match(guard.command, /start-ttl-guard\.sh$/);
    assert.equal(guard.environment.TTL_SECONDS, "3600");
    assert.equal(guard.environment.NODES_DIR, "/runs/r1/nodes");
  });

  it("escapes terraform template syntax in literal values", async () => {
    const { json } = await synth(0, { sparkHome: "/opt/${weird}/%{dir}" });
    const env = json.resource.terraform_data.master.provisioner[0]["local-exec"].environment;
    assert.equal(env.SPARK_HOME, "/opt/$${weird}/%%{dir}");
  });
});
