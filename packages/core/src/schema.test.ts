import { describe, expect, it } from 'vitest';
import { fullExample } from './__tests__/fixtures.js';
import {
  CATEGORIES,
  DocumentMetadataSchema,
  DOCUMENT_METADATA_FIELDS,
  ExtractedFieldsSchema,
  SUBCATEGORIES,
  createEmptyMetadata,
  indexedFields,
  isIsoDate,
  parseDocumentMetadata,
  reviewReasons,
  upgradeMetadata,
} from './index.js';

describe('DocumentMetadataSchema', () => {
  it('has the seed v1 shape plus the 1.1 fields: 40 top-level fields, 30 extracted fields, 7 categories, 21 subcategories', () => {
    expect(DOCUMENT_METADATA_FIELDS).toHaveLength(40);
    expect(Object.keys(ExtractedFieldsSchema.shape)).toHaveLength(30);
    expect(CATEGORIES).toHaveLength(7);
    expect(SUBCATEGORIES).toHaveLength(21);
    expect(new Set(SUBCATEGORIES).size).toBe(21);
  });

  it('accepts a full valid example unchanged', () => {
    const example = fullExample();
    const result = parseDocumentMetadata(example);
    expect(result).toEqual({ ok: true, data: example });
  });

  it('has no optional fields: dropping any top-level field is an error naming it', () => {
    for (const field of DOCUMENT_METADATA_FIELDS) {
      const value: Record<string, unknown> = { ...fullExample() };
      delete value[field];
      const result = parseDocumentMetadata(value);
      expect(result.ok, field).toBe(false);
      if (!result.ok)
        expect(
          result.issues.some((i) => i.startsWith(`${field}:`)),
          field,
        ).toBe(true);
    }
  });

  it('rejects impossible and malformed dates with readable issues', () => {
    const value = fullExample();
    value.primary_date = '2023-02-29';
    value.extracted_fields.due_date = '15/04/2024';
    value.period_end_date = '2024-13-01';
    const result = parseDocumentMetadata(value);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues).toContain('primary_date: must be a real calendar date (YYYY-MM-DD)');
    expect(result.issues).toContain('extracted_fields.due_date: must be a date in YYYY-MM-DD form');
    expect(result.issues).toContain('period_end_date: must be a real calendar date (YYYY-MM-DD)');
    expect(result.issues).toHaveLength(3);
  });

  it('rejects bad enums, currency, language and ranges with paths', () => {
    const value = fullExample() as unknown as Record<string, unknown>;
    value.category = 'Bills';
    value.subcategory = 'Groceries';
    value.language = 'EN';
    value.confidence_score = 87;
    value.urgency_score = 50.5;
    const ex = fullExample();
    ex.extracted_fields.currency = 'usd';
    value.extracted_fields = ex.extracted_fields;
    const items = ex.action_items.map((a) => ({ ...a, priority: 'urgent' }));
    value.action_items = items;
    const result = parseDocumentMetadata(value);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const paths = result.issues.map((i) => i.split(':')[0]);
    expect(paths.sort()).toEqual(
      [
        'action_items[0].priority',
        'category',
        'confidence_score',
        'extracted_fields.currency',
        'language',
        'subcategory',
        'urgency_score',
      ].sort(),
    );
    expect(result.issues).toContain('extracted_fields.currency: must be an ISO 4217 code of three upper-case letters');
  });

  it('rejects extra keys at every level', () => {
    const value = fullExample() as unknown as Record<string, unknown>;
    value.total_amount = 1;
    value.normalization = { ...fullExample().normalization, extra: true };
    const result = parseDocumentMetadata(value);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect([...result.issues].sort()).toEqual([
      '<root>: unknown field(s) total_amount',
      'normalization: unknown field(s) extra',
    ]);
  });

  it('enforces maximum lengths', () => {
    const value = fullExample();
    value.email_preview_text = 'x'.repeat(161);
    value.tags = ['ok', 'y'.repeat(65)];
    const result = parseDocumentMetadata(value);
    expect(result).toEqual({
      ok: false,
      issues: ['email_preview_text: must be at most 160 characters', 'tags[1]: must be at most 64 characters'],
    });
  });

  it('rejects non-objects', () => {
    expect(parseDocumentMetadata(null).ok).toBe(false);
    expect(parseDocumentMetadata('{}').ok).toBe(false);
  });
});

describe('isIsoDate', () => {
  it.each([
    ['2024-02-29', true],
    ['2000-02-29', true],
    ['1900-02-29', false],
    ['2023-02-29', false],
    ['2024-04-31', false],
    ['2024-12-31', true],
    ['2024-00-10', false],
    ['2024-01-00', false],
    ['0000-01-01', false],
    ['2024-1-01', false],
    ['2024-01-01T00:00:00Z', false],
    [' 2024-01-01', false],
  ])('%s -> %s', (input, expected) => {
    expect(isIsoDate(input)).toBe(expected);
  });
});

