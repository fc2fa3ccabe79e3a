import { EventEmitter } from 'node:events';
import { realpath } from 'node:fs/promises';
import { isAbsolute, resolve, sep } from 'node:path';
import {
  BatchRunner,
  BatchStore,
  estimateFile,
  estimateRun,
  migrateBatchTables,
  type BatchCounts,
  type BatchMode,
  type BatchProgressEvent,
  type BatchRecord,
  type BatchRunResult,
  type BatchStatus,
  type ModelEstimate,
} from '@autod/batch';
import { errorFor } from '@autod/errors';
import type { Logger } from '@autod/ops';
import { discoverFiles } from '@autod/pipeline';
import type { Runtime } from '@autod/runtime';
import type { WorkTracker } from './work.js';

export type { BatchStatus } from '@autod/batch';

/** A batch as the API shows it: the stored record, its item counts and (while it runs here) rate and ETA. */
export interface BatchSnapshot {
  id: string;
  mode: BatchMode;
  status: BatchStatus;
  /** Being run by this server process now (a `running` batch that is not active was cut off: resume it). */
  active: boolean;
  /** An unfinished live batch that `POST /v1/batches/:id/resume` can continue. */
  resumable: boolean;
  inputs: string[];
  total: number;
  pending: number;
  done: number;
  failed: number;
  skipped: number;
  duplicates: number;
  costUsd: number;
  /** Items finished per second in the current run (null when not running here). */
  ratePerSec: number | null;
  /** Seconds left at the current rate (null when unknown, 0 when nothing is pending). */
  etaSec: number | null;
  options: Record<string, unknown>;
  /** ISO-8601 */
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

/** The last finished item of a progress event. */
export type BatchOutcomeSummary = NonNullable<BatchProgressEvent['last']>;

/** What `GET /v1/batches/:id/events` streams: the current state first, then the runner's progress events. */
export type BatchEvent = { type: 'snapshot'; batch: BatchSnapshot } | BatchProgressEvent;

export interface BatchCreateInput {
  /** Files or folders (relative ones are resolved against the first root, normally the inbox). */
  paths?: string[] | undefined;
  /** One folder (same rules as `paths`). */
  dir?: string | undefined;
  /** Only count files, pages, tokens and cost; create nothing. */
  dryRun?: boolean | undefined;
  /** Stop scheduling items before the batch would spend more (default `config.cost.maxCostPerRunUsd`). */
  maxCostUsd?: number | undefined;
  /** Items at the same time (default `config.processing.concurrency`). */
  concurrency?: number | undefined;
  /** (Resume only, accepted on create for symmetry) put failed items back to pending first. */
  retryFailed?: boolean | undefined;
}

export interface BatchResumeInput {
  retryFailed?: boolean | undefined;
  maxCostUsd?: number | undefined;
  concurrency?: number | undefined;
}

/** `dryRun: true`: what the batch would cost, per model, live and through the OpenAI Batch API. */
export interface BatchEstimate {
  dryRun: true;
  provider: string;
  files: number;
  pages: number;
  bytes: number;
  inputTokens: number;
  outputTokens: number;
  models: ModelEstimate[];
  unpriced: string[];
  maxCostUsd: number | null;
  /** With the openai provider and a budget: whether the live cost of the configured model stays within it. */
  withinBudget: boolean | null;
  largestFiles: { path: string; pages: number; bytes: number }[];
}

export interface BatchManagerOptions {
  /** Default items at the same time. */
  concurrency: number;
  /** Folders batches may read from; anything outside is refused (default: the inbox). */
  roots: string[];
  logger: Logger;
}

/** What the manager needs of the runtime. */
export type BatchManagerRuntime = Pick<Runtime, 'db' | 'pipeline' | 'metrics' | 'config' | 'pricing'>;

interface ActiveBatch {
  controller: AbortController;
  events: EventEmitter;
  last: BatchProgressEvent | undefined;
  ended: boolean;
  done: Promise<void>;
}

const TERMINAL: ReadonlySet<BatchStatus> = new Set(['completed', 'completed_with_errors']);

/**
 * Durable batches over files already on the server, run by `@autod/batch`'s live `BatchRunner`: every item is
 * checkpointed in the database (`batches`, `batch_items`), so batches survive restarts and an unfinished one can be
 * resumed. Progress events of running batches are fanned out to subscribers (server-sent events).
 */
export class BatchManager {
  private readonly active = new Map<string, ActiveBatch>();
  private readonly store: BatchStore;
  private readonly roots: Promise<string[]>;
  private migrated: Promise<void> | undefined;
  private closing = false;

