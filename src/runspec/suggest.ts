// "Did you mean ...?" for typos in keys and enum values.

/** Optimal-string-alignment distance: Levenshtein plus transposition of adjacent characters. */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) =>
    Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number): number => d[i]?.[j] ?? Number.POSITIVE_INFINITY;
  for (let i = 1; i < rows; i++) {
    const row = d[i] as number[];
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, at(i - 2, j - 2) + 1);
      }
      row[j] = best;
    }
  }
  return at(a.length, b.length);
}

// instance_type, instance-type and InstanceType all mean instanceType.
const canonical = (word: string): string => word.toLowerCase().replace(/[-_\s]/g, "");

/**
 * The candidates close enough to `input` to be a typo of it, best first.
 * Close means at most one edit per three characters of the candidate, and fewer edits
 * than the input has characters (so "a" never suggests "aws").
 */
export function closeMatches(input: string, candidates: readonly string[]): string[] {
  const typed = canonical(input);
  const scored = candidates
    .map((candidate) => ({ candidate, distance: editDistance(typed, canonical(candidate)) }))
    .filter(
      ({ candidate, distance }) =>
        candidate !== input && distance <= Math.max(1, Math.floor(candidate.length / 3)) && distance < typed.length,
    );
  const best = Math.min(...scored.map((s) => s.distance));
  return scored.filter((s) => s.distance === best).map((s) => s.candidate);
}

/** "did you mean 'workers'?" or undefined when nothing is close. */
export function didYouMean(input: string, candidates: readonly string[]): string | undefined {
  const matches = closeMatches(input, candidates);
  if (matches.length === 0) return undefined;
  return `did you mean ${matches.map((m) => `'${m}'`).join(" or ")}?`;
}
