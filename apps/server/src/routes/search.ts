import { z } from 'zod';
import type { Database, DocumentFilter } from '@autod/db';
import type { Runtime } from '@autod/runtime';
import { errorFor } from '@autod/errors';
import type { AutodApp, ServerContext } from '../context.js';
import { documentFilterSchema, documentJson } from './documents.js';

export const SEARCH_MODES = ['fulltext', 'vector', 'hybrid'] as const;
export type SearchMode = (typeof SEARCH_MODES)[number];

export interface SearchRequest {
  query: string;
  mode: SearchMode;
  limit: number;
  filter: DocumentFilter;
}

export interface SearchResult {
  id: number;
  score: number;
  snippet: string;
}

/** Where `/v1/search` gets its hits; swap in a hybrid (vector + full-text) backend when one is configured. */
export interface SearchBackend {
  readonly modes: readonly SearchMode[];
  search(request: SearchRequest): Promise<SearchResult[]>;
}

/** Full-text search in the database (FTS5 / tsvector). */
export function fulltextSearch(db: Database): SearchBackend {
  return {
    modes: ['fulltext'],
    search: ({ query, limit, filter }) => db.documents.search(query, { limit, filter }),
  };
}

/** Hybrid (BM25 + vectors, reciprocal rank fusion), vector and full-text search through the runtime's vector index. */
export function indexSearch(runtime: Pick<Runtime, 'vectorIndex'>): SearchBackend {
  return {
    modes: SEARCH_MODES,
    search: async ({ query, mode, limit, filter }) => {
      const { category, docType, issuer, from, to, minAmount, maxAmount } = filter;
      const result = await runtime.vectorIndex.search(query, {
        mode,
        limit,
        filter: definedOnly({ category, docType, issuer, from, to, minAmount, maxAmount }),
      });
      return result.hits.map((h) => ({ id: h.id, score: h.score, snippet: h.snippet }));
    },
  };
}

const searchQuery = documentFilterSchema.extend({
  q: z.string().trim().min(1, { error: 'must not be empty' }).max(500),
  mode: z.enum(SEARCH_MODES).default('hybrid'),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

export function searchRoutes(app: AutodApp, ctx: ServerContext): void {
  const { db } = ctx.runtime;
  const metrics = ctx.runtime.metrics;
  app.get(
    '/v1/search',
    {
      schema: {
        tags: ['search'],
        querystring: searchQuery,
        description: `Search documents. mode: ${SEARCH_MODES.join(' | ')}; only the modes the server has configured are accepted (400 otherwise). Filters as in GET /v1/documents (status defaults to completed).`,
      },
    },
    async (request) => {
      const { q, mode, limit, ...rest } = request.query;
      if (!ctx.search.modes.includes(mode)) {
        throw errorFor(
          'VALIDATION_FAILED',
          `Search mode "${mode}" is not available on this server; use ${ctx.search.modes.join(' or ')}.`,
          {
            details: { available: [...ctx.search.modes] },
          },
        );
      }
      const filter: DocumentFilter = { status: 'completed', ...definedOnly(rest) };
      const t0 = performance.now();
      const hits = await ctx.search.search({ query: q, mode, limit, filter });
      metrics.observeSearch(mode, (performance.now() - t0) / 1000);
      const docs = await Promise.all(hits.map((h) => db.documents.get(h.id)));
      return {
        query: q,
        mode,
        hits: hits.map((h, i) => {
          const doc = docs[i];
          return { ...h, document: doc ? documentJson(doc) : null };
        }),
      };
    },
  );
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
