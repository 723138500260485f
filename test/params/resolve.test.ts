// component: consul
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type ConsulAgent, startConsulAgent } from "../../scripts/servers/consul.ts";
import { BurstError } from "../../src/errors.ts";
import {
  ConsulStore,
  FileStore,
  LayeredStore,
  resolveParams,
  storeFromEnv,
  writeParams,
} from "../../src/params/index.ts";
import { vpcOutputEntries } from "../../src/targets/aws/params.ts";
import { requireVpcOutputs } from "../../src/targets/aws/vpc-outputs.ts";
import { type ConfigDir, cleanEnv, copyOfRepoConfig } from "./fixtures.ts";

const problem =
  (pattern: RegExp, exitCode = 2) =>
  (error: unknown) => {
    assert.ok(error instanceof BurstError, `expected a BurstError, got ${String(error)}`);
    assert.equal(error.exitCode, exitCode);
    assert.match(error.render(), pattern);
    return true;
  };

describe("resolveParams against a real Consul agent", () => {
  let consul: ConsulAgent;
  let config: ConfigDir;
  let files: FileStore;
  let prefixCount = 0;
  const freshPrefix = () => `resolve${++prefixCount}/`;
  const put = (key: string, value: string) => consul.api("PUT", `/kv/${key}`, value);
  const layered = () => new LayeredStore([ConsulStore.fromEnv(consul.env()), files]);

  before(async () => {
    consul = await startConsulAgent();
    config = await copyOfRepoConfig();
    // A file set without local/, so local/workerCores falls through to the built-in default.
    await config.write("local.yml", "# nothing\n");
    files = new FileStore(config.path);
  });
  after(async () => {
    await consul?.stop();
    await config?.remove();
  });

  it("takes each value from the first source that has it: flag > env > spec > consul > file > default", async () => {
    const prefix = freshPrefix();
    await put(`${prefix}aws/region`, "eu-central-1");
    await put(`${prefix}aws/sshUser`, "ubuntu");
    await put(`${prefix}defaults/workers`, "3");
    await put(`${prefix}defaults/ttlMinutes`, "60");
    const params = await resolveParams({
      store: layered(),
      env: cleanEnv({ BURST_AWS_SSH_USER: "ec2-user", BURST_DEFAULTS_WORKERS: "7", BURST_AWS_VPC_NAME: "" }),
      flags: { "defaults/workers": { value: 9, where: "--workers" } },
      spec: {
        "defaults/workers": { value: 5, where: "spark.yml: cluster.workers" },
        "defaults/ttlMinutes": { value: 30, where: "spark.yml: cluster.ttlMinutes" },
      },
      prefix,
    });
    assert.equal(params.defaults.workers, 9);
    assert.deepEqual(params.provenance.get("defaults/workers"), { source: "flag", where: "--workers" });
    assert.equal(params.aws.sshUser, "ec2-user");
    assert.deepEqual(params.provenance.get("aws/sshUser"), { source: "env", where: "BURST_AWS_SSH_USER" });
    assert.equal(params.defaults.ttlMinutes, 30);
    assert.deepEqual(params.provenance.get("defaults/ttlMinutes"), {
      source: "spec",
      where: "spark.yml: cluster.ttlMinutes",
    });
    assert.equal(params.aws.region, "eu-central-1");
    assert.deepEqual(params.provenance.get("aws/region"), { source: "consul", where: `consul:${prefix}aws/region` });
    // An empty environment variable counts as unset.
    assert.equal(params.aws.vpcName, "main");
    assert.equal(params.provenance.get("aws/vpcName")?.source, "file");
    assert.deepEqual(params.aws.buckets, []);
    assert.equal(params.local.dataBucket, "burst-data");
    const bucketsLine = readFileSync(join(config.path, "aws.yml"), "utf8").split("\n").indexOf("  buckets: []") + 1;
    assert.ok(bucketsLine > 0, "config/aws.yml sets aws.buckets");
    assert.match(params.provenance.get("aws/buckets")?.where ?? "", new RegExp(`aws\\.yml:${bucketsLine}$`));
    assert.equal(params.local.workerCores, 1);
    assert.deepEqual(params.provenance.get("local/workerCores"), { source: "default", where: "built-in default" });
    assert.equal(params.aws.bakedAmi, undefined, "an empty optional value is unset");
    assert.equal(params.prefix, prefix);
  });

  it("env beats consul, which beats the file default, for the same key", async () => {
    const prefix = freshPrefix();
    const env = cleanEnv();
    const fromFile = await resolveParams({ store: layered(), env, prefix });
    assert.equal(fromFile.provenance.get("vpc-config/cidr")?.source, "file");
    await put(`${prefix}vpc-config/cidr`, "10.50.0.0/16");
    const fromConsul = await resolveParams({ store: layered(), env, prefix });
    assert.equal(fromConsul.vpcConfig.cidr, "10.50.0.0/16");
    assert.equal(fromConsul.provenance.get("vpc-config/cidr")?.source, "consul");
    const fromEnv = await resolveParams({
      store: layered(),
      env: { ...env, BURST_VPC_CONFIG_CIDR: "10.60.0.0/16" },
      prefix,
    });
    assert.equal(fromEnv.vpcConfig.cidr, "10.60.0.0/16");
    assert.deepEqual(fromEnv.provenance.get("vpc-config/cidr"), { source: "env", where: "BURST_VPC_CONFIG_CIDR" });
  });

  it("storeFromEnv reads Consul over the files when CONSUL_HTTP_ADDR is set, the files alone otherwise", async () => {
    const prefix = freshPrefix();
    await put(`${prefix}aws/region`, "ap-south-1");
    const withConsul = storeFromEnv(cleanEnv(consul.env()), { configDir: config.path });
    assert.ok(withConsul.consul);
    assert.equal((await resolveParams({ store: withConsul.store, env: {}, prefix })).aws.region, "ap-south-1");
    const filesOnly = storeFromEnv(cleanEnv(), { configDir: config.path });
    assert.equal(filesOnly.consul, undefined);
    assert.equal((await resolveParams({ store: filesOnly.store, env: {}, prefix })).aws.region, "eu-west-1");
  });

  it("rejects malformed values from Consul, naming every key, its source and the fixing command", async () => {
    const prefix = freshPrefix();
    await put(`${prefix}aws/region`, "eu-west");
    await put(`${prefix}vpc-config/cidr`, "10.42.0.0/33");
    await put(`${prefix}defaults/workers`, "two");
    await put(`${prefix}aws/baseAmi`, "ami-nope");
    await assert.rejects(
      resolveParams({ store: layered(), env: cleanEnv(), prefix }),
      problem(
        new RegExp(
          [
            "4 parameters are invalid",
            `defaults/workers: "two" is not a whole number \\(from consul:${prefix}defaults/workers\\)`,
            "fix defaults\\.workers in config/defaults\\.yml, then run `npm run config:push`",
            `aws/region: "eu-west" is not an AWS region like eu-west-1 \\(from consul:${prefix}aws/region\\)`,
            'aws/baseAmi: "ami-nope" is not an id like ami-',
            'vpc-config/cidr: "10\\.42\\.0\\.0/33" is not an IPv4 CIDR block',
          ].join("[\\s\\S]*"),
        ),
      ),
    );
  });

  it("rejects a malformed environment value with the variable to fix", async () => {
    await assert.rejects(
      resolveParams({ store: files, env: cleanEnv({ BURST_AWS_REGION: "Ireland" }), prefix: "burst/" }),
      problem(
        /aws\/region: "Ireland" is not an AWS region like eu-west-1 \(from BURST_AWS_REGION\)\n {2}hint: fix or unset BURST_AWS_REGION/,
      ),
    );
  });

  it("rejects a value of the wrong type from a flag or the spec", async () => {
    await assert.rejects(
      resolveParams({
        store: files,
        env: cleanEnv(),
        spec: { "defaults/workers": { value: "lots", where: "spark.yml: cluster.workers" } },
      }),
      problem(/defaults\/workers: "lots" is not a whole number \(from spark\.yml: cluster\.workers\)/),
    );
    await assert.rejects(
      resolveParams({
        store: files,
        env: cleanEnv(),
        flags: { "vpc-config/privateSubnets": { value: "maybe", where: "--private-subnets" } },
      }),
      problem(/vpc-config\/privateSubnets: "maybe" is not true or false \(from --private-subnets\)/),
    );
  });

  it("asks for `npm run vpc -- deploy` when the aws target has no VPC outputs, and reads them once written", async () => {
    const prefix = freshPrefix();
    const env = cleanEnv();
    await assert.rejects(
      resolveParams({ store: layered(), env, prefix, target: "aws" }),
      problem(/VPC outputs for "main" are missing[\s\S]*npm run vpc -- deploy/),
    );
    const local = await resolveParams({ store: layered(), env, prefix, target: "local" });
    assert.equal(local.vpc, undefined);
    assert.throws(() => requireVpcOutputs(local), problem(/npm run vpc -- deploy/));

    const outputs = {
      vpcId: "vpc-0123456789abcdef0",
      subnetIds: ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
      securityGroupId: "sg-0123456789abcdef0",
      instanceProfileName: "burst-node",
      artifactsBucket: "burst-main-artifacts-20250101",
    };
    const written = await writeParams(ConsulStore.fromEnv(consul.env()), vpcOutputEntries("main", outputs), { prefix });
    assert.equal(written.applied, true);
    assert.equal(
      (await consul.kv(`${prefix}vpc/main/`)).get(`${prefix}vpc/main/subnetIds`),
      JSON.stringify(outputs.subnetIds),
    );
    const aws = await resolveParams({ store: layered(), env, prefix, target: "aws" });
    // A VPC deployed before the account's data and results buckets existed has no such outputs.
    assert.deepEqual(aws.vpc, { ...outputs, dataBucket: undefined, resultsBucket: undefined });
    assert.equal(aws.provenance.get("vpc/main/vpcId")?.source, "consul");
    // The environment overrides an output whatever the VPC's name.
    const overridden = await resolveParams({
      store: layered(),
      env: { ...env, BURST_VPC_VPC_ID: "vpc-fedcba9876543210f" },
      prefix,
    });
    assert.equal(overridden.vpc?.vpcId, "vpc-fedcba9876543210f");
  });

  it("names the missing outputs when only some are present; the local target ignores them", async () => {
    const prefix = freshPrefix();
    await put(`${prefix}vpc/main/vpcId`, "vpc-0123456789abcdef0");
    await assert.rejects(
      resolveParams({ store: layered(), env: cleanEnv(), prefix, target: "aws" }),
      problem(
        /vpc\/main\/subnetIds: is not set[\s\S]*fix: run `npm run vpc -- deploy`[\s\S]*vpc\/main\/securityGroupId/,
      ),
    );
    const local = await resolveParams({ store: layered(), env: cleanEnv(), prefix, target: "local" });
    assert.equal(local.vpc, undefined);
    assert.equal(local.provenance.has("vpc/main/vpcId"), false);
  });

  it("writeParams refuses keys burst does not know and invalid values, writing nothing", async () => {
    const prefix = freshPrefix();
    const store = ConsulStore.fromEnv(consul.env());
    await assert.rejects(
      writeParams(store, { "vpc/main/vpcid": "vpc-0123456789abcdef0" }, { prefix }),
      problem(/unknown parameter vpc\/main\/vpcid: did you mean/),
    );
    await assert.rejects(
      writeParams(store, { "vpc/main/subnetIds": [] }, { prefix }),
      problem(/vpc\/main\/subnetIds: expected at least 1/),
    );
    assert.equal((await consul.kv(prefix)).size, 0);
  });
});
