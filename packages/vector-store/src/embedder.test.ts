import { describe, expect, test } from 'vitest';
import { LexicalEmbedder, tokenize } from './embedder.js';
import { dot } from './hash.js';

describe('LexicalEmbedder', () => {
  const e = new LexicalEmbedder({ dimensions: 128 });

  test('deterministic unit vectors of the configured size; model names the dimensions', async () => {
    const { vectors } = await e.embed(['Water bill', 'Water bill']);
    expect(vectors[0]).toHaveLength(128);
    expect(vectors[0]).toEqual(vectors[1]);
    expect(dot(vectors[0]!, vectors[0]!)).toBeCloseTo(1, 5);
    expect(e.model).toBe('autod-lexical-v1-128');
  });

  test('lexical overlap and spelling variants score higher than unrelated text', () => {
    const q = e.embedOne('electricity bill');
    const related = e.embedOne('Electricity bills from the power company');
    const unrelated = e.embedOne('School report card for reading and mathematics');
    expect(dot(q, related)).toBeGreaterThan(dot(q, unrelated) + 0.2);
  });

  test('empty text gives the zero vector; bad dimensions are rejected', () => {
    expect([...e.embedOne('the of')].every((x) => x === 0)).toBe(true);
    expect(() => new LexicalEmbedder({ dimensions: 3 })).toThrow(/dimensions/);
  });

  test('tokenize lower-cases, keeps digits, drops stop words', () => {
    expect(tokenize('The Water-Bill of 2024, 5 €')).toEqual(['water', 'bill', '2024', '5']);
  });
});
