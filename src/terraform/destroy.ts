import { infraError } from "../errors.ts";
import { cacheRoot } from "../targets/local/runtime.ts";
import { TerraformDriver, type TerraformEventSink } from "./driver.ts";
import { providerInstallation } from "./provider-installation.ts";

/** A run's applied stack, as its record knows it. */
export interface AppliedStack {
  readonly stackDir: string;
  readonly runDir: string;
  readonly terraformBinary: string;
  readonly secrets?: readonly string[];
  readonly logFile?: string;
}

/** terraform destroy on a run's stack folder and state; throws if anything is left in the state. */
export async function destroyStack(
  stack: AppliedStack,
  providerEnv: readonly string[],
  onEvent: TerraformEventSink,
): Promise<void> {
  const driver = new TerraformDriver({
    binary: stack.terraformBinary,
    stackDir: stack.stackDir,
    scratchDir: stack.runDir,
    installation: providerInstallation(process.env, cacheRoot()),
    secrets: stack.secrets,
    logFile: stack.logFile,
    providerEnv,
  });
  await driver.destroy(onEvent);
  const left = await driver.resourceCount();
  if (left > 0) throw infraError(`${left} resources are still in the state after destroy`);
}
