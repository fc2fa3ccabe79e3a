import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Knex } from 'knex';
import type { Category } from '@autod/core';
import { LexicalEmbedder } from './embedder.js';
import { quantize } from './local-index.js';
import { LIST_KEY_SPAN, TABLES } from './migrations.js';
import { createVectorIndex, documentHeader, type VectorIndex } from './vector-index.js';
import { memoryKnex, metadataFor, sha, type FixtureDoc } from './__tests__/fixtures.js';

// A topical synthetic corpus (like the benchmark's, smaller): most words come from the type's vocabulary.
let seed = 7;
const rand = (): number => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;
const pick = <T>(a: readonly T[]): T => a[Math.floor(rand() * a.length)] as T;
const ISSUERS = [
  'Springfield Water',
  'Acme Power',
  'FiberNet',
  'City Hospital',
  'Safe Drive Insurance',
  'Oak Street Properties',
  'Metro Transit',
  'First National Bank',
];
const TYPES = [
  'water bill',
  'electricity bill',
  'invoice',
  'lab report',
  'insurance policy',
  'lease',
  'tax return',
  'receipt',
  'bank statement',
  'phone bill',
];
const CATS: Category[] = ['Financial & Administrative', 'Property & Assets', 'Personal & Family', 'Legal & Government'];
const WORDS =
  'account balance payment due service charge period meter usage total amount customer number address reference policy coverage premium deductible claim refund deposit interest fee late notice renewal contract term monthly annual summary statement details item quantity price tax subtotal discount credit debit transfer reading kwh gallons minutes data plan appointment patient doctor results normal elevated review vehicle property rent tenant landlord repair'.split(
    ' ',
  );
const TOPIC = new Map(
  TYPES.map((t, i) => [t, Array.from({ length: 20 }, (_, j) => WORDS[(i * 7 + j * 3) % WORDS.length] as string)]),
);

function makeDoc(id: number): FixtureDoc {
  const type = pick(TYPES);
  const topic = TOPIC.get(type) as string[];
  const issuer = pick(ISSUERS);
  const year = 2020 + Math.floor(rand() * 5);
  const words = Array.from({ length: 40 + Math.floor(rand() * 40) }, () =>
    rand() < 0.7 ? pick(topic) : pick(WORDS),
  ).join(' ');
  return {
    id,
    title: `${issuer} ${type} ${year}`,
    category: pick(CATS),
    docType: type,
    issuer,
    date: `${year}-0${1 + Math.floor(rand() * 9)}-1${Math.floor(rand() * 9)}`,
    amount: Math.round(rand() * 50000) / 100,
    text: `${issuer} ${type}. ${words}. Reference ${id}.`,
  };
}

const N = 3000;
let knex: Knex;
let index: VectorIndex;
let docs: FixtureDoc[];

beforeAll(async () => {
  knex = memoryKnex();
  index = await createVectorIndex({
    knex,
    dialect: 'sqlite',
    embedder: new LexicalEmbedder(),
    // 3,000 vectors make only 27 lists: a quarter of the vectors is ~7 lists (the default 0.15 is
    // tuned for 100k, where the benchmark measures recall@10 ≈ 0.95 with it).
    ivf: { autoTrain: false, minVectors: 1000, probeFraction: 0.25, minScan: 0 },
    nearDuplicates: false,
  });
  docs = Array.from({ length: N }, (_, i) => makeDoc(i + 1));
  for (let i = 0; i < N; i += 500) {
    await index.indexMany(
      docs.slice(i, i + 500).map((d) => ({ id: d.id, sha256: sha(d.id), metadata: metadataFor(d), text: d.text })),
    );
  }
  await index.optimize();
}, 60_000);
afterAll(() => knex.destroy());

const QUERIES = Array.from({ length: 40 }, (_, i) =>
  i % 2 === 0 ? `${pick(TYPES)} ${pick(WORDS)}` : `${pick(ISSUERS)} ${pick(WORDS)} ${pick(WORDS)}`,
);

