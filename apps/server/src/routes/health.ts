import type { HealthReport } from '@autod/ops';
import type { AutodApp, ServerContext } from '../context.js';

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
      { config: { public: true, rateLimit: false }, schema: { tags: ['health'], description, security: [] } },
      async (_req, reply) => {
        const report = await probe();
        return reply.code(report.httpStatus).header('cache-control', 'no-store').send(report);
      },
    );
  }
  const metrics = ctx.runtime.metrics;
  app.get(
    '/metrics',
    { schema: { tags: ['health'], description: 'Prometheus metrics (text exposition format).' } },
    async (_req, reply) => {
      const text = await metrics.metrics();
      return reply.type(metrics.contentType).header('cache-control', 'no-store').send(text);
    },
  );
}
