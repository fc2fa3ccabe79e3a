import type { HealthReport } from '@autod/ops';
import type { AutodApp, ServerContext } from '../context.js';
import { AUTH_ERRORS, content, errors, healthReportSchema } from '../schemas.js';

/** `/health/live|ready|startup|dependencies` (no token) and `/metrics` (token). */
export function healthRoutes(app: AutodApp, ctx: ServerContext): void {
  const { health } = ctx.runtime;
  const probes: [string, () => Promise<HealthReport>, string][] = [
    ['/health/live', () => health.live(), 'Liveness: the process answers.'],
    ['/health/ready', () => health.ready(), 'Readiness: started and the database answers (503 otherwise).'],
    ['/health/startup', () => health.startup(), 'Startup finished (503 while starting).'],
    ['/health/dependencies', () => health.dependencies(), 'Every dependency with its latency (always 200).'],
  ];
  for (const [url, probe, description] of probes) {
    app.get(
      url,
      {
        config: { public: true, rateLimit: false },
        schema: {
          tags: ['health'],
          description,
          security: [],
          response: { 200: healthReportSchema, 503: healthReportSchema },
        },
      },
      async (_req, reply) => {
        const report = await probe();
        const body = {
          ...report,
          checks: report.checks.map(({ details, ...c }) => ({
            ...c,
            ...(details ? { details: { ...details } } : {}),
          })),
        };
        return reply.code(report.httpStatus).header('cache-control', 'no-store').send(body);
      },
    );
  }
  const metrics = ctx.runtime.metrics;
  app.get(
    '/metrics',
    {
      schema: {
        tags: ['health'],
        description: 'Prometheus metrics (text exposition format).',
        response: {
          200: content('text/plain', 'Prometheus text exposition format (version 0.0.4).'),
          ...errors(...AUTH_ERRORS),
        },
      },
    },
    async (_req, reply) => {
      // With extraction workers: their document and stage metrics too (added up with this thread's).
      const text = ctx.extraction
        ? await metrics.metricsWith(await ctx.extraction.snapshots())
        : await metrics.metrics();
      return reply.type(metrics.contentType).header('cache-control', 'no-store').send(text);
    },
  );
}
