// Secret parameters are shown as set/unset, never as their value.

import { REDACTED } from "../util/redact.ts";
import { isSecretParam } from "./schema.ts";

export function maskValue(key: string, value: string): string {
  return isSecretParam(key) && value !== "" ? REDACTED : value;
}
