import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { describeSettings, renderConfigurationDoc, renderEnvExample } from './index.js';
import { GROUP_TITLES } from './describe.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const HOW =
  'is out of date with packages/config/src/settings.ts: run `pnpm --filter @autod/config run gen-docs` and commit the result';

const read = (rel: string): string => {
  try {
    return readFileSync(`${root}${rel}`, 'utf8');
  } catch {
    return '';
  }
};

describe('generated files', () => {
  it('.env.example matches the schema', () => {
    expect(read('.env.example') === renderEnvExample(), `.env.example ${HOW}`).toBe(true);
  });

  it('docs/configuration.md matches the schema', () => {
    expect(read('docs/configuration.md') === renderConfigurationDoc(), `docs/configuration.md ${HOW}`).toBe(true);
  });

  it('mention every setting', () => {
    const env = renderEnvExample();
    const doc = renderConfigurationDoc();
    for (const s of describeSettings()) {
      expect(env).toContain(`# ${s.name}=`);
      expect(doc).toContain(`\`${s.name}\``);
    }
  });
});

describe('describeSettings', () => {
  const settings = describeSettings();

  it('has unique names and aliases, a description and a titled group for each', () => {
    const names = settings.flatMap((s) => [s.name, ...s.aliases]);
    expect(new Set(names).size).toBe(names.length);
    for (const s of settings) {
      expect(s.description.length, s.name).toBeGreaterThan(10);
      expect(GROUP_TITLES[s.group], s.group).toBeDefined();
      expect(s.name).toMatch(/^[A-Z][A-Z0-9_]*$/);
    }
  });

  it('flags exactly the credentials as secret', () => {
    expect(settings.filter((s) => s.secret).map((s) => s.name)).toEqual([
      'OPENAI_API_KEY',
      'AUTOD_SERVER_TOKEN',
      'AUTOD_ALERT_SLACK_WEBHOOK_URL',
      'AUTOD_ALERT_PAGERDUTY_ROUTING_KEY',
      'AUTOD_ALERT_EMAIL_SMTP_PASSWORD',
    ]);
    // secrets never have a default that would end up in .env.example
    for (const s of settings.filter((x) => x.secret)) expect(s.default).toBeUndefined();
  });

  it('uses the agreed names for autod’s own settings', () => {
    const names = new Set(settings.map((s) => s.name));
    for (const n of [
      'OPENAI_API_KEY',
      'OPENAI_BASE_URL',
      'OPENAI_MODEL',
      'OPENAI_EMBEDDING_MODEL',
      'AUTOD_PROVIDER',
      'AUTOD_DATA_DIR',
      'AUTOD_INBOX_DIR',
      'AUTOD_PROCESSED_DIR',
      'AUTOD_FAILED_DIR',
      'AUTOD_DUPLICATES_DIR',
      'AUTOD_DB_URL',
      'AUTOD_SQLITE_DRIVER',
      'AUTOD_REDIS_URL',
      'AUTOD_SERVER_HOST',
      'AUTOD_SERVER_PORT',
      'AUTOD_SERVER_TOKEN',
      'AUTOD_MAX_FILE_MB',
      'AUTOD_CONCURRENCY',
      'AUTOD_RPM',
      'AUTOD_TPM',
      'AUTOD_BUDGET_DAILY_USD',
      'AUTOD_BUDGET_MONTHLY_USD',
      'AUTOD_MAX_COST_USD',
      'AUTOD_LOG_LEVEL',
      'AUTOD_LOG_FILE',
      'AUTOD_LEASE_SECONDS',
      'AUTOD_FILE_NAME_TEMPLATE',
      'AUTOD_OCR',
      'AUTOD_RETRY_MAX_ATTEMPTS',
      'AUTOD_RETRY_DEADLINE_MS',
      'AUTOD_ALERT_WEBHOOK_URL',
      'AUTOD_ALERT_SLACK_WEBHOOK_URL',
      'AUTOD_ALERT_PAGERDUTY_ROUTING_KEY',
      'AUTOD_VECTOR_STORE_NAME',
      'AUTOD_VECTOR_STORE_SYNC',
      'AUTOD_PRICING_FILE',
    ]) {
      expect(names.has(n), n).toBe(true);
    }
  });
});
