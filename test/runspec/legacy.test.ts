// Legacy spark.yml files (the old Terraform + Consul + Ansible setup): blocks of flat keys,
// translated into a native spec. Errors point at the legacy file and name its keys.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse as parseYaml } from "yaml";
import { describeSpec } from "../../src/runspec/describe.ts";
import { isLegacySpec, sparkVersionOfUrl, translateLegacy } from "../../src/runspec/legacy.ts";
import { loadSpec, parseSpec } from "../../src/runspec/load.ts";
import { NodeOrigins, parseYaml as parseSource } from "../../src/runspec/sources.ts";
import { assertRejected, DEFAULTS, FIXTURES, MINIMAL, OPTIONS, specErrorOf, specErrorOfAsync } from "./helpers.ts";

const legacy = (name: string): string => join(FIXTURES, "legacy", name);
const TWO_BLOCKS = legacy("spark.yml");
const twoBlocksText = readFileSync(TWO_BLOCKS, "utf8");
const translate = (text: string, block?: string, file = legacy("inline.yml")) =>
  translateLegacy(text, file, { block, defaults: DEFAULTS });

describe("translateLegacy on a two-block file", () => {
  it("translates a .py block into a pyspark job, taking the name from spark_job_name", () => {
    const translation = translate(twoBlocksText, "wordcount", TWO_BLOCKS);
    assert.equal(translation.block, "wordcount");
    assert.deepEqual(translation.spec, {
      name: "word-count",
      code: { repo: "https://github.com/org/jobs.git", ref: "HEAD" },
      job: {
        type: "pyspark",
        entrypoint: "wordcount/main.py",
        args: ["s3a://legacy-data/in/ s3a://legacy-data/out/"],
      },
      cluster: { workers: 4, master: { instanceType: "m5.xlarge" }, worker: { instanceType: "m5.2xlarge" } },
    });
  });

  it("translates a .jar block into a jar job with its main class", () => {
    const { spec } = translate(twoBlocksText, "sparkpi", TWO_BLOCKS);
    assert.deepEqual(spec.job, {
      type: "jar",
      entrypoint: "sparkpi/target/sparkpi.jar",
      class: "org.apache.spark.examples.SparkPi",
      args: [1000],
    });
    assert.equal(spec.name, "sparkpi");
  });

  it("warns, with positions, about keys burst now handles itself", () => {
    assert.deepEqual(translate(twoBlocksText, "wordcount", TWO_BLOCKS).warnings, [
      `${TWO_BLOCKS}:3:17: wordcount.instance_tag: no longer applies and is ignored: burst tags every run's resources itself (run id, owner, commit)`,
      `${TWO_BLOCKS}:10:13: wordcount.git_dest: no longer applies and is ignored: burst chooses the checkout folder on the master`,
      `${TWO_BLOCKS}:7:14: wordcount.spark_url: asks for Spark 2.4.4, which burst cannot provide; the run uses Spark ${DEFAULTS.spark} (burst provides 3.5.0-3.5.9)`,
    ]);
    assert.deepEqual(translate(twoBlocksText, "sparkpi", TWO_BLOCKS).warnings, []);
  });

  it("takes the Spark version from spark_url's tarball name when burst provides it", () => {
    const cluster = translate(twoBlocksText, "sparkpi", TWO_BLOCKS).spec.cluster as Record<string, unknown>;
    assert.equal(cluster.spark, "3.5.0");
    assert.equal(
      sparkVersionOfUrl("https://archive.apache.org/dist/spark/spark-2.4.4/spark-2.4.4-bin-hadoop2.7.tgz"),
      "2.4.4",
    );
    assert.equal(sparkVersionOfUrl("http://mirror.example/spark-3.5.1-bin-hadoop3-scala2.13.tgz?x=1"), "3.5.1");
    assert.equal(sparkVersionOfUrl("/opt/dist/spark-3.5.2.tar.gz"), "3.5.2");
    assert.equal(sparkVersionOfUrl("spark://10.0.1.10:7077"), undefined);
  });

  it("warns when spark_url names no version (a master URL), and uses the default", () => {
    const text =
      "etl:\n  git_repo: https://github.com/org/jobs.git\n  exec_path: etl.py\n  spark_url: spark://10.0.1.10:7077\n";
    const translation = translate(text, "etl");
    assert.equal((translation.spec.cluster as Record<string, unknown> | undefined)?.spark, undefined);
    assert.deepEqual(translation.warnings, [
      `${legacy("inline.yml")}:4:14: etl.spark_url: expected the URL of a Spark distribution tarball (…/spark-<version>-bin-<hadoop>.tgz), found "spark://10.0.1.10:7077", which names no Spark version; the run uses Spark ${DEFAULTS.spark} (burst provides 3.5.0-3.5.9)`,
    ]);
  });

  it("needs --block to choose between blocks, and lists them", () => {
    assertRejected(
      specErrorOf(() => translate(twoBlocksText, undefined, TWO_BLOCKS)),
      TWO_BLOCKS,
      {
        says: "legacy spec with 2 blocks (wordcount, sparkpi): expected --block to choose one, found none",
        hint: "e.g. --block wordcount",
      },
    );
  });

  it("suggests the closest block for a misspelled --block", () => {
    assertRejected(
      specErrorOf(() => translate(twoBlocksText, "sparkip", TWO_BLOCKS)),
      TWO_BLOCKS,
      {
        says: 'legacy spec: expected --block to name one of its blocks (wordcount, sparkpi), found "sparkip"',
        hint: "did you mean 'sparkpi'?",
      },
    );
  });

  it("refuses a native spec", () => {
    assertRejected(
      specErrorOf(() => translate(MINIMAL)),
      legacy("inline.yml"),
      { says: "not a legacy spec" },
    );
  });
});

