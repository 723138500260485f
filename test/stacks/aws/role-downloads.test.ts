// component: versitygw
// The node role's install step (install_spark in stacks/shared/node/role.sh) run by bash on this
// machine against an artifacts bucket on a real S3 server (versitygw, loopback), as the stage
// command fills it and as a node reads it: unsigned GETs, every file checked against its pin, then
// pip installing exactly those files into a venv from no index. The pyspark here is a small sdist
// of the same shape (a pyspark package with bin/spark-class and jars/) built by the test, so this
// file runs in seconds; the real pyspark is installed by the booted-node test and the AWS twin.
// The build tool is the real wheel of stacks/aws/artifacts/python.txt, from setup-tests' cache.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import {
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { CreateBucketCommand, PutBucketPolicyCommand } from "@aws-sdk/client-s3";
import { type S3Server, startS3Server } from "../../../scripts/servers/s3server.ts";
import { wheelhouseFiles } from "../../../scripts/setup/node-wheelhouse.ts";
import { stageArtifacts } from "../../../src/targets/aws/stage-artifacts.ts";
import type { NodeArtifact } from "../../../stacks/aws/artifacts.ts";

const role = fileURLToPath(new URL("../../../stacks/shared/node/role.sh", import.meta.url));
const bucket = "burst-main-artifacts-roletest";
const digest = (algorithm: "sha256" | "sha512", bytes: Buffer) => createHash(algorithm).update(bytes).digest("hex");

/** A pyspark-shaped sdist: the package, its bin/spark-class and a jars/ folder, built by setuptools on install. */
function buildSdist(dir: string): string {
  const made = spawnSync(
    "python3",
    [
      "-c",
      `
import io, sys, tarfile
files = {
  "setup.py": "from setuptools import setup\\nsetup(name='pyspark', version='3.5.3', packages=['pyspark'], package_data={'pyspark': ['bin/*', 'jars/*']})\\n",
  "PKG-INFO": "Metadata-Version: 2.1\\nName: pyspark\\nVersion: 3.5.3\\n",
  "pyspark/__init__.py": "__version__ = '3.5.3'\\n",
  "pyspark/bin/spark-class": "#!/bin/sh\\necho spark-class\\n",
  "pyspark/jars/README": "Spark's jars\\n",
}
with tarfile.open(sys.argv[1], "w:gz") as tar:
  for name, text in files.items():
    data = text.encode()
    info = tarfile.TarInfo("pyspark-3.5.3/" + name)
    info.size = len(data)
    info.mode = 0o755 if name.endswith("spark-class") else 0o644
    tar.addfile(info, io.BytesIO(data))
`,
      join(dir, "pyspark-3.5.3.tar.gz"),
    ],
    { encoding: "utf8" },
  );
  assert.equal(made.status, 0, made.stderr);
  return join(dir, "pyspark-3.5.3.tar.gz");
}

