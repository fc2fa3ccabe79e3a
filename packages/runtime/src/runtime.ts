import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname } from 'node:path';
import type { DependencyContainer } from 'tsyringe';
import type { Config } from '@autod/config';
import type { DocumentFilterDefinition, DocumentStatus } from '@autod/core';
import type { ApiClient, PricingTable } from '@autod/api-client';
import { createDatabase, prepareMigrationTables, withMigrationRetry, type Database } from '@autod/db';
import { errorFor } from '@autod/errors';
import { availableOcrLanguages, resolveOcrLanguages } from '@autod/extract';
import type { AlertManager, AutodMetrics, HealthRegistry, Logger } from '@autod/ops';
import { migrateBatchTables } from '@autod/batch';
import { searchDocuments, type DocumentSearchOptions } from './search.js';
import type { Extractor, Pipeline, PipelineEvent } from '@autod/pipeline';
import {
  LexicalEmbedder,
  OpenAIEmbedder,
  VECTOR_DOCS_TABLE,
  VECTOR_MIGRATIONS_TABLE,
  createVectorIndex,
  type SearchResult,
  type VectorIndex,
} from '@autod/vector-store';
import { createContainer, earlierTwin, type AppContainer, type ContainerOverrides } from './container.js';
import { TOKENS } from './tokens.js';
import type { PipelineEventListener } from './pipeline-events.js';

/** How long the `database` readiness check's answer is kept (ms). */
export const DATABASE_CHECK_CACHE_MS = 1000;

export interface RuntimeOptions {
  /** Apply pending migrations on open (default true; `autod migrate` passes false). */
  migrate?: boolean;
  overrides?: ContainerOverrides;
  logDestination?: NodeJS.WritableStream;
  /** Only warnings and errors in the log (the CLI's default: human output owns the terminal). */
  quietLogs?: boolean;
  /**
   * The fields documents are filtered by, everywhere (`db.documentFilter`: list, search, the server's query schema,
   * the CLI's flags). Default `DOCUMENT_FILTER` of `@autod/core`.
   */
  documentFilter?: DocumentFilterDefinition;
}

/** Everything an app needs, resolved from the container. */
export interface Runtime {
  readonly container: DependencyContainer;
  readonly config: Config;
  readonly logger: Logger;
  readonly metrics: AutodMetrics;
  readonly health: HealthRegistry;
  readonly db: Database;
  readonly pipeline: Pipeline;
  readonly extractor: Extractor;
  readonly apiClient: ApiClient | null;
  /** Embeddings + local vector index + hybrid search (and the optional OpenAI vector-store sync). */
  readonly vectorIndex: VectorIndex;
  /** Alert rules and channels from config (error rate, p95, cost levels, breaker, failed documents). */
  readonly alerts: AlertManager;
  /** Listen to the pipeline's events (file started, stage, file finished) of this process; returns unsubscribe. */
  onPipelineEvent(listener: PipelineEventListener): () => void;
  /**
   * An event of a pipeline that runs elsewhere (the server's extraction worker) as if this process's pipeline had
   * emitted it: to the listeners and the alert rules (error rate, p95, failed documents). Its metrics and spend were
   * recorded where it ran.
   */
  relayPipelineEvent(event: PipelineEvent): void;
  /** The prices in use: the built-in table, AUTOD_PRICING_FILE and the *_TOKEN_PRICE_PER_MILLION overrides. */
  readonly pricing: PricingTable;
  /**
   * Search with the search settings (SEARCH_DEFAULT_TOP_K, SEARCH_MAX_TOP_K, SEARCH_RELEVANCE_THRESHOLD) and every
   * document-list filter (each hit matches all of them).
   */
  search(query: string, options?: DocumentSearchOptions): Promise<SearchResult>;
  /**
   * Long-running apps (server, watch): evaluate alert rules (and refresh spend totals) every `intervalMs`, and index
   * completed documents the vector index is missing every `sweepMs` (default 5 minutes).
   */
  startMonitoring(intervalMs?: number, sweepMs?: number): void;
  /** Documents per status, and completed documents missing from the vector index (`autod doctor`). */
  documentCounts(): Promise<Record<DocumentStatus, number> & { unindexed: number }>;
  /** Throws when the configured OpenAI-compatible server cannot be reached. */
  checkUpstream(): Promise<void>;
  checkOcr(): Promise<{ ok: boolean; detail: string }>;
  close(): Promise<void>;
}

/** autod's own version (the runtime package's; every package is released together). */
const AUTOD_VERSION = (createRequire(import.meta.url)('../package.json') as { version: string }).version;
/** Lookups the embedding cache must have served before its health check judges the hit rate. */
const EMBEDDING_CACHE_MIN_LOOKUPS = 100;

