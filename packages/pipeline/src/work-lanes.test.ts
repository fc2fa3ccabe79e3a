import { describe, expect, it } from 'vitest';
import { WorkLanes } from './work-lanes.js';

function gate(): { wait: Promise<void>; open: () => void } {
  let open: () => void = () => undefined;
  const wait = new Promise<void>((r) => (open = r));
  return { wait, open };
}

/** Wait (polling) until `cond` holds; no timing is asserted. */
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
}

describe('WorkLanes', () => {
  it('runs at most `concurrency` tasks, first in first out', async () => {
    const lanes = new WorkLanes({ concurrency: 2, slowAfterMs: 0 });
    const started: number[] = [];
    const gates = [gate(), gate(), gate()];
    const runs = gates.map((g, i) =>
      lanes.run(async () => {
        started.push(i);
        await g.wait;
        return i;
      }),
    );
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1]);
    expect(lanes.pending).toBe(1);
    gates[0]!.open();
    expect(await runs[0]).toBe(0);
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1, 2]);
    gates[1]!.open();
    gates[2]!.open();
    expect(await Promise.all(runs)).toEqual([0, 1, 2]);
  });

  it('moves a task that runs too long to the slow lane, so the next ones start; the slow lane is bounded', async () => {
    const lanes = new WorkLanes({ concurrency: 1, slowAfterMs: 10, slowConcurrency: 1 });
    const slow1 = gate();
    const slow2 = gate();
    const done: string[] = [];
    const a = lanes.run(async () => {
      await slow1.wait;
      done.push('slow-1');
    });
    const b = lanes.run(async () => {
      await slow2.wait;
      done.push('slow-2');
    });
    const fast = lanes.run(async () => {
      done.push('fast');
    });
    // slow-1 moves to the slow lane, slow-2 takes the normal slot; the slow lane is full, so `fast` waits for a slot
    await until(() => lanes.active === 2);
    expect(lanes.active).toBe(2);
    expect(done).toEqual([]);
    slow1.open(); // the slow lane frees: slow-2 (overdue) moves there, `fast` runs
    await fast;
    expect(done).toEqual(['slow-1', 'fast']);
    slow2.open();
    await Promise.all([a, b]);
    expect(done).toEqual(['slow-1', 'fast', 'slow-2']);
  });

  it('settles cleared tasks with undefined instead of leaving them pending; errors reach the caller', async () => {
    const lanes = new WorkLanes({ concurrency: 1 });
    const g = gate();
    const first = lanes.run(async () => {
      await g.wait;
      return 'ran';
    });
    const second = lanes.run(async () => 'never');
    expect(lanes.clear()).toBe(1);
    expect(await second).toBeUndefined();
    g.open();
    expect(await first).toBe('ran');
    await expect(lanes.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await lanes.run(async () => 'after an error')).toBe('after an error');
  });
});
