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
    text: `${icon} burst ${summary.name} (${summary.runId}) ${summary.outcome} in ${Math.round(summary.seconds)}s on ${summary.target}${summary.results ? ` · results ${summary.results}` : ""}${summary.message ? `\n${summary.message}` : ""}`,
    ...summary,
  });
  let lastError: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      const response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (response.ok) return;
      lastError = new Error(`HTTP ${response.status}`);
      if (response.status < 500 && response.status !== 429) break;
    } catch (error) {
      lastError = error;
    }
    if (attempt < attempts) await new Promise((resolve) => setTimeout(resolve, 500 * 2 ** (attempt - 1)));
  }
  // The URL is a secret: the error names only what went wrong.
  throw new Error(
    `webhook failed after ${attempts} attempt(s): ${lastError instanceof Error ? lastError.message : String(lastError)}`,
  );
}
