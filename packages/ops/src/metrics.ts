import {
  AggregatorRegistry,
  collectDefaultMetrics,
  Counter,
  Gauge,
  Histogram,
  Registry,
  type MetricObjectWithValues,
  type MetricValue,
} from 'prom-client';

/** Every metric of a registry with its values, structured-cloneable (e.g. from a worker thread). */
export type MetricsSnapshot = MetricObjectWithValues<MetricValue<string>>[];

/**
 * Adds snapshots up (same name and labels). Gauges are dropped unless `keepGauges`: this is for the totals of
 * registries that are gone (an extraction worker that exited), whose counters and histograms still count but whose
 * gauges (queue depth, breaker state) no longer describe anything.
 */
export async function mergeMetricsSnapshots(
  snapshots: MetricsSnapshot[],
  options: { keepGauges?: boolean } = {},
): Promise<MetricsSnapshot> {
  const kept = options.keepGauges ? snapshots : snapshots.map((s) => s.filter((m) => String(m.type) !== 'gauge'));
  if (kept.length === 0) return [];
  return await AggregatorRegistry.aggregate(kept).getMetricsAsJSON();
}

export type DocumentStatus = 'completed' | 'failed' | 'duplicate' | 'retry_later';
export type BreakerState = 'closed' | 'open' | 'halfOpen';

export interface TokenUsage {
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
  reasoningTokens: number;
}

export interface UpstreamRequestEvent {
  /** e.g. `responses.create`, `files.create`, `embeddings.create`, `vector_stores.search`. */
  operation: string;
  /** HTTP status, or a symbolic outcome such as `timeout` / `network`. */
  status: string | number;
  latencyMs: number;
  model?: string;
  usage?: TokenUsage;
  costUsd?: number;
}

export interface HttpRequestEvent {
  method: string;
  /** The route pattern (`/documents/:id`), never the raw path (unbounded label values). */
  route: string;
  status: number | string;
  seconds: number;
}

export interface AutodMetricsOptions {
  /** Registry to register into (default: a new private one). */
  registry?: Registry;
  /** Collect prom-client's default process/Node metrics (default true). */
  collectDefault?: boolean;
  /** Metric name prefix (default `autod_`). Default Node metrics keep their standard names. */
  prefix?: string;
}

/** Numeric value of `autod_circuit_breaker_state`. */
export const BREAKER_STATE_VALUE: Record<BreakerState, number> = { closed: 0, halfOpen: 1, open: 2 };

const STAGE_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300];
const LATENCY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120];
const FAST_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

const TOKEN_KINDS: [keyof TokenUsage, string][] = [
  ['inputTokens', 'input'],
  ['cachedInputTokens', 'cached_input'],
  ['outputTokens', 'output'],
  ['reasoningTokens', 'reasoning'],
];

/**
 * autod's Prometheus metrics (prom-client): documents, stage durations, upstream requests,
 * tokens, dollars, breaker state, queue depth, search latency, cache hit ratio and HTTP.
 */
export class AutodMetrics {
  readonly registry: Registry;
  readonly prefix: string;
  private readonly documents: Counter<'status' | 'provider' | 'category'>;
  private readonly stages: Histogram<'stage'>;
  private readonly upstreamTotal: Counter<'operation' | 'status'>;
  private readonly upstreamLatency: Histogram<'operation'>;
  private readonly tokens: Counter<'kind' | 'model'>;
  private readonly cost: Counter<'model'>;
  private readonly breaker: Gauge;
  private readonly queueDepth: Gauge<'queue'>;
  private readonly search: Histogram<'mode'>;
  private readonly cacheRequests: Counter<'cache' | 'result'>;
  private readonly httpTotal: Counter<'method' | 'route' | 'status'>;
  private readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  private readonly cacheCounts = new Map<string, { hits: number; misses: number }>();

