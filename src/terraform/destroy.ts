// The one destroy of a run's stack, for every target: the run's teardown, `down`, `gc` and the
// crash guard all come here through Target.destroy.
import { infraError } from "../errors.ts";
import { cacheRoot } from "../home.ts";
import type { AppliedStack, Target } from "../targets/contract.ts";
import { TerraformDriver, type TerraformEventSink } from "./driver.ts";
import { providerInstallation } from "./provider-installation.ts";

/**
 * `terraform destroy` on the stack's folder and state, with only the target's `terraformEnv` of the CLI's
 * environment; then the state must be empty: a destroy that "succeeds" with resources left is
 * a cluster still billing.
 */
export async function destroyStack(
  stack: AppliedStack,
  terraform: Pick<Target, "terraformEnv" | "terraformProvider">,
  onEvent: TerraformEventSink,
): Promise<void> {
  const driver = new TerraformDriver({
    binary: stack.terraformBinary,
    stackDir: stack.stackDir,
    scratchDir: stack.runDir,
    installation: providerInstallation(process.env, cacheRoot(), terraform.terraformProvider),
    providerEnv: terraform.terraformEnv,
    secrets: stack.secrets,
    logFile: stack.logFile,
  });
  await driver.destroy(onEvent);
  const left = await driver.resourceCount();
  if (left > 0) throw infraError(`${left} resources are still in the state after destroy`);
}
