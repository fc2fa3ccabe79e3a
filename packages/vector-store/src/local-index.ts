import type { Knex } from 'knex';
import { applyFilter, hasFilter, type SearchFilter } from './filter.js';
import { bufferToVector, dot, vectorToBuffer } from './hash.js';
import { TABLES } from './migrations.js';

export type Dialect = 'sqlite' | 'postgres';

/** The per-document attribute row written at index time (from `indexedFields(metadata)`). */
export interface DocAttributes {
  docId: number;
  sha256: string;
  category: string;
  docType: string | null;
  issuer: string | null;
  primaryDate: string | null;
  totalAmount: number | null;
  title: string | null;
  contentSig: string | null;
}

export interface StoredChunk {
  chunkNo: number;
  page: number;
  text: string;
  vector: Float32Array;
}

export interface VectorMatch {
  docId: number;
  /** Cosine similarity of the best chunk, -1..1. */
  similarity: number;
  chunkNo: number;
}

export interface IvfOptions {
  /** Below this many chunks every search is exact (default 8000). */
  minVectors?: number;
  /** Lists probed per query (default: 8% of the lists, at least 4). */
  probeFraction?: number;
  /** Retrain when the chunk count has grown by this factor since the last training (default 2). */
  growthFactor?: number;
  /** Retrain automatically inside `upsert` (default true). */
  autoTrain?: boolean;
}

interface ChunkRow {
  id: number | string;
  doc_id: number | string;
  chunk_no: number;
  embedding?: Uint8Array;
  sim?: number;
}

/**
 * Vectors and attribute rows in the app's database, searched exactly or through an IVF index
 * (k-means lists, nearest lists probed). Distances: sqlite-vec's `vec_distance_cosine` in
 * SQLite when the extension loads, else (PostgreSQL without pgvector, or no extension) dot
 * products in process over rows streamed in pages (memory stays bounded).
 */
export class LocalVectorIndex {
  #centroids: Float32Array[] = [];
  #trainedCount = 0;
  #chunkCount = 0;
  readonly #ivf: Required<IvfOptions>;

