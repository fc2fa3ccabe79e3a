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
import { EInvoiceExtractor, LocalExtractor, OpenAIExtractor, Pipeline, type Extractor } from '@autod/pipeline';
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

/**
 * The composition root: registers every service for `config` on a fresh child container. Libraries stay
 * DI-agnostic; this is the only place that maps the config onto each package's options.
 * The database is opened by the caller (it is async) and passed in.
 */
export function createContainer(
  config: Config,
  db: Database,
  overrides: ContainerOverrides = {},
  logOptions: { destination?: NodeJS.WritableStream; quiet?: boolean } = {},
  closers: (() => Promise<void>)[] = [],
): DependencyContainer {
  const c = rootContainer.createChildContainer();
  const trackRedis = (conn: ReturnType<typeof redisConnection>) => {
    // closeRedis: a connection that never reached Redis is dropped, not quit (quit would wait for Redis forever)
    closers.push(() => closeRedis(conn));
    return conn;
  };
  c.register(TOKENS.Config, { useValue: config });
  c.register(TOKENS.PipelineEvents, { useValue: new PipelineEventHub() });
  c.register(TOKENS.Database, { useValue: db });
  const logger: Logger =
    overrides.logger ??
    createLogger({
      level: logOptions.quiet ? 'warn' : config.logging.level,
      pretty: config.logging.format === 'text' ? true : config.logging.format === 'json' ? false : undefined,
      ...(config.logging.file
        ? { file: config.logging.file, fileMaxBytes: config.logging.maxBytes, fileMaxFiles: config.logging.backupCount }
        : {}),
      ...(logOptions.destination ? { destination: logOptions.destination } : {}),
      name: 'autod',
      secrets: redactSecretsList(config),
    }).child({ environment: config.app.environment });
  c.register(TOKENS.Logger, { useValue: logger } as never);
  c.register(TOKENS.Pricing, { useValue: pricingFromConfig(config) });
  const background = new Background((error, what) => logger.warn({ err: error }, `${what} failed`));
  c.register(TOKENS.Background, { useValue: background });
  c.register(TOKENS.Metrics, { useFactory: instanceCachingFactory(() => overrides.metrics ?? new AutodMetrics()) });
  c.register(TOKENS.Health, { useFactory: instanceCachingFactory(() => new HealthRegistry()) });
  c.register(TOKENS.Alerts, {
    useFactory: instanceCachingFactory((dc) => createAlertManager(config, dc.resolve(TOKENS.Logger))),
  });
  c.register(TOKENS.Spend, {
    useFactory: instanceCachingFactory((dc) => new SpendReporter(dc.resolve(TOKENS.Alerts), db)),
  });
  c.register(TOKENS.ApiClient, {
    useFactory: instanceCachingFactory((dc) => {
      if (overrides.apiClient !== undefined) return overrides.apiClient;
      if (config.app.provider !== 'openai') return null;
      const metrics = dc.resolve(TOKENS.Metrics);
      const alerts = dc.resolve(TOKENS.Alerts);
      // With Redis configured, every process (CLI, server, workers on many machines) shares one RPM budget.
      const shared =
        config.redis.url && config.rateLimit.rpm
          ? new RedisRateLimiter({
              redis: trackRedis(redisConnection(config.redis.url)),
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
        meter: new SpendMeter(db, {
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
    }),
  });
  c.register(TOKENS.Ocr, {
    useFactory: instanceCachingFactory(() => (config.processing.ocr ? ocrEngineFor(config) : null)),
  });
  c.register(TOKENS.Extractor, {
    useFactory: instanceCachingFactory((dc) => {
      if (overrides.extractor) return overrides.extractor;
      const client = dc.resolve(TOKENS.ApiClient);
      const configured = client ? new OpenAIExtractor(client, config.openai.model) : new LocalExtractor();
      // E-invoices (Factur-X/ZUGFeRD/XRechnung XML) are read from their XML whatever the provider is.
      return config.processing.einvoice ? new EInvoiceExtractor(configured) : configured;
    }),
  });
  c.register(TOKENS.Pipeline, {
    useFactory: instanceCachingFactory((dc) => {
      const metrics = dc.resolve(TOKENS.Metrics);
      const alerts = dc.resolve(TOKENS.Alerts);
      const spend = dc.resolve(TOKENS.Spend);
      const extractor = dc.resolve(TOKENS.Extractor);
      const ocr = dc.resolve(TOKENS.Ocr);
      const events = dc.resolve(TOKENS.PipelineEvents);
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
          ...(dc.isRegistered(TOKENS.VectorIndex)
            ? { indexer: vectorIndexer(db, dc.resolve(TOKENS.VectorIndex)) }
            : {}),
          ...(overrides.pipelineOwner ? { owner: overrides.pipelineOwner } : {}),
          onEvent: (e) => {
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
              if (o.kind === 'processed' || o.kind === 'duplicate') {
                // The category is the document's as committed (a duplicate counts under its original's).
                const id = o.documentId;
                background.run('document metrics', async () => {
                  const doc = await db.documents.get(id);
                  metrics.documentProcessed({
                    status,
                    provider: extractor.provider,
                    ...(doc?.category ? { category: doc.category } : {}),
                  });
                });
              } else metrics.documentProcessed({ status, provider: extractor.provider });
            }
          },
        },
      );
    }),
  });
  return c;
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
