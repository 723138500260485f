/** The signals that stop a run: Ctrl-C, kill, and a closed terminal (SIGHUP, which would otherwise kill the CLI). */
const STOP_SIGNALS: readonly NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];

/**
 * Ctrl-C, SIGTERM and SIGHUP during a run. The first asks the run to stop: the job is stopped, logs are
 * collected and the cluster destroyed. The second says what is still running and how to remove
 * it, and teardown continues; a third exits at once.
 */
export interface Interrupts {
  readonly signal: AbortSignal;
  /** Which signal stopped the run, if any. */
  readonly received: () => NodeJS.Signals | undefined;
  dispose(): void;
}

export interface InterruptOptions {
  /** What to tell the user on the second signal. */
  readonly onSecond: () => void;
  /** Called on the third signal; must end the process. */
  readonly onThird: () => void;
}

export function watchInterrupts(options: InterruptOptions): Interrupts {
  const controller = new AbortController();
  let count = 0;
  let first: NodeJS.Signals | undefined;
  const handler = (signal: NodeJS.Signals) => {
    count++;
    if (count === 1) {
      first = signal;
      controller.abort(new Error(`received ${signal}`));
    } else if (count === 2) {
      options.onSecond();
    } else {
      options.onThird();
    }
  };
  for (const signal of STOP_SIGNALS) process.on(signal, handler);
  return {
    signal: controller.signal,
    received: () => first,
    dispose() {
      for (const signal of STOP_SIGNALS) process.off(signal, handler);
    },
  };
}
