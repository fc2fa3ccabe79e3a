import { resolve } from 'node:path';
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import {
  BatchRunner,
  BatchStore,
  OpenAIBatchRunner,
  QueueProducer,
  QueueWorker,
  estimateFile,
  estimateRun,
  migrateBatchTables,
  type BatchProgressEvent,
  type BatchRunResult,
  type RunEstimate,
} from '@autod/batch';
import { errorFor } from '@autod/errors';
import { discoverFiles } from '@autod/pipeline';
import { pricingFromConfig } from '@autod/runtime';
import type { DefineCommand } from '../command.js';
import type { CommandContext } from '../context.js';
import { choiceFlag } from '../flags.js';
import { formatUsd, renderTable, type Output } from '../output.js';

/** Exit code when the batch finished but some items failed (same as `process`). */
const EXIT_PARTIAL = 3;
/** Exit code when the batch stopped early (budget, Ctrl-C) with items left pending. */
const EXIT_INCOMPLETE = 4;

const BATCH_MODES = ['live', 'openai-batch', 'queue'] as const;

interface BatchOptions {
  mode?: string;
  resume?: string;
  retryFailed?: boolean;
  dryRun?: boolean;
  maxCost?: string;
  concurrency?: string;
  model?: string;
  wait?: boolean;
  list?: boolean;
}

/** `autod batch [paths...]`. */
export const defineBatch: DefineCommand = (cmd: Command, { run }) => {
  cmd
    .description('process a folder in bulk: live (default), OpenAI Batch API (half price) or a Redis queue for workers')
    .option('--mode <mode>', 'how to run: live, openai-batch or queue', 'live')
    .option('--resume <batch-id>', 'continue a batch where a crash or Ctrl-C left it')
    .option('--retry-failed', 'put failed items back to pending first')
    .option('--dry-run', 'only estimate files, pages, tokens and cost')
    .option('--max-cost <usd>', 'stop before the batch would spend more than this (default AUTOD_MAX_COST_USD)')
    .option('--concurrency <n>', 'items at the same time (live mode; default AUTOD_CONCURRENCY)')
    .option('--model <model>', 'model for the openai provider (default OPENAI_MODEL)')
    .option('--no-wait', 'openai-batch/queue: submit and return; --resume later collects the results')
    .option('--list', 'list recent batches')
    .action((paths: string[], o: BatchOptions) => run((c) => batchCommand(c, paths, o)));
};

/** `autod worker`. */
export const defineWorker: DefineCommand = (cmd: Command, { run }) => {
  cmd
    .description(
      'take documents from the Redis queue until SIGTERM (any number, on any machines sharing the database and files)',
    )
    .option('--concurrency <n>', 'documents at the same time in this worker (default AUTOD_CONCURRENCY)')
    .action((o: { concurrency?: string }) => run((c) => workerCommand(c, o)));
};

/** `autod estimate [paths...]`. */
export const defineEstimate: DefineCommand = (cmd: Command, { run }) => {
  cmd
    .option(
      '--model <models>',
      'comma-separated models to price (default OPENAI_MODEL plus gpt-5-mini, gpt-5-nano, gpt-4o-mini)',
    )
    .action((paths: string[], o: { model?: string }) => run((c) => estimateCommand(c, paths, o)));
};

async function inputsOf(ctx: CommandContext, paths: string[], inbox: string): Promise<string[]> {
  return paths.length > 0 ? paths.map((p) => resolve(ctx.cwd, p)) : [inbox];
}

export async function estimateCommand(ctx: CommandContext, paths: string[], o: { model?: string }): Promise<number> {
  const config = ctx.config();
  const pricing = pricingFromConfig(config);
  const inputs = paths.length > 0 ? paths.map((p) => resolve(ctx.cwd, p)) : [config.paths.inbox];
  const files = await discoverFiles(inputs, [config.paths.processed, config.paths.failed, config.paths.duplicates]);
  const models = o.model
    ? o.model
        .split(',')
        .map((m) => m.trim())
        .filter(Boolean)
    : [...new Set([config.openai.model, 'gpt-5-mini', 'gpt-5-nano', 'gpt-4o-mini'])];
  const est = await estimateRun(files, { models, pricing });
  printEstimate(ctx.out, est, config.app.provider);
  return 0;
}

