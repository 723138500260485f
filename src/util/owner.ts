import { userInfo } from "node:os";

/** Who a run belongs to, as its tags and records say: BURST_OWNER, else the login name. */
export function runOwner(env: Readonly<Record<string, string | undefined>> = process.env): string {
  return env.BURST_OWNER || userInfo().username;
}
