import type { BatchStore } from './store.js';
import type { BatchItem } from './types.js';

const PAGE = 256;

/** What to do next: start an item, wait for a retry to come due, or nothing (no item is left). */
export type NextItem = { item: BatchItem } | { waitMs: number } | undefined;

/**
 * The work of a live run (or a resume): the batch's pending items, read page by page in id order, and the items whose
 * transient failure is retried once their back-off has passed (those first, as soon as one is due).
 */
export class PendingItems {
  readonly #store: BatchStore;
  readonly #batchId: string;
  readonly #retries: { item: BatchItem; readyAt: number }[] = [];
  #page: BatchItem[] = [];
  #afterId = 0;
  #exhausted = false;

  constructor({ store, batchId }: { store: BatchStore; batchId: string }) {
    this.#store = store;
    this.#batchId = batchId;
  }

  /** The next item to start, or how long until the earliest retry is due. */
  async next(): Promise<NextItem> {
    const now = Date.now();
    const readyIdx = this.#retries.findIndex((r) => r.readyAt <= now);
    const retry = readyIdx >= 0 ? this.#retries.splice(readyIdx, 1)[0]?.item : undefined;
    if (retry) return { item: retry };
    if (this.#page.length === 0 && !this.#exhausted) {
      this.#page = await this.#store.items(this.#batchId, { status: 'pending', afterId: this.#afterId, limit: PAGE });
      const last = this.#page.at(-1);
      if (last) this.#afterId = last.id;
      else this.#exhausted = true;
    }
    const item = this.#page.shift();
    if (item) return { item };
    if (this.#retries.length === 0) return undefined;
    return { waitMs: Math.max(0, Math.min(...this.#retries.map((r) => r.readyAt)) - Date.now()) };
  }

  /** Try `item` again at `readyAt` (epoch ms). */
  retryAt(item: BatchItem, readyAt: number): void {
    this.#retries.push({ item, readyAt });
  }
}
