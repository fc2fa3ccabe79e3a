import { describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { knownValues } from './prompt-values.js';
import { randomHex } from './rng.js';
import { sampleWithKnown } from './schema-sample.js';
import { startEmulator } from './server.js';
import { commonPrefix, PromptCache } from './tokens.js';

function naivePrefix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

describe('emulator caches', () => {
  it('commonPrefix agrees with a char-by-char scan at every block boundary', () => {
    const base = 'abcdefghij'.repeat(1000);
    for (const at of [0, 1, 15, 16, 17, 255, 256, 257, 4095, 4096, 4097, 9999]) {
      const other = `${base.slice(0, at)}#${base.slice(at + 1)}`;
      expect(commonPrefix(base, other)).toBe(at);
      expect(commonPrefix(base, other)).toBe(naivePrefix(base, other));
    }
    expect(commonPrefix(base, base.slice(0, 5000))).toBe(5000);
    expect(commonPrefix('', base)).toBe(0);
  });

  it('PromptCache reports cached tokens for a long shared prefix only', () => {
    const cache = new PromptCache();
    const shared = 'x'.repeat(8000);
    expect(cache.cachedTokens('m', `${shared}A`, 2001)).toBe(0);
    expect(cache.cachedTokens('m', `${shared}B`, 2001)).toBe(1920);
    expect(cache.cachedTokens('other', `${shared}B`, 2001)).toBe(0);
  });

  it('knownValues parses JSON literals, skips prose, and hands out fresh objects', () => {
    const prompt = [
      '- processed_at: "2026-01-01T00:00:00Z"',
      '- title: a prose description, not JSON',
      '- count: 3',
      '- flag: nope',
      '- tags: ["a","b"]',
    ].join('\n');
    for (let round = 0; round < 2; round++) {
      const known = knownValues(prompt, 2);
      expect(known).toEqual({
        processed_at: '2026-01-01T00:00:00Z',
        processed_date: '2026-01-01T00:00:00Z',
        count: 3,
        tags: ['a', 'b'],
        page_count: 2,
      });
      (known.tags as string[]).push('mutated');
    }
  });

  it('sampleWithKnown returns an independent value on every call', () => {
    const schema = {
      type: 'object',
      properties: {
        a: { type: 'string', pattern: '^[a-z]+$' },
        b: { type: 'array', minItems: 1, items: { type: 'integer', minimum: 2 } },
      },
    };
    const first = sampleWithKnown(schema, { a: 'zz' }) as { a: string; b: number[] };
    expect(first).toEqual({ a: 'zz', b: [2] });
    first.b.push(99);
    const second = sampleWithKnown(schema, { a: 'NOT-LOWER' }) as { a: string; b: number[] };
    expect(second).toEqual({ a: 'en', b: [2] }); // first pattern candidate; the known value does not match
  });

  it('randomHex gives distinct ids of the right length', () => {
    const ids = new Set(Array.from({ length: 2000 }, () => randomHex(12)));
    expect(ids.size).toBe(2000);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{24}$/);
    expect(randomHex(5000)).toHaveLength(10000);
  });

  it('keeps connections alive across requests without piling up socket listeners', async () => {
    const emu = await startEmulator({ embeddingDimensions: 4 });
    const warnings: Error[] = [];
    const onWarning = (w: Error): void => void warnings.push(w);
    process.on('warning', onWarning);
    try {
      const client = new OpenAI({ apiKey: 'sk-test', baseURL: emu.url, maxRetries: 0 });
      for (let i = 0; i < 15; i++) await client.embeddings.create({ model: 'text-embedding-3-small', input: `t${i}` });
      expect(emu.stats().byStatus[200]).toBe(15);
      await new Promise((r) => setImmediate(r));
      expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
    } finally {
      process.off('warning', onWarning);
      await emu.close();
    }
  });
});
