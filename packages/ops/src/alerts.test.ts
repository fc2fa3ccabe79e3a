import { describe, expect, it } from 'vitest';
import {
  AlertManager,
  costLevelRule,
  defaultAlertRules,
  errorRateRule,
  failedDocumentsRule,
  p95LatencyRule,
  percentile,
  breakerOpenRule,
  formatUsd,
  type Alert,
  type AlertChannel,
} from './alerts.js';

function capture(name = 'capture'): AlertChannel & { got: Alert[] } {
  const got: Alert[] = [];
  return { name, got, send: async (a) => void got.push(a) };
}

function setup(rules = defaultAlertRules(), extra: { minIntervalMs?: number; maxPerHour?: number } = {}) {
  const clock = { now: Date.parse('2025-03-10T12:00:00Z') };
  const ch = capture();
  const m = new AlertManager({ channels: [ch], rules, clock: () => clock.now, ...extra });
  return { clock, ch, m };
}

const alert = (key: string, rule = 'test'): Alert => ({
  rule,
  severity: 'warning',
  summary: `s ${key}`,
  dedupeKey: key,
  at: new Date(0).toISOString(),
});

describe('error-rate rule', () => {
  it('fires above 5% with enough requests, not at or below it', async () => {
    const { m, ch } = setup([errorRateRule({ minRequests: 20 })]);
    for (let i = 0; i < 19; i++) m.recordRequest(true, 100);
    m.recordRequest(false, 100);
    expect(await m.evaluate()).toEqual([]); // 1/20 = 5% is not > 5%
    m.recordRequest(false, 100); // 2/21 ≈ 9.5%
    const fired = await m.evaluate();
    expect(fired).toHaveLength(1);
    expect(fired[0]).toMatchObject({ rule: 'error_rate', severity: 'warning', dedupeKey: 'error_rate' });
    expect(fired[0]?.details).toMatchObject({ failed: 2, requests: 21 });
    expect(ch.got).toEqual(fired);
  });

  it('ignores requests outside the window and small samples', async () => {
    const { m, clock } = setup([errorRateRule({ windowMs: 60_000, minRequests: 5 })]);
    for (let i = 0; i < 10; i++) m.recordRequest(false, 10);
    clock.now += 61_000;
    for (let i = 0; i < 4; i++) m.recordRequest(false, 10);
    expect(await m.evaluate()).toEqual([]);
    m.recordRequest(false, 10);
    expect((await m.evaluate())[0]?.severity).toBe('critical');
  });
});

describe('p95 latency rule', () => {
  it('uses the nearest-rank p95 of the window', async () => {
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.95)).toBe(10);
    expect(percentile([5], 0.95)).toBe(5);
    const { m } = setup([p95LatencyRule({ p95LatencyMs: 2000, minRequests: 20 })]);
    for (let i = 0; i < 19; i++) m.recordRequest(true, 500);
    m.recordRequest(true, 9000); // p95 of 20 samples is the 19th = 500
    expect(await m.evaluate()).toEqual([]);
    m.recordRequest(true, 9000);
    m.recordRequest(true, 9000); // 22 samples: rank 21 → 9000
    const [a] = await m.evaluate();
    expect(a).toMatchObject({ rule: 'p95_latency', details: { p95LatencyMs: 9000, thresholdMs: 2000 } });
  });
});

describe('cost-level rule', () => {
  /** A commit of `cost` that brings the day's total to `daily` (and the month's to `monthly`). */
  const commit = (m: AlertManager, cost: number, daily: number, monthly = daily) =>
    m.recordSpendCommit({ costUsd: cost, dailyUsd: daily, monthlyUsd: monthly });

  it('fires at the commit that crosses a level, once per level per day; staying above gives no more', async () => {
    const { m, ch, clock } = setup([costLevelRule({ dailyLevelsUsd: [10, 50, 100], monthlyLevelsUsd: [1000] })], {
      minIntervalMs: 0,
    });
    commit(m, 0.5, 9.99);
    expect(await m.evaluate()).toEqual([]);
    commit(m, 0.01, 10);
    expect((await m.evaluate()).map((a) => a.details?.levelUsd)).toEqual([10]);
    commit(m, 20, 30);
    expect(await m.evaluate()).toEqual([]);
    commit(m, 25, 55);
    const fifty = await m.evaluate();
    expect(fifty).toHaveLength(1);
    expect(fifty[0]).toMatchObject({
      rule: 'cost_daily',
      severity: 'warning',
      details: { levelUsd: 50, totalUsd: 55, commitUsd: 25 },
    });
    commit(m, 5, 60);
    expect(await m.evaluate()).toEqual([]);
    expect(ch.got).toHaveLength(2);
    // next day: the daily total starts over and the levels re-arm
    clock.now += 24 * 3600_000;
    commit(m, 12, 12, 72);
    expect((await m.evaluate()).map((a) => `${a.rule}:${String(a.details?.levelUsd)}`)).toEqual(['cost_daily:10']);
  });

  it('spend already above a level when the process started does not alert; the commit that crossed it did', async () => {
    const { m } = setup([costLevelRule({ levelsUsd: [10] })]);
    commit(m, 0.2, 15); // another command crossed $10 earlier today
    expect(await m.evaluate()).toEqual([]);
    m.recordCost({ dailyUsd: 15, monthlyUsd: 15 }); // totals alone never alert
    expect(await m.evaluate()).toEqual([]);
  });

  it('reports only the highest of several levels crossed at once, daily and monthly separately', async () => {
    const { m } = setup([costLevelRule()]);
    commit(m, 116, 5, 120);
    const fired = await m.evaluate();
    expect(fired).toHaveLength(1);
    expect(fired[0]).toMatchObject({
      rule: 'cost_monthly',
      severity: 'critical',
      details: { levelUsd: 100, periodKey: '2025-03' },
    });
    commit(m, 6, 11, 126);
    const daily = await m.evaluate();
    expect(daily.map((a) => [a.rule, a.severity])).toEqual([['cost_daily', 'info']]);
  });

  it('says the money with enough digits to mean something', async () => {
    const { m } = setup([costLevelRule({ levelsUsd: [0.001, 0.005] })]);
    commit(m, 0.00926, 0.00926, 0.00926);
    const [daily] = await m.evaluate();
    expect(daily?.summary).toBe('Daily spend $0.00926 crossed the $0.005 level (2025-03-10)');
    expect(formatUsd(0)).toBe('$0');
    expect(formatUsd(0.001)).toBe('$0.001');
    expect(formatUsd(0.5)).toBe('$0.50');
    expect(formatUsd(0.0000123)).toBe('$0.0000123');
    expect(formatUsd(12.345)).toBe('$12.35');
    expect(formatUsd(100)).toBe('$100.00');
  });
});

