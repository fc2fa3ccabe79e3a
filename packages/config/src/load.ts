import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError } from '@autod/errors';
import { parse as parseDotenv } from 'dotenv';
import {
  ALLOWED_MODELS,
  EMBEDDING_MODELS,
  SETTINGS,
  configSchema,
  type Config,
  type SettingEntry,
  type SettingMeta,
} from './settings.js';
import { readPricingFile } from './pricing-file.js';
import { DROPPED_SETTINGS } from './dropped.js';
import { parseDbUrl, redactUrl, resolvePath, type DbTarget } from './urls.js';

export interface LoadConfigOptions {
  /** Environment variables (default `process.env`); never mutated. */
  env?: Record<string, string | undefined>;
  /** Base for relative paths and the default `.env` / `autod.config.json` (default `process.cwd()`). */
  cwd?: string;
  /** Highest-priority values (CLI flags), keyed by env var name, e.g. `{ AUTOD_CONCURRENCY: 8 }`. */
  overrides?: Record<string, unknown>;
  /**
   * How to name an override in error messages, keyed by env var name, e.g. `{ AUTOD_CONCURRENCY: '--concurrency' }`:
   * a bad flag is then reported as `--concurrency (AUTOD_CONCURRENCY): must be a whole number (got "abc")`.
   */
  overrideNames?: Record<string, string>;
  /** JSON file with flat env-var-name keys. Default: `AUTOD_CONFIG_FILE`, else `<cwd>/autod.config.json` if present. */
  configFile?: string;
  /** `.env` file; default `<cwd>/.env` if present; `false` to skip. */
  envFile?: string | false;
}

/** Where a value came from, highest priority first. */
export type ConfigSource = 'override' | 'env' | 'envFile' | 'configFile' | 'default';

/** One problem found while loading; `got` is already redacted. */
export interface ConfigIssue {
  /** The variable name as the user wrote it (an alias when an alias was used). */
  readonly name: string;
  readonly message: string;
  readonly got: string;
  readonly source?: ConfigSource;
}

const SOURCE_LABEL: Record<ConfigSource, string> = {
  override: 'command line',
  env: 'environment',
  envFile: '.env file',
  configFile: 'config file',
  default: 'default',
};

type Lookup = (name: string) => unknown;

interface Raw {
  readonly value: unknown;
  readonly source: ConfigSource;
  readonly name: string;
}

const BY_NAME: ReadonlyMap<string, SettingEntry> = new Map(
  SETTINGS.flatMap((e) => [e.meta.env, ...(e.meta.aliases ?? [])].map((n) => [n, e] as const)),
);

/** Upper-cases keys (names are case-insensitive like the seed's); an exact upper-case key wins. */
function caseInsensitive(record: Record<string, string | undefined>): Lookup {
  const map = new Map<string, string>();
  for (const [k, v] of Object.entries(record)) {
    if (v === undefined) continue;
    const upper = k.toUpperCase();
    if (k === upper || !map.has(upper)) map.set(upper, v);
  }
  return (name) => map.get(name);
}

function exact(record: Record<string, unknown>): Lookup {
  return (name) => (Object.hasOwn(record, name) ? record[name] : undefined);
}

function isUnset(v: unknown): boolean {
  return v === undefined || v === null || (typeof v === 'string' && v.trim() === '');
}

function readText(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (cause) {
    throw new ConfigError('CFG_FILE_UNREADABLE', `Cannot read the ${what} ${file}.`, {
      cause,
      details: { file },
    });
  }
}

function readConfigFile(file: string): Record<string, unknown> {
  const text = readText(file, 'config file');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new ConfigError('CFG_FILE_UNREADABLE', `The config file ${file} is not valid JSON.`, {
      cause,
      details: { file },
    });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(
      'CFG_FILE_UNREADABLE',
      `The config file ${file} must hold one JSON object whose keys are setting names (e.g. {"AUTOD_CONCURRENCY": 8}).`,
      { details: { file } },
    );
  }
  return parsed as Record<string, unknown>;
}

// ---------------------------------------------------------------------------------------------
// coercion of raw strings / JSON values into each setting's type

