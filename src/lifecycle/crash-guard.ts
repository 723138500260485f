import { destroyRun } from "./down.ts";
import { readRecord } from "./run-record.ts";

/**
 * The last line of defence: an exception nothing caught must not leave a cluster billing. The
 * run folder's record says what is up; destroy it from its state, then exit 3.
 */
export function guardCrashes(runDir: () => string | undefined, report: (message: string) => void): () => void {
  let crashing = false;
  const onCrash = (error: unknown) => {
    if (crashing) return;
    crashing = true;
    report(`burst crashed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    const dir = runDir();
    const teardown = async () => {
      const record = dir ? await readRecord(dir) : undefined;
      if (record && !record.destroyed && !record.kept) {
        report(`destroying run ${record.runId} after the crash`);
        await destroyRun({ ...record, pid: process.pid }, () => {});
        report(`run ${record.runId}: cluster destroyed`);
      }
    };
    teardown()
      .catch((teardownError: unknown) => report(`could not destroy after the crash: ${String(teardownError)}`))
      .finally(() => process.exit(3));
  };
  process.on("uncaughtException", onCrash);
  process.on("unhandledRejection", onCrash);
  return () => {
    process.off("uncaughtException", onCrash);
    process.off("unhandledRejection", onCrash);
  };
}