/** Open the database (migrating it), create the folders and wire every service. */
export async function createRuntime(config: Config, options: RuntimeOptions = {}): Promise<Runtime> {
  // A language that is not installed is a configuration error (exit 78) before anything is opened.
  if (config.processing.ocr) ocrLanguagesOf(config);
  for (const dir of [config.paths.inbox, config.paths.processed, config.paths.failed, config.paths.duplicates]) {
    await mkdir(dir, { recursive: true });
  }
  if (config.db.client === 'sqlite' && config.db.filename && config.db.filename !== ':memory:') {
    await mkdir(dirname(config.db.filename), { recursive: true });
  }
  const db = await createDatabase({
    url: config.db.url,
    sqliteDriver: config.db.sqliteDriver,
    ...(options.documentFilter ? { documentFilter: options.documentFilter } : {}),
  });
  let app: AppContainer | undefined;
  try {
    return await wire(config, options, db, (a) => (app = a));
  } catch (error) {
    // Anything that fails after the database is open (a migration, a damaged file, the vector index, Redis) must
    // not leave handles behind: an open pool would keep the process alive after the error is reported.
    await app?.close();
    await db.close().catch(() => undefined);
    throw error;
  }
}

async function wire(
  config: Config,
  options: RuntimeOptions,
  db: Database,
  onContainer: (app: AppContainer) => void,
): Promise<Runtime> {
  if (options.migrate !== false) await withMigrationRetry(() => db.migrate.latest());
  const app = createContainer(config, db, options.overrides, {
    ...(options.logDestination ? { destination: options.logDestination } : {}),
    ...(options.quietLogs ? { quiet: true } : {}),
  });
  onContainer(app);
  const { container } = app;
  const logger = container.resolve(TOKENS.Logger);
  logger.info(
    {
      version: AUTOD_VERSION,
      ...(config.app.versionLabel ? { deployment: config.app.versionLabel } : {}),
      provider: config.app.provider,
      db: config.db.client,
    },
    'autod starting',
  );
  const health = container.resolve(TOKENS.Health);
  const background = container.resolve(TOKENS.Background);
  const apiClient = container.resolve(TOKENS.ApiClient);
  // Spend alerts compare with the totals before this process spent anything (only the openai provider spends).
  if (apiClient && options.migrate !== false) await container.resolve(TOKENS.Spend).start();
  const vectorIndex = await withMigrationRetry(async () => {
    if (options.migrate !== false) await prepareMigrationTables(db.knex, VECTOR_MIGRATIONS_TABLE);
    return openVectorIndex(config, db, apiClient, options.migrate !== false);
  });
  container.register(TOKENS.VectorIndex, { useValue: vectorIndex });
  // The batch tables too, so that every part of the schema is current after any command (`migrate status`, doctor).
  if (options.migrate !== false) await migrateBatchTables(db);
  // Kept for a second: readiness probes at any rate (a load balancer's, a thousand a second) cost the database at most
  // one query a second, and a probe answers without waiting for the database.
  health.register({
    name: 'database',
    kind: 'readiness',
    critical: true,
    timeoutMs: 80,
    cacheMs: DATABASE_CHECK_CACHE_MS,
    check: () => db.ping(),
  });
  if (config.vectorCache.enabled) {
    health.register({
      name: 'embedding_cache',
      kind: 'dependency',
      critical: false,
      check: async () => {
        const s = vectorIndex.embedder.stats();
        const details = { hitRate: s.hitRate, lookups: s.requests, target: config.vectorCache.hitRateTarget };
        // Judged once there is something to judge: a fresh process has a cold memory tier.
        if (s.requests >= EMBEDDING_CACHE_MIN_LOOKUPS && s.hitRate < config.vectorCache.hitRateTarget)
          return { status: 'warn', details };
        return { details };
      },
    });
  }
  if (apiClient) {
    health.register({
      name: 'upstream',
      kind: 'dependency',
      critical: false,
      timeoutMs: 80,
      cacheMs: 30_000,
      check: async () => {
        if (apiClient.breakerState === 'open') return { status: 'warn', details: { breaker: 'open' } };
        return undefined;
      },
    });
  }
  let closed = false;
  let monitor: NodeJS.Timeout | undefined;
  let sweeper: NodeJS.Timeout | undefined;
  return {
    container,
    config,
    logger,
    health,
    db,
    apiClient,
    vectorIndex,
    get alerts() {
      return container.resolve(TOKENS.Alerts);
    },
    pricing: container.resolve(TOKENS.Pricing),
    search: (query, searchOptions) => searchDocuments({ config, db, index: vectorIndex }, query, searchOptions),
    onPipelineEvent(listener) {
      return container.resolve(TOKENS.PipelineEvents).subscribe(listener);
    },
    relayPipelineEvent(event) {
      container.resolve(TOKENS.PipelineEvents).emit(event);
      if (event.type !== 'file.finished' || event.outcome.kind === 'skipped') return;
      const o = event.outcome;
      const alerts = container.resolve(TOKENS.Alerts);
      alerts.recordRequest(o.kind !== 'failed', event.durationMs);
      if (o.kind === 'failed') alerts.recordFailedDocument({ fileName: basename(o.path), code: o.error.code });
    },
    startMonitoring(intervalMs = 60_000, sweepMs = 300_000) {
      if (monitor) return;
      // Completed documents missing from the index (a crash, an open breaker while indexing) are indexed here.
      let sweeping = false;
      const sweep = async () => {
        if (sweeping) return;
        sweeping = true;
        try {
          const r = await container.resolve(TOKENS.Pipeline).indexMissing();
          if (r.indexed || r.failed) logger.info(r, 'indexed documents the index was missing');
        } catch (error) {
          logger.warn({ err: error }, 'the index sweep failed');
        } finally {
          sweeping = false;
        }
      };
      sweeper = setInterval(() => void sweep(), sweepMs);
      sweeper.unref();
      const alerts = container.resolve(TOKENS.Alerts);
      const tick = async () => {
        await alerts.evaluate().catch((error: unknown) => logger.warn({ err: error }, 'alert evaluation failed'));
      };
      monitor = setInterval(() => void tick(), intervalMs);
      monitor.unref();
      void tick();
    },
    get metrics() {
      return container.resolve(TOKENS.Metrics);
    },
    get pipeline() {
      return container.resolve(TOKENS.Pipeline);
    },
    get extractor() {
      return container.resolve(TOKENS.Extractor);
    },
    async documentCounts() {
      const [byStatus, missing] = await Promise.all([
        db.documents.countByStatus(),
        db.documents.missingFrom(VECTOR_DOCS_TABLE, 'doc_id', 1),
      ]);
      return { ...byStatus, unindexed: missing.total };
    },
    async checkUpstream() {
      if (!apiClient) throw errorFor('CFG_MISSING_API_KEY', 'The openai provider is not configured.');
      await apiClient.ping();
    },
    async checkOcr() {
      const installed = availableOcrLanguages().map((l) => l.code);
      if (installed.length === 0) return { ok: false, detail: 'no OCR language data installed (@tesseract.js-data/*)' };
      if (!config.processing.ocr) {
        return { ok: false, detail: `OCR disabled (AUTOD_OCR=false); installed languages: ${installed.join(', ')}` };
      }
      try {
        const used = ocrLanguagesOf(config).map((l) => l.code);
        return { ok: true, detail: `languages ${used.join('+')} (installed: ${installed.join(', ')})` };
      } catch (error) {
        return { ok: false, detail: (error as Error).message };
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      if (monitor) clearInterval(monitor);
      if (sweeper) clearInterval(sweeper);
      // Alerts and metric labels started by the last documents are delivered before the process ends.
      await background.settled();
      apiClient?.close();
      // The OCR engine and the Redis connections the services opened.
      await app.close();
      logger.flush?.();
      await db.close();
    },
  };
}

/** The search index over the app's own database: OpenAI embeddings with a key, the offline lexical embedder without. */
async function openVectorIndex(
  config: Config,
  db: Database,
  apiClient: ApiClient | null,
  migrate: boolean,
): Promise<VectorIndex> {
  const embedder = apiClient
    ? new OpenAIEmbedder(apiClient, {
        model: config.embeddings.model,
        dimensions: config.embeddings.dimension,
        batchSize: config.embeddings.batchSize,
      })
    : new LexicalEmbedder();
  const sync =
    config.vectorStore.sync && apiClient
      ? {
          client: apiClient,
          storeName: config.vectorStore.name,
          ...(config.vectorStore.id ? { storeId: config.vectorStore.id } : {}),
          cacheFile: config.vectorStore.cacheFile,
          maxConcurrentUploads: config.vectorStore.maxConcurrentUploads,
          maxFiles: config.vectorStore.maxFiles,
          uploadTimeoutMs: config.vectorStore.uploadTimeoutSeconds * 1000,
        }
      : undefined;
  return createVectorIndex({
    knex: db.knex,
    dialect: db.dialect,
    embedder,
    migrate,
    fullText: (q, limit, filter) => db.documents.search(q, { limit, filter: { status: 'completed', ...filter } }),
    cache: {
      enabled: config.vectorCache.enabled,
      ttlDays: config.vectorCache.ttlDays,
      memoryMaxMb: 100,
      maxDbMb: config.vectorCache.maxSizeMb,
    },
    // The later document (ids follow intake) is the rescan. A pair found the other way round (an original indexed
    // again after its rescan, or both indexed at once) flags the later one, unless it is flagged already.
    onNearDuplicate: async (id, ofId) => {
      if (earlierTwin(id, ofId) !== null) return db.documents.setNearDuplicate(id, ofId);
      const later = ofId > id ? await db.documents.get(ofId) : undefined;
      if (later && later.nearDuplicateOf === null) await db.documents.setNearDuplicate(ofId, id);
    },
    openaiSync: sync,
  });
}

/** The configured OCR languages, each checked to be installed (CFG_INVALID naming what is available otherwise). */
export function ocrLanguagesOf(config: Config): { code: string; file: string }[] {
  try {
    return resolveOcrLanguages(config.processing.ocrLanguages);
  } catch (error) {
    throw errorFor('CFG_INVALID', `AUTOD_OCR_LANGUAGES: ${(error as Error).message}`, {
      cause: error,
      details: { setting: 'AUTOD_OCR_LANGUAGES', value: config.processing.ocrLanguages },
    });
  }
}