describe("install_spark: pyspark, its wheels and the jars from the artifacts bucket, each checked against its pin", () => {
  const scratch = mkdtempSync(join(tmpdir(), "burst-role-downloads-"));
  let s3: S3Server;
  let sdist: Buffer;
  let buildWheel: Buffer;
  let buildWheelName: string;
  const jar = randomBytes(4096);

  before(async () => {
    const sources = join(scratch, "sources");
    mkdirSync(sources);
    sdist = readFileSync(buildSdist(sources));
    const wheel = wheelhouseFiles("3.5.3").find((file) => file.artifact.group === "build");
    assert.ok(
      wheel && existsSync(wheel.path),
      `the build tool's wheel is cached (bash scripts/setup-tests.sh): ${wheel?.path}`,
    );
    buildWheelName = wheel.artifact.fileName;
    copyFileSync(wheel.path, join(sources, buildWheelName));
    buildWheel = readFileSync(wheel.path);
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
          key: `pypi/${buildWheelName}`,
          fileName: buildWheelName,
          publicUrl: "http://unused.invalid/",
          digest: { algorithm: "sha256", hex: digest("sha256", buildWheel) },
          kind: "python",
          group: "build",
        },
        {
          key: "pypi/pyspark-3.5.3.tar.gz",
          fileName: "pyspark-3.5.3.tar.gz",
          publicUrl: "http://unused.invalid/",
          digest: { algorithm: "sha256", hex: digest("sha256", sdist) },
          kind: "python",
          group: "node",
        },
        {
          key: "maven2/x/extra-1.0.jar",
          fileName: "extra-1.0.jar",
          publicUrl: "http://unused.invalid/",
          digest: { algorithm: "sha512", hex: digest("sha512", jar) },
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

  /** install_spark in a fresh SPARK_HOME and venv, with the user data's variables. */
  function installSpark(pins: { pyspark: string; jar: string }) {
    const home = mkdtempSync(join(scratch, "home-"));
    const base = `${s3.endpoint}/${bucket}`;
    const result = spawnSync("bash", ["-c", `set -euo pipefail; source "${role}"; install_spark`], {
      encoding: "utf8",
      env: {
        PATH: process.env.PATH,
        HOME: home,
        SPARK_HOME: join(home, "spark"),
        PYTHON_VENV: join(home, "venv"),
        PYTHON_FILES: [
          `${digest("sha256", buildWheel)} build ${base}/pypi/${buildWheelName}`,
          `${pins.pyspark} node ${base}/pypi/pyspark-3.5.3.tar.gz`,
        ].join("\n"),
        SPARK_JARS: `${pins.jar} ${base}/maven2/x/extra-1.0.jar`,
      },
    });
    return { ...result, home: join(home, "spark"), venv: join(home, "venv") };
  }

  it("pip-installs the pinned files into the venv, SPARK_HOME is its pyspark, the jar joins its jars", () => {
    const result = installSpark({ pyspark: digest("sha256", sdist), jar: digest("sha512", jar) });
    assert.equal(result.status, 0, result.stderr);
    assert.ok(lstatSync(result.home).isSymbolicLink(), "SPARK_HOME links to the venv's pyspark");
    const imported = spawnSync(join(result.venv, "bin", "python"), ["-c", "import pyspark; print(pyspark.__file__)"], {
      encoding: "utf8",
    });
    assert.equal(imported.status, 0, imported.stderr);
    assert.equal(imported.stdout.trim(), join(realpathSync(result.home), "__init__.py"));
    const sparkClass = spawnSync(join(result.home, "bin", "spark-class"), { encoding: "utf8" });
    assert.equal(sparkClass.stdout.trim(), "spark-class", "bin/spark-class is installed executable");
    assert.deepEqual(readFileSync(join(result.home, "jars", "extra-1.0.jar")), jar);
  });

  it("fails naming the URL and both digests when pyspark is not the pinned file, installing nothing", () => {
    const wrong = "ab".repeat(32);
    const result = installSpark({ pyspark: wrong, jar: digest("sha512", jar) });
    assert.equal(result.status, 1);
    assert.match(
      result.stderr,
      new RegExp(
        `burst: checksum mismatch for ${s3.endpoint}/${bucket}/pypi/pyspark-3\\.5\\.3\\.tar\\.gz: its sha256 is ${digest("sha256", sdist)}, the pinned one ${wrong}`,
      ),
    );
    assert.ok(!existsSync(result.venv), "no venv made");
    assert.ok(!existsSync(result.home), "no SPARK_HOME");
  });

  it("fails on a jar that is not the pinned one, and on an object the bucket does not hold", () => {
    const badJar = installSpark({ pyspark: digest("sha256", sdist), jar: "cd".repeat(64) });
    assert.equal(badJar.status, 1);
    assert.match(badJar.stderr, /burst: checksum mismatch for .*\/maven2\/x\/extra-1\.0\.jar: its sha512 is/);
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
