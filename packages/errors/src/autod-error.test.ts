import { describe, expect, it } from 'vitest';
import {
  AuthError,
  AutodError,
  ConfigError,
  ConflictError,
  InputError,
  InternalError,
  NotFoundError,
  RateLimitError,
  TimeoutError,
  UpstreamError,
  ValidationError,
  errorFor,
  isAutodError,
  isDatabaseCorrupt,
  isDiskFull,
  toAutodError,
} from './autod-error.js';
import { ERROR_CODES, EXIT_CODES, getCodeInfo, type ErrorCategory, type ErrorCode } from './codes.js';

const codes = Object.keys(ERROR_CODES) as ErrorCode[];
const classes: Record<ErrorCategory, new (...args: never[]) => AutodError> = {
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

describe('code catalogue', () => {
  it.each(codes)('%s has a category, an HTTP status, an exit code and a hint', (code) => {
    const info = getCodeInfo(code);
    expect(Object.keys(classes)).toContain(info.category);
    expect(info.httpStatus).toBeGreaterThanOrEqual(400);
    expect(info.httpStatus).toBeLessThan(600);
    expect(info.exitCode).toBe(EXIT_CODES[info.category]);
    expect(info.exitCode).toBeGreaterThan(0);
    expect(typeof info.retryable).toBe('boolean');
    expect(info.hint.length).toBeGreaterThan(10);
  });

  it('uses SCREAMING_SNAKE codes and covers every category', () => {
    for (const code of codes) expect(code).toMatch(/^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/);
    expect(new Set(codes.map((c) => ERROR_CODES[c].category))).toEqual(new Set(Object.keys(classes)));
  });

  it('marks input problems permanent and upstream outages retryable', () => {
    for (const code of codes.filter((c) => ERROR_CODES[c].category === 'input'))
      expect(ERROR_CODES[code].retryable).toBe(false);
    expect(ERROR_CODES.UPSTREAM_UNAVAILABLE.retryable).toBe(true);
    expect(ERROR_CODES.RATE_LIMITED.httpStatus).toBe(429);
  });
});

describe('errorFor', () => {
  it.each(codes)('%s builds the class of its category', (code) => {
    const e = errorFor(code, 'msg');
    expect(e).toBeInstanceOf(classes[ERROR_CODES[code].category]);
    expect(e).toBeInstanceOf(AutodError);
    expect(e).toBeInstanceOf(Error);
    expect(e.code).toBe(code);
    expect(e.name).toBe(classes[ERROR_CODES[code].category].name);
    expect(e.httpStatus).toBe(ERROR_CODES[code].httpStatus);
    expect(e.exitCode).toBe(ERROR_CODES[code].exitCode);
    expect(e.retryable).toBe(ERROR_CODES[code].retryable);
  });

  it('keeps cause, details, a retryable override and retryAfterMs', () => {
    const cause = new Error('socket hang up');
    const e = errorFor('UPSTREAM_ERROR', 'provider failed', {
      cause,
      details: { model: 'm' },
      retryable: false,
      retryAfterMs: 5,
    });
    expect(e.cause).toBe(cause);
    expect(e.details).toEqual({ model: 'm' });
    expect(e.retryable).toBe(false);
    expect(e.retryAfterMs).toBe(5);
    expect(e.stack).toContain('provider failed');
  });
});

describe('toJSON', () => {
  it('serialises code, category, hint, details and the cause message', () => {
    const e = errorFor('INPUT_EMPTY', 'empty.pdf is empty', {
      details: { file: 'empty.pdf' },
      cause: new Error('0 bytes'),
    });
    expect(JSON.parse(JSON.stringify(e))).toEqual({
      name: 'InputError',
      code: 'INPUT_EMPTY',
      category: 'input',
      message: 'empty.pdf is empty',
      hint: ERROR_CODES.INPUT_EMPTY.hint,
      retryable: false,
      details: { file: 'empty.pdf' },
      cause: '0 bytes',
    });
  });

  it('omits absent details and cause, and stringifies a non-Error cause', () => {
    const plain = errorFor('NOT_FOUND', 'gone').toJSON();
    expect(plain).not.toHaveProperty('details');
    expect(plain).not.toHaveProperty('cause');
    expect(errorFor('INTERNAL', 'x', { cause: { reason: 'odd' } }).toJSON().cause).toBe('{"reason":"odd"}');
  });
});

describe('isAutodError', () => {
  it('accepts instances and rejects look-alikes without the brand', () => {
    expect(isAutodError(errorFor('CONFLICT', 'x'))).toBe(true);
    expect(isAutodError(new Error('x'))).toBe(false);
    expect(isAutodError({ code: 'CONFLICT', name: 'AutodError' })).toBe(false);
    expect(isAutodError(null)).toBe(false);
    expect(isAutodError('CONFLICT')).toBe(false);
  });

  it('accepts an error from a second copy of the package (same Symbol.for brand, different class)', () => {
    class ForeignAutodError extends Error {
      readonly code = 'RATE_LIMITED';
      readonly retryable = true;
    }
    const foreign = new ForeignAutodError('from another copy');
    Object.defineProperty(foreign, Symbol.for('@autod/errors:AutodError'), { value: true });
    expect(foreign).not.toBeInstanceOf(AutodError);
    expect(isAutodError(foreign)).toBe(true);
    expect(toAutodError(foreign)).toBe(foreign);
  });

  it('rejects a branded object without a string code', () => {
    expect(isAutodError({ [Symbol.for('@autod/errors:AutodError')]: true, code: 42 })).toBe(false);
  });
});

describe('toAutodError', () => {
  it('passes AutodErrors through unchanged', () => {
    const e = errorFor('TIMEOUT', 'slow');
    expect(toAutodError(e)).toBe(e);
  });

  it('wraps an Error as INTERNAL (or the fallback code), keeping it as cause', () => {
    const original = new RangeError('bad index');
    const e = toAutodError(original);
    expect(e).toBeInstanceOf(InternalError);
    expect(e.code).toBe('INTERNAL');
    expect(e.message).toBe('bad index');
    expect(e.cause).toBe(original);
    const upstream = toAutodError(original, 'UPSTREAM_ERROR');
    expect(upstream).toBeInstanceOf(UpstreamError);
    expect(upstream.retryable).toBe(true);
  });

  it('maps AbortError to ABORTED and a timeout DOMException to TIMEOUT', () => {
    expect(toAutodError(new DOMException('stopped', 'AbortError')).code).toBe('ABORTED');
    const timeout = toAutodError(new DOMException('The operation timed out.', 'TimeoutError'));
    expect(timeout).toBeInstanceOf(TimeoutError);
    expect(timeout.code).toBe('TIMEOUT');
  });

  it('maps a full disk (ENOSPC, EDQUOT, SQLITE_FULL, also as a cause) to the retryable DISK_FULL', () => {
    const enospc = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    const e = toAutodError(enospc);
    expect(e.code).toBe('DISK_FULL');
    expect(e.retryable).toBe(true);
    expect(e.exitCode).toBe(75);
    expect(e.cause).toBe(enospc);
    expect(toAutodError(Object.assign(new Error('quota'), { code: 'EDQUOT' })).code).toBe('DISK_FULL');
    expect(toAutodError(Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' })).code).toBe(
      'DISK_FULL',
    );
    expect(toAutodError(new Error('insert failed', { cause: enospc })).code).toBe('DISK_FULL');
    expect(toAutodError(errorFor('INTERNAL', 'wrapped', { cause: enospc })).code).toBe('DISK_FULL');
    expect(isDiskFull(new Error('plain'))).toBe(false);
    expect(toAutodError(Object.assign(new Error('gone'), { code: 'ENOENT' })).code).toBe('INTERNAL');
  });

  it('maps a damaged database (SQLITE_CORRUPT, SQLITE_NOTADB, PostgreSQL XX001) to DB_CORRUPT', () => {
    const malformed = Object.assign(new Error('database disk image is malformed'), { code: 'SQLITE_CORRUPT' });
    expect(toAutodError(malformed)).toMatchObject({ code: 'DB_CORRUPT', retryable: false });
    expect(toAutodError(Object.assign(new Error('file is not a database'), { code: 'SQLITE_NOTADB' })).code).toBe(
      'DB_CORRUPT',
    );
    expect(toAutodError(Object.assign(new Error('bad page'), { code: 'SQLITE_CORRUPT_INDEX' })).code).toBe(
      'DB_CORRUPT',
    );
    expect(toAutodError(Object.assign(new Error('invalid page'), { code: 'XX001' })).code).toBe('DB_CORRUPT');
    expect(toAutodError(errorFor('INTERNAL', 'wrapped', { cause: malformed })).code).toBe('DB_CORRUPT');
    expect(isDatabaseCorrupt(new Error('plain'))).toBe(false);
  });

  it('wraps non-Error values with a readable message', () => {
    expect(toAutodError('just a string').message).toBe('just a string');
    const obj = toAutodError({ status: 'weird' });
    expect(obj.message).toBe('{"status":"weird"}');
    expect(obj.cause).toEqual({ status: 'weird' });
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(toAutodError(circular).message).toBe('[object Object]');
    expect(toAutodError(undefined).code).toBe('INTERNAL');
  });
});
