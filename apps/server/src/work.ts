import type { Logger } from '@autod/ops';
import { WorkLanes, isUpstreamDeferral, type HashedFile, type ProcessOutcome } from '@autod/pipeline';
import type { FileProcessor } from './extraction/pool.js';

export type UploadState = 'pending' | 'processing' | 'retry_later';

/** What the server knows about an accepted upload that has no final database row yet. */
export interface UploadStatus {
  sha256: string;
  fileName: string;
  status: UploadState;
  /** ISO-8601 */
  acceptedAt: string;
  attempts: number;
}

/** An upload waiting for (or in) processing: where it is and, when known, what it was hashed as. */
interface QueuedUpload {
  path: string;
  sha256: string;
  /** The file the server hashed while receiving it (lets the pipeline skip reading and hashing it again). */
  hashed?: HashedFile;
}

export interface WorkTrackerOptions {
  /** Uploads processed at the same time (default 4); the rest wait as "pending". */
  concurrency?: number;
  /**
   * Wait before processing a file again after a claim held elsewhere or an unexpected error (default 15 s, doubling).
   * A `retry_later` upload is tried again at its `retryAt` (e.g. when the breaker's cool-down ends).
   */
  retryDelayMs?: number;
  /**
   * Tries per upload before it is left in the inbox (status `waiting`) for the watcher / next run (default 5).
   * Deferrals caused by the upstream (breaker open, rate limit) do not count: they are retried when it is back.
   */
  maxAttempts?: number;
  /** An upload running longer than this gives its slot to the next one (the slow lane, see WorkLanes); default 20 000. */
  slowAfterMs?: number;
  /** Final outcomes remembered for status look-ups (default 1000). */
  recentLimit?: number;
  onOutcome?: (outcome: ProcessOutcome) => void;
  /** Every change of an upload's state (accepted → pending, processing, retry_later), for live displays. */
  onState?: (state: UploadStatus) => void;
}

/**
 * Background processing of accepted uploads, tracked for status look-ups and graceful shutdown.
 * Uploads of the same content are processed one after the other (the later ones become duplicates), never in
 * parallel, so none of them is skipped as "held".
 */
export class WorkTracker {
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly controller = new AbortController();
  private readonly chains = new Map<string, Promise<void>>();
  private readonly uploads = new Map<string, UploadStatus & { count: number }>();
  private readonly recent = new Map<string, ProcessOutcome>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private closing = false;
  private readonly lanes: WorkLanes;

  constructor(
    /** The pipeline, or the extraction workers running it. */
    private readonly pipeline: FileProcessor,
    private readonly logger: Logger,
    private readonly options: WorkTrackerOptions = {},
  ) {
    this.lanes = new WorkLanes({
      concurrency: options.concurrency ?? 4,
      ...(options.slowAfterMs !== undefined ? { slowAfterMs: options.slowAfterMs } : {}),
    });
  }

  /** Aborted when a shutdown's grace period runs out: in-flight files are released and stay in the inbox. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get accepting(): boolean {
    return !this.closing;
  }

  /** True while a file is being processed (retries that are only scheduled do not count). */
  get busy(): boolean {
    return this.inFlight.size > 0;
  }

  /** Background tasks running now. */
  get active(): number {
    return this.inFlight.size;
  }

  /** Runs `task` tracked: shutdown waits for it. */
  track<T>(task: Promise<T>): Promise<T> {
    const tracked = task.finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
    return tracked;
  }

  /**
   * Queue an uploaded file for processing in the background. `onDisk`: the inode, size and mtime of the file hashed
   * (`sha256`) as the server wrote it; while the file is still that one, it is not read and hashed again.
   */
  submit(
    path: string,
    sha256: string,
    fileName: string,
    onDisk?: { sizeBytes: number; ino: number; mtimeMs: number },
  ): void {
    const existing = this.uploads.get(sha256);
    if (existing) existing.count++;
    else
      this.uploads.set(sha256, {
        sha256,
        fileName,
        status: 'pending',
        acceptedAt: new Date().toISOString(),
        attempts: 0,
        count: 1,
      });
    this.recent.delete(sha256);
    this.notify(sha256);
    this.enqueue({ path, sha256, ...(onDisk ? { hashed: { sha256, ...onDisk } } : {}) }, 1);
  }

  /** Status of an upload that is still being worked on, if any. */
  upload(sha256: string): UploadStatus | undefined {
    const u = this.uploads.get(sha256);
    if (!u) return undefined;
    const { count: _count, ...status } = u;
    return status;
  }

