import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { realpath } from 'node:fs/promises';
import { isAbsolute, resolve, sep } from 'node:path';
import { errorFor } from '@autod/errors';
import type { Logger } from '@autod/ops';
import { discoverFiles, processFiles, type Pipeline, type ProcessOutcome } from '@autod/pipeline';
import type { WorkTracker } from './work.js';

export type BatchStatus = 'running' | 'completed' | 'cancelled' | 'failed';

/** A snapshot of one batch; also the payload of every progress event. */
export interface BatchSnapshot {
  id: string;
  status: BatchStatus;
  inputs: string[];
  total: number;
  done: number;
  processed: number;
  duplicates: number;
  failed: number;
  retryLater: number;
  skipped: number;
  costUsd: number;
  /** ISO-8601 */
  startedAt: string;
  finishedAt: string | null;
  elapsedSeconds: number;
  /** Estimated seconds left (null until the first file is done, 0 when finished). */
  etaSeconds: number | null;
  error?: string;
}

export interface BatchOutcomeSummary {
  kind: ProcessOutcome['kind'];
  path: string;
  sha256: string | null;
  documentId: number | null;
  destination: string | null;
}

export type BatchEvent =
  | { type: 'progress'; batch: BatchSnapshot; outcome: BatchOutcomeSummary }
  | { type: 'done'; batch: BatchSnapshot };

export interface BatchCreateInput {
  /** Files or folders (relative ones are resolved against the first root, normally the inbox). */
  paths?: string[];
  dir?: string;
}

export interface BatchManagerOptions {
  concurrency: number;
  /** Folders batches may read from; anything outside is refused (default: the inbox). */
  roots: string[];
  /** Finished batches kept in memory for status queries (default 100). */
  keep?: number;
  logger: Logger;
}

interface Batch {
  snapshot: BatchSnapshot;
  startedMs: number;
  events: EventEmitter;
}

function summarizeOutcome(o: ProcessOutcome): BatchOutcomeSummary {
  return {
    kind: o.kind,
    path: o.path,
    sha256: 'sha256' in o ? o.sha256 : null,
    documentId: 'documentId' in o ? o.documentId : null,
    destination: 'destination' in o ? o.destination : null,
  };
}

/**
 * In-memory batches over files already on the server: POST a list of paths (or a folder) inside an allowed root, the
 * files are processed in the background with bounded concurrency, progress is observable as events.
 * Kept small and isolated so it can be replaced by @autod/batch (durable, resumable batches).
 */
export class BatchManager {
  private readonly batches = new Map<string, Batch>();
  private readonly roots: Promise<string[]>;

  constructor(
    private readonly pipeline: Pipeline,
    private readonly work: WorkTracker,
    private readonly options: BatchManagerOptions,
  ) {
    this.roots = Promise.all(options.roots.map(async (r) => realpath(r).catch(() => resolve(r))));
  }

  async create(input: BatchCreateInput): Promise<BatchSnapshot> {
    if (!this.work.accepting) throw errorFor('UPSTREAM_UNAVAILABLE', 'The server is shutting down; start the batch again later.');
    const roots = await this.roots;
    const base = roots[0] ?? process.cwd();
    const inputs = [...(input.paths ?? []), ...(input.dir ? [input.dir] : [])];
    if (inputs.length === 0) throw errorFor('VALIDATION_FAILED', 'Give "paths" (files or folders) or "dir".');
    const resolved: string[] = [];
    for (const raw of inputs) {
      const abs = isAbsolute(raw) ? resolve(raw) : resolve(base, raw);
      let real: string;
      try {
        real = await realpath(abs);
      } catch {
        throw errorFor('NOT_FOUND', `No such file or folder: ${raw}`);
      }
      if (!this.inside(real, roots)) {
        throw errorFor('VALIDATION_FAILED', `"${raw}" is outside the folders batches may read (${roots.join(', ')}).`);
      }
      resolved.push(real);
    }
    const discovered = await discoverFiles(resolved);
    const files: string[] = [];
    for (const f of discovered) {
      const real = await realpath(f).catch(() => f);
      if (this.inside(real, roots)) files.push(f);
    }
    const id = randomUUID();
    const startedMs = Date.now();
    const batch: Batch = {
      startedMs,
      events: new EventEmitter(),
      snapshot: {
        id,
        status: 'running',
        inputs,
        total: files.length,
        done: 0,
        processed: 0,
        duplicates: 0,
        failed: 0,
        retryLater: 0,
        skipped: 0,
        costUsd: 0,
        startedAt: new Date(startedMs).toISOString(),
        finishedAt: null,
        elapsedSeconds: 0,
        etaSeconds: files.length === 0 ? 0 : null,
      },
    };
    batch.events.setMaxListeners(100);
    this.batches.set(id, batch);
    this.prune();
    void this.work.track(this.run(batch, files));
    return { ...batch.snapshot };
  }

