import { responseTextFormat, parseDocumentMetadata } from '@autod/core';
import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildTextPdf } from '../fixtures/pdf-build.js';
import { startEmulator } from './server.js';
import type { Emulator } from './types.js';

let emu: Emulator;
let client: OpenAI;

beforeAll(async () => {
  emu = await startEmulator({ embeddingDimensions: 64, batchStepMs: 5 });
  client = new OpenAI({ apiKey: 'k', baseURL: emu.url, maxRetries: 0 });
});
afterAll(async () => {
  await emu.close();
});

function cosine(a: number[], b: number[]): number {
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += (a[i] ?? 0) * (b[i] ?? 0);
  return dot;
}

describe('embeddings', () => {
  test('deterministic, unit length, default and requested dimensions, float and base64', async () => {
    const a = await client.embeddings.create({
      model: 'text-embedding-3-small',
      input: ['electric bill from Acme', 'tax return 2023'],
    });
    const b = await client.embeddings.create({
      model: 'text-embedding-3-small',
      input: 'electric bill from Acme',
      encoding_format: 'float',
    });
    expect(a.data).toHaveLength(2);
    expect(a.data[0]?.embedding).toHaveLength(64);
    expect(a.data[0]?.embedding).toEqual(b.data[0]?.embedding);
    expect(cosine(a.data[0]!.embedding, a.data[0]!.embedding)).toBeCloseTo(1, 5);
    expect(a.usage.prompt_tokens).toBeGreaterThan(0);
    const similar = await client.embeddings.create({
      model: 'm',
      input: ['Acme electric bill'],
      encoding_format: 'float',
    });
    expect(cosine(a.data[0]!.embedding, similar.data[0]!.embedding)).toBeGreaterThan(
      cosine(a.data[1]!.embedding, similar.data[0]!.embedding),
    );
    const d = await client.embeddings.create({ model: 'm', input: 'x y z', dimensions: 256 });
    expect(d.data[0]?.embedding).toHaveLength(256);
  });
});

