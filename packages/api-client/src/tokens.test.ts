import { describe, expect, test } from 'vitest';
import { priceUsage } from './pricing.js';
import { countPdfPages, estimateExtractionCost, estimatePdfTokens, estimateTextTokens } from './tokens.js';
import { tinyPdf, usage } from './__tests__/helpers.js';

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
