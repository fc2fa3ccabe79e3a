import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import type { Knex } from 'knex';
import { LexicalEmbedder } from './embedder.js';
import { createFts5FullText, type Fts5FullText } from './sqlite-fulltext.js';
import { createVectorIndex, type SearchMode, type VectorIndex } from './vector-index.js';
import { CORPUS, memoryKnex, metadataFor, sha, toIndexDoc } from './__tests__/fixtures.js';

let knex: Knex;
let fts: Fts5FullText;
let index: VectorIndex;
let nearDuplicates: [number, number, number][];

async function setup(): Promise<void> {
  knex = memoryKnex();
  nearDuplicates = [];
  index = await createVectorIndex({
    knex,
    dialect: 'sqlite',
    embedder: new LexicalEmbedder(),
    fullText: (q, limit, filter) => fts.search(q, limit, filter),
    onNearDuplicate: (id, ofId, similarity) => {
      nearDuplicates.push([id, ofId, similarity]);
    },
  });
  fts = await createFts5FullText(knex);
  for (const d of CORPUS) {
    await index.index(toIndexDoc(d));
    await fts.add(d.id, d.title, d.text);
  }
}

const MODES: SearchMode[] = ['fulltext', 'vector', 'hybrid'];

describe('relevance on a corpus with known answers', () => {
  beforeAll(setup);
  afterAll(() => knex.destroy());

  test('sqlite-vec is loaded and every document is indexed', async () => {
    const stats = await index.stats();
    expect(stats).toMatchObject({ documents: CORPUS.length, sqliteVec: true, ivfTrained: false });
    expect(stats.chunks).toBeGreaterThanOrEqual(CORPUS.length);
  });

  test.each(MODES)('"water bill from March" is rank 1 (%s)', async (mode) => {
    const r = await index.search('water bill from March', { mode, limit: 5 });
    expect(r.hits[0]?.id).toBe(1);
    expect(r.hits[0]?.rank).toBe(1);
    expect(r.mode).toBe(mode);
  });

  const known: [string, number][] = [
    ['cholesterol blood test', 5],
    ['car insurance premium', 6],
    ['monthly rent lease apartment', 7],
    ['income tax refund', 4],
    ['dental cleaning copay', 10],
  ];
  test.each(MODES.flatMap((m) => known.map(([q, id]) => [m, q, id] as const)))(
    '%s: "%s" → %i at rank 1',
    async (mode, q, id) => {
      const r = await index.search(q, { mode, limit: 3 });
      expect(r.hits[0]?.id).toBe(id);
    },
  );

  test('hybrid fuses both sides and reports which side matched', async () => {
    const r = await index.search('electricity kWh statement', { mode: 'hybrid' });
    expect(r.hits[0]?.id).toBe(3);
    expect(r.hits[0]?.matchedBy.sort()).toEqual(['fulltext', 'vector']);
    expect(r.hits[0]?.similarity).toBeGreaterThan(0);
    expect(r.hits[0]?.textScore).toBeGreaterThan(0);
    expect(r.hits[0]).toMatchObject({
      title: 'Electricity bill March 2024',
      issuer: 'Acme Power & Light',
      primaryDate: '2024-03-02',
      totalAmount: 120.55,
    });
  });

  test('full text matches exact terms first and falls back to prefixes for partial words', async () => {
    const exact = await fts.search('electricity', 5, undefined);
    expect(exact.map((h) => h.id)).toContain(3);
    const partial = await fts.search('electri', 5, undefined);
    expect(partial[0]?.id).toBe(3);
    expect(await fts.search('zzzqqq', 5, undefined)).toEqual([]);
  });

  test('vector hits carry highlighted snippets and pages', async () => {
    const r = await index.search('sewer charge meter', { mode: 'vector', limit: 2 });
    expect(r.hits[0]?.snippet).toMatch(/\[sewer\]/i);
    expect(r.hits[0]?.page).toBe(1);
  });

  test('a relevance threshold drops weak vector hits; top-k is honoured', async () => {
    const all = await index.search('statement', { mode: 'vector', limit: 100, minSimilarity: -1 });
    expect(all.hits).toHaveLength(CORPUS.length);
    const strict = await index.search('statement', { mode: 'vector', minSimilarity: 0.99 });
    expect(strict.hits).toHaveLength(0);
    const top3 = await index.search('statement', { mode: 'hybrid', limit: 3 });
    expect(top3.hits).toHaveLength(3);
  });

  test('validation: empty query and bad limits', async () => {
    await expect(index.search('  ')).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(index.search('water', { limit: 0 })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});

describe('filters combine on every mode', () => {
  beforeAll(setup);
  afterAll(() => knex.destroy());

  test.each(MODES)('category + date range + amount range (%s)', async (mode) => {
    const r = await index.search('amount due', {
      mode,
      limit: 20,
      minSimilarity: -1,
      filter: { category: 'Financial & Administrative', from: '2024-03-01', to: '2024-03-31', minAmount: 50 },
    });
    expect(r.hits.map((h) => h.id).sort((a, b) => a - b)).toEqual([3, 8]);
  });

  test.each(MODES)('issuer contains (case-insensitive) + doc type (%s)', async (mode) => {
    const r = await index.search('water statement', {
      mode,
      limit: 20,
      minSimilarity: -1,
      filter: { issuer: 'springfield', docType: 'water bill', to: '2024-02-01' },
    });
    expect(r.hits.map((h) => h.id)).toEqual([2]);
  });

  test.each(MODES)('max amount excludes documents without an amount (%s)', async (mode) => {
    const r = await index.search('amount due', { mode, limit: 20, minSimilarity: -1, filter: { maxAmount: 100 } });
    const ids = r.hits.map((h) => h.id);
    expect(ids.length).toBeGreaterThan(0);
    for (const id of ids) {
      const amount = CORPUS.find((d) => d.id === id)?.amount;
      expect(amount).not.toBeNull();
      expect(amount).toBeLessThanOrEqual(100);
    }
  });
});

describe('an accept filter from the app (filters the index does not hold)', () => {
  beforeAll(setup);
  afterAll(() => knex.destroy());

  test.each(MODES)('only accepted documents come back, ranked among themselves (%s)', async (mode) => {
    const seen: number[][] = [];
    const accepted = new Set([2, 4, 6, 8]);
    const r = await index.search('amount due water', {
      mode,
      limit: 3,
      minSimilarity: -1,
      accept: async (ids) => {
        seen.push([...ids]);
        return new Set(ids.filter((id) => accepted.has(id)));
      },
    });
    expect(seen).toHaveLength(1);
    expect(r.hits.length).toBeGreaterThan(0);
    expect(r.hits.length).toBeLessThanOrEqual(3);
    for (const h of r.hits) expect(accepted.has(h.id)).toBe(true);
    expect(r.hits.map((h) => h.rank)).toEqual(r.hits.map((_, i) => i + 1));
    // without it, rejected documents are among the top 3
    const plain = await index.search('amount due water', { mode, limit: 3, minSimilarity: -1 });
    expect(plain.hits.some((h) => !accepted.has(h.id))).toBe(true);
  });
});

describe('near-duplicates, reindex, IVF', () => {
  beforeEach(setup);
  afterEach(() => knex.destroy());

  test('a rescan (different bytes, nearly the same text) is flagged; a different month is not', async () => {
    const original = CORPUS[0]!;
    const rescan = {
      ...toIndexDoc(original),
      id: 101,
      sha256: sha(101, 'ff'),
      text: original.text.replace('gallons', 'ga1lons').replace('Amount due', 'Arnount due') + ' Page 1 of 1',
    };
    const r = await index.indexDocument(rescan);
    expect(r.nearDuplicateOf).toBe(1);
    expect(r.nearDuplicateSimilarity).toBeGreaterThan(0.9);
    expect(nearDuplicates).toEqual([[101, 1, r.nearDuplicateSimilarity]]);

    const sameSignature = await index.indexDocument({ ...toIndexDoc(CORPUS[5]!), id: 102, sha256: sha(102, 'ee') });
    expect(sameSignature).toMatchObject({ nearDuplicateOf: 6, nearDuplicateSimilarity: 1 });

    const april = CORPUS[1]!;
    const other = await index.indexDocument({
      id: 103,
      sha256: sha(103),
      metadata: { ...metadataFor(april), primary_date: '2024-04-12' },
      text: 'Springfield Water Utility. Statement for water service, April 2024. Meter reading 11020 gallons. Water usage charge 35.10, sewer charge 18.00. Amount due 53.10 by May 5. Late fee notice enclosed.',
    });
    expect(other.nearDuplicateOf).toBeNull();
    expect(await index.similarTo(101)).toEqual([expect.objectContaining({ id: 1 })]);
  });

  test('re-indexing hits the embedding cache (≥ 80%), also from the DB tier with a cold memory tier', async () => {
    const warm = await index.reindex(CORPUS.map(toIndexDoc));
    expect(warm.indexed).toBe(CORPUS.length);
    expect(warm.cache.hitRate).toBeGreaterThanOrEqual(0.8);
    expect(warm.cache.misses).toBe(0);

    const cold = await createVectorIndex({ knex, dialect: 'sqlite', embedder: new LexicalEmbedder() });
    const again = await cold.reindex(CORPUS.map(toIndexDoc));
    expect(again.cache.dbHits).toBe(again.cache.requests);
    expect(again.cache.hitRate).toBeGreaterThanOrEqual(0.8);
    expect((await cold.search('water bill from March', { mode: 'vector' })).hits[0]?.id).toBe(1);
  });

  test('a changed text is embedded again', async () => {
    const doc = { ...toIndexDoc(CORPUS[2]!), text: 'Acme Power & Light final notice: disconnection scheduled.' };
    const r = await index.indexDocument(doc);
    expect(r.embedded).toBe(1);
    expect((await index.search('disconnection notice', { mode: 'vector' })).hits[0]?.id).toBe(3);
  });

  test('IVF lists: trained search still finds the answers, filters still hold', async () => {
    const ivf = await createVectorIndex({
      knex,
      dialect: 'sqlite',
      embedder: new LexicalEmbedder(),
      ivf: { minVectors: 5, probeFraction: 0.3 },
    });
    await ivf.optimize();
    expect((await ivf.stats()).ivfTrained).toBe(true);
    expect((await ivf.search('water bill from March', { mode: 'vector' })).hits[0]?.id).toBe(1);
    const filtered = await ivf.search('lease', {
      mode: 'vector',
      minSimilarity: -1,
      filter: { issuer: 'bright smile' },
    });
    expect(filtered.hits.map((h) => h.id)).toEqual([10]);
    // a newly indexed document lands in a list and is found
    await ivf.index({
      ...toIndexDoc(CORPUS[8]!),
      id: 200,
      sha256: sha(200),
      text: 'Kindergarten art class painting workshop invitation',
    });
    expect((await ivf.search('painting workshop', { mode: 'vector' })).hits[0]?.id).toBe(200);
  });

  test('remove drops the document from vector search', async () => {
    expect(await index.remove(1)).toBe(true);
    const r = await index.search('water bill from March', { mode: 'vector' });
    expect(r.hits.map((h) => h.id)).not.toContain(1);
    expect(await index.remove(1)).toBe(false);
  });
});

describe('one transaction per indexed document', () => {
  test('its new embedding-cache rows commit with its vectors, or not at all', async () => {
    const db = memoryKnex();
    try {
      const idx = await createVectorIndex({ knex: db, dialect: 'sqlite', embedder: new LexicalEmbedder() });
      const cacheRows = async (): Promise<number> =>
        Number(((await db('autod_embedding_cache').count({ n: '*' }).first()) as { n: number }).n);
      await idx.indexDocument(toIndexDoc(CORPUS[0]!));
      const first = await cacheRows();
      expect(first).toBeGreaterThan(0);
      // Writing the next document's vectors fails: its cache rows must not be left behind either.
      await db.raw(
        `CREATE TRIGGER fail_chunks BEFORE INSERT ON autod_vec_chunks BEGIN SELECT RAISE(ABORT, 'disk trouble'); END`,
      );
      await expect(idx.indexDocument(toIndexDoc(CORPUS[1]!))).rejects.toThrow(/disk trouble/);
      expect(await cacheRows()).toBe(first);
      await db.raw('DROP TRIGGER fail_chunks');
      // A fresh index (no memory tier) over the same database: the next document's rows are written with it.
      const fresh = await createVectorIndex({ knex: db, dialect: 'sqlite', embedder: new LexicalEmbedder() });
      const r = await fresh.indexDocument(toIndexDoc(CORPUS[2]!));
      expect(r.embedded).toBeGreaterThan(0);
      expect(await cacheRows()).toBe(first + r.embedded);
      expect((await fresh.stats()).documents).toBe(2);
    } finally {
      await db.destroy();
    }
  });
});

describe('wiring', () => {
  test('a VectorIndex is structurally a pipeline DocumentIndexer', () => {
    // packages/pipeline's interface, restated (vector-store may not import pipeline).
    interface DocumentIndexer {
      index(document: {
        id: number;
        sha256: string;
        metadata: ReturnType<typeof metadataFor>;
        text: string;
        path: string;
      }): Promise<void>;
    }
    const asIndexer = (i: VectorIndex): DocumentIndexer => i;
    expect(typeof asIndexer).toBe('function');
  });
});
