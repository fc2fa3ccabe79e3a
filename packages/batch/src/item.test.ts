import { mkdir, rm } from 'node:fs/promises';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { sandbox, writeCorpus, type Sandbox } from './__tests__/helpers.js';
import { attemptItem, type BatchPipeline } from './item.js';
import { migrateBatchTables } from './migrations.js';
import { BatchStore } from './store.js';

let sb: Sandbox;
beforeEach(async () => {
  sb = await sandbox();
  await migrateBatchTables(sb.db);
});
afterEach(async () => {
  await sb.cleanup();
});

it('settles an item whose file vanished (or became a directory) as skipped without calling the pipeline', async () => {
  const [a, b] = await writeCorpus(sb.dirs.inbox, 2, 0);
  if (!a || !b) throw new Error('corpus too small');
  const store = new BatchStore(sb.db);
  const batch = await store.create({ mode: 'live', inputs: [sb.dirs.inbox], paths: [a, b] });
  let calls = 0;
  const pipeline: BatchPipeline = {
    dirs: sb.dirs,
    recover: async () => ({ filed: 0, released: 0 }),
    processFile: async () => {
      calls++;
      throw new Error('must not be called');
    },
  };
  await rm(a);
  await rm(b);
  await mkdir(b); // a directory where the file was
  const items = await store.items(batch.id);
  for (const item of items) {
    const result = await attemptItem({ db: sb.db, pipeline, store }, item);
    expect(result).toMatchObject({ kind: 'final', patch: { status: 'skipped', error: { code: 'NOT_FOUND' } } });
  }
  expect(items).toHaveLength(2);
  expect(calls).toBe(0);
});
