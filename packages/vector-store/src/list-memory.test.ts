import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Knex } from 'knex';
import { applyFilter, type SearchFilter } from './filter.js';
import { ListMemory } from './list-memory.js';
import { quantize } from './local-index.js';
import { migrateVectorStore, TABLES } from './migrations.js';
import { memoryKnex } from './__tests__/fixtures.js';

let seed = 11;
const rand = (): number => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;
const pick = <T>(a: readonly T[]): T => a[Math.floor(rand() * a.length)] as T;

const CATS = ['Financial & Administrative', 'Personal & Family', 'Legal & Government'];
const TYPES = ['invoice', 'receipt', 'lab report', null];
// LIKE metacharacters, case and non-ASCII letters: the in-memory "contains" must agree with SQL LIKE.
const ISSUERS = ['Acme Power', 'ACME 100% Green', 'Müller_GmbH', 'Stadtwerke München', 'Back\\Slash Ltd', null];
const DATES = ['2023-12-31', '2024-01-01', '2024-03-15', '2024-06-30', '2024-07-01', null];
const AMOUNTS = [0, 9.99, 10, 100, 1500.5, -12.5, null];

let knex: Knex;
const mem = new ListMemory(8, 1);

beforeAll(async () => {
  knex = memoryKnex();
  await migrateVectorStore(knex);
  for (let id = 1; id <= 400; id++) {
    const row = {
      doc_id: id,
      sha256: String(id).padStart(64, '0'),
      model: 'm',
      category: pick(CATS),
      doc_type: pick(TYPES),
      issuer: pick(ISSUERS),
      primary_date: pick(DATES),
      total_amount: pick(AMOUNTS),
      indexed_at: 0,
    };
    await knex(TABLES.docs).insert({ ...row, issuer_lc: row.issuer?.toLowerCase() ?? null });
    mem.setDoc({
      docId: id,
      category: row.category,
      docType: row.doc_type,
      issuer: row.issuer,
      primaryDate: row.primary_date,
      totalAmount: row.total_amount,
    });
  }
});
afterAll(() => knex.destroy());

describe('ListMemory', () => {
  const filters: SearchFilter[] = [
    { category: 'Personal & Family' },
    { category: 'No Such Category' },
    { docType: 'lab report' },
    { issuer: 'acme' },
    { issuer: '100%' },
    { issuer: 'müller_' },
    { issuer: 'MÜNCHEN' },
    { issuer: 'k\\s' },
    { from: '2024-01-01' },
    { to: '2024-06-30' },
    { from: '2024-01-01', to: '2024-06-30', minAmount: 10 },
    { maxAmount: 10 },
    { minAmount: 0, maxAmount: 100, category: 'Financial & Administrative', docType: 'invoice' },
  ];
  test.each(filters)('filter %j matches the same documents as the SQL filter', async (filter) => {
    const q = knex({ d: TABLES.docs }).select('d.doc_id').orderBy('d.doc_id');
    applyFilter(q, filter, 'd');
    const sql = ((await q) as { doc_id: number }[]).map((r) => r.doc_id);
    const m = mem.matching(filter);
    expect(m).toBeDefined();
    expect(mem.docIds(m?.mask ?? new Uint8Array())).toEqual(sql);
    expect(m?.count).toBe(sql.length);
  });

  test('no filter: no mask', () => {
    expect(mem.matching(undefined)).toBeUndefined();
    expect(mem.matching({ issuer: '' })).toBeUndefined();
  });

  test('scan returns the best int8 cosines (same order as brute force), honouring mask, exclusion and chunk 0', () => {
    const dims = 13; // not a multiple of 4: the unrolled loop's tail
    const lists = 3;
    const m = new ListMemory(dims, lists);
    const vecs = new Map<number, { docId: number; chunkNo: number; q: Int8Array }>();
    let chunkId = 0;
    for (let docId = 1; docId <= 60; docId++) {
      m.setDoc({
        docId,
        category: docId % 2 ? 'odd' : 'even',
        docType: null,
        issuer: null,
        primaryDate: null,
        totalAmount: null,
      });
      for (let chunkNo = 0; chunkNo < 3; chunkNo++) {
        const v = Float32Array.from({ length: dims }, () => rand() - 0.5);
        const q = new Int8Array(quantize(v));
        m.add(++chunkId % lists, chunkId, docId, chunkNo, q);
        vecs.set(chunkId, { docId, chunkNo, q });
      }
    }
    expect(m.size).toBe(180);
    const query = new Int8Array(quantize(Float32Array.from({ length: dims }, () => rand() - 0.5)));
    const cos = (a: Int8Array, b: Int8Array) => {
      let s = 0;
      let na = 0;
      let nb = 0;
      for (let i = 0; i < a.length; i++) {
        s += (a[i] as number) * (b[i] as number);
        na += (a[i] as number) ** 2;
        nb += (b[i] as number) ** 2;
      }
      return s / Math.sqrt(na * nb);
    };
    const brute = (keep: (e: { docId: number; chunkNo: number }) => boolean) =>
      [...vecs.entries()]
        .filter(([, e]) => keep(e))
        .map(([id, e]) => ({ id, s: cos(query, e.q) }))
        .sort((a, b) => b.s - a.s)
        .slice(0, 10)
        .map((x) => x.id);
    expect(m.scan(query, [0, 1, 2], 10)).toEqual(brute(() => true));
    const odd = m.matching({ category: 'odd' });
    expect(m.scan(query, [0, 1, 2], 10, { mask: odd?.mask, excludeDocId: 7, firstChunkOnly: true })).toEqual(
      brute((e) => e.docId % 2 === 1 && e.docId !== 7 && e.chunkNo === 0),
    );
    // only the probed lists
    expect(m.scan(query, [1], 500).every((id) => id % lists === 1)).toBe(true);
    // removal drops every row of the document, other rows stay
    m.removeDoc(8);
    expect(m.size).toBe(177);
    expect(m.scan(query, [0, 1, 2], 500).some((id) => vecs.get(id)?.docId === 8)).toBe(false);
    expect(m.scan(query, [0, 1, 2], 500)).toHaveLength(177);
  });
});
