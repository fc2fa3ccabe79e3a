import { startEmulator } from '@autod/testkit';
import type { AutodError } from '@autod/errors';
import { describe, expect, test } from 'vitest';
import { ApiClient } from './api-client.js';
import { RateLimiter } from './rate-limiter.js';
import type { ApiEvent } from './types.js';
import { emulatorClients } from './__tests__/emulator-clients.js';
import { fakeTime, maxInWindow, tinyPdf } from './__tests__/helpers.js';

const KEY = 'sk-test-secret-key-0123456789';
const { emu, client, closeAfter } = emulatorClients({ requireApiKey: KEY, embeddingDimensions: 8 }, { apiKey: KEY });

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
const embeddingRequests = () => emu().requests.filter((r) => r.route === '/v1/embeddings').length;
const responsesRequests = () => emu().requests.filter((r) => r.route === '/v1/responses');

const input = {
  pdf: tinyPdf([['Acme Power & Light', 'Invoice number INV-2024-001', 'Amount due: $1,234.56'], ['Page two']]),
  fileName: 'acme-bill.pdf',
  sourceFileId: 'sha256:abc',
  processedAt: '2026-11-25T10:00:00Z',
};

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
    emu().setFaults({
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
    emu().setFaults({ script: ['unavailable'], routes: ['/v1/embeddings'] });
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
      closeAfter(c);
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
    emu().setFaults({ script: ['rate_limit'], routes: ['/v1/embeddings'], retryAfterMs: 10 });
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

describe('errors and retries', () => {
  test('retries 429/5xx with Retry-After honoured and exponential backoff otherwise', async () => {
    emu().setFaults({
      script: ['rate_limit', 'server_error', 'unavailable'],
      routes: ['/v1/responses'],
      retryAfterMs: 1500,
    });
    const t = fakeTime();
    const events: ApiEvent[] = [];
    const result = await client({
      clock: t.clock,
      sleep: t.sleep,
      retry: { maxAttempts: 5, baseDelayMs: 500, maxDelayMs: 8000, random: () => 0.999999 },
      onEvent: (e) => events.push(e),
    }).extractMetadata(input);
    expect(result.attempts).toBe(4);
    // 1: Retry-After 1500 ms; 2 and 3: full-jitter backoff ceilings 1000 and 2000 ms (random ~ 1).
    expect(t.waits.map(Math.round)).toEqual([1500, 1000, 2000]);
    expect(events.map((e) => e.status)).toEqual([429, 500, 503, 200]);
    expect(events.map((e) => e.attempt)).toEqual([1, 2, 3, 4]);
    expect(events[0]!.errorCode).toBe('RATE_LIMITED');
  });

  test('connection resets are retried', async () => {
    emu().setFaults({ script: ['reset'], routes: ['/v1/responses'] });
    const t = fakeTime();
    const result = await client({ clock: t.clock, sleep: t.sleep, retry: { random: () => 0.5 } }).extractMetadata(
      input,
    );
    expect(result.attempts).toBe(2);
    expect(t.waits).toHaveLength(1);
  });

  test('401 is not retried and neither the error nor the events contain the API key', async () => {
    const events: ApiEvent[] = [];
    const t = fakeTime();
    const bad = client({
      apiKey: 'sk-wrong-key-abcdef123456',
      clock: t.clock,
      sleep: t.sleep,
      onEvent: (e) => events.push(e),
    });
    const before = responsesRequests().length;
    const error = (await bad.extractMetadata(input).catch((e: unknown) => e)) as AutodError;
    expect(error.code).toBe('UPSTREAM_AUTH');
    expect(error.retryable).toBe(false);
    expect(error.details?.status).toBe(401);
    expect(responsesRequests().length - before).toBe(1);
    expect(t.waits).toEqual([]);
    const serialised = JSON.stringify([error.toJSON(), error.message, error.details, events]);
    expect(serialised).not.toContain('sk-wrong-key-abcdef123456');
    expect(serialised).not.toContain(KEY);
  });

  test('404 is not retried', async () => {
    const t = fakeTime();
    const c = client({ clock: t.clock, sleep: t.sleep });
    const before = emu().requests.length;
    await expect(c.vectorStores.search('vs_missing', 'anything')).rejects.toMatchObject({
      code: 'NOT_FOUND',
      retryable: false,
    });
    expect(emu().requests.length - before).toBe(1);
    expect(t.waits).toEqual([]);
  });

  test('a timeout of one attempt is retried and surfaces as TIMEOUT when attempts run out', async () => {
    emu().setFaults({ script: ['timeout', 'timeout'], routes: ['/v1/responses'] });
    const t = fakeTime();
    const c = client({ timeoutMs: 150, clock: t.clock, sleep: t.sleep, retry: { maxAttempts: 2, random: () => 0 } });
    await expect(c.extractMetadata(input)).rejects.toMatchObject({ code: 'TIMEOUT', retryable: true });
    expect(t.waits).toHaveLength(1);
  });
});
