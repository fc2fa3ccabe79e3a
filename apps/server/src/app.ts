import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import Fastify, { LogController, type FastifyBaseLogger } from 'fastify';
import fastifyMultipart from '@fastify/multipart';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { errorFor } from '@autod/errors';
import { requestIdFrom } from '@autod/ops';
import type { Runtime } from '@autod/runtime';
import { createTokenCheck } from './auth.js';
import { BatchManager } from './batches.js';
import type { AutodApp, ServerContext } from './context.js';
import { DocumentEvents } from './document-events.js';
import { ExtractionPool } from './extraction/pool.js';
import { errorHandler } from './http-errors.js';
import { accessPlugin } from './plugins/access.js';
import { backgroundPlugin } from './plugins/background.js';
import { idleGcPlugin } from './plugins/idle-gc.js';
import { openApiPlugin } from './plugins/openapi.js';
import { requestLogPlugin } from './plugins/request-log.js';
import { lazyChildLoggerFactory } from './lazy-child-logger.js';
import { routesPlugin } from './plugins/routes.js';
import { securityPlugin } from './plugins/security.js';
import { indexSearch, type SearchBackend } from './search-backend.js';
import { SessionAuth, type AuthResult } from './session.js';
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
  /**
   * Process uploads (and watched files) in worker threads, off the HTTP event loop: each runs its own runtime and the
   * same pipeline. `workers` (default 0 here = on this thread; `startServer` defaults to 1), `idleMs` (an idle worker
   * exits after this long, default 30 000; 0 = never), `logToStderr` (worker logs to fd 2, default false).
   */
  extraction?: { workers?: number; idleMs?: number; logToStderr?: boolean };
  /**
   * Seconds of quiet after which the server runs one memory-reducing garbage collection (default
   * `config.server.idleGcSeconds`; 0 = never). `collect` replaces V8's collection (tests).
   */
  idleGc?: { seconds?: number; collect?: () => void };
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Background work and batches of the autod server. */
    autod: ServerContext;
  }
}

/**
 * Builds the autod HTTP API on a runtime (no listen) from plugins: request log and metrics, security headers, rate
 * limit and auth, OpenAPI at /docs, the route families, and background work (uploads processed on this thread or in
 * extraction workers, the inbox watcher, draining on close — see `shutdownGraceMs`).
 */
export function buildApp(runtime: Runtime, options: BuildAppOptions = {}): AutodApp {
  const { config, logger } = runtime;
  const token = options.token ?? config.server.token;
  if (!token || token.length < 16) {
    throw errorFor(
      'CFG_INVALID',
      'The HTTP server needs a bearer token of at least 16 characters: set AUTOD_SERVER_TOKEN.',
    );
  }
  const checkToken = createTokenCheck(token);
  const pipeline = runtime.pipeline;

  const app = Fastify({
    loggerInstance: logger as unknown as FastifyBaseLogger,
    // Our own onResponse hook writes one line per request (with the route pattern, not the raw URL).
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'requestId' }),
    // A request's own logger is made only if something logs through it.
    childLoggerFactory: lazyChildLoggerFactory,
    genReqId: (req) => requestIdFrom(req.headers['x-request-id']),
    trustProxy: options.trustProxy ?? false,
    bodyLimit: 1024 * 1024,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  const events = new DocumentEvents();
  const workers = options.extraction?.workers ?? 0;
  const pool =
    workers > 0
      ? new ExtractionPool({
          config,
          logger,
          size: workers,
          ...(options.extraction?.idleMs !== undefined ? { idleMs: options.extraction.idleMs } : {}),
          logToStderr: options.extraction?.logToStderr ?? false,
          // The workers' pipeline events reach this process's listeners (live states) and alert rules.
          onEvent: (event) => runtime.relayPipelineEvent(event),
        })
      : undefined;
  const work = new WorkTracker(pool ?? pipeline, logger, {
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
    extraction: pool,
  };
  const stopEvents = runtime.onPipelineEvent((event) => events.fromPipeline(event));
  app.decorate('autod', ctx);

  app.setErrorHandler(errorHandler(logger));
  app.setNotFoundHandler(async (request, reply) => {
    const error = errorFor('NOT_FOUND', `No route ${request.method} ${request.url.split('?')[0] ?? ''}.`);
    return reply.code(404).send({ error: error.toJSON() });
  });

  // Order matters: hooks apply to the routes registered after them.
  void app.register(requestLogPlugin, { logger, metrics: runtime.metrics });
  void app.register(idleGcPlugin, {
    ctx,
    logger,
    quietMs: Math.round((options.idleGc?.seconds ?? config.server.idleGcSeconds) * 1000),
    ...(options.idleGc?.collect ? { collect: options.idleGc.collect } : {}),
  });
  void app.register(accessPlugin, {
    checkToken,
    sessions,
    max: options.rateLimitPerMinute ?? config.server.rateLimitPerMinute,
    publicDocs: options.publicDocs ?? true,
  });
  void app.register(securityPlugin);
  void app.register(fastifyMultipart, { throwFileSizeLimit: false });
  void app.register(openApiPlugin, { version: SERVER_VERSION });
  void app.register(routesPlugin, {
    ctx,
    checkToken,
    version: SERVER_VERSION,
    thumbnailDir: options.thumbnailDir ?? join(config.app.dataDir, 'thumbnails'),
    webDir: options.webDir,
  });
  void app.register(backgroundPlugin, {
    ctx,
    pool,
    watch: options.watch ?? false,
    shutdownGraceMs: options.shutdownGraceMs ?? config.watch.shutdownGraceMs,
    stopEvents,
  });
  return app;
}
