import { delay } from '@autod/errors';
import type { Database } from '@autod/db';
import { WorkLanes, discoverFiles } from '@autod/pipeline';
import { noopLogger, type AutodMetrics, type Logger } from '@autod/ops';
import { CheckpointWriter } from './checkpoint-writer.js';
import { attemptItem, type BatchPipeline } from './item.js';
import { migrateBatchTables } from './migrations.js';
import { ProgressTracker } from './progress.js';
import { StartPacer } from './start-pacer.js';
import { BatchStore } from './store.js';
import type { BatchItem, BatchProgressEvent, BatchRecord, BatchRunResult, BatchStatus } from './types.js';

export interface BatchRunnerDeps {
  db: Database;
  pipeline: BatchPipeline;
  logger?: Logger;
  metrics?: AutodMetrics;
}

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

const PAGE = 256;

/**
 * Live mode: every item goes through the pipeline in this process with bounded concurrency. The pipeline's API
 * client enforces the RPM/TPM limits shared by all concurrent items. Every item's result is checkpointed in
 * `batch_items`, so `run(batchId)` again (resume) continues where a crash or Ctrl-C left off.
 */
export class BatchRunner {
  readonly store: BatchStore;
  private readonly logger: Logger;
  private migrated = false;

  constructor(
    private readonly deps: BatchRunnerDeps,
    private readonly options: LiveRunOptions = {},
  ) {
    this.store = new BatchStore(deps.db);
    this.logger = deps.logger ?? noopLogger;
  }

  private async ready(): Promise<void> {
    if (this.migrated) return;
    await migrateBatchTables(this.deps.db);
    this.migrated = true;
  }

  /**
   * Create a live batch over `inputs` (files and folders; the pipeline's output folders are excluded). A plain
   * re-run over the same inputs continues the newest unfinished batch instead, adding files that appeared since.
   */
  async create(inputs: string[], options: { exclude?: string[]; reuse?: boolean } = {}): Promise<BatchRecord> {
    await this.ready();
    const { dirs } = this.deps.pipeline;
    const files = await discoverFiles(inputs, [
      dirs.processed,
      dirs.failed,
      dirs.duplicates,
      ...(options.exclude ?? []),
    ]);
    if (options.reuse !== false) {
      const open = await this.store.findUnfinished('live', inputs);
      if (open) {
        await this.store.addItems(open.id, files);
        return this.store.require(open.id);
      }
    }
    return this.store.create({ mode: 'live', inputs, paths: files, options: { concurrency: this.concurrency } });
  }

  private get concurrency(): number {
    return Math.max(1, Math.floor(this.options.concurrency ?? 4));
  }

  /** Create (or continue) a batch over `inputs` and run it. */
  async start(inputs: string[], options: { exclude?: string[] } = {}): Promise<BatchRunResult> {
    const batch = await this.create(inputs, options);
    return this.run(batch.id);
  }

