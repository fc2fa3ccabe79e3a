import { mkdir, rm } from 'node:fs/promises';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { pipelineFor, sandbox, writeCorpus, type Sandbox } from './__tests__/helpers.js';
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

it('settles an item whose file vanished (or became a directory) as skipped', async () => {
  const [a, b] = await writeCorpus(sb.dirs.inbox, 2, 0);
  if (!a || !b) throw new Error('corpus too small');
  const store = new BatchStore(sb.db);
  const batch = await store.create({ mode: 'live', inputs: [sb.dirs.inbox], paths: [a, b] });
  await rm(a);
  await rm(b);
  await mkdir(b); // a directory where the file was
  const items = await store.items(batch.id);
  const results = [];
  for (const item of items) results.push(await attemptItem({ db: sb.db, pipeline: pipelineFor(sb), store }, item));
  expect(items).toHaveLength(2);
  expect(results[0]).toMatchObject({ kind: 'final', patch: { status: 'skipped', error: { code: 'NOT_FOUND' } } });
  expect(results[1]).toMatchObject({ kind: 'final', patch: { status: 'skipped', error: { code: 'INPUT_NOT_PDF' } } });
  expect((await sb.db.documents.list()).total).toBe(0);
});

it("checkpoints the file's SHA-256 before the pipeline claims it, so a resume recognises a committed document", async () => {
  const [a] = await writeCorpus(sb.dirs.inbox, 1, 0);
  if (!a) throw new Error('corpus too small');
  const store = new BatchStore(sb.db);
  const batch = await store.create({ mode: 'live', inputs: [sb.dirs.inbox], paths: [a] });
  const [item] = await store.items(batch.id);
  if (!item) throw new Error('no item');
  const real = pipelineFor(sb);
  let checkpointedAtClaim: string | null | undefined;
  const pipeline: BatchPipeline = {
    dirs: real.dirs,
    recover: () => real.recover(),
    processFile: (path, signal, hooks) =>
      real.processFile(path, signal, {
        onHashed: async (sha256) => {
          await hooks?.onHashed?.(sha256);
          checkpointedAtClaim = (await store.item(item.id))?.sha256;
        },
      }),
  };
  const result = await attemptItem({ db: sb.db, pipeline, store }, item);
  expect(result).toMatchObject({ kind: 'final', patch: { status: 'done' } });
  const [doc] = (await sb.db.documents.list()).items;
  expect(checkpointedAtClaim).toBe(doc?.sha256);
  expect(checkpointedAtClaim).toMatch(/^[0-9a-f]{64}$/);

  // The crash case: the file is filed, the item still pending. A second attempt settles it from the document.
  const settled = await attemptItem({ db: sb.db, pipeline: real, store }, { ...item, sha256: checkpointedAtClaim! });
  expect(settled).toMatchObject({ kind: 'final', patch: { status: 'done', documentId: doc?.id } });
});
