import type { Knex } from 'knex';
import type { Embedder, EmbedResult } from './embedder.js';
import { bufferToVector, sha256Hex, vectorToBuffer } from './hash.js';
import { LruCache, type LruStats } from '@autod/core';
import { TABLES } from './migrations.js';
import { SqlRunner, type SqlWrite } from './sql-runner.js';

export interface EmbeddingCacheOptions {
  /** Default true. When false every text goes to the embedder. */
  enabled?: boolean;
  /** Memory tier size cap in MB (default 100). */
  memoryMaxMb?: number;
  /** Memory tier entry cap (default unlimited). */
  memoryMaxEntries?: number;
  /** Age after which a cached vector (memory and DB) is recomputed, in days (default 7). */
  ttlDays?: number;
  /** Keep the DB tier (default true). */
  persist?: boolean;
  /** Size cap of the DB tier in MB, enforced by `prune` (run at the end of every reindex). Default: no cap. */
  maxDbMb?: number;
  now?: () => number;
}

/** Counters of the two-tier embedding cache. */
export interface EmbeddingCacheStats {
  /** Texts asked for. */
  requests: number;
  memoryHits: number;
  dbHits: number;
  /** Texts sent to the embedder. */
  misses: number;
  /** (memoryHits + dbHits) / requests, 0..1. */
  hitRate: number;
  memory: LruStats;
  embedCalls: number;
  costUsd: number;
}

const DAY_MS = 86_400_000;

/** One DB-tier row, inserted or refreshed (SQLite and PostgreSQL alike). */
const UPSERT_CACHE_ROW = `INSERT INTO ${TABLES.cache} ("key", "model", "dimensions", "vector", "created_at") VALUES (?, ?, ?, ?, ?)
  ON CONFLICT ("key") DO UPDATE SET "vector" = excluded."vector", "created_at" = excluded."created_at",
  "model" = excluded."model", "dimensions" = excluded."dimensions"`;
const ENTRY_OVERHEAD_BYTES = 96;

/** Cache key of one text: sha256 of model, dimensions and text (one embedding per (model, text)). */
export function embeddingCacheKey(model: string, dimensions: number, text: string): string {
  return sha256Hex(`${model}\u0000${dimensions}\u0000${text}`);
}

/**
 * An {@link Embedder} in front of which sit a memory LRU (TTL, MB cap) and a persisted DB tier
 * (`autod_embedding_cache`, TTL by `created_at`). Lookup: memory → DB → embedder; results are
 * written to both tiers. Duplicate texts in one call are embedded once.
 */
export class CachedEmbedder implements Embedder {
  readonly model: string;
  readonly dimensions: number;
  readonly defaultMinSimilarity: number;
  readonly memory: LruCache<Float32Array>;
  readonly #queries: LruCache<Float32Array>;
  readonly #enabled: boolean;
  readonly #persist: boolean;
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #sql: SqlRunner;
  #requests = 0;
  #memoryHits = 0;
  #dbHits = 0;
  #misses = 0;
  #embedCalls = 0;
  #costUsd = 0;

