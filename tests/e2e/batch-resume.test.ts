import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, tempSqliteUrl, type Emulator } from '@autod/testkit';
import { corpusRoot, report, runBatchMain } from './batch-helpers.js';

describe('autod batch (live mode): kill -9 mid-batch, then resume', () => {
  let emulator: Emulator;
  let db: { url: string; cleanup(): Promise<void> };
  let root: string;

  beforeAll(async () => {
    emulator = await startEmulator({ latencyMs: 150 });
    db = await tempSqliteUrl();
    ({ root } = await corpusRoot(30));
  });
  afterAll(async () => {
    await emulator.close();
    await db.cleanup();
    await rm(root, { recursive: true, force: true });
  });

  it('finishes the rest without redoing done items', async () => {
    const options = { dbUrl: db.url, root, provider: 'openai', baseUrl: emulator.url, concurrency: 3 };
    const first = runBatchMain('live', options);
    const start = await first.waitFor((l) => l['type'] === 'start');
    const batchId = String(start['batchId']);
    await first.waitFor((l) => l['type'] === 'progress' && Number(l['done']) >= 8);
    first.proc.kill('SIGKILL');
    expect(await first.exited).toBeNull();

    const before = await report({ dbUrl: db.url, root, resume: batchId });
    expect(before.counts.pending).toBeGreaterThan(0);
    const doneBefore = new Map(before.items.filter((i) => i.status === 'done').map((i) => [i.path, i.documentId]));
    expect(doneBefore.size).toBeGreaterThanOrEqual(8);

    const second = runBatchMain('live', { ...options, resume: batchId });
    const result = await second.waitFor((l) => l['type'] === 'result');
    expect(await second.exited).toBe(0);
    expect(result).toMatchObject({ batchId, status: 'completed', counts: { total: 30, done: 30, pending: 0, failed: 0 } });

    const after = await report({ dbUrl: db.url, root, resume: batchId });
    // Items done before the crash kept their documents; every document was extracted successfully exactly once.
    for (const item of after.items) if (doneBefore.has(item.path)) expect(item.documentId).toBe(doneBefore.get(item.path));
    expect(after.succeededAttemptsPerDocument).toHaveLength(30);
    expect(after.succeededAttemptsPerDocument.every(([, n]) => n === 1)).toBe(true);
    // The resumed run asked the model only for what was not finished (plus what was in flight at the kill).
    const requests = emulator.stats().byPath['/v1/responses'] ?? 0;
    expect(requests).toBeLessThanOrEqual(30 + 3);
  });
});
