import type { InjectionToken } from 'tsyringe';
import type { Config } from '@autod/config';
import type { ApiClient, PricingTable } from '@autod/api-client';
import type { Database } from '@autod/db';
import type { OcrEngine } from '@autod/extract';
import type { AlertManager, AutodMetrics, HealthRegistry, Logger } from '@autod/ops';
import type { Extractor, Pipeline } from '@autod/pipeline';
import type { VectorIndex } from '@autod/vector-store';
import type { Background } from './background.js';
import type { SpendReporter } from './alerts.js';
import type { PipelineEventHub } from './pipeline-events.js';

/** DI tokens: `Symbol.for('@autod/<pkg>:<Name>')`, one per service the runtime wires. */
export const TOKENS = {
  Config: Symbol.for('@autod/config:Config') as InjectionToken<Config>,
  Logger: Symbol.for('@autod/ops:Logger') as InjectionToken<Logger>,
  Metrics: Symbol.for('@autod/ops:AutodMetrics') as InjectionToken<AutodMetrics>,
  Health: Symbol.for('@autod/ops:HealthRegistry') as InjectionToken<HealthRegistry>,
  Alerts: Symbol.for('@autod/ops:AlertManager') as InjectionToken<AlertManager>,
  Database: Symbol.for('@autod/db:Database') as InjectionToken<Database>,
  ApiClient: Symbol.for('@autod/api-client:ApiClient') as InjectionToken<ApiClient | null>,
  Ocr: Symbol.for('@autod/extract:OcrEngine') as InjectionToken<OcrEngine | null>,
  Extractor: Symbol.for('@autod/pipeline:Extractor') as InjectionToken<Extractor>,
  Pipeline: Symbol.for('@autod/pipeline:Pipeline') as InjectionToken<Pipeline>,
  VectorIndex: Symbol.for('@autod/vector-store:VectorIndex') as InjectionToken<VectorIndex>,
  /** The prices in use (built-in table, AUTOD_PRICING_FILE, *_TOKEN_PRICE_PER_MILLION). */
  Pricing: Symbol.for('@autod/runtime:Pricing') as InjectionToken<PricingTable>,
  /** Work started by pipeline events that closing the runtime waits for. */
  Background: Symbol.for('@autod/runtime:Background') as InjectionToken<Background>,
  /** Committed spend for the cost-level alerts. */
  Spend: Symbol.for('@autod/runtime:SpendReporter') as InjectionToken<SpendReporter>,
  PipelineEvents: Symbol.for('@autod/runtime:PipelineEventHub') as InjectionToken<PipelineEventHub>,
} as const;

export type TokenName = keyof typeof TOKENS;
