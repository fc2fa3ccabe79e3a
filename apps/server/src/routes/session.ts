import { z } from 'zod';
import { errorFor } from '@autod/errors';
import type { AutodApp, ServerContext } from '../context.js';
import { AUTH_ERRORS, errors } from '../schemas.js';
import { CSRF_HEADER, SESSION_COOKIE, readCookie, sameOrigin, sessionCookie } from '../session.js';

const sessionSchema = z.object({
  via: z.enum(['session', 'bearer']).describe('how this request was authenticated'),
  csrfToken: z
    .string()
    .nullable()
    .describe(`send it as the ${CSRF_HEADER} header with every POST/PATCH/DELETE made with the session cookie`),
  expiresAt: z.string().nullable().describe('ISO-8601; the session ends then (sign in again)'),
});

/** Sign in with the server token for a session cookie (the web app), see who is signed in, sign out. */
export function sessionRoutes(
  app: AutodApp,
  ctx: ServerContext,
  checkToken: (header: string | undefined) => boolean,
): void {
  app.post(
    '/v1/session',
    {
      // Public (it is the way in), but limited hard: a token guessed at 10 tries a minute takes forever.
      config: { public: true, rateLimit: { max: 10, timeWindow: 60_000 } },
      schema: {
        tags: ['session'],
        security: [],
        body: z.strictObject({ token: z.string().min(1).max(1024).describe('the server token (AUTOD_SERVER_TOKEN)') }),
        response: { 200: sessionSchema, ...errors(400, 401, 403, 429) },
        description:
          'Sign in: exchanges the server token for a session cookie (httpOnly, SameSite=Strict, Secure over TLS) that lasts ' +
          'AUTOD_SESSION_TTL_HOURS, and answers with the CSRF token that state-changing requests with the cookie must send.',
      },
    },
    async (request, reply) => {
      if (!sameOrigin(request)) {
        throw errorFor('CSRF_REJECTED', 'Refused: sign-in must come from an autod page of this server.');
      }
      if (!checkToken(`Bearer ${request.body.token}`)) {
        throw errorFor('UNAUTHORIZED', 'The token is wrong.');
      }
      const session = await ctx.sessions.create(request.headers['user-agent']);
      void reply.header(
        'set-cookie',
        sessionCookie(session.id, { secure: request.protocol === 'https', maxAgeSec: ctx.sessions.ttlMs / 1000 }),
      );
      void reply.header('cache-control', 'no-store');
      return { via: 'session' as const, csrfToken: session.csrfToken, expiresAt: session.expiresAt.toISOString() };
    },
  );

  app.get(
    '/v1/session',
    {
      schema: {
        tags: ['session'],
        response: { 200: sessionSchema, ...errors(...AUTH_ERRORS) },
        description: 'Who is asking: a web session (with its CSRF token and expiry) or the bearer token.',
      },
    },
    async (request, reply) => {
      const auth = request.autodAuth;
      void reply.header('cache-control', 'no-store');
      if (auth?.via === 'session')
        return { via: 'session' as const, csrfToken: auth.csrfToken, expiresAt: auth.expiresAt.toISOString() };
      return { via: 'bearer' as const, csrfToken: null, expiresAt: null };
    },
  );

  app.delete(
    '/v1/session',
    {
      schema: {
        tags: ['session'],
        response: { 204: z.undefined().describe('signed out (no body)'), ...errors(403, ...AUTH_ERRORS) },
        description: 'Sign out: the session ends on the server and the cookie is removed.',
      },
    },
    async (request, reply) => {
      const id = readCookie(request.headers.cookie, SESSION_COOKIE);
      if (request.autodAuth?.via === 'session' && id) await ctx.sessions.destroy(id);
      return reply
        .code(204)
        .header('set-cookie', sessionCookie('', { secure: request.protocol === 'https', maxAgeSec: 0 }))
        .send();
    },
  );
}
