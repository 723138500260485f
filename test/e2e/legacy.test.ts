// Legacy spark.yml blocks (the old Terraform + Consul + Ansible format) run end to end on the local
// target, as in examples/legacy: a pyspark block (spark_url's version used, retired keys warned
// about), a block whose one argument carries ;-separated values, a jar block with class_name
// whose jar is built here against the cluster's Spark (so its Scala version), and a jar built for
// Scala 2.13 failing with the hint that names both Scala versions. The translation says which
// buckets the run reaches.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { cacheRoot } from "../../src/home.ts";
import { cachedArtifact } from "../../src/install/maven.ts";
import { ensureSpark } from "../../src/targets/local/spark.ts";
import { run } from "../../src/util/exec.ts";
import {
  assertNoLeftovers,
  burst,
  eventTexts,
  makeRepo,
  parseEvents,
  repoRoot,
  runDirs,
  runEndOf,
  tempBurstHome,
  writeSpec,
} from "../helpers/burst.ts";

const example = (path: string) => readFileSync(join(repoRoot, "examples", "legacy", path), "utf8");

/** The run's local results copy: its manifest, after checking the cluster is gone. */
async function finishedRun(burstHome: string): Promise<Record<string, unknown>> {
  const runDir = (await runDirs(burstHome)).sort().pop();
  assert.ok(runDir, "a run folder");
  const record = JSON.parse(await readFile(join(runDir, "run.json"), "utf8"));
  assert.equal(record.destroyed, true, `${runDir} was not destroyed`);
  await assertNoLeftovers(runDir);
  return JSON.parse(await readFile(join(runDir, "results", "manifest.json"), "utf8"));
}

