export interface StartPacerOptions {
  /** Items in flight at once. */
  concurrency: number;
  /** Allowed start rate as a multiple of the observed steady rate (concurrency / mean item time). Default 1.5. */
  headroom?: number;
  /** Never space starts further apart than this (default 25 ms), whatever the item time. */
  maxSpacingMs?: number;
  /** Weight of the newest item time in the moving average (default 0.2). */
  alpha?: number;
  now?: () => number;
}

/**
 * Spreads item starts over time. With `concurrency` items that take about the same time (an API's latency), the items
 * started together finish together, and a burst of completions queues on the one event loop: every item in it waits
 * for the others' work before its next request goes out, and the burst never breaks up. Spacing starts
 * `mean item time / concurrency / headroom` apart (a start rate `headroom` times the steady rate, so throughput is not
 * capped) breaks bursts up and is gentler on the API. Until the first item finishes nothing is known and nothing waits.
 * The schedule is a GCRA (virtual start times, one spacing of tolerance), so a timer that fires late is made up by the
 * next start instead of lowering the rate.
 */
export class StartPacer {
  readonly #concurrency: number;
  readonly #headroom: number;
  readonly #maxSpacingMs: number;
  readonly #alpha: number;
  readonly #now: () => number;
  #meanMs = 0;
  /** The theoretical time of the next start (GCRA). */
  #tat = Number.NEGATIVE_INFINITY;

  constructor(options: StartPacerOptions) {
    this.#concurrency = Math.max(1, options.concurrency);
    this.#headroom = options.headroom ?? 1.5;
    this.#maxSpacingMs = options.maxSpacingMs ?? 25;
    this.#alpha = options.alpha ?? 0.2;
    this.#now = options.now ?? (() => performance.now());
  }

  /** Record how long one item took. */
  observe(ms: number): void {
    if (!(ms >= 0)) return;
    this.#meanMs = this.#meanMs === 0 ? ms : this.#meanMs + this.#alpha * (ms - this.#meanMs);
  }

  /** The current spacing between starts (0 until an item finished). */
  get spacingMs(): number {
    return Math.min(this.#maxSpacingMs, this.#meanMs / this.#concurrency / this.#headroom);
  }

  /** How long to wait before the next start. */
  delayMs(): number {
    const spacing = this.spacingMs;
    return spacing > 0 ? Math.max(0, this.#tat - spacing - this.#now()) : 0;
  }

  /** Record a start. */
  started(): void {
    this.#tat = Math.max(this.#tat, this.#now()) + this.spacingMs;
  }
}
