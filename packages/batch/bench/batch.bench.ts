/**
 * Throughput of the batch runners against the OpenAI emulator with a fixed 200 ms latency.
 *
 * PDF parsing is stubbed out: the "pipeline" reads and hashes each file, calls the checkpoint hook and sends a tiny PDF
 * through the real ApiClient over HTTP, so the numbers measure the orchestration — scheduling, checkpointing every item
 * in SQLite, the API client and the queue — and not pdf.js.
 *
 * Steady state, as in a backfill of thousands of files: every measurement is preceded by a warm-up at the same
 * concurrency (JIT, keep-alive connections) and runs 20 rounds (20 × concurrency items), three times; the medians are
 * reported with the spread.
 *
 * - sequential: concurrency 1 (baseline, ≈ 1 / 200 ms)
 * - live: concurrency 8, 16, 32; efficiency = throughput / (concurrency × sequential throughput), target ≥ 0.9
 * - ceiling: the same number of bare `extractMetadata` calls with the same concurrency, no runner; `vsCeiling` =
 *   live / ceiling isolates the runner from the client
 * - queue: 1, 2 and 4 in-process BullMQ workers (concurrency 4 each); scaling ratio vs 1 worker
 *
 * The emulator runs in its own process (testkit's `startEmulatorChild`, loopback), so the CPU this process spends per item
 * (`autodCpuMsPerItem`: runner + SQLite checkpoints + API client) is measured apart from the emulator's
 * (`emulatorCpuMsPerItem`). `vsIdeal` = throughput / (concurrency / latency).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { it } from 'vitest';
import { ApiClient } from '@autod/api-client';
import { createDatabase, type Database } from '@autod/db';
import { readDocumentFile, type ProcessFileHooks, type ProcessOutcome } from '@autod/pipeline';
import { tempSqliteUrl } from '@autod/testkit';
import { startEmulatorChild } from '@autod/testkit';
import { BatchRunner, QueueProducer, QueueWorker, redisConnection, type BatchPipeline } from '../src/index.js';

const LATENCY_MS = 200;
const ROUNDS = 20;
const RUNS = 3;
const REDIS_URL = process.env['AUTOD_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const OUT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../bench-results/batch.json');

function stubPipeline(client: ApiClient, dirs: BatchPipeline['dirs']): BatchPipeline {
  let id = 0;
  const pdf = new TextEncoder().encode('%PDF-1.4\n1 0 obj << /Type /Page >> endobj\n%%EOF');
  return {
    dirs,
    recover: async () => ({ filed: 0, released: 0, failed: 0, indexed: 0 }),
    // What the real pipeline does around the model call: one read, SHA-256, the checkpoint hook, then extraction.
    processFile: async (path: string, _signal?: AbortSignal, hooks?: ProcessFileHooks): Promise<ProcessOutcome> => {
      const file = await readDocumentFile(path, 1024 * 1024);
      if (file.kind !== 'read') throw new Error(`cannot read ${path}: ${file.kind}`);
      const sha256 = createHash('sha256').update(file.bytes).digest('hex');
      await hooks?.onHashed?.(sha256);
      const r = await client.extractMetadata({
        pdf,
        fileName: 'x.pdf',
        sourceFileId: sha256,
        processedAt: new Date().toISOString(),
      });
      return {
        kind: 'processed',
        path,
        sha256,
        documentId: ++id,
        destination: path,
        provider: 'openai',
        model: r.model,
        costUsd: r.costUsd,
        title: null,
      };
    },
  };
}

async function files(dir: string, n: number): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  for (let i = 0; i < n; i++)
    await writeFile(join(dir, `f${String(i).padStart(5, '0')}.pdf`), `%PDF-1.4 ${i} ${randomBytes(4).toString('hex')}`);
}

it('batch throughput: sequential vs live vs queue', async () => {
  const emulator = await startEmulatorChild({
    latencyMs: { distribution: 'fixed', mean: LATENCY_MS, min: LATENCY_MS, max: LATENCY_MS },
  });
  const client = new ApiClient({
    apiKey: 'sk-bench',
    baseURL: emulator.url,
    model: 'gpt-5-mini',
    breaker: { enabled: false },
    retry: { maxAttempts: 1 },
  });
  const root = await mkdtemp(join(tmpdir(), 'autod-batch-bench-'));
  const dirs = {
    inbox: join(root, 'inbox'),
    processed: join(root, 'processed'),
    failed: join(root, 'failed'),
    duplicates: join(root, 'duplicates'),
  };
  const sqlite = await tempSqliteUrl();
  const db: Database = await createDatabase({ url: sqlite.url });
  await db.migrate.latest();
  const pipeline = stubPipeline(client, dirs);
  const results: Record<string, unknown> = { latencyMs: LATENCY_MS, emulator: 'separate process (loopback)' };

  /** Runs `fn`, returning items/s plus this process's and the emulator's CPU ms per item. */
  const measure = async (n: number, fn: () => Promise<void>) => {
    await emulator.resetStats();
    const cpu0 = process.cpuUsage();
    const t = performance.now();
    await fn();
    const sec = (performance.now() - t) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const emu = await emulator.stats();
    return {
      perSec: n / sec,
      autodCpuMsPerItem: (cpu.user + cpu.system) / 1000 / n,
      emulatorCpuMsPerItem: emu.cpuMs / Math.max(1, emu.total),
    };
  };

  const live = async (concurrency: number, n: number) => {
    await files(dirs.inbox, n);
    const runner = new BatchRunner({ db, pipeline }, { concurrency });
    const batch = await runner.create([dirs.inbox], { reuse: false });
    return measure(n, async () => {
      const r = await runner.run(batch.id);
      if (r.counts.done !== n) throw new Error(`expected ${n} done, got ${JSON.stringify(r.counts)}`);
    });
  };

  const pdf = new TextEncoder().encode('%PDF-1.4\n1 0 obj << /Type /Page >> endobj\n%%EOF');
  const ceiling = async (c: number, n: number) => {
    let next = 0;
    return measure(n, async () => {
      await Promise.all(
        Array.from({ length: c }, async () => {
          while (next++ < n)
            await client.extractMetadata({
              pdf,
              fileName: 'x.pdf',
              sourceFileId: 'a'.repeat(64),
              processedAt: new Date().toISOString(),
            });
        }),
      );
    });
  };

  type Sample = Awaited<ReturnType<typeof measure>>;
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  const summarize = (runs: Sample[]) => ({
    perSec: median(runs.map((r) => r.perSec)),
    perSecRuns: runs.map((r) => Math.round(r.perSec * 10) / 10),
    autodCpuMsPerItem: median(runs.map((r) => r.autodCpuMsPerItem)),
    emulatorCpuMsPerItem: median(runs.map((r) => r.emulatorCpuMsPerItem)),
  });

  await ceiling(1, 5); // warm-up: JIT, the emulator's caches
  await live(1, 5);
  const seqRuns: Sample[] = [];
  for (let r = 0; r < RUNS; r++) seqRuns.push(await live(1, ROUNDS));
  const seq = summarize(seqRuns);
  const sequential = seq.perSec;
  results['sequentialPerSec'] = sequential;
  results['sequentialPerSecRuns'] = seq.perSecRuns;
  results['sequentialVsIdeal'] = sequential / (1000 / LATENCY_MS);
  results['sequentialAutodCpuMsPerItem'] = seq.autodCpuMsPerItem;
  const liveRows = [];
  for (const c of [8, 16, 32]) {
    await ceiling(c, c * 3); // warm-up at this concurrency: c keep-alive connections
    const runs: Sample[] = [];
    const bares: Sample[] = [];
    for (let r = 0; r < RUNS; r++) {
      runs.push(await live(c, c * ROUNDS));
      bares.push(await ceiling(c, c * ROUNDS));
    }
    const run = summarize(runs);
    const bare = summarize(bares);
    liveRows.push({
      concurrency: c,
      ...run,
      efficiency: run.perSec / (c * sequential),
      vsIdeal: run.perSec / (c * (1000 / LATENCY_MS)),
      ceilingPerSec: bare.perSec,
      ceilingPerSecRuns: bare.perSecRuns,
      ceilingClientCpuMsPerCall: bare.autodCpuMsPerItem,
      vsCeiling: run.perSec / bare.perSec,
    });
  }
  results['live'] = liveRows;
  results['target'] = { efficiency: 0.9, met: liveRows.every((r) => r.efficiency >= 0.9) };

  const queueRows = [];
  for (const workers of [1, 2, 4]) {
    const prefix = `autod-bench-${randomBytes(4).toString('hex')}`;
    const n = workers * 4 * ROUNDS;
    await files(dirs.inbox, n);
    const producer = new QueueProducer({ db, redis: { url: REDIS_URL, prefix }, dirs });
    const ws = Array.from(
      { length: workers },
      () => new QueueWorker({ db, pipeline, redis: { url: REDIS_URL, prefix } }, { concurrency: 4 }),
    );
    for (const w of ws) await w.start();
    const batch = await producer.create([dirs.inbox]);
    const m = await measure(n, async () => {
      await producer.enqueue(batch.id);
      const r = await producer.waitFor(batch.id, { pollMs: 20 });
      if (r.counts.done !== n) throw new Error(`queue: expected ${n} done, got ${JSON.stringify(r.counts)}`);
    });
    await producer.store.setStatus(batch.id, 'completed');
    for (const w of ws) await w.close();
    await producer.close();
    const redis = redisConnection(REDIS_URL);
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
    queueRows.push({
      workers,
      concurrencyPerWorker: 4,
      perSec: m.perSec,
      vsIdeal: m.perSec / (workers * 4 * (1000 / LATENCY_MS)),
      autodCpuMsPerItem: m.autodCpuMsPerItem,
    });
  }
  const base = queueRows[0]?.perSec ?? 1;
  results['queue'] = queueRows.map((q) => ({ ...q, scaling: q.perSec / base }));

  console.log(JSON.stringify(results, null, 2));
  await mkdir(dirname(OUT), { recursive: true });
  await writeFile(
    OUT,
    JSON.stringify(
      {
        package: '@autod/batch',
        at: new Date().toISOString(),
        machine: { cpus: availableParallelism(), loadAverage1m: loadavg()[0] },
        ...results,
      },
      null,
      2,
    ) + '\n',
  );
  client.close();
  await emulator.close();
  await db.close();
  await sqlite.cleanup();
  await rm(root, { recursive: true, force: true });
});
