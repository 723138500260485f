// The `burst` command line: parses arguments, picks a reporter, runs one command and turns
// its result into an exit code. Everything it calls lives in the engine; nothing imports this.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { burstCommand } from "../commands.ts";
import { BurstError, badInput, ExitCode } from "../errors.ts";
import { type EventSink, outcomeOfError } from "../lifecycle/events.ts";
import type { RunSeams } from "../lifecycle/seams.ts";
import { isTargetName, type TargetName, targetNameList, targetNames } from "../targets/index.ts";

// Each command imports what it needs when it runs: `--help` or `validate` must not pay for the
// SSH, S3 and terraform modules a run loads (docs/benchmarks.md, CLI start-up).

export const usage = `burst: rent a Spark cluster for one job and give it back.

Usage:
  npm run burst -- <spark.yml> [options]     run the job on a fresh cluster, then destroy it
  npm run burst -- validate <spark.yml>      check the spec and print it resolved
  npm run burst -- list                      runs on this machine, newest last
  npm run burst -- status <run-id>           one run: phase, cluster, age, time left
  npm run burst -- logs <run-id> [--follow]  a run's job logs (live with --follow)
  npm run burst -- down <run-id>             destroy a run's cluster (after --keep or a crash)
  npm run burst -- ssh <run-id> [-- cmd]     a shell (or one command) on a kept cluster's master
  npm run burst -- ui <run-id>...            the runs' Spark UI (a History Server on loopback) until Ctrl-C
  npm run burst -- gc [--dry-run]            remove clusters whose CLI died or whose TTL passed
                                             (and, with an AWS region configured, tagged leftovers)
  npm run burst -- cost [--since 7d] [--by name|owner|spec]   what finished runs cost

Options:
  ${`--target ${targetNames.join("|")}`.padEnd(21)}where the cluster runs (overrides the spec's target)
  --env NAME           apply the spec's environment overlay NAME (environments: or spark.NAME.yml)
  --block NAME         the block to run from a legacy multi-block spark.yml
  --dry-run            validate, resolve parameters, synthesize, print the plan and cost; provision nothing
  --keep               do not destroy the cluster after the job; prints how to destroy it later
  --keep-on-failure[=DURATION]  on failure keep the cluster DURATION (default 30m, at most its TTL) to debug
  --json               newline-delimited JSON events on stdout (for CI), nothing else on stdout
  --yes                never ask for confirmation
  --verbose            show every resource and provisioner line
  -h, --help           this help
  -v, --version        the burst version

Exit codes: 0 job succeeded · 1 job failed · 2 bad input · 3 infrastructure failure · 130 interrupted
Environment: BURST_HOME (default ~/.burst), CONSUL_HTTP_ADDR / CONSUL_HTTP_TOKEN (parameters),
  TERRAFORM_BINARY_NAME (terraform or tofu), SPARK_HOME (use an existing Spark), NO_COLOR, CI.
`;

export function version(): string {
  const pkg = JSON.parse(readFileSync(join(import.meta.dirname, "..", "..", "package.json"), "utf8")) as {
    version: string;
  };
  return pkg.version;
}

interface Io {
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
}

export interface MainOptions {
  /** Where tests reach into a run (test/helpers/seamed-cli.ts); none in production. */
  readonly seams?: RunSeams;
}

