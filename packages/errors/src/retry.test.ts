import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { type AutodError, ConfigError, TimeoutError, UpstreamError, errorFor } from './autod-error.js';
import {
  DEFAULT_RETRY_POLICY,
  computeBackoffMs,
  defaultShouldRetry,
  retry,
  retryAfterMsFrom,
  retryAfterMsFromHeaders,
  type RetryPolicy,
} from './retry.js';
import { fakeTime } from './__tests__/fake-time.js';

const transient = (msg = 'boom'): AutodError => errorFor('UPSTREAM_UNAVAILABLE', msg);
const permanent = (msg = 'bad'): AutodError => errorFor('UPSTREAM_BAD_REQUEST', msg);

/** A function failing with the given errors in turn, then resolving `value`. */
function failing<T>(errors: unknown[], value: T) {
  const calls: number[] = [];
  const fn = async ({ attempt }: { attempt: number }): Promise<T> => {
    calls.push(attempt);
    const e = errors[attempt - 1];
    if (e !== undefined) throw e;
    return value;
  };
  return { fn, calls };
}

describe('computeBackoffMs', () => {
  const policy = { baseDelayMs: 500, maxDelayMs: 8000 };

  it('scales full jitter over base * 2^(attempt-1), capped at maxDelayMs', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => computeBackoffMs(n, policy, () => 0.5))).toEqual([
      250, 500, 1000, 2000, 4000, 4000,
    ]);
    expect(computeBackoffMs(3, policy, () => 0)).toBe(0);
  });

  it('stays finite for huge attempts and a zero base', () => {
    expect(computeBackoffMs(5000, policy, () => 0.999)).toBeCloseTo(7992);
    expect(computeBackoffMs(5000, { baseDelayMs: 0, maxDelayMs: 8000 }, () => 0.9)).toBe(0);
  });

  it('property: always within [0, min(maxDelay, base * 2^(n-1))]', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2000 }),
        fc.integer({ min: 0, max: 100_000 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
        (attempt, baseDelayMs, maxDelayMs, r) => {
          const delay = computeBackoffMs(attempt, { baseDelayMs, maxDelayMs }, () => r);
          // 0 * 2^1024 is NaN in floating point: a zero base means a zero ceiling.
          const ceiling = baseDelayMs === 0 ? 0 : Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
          expect(delay).toBeGreaterThanOrEqual(0);
          expect(delay).toBeLessThanOrEqual(ceiling);
          expect(delay).toBeLessThanOrEqual(maxDelayMs);
        },
      ),
    );
  });

  it('property: never exceeds maxDelayMs nor goes negative, even for a misbehaving random()', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -5, max: 100_000 }),
        fc.double({ min: 0, max: 1e6, noNaN: true }),
        fc.double({ min: 0, max: 1e6, noNaN: true }),
        fc.double(), // includes NaN, ±Infinity, negatives and values > 1
        (attempt, baseDelayMs, maxDelayMs, r) => {
          const delay = computeBackoffMs(attempt, { baseDelayMs, maxDelayMs }, () => r);
          expect(Number.isFinite(delay)).toBe(true);
          expect(delay).toBeGreaterThanOrEqual(0);
          expect(delay).toBeLessThanOrEqual(maxDelayMs);
        },
      ),
    );
  });
});

