import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { isAutodError, type AutodError } from '@autod/errors';
import { beforeEach, describe, expect, it } from 'vitest';
import { describeSettings, formatIssue, loadConfig, type ConfigIssue, type LoadConfigOptions } from './index.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'autod-config-'));
});

const load = (opts: LoadConfigOptions = {}) => loadConfig({ env: {}, cwd: dir, ...opts });

function failure(opts: LoadConfigOptions): AutodError {
  try {
    load(opts);
  } catch (error) {
    if (isAutodError(error)) return error;
    throw error;
  }
  throw new Error('loadConfig did not throw');
}

function issues(opts: LoadConfigOptions): ConfigIssue[] {
  const error = failure(opts);
  expect(error.code).toBe('CFG_INVALID');
  return error.details?.issues as ConfigIssue[];
}

const KEY = 'sk-test-0123456789abcdefghij';

describe('sources and precedence', () => {
  it('takes CLI overrides > environment > .env > autod.config.json > defaults', () => {
    writeFileSync(
      join(dir, 'autod.config.json'),
      JSON.stringify({ AUTOD_CONCURRENCY: 2, AUTOD_SERVER_PORT: 9002, AUTOD_RPM: 102, AUTOD_TPM: 20002 }),
    );
    writeFileSync(join(dir, '.env'), 'AUTOD_CONCURRENCY=3\nAUTOD_SERVER_PORT=9003\nAUTOD_RPM=103\n');
    const config = load({
      env: { AUTOD_CONCURRENCY: '4', AUTOD_SERVER_PORT: '9004' },
      overrides: { AUTOD_CONCURRENCY: 5 },
    });
    expect(config.processing.concurrency).toBe(5); // override
    expect(config.server.port).toBe(9004); // environment
    expect(config.rateLimit.rpm).toBe(103); // .env
    expect(config.rateLimit.tpm).toBe(20002); // config file
    expect(config.retry.maxAttempts).toBe(5); // default
  });

  it('reads an explicit config file, an explicit .env file and AUTOD_CONFIG_FILE', () => {
    const cfg = join(dir, 'elsewhere.json');
    writeFileSync(cfg, JSON.stringify({ $schema: 'x', AUTOD_OCR: false }));
    const envFile = join(dir, 'custom.env');
    writeFileSync(envFile, 'AUTOD_LEASE_SECONDS=77\n');
    expect(load({ configFile: cfg, envFile }).processing.ocr).toBe(false);
    expect(load({ configFile: cfg, envFile }).processing.leaseSeconds).toBe(77);
    expect(load({ env: { AUTOD_CONFIG_FILE: 'elsewhere.json' } }).processing.ocr).toBe(false);
  });

  it('skips .env when envFile is false and never touches process.env', () => {
    writeFileSync(join(dir, '.env'), 'AUTOD_LEASE_SECONDS=77\nAUTOD_TEST_MARKER_XYZ=1\n');
    expect(load({ envFile: false }).processing.leaseSeconds).toBe(300);
    expect(load().processing.leaseSeconds).toBe(77);
    expect(process.env.AUTOD_TEST_MARKER_XYZ).toBeUndefined();
    expect(process.env.AUTOD_LEASE_SECONDS).toBeUndefined();
  });

  it('fails with CFG_FILE_UNREADABLE for a missing explicit file or bad JSON', () => {
    expect(failure({ configFile: 'nope.json' }).code).toBe('CFG_FILE_UNREADABLE');
    expect(failure({ envFile: 'nope.env' }).code).toBe('CFG_FILE_UNREADABLE');
    writeFileSync(join(dir, 'autod.config.json'), '{ not json');
    expect(failure({}).code).toBe('CFG_FILE_UNREADABLE');
    writeFileSync(join(dir, 'autod.config.json'), '[1, 2]');
    expect(failure({}).code).toBe('CFG_FILE_UNREADABLE');
  });

  it('treats env names case-insensitively, with the exact upper-case name winning', () => {
    expect(load({ env: { autod_concurrency: '7' } }).processing.concurrency).toBe(7);
    expect(load({ env: { autod_concurrency: '7', AUTOD_CONCURRENCY: '9' } }).processing.concurrency).toBe(9);
  });

  it('accepts seed names as aliases, the autod name winning within a source', () => {
    const c = load({
      env: {
        MAX_WORKERS: '6',
        RATE_LIMIT_RPM: '200',
        LOG_LEVEL: 'WARNING',
        PAPER_AUTOPILOT_DB_URL: 'sqlite:///seed.db',
      },
    });
    expect(c.processing.concurrency).toBe(6);
    expect(c.rateLimit.rpm).toBe(200);
    expect(c.logging.level).toBe('warn');
    expect(c.db.filename).toBe(join(dir, 'seed.db'));
    expect(load({ env: { MAX_WORKERS: '6', AUTOD_CONCURRENCY: '8' } }).processing.concurrency).toBe(8);
    // a higher source wins even through an alias
    expect(load({ env: { MAX_WORKERS: '6' }, overrides: { AUTOD_CONCURRENCY: 2 } }).processing.concurrency).toBe(2);
  });

  it('treats empty values as unset', () => {
    writeFileSync(join(dir, '.env'), 'AUTOD_CONCURRENCY=\nOPENAI_API_KEY=\n');
    const c = load({ env: { AUTOD_SERVER_PORT: '  ' } });
    expect(c.processing.concurrency).toBe(4);
    expect(c.server.port).toBe(8080);
    expect(c.app.provider).toBe('local');
  });

  it('returns a deeply frozen config', () => {
    const c = load();
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.server)).toBe(true);
    expect(Object.isFrozen(c.alerts.email.to)).toBe(true);
    expect(() => {
      (c.server as { port: number }).port = 1;
    }).toThrow(TypeError);
  });
});

