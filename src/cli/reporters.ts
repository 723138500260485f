import { digestLines } from "../job/failure-digest.ts";
import type { BurstEvent, EventSink } from "../lifecycle/events.ts";
import { redactText } from "../util/redact.ts";

export interface ReporterOptions {
  readonly runId: () => string | undefined;
  /** Values to hide; read at each event because a run learns its secrets as it goes. */
  readonly secrets: () => readonly string[];
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

/** Newline-delimited JSON on stdout, nothing else: what CI pipelines parse. */
export function jsonReporter(options: ReporterOptions): EventSink {
  return (event) => {
    const line = JSON.stringify({ ts: new Date().toISOString(), runId: options.runId(), ...event });
    options.stdout.write(`${redactText(line, options.secrets())}\n`);
  };
}

export interface HumanOptions extends ReporterOptions {
  /** Colour and symbols only on a terminal, and never with NO_COLOR or CI set. */
  readonly color: boolean;
  readonly verbose: boolean;
}

/** Phases with timings on stderr; the job's own output on stdout/stderr with a prefix. */
export function humanReporter(options: HumanOptions): EventSink {
  const paint = (code: string, text: string) => (options.color ? `\x1b[${code}m${text}\x1b[0m` : text);
  const ok = options.color ? "✔" : "ok";
  const bad = options.color ? "✖" : "FAILED";
  const write = (stream: NodeJS.WritableStream, text: string) =>
    stream.write(`${redactText(text, options.secrets())}\n`);
  return (event: BurstEvent) => {
    switch (event.type) {
      case "run-start":
        write(options.stderr, `burst ${paint("1", event.name)} · run ${event.runId} · target ${event.target}`);
        if (options.verbose) write(options.stderr, `  run folder ${event.runDir}`);
        return;
      case "phase-start":
        if (options.verbose) write(options.stderr, paint("2", `… ${event.phase}`));
        return;
      case "phase-end": {
        const timing = `${event.seconds.toFixed(1)}s`.padStart(7);
        const name = event.phase.padEnd(11);
        if (event.ok) write(options.stderr, `${paint("32", ok)} ${name}${paint("2", timing)}`);
        // The failure itself is told once, by run-end (or a warning when it was not the first).
        else write(options.stderr, `${paint("31", bad)} ${name}${paint("2", timing)}`);
        return;
      }
      case "terraform":
        if (event.event.type === "resource-failed") {
          write(options.stderr, paint("31", `  ${event.event.address} failed to ${event.event.action}`));
        } else if (options.verbose && event.event.type === "resource-done") {
          write(
            options.stderr,
            paint("2", `  ${event.event.address} ${event.event.action}d in ${event.event.seconds}s`),
          );
        } else if (options.verbose && event.event.type === "provisioner-output") {
          write(options.stderr, paint("2", `  ${event.event.address}: ${event.event.line}`));
        }
        return;
      case "job-log":
        if (event.stream === "stdout") write(options.stdout, `${paint("36", "job │")} ${event.line}`);
        else write(options.stderr, `${paint("35", "job ┆")} ${event.line}`);
        return;
      case "info":
        write(options.stderr, `  ${event.message}`);
        return;
      case "warning":
        write(options.stderr, paint("33", `warning: ${event.message}`));
        return;
      case "plan":
        for (const line of event.lines) write(options.stdout, line);
        return;
      case "results":
        write(options.stderr, `results: ${event.uri}`);
        if (event.browse) write(options.stderr, `  on disk: ${event.browse}`);
        write(options.stderr, `  local copy: ${event.localDir}`);
        return;
      case "run-end": {
        const summary = `${event.outcome} in ${event.seconds.toFixed(1)}s (exit ${event.exitCode})`;
        const colour = event.exitCode === 0 ? "32" : "31";
        write(options.stderr, paint(colour, event.message ? `${summary}: ${event.message}` : summary));
        // What failed, so the user need not search the logs for it.
        if (event.digest) {
          const step = event.failedStep && event.failedStep !== "job" ? ` (step "${event.failedStep}")` : "";
          write(options.stderr, `what failed${step}:`);
          for (const line of digestLines(event.digest)) write(options.stderr, `  ${line}`);
        }
        return;
      }
    }
  };
}
