import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import knexFactory, { type Knex } from 'knex';
import type { Category } from '@autod/core';
import { createTempPostgres, requirePostgresUnlessLocal } from '@autod/testkit';
import { LexicalEmbedder } from './embedder.js';
import { TABLES } from './migrations.js';
import { createVectorIndex, documentHeader, type VectorIndex, type VectorIndexOptions } from './vector-index.js';
import { memoryKnex, metadataFor, sha, type FixtureDoc } from './__tests__/fixtures.js';
import type { Dialect } from './local-index.js';

let seed = 3;
const rand = (): number => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;
const pick = <T>(a: readonly T[]): T => a[Math.floor(rand() * a.length)] as T;
const CATS: Category[] = ['Financial & Administrative', 'Property & Assets', 'Personal & Family'];
const WORDS =
  'account balance payment due service charge period meter usage total amount customer number address reference policy coverage premium deductible claim refund deposit interest fee late notice renewal contract term monthly annual'.split(
    ' ',
  );

function doc(id: number, text?: string): FixtureDoc {
  return {
    id,
    title: `Document ${id}`,
    category: pick(CATS),
    docType: pick(['invoice', 'receipt', 'statement']),
    issuer: pick(['Acme Power', 'FiberNet', 'City Hospital']),
    date: `202${Math.floor(rand() * 5)}-0${1 + Math.floor(rand() * 9)}-1${Math.floor(rand() * 9)}`,
    amount: Math.round(rand() * 50000) / 100,
    text: text ?? Array.from({ length: 40 }, () => pick(WORDS)).join(' ') + ` reference ${id}`,
  };
}
const toIndex = (d: FixtureDoc) => ({ id: d.id, sha256: sha(d.id), metadata: metadataFor(d), text: d.text });
/** The document's own embedding input: its vector is the document's, so it must come first. */
const own = (d: FixtureDoc) => `${documentHeader(metadataFor(d))}\n${d.text}`;

/**
 * Three "processes" (separate connections / pools) on one database: a trains and writes, b only
 * searches after training, c was opened before the training (stale centroids).
 */
async function scenario(dialect: Dialect, open: () => Knex): Promise<void> {
  const opts = (knex: Knex, migrate: boolean): VectorIndexOptions => ({
    knex,
    dialect,
    embedder: new LexicalEmbedder(),
    nearDuplicates: false,
    migrate,
    ivf: { minVectors: 100, autoTrain: false, probeFraction: 0.3, minScan: 0 },
  });
  const [ka, kb, kc] = [open(), open(), open()];
  try {
    const a = await createVectorIndex(opts(ka, true));
    const c = await createVectorIndex(opts(kc, false));
    await a.indexMany(Array.from({ length: 300 }, (_, i) => toIndex(doc(i + 1))));
    await a.optimize();
    const b: VectorIndex = await createVectorIndex(opts(kb, false));
    expect((await b.stats()).ivfTrained).toBe(true);
    expect((await b.search('payment due notice', { mode: 'vector' })).hits.length).toBeGreaterThan(0);

    // a writes after b loaded its lists: b's next search sees the document
    const zeppelin = doc(1001, 'Zeppelin hangar mooring invoice for the airship Hindenburg replica');
    await a.index(toIndex(zeppelin));
    expect((await b.search(own(zeppelin), { mode: 'vector' })).hits[0]?.id).toBe(1001);

    // c still holds the pre-training state: its write goes to a list of the current training
    const blimp = doc(1002, 'Blimp envelope helium refill receipt for the Goodyear advertising airship');
    await c.index(toIndex(blimp));
    expect(await kc(TABLES.lists).where('doc_id', 1002).count({ n: '*' }).first()).toEqual({
      n: dialect === 'postgres' ? '1' : 1,
    });
    expect((await b.search(own(blimp), { mode: 'vector' })).hits[0]?.id).toBe(1002);
    expect((await a.search(own(blimp), { mode: 'vector' })).hits[0]?.id).toBe(1002);
    expect((await c.search(own(blimp), { mode: 'vector' })).hits[0]?.id).toBe(1002);

    // b removes, a and c stop finding it
    expect(await b.remove(1001)).toBe(true);
    for (const x of [a, c]) {
      expect((await x.search(own(zeppelin), { mode: 'vector', limit: 20 })).hits.map((h) => h.id)).not.toContain(1001);
    }

    // a retrains: the others reload and still find everything; filters hold on the reloaded lists
    await a.optimize();
    for (const x of [b, c]) {
      expect((await x.search(own(blimp), { mode: 'vector' })).hits[0]?.id).toBe(1002);
      const r = await x.search('payment due notice', { mode: 'vector', filter: { category: blimp.category } });
      expect(r.hits.length).toBeGreaterThan(0);
      expect(r.hits.every((h) => h.category === blimp.category)).toBe(true);
    }
    // a re-indexed document (new text) moves: the old text no longer finds it first
    const moved = { ...blimp, text: 'Greenhouse tomato seedlings and potting soil receipt' };
    await c.index(toIndex(moved));
    expect((await b.search(own(moved), { mode: 'vector' })).hits[0]?.id).toBe(1002);
  } finally {
    await Promise.all([ka.destroy(), kb.destroy(), kc.destroy()]);
  }
}