describe('retryAfterMsFrom', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');

  it('prefers AutodError.retryAfterMs', () => {
    expect(retryAfterMsFrom(errorFor('RATE_LIMITED', 'slow', { retryAfterMs: 1234 }))).toBe(1234);
  });

  it('reads retry-after seconds from a Headers instance and from a plain record, case-insensitively', () => {
    expect(retryAfterMsFrom({ headers: new Headers({ 'Retry-After': '3' }) })).toBe(3000);
    expect(retryAfterMsFrom({ headers: { 'Retry-After': '1.5' } })).toBe(1500);
    expect(retryAfterMsFrom({ headers: { 'retry-after': ['2', '9'] } })).toBe(2000);
  });

  it('lets retry-after-ms win over retry-after', () => {
    expect(retryAfterMsFrom({ headers: new Headers({ 'retry-after': '30', 'retry-after-ms': '250' }) })).toBe(250);
    expect(retryAfterMsFrom({ headers: { 'retry-after': '30', 'Retry-After-Ms': '40' } })).toBe(40);
  });

  it('accepts an HTTP date relative to now (negative when in the past)', () => {
    expect(retryAfterMsFrom({ headers: { 'retry-after': 'Wed, 01 Jan 2025 00:00:07 GMT' } }, now)).toBe(7000);
    expect(retryAfterMsFrom({ headers: { 'retry-after': 'Tue, 31 Dec 2024 23:59:58 GMT' } }, now)).toBe(-2000);
  });

  it('reads the same headers without an error around them (retryAfterMsFromHeaders)', () => {
    expect(retryAfterMsFromHeaders(new Headers({ 'retry-after': '2', 'retry-after-ms': '15' }), now)).toBe(15);
    expect(retryAfterMsFromHeaders({ 'retry-after': 'Tue, 31 Dec 2024 23:59:55 GMT' }, now)).toBe(-5000);
    expect(retryAfterMsFromHeaders({ 'retry-after': 'soon' }, now)).toBeUndefined();
    expect(retryAfterMsFromHeaders(undefined, now)).toBeUndefined();
  });

  it('follows the cause chain of a wrapping error', () => {
    const api = Object.assign(new Error('429'), { status: 429, headers: { 'retry-after': '4' } });
    expect(retryAfterMsFrom(errorFor('RATE_LIMITED', 'wrapped', { cause: api }))).toBe(4000);
  });

  it('returns undefined when there is nothing usable', () => {
    expect(retryAfterMsFrom(new Error('x'))).toBeUndefined();
    expect(retryAfterMsFrom('x')).toBeUndefined();
    expect(retryAfterMsFrom(null)).toBeUndefined();
    expect(retryAfterMsFrom({ headers: { 'retry-after': 'soon' } })).toBeUndefined();
    expect(retryAfterMsFrom({ headers: { 'retry-after-ms': '' } })).toBeUndefined();
  });
});

describe('defaultShouldRetry', () => {
  it.each([
    [408, true],
    [409, true],
    [429, true],
    [500, true],
    [503, true],
    [400, false],
    [401, false],
    [403, false],
    [404, false],
    [422, false],
  ])('status %i -> %s', (status, expected) => {
    expect(defaultShouldRetry(Object.assign(new Error('http'), { status }))).toBe(expected);
  });

  it('follows AutodError.retryable, including an override', () => {
    expect(defaultShouldRetry(transient())).toBe(true);
    expect(defaultShouldRetry(permanent())).toBe(false);
    expect(defaultShouldRetry(errorFor('UPSTREAM_ERROR', 'x', { retryable: false }))).toBe(false);
  });

  it('lets x-should-retry override the status table', () => {
    expect(defaultShouldRetry({ status: 400, headers: { 'x-should-retry': 'true' } })).toBe(true);
    expect(defaultShouldRetry({ status: 503, headers: new Headers({ 'x-should-retry': 'false' }) })).toBe(false);
  });

  it('retries network failures', () => {
    for (const code of [
      'ECONNRESET',
      'ECONNREFUSED',
      'ETIMEDOUT',
      'EPIPE',
      'UND_ERR_SOCKET',
      'UND_ERR_CONNECT_TIMEOUT',
    ]) {
      expect(defaultShouldRetry(Object.assign(new Error(code), { code })), code).toBe(true);
    }
    expect(defaultShouldRetry(new TypeError('fetch failed'))).toBe(true);
    expect(
      defaultShouldRetry(new Error('outer', { cause: Object.assign(new Error('inner'), { code: 'ECONNRESET' }) })),
    ).toBe(true);
    expect(defaultShouldRetry(new DOMException('timed out', 'TimeoutError'))).toBe(true);
  });

  it('does not retry anything else', () => {
    expect(defaultShouldRetry(new Error('plain'))).toBe(false);
    expect(defaultShouldRetry(Object.assign(new Error('nope'), { code: 'ENOENT' }))).toBe(false);
    expect(defaultShouldRetry(new DOMException('stop', 'AbortError'))).toBe(false);
    expect(defaultShouldRetry('string')).toBe(false);
    expect(defaultShouldRetry(undefined)).toBe(false);
  });
});

