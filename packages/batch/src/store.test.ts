import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '@autod/db';
import { createTempPostgres, tempSqliteUrl } from '@autod/testkit';
import { migrateBatchTables } from './migrations.js';
import { BatchStore } from './store.js';

const targets: { name: string; open(): Promise<{ db: Database; done(): Promise<void> }> }[] = [
  {
    name: 'sqlite',
    open: async () => {
      const t = await tempSqliteUrl();
      const db = await createDatabase({ url: t.url });
      return { db, done: async () => (await db.close(), await t.cleanup()) };
    },
  },
  {
    name: 'postgres',
    open: async () => {
      const t = await createTempPostgres();
      const db = await createDatabase({ url: t.url });
      return { db, done: async () => (await db.close(), await t.drop()) };
    },
  },
];

describe.each(targets)('BatchStore on $name', ({ open }) => {
  let db: Database;
  let done: () => Promise<void>;
  beforeAll(async () => {
    ({ db, done } = await open());
    await db.migrate.latest();
    // Several processes may migrate at once (workers starting together).
    await Promise.all([migrateBatchTables(db), migrateBatchTables(db), migrateBatchTables(db)]);
  });
  afterAll(async () => {
    await done();
  });

  it('checkpoints items, counts them and keeps (batch, path) unique', async () => {
    const store = new BatchStore(db);
    const batch = await store.create({
      mode: 'live',
      inputs: ['/in'],
      paths: ['/in/a.pdf', '/in/b.pdf', '/in/c.pdf'],
      options: { concurrency: 2 },
    });
    expect(batch).toMatchObject({
      mode: 'live',
      status: 'running',
      total: 3,
      inputs: ['/in'],
      options: { concurrency: 2 },
    });
    expect(await store.addItems(batch.id, ['/in/a.pdf', '/in/d.pdf'])).toBe(1);
    const items = await store.items(batch.id);
    expect(items.map((i) => i.path)).toEqual(['/in/a.pdf', '/in/b.pdf', '/in/c.pdf', '/in/d.pdf']);
    await store.updateItem(items[0]!.id, { status: 'done', documentId: 7, costUsd: 0.25, sha256: 'a'.repeat(64) });
    await store.updateItem(items[1]!.id, {
      status: 'failed',
      error: { code: 'INPUT_NOT_PDF', message: 'no' },
      attempts: 1,
    });
    expect(await store.counts(batch.id)).toEqual({
      total: 4,
      pending: 2,
      done: 1,
      failed: 1,
      skipped: 0,
      duplicate: 0,
      costUsd: 0.25,
    });
    expect((await store.item(items[1]!.id))?.error).toEqual({ code: 'INPUT_NOT_PDF', message: 'no' });
    expect(await store.resetFailed(batch.id)).toBe(1);
    expect((await store.counts(batch.id)).pending).toBe(3);
    expect((await store.findUnfinished('live', ['/in']))?.id).toBe(batch.id);
    await store.setStatus(batch.id, 'completed');
    expect(await store.findUnfinished('live', ['/in'])).toBeUndefined();
    await store.addOpenAIBatchId(batch.id, 'batch_1');
    await store.addOpenAIBatchId(batch.id, 'batch_1');
    expect((await store.require(batch.id)).openaiBatchIds).toEqual(['batch_1']);
    await expect(store.require('nope')).rejects.toMatchObject({ code: 'BATCH_NOT_FOUND' });
  });
});
