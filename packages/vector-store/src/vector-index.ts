import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Knex } from 'knex';
import { errorFor } from '@autod/errors';
import { indexedFields, normalizeContentSignature, type DocumentMetadata } from '@autod/core';
import { chunkText, type ChunkOptions } from './chunk.js';
import type { Embedder } from './embedder.js';
import { CachedEmbedder, type EmbeddingCacheOptions, type EmbeddingCacheStats } from './embedding-cache.js';
import type { SearchFilter } from './filter.js';
import { bufferToVector, sha256Hex } from './hash.js';
import { LocalVectorIndex, type Dialect, type IvfOptions, type VectorBackend } from './local-index.js';
import { migrateVectorStore, TABLES } from './migrations.js';
import { OpenAIVectorSync, type OpenAISyncOptions } from './openai-sync.js';
import { highlightSnippet } from './snippet.js';
import { SqlRunner } from './sql-runner.js';
import { loadSqliteVec, tuneSqlite } from './sqlite-vec.js';

/** What the pipeline hands over after persisting a document (structurally `DocumentIndexer`'s input). */
export interface IndexDocument {
  id: number;
  sha256: string;
  metadata: DocumentMetadata;
  text: string;
  path?: string;
}

export interface IndexResult {
  id: number;
  chunks: number;
  /** Chunk texts embedded now (cache misses). */
  embedded: number;
  /** The document this one is a near-duplicate of (same content, different bytes), if any. */
  nearDuplicateOf: number | null;
  /** Similarity to `nearDuplicateOf` (1 = identical content signature). */
  nearDuplicateSimilarity: number | null;
  /** Id of the OpenAI vector-store file when sync is on. */
  openaiFileId?: string;
}

/** BM25 full-text search, injected (the runtime passes `db.documents.search`). Best first. */
export type FullTextSearch = (
  query: string,
  limit: number,
  filter: SearchFilter | undefined,
) => Promise<{ id: number; score: number; snippet: string }[]>;

export type SearchMode = 'fulltext' | 'vector' | 'hybrid';

export interface SearchOptions {
  /** Default `hybrid`. */
  mode?: SearchMode;
  filter?: SearchFilter;
  /** Top-k documents (default 10, at most 100). */
  limit?: number;
  /** Minimum cosine similarity of a vector hit (default: the embedder's calibrated value). */
  minSimilarity?: number;
  /** Reciprocal-rank-fusion constant (default 60). */
  rrfK?: number;
  /** Compare with every vector (ignore the IVF lists): slower, exact. */
  exact?: boolean;
  /**
   * Keep only the documents the app accepts: for filters the index does not hold (status, review flag, customer…) or
   * values that changed since indexing. Applied to both sides' candidates before they are fused and cut to `limit`;
   * each side then fetches more candidates (up to 200).
   */
  accept?: (ids: readonly number[]) => Promise<ReadonlySet<number>>;
  signal?: AbortSignal;
}

export interface SearchHit {
  id: number;
  /** 1-based. */
  rank: number;
  /** Fused RRF score (hybrid), cosine similarity (vector) or the full-text score (fulltext). Higher is better. */
  score: number;
  /** Cosine similarity of the best chunk, when the vector side found the document. */
  similarity: number | null;
  /** Full-text score, when the full-text side found the document. */
  textScore: number | null;
  /** Text with query terms in [brackets]. */
  snippet: string;
  /** Which sides found the document. */
  matchedBy: ('fulltext' | 'vector')[];
  /** Page of the best chunk (vector side). */
  page: number | null;
  title: string | null;
  category: string | null;
  docType: string | null;
  issuer: string | null;
  primaryDate: string | null;
  totalAmount: number | null;
}

export interface SearchResult {
  query: string;
  mode: SearchMode;
  /** `local` or `openai` (semantic side). */
  backend: 'local' | 'openai';
  hits: SearchHit[];
  tookMs: number;
}

