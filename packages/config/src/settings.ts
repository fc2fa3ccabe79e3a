/**
 * The one table of settings. Every leaf of `configSchema` that can be set from outside is a
 * zod schema registered in `settingsRegistry` with its env var name, default, description and
 * flags; `describeSettings()`, the loader, the docs and `.env.example` are all driven by it.
 */
import { z } from 'zod';

export type SettingKind = 'string' | 'int' | 'number' | 'boolean' | 'enum' | 'list' | 'url' | 'path' | 'dbUrl';

export type SettingValue = string | number | boolean | readonly string[];

/** Reads an already-resolved setting by env var name (used by derived defaults). */
export type SettingGetter = (env: string) => unknown;

export interface SettingMeta {
  /** The env var name (also the key in autod.config.json and in `overrides`). */
  readonly env: string;
  /** Other accepted names, lowest priority first is irrelevant: the primary name always wins. */
  readonly aliases?: readonly string[];
  readonly kind: SettingKind;
  readonly description: string;
  /** A fixed default (in the config's own type). */
  readonly default?: SettingValue;
  /** A default computed from other settings, e.g. `<dataDir>/inbox`. */
  readonly defaultFrom?: {
    readonly display: string;
    readonly compute: (get: SettingGetter) => SettingValue | undefined;
  };
  /** Never printed: redacted to `***set***` in printouts and `***` in errors. */
  readonly secret?: boolean;
  /** A URL that may carry a password in its user-info part (redacted). */
  readonly urlCredentials?: boolean;
  /** Human text for the allowed values, e.g. `1–100`. */
  readonly allowed?: string;
  /** Validation of the raw (coerced) input when it differs from the config leaf's type. */
  readonly input?: z.ZodType;
  /** How this relates to the seed system (Paper Autopilot). */
  readonly seed?: { readonly field: string; readonly default?: string; readonly note?: string };
}

/** Metadata of every registered leaf schema (a plain WeakMap: zod's registries rewrite meta types). */
export const settingsRegistry = new WeakMap<z.ZodType, SettingMeta>();

function setting<T extends z.ZodType>(schema: T, meta: SettingMeta): T {
  settingsRegistry.set(schema, meta);
  return schema;
}

const rangeText = (min: number, max: number): string =>
  max === Number.POSITIVE_INFINITY ? `≥ ${min}` : `${min}–${max}`;
const rangeMessage = (min: number, max: number): string =>
  max === Number.POSITIVE_INFINITY ? `must be at least ${min}` : `must be between ${min} and ${max}`;

type Meta = Omit<SettingMeta, 'kind'>;

function int(min: number, max: number, meta: Meta) {
  return setting(
    z
      .number({ error: 'must be a number' })
      .int({ error: 'must be a whole number' })
      .min(min, { error: rangeMessage(min, max) })
      .max(max, { error: rangeMessage(min, max) }),
    { allowed: rangeText(min, max), ...meta, kind: 'int' },
  );
}

function num(min: number, max: number, meta: Meta) {
  return setting(
    z
      .number({ error: 'must be a number' })
      .min(min, { error: rangeMessage(min, max) })
      .max(max, { error: rangeMessage(min, max) }),
    { allowed: rangeText(min, max), ...meta, kind: 'number' },
  );
}

function optNum(min: number, max: number, meta: Meta) {
  return setting(
    z
      .number({ error: 'must be a number' })
      .min(min, { error: rangeMessage(min, max) })
      .max(max, { error: rangeMessage(min, max) })
      .optional(),
    { allowed: rangeText(min, max), ...meta, kind: 'number' },
  );
}

function bool(meta: Meta) {
  return setting(z.boolean({ error: 'must be true/false, 1/0 or yes/no' }), {
    allowed: 'true/false, 1/0, yes/no',
    ...meta,
    kind: 'boolean',
  });
}

function oneOf<const T extends readonly [string, ...string[]]>(values: T, meta: Meta) {
  return setting(z.enum(values, { error: `must be one of ${values.join(', ')}` }), {
    allowed: values.join(', '),
    ...meta,
    kind: 'enum',
  });
}

function str(meta: Meta) {
  return setting(z.string().min(1, { error: 'must not be empty' }), { ...meta, kind: 'string' });
}

function optStr(meta: Meta) {
  return setting(z.string().min(1, { error: 'must not be empty' }).optional(), { ...meta, kind: 'string' });
}

function path(meta: Meta) {
  return setting(z.string().min(1, { error: 'must not be empty' }), { ...meta, kind: 'path' });
}

function optPath(meta: Meta) {
  return setting(z.string().min(1, { error: 'must not be empty' }).optional(), { ...meta, kind: 'path' });
}

function isUrlWith(value: string, protocols: readonly string[]): boolean {
  try {
    const u = new URL(value);
    return protocols.includes(u.protocol) && u.hostname !== '';
  } catch {
    return false;
  }
}

function optUrl(protocols: readonly string[], meta: Meta) {
  const names = protocols.map((p) => `${p}//`).join(' or ');
  return setting(
    z
      .string()
      .refine((v) => isUrlWith(v, protocols), { error: `must be a ${names} URL` })
      .optional(),
    { allowed: `${names} URL`, ...meta, kind: 'url' },
  );
}

