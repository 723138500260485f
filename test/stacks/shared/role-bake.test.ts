// The node role's bake mode (bake_node_role in stacks/shared/node/role.sh) run by bash, with a
// platform layer that writes down what the role asks of it and an install_spark that marks the
// venv and Spark as installed: the install steps a base-image boot runs, and nothing of a run; on
// a node that has them already (a baked image) the install steps are skipped, by the same check.
// The real install, on a real Debian root, runs on the AWS twin (test/e2e/aws-twin-baked.test.ts).

import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { run } from "../../../src/util/exec.ts";

const role = fileURLToPath(new URL("../../../stacks/shared/node/role.sh", import.meta.url));

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "burst-role-bake-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/**
 * `bake_node_role` (or run_node_role's install part) with a recording platform; the calls, in order.
 * `overrides`: shell functions defined after the recorders, replacing them (a failing step).
 */
async function bake(home: string, overrides = ""): Promise<{ code: number; calls: string[]; stderr: string }> {
  const calls = join(home, "calls");
  const script = `
set -euo pipefail
. "$ROLE"
for name in platform_install_packages platform_prepare_node platform_protect_spark_conf platform_start_service platform_watch_spot platform_arm_ttl platform_on_failure; do
  eval "$name() { echo $name >>\\"$CALLS\\"; }"
done
platform_console() { echo "console $1" >>"$CALLS"; }
# Stands in for the downloads and pip: what a finished install leaves.
install_spark() {
  echo install_spark >>"$CALLS"
  mkdir -p "$SPARK_HOME/bin" "$(dirname "$PYSPARK_PYTHON")"
  printf '#!/bin/sh\\n' >"$SPARK_HOME/bin/spark-class"
  printf '#!/bin/sh\\n' >"$PYSPARK_PYTHON"
  chmod +x "$SPARK_HOME/bin/spark-class" "$PYSPARK_PYTHON"
}
${overrides}
bake_node_role
`;
  const result = await run("bash", ["-c", script], {
    env: {
      PATH: process.env.PATH ?? "",
      ROLE: role,
      CALLS: calls,
      NODE_NAME: "builder",
      STATE_DIR: join(home, "state"),
      SPARK_HOME: join(home, "spark"),
      PYSPARK_PYTHON: join(home, "venv", "bin", "python"),
    },
  });
  const text = existsSync(calls) ? await readFile(calls, "utf8") : "";
  return { code: result.code ?? -1, calls: text.trim().split("\n").filter(Boolean), stderr: result.stderr };
}

describe("the node role's bake mode", () => {
  it("runs the install steps a base-image node runs at boot, then reports baked: no TTL, secret, conf or service", async () => {
    const home = join(dir, "base");
    const result = await bake(home);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(
      result.calls.filter((call) => !call.startsWith("console ")),
      ["platform_install_packages", "install_spark"],
    );
    assert.deepEqual(
      result.calls.filter((call) => call.startsWith("console ")).map((call) => call.replace(/^console /, "")),
      ["burst-step: builder install-packages", "burst-step: builder install-spark", "burst-step: builder baked"],
    );
  });

  it("skips them on a node that already has Spark and the venv (what a baked image's nodes find)", async () => {
    const home = join(dir, "baked");
    assert.equal((await bake(home)).code, 0);
    const again = await bake(home);
    assert.equal(again.code, 0, again.stderr);
    // The first bake's five lines, then the second's: only its last step.
    assert.deepEqual(again.calls.slice(5), ["console burst-step: builder baked"]);
  });

  it("leaves the failed marker and the burst-failed console line when an install step fails", async () => {
    const home = join(dir, "failing");
    const result = await bake(home, 'platform_install_packages() { echo "apt failed" >&2; return 100; }');
    assert.equal(result.code, 100);
    assert.equal((await readFile(join(home, "state", "bootstrap.failed"), "utf8")).trim(), "install-packages 100");
    assert.ok(
      result.calls.includes("console burst-failed: builder install-packages (exit 100)"),
      result.calls.join("\n"),
    );
  });
});