describe('createEmptyMetadata', () => {
  it('passes the schema and has every field', () => {
    const m = createEmptyMetadata({
      processedDate: '2024-03-20T10:11:12+00:00',
      originalFileName: 'Rechnung März – Stadtwerke.PDF',
      sourceFileId: 'local-1',
      pageCount: 3,
    });
    expect(DocumentMetadataSchema.safeParse(m).success).toBe(true);
    expect(Object.keys(m).sort()).toEqual([...DOCUMENT_METADATA_FIELDS].sort());
    expect(m.category).toBe('Creative & Miscellaneous');
    expect(m.suggested_file_name).toBe('Rechnung Marz - Stadtwerke');
    expect(m.page_count).toBe(3);
    expect(m.tags).toEqual([]);
    expect(m.extracted_fields.amount_due).toBeNull();
  });

  it('falls back to a non-empty file name and drops invalid page counts', () => {
    const m = createEmptyMetadata({ processedDate: 'x', originalFileName: '???.pdf', sourceFileId: 'y', pageCount: 0 });
    expect(m.suggested_file_name).toBe('untitled');
    expect(m.page_count).toBeNull();
    expect(parseDocumentMetadata(m).ok).toBe(true);
  });
});

describe('indexedFields', () => {
  it('prefers canonical issuer, total_amount and primary_date', () => {
    expect(indexedFields(fullExample())).toEqual({
      category: 'Financial & Administrative',
      subcategory: 'Utilities',
      docType: 'electricity bill',
      issuer: 'PG&E',
      primaryDate: '2024-03-18',
      totalAmount: 84.12,
      currency: 'USD',
      title: 'PG&E electricity bill, March 2024',
      confidence: 0.92,
      customer: 'Jane Doe',
      invoiceNumber: null,
      dueDate: '2024-04-15',
    });
  });

  it('upgrades metadata stored under schema 1.0.0 to the current shape', () => {
    const current = fullExample();
    const old: Record<string, unknown> = { ...current, schema_version: '1.0.0' };
    delete old['customer'];
    delete old['field_evidence'];
    const oldFields: Record<string, unknown> = { ...current.extracted_fields };
    for (const k of ['total_amount', 'net_amount', 'tax_amount', 'tax_lines', 'order_number', 'seller_tax_id'])
      delete oldFields[k];
    for (const k of ['customer_tax_id', 'iban', 'bic', 'payment_terms', 'line_items']) delete oldFields[k];
    old['extracted_fields'] = oldFields;
    expect(parseDocumentMetadata(old).ok).toBe(false);
    const upgraded = upgradeMetadata(old);
    const parsed = parseDocumentMetadata(upgraded);
    expect(parsed.ok).toBe(true);
    if (parsed.ok) {
      expect(parsed.data.schema_version).toBe('1.1.0');
      expect(parsed.data.customer).toBeNull();
      expect(parsed.data.extracted_fields.line_items).toEqual([]);
      expect(parsed.data.extracted_fields.amount_due).toBe(84.12);
      expect(parsed.data.field_evidence.issuer).toBeNull();
    }
    expect(upgradeMetadata(current)).toBe(current);
  });
});

describe('reviewReasons', () => {
  it('flags key fields under the threshold and a missing issuer or date', () => {
    const m = fullExample();
    expect(reviewReasons(m, 0.8)).toEqual([]);
    expect(reviewReasons(m, 0.85)).toEqual(['customer confidence 0.80 is under 0.85']);
    m.issuer = null;
    m.primary_date = null;
    expect(reviewReasons(m, 0.8)).toEqual(['issuer not found', 'primary_date not found']);
  });

  it('falls back to issuer, balance, statement_date then due_date', () => {
    const m = fullExample();
    m.normalization.canonical_issuer = null;
    m.extracted_fields.total_amount = null;
    m.extracted_fields.amount_due = null;
    m.extracted_fields.balance = -12.5;
    m.primary_date = null;
    const a = indexedFields(m);
    expect(a.issuer).toBe('Pacific Gas and Electric Company');
    expect(a.totalAmount).toBe(-12.5);
    expect(a.primaryDate).toBe('2024-03-18');
    m.extracted_fields.statement_date = null;
    expect(indexedFields(m).primaryDate).toBe('2024-04-15');
    m.extracted_fields.due_date = null;
    m.extracted_fields.balance = null;
    expect(indexedFields(m)).toMatchObject({ primaryDate: null, totalAmount: null });
  });

  it('keeps a zero amount instead of falling back', () => {
    const m = fullExample();
    m.extracted_fields.total_amount = null;
    m.extracted_fields.amount_due = 0;
    expect(indexedFields(m).totalAmount).toBe(0);
    m.extracted_fields.total_amount = 0;
    m.extracted_fields.amount_due = 12;
    expect(indexedFields(m).totalAmount).toBe(0);
  });
});
