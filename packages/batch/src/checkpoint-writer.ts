import type { BatchStore, ItemCheckpoints, ItemPatch } from './store.js';

interface Pending {
  id: number;
  patch: ItemPatch;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Coalesces item checkpoints: every `write` made in the same turn of the event loop is committed in one transaction
 * (at 32 concurrent items, completions arrive in bursts; one commit per burst instead of one per item). Each
 * `updateItem` resolves once its row is committed. `drain()` waits for everything written so far.
 */
export class CheckpointWriter implements ItemCheckpoints {
  #queue: Pending[] = [];
  #scheduled = false;
  readonly #inFlight = new Set<Promise<void>>();

  constructor(private readonly store: BatchStore) {}

  updateItem(id: number, patch: ItemPatch): Promise<void> {
    const done = new Promise<void>((resolve, reject) => this.#queue.push({ id, patch, resolve, reject }));
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.#flush());
    }
    return done;
  }

  /** Resolves when every write made before the call is committed (or has failed to its caller). */
  async drain(): Promise<void> {
    while (this.#scheduled || this.#inFlight.size > 0) {
      if (this.#scheduled) await new Promise<void>((resolve) => setImmediate(resolve));
      else await Promise.allSettled([...this.#inFlight]);
    }
  }

  #flush(): void {
    const batch = this.#queue;
    this.#queue = [];
    this.#scheduled = false;
    const run = this.store.updateItems(batch).then(
      () => {
        for (const p of batch) p.resolve();
      },
      (error: unknown) => {
        for (const p of batch) p.reject(error);
      },
    );
    this.#inFlight.add(run);
    void run.finally(() => this.#inFlight.delete(run));
  }
}
