/** Counters of an {@link LruCache}. */
export interface LruStats {
  hits: number;
  misses: number;
  evictions: number;
  /** Entries dropped because they were older than the TTL. */
  expirations: number;
  entries: number;
  sizeBytes: number;
  maxSizeBytes: number;
  /** hits / (hits + misses), 0..1 (0 when nothing was asked). */
  hitRate: number;
}

export interface LruOptions<V> {
  /** Size cap in bytes (the sum of `sizeOf` over entries never exceeds it; default unlimited). */
  maxSizeBytes?: number;
  /** Entry count cap (default unlimited). */
  maxEntries?: number;
  /** Entries older than this are misses (default: no TTL). */
  ttlMs?: number;
  /** An entry's size in bytes (default 0: only `maxEntries` caps the cache). */
  sizeOf?: (value: V, key: string) => number;
  /** Epoch-ms clock (tests). */
  now?: () => number;
}

interface Entry<V> {
  value: V;
  size: number;
  at: number;
}

/**
 * Least-recently-used cache with an optional byte-size cap, entry cap and TTL, and
 * hit/miss/eviction counters. A Map keeps recency order (re-inserted on access); replacing a
 * key replaces its size (no double counting).
 */
export class LruCache<V> {
  readonly #map = new Map<string, Entry<V>>();
  readonly #maxSizeBytes: number;
  readonly #maxEntries: number;
  readonly #ttlMs: number | undefined;
  readonly #sizeOf: (value: V, key: string) => number;
  readonly #now: () => number;
  #size = 0;
  #hits = 0;
  #misses = 0;
  #evictions = 0;
  #expirations = 0;

  constructor(options: LruOptions<V>) {
    this.#maxSizeBytes = options.maxSizeBytes ?? Number.POSITIVE_INFINITY;
    this.#maxEntries = options.maxEntries ?? Number.POSITIVE_INFINITY;
    this.#ttlMs = options.ttlMs;
    this.#sizeOf = options.sizeOf ?? (() => 0);
    this.#now = options.now ?? Date.now;
  }

  get(key: string): V | undefined {
    const e = this.#map.get(key);
    if (!e) {
      this.#misses++;
      return undefined;
    }
    if (this.#ttlMs !== undefined && this.#now() - e.at > this.#ttlMs) {
      this.#delete(key, e);
      this.#expirations++;
      this.#misses++;
      return undefined;
    }
    this.#map.delete(key);
    this.#map.set(key, e);
    this.#hits++;
    return e.value;
  }

  set(key: string, value: V): void {
    const size = this.#sizeOf(value, key);
    const old = this.#map.get(key);
    if (old) this.#delete(key, old);
    if (size > this.#maxSizeBytes) return;
    this.#map.set(key, { value, size, at: this.#now() });
    this.#size += size;
    while (this.#size > this.#maxSizeBytes || this.#map.size > this.#maxEntries) {
      const oldest = this.#map.keys().next();
      if (oldest.done) break;
      const e = this.#map.get(oldest.value);
      if (e) this.#delete(oldest.value, e);
      this.#evictions++;
    }
  }

  has(key: string): boolean {
    return this.#map.has(key);
  }

  /** Drop `key` (not counted as an eviction). */
  delete(key: string): boolean {
    const e = this.#map.get(key);
    if (e) this.#delete(key, e);
    return e !== undefined;
  }

  get size(): number {
    return this.#map.size;
  }

  clear(): void {
    this.#map.clear();
    this.#size = 0;
  }

  resetStats(): void {
    this.#hits = 0;
    this.#misses = 0;
    this.#evictions = 0;
    this.#expirations = 0;
  }

  stats(): LruStats {
    const asked = this.#hits + this.#misses;
    return {
      hits: this.#hits,
      misses: this.#misses,
      evictions: this.#evictions,
      expirations: this.#expirations,
      entries: this.#map.size,
      sizeBytes: this.#size,
      maxSizeBytes: this.#maxSizeBytes,
      hitRate: asked === 0 ? 0 : this.#hits / asked,
    };
  }

  #delete(key: string, e: Entry<V>): void {
    this.#map.delete(key);
    this.#size -= e.size;
  }
}
