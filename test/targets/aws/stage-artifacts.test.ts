// Which bytes `npm run vpc -- stage` takes for each artifact; staging itself runs against moto in
// test/e2e/aws-moto.test.ts and against versitygw in test/stacks/aws/booted-node.test.ts.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { sourceFor } from "../../../src/targets/aws/stage-artifacts.ts";
import { jarLines, type NodeArtifact, nodeArtifacts, pythonLines } from "../../../stacks/aws/artifacts.ts";
import { pythonPackages } from "../../../stacks/shared/node/packages.ts";
import { hadoopCloudVersion, SUPPORTED_SPARK_VERSIONS, sparkLine } from "../../../stacks/shared/spark-versions.ts";

const dir = mkdtempSync(join(tmpdir(), "burst-stage-sources-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const artifacts = nodeArtifacts("3.5.3", { mavenRepo: "https://maven.example/maven2", architecture: "x86_64" });
const byName = (prefix: string): NodeArtifact => {
  const found = artifacts.find((item) => item.fileName.startsWith(prefix));
  assert.ok(found, prefix);
  return found;
};
const [pyspark, hadoopAws, sdkBundle] = [byName("pyspark-"), byName("hadoop-aws-"), byName("aws-java-sdk-bundle-")];

describe("the artifacts a node downloads", () => {
  it("are PyPI's files (build tool first), then every jar of jars.txt for that version, in the bucket's layout", () => {
    assert.deepEqual(
      [pyspark, hadoopAws, sdkBundle].map((item) => [item.kind, item.key, item.digest.algorithm]),
      [
        ["python", "pypi/pyspark-3.5.3.tar.gz", "sha256"],
        ["jar", "maven2/org/apache/hadoop/hadoop-aws/3.3.4/hadoop-aws-3.3.4.jar", "sha512"],
        ["jar", "maven2/com/amazonaws/aws-java-sdk-bundle/1.12.262/aws-java-sdk-bundle-1.12.262.jar", "sha512"],
      ],
    );
    assert.equal(
      pyspark.publicUrl.replace(/\/[^/]+$/, "").startsWith("https://files.pythonhosted.org/packages/"),
      true,
    );
    assert.equal(
      hadoopAws.publicUrl,
      "https://maven.example/maven2/org/apache/hadoop/hadoop-aws/3.3.4/hadoop-aws-3.3.4.jar",
    );
    assert.equal(artifacts[0]?.group, "build", "pyspark's sdist builds with the build tool, so it goes in first");
    const kinds = artifacts.map((item) => item.kind);
    assert.equal(kinds.lastIndexOf("python") < kinds.indexOf("jar"), true, "Python files before jars");
  });

  it("give every supported Spark version its own pyspark and the line's packages, for each architecture", () => {
    for (const version of SUPPORTED_SPARK_VERSIONS) {
      for (const architecture of ["x86_64", "arm64"] as const) {
        const names = nodeArtifacts(version, { mavenRepo: "", architecture })
          .filter((item) => item.kind === "python")
          .map((item) => item.fileName);
        assert.deepEqual(
          names.filter((name) => name.startsWith("pyspark-")),
          [`pyspark-${version}.tar.gz`],
        );
        for (const requirement of pythonPackages(version)) {
          const [name, pinned] = requirement.split("==");
          const file = names.find((candidate) => candidate.toLowerCase().startsWith(`${name?.toLowerCase()}-`));
          assert.ok(file, `${requirement} for ${architecture}`);
          assert.ok(file.startsWith(`${name}-${pinned}-`), `${file} is ${requirement}`);
          if (!file.endsWith("-none-any.whl")) {
            assert.match(file, architecture === "arm64" ? /aarch64/ : /x86_64/);
          }
        }
      }
    }
  });

  it("read one file a line from python.txt, each with a SHA-256, and name the line of a malformed one", () => {
    assert.ok(pythonLines().length > 10);
    const bad = join(dir, "python.txt");
    writeFileSync(bad, "# a comment\n3.5.*  any  node  not-a-sha  https://files.pythonhosted.org/x.whl\n");
    assert.throws(
      () => pythonLines(new URL(`file://${bad}`)),
      /python\.txt:2: expected "<versions> <any\|x86_64\|aarch64>/,
    );
  });

  it("give every supported Spark version the spark-hadoop-cloud release the local runtime uses, and one only", () => {
    for (const version of SUPPORTED_SPARK_VERSIONS) {
      const line = sparkLine(version);
      assert.ok(line);
      const cloud = nodeArtifacts(version, { mavenRepo: "" }).filter((item) =>
        item.key.includes("/spark-hadoop-cloud_"),
      );
      const expected = hadoopCloudVersion(line, version);
      assert.deepEqual(
        cloud.map((item) => item.fileName),
        [`spark-hadoop-cloud_${line.scala}-${expected}.jar`],
        `Spark ${version}`,
      );
    }
  });

  it("reads one jar a line from jars.txt, and names the line of a malformed one", () => {
    assert.ok(jarLines().every((line) => /^[0-9a-f]{128}$/.test(line.sha512)));
    const bad = join(dir, "jars.txt");
    writeFileSync(bad, "# a comment\n3.5.*  some/path.jar  not-a-sha\n");
    assert.throws(() => jarLines(new URL(`file://${bad}`)), /jars\.txt:2: expected "<versions> <maven path> <sha512>"/);
  });
});

describe("stage: where each artifact's bytes come from", () => {
  const folder = join(dir, "downloads");
  const mirror = join(dir, "mirror");
  mkdirSync(folder);
  mkdirSync(join(mirror, "pypi"), { recursive: true });
  writeFileSync(join(folder, "hadoop-aws-3.3.4.jar"), "jar");
  writeFileSync(join(mirror, "pypi", "pyspark-3.5.3.tar.gz"), "sdist");
  const single = join(dir, "aws-java-sdk-bundle-1.12.262.jar");
  writeFileSync(single, "bundle");

  it("takes a named file, a file in a named folder (flat or in the bucket's layout), or a URL ending in its name", () => {
    const sources = [folder, mirror, single];
    assert.equal(sourceFor(hadoopAws, sources), join(folder, "hadoop-aws-3.3.4.jar"));
    assert.equal(sourceFor(pyspark, sources), join(mirror, "pypi/pyspark-3.5.3.tar.gz"));
    assert.equal(sourceFor(sdkBundle, sources), single);
    const url = "https://downloads.example/x/pyspark-3.5.3.tar.gz";
    assert.equal(sourceFor(pyspark, [url]), url);
  });

  it("falls back to the public home when no source holds the file", () => {
    assert.equal(
      sourceFor(pyspark, [folder, "https://downloads.example/other.tgz", join(dir, "nope")]),
      pyspark.publicUrl,
    );
  });
});