  get(id: string): BatchSnapshot | undefined {
    const b = this.batches.get(id);
    return b ? this.snapshot(b) : undefined;
  }

  list(): BatchSnapshot[] {
    return [...this.batches.values()].map((b) => this.snapshot(b)).reverse();
  }

  /** Calls `listener` for each event of a running batch; returns the unsubscribe function. */
  subscribe(id: string, listener: (event: BatchEvent) => void): () => void {
    const b = this.batches.get(id);
    if (!b) return () => undefined;
    b.events.on('event', listener);
    return () => b.events.off('event', listener);
  }

  private inside(path: string, roots: string[]): boolean {
    return roots.some((r) => path === r || path.startsWith(r.endsWith(sep) ? r : r + sep));
  }

  private snapshot(b: Batch): BatchSnapshot {
    const s = b.snapshot;
    const end = s.finishedAt ? Date.parse(s.finishedAt) : Date.now();
    const elapsedSeconds = Math.round((end - b.startedMs) / 10) / 100;
    let etaSeconds: number | null = s.etaSeconds;
    if (s.status === 'running' && s.done > 0) etaSeconds = Math.round(((elapsedSeconds / s.done) * (s.total - s.done)) * 100) / 100;
    return { ...s, inputs: [...s.inputs], elapsedSeconds, etaSeconds };
  }

  private async run(batch: Batch, files: string[]): Promise<void> {
    const s = batch.snapshot;
    try {
      await processFiles(this.pipeline, files, {
        concurrency: this.options.concurrency,
        signal: this.work.signal,
        onOutcome: (outcome, done) => {
          s.done = done;
          if (outcome.kind === 'processed') {
            s.processed++;
            s.costUsd += outcome.costUsd;
          } else if (outcome.kind === 'duplicate') s.duplicates++;
          else if (outcome.kind === 'failed') s.failed++;
          else if (outcome.kind === 'retry_later') s.retryLater++;
          else s.skipped++;
          batch.events.emit('event', { type: 'progress', batch: this.snapshot(batch), outcome: summarizeOutcome(outcome) } satisfies BatchEvent);
        },
      });
      s.status = s.done < s.total ? 'cancelled' : 'completed';
    } catch (error) {
      this.options.logger.error({ err: error, batchId: s.id }, 'batch failed');
      s.status = 'failed';
      s.error = error instanceof Error ? error.message : String(error);
    }
    s.finishedAt = new Date().toISOString();
    s.etaSeconds = 0;
    this.options.logger.info({ batchId: s.id, total: s.total, processed: s.processed, failed: s.failed, status: s.status }, 'batch finished');
    batch.events.emit('event', { type: 'done', batch: this.snapshot(batch) } satisfies BatchEvent);
    batch.events.removeAllListeners();
  }

  private prune(): void {
    const keep = this.options.keep ?? 100;
    for (const [id, b] of this.batches) {
      if (this.batches.size <= keep) break;
      if (b.snapshot.status !== 'running') this.batches.delete(id);
    }
  }
}
