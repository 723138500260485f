// Quoting for POSIX shells, shared by what burst runs over SSH (src/) and the node scripts the
// stacks render (stacks/): one home, a leaf with no imports.

/** `value` as one single-quoted shell word: safe for any bytes, spaces, `$`, quotes and newlines included. */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}
