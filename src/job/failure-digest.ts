// What failed, read from a failed step's own output: the exception and the line of the job's code
// that raised it, the Spark stage and task, an executor's loss, or a script's last words. A user
// reads it in the run's last lines instead of scrolling through thousands of log lines.

import type { JobType } from "../runspec/types.ts";

export type FailureKind = "python-exception" | "jvm-exception" | "executor-lost" | "timeout" | "exit";

export interface FailureDigest {
  readonly kind: FailureKind;
  /** One line: what failed, in the user's words. */
  readonly summary: string;
  /** The exception, as "Type: message" (the innermost one the output names). */
  readonly exception?: string;
  /** Where the job's own code raised it: "etl/clean.py:5 in parse_amount", "example.Ingest.parseRows(Ingest.java:10)". */
  readonly at?: string;
  /** A JVM exception's root cause, as "Type: message". */
  readonly cause?: string;
  /** The Spark stage and task that failed for good, e.g. "task 1 in stage 0.0 failed 4 times (last: TID 4 on executor 0, 127.0.0.1)". */
  readonly stage?: string;
  /** Why an executor was lost, e.g. "out of memory (exit code 52)". */
  readonly executorLost?: string;
  /** The output's last lines (a script's stderr, or what a stopped job was doing). */
  readonly lastLines?: readonly string[];
}

export interface FailedAttempt {
  readonly jobType: JobType;
  readonly stdout: readonly string[];
  readonly stderr: readonly string[];
  readonly exitCode: number | null;
  readonly timedOut: boolean;
  readonly timeoutMinutes: number;
}

/** How many of the output's last lines a digest keeps. */
const LAST_LINES = 5;

