// steps: several jobs run in order on one cluster, with retries and an onError handler.
// A spec with a single job: resolves to the same shape, one step named "job".

import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse as parseYaml } from "yaml";
import { describeSpec } from "../../src/runspec/describe.ts";
import { loadSpec, parseSpec } from "../../src/runspec/load.ts";
import { EXAMPLE_STEPS_SPEC } from "../../src/runspec/schema.ts";
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

const PIPELINE = join(FIXTURES, "steps", "pipeline.yml");
const REPO = "code: { repo: https://github.com/org/jobs.git }";

describe("a spec with a single job:", () => {
  const spec = parse(MINIMAL);

  it("resolves to one step named job, without retries", () => {
    assert.deepEqual(spec.steps, [
      {
        name: "job",
        type: "pyspark",
        entrypoint: "main.py",
        args: [],
        conf: {},
        env: {},
        timeoutMinutes: 0,
        retries: 0,
      },
    ]);
  });

  it("keeps spec.job as the first step without its name and retries", () => {
    const { name: _name, retries: _retries, ...first } = spec.steps[0] ?? assert.fail("no step");
    assert.deepEqual(spec.job, first);
  });

  it("has no onError", () => {
    assert.ok(!("onError" in spec));
  });
});

describe("a spec with steps:", async () => {
  const spec = await loadSpec(PIPELINE, OPTIONS);

  it("runs its steps in the order written", () => {
    assert.deepEqual(
      spec.steps.map((step) => step.name),
      ["ingest", "aggregate", "report"],
    );
  });

  it("resolves each step like a job, with defaults filled", () => {
    assert.deepEqual(spec.steps[1], {
      name: "aggregate",
      type: "jar",
      entrypoint: "build/aggregate.jar",
      class: "com.example.Aggregate",
      args: ["s3a://staging-data/clean/", "s3a://curated-data/daily/"],
      conf: {},
      env: {},
      timeoutMinutes: 30,
      retries: 0,
    });
  });

  it("keeps each step's retries", () => {
    assert.deepEqual(
      spec.steps.map((step) => step.retries),
      [2, 0, 0],
    );
  });

  it("exposes the first step as spec.job, for code that runs one job", () => {
    assert.equal(spec.job.entrypoint, "ingest.py");
    assert.deepEqual(spec.job.conf, { "spark.executor.memory": "2g" });
    assert.ok(!("name" in spec.job) && !("retries" in spec.job));
  });

  it("resolves onError to a step named on-error that is never retried", () => {
    assert.deepEqual(spec.onError, {
      name: "on-error",
      type: "shell",
      entrypoint: "cleanup.sh",
      args: ["s3a://staging-data/clean/"],
      conf: {},
      env: {},
      timeoutMinutes: 0,
      retries: 0,
    });
  });

  it("collects the buckets of every step and of onError", () => {
    assert.deepEqual(spec.buckets, ["curated-data", "ops-results", "raw-data", "staging-data"]);
  });

  describe("described", () => {
    const text = describeSpec(spec);
    const shown = parseYaml(text);

    it("shows steps and onError, and no job", () => {
      assert.equal(shown.job, undefined);
      assert.deepEqual(
        shown.steps.map((step: { name: string }) => step.name),
        ["ingest", "aggregate", "report"],
      );
      assert.equal(shown.onError.entrypoint, "cleanup.sh");
      assert.equal(shown.onError.name, undefined, "onError is written like a job");
    });

    it("hides secret env values in every step", () => {
      assert.equal(shown.steps[2].env.REPORT_TOKEN, "***");
      assert.ok(!text.includes("tok-789"));
    });
  });
});

describe("the steps example in the reference", () => {
  it("is a valid spec", () => {
    const spec = parseSpec(EXAMPLE_STEPS_SPEC, INLINE_FILE, OPTIONS);
    assert.equal(spec.steps.length, 3);
    assert.equal(spec.steps[0]?.retries, 2);
    assert.equal(spec.onError?.type, "shell");
  });
});

