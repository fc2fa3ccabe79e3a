/**
 * Throughput of the batch runners against the OpenAI emulator with a fixed 200 ms latency.
 *
 * PDF parsing is stubbed out (the "pipeline" hashes nothing, reads nothing and sends a tiny PDF through the real
 * ApiClient over HTTP), so the numbers measure the orchestration — scheduling, checkpointing every item in SQLite,
 * the API client and the queue — and not pdf.js on a shared 2-core machine.
 *
 * - sequential: concurrency 1 (baseline, ≈ 1 / 200 ms)
 * - live: concurrency 8, 16, 32; efficiency = throughput / (concurrency × sequential throughput), target ≥ 0.9
 * - ceiling: the same number of bare `extractMetadata` calls in a loop, no runner (emulator and client share this
 *   process's CPU, so on a small machine this caps every mode; `vsCeiling` = live / ceiling isolates the runner)
 * - queue: 1, 2 and 4 in-process BullMQ workers (concurrency 4 each); scaling ratio vs 1 worker
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { it } from 'vitest';
import { ApiClient } from '@autod/api-client';
import { createDatabase, type Database } from '@autod/db';
import type { ProcessOutcome } from '@autod/pipeline';
import { startEmulator, tempSqliteUrl } from '@autod/testkit';
import { BatchRunner, QueueProducer, QueueWorker, redisConnection, type BatchPipeline } from '../src/index.js';

const LATENCY_MS = 200;
const REDIS_URL = process.env['AUTOD_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const OUT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../bench-results/batch.json');

function stubPipeline(client: ApiClient, dirs: BatchPipeline['dirs']): BatchPipeline {
  let id = 0;
  const pdf = new TextEncoder().encode('%PDF-1.4\n1 0 obj << /Type /Page >> endobj\n%%EOF');
  return {
    dirs,
    recover: async () => ({ filed: 0, released: 0 }),
    processFile: async (path: string): Promise<ProcessOutcome> => {
      const r = await client.extractMetadata({ pdf, fileName: 'x.pdf', sourceFileId: 'a'.repeat(64), processedAt: new Date().toISOString() });
      return { kind: 'processed', path, sha256: 'a'.repeat(64), documentId: ++id, destination: path, provider: 'openai', model: r.model, costUsd: r.costUsd, title: null };
    },
  };
}

async function files(dir: string, n: number): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  for (let i = 0; i < n; i++) await writeFile(join(dir, `f${String(i).padStart(5, '0')}.pdf`), `%PDF-1.4 ${i} ${randomBytes(4).toString('hex')}`);
}

it('batch throughput: sequential vs live vs queue', async () => {
  const emulator = await startEmulator({ latencyMs: { distribution: 'fixed', mean: LATENCY_MS, min: LATENCY_MS, max: LATENCY_MS } });
  const client = new ApiClient({ apiKey: 'sk-bench', baseURL: emulator.url, model: 'gpt-5-mini', breaker: { enabled: false }, retry: { maxAttempts: 1 } });
  const root = await mkdtemp(join(tmpdir(), 'autod-batch-bench-'));
  const dirs = { inbox: join(root, 'inbox'), processed: join(root, 'processed'), failed: join(root, 'failed'), duplicates: join(root, 'duplicates') };
  const sqlite = await tempSqliteUrl();
  const db: Database = await createDatabase({ url: sqlite.url });
  await db.migrate.latest();
  const pipeline = stubPipeline(client, dirs);
  const results: Record<string, unknown> = { latencyMs: LATENCY_MS };

  const live = async (concurrency: number, n: number): Promise<number> => {
    await files(dirs.inbox, n);
    const runner = new BatchRunner({ db, pipeline }, { concurrency });
    const batch = await runner.create([dirs.inbox], { reuse: false });
    const t = performance.now();
    const r = await runner.run(batch.id);
    if (r.counts.done !== n) throw new Error(`expected ${n} done, got ${JSON.stringify(r.counts)}`);
    return n / ((performance.now() - t) / 1000);
  };

  const ceiling = async (c: number, n: number): Promise<number> => {
    const pdf = new TextEncoder().encode('%PDF-1.4\n1 0 obj << /Type /Page >> endobj\n%%EOF');
    let next = 0;
    const t = performance.now();
    await Promise.all(
      Array.from({ length: c }, async () => {
        while (next++ < n) await client.extractMetadata({ pdf, fileName: 'x.pdf', sourceFileId: 'a'.repeat(64), processedAt: new Date().toISOString() });
      }),
    );
    return n / ((performance.now() - t) / 1000);
  };

  const sequential = await live(1, 10);
  results['sequentialPerSec'] = sequential;
  const liveRows = [];
  for (const c of [8, 16, 32]) {
    const perSec = await live(c, c * 6);
    const bare = await ceiling(c, c * 6);
    liveRows.push({ concurrency: c, perSec, efficiency: perSec / (c * sequential), ceilingPerSec: bare, vsCeiling: perSec / bare });
  }
  results['live'] = liveRows;

  const queueRows = [];
  for (const workers of [1, 2, 4]) {
    const prefix = `autod-bench-${randomBytes(4).toString('hex')}`;
    const n = workers * 4 * 6;
    await files(dirs.inbox, n);
    const producer = new QueueProducer({ db, redis: { url: REDIS_URL, prefix }, dirs });
    const ws = Array.from({ length: workers }, () => new QueueWorker({ db, pipeline, redis: { url: REDIS_URL, prefix } }, { concurrency: 4 }));
    for (const w of ws) await w.start();
    const batch = await producer.create([dirs.inbox]);
    const t = performance.now();
    await producer.enqueue(batch.id);
    const r = await producer.waitFor(batch.id, { pollMs: 20 });
    const perSec = n / ((performance.now() - t) / 1000);
    if (r.counts.done !== n) throw new Error(`queue: expected ${n} done, got ${JSON.stringify(r.counts)}`);
    await producer.store.setStatus(batch.id, 'completed');
    for (const w of ws) await w.close();
    await producer.close();
    const redis = redisConnection(REDIS_URL);
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
    queueRows.push({ workers, concurrencyPerWorker: 4, perSec });
  }
  const base = queueRows[0]?.perSec ?? 1;
  results['queue'] = queueRows.map((q) => ({ ...q, scaling: q.perSec / base }));

  console.log(JSON.stringify(results, null, 2));
  await mkdir(dirname(OUT), { recursive: true });
  await writeFile(OUT, JSON.stringify({ package: '@autod/batch', at: new Date().toISOString(), ...results }, null, 2) + '\n');
  client.close();
  await emulator.close();
  await db.close();
  await sqlite.cleanup();
  await rm(root, { recursive: true, force: true });
});
