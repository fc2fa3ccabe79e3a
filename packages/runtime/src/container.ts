import 'reflect-metadata';
import { container as rootContainer, instanceCachingFactory, type DependencyContainer } from 'tsyringe';
import { basename } from 'node:path';
import type { Config } from '@autod/config';
import { redactSecretsList } from './secrets.js';
import { ApiClient } from '@autod/api-client';
import { RedisRateLimiter, closeRedis, redisConnection } from '@autod/batch';
import type { Database } from '@autod/db';
import { createTesseractOcr } from '@autod/extract';
import { errorFor, isAutodError } from '@autod/errors';
import { AutodMetrics, HealthRegistry, createLogger, type Logger } from '@autod/ops';
import {
  EInvoiceExtractor,
  LocalExtractor,
  OpenAIExtractor,
  Pipeline,
  type Extractor,
  type PipelineEvent,
} from '@autod/pipeline';
import { TOKENS } from './tokens.js';
import { VECTOR_DOCS_TABLE, type VectorIndex } from '@autod/vector-store';
import type { DocumentIndexer } from '@autod/pipeline';
import { SpendReporter, createAlertManager } from './alerts.js';
import { SpendMeter } from './spend-meter.js';
import { Background } from './background.js';
import { pricingFromConfig } from './pricing.js';
import { PipelineEventHub } from './pipeline-events.js';

export interface ContainerOverrides {
  logger?: Logger;
  metrics?: AutodMetrics;
  apiClient?: ApiClient | null;
  extractor?: Extractor;
  pipelineOwner?: string;
}

export interface LogOptions {
  destination?: NodeJS.WritableStream;
  quiet?: boolean;
}

/** The wired services and what closes the resources they opened. */
export interface AppContainer {
  readonly container: DependencyContainer;
  /**
   * Close what the container's services opened (the OCR engine, Redis connections), newest first. Never rejects;
   * services created after this call are not closed by it.
   */
  close(): Promise<void>;
}

/** Resources opened by the container's factories, closed together. */
class Closers {
  readonly #closers: (() => Promise<void>)[] = [];

  add<T>(resource: T, close: (resource: T) => Promise<void>): T {
    this.#closers.push(() => close(resource));
    return resource;
  }

