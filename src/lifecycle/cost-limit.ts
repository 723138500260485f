import { badInput } from "../errors.ts";
import type { Spec } from "../runspec/types.ts";
import type { PreparedCluster } from "../targets/contract.ts";

/** The spec's maxCostUsd against the target's estimate: bad input when above it, or when there is no estimate. */
export function enforceCostLimit(spec: Spec, prepared: PreparedCluster): void {
  const location = spec.source.maxCostUsdAt ?? { file: spec.source.file };
  // An unpriced part counted as $0 would let any run under the cap: no price, no launch.
  if (spec.maxCostUsd !== undefined && prepared.costUsd === undefined) {
    throw badInput(
      `maxCostUsd is set, but this run's cost cannot be estimated: ${prepared.costUnknown ?? "the target gives no estimate"}`,
      {
        keyPath: "maxCostUsd",
        location,
        hint: prepared.costUnknownHint ? `${prepared.costUnknownHint}, or remove maxCostUsd` : "remove maxCostUsd",
      },
    );
  }
  if (spec.maxCostUsd !== undefined && prepared.costUsd !== undefined && prepared.costUsd > spec.maxCostUsd) {
    throw badInput(
      `estimated cost $${prepared.costUsd.toFixed(2)} is above maxCostUsd $${spec.maxCostUsd.toFixed(2)}`,
      { keyPath: "maxCostUsd", location, hint: "use fewer or smaller nodes, or raise maxCostUsd" },
    );
  }
}
