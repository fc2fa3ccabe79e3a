import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { AutodMetrics, mergeMetricsSnapshots } from './metrics.js';

describe('AutodMetrics', () => {
  it('exposes autod_ metrics with labels after recording', async () => {
    const m = new AutodMetrics({ collectDefault: false });
    m.documentProcessed({ status: 'completed', provider: 'openai', category: 'invoice' });
    m.documentProcessed({ status: 'completed', provider: 'openai', category: 'invoice' });
    m.documentProcessed({ status: 'failed', provider: 'local' });
    m.observeStage('extract', 1.5);
    m.stageDuration('persist')();
    m.upstreamRequest({
      operation: 'responses.create',
      status: 200,
      latencyMs: 850,
      model: 'gpt-5-mini',
      usage: { inputTokens: 1000, cachedInputTokens: 400, outputTokens: 200, reasoningTokens: 0 },
      costUsd: 0.0123,
    });
    m.upstreamRequest({ operation: 'responses.create', status: 'timeout', latencyMs: 30_000 });
    m.setBreakerState('open');
    m.setQueueDepth('documents', 7);
    m.observeSearch('hybrid', 0.02);
    m.cacheHit('embeddings');
    m.cacheHit('embeddings');
    m.cacheHit('embeddings');
    m.cacheMiss('embeddings');
    m.httpRequest({ method: 'get', route: '/documents/:id', status: 200, seconds: 0.004 });

    const text = await m.metrics();
    expect(text).toContain(
      'autod_documents_processed_total{status="completed",provider="openai",category="invoice"} 2',
    );
    expect(text).toContain('autod_documents_processed_total{status="failed",provider="local",category="unknown"} 1');
    expect(text).toContain('autod_stage_duration_seconds_bucket{le="2",stage="extract"} 1');
    expect(text).toContain('autod_stage_duration_seconds_count{stage="persist"} 1');
    expect(text).toContain('autod_upstream_requests_total{operation="responses.create",status="200"} 1');
    expect(text).toContain('autod_upstream_requests_total{operation="responses.create",status="timeout"} 1');
    expect(text).toContain('autod_upstream_request_duration_seconds_sum{operation="responses.create"} 30.85');
    expect(text).toContain('autod_tokens_total{kind="input",model="gpt-5-mini"} 1000');
    expect(text).toContain('autod_tokens_total{kind="cached_input",model="gpt-5-mini"} 400');
    expect(text).toContain('autod_tokens_total{kind="output",model="gpt-5-mini"} 200');
    expect(text).not.toContain('kind="reasoning"');
    expect(text).toContain('autod_cost_usd_total{model="gpt-5-mini"} 0.0123');
    expect(text).toContain('autod_circuit_breaker_state 2');
    expect(text).toContain('autod_queue_depth{queue="documents"} 7');
    expect(text).toContain('autod_search_duration_seconds_count{mode="hybrid"} 1');
    expect(text).toContain('autod_cache_requests_total{cache="embeddings",result="hit"} 3');
    expect(text).toContain('autod_cache_hit_ratio{cache="embeddings"} 0.75');
    expect(text).toContain('autod_http_requests_total{method="GET",route="/documents/:id",status="200"} 1');
    expect(text).not.toContain('process_cpu_user_seconds_total');
    expect(m.contentType).toContain('text/plain');
  });

  it('collects default Node metrics and honours registry and prefix', async () => {
    const registry = new Registry();
    const m = new AutodMetrics({ registry, prefix: 'x_' });
    expect(m.registry).toBe(registry);
    m.setBreakerState('halfOpen');
    const text = await registry.metrics();
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).toContain('x_circuit_breaker_state 1');
    expect(text).not.toContain('autod_');
  });
});

describe('docs stay in sync with the metric names', () => {
  it('every autod_ metric in docs/grafana-dashboard.json and docs/monitoring.md exists', async () => {
    const { readFileSync } = await import('node:fs');
    const docs = ['grafana-dashboard.json', 'monitoring.md'].map((f) =>
      readFileSync(new URL(`../../../docs/${f}`, import.meta.url), 'utf8'),
    );
    JSON.parse(docs[0]!);
    const text = await new AutodMetrics({ collectDefault: false }).metrics();
    const defined = new Set([...text.matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1]));
    const used = new Set(
      docs.flatMap((d) => [...d.matchAll(/\bautod_[a-z_]+/g)].map((m) => m[0].replace(/_(bucket|sum|count)$/, ''))),
    );
    expect(used.size).toBeGreaterThan(8);
    for (const name of used) expect(defined, name).toContain(name);
  });

  it('merges snapshots of other registries into /metrics; retired totals drop gauges', async () => {
    const server = new AutodMetrics({ collectDefault: false });
    const worker = new AutodMetrics({ collectDefault: false });
    server.documentProcessed({ status: 'completed', provider: 'local', category: 'invoice' });
    worker.documentProcessed({ status: 'completed', provider: 'local', category: 'invoice' });
    worker.documentProcessed({ status: 'failed', provider: 'local' });
    worker.setQueueDepth('uploads', 3);
    const text = await server.metricsWith([await worker.snapshot()]);
    expect(text).toContain('autod_documents_processed_total{status="completed",provider="local",category="invoice"} 2');
    expect(text).toContain('autod_documents_processed_total{status="failed",provider="local",category="unknown"} 1');
    expect(text).toContain('autod_queue_depth{queue="uploads"} 3');
    const retired = await mergeMetricsSnapshots([await worker.snapshot(), await worker.snapshot()]);
    const names = retired.map((m) => m.name);
    expect(names).toContain('autod_documents_processed_total');
    expect(names).not.toContain('autod_queue_depth');
    const kept = await mergeMetricsSnapshots([await worker.snapshot()], { keepGauges: true });
    expect(kept.map((m) => m.name)).toContain('autod_queue_depth');
  });
});
