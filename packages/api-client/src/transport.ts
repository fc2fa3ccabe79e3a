import type OpenAI from 'openai';
import type { APIPromise } from 'openai';
import { defaultShouldRetry, isAutodError, retry, type RetryPolicy } from '@autod/errors';
import type { TokenUsage } from '@autod/core';
import { UpstreamBreaker, type BreakerOptions, type BreakerState } from './breaker.js';
import { mapOpenAIError } from './map-openai-error.js';
import { RateLimiter } from './rate-limiter.js';
import { loadOpenAI, type LazySdk } from './sdk.js';
import type { ApiEvent } from './types.js';

const DEFAULT_TIMEOUT_MS = 120_000;

/** What one upstream call is, for the limiter, the events and pricing. */
export interface CallSpec<T> {
  operation: string;
  model?: string;
  /** Tokens reserved from the TPM budget. */
  tokens?: number;
  signal?: AbortSignal | undefined;
  /** Usage of a successful answer (priced on the event). */
  usage?: (data: T) => TokenUsage | undefined;
  /** Counts HTTP attempts for the caller. */
  onAttempt?: () => void;
  /** A paid call: reserved through the meter before it is sent, settled with its usage after. */
  paid?: { estimatedUsd: number; source?: string };
}

/** An answer and its request id. */
export interface Called<T> {
  data: T;
  requestId: string | undefined;
}

/** One SDK request, sent again on every attempt with that attempt's signal, through the SDK client. */
export type Send<T> = (signal: AbortSignal | undefined, sdk: OpenAI) => APIPromise<T>;

/** Sends one upstream call through the whole call path (see `Transport`). */
export type Call = <T>(spec: CallSpec<T>, send: Send<T>) => Promise<Called<T>>;

/**
 * The SDK with its own retries off (one retry layer: ours) and a per-attempt timeout, made on first use (the SDK module
 * is loaded then, see `loadOpenAI`).
 */
export function createSdk(options: {
  apiKey: string;
  baseURL?: string | undefined;
  timeoutMs?: number | undefined;
  fetch?: typeof fetch | undefined;
}): LazySdk {
  let client: Promise<OpenAI> | undefined;
  return () =>
    (client ??= loadOpenAI().then(
      ({ default: OpenAI }) =>
        new OpenAI({
          apiKey: options.apiKey,
          ...(options.baseURL ? { baseURL: options.baseURL } : {}),
          maxRetries: 0, // one retry layer: ours
          timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
          ...(options.fetch ? { fetch: options.fetch } : {}),
        }),
    ));
}

export interface TransportOptions {
  /** The SDK client every call is sent through. */
  sdk: LazySdk;
  breaker?: BreakerOptions | undefined;
  /** RPM/TPM budgets; ignored when `limiter` is given. */
  rateLimit?: { rpm?: number | undefined; tpm?: number | undefined } | undefined;
  limiter?: RateLimiter | undefined;
  retry?: Partial<RetryPolicy> | undefined;
  onEvent?: ((e: ApiEvent) => void) | undefined;
  /** Dollars of a successful attempt's usage, for its event. */
  price: (usage: TokenUsage, model: string | undefined) => number;
  clock: { now(): number };
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/**
 * Request and resilience: retry (ours; the SDK's own retries are off) → rate limiter (RPM/TPM) → circuit breaker →
 * SDK with a per-attempt timeout, with one event per HTTP attempt. `CIRCUIT_OPEN` ends the retry loop at once (it is
 * retryable for the caller, but hammering an open circuit helps nobody).
 */
export class Transport {
  readonly limiter: RateLimiter;
  readonly #sdk: LazySdk;
  readonly #breaker: UpstreamBreaker;
  readonly #retry: Partial<RetryPolicy>;
  readonly #onEvent: ((e: ApiEvent) => void) | undefined;
  readonly #price: (usage: TokenUsage, model: string | undefined) => number;
  readonly #clock: { now(): number };
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;

  constructor(options: TransportOptions) {
    this.#sdk = options.sdk;
    this.#clock = options.clock;
    this.#sleep = options.sleep;
    this.#breaker = new UpstreamBreaker(options.breaker);
    this.limiter =
      options.limiter ??
      new RateLimiter({
        rpm: options.rateLimit?.rpm,
        tpm: options.rateLimit?.tpm,
        clock: this.#clock,
        sleep: this.#sleep,
      });
    this.#retry = options.retry ?? {};
    this.#onEvent = options.onEvent;
    this.#price = options.price;
  }

  /** State of the circuit breaker. */
  get breakerState(): BreakerState {
    return this.#breaker.state;
  }

  /** Stop background timers (the breaker's rolling window). */
  close(): void {
    this.#breaker.shutdown();
  }

  /** Send one call with retries, rate limits and the breaker; one event per attempt. */
  async send<T>(spec: CallSpec<T>, send: Send<T>): Promise<Called<T>> {
    const userShouldRetry = this.#retry.shouldRetry ?? ((e: unknown) => defaultShouldRetry(e));
    return retry(({ attempt, signal }) => this.#attempt(spec, send, { attempt, signal }), {
      clock: this.#clock,
      sleep: this.#sleep,
      ...this.#retry,
      ...(spec.signal ? { signal: spec.signal } : {}),
      shouldRetry: (error, attempt) =>
        !(isAutodError(error) && error.code === 'CIRCUIT_OPEN') && userShouldRetry(error, attempt),
    });
  }

  /** One HTTP attempt: limiter → breaker → SDK, reported as an event either way. */
  async #attempt<T>(
    spec: CallSpec<T>,
    send: Send<T>,
    { attempt, signal }: { attempt: number; signal: AbortSignal | undefined },
  ): Promise<Called<T>> {
    const sdk = await this.#sdk();
    await this.limiter.acquire(spec.tokens ?? 0, signal);
    spec.onAttempt?.();
    const t0 = performance.now();
    try {
      const { data, response, request_id } = await this.#breaker.fire(async () => {
        try {
          return await send(signal, sdk).withResponse();
        } catch (error) {
          throw mapOpenAIError(error);
        }
      });
      this.limiter.onSuccess();
      const usage = spec.usage?.(data);
      this.#emit({
        operation: spec.operation,
        ...(spec.model ? { model: spec.model } : {}),
        status: response.status,
        attempt,
        latencyMs: performance.now() - t0,
        ...(usage ? { usage, costUsd: this.#price(usage, spec.model) } : {}),
        ...(request_id ? { requestId: request_id } : {}),
      });
      return { data, requestId: request_id ?? undefined };
    } catch (raw) {
      const error = mapOpenAIError(raw);
      if (error.code === 'RATE_LIMITED') this.limiter.onRateLimited();
      const status = typeof error.details?.status === 'number' ? error.details.status : undefined;
      const requestId = typeof error.details?.requestId === 'string' ? error.details.requestId : undefined;
      this.#emit({
        operation: spec.operation,
        ...(spec.model ? { model: spec.model } : {}),
        status: status ?? (error.code === 'CIRCUIT_OPEN' ? 'circuit_open' : 'error'),
        attempt,
        latencyMs: performance.now() - t0,
        errorCode: error.code,
        ...(requestId ? { requestId } : {}),
      });
      throw error;
    }
  }

  #emit(event: ApiEvent): void {
    if (!this.#onEvent) return;
    try {
      this.#onEvent(event);
    } catch {
      // An observer must never break a call.
    }
  }
}
