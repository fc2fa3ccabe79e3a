import { basename } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { toAutodError } from '@autod/errors';
import { noopLogger, type Logger } from '@autod/ops';
import type { ProcessOutcome } from './outcome.js';
import type { Pipeline } from './pipeline.js';
import { WorkLanes } from './work-lanes.js';
import { DEFAULT_STABLE_FILE_OPTIONS, waitForStableFile, type StableFileOptions } from './stable-file.js';

export interface InboxWatcherOptions {
  /** Files processed at the same time. */
  concurrency: number;
  /**
   * First wait before retrying a file held by another worker (or after an unexpected error), default 2000 ms; doubles
   * up to maxRetryDelayMs. A `retry_later` file is retried at its `retryAt` (e.g. when the breaker's cool-down ends).
   */
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
  /** Wait before looking again at a file that is still being written (`incomplete`); default 2000 ms. */
  incompleteRetryDelayMs?: number;
  /** A file running longer than this gives its slot to the next file (the slow lane, see WorkLanes); default 20 000. */
  slowAfterMs?: number;
  /** How long stop() waits for in-flight files before aborting them (they are released, never lost). */
  drainTimeoutMs?: number;
  /** Use polling (network shares, some containers). */
  usePolling?: boolean;
  onOutcome?: (outcome: ProcessOutcome) => void;
  logger?: Logger;
  /** How a new file is judged complete (a scanner or copy may still be writing it). */
  stableFile?: StableFileOptions;
}

/** Names a scanner or browser writes while a file is incomplete, and our own side files. */
export function isCandidateFile(path: string): boolean {
  const name = basename(path).toLowerCase();
  if (name.startsWith('.')) return false;
  return !/\.(tmp|part|crdownload|partial|swp|error\.json)$/.test(name);
}

/**
 * Watches an inbox folder and feeds new files to the pipeline with bounded concurrency and a slow lane (a long scan
 * never holds up the files behind it). Bursts of hundreds of files queue up (one pending entry per path); deferred
 * files are retried at their `retryAt` (a breaker's cool-down), held ones with backoff, half-written ones shortly;
 * stop() stops accepting, lets in-flight files finish (or aborts and releases them after drainTimeoutMs).
 */
export class InboxWatcher {
  private watcher: FSWatcher | undefined;
  private readonly lanes: WorkLanes;
  private readonly known = new Set<string>();
  private readonly retryTimers = new Map<string, NodeJS.Timeout>();
  private readonly retryDelays = new Map<string, number>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly abort = new AbortController();
  /** Aborted when stop() begins: files still waiting to become stable are left for the next run. */
  private readonly stopWaiting = new AbortController();
  private readonly logger: Logger;
  private stopping = false;

  constructor(
    private readonly pipeline: Pipeline,
    private readonly inbox: string,
    private readonly options: InboxWatcherOptions,
  ) {
    this.lanes = new WorkLanes({
      concurrency: options.concurrency,
      ...(options.slowAfterMs !== undefined ? { slowAfterMs: options.slowAfterMs } : {}),
    });
    this.logger = options.logger ?? noopLogger;
  }

  /** Start watching; existing files are picked up first. Resolves once the initial scan is done. */
  async start(): Promise<void> {
    const watcher = watch(this.inbox, {
      ignoreInitial: false,
      depth: 0,
      ignored: (path, stats) => stats?.isFile() === true && !isCandidateFile(path),
      usePolling: this.options.usePolling ?? false,
      interval: 200,
    });
    this.watcher = watcher;
    watcher.on('add', (path) => this.enqueue(path));
    watcher.on('change', (path) => this.enqueue(path));
    watcher.on('error', (error) => this.logger.error({ err: error }, 'inbox watcher error'));
    await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
    this.logger.info({ inbox: this.inbox }, 'watching inbox');
  }

  /** Files waiting or being processed right now. */
  get pending(): number {
    return this.known.size;
  }

  /** Queue a path (idempotent while it is pending). */
  enqueue(path: string): void {
    if (this.stopping || !isCandidateFile(path) || this.known.has(path)) return;
    this.known.add(path);
    // The stability wait only polls stat(), so it runs outside the concurrency limit for every pending file.
    const task = waitForStableFile(
      path,
      this.options.stableFile ?? DEFAULT_STABLE_FILE_OPTIONS,
      undefined,
      this.stopWaiting.signal,
    ).then((stable) =>
      !stable || this.stopping
        ? undefined
        : this.lanes.run(async () => {
            if (this.stopping) return;
            const outcome = await this.pipeline.processFile(path, this.abort.signal);
            this.options.onOutcome?.(outcome);
            if (outcome.kind === 'retry_later') {
              this.scheduleRetry(path, Date.parse(outcome.retryAt) - Date.now());
            } else if (outcome.kind === 'skipped' && outcome.reason === 'incomplete') {
              this.scheduleRetry(path, this.options.incompleteRetryDelayMs ?? 2000);
            } else if (outcome.kind === 'skipped' && outcome.reason === 'held') {
              this.scheduleRetry(path);
            } else {
              this.retryDelays.delete(path);
            }
          }),
    );
    const tracked = task
      .catch((error: unknown) => {
        // The database or the disk (DISK_FULL): the file stays in the inbox and is tried again with backoff.
        const code = toAutodError(error).code;
        this.logger.error({ err: error, code, file: basename(path) }, 'processing failed; the file is retried later');
        this.scheduleRetry(path);
      })
      .finally(() => {
        this.known.delete(path);
        this.inFlight.delete(tracked);
      });
    this.inFlight.add(tracked);
  }

  /** Resolves when nothing is queued or in flight (retries may still be scheduled). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.stopWaiting.abort();
    this.lanes.clear();
    for (const timer of this.retryTimers.values()) clearTimeout(timer);
    this.retryTimers.clear();
    await this.watcher?.close();
    const drain = this.options.drainTimeoutMs ?? 30_000;
    const timer = setTimeout(() => this.abort.abort(), drain);
    await Promise.allSettled([...this.inFlight]);
    clearTimeout(timer);
    this.logger.info({ inbox: this.inbox }, 'inbox watcher stopped');
  }

  /** Look at `path` again after `afterMs` (a retryAt, a short wait for a writer), or with doubling backoff. */
  private scheduleRetry(path: string, afterMs?: number): void {
    if (this.stopping) return;
    const max = this.options.maxRetryDelayMs ?? 10 * 60_000;
    let delay: number;
    if (afterMs !== undefined && Number.isFinite(afterMs)) {
      delay = Math.min(Math.max(afterMs, 50), max);
    } else {
      delay = Math.min(this.retryDelays.get(path) ?? this.options.retryDelayMs ?? 2000, max);
      this.retryDelays.set(path, delay * 2);
    }
    clearTimeout(this.retryTimers.get(path));
    const timer = setTimeout(() => {
      this.retryTimers.delete(path);
      this.enqueue(path);
    }, delay);
    timer.unref();
    this.retryTimers.set(path, timer);
  }
}
