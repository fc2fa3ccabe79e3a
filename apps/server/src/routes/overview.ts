import { z } from 'zod';
import { redactDatabaseUrl } from '@autod/db';
import type { AutodApp, ServerContext } from '../context.js';
import { AUTH_ERRORS, errors } from '../schemas.js';

const capSchema = z.object({
  capUsd: z.number().nullable().describe('null: no cap set'),
  spentUsd: z.number(),
  leftUsd: z.number().nullable().describe('null when there is no cap'),
});

const budgetSchema = z.object({
  day: capSchema.extend({ date: z.string().describe('YYYY-MM-DD (UTC)') }),
  month: capSchema.extend({ month: z.string().describe('YYYY-MM (UTC)') }),
  maxCostPerRunUsd: z.number().nullable().describe('default cap of one run or batch (AUTOD_MAX_COST_USD); null: none'),
});

const systemSchema = z.object({
  version: z.string(),
  provider: z.string().describe('extraction provider: openai or local'),
  model: z.string().nullable(),
  breaker: z.enum(['closed', 'open', 'halfOpen', 'none']).describe('circuit breaker of the OpenAI client'),
  queue: z.object({
    active: z.number().int().describe('background tasks running now (uploads, reprocessing)'),
    activeBatches: z.number().int().describe('batches running in this process'),
  }),
  database: z.object({ client: z.string(), location: z.string().describe('file path or redacted URL') }),
  folders: z.object({ inbox: z.string(), processed: z.string(), failed: z.string(), duplicates: z.string() }),
  dataDir: z.string(),
  sessionTtlHours: z.number(),
});

function cap(capUsd: number | undefined, spentUsd: number) {
  const c = capUsd ?? null;
  return { capUsd: c, spentUsd, leftUsd: c === null ? null : Math.max(0, c - spentUsd) };
}

/** What the costs and system pages show beside the raw endpoints: budget caps with what is left, and the setup. */
export function overviewRoutes(app: AutodApp, ctx: ServerContext, version: string): void {
  const { config, db } = ctx.runtime;

  app.get(
    '/v1/budget',
    {
      schema: {
        tags: ['costs'],
        response: { 200: budgetSchema, ...errors(...AUTH_ERRORS) },
        description:
          'Spend caps (AUTOD_BUDGET_DAILY_USD, AUTOD_BUDGET_MONTHLY_USD, AUTOD_MAX_COST_USD) with what was spent today / this month (UTC; paid calls in flight at their estimate, as the caps count them) and what is left.',
      },
    },
    async () => {
      const now = new Date();
      const dayStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
      const monthStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
      // What the caps count: settled spend plus the estimates of paid calls in flight (the spend ledger).
      const [day, month] = await Promise.all([
        db.spend.spent({ since: dayStart }),
        db.spend.spent({ since: monthStart }),
      ]);
      return {
        day: { date: dayStart.toISOString().slice(0, 10), ...cap(config.cost.budgetDailyUsd, day.costUsd) },
        month: { month: monthStart.toISOString().slice(0, 7), ...cap(config.cost.budgetMonthlyUsd, month.costUsd) },
        maxCostPerRunUsd: config.cost.maxCostPerRunUsd ?? null,
      };
    },
  );

  app.get(
    '/v1/system',
    {
      schema: {
        tags: ['health'],
        response: { 200: systemSchema, ...errors(...AUTH_ERRORS) },
        description:
          'Version, provider and model, circuit breaker, queue depth and where the data lives (health checks: /health/dependencies).',
      },
    },
    async () => {
      const client = ctx.runtime.apiClient;
      const batches = await ctx.batches.list({ limit: 100 });
      return {
        version,
        provider: ctx.runtime.extractor.provider,
        model: client ? config.openai.model : null,
        breaker: client ? client.breakerState : ('none' as const),
        queue: { active: ctx.work.active, activeBatches: batches.filter((b) => b.active).length },
        database: {
          client: config.db.client,
          location:
            config.db.client === 'sqlite' ? (config.db.filename ?? config.db.url) : redactDatabaseUrl(config.db.url),
        },
        folders: { ...ctx.runtime.pipeline.dirs },
        dataDir: config.app.dataDir,
        sessionTtlHours: config.server.sessionTtlHours,
      };
    },
  );
}
