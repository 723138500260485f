import { basename } from "node:path";
import { joinKey, parseS3Uri } from "../../storage/s3.ts";
import type { ConnectedRun, RunScope } from "../run-state.ts";

/** stage: buckets (local S3 server) and the spec's inputs uploaded. */
export async function stage(scope: RunScope, run: ConnectedRun): Promise<void> {
  const { prepared, store, spec } = run;
  const signal = scope.interrupts.signal;
  if (prepared.createBuckets) await store.ensureBuckets(spec.buckets, signal);
  for (const input of spec.inputs) {
    const to = parseS3Uri(input.to);
    const key = input.to.endsWith("/") ? joinKey(to.key, basename(input.from)) : to.key;
    const report = await store.uploadPath(input.from, { bucket: to.bucket, key }, { signal });
    scope.sink({ type: "info", message: `staged ${input.from} → s3://${to.bucket}/${key} (${report.files} files)` });
  }
}
