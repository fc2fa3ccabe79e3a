import { startEmulator, type Emulator } from '@autod/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { ApiClient } from './api-client.js';
import { DEFAULT_PRICING, priceUsage } from './pricing.js';
import type { ApiClientOptions } from './types.js';
import { tinyPdf } from './__tests__/helpers.js';

let emu: Emulator;
const clients: ApiClient[] = [];

beforeAll(async () => {
  emu = await startEmulator({ embeddingDimensions: 16, batchStepMs: 5 });
});
afterAll(async () => {
  await emu.close();
});
afterEach(() => {
  emu.setFaults({});
  emu.setResponder(undefined);
  for (const c of clients.splice(0)) c.close();
});

function client(extra: Partial<ApiClientOptions> = {}): ApiClient {
  const c = new ApiClient({ apiKey: 'sk-test', baseURL: emu.url, model: 'gpt-4o', ...extra });
  clients.push(c);
  return c;
}

const pdf = tinyPdf([['Stadtwerke Invoice 2026-03', 'Total EUR 88.20']]);
const base = { pdf, sourceFileId: 'sha256:1', processedAt: '2026-11-25T10:00:00Z' };

describe('cost', () => {
  test('cost equals the pricing table applied to the usage the server reported (cached tokens included)', async () => {
    const wireUsages: {
      input_tokens: number;
      output_tokens: number;
      input_tokens_details?: { cached_tokens?: number };
    }[] = [];
    const teeFetch: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      if (String(input instanceof Request ? input.url : input).endsWith('/responses')) {
        const json = (await res.clone().json()) as { usage: (typeof wireUsages)[number] };
        wireUsages.push(json.usage);
      }
      return res;
    };
    const c = client({ fetch: teeFetch });
    await c.extractMetadata({ ...base, fileName: 'a.pdf' });
    const second = await c.extractMetadata({ ...base, fileName: 'b.pdf' }); // same long prefix -> prompt cache
    const wire = wireUsages.at(-1)!;
    const cached = wire.input_tokens_details?.cached_tokens ?? 0;
    expect(cached).toBeGreaterThan(0);
    const p = DEFAULT_PRICING['gpt-4o']!; // 2.50 / 1.25 / 10.00
    const expected =
      ((wire.input_tokens - cached) * p.input + cached * p.cachedInput + wire.output_tokens * p.output) / 1e6;
    expect(second.usage).toMatchObject({
      inputTokens: wire.input_tokens,
      cachedInputTokens: cached,
      outputTokens: wire.output_tokens,
    });
    expect(second.costUsd).toBeCloseTo(expected, 12);
  });
});

describe('embeddings', () => {
  test('batches the input, keeps order and prices the usage', async () => {
    const before = emu.requests.filter((r) => r.route === '/v1/embeddings').length;
    const texts = ['alpha', 'beta', 'gamma', 'delta', 'epsilon'];
    const out = await client().embed(texts, { batchSize: 2, dimensions: 8 });
    const sent = emu.requests.filter((r) => r.route === '/v1/embeddings').slice(before);
    expect(sent.map((r) => (r.body as { input: string[] }).input)).toEqual([
      ['alpha', 'beta'],
      ['gamma', 'delta'],
      ['epsilon'],
    ]);
    expect(out.vectors).toHaveLength(5);
    expect(out.vectors.every((v) => v.length === 8)).toBe(true);
    // Same text -> same vector (the emulator is deterministic), different text -> different vector.
    const again = await client().embed(['gamma']);
    expect(again.vectors[0]).toHaveLength(16);
    expect(out.usage.inputTokens).toBeGreaterThan(0);
    expect(out.costUsd).toBeCloseTo((out.usage.inputTokens * 0.02) / 1e6, 14);
  });
});

describe('vector stores', () => {
  test('ensure creates once and then reuses by name; attach, search with filters, remove, delete', async () => {
    const c = client();
    const first = await c.vectorStores.ensure('autod-test-store');
    expect(first.created).toBe(true);
    const second = await c.vectorStores.ensure('autod-test-store');
    expect(second).toEqual({ id: first.id, created: false });

    const invoice = await c.uploadFile(
      new TextEncoder().encode('Electricity invoice from Stadtwerke, total 88.20 EUR'),
      'invoice.txt',
      'assistants',
    );
    const letter = await c.uploadFile(
      new TextEncoder().encode('Letter from the tax office about the 2025 assessment'),
      'letter.txt',
      'assistants',
    );
    await c.vectorStores.attachFile(first.id, invoice.id, { doc_type: 'invoice', year: 2026 });
    await c.vectorStores.attachFile(first.id, letter.id, { doc_type: 'letter', year: 2025 });

    const hits = await c.vectorStores.search(first.id, 'electricity invoice', { maxResults: 5 });
    expect(hits.length).toBeGreaterThan(0);
    expect(hits[0]).toMatchObject({ fileId: invoice.id, filename: 'invoice.txt', attributes: { doc_type: 'invoice' } });
    expect(hits[0]!.text).toContain('Stadtwerke');

    const filtered = await c.vectorStores.search(first.id, 'letter invoice', {
      filters: { type: 'eq', key: 'doc_type', value: 'letter' },
    });
    expect(filtered.map((h) => h.fileId)).toEqual([letter.id]);

    await expect(
      c.vectorStores.attachFile(
        first.id,
        letter.id,
        Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, i])),
      ),
    ).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });

    await c.vectorStores.removeFile(first.id, invoice.id);
    const afterRemove = await c.vectorStores.search(first.id, 'electricity invoice');
    expect(afterRemove.map((h) => h.fileId)).not.toContain(invoice.id);
    await c.vectorStores.removeFile(first.id, invoice.id); // idempotent

    await c.vectorStores.delete(first.id);
    await c.vectorStores.delete(first.id); // idempotent
    const third = await c.vectorStores.ensure('autod-test-store');
    expect(third.created).toBe(true);
    expect(third.id).not.toBe(first.id);
  });
});

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
    emu.setResponder((req) => (req.fileName === 'bad.pdf' ? 'I cannot read this document.' : undefined));
    const c = client();
    const items = ['a', 'b', 'bad'].map((n) => ({
      customId: `doc-${n}`,
      input: { ...base, fileName: `${n}.pdf`, sourceFileId: `sha256:${n}` },
    }));
    const { batchId, inputFileId } = await c.batches.submit(items);
    expect(emu.files.get(inputFileId)?.purpose).toBe('batch');

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
      clients.push(c);
      const { batchId } = await c.batches.submit([{ customId: 'x', input: { ...base, fileName: 'x.pdf' } }]);
      await expect(c.batches.results(batchId)).rejects.toMatchObject({ code: 'CONFLICT' });
      const cancelled = await c.batches.cancel(batchId);
      expect(['cancelling', 'cancelled']).toContain(cancelled.status);
    } finally {
      await slow.close();
    }
  });
});
