// component: Spark, Java, versitygw, terraform
// The local target's real parts, proven together with no mocks: versitygw (S3 API, posix backend)
// + Spark from the cached pyspark venv with hadoop-aws + spark-defaults from the shared renderer.
// A PySpark word count reads s3a://bucket/in/ and writes s3a://bucket/out/; the results are read
// back through the S3 API and found as plain files in the server's data dir.
//
// First run installs into the burst cache (minutes: see scripts/setup.sh); later runs reuse it.

import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import { type S3Server, startS3Server } from "../../../scripts/servers/s3server.ts";
import { BurstError } from "../../../src/errors.ts";
import { cacheRoot } from "../../../src/home.ts";
import { withLock } from "../../../src/install/lock.ts";
import { ensureS3Server, type S3ServerRuntime } from "../../../src/targets/local/s3-server.ts";
import { ensureSpark } from "../../../src/targets/local/spark.ts";
import type { SparkRuntime } from "../../../src/targets/local/spark-runtime.ts";
import { ensureSshd } from "../../../src/targets/local/sshd.ts";
import { ensureTerraform } from "../../../src/terraform/binary.ts";
import { run } from "../../../src/util/exec.ts";
import { renderSparkDefaults, renderSparkEnv } from "../../../stacks/shared/spark-conf.ts";
import { readRequirements, sparkLine } from "../../../stacks/shared/spark-versions.ts";

const SPARK_VERSION = "3.5.3"; // config/defaults.yml defaults.spark
const log = (line: string) => process.stderr.write(`${line}\n`);
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

const WORDS = [
  "the quick brown fox jumps over the lazy dog",
  "the dog sleeps",
  "a fox is quick and a dog is lazy",
  "spark on a burst cluster counts the words",
];

function expectedCounts(): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of WORDS) for (const w of line.split(/\s+/)) if (w) m.set(w, (m.get(w) ?? 0) + 1);
  return m;
}

const WORDCOUNT_PY = `
import sys
from pyspark.sql import SparkSession

src, dst = sys.argv[1], sys.argv[2]
spark = SparkSession.builder.appName("burst-smoke-wordcount").getOrCreate()
counts = (spark.sparkContext.textFile(src)
          .flatMap(lambda line: line.split())
          .map(lambda w: (w, 1))
          .reduceByKey(lambda a, b: a + b, numPartitions=2))
# RDD API: Hadoop FileOutputCommitter through s3a.
counts.map(lambda kv: "%s\\t%d" % kv).saveAsTextFile(dst)
# DataFrame API: Spark SQL's commit protocol through s3a.
spark.createDataFrame(counts, ["word", "n"]).write.mode("overwrite").json(dst.rstrip("/") + "-df/")
# Big enough (~10 MB) to go through S3A's multipart upload and multipart copy (rename) with 5 MB parts.
spark.range(0, 1500000, numPartitions=1).selectExpr("cast(id as string) as v").write.mode("overwrite").text(dst.rstrip("/") + "-big/")
print("BURST_WORDCOUNT_DISTINCT=%d" % counts.count())
spark.stop()
`;

let spark: SparkRuntime;
let s3bin: S3ServerRuntime;

before(async () => {
  const t = Date.now();
  s3bin = await ensureS3Server(log);
  spark = await ensureSpark(SPARK_VERSION, log);
  log(`runtimes ready in ${secs(Date.now() - t)}: ${spark.sparkHome}`);
});

