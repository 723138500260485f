// Environments: overlays chosen with --env, inline (environments.<name>) or in <spec>.<env>.yml
// beside the spec, merged before validation. Problems point at the file and line that wrote them.

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse as parseYaml } from "yaml";
import { describeSpec } from "../../src/runspec/describe.ts";
import { environmentsOf } from "../../src/runspec/environments.ts";
import { loadSpec } from "../../src/runspec/load.ts";
import { NodeOrigins, parseYaml as parseSource } from "../../src/runspec/sources.ts";
import {
  assertRejected,
  FIXTURES,
  INLINE_FILE,
  MINIMAL,
  OPTIONS,
  parse,
  specErrorOf,
  specErrorOfAsync,
} from "./helpers.ts";

const DIR = join(FIXTURES, "environments");
const SPEC = join(DIR, "spark.yml");
const overlay = (name: string): string => join(DIR, `spark.${name}.yml`);
const load = (environment?: string) => loadSpec(SPEC, { ...OPTIONS, environment });
const rejected = (environment: string) => specErrorOfAsync(() => load(environment));
const sha256 = (file: string): string => createHash("sha256").update(readFileSync(file)).digest("hex");

describe("without --env", async () => {
  const spec = await load();

  it("the spec runs as written; its environments change nothing", () => {
    assert.equal(spec.cluster.workers, 2);
    assert.deepEqual(spec.tags, { team: "data", stage: "dev" });
  });

  it("records no environment and no overlay", () => {
    assert.ok(!("environment" in spec));
    assert.equal(spec.source.overlays, undefined);
  });
});

describe("an environment from a file beside the spec (spark.prod.yml)", async () => {
  const spec = await load("prod");

  it("records the environment and the overlay file with its sha256", () => {
    assert.equal(spec.environment, "prod");
    assert.deepEqual(spec.source.overlays, [{ file: overlay("prod"), sha256: sha256(overlay("prod")) }]);
    assert.equal(spec.source.sha256, sha256(SPEC), "the spec's own digest is unchanged");
  });

  it("replaces scalars", () => {
    assert.equal(spec.cluster.workers, 8);
    assert.equal(spec.results, "s3://prod-results/runs/");
  });

  it("merges mappings deeply, keeping the keys it does not mention", () => {
    assert.equal(spec.cluster.ttlMinutes, 60);
    assert.equal(spec.cluster.worker.instanceType, "r6i.2xlarge");
    assert.equal(spec.cluster.worker.spot, false);
  });

  it("removes a key set to null, so its default applies", () => {
    assert.ok(!("maxPrice" in spec.cluster.worker));
  });

  it("merges conf and tags key by key", () => {
    assert.deepEqual(spec.job.conf, { "spark.executor.memory": "8g", "spark.sql.shuffle.partitions": "8" });
    assert.deepEqual(spec.tags, { team: "data", stage: "prod", "cost-center": "42" });
  });

  it("replaces lists instead of appending to them", () => {
    assert.deepEqual(spec.job.args, ["s3a://prod-data/in/", "s3a://prod-data/out/"]);
    assert.deepEqual(spec.notify?.on, ["failure"]);
    assert.equal(spec.notify?.webhook, "${TEAM_WEBHOOK}");
  });

  it("leaves lists it does not mention alone", () => {
    assert.deepEqual(spec.outputs, ["out"]);
  });

  it("derives buckets from the merged spec", () => {
    assert.deepEqual(spec.buckets, ["prod-data", "prod-results"]);
  });

  it("is described with its environment and overlay", () => {
    const text = describeSpec(spec);
    assert.ok(text.includes(`# environment prod + ${overlay("prod")}\n`));
    assert.equal(parseYaml(text).environment, "prod");
  });
});

describe("an environment both inline and in a file", async () => {
  const spec = await load("staging");

  it("merges the inline overlay first, then the file, whose values win", () => {
    assert.equal(spec.cluster.workers, 4);
    assert.deepEqual(spec.tags, { team: "data", stage: "staging" });
    assert.deepEqual(
      spec.source.overlays?.map((o) => o.file),
      [overlay("staging")],
    );
  });
});

describe("an inline environment", async () => {
  const spec = await load("small");

  it("applies without any file", () => {
    assert.equal(spec.cluster.workers, 1);
    assert.equal(spec.source.overlays, undefined);
  });

  it("may turn a section off with null", () => {
    assert.ok(!("notify" in spec));
    assert.ok(!("maxPrice" in spec.cluster.worker));
    assert.equal(spec.cluster.worker.spot, true);
  });
});

it("an empty overlay file is an environment that changes nothing", async () => {
  const spec = await load("empty");
  assert.equal(spec.environment, "empty");
  assert.equal(spec.cluster.workers, 2);
});

