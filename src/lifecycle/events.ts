import type { BurstError } from "../errors.ts";
import type { FailureDigest } from "../job/failure-digest.ts";
import type { TerraformEvent } from "../terraform/events.ts";

/**
 * The phases of one run, in order: parameters first, since the spec takes its defaults from
 * them. `stage` uploads the spec's inputs to S3.
 */
export const phases = [
  "params",
  "validate",
  "synth",
  "apply",
  "wait-ready",
  "stage",
  "clone",
  "run",
  "collect",
  "destroy",
] as const;
export type Phase = (typeof phases)[number];

export type Outcome = "succeeded" | "failed" | "bad-input" | "infrastructure-failed" | "interrupted" | "planned";

/** The outcome a run or command that ended with this error reports (its exit code's meaning). */
export function outcomeOfError(error: BurstError): Outcome {
  switch (error.kind) {
    case "bad-input":
      return "bad-input";
    case "job-failed":
      return "failed";
    case "interrupted":
      return "interrupted";
    case "infrastructure":
      return "infrastructure-failed";
  }
}

/**
 * What a run reports as it goes: rendered for people on a terminal, or one JSON object per line
 * (`--json`) for CI. Every event is redacted before it leaves the process.
 */
export type BurstEvent =
  | {
      readonly type: "run-start";
      readonly runId: string;
      readonly name: string;
      readonly target: string;
      readonly runDir: string;
      readonly spec: string;
    }
  | { readonly type: "phase-start"; readonly phase: Phase }
  | {
      readonly type: "phase-end";
      readonly phase: Phase;
      readonly seconds: number;
      readonly ok: boolean;
      readonly error?: string;
    }
  | { readonly type: "terraform"; readonly phase: Phase; readonly event: TerraformEvent }
  | { readonly type: "job-log"; readonly stream: "stdout" | "stderr"; readonly line: string }
  | { readonly type: "info"; readonly message: string }
  | { readonly type: "warning"; readonly message: string }
  | { readonly type: "plan"; readonly lines: readonly string[]; readonly costUsd?: number }
  | { readonly type: "results"; readonly uri: string; readonly localDir: string; readonly browse?: string }
  | {
      readonly type: "run-end";
      readonly outcome: Outcome;
      readonly exitCode: number;
      readonly seconds: number;
      readonly message?: string;
      /** What failed, read from the failed step's output (absent when no step failed). */
      readonly digest?: FailureDigest;
      /** The step whose output the digest was read from. */
      readonly failedStep?: string;
      /** What the cluster cost, from its nodes' actual lifetimes (after destroy, when the target can tell). */
      readonly actualCostUsd?: number;
    };

export type EventSink = (event: BurstEvent) => void;