describe('breaker and failed-document rules', () => {
  it('fires while the breaker is open, repeats only after minIntervalMs', async () => {
    const { m, clock } = setup([breakerOpenRule()], { minIntervalMs: 600_000 });
    m.recordBreaker('halfOpen');
    expect(await m.evaluate()).toEqual([]);
    m.recordBreaker('open');
    expect((await m.evaluate())[0]).toMatchObject({ rule: 'breaker_open', severity: 'critical' });
    clock.now += 60_000;
    expect(await m.evaluate()).toEqual([]);
    clock.now += 600_000;
    expect(await m.evaluate()).toHaveLength(1);
    m.recordBreaker('closed');
    clock.now += 600_000;
    expect(await m.evaluate()).toEqual([]);
  });

  it('fires when failed documents in the last hour reach the threshold', async () => {
    const { m, clock } = setup([failedDocumentsRule({ perHour: 3 })]);
    m.recordFailedDocument({ fileName: 'a.pdf', code: 'INPUT_CORRUPT_PDF' });
    m.recordFailedDocument({ fileName: 'b.pdf', code: 'INPUT_CORRUPT_PDF' });
    expect(await m.evaluate()).toEqual([]);
    clock.now += 3600_000;
    m.recordFailedDocument({ fileName: 'c.pdf', code: 'UPSTREAM_ERROR' });
    expect(await m.evaluate()).toEqual([]); // the first two aged out
    m.recordFailedDocument({ fileName: 'd.pdf', code: 'UPSTREAM_ERROR' });
    m.recordFailedDocument({ fileName: 'e.pdf', code: 'INPUT_NO_TEXT' });
    const [a] = await m.evaluate();
    expect(a?.details).toMatchObject({ count: 3, codes: { UPSTREAM_ERROR: 2, INPUT_NO_TEXT: 1 } });
  });
});

describe('AlertManager.fire', () => {
  it('de-duplicates by dedupeKey within minIntervalMs', async () => {
    const { m, ch, clock } = setup([], { minIntervalMs: 60_000 });
    expect(await m.fire(alert('k1'))).toBe('sent');
    expect(await m.fire(alert('k1'))).toBe('duplicate');
    expect(await m.fire(alert('k2'))).toBe('sent');
    clock.now += 60_000;
    expect(await m.fire(alert('k1'))).toBe('sent');
    expect(ch.got.map((a) => a.dedupeKey)).toEqual(['k1', 'k2', 'k1']);
  });

  it('rate-limits to maxPerHour across keys', async () => {
    const { m, ch, clock } = setup([], { maxPerHour: 3 });
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await m.fire(alert(`k${i}`)));
    expect(results).toEqual(['sent', 'sent', 'sent', 'rate_limited', 'rate_limited']);
    expect(m.suppressedCount).toBe(2);
    clock.now += 3600_001;
    expect(await m.fire(alert('k9'))).toBe('sent');
    expect(ch.got).toHaveLength(4);
    expect(m.history().map((a) => a.dedupeKey)).toEqual(['k0', 'k1', 'k2', 'k9']);
  });

  it('keeps delivering to other channels when one throws', async () => {
    const good = capture('good');
    const bad: AlertChannel = {
      name: 'bad',
      send: () => Promise.reject(new Error('down')),
    };
    const warnings: unknown[] = [];
    const logger = {
      trace: () => undefined,
      debug: () => undefined,
      info: () => undefined,
      warn: (o: object | string) => void warnings.push(o),
      error: () => undefined,
      fatal: () => undefined,
      child: () => logger,
    };
    const m = new AlertManager({ channels: [bad, good], rules: [], logger });
    expect(await m.fire(alert('x'))).toBe('sent');
    expect(good.got).toHaveLength(1);
    expect(warnings).toContainEqual(expect.objectContaining({ channel: 'bad', error: 'down' }));
    expect(warnings).not.toContainEqual(expect.objectContaining({ channel: 'good' }));
  });
});