describe('value formats', () => {
  it.each([
    ['true', true],
    ['TRUE', true],
    ['1', true],
    ['yes', true],
    ['on', true],
    ['false', false],
    ['0', false],
    ['No', false],
    ['off', false],
  ])('boolean %s -> %s', (raw, expected) => {
    expect(load({ env: { AUTOD_OCR: raw } }).processing.ocr).toBe(expected);
  });

  it('coerces numbers from strings and JSON, and lists from commas or arrays', () => {
    writeFileSync(join(dir, 'autod.config.json'), JSON.stringify({ AUTOD_ALERT_EMAIL_TO: ['a@x.org', ' b@x.org '] }));
    const c = load({
      env: {
        SEARCH_RELEVANCE_THRESHOLD: '0.55',
        AUTOD_ALERT_EMAIL_FROM: 'autod@x.org',
        AUTOD_ALERT_EMAIL_SMTP_HOST: 'smtp',
      },
      overrides: { AUTOD_BUDGET_DAILY_USD: 2.5 },
    });
    expect(c.search.relevanceThreshold).toBe(0.55);
    expect(c.cost.budgetDailyUsd).toBe(2.5);
    expect(c.alerts.email.to).toEqual(['a@x.org', 'b@x.org']);
    expect(
      load({
        env: {
          AUTOD_ALERT_EMAIL_TO: 'a@x.org, c@y.org',
          AUTOD_ALERT_EMAIL_FROM: 'f@x.org',
          AUTOD_ALERT_EMAIL_SMTP_HOST: 'h',
        },
      }).alerts.email.to,
    ).toEqual(['a@x.org', 'c@y.org']);
  });

  it('maps the seed log level names onto pino levels', () => {
    expect(load({ env: { AUTOD_LOG_LEVEL: 'DEBUG' } }).logging.level).toBe('debug');
    expect(load({ env: { AUTOD_LOG_LEVEL: 'critical' } }).logging.level).toBe('fatal');
    expect(issues({ env: { AUTOD_LOG_LEVEL: 'loud' } }).map((i) => i.name)).toEqual(['AUTOD_LOG_LEVEL']);
  });

  it('accepts enum values case-insensitively', () => {
    expect(load({ env: { AUTOD_PROVIDER: 'LOCAL', ENVIRONMENT: 'Production' } }).app.environment).toBe('production');
  });
});

