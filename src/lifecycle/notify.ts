import type { FailureDigest } from "../job/failure-digest.ts";
import { lastErrorAsIs, retry } from "../util/retry.ts";
import type { Outcome } from "./events.ts";

export interface RunSummary {
  readonly runId: string;
  readonly name: string;
  readonly target: string;
  readonly outcome: Outcome;
  readonly exitCode: number;
  readonly seconds: number;
  readonly results?: string;
  readonly message?: string;
  /** What failed, read from the failed step's output. */
  readonly digest?: FailureDigest;
}

export interface NotifyOptions {
  readonly attempts?: number;
  /** Per attempt; the whole notification is bounded by attempts × (timeout + backoff). */
  readonly timeoutMs?: number;
}

/**
 * POST the run's summary as JSON to a webhook. `text` makes it a valid Slack incoming-webhook
 * message; the other fields are for machines. Retried a few times, each attempt time-boxed.
 */
export async function notifyRun(url: string, summary: RunSummary, options: NotifyOptions = {}): Promise<void> {
  const attempts = options.attempts ?? 3;
  const timeoutMs = options.timeoutMs ?? 5000;
  const icon = summary.outcome === "succeeded" ? "✅" : "❌";
  const body = JSON.stringify({
    text: `${icon} burst ${summary.name} (${summary.runId}) ${summary.outcome} in ${Math.round(summary.seconds)}s on ${summary.target}${summary.results ? ` · results ${summary.results}` : ""}${summary.message ? `\n${summary.message}` : ""}${summary.digest ? `\n${summary.digest.summary}` : ""}`,
    ...summary,
  });
  let tried = 0;
  try {
    await retry(
      async (attempt) => {
        tried = attempt;
        const response = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body,
          signal: AbortSignal.timeout(timeoutMs),
        });
        if (!response.ok) throw new HttpStatus(response.status);
      },
      {
        what: "post the run's summary to the webhook",
        attempts,
        firstDelayMs: 500,
        // A 4xx other than 429 will not heal by asking again.
        retryable: (error) => !(error instanceof HttpStatus) || error.status >= 500 || error.status === 429,
        giveUp: lastErrorAsIs,
      },
    );
  } catch (error) {
    // The URL is a secret: the error names only what went wrong.
    throw new Error(
      `webhook failed after ${tried} attempt(s): ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

class HttpStatus extends Error {
  constructor(readonly status: number) {
    super(`HTTP ${status}`);
  }
}