/** OpenAI models accepted by autod's allow-list (the seed's runtime list; dated snapshots too). */
export const ALLOWED_MODELS = ['gpt-5', 'gpt-5-mini', 'gpt-5-nano', 'gpt-5-pro', 'gpt-4.1'] as const;
/** Embedding models and the largest dimension each supports. */
export const EMBEDDING_MODELS = {
  'text-embedding-3-small': 1536,
  'text-embedding-3-large': 3072,
  'text-embedding-ada-002': 1536,
} as const;

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
/** Seed (Python) level names accepted as input. */
const LOG_LEVEL_INPUT: Readonly<Record<string, (typeof LOG_LEVELS)[number]>> = {
  trace: 'trace',
  debug: 'debug',
  info: 'info',
  warn: 'warn',
  warning: 'warn',
  error: 'error',
  fatal: 'fatal',
  critical: 'fatal',
  silent: 'silent',
};

const dataDirChild =
  (name: string) =>
  (get: SettingGetter): string | undefined => {
    const dataDir = get('AUTOD_DATA_DIR');
    return typeof dataDir === 'string' ? `${dataDir}/${name}` : undefined;
  };

const TEMPLATE_PLACEHOLDER = /\{([a-z0-9_]+)\}/g;
const fileNameTemplate = z
  .string()
  .min(1, { error: 'must not be empty' })
  .refine((v) => !v.startsWith('/') && !v.split(/[\\/]/).includes('..'), {
    error: 'must be a relative path inside the processed folder (no leading "/", no "..")',
  })
  .refine((v) => !/[{}]/.test(v.replace(TEMPLATE_PLACEHOLDER, '')), {
    error: 'has an unbalanced "{" or "}" (placeholders look like {issuer})',
  });

/** One model's prices in USD per 1M tokens, as AUTOD_PRICING_FILE holds them (after defaults). */
export const modelPriceSchema = z.object({
  input: z.number().min(0),
  cachedInput: z.number().min(0),
  output: z.number().min(0),
});
export type ModelPriceEntry = z.output<typeof modelPriceSchema>;