describe('vector stores', () => {
  test('create, attach with attributes, list, search with filters, delete', async () => {
    const bill = await buildTextPdf([['Acme Power electricity bill', 'Amount due $120.00 for meter 5521']]);
    const tax = await buildTextPdf([['Internal Revenue Service', 'Form 1040 tax return for 2023']]);
    const f1 = await client.files.create({ file: await toFile(Buffer.from(bill), 'bill.pdf'), purpose: 'assistants' });
    const f2 = await client.files.create({ file: await toFile(Buffer.from(tax), 'tax.pdf'), purpose: 'assistants' });
    const vs = await client.vectorStores.create({ name: 'autod-test' });
    expect(vs).toMatchObject({ object: 'vector_store', name: 'autod-test', status: 'completed' });
    const att = await client.vectorStores.files.create(vs.id, {
      file_id: f1.id,
      attributes: { category: 'Bills', year: 2024 },
    });
    expect(att).toMatchObject({ id: f1.id, status: 'completed', attributes: { category: 'Bills', year: 2024 } });
    await client.vectorStores.files.create(vs.id, { file_id: f2.id, attributes: { category: 'Taxes', year: 2023 } });

    const stores = [];
    for await (const s of client.vectorStores.list()) stores.push(s);
    expect(stores.find((s) => s.name === 'autod-test')?.file_counts.total).toBe(2);
    const files = [];
    for await (const f of client.vectorStores.files.list(vs.id)) files.push(f.id);
    expect(files.sort()).toEqual([f1.id, f2.id].sort());

    const page = await client.vectorStores.search(vs.id, { query: 'electricity bill amount due', max_num_results: 5 });
    expect(page.data[0]?.file_id).toBe(f1.id);
    expect(page.data[0]?.content[0]?.text).toContain('Acme Power');
    expect(page.data[0]?.score).toBeGreaterThan(0);

    const filtered = await client.vectorStores.search(vs.id, {
      query: 'bill tax return',
      filters: {
        type: 'and',
        filters: [
          { type: 'eq', key: 'category', value: 'Taxes' },
          { type: 'gte', key: 'year', value: 2023 },
        ],
      },
    });
    expect(filtered.data.map((h) => h.file_id)).toEqual([f2.id]);

    await client.vectorStores.files.delete(f2.id, { vector_store_id: vs.id });
    expect((await client.vectorStores.retrieve(vs.id)).file_counts.total).toBe(1);
    expect(await client.vectorStores.delete(vs.id)).toMatchObject({ deleted: true });
    await expect(client.vectorStores.retrieve(vs.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });
});

describe('batches', () => {
  async function waitFor(id: string, done: (s: string) => boolean) {
    const seen: string[] = [];
    for (let i = 0; i < 200; i++) {
      const b = await client.batches.retrieve(id);
      if (seen.at(-1) !== b.status) seen.push(b.status);
      if (done(b.status)) return { batch: b, seen };
      await new Promise((r) => setTimeout(r, 5));
    }
    throw new Error(`batch ${id} did not finish: ${seen.join(' -> ')}`);
  }

  test('JSONL round trip: status transitions, request counts, output and error files', async () => {
    const pdf = await buildTextPdf([['Statement of account']]);
    const up = await client.files.create({ file: await toFile(Buffer.from(pdf), 's.pdf'), purpose: 'user_data' });
    const line = (id: string, fileId: string) =>
      JSON.stringify({
        custom_id: id,
        method: 'POST',
        url: '/v1/responses',
        body: {
          model: 'gpt-4.1-mini',
          input: [
            {
              role: 'user',
              content: [
                { type: 'input_text', text: 'extract' },
                { type: 'input_file', file_id: fileId },
              ],
            },
          ],
          text: { format: responseTextFormat() },
        },
      });
    const jsonl = [line('doc-1', up.id), line('doc-2', 'file-does-not-exist'), line('doc-3', up.id)].join('\n');
    const input = await client.files.create({ file: await toFile(Buffer.from(jsonl), 'in.jsonl'), purpose: 'batch' });
    const created = await client.batches.create({
      input_file_id: input.id,
      endpoint: '/v1/responses',
      completion_window: '24h',
    });
    expect(created.status).toBe('validating');

    const { batch, seen } = await waitFor(created.id, (s) => s === 'completed' || s === 'failed');
    expect(batch.status).toBe('completed');
    const order = ['validating', 'in_progress', 'finalizing', 'completed'];
    const idx = seen.map((s) => order.indexOf(s));
    expect(idx.every((v, i) => v >= 0 && (i === 0 || v > (idx[i - 1] ?? -1)))).toBe(true);
    expect(batch.request_counts).toEqual({ total: 3, completed: 2, failed: 1 });

    const out = (await (await client.files.content(batch.output_file_id!)).text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(out.map((o) => o.custom_id).sort()).toEqual(['doc-1', 'doc-3']);
    const body = out[0].response.body;
    expect(out[0].response.status_code).toBe(200);
    const text = body.output[0].content[0].text as string;
    expect(parseDocumentMetadata(JSON.parse(text)).ok).toBe(true);

    const errs = (await (await client.files.content(batch.error_file_id!)).text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatchObject({ custom_id: 'doc-2', response: { status_code: 404 } });
  });

  test('an invalid input file fails the batch with errors', async () => {
    const input = await client.files.create({
      file: await toFile(Buffer.from('not json\n'), 'bad.jsonl'),
      purpose: 'batch',
    });
    const created = await client.batches.create({
      input_file_id: input.id,
      endpoint: '/v1/responses',
      completion_window: '24h',
    });
    const { batch } = await waitFor(created.id, (s) => s === 'completed' || s === 'failed');
    expect(batch.status).toBe('failed');
    expect(batch.errors?.data?.[0]?.code).toBe('invalid_json_line');
  });
});