describe('retry', () => {
  const fixed = (overrides: Partial<RetryPolicy> = {}) => {
    const t = fakeTime();
    return { t, policy: { clock: t.clock, sleep: t.sleep, random: () => 0.5, ...overrides } };
  };

  it('has the documented defaults', () => {
    expect(DEFAULT_RETRY_POLICY).toMatchObject({
      maxAttempts: 3,
      baseDelayMs: 500,
      maxDelayMs: 8000,
      maxRetryAfterMs: 60_000,
    });
    expect(DEFAULT_RETRY_POLICY.deadlineMs).toBeUndefined();
    expect(DEFAULT_RETRY_POLICY.shouldRetry).toBe(defaultShouldRetry);
    expect(Object.isFrozen(DEFAULT_RETRY_POLICY)).toBe(true);
  });

  it('returns the first success without waiting', async () => {
    const { t, policy } = fixed();
    const { fn, calls } = failing([], 'ok');
    await expect(retry(fn, policy)).resolves.toBe('ok');
    expect(calls).toEqual([1]);
    expect(t.sleeps).toEqual([]);
  });

  it('retries retryable errors with exponential full-jitter waits and reports each retry', async () => {
    const onRetry = vi.fn();
    const { t, policy } = fixed({ maxAttempts: 4, onRetry });
    const e1 = transient('1');
    const e2 = transient('2');
    const { fn, calls } = failing([e1, e2], 42);
    await expect(retry(fn, policy)).resolves.toBe(42);
    expect(calls).toEqual([1, 2, 3]);
    expect(t.sleeps).toEqual([250, 500]);
    expect(onRetry.mock.calls).toEqual([
      [{ attempt: 1, delayMs: 250, error: e1 }],
      [{ attempt: 2, delayMs: 500, error: e2 }],
    ]);
  });

  it('rethrows the last error unchanged when attempts run out', async () => {
    const { t, policy } = fixed({ maxAttempts: 3 });
    const last = transient('third');
    const { fn, calls } = failing([transient(), transient(), last], 'never');
    await expect(retry(fn, policy)).rejects.toBe(last);
    expect(calls).toEqual([1, 2, 3]);
    expect(t.sleeps).toHaveLength(2);
  });

  it('rethrows a non-retryable error at once', async () => {
    const { t, policy } = fixed();
    const bad = permanent();
    const { fn, calls } = failing([bad], 'never');
    await expect(retry(fn, policy)).rejects.toBe(bad);
    expect(calls).toEqual([1]);
    expect(t.sleeps).toEqual([]);
  });

  it('asks a custom shouldRetry with the error and attempt number', async () => {
    const shouldRetry = vi.fn((_e: unknown, attempt: number) => attempt < 2);
    const { policy } = fixed({ maxAttempts: 5, shouldRetry });
    const plain = new Error('plain');
    const { fn, calls } = failing([plain, plain, plain], 'never');
    await expect(retry(fn, policy)).rejects.toBe(plain);
    expect(calls).toEqual([1, 2]);
    expect(shouldRetry.mock.calls).toEqual([
      [plain, 1],
      [plain, 2],
    ]);
  });

  it('waits what the server asked for when within bounds', async () => {
    const { t, policy } = fixed();
    const limited = Object.assign(new Error('429'), { status: 429, headers: new Headers({ 'retry-after': '7' }) });
    const { fn } = failing([limited, errorFor('RATE_LIMITED', 'x', { retryAfterMs: 1200 })], 'ok');
    await expect(retry(fn, policy)).resolves.toBe('ok');
    expect(t.sleeps).toEqual([7000, 1200]);
  });

  it('backs off when the Retry-After HTTP date is already past', async () => {
    const { t, policy } = fixed();
    const past = new Date(t.clock.now() - 5000).toUTCString();
    const { fn } = failing([{ status: 503, headers: new Headers({ 'retry-after': past }) }], 'ok');
    await expect(retry(fn, policy)).resolves.toBe('ok');
    expect(t.sleeps).toEqual([250]); // random 0.5 × base 500, not 0 and not the negative wait
  });

  it('ignores a Retry-After above maxRetryAfterMs or in the past and backs off instead', async () => {
    const { t, policy } = fixed({ maxRetryAfterMs: 10_000 });
    const tooLong = { status: 503, headers: { 'retry-after': '3600' } };
    const negative = { status: 503, headers: { 'retry-after-ms': '-5' } };
    const { fn } = failing([tooLong, negative], 'ok');
    await expect(retry(fn, policy)).resolves.toBe('ok');
    expect(t.sleeps).toEqual([250, 500]);
  });

  it('throws DEADLINE_EXCEEDED with the last error as cause when the next wait would cross the deadline', async () => {
    const { t, policy } = fixed({ maxAttempts: 10, deadlineMs: 2000, random: () => 1 });
    const errors: AutodError[] = [];
    const fn = async () => {
      t.advance(100); // each attempt takes 100 ms
      const e = transient(`attempt ${errors.length + 1}`);
      errors.push(e);
      throw e;
    };
    const err: unknown = await retry(fn, policy).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    const timeout = err as TimeoutError;
    expect(timeout.code).toBe('DEADLINE_EXCEEDED');
    expect(timeout.retryable).toBe(false);
    // 100 + 500 + 100 + 1000 + 100 = 1800 elapsed; the next wait of 2000 would cross 2000.
    expect(t.sleeps).toEqual([500, 1000]);
    expect(timeout.cause).toBe(errors.at(-1));
    expect(timeout.details).toMatchObject({ attempts: 3, deadlineMs: 2000, elapsedMs: 1800, nextDelayMs: 2000 });
  });

  it('counts a server-requested wait against the deadline too', async () => {
    const { t, policy } = fixed({ deadlineMs: 5000 });
    const slow = errorFor('RATE_LIMITED', 'wait', { retryAfterMs: 6000 });
    const err: unknown = await retry(failing([slow], 'ok').fn, policy).catch((e: unknown) => e);
    expect((err as AutodError).code).toBe('DEADLINE_EXCEEDED');
    expect((err as AutodError).cause).toBe(slow);
    expect(t.sleeps).toEqual([]);
  });

  it('keeps retrying until the deadline when maxAttempts is Infinity', async () => {
    const { t, policy } = fixed({ maxAttempts: Infinity, deadlineMs: 10_000, random: () => 1, maxDelayMs: 1000 });
    const { fn, calls } = failing(
      Array.from({ length: 100 }, () => transient()),
      'ok',
    );
    await expect(retry(fn, policy)).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    expect(t.sleeps.reduce((a, b) => a + b, 0)).toBeLessThan(10_000);
    expect(calls.length).toBe(t.sleeps.length + 1);
  });

  it('throws ABORTED without calling fn when the signal is already aborted', async () => {
    const { policy } = fixed();
    const fn = vi.fn(async () => 'never');
    const ac = new AbortController();
    ac.abort(new Error('user quit'));
    const err: unknown = await retry(fn, { ...policy, signal: ac.signal }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as TimeoutError).code).toBe('ABORTED');
    expect(((err as TimeoutError).cause as Error).message).toBe('user quit');
    expect(fn).not.toHaveBeenCalled();
  });

  it('throws ABORTED when the signal aborts during an attempt, even for a retryable error', async () => {
    const { t, policy } = fixed();
    const ac = new AbortController();
    const fn = vi.fn(async ({ signal }: { attempt: number; signal?: AbortSignal }) => {
      expect(signal).toBe(ac.signal);
      ac.abort();
      throw transient();
    });
    await expect(retry(fn, { ...policy, signal: ac.signal })).rejects.toMatchObject({ code: 'ABORTED' });
    expect(fn).toHaveBeenCalledTimes(1);
    expect(t.sleeps).toEqual([]);
  });

  it('throws ABORTED as soon as the signal aborts while sleeping (real abortable sleep)', async () => {
    const ac = new AbortController();
    const fn = vi.fn(async () => {
      throw transient();
    });
    // A one-hour wait: the test only finishes promptly if abort interrupts it.
    const promise = retry(fn, {
      signal: ac.signal,
      baseDelayMs: 3_600_000,
      maxDelayMs: 3_600_000,
      random: () => 1,
      onRetry: () => setImmediate(() => ac.abort()),
    });
    await expect(promise).rejects.toMatchObject({ name: 'TimeoutError', code: 'ABORTED' });
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('rejects an invalid policy with a ConfigError naming the option', async () => {
    const fn = vi.fn(async () => 1);
    await expect(retry(fn, { maxAttempts: 0 })).rejects.toBeInstanceOf(ConfigError);
    await expect(retry(fn, { maxAttempts: 1.5 })).rejects.toThrow(/maxAttempts/);
    await expect(retry(fn, { baseDelayMs: -1 })).rejects.toThrow(/baseDelayMs/);
    await expect(retry(fn, { deadlineMs: Number.NaN })).rejects.toThrow(/deadlineMs/);
    expect(fn).not.toHaveBeenCalled();
  });

  it('keeps the defaults for overrides that are explicitly undefined', async () => {
    const { t, policy } = fixed({ maxAttempts: undefined as unknown as number });
    const { fn, calls } = failing([transient(), transient(), transient(), transient()], 'never');
    await expect(retry(fn, policy)).rejects.toBeInstanceOf(UpstreamError);
    expect(calls).toEqual([1, 2, 3]);
    expect(t.sleeps).toHaveLength(2);
  });

  it('property: every backoff wait stays within the full-jitter bound for its attempt', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 1, max: 60_000 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), { minLength: 12, maxLength: 12 }),
        async (maxAttempts, baseDelayMs, maxDelayMs, randoms) => {
          const t = fakeTime();
          let i = 0;
          const fn = async () => {
            throw transient();
          };
          await expect(
            retry(fn, {
              maxAttempts,
              baseDelayMs,
              maxDelayMs,
              clock: t.clock,
              sleep: t.sleep,
              random: () => randoms[i++] ?? 0,
            }),
          ).rejects.toMatchObject({ code: 'UPSTREAM_UNAVAILABLE' });
          expect(t.sleeps).toHaveLength(maxAttempts - 1);
          t.sleeps.forEach((ms, n) => {
            expect(ms).toBeGreaterThanOrEqual(0);
            expect(ms).toBeLessThanOrEqual(Math.min(maxDelayMs, baseDelayMs * 2 ** n));
          });
        },
      ),
    );
  });

  it('property: a Retry-After within [0, maxRetryAfterMs] is honoured exactly, a larger one falls back to backoff', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 120_000 }),
        fc.integer({ min: 0, max: 60_000 }),
        fc.boolean(),
        async (askedMs, maxRetryAfterMs, asHeader) => {
          const t = fakeTime();
          const limited = asHeader
            ? { status: 429, headers: { 'retry-after-ms': String(askedMs) } }
            : errorFor('RATE_LIMITED', 'slow down', { retryAfterMs: askedMs });
          const { fn } = failing([limited], 'ok');
          const policy = {
            maxRetryAfterMs,
            baseDelayMs: 100,
            maxDelayMs: 1000,
            clock: t.clock,
            sleep: t.sleep,
            random: () => 0.5,
          };
          await expect(retry(fn, policy)).resolves.toBe('ok');
          expect(t.sleeps).toEqual([askedMs <= maxRetryAfterMs ? askedMs : 50]);
        },
      ),
    );
  });
});
