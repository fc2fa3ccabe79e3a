import { createTempPostgres, requirePostgresUnlessLocal, tempSqliteUrl } from '@autod/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from './index.js';

const pgOk = await requirePostgresUnlessLocal();

const targets = [
  { name: 'SQLite', pg: false },
  { name: 'PostgreSQL', pg: true },
];

const usage = (input: number, output: number) => ({
  inputTokens: input,
  cachedInputTokens: 0,
  outputTokens: output,
  reasoningTokens: 0,
  totalTokens: input + output,
});

const call = { provider: 'openai', operation: 'responses.create', model: 'gpt-5-mini' };

describe.each(targets)('spend ledger on $name', ({ pg }) => {
  let db: Database;
  let dispose: () => Promise<void>;
  let now = Date.UTC(2026, 11, 2, 23, 0, 0);

  beforeEach(async () => {
    if (pg && !pgOk) return;
    now = Date.UTC(2026, 11, 2, 23, 0, 0);
    const t = pg ? await createTempPostgres() : await tempSqliteUrl();
    const url = t.url;
    dispose = 'drop' in t ? t.drop : t.cleanup;
    db = await createDatabase({ url, clock: () => now });
    await db.migrate.latest();
  });
  afterEach(async () => {
    if (pg && !pgOk) return;
    await db.close();
    await dispose();
  });

  it.skipIf(pg && !pgOk)('counts pending estimates and settled bills; a released call counts nothing', async () => {
    const a = await db.spend.reserve({ ...call, estimatedUsd: 0.4, source: 'sha-a' });
    const b = await db.spend.reserve({ ...call, estimatedUsd: 0.3, source: 'sha-b' });
    const c = await db.spend.reserve({ ...call, operation: 'embeddings.create', estimatedUsd: 0.2 });
    if (!a.ok || !b.ok || !c.ok) throw new Error('refused without caps');
    expect(await db.spend.spent()).toEqual({ costUsd: expect.closeTo(0.9, 9), pendingUsd: expect.closeTo(0.9, 9) });
    expect(await db.spend.settle(a.id, { usage: usage(1000, 100), costUsd: 0.25 })).toBe(true);
    expect(await db.spend.settle(a.id, { usage: usage(1, 1), costUsd: 9 })).toBe(false); // once
    expect(await db.spend.release(c.id)).toBe(true);
    expect(await db.spend.spent()).toEqual({ costUsd: expect.closeTo(0.55, 9), pendingUsd: expect.closeTo(0.3, 9) });
    const [row] = await db.spend.summary({ groupBy: 'model' });
    expect(row).toMatchObject({ key: 'gpt-5-mini', calls: 2, documents: 2, inputTokens: 1000, pendingCalls: 1 });
    expect(row?.costUsd).toBeCloseTo(0.55, 9);
    expect(row?.pendingUsd).toBeCloseTo(0.3, 9);
    expect((await db.spend.pending()).map((p) => p.id)).toEqual([b.id]);
  });

  it.skipIf(pg && !pgOk)('refuses a reservation that would cross the daily or monthly cap', async () => {
    const caps = { dailyUsd: 1, monthlyUsd: 1.5 };
    const first = await db.spend.reserve({ ...call, estimatedUsd: 0.6, caps });
    expect(first.ok).toBe(true);
    const second = await db.spend.reserve({ ...call, estimatedUsd: 0.6, caps });
    expect(second).toMatchObject({ ok: false, period: 'day', periodKey: '2026-12-02', capUsd: 1 });
    if (second.ok) throw new Error('unreachable');
    expect(second.spentUsd).toBeCloseTo(0.6, 9);
    expect(second.resetsAt).toBe(Date.UTC(2026, 11, 3));
    // exactly up to the cap is allowed
    expect((await db.spend.reserve({ ...call, estimatedUsd: 0.4, caps })).ok).toBe(true);
    // the next UTC day has its own daily total, the month still counts yesterday
    now = Date.UTC(2026, 11, 3, 1, 0, 0);
    const month = await db.spend.reserve({ ...call, estimatedUsd: 0.6, caps });
    expect(month).toMatchObject({ ok: false, period: 'month', periodKey: '2026-12', resetsAt: Date.UTC(2027, 0, 1) });
    expect((await db.spend.reserve({ ...call, estimatedUsd: 0.5, caps })).ok).toBe(true);
  });

  it.skipIf(pg && !pgOk)('concurrent reservations never take more than the cap', async () => {
    const caps = { dailyUsd: 1 };
    const results = await Promise.all(
      Array.from({ length: 10 }, () => db.spend.reserve({ ...call, estimatedUsd: 0.3, caps })),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(3);
    expect((await db.spend.spent()).costUsd).toBeCloseTo(0.9, 9);
  });

  it.skipIf(pg && !pgOk)('a batch reservation is settled later by its handle, once', async () => {
    const r = await db.spend.reserve({ ...call, operation: 'batches.create', batch: true, estimatedUsd: 2 });
    if (!r.ok) throw new Error('refused');
    await db.spend.attach(r.id, 'batch:b1');
    expect(await db.spend.settleRef('batch:b1', { usage: usage(500, 50), costUsd: 0.7 })).toBe(1);
    expect(await db.spend.settleRef('batch:b1', { usage: usage(500, 50), costUsd: 0.7 })).toBe(0);
    expect((await db.spend.spent()).costUsd).toBeCloseTo(0.7, 9);
  });
});
