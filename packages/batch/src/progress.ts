import type { Logger } from '@autod/ops';
import type {
  BatchCounts,
  BatchItemError,
  BatchItemStatus,
  BatchMode,
  BatchProgressEvent,
  BatchStatus,
} from './types.js';

export interface ProgressTrackerOptions {
  batchId: string;
  mode: BatchMode;
  /** The batch's counts when tracking starts. */
  counts: BatchCounts;
  /** Clock of the rate and ETA (default `performance.now`). */
  now?: () => number;
}

/** Turns counts into progress events with rate and ETA (items finished in this run / elapsed time). */
export class ProgressTracker {
  private readonly batchId: string;
  private readonly mode: BatchMode;
  private counts: BatchCounts;
  private readonly now: () => number;
  private readonly started: number;
  private finishedThisRun = 0;

  constructor(options: ProgressTrackerOptions) {
    this.batchId = options.batchId;
    this.mode = options.mode;
    this.counts = options.counts;
    this.now = options.now ?? (() => performance.now());
    this.started = this.now();
  }

  get current(): BatchCounts {
    return { ...this.counts };
  }

  /** Record one item leaving `pending` for `status` (with its cost). */
  record(status: BatchItemStatus, costUsd = 0): void {
    if (status === 'pending') return;
    this.counts = {
      ...this.counts,
      pending: Math.max(0, this.counts.pending - 1),
      [status]: this.counts[status] + 1,
      costUsd: this.counts.costUsd + costUsd,
    };
    this.finishedThisRun++;
  }

  /** Replace the counts (e.g. re-read from the database by a queue producer). */
  set(counts: BatchCounts, finishedThisRun?: number): void {
    this.counts = counts;
    if (finishedThisRun !== undefined) this.finishedThisRun = finishedThisRun;
  }

  event(
    type: BatchProgressEvent['type'],
    extra: { status?: BatchStatus; last?: { path: string; status: BatchItemStatus; error?: BatchItemError } } = {},
  ): BatchProgressEvent {
    const elapsedSec = Math.max((this.now() - this.started) / 1000, 1e-3);
    const ratePerSec = this.finishedThisRun / elapsedSec;
    const c = this.counts;
    return {
      type,
      batchId: this.batchId,
      mode: this.mode,
      total: c.total,
      done: c.done,
      failed: c.failed,
      skipped: c.skipped,
      duplicates: c.duplicate,
      pending: c.pending,
      ratePerSec,
      etaSec: this.finishedThisRun > 0 ? c.pending / ratePerSec : null,
      costUsd: c.costUsd,
      elapsedSec,
      ...extra,
    };
  }
}

/** Hands progress events to `onProgress`; a listener that throws is logged, never breaks the batch. */
export function progressEmitter(
  onProgress: ((event: BatchProgressEvent) => void) | undefined,
  logger: Logger,
): (event: BatchProgressEvent) => void {
  return (event) => {
    try {
      onProgress?.(event);
    } catch (error) {
      logger.warn({ err: error }, 'progress listener failed');
    }
  };
}