describe("loading a legacy file", async () => {
  const spec = await loadSpec(TWO_BLOCKS, { ...OPTIONS, block: "wordcount" });

  it("gives a native spec with defaults from ops for what the block leaves out", () => {
    assert.equal(spec.name, "word-count");
    assert.equal(spec.target, "local");
    assert.deepEqual(spec.code, { repo: "https://github.com/org/jobs.git", ref: "HEAD", subdirectory: "" });
    assert.equal(spec.cluster.workers, 4);
    assert.equal(spec.cluster.master.instanceType, "m5.xlarge");
    assert.equal(spec.cluster.worker.instanceType, "m5.2xlarge");
    assert.equal(spec.cluster.spark, DEFAULTS.spark);
    assert.equal(spec.results, DEFAULTS.results);
  });

  it("passes spark_job_args as ONE argument, as the old setup did", () => {
    assert.deepEqual(spec.job.args, ["s3a://legacy-data/in/ s3a://legacy-data/out/"]);
    assert.deepEqual(
      spec.steps.map((step) => step.name),
      ["job"],
    );
    assert.deepEqual(spec.buckets, ["legacy-data", "ops-results"]);
  });

  it("says which buckets the run reaches, and where to grant one named only in the job's code", () => {
    assert.deepEqual(spec.notes, [
      `${TWO_BLOCKS}: the run of block wordcount reaches the S3 buckets it names (in spark_job_args and results): legacy-data, ops-results. A bucket the job names only in its code is not among them: on aws add it to the buckets the node role may use (aws/buckets; docs/aws.md#buckets-a-legacy-job-reads)`,
    ]);
    assert.ok(
      describeSpec(spec).includes(`# note: ${TWO_BLOCKS}: the run of block wordcount reaches the S3 buckets it names`),
    );
  });

  it("records the block and returns the warnings", () => {
    assert.equal(spec.source.legacyBlock, "wordcount");
    assert.equal(spec.source.file, TWO_BLOCKS);
    assert.equal(spec.warnings.length, 3);
  });

  it("is described in the native form, with the block and warnings as comments", () => {
    const text = describeSpec(spec);
    const shown = parseYaml(text);
    assert.ok(text.includes('# translated from legacy block "wordcount"\n'));
    assert.ok(text.includes(`# warning: ${TWO_BLOCKS}:7:14: wordcount.spark_url: asks for Spark 2.4.4`));
    assert.equal(shown.job.entrypoint, "wordcount/main.py");
    assert.equal(shown.cluster.workers, 4);
    for (const key of ["exec_path", "no_workers", "git_repo", "warnings", "wordcount"]) {
      assert.ok(!text.includes(`${key}:`), `${key} is not a native key:\n${text}`);
    }
  });

  it("has no warnings for a native spec", async () => {
    const native = await loadSpec(join(FIXTURES, "good", "spark.yml"), OPTIONS);
    assert.deepEqual(native.warnings, []);
    assert.equal(native.notes, undefined);
  });

  it("of one block needs no --block; the name comes from the block, a local repo from the file's folder", async () => {
    const single = await loadSpec(legacy("single.yml"), OPTIONS);
    assert.equal(single.name, "nightly-report");
    assert.equal(single.code.repo, join(FIXTURES, "jobs"));
    assert.equal(single.cluster.workers, DEFAULTS.workers);
    assert.deepEqual(single.job.args, []);
    assert.deepEqual(single.warnings, []);
  });

  it("takes an environment overlay beside it like a native spec", async () => {
    const small = await loadSpec(TWO_BLOCKS, { ...OPTIONS, block: "wordcount", environment: "small" });
    assert.equal(small.cluster.workers, 1);
    assert.equal(small.cluster.worker.instanceType, "m5.2xlarge");
  });

  it("with --block on a native spec is refused", async () => {
    const file = join(FIXTURES, "good", "spark.yml");
    assertRejected(await specErrorOfAsync(() => loadSpec(file, { ...OPTIONS, block: "wordcount" })), file, {
      says: "--block wordcount: expected a legacy spec (named blocks with exec_path, git_repo, ...), found a native spec",
      hint: "remove --block",
    });
  });
});

