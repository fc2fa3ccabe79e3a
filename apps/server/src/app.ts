import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyReply, type FastifyRequest } from 'fastify';
import fastifyHelmet from '@fastify/helmet';
import fastifyMultipart from '@fastify/multipart';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { errorFor } from '@autod/errors';
import { InboxWatcher } from '@autod/pipeline';
import { requestIdFrom } from '@autod/ops';
import type { Runtime } from '@autod/runtime';
import { createTokenCheck } from './auth.js';
import { BatchManager } from './batches.js';
import type { AutodApp, ServerContext } from './context.js';
import { errorHandler, unauthorized } from './http-errors.js';
import { batchRoutes } from './routes/batches.js';
import { costRoutes } from './routes/costs.js';
import { documentRoutes } from './routes/documents.js';
import { healthRoutes } from './routes/health.js';
import { searchRoutes } from './routes/search.js';
import { indexSearch, type SearchBackend } from './search-backend.js';
import { eventRoutes } from './routes/events.js';
import { overviewRoutes } from './routes/overview.js';
import { correctionRoutes } from './routes/corrections.js';
import { batchCancelRoutes } from './routes/batch-cancel.js';
import { sessionRoutes } from './routes/session.js';
import { thumbnailRoutes } from './routes/thumbnails.js';
import { DocumentEvents } from './document-events.js';
import { SESSION_COOKIE, SessionAuth, readCookie, type AuthResult } from './session.js';
import { staticRoutes, webSecurityHeaders } from './static.js';
import { WorkTracker } from './work.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** No bearer token needed (health probes, API docs). */
    public?: boolean;
  }
  interface FastifySchema {
    /**
     * A multipart/form-data request body for the OpenAPI document only (the route reads the parts itself, so nothing
     * validates `request.body`).
     */
    multipartBody?: object;
  }
  interface FastifyRequest {
    /** How the request was authenticated (bearer token or web session); unset on public routes. */
    autodAuth?: Extract<AuthResult, { ok: true }>;
  }
}

/** jsonSchemaTransform, plus routes that document a multipart body (`schema.multipartBody`). */
const openApiTransform: typeof jsonSchemaTransform = (document) => {
  const out = jsonSchemaTransform(document);
  const schema = out.schema as Record<string, unknown> | undefined;
  if (schema && 'multipartBody' in schema) {
    schema['body'] = schema['multipartBody'];
    delete schema['multipartBody'];
  }
  return out;
};

export const SERVER_VERSION = '0.0.0';

export interface BuildAppOptions {
  /** Bearer token (default `config.server.token`); the app refuses to build without one. */
  token?: string;
  /** Largest upload in MB (default `config.processing.maxFileMb`). */
  bodyLimitMb?: number;
  /** Requests per minute per client IP on every endpoint but health (default `config.server.rateLimitPerMinute`). */
  rateLimitPerMinute?: number;
  /** Also watch the inbox (files dropped there by scanners) while the server runs. */
  watch?: boolean;
  /** Folders `POST /v1/batches` may read from (default: the inbox). */
  batchRoots?: string[];
  /** Search backend (default: full-text search in the database). */
  search?: SearchBackend;
  /** Serve the OpenAPI document and UI at /docs without a token (default true: it holds no data). */
  publicDocs?: boolean;
  /** Trust X-Forwarded-* headers (behind a reverse proxy). Default false. */
  trustProxy?: boolean;
  /** How long closing the app waits for background processing before aborting it (default `config.watch.shutdownGraceMs`). */
  shutdownGraceMs?: number;
  /** Wait before re-processing an upload after a transient failure (default 15 s, doubling). */
  retryDelayMs?: number;
  /** The built web app (`@autod/web`'s dist folder) served at `/`; without it `/` answers 404. */
  webDir?: string;
  /** Web session lifetime in ms (default `config.server.sessionTtlHours`). */
  sessionTtlMs?: number;
  /** Where page thumbnails are cached (default `<AUTOD_DATA_DIR>/thumbnails`). */
  thumbnailDir?: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Background work and batches of the autod server. */
    autod: ServerContext;
  }
}

function isPublicRoute(request: FastifyRequest, publicDocs: boolean): boolean {
  if (request.routeOptions.config.public === true) return true;
  const url = request.routeOptions.url;
  return publicDocs && url !== undefined && (url === '/docs' || url.startsWith('/docs/'));
}

/**
 * Builds the autod HTTP API on a runtime (no listen): routes, auth, rate limit, security headers, OpenAPI at /docs,
 * request ids and metrics. Closing the app drains background processing (see `shutdownGraceMs`).
 */
