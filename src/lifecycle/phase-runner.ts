import { BurstError, describeError } from "../errors.ts";
import type { Phase } from "./events.ts";
import type { PhaseTiming } from "./manifest.ts";
import type { RunScope } from "./run-state.ts";

/** Phases that run whatever happened before them, a signal included. */
const runsWhenInterrupted: readonly Phase[] = ["collect", "destroy"];

/**
 * Phase events and timings, the record's current phase, the test seams around each phase's work,
 * and the stop after a phase when a signal arrived during it.
 */
export class PhaseRunner {
  readonly timings: PhaseTiming[] = [];

  constructor(private readonly scope: RunScope) {}

  async phase<T>(name: Phase, action: () => Promise<T>): Promise<T> {
    const result = await this.timed(name, action);
    const { interrupts } = this.scope;
    if (!runsWhenInterrupted.includes(name) && interrupts.signal.aborted) {
      throw new BurstError("interrupted", `interrupted by ${interrupts.received()}`);
    }
    return result;
  }

  private async timed<T>(name: Phase, action: () => Promise<T>): Promise<T> {
    const { sink, journal, seams } = this.scope;
    const began = Date.now();
    const startedAt = new Date(began).toISOString();
    sink({ type: "phase-start", phase: name });
    try {
      await journal.update({ phase: name });
      const [result] = await Promise.all([action(), seams?.duringPhase?.(name)]);
      const seconds = (Date.now() - began) / 1000;
      this.timings.push({ phase: name, startedAt, seconds, ok: true });
      sink({ type: "phase-end", phase: name, seconds, ok: true });
      return result;
    } catch (error) {
      const seconds = (Date.now() - began) / 1000;
      this.timings.push({ phase: name, startedAt, seconds, ok: false });
      sink({ type: "phase-end", phase: name, seconds, ok: false, error: describeError(error) });
      throw error;
    }
  }
}