export interface ReindexResult {
  indexed: number;
  failed: { id: number; error: string }[];
  chunks: number;
  /** Embedding-cache counters over this run only. */
  cache: EmbeddingCacheStats;
  trained: boolean;
  tookMs: number;
}

export interface VectorIndexStats {
  documents: number;
  chunks: number;
  model: string;
  dimensions: number;
  sqliteVec: boolean;
  ivfTrained: boolean;
  cache: EmbeddingCacheStats;
}

export interface VectorIndex {
  readonly embedder: CachedEmbedder;
  /** Chunk, embed (cached), store vectors + attribute row, flag near-duplicates, sync to OpenAI when on. */
  indexDocument(doc: IndexDocument): Promise<IndexResult>;
  /** {@link indexDocument} without the result: a pipeline `DocumentIndexer` as it is. */
  index(doc: IndexDocument): Promise<void>;
  /** Index many documents (embedding batched); near-duplicate vectors are not compared (signatures are). */
  indexMany(docs: IndexDocument[]): Promise<IndexResult[]>;
  search(query: string, options?: SearchOptions): Promise<SearchResult>;
  /**
   * Re-embed every document from `docs` (re-uses cached embeddings) and retrain the IVF lists once
   * at the end. `batchSize` documents (default 50) are embedded per call; embedded batches are
   * written together, up to 5,000 documents or 2 s of embedding per transaction, and
   * `onProgress` reports after each write.
   */
  reindex(
    docs: AsyncIterable<IndexDocument> | Iterable<IndexDocument>,
    options?: { batchSize?: number; onProgress?: (done: number) => void },
  ): Promise<ReindexResult>;
  /** Remove a document (local vectors, and its OpenAI file when synced). */
  remove(id: number): Promise<boolean>;
  /** Documents whose content is nearly the same as `id`'s (cosine of the first chunk ≥ threshold). */
  similarTo(
    id: number,
    options?: { limit?: number; minSimilarity?: number },
  ): Promise<{ id: number; similarity: number }[]>;
  /** Train the IVF lists now. */
  optimize(): Promise<void>;
  stats(): Promise<VectorIndexStats>;
}

export interface VectorIndexOptions {
  /** The app's database (SQLite or PostgreSQL); this package's tables are migrated on it. */
  knex: Knex;
  dialect: Dialect;
  /** Offline `LexicalEmbedder` or `OpenAIEmbedder`. */
  embedder: Embedder;
  /** BM25 side of hybrid search; without it `fulltext` mode fails and `hybrid` is vector-only. */
  fullText?: FullTextSearch | undefined;
  cache?: EmbeddingCacheOptions | undefined;
  chunking?: ChunkOptions | undefined;
  ivf?: IvfOptions | undefined;
  /** Compare a new document's first chunk with existing ones (default true). */
  nearDuplicates?: boolean | { threshold?: number };
  /** Called when `index` finds a near-duplicate (the runtime wires `db.documents.setNearDuplicate`). */
  onNearDuplicate?: ((id: number, ofId: number, similarity: number) => Promise<void> | void) | undefined;
  /** OpenAI vector-store sync; off when absent. */
  openaiSync?: OpenAISyncOptions | undefined;
  /** Apply this package's migrations on open (default true). */
  migrate?: boolean;
  /**
   * SQLite connection tuning applied on open: page cache (default 64 MB) and memory-mapped I/O
   * (default 0: off — searches scan the IVF lists in memory and read only a few rows by key; a
   * mapped window counts the file's pages in the process's RSS). 0 keeps SQLite's setting.
   */
  sqlite?: { cacheSizeMb?: number; mmapSizeMb?: number } | undefined;
}

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

/** Date as words ("March 2024") so that queries like "bill from March" meet the date. */
function dateWords(date: string | null): string | null {
  const m = date ? /^(\d{4})-(\d{2})/.exec(date) : null;
  if (!m) return null;
  const month = MONTHS[Number(m[2]) - 1];
  return month ? `${month} ${m[1] as string}` : null;
}

