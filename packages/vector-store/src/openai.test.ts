import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Knex } from 'knex';
import { ApiClient } from '@autod/api-client';
import { startEmulator, type Emulator } from '@autod/testkit';
import { OpenAIEmbedder } from './embedder.js';
import { dot } from './hash.js';
import { openAIFilterKeys, toOpenAIFilters } from './filter.js';
import { DOCUMENT_FILTER } from '@autod/core';
import { createVectorIndex, type VectorIndex } from './vector-index.js';
import { CORPUS, memoryKnex, toIndexDoc } from './__tests__/fixtures.js';

let emulator: Emulator;
let client: ApiClient;
let knex: Knex;
let index: VectorIndex;

beforeAll(async () => {
  emulator = await startEmulator({ embeddingDimensions: 256 });
  client = new ApiClient({
    apiKey: 'sk-test-vector-store',
    baseURL: emulator.url,
    model: 'gpt-5-mini',
    retry: { maxAttempts: 1 },
  });
  knex = memoryKnex();
  index = await createVectorIndex({
    knex,
    dialect: 'sqlite',
    embedder: new OpenAIEmbedder(client, { dimensions: 256, minSimilarity: 0 }),
    openaiSync: { client, storeName: 'autod-test-store', pollMs: 5 },
  });
  for (const d of CORPUS.slice(0, 6)) await index.index(toIndexDoc(d));
});

afterAll(async () => {
  await knex.destroy();
  client.close();
  await emulator.close();
});

describe('OpenAI embeddings (emulator)', () => {
  test('vectors come from /v1/embeddings, are unit length, and are cached per (model, text)', async () => {
    const before = emulator.stats().byPath['/v1/embeddings'] ?? 0;
    const e = new OpenAIEmbedder(client, { dimensions: 256 });
    const { vectors, usage } = await e.embed(['water bill', 'tax return']);
    expect(vectors).toHaveLength(2);
    expect(vectors[0]).toHaveLength(256);
    expect(dot(vectors[0]!, vectors[0]!)).toBeCloseTo(1, 4);
    expect(usage?.inputTokens).toBeGreaterThan(0);
    expect(emulator.stats().byPath['/v1/embeddings']).toBe(before + 1);

    const again = await index.reindex(CORPUS.slice(0, 6).map(toIndexDoc));
    expect(again.cache.hitRate).toBeGreaterThanOrEqual(0.8);
    expect(emulator.stats().byPath['/v1/embeddings']).toBe(before + 1);
  });

  test('local vector search over OpenAI embeddings finds the answer', async () => {
    const r = await index.search('Springfield water statement March', { mode: 'vector', limit: 3 });
    expect(r.backend).toBe('local');
    expect(r.hits.map((h) => h.id)).toContain(1);
  });
});

describe('OpenAI vector-store sync (emulator)', () => {
  test('files are uploaded with attributes into the store found by name, searched with filters, removed on delete', async () => {
    const stores = emulator.requests.filter((r) => r.route === '/v1/vector_stores' && r.method === 'POST');
    expect(stores).toHaveLength(1);
    const attach = emulator.requests.find((r) => r.route === '/v1/vector_stores/:id/files' && r.method === 'POST');
    expect((attach?.body as { attributes: Record<string, unknown> }).attributes).toMatchObject({
      document_id: '1',
      category: 'Financial & Administrative',
      doc_type: 'water bill',
      issuer: 'Springfield Water Utility',
      primary_date: '2024-03-14',
    });

    const openaiIndex = await createVectorIndex({
      knex,
      dialect: 'sqlite',
      embedder: new OpenAIEmbedder(client, { dimensions: 256 }),
      openaiSync: { client, storeName: 'autod-test-store', search: true },
    });
    const r = await openaiIndex.search('cholesterol blood count', { mode: 'vector' });
    expect(r.backend).toBe('openai');
    expect(r.hits[0]?.id).toBe(5);
    expect(r.hits[0]?.snippet).toMatch(/\[cholesterol\]/i);
    const filtered = await openaiIndex.search('amount due', {
      mode: 'vector',
      filter: { docType: 'water bill', from: '2024-03-01' },
    });
    expect(filtered.hits.map((h) => h.id)).toEqual([1]);
    // the same store is reused (no second create)
    expect(emulator.requests.filter((x) => x.route === '/v1/vector_stores' && x.method === 'POST')).toHaveLength(1);

    expect(await openaiIndex.remove(5)).toBe(true);
    const gone = await openaiIndex.search('cholesterol blood count', { mode: 'vector' });
    expect(gone.hits.map((h) => h.id)).not.toContain(5);
    expect(
      emulator.requests.some((x) => x.route === '/v1/vector_stores/:id/files/:file' && x.method === 'DELETE'),
    ).toBe(true);
  });

  test('filters map to OpenAI comparison/compound filters', () => {
    expect(toOpenAIFilters({})).toBeUndefined();
    expect(toOpenAIFilters({ category: 'X' })).toEqual({ type: 'eq', key: 'category', value: 'X' });
    expect(toOpenAIFilters({ from: '2024-01-01', maxAmount: 5 })).toEqual({
      type: 'and',
      filters: [
        { type: 'gte', key: 'primary_date', value: '2024-01-01' },
        { type: 'lte', key: 'total_amount', value: 5 },
      ],
    });
    // Derived from the definition: the keys on a column OpenAI files carry, except "contains" (issuer, on the hits).
    expect(openAIFilterKeys()).toEqual(['category', 'subcategory', 'docType', 'from', 'to', 'minAmount', 'maxAmount']);
    expect(toOpenAIFilters({ status: 'completed', issuer: 'acme', customer: 'x', needsReview: true })).toBeUndefined();
    const withCurrency = DOCUMENT_FILTER.extend([
      {
        name: 'currency',
        match: 'exact',
        type: 'string',
        column: 'currency',
        flag: '--currency',
        description: 'currency',
      },
    ]);
    expect(toOpenAIFilters({ currency: 'EUR', subcategory: 'Utilities' }, withCurrency)).toEqual({
      type: 'and',
      filters: [
        { type: 'eq', key: 'subcategory', value: 'Utilities' },
        { type: 'eq', key: 'currency', value: 'EUR' },
      ],
    });
  });
});
