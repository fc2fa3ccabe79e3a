import { describe, expect, test } from 'vitest';
import { DEFAULT_PRICING, PRICE_ROWS, findModelPrice, priceUsage, resolveModelPrice } from './pricing.js';
import { usage } from './__tests__/helpers.js';

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
