import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import fastifyRateLimit from '@fastify/rate-limit';
import { errorFor } from '@autod/errors';
import { unauthorized } from '../http-errors.js';
import { SESSION_COOKIE, readCookie, type SessionAuth } from '../session.js';
import { globalPlugin } from './global-plugin.js';

export interface AccessOptions {
  checkToken: (authorization: string | undefined) => boolean;
  sessions: SessionAuth;
  /** Requests per minute per client IP. */
  max: number;
  /** /docs needs no token. */
  publicDocs: boolean;
}

function isPublicRoute(request: FastifyRequest, publicDocs: boolean): boolean {
  if (request.routeOptions.config.public === true) return true;
  const url = request.routeOptions.url;
  return publicDocs && url !== undefined && (url === '/docs' || url.startsWith('/docs/'));
}

/**
 * Rate limit first (so floods of bad tokens are limited too), then the bearer token or a web session. Public routes
 * (health, the docs) need neither. Register it before the plugins that add routes.
 */
export const accessPlugin: FastifyPluginAsync<AccessOptions> = globalPlugin(async (app, options) => {
  const { checkToken, sessions, max, publicDocs } = options;
  await app.register(fastifyRateLimit, {
    global: false,
    errorResponseBuilder: (_req, context) =>
      errorFor('RATE_LIMITED', `Too many requests: at most ${context.max} per ${context.after}.`, {
        retryAfterMs: context.ttl,
      }),
  });
  let limit: ((request: FastifyRequest, reply: FastifyReply) => Promise<void>) | undefined;
  app.addHook('onRequest', async (request, reply) => {
    if (isPublicRoute(request, publicDocs)) return;
    limit ??= app.rateLimit({ max, timeWindow: 60_000 }) as unknown as (
      request: FastifyRequest,
      reply: FastifyReply,
    ) => Promise<void>;
    await limit(request, reply);
    if (reply.sent) return;
    // A bearer token (scripts) wins; without one, a web session cookie (the page, CSRF-checked).
    if (request.headers.authorization === undefined && readCookie(request.headers.cookie, SESSION_COOKIE)) {
      const result = await sessions.check(request);
      if (!result.ok) return reply.code(result.status).send({ error: result.error.toJSON() });
      request.autodAuth = result;
      return;
    }
    if (!checkToken(request.headers.authorization)) {
      const message = request.headers.authorization
        ? 'The bearer token is wrong.'
        : 'This endpoint needs a bearer token.';
      return reply.code(401).header('www-authenticate', 'Bearer realm="autod"').send(unauthorized(message));
    }
    request.autodAuth = { ok: true, via: 'bearer' };
  });
});
