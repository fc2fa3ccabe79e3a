import type { Knex } from 'knex';
import type { DocumentMetadata } from '@autod/core';
import type { ChunkOptions } from './chunk.js';
import type { Embedder } from './embedder.js';
import type { CachedEmbedder, EmbeddingCacheOptions, EmbeddingCacheStats } from './embedding-cache.js';
import type { SearchFilter } from './filter.js';
import type { Dialect, IvfOptions } from './local-index.js';
import type { OpenAISyncOptions } from './openai-sync.js';

// The vector index's public types (`createVectorIndex` in vector-index.ts builds one).

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
