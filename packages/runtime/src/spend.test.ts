import { describe, expect, it } from 'vitest';
import type { Database } from '@autod/db';
import { AlertManager, costLevelRule, type Alert } from '@autod/ops';
import { SpendReporter } from './alerts.js';

function setup(levels: number[], now: () => Date) {
  const sent: Alert[] = [];
  const alerts = new AlertManager({
    channels: [{ name: 'capture', send: async (a) => void sent.push(a) }],
    rules: [costLevelRule({ dailyLevelsUsd: levels, monthlyLevelsUsd: [1e9] })],
    minIntervalMs: 0,
    clock: () => now().getTime(),
  });
  const totals = { daily: 0, pending: 0 };
  // the ledger counts pending estimates into costUsd; the reporter alerts on what was billed
  const db = {
    spend: { spent: async () => ({ costUsd: totals.daily + totals.pending, pendingUsd: totals.pending }) },
  } as unknown as Database;
  return { sent, totals, reporter: new SpendReporter(alerts, db, now) };
}

describe('SpendReporter', () => {
  it('commits that land before the first report still cross the level (reported once)', async () => {
    const now = () => new Date('2026-12-02T10:00:00Z');
    const { sent, totals, reporter } = setup([1], now);
    await reporter.start();
    // three commits of 0.4 are in the ledger before anything is reported
    totals.daily = 1.2;
    await Promise.all([reporter.commit(0.4), reporter.commit(0.4), reporter.commit(0.4)]);
    expect(sent.map((a) => a.details?.['levelUsd'])).toEqual([1]);
  });

  it('no crossing falls between two reports, also when other processes spend in between', async () => {
    const now = () => new Date('2026-12-02T10:00:00Z');
    const { sent, totals, reporter } = setup([1, 2], now);
    await reporter.start();
    totals.daily = 0.5;
    await reporter.commit(0.5);
    totals.daily = 1.9; // another process spent 1.0, then we commit 0.4
    await reporter.commit(0.4);
    expect(sent.map((a) => a.details?.['levelUsd'])).toEqual([1]);
    totals.daily = 2.1;
    await reporter.commit(0.2);
    expect(sent.map((a) => a.details?.['levelUsd'])).toEqual([1, 2]);
  });

  it('spend already above the levels when the process starts does not alert', async () => {
    const now = () => new Date('2026-12-02T10:00:00Z');
    const { sent, totals, reporter } = setup([1, 2], now);
    totals.daily = 4.9;
    await reporter.start();
    totals.daily = 5;
    await reporter.commit(0.1);
    expect(sent).toEqual([]);
  });

  it('a new UTC day starts from the day’s own total', async () => {
    let t = new Date('2026-12-02T23:59:00Z');
    const { sent, totals, reporter } = setup([1], () => t);
    totals.daily = 2.9;
    await reporter.start();
    totals.daily = 3;
    await reporter.commit(0.1); // above already: nothing
    t = new Date('2026-12-03T00:01:00Z');
    totals.daily = 1.2;
    await reporter.commit(1.2);
    expect(sent.map((a) => `${a.rule}:${String(a.details?.['periodKey'])}`)).toEqual(['cost_daily:2026-12-03']);
  });
});

it('without start(), the first report counts only its own commits', async () => {
  const now = () => new Date('2026-12-02T10:00:00Z');
  const { sent, totals, reporter } = setup([1], now);
  totals.daily = 1.5;
  await reporter.commit(0.2); // 1.3 → 1.5: the level was crossed before
  expect(sent).toEqual([]);
});

it('estimates of calls in flight are not spend: only billed dollars cross a level', async () => {
  const now = () => new Date('2026-12-02T10:00:00Z');
  const { sent, totals, reporter } = setup([1], now);
  await reporter.start();
  totals.daily = 0.9;
  totals.pending = 0.5; // other calls in flight
  await reporter.commit(0.9);
  expect(sent).toEqual([]);
  totals.daily = 1.1;
  totals.pending = 0;
  await reporter.commit(0.2);
  expect(sent.map((a) => a.details?.['levelUsd'])).toEqual([1]);
});
