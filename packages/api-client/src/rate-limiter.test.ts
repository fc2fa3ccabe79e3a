import { describe, expect, test } from 'vitest';
import { RateLimiter } from './rate-limiter.js';
import { fakeTime } from './__tests__/helpers.js';

describe('RateLimiter', () => {
  test('TPM: a request that does not fit waits for the window to free enough tokens', async () => {
    const t = fakeTime(0);
    const l = new RateLimiter({ tpm: 1000, clock: t.clock, sleep: t.sleep });
    await l.acquire(600);
    t.advance(10_000);
    await l.acquire(300);
    await l.acquire(500); // 1400 > 1000: waits until the 600 leaves the window at t = 60 s
    expect(t.waits).toEqual([50_000]);
    expect(t.clock.now()).toBe(60_000);
  });

  test('an oversized request passes once the window is empty instead of blocking forever', async () => {
    const t = fakeTime(0);
    const l = new RateLimiter({ tpm: 100, clock: t.clock, sleep: t.sleep });
    await l.acquire(5000);
    await l.acquire(10);
    expect(t.waits).toEqual([60_000]);
  });

  test('aborting a waiter rejects with ABORTED and frees the queue', async () => {
    const t = fakeTime(0);
    const never = (_ms: number, signal?: AbortSignal) =>
      new Promise<void>((_, reject) => signal?.addEventListener('abort', () => reject(new Error('aborted'))));
    const l = new RateLimiter({ rpm: 1, clock: t.clock, sleep: never });
    await l.acquire(0);
    const ac = new AbortController();
    const pending = l.acquire(0, ac.signal);
    ac.abort();
    await expect(pending).rejects.toThrow();
  });

  test('rejects nonsense budgets', () => {
    expect(() => new RateLimiter({ rpm: 0 })).toThrow(/rpm/);
    expect(() => new RateLimiter({ tpm: -5 })).toThrow(/tpm/);
    expect(new RateLimiter().currentRpm).toBe(Number.POSITIVE_INFINITY);
  });
});