const pgEnabled = await requirePostgresUnlessLocal();

describe('every process follows the others through the change log', () => {
  test('SQLite (three connections to one file)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'autod-vs-sync-'));
    try {
      await scenario('sqlite', () => {
        const k = knexFactory({
          client: 'better-sqlite3',
          connection: { filename: join(dir, 'db.sqlite') },
          useNullAsDefault: true,
          pool: {
            min: 1,
            max: 1,
            afterCreate: (conn: { pragma(s: string): unknown }, done: (e: Error | null, c: unknown) => void) => {
              conn.pragma('journal_mode = WAL');
              conn.pragma('busy_timeout = 5000');
              done(null, conn);
            },
          },
        });
        return k;
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  let pg: { url: string; drop(): Promise<void> } | undefined;
  afterAll(async () => {
    await pg?.drop();
  });
  test.runIf(pgEnabled)(
    'PostgreSQL (three pools on one database)',
    async () => {
      pg = await createTempPostgres();
      const url = pg.url;
      await scenario('postgres', () => knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 2 } }));
    },
    60_000,
  );
});

describe('SQLite tuning', () => {
  test('page cache and mmap window: defaults 64 MB and off, both settable', async () => {
    const pragmas = async (knex: Knex) => {
      const [cache]: { cache_size: number }[] = await knex.raw('PRAGMA cache_size');
      const [mmap]: { mmap_size: number }[] = await knex.raw('PRAGMA mmap_size');
      return { cache: cache?.cache_size, mmap: mmap?.mmap_size };
    };
    const dir = mkdtempSync(join(tmpdir(), 'autod-vs-tune-'));
    const a = memoryKnex(join(dir, 'a.db'));
    const b = memoryKnex(join(dir, 'b.db'));
    try {
      await createVectorIndex({ knex: a, dialect: 'sqlite', embedder: new LexicalEmbedder() });
      expect(await pragmas(a)).toEqual({ cache: -64 * 1024, mmap: 0 });
      await createVectorIndex({
        knex: b,
        dialect: 'sqlite',
        embedder: new LexicalEmbedder(),
        sqlite: { cacheSizeMb: 8, mmapSizeMb: 16 },
      });
      expect(await pragmas(b)).toEqual({ cache: -8 * 1024, mmap: 16 * 1048576 });
    } finally {
      await Promise.all([a.destroy(), b.destroy()]);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('bulk writes', () => {
  test('reindex writes many small batches in a few transactions', async () => {
    const knex = memoryKnex();
    try {
      const conn = (await knex.client.acquireConnection()) as {
        prepare(sql: string): { run(...a: unknown[]): unknown };
      };
      let commits = 0;
      const original = conn.prepare.bind(conn);
      conn.prepare = (sql: string) => {
        const stmt = original(sql);
        if (!/^COMMIT/i.test(sql)) return stmt;
        const run = stmt.run.bind(stmt);
        stmt.run = (...a: unknown[]) => {
          commits++;
          return run(...a);
        };
        return stmt;
      };
      await knex.client.releaseConnection(conn);
      const index = await createVectorIndex({ knex, dialect: 'sqlite', embedder: new LexicalEmbedder() });
      const progress: number[] = [];
      const r = await index.reindex(
        Array.from({ length: 300 }, (_, i) => toIndex(doc(5000 + i))),
        { batchSize: 10, onProgress: (n) => progress.push(n) },
      );
      expect(r.indexed).toBe(300);
      expect((await index.stats()).documents).toBe(300);
      // 30 batches of 10: written as one group (embedding-cache rows + vectors) instead of 60 commits.
      expect(commits).toBeLessThanOrEqual(4);
      expect(progress.at(-1)).toBe(300);
    } finally {
      await knex.destroy();
    }
  });
});

describe('statements are prepared once, not per document', () => {
  test('indexing and searching 10× more documents prepares no more statements', async () => {
    const knex = memoryKnex();
    try {
      const conn = (await knex.client.acquireConnection()) as { prepare(sql: string): unknown };
      let prepared = 0;
      const original = conn.prepare.bind(conn);
      conn.prepare = (sql: string) => {
        prepared++;
        return original(sql);
      };
      await knex.client.releaseConnection(conn);
      const index = await createVectorIndex({
        knex,
        dialect: 'sqlite',
        embedder: new LexicalEmbedder(),
        ivf: { minVectors: 50, autoTrain: false },
      });
      const run = async (from: number, n: number) => {
        const before = prepared;
        for (let id = from; id < from + n; id++) await index.index(toIndex(doc(id)));
        await index.indexMany(Array.from({ length: n }, (_, i) => toIndex(doc(from + n + i))));
        for (let i = 0; i < n; i++) await index.search(`${pick(WORDS)} ${pick(WORDS)}`, { mode: 'vector' });
        return prepared - before;
      };
      await run(1, 60); // untrained: exact scans
      await index.optimize();
      await run(1000, 20); // warm: every statement shape of the trained path seen once
      const small = await run(2000, 20);
      const large = await run(3000, 200);
      // knex would prepare ~15 statements per document here: thousands.
      expect(large).toBeLessThanOrEqual(small + 5);
      expect(large).toBeLessThan(30);
    } finally {
      await knex.destroy();
    }
  }, 60_000);
});
