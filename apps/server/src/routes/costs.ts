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
        description: 'Tokens and dollars spent, grouped, with totals.',
      },
    },
    async (request) => {
      const { groupBy, from, to } = request.query;
      const since = from ? new Date(`${from}T00:00:00Z`) : undefined;
      const until = to ? new Date(Date.parse(`${to}T00:00:00Z`) + DAY_MS) : undefined;
      const [rows, totals] = await Promise.all([
        db.attempts.costSummary({ groupBy, ...(since ? { from: since } : {}), ...(until ? { to: until } : {}) }),
        db.attempts.totals({ ...(since ? { since } : {}), ...(until ? { until } : {}) }),
      ]);
      return { groupBy, from: from ?? null, to: to ?? null, rows, totals };
    },
  );
}
