import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ProcessFileHooks } from '@autod/pipeline';
import { sandbox, pipelineFor, writeCorpus, type Sandbox } from './__tests__/helpers.js';
import { errorFor } from '@autod/errors';
import { LocalExtractor, type Extractor } from '@autod/pipeline';
import { QueueProducer, QueueWorker, queueLimiter, redisConnection } from './queue.js';

const REDIS_URL = process.env['AUTOD_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
let sb: Sandbox;
let prefix: string;
const closers: (() => Promise<unknown>)[] = [];

beforeEach(async () => {
  sb = await sandbox();
  prefix = `autod-test-${randomBytes(4).toString('hex')}`;
});
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close().catch(() => undefined);
  const redis = redisConnection(REDIS_URL);
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
  await sb.cleanup();
});

describe('queueLimiter', () => {
  it('paces one job per 60000/rpm ms by default, or rpm-per-window for a given window', () => {
    expect(queueLimiter(600)).toEqual({ max: 1, duration: 100 });
    expect(queueLimiter(7)).toEqual({ max: 1, duration: 8572 });
    expect(queueLimiter(600, 1000)).toEqual({ max: 10, duration: 1000 });
    expect(() => queueLimiter(0)).toThrow(/positive/);
  });
});

describe('queue mode without Redis', () => {
  it('fails fast with QUEUE_UNAVAILABLE instead of hanging when Redis cannot be reached', async () => {
    const unreachable = { url: 'redis://:s3cret@127.0.0.1:1', prefix, connectTimeoutMs: 500 };
    const worker = new QueueWorker({ db: sb.db, pipeline: pipelineFor(sb), redis: unreachable });
    const error = await worker.start().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'QUEUE_UNAVAILABLE' });
    expect((error as Error).message).not.toContain('s3cret');
    await worker.close();
    const producer = new QueueProducer({ db: sb.db, redis: unreachable, dirs: sb.dirs });
    await writeCorpus(sb.dirs.inbox, 1);
    await expect(producer.start([sb.dirs.inbox])).rejects.toMatchObject({ code: 'QUEUE_UNAVAILABLE' });
    await producer.close();
  });
});

