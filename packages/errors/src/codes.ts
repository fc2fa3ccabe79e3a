/**
 * The one catalogue of error codes. Codes are API: never rename one, only add.
 * Each code maps to a category, a default HTTP status, a CLI exit code and
 * whether it is worth retrying by default.
 */
export type ErrorCategory =
  | 'config'
  | 'validation'
  | 'input'
  | 'auth'
  | 'not_found'
  | 'conflict'
  | 'rate_limit'
  | 'upstream'
  | 'timeout'
  | 'internal';

export interface CodeInfo {
  readonly category: ErrorCategory;
  readonly httpStatus: number;
  readonly exitCode: number;
  readonly retryable: boolean;
  /** What the user should do about it. */
  readonly hint: string;
}

/** CLI exit codes by category (sysexits-inspired, stable). */
export const EXIT_CODES = {
  ok: 0,
  internal: 1,
  validation: 65, // EX_DATAERR
  input: 66, // EX_NOINPUT
  auth: 77, // EX_NOPERM
  not_found: 66,
  conflict: 73, // EX_CANTCREAT
  config: 78, // EX_CONFIG
  rate_limit: 75, // EX_TEMPFAIL
  upstream: 75,
  timeout: 75,
} as const satisfies Record<ErrorCategory | 'ok', number>;

const code = (category: ErrorCategory, httpStatus: number, retryable: boolean, hint: string): CodeInfo => ({
  category,
  httpStatus,
  exitCode: EXIT_CODES[category],
  retryable,
  hint,
});

