import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { DOCUMENT_FILTER, DOCUMENT_FILTER_FIELDS, defineDocumentFilter, type DocumentFilter } from './filter.js';

describe('DOCUMENT_FILTER', () => {
  it('has one parameter per key, a range giving its two bounds', () => {
    expect(DOCUMENT_FILTER.parameters.map((p) => p.key)).toEqual([
      'status',
      'category',
      'subcategory',
      'docType',
      'issuer',
      'customer',
      'invoiceNumber',
      'needsReview',
      'from',
      'to',
      'minAmount',
      'maxAmount',
    ]);
    expect(DOCUMENT_FILTER.parameter('from')).toMatchObject({
      flag: '--from',
      column: 'primary_date',
      operator: 'gte',
      type: 'date',
    });
    expect(DOCUMENT_FILTER.parameter('maxAmount')).toMatchObject({ column: 'total_amount', operator: 'lte' });
    expect(DOCUMENT_FILTER.parameter('issuer')).toMatchObject({ operator: 'contains', column: 'issuer' });
    expect(DOCUMENT_FILTER.parameter('nope')).toBeUndefined();
  });

  it('parses a filter given as text into typed values', () => {
    const parsed = DOCUMENT_FILTER.querySchema.parse({
      status: 'waiting',
      issuer: 'acme',
      needsReview: 'false',
      from: '2024-02-29',
      minAmount: ' 10.5 ',
      maxAmount: '1e3',
      unknown: 'dropped',
    });
    expect(parsed).toEqual({
      status: 'waiting',
      issuer: 'acme',
      needsReview: false,
      from: '2024-02-29',
      minAmount: 10.5,
      maxAmount: 1000,
    });
  });

  it.each([
    ['status', 'done'],
    ['from', '2023-02-29'],
    ['to', '2024-1-1'],
    ['minAmount', ''],
    ['minAmount', 'ten'],
    ['needsReview', 'yes'],
    ['category', ''],
    ['invoiceNumber', 'x'.repeat(257)],
  ])('rejects %s=%j naming the key', (key, value) => {
    const r = DOCUMENT_FILTER.querySchema.safeParse({ [key]: value });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual([key]);
  });

  it('describes the query parameters in JSON schema (what the OpenAPI document shows)', () => {
    const schema = z.toJSONSchema(DOCUMENT_FILTER.querySchema, { io: 'input' }) as {
      properties: Record<string, { type?: string; enum?: string[]; description?: string }>;
    };
    expect(schema.properties['minAmount']).toMatchObject({ type: 'number', description: 'total amount at least' });
    expect(schema.properties['needsReview']).toMatchObject({ type: 'string', enum: ['true', 'false'] });
    expect(schema.properties['status']?.enum).toEqual(['processing', 'waiting', 'completed', 'failed']);
  });

  it('keeps only known keys with a value', () => {
    expect(DOCUMENT_FILTER.pick({ status: 'completed', issuer: undefined, bogus: 1 })).toEqual({ status: 'completed' });
  });

  it('types the filter object from the fields', () => {
    expectTypeOf<DocumentFilter['status']>().toEqualTypeOf<
      'processing' | 'waiting' | 'completed' | 'failed' | undefined
    >();
    expectTypeOf<DocumentFilter['minAmount']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<DocumentFilter['needsReview']>().toEqualTypeOf<boolean | undefined>();
    expectTypeOf<DocumentFilter['from']>().toEqualTypeOf<string | undefined>();
  });
});

describe('defineDocumentFilter', () => {
  it("accepts autod's own fields (DOCUMENT_FILTER is built from them without validating on every start)", () => {
    const checked = defineDocumentFilter(DOCUMENT_FILTER_FIELDS);
    expect(checked.parameters).toEqual(DOCUMENT_FILTER.parameters);
    expect(z.toJSONSchema(checked.querySchema, { io: 'input' })).toEqual(
      z.toJSONSchema(DOCUMENT_FILTER.querySchema, { io: 'input' }),
    );
  });

  it('builds the query schema once, on first use', () => {
    expect(DOCUMENT_FILTER.querySchema).toBe(DOCUMENT_FILTER.querySchema);
  });

  it('extends a definition with a new field', () => {
    const def = DOCUMENT_FILTER.extend([
      {
        name: 'currency',
        match: 'exact',
        type: 'string',
        maxLength: 3,
        column: 'currency',
        flag: '--currency',
        description: 'ISO 4217 currency',
      },
    ]);
    expect(def.parameter('currency')).toMatchObject({ flag: '--currency', operator: 'eq' });
    expect(def.querySchema.parse({ currency: 'EUR', status: 'failed' })).toEqual({ currency: 'EUR', status: 'failed' });
    expect(def.querySchema.safeParse({ currency: 'EURO' }).success).toBe(false);
    expect(DOCUMENT_FILTER.parameter('currency')).toBeUndefined();
  });

  it('rejects a key or flag declared twice, an enum without values and a malformed field', () => {
    const field = {
      name: 'issuer',
      match: 'exact',
      type: 'string',
      column: 'issuer',
      flag: '--issuer2',
      description: 'x',
    } as const;
    expect(() => DOCUMENT_FILTER.extend([field])).toThrow(/"issuer" is declared twice/);
    expect(() => DOCUMENT_FILTER.extend([{ ...field, name: 'issuer2', flag: '--issuer' }])).toThrow(
      /--issuer is declared twice/,
    );
    expect(() => defineDocumentFilter([{ ...field, type: 'enum' }])).toThrow(/lists its values/);
    expect(() => defineDocumentFilter([{ ...field, column: 'Issuer; DROP TABLE documents' }])).toThrow(/snake_case/);
    expect(() => defineDocumentFilter([{ ...field, flag: 'issuer' }])).toThrow(/long option/);
  });
});
