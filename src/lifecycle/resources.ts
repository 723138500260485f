/** The name the run owns its cluster under (the crash guard looks for it). */
export const CLUSTER = "the cluster";

/**
 * The one owner of what a run acquires. Each acquisition says how to release it; `release` runs
 * those once, newest first, whoever asks first (the run's own teardown, or the crash guard while
 * the run is still going), and everyone who asks waits for the same release. A failing release
 * is reported and does not stop the others. Something acquired after release began is released
 * as soon as it is owned.
 */
export class ResourceOwner {
  readonly #held: { readonly what: string; readonly release: () => Promise<void> | void }[] = [];
  #releasing?: Promise<void>;
  #onError: (what: string, error: unknown) => void = () => {};

  /** Own a resource from now on; `release` undoes it (called at most once). */
  own(what: string, release: () => Promise<void> | void): void {
    this.#held.push({ what, release });
    if (this.#releasing) this.#releasing = this.#releasing.then(() => this.#drain());
  }

  /** What is held now, oldest first, including what is being released (for messages). */
  held(): readonly string[] {
    return this.#held.map((entry) => entry.what);
  }

  /** Release everything held, newest first; the same promise for every caller. */
  release(onError: (what: string, error: unknown) => void): Promise<void> {
    if (!this.#releasing) {
      this.#onError = onError;
      this.#releasing = this.#drain();
    }
    return this.#releasing;
  }

  async #drain(): Promise<void> {
    // An entry stays listed until its release has finished (held() shows what is still up).
    for (let entry = this.#held.at(-1); entry; entry = this.#held.at(-1)) {
      try {
        await entry.release();
      } catch (error) {
        this.#onError(entry.what, error);
      } finally {
        this.#held.splice(this.#held.lastIndexOf(entry), 1);
      }
    }
  }
}
