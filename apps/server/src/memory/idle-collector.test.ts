import { describe, expect, it } from 'vitest';
import { IdleCollector, memoryReducingGc } from './idle-collector.js';

const MB = 1024 * 1024;

/** A collector over a fake heap: `heap.bytes` is what it reads; a collection drops it to `heap.live`. */
function fixture(options: { quietMs?: number; busy?: () => boolean } = {}) {
  const heap = { bytes: 100 * MB, live: 40 * MB };
  const collections: { heapBefore: number; heapAfter: number }[] = [];
  const collector = new IdleCollector({
    quietMs: options.quietMs ?? 10_000,
    busy: options.busy ?? (() => false),
    heapBytes: () => heap.bytes,
    collect: () => {
      heap.bytes = heap.live;
    },
    onCollect: ({ heapBefore, heapAfter }) => collections.push({ heapBefore, heapAfter }),
  });
  return { heap, collections, collector };
}

describe('IdleCollector', () => {
  it('collects once the server has been quiet for quietMs, and not again until the heap grows', () => {
    const { heap, collections, collector } = fixture();
    expect(collector.check(0)).toBe(false); // quiet starts
    expect(collector.check(5_000)).toBe(false);
    expect(collector.check(10_000)).toBe(true);
    expect(collections).toEqual([{ heapBefore: 100 * MB, heapAfter: 40 * MB }]);
    // Still quiet, nothing grew: no second collection.
    expect(collector.check(20_000)).toBe(false);
    expect(collector.check(40_000)).toBe(false);
    // A burst grows the heap by more than 32 MiB; once quiet again, one more collection.
    for (let i = 0; i < 500; i++) collector.noteRequest();
    heap.bytes = 90 * MB;
    expect(collector.check(41_000)).toBe(false); // the burst itself is not quiet
    expect(collector.check(42_000)).toBe(false);
    expect(collector.check(52_000)).toBe(true);
    expect(collections).toHaveLength(2);
  });

  it('waits while requests keep coming faster than one a second, and lets health probes through', () => {
    const { collector, collections } = fixture();
    // 100 requests between checks 5 s apart: busy.
    for (let t = 0; t <= 60_000; t += 5_000) {
      for (let i = 0; i < 100; i++) collector.noteRequest();
      expect(collector.check(t)).toBe(false);
    }
    expect(collections).toHaveLength(0);
    // A probe every 10 s is quiet.
    collector.noteRequest();
    expect(collector.check(65_000)).toBe(false);
    collector.noteRequest();
    expect(collector.check(75_000)).toBe(true);
  });

  it('never collects while documents are processed or batches run, nor when the heap did not grow', () => {
    let busy = true;
    const { heap, collector, collections } = fixture({ busy: () => busy });
    for (let t = 0; t <= 60_000; t += 5_000) expect(collector.check(t)).toBe(false);
    busy = false;
    heap.bytes = 20 * MB; // under the growth threshold
    expect(collector.check(61_000)).toBe(false);
    expect(collector.check(80_000)).toBe(false);
    expect(collections).toHaveLength(0);
  });

  it('is off with quietMs 0', () => {
    const { collector, collections } = fixture({ quietMs: 0 });
    expect(collector.enabled).toBe(false);
    expect(collector.check(0)).toBe(false);
    expect(collector.check(1_000_000)).toBe(false);
    expect(collections).toHaveLength(0);
  });
});

describe('memoryReducingGc', () => {
  it("runs V8's full collection and frees unreachable memory", async () => {
    const collect = memoryReducingGc();
    // Only the WeakRef points at this array.
    const ref = new WeakRef(Array.from({ length: 200_000 }, (_, i) => ({ i, s: `item ${i}` })));
    await new Promise((resolve) => setImmediate(resolve)); // a WeakRef keeps its target until the current job ends
    collect();
    expect(ref.deref()).toBeUndefined();
  });
});
