import { describe, expect, it } from 'vitest';
import type { Batch } from '../api/models.js';
import { applyProgress } from './Batches.js';
import { dailySeries } from './Costs.js';

describe('dailySeries', () => {
  it('has one bar per day of the window, zero where nothing was spent', () => {
    const s = dailySeries(
      [
        { key: '2024-03-10', documents: 1, attempts: 1, inputTokens: 0, outputTokens: 0, costUsd: 0.5 },
        { key: '2024-03-12', documents: 1, attempts: 1, inputTokens: 0, outputTokens: 0, costUsd: 1.25 },
      ],
      new Date('2024-03-12T15:00:00Z'),
      3,
    );
    expect(s).toEqual({ labels: ['03-10', '03-11', '03-12'], values: [0.5, 0, 1.25] });
  });
});

describe('applyProgress', () => {
  const batch = {
    id: 'b1',
    mode: 'live',
    status: 'running',
    active: true,
    resumable: false,
    inputs: ['scans'],
    total: 10,
    pending: 10,
    done: 0,
    failed: 0,
    skipped: 0,
    duplicates: 0,
    costUsd: 0,
    ratePerSec: null,
    etaSec: null,
    options: {},
    createdAt: '',
    updatedAt: '',
    finishedAt: null,
  } as Batch;
  it('moves counts, rate and ETA forward and ends the batch', () => {
    const mid = applyProgress(batch, { type: 'progress', done: 4, pending: 6, ratePerSec: 2, etaSec: 3, costUsd: 0.1 });
    expect(mid).toMatchObject({ done: 4, pending: 6, etaSec: 3, costUsd: 0.1, active: true });
    const end = applyProgress(mid, { type: 'end', done: 10, pending: 0, status: 'completed', etaSec: 0 });
    expect(end).toMatchObject({ done: 10, status: 'completed', active: false });
  });
});
