// A kept aws cluster's end, where it cannot be set: a master the CLI cannot reach is a failure (the
// run then destroys the cluster rather than keep one nothing ends early), and a run the record
// never saw answer has no master to reach. The nodes' side runs on the AWS twin
// (test/e2e/aws-twin-after-the-run.test.ts).
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { BurstError, ExitCode } from "../../../src/errors.ts";
import { writeKeyPair } from "../../../src/remote/keys.ts";
import { endAwsClusterBy } from "../../../src/targets/aws/end-cluster-by.ts";

/** A loopback port nothing listens on (taken, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  return typeof address === "object" && address ? address.port : 0;
}

describe("endAwsClusterBy", () => {
  const dirs: string[] = [];
  after(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });
  const stack = (runDir: string) => ({
    runId: "20261207-101500-a1b2",
    runDir,
    stackDir: join(runDir, "stack"),
    terraformBinary: "terraform",
  });

  test("fails, naming the master, when the master cannot be reached: its end was not set", async () => {
    const runDir = await mkdtemp(join(tmpdir(), "burst-end-by-"));
    dirs.push(runDir);
    const key = await writeKeyPair(join(runDir, "keys"), "id_ed25519", "burst-test");
    const host = await writeKeyPair(join(runDir, "keys"), "host_ed25519", "burst-host-test");
    const master = {
      host: "127.0.0.1",
      port: await closedPort(),
      user: "admin",
      privateKeyPath: key.privateKeyPath,
      hostKey: host.publicKey,
    };
    await assert.rejects(
      endAwsClusterBy({ ...stack(runDir), master }, new Date(Date.now() + 600_000), { env: {}, nodeWaitMs: 1_000 }),
      (error: unknown) => {
        assert.ok(error instanceof BurstError);
        assert.equal(error.exitCode, ExitCode.infrastructure);
        assert.match(error.message, new RegExp(`could not SSH to admin@127\\.0\\.0\\.1:${master.port}`));
        return true;
      },
    );
  });

  test("fails when the run's master never answered (no endpoint in its record)", async () => {
    const runDir = await mkdtemp(join(tmpdir(), "burst-end-by-"));
    dirs.push(runDir);
    await assert.rejects(
      endAwsClusterBy(stack(runDir), new Date(Date.now() + 600_000), { env: {} }),
      /run 20261207-101500-a1b2: its master never answered, so its end cannot be set/,
    );
  });
});