export const configSchema = z.object({
  app: z.object({
    /** Resolved provider: `auto` becomes `openai` when an API key is set, else `local`. */
    provider: setting(z.enum(['openai', 'local']), {
      env: 'AUTOD_PROVIDER',
      kind: 'enum',
      allowed: 'auto, openai, local',
      default: 'auto',
      input: z.enum(['auto', 'openai', 'local'], { error: 'must be one of auto, openai, local' }),
      description:
        'How metadata is extracted: openai (Responses API), local (offline rules + OCR) or auto (openai when OPENAI_API_KEY is set, else local). The config holds the resolved value.',
    }),
    environment: oneOf(['development', 'staging', 'production'], {
      env: 'ENVIRONMENT',
      default: 'development',
      description: 'Deployment environment: shown by `autod config` and carried as `environment` on every log line.',
      seed: { field: 'environment' },
    }),
    versionLabel: optStr({
      env: 'PAPER_AUTOPILOT_VERSION',
      description: 'Deployment label: logged as `deployment` in the start-up log line, next to autod’s own `version`.',
      seed: {
        field: 'paper_autopilot_version',
        default: '1.0.0',
        note: 'autod logs its real package version; this is only an extra label, unset by default.',
      },
    }),
    dataDir: path({
      env: 'AUTOD_DATA_DIR',
      default: './autod-data',
      description: 'Root of autod’s files: default home of the folders, the SQLite database and caches.',
    }),
  }),

  openai: z.object({
    apiKey: setting(z.string().optional(), {
      env: 'OPENAI_API_KEY',
      kind: 'string',
      secret: true,
      allowed: '≥ 20 characters unless OPENAI_BASE_URL is set',
      description: 'OpenAI API key. Selects the openai provider under AUTOD_PROVIDER=auto.',
      seed: {
        field: 'openai_api_key',
        default: 'required',
        note: 'optional in autod (the local provider needs no key); the ~/.OPENAI_API_KEY file fallback is dropped.',
      },
    }),
    baseUrl: optUrl(['http:', 'https:'], {
      env: 'OPENAI_BASE_URL',
      urlCredentials: true,
      description:
        'Base URL of an OpenAI-compatible server (e.g. http://127.0.0.1:4010/v1). When set, model names and key length are not checked.',
    }),
    model: str({
      env: 'OPENAI_MODEL',
      default: 'gpt-5-mini',
      allowed: `${ALLOWED_MODELS.join(', ')} (and dated snapshots); any name with OPENAI_BASE_URL`,
      description: 'Model used for metadata extraction.',
      seed: { field: 'openai_model' },
    }),
    timeoutSeconds: int(30, 600, {
      env: 'API_TIMEOUT_SECONDS',
      default: 300,
      description: 'Timeout of one OpenAI HTTP request, in seconds.',
      seed: { field: 'api_timeout_seconds' },
    }),
    maxOutputTokens: int(1000, 100000, {
      env: 'MAX_OUTPUT_TOKENS',
      default: 60000,
      description:
        'max_output_tokens sent with each extraction request (reasoning tokens included), capped at the model’s own output limit (32768 for gpt-4.1, 128000 for gpt-5 models).',
      seed: { field: 'max_output_tokens', note: 'declared but never sent by the seed; autod sends it.' },
    }),
    reasoningEffort: oneOf(['minimal', 'low', 'medium', 'high'], {
      env: 'AUTOD_REASONING_EFFORT',
      default: 'minimal',
      description:
        'reasoning.effort sent to reasoning models only (gpt-5*, o-series); never sent to gpt-4.1 and other non-reasoning models. A value the model does not take is replaced by the nearest one it does (gpt-5-pro: high; o-series: minimal → low), with a warning logged once.',
    }),
    verbosity: oneOf(['low', 'medium', 'high'], {
      env: 'AUTOD_VERBOSITY',
      default: 'low',
      description:
        'text.verbosity sent to gpt-5 models only (other models reject any value but their default, so nothing is sent to them).',
    }),
  }),

  embeddings: z.object({
    model: str({
      env: 'OPENAI_EMBEDDING_MODEL',
      aliases: ['EMBEDDING_MODEL'],
      default: 'text-embedding-3-small',
      allowed: `${Object.keys(EMBEDDING_MODELS).join(', ')}; any name with OPENAI_BASE_URL`,
      description: 'Embedding model for semantic search (openai provider).',
      seed: { field: 'embedding_model' },
    }),
    dimension: int(512, 3072, {
      env: 'EMBEDDING_DIMENSION',
      default: 1536,
      description:
        'Embedding vector size (at most the model’s native size: 1536 for -3-small/ada-002, 3072 for -3-large).',
      seed: { field: 'embedding_dimension' },
    }),
    batchSize: int(1, 100, {
      env: 'EMBEDDING_BATCH_SIZE',
      default: 100,
      description: 'Texts per embeddings request.',
      seed: { field: 'embedding_batch_size' },
    }),
  }),

  paths: z.object({
    inbox: path({
      env: 'AUTOD_INBOX_DIR',
      aliases: ['PAPER_AUTOPILOT_INBOX_PATH'],
      defaultFrom: { display: '<AUTOD_DATA_DIR>/inbox', compute: dataDirChild('inbox') },
      description: 'Folder watched for new PDFs.',
      seed: {
        field: 'PAPER_AUTOPILOT_INBOX_PATH (env, outside Config)',
        default: './inbox',
        note: 'the seed put Processed/ and Failed/ next to the inbox; autod has separate settings for each.',
      },
    }),
    processed: path({
      env: 'AUTOD_PROCESSED_DIR',
      defaultFrom: { display: '<AUTOD_DATA_DIR>/processed', compute: dataDirChild('processed') },
      description: 'Where successfully processed PDFs are filed (using AUTOD_FILE_NAME_TEMPLATE).',
    }),
    failed: path({
      env: 'AUTOD_FAILED_DIR',
      defaultFrom: { display: '<AUTOD_DATA_DIR>/failed', compute: dataDirChild('failed') },
      description: 'Where PDFs that could not be processed go, each with a <name>.error.json.',
    }),
    duplicates: path({
      env: 'AUTOD_DUPLICATES_DIR',
      defaultFrom: { display: '<AUTOD_DATA_DIR>/duplicates', compute: dataDirChild('duplicates') },
      description: 'Where exact duplicates of already processed PDFs go.',
    }),
    fileNameTemplate: setting(fileNameTemplate, {
      env: 'AUTOD_FILE_NAME_TEMPLATE',
      kind: 'string',
      default: '{yyyy}/{mm}/{date}_{issuer}_{doc_type}',
      allowed:
        'relative path with placeholders {yyyy} {mm} {dd} {date} {issuer} {doc_type} {category} {subcategory} {title} {sha8} {name}',
      description: 'Relative path (without extension) of a processed file under AUTOD_PROCESSED_DIR.',
    }),
  }),

  db: z.object({
    /** Normalised URL: `sqlite:<absolute path>`, `sqlite::memory:` or `postgres://…`. */
    url: setting(z.string().min(1), {
      env: 'AUTOD_DB_URL',
      aliases: ['PAPER_AUTOPILOT_DB_URL'],
      kind: 'dbUrl',
      urlCredentials: true,
      defaultFrom: {
        display: '<AUTOD_DATA_DIR>/autod.sqlite',
        compute: dataDirChild('autod.sqlite'),
      },
      allowed: 'a file path, sqlite:<path>, sqlite:///<path> (SQLAlchemy), sqlite::memory:, postgres://…',
      description: 'Database: a SQLite file (default) or a PostgreSQL URL. The password is redacted in every printout.',
      seed: {
        field: 'paper_autopilot_db_url',
        default: 'sqlite:///paper_autopilot.db',
        note: 'the database now lives in the data folder; SQLAlchemy sqlite:/// URLs still work.',
      },
    }),
    /** Derived from `url`. */
    client: z.enum(['sqlite', 'postgres']),
    /** Absolute SQLite file (or `:memory:`); only for the sqlite client. */
    filename: z.string().optional(),
    sqliteDriver: oneOf(['better-sqlite3', 'sqlite3'], {
      env: 'AUTOD_SQLITE_DRIVER',
      default: 'better-sqlite3',
      description: 'Node driver used for SQLite databases.',
    }),
  }),

  redis: z.object({
    url: optUrl(['redis:', 'rediss:'], {
      env: 'AUTOD_REDIS_URL',
      urlCredentials: true,
      description: 'Redis for the distributed work queue (BullMQ). Unset: single-machine mode.',
    }),
    prefix: str({
      env: 'AUTOD_REDIS_PREFIX',
      default: 'autod',
      description: 'Key prefix of the queues in Redis.',
    }),
  }),

  server: z.object({
    host: str({ env: 'AUTOD_SERVER_HOST', default: '127.0.0.1', description: 'Address the HTTP server listens on.' }),
    port: int(0, 65535, {
      env: 'AUTOD_SERVER_PORT',
      default: 8080,
      description: 'Port of the HTTP server (0 = any free port).',
    }),
    token: setting(z.string().min(16, { error: 'must be at least 16 characters' }).optional(), {
      env: 'AUTOD_SERVER_TOKEN',
      kind: 'string',
      secret: true,
      allowed: '≥ 16 characters',
      description: 'Bearer token required by every HTTP endpoint but health. The server refuses to start without it.',
    }),
    rateLimitPerMinute: int(1, 100000, {
      env: 'AUTOD_SERVER_RATE_LIMIT',
      default: 300,
      description: 'Requests per minute per client accepted by the HTTP server.',
    }),
    idleGcSeconds: int(0, 86400, {
      env: 'AUTOD_SERVER_IDLE_GC_SECONDS',
      default: 10,
      description:
        'After a burst of work, once the server has been quiet this long (at most one request a second, no document or batch in progress), it runs one full garbage collection so the memory the burst grew into goes back to the system (0 = never).',
    }),
    sessionTtlHours: num(0.01, 8760, {
      env: 'AUTOD_SESSION_TTL_HOURS',
      default: 12,
      description:
        'How long a web sign-in (session cookie) lasts, in hours from signing in; then the page asks for the token again.',
    }),
  }),

  processing: z.object({
    concurrency: int(1, 100, {
      env: 'AUTOD_CONCURRENCY',
      aliases: ['MAX_WORKERS'],
      default: 4,
      description: 'Documents processed at the same time by one process.',
      seed: {
        field: 'max_workers',
        default: '3 (range 1–20)',
        note: 'unused by the seed (processing was sequential).',
      },
    }),
    maxFileMb: int(1, 1024, {
      env: 'AUTOD_MAX_FILE_MB',
      default: 50,
      description: 'Largest accepted file (PDF or image), in MB (bigger files fail with INPUT_TOO_LARGE).',
    }),
    leaseSeconds: int(10, 86400, {
      env: 'AUTOD_LEASE_SECONDS',
      default: 300,
      description: 'How long a worker’s claim on a document lasts before another worker may retry it.',
    }),
    timeoutPerDocSeconds: int(1, 3600, {
      env: 'PROCESSING_TIMEOUT_PER_DOC',
      default: 300,
      description:
        'Deadline for one document from its claim to its result (reading, OCR, extraction), in seconds. It stops the work (PDF worker terminated, API request cancelled); a document that hits it is retried later and failed with PROCESSING_TIMEOUT after FAILED_RETRY_ATTEMPTS hits. Keep it above the slowest legitimate document at your concurrency (OCR takes ~4.5 s per page on one core, and documents share the OCR engine).',
      seed: {
        field: 'processing_timeout_per_doc',
        default: '60 (range 10–600)',
        note: 'unused by the seed; 60 s is shorter than one API call may take, so autod uses 300 (a 20-page OCR scan takes ~90 s alone on 2 cores, ~180 s when two share them).',
      },
    }),
    reviewThreshold: num(0, 1, {
      env: 'AUTOD_REVIEW_THRESHOLD',
      default: 0.8,
      description:
        'A document whose issuer, date, total, currency, invoice number, customer or due date has a confidence under this is marked needs_review (`autod review` lists them).',
    }),
    ocr: bool({
      env: 'AUTOD_OCR',
      default: true,
      description:
        'Run OCR on PDF pages without a text layer (local provider) and on images (any provider: the PDF filed for an image gets the recognised text as an invisible layer).',
    }),
    ocrLanguages: str({
      env: 'AUTOD_OCR_LANGUAGES',
      default: 'eng+deu',
      description:
        'Tesseract language codes joined by "+". Shipped offline: eng, deu, fra, spa, ita, nld, por, msa (`autod doctor` lists them). Two models read better than one even on English text (measured on real receipts), each extra one costs time (eng+deu ≈ 1.6× eng); use `eng` for speed.',
    }),
    ocrMaxPages: int(0, 10000, {
      env: 'AUTOD_OCR_MAX_PAGES',
      default: 20,
      description:
        'OCR at most this many pages of one document (long scans); the other pages keep their text layer, if any, and the count of pages left out is logged.',
    }),
    einvoice: bool({
      env: 'AUTOD_EINVOICE',
      default: true,
      description:
        'Read e-invoices exactly: a PDF carrying Factur-X/ZUGFeRD/XRechnung XML (or a bare CII/UBL .xml) is read from its XML (provider einvoice, no model, $0), cross-checked against the PDF text. Off: every document goes to the configured provider.',
    }),
    nearDuplicatePolicy: oneOf(['flag', 'file'] as const, {
      env: 'AUTOD_NEAR_DUPLICATE_POLICY',
      default: 'flag',
      description:
        'What happens to a near-duplicate (a rescan of an earlier document: other bytes, the same content): `flag` files it like any document and marks it (`near_duplicate_of`, shown by `autod show`, `autod list` as ~#<id>, `autod export`, the API); `file` also marks it but files it under <AUTOD_DUPLICATES_DIR>/near/ instead of AUTOD_PROCESSED_DIR.',
    }),
    failedRetryAttempts: int(1, 10, {
      env: 'FAILED_RETRY_ATTEMPTS',
      default: 3,
      description:
        'How many attempts at a document may end without a result — it hit PROCESSING_TIMEOUT_PER_DOC, or autod died while processing it (crash, kill -9, out of memory) — before it is moved to failed/ (PROCESSING_TIMEOUT / PROCESSING_CRASHED), so one poison file never blocks the inbox. Queue mode (`autod batch --mode queue`) also retries a job this many times after a transient failure before it is dead-lettered.',
      seed: { field: 'failed_retry_attempts', note: 'unused by the seed (failed files were never retried).' },
    }),
  }),

  watch: z.object({
    pollMs: int(50, 10000, {
      env: 'AUTOD_WATCH_POLL_MS',
      default: 200,
      description: 'How often a new file’s size is checked while waiting for it to be complete.',
    }),
    stableMs: int(100, 600000, {
      env: 'AUTOD_WATCH_STABLE_MS',
      default: 1000,
      description: 'A new file is processed once its size has not changed for this long.',
    }),
    shutdownGraceMs: int(0, 600000, {
      env: 'AUTOD_SHUTDOWN_GRACE_MS',
      default: 30000,
      description: 'How long a graceful shutdown waits for in-flight documents.',
    }),
  }),

  rateLimit: z.object({
    rpm: int(1, 100000, {
      env: 'AUTOD_RPM',
      aliases: ['RATE_LIMIT_RPM'],
      default: 60,
      description: 'OpenAI requests per minute, enforced across all workers.',
      seed: {
        field: 'rate_limit_rpm',
        default: '60 (range 1–500)',
        note: 'unused by the seed; the range is widened for higher account tiers.',
      },
    }),
    tpm: int(1000, 100000000, {
      env: 'AUTOD_TPM',
      default: 200000,
      description: 'OpenAI tokens per minute (estimated input + output), enforced across all workers.',
    }),
  }),

  retry: z.object({
    maxAttempts: int(1, 10, {
      env: 'AUTOD_RETRY_MAX_ATTEMPTS',
      aliases: ['MAX_RETRIES'],
      default: 5,
      description: 'Attempts per OpenAI call (including the first) on retryable errors.',
      seed: { field: 'max_retries', note: 'the seed ignored it and hard-coded 5.' },
    }),
    initialDelayMs: int(0, 600000, {
      env: 'AUTOD_RETRY_INITIAL_MS',
      default: 2000,
      description: 'First back-off delay; doubles each attempt (with jitter), Retry-After wins.',
    }),
    maxDelayMs: int(0, 3600000, {
      env: 'AUTOD_RETRY_MAX_DELAY_MS',
      default: 60000,
      description: 'Longest single back-off delay.',
    }),
    deadlineMs: int(1000, 86400000, {
      env: 'AUTOD_RETRY_DEADLINE_MS',
      default: 600000,
      description: 'Total time an operation may spend retrying before DEADLINE_EXCEEDED.',
    }),
  }),

  breaker: z.object({
    errorThresholdPct: int(1, 100, {
      env: 'AUTOD_BREAKER_ERROR_THRESHOLD_PCT',
      default: 50,
      description: 'Percentage of failed OpenAI calls in the window that opens the circuit breaker.',
    }),
    volumeThreshold: int(1, 10000, {
      env: 'AUTOD_BREAKER_VOLUME_THRESHOLD',
      default: 10,
      description: 'Minimum calls in the window before the breaker may open (the seed opened after 10 failures).',
    }),
    resetMs: int(1000, 3600000, {
      env: 'AUTOD_BREAKER_RESET_MS',
      default: 60000,
      description: 'How long the breaker stays open before one probe call (the seed waited 60 s).',
    }),
    windowMs: int(1000, 3600000, {
      env: 'AUTOD_BREAKER_WINDOW_MS',
      default: 60000,
      description: 'Rolling window over which failures are counted.',
    }),
  }),

  cost: z.object({
    /** Derived: the validated contents of AUTOD_PRICING_FILE (model -> USD per 1M tokens). */
    pricingTable: z.record(z.string(), modelPriceSchema).optional(),
    pricingFile: optPath({
      env: 'AUTOD_PRICING_FILE',
      description:
        'JSON file of per-model prices merged over the built-in table, USD per 1M tokens: {"my-model": {"input": 1.25, "cachedInput": 0.125, "output": 10}} (cachedInput defaults to input). Read and validated at start-up: a missing file or a bad entry is CFG_INVALID naming it.',
    }),
    promptPricePerMillion: optNum(0, Number.POSITIVE_INFINITY, {
      env: 'PROMPT_TOKEN_PRICE_PER_MILLION',
      description:
        'Price override for OPENAI_MODEL only: USD per 1M uncached input tokens. Wins over AUTOD_PRICING_FILE and the built-in table; unset: the table.',
      seed: {
        field: 'prompt_token_price_per_million',
        default: '0.15',
        note: 'the seed applied gpt-4o-mini’s price to every model; autod prices per model and only overrides when set.',
      },
    }),
    completionPricePerMillion: optNum(0, Number.POSITIVE_INFINITY, {
      env: 'COMPLETION_TOKEN_PRICE_PER_MILLION',
      description: 'Price override for OPENAI_MODEL only: USD per 1M output tokens (reasoning tokens included).',
      seed: {
        field: 'completion_token_price_per_million',
        default: '0.60',
        note: 'see PROMPT_TOKEN_PRICE_PER_MILLION.',
      },
    }),
    cachedPricePerMillion: optNum(0, Number.POSITIVE_INFINITY, {
      env: 'CACHED_TOKEN_PRICE_PER_MILLION',
      description:
        'Price override for OPENAI_MODEL only: USD per 1M cached input tokens. Unset: the table’s cached price, or the input price for a model the table does not know.',
      seed: { field: 'cached_token_price_per_million', default: '0.075', note: 'see PROMPT_TOKEN_PRICE_PER_MILLION.' },
    }),
    alertThreshold1: num(0, Number.POSITIVE_INFINITY, {
      env: 'COST_ALERT_THRESHOLD_1',
      default: 10,
      description:
        'Spend level (USD) that raises an info alert, for the UTC day’s total and for the UTC month’s total: the command whose commit crosses it alerts. Thresholds must ascend strictly.',
      seed: { field: 'cost_alert_threshold_1' },
    }),
    alertThreshold2: num(0, Number.POSITIVE_INFINITY, {
      env: 'COST_ALERT_THRESHOLD_2',
      default: 50,
      description: 'Spend level (USD, day and month totals) that raises a warning alert.',
      seed: { field: 'cost_alert_threshold_2' },
    }),
    alertThreshold3: num(0, Number.POSITIVE_INFINITY, {
      env: 'COST_ALERT_THRESHOLD_3',
      default: 100,
      description: 'Spend level (USD, day and month totals) that raises a critical alert.',
      seed: { field: 'cost_alert_threshold_3' },
    }),
    budgetDailyUsd: optNum(0, Number.POSITIVE_INFINITY, {
      env: 'AUTOD_BUDGET_DAILY_USD',
      description:
        'Hard cap on OpenAI spend per UTC day, checked before every paid call (extraction and repair answers, embeddings, Batch API jobs) against the spend ledger of all processes (settled cost plus the estimates of calls in flight). A call that would cross it is not made: the document waits (status waiting, BUDGET_EXCEEDED, file kept in the inbox, no strike) and a critical budget_exceeded alert fires; it is tried after UTC midnight or by a run with a raised cap.',
    }),
    budgetMonthlyUsd: optNum(0, Number.POSITIVE_INFINITY, {
      env: 'AUTOD_BUDGET_MONTHLY_USD',
      description:
        'Hard cap on OpenAI spend per UTC calendar month, checked like AUTOD_BUDGET_DAILY_USD (documents wait with BUDGET_EXCEEDED until the month ends or the cap is raised). Must not be below AUTOD_BUDGET_DAILY_USD.',
    }),
    maxCostPerRunUsd: optNum(0, Number.POSITIVE_INFINITY, {
      env: 'AUTOD_MAX_COST_USD',
      description:
        'Default spending cap of one batch run (`autod batch`, `POST /v1/batches`; --max-cost / maxCostUsd override it): no new item starts once the spend plus the reserved cost of the items in flight would exceed it.',
    }),
  }),

  logging: z.object({
    level: setting(z.enum(LOG_LEVELS), {
      env: 'AUTOD_LOG_LEVEL',
      aliases: ['LOG_LEVEL'],
      kind: 'enum',
      default: 'info',
      allowed: `${LOG_LEVELS.join(', ')} (case-insensitive; WARNING and CRITICAL accepted)`,
      input: z
        .string()
        .transform((v) => LOG_LEVEL_INPUT[v.toLowerCase()])
        .pipe(z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` })),
      description: 'Minimum log level.',
      seed: {
        field: 'log_level',
        default: 'INFO (DEBUG/INFO/WARNING/ERROR)',
        note: 'pino level names; the seed’s upper-case names (WARNING, CRITICAL too) are accepted.',
      },
    }),
    format: oneOf(['json', 'text'], {
      env: 'LOG_FORMAT',
      default: 'json',
      description: 'json: one JSON object per line; text: human-readable (pretty) lines.',
      seed: { field: 'log_format' },
    }),
    file: optPath({
      env: 'AUTOD_LOG_FILE',
      aliases: ['LOG_FILE'],
      description: 'Also write logs to this file (rotated). Unset: stderr only.',
      seed: {
        field: 'log_file',
        default: 'logs/paper_autopilot.log',
        note: 'logs go to stderr; a file is written only when this is set.',
      },
    }),
    maxBytes: int(1048576, Number.POSITIVE_INFINITY, {
      env: 'LOG_MAX_BYTES',
      default: 10485760,
      description: 'Size at which the log file (AUTOD_LOG_FILE) is rotated.',
      seed: { field: 'log_max_bytes' },
    }),
    backupCount: int(1, 50, {
      env: 'LOG_BACKUP_COUNT',
      default: 5,
      description: 'Rotated log files kept beside AUTOD_LOG_FILE (<file>.1 is the newest).',
      seed: { field: 'log_backup_count' },
    }),
  }),

  search: z.object({
    defaultTopK: int(1, 50, {
      env: 'SEARCH_DEFAULT_TOP_K',
      default: 5,
      description:
        'Results returned by `autod search` and `GET /v1/search` when no limit is given (at most SEARCH_MAX_TOP_K).',
      seed: { field: 'search_default_top_k' },
    }),
    maxTopK: int(1, 100, {
      env: 'SEARCH_MAX_TOP_K',
      default: 20,
      description:
        'Largest limit `autod search --limit` and `GET /v1/search?limit=` accept (more is CFG_INVALID / 400).',
      seed: { field: 'search_max_top_k' },
    }),
    relevanceThreshold: optNum(0, 1, {
      env: 'SEARCH_RELEVANCE_THRESHOLD',
      description:
        'Minimum cosine similarity of a semantic (vector) hit. Unset: the embedder’s calibrated value (0.2 for OpenAI embeddings, 0.05 for the offline lexical embedder). It filters the vector side only: full-text hits are ranked by BM25 and have no similarity, and a hybrid hit is kept when either side found it (its score is the fused rank, not a similarity). `autod search --min-similarity` overrides it.',
      seed: {
        field: 'search_relevance_threshold',
        default: '0.7',
        note: 'unset by default: 0.7 drops most relevant hits of text-embedding-3 models, whose similarities for a matching query rarely reach it.',
      },
    }),
  }),

  vectorStore: z.object({
    sync: bool({
      env: 'AUTOD_VECTOR_STORE_SYNC',
      default: false,
      description:
        'Also upload processed documents to an OpenAI vector store (File Search). Costs storage; local search works without it.',
    }),
    id: optStr({
      env: 'VECTOR_STORE_ID',
      description: 'Use this existing OpenAI vector store instead of finding/creating one by name.',
      seed: { field: 'vector_store_id', note: 'declared but unused by the seed.' },
    }),
    name: str({
      env: 'AUTOD_VECTOR_STORE_NAME',
      aliases: ['VECTOR_STORE_NAME'],
      default: 'paper_autopilot_docs',
      description: 'Name of the OpenAI vector store that is created when none is cached.',
      seed: { field: 'vector_store_name' },
    }),
    cacheFile: path({
      env: 'VECTOR_STORE_CACHE_FILE',
      defaultFrom: { display: '<AUTOD_DATA_DIR>/vector-store-id', compute: dataDirChild('vector-store-id') },
      description:
        'File caching the vector store id: written when the store is found or created, then read by every later process. A lock file beside it makes processes that start together create one store.',
      seed: { field: 'vector_store_cache_file', default: '.paper_autopilot_vs_id', note: 'kept in the data folder.' },
    }),
    uploadTimeoutSeconds: int(60, 600, {
      env: 'VECTOR_STORE_UPLOAD_TIMEOUT',
      default: 300,
      description: 'How long to wait for a vector-store file to finish indexing.',
      seed: { field: 'vector_store_upload_timeout' },
    }),
    maxConcurrentUploads: int(1, 20, {
      env: 'VECTOR_STORE_MAX_CONCURRENT_UPLOADS',
      default: 5,
      description: 'Documents one process uploads to the vector store at the same time (more wait their turn).',
      seed: { field: 'vector_store_max_concurrent_uploads' },
    }),
    maxFiles: int(1, 10000, {
      env: 'VECTOR_STORE_MAX_FILES',
      default: 10000,
      description:
        'Most documents kept in the vector store: a sync that goes over it removes the least recently synced documents from the store (they stay in local search).',
      seed: { field: 'vector_store_max_files' },
    }),
  }),

  vectorCache: z.object({
    enabled: bool({
      env: 'VECTOR_CACHE_ENABLED',
      default: true,
      description: 'Cache embeddings (memory LRU + persisted).',
      seed: { field: 'vector_cache_enabled' },
    }),
    ttlDays: int(1, 365, {
      env: 'VECTOR_CACHE_TTL_DAYS',
      default: 7,
      description: 'Age after which a cached embedding is recomputed.',
      seed: { field: 'vector_cache_ttl_days' },
    }),
    maxSizeMb: int(100, 10240, {
      env: 'VECTOR_CACHE_MAX_SIZE_MB',
      default: 1024,
      description: 'Size cap of the embedding cache.',
      seed: { field: 'vector_cache_max_size_mb' },
    }),
    hitRateTarget: num(0.5, 1, {
      env: 'VECTOR_CACHE_HIT_RATE_TARGET',
      default: 0.8,
      description:
        'Hit rate below which the `embedding_cache` check of /health/dependencies warns (judged once the cache has served 100 lookups since start).',
      seed: { field: 'vector_cache_hit_rate_target' },
    }),
  }),

  alerts: z.object({
    webhookUrl: optUrl(['http:', 'https:'], {
      env: 'AUTOD_ALERT_WEBHOOK_URL',
      urlCredentials: true,
      description: 'Generic webhook: alerts are POSTed as JSON.',
    }),
    slackWebhookUrl: setting(
      z
        .string()
        .refine((v) => isUrlWith(v, ['https:', 'http:']), { error: 'must be an http:// or https:// URL' })
        .optional(),
      {
        env: 'AUTOD_ALERT_SLACK_WEBHOOK_URL',
        kind: 'url',
        secret: true,
        allowed: 'https:// URL',
        description: 'Slack incoming-webhook URL (a secret: the URL is the credential).',
      },
    ),
    pagerdutyRoutingKey: setting(z.string().min(1).optional(), {
      env: 'AUTOD_ALERT_PAGERDUTY_ROUTING_KEY',
      kind: 'string',
      secret: true,
      description: 'PagerDuty Events v2 routing (integration) key.',
    }),
    dedupeSeconds: int(0, 86400, {
      env: 'AUTOD_ALERT_DEDUPE_SECONDS',
      default: 300,
      description: 'The same alert (component + message) is sent at most once in this window.',
    }),
    errorRatePct: num(0, 100, {
      env: 'AUTOD_ALERT_ERROR_RATE_PCT',
      default: 5,
      description: 'Alert when more than this percentage of documents fail (over 15 minutes).',
    }),
    p95Ms: int(1, 3600000, {
      env: 'AUTOD_ALERT_P95_MS',
      default: 10000,
      description: 'Alert when the P95 processing time of a document exceeds this (ms).',
    }),
    email: z.object({
      to: setting(z.array(z.email({ error: 'must be a comma-separated list of e-mail addresses' })), {
        env: 'AUTOD_ALERT_EMAIL_TO',
        kind: 'list',
        default: [],
        allowed: 'comma-separated e-mail addresses',
        description: 'Recipients of alert e-mails. Empty: no e-mail alerts.',
      }),
      from: setting(z.email({ error: 'must be an e-mail address' }).optional(), {
        env: 'AUTOD_ALERT_EMAIL_FROM',
        kind: 'string',
        description: 'Sender address of alert e-mails (required with AUTOD_ALERT_EMAIL_TO).',
      }),
      smtpHost: optStr({
        env: 'AUTOD_ALERT_EMAIL_SMTP_HOST',
        description: 'SMTP server (required with AUTOD_ALERT_EMAIL_TO).',
      }),
      smtpPort: int(1, 65535, {
        env: 'AUTOD_ALERT_EMAIL_SMTP_PORT',
        default: 587,
        description: 'SMTP port (587 for STARTTLS, 465 for implicit TLS).',
      }),
      smtpSecure: bool({
        env: 'AUTOD_ALERT_EMAIL_SMTP_SECURE',
        default: false,
        description: 'Use implicit TLS (port 465); otherwise STARTTLS when offered.',
      }),
      smtpUser: optStr({ env: 'AUTOD_ALERT_EMAIL_SMTP_USER', description: 'SMTP user name.' }),
      smtpPassword: setting(z.string().min(1).optional(), {
        env: 'AUTOD_ALERT_EMAIL_SMTP_PASSWORD',
        kind: 'string',
        secret: true,
        description: 'SMTP password.',
      }),
    }),
  }),
});

type DeepReadonly<T> = T extends readonly (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

/** The parsed configuration: a frozen object grouped by concern. */
export type Config = DeepReadonly<z.output<typeof configSchema>>;

/** One registered setting with its place in the nested config. */
export interface SettingEntry {
  readonly meta: SettingMeta;
  readonly path: readonly string[];
  readonly schema: z.ZodType;
}

function collect(schema: z.ZodObject, prefix: readonly string[], out: SettingEntry[]): void {
  for (const [key, child] of Object.entries(schema.shape)) {
    const p = [...prefix, key];
    const meta = settingsRegistry.get(child as z.ZodType);
    if (meta) out.push({ meta, path: p, schema: child as z.ZodType });
    else if (child instanceof z.ZodObject) collect(child, p, out);
  }
}

/** Every setting in schema order. */
export const SETTINGS: readonly SettingEntry[] = (() => {
  const out: SettingEntry[] = [];
  collect(configSchema, [], out);
  return out;
})();