describe("local runtime: ensure*", () => {
  test("warm calls reuse the cache and are fast", async () => {
    const t = Date.now();
    const again = await ensureSpark(SPARK_VERSION, log);
    const s3 = await ensureS3Server(log);
    const took = Date.now() - t;
    assert.deepEqual(again, spark);
    assert.deepEqual(s3, s3bin);
    assert.ok(took < 2000, `warm ensureSpark + ensureS3Server took ${took} ms`);
    for (const p of [spark.sparkSubmit, spark.sparkClass, spark.pythonExec, s3.binary]) assert.ok(existsSync(p), p);
    const jars = await readdir(join(spark.sparkHome, "jars"));
    assert.ok(jars.includes(`hadoop-aws-${spark.hadoopVersion}.jar`), "hadoop-aws matches the Hadoop inside Spark");
    assert.ok(
      jars.some((j) => /^aws-java-sdk-bundle-|^bundle-2\./.test(j)),
      "AWS SDK bundle present",
    );
  });

  test("the venv python imports pyspark (PYSPARK_PYTHON for executors)", async () => {
    const r = await run(spark.pythonExec, ["-c", "import pyspark; print(pyspark.__version__)"], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), SPARK_VERSION);
  });

  test("the venv python has the node runtime's Python packages at the pinned versions (numpy, pandas, pyarrow)", async () => {
    const line = sparkLine(SPARK_VERSION);
    assert.ok(line, `Spark ${SPARK_VERSION} is a supported version`);
    const pinned = readRequirements(line.pythonRequirementsFile);
    assert.deepEqual(
      pinned.map((p) => p.split("==")[0]),
      ["numpy", "pandas", "pyarrow"],
    );
    assert.deepEqual(spark.pythonPackages, pinned);
    const r = await run(
      spark.pythonExec,
      [
        "-c",
        "import numpy, pandas, pyarrow; print(f'numpy=={numpy.__version__} pandas=={pandas.__version__} pyarrow=={pyarrow.__version__}')",
      ],
      { timeoutMs: 60_000 },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), pinned.join(" "));
  });

  test("sshd is installed", async () => {
    const { sshd } = await ensureSshd();
    assert.ok(existsSync(sshd));
  });

  test("terraform/OpenTofu applies and destroys terraform_data + local-exec offline", async () => {
    const tfs = [await ensureTerraform(log)];
    // The OpenTofu burst builds when no terraform is on PATH: prove it too when it is cached.
    const cachedTofu = join(cacheRoot(), "bin", "tofu");
    if (tfs[0]?.binary !== cachedTofu && existsSync(cachedTofu))
      tfs.push({ binary: cachedTofu, name: "tofu", version: "cached" });
    for (const tf of tfs) await applyAndDestroy(tf);
  });

  async function applyAndDestroy(tf: { binary: string; name: string; version: string }): Promise<void> {
    const dir = await mkdtemp(join(tmpdir(), "burst-tf-"));
    try {
      const marker = join(dir, "created");
      await writeFile(
        join(dir, "main.tf.json"),
        JSON.stringify({
          resource: {
            terraform_data: {
              node: {
                input: "ok",
                provisioner: [
                  { "local-exec": { command: `echo up > ${marker}` } },
                  {
                    "local-exec": {
                      when: "destroy",
                      command: `rm -f ${marker}`,
                    },
                  },
                ],
              },
            },
          },
          output: { value: { value: "${terraform_data.node.output}" } },
        }),
      );
      const env = { CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1" };
      const t = Date.now();
      for (const args of [
        ["init", "-input=false"],
        ["apply", "-auto-approve", "-input=false"],
      ]) {
        const r = await run(tf.binary, [...args, "-no-color"], {
          cwd: dir,
          env,
          timeoutMs: 120_000,
        });
        assert.equal(r.code, 0, `${tf.name} ${args[0]}: ${r.stderr}${r.stdout}`);
      }
      assert.ok(existsSync(marker), "create provisioner ran");
      const out = await run(tf.binary, ["output", "-json"], {
        cwd: dir,
        env,
        timeoutMs: 60_000,
      });
      assert.equal((JSON.parse(out.stdout) as { value: { value: string } }).value.value, "ok");
      const d = await run(tf.binary, ["destroy", "-auto-approve", "-no-color"], { cwd: dir, env, timeoutMs: 120_000 });
      assert.equal(d.code, 0, d.stderr);
      assert.ok(!existsSync(marker), "destroy provisioner ran");
      log(`${tf.name} ${tf.version}: init+apply+output+destroy in ${secs(Date.now() - t)}`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  test("misconfiguration fails with a BurstError that says what to do", async () => {
    const saved = { ...process.env };
    try {
      process.env.TERRAFORM_BINARY_NAME = "no-such-terraform-burst";
      await assert.rejects(ensureTerraform(log), (e: unknown) => {
        assert.ok(e instanceof BurstError && e.kind === "infrastructure");
        assert.match(e.message, /TERRAFORM_BINARY_NAME=no-such-terraform-burst is not on PATH/);
        assert.ok(e.hint);
        return true;
      });
      delete process.env.TERRAFORM_BINARY_NAME;
      process.env.SPARK_HOME = "/nonexistent/spark";
      await assert.rejects(ensureSpark(SPARK_VERSION, log), (e: unknown) => {
        assert.ok(e instanceof BurstError);
        assert.match(e.message, /SPARK_HOME=\/nonexistent\/spark has no executable bin\/spark-submit/);
        return true;
      });
      delete process.env.SPARK_HOME;
      await assert.rejects(ensureSpark("3.5", log), (e: unknown) => e instanceof BurstError && e.kind === "bad-input");
      await assert.rejects(ensureSpark("2.4.4", log), (e: unknown) => {
        assert.ok(e instanceof BurstError && e.kind === "bad-input");
        assert.match(e.message, /cannot install Spark 2\.4\.4/);
        assert.match(e.hint ?? "", /3\.5\.0-3\.5\.9/);
        return true;
      });
      // A SPARK_HOME is honoured as it is (here: the cached one), s3a jars already inside.
      process.env.SPARK_HOME = spark.sparkHome;
      const external = await ensureSpark(SPARK_VERSION, log);
      assert.equal(external.source, "SPARK_HOME");
      assert.equal(external.hadoopVersion, spark.hadoopVersion);
      assert.deepEqual(external.extraJars, []);
    } finally {
      for (const k of ["TERRAFORM_BINARY_NAME", "SPARK_HOME"]) {
        if (saved[k] === undefined) delete process.env[k];
        else process.env[k] = saved[k];
      }
    }
  });

  test("the cache lock serialises concurrent installers and breaks stale locks", async () => {
    const dir = await mkdtemp(join(tmpdir(), "burst-lock-"));
    try {
      const lock = join(dir, "x.lock");
      const events: string[] = [];
      const job = (name: string) =>
        withLock(lock, { what: name, pollMs: 20 }, async () => {
          events.push(`${name}:in`);
          await new Promise((r) => setTimeout(r, 100));
          events.push(`${name}:out`);
        });
      await Promise.all([job("a"), job("b")]);
      assert.deepEqual(
        events.map((e) => e.split(":")[1]),
        ["in", "out", "in", "out"],
      );
      // A lock left by a dead process is taken over.
      await mkdir(lock);
      await writeFile(
        join(lock, "owner"),
        JSON.stringify({
          pid: 2 ** 22 + 12345,
          host: (await import("node:os")).hostname(),
        }),
      );
      assert.equal(await withLock(lock, { what: "c", pollMs: 20, timeoutMs: 5000 }, async () => "took it"), "took it");
      assert.ok(!existsSync(lock));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("local runtime: Spark word count over s3a against versitygw", () => {
  let s3: S3Server;
  let work: string;

  before(async () => {
    s3 = await startS3Server({ binary: s3bin.binary });
    work = await mkdtemp(join(tmpdir(), "burst-smoke-"));
  });

  after(async () => {
    const pid = s3?.pid;
    await s3?.stop();
    if (pid !== undefined) assert.throws(() => process.kill(pid, 0), "versitygw is gone after stop()");
    if (work) await rm(work, { recursive: true, force: true });
  });

  test("reads s3a://bucket/in/, writes s3a://bucket/out/, results readable via S3 and as plain files", async () => {
    const client = s3.client();
    const bucket = "burst-smoke";
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    const text = `${WORDS.join("\n")}\n`;
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: "in/words.txt", Body: text }));
    // posix backend: the object is a plain file at <dataDir>/<bucket>/<key>.
    assert.equal(await readFile(join(s3.dataDir, bucket, "in", "words.txt"), "utf8"), text);

    const confDir = join(work, "conf");
    const eventLogDir = join(work, "events");
    await mkdir(confDir, { recursive: true });
    await mkdir(eventLogDir, { recursive: true });
    await writeFile(
      join(confDir, "spark-defaults.conf"),
      renderSparkDefaults({
        s3: { endpoint: s3.endpoint, pathStyle: true, region: s3.region },
        eventLogDir,
        // Test-only: small parts, so the ~10 MB output exercises multipart upload and copy.
        extra: {
          "spark.hadoop.fs.s3a.multipart.size": "5M",
          "spark.hadoop.fs.s3a.multipart.threshold": "5M",
        },
      }),
    );
    await writeFile(join(confDir, "spark-env.sh"), renderSparkEnv({ pysparkPython: spark.pythonExec }));
    const job = join(work, "wordcount.py");
    await writeFile(job, WORDCOUNT_PY);

    const env: Record<string, string | undefined> = {
      SPARK_HOME: spark.sparkHome,
      SPARK_CONF_DIR: confDir,
      PYSPARK_PYTHON: spark.pythonExec,
      SPARK_LOCAL_IP: "127.0.0.1",
      // Credentials only through the environment: S3A's default provider chain reads them.
      AWS_ACCESS_KEY_ID: s3.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
      AWS_SESSION_TOKEN: undefined,
      AWS_PROFILE: undefined,
      AWS_REGION: undefined,
      AWS_DEFAULT_REGION: undefined,
    };
    const t = Date.now();
    const lines: string[] = [];
    const r = await run(
      spark.sparkSubmit,
      [
        "--master",
        "local[2]",
        "--conf",
        "spark.ui.enabled=false",
        ...(spark.extraJars.length ? ["--jars", spark.extraJars.join(",")] : []),
        job,
        `s3a://${bucket}/in/`,
        `s3a://${bucket}/out/`,
      ],
      { env, cwd: work, timeoutMs: 5 * 60_000, onLine: (l) => lines.push(l) },
    );
    const wall = Date.now() - t;
    log(`spark-submit word count: ${secs(wall)} wall`);
    if (r.code !== 0) {
      await writeFile(join(tmpdir(), "burst-smoke-spark.log"), lines.join("\n"));
      assert.fail(
        `spark-submit exited ${r.code} after ${secs(wall)}:\n${lines
          .filter((l) => !/^\s+at /.test(l))
          .slice(-60)
          .join("\n")}`,
      );
    }
    const expected = expectedCounts();
    assert.ok(r.stdout.includes(`BURST_WORDCOUNT_DISTINCT=${expected.size}`), r.stdout);

    // Read the results back through the S3 API.
    const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "out/" }));
    const keys = (listed.Contents ?? []).map((o) => o.Key ?? "");
    assert.ok(keys.includes("out/_SUCCESS"), `keys: ${keys.join(", ")}`);
    assert.ok(!keys.some((k) => k.includes("_temporary")), `no _temporary left: ${keys.join(", ")}`);
    const parts = keys.filter((k) => /\/part-\d+/.test(k));
    assert.equal(parts.length, 2, `keys: ${keys.join(", ")}`);
    const got = new Map<string, number>();
    for (const key of parts) {
      const body = await (
        await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }))
      ).Body?.transformToString();
      for (const line of (body ?? "").split("\n").filter(Boolean)) {
        const [w, n] = line.split("\t");
        assert.ok(w && n, line);
        assert.ok(!got.has(w), `duplicate word ${w}`);
        got.set(w, Number(n));
      }
    }
    assert.deepEqual(new Map([...got].sort()), new Map([...expected].sort()));

    const dfKeys = (
      (await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "out-df/" }))).Contents ?? []
    ).map((o) => o.Key ?? "");
    assert.ok(dfKeys.includes("out-df/_SUCCESS"), `df keys: ${dfKeys.join(", ")}`);
    let dfTotal = 0;
    for (const key of dfKeys.filter((k) => k.endsWith(".json"))) {
      const body = await (
        await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }))
      ).Body?.transformToString();
      for (const line of (body ?? "").split("\n").filter(Boolean)) dfTotal += (JSON.parse(line) as { n: number }).n;
    }
    assert.equal(
      dfTotal,
      [...expected.values()].reduce((a, b) => a + b, 0),
    );

    const bigKeys = (
      (await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "out-big/" }))).Contents ?? []
    ).filter((o) => o.Key?.endsWith(".txt"));
    assert.equal(bigKeys.length, 1);
    const big = bigKeys[0];
    const bigSize = Array.from({ length: 1_500_000 }, (_, i) => String(i).length + 1).reduce((a, b) => a + b, 0);
    assert.equal(big?.Size, bigSize, "multipart object has every byte");
    assert.match(big?.ETag ?? "", /-\d+"?$/, "written as a multipart object");
    assert.equal((await stat(join(s3.dataDir, bucket, big?.Key ?? ""))).size, bigSize);

    // The same objects are plain files in the server's data dir.
    for (const key of [...parts, "out/_SUCCESS"]) {
      const st = await stat(join(s3.dataDir, bucket, key));
      assert.ok(st.isFile(), `${key} is a plain file`);
    }
    const onDisk = await readdir(join(s3.dataDir, bucket, "out"));
    assert.ok(!onDisk.includes("_temporary"), `on disk: ${onDisk.join(", ")}`);

    // The event log went where spark-defaults said.
    assert.ok((await readdir(eventLogDir)).length > 0, "event log written");
  });
});