describe("validation after merging", () => {
  const base = `${MINIMAL}cluster: { workers: 0 }\nenvironments:\n  fixed: { cluster: { workers: 2 } }\n`;

  it("lets an overlay fix the spec", () => {
    assert.equal(parse(base, { ...OPTIONS, environment: "fixed" }).cluster.workers, 2);
    assertRejected(
      specErrorOf(() => parse(base)),
      INLINE_FILE,
      { at: "4:21", key: "cluster.workers", says: "expected at least 1 worker for a pyspark job, found 0" },
    );
  });

  it("reports what an overlay breaks at the overlay file's own line", async () => {
    assertRejected(await rejected("zero"), overlay("zero"), {
      at: "3:12",
      key: "cluster.workers",
      says: "expected at least 1 worker for a pyspark job, found 0",
    });
  });

  it("reports a bad value of an inline overlay at its line in the spec", async () => {
    assertRejected(await rejected("broken"), SPEC, {
      at: "30:25",
      key: "cluster.workers",
      says: 'expected integer, found string "many"',
    });
  });

  it("reports every problem of an overlay file, at its own positions", async () => {
    const error = await rejected("typo");
    const file = overlay("typo");
    assert.deepEqual(
      error.issues.map((issue) => [
        `${issue.location.line}:${issue.location.column}`,
        issue.location.file,
        issue.keyPath,
      ]),
      [
        ["2:3", file, "cluster.wrokers"],
        ["3:1", file, "name"],
        ["5:3", file, "job.type"],
        ["6:10", file, "results"],
      ],
    );
    const [typo, name, type] = error.issues;
    assert.equal(typo?.hint, "did you mean 'workers'?");
    assert.match(name?.message ?? "", /found "name", which an environment cannot change$/);
    assert.equal(name?.hint, "the name is the same in every environment (it names the run's results)");
    assert.equal(type?.message, 'expected one of conf, args, found "type", which an environment cannot change');
  });

  it("reports a YAML syntax error in an overlay file", async () => {
    assertRejected(await rejected("syntax"), overlay("syntax"), { at: "3:1", says: "invalid YAML" });
  });

  it("lists the spec's own problems before its overlay's", async () => {
    const spec = `name: Bad Name\n${MINIMAL.split("\n").slice(1).join("\n")}environments:\n  prod: { name: other }\n`;
    const error = specErrorOf(() => parse(spec, { ...OPTIONS, environment: "prod" }));
    assert.deepEqual(
      error.issues.map((issue) => `${issue.location.line}:${issue.location.column} ${issue.keyPath}`),
      ["1:7 name", "5:11 environments.prod.name"],
    );
  });
});

describe("choosing an environment", () => {
  it("that does not exist lists the spec's environments and suggests the closest", async () => {
    assertRejected(await rejected("prdo"), SPEC, {
      says: 'unknown environment "prdo" (--env): the spec\'s environments are broken, empty, prod, small, staging, syntax, typo, zero',
      hint: "did you mean 'prod'?",
    });
  });

  it("in a spec without environments says how to add one", () => {
    assertRejected(
      specErrorOf(() => parse(MINIMAL, { ...OPTIONS, environment: "prod" })),
      INLINE_FILE,
      {
        says: 'unknown environment "prod" (--env): the spec defines no environments',
        hint: "add environments: { prod: {...} } in the spec, or a file inline.prod.yml beside it",
      },
    );
  });

  it("lists inline environments and overlay files together", () => {
    const source = parseSource(readFileSync(SPEC, "utf8"), SPEC);
    assert.deepEqual(environmentsOf(source.doc.contents, SPEC, new NodeOrigins(source)), [
      "broken",
      "empty",
      "prod",
      "small",
      "staging",
      "syntax",
      "typo",
      "zero",
    ]);
  });
});

