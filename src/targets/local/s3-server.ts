// The local target's S3 API server: versitygw, `go install`ed into the burst cache at a pinned
// version unless already there.

import type { Log } from "../../install/command.ts";
import { goInstall } from "../../install/go.ts";

export const VERSITYGW_MODULE = "github.com/versity/versitygw";
export const VERSITYGW_VERSION = "v1.8.0";

export interface S3ServerRuntime {
  readonly binary: string;
  readonly version: string;
}

/** versitygw (posix backend: objects are plain files under <dir>/<bucket>/<key>) at the pinned version. */
export async function ensureS3Server(log: Log): Promise<S3ServerRuntime> {
  const binary = await goInstall(
    `${VERSITYGW_MODULE}/cmd/versitygw`,
    VERSITYGW_MODULE,
    VERSITYGW_VERSION,
    "versitygw",
    log,
  );
  return { binary, version: VERSITYGW_VERSION };
}
