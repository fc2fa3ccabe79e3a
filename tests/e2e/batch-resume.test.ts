import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, tempSqliteUrl, type Emulator } from '@autod/testkit';
import { autodEnv, autodJson, corpusRoot, emulatorEnv, report, spawnAutod } from './batch-helpers.js';

describe('autod batch (live mode): kill -9 mid-batch, then --resume', () => {
  let emulator: Emulator;
  let db: { url: string; cleanup(): Promise<void> };
  let root: string;
  let inbox: string;

  beforeAll(async () => {
    emulator = await startEmulator({ latencyMs: 150 });
    db = await tempSqliteUrl();
    ({ root, inbox } = await corpusRoot(30));
  });
  afterAll(async () => {
    await emulator.close();
    await db.cleanup();
    await rm(root, { recursive: true, force: true });
  });

  it('finishes the rest without redoing done items', async () => {
    const env = autodEnv(root, { ...emulatorEnv(emulator.url), AUTOD_DB_URL: db.url });
    const first = spawnAutod(['batch', inbox, '--concurrency', '3', '--json'], env, root);
    const start = await first.waitFor((l) => l['event'] === 'batch.start');
    const batchId = String(start['batchId']);
    expect(start).toMatchObject({ mode: 'live', total: 30, pending: 30 });
    await first.waitFor((l) => l['event'] === 'batch.progress' && Number(l['done']) >= 8);
    first.proc.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');

    const before = await report(db.url, batchId);
    expect(before.counts['pending']).toBeGreaterThan(0);
    const doneBefore = new Map(before.items.filter((i) => i.status === 'done').map((i) => [i.path, i.documentId]));
    expect(doneBefore.size).toBeGreaterThanOrEqual(8);
    const list = await autodJson(['batch', '--list', '--json'], env, root);
    expect(list.data).toMatchObject([
      { id: batchId, status: 'running', counts: { pending: before.counts['pending'] } },
    ]);

    const second = await autodJson(['batch', '--resume', batchId, '--json'], env, root);
    expect(second.code).toBe(0);
    expect(second.data).toMatchObject({
      batchId,
      status: 'completed',
      counts: { total: 30, done: 30, pending: 0, failed: 0 },
    });

    const after = await report(db.url, batchId);
    // Items done before the crash kept their documents; every document was extracted successfully exactly once.
    for (const item of after.items)
      if (doneBefore.has(item.path)) expect(item.documentId).toBe(doneBefore.get(item.path));
    expect(after.succeededAttemptsPerDocument).toHaveLength(30);
    expect(after.succeededAttemptsPerDocument.every(([, n]) => n === 1)).toBe(true);
    // The model was asked only for what was not finished (plus what was in flight at the kill).
    const requests = emulator.stats().byPath['/v1/responses'] ?? 0;
    expect(requests).toBeLessThanOrEqual(30 + 3);
  }, 60_000);
});