export function buildApp(runtime: Runtime, options: BuildAppOptions = {}): AutodApp {
  const { config } = runtime;
  const token = options.token ?? config.server.token;
  if (!token || token.length < 16) {
    throw errorFor(
      'CFG_INVALID',
      'The HTTP server needs a bearer token of at least 16 characters: set AUTOD_SERVER_TOKEN.',
    );
  }
  const checkToken = createTokenCheck(token);
  const publicDocs = options.publicDocs ?? true;
  const logger = runtime.logger;
  const metrics = runtime.metrics;
  const pipeline = runtime.pipeline;

  const app = Fastify({
    loggerInstance: logger as unknown as FastifyBaseLogger,
    // Our own onResponse hook writes one line per request (with the route pattern, not the raw URL).
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'requestId' }),
    genReqId: (req) => requestIdFrom(req.headers['x-request-id']),
    trustProxy: options.trustProxy ?? false,
    bodyLimit: 1024 * 1024,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  const events = new DocumentEvents();
  const work = new WorkTracker(pipeline, logger, {
    concurrency: config.processing.concurrency,
    ...(options.retryDelayMs !== undefined ? { retryDelayMs: options.retryDelayMs } : {}),
    onState: (state) => events.fromUpload(state),
  });
  const sessions = new SessionAuth({
    db: runtime.db,
    ttlMs: options.sessionTtlMs ?? Math.round(config.server.sessionTtlHours * 3_600_000),
  });
  const ctx: ServerContext = {
    runtime,
    work,
    batches: new BatchManager(runtime, work, {
      concurrency: config.processing.concurrency,
      roots: options.batchRoots ?? [pipeline.dirs.inbox],
      logger,
    }),
    search: options.search ?? indexSearch(runtime),
    maxUploadBytes: Math.round((options.bodyLimitMb ?? config.processing.maxFileMb) * 1024 * 1024),
    streams: new Set<ServerResponse>(),
    events,
    sessions,
  };
  const stopEvents = runtime.onPipelineEvent((event) => events.fromPipeline(event));
  app.decorate('autod', ctx);

  // Request ids in and out; one log line and one metric per request.
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

  // Rate limit first (so floods of bad tokens are limited too), then the token. Health (and the docs) need neither.
  // Registered before the plugins so that it also covers the routes they add (/docs).
  let limit: ((request: FastifyRequest, reply: FastifyReply) => Promise<void>) | undefined;
  const max = options.rateLimitPerMinute ?? config.server.rateLimitPerMinute;
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

  app.setErrorHandler(errorHandler(logger));
  app.setNotFoundHandler(async (request, reply) => {
    const error = errorFor('NOT_FOUND', `No route ${request.method} ${request.url.split('?')[0] ?? ''}.`);
    return reply.code(404).send({ error: error.toJSON() });
  });

  void app.register(fastifyHelmet, {
    global: true,
    contentSecurityPolicy: false,
    crossOriginResourcePolicy: { policy: 'same-origin' },
  });
  webSecurityHeaders(app);
  void app.register(fastifyMultipart, { throwFileSizeLimit: false });
  void app.register(fastifyRateLimit, {
    global: false,
    errorResponseBuilder: (_req, context) =>
      errorFor('RATE_LIMITED', `Too many requests: at most ${context.max} per ${context.after}.`, {
        retryAfterMs: context.ttl,
      }),
  });
  void app.register(fastifySwagger, {
    openapi: {
      info: {
        title: 'autod',
        description: 'Paper autopilot: file, extract and search scanned documents.',
        version: SERVER_VERSION,
      },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearerAuth: [] }],
    },
    transform: openApiTransform,
  });
  void app.register(fastifySwaggerUi, { routePrefix: '/docs' });

  void app.after(() => {
    healthRoutes(app, ctx);
    documentRoutes(app, ctx);
    searchRoutes(app, ctx);
    batchRoutes(app, ctx);
    costRoutes(app, ctx);
    sessionRoutes(app, ctx, checkToken);
    eventRoutes(app, ctx);
    overviewRoutes(app, ctx, SERVER_VERSION);
    correctionRoutes(app, ctx);
    batchCancelRoutes(app, ctx);
    thumbnailRoutes(app, ctx, { dir: options.thumbnailDir ?? join(config.app.dataDir, 'thumbnails') });
    if (options.webDir) staticRoutes(app, options.webDir);
  });

  let watcher: InboxWatcher | undefined;
  if (options.watch) {
    app.addHook('onReady', async () => {
      watcher = new InboxWatcher(pipeline, pipeline.dirs.inbox, {
        concurrency: config.processing.concurrency,
        logger,
        drainTimeoutMs: options.shutdownGraceMs ?? config.watch.shutdownGraceMs,
      });
      await watcher.start();
    });
  }

  // Shutdown: end event streams so the listener can close, then (after in-flight requests such as uploads have
  // finished) drain background processing, aborting it after the grace period; aborted files stay in the inbox.
  app.addHook('preClose', async () => {
    stopEvents();
    for (const stream of ctx.streams) stream.end();
    ctx.streams.clear();
  });
  app.addHook('onClose', async () => {
    const grace = options.shutdownGraceMs ?? config.watch.shutdownGraceMs;
    const [drained] = await Promise.all([work.drain(grace), watcher?.stop()]);
    if (!drained)
      logger.warn(
        { graceMs: grace },
        'shutdown grace period over: unfinished files were released and stay in the inbox',
      );
  });
  return app;
}