  /** Run (or resume) the pending items of a batch until none is left, the budget is reached or the signal aborts. */
  async run(batchId: string): Promise<BatchRunResult> {
    await this.ready();
    const started = performance.now();
    const { store } = this;
    const { db, pipeline, metrics } = this.deps;
    const opts = this.options;
    const signal = opts.signal;
    await store.require(batchId);
    if (opts.retryFailed) await store.resetFailed(batchId);
    await pipeline.recover();
    await store.setStatus(batchId, 'running');

    const tracker = new ProgressTracker(batchId, 'live', await store.counts(batchId));
    const writer = new CheckpointWriter(store);
    const emit = (event: BatchProgressEvent) => {
      try {
        opts.onProgress?.(event);
      } catch (error) {
        this.logger.warn({ err: error }, 'progress listener failed');
      }
    };
    emit(tracker.event('start'));

    const maxAttempts = Math.max(1, opts.maxItemAttempts ?? 3);
    const retryDelayMs = opts.retryDelayMs ?? 1000;
    const retries: { item: BatchItem; readyAt: number }[] = [];
    let buffer: BatchItem[] = [];
    let afterId = 0;
    let exhausted = false;
    let stop: 'budget' | 'aborted' | undefined;
    let reserved = 0;
    /** Spent by items whose result is not committed yet (their cost reaches the tracker at the commit). */
    let unsaved = 0;
    /** Largest actual cost / raw estimate seen in this run (undefined until an item with a cost finished). */
    let calibration: number | undefined;
    /** Woken whenever an in-flight item finishes (its reservation is replaced by what it really cost). */
    const finished: (() => void)[] = [];
    const nextFinish = (): Promise<void> =>
      new Promise<void>((resolve) => {
        if (signal?.aborted) return resolve();
        const done = () => {
          signal?.removeEventListener('abort', done);
          resolve();
        };
        finished.push(done);
        signal?.addEventListener('abort', done, { once: true });
      });
    let lock: Promise<unknown> = Promise.resolve();
    const pacer = opts.pace === false ? undefined : new StartPacer({ concurrency: this.concurrency });

    const estimate = async (item: BatchItem): Promise<number> => {
      if (opts.estimateCost) return opts.estimateCost(item);
      const c = tracker.current;
      return c.done > 0 ? c.costUsd / c.done : 0;
    };

    const take = async (): Promise<{ item: BatchItem; reserve: number; estimate: number } | undefined> => {
      for (;;) {
        if (signal?.aborted) stop ??= 'aborted';
        if (stop) return undefined;
        let item: BatchItem | undefined;
        const now = Date.now();
        const readyIdx = retries.findIndex((r) => r.readyAt <= now);
        if (readyIdx >= 0) item = retries.splice(readyIdx, 1)[0]?.item;
        if (!item && buffer.length === 0 && !exhausted) {
          buffer = await store.items(batchId, { status: 'pending', afterId, limit: PAGE });
          const last = buffer.at(-1);
          if (last) afterId = last.id;
          else exhausted = true;
        }
        item ??= buffer.shift();
        if (!item) {
          if (retries.length === 0) return undefined;
          const wait = Math.max(0, Math.min(...retries.map((r) => r.readyAt)) - Date.now());
          await delay(wait, signal);
          continue;
        }
        const pause = pacer?.delayMs() ?? 0;
        if (pause >= 1) {
          await delay(pause, signal);
          if (signal?.aborted) {
            stop ??= 'aborted'; // the item was not started: it stays pending
            return undefined;
          }
        }
        pacer?.started();
        if (opts.maxCostUsd !== undefined) {
          const raw = Math.max(0, await estimate(item));
          let cost = calibration === undefined ? raw : raw * calibration;
          // Over the cap with items in flight: their reservations are estimates. Wait for one to finish (its real
          // cost replaces the estimate, and the estimates get calibrated), then decide again.
          while (
            reserved > 0 &&
            tracker.current.costUsd + unsaved + reserved + cost > opts.maxCostUsd &&
            !signal?.aborted
          ) {
            await nextFinish();
            cost = calibration === undefined ? raw : raw * calibration;
          }
          if (signal?.aborted) {
            stop ??= 'aborted'; // the item was not started: it stays pending
            return undefined;
          }
          if (tracker.current.costUsd + unsaved + reserved + cost > opts.maxCostUsd) {
            stop = 'budget';
            this.logger.info(
              {
                batchId,
                spent: tracker.current.costUsd + unsaved,
                reservedUsd: reserved,
                nextItemUsd: cost,
                maxCostUsd: opts.maxCostUsd,
              },
              'budget reached: no new items',
            );
            return undefined;
          }
          reserved += cost;
          return { item, reserve: cost, estimate: raw };
        }
        return { item, reserve: 0, estimate: 0 };
      }
    };
    // One taker at a time: paging, retries and the budget decision are not concurrent.
    const next = (): Promise<{ item: BatchItem; reserve: number; estimate: number } | undefined> => {
      const p = lock.then(take);
      lock = p.catch(() => undefined);
      return p;
    };

    /** Results written behind: progress and counts follow each commit, so an event never reports an unsaved item. */
    const settling = new Set<Promise<void>>();
    // A slow item (a long scan) moves to the slow lane after `slowAfterMs` and its slot takes the next item, so one
    // more worker loop than slots waits to use it (no head-of-line blocking, still bounded).
    const lanes = new WorkLanes({
      concurrency: this.concurrency,
      ...(opts.slowAfterMs !== undefined ? { slowAfterMs: opts.slowAfterMs } : {}),
    });
    const worker = async (): Promise<void> => {
      for (;;) {
        const more = await lanes.run(async () => {
          const got = await next();
          if (!got) return false;
          await handle(got);
          return true;
        });
        if (!more) return;
      }
    };
    const handle = async (got: { item: BatchItem; reserve: number; estimate: number }): Promise<void> => {
      const { item, reserve, estimate: raw } = got;
      const t0 = performance.now();
      try {
        const result = await attemptItem({ db, pipeline, store: writer }, item, signal);
        pacer?.observe(performance.now() - t0);
        const attempts = item.attempts + 1;
        if (result.kind === 'final') {
          // The item does not wait for its commit (the next one starts at once). A crash before the commit is safe:
          // the SHA-256 checkpoint, committed before the claim, lets a resume settle the item from its document.
          const { patch } = result;
          const cost = patch.costUsd ?? 0;
          unsaved += cost; // the budget counts what was spent, committed or not
          if (raw > 0 && cost > 0) calibration = Math.max(calibration ?? 0, cost / raw);
          const settled = writer
            .updateItem(item.id, { ...patch, attempts })
            .then(
              () => {
                unsaved -= cost;
                tracker.record(patch.status, cost);
                const last = {
                  path: item.path,
                  status: patch.status,
                  ...(patch.error ? { error: patch.error } : {}),
                };
                emit(tracker.event('progress', { last }));
              },
              (error: unknown) => {
                // Still pending (a resume settles it from its document); its cost stays counted against the budget.
                this.logger.error({ err: error, batchId, path: item.path }, 'batch item could not be checkpointed');
              },
            )
            .finally(() => {
              settling.delete(settled);
              metrics?.setQueueDepth('batch', tracker.current.pending);
            });
          settling.add(settled);
        } else if (result.kind === 'retry') {
          if (result.error.code === 'BUDGET_EXCEEDED') {
            // AUTOD_BUDGET_*: the document waits (inbox, no strike); the item stays pending for a resume.
            stop ??= 'budget';
          } else if (attempts >= maxAttempts) {
            await writer.updateItem(item.id, { status: 'failed', error: result.error, attempts });
            tracker.record('failed');
            emit(tracker.event('progress', { last: { path: item.path, status: 'failed', error: result.error } }));
          } else {
            await writer.updateItem(item.id, { error: result.error, attempts });
            retries.push({ item: { ...item, attempts }, readyAt: Date.now() + retryDelayMs * 2 ** (attempts - 1) });
          }
        }
      } catch (error) {
        // Infrastructure trouble (database, disk): leave the item pending for a resume, keep the batch going.
        this.logger.error({ err: error, batchId, path: item.path }, 'batch item could not be checkpointed');
      } finally {
        reserved -= reserve;
        for (const wake of finished.splice(0)) wake();
        metrics?.setQueueDepth('batch', tracker.current.pending);
      }
    };
    await Promise.all(Array.from({ length: this.concurrency + 1 }, () => worker()));
    await writer.drain();
    while (settling.size > 0) await Promise.all([...settling]);

    const counts = await store.counts(batchId);
    let status: BatchStatus;
    if (stop === 'aborted' || (signal?.aborted && counts.pending > 0)) status = 'interrupted';
    else if (stop === 'budget') status = 'budget_stopped';
    else if (counts.pending > 0) status = 'interrupted';
    else status = counts.failed > 0 ? 'completed_with_errors' : 'completed';
    await store.setStatus(batchId, status);
    tracker.set(counts);
    emit(tracker.event('end', { status }));
    return { batchId, mode: 'live', status, counts, durationMs: performance.now() - started };
  }
}