/** The digest of a failed attempt's output (what failed first, in the job's own terms). */
export function failureDigest(attempt: FailedAttempt): FailureDigest {
  const lines = [...attempt.stdout, ...attempt.stderr];
  if (attempt.timedOut) {
    const running = lastMatch(attempt.stderr, /\[Stage (\d+):/);
    const lastLines = lastOf(attempt.stdout.length > 0 ? attempt.stdout : attempt.stderr);
    return {
      kind: "timeout",
      summary: `stopped after timeoutMinutes (${attempt.timeoutMinutes})${running ? ` while stage ${running[1]} ran` : ""}`,
      ...(lastLines.length > 0 ? { lastLines } : {}),
    };
  }
  const stage = stageFailure(lines);
  const python = attempt.jobType === "jar" ? undefined : pythonException(lines);
  if (stage?.executorLost) {
    return {
      kind: "executor-lost",
      summary: `executor lost: ${stage.executorLost}`,
      stage: stage.text,
      executorLost: stage.executorLost,
      ...(python?.at ? { at: python.at } : {}),
    };
  }
  if (python) {
    return {
      kind: "python-exception",
      summary: python.at ? `${python.exception} at ${python.at}` : python.exception,
      exception: python.exception,
      ...(python.at ? { at: python.at } : {}),
      ...(stage ? { stage: stage.text } : {}),
    };
  }
  const jvm = jvmException(lines);
  if (jvm) {
    const root = jvm.cause ? ` (caused by ${jvm.cause})` : "";
    return {
      kind: "jvm-exception",
      summary: `${jvm.exception}${root}${jvm.at ? ` at ${jvm.at}` : ""}`,
      exception: jvm.exception,
      ...(jvm.at ? { at: jvm.at } : {}),
      ...(jvm.cause ? { cause: jvm.cause } : {}),
      ...(stage ? { stage: stage.text } : {}),
    };
  }
  const lastLines = lastOf(attempt.stderr.length > 0 ? attempt.stderr : attempt.stdout);
  return {
    kind: "exit",
    summary: `exited with code ${attempt.exitCode ?? "unknown (killed)"}${lastLines.length > 0 ? `: ${lastLines[lastLines.length - 1]}` : ""}`,
    ...(lastLines.length > 0 ? { lastLines } : {}),
  };
}

/** The digest's lines as a person reads them under the run's last line. */
export function digestLines(digest: FailureDigest): string[] {
  const lines: string[] = [];
  if (digest.kind === "timeout") lines.push(digest.summary);
  if (digest.executorLost) lines.push(`executor lost: ${digest.executorLost}`);
  if (digest.exception) lines.push(digest.exception);
  if (digest.at) lines.push(`  at ${digest.at}`);
  if (digest.cause) lines.push(`  caused by ${digest.cause}`);
  if (digest.stage) lines.push(`  ${digest.stage}`);
  if (digest.kind === "exit" && !digest.lastLines) lines.push(digest.summary);
  for (const line of digest.lastLines ?? []) lines.push(`│ ${line}`);
  return lines;
}

const TRACEBACK = /Traceback \(most recent call last\):\s*$/;
const FRAME = /^\s+File "(.+)", line (\d+), in (.+)$/;
const PY_EXCEPTION = /^([A-Za-z_][\w.]*)(?::\s?(.*))?$/;
/** Frames in Python's own library, PySpark and py4j: not the job's code. */
const LIBRARY_FRAME = /site-packages|dist-packages|pyspark\.zip|py4j|\/lib\/python\d|^<frozen|^<string>/;

interface PythonFailure {
  readonly exception: string;
  readonly at?: string;
}

/**
 * The first Python traceback's exception and the job's own frame; when it is py4j's wrapper of
 * a failed Spark job, the executor's traceback nested in it says what the job's code raised.
 */
function pythonException(lines: readonly string[]): PythonFailure | undefined {
  const tracebacks = parseTracebacks(lines);
  const [first] = tracebacks;
  if (!first) return undefined;
  const chosen = /Py4JJavaError/.test(first.exception) ? (tracebacks[1] ?? first) : first;
  const own = [...chosen.frames].reverse().find((frame) => !LIBRARY_FRAME.test(frame.file));
  let exception = chosen.exception;
  if (chosen === first && /Py4JJavaError/.test(exception) && first.javaCause) exception = first.javaCause;
  return { exception, ...(own ? { at: `${jobPath(own.file)}:${own.line} in ${own.function}` } : {}) };
}

interface Traceback {
  readonly frames: readonly { readonly file: string; readonly line: string; readonly function: string }[];
  readonly exception: string;
  /** The JVM exception py4j's wrapper carries on its next line (": org.apache...: message"). */
  readonly javaCause?: string;
}

function parseTracebacks(lines: readonly string[]): Traceback[] {
  const found: Traceback[] = [];
  for (let index = 0; index < lines.length; index++) {
    if (!TRACEBACK.test(lines[index] ?? "")) continue;
    const frames: { file: string; line: string; function: string }[] = [];
    let cursor = index + 1;
    for (; cursor < lines.length; cursor++) {
      const line = lines[cursor] ?? "";
      const frame = FRAME.exec(line);
      if (frame) frames.push({ file: frame[1] ?? "", line: frame[2] ?? "", function: frame[3] ?? "" });
      else if (!/^\s/.test(line) && line.trim() !== "") break;
    }
    const last = lines[cursor] ?? "";
    if (!PY_EXCEPTION.test(last.split(":")[0] ?? "")) continue;
    const next = lines[cursor + 1] ?? "";
    const javaCause = /^: (\S+?: .*)$/.exec(next)?.[1];
    found.push({ frames, exception: last.trim(), ...(javaCause ? { javaCause: shortJava(javaCause) } : {}) });
    index = cursor;
  }
  return found;
}

/** A path on the master as the user knows it: relative to the job's checkout. */
function jobPath(file: string): string {
  const checkout = /\/job\/code\/(.+)$/.exec(file);
  return checkout?.[1] ?? file;
}

const STAGE_FAILURE =
  /Job aborted due to stage failure: Task (\S+) in stage (\S+) failed (\d+) times?, most recent failure: Lost task (\S+) in stage \S+ \(TID (\d+)\) \(([^)]*)\): (.*)$/;
const EXECUTOR_LOST = /ExecutorLostFailure \(executor (\S+) exited ([^)]*)\) Reason: (.*)$/;