/** Runs the CLI and returns the exit code (the entry script calls process.exit with it). */
export async function main(argv: readonly string[], io: Io = process, options: MainOptions = {}): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  // `burst ssh <id> -- cmd`: what follows `--` is the remote command, never burst's options.
  const dashDash = argv.indexOf("--");
  const remoteCommand = dashDash >= 0 ? argv.slice(dashDash + 1) : undefined;
  try {
    parsed = parse(dashDash >= 0 ? argv.slice(0, dashDash) : argv);
  } catch (error) {
    io.stderr.write(`burst: ${error instanceof Error ? error.message : String(error)}\n\n${usage}`);
    return ExitCode.badInput;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout.write(usage);
    return ExitCode.ok;
  }
  if (values.version) {
    io.stdout.write(`${version()}\n`);
    return ExitCode.ok;
  }
  const secrets: string[] = [];
  let runId: string | undefined;
  // A closed pipe (`burst ... | head`) must not kill a run before it has torn down its cluster.
  for (const stream of [io.stdout, io.stderr]) stream.on("error", () => {});
  const json = values.json === true;
  const color = !json && io.stderr.isTTY === true && !process.env.NO_COLOR && !process.env.CI;
  const reporterOptions = { runId: () => runId, secrets: () => secrets, stdout: io.stdout, stderr: io.stderr };
  const { humanReporter, jsonReporter } = await import("./reporters.ts");
  const sink: EventSink = json
    ? jsonReporter(reporterOptions)
    : humanReporter({ ...reporterOptions, color, verbose: values.verbose === true });
  const fail = (error: unknown): number => {
    const burstError =
      error instanceof BurstError ? error : new BurstError("infrastructure", String(error), { cause: error });
    if (json)
      sink({
        type: "run-end",
        outcome: outcomeOfError(burstError),
        exitCode: burstError.exitCode,
        seconds: 0,
        message: burstError.render(),
      });
    else io.stderr.write(`burst: ${burstError.render()}\n`);
    return burstError.exitCode;
  };

  const target = values.target as TargetName | undefined;
  const [command, ...rest] = positionals;
  try {
    if (target !== undefined && !isTargetName(target)) {
      throw badInput(`--target must be ${targetNameList}, found "${target}"`);
    }
    switch (command) {
      case undefined:
        throw badInput(`a spec file is required, e.g. ${burstCommand("examples/wordcount/spark.yml")}`);
      case "validate": {
        const { validateSpec } = await import("./validate.ts");
        return await validateSpec(requireArg(rest, "validate <spark.yml>"), target, io.stdout, {
          environment: values.env,
          block: values.block,
        });
      }
      case "list": {
        if (rest.length > 0) throw badInput(`unexpected argument "${rest[0]}" after list`);
        const { listRuns } = await import("./runs.ts");
        return await listRuns(await burstHome(), json, io.stdout);
      }
      case "status": {
        const { showStatus } = await import("../fleet/status.ts");
        return await showStatus(await burstHome(), requireArg(rest, "status <run-id>"), { json, out: io.stdout });
      }
      case "logs": {
        const [{ logsOf }, { watchInterrupts }] = await Promise.all([
          import("../fleet/logs.ts"),
          import("../lifecycle/interrupts.ts"),
        ]);
        const interrupts = watchInterrupts({ onSecond: () => {}, onThird: () => process.exit(ExitCode.interrupted) });
        try {
          return await logsOf(await burstHome(), requireArg(rest, "logs <run-id>"), {
            follow: values.follow === true,
            stdout: io.stdout,
            stderr: io.stderr,
            sink,
            signal: interrupts.signal,
          });
        } finally {
          interrupts.dispose();
        }
      }
      case "gc": {
        if (rest.length > 0) throw badInput(`unexpected argument "${rest[0]}" after gc`);
        const { collectGarbage } = await import("./runs.ts");
        return await collectGarbage(await burstHome(), {
          dryRun: values["dry-run"] === true,
          allOwners: values["all-owners"] === true,
          sink,
        });
      }
      case "ssh": {
        const { sshToRun } = await import("../fleet/ssh.ts");
        return await sshToRun(await burstHome(), requireArg(rest, "ssh <run-id> [-- command]"), {
          command: remoteCommand,
          terminal: process.stdin.isTTY === true,
        });
      }
      case "ui": {
        const [{ showUi }, { watchInterrupts }] = await Promise.all([
          import("../fleet/ui.ts"),
          import("../lifecycle/interrupts.ts"),
        ]);
        const interrupts = watchInterrupts({ onSecond: () => {}, onThird: () => process.exit(ExitCode.interrupted) });
        try {
          return await showUi(await burstHome(), rest, {
            json,
            stdout: io.stdout,
            stderr: io.stderr,
            signal: interrupts.signal,
          });
        } finally {
          interrupts.dispose();
        }
      }
      case "cost": {
        if (rest.length > 0) throw badInput(`unexpected argument "${rest[0]}" after cost`);
        const { showCost, parseGrouping } = await import("../fleet/cost.ts");
        const by = parseGrouping(values.by ?? "name");
        return await showCost(await burstHome(), { since: values.since ?? "7d", by, json, out: io.stdout });
      }
      case "down": {
        const { downRun } = await import("./runs.ts");
        return await downRun(await burstHome(), requireArg(rest, "down <run-id>"), sink);
      }
    }
    if (rest.length > 0 || remoteCommand)
      throw badInput(`unexpected argument "${rest[0] ?? "--"}"; one spec file per run`);
    const keepOnFailure = values["keep-on-failure"];
    if (keepOnFailure !== undefined && values.keep) {
      throw badInput("--keep and --keep-on-failure together: --keep already keeps the cluster, failed or not");
    }
    const { parseKeepDuration } = await import("../lifecycle/keep.ts");
    const keepOnFailureMs = keepOnFailure === undefined ? undefined : parseKeepDuration(keepOnFailure);
    const [
      { watchInterrupts },
      { guardCrashes },
      { ResourceOwner },
      { runsRoot },
      { registryFromEnv },
      { runBurst },
      { resolveCliParams },
    ] = await Promise.all([
      import("../lifecycle/interrupts.ts"),
      import("../lifecycle/crash-guard.ts"),
      import("../lifecycle/resources.ts"),
      import("../lifecycle/run-record.ts"),
      import("../lifecycle/registry.ts"),
      import("../lifecycle/run.ts"),
      import("./validate.ts"),
    ]);
    const home = await burstHome();
    const resources = new ResourceOwner();
    const interrupts = watchInterrupts({
      onSecond: () =>
        io.stderr.write(
          `\nburst: still tearing down${runId ? ` run ${runId}` : ""}; press Ctrl-C again to quit now and leave it running.\n` +
            (resources.held().length > 0 ? `  Still held: ${[...resources.held()].reverse().join(", ")}.\n` : "") +
            `  Remove it later with: ${burstCommand(`down ${runId ?? "<run-id>"}`)}  (or: ${burstCommand("list")})\n`,
        ),
      onThird: () => {
        io.stderr.write(
          `burst: quitting; the cluster may still be running: ${burstCommand(`down ${runId ?? "<run-id>"}`)}\n`,
        );
        process.exit(ExitCode.interrupted);
      },
    });
    const unguard = guardCrashes({
      resources,
      runDir: () => (runId ? join(runsRoot(home), runId) : undefined),
      report: (message) => io.stderr.write(`${message}\n`),
    });
    try {
      const result = await runBurst({
        specPath: command,
        target,
        dryRun: values["dry-run"] === true,
        keep: values.keep === true,
        keepOnFailureMs,
        environment: values.env,
        block: values.block,
        burstHome: home,
        version: version(),
        sink,
        secrets,
        resolveParams: () => resolveCliParams(target),
        registry: registryFromEnv(process.env),
        interrupts,
        resources,
        seams: options.seams,
        onRunId: (id) => {
          runId = id;
        },
        confirm: values.yes || json || !process.stdin.isTTY ? undefined : (question) => ask(question, io),
      });
      return result.exitCode;
    } finally {
      interrupts.dispose();
      unguard();
    }
  } catch (error) {
    return fail(error);
  }
}

