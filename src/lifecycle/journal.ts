import { describeError } from "../errors.ts";
import type { EventSink } from "./events.ts";
import type { RunRegistry } from "./registry.ts";
import { type RunRecord, writeRecord } from "./run-record.ts";
import type { RunJournal } from "./run-state.ts";

/** run.json always; the shared registry too, where a failure is a warning, never a lost run. */
export class Journal implements RunJournal {
  #record: RunRecord | undefined;

  constructor(
    private readonly sink: EventSink,
    private readonly registry: RunRegistry | undefined,
  ) {}

  get record(): RunRecord | undefined {
    return this.#record;
  }

  async start(record: RunRecord): Promise<void> {
    await this.replace(record);
  }

  /** Rewrite the record with `patch` (no-op before the record exists). */
  async update(patch: Partial<RunRecord>): Promise<void> {
    if (this.#record) await this.replace({ ...this.#record, ...patch });
  }

  async replace(record: RunRecord): Promise<void> {
    this.#record = record;
    await writeRecord(record);
    await this.registry?.publish(record).catch((error: unknown) => {
      this.sink({ type: "warning", message: `run registry: ${describeError(error)}` });
    });
  }
}