describe('ranges', () => {
  const numeric = describeSettings().filter(
    (s) => (s.type === 'int' || s.type === 'number') && s.allowed?.includes('–'),
  );

  it.each(numeric.map((s) => [s.name, s.allowed!] as const))('%s enforces %s', (name, allowed) => {
    const [min, max] = allowed.split('–').map(Number) as [number, number];
    const step = Number.isInteger(min) && Number.isInteger(max) ? 1 : 0.01;
    const bad = issues({ env: { [name]: String(min - step) } });
    expect(bad.find((i) => i.name === name)?.message).toMatch(/between/);
    const tooBig = issues({ env: { [name]: String(max + step) } });
    expect(tooBig.find((i) => i.name === name)?.message).toMatch(/between/);
  });

  it('rejects fractions for integer settings and text for numbers', () => {
    const found = issues({ env: { AUTOD_CONCURRENCY: '2.5', AUTOD_SERVER_PORT: 'eighty' } });
    expect(found.map(formatIssue)).toEqual(
      expect.arrayContaining([
        'AUTOD_CONCURRENCY: must be a whole number (got "2.5")',
        'AUTOD_SERVER_PORT: must be a whole number (got "eighty")',
      ]),
    );
  });

  it('checks cross-field rules: ascending cost thresholds, top-k, retry delays, budgets, e-mail', () => {
    const names = issues({
      env: {
        COST_ALERT_THRESHOLD_1: '10',
        COST_ALERT_THRESHOLD_2: '10',
        COST_ALERT_THRESHOLD_3: '5',
        SEARCH_DEFAULT_TOP_K: '30',
        SEARCH_MAX_TOP_K: '20',
        AUTOD_RETRY_INITIAL_MS: '5000',
        AUTOD_RETRY_MAX_DELAY_MS: '1000',
        AUTOD_BUDGET_DAILY_USD: '50',
        AUTOD_BUDGET_MONTHLY_USD: '10',
        AUTOD_ALERT_EMAIL_TO: 'ops@x.org',
      },
    }).map((i) => i.name);
    expect(names.sort()).toEqual(
      [
        'AUTOD_ALERT_EMAIL_FROM',
        'AUTOD_ALERT_EMAIL_SMTP_HOST',
        'AUTOD_BUDGET_DAILY_USD',
        'AUTOD_RETRY_INITIAL_MS',
        'COST_ALERT_THRESHOLD_2',
        'COST_ALERT_THRESHOLD_3',
        'SEARCH_DEFAULT_TOP_K',
      ].sort(),
    );
  });

  it('requires distinct folders and an existing pricing file', () => {
    const found = issues({
      env: { AUTOD_FAILED_DIR: join(dir, 'x'), AUTOD_DUPLICATES_DIR: './x', AUTOD_PRICING_FILE: 'missing.json' },
    });
    expect(found.map((i) => i.name).sort()).toEqual(['AUTOD_DUPLICATES_DIR', 'AUTOD_PRICING_FILE']);
    expect(found.find((i) => i.name === 'AUTOD_PRICING_FILE')?.message).toMatch(/does not exist/);
  });

  it('reads and validates the pricing file: every bad entry is named, cachedInput defaults to input', () => {
    writeFileSync(
      join(dir, 'prices.json'),
      JSON.stringify({
        $schema: 'ignored',
        'my-model': { input: 1, output: 4, checkedOn: '2026-12-01', source: 'our contract' },
        'gpt-5-mini': { input: 0.2, cachedInput: 0.02, output: 1.5 },
      }),
    );
    const config = load({ env: { AUTOD_PRICING_FILE: 'prices.json' } });
    expect(config.cost.pricingFile).toBe(join(dir, 'prices.json'));
    expect(config.cost.pricingTable).toEqual({
      'my-model': { input: 1, cachedInput: 1, output: 4 },
      'gpt-5-mini': { input: 0.2, cachedInput: 0.02, output: 1.5 },
    });
    expect(load({}).cost.pricingTable).toBeUndefined();

    const bad = (content: string): string[] => {
      writeFileSync(join(dir, 'bad.json'), content);
      const found = issues({ env: { AUTOD_PRICING_FILE: 'bad.json' } });
      expect(found.every((i) => i.name === 'AUTOD_PRICING_FILE')).toBe(true);
      return found.map((i) => i.message);
    };
    expect(bad('{ not json')[0]).toMatch(/not valid JSON/);
    expect(bad('[1, 2]')[0]).toMatch(/one JSON object/);
    expect(bad('{}')[0]).toMatch(/names no model/);
    const many = bad(
      JSON.stringify({
        a: { input: -1, output: 2 },
        b: { input: '0.5', output: 2 },
        c: { input: 1 },
        d: { input: 1, output: 2, inptu: 3 },
        e: 5,
      }),
    );
    expect(many).toHaveLength(5);
    expect(many[0]).toMatch(/"a": input must be at least 0/);
    expect(many[1]).toMatch(/"b": input must be a number/);
    expect(many[2]).toMatch(/"c": output is missing/);
    expect(many[3]).toMatch(/"d": unknown field "inptu"/);
    expect(many[4]).toMatch(/"e": must be an object/);
  });

  it('names a CLI flag in its error, and dropped seed settings in a config file get their reason', () => {
    const e = failure({
      overrides: { AUTOD_CONCURRENCY: 'abc' },
      overrideNames: { AUTOD_CONCURRENCY: '--concurrency' },
    });
    expect(e.code).toBe('CFG_INVALID');
    expect(e.message).toContain('--concurrency (AUTOD_CONCURRENCY): must be a whole number (got "abc")');
    writeFileSync(join(dir, 'autod.config.json'), JSON.stringify({ BATCH_SIZE: 10 }));
    const found = issues({});
    expect(found[0]?.name).toBe('BATCH_SIZE');
    expect(found[0]?.message).toMatch(/no longer a setting .*AUTOD_CONCURRENCY/);
  });

  it('validates the file-name template', () => {
    const found = issues({ env: { AUTOD_FILE_NAME_TEMPLATE: '../{issuer}' } });
    expect(found[0]?.name).toBe('AUTOD_FILE_NAME_TEMPLATE');
    expect(issues({ env: { AUTOD_FILE_NAME_TEMPLATE: '{yyyy/{issuer}' } })[0]?.message).toMatch(/unbalanced/);
    expect(load({ env: { AUTOD_FILE_NAME_TEMPLATE: '{category}/{sha8}' } }).paths.fileNameTemplate).toBe(
      '{category}/{sha8}',
    );
  });
});

