/**
 * A standalone entry for batch processes without the CLI's config layer (tests, benchmarks, minimal deployments):
 *
 *   node packages/batch/dist/worker-main.js worker '<json>'   # a queue worker until SIGTERM/SIGINT
 *   node packages/batch/dist/worker-main.js live '<json>'     # a live batch over `inputs` (or `resume`)
 *   node packages/batch/dist/worker-main.js queue '<json>'    # enqueue `inputs` and wait until done
 *   node packages/batch/dist/worker-main.js report '<json>'   # counts of batch `resume` and attempts per document
 *
 * `<json>`: { dbUrl, root | dirs, provider: 'local'|'openai', baseUrl?, apiKey?, model?, redisUrl?, prefix?,
 * concurrency?, rpm?, rateWindowMs?, inputs?, resume? }. Progress goes to stdout as JSON lines.
 */
import { join } from 'node:path';
import { ApiClient } from '@autod/api-client';
import { createDatabase } from '@autod/db';
import { toAutodError } from '@autod/errors';
import { LocalExtractor, OpenAIExtractor, Pipeline, type PipelineDirs } from '@autod/pipeline';
import { BatchRunner } from './live-runner.js';
import { QueueProducer, QueueWorker, redisConnection } from './queue.js';
import { RedisRateLimiter } from './redis-rate-limiter.js';
import { BatchStore } from './store.js';

interface MainOptions {
  dbUrl: string;
  root?: string;
  dirs?: PipelineDirs;
  provider?: 'local' | 'openai';
  baseUrl?: string;
  apiKey?: string;
  model?: string;
  redisUrl?: string;
  prefix?: string;
  concurrency?: number;
  rpm?: number;
  rateWindowMs?: number;
  inputs?: string[];
  resume?: string;
  owner?: string;
}

const line = (value: unknown) => process.stdout.write(JSON.stringify(value) + '\n');

async function main(command: string, options: MainOptions): Promise<number> {
  const dirs: PipelineDirs = options.dirs ?? {
    inbox: join(options.root ?? '.', 'inbox'),
    processed: join(options.root ?? '.', 'processed'),
    failed: join(options.root ?? '.', 'failed'),
    duplicates: join(options.root ?? '.', 'duplicates'),
  };
  const db = await createDatabase({ url: options.dbUrl });
  for (let i = 0; ; i++) {
    try {
      await db.migrate.latest();
      break;
    } catch (error) {
      if (i >= 20) throw error; // several processes starting together race for knex's migration lock
      await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
    }
  }
  const redis = { url: options.redisUrl ?? 'redis://127.0.0.1:6379', prefix: options.prefix ?? 'autod' };
  const limiterConnection = options.rpm && options.provider === 'openai' ? redisConnection(redis.url) : undefined;
  const client =
    options.provider === 'openai'
      ? new ApiClient({
          ...(limiterConnection && options.rpm
            ? { limiter: new RedisRateLimiter({ redis: limiterConnection, key: `${redis.prefix}:rate:openai`, rpm: options.rpm }) }
            : {}),
          apiKey: options.apiKey ?? 'sk-local',
          ...(options.baseUrl ? { baseURL: options.baseUrl } : {}),
          model: options.model ?? 'gpt-5-mini',
          retry: { maxAttempts: 5, baseDelayMs: 50, maxDelayMs: 1000 },
        })
      : undefined;
  const extractor = client ? new OpenAIExtractor(client, options.model ?? 'gpt-5-mini') : new LocalExtractor();
  const pipeline = new Pipeline(
    { db, extractor },
    {
      dirs,
      maxFileBytes: 50 * 1024 * 1024,
      leaseMs: 60_000,
      filingTemplate: '{yyyy}/{mm}/{date}_{issuer}_{doc_type}_{sha8}',
      stableFile: false,
      ocr: false,
      ...(options.owner ? { owner: options.owner } : {}),
    },
  );
  const controller = new AbortController();
  try {
    if (command === 'worker') {
      const worker = new QueueWorker(
        { db, pipeline, redis },
        {
          concurrency: options.concurrency ?? 4,
          ...(options.rpm ? { rpm: options.rpm } : {}),
          ...(options.rateWindowMs ? { rateWindowMs: options.rateWindowMs } : {}),
          onJob: (e) => line({ type: 'job', ...e }),
        },
      );
      await worker.start();
      line({ type: 'ready', pid: process.pid });
      await new Promise<void>((resolve) => {
        process.once('SIGTERM', resolve);
        process.once('SIGINT', resolve);
      });
      await worker.close();
      return 0;
    }
    if (command === 'queue') {
      const producer = new QueueProducer({ db, redis, dirs }, { attempts: 5, backoffMs: 200 });
      try {
        const batch = options.resume ? await producer.store.require(options.resume) : await producer.start(options.inputs ?? [dirs.inbox]);
        if (options.resume) await producer.enqueue(batch.id);
        line({ type: 'batch', batchId: batch.id, total: batch.total });
        const result = await producer.waitFor(batch.id, { pollMs: 100, onProgress: line });
        line({ type: 'result', ...result });
        return result.counts.failed > 0 ? 3 : 0;
      } finally {
        await producer.close();
      }
    }
    if (command === 'report') {
      const store = new BatchStore(db);
      const batchId = options.resume ?? (await store.list({ limit: 1 }))[0]?.id;
      if (!batchId) throw new Error('no batch');
      const raw: unknown = await db
        .knex('extraction_attempts')
        .where('status', 'succeeded')
        .select('document_id')
        .count({ n: '*' })
        .groupBy('document_id');
      const perDoc = (raw as { document_id: number; n: number | string }[]).map((r) => [Number(r.document_id), Number(r.n)]);
      const items = [];
      for (let afterId = 0; ; ) {
        const page = await store.items(batchId, { afterId, limit: 1000 });
        if (page.length === 0) break;
        afterId = page.at(-1)!.id;
        items.push(...page.map((i) => ({ path: i.path, status: i.status, documentId: i.documentId, error: i.error })));
      }
      line({ type: 'report', batch: await store.require(batchId), counts: await store.counts(batchId), succeededAttemptsPerDocument: perDoc, items });
      return 0;
    }
    if (command === 'live') {
      process.once('SIGINT', () => controller.abort());
      process.once('SIGTERM', () => controller.abort());
      const runner = new BatchRunner({ db, pipeline }, { concurrency: options.concurrency ?? 4, signal: controller.signal, onProgress: line });
      const result = options.resume ? await runner.run(options.resume) : await runner.start(options.inputs ?? [dirs.inbox]);
      line({ type: 'result', ...result });
      return result.counts.failed > 0 ? 3 : 0;
    }
    process.stderr.write(`unknown command "${command}" (worker | live | queue)\n`);
    return 64;
  } finally {
    client?.close();
    await limiterConnection?.quit().catch(() => undefined);
    await db.close();
  }
}

const [command = '', json = '{}'] = process.argv.slice(2);
main(command, JSON.parse(json) as MainOptions).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const e = toAutodError(error);
    process.stderr.write(`${e.code}: ${e.message}\n`);
    process.exitCode = e.exitCode || 1;
  },
);
