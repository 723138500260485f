// The one concurrency limiter: a Limiter for actions that arrive over time and share a budget,
// mapLimit for a list known up front. Both start work first come, first served.

/** At most `limit` actions at once (at least one); the others wait their turn, in order. */
export class Limiter {
  private free: number;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly limit: number) {
    this.free = Math.max(1, Math.floor(limit) || 1);
  }

  async run<T>(action: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await action();
    } finally {
      // Hand the slot straight to the next in line, so no newcomer can overtake it.
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    }
  }
}

/**
 * `action` over `items`, at most `limit` at a time; results in input order. The first failure
 * stops items that have not started yet from starting; once the actions in flight have settled,
 * it rejects with that failure (so nothing runs on behind the caller's back).
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  action: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const limiter = new Limiter(limit);
  const results: R[] = new Array(items.length);
  let failure: { readonly error: unknown } | undefined;
  await Promise.all(
    items.map((item, index) =>
      limiter.run(async () => {
        if (failure) return;
        try {
          results[index] = await action(item, index);
        } catch (error) {
          failure ??= { error };
        }
      }),
    ),
  );
  if (failure) throw failure.error;
  return results;
}

/** Resolves after `ms`, or as soon as `signal` aborts (never rejects: the caller checks the signal). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** Split `items` into arrays of at most `size`. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
