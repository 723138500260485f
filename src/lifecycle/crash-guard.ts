import { burstCommand } from "../commands.ts";
import { describeError, ExitCode } from "../errors.ts";
import { CLUSTER, type ResourceOwner } from "./resources.ts";
import { readRecord } from "./run-record.ts";

export interface CrashGuardOptions {
  /** What the run holds: the guard releases it through the run's own owner, so a release the run has already begun is waited for, never started twice. */
  readonly resources: ResourceOwner;
  /** The run's folder once it has one (to report what became of the cluster). */
  readonly runDir: () => string | undefined;
  readonly report: (message: string) => void;
}

/**
 * The last line of defence: an exception nothing caught must not leave a cluster billing. The
 * run's resources are released (the cluster destroyed, unless --keep), then the CLI exits 3.
 */
export function guardCrashes(options: CrashGuardOptions): () => void {
  const { resources, report } = options;
  let crashing = false;
  const onCrash = (error: unknown) => {
    if (crashing) return;
    crashing = true;
    report(`burst crashed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    const dir = options.runDir();
    const runId = dir?.split("/").pop();
    const teardown = async () => {
      const holdsCluster = resources.held().includes(CLUSTER);
      if (holdsCluster) report(`destroying run ${runId} after the crash`);
      await resources.release((what, releaseError) =>
        report(`could not release ${what} after the crash: ${describeError(releaseError)}`),
      );
      const record = dir ? await readRecord(dir) : undefined;
      if (holdsCluster && record?.destroyed) report(`run ${record.runId}: cluster destroyed`);
      if (record && !record.destroyed) {
        report(
          `run ${record.runId}: cluster ${record.kept ? "kept (--keep)" : "NOT destroyed"}; remove it with: ${burstCommand(`down ${record.runId}`)}`,
        );
      }
    };
    teardown()
      .catch((teardownError: unknown) => report(`could not destroy after the crash: ${String(teardownError)}`))
      .finally(() => process.exit(ExitCode.infrastructure));
  };
  process.on("uncaughtException", onCrash);
  process.on("unhandledRejection", onCrash);
  return () => {
    process.off("uncaughtException", onCrash);
    process.off("unhandledRejection", onCrash);
  };
}
