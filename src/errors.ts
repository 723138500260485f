// Errors are values with a user-facing message and a cause; the CLI renders them once.

/** Exit codes are part of burst's interface: CI pipelines branch on them. */
export const ExitCode = {
  ok: 0,
  jobFailed: 1,
  badInput: 2,
  infrastructure: 3,
  interrupted: 130,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export type ErrorKind = "bad-input" | "infrastructure" | "job-failed" | "interrupted";

const exitCodeOf: Record<ErrorKind, ExitCodeValue> = {
  "bad-input": ExitCode.badInput,
  infrastructure: ExitCode.infrastructure,
  "job-failed": ExitCode.jobFailed,
  interrupted: ExitCode.interrupted,
};

/** Where in a file the problem is. Lines and columns are 1-based. */
export interface SourceLocation {
  readonly file: string;
  readonly line?: number;
  readonly column?: number;
}

export interface BurstErrorOptions {
  readonly location?: SourceLocation;
  /** Dotted key path, e.g. "cluster.worker.instanceType". */
  readonly keyPath?: string;
  /** What would fix it, shown on its own line. */
  readonly hint?: string;
  readonly cause?: unknown;
}

export class BurstError extends Error {
  readonly kind: ErrorKind;
  readonly location?: SourceLocation;
  readonly keyPath?: string;
  readonly hint?: string;

  constructor(kind: ErrorKind, message: string, options: BurstErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = "BurstError";
    this.kind = kind;
    this.location = options.location;
    this.keyPath = options.keyPath;
    this.hint = options.hint;
  }

  get exitCode(): ExitCodeValue {
    return exitCodeOf[this.kind];
  }

  /** "file:line:col: key.path: message" — the form editors and CI logs link to. */
  render(): string {
    const where = this.location ? formatLocation(this.location) : "";
    const key = this.keyPath ? `${this.keyPath}: ` : "";
    const head = where ? `${where}: ${key}${this.message}` : `${key}${this.message}`;
    return this.hint ? `${head}\n  hint: ${this.hint}` : head;
  }
}

export function formatLocation(location: SourceLocation): string {
  if (location.line === undefined) return location.file;
  if (location.column === undefined) return `${location.file}:${location.line}`;
  return `${location.file}:${location.line}:${location.column}`;
}

export const badInput = (message: string, options?: BurstErrorOptions) => new BurstError("bad-input", message, options);
export const infraError = (message: string, options?: BurstErrorOptions) =>
  new BurstError("infrastructure", message, options);

/** An error as one text for a message: a BurstError rendered with its hint, else its message. */
export function describeError(error: unknown): string {
  if (error instanceof BurstError) return error.render();
  // An error with no message still says what it was ("AbortError", "TimeoutError").
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}
