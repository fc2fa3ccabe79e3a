import { createDatabase, type Database } from '@autod/db';
import { AlertManager, type Alert } from '@autod/ops';
import { tempSqliteUrl } from '@autod/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SpendMeter } from './spend-meter.js';

const usage = { inputTokens: 100, cachedInputTokens: 0, outputTokens: 10, reasoningTokens: 0, totalTokens: 110 };
const call = { operation: 'responses.create', model: 'gpt-5-mini', batch: false };

describe('SpendMeter', () => {
  let db: Database;
  let cleanup: () => Promise<void>;
  const sent: Alert[] = [];
  let alerts: AlertManager;

  beforeEach(async () => {
    const t = await tempSqliteUrl();
    cleanup = t.cleanup;
    db = await createDatabase({ url: t.url });
    await db.migrate.latest();
    sent.length = 0;
    alerts = new AlertManager({
      channels: [{ name: 'capture', send: async (a) => void sent.push(a) }],
      rules: [],
      minIntervalMs: 60_000,
    });
  });
  afterEach(async () => {
    await db.close();
    await cleanup();
  });

  it('books calls in the ledger: pending while in flight, settled with the bill', async () => {
    const meter = new SpendMeter(db, { owner: 'test:1' });
    const ticket = await meter.reserve({ ...call, estimatedUsd: 0.5, source: 'sha' });
    expect(await db.spend.pending()).toEqual([expect.objectContaining({ estimatedUsd: 0.5, owner: 'test:1' })]);
    await ticket.settle({ usage, costUsd: 0.2 });
    expect(await db.spend.spent()).toEqual({ costUsd: 0.2, pendingUsd: 0 });
  });

  it('over the daily cap: BUDGET_EXCEEDED (retry when the UTC day ends), one critical alert per period', async () => {
    const meter = new SpendMeter(db, { dailyUsd: 1, alerts });
    await meter.reserve({ ...call, estimatedUsd: 0.8 });
    const before = Date.now();
    const refused = await meter.reserve({ ...call, estimatedUsd: 0.3 }).catch((e: unknown) => e);
    expect(refused).toMatchObject({
      code: 'BUDGET_EXCEEDED',
      category: 'rate_limit',
      details: { period: 'day', setting: 'AUTOD_BUDGET_DAILY_USD', capUsd: 1, spentUsd: 0.8, estimatedUsd: 0.3 },
    });
    const error = refused as { message: string; retryAfterMs: number };
    expect(error.message).toContain('raise AUTOD_BUDGET_DAILY_USD');
    const now = new Date(before);
    const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
    expect(error.retryAfterMs).toBeGreaterThan(0);
    expect(error.retryAfterMs).toBeLessThanOrEqual(midnight - before);
    await meter.reserve({ ...call, estimatedUsd: 0.3 }).catch(() => undefined);
    expect(sent.map((a) => [a.rule, a.severity, a.details?.['period']])).toEqual([
      ['budget_exceeded', 'critical', 'day'],
    ]);
    // what fits still goes
    await expect(meter.reserve({ ...call, estimatedUsd: 0.2 })).resolves.toBeDefined();
  });

  it('the monthly cap counts the whole UTC month; a released call frees its reservation', async () => {
    const meter = new SpendMeter(db, { monthlyUsd: 1, alerts });
    const t = await meter.reserve({ ...call, estimatedUsd: 0.9 });
    await expect(meter.reserve({ ...call, estimatedUsd: 0.2 })).rejects.toMatchObject({
      code: 'BUDGET_EXCEEDED',
      details: { period: 'month', setting: 'AUTOD_BUDGET_MONTHLY_USD' },
    });
    await t.release();
    await expect(meter.reserve({ ...call, estimatedUsd: 0.2 })).resolves.toBeDefined();
  });

  it('a batch reservation is settled by its handle', async () => {
    const meter = new SpendMeter(db);
    const t = await meter.reserve({ ...call, operation: 'batches.create', batch: true, estimatedUsd: 1 });
    await t.attach('batch:b9');
    await meter.settleRef('batch:b9', { usage, costUsd: 0.4 });
    expect(await db.spend.spent()).toEqual({ costUsd: 0.4, pendingUsd: 0 });
  });
});
