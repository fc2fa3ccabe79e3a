import type { Job, Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Database } from '@autod/db';
import { delay, errorFor, toAutodError } from '@autod/errors';
import { discoverFiles } from '@autod/pipeline';
import { noopLogger, type AutodMetrics, type Logger } from '@autod/ops';
import { attemptItem, type BatchPipeline } from './item.js';
import { bullmq, ioredis } from './queue-libraries.js';
import { migrateBatchTables } from './migrations.js';
import { ProgressTracker } from './progress.js';
import { BatchStore } from './store.js';
import type { BatchItemError, BatchProgressEvent, BatchRecord, BatchRunResult, BatchStatus } from './types.js';

/** The BullMQ queue of documents. */
export const QUEUE_NAME = 'autod-documents';
/** Jobs whose attempts ran out land here (BullMQ has no dead-letter queue of its own). */
export const DEAD_LETTER_QUEUE_NAME = 'autod-documents-dead';

/** One job: one item of one batch. */
export interface QueueJobData {
  batchId: string;
  itemId: number;
  path: string;
}

export interface DeadLetter extends QueueJobData {
  error: BatchItemError;
  attempts: number;
  failedAt: string;
}

export interface RedisTarget {
  /** `redis://…` URL. */
  url: string;
  /** Key prefix (AUTOD_REDIS_PREFIX); separate prefixes never see each other's queues. */
  prefix?: string;
  /** How long to wait for Redis to answer before QUEUE_UNAVAILABLE (default 10,000 ms). */
  connectTimeoutMs?: number;
}

/** A new ioredis connection as BullMQ wants it (`maxRetriesPerRequest: null`). Each Worker needs its own. */
export function redisConnection(url: string): Redis {
  return new (ioredis().Redis)(url, { maxRetriesPerRequest: null });
}

/**
 * Close a connection without waiting for a server that never answered: `quit()` on a connection that is not ready
 * would queue until Redis comes back (and keep the process alive), so such a connection is dropped at once.
 */
export async function closeRedis(conn: Redis): Promise<void> {
  if (conn.status !== 'ready') {
    conn.disconnect();
    return;
  }
  await conn.quit().catch(() => conn.disconnect());
}

/**
 * Fail fast when Redis cannot be reached: BullMQ's connections retry forever (`maxRetriesPerRequest: null`), so a
 * wrong AUTOD_REDIS_URL would otherwise hang the command. Drops the connections and throws QUEUE_UNAVAILABLE.
 */
export async function ensureRedisReachable(connections: Redis[], url: string, timeoutMs = 10_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  // Connection errors while we wait are the answer we are waiting for, not "unhandled" events.
  const quiet = (): void => undefined;
  for (const c of connections) c.on('error', quiet);
  try {
    await Promise.race([
      Promise.all(connections.map((c) => c.ping())),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } catch (error) {
    for (const c of connections) c.disconnect();
    throw errorFor(
      'QUEUE_UNAVAILABLE',
      `Redis at ${redactRedisUrl(url)} cannot be reached (${error instanceof Error ? error.message : String(error)}); check AUTOD_REDIS_URL and that Redis runs.`,
      { cause: error },
    );
  } finally {
    clearTimeout(timer);
    for (const c of connections) c.off('error', quiet);
  }
}

function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'the configured URL';
  }
}

/**
 * BullMQ's limiter for `rpm` requests per minute, enforced by Redis across every worker of the queue.
 * Default: one job per `60000 / rpm` ms (smooth pacing: no burst at a window edge can push any 60 s window over
 * `rpm`). With `windowMs`, `rpm × windowMs / 60000` jobs per window of `windowMs` instead.
 */
export function queueLimiter(rpm: number, windowMs?: number): { max: number; duration: number } {
  if (!(rpm > 0)) throw errorFor('CFG_INVALID', `The queue's rate limit must be positive (got ${rpm}).`);
  if (windowMs === undefined) return { max: 1, duration: Math.ceil(60_000 / rpm) };
  return { max: Math.max(1, Math.floor((rpm * windowMs) / 60_000)), duration: windowMs };
}

export interface QueueProducerDeps {
  db: Database;
  redis: RedisTarget;
  /** Output folders are excluded from discovery. */
  dirs?: { processed: string; failed: string; duplicates: string };
  logger?: Logger;
}

export interface QueueJobOptions {
  /** Attempts per job for transient failures (default 5). */
  attempts?: number;
  /** First backoff delay; doubles per attempt (default 2000 ms). */
  backoffMs?: number;
}

