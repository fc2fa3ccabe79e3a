/**
 * Throughput of the batch runners against the OpenAI emulator with a fixed 200 ms latency.
 *
 * PDF parsing is stubbed out: the "pipeline" reads and hashes each file, calls the checkpoint hook and sends a tiny PDF
 * through the real ApiClient over HTTP, so the numbers measure the orchestration — scheduling, checkpointing every item
 * in SQLite, the API client and the queue — and not pdf.js.
 *
 * Steady state, as in a backfill of thousands of files: every measurement is preceded by a warm-up at the same
 * concurrency (JIT, keep-alive connections) and runs 20 rounds (20 × concurrency items), up to three times, alternating
 * with the ceilings below so that load changes hit both; medians are reported with the spread.
 *
 * - sequential: concurrency 1
 * - live: concurrency 32, 16, 8 (32 first: it carries the target)
 * - ceiling (the goal's yardstick): a minimal loop of bare SDK `responses.create` calls with the same request body, the
 *   same concurrency and the same emulator process, no runner and no ApiClient. The ideal `concurrency / latency` is
 *   beyond 2 cores for any client (see the api-client bench), so the target is live c = 32 ≥ 0.9 × ceiling.
 * - client loop: the same with bare `ApiClient.extractMetadata` callers (isolates the runner from the client)
 * - queue: 1, 2 and 4 in-process BullMQ workers (concurrency 4 each); scaling ratio vs 1 worker
 *
 * Time budget: AUTOD_BENCH_BUDGET_S (default 180 s). Steps run in order of importance and a step that would start after
 * the budget is spent is skipped; the JSON lists what finished and what was skipped, so a loaded machine gives a
 * shorter report instead of a timeout.
 *
 * The emulator runs in its own process (testkit's `startEmulatorChild`, loopback), so the CPU this process spends per
 * item (`autodCpuMsPerItem`: runner + SQLite checkpoints + API client) is measured apart from the emulator's
 * (`emulatorCpuMsPerItem`). `vsIdeal` = throughput / (concurrency / latency), for reference only.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
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
const BUDGET_S = Number(process.env['AUTOD_BENCH_BUDGET_S'] ?? 180);
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
        category: null,
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

it('batch throughput: live vs the bare-SDK ceiling, sequential, queue (within a time budget)', async () => {
  const began = performance.now();
  const elapsedS = () => (performance.now() - began) / 1000;
  const finished: string[] = [];
  const skipped: string[] = [];
  /** Runs `fn` unless the budget is spent (then records `name` as skipped). */
  const step = async <T>(name: string, fn: () => Promise<T>): Promise<T | undefined> => {
    if (elapsedS() >= BUDGET_S) {
      skipped.push(name);
      return undefined;
    }
    const out = await fn();
    finished.push(name);
    return out;
  };

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
  const sdk = new OpenAI({ apiKey: 'sk-bench', baseURL: emulator.url, maxRetries: 0 });
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
  const loads: number[] = [];

  /** Runs `fn`, returning items/s plus this process's and the emulator's CPU ms per item. */
  const measure = async (n: number, fn: () => Promise<void>) => {
    loads.push(loadavg()[0] ?? 0);
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
  const input = { pdf, fileName: 'x.pdf', sourceFileId: 'a'.repeat(64), processedAt: new Date().toISOString() };
  const body = client.buildExtractionRequestBody(input) as unknown as OpenAI.Responses.ResponseCreateParamsNonStreaming;
  /** `c` callers looping over `n` calls of `call`, nothing else. */
  const loop = (c: number, n: number, call: () => Promise<unknown>) => {
    let next = 0;
    return measure(n, async () => {
      await Promise.all(
        Array.from({ length: c }, async () => {
          while (next++ < n) await call();
        }),
      );
    });
  };
  const ceiling = (c: number, n: number) => loop(c, n, () => sdk.responses.create(body));
  const clientLoop = (c: number, n: number) => loop(c, n, () => client.extractMetadata(input));

  type Sample = Awaited<ReturnType<typeof measure>>;
  const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    const m = Math.floor(s.length / 2);
    return s.length === 0 ? 0 : s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
  };
  const summarize = (runs: Sample[]) => ({
    perSec: median(runs.map((r) => r.perSec)),
    perSecRuns: runs.map((r) => Math.round(r.perSec * 10) / 10),
    autodCpuMsPerItem: median(runs.map((r) => r.autodCpuMsPerItem)),
    emulatorCpuMsPerItem: median(runs.map((r) => r.emulatorCpuMsPerItem)),
  });

  try {
    await ceiling(1, 5); // warm-up: JIT, the emulator's caches
    await clientLoop(1, 5);
    await live(1, 5);
    const seqRuns: Sample[] = [];
    const seq1 = await step('sequential run 1', () => live(1, ROUNDS));
    if (seq1) seqRuns.push(seq1);

    const liveRows = [];
    for (const c of [32, 16, 8]) {
      const runs: Sample[] = [];
      const sdkRuns: Sample[] = [];
      const clientRuns: Sample[] = [];
      const warm = await step(`live c=${c} warm-up`, async () => {
        await ceiling(c, c * 3); // c keep-alive connections
        await live(c, c * 2);
        return true;
      });
      if (!warm) continue;
      for (let r = 0; r < RUNS; r++) {
        // One run = live, ceiling, client loop back to back (about the same load for the three).
        const trio = await step(`live c=${c} run ${r + 1}`, async () => ({
          live: await live(c, c * ROUNDS),
          sdk: await ceiling(c, c * ROUNDS),
          client: await clientLoop(c, c * ROUNDS),
        }));
        if (!trio) break;
        runs.push(trio.live);
        sdkRuns.push(trio.sdk);
        clientRuns.push(trio.client);
      }
      if (runs.length === 0) continue;
      const run = summarize(runs);
      const bare = summarize(sdkRuns);
      const cl = summarize(clientRuns);
      liveRows.push({
        concurrency: c,
        runs: runs.length,
        ...run,
        ceilingPerSec: bare.perSec,
        ceilingPerSecRuns: bare.perSecRuns,
        ceilingCpuMsPerCall: bare.autodCpuMsPerItem,
        clientLoopPerSec: cl.perSec,
        clientLoopPerSecRuns: cl.perSecRuns,
        clientLoopCpuMsPerCall: cl.autodCpuMsPerItem,
        /** live / bare-SDK ceiling, per run then the median: the goal (≥ 0.9 at c = 32). */
        vsCeiling: median(runs.map((x, i) => x.perSec / (sdkRuns[i] as Sample).perSec)),
        /** live / bare ApiClient loop: the runner's own cost. */
        vsClientLoop: median(runs.map((x, i) => x.perSec / (clientRuns[i] as Sample).perSec)),
        /** bare ApiClient loop / bare SDK loop: the client's own cost. */
        clientLoopVsCeiling: median(clientRuns.map((x, i) => x.perSec / (sdkRuns[i] as Sample).perSec)),
        vsIdeal: run.perSec / (c * (1000 / LATENCY_MS)),
        ceilingVsIdeal: bare.perSec / (c * (1000 / LATENCY_MS)),
      });
    }

    for (let r = 1; r < RUNS; r++) {
      const s = await step(`sequential run ${r + 1}`, () => live(1, ROUNDS));
      if (s) seqRuns.push(s);
    }
    if (seqRuns.length > 0) {
      const seq = summarize(seqRuns);
      results['sequentialPerSec'] = seq.perSec;
      results['sequentialPerSecRuns'] = seq.perSecRuns;
      results['sequentialVsIdeal'] = seq.perSec / (1000 / LATENCY_MS);
      results['sequentialAutodCpuMsPerItem'] = seq.autodCpuMsPerItem;
      for (const row of liveRows) Object.assign(row, { efficiency: row.perSec / (row.concurrency * seq.perSec) });
    }
    results['live'] = liveRows;
    const c32 = liveRows.find((r) => r.concurrency === 32);
    results['target'] = {
      goal: 'live at concurrency 32 ≥ 0.9 × the bare-SDK ceiling measured in the same run',
      vsCeiling: c32?.vsCeiling ?? null,
      met: c32 ? c32.vsCeiling >= 0.9 : null,
    };

    const queueRows = [];
    for (const workers of [1, 2, 4]) {
      const row = await step(`queue ${workers} worker(s)`, async () => {
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
        return {
          workers,
          concurrencyPerWorker: 4,
          perSec: m.perSec,
          vsIdeal: m.perSec / (workers * 4 * (1000 / LATENCY_MS)),
          autodCpuMsPerItem: m.autodCpuMsPerItem,
        };
      });
      if (row) queueRows.push(row);
    }
    const base = queueRows[0]?.perSec ?? 1;
    results['queue'] = queueRows.map((q) => ({ ...q, scaling: q.perSec / base }));
  } finally {
    results['budget'] = { seconds: BUDGET_S, elapsedS: Math.round(elapsedS()), finished, skipped };
    console.log(JSON.stringify(results, null, 2));
    await mkdir(dirname(OUT), { recursive: true });
    await writeFile(
      OUT,
      JSON.stringify(
        {
          package: '@autod/batch',
          command: 'pnpm --filter @autod/batch run bench',
          at: new Date().toISOString(),
          machine: {
            cpus: availableParallelism(),
            loadAverage1m: { min: Math.min(...loads), median: median(loads), max: Math.max(...loads) },
          },
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
  }
});
