import { access, mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type { DependencyContainer } from 'tsyringe';
import type { Config } from '@autod/config';
import type { ApiClient, PricingTable } from '@autod/api-client';
import { createDatabase, type Database } from '@autod/db';
import { errorFor } from '@autod/errors';
import type { OcrEngine } from '@autod/extract';
import type { AlertManager, AutodMetrics, HealthRegistry, Logger } from '@autod/ops';
import { searchDocuments, type DocumentSearchOptions } from './search.js';
import { withMigrationRetry } from './migrate-retry.js';
import type { Extractor, Pipeline } from '@autod/pipeline';
import {
  LexicalEmbedder,
  OpenAIEmbedder,
  createVectorIndex,
  type SearchResult,
  type VectorIndex,
} from '@autod/vector-store';
import { createContainer, type ContainerOverrides } from './container.js';
import { TOKENS } from './tokens.js';
import type { PipelineEventListener } from './pipeline-events.js';

export interface RuntimeOptions {
  /** Apply pending migrations on open (default true; `autod migrate` passes false). */
  migrate?: boolean;
  overrides?: ContainerOverrides;
  logDestination?: NodeJS.WritableStream;
  /** Only warnings and errors in the log (the CLI's default: human output owns the terminal). */
  quietLogs?: boolean;
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
  /** The prices in use: the built-in table, AUTOD_PRICING_FILE and the *_TOKEN_PRICE_PER_MILLION overrides. */
  readonly pricing: PricingTable;
  /**
   * Search with the search settings (SEARCH_DEFAULT_TOP_K, SEARCH_MAX_TOP_K, SEARCH_RELEVANCE_THRESHOLD) and every
   * document-list filter (each hit matches all of them).
   */
  search(query: string, options?: DocumentSearchOptions): Promise<SearchResult>;
  /**
   * A spend committed outside the pipeline (OpenAI Batch API results): the cost-level alerts fire when it crosses a
   * level. The pipeline's own commits are reported automatically. `close()` waits for the alert to be delivered.
   */
  recordSpend(costUsd: number): void;
  /** Long-running apps (server, watch): evaluate the time-window alert rules every `intervalMs`. */
  startMonitoring(intervalMs?: number): void;
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
  for (const dir of [config.paths.inbox, config.paths.processed, config.paths.failed, config.paths.duplicates]) {
    await mkdir(dir, { recursive: true });
  }
  if (config.db.client === 'sqlite' && config.db.filename && config.db.filename !== ':memory:') {
    await mkdir(dirname(config.db.filename), { recursive: true });
  }
  const db = await createDatabase({ url: config.db.url, sqliteDriver: config.db.sqliteDriver });
  if (options.migrate !== false) await withMigrationRetry(() => db.migrate.latest());
  const closers: (() => Promise<void>)[] = [];
  const container = createContainer(
    config,
    db,
    options.overrides,
    {
      ...(options.logDestination ? { destination: options.logDestination } : {}),
      ...(options.quietLogs ? { quiet: true } : {}),
    },
    closers,
  );
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
  const vectorIndex = await withMigrationRetry(() => openVectorIndex(config, db, apiClient, options.migrate !== false));
  container.register(TOKENS.VectorIndex, { useValue: vectorIndex });
  health.register({ name: 'database', kind: 'readiness', critical: true, timeoutMs: 80, check: () => db.ping() });
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
    recordSpend(costUsd) {
      if (!(costUsd > 0)) return;
      const spend = container.resolve(TOKENS.Spend);
      background.run('cost alert', () => spend.commit(costUsd));
    },
    onPipelineEvent(listener) {
      return container.resolve(TOKENS.PipelineEvents).subscribe(listener);
    },
    startMonitoring(intervalMs = 60_000) {
      if (monitor) return;
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
    async checkUpstream() {
      if (!apiClient) throw errorFor('CFG_MISSING_API_KEY', 'The openai provider is not configured.');
      await apiClient.ping();
    },
    async checkOcr() {
      try {
        const require = createRequire(import.meta.url);
        const pkg = require.resolve('@tesseract.js-data/eng/package.json');
        await access(pkg);
        return {
          ok: config.processing.ocr,
          detail: config.processing.ocr ? `eng data at ${dirname(pkg)}` : 'OCR disabled (AUTOD_OCR=false)',
        };
      } catch (error) {
        return { ok: false, detail: `OCR data not found: ${(error as Error).message}` };
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      if (monitor) clearInterval(monitor);
      // Alerts and metric labels started by the last documents are delivered before the process ends.
      await background.settled();
      const ocr: OcrEngine | null = container.isRegistered(TOKENS.Ocr) ? container.resolve(TOKENS.Ocr) : null;
      await ocr?.close().catch(() => undefined);
      apiClient?.close();
      for (const close of closers) await close().catch(() => undefined);
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
    onNearDuplicate: (id, ofId) => db.documents.setNearDuplicate(id, ofId),
    openaiSync: sync,
  });
}