describe("job: and steps:", () => {
  it("together are rejected at the second one's key", () => {
    const yaml = `name: nightly\n${REPO}\njob: { type: pyspark, entrypoint: main.py }\nsteps:\n  - { name: a, type: shell, entrypoint: a.sh }\n`;
    assertRejected(
      specErrorOf(() => parse(yaml)),
      INLINE_FILE,
      {
        at: "4:1",
        key: "steps",
        says: "expected either job or steps, found both (job at line 3)",
        hint: "not both",
      },
    );
  });

  it("together are rejected at job when steps come first", () => {
    const yaml = `name: nightly\n${REPO}\nsteps:\n  - { name: a, type: shell, entrypoint: a.sh }\njob:\n  type: pyspark\n  entrypoint: main.py\n`;
    assertRejected(
      specErrorOf(() => parse(yaml)),
      INLINE_FILE,
      { at: "5:1", key: "job", says: "found both (steps at line 3)" },
    );
  });

  it("both missing is one problem, at the top-level mapping", () => {
    assertRejected(
      specErrorOf(() => parse(`name: nightly\n${REPO}\n`)),
      INLINE_FILE,
      {
        at: "1:1",
        key: "job",
        says: 'expected required key "job" (mapping) or "steps" (list of mappings), found neither',
        hint: "add one at the top level, e.g. job: { type: pyspark, entrypoint: wordcount/main.py }",
      },
    );
  });

  it("a misspelled job is reported once, as a typo", () => {
    const error = specErrorOf(() => parse(`name: nightly\n${REPO}\njbo: { type: pyspark, entrypoint: main.py }\n`));
    assertRejected(error, INLINE_FILE, {
      at: "3:1",
      key: "jbo",
      says: 'unknown key "jbo"',
      hint: "did you mean 'job'?",
    });
  });
});

describe("a spec with bad steps", async () => {
  const file = join(FIXTURES, "steps", "bad-steps.yml");
  const error = await specErrorOfAsync(() => loadSpec(file, OPTIONS));

  it("reports every step problem at its own key path and position, top to bottom", () => {
    const heads = error
      .render()
      .split("\n")
      .filter((line) => !line.startsWith("  hint:"));
    assert.deepEqual(heads, [
      `${file}:7:17: steps[0].entrypoint: expected a .py file for a pyspark job, found string "ingest.jar"`,
      `${file}:8:5: steps[1].class: expected a main class for a jar job, found no steps[1].class`,
      `${file}:8:11: steps[1].name: expected a name of 1-40 lowercase letters, digits and dashes (no leading or trailing dash), found string "Aggregate Daily"`,
      `${file}:11:11: steps[2].name: expected a name no other step has, found "ingest" again (steps[0].name)`,
      `${file}:14:14: steps[2].retries: expected an integer from 0 to 10, found 20`,
      `${file}:18:10: onError.class: expected no class for a shell job, found string "com.example.Cleanup"`,
    ]);
  });

  it("says how to fix each", () => {
    const hints = error.issues.map((issue) => issue.hint);
    assert.deepEqual(hints, [
      "did you mean type: jar?",
      "add it under steps[1], e.g. class: com.example.WordCount",
      "it names cloud resources; try aggregate-daily",
      "a step's name names its logs; give each step its own",
      "retries are for flaky steps; a step that fails 11 times in a row needs fixing, not retrying",
      "remove it, or set type: jar",
    ]);
  });
});

interface Case {
  readonly title: string;
  readonly yaml: string;
  readonly at: string;
  readonly key: string;
  readonly says: string;
  readonly hint?: string;
}

const step = (body: string): string => `name: nightly\n${REPO}\nsteps:\n${body}`;