describe('every problem at once', () => {
  it('reports all problems from all sources in one error, as NAME: message (got X)', () => {
    writeFileSync(join(dir, 'autod.config.json'), JSON.stringify({ AUTOD_CONCURENCY: 3, SEARCH_MAX_TOP_K: 500 }));
    writeFileSync(join(dir, '.env'), 'AUTOD_OCR=maybe\n');
    const error = failure({
      env: { AUTOD_SERVER_PORT: '70000', AUTOD_DB_URL: 'mysql://u:pw@h/db', COST_ALERT_THRESHOLD_2: '5' },
      overrides: { AUTOD_PROVIDER: 'magic', NOT_A_SETTING: 1 },
    });
    expect(error.code).toBe('CFG_INVALID');
    const found = error.details?.issues as ConfigIssue[];
    expect(found.map(formatIssue).sort()).toEqual(
      [
        'AUTOD_CONCURENCY: unknown setting in ' +
          join(dir, 'autod.config.json') +
          ' (did you mean AUTOD_CONCURRENCY?) (got 3)',
        'NOT_A_SETTING: unknown setting (got 1)',
        'AUTOD_PROVIDER: must be one of auto, openai, local (got "magic")',
        'AUTOD_SERVER_PORT: must be between 0 and 65535 (got "70000")',
        'AUTOD_OCR: must be true/false, 1/0 or yes/no (got "maybe")',
        'SEARCH_MAX_TOP_K: must be between 1 and 100 (got 500)',
        'AUTOD_DB_URL: uses an unsupported database "mysql": use a SQLite file path, sqlite:<path> or postgres://… (got "mysql://u:***@h/db")',
        'COST_ALERT_THRESHOLD_2: must be greater than COST_ALERT_THRESHOLD_1 (10) (got "5")',
      ].sort(),
    );
    expect(error.message).toMatch(/^Invalid configuration \(8 problems\):/);
    for (const issue of found) expect(error.message).toContain(formatIssue(issue));
    expect(found.find((i) => i.name === 'AUTOD_OCR')?.source).toBe('envFile');
    expect(found.find((i) => i.name === 'AUTOD_PROVIDER')?.source).toBe('override');
  });

  it('names the alias the user wrote', () => {
    expect(issues({ env: { MAX_WORKERS: '0' } })[0]?.name).toBe('MAX_WORKERS');
  });
});