describe('queue mode (in-process workers)', () => {
  it('no head-of-line blocking: a slow job holds one slot, the other jobs finish meanwhile', async () => {
    const files = await writeCorpus(sb.dirs.inbox, 5);
    const slowPath = files[0]!;
    let open: () => void = () => undefined;
    const gate = new Promise<void>((r) => (open = r));
    const real = pipelineFor(sb);
    const pipeline = {
      dirs: real.dirs,
      recover: () => real.recover(),
      processFile: async (path: string, signal?: AbortSignal, hooks?: ProcessFileHooks) => {
        if (path === slowPath) await gate;
        return real.processFile(path, signal, hooks);
      },
    };
    const producer = new QueueProducer({ db: sb.db, redis: { url: REDIS_URL, prefix }, dirs: sb.dirs });
    closers.push(() => producer.close());
    const batch = await producer.start([sb.dirs.inbox]);
    const finished: string[] = [];
    const worker = new QueueWorker(
      { db: sb.db, pipeline, redis: { url: REDIS_URL, prefix } },
      {
        concurrency: 2,
        onJob: (e) => {
          finished.push(e.path);
          if (finished.length === 4) open();
        },
      },
    );
    closers.push(() => worker.close());
    await worker.start();
    const result = await producer.waitFor(batch.id, { pollMs: 50 });
    expect(result.counts).toMatchObject({ total: 5, done: 5 });
    expect(finished.slice(0, 4).sort()).toEqual(files.slice(1).sort());
    expect(finished[4]).toBe(slowPath);
  });

  it('processes every item exactly once across two workers and dead-letters items whose attempts run out', async () => {
    await writeCorpus(sb.dirs.inbox, 20, 2);
    const producer = new QueueProducer(
      { db: sb.db, redis: { url: REDIS_URL, prefix }, dirs: sb.dirs },
      { attempts: 2, backoffMs: 10 },
    );
    closers.push(() => producer.close());
    const batch = await producer.start([sb.dirs.inbox]);
    expect(batch.total).toBe(22);
    // Enqueueing again (resume) adds no second job for a queued item.
    expect(await producer.queue.getJobCountByTypes('waiting')).toBe(22);
    await producer.enqueue(batch.id);
    expect(await producer.queue.getJobCountByTypes('waiting')).toBe(22);

    // One document is "rate limited" forever: it must end failed, with its reason, in the dead-letter list.
    const blocked = (await producer.store.items(batch.id))[5]!.path;
    const flaky = (owner: string) => {
      const real = pipelineFor(sb, undefined, owner);
      return {
        dirs: real.dirs,
        recover: () => real.recover(),
        processFile: (path: string, signal?: AbortSignal, hooks?: ProcessFileHooks) =>
          path === blocked
            ? Promise.resolve({
                kind: 'retry_later' as const,
                path,
                sha256: 'x',
                documentId: 0,
                error: {
                  name: 'RateLimitError',
                  code: 'RATE_LIMITED',
                  category: 'rate_limit',
                  message: 'slow down',
                  hint: '',
                  retryable: true,
                  httpStatus: 429,
                  exitCode: 1,
                },
              })
            : real.processFile(path, signal, hooks),
      } as never;
    };
    const workers = ['w1', 'w2'].map(
      (owner) =>
        new QueueWorker({ db: sb.db, pipeline: flaky(owner), redis: { url: REDIS_URL, prefix } }, { concurrency: 3 }),
    );
    for (const w of workers) {
      closers.push(() => w.close());
      await w.start();
    }
    const result = await producer.waitFor(batch.id, { pollMs: 50 });
    expect(result.counts.pending).toBe(0);
    expect(result.counts).toMatchObject({ total: 22, done: 19, duplicate: 2, failed: 1 });
    expect(result.status).toBe('completed_with_errors');
    const items = await producer.store.items(batch.id);
    expect(items.filter((i) => i.status === 'failed')).toEqual([
      expect.objectContaining({ path: blocked, attempts: 2, error: { code: 'RATE_LIMITED', message: 'slow down' } }),
    ]);
    const dead = await producer.listDeadLetters();
    expect(dead).toEqual([
      expect.objectContaining({ path: blocked, attempts: 2, error: { code: 'RATE_LIMITED', message: 'slow down' } }),
    ]);
    const rows = (await sb.db
      .knex('extraction_attempts')
      .where('status', 'succeeded')
      .select('document_id')) as unknown as { document_id: number }[];
    expect(rows).toHaveLength(result.counts.done);
    expect(new Set(rows.map((r) => r.document_id)).size).toBe(rows.length);
  });

  it('a budget cap delays jobs without spending attempts: never dead-lettered, done once the cap allows', async () => {
    await writeCorpus(sb.dirs.inbox, 3);
    const producer = new QueueProducer(
      { db: sb.db, redis: { url: REDIS_URL, prefix }, dirs: sb.dirs },
      { attempts: 1, backoffMs: 10 },
    );
    closers.push(() => producer.close());
    const batch = await producer.start([sb.dirs.inbox]);
    let capped = true;
    const local = new LocalExtractor();
    const extractor: Extractor = {
      provider: 'local',
      model: local.model,
      needsOcr: false,
      extract: async (input) => {
        if (capped)
          throw errorFor('BUDGET_EXCEEDED', 'The daily budget would be exceeded.', { retryAfterMs: 3_600_000 });
        return local.extract(input);
      },
    };
    const events: string[] = [];
    const worker = new QueueWorker(
      { db: sb.db, pipeline: pipelineFor(sb, extractor), redis: { url: REDIS_URL, prefix } },
      {
        concurrency: 2,
        budgetDelayMs: 50,
        onJob: (e) => {
          events.push(e.status);
          if (events.filter((x) => x === 'waiting').length >= 6) capped = false;
        },
      },
    );
    closers.push(() => worker.close());
    await worker.start();
    const result = await producer.waitFor(batch.id, { pollMs: 50 });
    expect(result.counts).toMatchObject({ total: 3, done: 3, failed: 0, pending: 0 });
    expect(events.filter((x) => x === 'waiting').length).toBeGreaterThanOrEqual(6);
    expect(await producer.listDeadLetters()).toEqual([]);
  });
});