  constructor(
    private readonly runtime: BatchManagerRuntime,
    private readonly work: WorkTracker,
    private readonly options: BatchManagerOptions,
  ) {
    this.store = new BatchStore(runtime.db);
    this.roots = Promise.all(options.roots.map(async (r) => realpath(r).catch(() => resolve(r))));
  }

  private ready(): Promise<void> {
    const migrated = (this.migrated ??= migrateBatchTables(this.runtime.db).then(
      () => undefined,
      (error: unknown) => {
        this.migrated = undefined;
        throw error;
      },
    ));
    return migrated;
  }

  private refuseWhenClosing(): void {
    if (this.closing || !this.work.accepting) {
      throw errorFor('SHUTTING_DOWN', 'The server is shutting down; start the batch again later.');
    }
  }

  /** Create a batch over `paths`/`dir` and start it in the background, or (with `dryRun`) only estimate it. */
  async create(input: BatchCreateInput): Promise<BatchSnapshot | BatchEstimate> {
    this.refuseWhenClosing();
    const { inputs, files } = await this.discover(input);
    if (input.dryRun) return this.estimate(files, input.maxCostUsd);
    await this.ready();
    const options = this.runOptions(input);
    const batch = await this.store.create({
      mode: 'live',
      inputs,
      paths: files,
      options: { ...options, source: 'http' },
    });
    this.launch(batch.id, options);
    return this.require(batch.id);
  }

  /** Continue an unfinished live batch (after a restart, a shutdown or the budget). */
  async resume(id: string, input: BatchResumeInput = {}): Promise<BatchSnapshot> {
    this.refuseWhenClosing();
    await this.ready();
    const batch = await this.store.require(id);
    if (batch.mode !== 'live') {
      throw errorFor(
        'CONFLICT',
        `Batch ${id} runs in ${batch.mode} mode; resume it with \`autod batch --mode ${batch.mode} --resume ${id}\`.`,
      );
    }
    if (this.active.has(id)) throw errorFor('CONFLICT', `Batch ${id} is already running.`);
    const counts = await this.store.counts(id);
    if (counts.pending === 0 && !(input.retryFailed && counts.failed > 0)) {
      throw errorFor(
        'CONFLICT',
        `Batch ${id} has nothing left to do${counts.failed > 0 ? ' (send "retryFailed": true to retry its failed items)' : ''}.`,
      );
    }
    const stored = batch.options;
    const options = this.runOptions({
      concurrency: input.concurrency ?? numberOr(stored['concurrency']),
      maxCostUsd: input.maxCostUsd ?? numberOr(stored['maxCostUsd']),
      retryFailed: input.retryFailed ?? false,
    });
    await this.store.setStatus(id, 'running');
    this.launch(id, options);
    return this.require(id);
  }

  async get(id: string): Promise<BatchSnapshot | undefined> {
    await this.ready();
    const batch = await this.store.get(id);
    return batch ? this.snapshot(batch) : undefined;
  }

  /** The batch, or NotFoundError BATCH_NOT_FOUND. */
  async require(id: string): Promise<BatchSnapshot> {
    const batch = await this.get(id);
    if (!batch) throw errorFor('BATCH_NOT_FOUND', `There is no batch "${id}".`, { details: { batchId: id } });
    return batch;
  }

  /** Newest first: every batch in the database (also those of the CLI and the queue). */
  async list(options: { limit?: number | undefined; mode?: BatchMode | undefined } = {}): Promise<BatchSnapshot[]> {
    await this.ready();
    const batches = await this.store.list(options);
    return Promise.all(batches.map((b) => this.snapshot(b)));
  }

  /** Whether this process is running the batch now. */
  isActive(id: string): boolean {
    return this.active.has(id);
  }

  /** How many batches are running in this process. */
  get running(): number {
    return this.active.size;
  }

