import { ConfigError, TimeoutError, isAutodError } from './autod-error.js';
import { abortedError, sleep } from './sleep.js';

/**
 * How `retry` decides whether, when and how often to try again.
 * Every time source is injected so tests (and `batch`) run without real waiting.
 */
export interface RetryPolicy {
  /** Total attempts including the first (default 3). `Infinity` retries until the deadline. */
  maxAttempts: number;
  /** Backoff base: the first retry waits up to this long (default 500 ms). */
  baseDelayMs: number;
  /** Cap of one backoff wait (default 8000 ms). */
  maxDelayMs: number;
  /** Total time budget across attempts, waits included; `undefined` = none. Checked before each wait. */
  deadlineMs?: number;
  /** A server `Retry-After` above this (or negative) is ignored and backoff is used instead (default 60000 ms). */
  maxRetryAfterMs: number;
  /** Whether an error is worth another attempt (default `defaultShouldRetry`). `attempt` is the one that just failed (1-based). */
  shouldRetry: (error: unknown, attempt: number) => boolean;
  /** Called before each wait, e.g. to log a WARNING with the attempt number. */
  onRetry?: (info: { attempt: number; delayMs: number; error: unknown }) => void;
  /** Cancels the loop, also while waiting: the loop then throws `TimeoutError('ABORTED')`. */
  signal?: AbortSignal;
  /** Time source for the deadline (default `Date`). */
  clock: { now(): number };
  /** Waits between attempts (default: an abortable `setTimeout`). */
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Jitter source in [0, 1) (default `Math.random`). */
  random: () => number;
}

/** Defaults: 3 attempts, full-jitter backoff from 500 ms capped at 8 s, Retry-After honoured up to 60 s. */
export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  maxAttempts: 3,
  baseDelayMs: 500,
  maxDelayMs: 8000,
  maxRetryAfterMs: 60_000,
  shouldRetry: defaultShouldRetry,
  clock: Date,
  sleep,
  random: Math.random,
});

/**
 * Full-jitter exponential backoff for the wait after attempt `attempt` (1-based):
 * `random() * min(maxDelayMs, baseDelayMs * 2^(attempt-1))`, always within
 * `[0, maxDelayMs]` even for huge attempts or a misbehaving `random`.
 * @see https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/
 */
export function computeBackoffMs(
  attempt: number,
  policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>,
  random: () => number,
): number {
  const base = Math.max(0, policy.baseDelayMs);
  const max = Math.max(0, policy.maxDelayMs);
  if (base === 0 || max === 0 || Number.isNaN(base) || Number.isNaN(max)) return 0;
  const exponent = Math.max(0, Math.floor(attempt) - 1) || 0; // NaN attempt -> 0
  // 2^1024 is Infinity, and min(max, Infinity) is max: no overflow to worry about.
  const ceiling = Math.min(max, base * 2 ** exponent);
  const r = random();
  const jitter = Number.isFinite(r) ? Math.min(Math.max(r, 0), 1) : 0;
  return jitter * ceiling;
}

/**
 * The wait a failed call asks for, in ms (may be negative for a date in the past), or `undefined`.
 * Looks at `AutodError.retryAfterMs`, then at `headers` (a `Headers` instance or a plain record):
 * `retry-after-ms` (a non-standard header OpenAI sends) wins over `retry-after` (seconds or an HTTP date).
 * Follows the `cause` chain, so a wrapped API error still counts.
 */
export function retryAfterMsFrom(error: unknown, now: number = Date.now()): number | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    if (isAutodError(current) && typeof current.retryAfterMs === 'number' && Number.isFinite(current.retryAfterMs)) {
      return current.retryAfterMs;
    }
    const fromHeaders = retryAfterMsFromHeaders((current as { headers?: unknown }).headers, now);
    if (fromHeaders !== undefined) return fromHeaders;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * The wait response `headers` (a `Headers` instance or a plain record) ask for, in ms, or `undefined`:
 * `retry-after-ms` (a non-standard header OpenAI sends) wins over `retry-after` (seconds or an HTTP date).
 * An HTTP date in the past gives a negative wait, which `retry` ignores (it backs off instead: a date that
 * has passed says more about the two clocks than about when the server will be ready).
 */
export function retryAfterMsFromHeaders(headers: unknown, now: number = Date.now()): number | undefined {
  return parseMs(header(headers, 'retry-after-ms')) ?? parseRetryAfter(header(headers, 'retry-after'), now);
}

/**
 * Whether an HTTP failure with `status` is worth another attempt: 408, 409, 429 and >= 500, unless the
 * server sent an explicit `x-should-retry: true|false` (openai-node's convention), which wins.
 */
export function shouldRetryStatus(status: number, headers?: unknown): boolean {
  const explicit = header(headers, 'x-should-retry');
  if (explicit === 'true') return true;
  if (explicit === 'false') return false;
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

const RETRYABLE_NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
]);

/**
 * The default retry predicate:
 * - an `AutodError` (any copy of this package) answers with its own `retryable`;
 * - an error with a numeric `status` retries 408, 409, 429 and >= 500, never other statuses,
 *   unless the server sent an explicit `x-should-retry: true|false`, which wins;
 * - network failures retry: `ECONNRESET`, `ECONNREFUSED`, `ETIMEDOUT`, `EPIPE`, `EAI_AGAIN`, unreachable
 *   hosts, undici's `UND_ERR_*`, fetch's `TypeError('fetch failed')` and timeout `DOMException`s;
 * - anything else does not.
 */
