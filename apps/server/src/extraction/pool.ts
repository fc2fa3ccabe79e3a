import { Worker } from 'node:worker_threads';
import type { Config } from '@autod/config';
import { errorFor, type AutodErrorJSON } from '@autod/errors';
import { mergeMetricsSnapshots, type Logger, type MetricsSnapshot } from '@autod/ops';
import type { PipelineEvent, ProcessFileHooks, ProcessOutcome } from '@autod/pipeline';
import type { FromWorker, ToWorker, WorkerInit } from './protocol.js';

/** What the server's background work needs of a pipeline: process one file (the pipeline itself, or the pool). */
export interface FileProcessor {
  processFile(path: string, signal?: AbortSignal, hooks?: ProcessFileHooks): Promise<ProcessOutcome>;
}

export interface ExtractionPoolOptions {
  /** The server's configuration: each worker opens its own runtime from it. */
  config: Config;
  logger: Logger;
  /** Worker threads (default 1). Each runs up to the files the server hands it at once (`AUTOD_CONCURRENCY`). */
  size?: number;
  /**
   * A worker with nothing to do for this long exits, giving its memory back; the next file starts one again
   * (default 30 000 ms; 0 keeps workers until the server closes).
   */
  idleMs?: number;
  /** Worker logs go to the process's stderr (what `autod serve` logs to) at the configured level; default false. */
  logToStderr?: boolean;
  /** The pipeline events of the workers (file started, stages, file finished). */
  onEvent?: (event: PipelineEvent) => void;
  /** The worker script (default: `worker.js` next to this module). */
  workerUrl?: URL;
  /** Node flags of the worker threads (default: {@link workerExecArgv} of this process's). */
  execArgv?: string[];
}

/**
 * The worker threads' Node flags, from this process's: inherited as they are (`undefined`) — V8 flags such as
 * `--max-old-space-size` included, which Node accepts when inherited but refuses in an explicit `execArgv` — except
 * when they hold `--input-type`, which only fits `node -e` and makes a worker fail: then the list without it.
 */
export function workerExecArgv(parent: readonly string[]): string[] | undefined {
  if (!parent.some((arg) => arg.startsWith('--input-type'))) return undefined;
  return parent.filter((arg) => !arg.startsWith('--input-type'));
}

const isInvalidExecArgv = (error: unknown): boolean =>
  error instanceof Error && (error as NodeJS.ErrnoException).code === 'ERR_WORKER_INVALID_EXEC_ARGV';

interface Job {
  path: string;
  resolve: (outcome: ProcessOutcome) => void;
  reject: (error: Error) => void;
}

interface Slot {
  worker: Worker;
  ready: Promise<void>;
  jobs: Map<number, Job>;
  metrics: Map<number, (snapshot: MetricsSnapshot) => void>;
  closing: boolean;
  exited: Promise<void>;
  idleTimer?: NodeJS.Timeout;
  final?: MetricsSnapshot;
}

const CLOSE_TIMEOUT_MS = 10_000;
const METRICS_TIMEOUT_MS = 1_000;

function rebuild(error: AutodErrorJSON): Error {
  return errorFor(error.code, error.message, {
    retryable: error.retryable,
    ...(error.details ? { details: error.details } : {}),
  });
}

/**
 * Runs the pipeline in worker threads, off the HTTP event loop: `processFile` hands the path over and resolves with
 * the worker's outcome (the document itself is persisted by the worker, through the same database). A worker that
 * dies fails its files with a retryable `INTERNAL` error (the server retries them; they stay in the inbox) and the
 * next file starts a new one; an idle worker exits after `idleMs`.
 */
export class ExtractionPool implements FileProcessor {
  private readonly slots = new Set<Slot>();
  private nextId = 1;
  private closed = false;
  /** Counters and histograms of workers that have exited. */
  private retired: MetricsSnapshot = [];
  private retiring = Promise.resolve();
  private readonly size: number;
  private readonly idleMs: number;

  constructor(private readonly options: ExtractionPoolOptions) {
    this.size = Math.max(1, options.size ?? 1);
    this.idleMs = options.idleMs ?? 30_000;
  }

  /** Worker threads running now. */
  get workers(): number {
    return this.slots.size;
  }

  async processFile(path: string, signal?: AbortSignal, hooks: ProcessFileHooks = {}): Promise<ProcessOutcome> {
    if (hooks.onHashed) throw errorFor('INTERNAL', 'The extraction pool cannot call an onHashed hook in a worker.');
    if (this.closed) throw errorFor('SHUTTING_DOWN', 'The server is shutting down; the file stays in the inbox.');
    const slot = this.pick();
    if (slot.idleTimer) clearTimeout(slot.idleTimer);
    const id = this.nextId++;
    const done = new Promise<ProcessOutcome>((resolve, reject) => slot.jobs.set(id, { path, resolve, reject }));
    const onAbort = () => this.post(slot, { type: 'abort', id, reason: String(signal?.reason ?? 'aborted') });
    try {
      await slot.ready;
      if (signal?.aborted) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
      this.post(slot, {
        type: 'process',
        id,
        path,
        complete: hooks.complete ?? false,
        ...(hooks.hashed ? { hashed: hooks.hashed } : {}),
      });
      return await done;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      slot.jobs.delete(id);
      this.scheduleIdle(slot);
    }
  }

  /** Metrics of the running workers and the totals of those that exited, for `/metrics`. */
  async snapshots(): Promise<MetricsSnapshot[]> {
    await this.retiring;
    const live = await Promise.all([...this.slots].filter((s) => !s.closing).map((s) => this.metricsOf(s)));
    return [this.retired, ...live.filter((s): s is MetricsSnapshot => s !== undefined)].filter((s) => s.length > 0);
  }

