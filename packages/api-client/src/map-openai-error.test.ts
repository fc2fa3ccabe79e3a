import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { describe, expect, test } from 'vitest';
import { mapOpenAIError, redactSecrets } from './map-openai-error.js';
import { loadOpenAI } from './sdk.js';

// The SDK is loaded on first use; its error classes are recognised once it is (see sdk.test.ts for before).
await loadOpenAI();

describe('mapOpenAIError', () => {
  const http = (status: number, headers: Record<string, string> = {}) =>
    mapOpenAIError(
      APIError.generate(
        status,
        { error: { message: `boom ${status}`, type: 't' } },
        undefined,
        new Headers({ 'x-request-id': 'req_1', ...headers }),
      ),
    );

  test.each([
    [400, 'UPSTREAM_BAD_REQUEST', false],
    [401, 'UPSTREAM_AUTH', false],
    [403, 'UPSTREAM_AUTH', false],
    [404, 'NOT_FOUND', false],
    [408, 'TIMEOUT', true],
    [409, 'CONFLICT', true],
    [422, 'VALIDATION_FAILED', false],
    [429, 'RATE_LIMITED', true],
    [500, 'UPSTREAM_ERROR', true],
    [503, 'UPSTREAM_UNAVAILABLE', true],
  ])('%i -> %s (retryable %s)', (status, code, retryable) => {
    const e = http(status);
    expect(e.code).toBe(code);
    expect(e.retryable).toBe(retryable);
    expect(e.details).toMatchObject({ status, requestId: 'req_1' });
  });

  test('429 carries the Retry-After wait; x-should-retry wins over the status table', () => {
    expect(http(429, { 'retry-after': '3' }).retryAfterMs).toBe(3000);
    expect(http(429, { 'retry-after-ms': '250', 'retry-after': '3' }).retryAfterMs).toBe(250);
    expect(http(500, { 'x-should-retry': 'false' }).retryable).toBe(false);
    expect(http(400, { 'x-should-retry': 'true' }).retryable).toBe(true);
  });

  test('a Retry-After date in the past carries no wait (the retry loop backs off)', () => {
    const past = new Date(Date.now() - 60_000).toUTCString();
    const future = new Date(Date.now() + 60_000).toUTCString();
    expect(http(429, { 'retry-after': past }).retryAfterMs).toBeUndefined();
    expect(http(503, { 'retry-after': future }).retryAfterMs).toBeGreaterThan(0);
  });

  test('connection failures, timeouts and aborts have their own codes and no status', () => {
    expect(mapOpenAIError(new APIConnectionTimeoutError())).toMatchObject({ code: 'TIMEOUT', retryable: true });
    expect(mapOpenAIError(new APIConnectionError({ cause: new Error('ECONNRESET') }))).toMatchObject({
      code: 'CONNECTION_FAILED',
      retryable: true,
    });
    expect(mapOpenAIError(new APIUserAbortError())).toMatchObject({ code: 'ABORTED', retryable: false });
    expect(mapOpenAIError(new APIConnectionError({})).details).toBeUndefined();
  });

  test('keys in provider messages are redacted', () => {
    const e = mapOpenAIError(
      APIError.generate(
        401,
        { error: { message: 'Incorrect API key provided: sk-proj-abcdefgh1234.' } },
        undefined,
        new Headers(),
      ),
    );
    expect(e.message).not.toContain('sk-proj-abcdefgh1234');
    expect(redactSecrets('Authorization: Bearer abc.def-123')).toBe('Authorization: [redacted]');
  });
});
