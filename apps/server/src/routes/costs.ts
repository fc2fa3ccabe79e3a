import { z } from 'zod';
import type { AutodApp, ServerContext } from '../context.js';
import { AUTH_ERRORS, costsSchema, errors } from '../schemas.js';

const ISO_DATE = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, { error: 'must be a date YYYY-MM-DD' });

const costsQuery = z.object({
  groupBy: z.enum(['day', 'month', 'model', 'provider']).default('day'),
  from: ISO_DATE.optional().describe('first day included (UTC)'),
  to: ISO_DATE.optional().describe('last day included (UTC)'),
});

const DAY_MS = 86_400_000;

export function costRoutes(app: AutodApp, ctx: ServerContext): void {
  const { db } = ctx.runtime;
  app.get(
    '/v1/costs',
    {
      schema: {
        tags: ['costs'],
        querystring: costsQuery,
        response: { 200: costsSchema, ...errors(400, ...AUTH_ERRORS) },
        description:
          'Tokens and dollars spent, grouped, with totals: every paid call from the spend ledger (as `autod costs`); calls in flight or cut off by a crash at their estimate (`pendingUsd`, included in `costUsd`).',
      },
    },
    async (request) => {
      const { groupBy, from, to } = request.query;
      const since = from ? new Date(`${from}T00:00:00Z`) : undefined;
      const until = to ? new Date(Date.parse(`${to}T00:00:00Z`) + DAY_MS) : undefined;
      const range = { ...(since ? { from: since } : {}), ...(until ? { to: until } : {}) };
      // Dollars and tokens from the spend ledger (every paid call: extraction, repair, failed validation, embeddings,
      // Batch API jobs; a call in flight or cut off by a crash at its estimate), as `autod costs` shows them. Attempt
      // counts from the attempts table, so the offline provider's $0 work shows too. One row per key of either.
      const [ledger, attemptRows, attempts] = await Promise.all([
        db.spend.summary({ groupBy, ...range }),
        db.attempts.costSummary({ groupBy, ...range }),
        db.attempts.totals({ ...(since ? { since } : {}), ...(until ? { until } : {}) }),
      ]);
      const byKey = new Map(attemptRows.map((r) => [r.key, r]));
      const paid = new Map(ledger.map((r) => [r.key, r]));
      const keys = [...new Set([...byKey.keys(), ...paid.keys()])].sort();
      const rows = keys.map((key) => {
        const a = byKey.get(key);
        const l = paid.get(key);
        return {
          key,
          documents: Math.max(a?.documents ?? 0, l?.documents ?? 0),
          attempts: a?.attempts ?? 0,
          calls: l?.calls ?? 0,
          inputTokens: l?.inputTokens ?? a?.inputTokens ?? 0,
          cachedInputTokens: l?.cachedInputTokens ?? a?.cachedInputTokens ?? 0,
          outputTokens: l?.outputTokens ?? a?.outputTokens ?? 0,
          reasoningTokens: l?.reasoningTokens ?? a?.reasoningTokens ?? 0,
          costUsd: l?.costUsd ?? 0,
          pendingUsd: l?.pendingUsd ?? 0,
        };
      });
      const sum = (f: (r: (typeof rows)[number]) => number): number => rows.reduce((s, r) => s + f(r), 0);
      const totals = {
        costUsd: sum((r) => r.costUsd),
        pendingUsd: sum((r) => r.pendingUsd),
        calls: sum((r) => r.calls),
        documents: attempts.documents,
        attempts: attempts.attempts,
        failedAttempts: attempts.failedAttempts,
        inputTokens: sum((r) => r.inputTokens),
        cachedInputTokens: sum((r) => r.cachedInputTokens),
        outputTokens: sum((r) => r.outputTokens),
        reasoningTokens: sum((r) => r.reasoningTokens),
      };
      return { groupBy, from: from ?? null, to: to ?? null, rows, totals };
    },
  );
}
