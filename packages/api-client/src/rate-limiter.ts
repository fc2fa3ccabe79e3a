import { errorFor, sleep as defaultSleep } from '@autod/errors';

/** Options of `RateLimiter`. */
export interface RateLimiterOptions {
  /** Requests per minute (undefined = unlimited). */
  rpm?: number | undefined;
  /** Tokens per minute (undefined = unlimited). */
  tpm?: number | undefined;
  /** Time source (default `Date`). */
  clock?: { now(): number } | undefined;
  /** Waits (default: an abortable `setTimeout`). */
  sleep?: ((ms: number, signal?: AbortSignal) => Promise<void>) | undefined;
  /** Successes needed before the RPM budget grows back one step after a 429 (default 5). */
  recoverAfter?: number | undefined;
}

const WINDOW_MS = 60_000;

/**
 * Requests-per-minute and tokens-per-minute budgets shared by every caller holding this
 * instance (make one per process and pass it to each `ApiClient`).
 *
 * A classic token bucket refills while it is being drained, so a full bucket lets through up to
 * twice its budget in one 60 s window. This limiter is the exact variant of it: it remembers the
 * grants of the last 60 s and admits a request only when the window still has room, so no
 * 60 s window ever holds more than `currentRpm` requests or `tpm` tokens. Waiters are served FIFO.
 *
 * It adapts (AIMD): a 429 halves the current RPM budget; after `recoverAfter` successes it grows
 * back by a tenth of the configured budget, up to the configured value.
 */
export class RateLimiter {
  readonly #rpm: number | undefined;
  readonly #tpm: number | undefined;
  readonly #clock: { now(): number };
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly #recoverAfter: number;
  #current: number | undefined;
  #successes = 0;
  /** Grants in the current window, oldest first. */
  #grants: { at: number; tokens: number }[] = [];
  #tail: Promise<void> = Promise.resolve();

  constructor(options: RateLimiterOptions = {}) {
    for (const key of ['rpm', 'tpm'] as const) {
      const v = options[key];
      if (v !== undefined && !(Number.isFinite(v) && v > 0)) {
        throw errorFor(
          'CFG_INVALID',
          `rateLimit.${key} must be a positive number (got ${v}); leave it unset for no limit.`,
        );
      }
    }
    this.#rpm = options.rpm;
    this.#tpm = options.tpm;
    this.#current = options.rpm;
    this.#clock = options.clock ?? Date;
    this.#sleep = options.sleep ?? defaultSleep;
    this.#recoverAfter = options.recoverAfter ?? 5;
  }

  /** The RPM budget in force now (lowered after 429s); `Infinity` when unlimited. */
  get currentRpm(): number {
    return this.#current ?? Number.POSITIVE_INFINITY;
  }

  /** The configured tokens-per-minute budget; `Infinity` when unlimited. */
  get tpm(): number {
    return this.#tpm ?? Number.POSITIVE_INFINITY;
  }

  /**
   * Wait until one more request of `tokens` estimated tokens fits both budgets, then take it.
   * A single request larger than the whole TPM budget is admitted once the window is empty
   * (refusing it forever would be worse). Rejects with `ABORTED` when `signal` aborts.
   */
  async acquire(tokens: number, signal?: AbortSignal): Promise<void> {
    if (this.#current === undefined && this.#tpm === undefined) return;
    const previous = this.#tail;
    let release!: () => void;
    this.#tail = new Promise<void>((resolve) => (release = resolve));
    try {
      await previous;
      for (;;) {
        if (signal?.aborted)
          throw errorFor('ABORTED', 'Cancelled while waiting for the rate limiter.', { cause: signal.reason });
        const wait = this.#waitMs(Math.max(0, tokens));
        if (wait <= 0) {
          this.#grants.push({ at: this.#clock.now(), tokens: Math.max(0, tokens) });
          return;
        }
        await this.#sleep(wait, signal);
      }
    } finally {
      release();
    }
  }

  /** Tell the limiter the upstream answered 429: halve the RPM budget (never below 1). */
  onRateLimited(): void {
    this.#successes = 0;
    if (this.#current === undefined) return;
    this.#current = Math.max(1, Math.floor(this.#current / 2));
  }

  /** Tell the limiter a request succeeded: after enough successes, grow the budget back. */
  onSuccess(): void {
    if (this.#current === undefined || this.#rpm === undefined || this.#current >= this.#rpm) return;
    this.#successes++;
    if (this.#successes < this.#recoverAfter) return;
    this.#successes = 0;
    this.#current = Math.min(this.#rpm, this.#current + Math.max(1, Math.ceil(this.#rpm / 10)));
  }

  /** How long until a request of `tokens` fits (0 = now). */
  #waitMs(tokens: number): number {
    const now = this.#clock.now();
    while (this.#grants.length > 0 && (this.#grants[0]?.at ?? now) <= now - WINDOW_MS) this.#grants.shift();
    let wait = 0;
    if (this.#current !== undefined && this.#grants.length >= this.#current) {
      // The request fits when enough of the oldest grants have left the window.
      const idx = this.#grants.length - this.#current;
      wait = Math.max(wait, (this.#grants[idx]?.at ?? now) + WINDOW_MS - now);
    }
    if (this.#tpm !== undefined && this.#grants.length > 0) {
      let used = this.#grants.reduce((sum, g) => sum + g.tokens, 0);
      if (used + tokens > this.#tpm) {
        for (const g of this.#grants) {
          used -= g.tokens;
          if (used + tokens <= this.#tpm || used <= 0) {
            wait = Math.max(wait, g.at + WINDOW_MS - now);
            break;
          }
        }
      }
    }
    return wait;
  }
}
