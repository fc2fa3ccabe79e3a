import { describe, expect, test } from 'vitest';
import { startEmulator } from '@autod/testkit';
import { ApiClient } from './api-client.js';
import { priceUsage } from './pricing.js';
import { emulatorClients } from './__tests__/emulator-clients.js';
import { tinyPdf } from './__tests__/helpers.js';

const { emu, client, closeAfter } = emulatorClients({ batchStepMs: 5 }, { model: 'gpt-4o' });

const pdf = tinyPdf([['Stadtwerke Invoice 2026-03', 'Total EUR 88.20']]);
const base = { pdf, sourceFileId: 'sha256:1', processedAt: '2026-11-25T10:00:00Z' };

describe('Batch API', () => {
  test('JSONL lines carry custom_id and the same body as a direct call', () => {
    const c = client();
    const item = { ...base, fileName: 'x.pdf' };
    const lines = c.batches
      .buildJsonl([{ customId: 'doc-1', input: item }])
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toEqual([
      { custom_id: 'doc-1', method: 'POST', url: '/v1/responses', body: c.buildExtractionRequestBody(item) },
    ]);
    expect(() =>
      c.batches.buildJsonl([
        { customId: 'a', input: item },
        { customId: 'a', input: item },
      ]),
    ).toThrow(/Duplicate custom_id/);
  });

  test('round trip: submit, poll, download and map results back by custom_id at batch prices', async () => {
    // One document gets an answer that is not even JSON: it must come back as that line's error.
    emu().setResponder((req) => (req.fileName === 'bad.pdf' ? 'I cannot read this document.' : undefined));
    const c = client();
    const items = ['a', 'b', 'bad'].map((n) => ({
      customId: `doc-${n}`,
      input: { ...base, fileName: `${n}.pdf`, sourceFileId: `sha256:${n}` },
    }));
    const { batchId, inputFileId } = await c.batches.submit(items);
    expect(emu().files.get(inputFileId)?.purpose).toBe('batch');

    const done = await c.batches.waitFor(batchId, { pollMs: 10, timeoutMs: 10_000 });
    expect(done).toMatchObject({ status: 'completed', done: true });
    expect(done.requestCounts.total).toBe(3);

    const results = await c.batches.results(batchId);
    expect([...results.keys()].sort()).toEqual(['doc-a', 'doc-b', 'doc-bad']);
    const a = results.get('doc-a')!;
    if (!a.ok) throw a.error;
    expect(a.metadata.original_file_name).toBe('a.pdf');
    expect(a.metadata.source_file_id).toBe('sha256:a');
    expect(a.costUsd).toBeCloseTo(priceUsage(a.usage, 'gpt-4o', { batch: true }), 12);
    expect(a.costUsd).toBeGreaterThan(0);
    const bad = results.get('doc-bad')!;
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(bad.error.code).toBe('MODEL_OUTPUT_INVALID');
      expect(bad.error.details?.rawText).toBe('I cannot read this document.');
    }
  });

  test('results of an unfinished batch are refused; cancel works', async () => {
    const slow = await startEmulator({ batchStepMs: 60_000 });
    try {
      const c = new ApiClient({ apiKey: 'sk-test', baseURL: slow.url, model: 'gpt-4o' });
      closeAfter(c);
      const { batchId } = await c.batches.submit([{ customId: 'x', input: { ...base, fileName: 'x.pdf' } }]);
      await expect(c.batches.results(batchId)).rejects.toMatchObject({ code: 'CONFLICT' });
      const cancelled = await c.batches.cancel(batchId);
      expect(['cancelling', 'cancelled']).toContain(cancelled.status);
    } finally {
      await slow.close();
    }
  });
});
