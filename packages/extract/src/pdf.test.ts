import { isAutodError, type AutodError } from '@autod/errors';
import { PDFDocument, StandardFonts, rgb } from 'pdf-lib';
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

/** Width and height from a PNG's IHDR chunk. */
function pngSize(png: Uint8Array): { width: number; height: number } {
  const v = new DataView(png.buffer, png.byteOffset, png.byteLength);
  return { width: v.getUint32(16), height: v.getUint32(20) };
}

describe('rendering caps and geometry', () => {
  let ocr: OcrEngine | undefined;
  afterAll(async () => {
    await ocr?.close();
  });

  /** A 12 KB-ish PDF with one 8400 × 8400 pt page (a CAD export; 282 MP when rendered at 144 dpi). */
  async function giantPagePdf(): Promise<Uint8Array> {
    const doc = await PDFDocument.create();
    const page = doc.addPage([8400, 8400]);
    const font = await doc.embedFont(StandardFonts.Helvetica);
    page.drawRectangle({ x: 400, y: 400, width: 7600, height: 7600, borderWidth: 20, borderColor: rgb(0, 0, 0) });
    page.drawText('X', { x: 4000, y: 4000, size: 400, font }); // under minTextChars: the page is OCR'd
    return doc.save();
  }

  it('renders a giant page within the pixel cap', async () => {
    const png = await renderPageToPng(await giantPagePdf(), 1, 2);
    const { width, height } = pngSize(png);
    expect(width * height).toBeLessThanOrEqual(25_000_000);
    expect(width).toBeGreaterThan(4000);
    const small = pngSize(await renderPageToPng(await giantPagePdf(), 1, 2, { maxPixels: 1_000_000 }));
    expect(small.width * small.height).toBeLessThanOrEqual(1_000_000);
  }, 60_000);

  it('reads a giant page with OCR on and ends with an outcome', async () => {
    ocr = createTesseractOcr();
    const content = await readPdf(await giantPagePdf(), { ocr });
    expect(content.pageCount).toBe(1);
    expect(content.pages).toHaveLength(1);
    expect(content.ocrPages + content.ocrFailedPages.length).toBe(1);
  }, 120_000);

  it('OCRs at most ocrMaxPages pages of a scanned PDF and counts the rest', async () => {
    ocr ??= createTesseractOcr();
    const one = await buildScannedPdf(['Scanned page with enough words to read']);
    const doc = await PDFDocument.create();
    const src = await PDFDocument.load(one);
    for (let i = 0; i < 3; i++) {
      const [p] = await doc.copyPages(src, [0]);
      if (p) doc.addPage(p);
    }
    const content = await readPdf(await doc.save(), { ocr, ocrMaxPages: 1 });
    expect(content).toMatchObject({ pageCount: 3, ocrPages: 1, ocrSkippedPages: 2 });
    expect(content.pages.map((p) => p.source)).toEqual(['ocr', 'none', 'none']);
  }, 120_000);

  it('keeps lines with normalised boxes when asked, in the pool and on the calling thread', async () => {
    const bytes = await buildTextPdf([['ACME Energy Inc.', 'Amount Due: $123.45', 'Thank you']]);
    for (const pool of [undefined, false] as const) {
      const content = await readPdf(bytes, { geometry: true, ...(pool === false ? { pool } : {}) });
      const lines = content.pages[0]?.lines ?? [];
      expect(lines.map((l) => l.text)).toEqual(['ACME Energy Inc.', 'Amount Due: $123.45', 'Thank you']);
      const [a, b] = lines;
      // top-left origin: the first line is near the top, the next one below it, left margin ~56 pt of 595
      expect(a?.box[1]).toBeLessThan(0.1);
      expect(b?.box[1]).toBeGreaterThan(a?.box[1] ?? 1);
      expect(a?.box[0]).toBeGreaterThan(0.05);
      expect(a?.box[0]).toBeLessThan(0.15);
      for (const l of lines) expect(l.box[2]).toBeGreaterThan(l.box[0]);
    }
    expect((await readPdf(bytes)).pages[0]?.lines).toBeUndefined();
  });
});

describe('OCR render resolution', () => {
  /** An engine that records the size of every image it is given and reads nothing. */
  function recorder(): OcrEngine & { widths: number[] } {
    const widths: number[] = [];
    return {
      widths,
      recognize: (png: Uint8Array) => {
        widths.push(pngSize(png).width);
        return Promise.resolve({ text: '', confidence: 0, lines: [] });
      },
      close: () => Promise.resolve(),
    };
  }

  it('renders a scanned page at its image resolution, within 144-400 dpi, unless a scale is forced', async () => {
    const a4 = 595; // points; buildScannedPdf draws its image over the whole A4 page
    const cases: [number, number][] = [
      [300 / 72, 300], // a 300 dpi scan: its own pixels
      [200 / 72, 200],
      [1.25, 144], // a 90 dpi scan: enlarged to the 144 dpi floor
    ];
    for (const [scale, dpi] of cases) {
      const ocr = recorder();
      await readPdf(await buildScannedPdf(['a scanned line'], { scale }), { ocr, ocrMaxPages: 1 });
      expect(Math.abs((ocr.widths[0] ?? 0) - (a4 * dpi) / 72)).toBeLessThan(4);
    }
    const forced = recorder();
    await readPdf(await buildScannedPdf(['x'], { scale: 300 / 72 }), { ocr: forced, ocrScale: 1 });
    expect(forced.widths[0]).toBe(a4);
  });
});