  /**
   * Calls `listener` with each progress event of a batch running here, up to and including its `end` event.
   * Returns the unsubscribe function, or undefined when the batch is not running in this process.
   */
  subscribe(id: string, listener: (event: BatchProgressEvent) => void): (() => void) | undefined {
    const a = this.active.get(id);
    if (!a || a.ended) return undefined;
    a.events.on('event', listener);
    return () => a.events.off('event', listener);
  }

  /**
   * Stops a batch running here: nothing new is scheduled, in-flight items are released (they stay pending) and the
   * batch ends `interrupted`, so that resume continues it. Resolves once it has stopped.
   */
  async cancel(id: string): Promise<BatchSnapshot> {
    const a = this.active.get(id);
    if (!a) {
      const batch = await this.require(id);
      throw errorFor('CONFLICT', `Batch ${id} is not running on this server (it is ${batch.status}).`);
    }
    a.controller.abort(new Error('cancelled'));
    await a.done;
    return this.require(id);
  }

  /**
   * Shutdown: refuse new batches and abort the running ones. Nothing new is scheduled, in-flight items are released
   * (they stay pending) and each batch ends `interrupted`, ready for `POST /v1/batches/:id/resume` after a restart.
   */
  async shutdown(): Promise<void> {
    this.closing = true;
    const running = [...this.active.values()];
    for (const a of running) a.controller.abort(new Error('server shutting down'));
    await Promise.allSettled(running.map((a) => a.done));
  }

  private runOptions(input: {
    concurrency?: number | undefined;
    maxCostUsd?: number | undefined;
    retryFailed?: boolean | undefined;
  }) {
    const { config } = this.runtime;
    const maxCostUsd = input.maxCostUsd ?? config.cost.maxCostPerRunUsd;
    return {
      concurrency: Math.max(1, Math.floor(input.concurrency ?? this.options.concurrency)),
      ...(maxCostUsd !== undefined ? { maxCostUsd } : {}),
      retryFailed: input.retryFailed ?? false,
    };
  }

  private launch(id: string, options: { concurrency: number; maxCostUsd?: number; retryFailed: boolean }): void {
    const { db, pipeline, metrics, config } = this.runtime;
    const logger = this.options.logger;
    const controller = new AbortController();
    const events = new EventEmitter();
    events.setMaxListeners(0);
    const openai = config.app.provider === 'openai';
    const model = config.openai.model;
    const a: ActiveBatch = { controller, events, last: undefined, ended: false, done: Promise.resolve() };
    const emit = (event: BatchProgressEvent) => {
      a.last = event;
      if (event.type === 'end') a.ended = true;
      events.emit('event', event);
    };
    const runner = new BatchRunner(
      { db, pipeline, logger, metrics },
      {
        ...options,
        // Aborted at shutdown (ours) or when a second signal forces the server down (the work tracker's).
        signal: AbortSignal.any([controller.signal, this.work.signal]),
        estimateCost: async (item) =>
          openai
            ? (await estimateFile(item.path, model, this.runtime.pricing).catch(() => ({ liveUsd: 0 }))).liveUsd
            : 0,
        onProgress: emit,
      },
    );
    this.active.set(id, a);
    logger.info({ batchId: id, ...options }, 'batch started');
    a.done = this.work.track(
      runner
        .run(id)
        .then((r: BatchRunResult) => logger.info({ batchId: id, status: r.status, ...r.counts }, 'batch finished'))
        .catch(async (error: unknown) => {
          logger.error({ err: error, batchId: id }, 'batch stopped by an error; resume it');
          await this.store.setStatus(id, 'interrupted').catch(() => undefined);
        })
        .finally(async () => {
          this.active.delete(id);
          if (!a.ended) {
            // The runner failed before its end event: tell the subscribers how the batch stands.
            const counts = await this.store.counts(id).catch(() => undefined);
            const c = counts ?? a.last;
            emit({ ...endEvent(id, c), status: 'interrupted' });
          }
          events.removeAllListeners();
        }),
    );
  }

