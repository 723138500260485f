// What the node image depends on, as plain data (no CDKTF): the dry run's plan (src/targets/aws/
// plan.ts) names it without loading the construct in cluster/node-image.ts, which `gc` would pay for.

/** Debian's AWS account: its official images (https://wiki.debian.org/Cloud/AmazonEC2Image). */
export const debianOwnerId = "136693071363";

export type Architecture = "arm64" | "x86_64";

/**
 * The CPU architecture of an instance type: Graviton families carry a "g" after the generation
 * digit (m7g, c6gn, x2gd, im4gn, g5g) or are a1; everything else EC2 offers for Spark is x86_64.
 */
export function instanceArchitecture(instanceType: string): Architecture {
  const family = instanceType.split(".")[0] ?? "";
  return family === "a1" || /^[a-z]+\d+[a-z]*g[a-z]*$/.test(family.replace(/-.*$/, "")) ? "arm64" : "x86_64";
}