  constructor(
    private readonly knex: Knex,
    readonly dialect: Dialect,
    readonly model: string,
    readonly dimensions: number,
    /** sqlite-vec SQL functions are available on the connection. */
    readonly sqlVec: boolean,
    ivf: IvfOptions = {},
  ) {
    this.#ivf = {
      minVectors: ivf.minVectors ?? 8000,
      probeFraction: ivf.probeFraction ?? 0.08,
      growthFactor: ivf.growthFactor ?? 2,
      autoTrain: ivf.autoTrain ?? true,
    };
  }

  get trained(): boolean {
    return this.#centroids.length > 0;
  }

  get chunkCount(): number {
    return this.#chunkCount;
  }

  /** Load centroids and counts (call once after migrations). */
  async init(): Promise<void> {
    const meta = await this.#meta();
    if (meta.get('ivf_model') === `${this.model}:${this.dimensions}`) {
      const rows = (await this.knex(TABLES.centroids).select('cluster', 'vector').orderBy('cluster')) as {
        cluster: number;
        vector: Uint8Array;
      }[];
      this.#centroids = rows.map((r) => bufferToVector(r.vector));
      this.#trainedCount = Number(meta.get('ivf_trained_count') ?? 0);
    }
    this.#chunkCount = await this.#countChunks();
  }

  /** Replace a document's attribute row and chunks. */
  async upsert(attrs: DocAttributes, chunks: StoredChunk[], trx?: Knex.Transaction): Promise<void> {
    const run = async (k: Knex | Knex.Transaction): Promise<void> => {
      const removed = await this.#deleteChunks(k, attrs.docId);
      const row = {
        doc_id: attrs.docId,
        sha256: attrs.sha256,
        model: this.model,
        category: attrs.category,
        doc_type: attrs.docType,
        issuer: attrs.issuer,
        issuer_lc: attrs.issuer?.toLowerCase() ?? null,
        primary_date: attrs.primaryDate,
        total_amount: attrs.totalAmount,
        title: attrs.title,
        content_sig: attrs.contentSig,
        chunk_count: chunks.length,
        indexed_at: Date.now(),
      };
      await k(TABLES.docs).insert(row).onConflict('doc_id').merge();
      const rows = chunks.map((c) => ({
        doc_id: attrs.docId,
        chunk_no: c.chunkNo,
        page: c.page,
        model: this.model,
        cluster: this.#nearestCentroid(c.vector),
        embedding: vectorToBuffer(c.vector),
      }));
      for (let i = 0; i < rows.length; i += 100) await k(TABLES.chunks).insert(rows.slice(i, i + 100));
      const texts = chunks.map((c) => ({ doc_id: attrs.docId, chunk_no: c.chunkNo, page: c.page, text: c.text }));
      for (let i = 0; i < texts.length; i += 200) await k(TABLES.chunkTexts).insert(texts.slice(i, i + 200));
      this.#chunkCount += chunks.length - removed;
    };
    if (trx) await run(trx);
    else await this.knex.transaction(run);
  }

  async remove(docId: number): Promise<boolean> {
    return this.knex.transaction(async (trx) => {
      const removed = await this.#deleteChunks(trx, docId);
      this.#chunkCount -= removed;
      const n = await trx(TABLES.docs).where('doc_id', docId).delete();
      return Number(n) > 0;
    });
  }

  /** Train (or retrain) the IVF lists when the index is big enough and has grown; returns true if trained. */
  async maybeTrain(force = false): Promise<boolean> {
    if (!force && !this.#ivf.autoTrain) return false;
    if (this.#chunkCount < this.#ivf.minVectors) return false;
    if (!force && this.trained && this.#chunkCount < this.#trainedCount * this.#ivf.growthFactor) return false;
    await this.train();
    return true;
  }

  /** k-means (Lloyd, k-means++-style seeding over a sample) and assignment of every chunk to its nearest list. */
  async train(): Promise<{ lists: number; vectors: number }> {
    const n = await this.#countChunks();
    if (n === 0) return { lists: 0, vectors: 0 };
    const lists = Math.max(4, Math.min(256, Math.round(Math.sqrt(n) / 2)));
    const sampleRows = (await this.knex(TABLES.chunks)
      .where('model', this.model)
      .select('embedding')
      .orderByRaw('random()')
      .limit(Math.min(n, lists * 40))) as { embedding: Uint8Array }[];
    const sample = sampleRows.map((r) => bufferToVector(r.embedding));
    const centroids = seedCentroids(sample, lists);
    const assign = new Int32Array(sample.length);
    for (let iter = 0; iter < 8; iter++) {
      sample.forEach((v, i) => (assign[i] = nearest(centroids, v)));
      const sums = centroids.map(() => new Float32Array(this.dimensions));
      const counts = new Int32Array(centroids.length);
      sample.forEach((v, i) => {
        const c = assign[i] as number;
        counts[c] = (counts[c] as number) + 1;
        const s = sums[c] as Float32Array;
        for (let j = 0; j < v.length; j++) s[j] = (s[j] as number) + (v[j] as number);
      });
      sums.forEach((s, c) => {
        if ((counts[c] as number) > 0) {
          let norm = 0;
          for (let j = 0; j < s.length; j++) norm += (s[j] as number) ** 2;
          norm = Math.sqrt(norm) || 1;
          for (let j = 0; j < s.length; j++) s[j] = (s[j] as number) / norm;
          centroids[c] = s;
        }
      });
    }
    await this.knex.transaction(async (trx) => {
      await trx(TABLES.centroids).delete();
      for (let i = 0; i < centroids.length; i += 50) {
        await trx(TABLES.centroids).insert(
          centroids.slice(i, i + 50).map((v, j) => ({ cluster: i + j, vector: vectorToBuffer(v) })),
        );
      }
      let lastId = 0;
      for (;;) {
        const rows = (await trx(TABLES.chunks)
          .select('id', 'embedding')
          .where('model', this.model)
          .where('id', '>', lastId)
          .orderBy('id')
          .limit(4000)) as {
          id: number | string;
          embedding: Uint8Array;
        }[];
        if (rows.length === 0) break;
        const byCluster = new Map<number, number[]>();
        for (const r of rows) {
          const c = nearest(centroids, bufferToVector(r.embedding));
          let ids = byCluster.get(c);
          if (!ids) byCluster.set(c, (ids = []));
          ids.push(Number(r.id));
        }
        for (const [c, ids] of byCluster) await trx(TABLES.chunks).whereIn('id', ids).update({ cluster: c });
        lastId = Number(rows[rows.length - 1]?.id);
      }
      await this.#setMeta(trx, { ivf_model: `${this.model}:${this.dimensions}`, ivf_trained_count: String(n) });
    });
    this.#centroids = centroids;
    this.#trainedCount = n;
    return { lists, vectors: n };
  }

  /**
   * Best documents for `query`: the top `k` documents by their best chunk's cosine similarity,
   * at least `minSimilarity`, matching `filter`. Uses IVF lists when trained; a filtered search
   * that finds fewer than `k` documents there is repeated exactly over the filtered rows.
   */
  async search(
    query: Float32Array,
    opts: { k: number; filter?: SearchFilter; minSimilarity?: number; exact?: boolean; excludeDocId?: number; firstChunkOnly?: boolean },
  ): Promise<VectorMatch[]> {
    const min = opts.minSimilarity ?? -1;
    const probe = !opts.exact && this.trained ? this.#probeLists(query) : undefined;
    let matches = await this.#scan(query, opts, probe, min);
    if (probe && matches.length < opts.k && (hasFilter(opts.filter) || opts.excludeDocId !== undefined)) {
      matches = await this.#scan(query, opts, undefined, min);
    }
    return matches;
  }

  /** Texts and pages of chunks, keyed `docId:chunkNo`. */
  async chunkTexts(keys: { docId: number; chunkNo: number }[]): Promise<Map<string, { text: string; page: number }>> {
    const out = new Map<string, { text: string; page: number }>();
    if (keys.length === 0) return out;
    // doc_id is the primary key's prefix: one index range per document (OR-ed pairs can scan the table).
    const wanted = new Set(keys.map((k) => `${k.docId}:${k.chunkNo}`));
    const q = this.knex(TABLES.chunkTexts)
      .select('doc_id', 'chunk_no', 'page', 'text')
      .whereIn('doc_id', [...new Set(keys.map((k) => k.docId))]);
    const rows = (await q) as { doc_id: number | string; chunk_no: number; page: number; text: string }[];
    for (const r of rows) {
      const key = `${Number(r.doc_id)}:${Number(r.chunk_no)}`;
      if (wanted.has(key)) out.set(key, { text: r.text, page: Number(r.page) });
    }
    return out;
  }

  async #scan(
    query: Float32Array,
    opts: { k: number; filter?: SearchFilter; excludeDocId?: number; firstChunkOnly?: boolean },
    lists: number[] | undefined,
    min: number,
  ): Promise<VectorMatch[]> {
    const perDocChunks = opts.firstChunkOnly ? 1 : 4;
    const chunkLimit = Math.max(opts.k * perDocChunks, 20);
    const base = this.knex({ c: TABLES.chunks }).where('c.model', this.model);
    if (hasFilter(opts.filter)) {
      base.join({ d: TABLES.docs }, 'd.doc_id', 'c.doc_id');
      applyFilter(base, opts.filter, 'd');
    }
    if (lists) base.whereIn('c.cluster', [...lists, -1]);
    if (opts.excludeDocId !== undefined) base.whereNot('c.doc_id', opts.excludeDocId);
    if (opts.firstChunkOnly) base.where('c.chunk_no', 0);

    const best = new Map<number, VectorMatch>();
    const consider = (docId: number, chunkNo: number, sim: number): void => {
      if (sim < min) return;
      const cur = best.get(docId);
      if (!cur || sim > cur.similarity) best.set(docId, { docId, similarity: sim, chunkNo });
    };
    if (this.sqlVec) {
      const rows = (await base
        .select('c.doc_id', 'c.chunk_no', this.knex.raw('1 - vec_distance_cosine(c.embedding, ?) AS sim', [vectorToBuffer(query)]))
        .orderBy('sim', 'desc')
        .limit(chunkLimit)) as ChunkRow[];
      for (const r of rows) consider(Number(r.doc_id), Number(r.chunk_no), Number(r.sim));
    } else {
      // In-process cosine over pages of rows; keeps only the best `chunkLimit` chunks.
      const top = new TopK<ChunkRow>(chunkLimit);
      let lastId = 0;
      for (;;) {
        const rows = (await base
          .clone()
          .select('c.id', 'c.doc_id', 'c.chunk_no', 'c.embedding')
          .where('c.id', '>', lastId)
          .orderBy('c.id')
          .limit(5000)) as ChunkRow[];
        if (rows.length === 0) break;
        for (const r of rows) {
          const sim = dot(query, bufferToVector(r.embedding as Uint8Array));
          top.push(sim, r);
        }
        lastId = Number(rows[rows.length - 1]?.id);
        if (rows.length < 5000) break;
      }
      for (const { score, item } of top.sorted()) consider(Number(item.doc_id), Number(item.chunk_no), score);
    }
    return [...best.values()].sort((a, b) => b.similarity - a.similarity || a.docId - b.docId).slice(0, opts.k);
  }

  #probeLists(query: Float32Array): number[] {
    const n = Math.max(4, Math.ceil(this.#centroids.length * this.#ivf.probeFraction));
    const scored = this.#centroids.map((c, i) => ({ i, s: dot(c, query) }));
    scored.sort((a, b) => b.s - a.s);
    return scored.slice(0, n).map((x) => x.i);
  }

  #nearestCentroid(v: Float32Array): number {
    return this.#centroids.length === 0 ? -1 : nearest(this.#centroids, v);
  }

  async #deleteChunks(k: Knex | Knex.Transaction, docId: number): Promise<number> {
    const n = await k(TABLES.chunks).where('doc_id', docId).delete();
    await k(TABLES.chunkTexts).where('doc_id', docId).delete();
    return Number(n);
  }

  async #countChunks(): Promise<number> {
    const row = (await this.knex(TABLES.chunks).where('model', this.model).count({ n: '*' }).first()) as { n: number | string } | undefined;
    return Number(row?.n ?? 0);
  }

  async #meta(): Promise<Map<string, string>> {
    const rows: { key: string; value: string }[] = await this.knex(TABLES.meta).select('key', 'value');
    return new Map(rows.map((r) => [r.key, r.value]));
  }

  async #setMeta(k: Knex | Knex.Transaction, values: Record<string, string>): Promise<void> {
    for (const [key, value] of Object.entries(values)) {
      await k(TABLES.meta).insert({ key, value }).onConflict('key').merge();
    }
  }
}

