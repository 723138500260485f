// Approximate Linux on-demand prices (USD per instance-hour), for estimates shown before launch,
// not for invoices. Prices drift, so the estimate says "about" and names the table's date and
// source. Add a type or a region here rather than let the estimate guess.

/** Where and when the prices below were read; the plan and the cost errors quote it. */
export const priceTableSource = {
  asOf: "2025",
  source:
    "AWS Price List API, AmazonEC2 offer files (https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/AmazonEC2/current/<region>/index.json): Linux, shared tenancy, on-demand",
} as const;

export type PricedRegion = "us-east-1" | "eu-west-1";

export const pricedRegions: readonly PricedRegion[] = ["us-east-1", "eu-west-1"];

/** type -> [us-east-1, eu-west-1] on-demand USD/h. */
const table: Readonly<Record<string, readonly [number, number]>> = {
  "t3.medium": [0.0416, 0.0456],
  "t3.large": [0.0832, 0.0912],
  "t3.xlarge": [0.1664, 0.1824],
  "t3.2xlarge": [0.3328, 0.3648],
  "m5.large": [0.096, 0.107],
  "m5.xlarge": [0.192, 0.214],
  "m5.2xlarge": [0.384, 0.428],
  "m5.4xlarge": [0.768, 0.856],
  "m5.8xlarge": [1.536, 1.712],
  "m5.12xlarge": [2.304, 2.568],
  "m5.16xlarge": [3.072, 3.424],
  "m5.24xlarge": [4.608, 5.136],
  "m6i.large": [0.096, 0.107],
  "m6i.xlarge": [0.192, 0.214],
  "m6i.2xlarge": [0.384, 0.428],
  "m6i.4xlarge": [0.768, 0.856],
  "m6i.8xlarge": [1.536, 1.712],
  "m7i.large": [0.1008, 0.1124],
  "m7i.xlarge": [0.2016, 0.2247],
  "m7i.2xlarge": [0.4032, 0.4494],
  "m7i.4xlarge": [0.8064, 0.8988],
  "m6g.large": [0.077, 0.086],
  "m6g.xlarge": [0.154, 0.172],
  "m6g.2xlarge": [0.308, 0.344],
  "m6g.4xlarge": [0.616, 0.688],
  "c5.large": [0.085, 0.096],
  "c5.xlarge": [0.17, 0.192],
  "c5.2xlarge": [0.34, 0.384],
  "c5.4xlarge": [0.68, 0.768],
  "c5.9xlarge": [1.53, 1.728],
  "c6i.large": [0.085, 0.096],
  "c6i.xlarge": [0.17, 0.192],
  "c6i.2xlarge": [0.34, 0.384],
  "c6i.4xlarge": [0.68, 0.768],
  "r5.large": [0.126, 0.141],
  "r5.xlarge": [0.252, 0.282],
  "r5.2xlarge": [0.504, 0.564],
  "r5.4xlarge": [1.008, 1.128],
  "r5.8xlarge": [2.016, 2.256],
  "r6i.large": [0.126, 0.141],
  "r6i.xlarge": [0.252, 0.282],
  "r6i.2xlarge": [0.504, 0.564],
  "r6i.4xlarge": [1.008, 1.128],
};

/** Spot usually costs this fraction of on-demand for these families (a typical 60 % discount). */
export const typicalSpotFraction = 0.4;

/** Public IPv4 addresses: every node has one. USD per address-hour, all regions. */
export const publicIpv4PerHourUsd = 0.005;

/** gp3 storage: USD per GB-month, us-east-1 and eu-west-1 (730 hours a month). */
export const gp3PerGbMonthUsd: Readonly<Record<PricedRegion, number>> = { "us-east-1": 0.08, "eu-west-1": 0.088 };

export function onDemandPerHourUsd(instanceType: string, region: PricedRegion): number | undefined {
  const prices = table[instanceType];
  if (prices === undefined) return undefined;
  return region === "us-east-1" ? prices[0] : prices[1];
}

export function isPricedRegion(region: string): region is PricedRegion {
  return (pricedRegions as readonly string[]).includes(region);
}