/** ${BURST_HOME:-~/.burst}; its module is loaded only by the commands that use it. */
async function burstHome(): Promise<string> {
  return (await import("../home.ts")).burstHome();
}

/** A yes/no question on the terminal; anything but "y"/"yes" is no, Ctrl-C interrupts the run. */
async function ask(question: string, io: Io): Promise<boolean> {
  const { createInterface } = await import("node:readline/promises");
  const prompt = createInterface({ input: process.stdin, output: io.stderr });
  try {
    return /^y(es)?$/i.test((await prompt.question(`${question} [y/N] `)).trim());
  } catch (error) {
    // The terminal is raw while readline asks: Ctrl-C arrives as a key, which rejects the question.
    if ((error as { code?: unknown }).code === "ABORT_ERR") {
      throw new BurstError("interrupted", "interrupted by Ctrl-C at the prompt; nothing was provisioned");
    }
    throw error;
  } finally {
    prompt.close();
  }
}

function parse(argv: readonly string[]) {
  return parseArgs({
    // --keep-on-failure takes an optional value, which parseArgs cannot: the bare flag means the default.
    args: argv.map((arg) => (arg === "--keep-on-failure" ? "--keep-on-failure=" : arg)),
    allowPositionals: true,
    strict: true,
    options: {
      target: { type: "string" },
      "dry-run": { type: "boolean" },
      keep: { type: "boolean" },
      "keep-on-failure": { type: "string" },
      json: { type: "boolean" },
      yes: { type: "boolean" },
      env: { type: "string" },
      block: { type: "string" },
      follow: { type: "boolean" },
      "all-owners": { type: "boolean" },
      since: { type: "string" },
      by: { type: "string" },
      verbose: { type: "boolean" },
      help: { type: "boolean", short: "h" },
      version: { type: "boolean", short: "v" },
    },
  });
}

function requireArg(rest: readonly string[], what: string): string {
  const [value, extra] = rest;
  if (value === undefined) throw badInput(`usage: ${burstCommand(what)}`);
  if (extra !== undefined) throw badInput(`unexpected argument "${extra}" after ${what}`);
  return value;
}
