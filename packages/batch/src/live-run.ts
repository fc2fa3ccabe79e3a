import { delay } from '@autod/errors';
import type { Database } from '@autod/db';
import { WorkLanes } from '@autod/pipeline';
import type { AutodMetrics, Logger } from '@autod/ops';
import { BudgetGate, type Admission } from './budget-gate.js';
import { CheckpointWriter } from './checkpoint-writer.js';
import { attemptItem, type BatchPipeline, type ItemAttempt } from './item.js';
import { PendingItems } from './pending-items.js';
import { ProgressTracker, progressEmitter } from './progress.js';
import { StartPacer } from './start-pacer.js';
import type { BatchStore } from './store.js';
import type { BatchCounts, BatchItem, BatchProgressEvent, BatchRunResult, BatchStatus } from './types.js';

export interface LiveRunOptions {
  /** Items processed at the same time (default 4). */
  concurrency?: number;
  /** Stop scheduling new items before the batch's spend would cross this many dollars. */
  maxCostUsd?: number;
  /** Put failed items back to pending first. */
  retryFailed?: boolean;
  /** Aborting finishes nothing new; in-flight items are released (they stay pending for a resume). */
  signal?: AbortSignal;
  /**
   * Estimated cost of one item for the budget (default: the batch's average cost per done item so far). Estimates are
   * calibrated as items finish: an item in flight reserves its estimate × the largest actual/estimated ratio seen so
   * far in this run (the raw estimate until the first costed item), so a pessimistic estimator does not stop the batch
   * early and an optimistic one does not let it overspend.
   */
  estimateCost?: (item: BatchItem) => number | Promise<number>;
  /** Attempts per item for transient failures (rate limit, breaker open, held claim) before it fails (default 3). */
  maxItemAttempts?: number;
  /** Wait before a transient failure is retried; doubles per attempt (default 1000 ms). */
  retryDelayMs?: number;
  onProgress?: (event: BatchProgressEvent) => void;
  /**
   * Space item starts by the observed item time / concurrency (see StartPacer) instead of starting them in bursts
   * (default true).
   */
  pace?: boolean;
  /** An item running longer than this gives its slot to the next item (the slow lane, see WorkLanes); default 20 000. */
  slowAfterMs?: number;
}

/** Why a run stopped scheduling before it ran out of items. */
type Stop = 'budget' | 'aborted';

/** An item taken to run, with what it reserved of the budget. */
interface Taken extends Admission {
  item: BatchItem;
}

export interface LiveRunSetup {
  batchId: string;
  store: BatchStore;
  db: Database;
  pipeline: BatchPipeline;
  metrics?: AutodMetrics | undefined;
  logger: Logger;
  options: LiveRunOptions;
  /** Items processed at the same time. */
  concurrency: number;
  /** The batch's counts when the run starts. */
  counts: BatchCounts;
  /** When the run started (`performance.now()`), for its duration. */
  started: number;
}

/**
 * One run of a live batch, from its first pending item to its final status: items are taken one at a time (pending
 * items and due retries, paced, admitted by the budget), run by `concurrency` workers through the pipeline, and
 * checkpointed behind (progress follows each commit).
 */
export class LiveRun {
  readonly #setup: LiveRunSetup;
  readonly #signal: AbortSignal | undefined;
  readonly #tracker: ProgressTracker;
  readonly #writer: CheckpointWriter;
  readonly #emit: (event: BatchProgressEvent) => void;
  readonly #items: PendingItems;
  readonly #budget: BudgetGate;
  readonly #pacer: StartPacer | undefined;
  readonly #maxAttempts: number;
  readonly #retryDelayMs: number;
  /** Results written behind: progress and counts follow each commit, so an event never reports an unsaved item. */
  readonly #settling = new Set<Promise<void>>();
  #stop: Stop | undefined;
  /** One taker at a time: paging, retries and the budget decision are not concurrent. */
  #lock: Promise<unknown> = Promise.resolve();

