import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import knexFactory, { type Knex } from 'knex';
import { createTempPostgres, requirePostgresUnlessLocal } from '@autod/testkit';
import { LexicalEmbedder } from './embedder.js';
import { createVectorIndex, type FullTextSearch, type VectorIndex } from './vector-index.js';
import { CORPUS, sha, toIndexDoc } from './__tests__/fixtures.js';

const enabled = await requirePostgresUnlessLocal();
let pg: { url: string; drop(): Promise<void> } | undefined;
let knex: Knex;
let index: VectorIndex;

/** A tiny injected "BM25": counts query words in the fixture texts. */
const fullText: FullTextSearch = async (query, limit) => {
  const words = query.toLowerCase().split(/\s+/);
  return CORPUS.map((d) => ({
    id: d.id,
    score: words.filter((w) => d.text.toLowerCase().includes(w)).length,
    snippet: d.title,
  }))
    .filter((h) => h.score > 0)
    .sort((a, b) => b.score - a.score || a.id - b.id)
    .slice(0, limit);
};

beforeAll(async () => {
  if (!enabled) return;
  pg = await createTempPostgres();
  knex = knexFactory({ client: 'pg', connection: pg.url, pool: { min: 0, max: 4 } });
  index = await createVectorIndex({ knex, dialect: 'postgres', embedder: new LexicalEmbedder(), fullText });
  await index.indexMany(CORPUS.map(toIndexDoc));
});

afterAll(async () => {
  await knex?.destroy();
  await pg?.drop();
});

describe.runIf(enabled)('PostgreSQL (no pgvector: bytea + in-process cosine)', () => {
  test('migrations created the tables; vector search finds the answer without sqlite-vec', async () => {
    expect(await knex.schema.hasTable('autod_vector_migrations')).toBe(true);
    const stats = await index.stats();
    expect(stats).toMatchObject({ documents: CORPUS.length, sqliteVec: false });
    const r = await index.search('water bill from March', { mode: 'vector' });
    expect(r.hits[0]?.id).toBe(1);
    expect(r.hits[0]?.snippet).toMatch(/\[water\]/i);
  });

  test('filters and hybrid fusion', async () => {
    const r = await index.search('bill amount due', {
      mode: 'vector',
      limit: 20,
      minSimilarity: -1,
      filter: {
        category: 'Financial & Administrative',
        from: '2024-03-01',
        to: '2024-03-31',
        minAmount: 50,
        issuer: 'acme',
      },
    });
    expect(r.hits.map((h) => h.id)).toEqual([3]);
    const h = await index.search('cholesterol blood', { mode: 'hybrid' });
    expect(h.hits[0]?.id).toBe(5);
  });

  test("a document's new embedding-cache rows commit with its vectors, or not at all", async () => {
    const cacheRows = async (): Promise<number> =>
      Number(((await knex('autod_embedding_cache').count({ n: '*' }).first()) as { n: number | string }).n);
    const before = await cacheRows();
    await knex.raw(`CREATE FUNCTION autod_test_fail() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'disk trouble'; END $$
      LANGUAGE plpgsql`);
    await knex.raw(
      'CREATE TRIGGER fail_chunks BEFORE INSERT ON autod_vec_chunks FOR EACH ROW EXECUTE FUNCTION autod_test_fail()',
    );
    const doc = { ...toIndexDoc(CORPUS[0]!), id: 77, sha256: sha(77, 'cd'), text: 'Garden hose repair kit, brass.' };
    try {
      await expect(index.indexDocument(doc)).rejects.toThrow(/disk trouble/);
      expect(await cacheRows()).toBe(before);
    } finally {
      await knex.raw('DROP TRIGGER fail_chunks ON autod_vec_chunks');
      await knex.raw('DROP FUNCTION autod_test_fail()');
    }
    const fresh = await createVectorIndex({ knex, dialect: 'postgres', embedder: new LexicalEmbedder(), fullText });
    const r = await fresh.indexDocument(doc);
    expect(r.embedded).toBeGreaterThan(0);
    expect(await cacheRows()).toBe(before + r.embedded);
    await fresh.remove(77);
  });

  test('near-duplicate by signature; IVF training and re-index from the DB cache', async () => {
    const dup = await index.indexDocument({ ...toIndexDoc(CORPUS[3]!), id: 50, sha256: sha(50, 'ab') });
    expect(dup.nearDuplicateOf).toBe(4);
    const cold = await createVectorIndex({
      knex,
      dialect: 'postgres',
      embedder: new LexicalEmbedder(),
      ivf: { minVectors: 4, probeFraction: 0.5 },
    });
    const re = await cold.reindex(CORPUS.map(toIndexDoc));
    expect(re.trained).toBe(true);
    expect(re.cache.dbHits).toBe(re.cache.requests);
    expect((await cold.search('income tax refund', { mode: 'vector' })).hits[0]?.id).toBe(4);
  });
});