/**
 * Queue mode, producing side: records the batch and its items in the database (the checkpoint every worker
 * updates) and puts one BullMQ job per pending item on Redis. Job ids are `<batch>-<item>`, so enqueueing again
 * (resume) never duplicates a job that is still queued.
 */
export class QueueProducer {
  readonly store: BatchStore;
  readonly queue: Queue<QueueJobData>;
  readonly deadLetters: Queue<DeadLetter>;
  private readonly logger: Logger;
  private readonly connections: Redis[];
  private reachable = false;

  constructor(
    private readonly deps: QueueProducerDeps,
    private readonly options: QueueJobOptions = {},
  ) {
    this.store = new BatchStore(deps.db);
    this.logger = deps.logger ?? noopLogger;
    const prefix = deps.redis.prefix ?? 'autod';
    this.connections = [redisConnection(deps.redis.url), redisConnection(deps.redis.url)];
    this.queue = new (bullmq().Queue)<QueueJobData>(QUEUE_NAME, { connection: this.connections[0]!, prefix });
    this.deadLetters = new (bullmq().Queue)<DeadLetter>(DEAD_LETTER_QUEUE_NAME, {
      connection: this.connections[1]!,
      prefix,
    });
    // Connection trouble reaches the caller as QUEUE_UNAVAILABLE (ensureRedisReachable); keep BullMQ from printing it.
    for (const q of [this.queue, this.deadLetters] as Queue[])
      q.on('error', (error: Error) => this.logger.debug({ err: error }, 'queue connection error'));
  }

  async create(inputs: string[], options: { exclude?: string[] } = {}): Promise<BatchRecord> {
    await migrateBatchTables(this.deps.db);
    const d = this.deps.dirs;
    const files = await discoverFiles(inputs, [
      ...(d ? [d.processed, d.failed, d.duplicates] : []),
      ...(options.exclude ?? []),
    ]);
    const open = await this.store.findUnfinished('queue', inputs);
    if (open) {
      await this.store.addItems(open.id, files);
      return this.store.require(open.id);
    }
    return this.store.create({ mode: 'queue', inputs, paths: files, status: 'queued' });
  }

  /** Enqueue every pending item of the batch. Returns how many jobs were added. */
  async enqueue(batchId: string, options: { retryFailed?: boolean } = {}): Promise<number> {
    if (!this.reachable) {
      await ensureRedisReachable(this.connections, this.deps.redis.url, this.deps.redis.connectTimeoutMs);
      this.reachable = true;
    }
    await migrateBatchTables(this.deps.db);
    await this.store.require(batchId);
    if (options.retryFailed) await this.store.resetFailed(batchId);
    await this.store.setStatus(batchId, 'queued');
    const attempts = this.options.attempts ?? 5;
    const delay = this.options.backoffMs ?? 2000;
    let added = 0;
    for (let afterId = 0; ;) {
      const items = await this.store.items(batchId, { status: 'pending', afterId, limit: 500 });
      if (items.length === 0) break;
      afterId = items.at(-1)!.id;
      await this.queue.addBulk(
        items.map((item) => ({
          name: 'document',
          data: { batchId, itemId: item.id, path: item.path },
          opts: {
            jobId: `${batchId}-${item.id}`,
            attempts,
            backoff: { type: 'exponential', delay },
            removeOnComplete: { count: 10_000 },
            removeOnFail: false,
          },
        })),
      );
      added += items.length;
    }
    this.logger.info({ batchId, jobs: added }, 'enqueued batch items');
    return added;
  }

  /** Create (or continue) a batch over `inputs` and enqueue it. */
  async start(inputs: string[], options: { exclude?: string[]; retryFailed?: boolean } = {}): Promise<BatchRecord> {
    const batch = await this.create(inputs, options);
    await this.enqueue(batch.id, options);
    return this.store.require(batch.id);
  }

