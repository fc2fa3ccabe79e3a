export const PACKAGE_NAME = '@autod/vector-store';
export {
  LexicalEmbedder,
  OpenAIEmbedder,
  tokenize,
  type EmbedResult,
  type Embedder,
  type EmbeddingsClient,
  type LexicalEmbedderOptions,
  type OpenAIEmbedderOptions,
} from './embedder.js';
export {
  CachedEmbedder,
  embeddingCacheKey,
  type EmbeddingCacheOptions,
  type EmbeddingCacheStats,
} from './embedding-cache.js';
export { LruCache, type LruOptions, type LruStats } from '@autod/core';
export { chunkText, type ChunkOptions, type TextChunk } from './chunk.js';
export { highlightSnippet } from './snippet.js';
export {
  INDEX_COLUMNS,
  openAIFilterKeys,
  toOpenAIFilters,
  type OpenAIAttributeFilter,
  type SearchFilter,
} from './filter.js';
export {
  migrateVectorStore,
  rollbackVectorStore,
  vectorStoreMigrationStatus,
  VECTOR_DOCS_TABLE,
  VECTOR_MIGRATIONS_TABLE,
} from './migrations.js';
export { loadSqliteVec } from './sqlite-vec.js';
export type { SqlWrite } from './sql-runner.js';
export { type Dialect, type IvfOptions } from './local-index.js';
export {
  OpenAIVectorSync,
  type OpenAISearchHit,
  type OpenAISyncOptions,
  type VectorStoreClient,
} from './openai-sync.js';
export {
  createVectorIndex,
  documentHeader,
  type FullTextSearch,
  type IndexDocument,
  type IndexResult,
  type ReindexResult,
  type SearchHit,
  type SearchMode,
  type SearchOptions,
  type SearchResult,
  type VectorIndex,
  type VectorIndexOptions,
  type VectorIndexStats,
} from './vector-index.js';
export { createFts5FullText, type Fts5FullText } from './sqlite-fulltext.js';
