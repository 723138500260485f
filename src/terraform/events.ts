// Terraform's machine-readable UI (`-json`) turned into the few events burst reports.

export type TerraformEvent =
  | { readonly type: "resource-start"; readonly address: string; readonly action: string }
  | { readonly type: "resource-done"; readonly address: string; readonly action: string; readonly seconds: number }
  | { readonly type: "resource-failed"; readonly address: string; readonly action: string }
  | { readonly type: "provisioner-output"; readonly address: string; readonly line: string }
  | {
      readonly type: "diagnostic";
      readonly severity: "error" | "warning";
      readonly summary: string;
      readonly detail: string;
      /** The resource the diagnostic is about, when terraform says. */
      readonly address?: string;
    };

interface UiMessage {
  readonly type?: string;
  readonly "@message"?: string;
  readonly hook?: {
    readonly resource?: { readonly addr?: string };
    readonly action?: string;
    readonly elapsed_seconds?: number;
    readonly output?: string;
  };
  readonly diagnostic?: {
    readonly severity?: string;
    readonly summary?: string;
    readonly detail?: string;
    readonly address?: string;
  };
}

/** One line of `terraform apply -json` output; undefined for lines burst does not report. */
export function parseUiLine(line: string): TerraformEvent | undefined {
  let message: UiMessage;
  try {
    message = JSON.parse(line) as UiMessage;
  } catch {
    return undefined;
  }
  const address = message.hook?.resource?.addr ?? "";
  const action = message.hook?.action ?? "";
  switch (message.type) {
    case "apply_start":
      return { type: "resource-start", address, action };
    case "apply_complete":
      return { type: "resource-done", address, action, seconds: message.hook?.elapsed_seconds ?? 0 };
    case "apply_errored":
      return { type: "resource-failed", address, action };
    case "provision_progress":
      return { type: "provisioner-output", address, line: message.hook?.output ?? "" };
    case "diagnostic": {
      const severity = message.diagnostic?.severity === "error" ? "error" : "warning";
      return {
        type: "diagnostic",
        severity,
        summary: message.diagnostic?.summary ?? message["@message"] ?? "",
        detail: message.diagnostic?.detail ?? "",
        address: message.diagnostic?.address,
      };
    }
    default:
      return undefined;
  }
}