export function defaultShouldRetry(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  if (isAutodError(error)) return error.retryable;
  const e = error as { status?: unknown; headers?: unknown; name?: unknown; message?: unknown };
  if (typeof e.status === 'number') return shouldRetryStatus(e.status, e.headers);
  if (e.name === 'AbortError') return false; // a cancellation, not a failure
  if (e.name === 'TimeoutError') return true; // AbortSignal.timeout() on one attempt
  if (typeof e.message === 'string' && e.message.toLowerCase() === 'fetch failed') return true;
  return hasNetworkCode(error);
}

function hasNetworkCode(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && (RETRYABLE_NETWORK_CODES.has(code) || code.startsWith('UND_ERR_'))) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * Call `fn` until it succeeds, retrying per `policy` (merged over `DEFAULT_RETRY_POLICY`).
 * - a non-retryable error, or the last allowed attempt's error, is rethrown unchanged;
 * - the wait is the server's Retry-After when within `[0, maxRetryAfterMs]`, else full-jitter backoff;
 * - if that wait would reach `deadlineMs`, throws `TimeoutError('DEADLINE_EXCEEDED')` (cause: the last error);
 * - an aborted `signal` throws `TimeoutError('ABORTED')` at once, also while waiting.
 */
export async function retry<T>(
  fn: (ctx: { attempt: number; signal?: AbortSignal }) => Promise<T>,
  policy: Partial<RetryPolicy> = {},
): Promise<T> {
  const p = resolvePolicy(policy);
  const { signal, clock } = p;
  const startedAt = clock.now();
  for (let attempt = 1; ; attempt++) {
    if (signal?.aborted) throw abortedError(signal, { attempts: attempt - 1 });
    try {
      return await fn(signal ? { attempt, signal } : { attempt });
    } catch (error) {
      if (signal?.aborted) {
        if (isAutodError(error) && error.code === 'ABORTED') throw error;
        throw abortedError(signal, { attempts: attempt });
      }
      if (attempt >= p.maxAttempts || !p.shouldRetry(error, attempt)) throw error;

      const now = clock.now();
      const asked = retryAfterMsFrom(error, now);
      const delayMs =
        asked !== undefined && asked >= 0 && asked <= p.maxRetryAfterMs
          ? asked
          : computeBackoffMs(attempt, p, p.random);
      const elapsedMs = now - startedAt;
      if (p.deadlineMs !== undefined && elapsedMs + delayMs >= p.deadlineMs) {
        throw new TimeoutError(
          'DEADLINE_EXCEEDED',
          `Gave up after ${attempt} attempt(s): the next wait of ${Math.round(delayMs)} ms would pass the ${p.deadlineMs} ms deadline.`,
          {
            cause: error,
            details: { attempts: attempt, deadlineMs: p.deadlineMs, elapsedMs, nextDelayMs: Math.round(delayMs) },
          },
        );
      }
      p.onRetry?.({ attempt, delayMs, error });
      try {
        await p.sleep(delayMs, signal);
      } catch (sleepError) {
        if (signal?.aborted) throw abortedError(signal, { attempts: attempt });
        throw sleepError;
      }
    }
  }
}

function resolvePolicy(overrides: Partial<RetryPolicy>): RetryPolicy {
  const p: RetryPolicy = { ...DEFAULT_RETRY_POLICY };
  // Skip explicit `undefined`s so `{ maxAttempts: opts.maxAttempts }` keeps the default.
  for (const [key, value] of Object.entries(overrides)) {
    if (value !== undefined) (p as unknown as Record<string, unknown>)[key] = value;
  }
  const bad: string[] = [];
  if (!(p.maxAttempts >= 1) || (Number.isFinite(p.maxAttempts) && !Number.isInteger(p.maxAttempts))) {
    bad.push(`maxAttempts must be an integer >= 1 (got ${p.maxAttempts})`);
  }
  for (const key of ['baseDelayMs', 'maxDelayMs', 'maxRetryAfterMs'] as const) {
    if (!(p[key] >= 0)) bad.push(`${key} must be a number >= 0 (got ${p[key]})`);
  }
  if (p.deadlineMs !== undefined && !(p.deadlineMs >= 0))
    bad.push(`deadlineMs must be a number >= 0 (got ${p.deadlineMs})`);
  if (bad.length > 0) {
    throw new ConfigError('CFG_INVALID', `Invalid retry policy: ${bad.join('; ')}.`, { details: { issues: bad } });
  }
  return p;
}

/** Case-insensitive header lookup on a `Headers` instance or a plain record (first value of an array). */
function header(headers: unknown, name: string): string | undefined {
  if (typeof headers !== 'object' || headers === null) return undefined;
  if (typeof (headers as { get?: unknown }).get === 'function') {
    const value: unknown = (headers as { get(n: string): unknown }).get(name);
    return typeof value === 'string' ? value : undefined;
  }
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== name) continue;
    const first: unknown = Array.isArray(value) ? value[0] : value;
    if (typeof first === 'string') return first;
    if (typeof first === 'number') return String(first);
  }
  return undefined;
}

function parseMs(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const ms = Number(value);
  return Number.isFinite(ms) ? ms : undefined;
}

function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds * 1000;
  const date = Date.parse(value); // RFC 9110 allows an HTTP-date instead of seconds
  return Number.isNaN(date) ? undefined : date - now;
}