export const ERROR_CODES = {
  // config
  CFG_INVALID: code('config', 500, false, 'Fix the listed settings (env vars, .env or autod.config.json) and retry.'),
  CFG_FILE_UNREADABLE: code('config', 500, false, 'Check that the config file exists and is valid JSON.'),
  CFG_MISSING_API_KEY: code('config', 500, false, 'Set OPENAI_API_KEY or use AUTOD_PROVIDER=local.'),
  CFG_PORT_IN_USE: code(
    'config',
    500,
    false,
    'Another program listens on that port: stop it, or choose another port with --port or AUTOD_SERVER_PORT.',
  ),
  // validation
  VALIDATION_FAILED: code('validation', 400, false, 'Correct the input so that it matches the documented schema.'),
  MODEL_OUTPUT_INVALID: code(
    'validation',
    502,
    false,
    'The model answered outside the schema twice; reprocess later or try another model.',
  ),
  // input (a bad file: permanent, never retried)
  INPUT_NOT_PDF: code('input', 415, false, 'Only PDF files are accepted; convert the file to PDF.'),
  INPUT_EMPTY: code('input', 400, false, 'The file is empty; rescan the document.'),
  INPUT_TOO_LARGE: code('input', 413, false, 'The file exceeds the size limit; split it or raise AUTOD_MAX_FILE_MB.'),
  INPUT_CORRUPT_PDF: code('input', 422, false, 'The PDF cannot be parsed; rescan or re-export it.'),
  INPUT_INVALID_EINVOICE: code(
    'input',
    422,
    false,
    'The XML file is not a readable e-invoice (CII or UBL); export it again from the sending system.',
  ),
  INPUT_ENCRYPTED_PDF: code(
    'input',
    422,
    false,
    'The PDF is password-protected; remove the password and drop it in again.',
  ),
  INPUT_NO_TEXT: code(
    'input',
    422,
    false,
    'No text could be read (no text layer and OCR found nothing); rescan at a higher resolution.',
  ),
  INPUT_UNREADABLE: code('input', 400, false, 'The file cannot be read; check its permissions.'),
  PROCESSING_CRASHED: code(
    'input',
    422,
    false,
    'autod stopped (crash, out of memory, kill -9) while processing this file several times, so it was set aside; rescan or re-export it, then drop it in again.',
  ),
  INPUT_UNSUPPORTED_TYPE: code(
    'input',
    415,
    false,
    'Only PDF and image files (JPEG, PNG, TIFF, WebP, GIF, AVIF) are accepted; convert the file to one of them.',
  ),
  INPUT_CORRUPT_IMAGE: code('input', 422, false, 'The image cannot be decoded; rescan or re-export it.'),
  // auth (a caller of autod's own HTTP API)
  UNAUTHORIZED: code('auth', 401, false, 'Send the header "Authorization: Bearer <AUTOD_SERVER_TOKEN>".'),
  SESSION_EXPIRED: code('auth', 401, false, 'Sign in again with the server token (AUTOD_SERVER_TOKEN).'),
  CSRF_REJECTED: code(
    'auth',
    403,
    false,
    "Reload the autod page and try again; changes sent from other sites or without the page's CSRF token are refused.",
  ),
  // not found
  NOT_FOUND: code('not_found', 404, false, 'Check the id or path.'),
  DOCUMENT_NOT_FOUND: code('not_found', 404, false, 'Check the document id or sha256 (autod list shows them).'),
  BATCH_NOT_FOUND: code('not_found', 404, false, 'Check the batch id (autod batch --list shows them).'),
  // conflict
  CONFLICT: code('conflict', 409, false, 'The resource is in a state that does not allow this; reload and retry.'),
  DUPLICATE_DOCUMENT: code('conflict', 409, false, 'This file was already processed; see the original document.'),
  CLAIM_HELD: code(
    'conflict',
    409,
    true,
    'Another worker is processing this file; it will be retried after the lease expires.',
  ),
  // rate limit
  RATE_LIMITED: code('rate_limit', 429, true, 'Slow down or raise the limit; autod retries automatically.'),
  BUDGET_EXCEEDED: code(
    'rate_limit',
    402,
    false,
    'The cost budget would be exceeded; raise --max-cost or AUTOD_BUDGET_* settings.',
  ),
  // upstream
  UPSTREAM_ERROR: code('upstream', 502, true, 'The model provider failed; autod retries later.'),
  UPSTREAM_UNAVAILABLE: code('upstream', 503, true, 'The model provider is unavailable; autod retries later.'),
  UPSTREAM_AUTH: code('upstream', 502, false, 'The API key was rejected; check OPENAI_API_KEY.'),
  UPSTREAM_BAD_REQUEST: code(
    'upstream',
    502,
    false,
    'The provider rejected the request; check the model name and input size.',
  ),
  CIRCUIT_OPEN: code(
    'upstream',
    503,
    true,
    'Too many upstream failures recently; autod will try again after the cool-down.',
  ),
  CONNECTION_FAILED: code('upstream', 503, true, 'Could not connect; check the network or OPENAI_BASE_URL.'),
  DB_UNAVAILABLE: code(
    'upstream',
    503,
    true,
    'The database is unreachable; check AUTOD_DB_URL and that the server runs.',
  ),
  QUEUE_UNAVAILABLE: code(
    'upstream',
    503,
    true,
    'Redis is unreachable; check AUTOD_REDIS_URL and that the server runs.',
  ),
  DB_CORRUPT: code(
    'upstream',
    503,
    false,
    'The database file is damaged; stop autod, restore it from a backup (see docs/runbook.md) or move it away to start afresh.',
  ),
  DISK_FULL: code(
    'upstream',
    507,
    true,
    'The disk is full; free space (or raise the quota) and run again: nothing was lost, unfinished files stay in the inbox.',
  ),
  SHUTTING_DOWN: code(
    'upstream',
    503,
    true,
    'autod is shutting down; retry in a moment (it finishes what it started first).',
  ),
  // timeout
  TIMEOUT: code('timeout', 504, true, 'The operation timed out; it will be retried.'),
  DEADLINE_EXCEEDED: code('timeout', 504, false, 'Retries ran out of time; try again later or raise the deadline.'),
  ABORTED: code('timeout', 499, false, 'The operation was cancelled.'),
  PROCESSING_TIMEOUT: code(
    'timeout',
    504,
    true,
    'The document took longer than PROCESSING_TIMEOUT_PER_DOC; it is tried again later and set aside after FAILED_RETRY_ATTEMPTS such attempts.',
  ),
  // internal
  INTERNAL: code('internal', 500, false, 'This is a bug in autod; please report it with the log lines around it.'),
} as const satisfies Record<string, CodeInfo>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Look up a code's catalogue entry. */
export function getCodeInfo(code: ErrorCode): CodeInfo {
  return ERROR_CODES[code];
}