type Coerced = { ok: true; value: unknown } | { ok: false; message: string };

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const TRUE = new Set(['true', '1', 'yes', 'y', 'on']);
const FALSE = new Set(['false', '0', 'no', 'n', 'off']);

function coerce(meta: SettingMeta, raw: unknown): Coerced {
  switch (meta.kind) {
    case 'int':
    case 'number': {
      if (typeof raw === 'number') return { ok: true, value: raw };
      if (typeof raw === 'string' && NUMBER.test(raw.trim())) return { ok: true, value: Number(raw.trim()) };
      return { ok: false, message: meta.kind === 'int' ? 'must be a whole number' : 'must be a number' };
    }
    case 'boolean': {
      if (typeof raw === 'boolean') return { ok: true, value: raw };
      const s = String(raw).trim().toLowerCase();
      if ((typeof raw === 'string' || typeof raw === 'number') && TRUE.has(s)) return { ok: true, value: true };
      if ((typeof raw === 'string' || typeof raw === 'number') && FALSE.has(s)) return { ok: true, value: false };
      return { ok: false, message: 'must be true/false, 1/0 or yes/no' };
    }
    case 'list': {
      if (Array.isArray(raw) && raw.every((x) => typeof x === 'string')) {
        return { ok: true, value: raw.map((x) => x.trim()).filter((x) => x !== '') };
      }
      if (typeof raw === 'string') {
        return {
          ok: true,
          value: raw
            .split(',')
            .map((x) => x.trim())
            .filter((x) => x !== ''),
        };
      }
      return { ok: false, message: 'must be a comma-separated list' };
    }
    default: {
      if (typeof raw === 'string') {
        const s = raw.trim();
        return { ok: true, value: meta.kind === 'enum' ? s.toLowerCase() : s };
      }
      if (typeof raw === 'number' || typeof raw === 'boolean') return { ok: true, value: String(raw) };
      return { ok: false, message: 'must be a string' };
    }
  }
}

/** Show a raw value in an error, never revealing a secret. */
function showValue(meta: SettingMeta | undefined, raw: unknown): string {
  if (raw === undefined) return 'nothing';
  if (meta?.secret) return '***';
  let text: string;
  if (typeof raw === 'string') text = meta?.urlCredentials || meta?.kind === 'dbUrl' ? redactUrl(raw) : raw;
  else {
    try {
      text = JSON.stringify(raw) ?? typeof raw;
    } catch {
      text = typeof raw;
    }
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  }
  if (text.length > 80) text = `${text.slice(0, 77)}...`;
  return JSON.stringify(text);
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}

function suggestion(name: string): string {
  let best: string | undefined;
  let bestD = 4;
  for (const known of BY_NAME.keys()) {
    const d = distance(name.toUpperCase(), known);
    if (d < bestD) {
      bestD = d;
      best = known;
    }
  }
  return best ? ` (did you mean ${best}?)` : '';
}

// ---------------------------------------------------------------------------------------------

const MODEL_PATTERN = new RegExp(
  `^(${ALLOWED_MODELS.map((m) => m.replace('.', '\\.')).join('|')})(-\\d{4}-\\d{2}-\\d{2})?$`,
);

/**
 * Build the configuration from CLI overrides > environment > `.env` > `autod.config.json` > defaults.
 * Throws `ConfigError('CFG_INVALID')` listing every problem as `NAME: message (got X)`;
 * `details.issues` holds them as {@link ConfigIssue}s. Secrets never appear in the error.
 */
