import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '@autod/testkit';
import {
  emulatorClient,
  openaiExtractor,
  pipelineFor,
  sandbox,
  writeCorpus,
  type Sandbox,
} from './__tests__/helpers.js';
import { LocalExtractor, type Extractor } from '@autod/pipeline';
import { estimateFile } from './estimate.js';
import { BatchRunner } from './live-runner.js';
import type { BatchProgressEvent } from './types.js';

let sb: Sandbox;
let emulator: Emulator | undefined;

beforeEach(async () => {
  sb = await sandbox();
});
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
  await sb.cleanup();
});

async function succeededAttemptsPerDocument(): Promise<Map<number, number>> {
  const raw: unknown = await sb.db
    .knex('extraction_attempts')
    .where('status', 'succeeded')
    .select('document_id')
    .count({ n: '*' })
    .groupBy('document_id');
  const rows = raw as { document_id: number; n: number | string }[];
  return new Map(rows.map((r) => [Number(r.document_id), Number(r.n)]));
}

/** An extractor that holds `slowName` until the gate opens. */
function gatedExtractor(slowName: string): { extractor: Extractor; open: () => void } {
  let open: () => void = () => undefined;
  const gate = new Promise<void>((r) => (open = r));
  const local = new LocalExtractor();
  return {
    open,
    extractor: {
      provider: 'local',
      model: local.model,
      needsOcr: false,
      extract: async (input) => {
        if (input.fileName === slowName) await gate;
        return local.extract(input);
      },
    },
  };
}

describe('BatchRunner (live mode)', () => {
  it('no head-of-line blocking: with one slot, the other items finish while a slow one runs', async () => {
    const files = await writeCorpus(sb.dirs.inbox, 4);
    const slowName = files[0]!.split('/').pop()!;
    const { extractor, open } = gatedExtractor(slowName);
    const done: string[] = [];
    const runner = new BatchRunner(
      { db: sb.db, pipeline: pipelineFor(sb, extractor) },
      {
        concurrency: 1,
        slowAfterMs: 20,
        pace: false,
        onProgress: (e) => {
          if (e.type !== 'progress' || !e.last) return;
          done.push(e.last.path.split('/').pop()!);
          if (done.length === 3) open();
        },
      },
    );
    const result = await runner.start([sb.dirs.inbox]);
    expect(result.counts).toMatchObject({ total: 4, done: 4 });
    expect(done.slice(0, 3).sort()).toEqual(
      files
        .slice(1)
        .map((f) => f.split('/').pop())
        .sort(),
    );
    expect(done[3]).toBe(slowName);
  });

  it('finishes 200 PDFs against the emulator with 20% faults: every item processed or failed with a reason, none twice', async () => {
    emulator = await startEmulator({
      latencyMs: 2,
      faults: {
        rate: 0.2,
        kinds: ['rate_limit', 'server_error', 'unavailable', 'schema_violation'],
        retryAfterMs: 5,
        routes: ['/v1/responses'],
      },
    });
    const client = emulatorClient(emulator);
    const files = await writeCorpus(sb.dirs.inbox, 196, 4);
    const events: BatchProgressEvent[] = [];
    const runner = new BatchRunner(
      { db: sb.db, pipeline: pipelineFor(sb, openaiExtractor(client)) },
      { concurrency: 8, retryDelayMs: 5, onProgress: (e) => events.push(e) },
    );
    const result = await runner.start([sb.dirs.inbox]);
    client.close();

    expect(result.counts.total).toBe(files.length);
    expect(result.counts.pending).toBe(0);
    expect(result.counts.done + result.counts.duplicate + result.counts.failed + result.counts.skipped).toBe(200);
    // A copy whose original failed (a fault twice in a row) takes the failed row over and is processed, so up to 4.
    expect(result.counts.duplicate).toBeLessThanOrEqual(4);
    expect(result.counts.done).toBeGreaterThan(150);
    const items = await runner.store.items(result.batchId, { limit: 1000 });
    for (const item of items) {
      if (item.status === 'failed') expect(item.error?.code).toMatch(/^[A-Z_]+$/);
      if (item.status === 'done') expect(item.documentId).not.toBeNull();
    }
    // No document was extracted twice.
    const perDoc = await succeededAttemptsPerDocument();
    expect(perDoc.size).toBe(result.counts.done);
    expect([...perDoc.values()].every((n) => n === 1)).toBe(true);
    expect(result.counts.costUsd).toBeGreaterThan(0);
    // Progress: start, one event per finished item, end.
    expect(events[0]?.type).toBe('start');
    expect(events.at(-1)).toMatchObject({ type: 'end', done: result.counts.done, pending: 0 });
    expect(events.filter((e) => e.type === 'progress')).toHaveLength(200);
    expect(await readdir(sb.dirs.inbox)).toEqual([]);
  }, 60_000);

  it('resumes an interrupted batch without redoing done items, and --retry-failed re-runs failures', async () => {
    await writeCorpus(sb.dirs.inbox, 12);
    const controller = new AbortController();
    let finished = 0;
    const first = new BatchRunner(
      { db: sb.db, pipeline: pipelineFor(sb) },
      {
        concurrency: 2,
        signal: controller.signal,
        onProgress: (e) => {
          if (e.type === 'progress' && ++finished === 5) controller.abort();
        },
      },
    );
    const interrupted = await first.start([sb.dirs.inbox]);
    expect(interrupted.status).toBe('interrupted');
    expect(interrupted.counts.pending).toBeGreaterThan(0);
    const doneBefore = interrupted.counts.done;
    expect(doneBefore).toBeGreaterThanOrEqual(5);

    const second = new BatchRunner({ db: sb.db, pipeline: pipelineFor(sb) }, { concurrency: 3 });
    // A plain re-run over the same inputs continues the same batch.
    const resumed = await second.start([sb.dirs.inbox]);
    expect(resumed.batchId).toBe(interrupted.batchId);
    expect(resumed.status).toBe('completed');
    expect(resumed.counts).toMatchObject({ total: 12, done: 12, pending: 0 });
    const perDoc = await succeededAttemptsPerDocument();
    expect(perDoc.size).toBe(12);
    expect([...perDoc.values()].every((n) => n === 1)).toBe(true);
  });

  it('stops before crossing the budget and leaves the rest pending', async () => {
    emulator = await startEmulator({ latencyMs: 1 });
    const client = emulatorClient(emulator);
    await writeCorpus(sb.dirs.inbox, 10);
    const runner = new BatchRunner(
      { db: sb.db, pipeline: pipelineFor(sb, openaiExtractor(client)) },
      { concurrency: 1, maxCostUsd: 0.01, estimateCost: () => 0.003 },
    );
    const result = await runner.start([sb.dirs.inbox]);
    client.close();
    expect(result.status).toBe('budget_stopped');
    // Spent + the next item's estimate would cross the budget: nothing more was scheduled.
    expect(result.counts.costUsd).toBeGreaterThan(0);
    expect(result.counts.costUsd).toBeLessThanOrEqual(0.01);
    expect(result.counts.costUsd + 0.003).toBeGreaterThan(0.01);
    expect(result.counts.pending).toBe(10 - result.counts.done);
    expect(result.counts.pending).toBeGreaterThan(0);
    const batch = await runner.store.require(result.batchId);
    expect(batch.status).toBe('budget_stopped');
  });

  it('turns repeated transient failures into failed-with-reason after maxItemAttempts', async () => {
    await writeCorpus(sb.dirs.inbox, 2);
    const pipeline = pipelineFor(sb);
    const flaky = {
      dirs: pipeline.dirs,
      recover: () => pipeline.recover(),
      processFile: async (path: string) => ({
        kind: 'retry_later' as const,
        path,
        sha256: 'x',
        documentId: 1,
        error: {
          name: 'UpstreamError',
          code: 'UPSTREAM_UNAVAILABLE',
          category: 'upstream',
          message: 'down',
          hint: '',
          retryable: true,
          httpStatus: 503,
          exitCode: 1,
        },
      }),
    };
    const runner = new BatchRunner(
      { db: sb.db, pipeline: flaky as never },
      { concurrency: 2, retryDelayMs: 1, maxItemAttempts: 3 },
    );
    const result = await runner.start([sb.dirs.inbox]);
    expect(result.status).toBe('completed_with_errors');
    const items = await runner.store.items(result.batchId);
    expect(items.map((i) => [i.status, i.attempts, i.error?.code])).toEqual([
      ['failed', 3, 'UPSTREAM_UNAVAILABLE'],
      ['failed', 3, 'UPSTREAM_UNAVAILABLE'],
    ]);
    const again = await new BatchRunner({ db: sb.db, pipeline }, { retryFailed: true }).run(result.batchId);
    expect(again.status).toBe('completed');
    expect(again.counts.done).toBe(2);
  });
});

