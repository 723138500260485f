import type { S3Access } from "../storage/s3.ts";
import type { Phase } from "./events.ts";

/**
 * Where tests reach into a run: passed as an option by the caller (test/helpers/seamed-cli.ts),
 * never read from the environment by the run itself. Production runs pass none.
 */
export interface RunSeams {
  /**
   * Started together with each phase's work and run alongside it; the phase ends when both have.
   * A test delivers a signal here (it lands while the work is in progress), holds a phase open,
   * or schedules an error nothing catches.
   */
  readonly duringPhase?: (phase: Phase) => Promise<void> | void;
  /** Every step's timeout in seconds instead of the spec's whole minutes (to test a hanging job quickly). */
  readonly stepTimeoutSeconds?: number;
  /** How the CLI reaches the run's object store (stage, collect): a test puts a faulty proxy in front of it. */
  readonly objectStore?: (access: S3Access) => Promise<S3Access>;
}