  constructor(setup: LiveRunSetup) {
    const { batchId, store, options, logger } = setup;
    this.#setup = setup;
    this.#signal = options.signal;
    this.#tracker = new ProgressTracker({ batchId, mode: 'live', counts: setup.counts });
    this.#writer = new CheckpointWriter(store);
    this.#emit = progressEmitter(options.onProgress, logger);
    this.#items = new PendingItems({ store, batchId });
    this.#budget = new BudgetGate({
      batchId,
      maxCostUsd: options.maxCostUsd,
      estimateCost: options.estimateCost,
      tracker: this.#tracker,
      signal: this.#signal,
      logger,
    });
    this.#pacer = options.pace === false ? undefined : new StartPacer({ concurrency: setup.concurrency });
    this.#maxAttempts = Math.max(1, options.maxItemAttempts ?? 3);
    this.#retryDelayMs = options.retryDelayMs ?? 1000;
  }

  /** Run every pending item (until none is left, the budget is reached or the signal aborts) and finish the batch. */
  async run(): Promise<BatchRunResult> {
    this.#emit(this.#tracker.event('start'));
    await this.#work();
    return this.#finish();
  }

  // ---------------------------------------------------------------- scheduling

  /** `concurrency` slots, one worker loop more than slots (see WorkLanes), then every commit written. */
  async #work(): Promise<void> {
    const { concurrency, options } = this.#setup;
    // A slow item (a long scan) moves to the slow lane after `slowAfterMs` and its slot takes the next item, so one
    // more worker loop than slots waits to use it (no head-of-line blocking, still bounded).
    const lanes = new WorkLanes({
      concurrency,
      ...(options.slowAfterMs !== undefined ? { slowAfterMs: options.slowAfterMs } : {}),
    });
    const worker = async (): Promise<void> => {
      for (;;) {
        const more = await lanes.run(async () => {
          const taken = await this.#next();
          if (!taken) return false;
          await this.#execute(taken);
          return true;
        });
        if (!more) return;
      }
    };
    await Promise.all(Array.from({ length: concurrency + 1 }, () => worker()));
    await this.#writer.drain();
    while (this.#settling.size > 0) await Promise.all([...this.#settling]);
  }

  #next(): Promise<Taken | undefined> {
    const p = this.#lock.then(() => this.#take());
    this.#lock = p.catch(() => undefined);
    return p;
  }

  /** The next item to start: due retries and pending items, paced, within the budget; undefined when none may start. */
  async #take(): Promise<Taken | undefined> {
    const signal = this.#signal;
    for (;;) {
      if (signal?.aborted) this.#stop ??= 'aborted';
      if (this.#stop) return undefined;
      const next = await this.#items.next();
      if (!next) return undefined;
      if ('waitMs' in next) {
        await delay(next.waitMs, signal);
        continue;
      }
      if (!(await this.#paced())) {
        this.#stop ??= 'aborted'; // the item was not started: it stays pending
        return undefined;
      }
      const admission = await this.#budget.admit(next.item);
      if (admission === 'aborted') {
        this.#stop ??= 'aborted';
        return undefined;
      }
      if (admission === 'budget') {
        this.#stop = 'budget';
        return undefined;
      }
      return { item: next.item, ...admission };
    }
  }

  /** Wait for the pacer's next start; false when the run was aborted meanwhile. */
  async #paced(): Promise<boolean> {
    const pause = this.#pacer?.delayMs() ?? 0;
    if (pause >= 1) {
      await delay(pause, this.#signal);
      if (this.#signal?.aborted) return false;
    }
    this.#pacer?.started();
    return true;
  }

  // ---------------------------------------------------------------- one item

  async #execute(taken: Taken): Promise<void> {
    const { item } = taken;
    const { db, pipeline, batchId, logger, metrics } = this.#setup;
    const t0 = performance.now();
    try {
      const result = await attemptItem({ db, pipeline, store: this.#writer }, item, this.#signal);
      this.#pacer?.observe(performance.now() - t0);
      const attempts = item.attempts + 1;
      if (result.kind === 'final') this.#commit(taken, result.patch, attempts);
      else if (result.kind === 'retry') await this.#retryOrFail(item, result.error, attempts);
    } catch (error) {
      // Infrastructure trouble (database, disk): leave the item pending for a resume, keep the batch going.
      logger.error({ err: error, batchId, path: item.path }, 'batch item could not be checkpointed');
    } finally {
      this.#budget.release(taken);
      metrics?.setQueueDepth('batch', this.#tracker.current.pending);
    }
  }

  /**
   * A final result, written behind: the item does not wait for its commit (the next one starts at once). A crash
   * before the commit is safe: the SHA-256 checkpoint, committed before the claim, lets a resume settle the item
   * from its document.
   */
  #commit(taken: Taken, patch: Extract<ItemAttempt, { kind: 'final' }>['patch'], attempts: number): void {
    const { item } = taken;
    const { batchId, logger, metrics } = this.#setup;
    const cost = patch.costUsd ?? 0;
    this.#budget.spent(cost, taken.estimate);
    const settled = this.#writer
      .updateItem(item.id, { ...patch, attempts })
      .then(
        () => {
          this.#budget.saved(cost);
          this.#tracker.record(patch.status, cost);
          const last = { path: item.path, status: patch.status, ...(patch.error ? { error: patch.error } : {}) };
          this.#emit(this.#tracker.event('progress', { last }));
        },
        (error: unknown) => {
          // Still pending (a resume settles it from its document); its cost stays counted against the budget.
          logger.error({ err: error, batchId, path: item.path }, 'batch item could not be checkpointed');
        },
      )
      .finally(() => {
        this.#settling.delete(settled);
        metrics?.setQueueDepth('batch', this.#tracker.current.pending);
      });
    this.#settling.add(settled);
  }

  /** A transient failure: retried after a back-off that doubles per attempt, failed once attempts run out. */
  async #retryOrFail(
    item: BatchItem,
    error: Extract<ItemAttempt, { kind: 'retry' }>['error'],
    attempts: number,
  ): Promise<void> {
    if (error.code === 'BUDGET_EXCEEDED') {
      // AUTOD_BUDGET_*: the document waits (inbox, no strike); the item stays pending for a resume.
      this.#stop ??= 'budget';
    } else if (attempts >= this.#maxAttempts) {
      await this.#writer.updateItem(item.id, { status: 'failed', error, attempts });
      this.#tracker.record('failed');
      this.#emit(this.#tracker.event('progress', { last: { path: item.path, status: 'failed', error } }));
    } else {
      await this.#writer.updateItem(item.id, { error, attempts });
      this.#items.retryAt({ ...item, attempts }, Date.now() + this.#retryDelayMs * 2 ** (attempts - 1));
    }
  }

  // ---------------------------------------------------------------- finish

  async #finish(): Promise<BatchRunResult> {
    const { store, batchId, started } = this.#setup;
    const counts = await store.counts(batchId);
    const status = finalStatus(this.#stop, Boolean(this.#signal?.aborted), counts);
    await store.setStatus(batchId, status);
    this.#tracker.set(counts);
    this.#emit(this.#tracker.event('end', { status }));
    return { batchId, mode: 'live', status, counts, durationMs: performance.now() - started };
  }
}

/** The batch's status when its run ends. */
function finalStatus(stop: Stop | undefined, aborted: boolean, counts: BatchCounts): BatchStatus {
  if (stop === 'aborted' || (aborted && counts.pending > 0)) return 'interrupted';
  if (stop === 'budget') return 'budget_stopped';
  if (counts.pending > 0) return 'interrupted';
  return counts.failed > 0 ? 'completed_with_errors' : 'completed';
}