  constructor(
    readonly inner: Embedder,
    private readonly knex: Knex,
    options: EmbeddingCacheOptions = {},
  ) {
    this.model = inner.model;
    this.dimensions = inner.dimensions;
    this.defaultMinSimilarity = inner.defaultMinSimilarity;
    this.#enabled = options.enabled ?? true;
    this.#persist = options.persist ?? true;
    this.#ttlMs = (options.ttlDays ?? 7) * DAY_MS;
    this.#now = options.now ?? Date.now;
    this.#sql = new SqlRunner(knex);
    this.memory = new LruCache<Float32Array>({
      maxSizeBytes: Math.max(0, options.memoryMaxMb ?? 100) * 1024 * 1024,
      ...(options.memoryMaxEntries !== undefined ? { maxEntries: options.memoryMaxEntries } : {}),
      ttlMs: this.#ttlMs,
      sizeOf: (v, k) => v.byteLength + k.length * 2 + ENTRY_OVERHEAD_BYTES,
      now: this.#now,
    });
    this.#queries = new LruCache<Float32Array>({
      maxSizeBytes: 4 * 1024 * 1024,
      ttlMs: this.#ttlMs,
      sizeOf: (v, k) => v.byteLength + k.length * 2 + ENTRY_OVERHEAD_BYTES,
      now: this.#now,
    });
  }

  async embed(texts: string[], signal?: AbortSignal): Promise<EmbedResult> {
    const { pending, ...result } = await this.embedDeferred(texts, signal);
    await this.persist([pending]);
    return result;
  }

  /**
   * {@link embed} without writing the DB tier yet: the vectors computed now are returned in
   * `pending` (already in the memory tier) for {@link persist}, so that a bulk run writes the rows
   * of many calls in one transaction (each commit rewrites the random-key index pages it touched).
   */
  async embedDeferred(
    texts: string[],
    signal?: AbortSignal,
  ): Promise<EmbedResult & { pending: Map<string, Float32Array> }> {
    const pending = new Map<string, Float32Array>();
    this.#requests += texts.length;
    if (!this.#enabled) {
      this.#misses += texts.length;
      return { ...(await this.#call(texts, signal)), pending };
    }
    const keys = texts.map((t) => embeddingCacheKey(this.model, this.dimensions, t));
    const out: (Float32Array | undefined)[] = keys.map((k) => this.memory.get(k));
    this.#memoryHits += out.filter(Boolean).length;

    let missing = [...new Set(keys.filter((_, i) => !out[i]))];
    if (missing.length > 0 && this.#persist) {
      const found = await this.#readDb(missing);
      for (const [key, vector] of found) this.memory.set(key, vector);
      keys.forEach((k, i) => {
        if (!out[i] && found.has(k)) {
          out[i] = found.get(k);
          this.#dbHits++;
        }
      });
      missing = missing.filter((k) => !found.has(k));
    }
    let usage: EmbedResult['usage'];
    let costUsd: number | undefined;
    if (missing.length > 0) {
      const textByKey = new Map<string, string>();
      keys.forEach((k, i) => textByKey.set(k, texts[i] as string));
      const fresh = await this.#call(
        missing.map((k) => textByKey.get(k) as string),
        signal,
      );
      usage = fresh.usage;
      costUsd = fresh.costUsd;
      const computed = new Map<string, Float32Array>();
      missing.forEach((k, i) => computed.set(k, fresh.vectors[i] as Float32Array));
      for (const [k, v] of computed) {
        this.memory.set(k, v);
        if (this.#persist) pending.set(k, v);
      }
      keys.forEach((k, i) => {
        if (!out[i]) {
          out[i] = computed.get(k);
          this.#misses++;
        }
      });
    }
    return {
      vectors: out as Float32Array[],
      ...(usage ? { usage } : {}),
      ...(costUsd !== undefined ? { costUsd } : {}),
      pending,
    };
  }

  /** Write the DB-tier rows returned by {@link embedDeferred} calls (one transaction on SQLite). */
  async persist(pending: Iterable<Map<string, Float32Array>>): Promise<void> {
    const all = new Map<string, Float32Array>();
    for (const p of pending) for (const [k, v] of p) all.set(k, v);
    if (all.size > 0 && this.#persist) await this.#writeDb(all);
  }

  /**
   * The DB-tier rows of {@link embedDeferred} calls as upserts, for a caller that writes them in its own transaction
   * (the vector index writes a document's vectors and its cache rows in one); none when the DB tier is off.
   */
  cacheWrites(pending: Iterable<Map<string, Float32Array>>): SqlWrite[] {
    if (!this.#persist) return [];
    const now = this.#now();
    const writes: SqlWrite[] = [];
    const seen = new Set<string>();
    for (const p of pending)
      for (const [key, v] of p) {
        if (seen.has(key)) continue;
        seen.add(key);
        writes.push({ sql: UPSERT_CACHE_ROW, params: [key, this.model, this.dimensions, vectorToBuffer(v), now] });
      }
    return writes;
  }

  /**
   * Embed a search query: memory tier only (queries are not persisted and not counted in
   * {@link stats}, so the hit rate stays about documents).
   */
  async embedQuery(text: string, signal?: AbortSignal): Promise<Float32Array> {
    const key = `q:${embeddingCacheKey(this.model, this.dimensions, text)}`;
    const cached = this.#enabled ? this.#queries.get(key) : undefined;
    if (cached) return cached;
    const { vectors } = await this.#call([text], signal);
    const v = vectors[0] as Float32Array;
    if (this.#enabled) this.#queries.set(key, v);
    return v;
  }

  stats(): EmbeddingCacheStats {
    const hits = this.#memoryHits + this.#dbHits;
    return {
      requests: this.#requests,
      memoryHits: this.#memoryHits,
      dbHits: this.#dbHits,
      misses: this.#misses,
      hitRate: this.#requests === 0 ? 0 : hits / this.#requests,
      memory: this.memory.stats(),
      embedCalls: this.#embedCalls,
      costUsd: this.#costUsd,
    };
  }

  resetStats(): void {
    this.#requests = this.#memoryHits = this.#dbHits = this.#misses = this.#embedCalls = 0;
    this.#costUsd = 0;
    this.memory.resetStats();
  }

  /** Drop the memory tier (the DB tier stays). */
  clearMemory(): void {
    this.memory.clear();
  }

  /** Delete DB entries past the TTL, then the oldest beyond `maxDbMb`; returns rows deleted. */
  async prune(maxDbMb?: number): Promise<number> {
    let deleted = Number(
      await this.knex(TABLES.cache)
        .where('created_at', '<', this.#now() - this.#ttlMs)
        .delete(),
    );
    if (maxDbMb !== undefined) {
      const perRow = this.dimensions * 4 + 200;
      const keep = Math.floor((maxDbMb * 1024 * 1024) / perRow);
      const row = (await this.knex(TABLES.cache).count({ n: '*' }).first()) as { n: number | string } | undefined;
      const excess = Number(row?.n ?? 0) - keep;
      if (excess > 0) {
        const oldest = this.knex(TABLES.cache).select('key').orderBy('created_at', 'asc').limit(excess);
        deleted += Number(await this.knex(TABLES.cache).whereIn('key', oldest).delete());
      }
    }
    return deleted;
  }

  async #call(texts: string[], signal?: AbortSignal): Promise<EmbedResult> {
    this.#embedCalls++;
    const r = await this.inner.embed(texts, signal);
    this.#costUsd += r.costUsd ?? 0;
    return r;
  }

  async #readDb(keys: string[]): Promise<Map<string, Float32Array>> {
    const found = new Map<string, Float32Array>();
    const minCreated = this.#now() - this.#ttlMs;
    for (let i = 0; i < keys.length; i += 500) {
      const batch = keys.slice(i, i + 500);
      // A fixed text per batch size (a document's few chunks: a handful of texts, each prepared once).
      const rows = await this.#sql.all<{ key: string; vector: Uint8Array; dimensions: number }>(
        `SELECT "key", "vector", "dimensions" FROM ${TABLES.cache} WHERE "key" IN (${batch.map(() => '?').join(', ')}) AND created_at >= ?`,
        [...batch, minCreated],
      );
      for (const r of rows) if (Number(r.dimensions) === this.dimensions) found.set(r.key, bufferToVector(r.vector));
    }
    return found;
  }

  async #writeDb(entries: Map<string, Float32Array>): Promise<void> {
    const now = this.#now();
    const rows = [...entries].map(([key, v]) => ({
      key,
      model: this.model,
      dimensions: this.dimensions,
      vector: vectorToBuffer(v),
      created_at: now,
    }));
    const insert = (batch: typeof rows) =>
      this.knex(TABLES.cache).insert(batch).onConflict('key').merge(['vector', 'created_at', 'model', 'dimensions']);
    if (this.#sql.raw) {
      // One transaction, statements from the connection's cache (a full batch of 200 is one statement).
      await this.#sql.session((s) =>
        s.transaction(() => {
          for (let i = 0; i < rows.length; i += 200) s.query(insert(rows.slice(i, i + 200)));
        }),
      );
      return;
    }
    for (let i = 0; i < rows.length; i += 200) await insert(rows.slice(i, i + 200));
  }
}
