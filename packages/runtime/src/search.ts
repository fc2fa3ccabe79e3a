import type { Config } from '@autod/config';
import type { Database, DocumentFilter } from '@autod/db';
import { errorFor } from '@autod/errors';
import type { SearchMode, SearchResult, VectorIndex } from '@autod/vector-store';

export interface DocumentSearchOptions {
  /** Default `hybrid`. */
  mode?: SearchMode;
  /** Default SEARCH_DEFAULT_TOP_K; at most SEARCH_MAX_TOP_K. */
  limit?: number;
  /** Every filter of the document list (status defaults to `completed`: only completed documents are indexed). */
  filter?: DocumentFilter;
  /** Minimum cosine similarity of a vector hit (default SEARCH_RELEVANCE_THRESHOLD, else the embedder's). */
  minSimilarity?: number;
  signal?: AbortSignal;
}

/**
 * Search with the settings and every document filter: the filters the vector index holds narrow both sides directly,
 * and every candidate is then checked against the whole filter in the database (so status, subcategory, customer,
 * invoice number and the review flag apply too, and a value changed in review since indexing counts as it is now).
 */
export async function searchDocuments(
  deps: { config: Config; db: Database; index: VectorIndex },
  query: string,
  options: DocumentSearchOptions = {},
): Promise<SearchResult> {
  const { config, db, index } = deps;
  const limit = options.limit ?? config.search.defaultTopK;
  if (!Number.isInteger(limit) || limit < 1 || limit > config.search.maxTopK) {
    throw errorFor(
      'VALIDATION_FAILED',
      `The search limit must be a whole number from 1 to ${config.search.maxTopK} (SEARCH_MAX_TOP_K); got ${limit}.`,
      { details: { limit, maxTopK: config.search.maxTopK } },
    );
  }
  const filter: DocumentFilter = { status: 'completed', ...definedOnly(options.filter ?? {}) };
  const { category, docType, issuer, from, to, minAmount, maxAmount } = filter;
  const minSimilarity = options.minSimilarity ?? config.search.relevanceThreshold;
  return index.search(query, {
    ...(options.mode ? { mode: options.mode } : {}),
    limit,
    filter: definedOnly({ category, docType, issuer, from, to, minAmount, maxAmount }),
    ...(minSimilarity !== undefined ? { minSimilarity } : {}),
    accept: (ids) => db.documents.matching(ids, filter),
    ...(options.signal ? { signal: options.signal } : {}),
  });
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
