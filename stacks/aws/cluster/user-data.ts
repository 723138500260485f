import { Fn, TerraformLocal } from "cdktf";
import type { Construct } from "constructs";
import { type NodeBootstrapInput, renderNodeBootstrap } from "../bootstrap.ts";
import { terraformLiteral } from "../terraform-text.ts";

const masterHostSlot = "@@BURST_MASTER_HOST@@";

/**
 * Base64 user data for a node: the rendered bootstrap script as a terraform local (readable in
 * cdk.tf.json), with the master's address, known only once its interface exists, spliced in.
 */
export function nodeUserData(
  scope: Construct,
  id: string,
  input: Omit<NodeBootstrapInput, "masterHost">,
  masterHost: string,
): string {
  const script = renderNodeBootstrap({ ...input, masterHost: masterHostSlot });
  const template = terraformLiteral(script).replaceAll(masterHostSlot, masterHost);
  return Fn.base64encode(new TerraformLocal(scope, id, template).asString);
}
