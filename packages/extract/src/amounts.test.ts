import { describe, expect, it } from 'vitest';
import { findAmounts, parseAmount, parseNumber } from './amounts.js';

describe('parseAmount', () => {
  const cases: [string, number | null, string | null][] = [
    ['$1,234.56', 1234.56, 'USD'],
    ['$ 99', 99, 'USD'],
    ['1.234,56 €', 1234.56, 'EUR'],
    ['€1.234,56', 1234.56, 'EUR'],
    ['EUR 1,234.56', 1234.56, 'EUR'],
    ['1234.56 USD', 1234.56, 'USD'],
    ['£12.00', 12, 'GBP'],
    ["CHF 1'234.50", 1234.5, 'CHF'],
    ['1\u00a0234,56 €', 1234.56, 'EUR'],
    ['12,50 €', 12.5, 'EUR'],
    ['1,234', 1234, null],
    ['1.234', 1234, null],
    ['0.125', 0.13, null],
    ['1,234,567.89', 1234567.89, null],
    ['1.234.567,89', 1234567.89, null],
    ['-$5.00', -5, 'USD'],
    ['$-5.00', -5, 'USD'],
    ['(12.50)', -12.5, null],
    ['12.50-', -12.5, null],
    ['US$ 10.00', 10, 'USD'],
    ['C$10.00', 10, 'CAD'],
    ['GBP 7', 7, 'GBP'],
    ['¥1,000', 1000, 'JPY'],
    ['', null, null],
    ['abc', null, null],
    ['$5 and $6', null, null],
    ['50%', null, null],
    ['03/15/2024', null, null],
  ];
  it.each(cases)('%s', (input, amount, currency) => {
    const parsed = parseAmount(input);
    if (amount === null) expect(parsed).toBeNull();
    else expect(parsed).toEqual({ amount, currency });
  });
});

describe('parseNumber', () => {
  it('rejects mixed-up groupings', () => {
    expect(parseNumber('1,23,4')).toBeNull();
    expect(parseNumber('1.234.5')).toBeNull();
    expect(parseNumber('x12')).toBeNull();
  });
});

describe('findAmounts', () => {
  it('finds amounts in running text and skips dates, times, ids and percentages', () => {
    const text =
      'Invoice INV-2024-0042 dated 15.03.2024 at 10:30. Subtotal $1,000.00, VAT 20% $200.00, Total: 1.200,00 EUR';
    const found = findAmounts(text);
    expect(found.map((a) => [a.amount, a.currency])).toEqual([
      [1000, 'USD'],
      [200, 'USD'],
      [1200, 'EUR'],
    ]);
    for (const a of found) expect(text.slice(a.index, a.index + a.raw.length)).toBe(a.raw);
  });

  it('keeps bare amounts after a label colon', () => {
    expect(findAmounts('Total:5.00').map((a) => a.amount)).toEqual([5]);
  });
});
