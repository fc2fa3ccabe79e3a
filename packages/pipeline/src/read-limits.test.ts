import { createEmptyMetadata } from '@autod/core';
import { describe, expect, it } from 'vitest';
import { noteReadLimits } from './pipeline.js';

describe('noteReadLimits', () => {
  const m = createEmptyMetadata({ processedDate: '2024-01-01', originalFileName: 'scan.pdf', sourceFileId: 'x' });

  it('notes pages over the OCR limit and pages whose OCR failed in the metadata errors', () => {
    const out = noteReadLimits(m, { ocrPages: 20, ocrSkippedPages: 280, ocrFailedPages: [3, 7] });
    expect(out.errors).toEqual([
      'OCR was limited to 20 page(s) (AUTOD_OCR_MAX_PAGES); 280 more scanned page(s) kept only their text layer.',
      'OCR failed on page(s) 3, 7; they have no text.',
    ]);
    expect(m.errors).toEqual([]);
  });

  it('leaves the metadata alone when the reader did everything', () => {
    expect(noteReadLimits(m, { ocrPages: 2, ocrSkippedPages: 0, ocrFailedPages: [] })).toBe(m);
  });
});