/** The metadata line prefixed to every chunk before embedding (title, type, issuer, category, date). */
export function documentHeader(m: DocumentMetadata): string {
  const f = indexedFields(m);
  return [f.title, f.docType, f.issuer, f.subcategory ?? f.category, dateWords(f.primaryDate), ...m.tags.slice(0, 6)]
    .filter((s): s is string => Boolean(s))
    .join(' | ');
}

/**
 * `reindex` writes embedded batches together, in transactions of up to this many documents (or
 * what was embedded in {@link WRITE_GROUP_MS}, so that slow embedders still write often): each
 * commit rewrites every page of the random-key indexes (embedding-cache keys, content signatures)
 * it touched, so 2,000–5,000 documents per commit write 1.5–2× less than 500.
 */
const WRITE_GROUP_DOCS = 5000;
const WRITE_GROUP_MS = 2000;

function clampLimit(limit: number | undefined): number {
  if (limit === undefined) return 10;
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
    throw errorFor('VALIDATION_FAILED', `Search limit must be an integer in 1..100 (got ${limit}).`);
  }
  return limit;
}

/** Open the local vector index on the app's database (migrates its tables, loads sqlite-vec). */
export async function createVectorIndex(options: VectorIndexOptions): Promise<VectorIndex> {
  const { knex, dialect } = options;
  if (options.migrate !== false) await migrateVectorStore(knex);
  const sqlVec = dialect === 'sqlite' ? await loadSqliteVec(knex) : false;
  if (dialect === 'sqlite') await tuneSqlite(knex, options.sqlite?.cacheSizeMb ?? 64, options.sqlite?.mmapSizeMb ?? 0);
  const sql = new SqlRunner(knex);
  const embedder =
    options.embedder instanceof CachedEmbedder
      ? options.embedder
      : new CachedEmbedder(options.embedder, knex, options.cache);
  const local: VectorBackend = new LocalVectorIndex(
    knex,
    dialect,
    embedder.model,
    embedder.dimensions,
    sqlVec,
    options.ivf,
    sql,
  );
  await local.init();
  const sync = options.openaiSync ? new OpenAIVectorSync(knex, options.openaiSync) : undefined;
  const nd = options.nearDuplicates ?? true;
  /** > 0 while `reindex` runs: it trains once at the end instead of after every batch. */
  let bulk = 0;
  const ndThreshold = typeof nd === 'object' ? (nd.threshold ?? 0.9) : 0.9;

  const prepare = (doc: IndexDocument) => {
    const m = doc.metadata;
    const f = indexedFields(m);
    const pages = doc.text.includes('\f')
      ? doc.text
      : m.ocr_page_summaries.length > 1 && doc.text.trim() === ''
        ? m.ocr_page_summaries.map((p) => p.text_excerpt)
        : doc.text;
    let chunks = chunkText(pages, options.chunking);
    if (chunks.length === 0) {
      const fallback = [m.summary, m.brief_description, m.ocr_text_excerpt]
        .filter((s): s is string => Boolean(s))
        .join('\n');
      chunks = fallback ? [{ index: 0, page: 1, text: fallback }] : [];
    }
    const header = documentHeader(m);
    const sigSource = doc.text.trim() || m.ocr_text_excerpt || '';
    const sig = sigSource.trim().length >= 40 ? sha256Hex(normalizeContentSignature(sigSource, 512)) : null;
    return {
      attrs: {
        docId: doc.id,
        sha256: doc.sha256,
        category: f.category,
        docType: f.docType,
        issuer: f.issuer,
        primaryDate: f.primaryDate,
        totalAmount: f.totalAmount,
        title: f.title,
        contentSig: sig,
      },
      chunks,
      inputs: chunks.map((c) => (header ? `${header}\n${c.text}` : c.text)),
    };
  };

  const signatureTwin = async (id: number, sha256: string, sig: string | null): Promise<number | null> => {
    if (!sig) return null;
    const [row] = await sql.select<{ doc_id: number | string }>(
      knex(TABLES.docs)
        .select('doc_id')
        .where('content_sig', sig)
        .whereNot('doc_id', id)
        .whereNot('sha256', sha256)
        .orderBy('doc_id')
        .limit(1),
    );
    return row ? Number(row.doc_id) : null;
  };

  const store = async (doc: IndexDocument, prepared: ReturnType<typeof prepare>, vectors: Float32Array[]) => {
    await local.upsertMany([
      {
        attrs: prepared.attrs,
        chunks: prepared.chunks.map((c, i) => ({
          chunkNo: c.index,
          page: c.page,
          text: c.text,
          vector: vectors[i] as Float32Array,
        })),
      },
    ]);
  };

  /** A batch of documents chunked and embedded, its new embedding-cache rows not written yet. */
  interface Embedded {
    docs: IndexDocument[];
    prepared: ReturnType<typeof prepare>[];
    vectors: Float32Array[];
    embedded: number;
    pending: Map<string, Float32Array>;
  }

  const embedGroup = async (docs: IndexDocument[]): Promise<Embedded> => {
    const prepared = docs.map(prepare);
    const before = embedder.stats().misses;
    const { vectors, pending } = await embedder.embedDeferred(prepared.flatMap((p) => p.inputs));
    return { docs, prepared, vectors, embedded: embedder.stats().misses - before, pending };
  };

  /**
   * Write embedded batches: the embedding-cache rows in one transaction, the vectors and attribute
   * rows in another, then content-signature twins and the OpenAI sync. Results per document; each
   * batch's first result carries the batch's count of texts embedded.
   */
  const writeGroup = async (groups: Embedded[]): Promise<IndexResult[]> => {
    await embedder.persist(groups.map((g) => g.pending));
    const docs = groups.flatMap((g) => g.docs);
    const prepared = groups.flatMap((g) => g.prepared);
    const vectors = groups.flatMap((g) => g.vectors);
    const results: IndexResult[] = [];
    let offset = 0;
    const items = prepared.map((p, i) => {
      const doc = docs[i] as IndexDocument;
      const vs = vectors.slice(offset, offset + p.chunks.length);
      offset += p.chunks.length;
      results.push({
        id: doc.id,
        chunks: p.chunks.length,
        embedded: 0,
        nearDuplicateOf: null,
        nearDuplicateSimilarity: null,
      });
      return {
        attrs: p.attrs,
        chunks: p.chunks.map((c, j) => ({
          chunkNo: c.index,
          page: c.page,
          text: c.text,
          vector: vs[j] as Float32Array,
        })),
      };
    });
    let first = 0;
    for (const g of groups) {
      const r = results[first];
      if (r) r.embedded = g.embedded;
      first += g.docs.length;
    }
    await local.upsertMany(items);
    const sigs = [...new Set(prepared.map((p) => p.attrs.contentSig).filter((x): x is string => x !== null))];
    const bySig = new Map<string, { id: number; sha256: string }[]>();
    for (let i = 0; i < sigs.length; i += 500) {
      const rows = await sql.select<{ doc_id: number | string; sha256: string; content_sig: string }>(
        knex(TABLES.docs)
          .select('doc_id', 'sha256', 'content_sig')
          .whereIn('content_sig', sigs.slice(i, i + 500))
          .orderBy('doc_id'),
      );
      for (const row of rows) {
        const list = bySig.get(row.content_sig) ?? [];
        list.push({ id: Number(row.doc_id), sha256: row.sha256 });
        bySig.set(row.content_sig, list);
      }
    }
    for (const [i, r] of results.entries()) {
      const p = prepared[i] as ReturnType<typeof prepare>;
      const doc = docs[i] as IndexDocument;
      const twin = p.attrs.contentSig
        ? bySig.get(p.attrs.contentSig)?.find((t) => t.id < doc.id && t.sha256 !== doc.sha256)
        : undefined;
      r.nearDuplicateOf = twin ? twin.id : null;
      if (r.nearDuplicateOf !== null) {
        r.nearDuplicateSimilarity = 1;
        await options.onNearDuplicate?.(doc.id, r.nearDuplicateOf, 1);
      }
      if (sync) r.openaiFileId = await sync.upsert(doc);
    }
    return results;
  };

  const api: VectorIndex = {
    embedder,

    async index(doc) {
      await api.indexDocument(doc);
    },

    async indexDocument(doc) {
      const prepared = prepare(doc);
      const before = embedder.stats().misses;
      const { vectors } = await embedder.embed(prepared.inputs);
      const embedded = embedder.stats().misses - before;
      let nearDuplicateOf = await signatureTwin(doc.id, doc.sha256, prepared.attrs.contentSig);
      let nearDuplicateSimilarity: number | null = nearDuplicateOf === null ? null : 1;
      if (nearDuplicateOf === null && nd !== false && vectors[0]) {
        const [best] = await local.search(vectors[0], {
          k: 1,
          excludeDocId: doc.id,
          firstChunkOnly: true,
          minSimilarity: ndThreshold,
        });
        if (best) {
          const [row] = await sql.select<{ sha256: string }>(
            knex(TABLES.docs).select('sha256').where('doc_id', best.docId).limit(1),
          );
          if (row && row.sha256 !== doc.sha256) {
            nearDuplicateOf = best.docId;
            nearDuplicateSimilarity = best.similarity;
          }
        }
      }
      await store(doc, prepared, vectors);
      if (bulk === 0) await local.maybeTrain();
      if (nearDuplicateOf !== null && options.onNearDuplicate) {
        await options.onNearDuplicate(doc.id, nearDuplicateOf, nearDuplicateSimilarity ?? 1);
      }
      const result: IndexResult = {
        id: doc.id,
        chunks: prepared.chunks.length,
        embedded,
        nearDuplicateOf,
        nearDuplicateSimilarity,
      };
      if (sync) result.openaiFileId = await sync.upsert(doc);
      return result;
    },

    async indexMany(docs) {
      const results = await writeGroup([await embedGroup(docs)]);
      if (bulk === 0) await local.maybeTrain();
      return results;
    },

    async search(query, opts = {}) {
      const started = performance.now();
      const mode = opts.mode ?? 'hybrid';
      const limit = clampLimit(opts.limit);
      if (!query.trim()) throw errorFor('VALIDATION_FAILED', 'Search needs a non-empty query.');
      if (mode === 'fulltext' && !options.fullText) {
        throw errorFor('VALIDATION_FAILED', 'Full-text search is not available here; use --mode vector.');
      }
      const minSimilarity = opts.minSimilarity ?? embedder.defaultMinSimilarity;
      // RRF only needs ranks: each side contributes its best 2 × limit (at least 20) candidates; with an `accept`
      // filter after the fact, more of them.
      const baseDepth = mode === 'hybrid' ? Math.max(limit * 2, 20) : limit;
      const depth = opts.accept ? Math.min(200, Math.max(baseDepth * 4, 100)) : baseDepth;
      const useOpenAI = Boolean(sync?.searchEnabled) && mode !== 'fulltext';

      let textSide = mode !== 'vector' && options.fullText ? await options.fullText(query, depth, opts.filter) : [];
      let vectorSide: { docId: number; similarity: number; chunkNo: number | null; text?: string }[] = [];
      if (mode !== 'fulltext') {
        if (useOpenAI && sync) {
          vectorSide = (await sync.search(query, opts.filter, Math.min(depth, 50), opts.signal)).map((h) => ({
            docId: h.docId,
            similarity: h.score,
            chunkNo: null,
            text: h.text,
          }));
        } else {
          const vector = await embedder.embedQuery(query, opts.signal);
          vectorSide = await local.search(vector, {
            k: depth,
            minSimilarity,
            ...(opts.exact ? { exact: true } : {}),
            ...(opts.filter ? { filter: opts.filter } : {}),
          });
        }
      }

      if (opts.accept) {
        const candidates = [...new Set([...textSide.map((h) => h.id), ...vectorSide.map((h) => h.docId)])];
        const accepted = candidates.length > 0 ? await opts.accept(candidates) : new Set<number>();
        textSide = textSide.filter((h) => accepted.has(h.id));
        vectorSide = vectorSide.filter((h) => accepted.has(h.docId));
      }

      const k = opts.rrfK ?? 60;
      const fused = new Map<
        number,
        {
          score: number;
          textScore: number | null;
          similarity: number | null;
          snippet: string;
          chunkNo: number | null;
          vtext?: string;
          matchedBy: ('fulltext' | 'vector')[];
        }
      >();
      const entry = (id: number) => {
        let e = fused.get(id);
        if (!e)
          fused.set(
            id,
            (e = { score: 0, textScore: null, similarity: null, snippet: '', chunkNo: null, matchedBy: [] }),
          );
        return e;
      };
      textSide.forEach((h, i) => {
        const e = entry(h.id);
        e.score += mode === 'hybrid' ? 1 / (k + i + 1) : h.score;
        e.textScore = h.score;
        e.snippet = h.snippet;
        e.matchedBy.push('fulltext');
      });
      vectorSide.forEach((h, i) => {
        const e = entry(h.docId);
        e.score += mode === 'hybrid' ? 1 / (k + i + 1) : h.similarity;
        e.similarity = h.similarity;
        e.chunkNo = h.chunkNo;
        if (h.text !== undefined) e.vtext = h.text;
        e.matchedBy.push('vector');
      });
      const ranked = [...fused.entries()].sort((a, b) => b[1].score - a[1].score || a[0] - b[0]).slice(0, limit);
      const ids = ranked.map(([id]) => id);
      const attrRows = ids.length
        ? await sql.select<Record<string, unknown>>(
            knex(TABLES.docs)
              .select('doc_id', 'title', 'category', 'doc_type', 'issuer', 'primary_date', 'total_amount')
              .whereIn('doc_id', ids),
          )
        : [];
      const attrs = new Map(attrRows.map((r) => [Number(r['doc_id']), r]));
      const need = ranked
        .filter(([, e]) => e.chunkNo !== null)
        .map(([id, e]) => ({ docId: id, chunkNo: e.chunkNo as number }));
      const texts = await local.chunkTexts(need);
      const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
      const hits: SearchHit[] = ranked.map(([id, e], i) => {
        const a = attrs.get(id);
        const key = `${id}:${e.chunkNo ?? -1}`;
        const chunk = texts.get(key);
        const raw = e.vtext ?? chunk?.text;
        return {
          id,
          rank: i + 1,
          score: e.score,
          similarity: e.similarity,
          textScore: e.textScore,
          snippet: e.snippet || (raw ? highlightSnippet(raw, query) : ''),
          matchedBy: e.matchedBy,
          page: chunk?.page ?? null,
          title: str(a?.['title']),
          category: str(a?.['category']),
          docType: str(a?.['doc_type']),
          issuer: str(a?.['issuer']),
          primaryDate: str(a?.['primary_date']),
          totalAmount:
            a?.['total_amount'] === null || a?.['total_amount'] === undefined ? null : Number(a['total_amount']),
        };
      });
      return { query, mode, backend: useOpenAI ? 'openai' : 'local', hits, tookMs: performance.now() - started };
    },

    async reindex(docs, opts = {}) {
      const started = performance.now();
      const before = embedder.stats();
      const batchSize = Math.max(1, opts.batchSize ?? 50);
      const failed: { id: number; error: string }[] = [];
      let indexed = 0;
      let chunks = 0;
      let batch: IndexDocument[] = [];
      // Embedded batches wait here and are written together (see WRITE_GROUP_DOCS).
      let group: Embedded[] = [];
      let groupDocs = 0;
      let groupStarted = 0;
      const oneByOne = async (list: IndexDocument[]) => {
        for (const d of list) {
          try {
            const r = await api.indexDocument(d);
            indexed++;
            chunks += r.chunks;
          } catch (error) {
            failed.push({ id: d.id, error: error instanceof Error ? error.message : String(error) });
          }
        }
      };
      const write = async () => {
        if (group.length === 0) return;
        const pending = group;
        group = [];
        groupDocs = 0;
        try {
          const rs = await writeGroup(pending);
          indexed += rs.length;
          chunks += rs.reduce((sum, r) => sum + r.chunks, 0);
        } catch {
          await oneByOne(pending.flatMap((g) => g.docs));
        }
        opts.onProgress?.(indexed + failed.length);
        // One turn of the event loop per group: Node-API finalizers (native memory of statements,
        // buffers) only run there, and a loop of awaited synchronous SQLite calls never gets there.
        await nextTurn();
      };
      const embed = async () => {
        if (batch.length === 0) return;
        const docsNow = batch;
        batch = [];
        if (group.length === 0) groupStarted = performance.now();
        try {
          group.push(await embedGroup(docsNow));
          groupDocs += docsNow.length;
        } catch {
          await write();
          await oneByOne(docsNow);
        }
        if (groupDocs >= WRITE_GROUP_DOCS || performance.now() - groupStarted >= WRITE_GROUP_MS) await write();
      };
      bulk++;
      try {
        for await (const d of docs) {
          batch.push(d);
          if (batch.length >= batchSize) await embed();
        }
        await embed();
        await write();
      } finally {
        bulk--;
      }
      const trained = await local.maybeTrain(true).catch(() => false);
      if (options.cache?.maxDbMb !== undefined) await embedder.prune(options.cache.maxDbMb);
      const after = embedder.stats();
      const requests = after.requests - before.requests;
      const memoryHits = after.memoryHits - before.memoryHits;
      const dbHits = after.dbHits - before.dbHits;
      return {
        indexed,
        failed,
        chunks,
        trained,
        cache: {
          requests,
          memoryHits,
          dbHits,
          misses: after.misses - before.misses,
          hitRate: requests === 0 ? 0 : (memoryHits + dbHits) / requests,
          memory: after.memory,
          embedCalls: after.embedCalls - before.embedCalls,
          costUsd: after.costUsd - before.costUsd,
        },
        tookMs: performance.now() - started,
      };
    },

    async remove(id) {
      if (sync) await sync.remove(id);
      return local.remove(id);
    },

    async similarTo(id, opts = {}) {
      const [row] = await sql.select<{ embedding: Uint8Array }>(
        knex(TABLES.chunks).select('embedding').where({ doc_id: id, chunk_no: 0 }).limit(1),
      );
      if (!row) return [];
      const matches = await local.search(bufferToVector(row.embedding), {
        k: opts.limit ?? 10,
        excludeDocId: id,
        firstChunkOnly: true,
        minSimilarity: opts.minSimilarity ?? ndThreshold,
      });
      return matches.map((m) => ({ id: m.docId, similarity: m.similarity }));
    },

    async optimize() {
      await local.maybeTrain(true);
    },

    async stats() {
      const [row] = await sql.select<{ n: number | string }>(knex(TABLES.docs).count({ n: '*' }));
      return {
        documents: Number(row?.n ?? 0),
        chunks: local.chunkCount,
        model: embedder.model,
        dimensions: embedder.dimensions,
        sqliteVec: sqlVec,
        ivfTrained: local.trained,
        cache: embedder.stats(),
      };
    },
  };
  return api;
}