  private async snapshot(b: BatchRecord): Promise<BatchSnapshot> {
    const counts = await this.store.counts(b.id);
    const a = this.active.get(b.id);
    const running = a !== undefined && !a.ended;
    let etaSec: number | null = null;
    if (counts.pending === 0) etaSec = 0;
    else if (running && a.last?.etaSec != null) etaSec = a.last.etaSec;
    return {
      id: b.id,
      mode: b.mode,
      status: b.status,
      active: running,
      resumable: b.mode === 'live' && !running && (counts.pending > 0 || !TERMINAL.has(b.status)),
      inputs: b.inputs,
      total: counts.total,
      pending: counts.pending,
      done: counts.done,
      failed: counts.failed,
      skipped: counts.skipped,
      duplicates: counts.duplicate,
      costUsd: counts.costUsd,
      ratePerSec: running ? (a.last?.ratePerSec ?? 0) : null,
      etaSec,
      options: b.options,
      createdAt: b.createdAt.toISOString(),
      updatedAt: b.updatedAt.toISOString(),
      finishedAt: b.finishedAt ? b.finishedAt.toISOString() : null,
    };
  }

  /** Resolve and check the inputs (inside a root), then list the candidate files (output folders excluded). */
  private async discover(input: BatchCreateInput): Promise<{ inputs: string[]; files: string[] }> {
    const roots = await this.roots;
    const base = roots[0] ?? process.cwd();
    const raw = [...(input.paths ?? []), ...(input.dir ? [input.dir] : [])];
    if (raw.length === 0) throw errorFor('VALIDATION_FAILED', 'Give "paths" (files or folders) or "dir".');
    const inputs: string[] = [];
    for (const p of raw) {
      const abs = isAbsolute(p) ? resolve(p) : resolve(base, p);
      let real: string;
      try {
        real = await realpath(abs);
      } catch {
        throw errorFor('NOT_FOUND', `No such file or folder: ${p}`);
      }
      if (!inside(real, roots)) {
        throw errorFor('VALIDATION_FAILED', `"${p}" is outside the folders batches may read (${roots.join(', ')}).`);
      }
      inputs.push(real);
    }
    const { dirs } = this.runtime.pipeline;
    const discovered = await discoverFiles(inputs, [dirs.processed, dirs.failed, dirs.duplicates]);
    const files: string[] = [];
    // Symlinks must not lead out of the roots.
    for (const f of discovered) if (inside(await realpath(f).catch(() => f), roots)) files.push(f);
    return { inputs, files };
  }

  private async estimate(files: string[], maxCost: number | undefined): Promise<BatchEstimate> {
    const { config } = this.runtime;
    const model = config.openai.model;
    const est = await estimateRun(files, { models: [model], pricing: this.runtime.pricing });
    const maxCostUsd = maxCost ?? config.cost.maxCostPerRunUsd ?? null;
    const provider = config.app.provider;
    const live = est.models[0]?.liveUsd;
    return {
      dryRun: true,
      provider,
      files: est.files,
      pages: est.pages,
      bytes: est.bytes,
      inputTokens: est.inputTokens,
      outputTokens: est.outputTokens,
      models: est.models,
      unpriced: est.unpriced,
      maxCostUsd,
      withinBudget: provider === 'openai' && maxCostUsd !== null && live !== undefined ? live <= maxCostUsd : null,
      largestFiles: [...est.perFile]
        .sort((x, y) => y.pages - x.pages || y.bytes - x.bytes)
        .slice(0, 10)
        .map((f) => ({ path: f.path, pages: f.pages, bytes: f.bytes })),
    };
  }
}

function inside(path: string, roots: string[]): boolean {
  return roots.some((r) => path === r || path.startsWith(r.endsWith(sep) ? r : r + sep));
}

function numberOr(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function endEvent(batchId: string, c: BatchCounts | BatchProgressEvent | undefined): BatchProgressEvent {
  const duplicates = c ? ('duplicate' in c ? c.duplicate : c.duplicates) : 0;
  return {
    type: 'end',
    batchId,
    mode: 'live',
    total: c?.total ?? 0,
    done: c?.done ?? 0,
    failed: c?.failed ?? 0,
    skipped: c?.skipped ?? 0,
    duplicates,
    pending: c?.pending ?? 0,
    ratePerSec: 0,
    etaSec: null,
    costUsd: c?.costUsd ?? 0,
    elapsedSec: 0,
  };
}
