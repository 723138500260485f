import { userInfo } from "node:os";

/** Whose runs these are: BURST_OWNER, or the login name. Runs, tags and `gc` all use this one rule. */
export function runOwner(env: Readonly<Record<string, string | undefined>> = process.env): string {
  return env.BURST_OWNER || userInfo().username;
}
