import { describe, expect, it } from 'vitest';
import { fullExample } from './__tests__/fixtures.js';
import {
  VECTOR_STORE_ATTRIBUTE_KEYS,
  buildVectorStoreAttributes,
  createEmptyMetadata,
  normalizeContentSignature,
} from './index.js';

describe('buildVectorStoreAttributes', () => {
  it('maps the current schema in priority order', () => {
    const attrs = buildVectorStoreAttributes(fullExample(), { documentId: 42, sha256Hex: 'ab'.repeat(32) });
    expect(attrs).toEqual({
      document_id: '42',
      sha256_hex: 'ab'.repeat(32),
      category: 'Financial & Administrative',
      subcategory: 'Utilities',
      doc_type: 'electricity bill',
      issuer: 'PG&E',
      primary_date: '2024-03-18',
      total_amount: 84.12,
      currency: 'USD',
      urgency_score: 60,
      language: 'en',
      processed_date: '2024-03-20',
      filename: 'scan_0001.pdf',
    });
    expect(Object.keys(attrs)[0]).toBe('document_id');
    expect(Object.keys(attrs)).toEqual([...VECTOR_STORE_ATTRIBUTE_KEYS]);
  });

  it('skips nulls and trims long values', () => {
    const m = createEmptyMetadata({
      processedDate: 'not a date',
      originalFileName: `${'n'.repeat(80)}.pdf`,
      sourceFileId: 'x',
    });
    m.issuer = 'I'.repeat(300);
    const attrs = buildVectorStoreAttributes(m);
    expect(attrs).toEqual({
      category: 'Creative & Miscellaneous',
      issuer: 'I'.repeat(100),
      filename: `${'n'.repeat(46)}.pdf`,
    });
  });
});

describe('normalizeContentSignature', () => {
  it('lower-cases, collapses whitespace and cuts', () => {
    expect(normalizeContentSignature('  Hello\n\tWORLD  ')).toBe('hello world');
    expect(normalizeContentSignature('a '.repeat(1000))).toHaveLength(512);
    expect(normalizeContentSignature('ABC', 2)).toBe('ab');
  });
});
