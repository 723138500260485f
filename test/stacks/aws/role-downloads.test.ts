// component: versitygw
// The node role's download step (install_spark in stacks/shared/node/role.sh) run by bash on this
// machine against an artifacts bucket on a real S3 server (versitygw, loopback), as the stage
// command fills it and as a node reads it: unsigned GETs, every file checked against its pin.
// The whole boot, in Debian 12 containers, is test/stacks/aws/booted-node.test.ts.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { CreateBucketCommand, PutBucketPolicyCommand } from "@aws-sdk/client-s3";
import { type S3Server, startS3Server } from "../../../scripts/servers/s3server.ts";
import { stageArtifacts } from "../../../src/targets/aws/stage-artifacts.ts";
import type { NodeArtifact } from "../../../stacks/aws/artifacts.ts";

const role = fileURLToPath(new URL("../../../stacks/shared/node/role.sh", import.meta.url));
const bucket = "burst-main-artifacts-roletest";
const sha512 = (bytes: Buffer) => createHash("sha512").update(bytes).digest("hex");

describe("install_spark: Spark and the jars from the artifacts bucket, each checked against its pin", () => {
  const scratch = mkdtempSync(join(tmpdir(), "burst-role-downloads-"));
  let s3: S3Server;
  let tarball: Buffer;
  const jar = randomBytes(4096);

  before(async () => {
    // A Spark distribution in Apache's layout, small: what install_spark unpacks.
    const dist = join(scratch, "dist", "spark-3.5.3-bin-hadoop3");
    mkdirSync(join(dist, "bin"), { recursive: true });
    mkdirSync(join(dist, "jars"));
    writeFileSync(join(dist, "bin", "spark-class"), "#!/bin/sh\n", { mode: 0o755 });
    const sources = join(scratch, "sources");
    mkdirSync(sources);
    const packed = spawnSync("tar", [
      "-czf",
      join(sources, "spark-3.5.3-bin-hadoop3.tgz"),
      "-C",
      join(scratch, "dist"),
      "spark-3.5.3-bin-hadoop3",
    ]);
    assert.equal(packed.status, 0, String(packed.stderr));
    tarball = readFileSync(join(sources, "spark-3.5.3-bin-hadoop3.tgz"));
    writeFileSync(join(sources, "extra-1.0.jar"), jar);

    s3 = await startS3Server();
    const client = s3.client();
    try {
      await client.send(new CreateBucketCommand({ Bucket: bucket }));
      // Public reads, as the VPC bucket's policy grants them through the endpoint (versitygw has no aws:SourceVpce).
      const read = { Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: `arn:aws:s3:::${bucket}/*` };
      await client.send(
        new PutBucketPolicyCommand({
          Bucket: bucket,
          Policy: JSON.stringify({ Version: "2012-10-17", Statement: [read] }),
        }),
      );
      const artifacts: NodeArtifact[] = [
        {
          key: "spark/spark-3.5.3/spark-3.5.3-bin-hadoop3.tgz",
          fileName: "spark-3.5.3-bin-hadoop3.tgz",
          publicUrl: "http://unused.invalid/",
          sha512: sha512(tarball),
          kind: "spark",
        },
        {
          key: "maven2/x/extra-1.0.jar",
          fileName: "extra-1.0.jar",
          publicUrl: "http://unused.invalid/",
          sha512: sha512(jar),
          kind: "jar",
        },
      ];
      await stageArtifacts({ client, bucket, artifacts, sources: [sources], scratchDir: scratch, log: () => {} });
    } finally {
      client.destroy();
    }
  });

  after(async () => {
    await s3?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  /** install_spark in a fresh SPARK_HOME, with the user data's variables. */
  function installSpark(pins: { spark: string; jar: string }) {
    const home = mkdtempSync(join(scratch, "home-"));
    const base = `${s3.endpoint}/${bucket}`;
    const result = spawnSync("bash", ["-c", `set -euo pipefail; source "${role}"; install_spark`], {
      encoding: "utf8",
      env: {
        PATH: process.env.PATH,
        SPARK_HOME: join(home, "spark"),
        SPARK_VERSION: "3.5.3",
        SPARK_URL: `${base}/spark/spark-3.5.3/spark-3.5.3-bin-hadoop3.tgz`,
        SPARK_SHA512: pins.spark,
        SPARK_JARS: `${pins.jar} ${base}/maven2/x/extra-1.0.jar`,
      },
    });
    return { ...result, home: join(home, "spark") };
  }

  it("unpacks Spark and adds the jar when both are the pinned files", () => {
    const result = installSpark({ spark: sha512(tarball), jar: sha512(jar) });
    assert.equal(result.status, 0, result.stderr);
    assert.ok(existsSync(join(result.home, "bin", "spark-class")));
    assert.deepEqual(readFileSync(join(result.home, "jars", "extra-1.0.jar")), jar);
  });

  it("fails naming the URL and both checksums when the tarball is not the pinned one, keeping nothing", () => {
    const wrong = "ab".repeat(64);
    const result = installSpark({ spark: wrong, jar: sha512(jar) });
    assert.equal(result.status, 1);
    assert.match(
      result.stderr,
      new RegExp(
        `burst: checksum mismatch for ${s3.endpoint}/${bucket}/spark/spark-3\\.5\\.3/spark-3\\.5\\.3-bin-hadoop3\\.tgz: its SHA-512 is ${sha512(tarball)}, the pinned one ${wrong}`,
      ),
    );
    assert.ok(!existsSync(join(result.home, "bin")), "nothing unpacked");
  });

  it("fails on a jar that is not the pinned one, and on an object the bucket does not hold", () => {
    const badJar = installSpark({ spark: sha512(tarball), jar: "cd".repeat(64) });
    assert.equal(badJar.status, 1);
    assert.match(badJar.stderr, /burst: checksum mismatch for .*\/maven2\/x\/extra-1\.0\.jar/);
    assert.ok(!existsSync(join(badJar.home, "jars", "extra-1.0.jar")), "the mismatched jar is deleted");
    const missing = spawnSync(
      "bash",
      ["-c", `source "${role}"; download "${s3.endpoint}/${bucket}/nothing.tgz" /dev/null`],
      {
        encoding: "utf8",
      },
    );
    assert.equal(missing.status, 1);
    assert.match(
      missing.stderr,
      /burst: could not download http:\/\/127\.0\.0\.1:\d+\/burst-main-artifacts-roletest\/nothing\.tgz/,
    );
  });
});
