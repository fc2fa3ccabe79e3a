import { z } from 'zod';
import type { DocumentFilter } from '@autod/db';
import { errorFor } from '@autod/errors';
import type { AutodApp, ServerContext } from '../context.js';
import { AUTH_ERRORS, errors, searchResponseSchema } from '../schemas.js';
import { documentJson, filterOf } from './documents.js';
import { SEARCH_MODES } from '../search-backend.js';

export function searchRoutes(app: AutodApp, ctx: ServerContext): void {
  const { db, config } = ctx.runtime;
  const metrics = ctx.runtime.metrics;
  const { defaultTopK, maxTopK } = config.search;
  const searchQuery = db.documentFilter.querySchema.extend({
    q: z.string().trim().min(1, { error: 'must not be empty' }).max(500),
    mode: z.enum(SEARCH_MODES).default('hybrid'),
    limit: z.coerce
      .number()
      .int()
      .min(1)
      .max(maxTopK, { error: `must be at most ${maxTopK} (SEARCH_MAX_TOP_K)` })
      .default(defaultTopK)
      .describe(`top-k hits (default SEARCH_DEFAULT_TOP_K = ${defaultTopK}, at most SEARCH_MAX_TOP_K = ${maxTopK})`),
  });
  app.get(
    '/v1/search',
    {
      schema: {
        tags: ['search'],
        querystring: searchQuery,
        response: { 200: searchResponseSchema, ...errors(400, ...AUTH_ERRORS) },
        description:
          `Search documents. mode: ${SEARCH_MODES.join(' | ')}; only the modes the server has configured are accepted (400 otherwise). ` +
          'Every filter of GET /v1/documents applies (status defaults to completed: only completed documents are indexed). ' +
          'Relevance: fulltext ranks by BM25; vector by cosine similarity, dropping hits under SEARCH_RELEVANCE_THRESHOLD; ' +
          'hybrid fuses both rankings (reciprocal rank fusion), so its score is a rank score and the threshold only filters its vector side.',
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
      const filter: DocumentFilter = { status: 'completed', ...filterOf(db, rest) };
      const t0 = performance.now();
      const hits = await ctx.search.search({ query: q, mode, limit, filter });
      metrics.observeSearch(mode, (performance.now() - t0) / 1000);
      const docs = await Promise.all(hits.map((h) => db.documents.get(h.id)));
      return {
        query: q,
        mode,
        limit,
        hits: hits.map((h, i) => {
          const doc = docs[i];
          return { ...h, document: doc ? documentJson(doc) : null };
        }),
      };
    },
  );
}
