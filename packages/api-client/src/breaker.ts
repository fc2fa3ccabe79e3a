import CircuitBreaker from 'opossum';
import { errorFor, isAutodError } from '@autod/errors';
import { isUpstreamFailure } from './map-openai-error.js';

/** Circuit-breaker settings (opossum names, in milliseconds). */
export interface BreakerOptions {
  /** Failure percentage over the rolling window that opens the circuit (default 50). */
  errorThresholdPercentage?: number;
  /** Calls needed in the window before the percentage counts (default 10). */
  volumeThreshold?: number;
  /** Length of the rolling window (default 30,000 ms). */
  rollingCountTimeoutMs?: number;
  /** Cool-down before one probe call is let through (half-open) (default 30,000 ms). */
  resetTimeoutMs?: number;
  /** `false` turns the breaker off (default true). */
  enabled?: boolean;
}

/** State of the circuit. */
export type BreakerState = 'closed' | 'open' | 'halfOpen';

/**
 * One circuit around the upstream, shared by every operation of a client. It counts only
 * upstream failures (429, 5xx, timeouts, connection failures); a 4xx caused by our request or an
 * invalid model answer passes through without counting. While open, calls fail fast with
 * `CIRCUIT_OPEN` (retryable for callers: "try later", never "this document is bad").
 */
export class UpstreamBreaker {
  readonly #breaker: CircuitBreaker<[() => Promise<unknown>], unknown> | undefined;
  readonly #resetMs: number;
  /** When the circuit last opened (epoch ms): it lets a probe through `resetMs` later. */
  #openedAt = 0;

  constructor(options: BreakerOptions = {}) {
    this.#resetMs = options.resetTimeoutMs ?? 30_000;
    if (options.enabled === false) return;
    const rolling = options.rollingCountTimeoutMs ?? 30_000;
    this.#breaker = new CircuitBreaker((fn: () => Promise<unknown>) => fn(), {
      timeout: false, // the SDK enforces the request timeout
      errorThresholdPercentage: options.errorThresholdPercentage ?? 50,
      volumeThreshold: options.volumeThreshold ?? 10,
      rollingCountTimeout: rolling,
      rollingCountBuckets: 10,
      resetTimeout: options.resetTimeoutMs ?? 30_000,
      // `true` = "not a failure": only errors that say the upstream is unhealthy count.
      errorFilter: (error: unknown) => !(isAutodError(error) && isUpstreamFailure(error)),
    });
    this.#breaker.on('open', () => {
      this.#openedAt = Date.now();
    });
  }

  /** Milliseconds until an open circuit lets a probe call through (0 when it is not open). */
  get retryAfterMs(): number {
    if (this.state !== 'open') return 0;
    return Math.max(0, this.#openedAt + this.#resetMs - Date.now());
  }

  /** `closed`, `open` or `halfOpen` (always `closed` when disabled). */
  get state(): BreakerState {
    const b = this.#breaker;
    if (!b) return 'closed';
    if (b.halfOpen) return 'halfOpen';
    return b.opened ? 'open' : 'closed';
  }

  /** Run `fn` through the circuit; rejects with `CIRCUIT_OPEN` without calling it while open. */
  async fire<T>(fn: () => Promise<T>): Promise<T> {
    const b = this.#breaker;
    if (!b) return fn();
    try {
      return (await b.fire(fn)) as T;
    } catch (error) {
      if (error instanceof Error && (error as { code?: unknown }).code === 'EOPENBREAKER') {
        throw errorFor(
          'CIRCUIT_OPEN',
          'The OpenAI circuit breaker is open after repeated upstream failures; try again after the cool-down.',
          {
            cause: error,
            retryable: true,
            // When the cool-down ends (a caller may defer work until then instead of guessing).
            retryAfterMs: this.retryAfterMs,
            details: { state: this.state },
          },
        );
      }
      throw error;
    }
  }

  /** Stop the breaker's rolling-window timers. */
  shutdown(): void {
    this.#breaker?.shutdown();
  }
}
