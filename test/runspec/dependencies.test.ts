// dependencies: Maven packages, jars and a pip requirements file for the whole cluster.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parse as parseYaml } from "yaml";
import { describeSpec } from "../../src/runspec/describe.ts";
import { assertRejected, type Expected, INLINE_FILE, MINIMAL, OPTIONS, parse, specErrorOf } from "./helpers.ts";

describe("dependencies", () => {
  it("are empty when absent", () => {
    const spec = parse(MINIMAL);
    assert.deepEqual(spec.dependencies, { packages: [], jars: [], pip: [] });
    assert.ok(!("requirements" in spec.dependencies));
  });

  it("keep packages as written and normalise repository paths", () => {
    const spec = parse(`${MINIMAL}dependencies:
  packages: [org.apache.spark:spark-avro_2.12:3.5.3, io.delta:delta-spark_2.12:3.2.0]
  jars: [./lib/udfs.jar, vendor//geo.jar]
  requirements: ./jobs/requirements.txt
`);
    assert.deepEqual(spec.dependencies, {
      packages: ["org.apache.spark:spark-avro_2.12:3.5.3", "io.delta:delta-spark_2.12:3.2.0"],
      jars: ["lib/udfs.jar", "vendor/geo.jar"],
      pip: [],
      requirements: "jobs/requirements.txt",
    });
  });

  it("keep pip requirements as written (PEP 508: extras, specifiers, markers, URLs)", () => {
    const pip = [
      "scikit-learn==1.5.2",
      "pandas[parquet]>=2.0,<3",
      "requests",
      "xgboost~=2.0.3",
      'tomli>=1.1; python_version < "3.11"',
      "burstdemo @ https://example.com/burstdemo-0.1.0-py3-none-any.whl",
    ];
    const spec = parse(`${MINIMAL}dependencies:\n  pip:\n${pip.map((p) => `    - '${p}'\n`).join("")}`);
    assert.deepEqual(spec.dependencies.pip, pip);
  });

  it("are shown by describeSpec", () => {
    const spec = parse(`${MINIMAL}dependencies: { requirements: requirements.txt }\n`);
    assert.deepEqual(parseYaml(describeSpec(spec)).dependencies, {
      packages: [],
      jars: [],
      pip: [],
      requirements: "requirements.txt",
    });
  });

  it("are the same in every environment", () => {
    const spec = `${MINIMAL}environments:\n  prod:\n    dependencies: { jars: [x.jar] }\n`;
    assertRejected(
      specErrorOf(() => parse(spec, { ...OPTIONS, environment: "prod" })),
      INLINE_FILE,
      {
        at: "6:5",
        key: "environments.prod.dependencies",
        says: 'found "dependencies", which an environment cannot change',
        hint: "dependencies are the same in every environment",
      },
    );
  });
});

interface Case extends Expected {
  readonly title: string;
  readonly yaml: string;
}

const deps = (body: string): string => `${MINIMAL}dependencies:\n${body}`;