function nearest(centroids: Float32Array[], v: Float32Array): number {
  let best = 0;
  let bestScore = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < centroids.length; i++) {
    const s = dot(centroids[i] as Float32Array, v);
    if (s > bestScore) {
      bestScore = s;
      best = i;
    }
  }
  return best;
}

/** Deterministic farthest-point-flavoured seeding: spread picks over the sample. */
function seedCentroids(sample: Float32Array[], k: number): Float32Array[] {
  const out: Float32Array[] = [];
  if (sample.length === 0) return out;
  const step = sample.length / Math.min(k, sample.length);
  for (let i = 0; out.length < Math.min(k, sample.length); i++) out.push(Float32Array.from(sample[Math.floor(i * step)] as Float32Array));
  return out;
}

/** Keeps the `k` highest-scoring items (a small binary min-heap). */
class TopK<T> {
  readonly #heap: { score: number; item: T }[] = [];
  constructor(private readonly k: number) {}

  push(score: number, item: T): void {
    const h = this.#heap;
    if (h.length < this.k) {
      h.push({ score, item });
      let i = h.length - 1;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if ((h[p] as { score: number }).score <= score) break;
        [h[i], h[p]] = [h[p] as { score: number; item: T }, h[i] as { score: number; item: T }];
        i = p;
      }
    } else if (score > (h[0] as { score: number }).score) {
      h[0] = { score, item };
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && (h[l] as { score: number }).score < (h[m] as { score: number }).score) m = l;
        if (r < h.length && (h[r] as { score: number }).score < (h[m] as { score: number }).score) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m] as { score: number; item: T }, h[i] as { score: number; item: T }];
        i = m;
      }
    }
  }

  sorted(): { score: number; item: T }[] {
    return [...this.#heap].sort((a, b) => b.score - a.score);
  }
}