describe('provider selection', () => {
  it('auto resolves to openai with a key and local without', () => {
    expect(load().app.provider).toBe('local');
    const c = load({ env: { OPENAI_API_KEY: KEY } });
    expect(c.app.provider).toBe('openai');
    expect(c.openai.apiKey).toBe(KEY);
  });

  it('local stays local even with a key; openai without a key is a problem', () => {
    expect(load({ env: { OPENAI_API_KEY: KEY, AUTOD_PROVIDER: 'local' } }).app.provider).toBe('local');
    expect(issues({ env: { AUTOD_PROVIDER: 'openai' } }).map(formatIssue)).toEqual([
      'OPENAI_API_KEY: is required when AUTOD_PROVIDER=openai (set it, or use AUTOD_PROVIDER=local) (got nothing)',
    ]);
  });

  it('checks the key length and model allow-list only against the real OpenAI API', () => {
    const found = issues({ env: { OPENAI_API_KEY: 'short', OPENAI_MODEL: 'gpt-4o', OPENAI_EMBEDDING_MODEL: 'nomic' } });
    expect(found.map((i) => i.name).sort()).toEqual(['OPENAI_API_KEY', 'OPENAI_EMBEDDING_MODEL', 'OPENAI_MODEL']);
    const c = load({
      env: {
        OPENAI_API_KEY: 'short',
        OPENAI_MODEL: 'llama3',
        OPENAI_EMBEDDING_MODEL: 'nomic',
        OPENAI_BASE_URL: 'http://127.0.0.1:4010/v1',
      },
    });
    expect(c.openai.model).toBe('llama3');
    expect(c.app.provider).toBe('openai');
  });

  it('accepts every allowed model and dated snapshots', () => {
    for (const model of ['gpt-5', 'gpt-5-mini', 'gpt-5-nano', 'gpt-5-pro', 'gpt-4.1', 'gpt-5-mini-2025-08-07']) {
      expect(load({ env: { OPENAI_MODEL: model } }).openai.model).toBe(model);
    }
    expect(issues({ env: { OPENAI_MODEL: 'gpt-4o-mini' } })[0]?.name).toBe('OPENAI_MODEL');
  });

  it('caps the embedding dimension by model', () => {
    expect(issues({ env: { EMBEDDING_DIMENSION: '3072' } })[0]?.message).toMatch(/at most 1536/);
    expect(
      load({ env: { EMBEDDING_DIMENSION: '3072', OPENAI_EMBEDDING_MODEL: 'text-embedding-3-large' } }).embeddings
        .dimension,
    ).toBe(3072);
    expect(issues({ env: { EMBEDDING_DIMENSION: '512', EMBEDDING_MODEL: 'text-embedding-ada-002' } })[0]?.name).toBe(
      'EMBEDDING_DIMENSION',
    );
  });
});

describe('paths and databases', () => {
  it('resolves folders against cwd, defaulting under AUTOD_DATA_DIR', () => {
    const c = load({ env: { AUTOD_DATA_DIR: 'data', AUTOD_FAILED_DIR: '/var/autod/failed' } });
    expect(c.app.dataDir).toBe(join(dir, 'data'));
    expect(c.paths.inbox).toBe(join(dir, 'data/inbox'));
    expect(c.paths.processed).toBe(join(dir, 'data/processed'));
    expect(c.paths.duplicates).toBe(join(dir, 'data/duplicates'));
    expect(c.paths.failed).toBe('/var/autod/failed');
    expect(c.vectorStore.cacheFile).toBe(join(dir, 'data/vector-store-id'));
    expect(c.db).toEqual({
      client: 'sqlite',
      url: `sqlite:${join(dir, 'data/autod.sqlite')}`,
      filename: join(dir, 'data/autod.sqlite'),
      sqliteDriver: 'better-sqlite3',
    });
    expect(load().app.dataDir).toBe(join(dir, 'autod-data'));
  });

  it('expands ~ and resolves the seed inbox alias', () => {
    const c = load({ env: { PAPER_AUTOPILOT_INBOX_PATH: '~/Paper/Inbox', AUTOD_LOG_FILE: 'logs/autod.log' } });
    expect(c.paths.inbox).toBe(join(homedir(), 'Paper/Inbox'));
    expect(c.logging.file).toBe(join(dir, 'logs/autod.log'));
  });

  it('uses cwd from the options for .env lookup too', () => {
    const sub = join(dir, 'sub');
    mkdirSync(sub);
    writeFileSync(join(sub, '.env'), 'AUTOD_DATA_DIR=d\n');
    expect(loadConfig({ env: {}, cwd: sub }).paths.inbox).toBe(join(sub, 'd/inbox'));
  });

  it('takes postgres URLs and keeps the password out of errors', () => {
    const c = load({ env: { AUTOD_DB_URL: 'postgresql+psycopg2://app:s3cret@db:5432/autod' } });
    expect(c.db.client).toBe('postgres');
    expect(c.db.url).toBe('postgres://app:s3cret@db:5432/autod');
    expect(c.db.filename).toBeUndefined();
    const error = failure({ env: { AUTOD_DB_URL: 'mssql://app:s3cret@db/autod' } });
    expect(error.message).not.toContain('s3cret');
    expect(JSON.stringify(error.details)).not.toContain('s3cret');
  });
});
