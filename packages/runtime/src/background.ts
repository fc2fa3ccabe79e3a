/** Work started from synchronous callbacks (pipeline events) that `close()` must wait for: alerts, metric labels. */
export class Background {
  readonly #pending = new Set<Promise<unknown>>();

  constructor(private readonly onError: (error: unknown, what: string) => void) {}

  run(what: string, task: () => Promise<unknown>): void {
    const p: Promise<unknown> = task()
      .catch((error: unknown) => this.onError(error, what))
      .finally(() => this.#pending.delete(p));
    this.#pending.add(p);
  }

  /** Resolves once everything started so far (and anything it started) has finished. */
  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
  }
}
