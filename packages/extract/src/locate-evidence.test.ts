import { createEmptyMetadata } from '@autod/core';
import { describe, expect, it } from 'vitest';
import { locateEvidence } from './locate-evidence.js';

const pages = [
  { page: 1, text: 'ACME Ltd\nInvoice 17', lines: [{ text: 'ACME Ltd', box: [0.1, 0.05, 0.4, 0.08] as const }] },
  {
    page: 2,
    text: 'Total due: 249.90 EUR',
    lines: [
      { text: 'Subtotal 210.00', box: [0.5, 0.7, 0.9, 0.72] as const },
      { text: 'Total due: 249.90 EUR', box: [0.5, 0.8, 0.9, 0.82] as const },
    ],
  },
];

function meta() {
  const m = createEmptyMetadata({ processedDate: '2024-01-01', originalFileName: 'a.pdf', sourceFileId: 'x' });
  m.field_evidence.issuer = { confidence: 0.9, page: 1, source_text: 'ACME Ltd', box: null };
  // the model named the wrong page and quoted part of the line
  m.field_evidence.total_amount = { confidence: 0.9, page: 1, source_text: 'Total due:  249.90', box: null };
  m.field_evidence.currency = { confidence: 0.9, page: null, source_text: 'not on any page', box: null };
  return m;
}

describe('locateEvidence', () => {
  it('finds the line of each quoted span, correcting the page, and leaves the rest alone', () => {
    const before = meta();
    const out = locateEvidence(before, pages);
    expect(out.field_evidence.issuer).toMatchObject({ page: 1, box: { x0: 0.1, y0: 0.05, x1: 0.4, y1: 0.08 } });
    expect(out.field_evidence.total_amount).toMatchObject({ page: 2, box: { x0: 0.5, y0: 0.8, x1: 0.9, y1: 0.82 } });
    expect(out.field_evidence.currency).toMatchObject({ page: null, box: null });
    expect(before.field_evidence.issuer?.box).toBeNull();
  });

  it('returns the same object when the pages carry no geometry', () => {
    const m = meta();
    expect(locateEvidence(m, [{ page: 1, text: 'ACME Ltd' }])).toBe(m);
  });
});
