import { isAutodError, type AutodError } from '@autod/errors';
import { badPdfs, buildScannedPdf, buildTextPdf } from '@autod/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { createTesseractOcr, type OcrEngine } from './ocr.js';
import { itemsToText, readPdf, renderPageToPng, sniffPdf } from './pdf.js';

async function rejection(p: Promise<unknown>): Promise<AutodError> {
  try {
    await p;
  } catch (e) {
    if (isAutodError(e)) return e;
    throw new Error(`expected an AutodError, got ${String(e)}`, { cause: e });
  }
  throw new Error('expected a rejection');
}

describe('readPdf on text PDFs', () => {
  it('returns page count, per-page text and info', async () => {
    const bytes = await buildTextPdf(
      [['ACME Energy Inc.', 'Electricity Bill', 'Amount Due: $123.45'], ['Page two line', 'Thank you'], ['Third page']],
      { title: 'Bill' },
    );
    const content = await readPdf(bytes);
    expect(content.pageCount).toBe(3);
    expect(content.pages.map((p) => p.page)).toEqual([1, 2, 3]);
    expect(content.pages.every((p) => p.source === 'text')).toBe(true);
    expect(content.pages[0]?.text).toBe('ACME Energy Inc.\nElectricity Bill\nAmount Due: $123.45');
    expect(content.pages[1]?.text).toBe('Page two line\nThank you');
    expect(content.text).toContain('Third page');
    expect(content.info.title).toBe('Bill');
    expect(content.ocrPages).toBe(0);
  });

  it('stops at maxPages but reports the real page count', async () => {
    const bytes = await buildTextPdf([['one'], ['two'], ['three']]);
    const content = await readPdf(bytes, { maxPages: 2 });
    expect(content.pageCount).toBe(3);
    expect(content.pages).toHaveLength(2);
  });

  it('marks pages without text as source none when OCR is off', async () => {
    const bytes = await buildTextPdf([['has text here, enough of it'], []]);
    const content = await readPdf(bytes, { ocr: false });
    expect(content.pages.map((p) => p.source)).toEqual(['text', 'none']);
  });

  it('does not detach the caller buffer', async () => {
    const bytes = await buildTextPdf([['hello world']]);
    await readPdf(bytes);
    expect(bytes.byteLength).toBeGreaterThan(0);
    expect((await readPdf(bytes)).pages[0]?.text).toBe('hello world');
  });

  it('honours an aborted signal', async () => {
    const bytes = await buildTextPdf([['hello']]);
    const err = await rejection(readPdf(bytes, { signal: AbortSignal.abort() }));
    expect(err.code).toBe('ABORTED');
  });

  it('renders a page to PNG', async () => {
    const bytes = await buildTextPdf([['render me']]);
    const png = await renderPageToPng(bytes, 1, 0.5);
    expect([...png.subarray(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47]);
    const err = await rejection(renderPageToPng(bytes, 2));
    expect(err.code).toBe('VALIDATION_FAILED');
  });
});

describe('readPdf on bad input', () => {
  type Name = 'empty' | 'notPdf' | 'corrupt' | 'truncated' | 'encrypted';
  const cases: [Name, string, RegExp][] = [
    ['empty', 'INPUT_EMPTY', /empty/i],
    ['notPdf', 'INPUT_NOT_PDF', /not a PDF/i],
    ['corrupt', 'INPUT_CORRUPT_PDF', /cannot be parsed|re-export/i],
    ['truncated', 'INPUT_CORRUPT_PDF', /cannot be|re-export/i],
    ['encrypted', 'INPUT_ENCRYPTED_PDF', /password/i],
  ];
  it.each(cases)('%s -> %s', async (name, code, message) => {
    const bytes = await badPdfs[name]();
    const err = await rejection(readPdf(bytes));
    expect(err.code).toBe(code);
    expect(err.category).toBe('input');
    expect(err.message).toMatch(message);
    if (code === 'INPUT_ENCRYPTED_PDF' || name === 'corrupt') expect(err.cause).toBeDefined();
  });

  it('sniffPdf throws the cheap codes without parsing', () => {
    expect(() => sniffPdf(new Uint8Array())).toThrow(expect.objectContaining({ code: 'INPUT_EMPTY' }));
    expect(() => sniffPdf(new TextEncoder().encode('hello, not a pdf at all'))).toThrow(
      expect.objectContaining({ code: 'INPUT_NOT_PDF' }),
    );
    expect(() => sniffPdf(new TextEncoder().encode('%PDF-1.7\n'))).toThrow(
      expect.objectContaining({ code: 'INPUT_CORRUPT_PDF' }),
    );
    expect(() => sniffPdf(new TextEncoder().encode('%PDF-1.7\n' + 'x'.repeat(100)))).not.toThrow();
  });
});

describe('itemsToText', () => {
  it('orders by baseline then x and marks wide gaps', () => {
    const text = itemsToText([
      { str: '$12.00', x: 400, y: 700, width: 40, size: 10, eol: false },
      { str: 'Total', x: 50, y: 700.5, width: 25, size: 10, eol: false },
      { str: 'Header', x: 50, y: 750, width: 30, size: 10, eol: true },
      { str: 'Due', x: 50, y: 680, width: 18, size: 10, eol: false },
      { str: 'date', x: 70, y: 680, width: 20, size: 10, eol: false },
      { str: ' ', x: 90, y: 680, width: 3, size: 10, eol: false },
    ]);
    expect(text).toBe('Header\nTotal   $12.00\nDue date');
  });
});

describe('OCR of a scanned PDF', () => {
  let ocr: OcrEngine | undefined;
  afterAll(async () => {
    await ocr?.close();
  });

  it('recognises the words of an image-only page (offline eng model)', async () => {
    const bytes = await buildScannedPdf([
      'INVOICE No. 2024-0042',
      'Total amount due: 1,234.56 EUR',
      'Thank you for your business',
    ]);
    const noOcr = await readPdf(bytes);
    expect(noOcr.pages[0]?.source).toBe('none');
    ocr = createTesseractOcr();
    const content = await readPdf(bytes, { ocr });
    expect(content.ocrPages).toBe(1);
    expect(content.pages[0]?.source).toBe('ocr');
    expect(content.text).toMatch(/INVOICE/);
    expect(content.text).toMatch(/1,234\.56/);
    expect(content.text.toLowerCase()).toContain('thank you');
  }, 60_000);
});
