import { describe, expect, test } from 'vitest';
import { LruCache } from './lru.js';

const sized = (maxSizeBytes: number, extra: { ttlMs?: number; maxEntries?: number; now?: () => number } = {}) =>
  new LruCache<string>({ maxSizeBytes, sizeOf: (v) => v.length, ...extra });

describe('LruCache', () => {
  test('evicts least recently used entries to stay under the byte cap, counting evictions', () => {
    const c = sized(10);
    c.set('a', 'aaaa');
    c.set('b', 'bbbb');
    expect(c.get('a')).toBe('aaaa'); // a is now most recent
    c.set('c', 'cccc'); // 12 bytes > 10: evict b
    expect(c.has('b')).toBe(false);
    expect(c.get('a')).toBe('aaaa');
    expect(c.get('b')).toBeUndefined();
    const s = c.stats();
    expect(s).toMatchObject({ hits: 2, misses: 1, evictions: 1, entries: 2, sizeBytes: 8, maxSizeBytes: 10 });
    expect(s.hitRate).toBeCloseTo(2 / 3);
  });

  test('replacing a key does not double count its size', () => {
    const c = sized(100);
    c.set('k', 'xxxxx');
    c.set('k', 'yy');
    expect(c.stats()).toMatchObject({ entries: 1, sizeBytes: 2, evictions: 0 });
  });

  test('TTL expires entries; entry cap applies; oversized values are not stored', () => {
    let now = 0;
    const c = sized(100, { ttlMs: 50, maxEntries: 2, now: () => now });
    c.set('a', '1');
    now = 60;
    expect(c.get('a')).toBeUndefined();
    expect(c.stats()).toMatchObject({ expirations: 1, misses: 1, entries: 0 });
    c.set('a', '1');
    c.set('b', '2');
    c.set('c', '3');
    expect(c.stats()).toMatchObject({ entries: 2, evictions: 1 });
    c.set('big', 'x'.repeat(101));
    expect(c.has('big')).toBe(false);
  });

  test('without a byte cap, maxEntries alone caps the cache; delete drops an entry', () => {
    const c = new LruCache<number>({ maxEntries: 2 });
    c.set('a', 1);
    c.set('b', 2);
    expect(c.get('a')).toBe(1); // a is now the most recent
    c.set('c', 3);
    expect(c.get('b')).toBeUndefined();
    expect(c.get('a')).toBe(1);
    expect(c.get('c')).toBe(3);
    expect(c.size).toBe(2);
    expect(c.delete('a')).toBe(true);
    expect(c.delete('a')).toBe(false);
    expect(c.has('a')).toBe(false);
    expect(c.stats()).toMatchObject({ entries: 1, evictions: 1 });
  });
});
