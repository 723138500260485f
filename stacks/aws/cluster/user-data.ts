import { Fn, TerraformLocal } from "cdktf";
import type { Construct } from "constructs";
import { type NodeBootstrapInput, renderNodeBootstrap } from "../bootstrap.ts";
import { terraformLiteral } from "../terraform-text.ts";

const masterHostSlot = "@@BURST_MASTER_HOST@@";

/**
 * User data for a node: the rendered bootstrap script as a terraform local (readable in
 * cdk.tf.json), with the master's address, known only once its interface exists, spliced in;
 * gzipped (cloud-init unpacks it) because the script is close to EC2's 16 KB user-data limit.
 */
export function nodeUserData(
  scope: Construct,
  id: string,
  input: Omit<NodeBootstrapInput, "masterHost">,
  masterHost: string,
): string {
  const script = renderNodeBootstrap({ ...input, masterHost: masterHostSlot });
  const template = terraformLiteral(script).replaceAll(masterHostSlot, masterHost);
  return Fn.base64gzip(new TerraformLocal(scope, id, template).asString);
}