  /** Wait (polling the database, where every worker checkpoints) until no item of the batch is pending. */
  async waitFor(
    batchId: string,
    options: { pollMs?: number; signal?: AbortSignal; onProgress?: (e: BatchProgressEvent) => void } = {},
  ): Promise<BatchRunResult> {
    const started = performance.now();
    const first = await this.store.counts(batchId);
    const tracker = new ProgressTracker({ batchId, mode: 'queue', counts: first });
    const finishedAtStart = first.total - first.pending;
    options.onProgress?.(tracker.event('start'));
    let counts = first;
    let lastFinished = finishedAtStart;
    while (counts.pending > 0 && !options.signal?.aborted) {
      await delay(options.pollMs ?? 1000, options.signal);
      counts = await this.store.counts(batchId);
      const finished = counts.total - counts.pending;
      tracker.set(counts, finished - finishedAtStart);
      if (finished !== lastFinished) options.onProgress?.(tracker.event('progress'));
      lastFinished = finished;
    }
    let status: BatchStatus = 'queued';
    if (counts.pending === 0) {
      status = counts.failed > 0 ? 'completed_with_errors' : 'completed';
      await this.store.setStatus(batchId, status);
    }
    tracker.set(counts);
    options.onProgress?.(tracker.event('end', { status }));
    return { batchId, mode: 'queue', status, counts, durationMs: performance.now() - started };
  }

  /** Jobs whose attempts ran out, newest first. */
  async listDeadLetters(limit = 100): Promise<DeadLetter[]> {
    const jobs = await this.deadLetters.getJobs(['waiting', 'delayed', 'completed'], 0, limit - 1, false);
    return jobs.map((j) => j.data);
  }

  async close(): Promise<void> {
    await this.queue.close();
    await this.deadLetters.close();
    // BullMQ does not close connections it was given.
    await Promise.all(this.connections.map(closeRedis));
  }
}

export interface QueueWorkerDeps {
  db: Database;
  pipeline: BatchPipeline;
  redis: RedisTarget;
  logger?: Logger;
  metrics?: AutodMetrics;
}

export interface QueueWorkerOptions {
  /** Jobs at the same time in this process (default 4). */
  concurrency?: number;
  /** Requests per minute across all workers (BullMQ limiter, see `queueLimiter`). */
  rpm?: number;
  /** Limiter window (default: smooth pacing, one job per 60000/rpm ms). */
  rateWindowMs?: number;
  /** Lock of an active job; a worker that dies loses it and the job is recovered as stalled (default 30,000 ms). */
  lockDurationMs?: number;
  /** How often stalled jobs are looked for (default 30,000 ms). */
  stalledIntervalMs?: number;
  /** Wait before a job whose document another worker holds is tried again; no attempt is spent (default 1000 ms). */
  heldDelayMs?: number;
  /**
   * Wait before a job refused by a budget cap (AUTOD_BUDGET_*: its document waits with BUDGET_EXCEEDED) is tried again;
   * no attempt is spent, it is never dead-lettered (default 900,000 ms, so a raised cap is picked up within 15 min).
   */
  budgetDelayMs?: number;
  /** Called after each job with the item's new status. */
  onJob?: (e: { batchId: string; itemId: number; path: string; status: string; error?: BatchItemError }) => void;
}

/**
 * Queue mode, working side (`autod worker`): takes jobs from Redis and runs each item through the pipeline.
 * Any number of workers on any machines sharing the database and the file store may run; the pipeline's claim makes
 * every document exactly-once even when BullMQ redelivers a stalled job. Transient failures throw so BullMQ retries
 * with exponential backoff; a job out of attempts is marked failed with its reason and copied to the dead-letter
 * queue.
 */
export class QueueWorker {
  readonly store: BatchStore;
  private worker: Worker<QueueJobData> | undefined;
  private deadLetters: Queue<DeadLetter> | undefined;
  private connections: Redis[] = [];
  private readonly logger: Logger;

  constructor(
    private readonly deps: QueueWorkerDeps,
    private readonly options: QueueWorkerOptions = {},
  ) {
    this.store = new BatchStore(deps.db);
    this.logger = deps.logger ?? noopLogger;
  }

