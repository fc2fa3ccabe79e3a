import type { Database, DocumentFilter } from '@autod/db';
import type { Runtime } from '@autod/runtime';

export const SEARCH_MODES = ['fulltext', 'vector', 'hybrid'] as const;
export type SearchMode = (typeof SEARCH_MODES)[number];

export interface SearchRequest {
  query: string;
  mode: SearchMode;
  limit: number;
  /** Every filter of `GET /v1/documents`; each hit matches all of them. */
  filter: DocumentFilter;
}

export interface SearchResult {
  id: number;
  score: number;
  /** Cosine similarity of the best chunk, when the vector side found the document. */
  similarity: number | null;
  snippet: string;
}

/** Where `/v1/search` gets its hits. */
export interface SearchBackend {
  readonly modes: readonly SearchMode[];
  search(request: SearchRequest): Promise<SearchResult[]>;
}

/** Full-text search in the database only (FTS5 / tsvector), with every filter. */
export function fulltextSearch(db: Database): SearchBackend {
  return {
    modes: ['fulltext'],
    search: async ({ query, limit, filter }) =>
      (await db.documents.search(query, { limit, filter })).map((h) => ({ ...h, similarity: null })),
  };
}

/**
 * Hybrid (BM25 + vectors, reciprocal rank fusion), vector and full-text search through the runtime, which applies the
 * search settings (SEARCH_RELEVANCE_THRESHOLD) and every document filter.
 */
export function indexSearch(runtime: Pick<Runtime, 'search'>): SearchBackend {
  return {
    modes: SEARCH_MODES,
    search: async ({ query, mode, limit, filter }) => {
      const result = await runtime.search(query, { mode, limit, filter });
      return result.hits.map((h) => ({ id: h.id, score: h.score, similarity: h.similarity, snippet: h.snippet }));
    },
  };
}