/** javac + jar: `sources` compiled against `classpath` into `jarFile`. */
async function buildJar(sources: Record<string, string>, classpath: string, jarFile: string): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "burst-jar-"));
  try {
    const files: string[] = [];
    for (const [path, text] of Object.entries(sources)) {
      await mkdir(join(dir, "src", path, ".."), { recursive: true });
      await writeFile(join(dir, "src", path), text);
      files.push(join(dir, "src", path));
    }
    await run("javac", ["--release", "8", "-cp", classpath, "-d", join(dir, "classes"), ...files], { check: true });
    await mkdir(join(jarFile, ".."), { recursive: true });
    await run("jar", ["cf", jarFile, "-C", join(dir, "classes"), "."], { check: true });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function commitAll(dir: string): Promise<string> {
  const git = (args: string[]) =>
    run("git", ["-c", "user.email=t@b", "-c", "user.name=t", ...args], { cwd: dir, check: true });
  await git(["add", "-A"]);
  await git(["commit", "--quiet", "-m", "built files"]);
  return (await git(["rev-parse", "HEAD"])).stdout.trim();
}

describe("legacy blocks, end to end on the local target", { concurrency: false }, () => {
  let burstHome: string;
  let repo: { dir: string; sha: string };
  let legacySpec: string;
  let sparkHome: string;

  before(async () => {
    burstHome = await tempBurstHome();
    sparkHome = (await ensureSpark("3.5.3", () => {})).sparkHome;
    // The example's jobs in a repository of their own, the jar built the way its build.sh does.
    repo = await makeRepo({
      "examples/legacy/job/pi.py": example("job/pi.py"),
      "examples/legacy/job/pi_report.py": example("job/pi_report.py"),
    });
    const jar = join(repo.dir, "examples/legacy/jar/legacy-pi.jar");
    await run("bash", [join(repoRoot, "examples/legacy/jar/build.sh"), sparkHome, jar], { check: true });
    repo = { dir: repo.dir, sha: await commitAll(repo.dir) };
    legacySpec = await writeSpec(
      example("spark.yml")
        .replaceAll("git_repo: ../..", `git_repo: ${repo.dir}`)
        .replace("spark_job_args: 8", "spark_job_args: 2"),
    );
  });

  test("a pyspark block runs with --block, at spark_url's Spark version, warning about retired keys", async () => {
    const result = await burst([legacySpec, "--block", "pi", "--json"], { burstHome });
    const events = parseEvents(result.stdout);
    assert.equal(result.code, 0, `burst failed:\n${result.stderr}\n${JSON.stringify(runEndOf(events))}`);
    const job = eventTexts(events, "job-log");
    assert.ok(
      job.some((line) => /^pi is roughly 3\.\d+ \(200000 samples in 2 partitions\)$/.test(line)),
      job.join("\n"),
    );
    assert.deepEqual(
      eventTexts(events, "warning").map((w) => w.replace(/^.*?spark\.yml:\d+:\d+: /, "")),
      [
        "pi.instance_tag: no longer applies and is ignored: burst tags every run's resources itself (run id, owner, commit)",
        "pi.git_dest: no longer applies and is ignored: burst chooses the checkout folder on the master",
      ],
    );
    const manifest = (await finishedRun(burstHome)) as {
      name: string;
      spec: { legacyBlock: string; resolved: string };
      cluster: { workers: number };
      code: { commit: string };
    };
    assert.equal(manifest.name, "pi");
    assert.equal(manifest.spec.legacyBlock, "pi");
    assert.match(manifest.spec.resolved, /spark: 3\.5\.3/);
    assert.equal(manifest.cluster.workers, 1);
    assert.equal(manifest.code.commit, repo.sha);

    // The example file itself, unchanged: pi_large asks for Spark 2.4.4, which burst says it replaces.
    const before = (await runDirs(burstHome)).length;
    const dry = await burst([join(repoRoot, "examples/legacy/spark.yml"), "--block", "pi_large", "--dry-run"], {
      burstHome,
    });
    assert.equal(dry.code, 0, dry.stderr);
    for (const line of ["name: pi-large", "  entrypoint: examples/legacy/job/pi.py", '    - "32"', "  workers: 2"]) {
      assert.ok(
        dry.stdout.split("\n").includes(line),
        `--dry-run output lacks ${JSON.stringify(line)}:\n${dry.stdout}`,
      );
    }
    assert.match(
      dry.stderr,
      /warning: .*spark\.yml:24:14: pi_large\.spark_url: asks for Spark 2\.4\.4, which burst cannot provide; the run uses Spark 3\.5\.3/,
    );
    assert.equal((await runDirs(burstHome)).length, before, "a dry run provisions nothing");
  });

  test("a block's one argument with ;-separated values reaches the job whole", async () => {
    const result = await burst([legacySpec, "--block", "pi_report", "--json"], { burstHome });
    const events = parseEvents(result.stdout);
    assert.equal(result.code, 0, `burst failed:\n${result.stderr}\n${JSON.stringify(runEndOf(events))}`);
    const job = eventTexts(events, "job-log");
    assert.ok(
      job.some((line) =>
        /^pi_report: 3\.\d+ from 4 partitions x 50000 samples -> s3a:\/\/burst-data\/legacy\/pi-report\/$/.test(line),
      ),
      job.join("\n"),
    );
    assert.ok(
      eventTexts(events, "info").some((line) =>
        /spark\.yml: the run of block pi_report reaches the S3 buckets it names \(in spark_job_args and results\): burst-data, burst-results\. A bucket the job names only in its code/.test(
          line,
        ),
      ),
      eventTexts(events, "info").join("\n"),
    );
    const out = join(burstHome, "local", "s3", "burst-data", "legacy", "pi-report");
    const part = (await readdir(out)).find((name) => name.startsWith("part-") && name.endsWith(".json"));
    assert.ok(part, `a JSON part in ${out}`);
    const written = JSON.parse((await readFile(join(out, part), "utf8")).trim());
    assert.equal(written.partitions, 4);
    assert.equal(written.samples, 50000);
    assert.ok(written.pi > 3 && written.pi < 3.3, String(written.pi));
    const manifest = (await finishedRun(burstHome)) as { spec: { resolved: string } };
    assert.match(manifest.spec.resolved, /- 4;50000;s3a:\/\/burst-data\/legacy\/pi-report\//);
  });

  test("a jar block with class_name runs a jar built against the cluster's Spark (Scala 2.12)", async () => {
    const result = await burst([legacySpec, "--block", "pi_jar", "--json"], { burstHome });
    const events = parseEvents(result.stdout);
    assert.equal(result.code, 0, `burst failed:\n${result.stderr}\n${JSON.stringify(runEndOf(events))}`);
    const job = eventTexts(events, "job-log");
    assert.ok(
      job.some((line) =>
        /^legacy jar: pi is roughly 3\.\d+ \(400000 samples in 4 partitions, Scala 2\.12\.\d+\)$/.test(line),
      ),
      job.join("\n"),
    );
    await finishedRun(burstHome);
  });

  test("a jar built for Scala 2.13 fails with a hint naming both Scala versions", async () => {
    const scala213 = await cachedArtifact(
      join(cacheRoot(), "maven"),
      { groupId: "org.scala-lang", artifactId: "scala-library", version: "2.13.14" },
      () => {},
    );
    const jarRepo = await makeRepo({ "README.md": "a jar built for Scala 2.13\n" });
    await buildJar(
      {
        "example/Needs213.java": `package example;
public final class Needs213 {
  public static void main(String[] args) {
    // Scala 2.13's wrapRefArray returns an ArraySeq; Scala 2.12's has another signature.
    Object seq = scala.Predef$.MODULE$.wrapRefArray(new String[] {"a", "b"});
    System.out.println("never printed on Scala 2.12: " + seq);
  }
}
`,
      },
      scala213,
      join(jarRepo.dir, "needs213.jar"),
    );
    await commitAll(jarRepo.dir);
    const spec = await writeSpec(`name: scala-mismatch
code: { repo: ${jarRepo.dir} }
job: { type: jar, entrypoint: needs213.jar, class: example.Needs213 }
cluster: { workers: 1, spark: 3.5.3 }
results: s3://e2e-results/runs/
`);
    const result = await burst([spec, "--json"], { burstHome });
    const events = parseEvents(result.stdout);
    const end = runEndOf(events);
    assert.equal(result.code, 1, `${result.stderr}\n${JSON.stringify(end)}`);
    assert.equal(end.outcome, "failed");
    assert.match(
      String(end.message),
      /hint: NoSuchMethodError: .*scala\.Predef\$\.wrapRefArray.*: the jar looks built for Scala 2\.13, but the cluster's Spark 3\.5\.3 runs Scala 2\.12; rebuild it against Scala 2\.12/,
    );
    await finishedRun(burstHome);
  });

  after(async () => {
    for (const runDir of await runDirs(burstHome)) await assertNoLeftovers(runDir);
    await unlink(join(burstHome, "cache"));
    await rm(burstHome, { recursive: true, force: true });
  });
});