  /** Stops every worker (each finishes or aborts what it runs and closes its runtime); bounded. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.slots].map((s) => this.stop(s)));
    await this.retiring;
  }

  private pick(): Slot {
    const open = [...this.slots].filter((s) => !s.closing);
    const least = open.sort((a, b) => a.jobs.size - b.jobs.size)[0];
    if (least && (least.jobs.size === 0 || open.length >= this.size)) return least;
    return this.start();
  }

  private start(): Slot {
    const init: WorkerInit = { config: this.options.config, logToStderr: this.options.logToStderr ?? false };
    const url = this.options.workerUrl ?? new URL('./worker.js', import.meta.url);
    const spawnWorker = (execArgv: string[] | undefined) =>
      new Worker(url, {
        workerData: init,
        ...(execArgv ? { execArgv } : {}),
        // The worker's own console/stdout would be piped through this thread's event loop: it logs to fd 2 itself.
        stdout: false,
        stderr: false,
      });
    let worker: Worker;
    try {
      worker = spawnWorker(this.options.execArgv ?? workerExecArgv(process.execArgv));
    } catch (error) {
      // A flag a worker cannot take in an explicit list (a V8 flag next to `--input-type`): start it without flags
      // rather than never process a file.
      if (!isInvalidExecArgv(error)) throw error;
      this.options.logger.warn({ err: error }, 'the extraction worker starts without the Node flags it cannot take');
      worker = spawnWorker([]);
    }
    let markReady: () => void = () => undefined;
    let failStart: (error: Error) => void = () => undefined;
    const ready = new Promise<void>((resolve, reject) => {
      markReady = resolve;
      failStart = reject;
    });
    ready.catch(() => undefined);
    const slot: Slot = {
      worker,
      ready,
      jobs: new Map(),
      metrics: new Map(),
      closing: false,
      exited: new Promise((resolve) => worker.once('exit', () => resolve())),
    };
    worker.on('message', (message: FromWorker) => {
      switch (message.type) {
        case 'ready':
          markReady();
          return;
        case 'startFailed':
          failStart(rebuild(message.error));
          return;
        case 'event':
          this.options.onEvent?.(message.event);
          return;
        case 'outcome':
          slot.jobs.get(message.id)?.resolve(message.outcome);
          return;
        case 'failed':
          slot.jobs.get(message.id)?.reject(rebuild(message.error));
          return;
        case 'metrics':
          slot.metrics.get(message.id)?.(message.snapshot);
          return;
        case 'closed':
          // Its runtime is closed: nothing left to wait for.
          slot.final = message.snapshot;
          void worker.terminate();
          return;
      }
    });
    worker.on('error', (error) => {
      this.options.logger.error({ err: error }, 'the extraction worker failed');
      failStart(errorFor('INTERNAL', 'The extraction worker failed to start.', { cause: error, retryable: true }));
    });
    worker.once('exit', (code) => {
      this.slots.delete(slot);
      if (slot.idleTimer) clearTimeout(slot.idleTimer);
      const crashed = !slot.closing;
      if (crashed)
        this.options.logger.error(
          { exitCode: code, files: slot.jobs.size },
          'the extraction worker stopped; its files are retried and the next file starts a new worker',
        );
      failStart(errorFor('INTERNAL', `The extraction worker stopped (exit code ${code}).`, { retryable: true }));
      for (const job of slot.jobs.values())
        job.reject(
          errorFor('INTERNAL', `The extraction worker stopped (exit code ${code}) while processing ${job.path}.`, {
            retryable: true,
          }),
        );
      slot.jobs.clear();
      for (const answer of slot.metrics.values()) answer([]);
      slot.metrics.clear();
      const final = slot.final;
      if (final) {
        const previous = this.retired;
        this.retiring = this.retiring
          .then(async () => {
            this.retired = await mergeMetricsSnapshots([previous, final].filter((s) => s.length > 0));
          })
          .catch((error: unknown) => this.options.logger.warn({ err: error }, 'merging worker metrics failed'));
      }
    });
    this.slots.add(slot);
    return slot;
  }

  private post(slot: Slot, message: ToWorker): void {
    try {
      slot.worker.postMessage(message);
    } catch (error) {
      this.options.logger.warn({ err: error }, 'could not reach the extraction worker');
    }
  }

  private scheduleIdle(slot: Slot): void {
    if (slot.jobs.size > 0 || this.idleMs <= 0 || slot.closing || this.closed) return;
    if (slot.idleTimer) clearTimeout(slot.idleTimer);
    slot.idleTimer = setTimeout(() => {
      if (slot.jobs.size === 0) void this.stop(slot);
    }, this.idleMs);
    slot.idleTimer.unref();
  }

  private async metricsOf(slot: Slot): Promise<MetricsSnapshot | undefined> {
    try {
      await slot.ready;
    } catch {
      return undefined;
    }
    const id = this.nextId++;
    return new Promise<MetricsSnapshot | undefined>((resolve) => {
      const timer = setTimeout(() => {
        slot.metrics.delete(id);
        resolve(undefined);
      }, METRICS_TIMEOUT_MS);
      slot.metrics.set(id, (snapshot) => {
        clearTimeout(timer);
        slot.metrics.delete(id);
        resolve(snapshot);
      });
      this.post(slot, { type: 'metrics', id });
    });
  }

  private async stop(slot: Slot): Promise<void> {
    if (!slot.closing) {
      slot.closing = true;
      if (slot.idleTimer) clearTimeout(slot.idleTimer);
      this.post(slot, { type: 'close' });
      const timer = setTimeout(() => void slot.worker.terminate(), CLOSE_TIMEOUT_MS);
      timer.unref();
      void slot.exited.then(() => clearTimeout(timer));
    }
    await slot.exited;
  }
}
