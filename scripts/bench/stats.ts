// Small statistics for noisy timings: medians and spreads, never single samples.

export interface Sample {
  /** Every measurement, in the order taken. */
  readonly values: readonly number[];
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

export function sample(values: readonly number[]): Sample {
  if (values.length === 0) throw new Error("no measurements");
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median =
    sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
  return { values, median, min: sorted[0] ?? 0, max: sorted[sorted.length - 1] ?? 0 };
}

/** Milliseconds `action` took. */
export async function timeMs(action: () => Promise<unknown> | unknown): Promise<number> {
  const began = performance.now();
  await action();
  return performance.now() - began;
}

/** "12.3 s (11.9-13.0)" style: the median and the range of the samples. */
export function formatSample(value: Sample, unit: string, digits = 1): string {
  const fixed = (n: number) => n.toFixed(digits);
  if (value.values.length === 1) return `${fixed(value.median)} ${unit}`;
  return `${fixed(value.median)} ${unit} (${fixed(value.min)}-${fixed(value.max)})`;
}

export function ratio(numerator: number, denominator: number): number {
  return denominator === 0 ? Number.NaN : numerator / denominator;
}
