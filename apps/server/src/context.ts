import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyBaseLogger, FastifyInstance, RawServerDefault } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Runtime } from '@autod/runtime';
import type { BatchManager } from './batches.js';
import type { DocumentEvents } from './document-events.js';
import type { ExtractionPool } from './extraction/pool.js';
import type { SessionAuth } from './session.js';
import type { SearchBackend } from './search-backend.js';
import type { WorkTracker } from './work.js';

/** The Fastify instance type of the autod server (zod type provider). */
export type AutodApp = FastifyInstance<
  RawServerDefault,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  ZodTypeProvider
>;

/** What the routes share. */
export interface ServerContext {
  runtime: Runtime;
  work: WorkTracker;
  batches: BatchManager;
  search: SearchBackend;
  /** Largest accepted upload. */
  maxUploadBytes: number;
  /** Open server-sent-event streams (ended before the server closes). */
  streams: Set<ServerResponse>;
  /** Live document states (uploads and pipeline) for `GET /v1/events`. */
  events: DocumentEvents;
  /** Web sign-in sessions beside the bearer token. */
  sessions: SessionAuth;
  /** The extraction worker threads (absent when files are processed on the HTTP thread). */
  extraction: ExtractionPool | undefined;
}

/** Route config flag: no token needed. */
export interface AutodRouteConfig {
  public?: boolean;
}
