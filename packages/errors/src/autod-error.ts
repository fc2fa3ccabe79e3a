import { ERROR_CODES, type ErrorCategory, type ErrorCode } from './codes.js';

const BRAND = Symbol.for('@autod/errors:AutodError');

export interface AutodErrorOptions {
  /** The error that caused this one (kept as ES2022 `cause`). */
  cause?: unknown;
  /** Small, JSON-safe context (never secrets). */
  details?: Record<string, unknown>;
  /** Overrides the catalogue's default. */
  retryable?: boolean;
  /** Milliseconds the caller should wait before retrying (e.g. from Retry-After). */
  retryAfterMs?: number;
}

/** JSON shape used by the HTTP API, `--json` output and `<name>.error.json`. */
export interface AutodErrorJSON {
  name: string;
  code: ErrorCode;
  category: ErrorCategory;
  message: string;
  hint: string;
  retryable: boolean;
  details?: Record<string, unknown>;
  cause?: string;
}

/**
 * Base of every error autod throws on purpose. `code` is stable API;
 * `retryable` tells retry loops and the pipeline whether trying later can help.
 */
export class AutodError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly details: Record<string, unknown> | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(code: ErrorCode, message: string, options: AutodErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AutodError';
    this.code = code;
    this.retryable = options.retryable ?? ERROR_CODES[code].retryable;
    this.details = options.details;
    this.retryAfterMs = options.retryAfterMs;
    Object.defineProperty(this, BRAND, { value: true, enumerable: false });
  }

  get category(): ErrorCategory {
    return ERROR_CODES[this.code].category;
  }
  get httpStatus(): number {
    return ERROR_CODES[this.code].httpStatus;
  }
  get exitCode(): number {
    return ERROR_CODES[this.code].exitCode;
  }
  get hint(): string {
    return ERROR_CODES[this.code].hint;
  }

  toJSON(): AutodErrorJSON {
    const cause =
      this.cause instanceof Error
        ? this.cause.message
        : this.cause === undefined
          ? undefined
          : safeStringify(this.cause);
    return {
      name: this.name,
      code: this.code,
      category: this.category,
      message: this.message,
      hint: this.hint,
      retryable: this.retryable,
      ...(this.details ? { details: this.details } : {}),
      ...(cause ? { cause } : {}),
    };
  }
}

/** True for any AutodError, even one created by a second copy of this package. */
export function isAutodError(value: unknown): value is AutodError {
  if (value instanceof AutodError) return true;
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as Record<symbol, unknown>)[BRAND] === true &&
    typeof (value as { code?: unknown }).code === 'string'
  );
}

type CategoryCtor = new (code: ErrorCode, message: string, options?: AutodErrorOptions) => AutodError;

function category(name: string, fallback: ErrorCode): CategoryCtor & { readonly defaultCode: ErrorCode } {
  const C = class extends AutodError {
    static readonly defaultCode = fallback;
    constructor(code: ErrorCode, message: string, options?: AutodErrorOptions) {
      super(code, message, options);
      this.name = name;
    }
  };
  Object.defineProperty(C, 'name', { value: name });
  return C;
}

/** Bad or missing settings. */
export class ConfigError extends category('ConfigError', 'CFG_INVALID') {}
/** Data that does not match a schema (including model output). */
export class ValidationError extends category('ValidationError', 'VALIDATION_FAILED') {}
/** A bad input file (not a PDF, empty, corrupt, encrypted, too large): permanent. */
export class InputError extends category('InputError', 'INPUT_CORRUPT_PDF') {}
/** A caller of autod's HTTP API without a valid token. */
export class AuthError extends category('AuthError', 'UNAUTHORIZED') {}
export class NotFoundError extends category('NotFoundError', 'NOT_FOUND') {}
export class ConflictError extends category('ConflictError', 'CONFLICT') {}
export class RateLimitError extends category('RateLimitError', 'RATE_LIMITED') {}
/** The model provider, database or queue failed or is unavailable. */
export class UpstreamError extends category('UpstreamError', 'UPSTREAM_ERROR') {}
export class TimeoutError extends category('TimeoutError', 'TIMEOUT') {}
/** A bug: something that should never happen. */
export class InternalError extends category('InternalError', 'INTERNAL') {}

