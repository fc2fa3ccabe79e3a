import { noopLogger } from '@autod/ops';
import { describe, expect, test } from 'vitest';
import { BudgetGate, type BudgetGateOptions } from './budget-gate.js';
import { ProgressTracker } from './progress.js';
import type { BatchItem } from './types.js';

const counts = { total: 20, pending: 20, done: 0, failed: 0, skipped: 0, duplicate: 0, costUsd: 0 };

function item(id: number): BatchItem {
  return {
    id,
    batchId: 'b1',
    path: `/in/${id}.pdf`,
    sha256: null,
    status: 'pending',
    documentId: null,
    error: null,
    attempts: 0,
    costUsd: 0,
    openaiBatchId: null,
    updatedAt: new Date(0),
  };
}

function gate(options: Partial<BudgetGateOptions> = {}) {
  const tracker = new ProgressTracker({ batchId: 'b1', mode: 'live', counts });
  return { tracker, gate: new BudgetGate({ batchId: 'b1', tracker, logger: noopLogger, ...options }) };
}

describe('BudgetGate', () => {
  test('without a cap every item is admitted and reserves nothing', async () => {
    const { gate: g } = gate({ estimateCost: () => 100 });
    for (let i = 1; i <= 5; i++) expect(await g.admit(item(i))).toEqual({ reserve: 0, estimate: 0 });
  });

  test('reserves estimates up to the cap; with nothing in flight the next item that does not fit is refused', async () => {
    const { gate: g } = gate({ maxCostUsd: 5, estimateCost: () => 2 });
    expect(await g.admit(item(1))).toEqual({ reserve: 2, estimate: 2 });
    const second = await g.admit(item(2));
    expect(second).toEqual({ reserve: 2, estimate: 2 });
    g.release({ reserve: 2, estimate: 2 });
    g.release({ reserve: 2, estimate: 2 });
    expect(await g.admit(item(3))).toEqual({ reserve: 2, estimate: 2 });
    g.release({ reserve: 2, estimate: 2 });
    // 4.5 spent and committed: 2 more does not fit, and nothing is in flight to wait for.
    g.spent(4.5, 2);
    expect(await g.admit(item(4))).toBe('budget');
  });

  test('over the cap with items in flight it waits for one to finish, then decides with calibrated estimates', async () => {
    const { gate: g, tracker } = gate({ maxCostUsd: 6, estimateCost: () => 2 });
    const inFlight = [await g.admit(item(1)), await g.admit(item(2)), await g.admit(item(3))];
    expect(inFlight.every((a) => a !== 'budget' && a !== 'aborted' && a.reserve === 2)).toBe(true);
    let decided: unknown;
    const waiting = g.admit(item(4)).then((a) => (decided = a));
    await new Promise((r) => setImmediate(r));
    expect(decided).toBeUndefined(); // 6 reserved + 2: waits instead of refusing

    // Item 1 really cost half its estimate: committed, its reservation released, estimates calibrated to × 0.5.
    g.spent(1, 2);
    tracker.record('done', 1);
    g.saved(1);
    g.release({ reserve: 2, estimate: 2 });
    // 1 spent + 4 reserved + 2 × 0.5 = 6 fits.
    expect(await waiting).toEqual({ reserve: 1, estimate: 2 });
  });

  test('aborting a waiting admission leaves the item out', async () => {
    const ac = new AbortController();
    const { gate: g } = gate({ maxCostUsd: 2, estimateCost: () => 2, signal: ac.signal });
    expect(await g.admit(item(1))).toEqual({ reserve: 2, estimate: 2 });
    const waiting = g.admit(item(2));
    ac.abort();
    expect(await waiting).toBe('aborted');
  });

  test('without an estimator an item is estimated at the batch average so far', async () => {
    const { gate: g, tracker } = gate({ maxCostUsd: 10 });
    expect(await g.admit(item(1))).toEqual({ reserve: 0, estimate: 0 });
    g.release({ reserve: 0, estimate: 0 });
    tracker.record('done', 3);
    tracker.record('done', 1);
    expect(await g.admit(item(2))).toEqual({ reserve: 2, estimate: 2 });
  });
});
