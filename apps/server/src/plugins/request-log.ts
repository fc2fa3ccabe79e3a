import type { FastifyPluginAsync } from 'fastify';
import type { AutodMetrics, Logger } from '@autod/ops';
import { globalPlugin } from './global-plugin.js';

export interface RequestLogOptions {
  logger: Logger;
  metrics: AutodMetrics;
}

/** Request ids in and out; one log line (health at debug) and one metric per request, by route pattern. */
export const requestLogPlugin: FastifyPluginAsync<RequestLogOptions> = globalPlugin(
  async (app, { logger, metrics }) => {
    app.addHook('onRequest', async (request, reply) => {
      void reply.header('x-request-id', request.id);
    });
    app.addHook('onResponse', async (request, reply) => {
      const route = request.routeOptions.url ?? 'unmatched';
      const seconds = reply.elapsedTime / 1000;
      metrics.httpRequest({ method: request.method, route, status: reply.statusCode, seconds });
      const line = {
        requestId: request.id,
        method: request.method,
        route,
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 100) / 100,
      };
      if (route.startsWith('/health/')) logger.debug(line, 'request');
      else logger.info(line, 'request');
    });
  },
);