export function loadConfig(options: LoadConfigOptions = {}): Config {
  const cwd = resolve(options.cwd ?? process.cwd());
  const envRecord = options.env ?? process.env;
  const env = caseInsensitive(envRecord);
  const issues: ConfigIssue[] = [];

  // .env
  let envFile: Lookup = () => undefined;
  if (options.envFile !== false) {
    const file = options.envFile === undefined ? resolve(cwd, '.env') : resolvePath(options.envFile, cwd);
    if (options.envFile !== undefined || existsSync(file)) {
      envFile = caseInsensitive(parseDotenv(readText(file, '.env file')));
    }
  }

  // autod.config.json (flat keys = env var names)
  let configFile: Lookup = () => undefined;
  const explicitConfig =
    options.configFile ?? (isUnset(env('AUTOD_CONFIG_FILE')) ? undefined : String(env('AUTOD_CONFIG_FILE')));
  const configPath =
    explicitConfig === undefined ? resolve(cwd, 'autod.config.json') : resolvePath(explicitConfig, cwd);
  if (explicitConfig !== undefined || existsSync(configPath)) {
    const record = readConfigFile(configPath);
    for (const [key, value] of Object.entries(record)) {
      if (key === '$schema' || BY_NAME.has(key)) continue;
      const dropped = DROPPED_SETTINGS[key.toUpperCase()];
      issues.push({
        name: key,
        message: dropped
          ? `is no longer a setting (remove it from ${configPath}): ${dropped}`
          : `unknown setting in ${configPath}${suggestion(key)}`,
        got: showValue(undefined, value),
        source: 'configFile',
      });
    }
    configFile = exact(record);
  }

  const overrides = options.overrides ?? {};
  for (const [key, value] of Object.entries(overrides)) {
    if (BY_NAME.has(key)) continue;
    issues.push({
      name: key,
      message: `unknown setting${suggestion(key)}`,
      got: showValue(undefined, value),
      source: 'override',
    });
  }

  const sources: readonly [ConfigSource, Lookup][] = [
    ['override', exact(overrides)],
    ['env', env],
    ['envFile', envFile],
    ['configFile', configFile],
  ];

  const flagName = (env: string): string => {
    const flag = options.overrideNames?.[env];
    return flag ? `${flag} (${env})` : env;
  };
  const find = (meta: SettingMeta): Raw | undefined => {
    for (const [source, lookup] of sources) {
      for (const name of [meta.env, ...(meta.aliases ?? [])]) {
        const value = lookup(name);
        if (!isUnset(value)) return { value, source, name: source === 'override' ? flagName(name) : name };
      }
    }
    return undefined;
  };

  /** Resolved values by primary env name; `undefined` = unset or invalid. */
  const values = new Map<string, unknown>();
  /** The name the user wrote, for messages. */
  const usedName = new Map<string, string>();
  const rawOf = new Map<string, Raw>();
  const failed = new Set<string>();

  const fail = (meta: SettingMeta, message: string, raw?: Raw): void => {
    failed.add(meta.env);
    values.delete(meta.env);
    issues.push({
      name: raw?.name ?? usedName.get(meta.env) ?? meta.env,
      message,
      got: showValue(meta, raw?.value ?? rawOf.get(meta.env)?.value),
      ...(raw ? { source: raw.source } : {}),
    });
  };

  const accept = (entry: SettingEntry, raw: Raw): void => {
    const { meta } = entry;
    usedName.set(meta.env, raw.name);
    rawOf.set(meta.env, raw);
    const coerced = coerce(meta, raw.value);
    if (!coerced.ok) {
      fail(meta, coerced.message, raw);
      return;
    }
    if (meta.kind === 'dbUrl') {
      const target = typeof coerced.value === 'string' ? parseDbUrl(coerced.value, cwd) : { error: 'must be a string' };
      if ('error' in target) fail(meta, target.error, raw);
      else values.set(meta.env, target);
      return;
    }
    const parsed = (meta.input ?? entry.schema).safeParse(coerced.value);
    if (!parsed.success) {
      const messages = [...new Set(parsed.error.issues.map((i) => i.message))];
      fail(meta, messages.join('; '), raw);
      return;
    }
    const value = meta.kind === 'path' && typeof parsed.data === 'string' ? resolvePath(parsed.data, cwd) : parsed.data;
    values.set(meta.env, value);
  };

  // 1. everything with an explicit value or a fixed default
  const derived: SettingEntry[] = [];
  for (const entry of SETTINGS) {
    const raw = find(entry.meta);
    if (raw) accept(entry, raw);
    else if (entry.meta.defaultFrom) derived.push(entry);
    else if (entry.meta.default !== undefined)
      accept(entry, { value: entry.meta.default, source: 'default', name: entry.meta.env });
  }
  // 2. defaults computed from other settings (e.g. <dataDir>/inbox)
  const get = (name: string): unknown => values.get(name);
  for (const entry of derived) {
    const value = entry.meta.defaultFrom?.compute(get);
    if (value !== undefined) accept(entry, { value, source: 'default', name: entry.meta.env });
  }

  crossCheck(values, failed, fail);

  let pricingTable: Record<string, unknown> | undefined;
  const pricingFile = values.get('AUTOD_PRICING_FILE');
  if (typeof pricingFile === 'string') {
    const read = readPricingFile(pricingFile);
    if ('table' in read) pricingTable = read.table;
    else {
      const meta = BY_NAME.get('AUTOD_PRICING_FILE')!.meta;
      for (const problem of read.problems) fail(meta, problem, rawOf.get(meta.env));
    }
  }

  if (issues.length > 0) throw invalid(issues);

  const provider =
    values.get('AUTOD_PROVIDER') === 'auto'
      ? values.get('OPENAI_API_KEY')
        ? 'openai'
        : 'local'
      : values.get('AUTOD_PROVIDER');
  const nested: Record<string, unknown> = {};
  for (const entry of SETTINGS) {
    const value = entry.meta.env === 'AUTOD_PROVIDER' ? provider : values.get(entry.meta.env);
    if (entry.meta.kind === 'dbUrl') {
      const db = value as DbTarget;
      setPath(nested, ['db', 'url'], db.url);
      setPath(nested, ['db', 'client'], db.client);
      if ('filename' in db) setPath(nested, ['db', 'filename'], db.filename);
      continue;
    }
    setPath(nested, entry.path, value);
  }
  if (pricingTable) setPath(nested, ['cost', 'pricingTable'], pricingTable);
  const final = configSchema.safeParse(nested);
  if (!final.success) {
    throw invalid(
      final.error.issues.map((i) => ({ name: i.path.join('.'), message: i.message, got: 'an internal value' })),
    );
  }
  return deepFreeze(final.data);
}