  constructor(options: AutodMetricsOptions = {}) {
    this.registry = options.registry ?? new Registry();
    const p = (this.prefix = options.prefix ?? 'autod_');
    const registers = [this.registry];
    if (options.collectDefault ?? true) collectDefaultMetrics({ register: this.registry });

    this.documents = new Counter({
      name: `${p}documents_processed_total`,
      help: 'Documents finished, by outcome, provider and category.',
      labelNames: ['status', 'provider', 'category'],
      registers,
    });
    this.stages = new Histogram({
      name: `${p}stage_duration_seconds`,
      help: 'Duration of pipeline stages (hash, dedupe, extract, model, persist, index, …).',
      labelNames: ['stage'],
      buckets: STAGE_BUCKETS,
      registers,
    });
    this.upstreamTotal = new Counter({
      name: `${p}upstream_requests_total`,
      help: 'Requests to the model provider, by operation and HTTP status / outcome.',
      labelNames: ['operation', 'status'],
      registers,
    });
    this.upstreamLatency = new Histogram({
      name: `${p}upstream_request_duration_seconds`,
      help: 'Latency of requests to the model provider.',
      labelNames: ['operation'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.tokens = new Counter({
      name: `${p}tokens_total`,
      help: 'Tokens billed by the provider, by kind (input, cached_input, output, reasoning) and model.',
      labelNames: ['kind', 'model'],
      registers,
    });
    this.cost = new Counter({
      name: `${p}cost_usd_total`,
      help: 'Estimated spend in US dollars, by model.',
      labelNames: ['model'],
      registers,
    });
    this.breaker = new Gauge({
      name: `${p}circuit_breaker_state`,
      help: 'Upstream circuit breaker: 0 closed, 1 half-open, 2 open.',
      registers,
    });
    this.breaker.set(0);
    this.queueDepth = new Gauge({
      name: `${p}queue_depth`,
      help: 'Jobs waiting, by queue.',
      labelNames: ['queue'],
      registers,
    });
    this.search = new Histogram({
      name: `${p}search_duration_seconds`,
      help: 'Search latency, by mode (lexical, semantic, hybrid, …).',
      labelNames: ['mode'],
      buckets: FAST_BUCKETS,
      registers,
    });
    this.cacheRequests = new Counter({
      name: `${p}cache_requests_total`,
      help: 'Cache look-ups, by cache and result (hit, miss).',
      labelNames: ['cache', 'result'],
      registers,
    });
    const counts = this.cacheCounts;
    new Gauge({
      name: `${p}cache_hit_ratio`,
      help: 'Hits / (hits + misses) since start, by cache.',
      labelNames: ['cache'],
      registers,
      collect() {
        for (const [cache, c] of counts) {
          const total = c.hits + c.misses;
          if (total > 0) this.set({ cache }, c.hits / total);
        }
      },
    });
    this.httpTotal = new Counter({
      name: `${p}http_requests_total`,
      help: 'HTTP requests served, by method, route pattern and status.',
      labelNames: ['method', 'route', 'status'],
      registers,
    });
    this.httpDuration = new Histogram({
      name: `${p}http_request_duration_seconds`,
      help: 'HTTP request duration, by method, route pattern and status.',
      labelNames: ['method', 'route', 'status'],
      buckets: FAST_BUCKETS,
      registers,
    });
  }

  /** Content-Type for the `/metrics` response. */
  get contentType(): string {
    return this.registry.contentType;
  }

  documentProcessed(labels: { status: DocumentStatus; provider: string; category?: string }): void {
    this.documents.inc({ status: labels.status, provider: labels.provider, category: labels.category ?? 'unknown' });
  }

  /** Starts a timer for a stage; call the returned function to record it. */
  stageDuration(stage: string): () => void {
    const start = process.hrtime.bigint();
    return () => this.observeStage(stage, Number(process.hrtime.bigint() - start) / 1e9);
  }

  observeStage(stage: string, seconds: number): void {
    this.stages.observe({ stage }, nonNegative(seconds));
  }

  upstreamRequest(e: UpstreamRequestEvent): void {
    this.upstreamTotal.inc({ operation: e.operation, status: String(e.status) });
    this.upstreamLatency.observe({ operation: e.operation }, nonNegative(e.latencyMs) / 1000);
    const model = e.model ?? 'unknown';
    if (e.usage) {
      for (const [field, kind] of TOKEN_KINDS) {
        const n = e.usage[field];
        if (Number.isFinite(n) && n > 0) this.tokens.inc({ kind, model }, n);
      }
    }
    if (e.costUsd !== undefined && Number.isFinite(e.costUsd) && e.costUsd > 0) this.cost.inc({ model }, e.costUsd);
  }

  setBreakerState(state: BreakerState): void {
    this.breaker.set(BREAKER_STATE_VALUE[state]);
  }

  setQueueDepth(queue: string, n: number): void {
    this.queueDepth.set({ queue }, nonNegative(n));
  }

  observeSearch(mode: string, seconds: number): void {
    this.search.observe({ mode }, nonNegative(seconds));
  }

  cacheHit(cache: string): void {
    this.cacheRequests.inc({ cache, result: 'hit' });
    this.cacheCount(cache).hits++;
  }

  cacheMiss(cache: string): void {
    this.cacheRequests.inc({ cache, result: 'miss' });
    this.cacheCount(cache).misses++;
  }

  httpRequest(e: HttpRequestEvent): void {
    const labels = { method: e.method.toUpperCase(), route: e.route, status: String(e.status) };
    this.httpTotal.inc(labels);
    this.httpDuration.observe(labels, nonNegative(e.seconds));
  }

  /** Prometheus text exposition of the registry. */
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  /** The registry's metrics with their values, to be merged elsewhere (see `metricsWith`). */
  async snapshot(): Promise<MetricsSnapshot> {
    return await this.registry.getMetricsAsJSON();
  }

  /**
   * Prometheus text of this registry merged with snapshots of others (e.g. of the server's extraction worker):
   * series with the same name and labels are added up (counters, histograms, gauges).
   */
  async metricsWith(others: MetricsSnapshot[]): Promise<string> {
    if (others.length === 0) return this.metrics();
    const merged = AggregatorRegistry.aggregate([await this.snapshot(), ...others]);
    return merged.metrics();
  }

  private cacheCount(cache: string): { hits: number; misses: number } {
    let c = this.cacheCounts.get(cache);
    if (!c) this.cacheCounts.set(cache, (c = { hits: 0, misses: 0 }));
    return c;
  }
}

function nonNegative(n: number): number {
  return Number.isFinite(n) && n > 0 ? n : 0;
}