async function recall(filter?: { category: Category }, other: VectorIndex = index): Promise<number> {
  let found = 0;
  let total = 0;
  for (const q of QUERIES) {
    const opts = { mode: 'vector' as const, limit: 10, minSimilarity: -1, ...(filter ? { filter } : {}) };
    const truth = await index.search(q, { ...opts, exact: true });
    const approx = await other.search(q, opts);
    const got = new Set(approx.hits.map((h) => h.id));
    found += truth.hits.filter((h) => got.has(h.id)).length;
    total += truth.hits.length;
  }
  expect(total).toBeGreaterThan(QUERIES.length * 9);
  return found / total;
}

describe('IVF lists (list-contiguous int8 vectors, exact re-ranking)', () => {
  test('training stores one int8 row per chunk, keyed by list', async () => {
    const stats = await index.stats();
    expect(stats.ivfTrained).toBe(true);
    const rows: { key: number; qvec: Uint8Array }[] = await knex(TABLES.lists).select('key', 'qvec');
    expect(rows.length).toBe(stats.chunks);
    expect(rows.every((r) => r.qvec.byteLength === stats.dimensions)).toBe(true);
    const lists = new Set(rows.map((r) => Math.floor(r.key / LIST_KEY_SPAN)));
    const centroids = (await knex(TABLES.centroids).count({ n: '*' }).first()) as { n: number };
    expect(lists.size).toBeGreaterThan(1);
    expect(Math.max(...lists)).toBeLessThan(Number(centroids.n));
  });

  test('recall@10 of the clustered search against exact search is at least 0.9', async () => {
    expect(await recall()).toBeGreaterThanOrEqual(0.9);
  });

  test('minScan: a small probe loses recall, a scan of at least minScan vectors does not', async () => {
    const open = (ivf: { probeFraction: number; minScan: number }) =>
      createVectorIndex({
        knex,
        dialect: 'sqlite',
        embedder: index.embedder,
        nearDuplicates: false,
        migrate: false,
        ivf,
      });
    const narrow = await recall(undefined, await open({ probeFraction: 0.01, minScan: 0 }));
    const floor = await recall(undefined, await open({ probeFraction: 0.01, minScan: N * 10 }));
    expect(narrow).toBeLessThan(0.9);
    expect(floor).toBe(1);
  });

  test('filtered recall@10 is at least 0.9 and filters hold', async () => {
    expect(await recall({ category: 'Legal & Government' })).toBeGreaterThanOrEqual(0.9);
    const r = await index.search('water bill meter', {
      mode: 'vector',
      filter: { category: 'Property & Assets', issuer: 'acme' },
    });
    expect(r.hits.length).toBeGreaterThan(0);
    expect(r.hits.every((h) => h.category === 'Property & Assets' && h.issuer === 'Acme Power')).toBe(true);
  });

  test('a document indexed after training is found through its list; removal drops its rows', async () => {
    const d: FixtureDoc = {
      ...makeDoc(N + 1),
      text: 'Zeppelin hangar mooring invoice for the airship Hindenburg replica',
    };
    await index.index({ id: d.id, sha256: sha(d.id), metadata: metadataFor(d), text: d.text });
    expect(await knex(TABLES.lists).where('doc_id', d.id).count({ n: '*' }).first()).toEqual({ n: 1 });
    // The query is the document's own embedding input: its vector is the document's, so its list is probed.
    const own = `${documentHeader(metadataFor(d))}\n${d.text}`;
    expect((await index.search(own, { mode: 'vector' })).hits[0]?.id).toBe(d.id);
    await index.remove(d.id);
    expect(await knex(TABLES.lists).where('doc_id', d.id).count({ n: '*' }).first()).toEqual({ n: 0 });
    expect((await index.search(own, { mode: 'vector' })).hits.map((h) => h.id)).not.toContain(d.id);
  });
});

describe('helpers', () => {
  test('quantize scales by the largest component and keeps the direction', () => {
    const q = new Int8Array(quantize(Float32Array.from([0.5, -0.25, 0, 0.125])).buffer.slice(0));
    expect([...q.subarray(0, 4)]).toEqual([127, -63, 0, 32]);
    expect([...new Int8Array(quantize(new Float32Array(3)))]).toEqual([1, 0, 0]);
  });
});
