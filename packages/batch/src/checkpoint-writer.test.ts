import { afterEach, beforeEach, expect, it } from 'vitest';
import { sandbox, type Sandbox } from './__tests__/helpers.js';
import { CheckpointWriter } from './checkpoint-writer.js';
import { migrateBatchTables } from './migrations.js';
import { BatchStore, type ItemPatch } from './store.js';

let sb: Sandbox;
let store: BatchStore;
beforeEach(async () => {
  sb = await sandbox();
  await migrateBatchTables(sb.db);
  store = new BatchStore(sb.db);
});
afterEach(async () => {
  await sb.cleanup();
});

class CountingStore extends BatchStore {
  commits: number[] = [];
  override async updateItems(updates: readonly { id: number; patch: ItemPatch }[]): Promise<void> {
    this.commits.push(updates.length);
    await super.updateItems(updates);
  }
}

it('commits the writes of one event-loop turn together and resolves each once its row is committed', async () => {
  const counting = new CountingStore(sb.db);
  const batch = await counting.create({ mode: 'live', inputs: [], paths: ['/a.pdf', '/b.pdf', '/c.pdf'] });
  const items = await counting.items(batch.id);
  const writer = new CheckpointWriter(counting);
  await Promise.all(items.map((item, i) => writer.updateItem(item.id, { status: 'done', costUsd: i + 1 })));
  expect(counting.commits).toEqual([3]);
  expect((await counting.counts(batch.id)).done).toBe(3);
  expect((await counting.counts(batch.id)).costUsd).toBe(6);

  const [first] = items;
  await writer.updateItem(first!.id, { status: 'failed', error: { code: 'X', message: 'y' } });
  expect(counting.commits).toEqual([3, 1]);
  expect((await counting.item(first!.id))?.error).toEqual({ code: 'X', message: 'y' });
});

it('drain() waits for writes nobody awaited, and a failed commit rejects every write in it', async () => {
  const batch = await store.create({ mode: 'live', inputs: [], paths: ['/a.pdf', '/b.pdf'] });
  const [a, b] = await store.items(batch.id);
  const writer = new CheckpointWriter(store);
  void writer.updateItem(a!.id, { status: 'done' });
  void writer.updateItem(b!.id, { status: 'skipped' });
  await writer.drain();
  expect(await store.counts(batch.id)).toMatchObject({ done: 1, skipped: 1, pending: 0 });

  const broken = new CheckpointWriter({
    updateItems: () => Promise.reject(new Error('disk full')),
  } as unknown as BatchStore);
  const results = await Promise.allSettled([broken.updateItem(1, { status: 'done' }), broken.updateItem(2, {})]);
  expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  await broken.drain();
});