  /** Migrate, recover interrupted work of this host, and start taking jobs. */
  async start(): Promise<void> {
    if (this.worker) return;
    await migrateBatchTables(this.deps.db);
    await this.deps.pipeline.recover();
    const prefix = this.deps.redis.prefix ?? 'autod';
    this.connections = [redisConnection(this.deps.redis.url), redisConnection(this.deps.redis.url)];
    await ensureRedisReachable(this.connections, this.deps.redis.url, this.deps.redis.connectTimeoutMs);
    this.deadLetters = new (bullmq().Queue)<DeadLetter>(DEAD_LETTER_QUEUE_NAME, {
      connection: this.connections[0]!,
      prefix,
    });
    const o = this.options;
    this.worker = new (bullmq().Worker)<QueueJobData>(
      QUEUE_NAME,
      (job, token, signal) => this.process(job, token, signal),
      {
        connection: this.connections[1]!,
        prefix,
        concurrency: Math.max(1, o.concurrency ?? 4),
        ...(o.rpm ? { limiter: queueLimiter(o.rpm, o.rateWindowMs) } : {}),
        ...(o.lockDurationMs ? { lockDuration: o.lockDurationMs } : {}),
        ...(o.stalledIntervalMs ? { stalledInterval: o.stalledIntervalMs } : {}),
        maxStalledCount: 3,
        removeOnFail: { count: 100_000 },
      },
    );
    this.worker.on('failed', (job, error) => {
      if (!job || job.attemptsMade < (job.opts.attempts ?? 1)) return;
      // Out of attempts for a reason the processor could not record itself (e.g. the database was down).
      void this.deadLetter(job, job.attemptsMade, { code: toAutodError(error).code, message: error.message }).catch(
        (e: unknown) => this.logger.error({ err: e, jobId: job.id }, 'could not dead-letter a job'),
      );
    });
    this.worker.on('error', (error) => this.logger.error({ err: error }, 'queue worker error'));
    try {
      await this.worker.waitUntilReady();
    } catch (error) {
      // Nothing may keep the process alive after a failed start.
      await this.close().catch(() => undefined);
      throw error;
    }
  }

  private async deadLetter(
    job: { id?: string | undefined; data: QueueJobData },
    attempts: number,
    error: BatchItemError,
  ): Promise<void> {
    const item = await this.store.item(job.data.itemId);
    if (item?.status === 'pending') await this.store.updateItem(item.id, { status: 'failed', error, attempts });
    await this.deadLetters?.add(
      'dead',
      { ...job.data, error, attempts, failedAt: new Date().toISOString() },
      {
        jobId: `dead-${job.id ?? `${job.data.batchId}-${job.data.itemId}`}`,
        removeOnComplete: false,
        removeOnFail: false,
      },
    );
  }

  private async process(job: Job<QueueJobData>, token: string | undefined, signal?: AbortSignal): Promise<string> {
    const { db, pipeline } = this.deps;
    const item = await this.store.item(job.data.itemId);
    // Idempotent: a redelivered (stalled) job of a finished item does nothing.
    if (!item || item.status !== 'pending') return item?.status ?? 'missing';
    const attempts = job.attemptsMade + 1;
    const result = await attemptItem({ db, pipeline, store: this.store }, item, signal);
    const notify = (status: string, error?: BatchItemError) =>
      this.options.onJob?.({
        batchId: item.batchId,
        itemId: item.id,
        path: item.path,
        status,
        ...(error ? { error } : {}),
      });
    if (result.kind === 'final') {
      await this.store.updateItem(item.id, { ...result.patch, attempts });
      notify(result.patch.status, result.patch.error ?? undefined);
      return result.patch.status;
    }
    if (result.kind === 'aborted') throw new Error('The worker is shutting down; the job will run again.');
    if (result.error.code === 'CLAIM_HELD') {
      // Another worker is on the same content (a copy of the file in this batch): wait for it without spending an
      // attempt. It ends: the holder finishes, or its lease runs out and the claim is taken over.
      await job.moveToDelayed(Date.now() + (this.options.heldDelayMs ?? 1000), token);
      throw new (bullmq().DelayedError)();
    }
    if (result.error.code === 'BUDGET_EXCEEDED') {
      await this.store.updateItem(item.id, { error: result.error });
      notify('waiting', result.error);
      await job.moveToDelayed(Date.now() + (this.options.budgetDelayMs ?? 900_000), token);
      throw new (bullmq().DelayedError)();
    }
    await this.store.updateItem(item.id, { error: result.error, attempts });
    if (attempts >= (job.opts.attempts ?? 1)) {
      await this.deadLetter(job, attempts, result.error);
      notify('failed', result.error);
      throw new (bullmq().UnrecoverableError)(`${result.error.code}: ${result.error.message}`);
    }
    throw new Error(`${result.error.code}: ${result.error.message}`);
  }

  /** Stop taking jobs and wait for the active ones (graceful: SIGTERM). */
  async close(): Promise<void> {
    await this.worker?.close();
    await this.deadLetters?.close();
    await Promise.all(this.connections.map(closeRedis));
    this.connections = [];
    this.worker = undefined;
  }
}
