import { describe, expect, test } from 'vitest';
import { chunkText } from './chunk.js';
import { highlightSnippet } from './snippet.js';

describe('chunkText', () => {
  test('short text is one chunk on page 1', () => {
    expect(chunkText('Hello  world.')).toEqual([{ index: 0, page: 1, text: 'Hello world.' }]);
  });

  test('chunks never span pages (form feeds) and overlap within a page', () => {
    const sentence = (i: number) => `Sentence number ${i} talks about invoices and payments.`;
    const page1 = Array.from({ length: 40 }, (_, i) => sentence(i)).join(' ');
    const chunks = chunkText(`${page1}\fSecond page text.`, { maxChars: 400, overlapChars: 80 });
    const onPage1 = chunks.filter((c) => c.page === 1);
    expect(onPage1.length).toBeGreaterThan(3);
    for (const c of onPage1) expect(c.text.length).toBeLessThanOrEqual(400);
    expect(chunks.at(-1)).toMatchObject({ page: 2, text: 'Second page text.' });
    expect(chunks.map((c) => c.index)).toEqual(chunks.map((_, i) => i));
    // overlap: the start of chunk 2 appears at the end of chunk 1
    const head = (onPage1[1]?.text ?? '').slice(0, 30);
    expect(onPage1[0]?.text).toContain(head);
    // every sentence is covered
    for (let i = 0; i < 40; i++) expect(onPage1.some((c) => c.text.includes(sentence(i)))).toBe(true);
  });

  test('pages can be passed as an array; empty pages produce no chunks', () => {
    const chunks = chunkText(['first', '  ', 'third']);
    expect(chunks.map((c) => [c.page, c.text])).toEqual([
      [1, 'first'],
      [3, 'third'],
    ]);
  });
});

describe('highlightSnippet', () => {
  test('brackets query terms (prefix matches) around the first hit', () => {
    const text = 'x '.repeat(200) + 'The water bills for March are due. More water later.';
    const s = highlightSnippet(text, 'Water bill', 80);
    expect(s.startsWith('…')).toBe(true);
    expect(s).toContain('[water] [bills]');
    expect(s.length).toBeLessThanOrEqual(84);
  });

  test('no terms: the start of the text', () => {
    expect(highlightSnippet('abc def', 'the of')).toBe('abc def');
  });
});