function invalid(issues: readonly ConfigIssue[]): ConfigError {
  const lines = issues.map((i) => `  ${formatIssue(i)}`);
  return new ConfigError(
    'CFG_INVALID',
    `Invalid configuration (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n${lines.join('\n')}`,
    { details: { issues: issues.map((i) => ({ ...i, sourceLabel: i.source ? SOURCE_LABEL[i.source] : undefined })) } },
  );
}

/** `NAME: message (got X)` */
export function formatIssue(issue: ConfigIssue): string {
  return `${issue.name}: ${issue.message} (got ${issue.got})`;
}

function crossCheck(
  values: Map<string, unknown>,
  failed: ReadonlySet<string>,
  fail: (meta: SettingMeta, message: string) => void,
): void {
  const meta = (name: string): SettingMeta => BY_NAME.get(name)!.meta;
  const num = (name: string): number | undefined => {
    const v = values.get(name);
    return typeof v === 'number' ? v : undefined;
  };
  const str = (name: string): string | undefined => {
    const v = values.get(name);
    return typeof v === 'string' ? v : undefined;
  };
  const baseUrl = str('OPENAI_BASE_URL');
  const customServer = baseUrl !== undefined || failed.has('OPENAI_BASE_URL');

  const key = str('OPENAI_API_KEY');
  if (values.get('AUTOD_PROVIDER') === 'openai' && key === undefined && !failed.has('OPENAI_API_KEY')) {
    fail(meta('OPENAI_API_KEY'), 'is required when AUTOD_PROVIDER=openai (set it, or use AUTOD_PROVIDER=local)');
  }
  if (key !== undefined && !customServer && key.length < 20) {
    fail(
      meta('OPENAI_API_KEY'),
      'is too short for an OpenAI API key (at least 20 characters); set OPENAI_BASE_URL to use a compatible server with other keys',
    );
  }

  const model = str('OPENAI_MODEL');
  if (model !== undefined && !customServer && !MODEL_PATTERN.test(model)) {
    fail(
      meta('OPENAI_MODEL'),
      `is not an allowed model: use one of ${ALLOWED_MODELS.join(', ')} (gpt-4o and chat-completions models are not supported)`,
    );
  }
  const embeddingModel = str('OPENAI_EMBEDDING_MODEL');
  if (embeddingModel !== undefined && !customServer) {
    if (!Object.hasOwn(EMBEDDING_MODELS, embeddingModel)) {
      fail(meta('OPENAI_EMBEDDING_MODEL'), `must be one of ${Object.keys(EMBEDDING_MODELS).join(', ')}`);
    } else {
      const max = EMBEDDING_MODELS[embeddingModel as keyof typeof EMBEDDING_MODELS];
      const dim = num('EMBEDDING_DIMENSION');
      if (dim !== undefined && dim > max) {
        fail(meta('EMBEDDING_DIMENSION'), `must be at most ${max} for ${embeddingModel}`);
      } else if (dim !== undefined && embeddingModel === 'text-embedding-ada-002' && dim !== max) {
        fail(meta('EMBEDDING_DIMENSION'), `must be 1536 for text-embedding-ada-002 (its size is fixed)`);
      }
    }
  }

  const t1 = num('COST_ALERT_THRESHOLD_1');
  const t2 = num('COST_ALERT_THRESHOLD_2');
  const t3 = num('COST_ALERT_THRESHOLD_3');
  if (t1 !== undefined && t2 !== undefined && !(t2 > t1)) {
    fail(meta('COST_ALERT_THRESHOLD_2'), `must be greater than COST_ALERT_THRESHOLD_1 (${t1})`);
  }
  if (t2 !== undefined && t3 !== undefined && !(t3 > t2)) {
    fail(meta('COST_ALERT_THRESHOLD_3'), `must be greater than COST_ALERT_THRESHOLD_2 (${t2})`);
  }

  const topK = num('SEARCH_DEFAULT_TOP_K');
  const maxTopK = num('SEARCH_MAX_TOP_K');
  if (topK !== undefined && maxTopK !== undefined && topK > maxTopK) {
    fail(meta('SEARCH_DEFAULT_TOP_K'), `must not exceed SEARCH_MAX_TOP_K (${maxTopK})`);
  }

  const initial = num('AUTOD_RETRY_INITIAL_MS');
  const maxDelay = num('AUTOD_RETRY_MAX_DELAY_MS');
  if (initial !== undefined && maxDelay !== undefined && initial > maxDelay) {
    fail(meta('AUTOD_RETRY_INITIAL_MS'), `must not exceed AUTOD_RETRY_MAX_DELAY_MS (${maxDelay})`);
  }

  const daily = num('AUTOD_BUDGET_DAILY_USD');
  const monthly = num('AUTOD_BUDGET_MONTHLY_USD');
  if (daily !== undefined && monthly !== undefined && daily > monthly) {
    fail(meta('AUTOD_BUDGET_DAILY_USD'), `must not exceed AUTOD_BUDGET_MONTHLY_USD (${monthly})`);
  }

  const to = values.get('AUTOD_ALERT_EMAIL_TO');
  if (Array.isArray(to) && to.length > 0) {
    for (const name of ['AUTOD_ALERT_EMAIL_FROM', 'AUTOD_ALERT_EMAIL_SMTP_HOST']) {
      if (values.get(name) === undefined && !failed.has(name)) {
        fail(meta(name), 'is required when AUTOD_ALERT_EMAIL_TO is set');
      }
    }
  }

  const dirs = ['AUTOD_INBOX_DIR', 'AUTOD_PROCESSED_DIR', 'AUTOD_FAILED_DIR', 'AUTOD_DUPLICATES_DIR'];
  const seen = new Map<string, string>();
  for (const name of dirs) {
    const dir = str(name);
    if (dir === undefined) continue;
    const other = seen.get(dir);
    if (other) fail(meta(name), `must be a different folder from ${other}`);
    else seen.set(dir, name);
  }
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next === 'object' && next !== null) node = next as Record<string, unknown>;
    else {
      const created: Record<string, unknown> = {};
      node[key] = created;
      node = created;
    }
  }
  const last = path[path.length - 1];
  if (last !== undefined && value !== undefined) node[last] = value;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
