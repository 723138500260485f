// The one retry loop: tries an action until it succeeds, with exponential backoff (capped, with
// optional jitter) between tries, bounded by a number of attempts and/or a deadline.

import { BurstError, describeError, infraError } from "../errors.ts";
import { sleep } from "./concurrency.ts";

/** Why retrying stopped without a success. */
export interface RetryEnd {
  /** exhausted: the attempts ran out; timeout: the deadline passed; aborted: the signal fired. */
  readonly reason: "exhausted" | "timeout" | "aborted";
  /** Tries made. */
  readonly attempts: number;
  /** What the last try threw (undefined when aborted before the first). */
  readonly lastError: unknown;
}

export interface RetryOptions {
  /** What is tried, as in "could not <what>": named by the final error. */
  readonly what: string;
  /** Tries in all, the first included. Default: no limit (then `timeoutMs` or `signal` must end it). */
  readonly attempts?: number;
  /** The waits never run past this long after the first try began; the last try starts at it at the latest. */
  readonly timeoutMs?: number;
  /** The wait after the first failure; each next one is `factor` (default 2) times longer, up to `maxDelayMs`. */
  readonly firstDelayMs: number;
  readonly factor?: number;
  readonly maxDelayMs?: number;
  /** 0..1: that share of each wait is random, so callers racing each other fall out of step. Default 0. */
  readonly jitter?: number;
  /** Whether a failure is worth another try (default: all are). Others are thrown at once, as they are. */
  readonly retryable?: (error: unknown) => boolean;
  /** Stops the waiting at once and the retrying before the next try. */
  readonly signal?: AbortSignal;
  /** Told before each wait: the attempt that failed, its error, and how long the wait is. */
  readonly onRetry?: (attempt: number, error: unknown, delayMs: number) => void;
  /**
   * The error thrown when retrying ends without a success. Default: an infrastructure error
   * "could not <what> after <n> attempts: <last error>" (or "...: interrupted" when aborted).
   */
  readonly giveUp?: (end: RetryEnd) => Error;
}

/** `action(attempt)` (attempt counts from 1) until it resolves; see RetryOptions. */
export async function retry<T>(action: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const maxAttempts = options.attempts ?? Number.POSITIVE_INFINITY;
  const deadline = options.timeoutMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + options.timeoutMs;
  const fail = (end: RetryEnd): Error => options.giveUp?.(end) ?? defaultGiveUp(options.what, end);
  let lastError: unknown;
  for (let attempt = 1; ; attempt++) {
    if (options.signal?.aborted) throw fail({ reason: "aborted", attempts: attempt - 1, lastError });
    try {
      return await action(attempt);
    } catch (error) {
      if (options.retryable && !options.retryable(error)) throw error;
      lastError = error;
    }
    if (attempt >= maxAttempts) throw fail({ reason: "exhausted", attempts: attempt, lastError });
    const left = deadline - Date.now();
    if (left <= 0) throw fail({ reason: "timeout", attempts: attempt, lastError });
    const delay = Math.min(backoffDelay(attempt, options), left);
    options.onRetry?.(attempt, lastError, delay);
    await sleep(delay, options.signal);
  }
}

/** The wait after failed attempt `attempt` (from 1), before the deadline trims it. */
export function backoffDelay(
  attempt: number,
  options: Pick<RetryOptions, "firstDelayMs" | "factor" | "maxDelayMs" | "jitter">,
  random: () => number = Math.random,
): number {
  const grown = options.firstDelayMs * (options.factor ?? 2) ** (attempt - 1);
  const capped = Math.min(grown, options.maxDelayMs ?? Number.POSITIVE_INFINITY);
  const jitter = Math.min(Math.max(options.jitter ?? 0, 0), 1);
  return Math.round(capped * (1 - jitter + jitter * random()));
}

function defaultGiveUp(what: string, end: RetryEnd): Error {
  if (end.reason === "aborted") return new BurstError("interrupted", `could not ${what}: interrupted`);
  return infraError(`could not ${what} after ${end.attempts} attempts: ${describeError(end.lastError)}`, {
    cause: end.lastError,
  });
}

/** A giveUp for callers that report the last failure themselves: it is thrown as it is. */
export function lastErrorAsIs({ lastError }: RetryEnd): Error {
  return lastError instanceof Error ? lastError : new Error(String(lastError));
}
