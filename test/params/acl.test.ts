// component: consul
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type ConsulAgent, startConsulAgent } from "../../scripts/servers/consul.ts";
import { BurstError } from "../../src/errors.ts";
import { ConsulStore, FileStore, LayeredStore, resolveParams } from "../../src/params/index.ts";
import { type ConfigDir, cleanEnv, copyOfRepoConfig, runScript } from "./fixtures.ts";

const infra = (pattern: RegExp) => (error: unknown) => {
  assert.ok(error instanceof BurstError, `expected a BurstError, got ${String(error)}`);
  assert.equal(error.exitCode, 3);
  assert.match(error.render(), pattern);
  return true;
};

describe("Consul with ACLs enabled and default deny", () => {
  let consul: ConsulAgent;
  let config: ConfigDir;
  let readWrite: string;
  let readOnly: string;
  let otherPrefix: string;

  before(async () => {
    consul = await startConsulAgent({ acl: true });
    config = await copyOfRepoConfig();
    readWrite = await consul.createToken('key_prefix "burst/" { policy = "write" }');
    readOnly = await consul.createToken('key_prefix "burst/" { policy = "read" }');
    otherPrefix = await consul.createToken('key_prefix "other/" { policy = "write" }');
    await consul.api("PUT", "/kv/burst/aws/region", "eu-north-1");
  });
  after(async () => {
    await consul?.stop();
    await config?.remove();
  });

  const resolveWith = (token?: string) =>
    resolveParams({
      store: new LayeredStore([ConsulStore.fromEnv(consul.env(token)), new FileStore(config.path)]),
      env: cleanEnv(),
      prefix: "burst/",
    });

  it("without a token: says ACLs deny reading and that CONSUL_HTTP_TOKEN is needed (no silent fallback to files)", async () => {
    await assert.rejects(
      resolveWith(undefined),
      infra(/enforces ACLs \(default deny\) and no token is set[\s\S]*hint: set CONSUL_HTTP_TOKEN/),
    );
  });

  it("with a token Consul does not know: says so", async () => {
    await assert.rejects(
      resolveWith("00000000-0000-4000-8000-000000000000"),
      infra(/does not know the token \(CONSUL_HTTP_TOKEN\): ACL not found/),
    );
  });

  it("with a token for another prefix: the token lacks permission on the prefix", async () => {
    await assert.rejects(
      resolveWith(otherPrefix),
      infra(
        /the token lacks permission on the prefix burst\/ \(read denied[\s\S]*key_prefix "burst\/" \{ policy = "read" \}/,
      ),
    );
  });

  it("with a read-only token: reads work, a push fails with exit 3 naming the missing write permission", async () => {
    const params = await resolveWith(readOnly);
    assert.equal(params.aws.region, "eu-north-1");
    assert.equal(params.provenance.get("aws/region")?.source, "consul");

    const push = await runScript("config-push", ["--config-dir", config.path], consul.env(readOnly));
    assert.equal(push.code, 3, push.stdout + push.stderr);
    assert.match(
      push.stderr,
      /the token lacks permission on the prefix burst\/ \(write denied[\s\S]*lacks permission 'key:write'/,
    );
    assert.match(push.stderr, /key_prefix "burst\/" \{ policy = "write" \}/);
  });

  it("with a read-write token: the push applies", async () => {
    const push = await runScript("config-push", ["--config-dir", config.path, "--prune"], consul.env(readWrite));
    assert.equal(push.code, 0, push.stderr);
    assert.match(push.stdout, /~ burst\/aws\/region: "eu-north-1" -> "eu-west-1"/);
    assert.equal((await consul.kv("burst/")).get("burst/aws/region"), "eu-west-1");
  });

  it("reads the token from CONSUL_HTTP_TOKEN_FILE too", async () => {
    await config.write("token.txt", `${readOnly}\n`);
    const store = ConsulStore.fromEnv({ ...consul.env(), CONSUL_HTTP_TOKEN_FILE: `${config.path}/token.txt` });
    assert.equal((await store.read("burst/")).get("aws/region")?.value, "eu-west-1");
  });
});
