import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { Knex } from 'knex';
import { LexicalEmbedder, type Embedder } from './embedder.js';
import { CachedEmbedder, embeddingCacheKey } from './embedding-cache.js';
import { migrateVectorStore } from './migrations.js';
import { memoryKnex } from './__tests__/fixtures.js';

let knex: Knex;
let calls: string[][];
let inner: Embedder;

beforeEach(async () => {
  knex = memoryKnex();
  await migrateVectorStore(knex);
  calls = [];
  const lexical = new LexicalEmbedder({ dimensions: 64 });
  inner = {
    model: lexical.model,
    dimensions: lexical.dimensions,
    defaultMinSimilarity: 0,
    embed: async (texts) => {
      calls.push(texts);
      return lexical.embed(texts);
    },
  };
});
afterEach(async () => {
  await knex.destroy();
});

describe('CachedEmbedder', () => {
  test('memory → DB → embedder; duplicates in one call are embedded once; order is kept', async () => {
    const c = new CachedEmbedder(inner, knex);
    const first = await c.embed(['a b', 'c d', 'a b']);
    expect(calls).toEqual([['a b', 'c d']]);
    expect(first.vectors[0]).toEqual(first.vectors[2]);
    const second = await c.embed(['c d', 'a b']);
    expect(calls).toHaveLength(1);
    expect(second.vectors[0]).toEqual(first.vectors[1]);
    expect(c.stats()).toMatchObject({ requests: 5, memoryHits: 2, dbHits: 0, misses: 3 });

    const cold = new CachedEmbedder(inner, knex);
    await cold.embed(['a b', 'e f']);
    expect(calls).toEqual([['a b', 'c d'], ['e f']]);
    expect(cold.stats()).toMatchObject({ requests: 2, dbHits: 1, misses: 1, memoryHits: 0 });
  });

  test('embedDeferred keeps the new DB rows until persist writes them (one transaction for many calls)', async () => {
    const c = new CachedEmbedder(inner, knex);
    const a = await c.embedDeferred(['x y', 'z w']);
    const b = await c.embedDeferred(['z w', 'u v']);
    expect([...a.pending.keys()]).toHaveLength(2);
    expect([...b.pending.keys()]).toHaveLength(1); // 'z w' came from the memory tier
    const count = async () =>
      Number(((await knex('autod_embedding_cache').count({ n: '*' }).first()) as { n: number }).n);
    expect(await count()).toBe(0);
    await c.persist([a.pending, b.pending]);
    expect(await count()).toBe(3);
    const cold = new CachedEmbedder(inner, knex);
    await cold.embed(['x y', 'z w', 'u v']);
    expect(cold.stats()).toMatchObject({ dbHits: 3, misses: 0 });
    // with the DB tier off there is nothing pending
    const off = new CachedEmbedder(inner, knex, { persist: false });
    expect((await off.embedDeferred(['new text'])).pending.size).toBe(0);
  });

  test('the key is a hash of model, dimensions and text', () => {
    expect(embeddingCacheKey('m', 64, 'x')).toMatch(/^[0-9a-f]{64}$/);
    expect(embeddingCacheKey('m', 64, 'x')).not.toBe(embeddingCacheKey('m2', 64, 'x'));
    expect(embeddingCacheKey('m', 64, 'x')).not.toBe(embeddingCacheKey('m', 32, 'x'));
  });

  test('memory stays under the MB cap while evicting; re-indexing hits ≥ 80%', async () => {
    const c = new CachedEmbedder(inner, knex, { memoryMaxMb: 0.05 }); // ~51 KB: ~140 vectors of 64 floats
    const texts = Array.from({ length: 400 }, (_, i) => `document ${i} text`);
    await c.embed(texts);
    const m = c.stats().memory;
    expect(m.sizeBytes).toBeLessThanOrEqual(0.05 * 1024 * 1024);
    expect(m.evictions).toBeGreaterThan(0);
    c.resetStats();
    await c.embed(texts); // evicted ones come back from the DB tier
    const s = c.stats();
    expect(s.hitRate).toBeGreaterThanOrEqual(0.8);
    expect(s.misses).toBe(0);
    expect(s.dbHits).toBeGreaterThan(0);
  });

  test('TTL: old DB entries are recomputed and pruned; disabled cache always embeds', async () => {
    let now = 1_000_000_000;
    const c = new CachedEmbedder(inner, knex, { ttlDays: 1, now: () => now });
    await c.embed(['x y']);
    now += 2 * 86_400_000;
    const later = new CachedEmbedder(inner, knex, { ttlDays: 1, now: () => now });
    await later.embed(['x y']);
    expect(later.stats().misses).toBe(1);
    await c.embed(['old one']);
    now += 2 * 86_400_000;
    expect(await later.prune()).toBe(2);

    // size cap: the oldest rows go first
    await knex('autod_embedding_cache').delete();
    for (let i = 0; i < 10; i++) {
      now += 1000;
      await later.embed([`text ${i}`]);
    }
    expect(await later.prune((3 * (64 * 4 + 200)) / 1024 / 1024)).toBe(7);
    const left = (await knex('autod_embedding_cache').count({ n: '*' }).first()) as { n: number };
    expect(Number(left.n)).toBe(3);
    const off = new CachedEmbedder(inner, knex, { enabled: false });
    await off.embed(['x y']);
    await off.embed(['x y']);
    expect(off.stats()).toMatchObject({ misses: 2, hitRate: 0 });
  });
});