describe("environments with steps", () => {
  const pipeline = join(FIXTURES, "steps", "pipeline.yml");

  it("change a step's conf and args by the step's name", async () => {
    const spec = await loadSpec(pipeline, { ...OPTIONS, environment: "prod" });
    const [ingest, aggregate, report] = spec.steps;
    assert.deepEqual(ingest?.args, ["s3a://raw-prod/today/", "s3a://staging-prod/clean/"]);
    assert.deepEqual(ingest?.conf, { "spark.executor.memory": "2g", "spark.executor.cores": "4" });
    assert.equal(ingest?.retries, 2, "what the overlay does not mention is kept");
    assert.deepEqual(aggregate?.args, ["s3a://staging-data/clean/", "s3a://curated-data/daily/"]);
    assert.deepEqual(report?.args, ["--full"]);
    assert.equal(spec.cluster.workers, 6);
  });

  it("report an unknown step name with a suggestion, and keys a step overlay cannot change", async () => {
    const error = await specErrorOfAsync(() => loadSpec(pipeline, { ...OPTIONS, environment: "typo" }));
    const file = join(FIXTURES, "steps", "pipeline.typo.yml");
    const lines = error.render().split("\n");
    assert.deepEqual(lines, [
      `${file}:2:3: steps.ingets: expected the name of a step (ingest, aggregate, report), found "ingets", which no step has`,
      "  hint: did you mean 'ingest'?",
      `${file}:5:5: steps.report.type: expected one of conf, args, found "type", which an environment cannot change`,
      "  hint: an environment may change a job's conf and args only",
    ]);
  });

  it("cannot change job: in a spec of steps", () => {
    const spec = `name: a\ncode: { repo: https://github.com/org/jobs.git }\nsteps:\n  - { name: s, type: shell, entrypoint: s.sh }\nenvironments:\n  prod:\n    job: { args: [x] }\n`;
    assertRejected(
      specErrorOf(() => parse(spec, { ...OPTIONS, environment: "prod" })),
      INLINE_FILE,
      {
        at: "7:5",
        key: "environments.prod.job",
        says: "expected steps (this spec runs steps), found job",
        hint: "change a step by name",
      },
    );
  });

  it("cannot change steps: in a spec of one job", () => {
    const spec = `${MINIMAL}environments:\n  prod:\n    steps: { job: { args: [x] } }\n`;
    assertRejected(
      specErrorOf(() => parse(spec, { ...OPTIONS, environment: "prod" })),
      INLINE_FILE,
      { at: "6:5", key: "environments.prod.steps", says: "expected job (this spec runs a single job), found steps" },
    );
  });

  it("change steps by name, not as a list", () => {
    const spec = `name: a\ncode: { repo: https://github.com/org/jobs.git }\nsteps:\n  - { name: s, type: shell, entrypoint: s.sh }\nenvironments:\n  prod:\n    steps: [{ name: s, args: [x] }]\n`;
    assertRejected(
      specErrorOf(() => parse(spec)),
      INLINE_FILE,
      {
        at: "7:12",
        key: "environments.prod.steps",
        says: "expected a mapping of step names to their changes, found a list",
        hint: "change steps by name",
      },
    );
  });
});

describe("inline environments are checked even when not chosen", () => {
  const withEnv = (overlayYaml: string): string => `${MINIMAL}environments:\n${overlayYaml}`;
  const cases = [
    {
      title: "a key an environment cannot change",
      yaml: withEnv("  prod:\n    code: { ref: v2 }\n"),
      at: "6:5",
      key: "environments.prod.code",
      says: 'found "code", which an environment cannot change',
      hint: "every environment runs the same code",
    },
    {
      title: "a misspelled key suggests the right one",
      yaml: withEnv("  prod:\n    clutser: { workers: 8 }\n"),
      at: "6:5",
      key: "environments.prod.clutser",
      says: 'found unknown key "clutser"',
      hint: "did you mean 'cluster'?",
    },
    {
      title: "an environment name that cannot name a file",
      yaml: withEnv("  Prod: { cluster: { workers: 8 } }\n"),
      at: "5:3",
      key: "environments.Prod",
      says: 'expected an environment name of 1-32 lowercase letters, digits, _ and - (e.g. prod, staging), found environment "Prod"',
      hint: "try prod",
    },
    {
      title: "an overlay that is not a mapping",
      yaml: withEnv("  prod: [workers, 8]\n"),
      at: "5:9",
      key: "environments.prod",
      says: "expected a mapping of the keys this environment changes, found a list",
    },
    {
      title: "environments written as a list",
      yaml: withEnv("  - prod\n"),
      at: "5:3",
      key: "environments",
      says: "expected a mapping of environment names to overlays, found a list",
    },
    {
      title: "a job key other than conf and args",
      yaml: withEnv("  prod:\n    job: { entrypoint: other.py }\n"),
      at: "6:12",
      key: "environments.prod.job.entrypoint",
      says: 'expected one of conf, args, found "entrypoint", which an environment cannot change',
    },
  ];
  for (const bad of cases) {
    it(bad.title, () =>
      assertRejected(
        specErrorOf(() => parse(bad.yaml)),
        INLINE_FILE,
        bad,
      ),
    );
  }

  it("but their values are only validated when chosen", () => {
    const spec = parse(`${MINIMAL}environments:\n  prod: { cluster: { workers: lots } }\n`);
    assert.equal(spec.cluster.workers, 3);
  });
});
