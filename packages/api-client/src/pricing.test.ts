import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { describe, expect, test } from 'vitest';
import { mapOpenAIError, redactSecrets } from './map-openai-error.js';
import { DEFAULT_PRICING, PRICE_ROWS, findModelPrice, priceUsage, resolveModelPrice } from './pricing.js';
import { countPdfPages, estimateExtractionCost, estimatePdfTokens, estimateTextTokens } from './tokens.js';
import { tinyPdf } from './__tests__/helpers.js';

const usage = (input: number, cached: number, output: number, reasoning = 0) => ({
  inputTokens: input,
  cachedInputTokens: cached,
  outputTokens: output,
  reasoningTokens: reasoning,
  totalTokens: input + output,
});

describe('pricing', () => {
  test('uncached input, cached input and output each at their own rate', () => {
    // gpt-5-mini: 0.25 / 0.025 / 2.00 per 1M -> 800k x 0.25 + 200k x 0.025 + 100k x 2 = 0.2 + 0.005 + 0.2
    expect(priceUsage(usage(1_000_000, 200_000, 100_000), 'gpt-5-mini')).toBeCloseTo(0.405, 10);
    // gpt-4o: 2.50 / 1.25 / 10.00 per 1M
    expect(priceUsage(usage(10_000, 0, 1_000), 'gpt-4o')).toBeCloseTo(0.025 + 0.01, 10);
  });

  test('the Batch API is half price', () => {
    const u = usage(123_456, 23_456, 7_890);
    expect(priceUsage(u, 'gpt-4.1', { batch: true })).toBeCloseTo(priceUsage(u, 'gpt-4.1') / 2, 12);
  });

  test('embeddings bill input only', () => {
    expect(priceUsage(usage(1_000_000, 0, 0), 'text-embedding-3-small')).toBeCloseTo(0.02, 10);
    expect(priceUsage(usage(1_000_000, 0, 0), 'text-embedding-3-large')).toBeCloseTo(0.13, 10);
  });

  test('dated snapshots resolve to their model; no other name is guessed from a prefix; overrides win', () => {
    expect(resolveModelPrice('gpt-4o-2024-08-06')).toBe(DEFAULT_PRICING['gpt-4o']);
    expect(resolveModelPrice('gpt-5-mini-2025-08-07')).toBe(DEFAULT_PRICING['gpt-5-mini']);
    expect(resolveModelPrice('gpt-5-pro-2025-10-06')).toBe(DEFAULT_PRICING['gpt-5-pro']);
    // gpt-5-pro is priced as itself (12× gpt-5's input price), never as gpt-5
    expect(resolveModelPrice('gpt-5-pro')).toEqual({ input: 15, cachedInput: 15, output: 120 });
    expect(findModelPrice('gpt-5-mini-foo')).toBeUndefined();
    expect(findModelPrice('gpt-5-turbo')).toBeUndefined();
    expect(
      priceUsage(usage(1_000_000, 0, 0), 'gpt-5', { pricing: { 'gpt-5': { input: 7, cachedInput: 1, output: 9 } } }),
    ).toBeCloseTo(7, 10);
    expect(
      priceUsage(usage(1_000_000, 0, 0), 'my-model', {
        pricing: { 'my-model': { input: 3, cachedInput: 1, output: 9 } },
      }),
    ).toBeCloseTo(3, 10);
    expect(() => resolveModelPrice('llama-3-70b')).toThrow(
      expect.objectContaining({ name: 'ConfigError', code: 'CFG_INVALID' }),
    );
  });

  test('every row says when it was checked and where it comes from', () => {
    for (const [model, row] of Object.entries(PRICE_ROWS)) {
      expect(row.checkedOn, model).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(row.source.length, model).toBeGreaterThan(10);
      expect(row.cachedInput, model).toBeLessThanOrEqual(row.input);
      expect(DEFAULT_PRICING[model]).toEqual({ input: row.input, cachedInput: row.cachedInput, output: row.output });
    }
  });

  test('every model the brief names has a price', () => {
    for (const m of [
      'gpt-5',
      'gpt-5-mini',
      'gpt-5-nano',
      'gpt-4.1',
      'gpt-4.1-mini',
      'gpt-4o',
      'gpt-4o-mini',
      'o4-mini',
      'text-embedding-3-small',
      'text-embedding-3-large',
      'text-embedding-ada-002',
      'gpt-5-pro',
    ]) {
      expect(DEFAULT_PRICING[m]?.input).toBeGreaterThan(0);
    }
  });
});

describe('token estimates', () => {
  test('text uses o200k_base', () => {
    expect(estimateTextTokens('')).toBe(0);
    expect(estimateTextTokens('hello world')).toBe(2);
  });

  test('PDF: one page image (765) plus the text layer per page', () => {
    expect(estimatePdfTokens(3)).toBe(3 * 765 + 3 * 500);
    expect(estimatePdfTokens(2, { textChars: 4000 })).toBe(2 * 765 + 1000);
    expect(estimatePdfTokens(0)).toBe(765 + 500);
  });

  test('extraction cost estimate prices the estimate with the table, halved in batch mode', () => {
    const est = estimateExtractionCost({ pageCount: 4, model: 'gpt-5-mini' });
    expect(est.inputTokens).toBeGreaterThan(estimatePdfTokens(4));
    expect(est.costUsd).toBeCloseTo(priceUsage(usage(est.inputTokens, 0, est.outputTokens), 'gpt-5-mini'), 12);
    expect(estimateExtractionCost({ pageCount: 4, model: 'gpt-5-mini', batch: true }).costUsd).toBeCloseTo(
      est.costUsd / 2,
      12,
    );
  });

  test('PDF page count without a parser', () => {
    expect(countPdfPages(tinyPdf([['a'], ['b'], ['c']]))).toBe(3);
    expect(countPdfPages(new Uint8Array([1, 2, 3]))).toBe(1);
  });
});

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
