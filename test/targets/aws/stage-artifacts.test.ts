// Which bytes `npm run vpc -- stage` takes for each artifact; staging itself runs against moto in
// test/e2e/aws-moto.test.ts and against versitygw in test/stacks/aws/booted-node.test.ts.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { sourceFor } from "../../../src/targets/aws/stage-artifacts.ts";
import { jarLines, type NodeArtifact, nodeArtifacts } from "../../../stacks/aws/artifacts.ts";
import { hadoopCloudVersion, SUPPORTED_SPARK_VERSIONS, sparkLine } from "../../../stacks/shared/spark-versions.ts";

const dir = mkdtempSync(join(tmpdir(), "burst-stage-sources-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const artifacts = nodeArtifacts("3.5.3", {
  sparkMirror: "https://mirror.example/spark/",
  mavenRepo: "https://maven.example/maven2",
  sparkSha512: [`3.5.3:${"ab".repeat(64)}`],
});
const artifact = (index: number): NodeArtifact => {
  const found = artifacts[index];
  assert.ok(found, `artifact ${index}`);
  return found;
};
const [tarball, hadoopAws, sdkBundle] = [artifact(0), artifact(1), artifact(2)];

describe("the artifacts a node downloads", () => {
  it("are Spark's tarball, then every jar of jars.txt for that version, in the public layouts", () => {
    assert.deepEqual(
      [tarball, hadoopAws, sdkBundle].map((item) => [item.kind, item.key, item.publicUrl]),
      [
        [
          "spark",
          "spark/spark-3.5.3/spark-3.5.3-bin-hadoop3.tgz",
          "https://mirror.example/spark/spark-3.5.3/spark-3.5.3-bin-hadoop3.tgz",
        ],
        [
          "jar",
          "maven2/org/apache/hadoop/hadoop-aws/3.3.4/hadoop-aws-3.3.4.jar",
          "https://maven.example/maven2/org/apache/hadoop/hadoop-aws/3.3.4/hadoop-aws-3.3.4.jar",
        ],
        [
          "jar",
          "maven2/com/amazonaws/aws-java-sdk-bundle/1.12.262/aws-java-sdk-bundle-1.12.262.jar",
          "https://maven.example/maven2/com/amazonaws/aws-java-sdk-bundle/1.12.262/aws-java-sdk-bundle-1.12.262.jar",
        ],
      ],
    );
    assert.equal(tarball.sha512, "ab".repeat(64));
    assert.equal(nodeArtifacts("3.5.2", { sparkMirror: "", mavenRepo: "", sparkSha512: [] })[0]?.sha512, undefined);
  });

  it("give every supported Spark version the spark-hadoop-cloud release the local runtime uses, and one only", () => {
    for (const version of SUPPORTED_SPARK_VERSIONS) {
      const line = sparkLine(version);
      assert.ok(line);
      const cloud = nodeArtifacts(version, { sparkMirror: "", mavenRepo: "", sparkSha512: [] }).filter((item) =>
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
  mkdirSync(join(mirror, "spark", "spark-3.5.3"), { recursive: true });
  writeFileSync(join(folder, "hadoop-aws-3.3.4.jar"), "jar");
  writeFileSync(join(mirror, "spark", "spark-3.5.3", "spark-3.5.3-bin-hadoop3.tgz"), "tgz");
  const single = join(dir, "aws-java-sdk-bundle-1.12.262.jar");
  writeFileSync(single, "bundle");

  it("takes a named file, a file in a named folder (flat or in the bucket's layout), or a URL ending in its name", () => {
    const sources = [folder, mirror, single];
    assert.equal(sourceFor(hadoopAws, sources), join(folder, "hadoop-aws-3.3.4.jar"));
    assert.equal(sourceFor(tarball, sources), join(mirror, "spark/spark-3.5.3/spark-3.5.3-bin-hadoop3.tgz"));
    assert.equal(sourceFor(sdkBundle, sources), single);
    const url = "https://downloads.example/x/spark-3.5.3-bin-hadoop3.tgz";
    assert.equal(sourceFor(tarball, [url]), url);
  });

  it("falls back to the public home when no source holds the file", () => {
    assert.equal(
      sourceFor(tarball, [folder, "https://downloads.example/other.tgz", join(dir, "nope")]),
      tarball.publicUrl,
    );
  });
});