/**
 * Normalise any thrown value into an AutodError, keeping the original as `cause`.
 * AutodErrors pass through unchanged.
 */
export function toAutodError(value: unknown, fallbackCode: ErrorCode = 'INTERNAL'): AutodError {
  // A full disk or a damaged database is not a bug in autod, even when a lower layer wrapped it as one.
  if (
    isAutodError(value) &&
    !(value.code === 'INTERNAL' && (isDiskFull(value.cause) || isDatabaseCorrupt(value.cause)))
  )
    return value;
  if (isDiskFull(value)) {
    const message = value instanceof Error ? value.message : String(value);
    return new UpstreamError('DISK_FULL', `No space left on the device: ${message}`, { cause: value });
  }
  if (isDatabaseCorrupt(value)) {
    const message = value instanceof Error ? value.message : String(value);
    return new UpstreamError('DB_CORRUPT', `The database is damaged: ${message}`, { cause: value });
  }
  if (value instanceof Error) {
    if (value.name === 'AbortError') return new TimeoutError('ABORTED', value.message || 'Aborted', { cause: value });
    // DOMException from AbortSignal.timeout(): a timeout, not a user cancellation.
    if (value.name === 'TimeoutError')
      return new TimeoutError('TIMEOUT', value.message || 'Timed out', { cause: value });
    return new (ctorFor(fallbackCode))(fallbackCode, value.message, { cause: value });
  }
  const message = typeof value === 'string' ? value : safeStringify(value);
  return new (ctorFor(fallbackCode))(fallbackCode, message, { cause: value });
}

/**
 * Errno codes (and SQLite result codes) that mean "no space left": the whole disk (`ENOSPC`, `SQLITE_FULL`) or the
 * user's quota (`EDQUOT`). They are environmental and temporary, never a bug in autod or a bad document.
 */
const DISK_FULL_CODES = new Set(['ENOSPC', 'EDQUOT', 'SQLITE_FULL']);

/** True for a Node.js `ENOSPC`/`EDQUOT` error, a SQLite `SQLITE_FULL` error, or one of those as a cause. */
export function isDiskFull(value: unknown): boolean {
  for (let e: unknown = value, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && DISK_FULL_CODES.has(code)) return true;
    if (isAutodError(e) && e.code === 'DISK_FULL') return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/** SQLite's "database disk image is malformed" / "file is not a database", PostgreSQL's data/index corruption. */
const CORRUPT_CODES = new Set(['SQLITE_CORRUPT', 'SQLITE_NOTADB', 'XX001', 'XX002']);

/** True for an error (or a cause chain holding one) that says the database file or its data is damaged. */
export function isDatabaseCorrupt(value: unknown): boolean {
  for (let e: unknown = value, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (CORRUPT_CODES.has(code) || code.startsWith('SQLITE_CORRUPT'))) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

const CTORS: Record<ErrorCategory, CategoryCtor> = {
  config: ConfigError,
  validation: ValidationError,
  input: InputError,
  auth: AuthError,
  not_found: NotFoundError,
  conflict: ConflictError,
  rate_limit: RateLimitError,
  upstream: UpstreamError,
  timeout: TimeoutError,
  internal: InternalError,
};

/** The category class for a code, e.g. `errorFor('INPUT_EMPTY', 'empty file')` is an InputError. */
export function errorFor(code: ErrorCode, message: string, options?: AutodErrorOptions): AutodError {
  return new (ctorFor(code))(code, message, options);
}

function ctorFor(code: ErrorCode): CategoryCtor {
  return CTORS[ERROR_CODES[code].category];
}

function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
