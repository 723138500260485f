// The booted-node test's retry of its container boot, on its own so a unit test can prove it.

/** One boot of the nodes under test: how long it took and how it ended ("ready" when it did). */
export interface BootAttempt {
  readonly ms: number;
  readonly outcome: string;
}

/**
 * `attempt` at most twice, each recorded in `attempts`, which the test reports: a retry is never
 * silent. A failure is retried once, and only when `stuckBeforeTest` names why the environment,
 * not the code under test, failed it (a container that never reached its user data); any other
 * failure, a boot that throws included, is rethrown as itself. A second stuck attempt fails.
 */
export async function bootWithOneRetry(
  attempts: BootAttempt[],
  attempt: (number: number) => Promise<void>,
  stuckBeforeTest: (error: unknown) => string | undefined,
  beforeRetry: (error: unknown) => Promise<void>,
): Promise<void> {
  for (let number = 1; ; number++) {
    const start = Date.now();
    try {
      await attempt(number);
      attempts.push({ ms: Date.now() - start, outcome: "ready" });
      return;
    } catch (error) {
      const stuck = stuckBeforeTest(error);
      attempts.push({ ms: Date.now() - start, outcome: stuck ?? `failed: ${(error as Error).message}` });
      if (stuck === undefined) throw error;
      if (number === 2) {
        throw new Error(`boot attempt 2 of 2: ${stuck} (attempt 1: ${attempts.at(-2)?.outcome})`, { cause: error });
      }
      await beforeRetry(error);
    }
  }
}