function printEstimate(out: Output, est: RunEstimate, provider: string, extra: Record<string, unknown> = {}): void {
  if (out.json) {
    const { perFile, ...rest } = est;
    out.data({
      ...rest,
      provider,
      ...extra,
      largestFiles: [...perFile].sort((a, b) => b.pages - a.pages).slice(0, 10),
    });
    return;
  }
  out.line(`${est.files} files, ${est.pages} pages, ${(est.bytes / 1024 / 1024).toFixed(1)} MB`);
  out.line(
    `≈ ${est.inputTokens.toLocaleString('en-US')} input + ${est.outputTokens.toLocaleString('en-US')} output tokens (one extraction per file)`,
  );
  out.line();
  out.line(
    renderTable(
      ['model', 'live', 'Batch API (½ price)'],
      est.models.map((m) => [m.model, formatUsd(m.liveUsd), formatUsd(m.batchUsd)]),
    ),
  );
  if (est.unpriced.length > 0)
    out.line(
      `\nCannot price ${est.unpriced.join(', ')}: no price is known (add it with AUTOD_PRICING_FILE or PROMPT_/COMPLETION_TOKEN_PRICE_PER_MILLION).`,
    );
  if (provider !== 'openai') out.line('\nThe configured provider is local: running it costs nothing.');
}

