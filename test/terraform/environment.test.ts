// What terraform is given of the CLI's environment: its own variables and its providers', no other.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { awsProviderEnv } from "../../src/targets/aws/terraform-provider.ts";
import { terraformEnvFrom } from "../../src/terraform/driver.ts";

const cliEnv = {
  PATH: "/usr/bin:/bin",
  HOME: "/root",
  TMPDIR: "/tmp/x",
  TF_CLI_CONFIG_FILE: "/etc/tf.rc",
  TF_PLUGIN_CACHE_DIR: "/cache",
  https_proxy: "http://proxy:3128",
  AWS_ACCESS_KEY_ID: "AKIA",
  AWS_SECRET_ACCESS_KEY: "secret",
  CONSUL_HTTP_TOKEN: "consul-token",
  GITHUB_TOKEN: "gh-token",
  BURST_HOME: "/home/burst",
  UNSET: undefined,
};

describe("terraform's environment", () => {
  test("a local run's terraform gets no provider variables and no unrelated secret", () => {
    assert.deepEqual(Object.keys(terraformEnvFrom(cliEnv, [])).sort(), [
      "HOME",
      "PATH",
      "TF_CLI_CONFIG_FILE",
      "TF_PLUGIN_CACHE_DIR",
      "TMPDIR",
      "https_proxy",
    ]);
  });

  test("an aws run's terraform also gets the AWS provider's variables, and still no other secret", () => {
    const env = terraformEnvFrom(cliEnv, awsProviderEnv);
    assert.equal(env.AWS_SECRET_ACCESS_KEY, "secret");
    assert.equal(env.AWS_ACCESS_KEY_ID, "AKIA");
    for (const name of ["CONSUL_HTTP_TOKEN", "GITHUB_TOKEN", "BURST_HOME", "UNSET"]) assert.ok(!(name in env), name);
  });
});