describe("a bad legacy block is rejected at its line, naming its legacy key", () => {
  const file = legacy("bad.yml");
  const cases = [
    {
      block: "typo",
      at: "3:3",
      key: "typo.exec_pth",
      says: 'found unknown key "exec_pth"',
      hint: "did you mean 'exec_path'?",
    },
    {
      block: "shell",
      at: "6:14",
      key: "shell.exec_path",
      says: 'expected a path ending in .py or .jar (it chooses the job type), found string "run.sh"',
    },
    {
      block: "jar_without_class",
      at: "8:3",
      key: "jar_without_class.class_name",
      says: "expected a main class for a .jar exec_path, found no class_name",
      hint: "class_name: com.example.WordCount",
    },
    {
      block: "python_with_class",
      at: "24:15",
      key: "python_with_class.class_name",
      says: 'expected no class_name for a .py exec_path, found string "com.example.Main"',
    },
    // Found by the native validation of the translated spec, still reported in legacy terms.
    {
      block: "bad_instance",
      at: "13:25",
      key: "bad_instance.instance_type_worker",
      says: 'expected an EC2 instance type like m5.xlarge (family.size), found string "m5-xlarge"',
      hint: "did you mean 'm5.xlarge'?",
    },
    {
      block: "no_workers",
      at: "17:15",
      key: "no_workers.no_workers",
      says: "expected at least 1 worker for a pyspark job, found 0",
    },
    {
      block: "bad_repo",
      at: "19:13",
      key: "bad_repo.git_repo",
      says: "expected a git URL (https://, ssh://, git@host:path, file://) or a local folder",
      hint: "use https",
    },
  ];
  for (const bad of cases) {
    it(`${bad.block}: ${bad.key}`, async () => {
      assertRejected(await specErrorOfAsync(() => loadSpec(file, { ...OPTIONS, block: bad.block })), file, bad);
    });
  }
});

describe("inline legacy problems", () => {
  const file = legacy("inline.yml");

  it("a missing required key points at the block", () => {
    assertRejected(
      specErrorOf(() => translate("etl:\n  no_workers: 2\n  git_repo: https://github.com/org/jobs.git\n")),
      file,
      { at: "2:3", key: "etl.exec_path", says: 'expected required key "exec_path" (string), found no such key' },
    );
  });

  it("a block name that leaves no valid name is reported at the block's key", () => {
    const error = specErrorOf(() =>
      loadSpecText("___:\n  git_repo: https://github.com/org/jobs.git\n  exec_path: main.py\n"),
    );
    assertRejected(error, file, { at: "1:1", key: "___", says: 'expected a non-empty string, found string ""' });
  });

  it("YAML merge keys share settings between blocks; only blocks that run something are listed", () => {
    const text =
      "common: &common\n  git_repo: https://github.com/org/jobs.git\n  no_workers: 2\netl:\n  <<: *common\n  exec_path: main.py\n  no_workers: 5\n";
    const translation = translate(text);
    assert.equal(translation.block, "etl");
    assert.deepEqual(translation.spec.code, { repo: "https://github.com/org/jobs.git", ref: "HEAD" });
    assert.deepEqual(translation.spec.cluster, { workers: 5 }, "the block's own keys win over merged ones");
  });

  it("a merged value is reported where it was written, under the anchor", () => {
    const text =
      "common: &common\n  instance_type_worker: m5-large\netl:\n  <<: *common\n  git_repo: https://github.com/org/jobs.git\n  exec_path: main.py\n";
    assertRejected(
      specErrorOf(() => parseSpec(text, file, OPTIONS)),
      file,
      { at: "2:25", key: "etl.instance_type_worker", says: 'found string "m5-large"' },
    );
  });

  it("a value from an alias is reported where its anchor is", () => {
    const text =
      "etl:\n  git_repo: https://github.com/org/jobs.git\n  exec_path: main.py\n  instance_type_master: &size m5-large\n  instance_type_worker: *size\n";
    const error = specErrorOf(() => loadSpecText(text));
    assert.deepEqual(
      error.issues.map((issue) => `${issue.location.line}:${issue.location.column} ${issue.keyPath}`),
      ["4:31 etl.instance_type_master", "4:31 etl.instance_type_worker"],
    );
  });

  const loadSpecText = (text: string) => parseSpec(text, file, OPTIONS);
});

describe("detecting a legacy file", () => {
  const detect = (text: string): boolean => {
    const source = parseSource(text, "x.yml");
    return isLegacySpec(source.doc.contents, new NodeOrigins(source));
  };

  it("by blocks of legacy keys", () => {
    assert.equal(detect(twoBlocksText), true);
    assert.equal(detect("etl:\n  exec_path: main.py\n"), true);
  });

  it("never for a native spec, even one with mistakes", () => {
    assert.equal(detect(MINIMAL), false);
    assert.equal(detect("name: x\netl:\n  exec_path: main.py\n"), false);
    assert.equal(detect("cluster:\n  workers: 2\n"), false);
    assert.equal(detect("- a\n- b\n"), false);
  });
});
