import { appendFileSync, existsSync } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { infraError } from "../errors.ts";
import { describeFailure, formatCommand, type RunResult, run, type StreamName } from "../util/exec.ts";
import { redactText } from "../util/redact.ts";
import { parseUiLine, type TerraformEvent } from "./events.ts";
import { type ProviderInstallation, providerName, terraformInstallEnv } from "./provider-installation.ts";

export interface TerraformDriverOptions {
  /** terraform or tofu executable. */
  readonly binary: string;
  /** The synthesized stack folder (holds cdk.tf.json); state and the lock live here too. */
  readonly stackDir: string;
  /** Folder for the CLI config burst writes (provider mirror, or an empty one for a missing user config). */
  readonly scratchDir: string;
  /** Where the target's provider comes from (a local mirror or the registry through a shared cache). */
  readonly installation: ProviderInstallation;
  /** Every line terraform prints, as it prints it (npm run vpc shows them to the operator). */
  readonly onOutput?: (line: string, stream: StreamName) => void;
  /** Values removed from any text burst shows (terraform's output can echo environment). */
  readonly secrets?: readonly string[];
  /** Every line terraform prints, redacted, is appended here (the run's terraform.log). */
  readonly logFile?: string;
  /** Prefixes of the CLI's variables the stack's providers read (aws: `AWS_`); no other variable reaches terraform. */
  readonly providerEnv: readonly string[];
}

/** What terraform itself needs from the CLI's environment: a secret given to the CLI must not reach it. */
const TERRAFORM_ENV =
  /^(PATH|HOME|USER|LOGNAME|JAVA_HOME|LANG|LC_[A-Z]+|TZ|TMPDIR|TF_[A-Z0-9_]+|(HTTPS?|NO)_PROXY|(https?|no)_proxy|SSL_CERT_(FILE|DIR))$/;

/** The CLI's variables terraform is given: its own, plus those named by `providerEnv` prefixes. */
export function terraformEnvFrom(
  env: Readonly<Record<string, string | undefined>>,
  providerEnv: readonly string[],
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter(
      (entry): entry is [string, string] =>
        entry[1] !== undefined &&
        (TERRAFORM_ENV.test(entry[0]) || providerEnv.some((prefix) => entry[0].startsWith(prefix))),
    ),
  );
}

export type TerraformEventSink = (event: TerraformEvent) => void;

/**
 * The terraform CLI on one synthesized stack folder: one working directory and one local state
 * per run, so concurrent runs never share a lock.
 */
export class TerraformDriver {
  constructor(private readonly options: TerraformDriverOptions) {}

  get stateFile(): string {
    return join(this.options.stackDir, "terraform.tfstate");
  }

  async init(signal?: AbortSignal): Promise<void> {
    await this.command(["init", "-input=false", "-no-color", "-backend=true"], { signal });
  }

  /** `terraform validate` against the real provider schema (needs init). */
  async validate(): Promise<void> {
    await this.command(["validate", "-no-color"], {});
  }

  /** Shows what apply (or destroy) would change; changes nothing. */
  async plan(options: { destroy?: boolean } = {}): Promise<void> {
    await this.command(["plan", "-input=false", "-no-color", ...(options.destroy ? ["-destroy"] : [])], {});
  }

  /** The plan as terraform's JSON (`plan -out`, then `show -json`): each resource's actions and why. */
  async planJson(): Promise<unknown> {
    const planFile = "burst.tfplan";
    await this.command(["plan", "-input=false", "-no-color", `-out=${planFile}`], {});
    try {
      return JSON.parse((await this.command(["show", "-json", "-no-color", planFile], {})).stdout) as unknown;
    } finally {
      await rm(join(this.options.stackDir, planFile), { force: true });
    }
  }

  /** `targets`: only those resources and what they depend on (terraform's -target). */
  async apply(onEvent: TerraformEventSink, signal?: AbortSignal, targets: readonly string[] = []): Promise<void> {
    const only = targets.map((address) => `-target=${address}`);
    await this.command(["apply", "-auto-approve", "-input=false", "-json", ...only], { onEvent, signal });
  }

  /** Destroy is never cancelled: an interrupted destroy is what leaves clusters billing. */
  async destroy(onEvent: TerraformEventSink): Promise<void> {
    await this.command(["destroy", "-auto-approve", "-input=false", "-json"], { onEvent });
  }

  async outputs(): Promise<Record<string, unknown>> {
    const result = await this.command(["output", "-json", "-no-color"], {});
    const parsed = JSON.parse(result.stdout) as Record<string, { value: unknown }>;
    return Object.fromEntries(Object.entries(parsed).map(([name, output]) => [name, output.value]));
  }

