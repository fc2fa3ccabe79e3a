/**
 * OpenAI Batch API mode runs through the pipeline's steps (issue #16): a document done through the Batch API is
 * vector-indexed, counted in the pipeline events and metrics, and size-checked like `process` does it.
 */
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { OpenAIBatchRunner } from '@autod/batch';
import { loadConfig } from '@autod/config';
import type { PipelineEvent } from '@autod/pipeline';
import { buildTextPdf, generateCorpus, startEmulator, type Emulator } from '@autod/testkit';
import { createRuntime, type Runtime } from './runtime.js';

let dir: string;
let runtime: Runtime | undefined;
let emu: Emulator;

beforeAll(async () => {
  emu = await startEmulator({ latencyMs: 1, batchStepMs: 5 });
});
afterAll(async () => {
  await emu.close();
});
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'autod-batch-api-'));
  emu.resetStats();
});
afterEach(async () => {
  await runtime?.close();
  runtime = undefined;
  await rm(dir, { recursive: true, force: true });
});

const config = (env: Record<string, string> = {}) =>
  loadConfig({
    env: {
      AUTOD_DATA_DIR: dir,
      AUTOD_OCR: 'false',
      OPENAI_API_KEY: 'sk-test-batch-api-0123456789',
      OPENAI_BASE_URL: emu.url,
      ...env,
    },
    cwd: dir,
    envFile: false,
  });

function batchRunner(rt: Runtime): OpenAIBatchRunner {
  if (!rt.apiClient) throw new Error('expected the openai provider');
  return new OpenAIBatchRunner(
    { db: rt.db, pipeline: rt.pipeline, apiClient: rt.apiClient },
    { model: rt.config.openai.model, pollMs: 5, maxPollMs: 20 },
  );
}

describe('OpenAI Batch API mode through the pipeline steps', () => {
  it('a document done through the Batch API is vector-indexed and counted in the events and metrics', async () => {
    runtime = await createRuntime(config());
    const rt = runtime;
    const [doc] = await generateCorpus({ count: 1, seed: 5, kinds: ['utility_bill'] });
    await writeFile(join(rt.config.paths.inbox, doc!.fileName), doc!.bytes);
    await writeFile(join(rt.config.paths.inbox, 'copy.pdf'), doc!.bytes);
    const events: PipelineEvent[] = [];
    const unsubscribe = rt.onPipelineEvent((e) => events.push(e));

    const result = await batchRunner(rt).start([rt.config.paths.inbox]);
    unsubscribe();
    expect(result.counts).toMatchObject({ total: 2, done: 1, duplicate: 1, failed: 0 });
    expect(emu.stats().byPath['/v1/responses'] ?? 0).toBe(0); // the extraction went through /v1/batches

    const finished = events.flatMap((e) => (e.type === 'file.finished' ? [e.outcome] : []));
    expect(finished.map((o) => o.kind).sort()).toEqual(['duplicate', 'processed']);
    const processed = finished.find((o) => o.kind === 'processed');
    if (processed?.kind !== 'processed') throw new Error('expected a processed outcome');
    expect(processed.provider).toBe('openai');
    expect(processed.costUsd).toBeGreaterThan(0);
    const stages = new Set(events.flatMap((e) => (e.type === 'stage' ? [e.stage] : [])));
    for (const stage of ['intake', 'hash', 'claim', 'persist', 'index', 'file'] as const)
      expect(stages).toContain(stage);

    // Vector-indexed: a semantic search finds it (only the vector side, so the full-text index cannot answer).
    const hits = await rt.search('utility bill', { mode: 'vector', minSimilarity: 0 });
    expect(hits.hits.map((h) => h.id)).toEqual([processed.documentId]);
    const stored = await rt.db.documents.get(processed.documentId);
    expect(stored).toMatchObject({ status: 'completed', storagePath: processed.destination });

    await rt.close(); // the metrics of documents are written in the background; close waits for them
    const text = await rt.metrics.metrics();
    expect(text).toMatch(/autod_documents_processed_total\{status="completed",provider="openai"[^}]*\} 1/);
    expect(text).toMatch(/autod_documents_processed_total\{status="duplicate",provider="openai"[^}]*\} 1/);
  });

  it('a file over AUTOD_MAX_FILE_MB fails before any request, with the same error as in process', async () => {
    runtime = await createRuntime(config({ AUTOD_MAX_FILE_MB: '1' }));
    const rt = runtime;
    // A PDF padded past the limit (the size is checked before the file is read).
    const pdf = await buildTextPdf([['Statement', 'Total 1.00']]);
    const big = Buffer.concat([Buffer.from(pdf), Buffer.alloc(1024 * 1024 + 1, 0x20)]);
    await writeFile(join(rt.config.paths.inbox, 'big.pdf'), big);

    const runner = batchRunner(rt);
    const result = await runner.start([rt.config.paths.inbox]);
    expect(result.counts).toMatchObject({ total: 1, failed: 1 });
    expect(emu.stats().byPath['/v1/batches'] ?? 0).toBe(0); // nothing was submitted
    const [item] = await runner.store.items(result.batchId);
    const report = JSON.parse(await readFile(join(rt.config.paths.failed, 'big.pdf.error.json'), 'utf8')) as {
      error: { code: string; message: string };
    };
    expect(item?.error).toEqual({ code: 'INPUT_TOO_LARGE', message: report.error.message });

    // The same file through `process` (the pipeline's processFile) fails with the same error.
    await rm(join(rt.config.paths.failed, 'big.pdf'));
    await rm(join(rt.config.paths.failed, 'big.pdf.error.json'));
    await writeFile(join(rt.config.paths.inbox, 'big.pdf'), big);
    const outcome = await rt.pipeline.processFile(join(rt.config.paths.inbox, 'big.pdf'));
    if (outcome.kind !== 'failed') throw new Error(`expected failed, got ${outcome.kind}`);
    expect({ code: outcome.error.code, message: outcome.error.message }).toEqual(item?.error);
    expect(await readdir(rt.config.paths.inbox)).toEqual([]);
  });
});
