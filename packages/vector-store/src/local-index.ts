import type { Knex } from 'knex';
import { applyFilter, hasFilter, type SearchFilter } from './filter.js';
import { bufferToVector, dot, vectorToBuffer } from './hash.js';
import { LIST_KEY_SPAN, TABLES } from './migrations.js';

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
  /**
   * Share of the vectors scanned per query (default 0.15): the nearest lists are probed until
   * they hold this many vectors (so uneven lists cost the same), and at least `minProbe` lists.
   */
  probeFraction?: number;
  /** Fewest lists probed per query (default 4). */
  minProbe?: number;
  /** Candidates of the int8 coarse scan re-ranked with the exact float32 vectors (default: 1.5 × the chunks wanted, at least 60). */
  rerank?: number;
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
  /** Vectors per list (maintained on insert, recounted on load/training; deletions are not subtracted). */
  #listSizes: number[] = [];
  #trainedCount = 0;
  #chunkCount = 0;
  /** Documents with an attribute row (kept up to date approximately; for the probe budget of filtered searches). */
  #docCount = 0;
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
      probeFraction: ivf.probeFraction ?? 0.15,
      minProbe: ivf.minProbe ?? 4,
      rerank: ivf.rerank ?? 0,
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
      this.#listSizes = new Array<number>(this.#centroids.length).fill(0);
      // An integer literal divisor: integer division (a bound JS number would be a REAL in SQLite).
      const sizes: { list: number | string; n: number | string }[] = await this.knex(TABLES.lists)
        .select(this.knex.raw(`?? / ${LIST_KEY_SPAN} AS list`, ['key']))
        .count({ n: '*' })
        .groupBy('list');
      for (const r of sizes) if (Number(r.list) < this.#listSizes.length) this.#listSizes[Number(r.list)] = Number(r.n);
    }
    this.#chunkCount = await this.#countChunks();
    const docs = (await this.knex(TABLES.docs).count({ n: '*' }).first()) as { n: number | string } | undefined;
    this.#docCount = Number(docs?.n ?? 0);
  }

  /** Replace a document's attribute row and chunks. */
  async upsert(attrs: DocAttributes, chunks: StoredChunk[], trx?: Knex.Transaction): Promise<void> {
    const run = async (k: Knex | Knex.Transaction): Promise<void> => {
      const removed = await this.#deleteChunks(k, attrs.docId);
      if (removed === 0) this.#docCount++;
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
        embedding: vectorToBuffer(c.vector),
      }));
      const trained = this.trained;
      const byNo = new Map(chunks.map((c) => [c.chunkNo, c.vector]));
      for (let i = 0; i < rows.length; i += 100) {
        const batch = rows.slice(i, i + 100);
        if (!trained) {
          await k(TABLES.chunks).insert(batch);
          continue;
        }
        const ids: { id: number | string; chunk_no: number }[] = await k(TABLES.chunks).insert(batch, [
          'id',
          'chunk_no',
        ]);
        const listRows = ids.map((r) => {
          const v = byNo.get(Number(r.chunk_no)) as Float32Array;
          const list = nearest(this.#centroids, v);
          this.#listSizes[list] = (this.#listSizes[list] ?? 0) + 1;
          return {
            key: list * LIST_KEY_SPAN + Number(r.id),
            doc_id: attrs.docId,
            chunk_no: Number(r.chunk_no),
            qvec: quantize(v),
          };
        });
        await k(TABLES.lists).insert(listRows);
      }
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
      this.#docCount -= Number(n);
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
    const sizes = new Array<number>(centroids.length).fill(0);
    await this.knex.transaction(async (trx) => {
      await trx(TABLES.centroids).delete();
      for (let i = 0; i < centroids.length; i += 50) {
        await trx(TABLES.centroids).insert(
          centroids.slice(i, i + 50).map((v, j) => ({ cluster: i + j, vector: vectorToBuffer(v) })),
        );
      }
      // Every vector goes to its nearest list: an int8 copy in `autod_vec_lists`, keyed so that a
      // list is one contiguous key range.
      await trx(TABLES.lists).delete();
      sizes.fill(0);
      let lastId = 0;
      for (;;) {
        const rows = (await trx(TABLES.chunks)
          .select('id', 'doc_id', 'chunk_no', 'embedding')
          .where('model', this.model)
          .where('id', '>', lastId)
          .orderBy('id')
          .limit(2000)) as {
          id: number | string;
          doc_id: number | string;
          chunk_no: number;
          embedding: Uint8Array;
        }[];
        if (rows.length === 0) break;
        const listRows = rows.map((r) => {
          const v = bufferToVector(r.embedding);
          const list = nearest(centroids, v);
          sizes[list] = (sizes[list] ?? 0) + 1;
          return {
            key: list * LIST_KEY_SPAN + Number(r.id),
            doc_id: Number(r.doc_id),
            chunk_no: Number(r.chunk_no),
            qvec: quantize(v),
          };
        });
        for (let i = 0; i < listRows.length; i += 500) await trx(TABLES.lists).insert(listRows.slice(i, i + 500));
        lastId = Number(rows[rows.length - 1]?.id);
      }
      await this.#setMeta(trx, { ivf_model: `${this.model}:${this.dimensions}`, ivf_trained_count: String(n) });
    });
    this.#centroids = centroids;
    this.#listSizes = sizes;
    this.#trainedCount = n;
    return { lists, vectors: n };
  }

  /**
   * Best documents for `query`: the top `k` documents by their best chunk's cosine similarity,
   * at least `minSimilarity`, matching `filter`. Uses IVF lists when trained; a filtered search
   * that finds fewer than `k` documents there is repeated exactly over the filtered rows.
   */
  async search(query: Float32Array, opts: SearchOpts): Promise<VectorMatch[]> {
    const min = opts.minSimilarity ?? -1;
    if (opts.exact || !this.trained) return this.#scan(query, opts, min);
    if (norm(query) === 0) return [];
    // Probe the nearest lists; a filtered (or excluding) search that finds fewer than k documents
    // widens the probe (×4, then every list) before giving up.
    let budget = Math.max(1, Math.ceil(this.#chunkCount * this.#ivf.probeFraction));
    if (hasFilter(opts.filter)) {
      // Scale the probe by the filter's selectivity so that a filtered query sees as many
      // matching candidates as an unfiltered one (the count uses the attribute indexes).
      const q = this.knex({ d: TABLES.docs });
      applyFilter(q, opts.filter, 'd');
      const row = (await q.count({ n: '*' }).first()) as { n: number | string } | undefined;
      const matching = Number(row?.n ?? 0);
      if (matching === 0) return [];
      // √ of the selectivity, not all of it: matching vectors are not spread evenly over the
      // lists (a filter usually correlates with content), and a scan that still finds fewer than
      // k documents widens below.
      const selectivity = Math.max(0.02, Math.min(1, matching / Math.max(1, this.#docCount)));
      budget = Math.ceil(budget / Math.sqrt(Math.sqrt(selectivity)));
    }
    const steps =
      hasFilter(opts.filter) || opts.excludeDocId !== undefined
        ? [budget, budget * 4, Number.POSITIVE_INFINITY]
        : [budget];
    const order = this.#centroids.map((c, i) => ({ i, s: dot(c, query) })).sort((a, b) => b.s - a.s);
    let matches: VectorMatch[] = [];
    for (const step of steps) {
      const lists: number[] = [];
      let rows = 0;
      for (const { i } of order) {
        if (lists.length >= this.#ivf.minProbe && rows >= step) break;
        lists.push(i);
        rows += this.#listSizes[i] ?? 0;
      }
      matches = await this.#ivfScan(query, opts, lists.length === order.length ? undefined : lists, min);
      if (matches.length >= opts.k || lists.length === order.length) break;
    }
    return matches;
  }

  /** int8 coarse scan of `lists` (all when undefined), then exact cosine of the best candidates. */
  async #ivfScan(
    query: Float32Array,
    opts: SearchOpts,
    lists: number[] | undefined,
    min: number,
  ): Promise<VectorMatch[]> {
    const perDocChunks = opts.firstChunkOnly ? 1 : 4;
    const chunkLimit = Math.max(opts.k * perDocChunks, 20);
    const want = Math.max(this.#ivf.rerank || Math.ceil(chunkLimit * 1.5), chunkLimit, 60);
    const base = this.knex({ l: TABLES.lists });
    if (hasFilter(opts.filter)) {
      if (this.dialect === 'sqlite') {
        // The matching documents as a subquery SQLite materialises once; the unary `+` keeps the
        // planner from driving the scan from the filter (random `doc_id` lookups across every
        // list) instead of walking the probed lists' contiguous key ranges.
        const sub = this.knex({ d: TABLES.docs }).select('d.doc_id');
        applyFilter(sub, opts.filter, 'd');
        base.whereRaw('+l.doc_id IN (?)', [sub]);
      } else {
        base.join({ d: TABLES.docs }, 'd.doc_id', 'l.doc_id');
        applyFilter(base, opts.filter, 'd');
      }
    }
    if (lists) {
      const ranges = listRanges(lists);
      // Integer literals (computed here, not user input): a bound JS number is a REAL in SQLite.
      base.whereRaw(
        `(${ranges.map(([lo, hi]) => `(l.key >= ${lo * LIST_KEY_SPAN} AND l.key < ${hi * LIST_KEY_SPAN})`).join(' OR ')})`,
      );
    }
    if (opts.excludeDocId !== undefined) base.whereNot('l.doc_id', opts.excludeDocId);
    if (opts.firstChunkOnly) base.where('l.chunk_no', 0);

    let candidates: number[];
    const q8 = quantize(query);
    if (this.sqlVec) {
      const rows = (await base
        .select('l.key', this.knex.raw('vec_distance_cosine(vec_int8(l.qvec), vec_int8(?)) AS dist', [q8]))
        .orderBy('dist')
        .limit(want)) as { key: number | string }[];
      candidates = rows.map((r) => Number(r.key) % LIST_KEY_SPAN);
    } else {
      const q = new Int8Array(q8.buffer, q8.byteOffset, q8.byteLength);
      const top = new TopK<number>(want);
      let lastKey = -1;
      for (;;) {
        const rows = (await base
          .clone()
          .select('l.key', 'l.qvec')
          .where('l.key', '>', lastKey)
          .orderBy('l.key')
          .limit(5000)) as { key: number | string; qvec: Uint8Array }[];
        for (const r of rows) {
          const v = new Int8Array(r.qvec.buffer, r.qvec.byteOffset, r.qvec.byteLength);
          top.push(cosineInt8(q, v), Number(r.key) % LIST_KEY_SPAN);
        }
        if (rows.length < 5000) break;
        lastKey = Number(rows[rows.length - 1]?.key);
      }
      candidates = top.sorted().map((x) => x.item);
    }
    if (candidates.length === 0) return [];
    const exact = (await this.knex(TABLES.chunks)
      .select('doc_id', 'chunk_no', 'embedding')
      .whereIn('id', candidates)) as ChunkRow[];
    const qn = norm(query);
    const scored = exact.map((r) => {
      const v = bufferToVector(r.embedding as Uint8Array);
      const n = norm(v);
      return { docId: Number(r.doc_id), chunkNo: Number(r.chunk_no), sim: n === 0 ? 0 : dot(query, v) / (qn * n) };
    });
    scored.sort((a, b) => b.sim - a.sim);
    return bestPerDoc(scored.slice(0, chunkLimit), min, opts.k);
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

  /** Exact search: every vector of the model (matching the filter). */
  async #scan(query: Float32Array, opts: SearchOpts, min: number): Promise<VectorMatch[]> {
    const perDocChunks = opts.firstChunkOnly ? 1 : 4;
    const chunkLimit = Math.max(opts.k * perDocChunks, 20);
    const base = this.knex({ c: TABLES.chunks }).where('c.model', this.model);
    if (hasFilter(opts.filter)) {
      base.join({ d: TABLES.docs }, 'd.doc_id', 'c.doc_id');
      applyFilter(base, opts.filter, 'd');
    }
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
        .select(
          'c.doc_id',
          'c.chunk_no',
          this.knex.raw('1 - vec_distance_cosine(c.embedding, ?) AS sim', [vectorToBuffer(query)]),
        )
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

  async #deleteChunks(k: Knex | Knex.Transaction, docId: number): Promise<number> {
    const n = await k(TABLES.chunks).where('doc_id', docId).delete();
    await k(TABLES.lists).where('doc_id', docId).delete();
    await k(TABLES.chunkTexts).where('doc_id', docId).delete();
    return Number(n);
  }

  async #countChunks(): Promise<number> {
    const row = (await this.knex(TABLES.chunks).where('model', this.model).count({ n: '*' }).first()) as
      { n: number | string } | undefined;
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

type SearchOpts = {
  k: number;
  filter?: SearchFilter;
  minSimilarity?: number;
  exact?: boolean;
  excludeDocId?: number;
  firstChunkOnly?: boolean;
};

/** Best chunk per document, at least `min`, top `k` documents. `scored` is best first. */
function bestPerDoc(scored: { docId: number; chunkNo: number; sim: number }[], min: number, k: number): VectorMatch[] {
  const best = new Map<number, VectorMatch>();
  for (const { docId, chunkNo, sim } of scored) {
    if (sim < min) continue;
    const cur = best.get(docId);
    if (!cur || sim > cur.similarity) best.set(docId, { docId, similarity: sim, chunkNo });
  }
  return [...best.values()].sort((a, b) => b.similarity - a.similarity || a.docId - b.docId).slice(0, k);
}

/** Sorted list numbers → half-open ranges [lo, hi) of consecutive lists. */
export function listRanges(lists: number[]): [number, number][] {
  const out: [number, number][] = [];
  for (const l of [...lists].sort((a, b) => a - b)) {
    const last = out[out.length - 1];
    if (last && last[1] === l) last[1] = l + 1;
    else out.push([l, l + 1]);
  }
  return out;
}

/**
 * int8 copy of a vector scaled by its own largest component (cosine is scale-invariant, so the
 * per-vector scale needs no calibration). A zero vector becomes a unit spike (cosine ≈ 0 with anything).
 */
export function quantize(v: Float32Array): Buffer {
  let max = 0;
  for (let i = 0; i < v.length; i++) max = Math.max(max, Math.abs(v[i] as number));
  const q = new Int8Array(v.length);
  if (max === 0) q[0] = 1;
  else for (let i = 0; i < v.length; i++) q[i] = Math.round(((v[i] as number) * 127) / max);
  return Buffer.from(q.buffer, q.byteOffset, q.byteLength);
}

function cosineInt8(a: Int8Array, b: Int8Array): number {
  let s = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    s += x * y;
    na += x * x;
    nb += y * y;
  }
  return na === 0 || nb === 0 ? 0 : s / Math.sqrt(na * nb);
}

function norm(v: Float32Array): number {
  return Math.sqrt(dot(v, v));
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
  for (let i = 0; out.length < Math.min(k, sample.length); i++)
    out.push(Float32Array.from(sample[Math.floor(i * step)] as Float32Array));
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