  async closeAll(): Promise<void> {
    for (const close of this.#closers.splice(0).reverse()) await close().catch(() => undefined);
  }
}

/**
 * The composition root: registers every service for `config` on a fresh child container. Libraries stay
 * DI-agnostic; this is the only place that maps the config onto each package's options.
 * The database is opened by the caller (it is async) and passed in; the caller closes it after {@link AppContainer.close}.
 */
export function createContainer(
  config: Config,
  db: Database,
  overrides: ContainerOverrides = {},
  logOptions: LogOptions = {},
): AppContainer {
  const c = rootContainer.createChildContainer();
  const closers = new Closers();
  const logger = overrides.logger ?? appLogger(config, logOptions);
  const background = new Background((error, what) => logger.warn({ err: error }, `${what} failed`));
  const once = <T>(factory: (dc: DependencyContainer) => T) => ({ useFactory: instanceCachingFactory(factory) });

  c.register(TOKENS.Config, { useValue: config });
  c.register(TOKENS.PipelineEvents, { useValue: new PipelineEventHub() });
  c.register(TOKENS.Database, { useValue: db });
  c.register(TOKENS.Logger, { useValue: logger } as never);
  c.register(TOKENS.Pricing, { useValue: pricingFromConfig(config) });
  c.register(TOKENS.Background, { useValue: background });
  c.register(
    TOKENS.Metrics,
    once(() => overrides.metrics ?? new AutodMetrics()),
  );
  c.register(
    TOKENS.Health,
    once(() => new HealthRegistry()),
  );
  c.register(
    TOKENS.Alerts,
    once((dc) => createAlertManager(config, dc.resolve(TOKENS.Logger))),
  );
  c.register(
    TOKENS.Spend,
    once((dc) => new SpendReporter(dc.resolve(TOKENS.Alerts), db)),
  );
  c.register(
    TOKENS.ApiClient,
    once((dc) => (overrides.apiClient !== undefined ? overrides.apiClient : apiClientFor(config, dc, closers))),
  );
  c.register(
    TOKENS.Ocr,
    once(() => (config.processing.ocr ? closers.add(ocrEngineFor(config), (ocr) => ocr.close()) : null)),
  );
  c.register(
    TOKENS.Extractor,
    once((dc) => overrides.extractor ?? extractorFor(config, dc.resolve(TOKENS.ApiClient))),
  );
  c.register(
    TOKENS.Pipeline,
    once((dc) => pipelineFor(config, db, dc, overrides.pipelineOwner)),
  );
  return { container: c, close: () => closers.closeAll() };
}

/** The process's logger: level, format and file from the settings, secrets redacted. */
function appLogger(config: Config, logOptions: LogOptions): Logger {
  return createLogger({
    level: logOptions.quiet ? 'warn' : config.logging.level,
    pretty: config.logging.format === 'text' ? true : config.logging.format === 'json' ? false : undefined,
    ...(config.logging.file
      ? { file: config.logging.file, fileMaxBytes: config.logging.maxBytes, fileMaxFiles: config.logging.backupCount }
      : {}),
    ...(logOptions.destination ? { destination: logOptions.destination } : {}),
    name: 'autod',
    secrets: redactSecretsList(config),
  }).child({ environment: config.app.environment });
}

/** The OpenAI client (null for the offline provider), reporting to the metrics and the breaker alert. */
function apiClientFor(config: Config, dc: DependencyContainer, closers: Closers): ApiClient | null {
  if (config.app.provider !== 'openai') return null;
  const metrics = dc.resolve(TOKENS.Metrics);
  const alerts = dc.resolve(TOKENS.Alerts);
  const logger = dc.resolve(TOKENS.Logger);
  // With Redis configured, every process (CLI, server, workers on many machines) shares one RPM budget.
  const shared =
    config.redis.url && config.rateLimit.rpm
      ? new RedisRateLimiter({
          // closeRedis: a connection that never reached Redis is dropped, not quit (quit would wait for Redis forever)
          redis: closers.add(redisConnection(config.redis.url), closeRedis),
          key: `${config.redis.prefix}:rate:openai`,
          rpm: config.rateLimit.rpm,
        })
      : undefined;
  const client: ApiClient = new ApiClient({
    ...(shared ? { limiter: shared } : {}),
    apiKey: config.openai.apiKey ?? 'not-needed',
    ...(config.openai.baseUrl ? { baseURL: config.openai.baseUrl } : {}),
    model: config.openai.model,
    embeddingModel: config.embeddings.model,
    timeoutMs: config.openai.timeoutSeconds * 1000,
    retry: {
      maxAttempts: config.retry.maxAttempts,
      baseDelayMs: config.retry.initialDelayMs,
      maxDelayMs: config.retry.maxDelayMs,
      ...(config.retry.deadlineMs ? { deadlineMs: config.retry.deadlineMs } : {}),
    },
    breaker: {
      errorThresholdPercentage: config.breaker.errorThresholdPct,
      volumeThreshold: config.breaker.volumeThreshold,
      resetTimeoutMs: config.breaker.resetMs,
      rollingCountTimeoutMs: config.breaker.windowMs,
    },
    rateLimit: {
      ...(config.rateLimit.rpm ? { rpm: config.rateLimit.rpm } : {}),
      ...(config.rateLimit.tpm ? { tpm: config.rateLimit.tpm } : {}),
    },
    pricing: dc.resolve(TOKENS.Pricing),
    // Every paid call is reserved in the spend ledger first (AUTOD_BUDGET_DAILY_USD / _MONTHLY_USD, across processes).
    meter: new SpendMeter(dc.resolve(TOKENS.Database), {
      dailyUsd: config.cost.budgetDailyUsd,
      monthlyUsd: config.cost.budgetMonthlyUsd,
      alerts,
      logger,
    }),
    maxOutputTokens: config.openai.maxOutputTokens,
    reasoningEffort: config.openai.reasoningEffort,
    verbosity: config.openai.verbosity,
    onWarning: (message, details) => logger.warn(details, message),
    onEvent: (e) => {
      metrics.upstreamRequest(e);
      // Events only fire after construction, so `client` is initialised here.
      metrics.setBreakerState(client.breakerState);
      alerts.recordBreaker(client.breakerState);
    },
  });
  return client;
}

/** OpenAI with a client, the offline extractor without; e-invoices (Factur-X/ZUGFeRD/XRechnung) read from their XML. */
function extractorFor(config: Config, client: ApiClient | null): Extractor {
  const configured = client ? new OpenAIExtractor(client, config.openai.model) : new LocalExtractor();
  return config.processing.einvoice ? new EInvoiceExtractor(configured) : configured;
}

/** The pipeline for the configured folders and limits, its events feeding the hub, the metrics and the alerts. */
function pipelineFor(config: Config, db: Database, dc: DependencyContainer, owner: string | undefined): Pipeline {
  const extractor = dc.resolve(TOKENS.Extractor);
  const ocr = dc.resolve(TOKENS.Ocr);
  return new Pipeline(
    { db, extractor, logger: dc.resolve(TOKENS.Logger) },
    {
      dirs: {
        inbox: config.paths.inbox,
        processed: config.paths.processed,
        failed: config.paths.failed,
        duplicates: config.paths.duplicates,
      },
      maxFileBytes: Math.round(config.processing.maxFileMb * 1024 * 1024),
      leaseMs: config.processing.leaseSeconds * 1000,
      filingTemplate: config.paths.fileNameTemplate,
      reviewThreshold: config.processing.reviewThreshold,
      ocr: ocr ?? false,
      ocrMaxPages: config.processing.ocrMaxPages,
      timeoutPerDocMs: config.processing.timeoutPerDocSeconds * 1000,
      maxStrikes: config.processing.failedRetryAttempts,
      nearDuplicatePolicy: config.processing.nearDuplicatePolicy,
      // A deferral whose error names no time (a 503, the deadline) is tried again after the breaker's cool-down.
      retryDelayMs: config.breaker.resetMs,
      ...(dc.isRegistered(TOKENS.VectorIndex) ? { indexer: vectorIndexer(db, dc.resolve(TOKENS.VectorIndex)) } : {}),
      ...(owner ? { owner } : {}),
      onEvent: pipelineEventHandler(db, dc, extractor.provider),
    },
  );
}

/** Pipeline events to the event hub (server-sent events), the stage and document metrics and the alert rules. */
function pipelineEventHandler(
  db: Database,
  dc: DependencyContainer,
  provider: Extractor['provider'],
): (e: PipelineEvent) => void {
  const metrics = dc.resolve(TOKENS.Metrics);
  const alerts = dc.resolve(TOKENS.Alerts);
  const spend = dc.resolve(TOKENS.Spend);
  const events = dc.resolve(TOKENS.PipelineEvents);
  const background = dc.resolve(TOKENS.Background);
  return (e) => {
    events.emit(e);
    if (e.type === 'stage') metrics.observeStage(e.stage, e.durationMs / 1000);
    else if (e.type === 'file.finished') {
      const o = e.outcome;
      if (o.kind === 'skipped') return;
      // Error rate and p95 rules count documents: a failed one is an error, retry-later is not.
      alerts.recordRequest(o.kind !== 'failed', e.durationMs);
      if (o.kind === 'failed') alerts.recordFailedDocument({ fileName: basename(o.path), code: o.error.code });
      // The commit that crosses a cost level alerts from whichever command made it (process, batch, worker…).
      if (o.kind === 'processed' && o.costUsd > 0) background.run('cost alert', () => spend.commit(o.costUsd));
      const status = o.kind === 'processed' ? 'completed' : o.kind;
      if (o.kind === 'processed') {
        // The category as committed, carried by the outcome (no read of the row per document).
        metrics.documentProcessed({ status, provider, ...(o.category ? { category: o.category } : {}) });
      } else if (o.kind === 'duplicate') {
        // A duplicate counts under its original's category.
        const id = o.documentId;
        background.run('document metrics', async () => {
          const doc = await db.documents.get(id);
          metrics.documentProcessed({ status, provider, ...(doc?.category ? { category: doc.category } : {}) });
        });
      } else metrics.documentProcessed({ status, provider });
    }
  };
}

/** The vector index as the pipeline's indexer: "missing" = completed documents without a row in its documents table. */
function vectorIndexer(db: Database, index: VectorIndex): DocumentIndexer {
  return {
    index: async (doc) => {
      const { nearDuplicateOf } = await index.indexDocument(doc);
      return { nearDuplicateOf: earlierTwin(doc.id, nearDuplicateOf) };
    },
    missing: (limit) => db.documents.missingFrom(VECTOR_DOCS_TABLE, 'doc_id', limit),
  };
}

/**
 * A document is a near-duplicate (a rescan) only of an earlier one: when an original is indexed again (reprocess,
 * reindex) after its rescan, the rescan is not its original.
 */
export function earlierTwin(id: number, ofId: number | null): number | null {
  return ofId !== null && ofId < id ? ofId : null;
}

/**
 * The OCR engine for `AUTOD_OCR_LANGUAGES` (codes joined by "+"). A language that is not installed is a
 * configuration error (CFG_INVALID, naming what is available), not a failure of the first scanned page.
 */
export function ocrEngineFor(config: Config): ReturnType<typeof createTesseractOcr> {
  try {
    return createTesseractOcr({ languages: config.processing.ocrLanguages.split('+') });
  } catch (error) {
    if (isAutodError(error) && error.code === 'VALIDATION_FAILED') {
      throw errorFor('CFG_INVALID', `AUTOD_OCR_LANGUAGES: ${error.message}`, {
        cause: error,
        details: { setting: 'AUTOD_OCR_LANGUAGES', value: config.processing.ocrLanguages },
      });
    }
    throw error;
  }
}