export async function batchCommand(ctx: CommandContext, paths: string[], o: BatchOptions): Promise<number> {
  const mode = choiceFlag(o.mode, '--mode', BATCH_MODES) ?? 'live';
  ctx.useFlags({
    AUTOD_CONCURRENCY: ['--concurrency', o.concurrency],
    AUTOD_MAX_COST_USD: ['--max-cost', o.maxCost],
    OPENAI_MODEL: ['--model', o.model],
  });
  const rt = await ctx.open();
  const store = new BatchStore(rt.db);
  await migrateBatchTables(rt.db);
  if (o.list) return listBatches(ctx, store);
  const model = rt.config.openai.model;
  const inputs = await inputsOf(ctx, paths, rt.pipeline.dirs.inbox);
  const maxCostUsd = rt.config.cost.maxCostPerRunUsd;

  if (o.dryRun) {
    const files = await discoverFiles(inputs, [
      rt.pipeline.dirs.processed,
      rt.pipeline.dirs.failed,
      rt.pipeline.dirs.duplicates,
    ]);
    const est = await estimateRun(files, { models: [model], pricing: rt.pricing });
    const m = est.models[0];
    const cost = m ? (mode === 'openai-batch' ? m.batchUsd : m.liveUsd) : undefined;
    const priced = cost !== undefined && maxCostUsd !== undefined && rt.config.app.provider === 'openai';
    const withinBudget = priced ? cost <= maxCostUsd : null;
    printEstimate(ctx.out, est, rt.config.app.provider, {
      dryRun: true,
      mode,
      maxCostUsd: maxCostUsd ?? null,
      withinBudget,
    });
    if (priced) {
      ctx.out.line(
        withinBudget
          ? `\nWithin the budget of ${formatUsd(maxCostUsd)}.`
          : `\nOver the budget of ${formatUsd(maxCostUsd)}: the run would stop early.`,
      );
    }
    return 0;
  }

  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = () => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    ctx.out.error('\nStopping: in-flight items finish or are released (Ctrl-C again to quit at once)...');
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const progress = progressReporter(ctx.out);
  try {
    let result: BatchRunResult;
    if (mode === 'live') {
      const openai = rt.config.app.provider === 'openai';
      const runner = new BatchRunner(
        { db: rt.db, pipeline: rt.pipeline, logger: rt.logger, metrics: rt.metrics },
        {
          concurrency: rt.config.processing.concurrency,
          ...(maxCostUsd !== undefined ? { maxCostUsd } : {}),
          ...(o.retryFailed ? { retryFailed: true } : {}),
          signal: controller.signal,
          estimateCost: async (item) =>
            openai ? (await estimateFile(item.path, model, rt.pricing).catch(() => ({ liveUsd: 0 }))).liveUsd : 0,
          onProgress: progress.update,
        },
      );
      result = o.resume ? await runner.run(o.resume) : await runner.start(inputs);
    } else if (mode === 'openai-batch') {
      if (!rt.apiClient)
        throw errorFor('CFG_MISSING_API_KEY', 'OpenAI Batch API mode needs the openai provider: set OPENAI_API_KEY.');
      // Batch API results are committed by the pipeline's persist step: its events feed metrics and cost alerts.
      const runner = new OpenAIBatchRunner(
        { db: rt.db, pipeline: rt.pipeline, apiClient: rt.apiClient, logger: rt.logger },
        {
          model,
          pricing: rt.pricing,
          ...(maxCostUsd !== undefined ? { maxCostUsd } : {}),
          ...(o.retryFailed ? { retryFailed: true } : {}),
          wait: o.wait !== false,
          signal: controller.signal,
          onProgress: progress.update,
        },
      );
      result = o.resume ? await runner.run(o.resume) : await runner.start(inputs);
    } else {
      const url = rt.config.redis.url;
      if (!url)
        throw errorFor('CFG_INVALID', 'Queue mode needs Redis: set AUTOD_REDIS_URL (e.g. redis://127.0.0.1:6379).');
      const producer = new QueueProducer(
        { db: rt.db, redis: { url, prefix: rt.config.redis.prefix }, dirs: rt.pipeline.dirs, logger: rt.logger },
        { attempts: rt.config.processing.failedRetryAttempts + 1, backoffMs: rt.config.retry.initialDelayMs },
      );
      try {
        let batchId: string;
        if (o.resume) {
          await producer.enqueue(o.resume, { retryFailed: Boolean(o.retryFailed) });
          batchId = o.resume;
        } else {
          batchId = (await producer.start(inputs, { retryFailed: Boolean(o.retryFailed) })).id;
        }
        ctx.out.error(`Batch ${batchId} queued; run \`autod worker\` on any machine sharing the database and files.`);
        result =
          o.wait === false
            ? { batchId, mode: 'queue', status: 'queued', counts: await store.counts(batchId), durationMs: 0 }
            : await producer.waitFor(batchId, { signal: controller.signal, onProgress: progress.update });
      } finally {
        await producer.close();
      }
    }
    progress.stop();
    printResult(ctx.out, result);
    if (result.counts.pending > 0 && result.status !== 'queued' && result.status !== 'submitted')
      return EXIT_INCOMPLETE;
    return result.counts.failed > 0 ? EXIT_PARTIAL : 0;
  } finally {
    progress.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

async function listBatches(ctx: CommandContext, store: BatchStore): Promise<number> {
  const batches = await store.list({ limit: 20 });
  const rows = [];
  for (const b of batches) rows.push({ ...b, counts: await store.counts(b.id) });
  if (ctx.out.json) {
    ctx.out.data(rows);
    return 0;
  }
  if (rows.length === 0) {
    ctx.out.line('No batches yet.');
    return 0;
  }
  ctx.out.line(
    renderTable(
      ['id', 'mode', 'status', 'done', 'failed', 'pending', 'cost', 'created'],
      rows.map((b) => [
        b.id,
        b.mode,
        b.status,
        b.counts.done,
        b.counts.failed,
        b.counts.pending,
        formatUsd(b.counts.costUsd),
        b.createdAt.toISOString().slice(0, 19),
      ]),
    ),
  );
  return 0;
}

function printResult(out: Output, r: BatchRunResult): void {
  if (out.json) {
    out.data(r);
    return;
  }
  const c = r.counts;
  out.line(
    `Batch ${r.batchId} (${r.mode}): ${r.status} — ${c.done} done, ${c.duplicate} duplicates, ${c.failed} failed, ` +
      `${c.skipped} skipped, ${c.pending} pending of ${c.total}; cost ${formatUsd(c.costUsd)}`,
  );
  if (c.pending > 0 && (r.status === 'interrupted' || r.status === 'budget_stopped'))
    out.line(`Continue with: autod batch --resume ${r.batchId}`);
  if (r.status === 'submitted')
    out.line(`Collect the results later with: autod batch --mode openai-batch --resume ${r.batchId}`);
  if (c.failed > 0)
    out.line(
      `Failed items can be retried with: autod batch --mode ${r.mode === 'live' ? 'live' : r.mode} --resume ${r.batchId} --retry-failed`,
    );
}

/** A cli-progress bar on a TTY; JSON lines on stderr otherwise (stdout keeps the one result document). */
function progressReporter(out: Output): { update: (e: BatchProgressEvent) => void; stop: () => void } {
  if (!out.isTTY) {
    return {
      update: (e) => {
        process.stderr.write(JSON.stringify({ event: `batch.${e.type}`, ...e }) + '\n');
      },
      stop: () => undefined,
    };
  }
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format:
        '{bar} {value}/{total} | done {done} failed {failed} skipped {skipped} | {rate}/s | ETA {eta_s}s | {cost}',
      hideCursor: true,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  let stopped = false;
  return {
    update: (e) => {
      const payload = {
        done: e.done,
        failed: e.failed,
        skipped: e.skipped + e.duplicates,
        rate: e.ratePerSec.toFixed(1),
        eta_s: e.etaSec === null ? '?' : Math.round(e.etaSec),
        cost: formatUsd(e.costUsd),
      };
      const value = e.total - e.pending;
      if (!started) {
        bar.start(e.total, value, payload);
        started = true;
      } else {
        bar.setTotal(e.total);
        bar.update(value, payload);
      }
    },
    stop: () => {
      if (started && !stopped) bar.stop();
      stopped = true;
    },
  };
}

export async function workerCommand(ctx: CommandContext, o: { concurrency?: string }): Promise<number> {
  ctx.useFlags({ AUTOD_CONCURRENCY: ['--concurrency', o.concurrency] });
  const rt = await ctx.open();
  const url = rt.config.redis.url;
  if (!url) throw errorFor('CFG_INVALID', 'A worker needs Redis: set AUTOD_REDIS_URL (e.g. redis://127.0.0.1:6379).');
  const worker = new QueueWorker(
    {
      db: rt.db,
      pipeline: rt.pipeline,
      redis: { url, prefix: rt.config.redis.prefix },
      logger: rt.logger,
      metrics: rt.metrics,
    },
    {
      concurrency: rt.config.processing.concurrency,
      ...(rt.config.app.provider === 'openai' ? { rpm: rt.config.rateLimit.rpm } : {}),
      onJob: (e) => {
        if (ctx.out.json) process.stdout.write(JSON.stringify({ event: 'job', ...e }) + '\n');
        else
          ctx.out.line(
            `${new Date().toISOString()}  ${e.status.padEnd(9)} ${e.path}${e.error ? `  ${e.error.code}: ${e.error.message}` : ''}`,
          );
      },
    },
  );
  await worker.start();
  ctx.out.error(`Worker ready (queue on ${rt.config.redis.prefix}); SIGTERM or Ctrl-C stops it after the active jobs.`);
  await new Promise<void>((done) => {
    process.once('SIGINT', () => done());
    process.once('SIGTERM', () => done());
  });
  await worker.close();
  return 0;
}
