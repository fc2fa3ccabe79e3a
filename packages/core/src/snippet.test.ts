import { expect, test } from 'vitest';
import { highlightTerms } from './snippet.js';

test('brackets the terms (and words starting with one) around the first hit, cut at word boundaries', () => {
  const text = 'x '.repeat(200) + 'The Water bills for March are due. More water later.';
  const s = highlightTerms(text, ['water', 'bill'], 80);
  expect(s.startsWith('…')).toBe(true);
  expect(s).toContain('[Water] [bills]');
  expect(s).toContain('[water] later');
  expect(s.length).toBeLessThanOrEqual(84);
});

test('no usable terms: the start of the text; regex characters in terms are literal', () => {
  expect(highlightTerms('abc def', [])).toBe('abc def');
  expect(highlightTerms('abc def', ['a'])).toBe('abc def');
  expect(highlightTerms('cost (net) 5.00 total', ['(net)', '5.00'])).toBe('cost [(net)] [5.00] total');
});