  /**
   * Resource instances in the state; 0 means nothing is left to destroy. Read from the state file
   * itself, as `terraform state list` would list them, without a second terraform start after destroy.
   */
  async resourceCount(): Promise<number> {
    if (!existsSync(this.stateFile)) return 0;
    const state = JSON.parse(await readFile(this.stateFile, "utf8")) as { resources?: { instances?: unknown[] }[] };
    return (state.resources ?? []).reduce((sum, resource) => sum + (resource.instances?.length ?? 0), 0);
  }

  private async command(
    args: string[],
    options: { onEvent?: TerraformEventSink; signal?: AbortSignal },
  ): Promise<RunResult> {
    const diagnostics: string[] = [];
    const logFile = this.options.logFile;
    const onLine = (line: string, stream: StreamName) => {
      if (logFile) appendFileSync(logFile, `${this.redact(line)}\n`);
      this.options.onOutput?.(this.redact(line), stream);
      if (!options.onEvent) return;
      const event = parseUiLine(line);
      if (!event) return;
      if (event.type === "diagnostic" && event.severity === "error") {
        const where = event.address ? `${event.address}: ` : "";
        diagnostics.push(this.redact(`${where}${event.summary}${event.detail ? `: ${event.detail}` : ""}`));
      }
      options.onEvent(event.type === "provisioner-output" ? { ...event, line: this.redact(event.line) } : event);
    };
    const result = await run(this.options.binary, args, {
      cwd: this.options.stackDir,
      env: await this.environment(),
      replaceEnv: true,
      onLine,
      signal: options.signal,
      killGraceMs: 30_000,
    }).catch((error: unknown) => {
      throw infraError(`could not run ${this.options.binary}`, {
        cause: error,
        hint: "install terraform, or OpenTofu with `go install github.com/opentofu/opentofu/cmd/tofu@v1.6.3` and set TERRAFORM_BINARY_NAME=tofu",
      });
    });
    if (result.code !== 0 || result.aborted) {
      const what = `${formatCommand(this.options.binary, args.slice(0, 1))} failed`;
      const provider = this.options.installation.provider;
      if (provider && providerUnreachable(`${result.stderr}\n${result.stdout}`)) {
        throw infraError(
          `${what}: the provider registry (registry.terraform.io) is unreachable, so the ${provider.label} provider cannot be downloaded`,
          {
            hint: `run where registry.terraform.io is reachable, or point burst at a provider mirror holding ${providerName(provider)} ${provider.version} with BURST_TF_PLUGIN_MIRROR (${provider.docs})`,
          },
        );
      }
      const detail = diagnostics.length > 0 ? diagnostics.join("\n") : this.redact(describeFailure(what, result));
      const lock = heldLock(`${detail}\n${result.stdout}\n${result.stderr}`);
      if (lock) {
        throw infraError(`${what}: the state of ${this.options.stackDir} is locked by ${lock.describe}`, {
          hint:
            "if that process is gone (a killed deploy or run), release the lock with: " +
            formatCommand(this.options.binary, [`-chdir=${this.options.stackDir}`, "force-unlock", "-force", lock.id]),
        });
      }
      throw infraError(`${what} in ${this.options.stackDir}:\n${detail}`);
    }
    return result;
  }

  private async environment(): Promise<Record<string, string>> {
    return {
      ...terraformEnvFrom(process.env, this.options.providerEnv),
      TF_IN_AUTOMATION: "1",
      TF_INPUT: "0",
      CHECKPOINT_DISABLE: "1",
      ...(await terraformInstallEnv(this.options.installation, this.options.scratchDir, process.env)),
    };
  }

  private redact(text: string): string {
    return redactText(text, this.options.secrets ?? []);
  }
}

/** terraform's words when it could not reach the registry to install a provider. */
function providerUnreachable(text: string): boolean {
  return /Failed to query available provider packages|Failed to install provider|could not connect to registry\.terraform\.io/.test(
    text,
  );
}

/**
 * The lock terraform reported when it could not take the state's: its ID and who took it when,
 * from the "Lock Info" block of "Error acquiring the state lock".
 */
export function heldLock(output: string): { id: string; describe: string } | undefined {
  if (!output.includes("Error acquiring the state lock")) return undefined;
  const field = (name: string) => new RegExp(`^\\s*${name}:[ \\t]*(\\S.*)$`, "m").exec(output)?.[1]?.trim();
  const id = field("ID");
  if (!id) return undefined;
  const who = field("Who");
  const operation = field("Operation");
  const created = field("Created");
  const parts = [who && `${who}`, operation && `(${operation})`, created && `since ${created}`].filter(Boolean);
  return { id, describe: `lock ${id}${parts.length > 0 ? `, ${parts.join(" ")}` : ""}` };
}
