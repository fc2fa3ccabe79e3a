import { startEmulator, type Emulator } from '@autod/testkit';
import type { AutodError } from '@autod/errors';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { ApiClient } from './api-client.js';
import { RateLimiter } from './rate-limiter.js';
import type { ApiClientOptions, ApiEvent } from './types.js';
import { fakeTime, maxInWindow } from './__tests__/helpers.js';

let emu: Emulator;
const clients: ApiClient[] = [];

beforeAll(async () => {
  emu = await startEmulator({ embeddingDimensions: 8 });
});
afterAll(async () => {
  await emu.close();
});
afterEach(() => {
  emu.setFaults({});
  for (const c of clients.splice(0)) c.close();
});

function client(extra: Partial<ApiClientOptions> = {}): ApiClient {
  const c = new ApiClient({ apiKey: 'sk-test', baseURL: emu.url, model: 'gpt-5-mini', ...extra });
  clients.push(c);
  return c;
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
const embeddingRequests = () => emu.requests.filter((r) => r.route === '/v1/embeddings').length;

describe('circuit breaker', () => {
  test('opens on upstream failures, fails fast without retrying, half-opens after the cool-down and closes on success', async () => {
    const t = fakeTime();
    const events: ApiEvent[] = [];
    const c = client({
      clock: t.clock,
      sleep: t.sleep,
      retry: { maxAttempts: 2, random: () => 0 },
      breaker: { volumeThreshold: 4, errorThresholdPercentage: 50, resetTimeoutMs: 80, rollingCountTimeoutMs: 60_000 },
      onEvent: (e) => events.push(e),
    });
    emu.setFaults({
      script: ['server_error', 'server_error', 'server_error', 'server_error'],
      routes: ['/v1/embeddings'],
    });
    await expect(c.embed(['a'])).rejects.toMatchObject({ code: 'UPSTREAM_ERROR' });
    expect(c.breakerState).toBe('closed');
    await expect(c.embed(['a'])).rejects.toMatchObject({ code: 'UPSTREAM_ERROR' });
    expect(c.breakerState).toBe('open');
    expect(t.waits).toHaveLength(2);

    // Open: fails fast, nothing is sent, and our retry loop does not hammer it.
    const sent = embeddingRequests();
    const open = (await c.embed(['a']).catch((e: unknown) => e)) as AutodError;
    expect(open.code).toBe('CIRCUIT_OPEN');
    expect(open.retryable).toBe(true);
    expect(open.category).toBe('upstream');
    // It says when the cool-down ends (callers defer work until then).
    expect(open.retryAfterMs).toBeGreaterThan(0);
    expect(open.retryAfterMs).toBeLessThanOrEqual(80);
    expect(embeddingRequests()).toBe(sent);
    expect(t.waits).toHaveLength(2);
    expect(events.at(-1)).toMatchObject({ status: 'circuit_open', errorCode: 'CIRCUIT_OPEN' });

    // Half-open probe fails -> open again.
    await wait(120);
    expect(c.breakerState).toBe('halfOpen');
    emu.setFaults({ script: ['unavailable'], routes: ['/v1/embeddings'] });
    await expect(c.embed(['a'])).rejects.toMatchObject({
      code: expect.stringMatching(/UPSTREAM_UNAVAILABLE|CIRCUIT_OPEN/),
    });
    expect(c.breakerState).toBe('open');

    // Half-open probe succeeds -> closed.
    await wait(120);
    expect(c.breakerState).toBe('halfOpen');
    const ok = await c.embed(['a']);
    expect(ok.vectors).toHaveLength(1);
    expect(c.breakerState).toBe('closed');
  });

  test('4xx caused by our request does not count as an upstream failure', async () => {
    const emuAuth = await startEmulator({ requireApiKey: 'sk-right' });
    try {
      const c = new ApiClient({
        apiKey: 'sk-wrong',
        baseURL: emuAuth.url,
        model: 'gpt-5-mini',
        breaker: { volumeThreshold: 2, errorThresholdPercentage: 10 },
      });
      clients.push(c);
      for (let i = 0; i < 6; i++) await expect(c.embed(['a'])).rejects.toMatchObject({ code: 'UPSTREAM_AUTH' });
      expect(c.breakerState).toBe('closed');
      expect(emuAuth.requests).toHaveLength(6);
    } finally {
      await emuAuth.close();
    }
  });
});

describe('rate limiting', () => {
  test('never sends more than the RPM budget in any 60 s window (fake clock)', async () => {
    const t = fakeTime();
    const sentAt: number[] = [];
    const recordingFetch: typeof fetch = (input, init) => {
      sentAt.push(t.clock.now());
      return fetch(input, init);
    };
    const c = client({ clock: t.clock, sleep: t.sleep, rateLimit: { rpm: 60 }, fetch: recordingFetch });
    await Promise.all(Array.from({ length: 150 }, (_, i) => c.embed([`text ${i}`])));
    expect(sentAt).toHaveLength(150);
    expect(maxInWindow(sentAt, 60_000)).toBeLessThanOrEqual(60);
    // It is a budget, not a crawl: the first minute is used fully.
    expect(sentAt.filter((x) => x < sentAt[0]! + 60_000)).toHaveLength(60);
  });

  test('a 429 halves the budget and successes grow it back', async () => {
    const t = fakeTime();
    const c = client({ clock: t.clock, sleep: t.sleep, rateLimit: { rpm: 40 }, retry: { random: () => 0 } });
    emu.setFaults({ script: ['rate_limit'], routes: ['/v1/embeddings'], retryAfterMs: 10 });
    await c.embed(['a']);
    expect(c.limiter.currentRpm).toBe(20);
    for (let i = 0; i < 4; i++) await c.embed(['a']); // 1 success was part of the first call
    expect(c.limiter.currentRpm).toBe(24);
  });

  test('one limiter can be shared by several clients', async () => {
    const t = fakeTime();
    const limiter = new RateLimiter({ rpm: 5, clock: t.clock, sleep: t.sleep });
    const sentAt: number[] = [];
    const f: typeof fetch = (input, init) => {
      sentAt.push(t.clock.now());
      return fetch(input, init);
    };
    const a = client({ limiter, fetch: f });
    const b = client({ limiter, fetch: f });
    await Promise.all([
      ...Array.from({ length: 6 }, () => a.embed(['x'])),
      ...Array.from({ length: 6 }, () => b.embed(['y'])),
    ]);
    expect(maxInWindow(sentAt, 60_000)).toBeLessThanOrEqual(5);
    expect(a.limiter).toBe(b.limiter);
  });
});

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
