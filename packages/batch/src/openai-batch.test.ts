import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { priceUsage } from '@autod/api-client';
import { buildScannedImage, startEmulator, type Emulator } from '@autod/testkit';
import { emulatorClient, pipelineFor, sandbox, writeCorpus, type Sandbox } from './__tests__/helpers.js';
import { OpenAIBatchRunner } from './openai-batch.js';

let sb: Sandbox;
let emulator: Emulator;

beforeEach(async () => {
  sb = await sandbox();
  emulator = await startEmulator({ latencyMs: 1, batchStepMs: 5 });
});
afterEach(async () => {
  await emulator.close();
  await sb.cleanup();
});

describe('OpenAIBatchRunner', () => {
  it('sends an image as the PDF made from it and files that PDF with the original beside it', async () => {
    await writeFile(
      join(sb.dirs.inbox, 'receipt.jpg'),
      await buildScannedImage([['Receipt', 'Total 4.20']], { format: 'jpeg' }),
    );
    const client = emulatorClient(emulator);
    const runner = new OpenAIBatchRunner(
      { db: sb.db, pipeline: pipelineFor(sb), apiClient: client },
      { model: 'gpt-5-mini', pollMs: 5, maxPollMs: 20 },
    );
    const result = await runner.start([sb.dirs.inbox]);
    client.close();
    expect(result.counts).toMatchObject({ total: 1, done: 1 });
    const [item] = await runner.store.items(result.batchId);
    const doc = await sb.db.documents.get(item?.documentId ?? 0);
    expect(doc).toMatchObject({ status: 'completed', mediaType: 'image/jpeg' });
    expect(doc?.storagePath).toMatch(/\.pdf$/);
    expect(doc?.originalPath).toBe(doc?.storagePath?.replace(/\.pdf$/, '.jpg'));
    expect(await readdir(sb.dirs.inbox)).toEqual([]);
  });

  it('round-trips through the emulator: JSONL chunks, polling, mapping by custom_id, half-price persistence, filing', async () => {
    await writeCorpus(sb.dirs.inbox, 7, 1);
    await writeFile(join(sb.dirs.inbox, 'not-a-pdf.pdf'), 'hello');
    // One document gets an answer that violates the schema: it must fail with a reason, not stop the batch.
    emulator.setResponder((req) => (req.fileName === 'doc-0003.pdf' ? { nonsense: true } : undefined));
    const client = emulatorClient(emulator);
    const runner = new OpenAIBatchRunner(
      { db: sb.db, pipeline: pipelineFor(sb), apiClient: client },
      { model: 'gpt-5-mini', maxLinesPerFile: 3, pollMs: 5, maxPollMs: 20 },
    );
    const result = await runner.start([sb.dirs.inbox]);
    client.close();

    expect(result.counts).toMatchObject({ total: 9, done: 6, duplicate: 1, failed: 2, pending: 0 });
    expect(result.status).toBe('completed_with_errors');
    const batch = await runner.store.require(result.batchId);
    expect(batch.openaiBatchIds.length).toBeGreaterThanOrEqual(3); // 7 unique PDFs in chunks of ≤ 3 lines
    const items = await runner.store.items(result.batchId);
    const byName = new Map(items.map((i) => [i.path.split('/').pop(), i]));
    expect(byName.get('doc-0003.pdf')).toMatchObject({ status: 'failed', error: { code: 'MODEL_OUTPUT_INVALID' } });
    expect(byName.get('not-a-pdf.pdf')).toMatchObject({ status: 'failed', error: { code: 'INPUT_UNSUPPORTED_TYPE' } });
    // copy-0000.pdf sorts first, so it is the original and doc-0000.pdf its duplicate.
    expect(byName.get('copy-0000.pdf')).toMatchObject({ status: 'done' });
    expect(byName.get('doc-0000.pdf')).toMatchObject({
      status: 'duplicate',
      documentId: byName.get('copy-0000.pdf')?.documentId,
    });

    // Persisted like the pipeline does, priced at the Batch API's half price.
    for (const item of items.filter((i) => i.status === 'done')) {
      const doc = await sb.db.documents.get(item.documentId!);
      expect(doc).toMatchObject({ status: 'completed', provider: 'openai', sha256: item.sha256 });
      expect(doc?.filedAt).not.toBeNull();
      const attempts = await sb.db.attempts.list(doc!.id);
      expect(attempts).toHaveLength(1);
      const a = attempts[0]!;
      const usage = {
        inputTokens: a.inputTokens,
        cachedInputTokens: a.cachedInputTokens,
        outputTokens: a.outputTokens,
        reasoningTokens: a.reasoningTokens,
        totalTokens: 0,
      };
      expect(a.costUsd).toBeGreaterThan(0);
      expect(a.costUsd).toBeCloseTo(priceUsage(usage, 'gpt-5-mini', { batch: true }), 9);
      expect(item.costUsd).toBeCloseTo(a.costUsd, 9);
    }
    expect(await readdir(sb.dirs.inbox)).toEqual([]);
    expect((await readdir(sb.dirs.failed)).sort()).toEqual([
      'doc-0003.pdf',
      'doc-0003.pdf.error.json',
      'not-a-pdf.pdf',
      'not-a-pdf.pdf.error.json',
    ]);
    expect(emulator.stats().byPath['/v1/responses'] ?? 0).toBe(0); // nothing went through the live endpoint
  });

  it('resumes across restarts: a submitted batch is collected by a new runner from the stored job ids', async () => {
    await writeCorpus(sb.dirs.inbox, 4);
    const client = emulatorClient(emulator);
    const first = new OpenAIBatchRunner(
      { db: sb.db, pipeline: pipelineFor(sb), apiClient: client },
      { model: 'gpt-5-mini', wait: false, pollMs: 5 },
    );
    const submitted = await first.start([sb.dirs.inbox]);
    expect(submitted.status).toBe('submitted');
    expect(submitted.counts.pending).toBe(4);
    expect((await first.store.require(submitted.batchId)).openaiBatchIds).toHaveLength(1);

    const second = new OpenAIBatchRunner(
      { db: sb.db, pipeline: pipelineFor(sb), apiClient: client },
      { model: 'gpt-5-mini', pollMs: 5 },
    );
    const done = await second.run(submitted.batchId);
    client.close();
    expect(done.status).toBe('completed');
    expect(done.counts).toMatchObject({ done: 4, pending: 0 });
    // Only one Batch API job: the resume collected it instead of submitting again.
    expect(emulator.stats().byPath['/v1/batches'] ?? 0).toBe(1);
  });

  it('a copy of a document still in a Batch API job is not submitted again by a later run (one claim)', async () => {
    // Jobs that stay in progress for the whole test: the second run finds the first one's job unfinished.
    const slow = await startEmulator({ latencyMs: 1, batchStepMs: 600_000 });
    try {
      const [original] = await writeCorpus(sb.dirs.inbox, 1);
      await writeFile(join(sb.dirs.inbox, 'zz-copy.pdf'), await readFile(original!));
      const client = emulatorClient(slow);
      const first = new OpenAIBatchRunner(
        { db: sb.db, pipeline: pipelineFor(sb), apiClient: client },
        { model: 'gpt-5-mini', wait: false, pollMs: 5 },
      );
      const submitted = await first.start([sb.dirs.inbox]);
      expect(submitted.status).toBe('submitted');
      // Another process resumes the batch while the job runs: the copy waits for its original.
      const second = new OpenAIBatchRunner(
        { db: sb.db, pipeline: pipelineFor(sb), apiClient: client },
        { model: 'gpt-5-mini', wait: false, pollMs: 5 },
      );
      const again = await second.run(submitted.batchId);
      client.close();
      expect(again.status).toBe('submitted');
      expect((await second.store.require(submitted.batchId)).openaiBatchIds).toHaveLength(1);
      const items = await second.store.items(submitted.batchId);
      const copy = items.find((i) => i.path.endsWith('zz-copy.pdf'));
      expect(copy).toMatchObject({ status: 'pending', openaiBatchId: null });
      expect(items.filter((i) => i.openaiBatchId !== null)).toHaveLength(1);
      expect(await readdir(sb.dirs.inbox)).toHaveLength(2);
    } finally {
      await slow.close();
    }
  });
});