  /** The last final outcome for this content (useful when it failed before a database row existed). */
  outcome(sha256: string): ProcessOutcome | undefined {
    return this.recent.get(sha256);
  }

  /** Resolves when no background task is running (scheduled retries may still be waiting). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** Stop accepting, cancel retries, wait for running work; abort it after `graceMs`. Returns true if all finished in time. */
  async drain(graceMs: number): Promise<boolean> {
    this.closing = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      this.controller.abort(new Error('shutdown grace period over'));
    }, graceMs);
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    clearTimeout(timer);
    return !timedOut;
  }

  /** Abort running work at once (a second SIGTERM). */
  abort(): void {
    this.closing = true;
    this.controller.abort(new Error('shutdown forced'));
  }

  private enqueue(job: QueuedUpload, attempt: number): void {
    const { sha256 } = job;
    const previous = this.chains.get(sha256) ?? Promise.resolve();
    const next = previous.then(() => this.run(job, attempt));
    this.chains.set(sha256, next);
    void this.track(next).finally(() => {
      if (this.chains.get(sha256) === next) this.chains.delete(sha256);
    });
  }

  private async run(job: QueuedUpload, attempt: number): Promise<void> {
    await this.lanes.run(() => this.runAcquired(job, attempt));
  }

  private async runAcquired(job: QueuedUpload, attempt: number): Promise<void> {
    const { path, sha256 } = job;
    const entry = this.uploads.get(sha256);
    if (this.controller.signal.aborted) {
      // Shutdown ran out of time before this upload started: it stays in the inbox for the next run.
      this.finish(sha256);
      return;
    }
    if (entry) {
      entry.status = 'processing';
      entry.attempts = attempt;
      this.notify(sha256);
    }
    let outcome: ProcessOutcome;
    try {
      // An upload was received in full before it was put in the inbox: no half-written check.
      outcome = await this.pipeline.processFile(path, this.controller.signal, {
        complete: true,
        ...(job.hashed ? { hashed: job.hashed } : {}),
      });
    } catch (error) {
      this.logger.error({ err: error, sha256 }, 'unexpected error while processing an upload');
      this.retryOrGiveUp(job, attempt);
      return;
    }
    this.options.onOutcome?.(outcome);
    if (outcome.kind === 'retry_later') {
      // The upstream's own deferral (breaker, rate limit) is no try of the upload's: retry when it says.
      const counted = isUpstreamDeferral(outcome) ? attempt - 1 : attempt;
      this.retryOrGiveUp(job, counted, Date.parse(outcome.retryAt) - Date.now());
      return;
    }
    const transient = outcome.kind === 'skipped' && (outcome.reason === 'held' || outcome.reason === 'incomplete');
    if (transient) {
      this.retryOrGiveUp(job, attempt);
      return;
    }
    this.recent.set(sha256, outcome);
    while (this.recent.size > (this.options.recentLimit ?? 1000)) {
      const oldest = this.recent.keys().next().value;
      if (oldest === undefined) break;
      this.recent.delete(oldest);
    }
    this.finish(sha256);
  }

  private retryOrGiveUp(job: QueuedUpload, attempt: number, afterMs?: number): void {
    const { sha256 } = job;
    const max = this.options.maxAttempts ?? 5;
    if (this.closing || attempt >= max) {
      if (!this.closing)
        this.logger.warn({ sha256, attempts: attempt }, 'upload left in the inbox after repeated transient failures');
      this.finish(sha256);
      return;
    }
    const entry = this.uploads.get(sha256);
    if (entry) {
      entry.status = 'retry_later';
      this.notify(sha256);
    }
    const delay =
      afterMs !== undefined && Number.isFinite(afterMs)
        ? Math.max(50, afterMs)
        : (this.options.retryDelayMs ?? 15_000) * 2 ** Math.max(0, attempt - 1);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.enqueue(job, attempt + 1);
    }, delay);
    timer.unref();
    this.timers.add(timer);
  }

  private notify(sha256: string): void {
    const status = this.upload(sha256);
    if (status && this.options.onState) {
      try {
        this.options.onState(status);
      } catch (error) {
        this.logger.warn({ err: error, sha256 }, 'upload state listener failed');
      }
    }
  }

  private finish(sha256: string): void {
    const entry = this.uploads.get(sha256);
    if (!entry) return;
    entry.count--;
    if (entry.count <= 0) this.uploads.delete(sha256);
    else entry.status = 'pending';
  }
}