const catalogue: readonly Case[] = [
  {
    title: "a pip requirement pinned with one =",
    yaml: deps("  pip: [numpy, scikit-learn=1.5.2]\n"),
    at: "5:16",
    key: "dependencies.pip[1]",
    says: 'expected a pip requirement like scikit-learn==1.5.2, found string "scikit-learn=1.5.2"',
    hint: "pin with ==, e.g. scikit-learn==1.5.2",
  },
  {
    title: "a pip option among the requirements",
    yaml: deps("  pip:\n    - --index-url https://pypi.example/simple\n"),
    at: "6:7",
    key: "dependencies.pip[0]",
    says: "expected a pip requirement like scikit-learn==1.5.2",
    hint: "put them in a requirements file",
  },
  {
    title: "two pip requirements in one item",
    yaml: deps("  pip: [numpy scipy]\n"),
    at: "5:9",
    key: "dependencies.pip[0]",
    says: 'found string "numpy scipy"',
    hint: "one requirement per list item",
  },
  {
    title: "pip written as one string",
    yaml: deps("  pip: scikit-learn==1.5.2\n"),
    at: "5:8",
    key: "dependencies.pip",
    says: 'expected a list, found string "scikit-learn==1.5.2"',
    hint: "write pip as a list",
  },
  {
    title: "a package without its version",
    yaml: deps("  packages: [org.apache.spark:spark-avro_2.12]\n"),
    at: "5:14",
    key: "dependencies.packages[0]",
    says: 'expected Maven coordinates group:artifact:version, found string "org.apache.spark:spark-avro_2.12"',
    hint: "add the version: org.apache.spark:spark-avro_2.12:<version>",
  },
  {
    title: "a jar file among the packages",
    yaml: deps("  packages: [lib/udfs.jar]\n"),
    at: "5:14",
    key: "dependencies.packages[0]",
    says: "expected Maven coordinates group:artifact:version",
    hint: "a jar file in the repository belongs in dependencies.jars",
  },
  {
    title: "an sbt dependency",
    yaml: deps('  packages: [\'"io.delta" %% "delta-spark" % "3.2.0"\']\n'),
    at: "5:14",
    key: "dependencies.packages[0]",
    says: "expected Maven coordinates group:artifact:version",
    hint: "as group:artifact_2.12:version",
  },
  {
    title: "packages written as one string",
    yaml: deps("  packages: org.apache.spark:spark-avro_2.12:3.5.3\n"),
    at: "5:13",
    key: "dependencies.packages",
    says: 'expected a list, found string "org.apache.spark:spark-avro_2.12:3.5.3"',
    hint: "write packages as a list",
  },
  {
    title: "a jar that is not a .jar",
    yaml: deps("  jars: [lib/udfs.zip]\n"),
    at: "5:10",
    key: "dependencies.jars[0]",
    says: 'expected a path to a .jar file, found string "lib/udfs.zip"',
  },
  {
    title: "Maven coordinates among the jars",
    yaml: deps("  jars: [org.apache.spark:spark-avro_2.12:3.5.3]\n"),
    at: "5:10",
    key: "dependencies.jars[0]",
    says: "expected a path to a .jar file",
    hint: "Maven coordinates belong in dependencies.packages",
  },
  {
    title: "an absolute jar path",
    yaml: deps("  jars: [/opt/lib/udfs.jar]\n"),
    at: "5:10",
    key: "dependencies.jars[0]",
    says: 'expected a relative path, found string "/opt/lib/udfs.jar"',
    hint: "drop the leading /: opt/lib/udfs.jar",
  },
  {
    title: "a jar outside the repository",
    yaml: deps("  jars: [../shared/udfs.jar]\n"),
    at: "5:10",
    key: "dependencies.jars[0]",
    says: "expected a path that stays inside the folder (no ..)",
  },
  {
    title: "requirements outside the repository",
    yaml: deps("  requirements: ../requirements.txt\n"),
    at: "5:17",
    key: "dependencies.requirements",
    says: "expected a path that stays inside the folder (no ..)",
  },
  {
    title: "requirements that name the repository itself",
    yaml: deps("  requirements: ./\n"),
    at: "5:17",
    key: "dependencies.requirements",
    says: 'expected a file inside the repository, found string "./"',
  },
  {
    title: "requirements as a list",
    yaml: deps("  requirements: [pandas, numpy]\n"),
    at: "5:17",
    key: "dependencies.requirements",
    says: "expected string, found a list",
  },
  {
    title: "a misspelled key",
    yaml: deps("  requirement: requirements.txt\n"),
    at: "5:3",
    key: "dependencies.requirement",
    says: 'found unknown key "requirement"',
    hint: "did you mean 'requirements'?",
  },
  {
    title: "packages under job, where they do not belong",
    yaml: MINIMAL.replace("entrypoint: main.py }", "entrypoint: main.py, packages: [a:b:1] }"),
    at: "3:44",
    key: "job.packages",
    says: 'found unknown key "packages"',
    hint: '"packages" belongs at dependencies.packages',
  },
];

describe("malformed dependencies are rejected with their exact position", () => {
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