interface StageFailure {
  readonly text: string;
  readonly executorLost?: string;
}

/** Spark's "Job aborted due to stage failure" line: which task failed for good, and why an executor went. */
function stageFailure(lines: readonly string[]): StageFailure | undefined {
  for (const line of lines) {
    const match = STAGE_FAILURE.exec(line);
    if (!match) continue;
    const [, task, stage, times, , tid, where, reason] = match;
    const place = (where ?? "").replace(/^(\S+) executor (\S+)$/, "executor $2, $1");
    const text = `task ${task} in stage ${stage} failed ${times} time${times === "1" ? "" : "s"} (last: TID ${tid} on ${place})`;
    const lost = EXECUTOR_LOST.exec(reason ?? "");
    return lost ? { text, executorLost: executorLossReason(lost[3] ?? "", lines) } : { text };
  }
  return undefined;
}

/** Spark's executor exit codes and the usual signals, in words. */
function executorLossReason(reason: string, lines: readonly string[]): string {
  const code = /exited with code (\d+)/.exec(reason)?.[1] ?? /exit code[: ]+(\d+)/i.exec(reason)?.[1];
  const oomSeen = lines.some((line) => /java\.lang\.OutOfMemoryError/.test(line));
  const trimmed = reason.replace(/\.$/, "").trim();
  if (code === "52" || oomSeen) return `out of memory (${trimmed})`;
  if (code === "137") return `killed by SIGKILL, often the kernel's or a container's memory limit (${trimmed})`;
  if (code === "143") return `stopped by SIGTERM (${trimmed})`;
  return trimmed;
}

const JVM_EXCEPTION =
  /^(?:Exception in thread "[^"]*" )?((?:[a-z_$][\w$]*\.)+[A-Z][\w$]*(?:Exception|Error|Throwable)(?::\s.*)?)$/;
const JVM_FRAME = /^\s+at (\S+)/;
const JVM_LIBRARY =
  /^(?:java\.|javax\.|jdk\.|sun\.|scala\.|org\.apache\.spark\.|org\.apache\.hadoop\.|py4j\.|java\.base\/|jdk\.internal)/;

interface JvmFailure {
  readonly exception: string;
  readonly at?: string;
  readonly cause?: string;
}

/** The first JVM exception in the output, its root cause, and the first frame in the job's own classes. */
function jvmException(lines: readonly string[]): JvmFailure | undefined {
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] ?? "";
    const match = JVM_EXCEPTION.exec(line.replace(/^\d\d\/\d\d\/\d\d \d\d:\d\d:\d\d \w+ \S+: /, ""));
    if (!match || !JVM_FRAME.test(lines[index + 1] ?? "")) continue;
    let at: string | undefined;
    let cause: string | undefined;
    for (let cursor = index + 1; cursor < lines.length; cursor++) {
      const next = lines[cursor] ?? "";
      const frame = JVM_FRAME.exec(next);
      if (frame) {
        if (!at && !JVM_LIBRARY.test(frame[1] ?? "")) at = frame[1];
        continue;
      }
      const causedBy = /^Caused by: (.*)$/.exec(next);
      if (causedBy) cause = shortJava(causedBy[1] ?? "");
      else if (!/^\s+\.\.\. \d+ more$/.test(next)) break;
    }
    return { exception: shortJava(match[1] ?? ""), ...(at ? { at } : {}), ...(cause ? { cause } : {}) };
  }
  return undefined;
}

/** "java.lang.IllegalStateException: msg" stays whole; only an overlong message is cut. */
function shortJava(text: string): string {
  return text.length > 300 ? `${text.slice(0, 297)}...` : text;
}

function lastMatch(lines: readonly string[], pattern: RegExp): RegExpExecArray | undefined {
  for (let index = lines.length - 1; index >= 0; index--) {
    const match = pattern.exec(lines[index] ?? "");
    if (match) return match;
  }
  return undefined;
}

function lastOf(lines: readonly string[]): string[] {
  return lines.filter((line) => line.trim() !== "").slice(-LAST_LINES);
}
