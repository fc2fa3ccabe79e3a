import type { Logger } from '@autod/ops';
import type { ProgressTracker } from './progress.js';
import type { BatchItem } from './types.js';

/** An item let through: what it reserved of the budget and its raw estimate (both 0 without a budget). */
export interface Admission {
  reserve: number;
  estimate: number;
}

export interface BudgetGateOptions {
  batchId: string;
  /** The cap (undefined: no budget, every item is admitted). */
  maxCostUsd?: number | undefined;
  /** Estimated cost of one item (default: the batch's average cost per done item so far). */
  estimateCost?: ((item: BatchItem) => number | Promise<number>) | undefined;
  /** The batch's committed spend. */
  tracker: ProgressTracker;
  signal?: AbortSignal | undefined;
  logger: Logger;
}

/**
 * The budget of a live run (`maxCostUsd`): an item starts only when the committed spend, the spend not committed yet
 * and the reservations of the items in flight leave room for its estimate. Estimates are calibrated as items finish:
 * a reservation is the estimate × the largest actual/estimated ratio seen so far in this run (the raw estimate until
 * the first costed item), so a pessimistic estimator does not stop the batch early and an optimistic one does not let
 * it overspend.
 */
export class BudgetGate {
  readonly #options: BudgetGateOptions;
  #reserved = 0;
  /** Spent by items whose result is not committed yet (their cost reaches the tracker at the commit). */
  #unsaved = 0;
  /** Largest actual cost / raw estimate seen in this run (undefined until an item with a cost finished). */
  #calibration: number | undefined;
  /** Woken whenever an in-flight item finishes (its reservation is replaced by what it really cost). */
  readonly #finished: (() => void)[] = [];

  constructor(options: BudgetGateOptions) {
    this.#options = options;
  }

  /** Reserve `item`'s cost, waiting for items in flight while it does not fit; `budget` when it cannot start. */
  async admit(item: BatchItem): Promise<Admission | 'budget' | 'aborted'> {
    const { maxCostUsd, signal, tracker } = this.#options;
    if (maxCostUsd === undefined) return { reserve: 0, estimate: 0 };
    const raw = Math.max(0, await this.#estimate(item));
    let cost = this.#calibrated(raw);
    // Over the cap with items in flight: their reservations are estimates. Wait for one to finish (its real cost
    // replaces the estimate, and the estimates get calibrated), then decide again.
    while (this.#reserved > 0 && this.#spentAndReserved() + cost > maxCostUsd && !signal?.aborted) {
      await this.#nextFinish();
      cost = this.#calibrated(raw);
    }
    if (signal?.aborted) return 'aborted'; // the item was not started: it stays pending
    if (this.#spentAndReserved() + cost > maxCostUsd) {
      this.#options.logger.info(
        {
          batchId: this.#options.batchId,
          spent: tracker.current.costUsd + this.#unsaved,
          reservedUsd: this.#reserved,
          nextItemUsd: cost,
          maxCostUsd,
        },
        'budget reached: no new items',
      );
      return 'budget';
    }
    this.#reserved += cost;
    return { reserve: cost, estimate: raw };
  }

  /** An item spent `cost` (not committed yet) against its raw `estimate`: count it and calibrate the estimates. */
  spent(cost: number, estimate: number): void {
    this.#unsaved += cost; // the budget counts what was spent, committed or not
    if (estimate > 0 && cost > 0) this.#calibration = Math.max(this.#calibration ?? 0, cost / estimate);
  }

  /** A spent cost reached the tracker (committed). */
  saved(cost: number): void {
    this.#unsaved -= cost;
  }

  /** An item in flight finished: drop its reservation and let waiting items decide again. */
  release(admission: Admission): void {
    this.#reserved -= admission.reserve;
    for (const wake of this.#finished.splice(0)) wake();
  }

  /** Committed and unsaved spend plus the reservations of the items in flight. */
  #spentAndReserved(): number {
    return this.#options.tracker.current.costUsd + this.#unsaved + this.#reserved;
  }

  #calibrated(raw: number): number {
    return this.#calibration === undefined ? raw : raw * this.#calibration;
  }

  async #estimate(item: BatchItem): Promise<number> {
    if (this.#options.estimateCost) return this.#options.estimateCost(item);
    const c = this.#options.tracker.current;
    return c.done > 0 ? c.costUsd / c.done : 0;
  }

  #nextFinish(): Promise<void> {
    const { signal } = this.#options;
    return new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const done = () => {
        signal?.removeEventListener('abort', done);
        resolve();
      };
      this.#finished.push(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }
}