const catalogue: readonly Case[] = [
  {
    title: "an empty list of steps",
    yaml: `name: nightly\n${REPO}\nsteps: []\n`,
    at: "3:8",
    key: "steps",
    says: "expected at least one step, found an empty list",
  },
  {
    title: "steps written as a mapping",
    yaml: step("  ingest: { type: pyspark, entrypoint: ingest.py }\n"),
    at: "4:3",
    key: "steps",
    says: "expected a list, found a mapping",
    hint: "write steps as a list",
  },
  {
    title: "a step without a name points at the step",
    yaml: step("  - { type: pyspark, entrypoint: ingest.py }\n"),
    at: "4:5",
    key: "steps[0].name",
    says: 'expected required key "name" (string), found no such key',
    hint: "add it under steps[0], e.g. name: ingest",
  },
  {
    title: "a step named on-error when onError is set",
    yaml: `${step("  - { name: on-error, type: shell, entrypoint: a.sh }\n")}onError: { type: shell, entrypoint: b.sh }\n`,
    at: "4:13",
    key: "steps[0].name",
    says: "expected a step name other than on-error (onError runs under that name)",
  },
  {
    title: "negative retries",
    yaml: step("  - { name: a, type: shell, entrypoint: a.sh, retries: -1 }\n"),
    at: "4:56",
    key: "steps[0].retries",
    says: "expected an integer from 0 to 10, found -1",
  },
  {
    title: "retries on onError, which runs once",
    yaml: `${step("  - { name: a, type: shell, entrypoint: a.sh }\n")}onError: { type: shell, entrypoint: b.sh, retries: 1 }\n`,
    at: "5:43",
    key: "onError.retries",
    says: 'found unknown key "retries"',
  },
  {
    title: "a step's timeout longer than the cluster's TTL",
    yaml: `${step("  - { name: a, type: shell, entrypoint: a.sh }\n  - { name: b, type: shell, entrypoint: b.sh, timeoutMinutes: 200 }\n")}cluster: { ttlMinutes: 100 }\n`,
    at: "5:63",
    key: "steps[1].timeoutMinutes",
    says: "expected at most cluster.ttlMinutes (100), found 200",
  },
  {
    title: "zero workers when a later step is a Spark job names the step",
    yaml: `${step("  - { name: a, type: shell, entrypoint: a.sh }\n  - { name: b, type: jar, entrypoint: b.jar, class: a.B }\n")}cluster: { workers: 0 }\n`,
    at: "6:21",
    key: "cluster.workers",
    says: "expected at least 1 worker for a jar job (steps[1]), found 0",
  },
  {
    title: "a pyspark onError with zero workers",
    yaml: `${step("  - { name: a, type: shell, entrypoint: a.sh }\n")}onError: { type: pyspark, entrypoint: alert.py }\ncluster: { workers: 0 }\n`,
    at: "6:21",
    key: "cluster.workers",
    says: "expected at least 1 worker for a pyspark job (onError), found 0",
  },
  {
    title: "a misspelled key inside a step",
    yaml: step("  - { name: a, type: shell, entrypoint: a.sh, retires: 2 }\n"),
    at: "4:47",
    key: "steps[0].retires",
    says: 'found unknown key "retires"',
    hint: "did you mean 'retries'?",
  },
  {
    title: "retries on a single job: (a job has no retries; steps do)",
    yaml: MINIMAL.replace("entrypoint: main.py }", "entrypoint: main.py, retries: 2 }"),
    at: "3:44",
    key: "job.retries",
    says: 'found unknown key "retries"',
    hint: '"retries" belongs at steps[].retries',
  },
];

describe("a malformed step is rejected with its exact position", () => {
  for (const bad of catalogue) {
    it(bad.title, () =>
      assertRejected(
        specErrorOf(() => parse(bad.yaml)),
        INLINE_FILE,
        bad,
      ),
    );
  }
});

describe("single steps at work", () => {
  it("a shell-only pipeline may run on the master alone", () => {
    const spec = parse(`${step("  - { name: a, type: shell, entrypoint: a.sh }\n")}cluster: { workers: 0 }\n`);
    assert.equal(spec.cluster.workers, 0);
  });

  it("onError runs as on-error next to steps with names of their own", () => {
    const spec = parse(
      `${step("  - { name: cleanup, type: shell, entrypoint: a.sh }\n")}onError: { type: shell, entrypoint: b.sh }\n`,
    );
    assert.equal(spec.onError?.name, "on-error");
  });
});