describe('--max-cost on uniform items (the CLI estimator: estimateFile)', () => {
  it('uses at least 80% of the cap and never more than the cap', async () => {
    emulator = await startEmulator({ latencyMs: { distribution: 'uniform', min: 1, max: 6 }, seed: 5 });
    const client = emulatorClient(emulator);
    // What one item really costs: one run of one file (uncached, the dearest an item gets).
    const probeDir = join(sb.root, 'probe');
    await mkdir(probeDir, { recursive: true });
    await writeCorpus(probeDir, 1);
    const probe = await new BatchRunner({ db: sb.db, pipeline: pipelineFor(sb, openaiExtractor(client)) }).start([
      probeDir,
    ]);
    const one = probe.counts.costUsd;
    expect(one).toBeGreaterThan(0);

    await writeCorpus(sb.dirs.inbox, 40);
    const cap = 8 * one;
    const estimates: number[] = [];
    const runner = new BatchRunner(
      { db: sb.db, pipeline: pipelineFor(sb, openaiExtractor(client)) },
      {
        concurrency: 4,
        maxCostUsd: cap,
        estimateCost: async (item) => {
          const e = (await estimateFile(item.path, 'gpt-5-mini')).liveUsd;
          estimates.push(e);
          return e;
        },
      },
    );
    const result = await runner.start([sb.dirs.inbox]);
    client.close();
    expect(result.status).toBe('budget_stopped');
    expect(result.counts.pending).toBeGreaterThan(0);
    expect(result.counts.costUsd).toBeLessThanOrEqual(cap);
    expect(result.counts.costUsd).toBeGreaterThanOrEqual(0.8 * cap);
    // the estimator alone is far from the real cost (which is why it must be calibrated)
    expect(Math.abs(estimates[0]! / one - 1)).toBeGreaterThan(0.25);
  });
});
