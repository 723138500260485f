import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { estimateCost, unknownCostReason } from "../../../src/targets/aws/cost-estimate.ts";
import { onDemandPerHourUsd, priceTableSource, typicalSpotFraction } from "../../../src/targets/aws/prices.ts";

const base = {
  region: "us-east-1",
  masterInstanceType: "m5.xlarge",
  workerInstanceType: "m5.xlarge",
  workers: 4,
  spot: false,
  expectedMinutes: 30,
};
const close = (actual: number, expected: number) =>
  assert.ok(Math.abs(actual - expected) < 1e-9, `${actual} != ${expected}`);

describe("estimateCost", () => {
  it("prices an on-demand cluster per hour and for the expected minutes", () => {
    const estimate = estimateCost(base);
    // 5 x m5.xlarge at $0.192 + 5 public IPv4 addresses at $0.005
    close(estimate.perHourUsd, 5 * 0.192 + 5 * 0.005);
    close(estimate.totalUsd, estimate.perHourUsd / 2);
    assert.deepEqual(
      estimate.lines.map((line) => [line.item, line.count]),
      [
        ["master on-demand m5.xlarge", 1],
        ["workers on-demand m5.xlarge", 4],
        ["public IPv4 addresses", 5],
      ],
    );
    assert.deepEqual(estimate.unknownTypes, []);
  });

  it("prices spot workers at the typical discount, and never the master", () => {
    const estimate = estimateCost({ ...base, spot: true });
    const [master, workers] = estimate.lines;
    close(master?.unitPerHourUsd ?? 0, 0.192);
    close(workers?.unitPerHourUsd ?? 0, 0.192 * typicalSpotFraction);
    assert.match(estimate.notes.join("\n"), /spot/);
  });

  it("uses each region's price", () => {
    const eu = estimateCost({ ...base, region: "eu-west-1" });
    close(eu.lines[0]?.unitPerHourUsd ?? 0, onDemandPerHourUsd("m5.xlarge", "eu-west-1") ?? Number.NaN);
    assert.ok(eu.perHourUsd > estimateCost(base).perHourUsd);
  });

  it("reports unknown instance types instead of guessing them", () => {
    const estimate = estimateCost({ ...base, masterInstanceType: "x9z.mega", workerInstanceType: "x9z.mega" });
    assert.deepEqual(estimate.unknownTypes, ["x9z.mega"]);
    assert.deepEqual(
      estimate.lines.map((line) => line.item),
      ["public IPv4 addresses"],
    );
  });

  it("names an unpriced instance type as the reason the cost is unknown", () => {
    const estimate = estimateCost({ ...base, workerInstanceType: "x9z.mega" });
    assert.match(unknownCostReason(estimate) ?? "", /no price for instance type x9z\.mega/);
    assert.equal(unknownCostReason(estimateCost(base)), undefined, "a fully priced cluster has a known cost");
  });

  it("says an unpriced region's cost is unknown instead of borrowing another region's prices", () => {
    const estimate = estimateCost({ ...base, region: "ap-south-1", diskGb: 100 });
    assert.equal(estimate.unpricedRegion, "ap-south-1");
    assert.deepEqual(
      estimate.lines.map((line) => line.item),
      ["public IPv4 addresses"],
      "no instance or disk line priced from another region",
    );
    assert.match(
      unknownCostReason(estimate) ?? "",
      /no prices for region ap-south-1 \(it covers us-east-1, eu-west-1\)/,
    );
    assert.doesNotMatch(estimate.notes.join("\n"), /priced as/);
  });

  it("states the price table's date and source", () => {
    assert.match(priceTableSource.asOf, /^\d{4}(-\d\d)?(-\d\d)?$/);
    assert.match(priceTableSource.source, /AWS Price List/);
    assert.match(
      unknownCostReason(estimateCost({ ...base, region: "ap-south-1" })) ?? "",
      new RegExp(priceTableSource.asOf),
    );
  });

  it("adds gp3 root disks when their size is given", () => {
    const estimate = estimateCost({ ...base, diskGb: 100 });
    const disks = estimate.lines.find((line) => line.item.startsWith("gp3"));
    close(disks?.perHourUsd ?? 0, (5 * 100 * 0.08) / 730);
  });

  it("bills at least a minute, and counts a master-only cluster", () => {
    const estimate = estimateCost({ ...base, workers: 0, expectedMinutes: 0 });
    close(estimate.totalUsd, estimate.perHourUsd / 60);
    assert.equal(estimate.lines.length, 2);
  });
});
