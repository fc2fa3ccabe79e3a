import { describe, expect, it } from 'vitest';
import { formatDuration, formatMoney, formatUsd, snippetParts } from './format.js';

describe('format', () => {
  it('splits server-marked snippets into text and matches', () => {
    expect(snippetParts('…the [water] bill for [March] 2024')).toEqual([
      { text: '…the ', match: false },
      { text: 'water', match: true },
      { text: ' bill for ', match: false },
      { text: 'March', match: true },
      { text: ' 2024', match: false },
    ]);
    expect(snippetParts('no marks')).toEqual([{ text: 'no marks', match: false }]);
  });

  it('formats money, dollars and durations', () => {
    expect(formatMoney(null)).toBe('—');
    expect(formatMoney(12.5, 'XYZ1')).toBe('12.50 XYZ1');
    expect(formatMoney(12.5, 'EUR')).toMatch(/12[.,]50/);
    expect(formatUsd(0.0012)).toBe('$0.0012');
    expect(formatUsd(3)).toBe('$3.00');
    expect(formatDuration(null)).toBe('unknown');
    expect(formatDuration(75)).toBe('1 min 15 s');
    expect(formatDuration(3 * 3600 + 120)).toBe('3 h 2 min');
  });
});
