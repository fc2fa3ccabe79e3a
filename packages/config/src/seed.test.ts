/**
 * The seed system's 41 settings (SEED-SPEC §2.2), written out independently of the schema: every one
 * must exist in autod, under its own name or as an alias, with the seed's default and range unless the
 * deviation is documented on the setting (seed.default / seed.note, rendered into docs/configuration.md).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DROPPED_SETTINGS } from './dropped.js';
import { describeSettings, loadConfig } from './index.js';

type Seed = readonly [field: string, defaultValue: string | number | boolean | null, range?: string];
const SEED: readonly Seed[] = [
  ['openai_api_key', null],
  ['openai_model', 'gpt-5-mini'],
  ['paper_autopilot_db_url', 'sqlite:///paper_autopilot.db'],
  ['api_timeout_seconds', 300, '30–600'],
  ['max_retries', 5, '1–10'],
  ['rate_limit_rpm', 60, '1–500'],
  ['max_output_tokens', 60000, '1000–100000'],
  ['prompt_token_price_per_million', 0.15, '≥ 0'],
  ['completion_token_price_per_million', 0.6, '≥ 0'],
  ['cached_token_price_per_million', 0.075, '≥ 0'],
  ['cost_alert_threshold_1', 10, '≥ 0'],
  ['cost_alert_threshold_2', 50, '≥ 0'],
  ['cost_alert_threshold_3', 100, '≥ 0'],
  ['batch_size', 10, '1–100'],
  ['max_workers', 3, '1–20'],
  ['processing_timeout_per_doc', 60, '10–600'],
  ['log_level', 'INFO'],
  ['log_format', 'json'],
  ['log_file', 'logs/paper_autopilot.log'],
  ['log_max_bytes', 10485760, '≥ 1048576'],
  ['log_backup_count', 5, '1–50'],
  ['vector_store_id', null],
  ['vector_store_name', 'paper_autopilot_docs'],
  ['vector_store_cache_file', '.paper_autopilot_vs_id'],
  ['vector_store_upload_timeout', 300, '60–600'],
  ['vector_store_max_concurrent_uploads', 5, '1–20'],
  ['vector_store_max_files', 10000, '1–10000'],
  ['embedding_model', 'text-embedding-3-small'],
  ['embedding_dimension', 1536, '512–3072'],
  ['embedding_batch_size', 100, '1–100'],
  ['search_default_top_k', 5, '1–50'],
  ['search_max_top_k', 20, '1–100'],
  ['search_relevance_threshold', 0.7, '0–1'],
  ['vector_cache_enabled', true],
  ['vector_cache_ttl_days', 7, '1–365'],
  ['vector_cache_max_size_mb', 1024, '100–10240'],
  ['vector_cache_hit_rate_target', 0.8, '0.5–1'],
  ['processed_retention_days', 30, '1–365'],
  ['failed_retry_attempts', 3, '1–10'],
  ['environment', 'development'],
  ['paper_autopilot_version', '1.0.0'],
];

const settings = describeSettings();
const config = loadConfig({ env: {}, cwd: mkdtempSync(join(tmpdir(), 'autod-seed-')), envFile: false });
const valueAt = (path: string): unknown =>
  path.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], config);

describe('the seed’s 41 settings', () => {
  it('lists 41 distinct fields', () => {
    expect(new Set(SEED.map(([f]) => f)).size).toBe(41);
  });

  const cases = SEED.map(([field, seedDefault, range]) => ({ field, seedDefault, range }));
  it.each(cases)(
    '$field exists with the seed’s env name, default and range (or a documented reason), or is dropped with a reason',
    ({ field, seedDefault, range }) => {
      const dropped = DROPPED_SETTINGS[field.toUpperCase()];
      if (dropped !== undefined) {
        // gone on purpose: no setting of that name, and a reason the docs print
        expect(settings.filter((s) => s.seed?.field === field || s.name === field.toUpperCase())).toHaveLength(0);
        expect(dropped.length).toBeGreaterThan(40);
        return;
      }
      const matches = settings.filter((s) => s.seed?.field === field);
      expect(matches).toHaveLength(1);
      const s = matches[0]!;
      expect([s.name, ...s.aliases]).toContain(field.toUpperCase());

      const documented = s.seed?.default !== undefined || s.seed?.note !== undefined;
      const actual = valueAt(s.path);
      const sameDefault =
        seedDefault === null
          ? actual === undefined
          : typeof seedDefault === 'string' && typeof actual === 'string'
            ? actual.toLowerCase() === seedDefault.toLowerCase()
            : actual === seedDefault;
      if (!sameDefault) expect(documented, `${field}: default differs from the seed but is not documented`).toBe(true);
      if (range !== undefined && s.allowed !== range) {
        expect(
          s.seed?.default ?? '',
          `${field}: range ${s.allowed} differs from the seed's ${range} without a note`,
        ).toContain(range);
      }
    },
  );

  it('keeps the seed’s default for the settings nobody argued about', () => {
    // spot checks that do not depend on the documented-deviation escape hatch
    expect(config.openai.model).toBe('gpt-5-mini');
    expect(config.openai.timeoutSeconds).toBe(300);
    expect(config.retry.maxAttempts).toBe(5);
    expect(config.rateLimit.rpm).toBe(60);
    expect([config.cost.alertThreshold1, config.cost.alertThreshold2, config.cost.alertThreshold3]).toEqual([
      10, 50, 100,
    ]);
    expect(config.search).toEqual({ defaultTopK: 5, maxTopK: 20 }); // relevance: the embedder's own (see the seed note)
    expect(config.vectorCache).toEqual({ enabled: true, ttlDays: 7, maxSizeMb: 1024, hitRateTarget: 0.8 });
    expect(config.embeddings).toEqual({ model: 'text-embedding-3-small', dimension: 1536, batchSize: 100 });
    expect(config.logging).toEqual({ level: 'info', format: 'json', maxBytes: 10485760, backupCount: 5 });
    expect(config.app.environment).toBe('development');
  });
});
