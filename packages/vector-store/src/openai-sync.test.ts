import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Knex } from 'knex';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { ApiClient } from '@autod/api-client';
import { startEmulator, type Emulator } from '@autod/testkit';
import { LexicalEmbedder } from './embedder.js';
import { OpenAIVectorSync, type VectorStoreClient } from './openai-sync.js';
import { createVectorIndex } from './vector-index.js';
import { CORPUS, memoryKnex, toIndexDoc } from './__tests__/fixtures.js';

let emu: Emulator;
let client: ApiClient;
let dir: string;
const knexes: Knex[] = [];

beforeAll(async () => {
  emu = await startEmulator({ latencyMs: { distribution: 'uniform', min: 2, max: 15 }, seed: 3 });
  client = new ApiClient({ apiKey: 'sk-test-sync', baseURL: emu.url, model: 'gpt-5-mini', retry: { maxAttempts: 1 } });
});
afterAll(async () => {
  client.close();
  await emu.close();
});
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'autod-vs-sync-'));
});
afterEach(async () => {
  for (const k of knexes.splice(0)) await k.destroy();
  await rm(dir, { recursive: true, force: true });
});

const storesNamed = (name: string) =>
  emu.requests.filter(
    (r) => r.route === '/v1/vector_stores' && r.method === 'POST' && (r.body as { name?: string }).name === name,
  );

async function index(name: string, options: { cacheFile?: string; maxFiles?: number } = {}) {
  const knex = memoryKnex();
  knexes.push(knex);
  return createVectorIndex({
    knex,
    dialect: 'sqlite',
    embedder: new LexicalEmbedder(),
    openaiSync: { client, storeName: name, pollMs: 1, ...options },
  });
}

describe('one OpenAI vector store under concurrency', () => {
  test('documents finishing together in one process create one store, cached in the cache file', async () => {
    const cacheFile = join(dir, 'vector-store-id');
    const idx = await index('store-one-process', { cacheFile });
    await Promise.all(CORPUS.slice(0, 6).map((d) => idx.index(toIndexDoc(d))));
    expect(storesNamed('store-one-process')).toHaveLength(1);
    const id = (await readFile(cacheFile, 'utf8')).trim();
    expect(id).toMatch(/^vs_/);
    const attached = emu.requests.filter((r) => r.route === '/v1/vector_stores/:id/files' && r.method === 'POST');
    expect(new Set(attached.filter((r) => r.path.includes(id)).map((r) => r.path)).size).toBe(1);
  });

  test('processes starting together share one store through the cache file; the next one reuses it without a lookup', async () => {
    const cacheFile = join(dir, 'shared', 'vector-store-id');
    // Separate databases and sync objects: nothing is shared but the cache file (as between processes).
    const [a, b, c] = await Promise.all([
      index('store-many', { cacheFile }),
      index('store-many', { cacheFile }),
      index('store-many', { cacheFile }),
    ]);
    await Promise.all(
      [a, b, c].flatMap((idx, i) => CORPUS.slice(i * 2, i * 2 + 2).map((d) => idx.index(toIndexDoc(d)))),
    );
    expect(storesNamed('store-many')).toHaveLength(1);
    const id = (await readFile(cacheFile, 'utf8')).trim();

    const lookups = emu.requests.filter((r) => r.route === '/v1/vector_stores').length;
    const later = await index('store-many', { cacheFile });
    await later.index(toIndexDoc(CORPUS[7]!));
    expect(emu.requests.filter((r) => r.route === '/v1/vector_stores').length).toBe(lookups);
    const attach = emu.requests.filter((r) => r.route === '/v1/vector_stores/:id/files' && r.method === 'POST').at(-1);
    expect(attach?.path).toContain(id);
  });

  test('a cached id whose store was deleted is looked up again (once) and the cache is rewritten', async () => {
    const cacheFile = join(dir, 'vector-store-id');
    await writeFile(cacheFile, 'vs_gone_since_yesterday\n');
    const idx = await index('store-stale-cache', { cacheFile });
    await idx.index(toIndexDoc(CORPUS[0]!));
    expect(storesNamed('store-stale-cache')).toHaveLength(1);
    expect((await readFile(cacheFile, 'utf8')).trim()).not.toBe('vs_gone_since_yesterday');
  });

  test('a lock left by a dead process is taken over once stale', async () => {
    const cacheFile = join(dir, 'vector-store-id');
    await writeFile(`${cacheFile}.lock`, 'someone-dead');
    const knex = memoryKnex();
    knexes.push(knex);
    await createVectorIndex({ knex, dialect: 'sqlite', embedder: new LexicalEmbedder() });
    const sync = new OpenAIVectorSync(knex, { client, storeName: 'store-stale-lock', cacheFile, lockStaleMs: 0 });
    expect(await sync.storeId()).toMatch(/^vs_/);
    expect(storesNamed('store-stale-lock')).toHaveLength(1);
  });
});

describe('upload concurrency and the file cap', () => {
  test('at most maxConcurrentUploads uploads run at once', async () => {
    let active = 0;
    let peak = 0;
    const counting: VectorStoreClient = {
      uploadFile: async (...args) => {
        active++;
        peak = Math.max(peak, active);
        try {
          return await client.uploadFile(...args);
        } finally {
          active--;
        }
      },
      deleteFile: (...args) => client.deleteFile(...args),
      vectorStores: client.vectorStores,
    };
    const knex = memoryKnex();
    knexes.push(knex);
    const idx = await createVectorIndex({
      knex,
      dialect: 'sqlite',
      embedder: new LexicalEmbedder(),
      openaiSync: { client: counting, storeName: 'store-uploads', maxConcurrentUploads: 2, pollMs: 1 },
    });
    await Promise.all(CORPUS.slice(0, 8).map((d) => idx.index(toIndexDoc(d))));
    expect(peak).toBeGreaterThanOrEqual(1);
    expect(peak).toBeLessThanOrEqual(2);
    expect(
      emu.requests.filter((r) => r.route === '/v1/vector_stores/:id/files' && r.method === 'POST').length,
    ).toBeGreaterThanOrEqual(8);
  });

  test('maxFiles keeps the most recently synced documents in the store', async () => {
    const deletes = () => emu.requests.filter((r) => r.route === '/v1/files/:id' && r.method === 'DELETE').length;
    const before = deletes();
    const idx = await index('store-capped', { maxFiles: 3 });
    for (const d of CORPUS.slice(0, 5)) await idx.index(toIndexDoc(d));
    expect(storesNamed('store-capped')).toHaveLength(1);
    const { id: storeId } = await client.vectorStores.ensure('store-capped');
    const files = await fetch(`${emu.url}/vector_stores/${storeId}/files?limit=100`, {
      headers: { authorization: 'Bearer x' },
    }).then((r) => r.json() as Promise<{ data: { id: string; attributes: Record<string, unknown> }[] }>);
    expect(files.data.map((f) => f.attributes['document_id']).sort()).toEqual(['3', '4', '5']);
    // the two removed ones were detached and deleted from the Files API too
    expect(deletes() - before).toBe(2);
    // local search still finds a document that left the store
    const hits = await idx.search('Springfield water statement March', { mode: 'vector', limit: 5 });
    expect(hits.hits.map((h) => h.id)).toContain(1);
  });
});
