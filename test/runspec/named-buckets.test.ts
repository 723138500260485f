// A spec names the target's own buckets as s3://${data}/ and s3://${results}/: locally the local
// S3 server's, on aws the VPC's; a placeholder the target cannot fill stops at its file:line.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { namedBucketsOf } from "../../src/runspec/named-buckets.ts";
import { consulVpc, params } from "../targets/aws/fixtures.ts";
import { assertRejected, DEFAULTS, INLINE_FILE, MINIMAL, OPTIONS, parse, specErrorOf } from "./helpers.ts";

const awsVpc = {
  ...consulVpc,
  dataBucket: "burst-main-data-123456789012-eu-west-1",
  resultsBucket: "burst-main-results-123456789012-eu-west-1",
};

const withPlaceholders = `${MINIMAL.replace("job: { type: pyspark, entrypoint: main.py }", "")}job:
  type: pyspark
  entrypoint: main.py
  args: ["s3a://\${data}/in/", "s3a://\${results}/summary/", "--words=10"]
inputs:
  - { from: ../data/words.txt, to: "s3://\${data}/in/" }
results: s3://\${results}/runs/
`;

describe("s3://${data}/ and s3://${results}/ in a spec", () => {
  it("stand for the local target's buckets in args, inputs[].to and results", () => {
    const spec = parse(withPlaceholders);
    assert.deepEqual(spec.job.args, ["s3a://burst-data/in/", "s3a://burst-results/summary/", "--words=10"]);
    assert.equal(spec.inputs[0]?.to, "s3://burst-data/in/");
    assert.equal(spec.results, "s3://burst-results/runs/");
    assert.deepEqual(spec.buckets, ["burst-data", "burst-results"]);
  });

  it("stand for the VPC's buckets on aws", () => {
    const spec = parse(`${withPlaceholders}target: aws\n`, {
      ...OPTIONS,
      namedBuckets: namedBucketsOf(params({ vpc: awsVpc })),
    });
    assert.deepEqual(spec.job.args.slice(0, 2), [
      "s3a://burst-main-data-123456789012-eu-west-1/in/",
      "s3a://burst-main-results-123456789012-eu-west-1/summary/",
    ]);
    assert.equal(spec.results, "s3://burst-main-results-123456789012-eu-west-1/runs/");
    assert.deepEqual(spec.buckets, [awsVpc.dataBucket, awsVpc.resultsBucket]);
  });

  it("fill the ops default results prefix when a spec writes none", () => {
    const spec = parse(MINIMAL, { ...OPTIONS, defaults: { ...DEFAULTS, results: "s3://${results}/runs/" } });
    assert.equal(spec.results, "s3://burst-results/runs/");
  });

  it("on aws without the VPC's buckets: exit 2 at the line that names one, saying which parameter and how to set it", () => {
    const text = `${withPlaceholders}target: aws\n`;
    const error = specErrorOf(() =>
      parse(text, { ...OPTIONS, namedBuckets: namedBucketsOf(params({ vpc: consulVpc })) }),
    );
    assert.equal(error.exitCode, 2);
    const rendered = error.render();
    assert.match(
      rendered,
      /inline\.yml:7:10: job\.args\[0\]: \$\{data\} stands for the data bucket of target aws, which parameter vpc\/main\/dataBucket names, and it is not set/,
    );
    assert.match(rendered, /inline\.yml:9:36: inputs\[0\]\.to: \$\{data\}/);
    assert.match(rendered, /inline\.yml:10:10: results: \$\{results\} .* vpc\/main\/resultsBucket/);
    assert.equal(error.issues.length, 4, "each placeholder it cannot fill, once");
    assert.match(rendered, /npm run vpc -- deploy --yes/);
  });

  it("reject a placeholder that is neither ${data} nor ${results}", () => {
    const error = specErrorOf(() => parse(`${MINIMAL}results: s3://\${date}/runs/\n`));
    assertRejected(error, INLINE_FILE, {
      at: "4:10",
      key: "results",
      says: "expected a bucket name, or ${data} / ${results} for the target's own buckets, found bucket",
    });
  });

  it("say how to quote one inside a [ ] list, where YAML reads { as a mapping", () => {
    const text = MINIMAL.replace("entrypoint: main.py }", "entrypoint: main.py, args: [s3a://${data}/in/] }");
    const error = specErrorOf(() => parse(text));
    assert.match(error.render(), /invalid YAML/);
    assert.ok(error.hint?.includes('["s3a://${data}/in/", ...]'), error.render());
  });

  it("are left alone outside an S3 URI: a shell argument ${data} is the job's own", () => {
    const text = MINIMAL.replace("entrypoint: main.py }", 'entrypoint: main.py, args: ["${data}", "$results"] }');
    assert.deepEqual(parse(text).job.args, ["${data}", "$results"]);
  });
});
