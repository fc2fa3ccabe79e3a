import sharp from 'sharp';
import { PDFDocument } from 'pdf-lib';
import { isAutodError, type AutodError } from '@autod/errors';
import { buildTextPdf } from '@autod/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { readDocument } from './document.js';
import { createTesseractOcr, type OcrEngine } from './ocr.js';
import { readPdf } from './pdf.js';
import { multiPageTiff, textPng } from './__tests__/images.js';

async function rejection(p: Promise<unknown>): Promise<AutodError> {
  try {
    await p;
  } catch (e) {
    if (isAutodError(e)) return e;
    throw new Error(`expected an AutodError, got ${String(e)}`, { cause: e });
  }
  throw new Error('expected a rejection');
}

const RECEIPT = ['GREEN GROCER LTD', 'Receipt 2024-0815', 'Apples 3.20', 'TOTAL 12.45 EUR', 'Thank you'];

describe('readDocument on images', () => {
  const ocr: OcrEngine = createTesseractOcr();
  afterAll(() => ocr.close());

  it('OCRs a PNG and files a searchable PDF with the words as invisible text', async () => {
    const content = await readDocument(textPng(RECEIPT), { ocr, geometry: true });
    expect(content).toMatchObject({ kind: 'image', mediaType: 'image/png', pageCount: 1, ocrPages: 1 });
    expect(content.pages[0]?.source).toBe('ocr');
    expect(content.text).toContain('GREEN GROCER');
    expect(content.text).toContain('12.45');
    // geometry: normalised boxes, top-left origin, lines in reading order
    const lines = content.pages[0]?.lines ?? [];
    const total = lines.find((l) => l.text.includes('TOTAL'));
    const first = lines[0];
    expect(first?.text).toContain('GREEN');
    expect(total?.box.every((v) => v >= 0 && v <= 1)).toBe(true);
    expect(total?.box[1]).toBeGreaterThan(first?.box[1] ?? 1);
    expect((total?.box[2] ?? 0) > (total?.box[0] ?? 1)).toBe(true);
    // the archive PDF: one page with the image, its text layer reads back with pdf.js
    const pdf = content.archivePdf;
    expect(pdf).toBeDefined();
    const back = await readPdf(pdf ?? new Uint8Array(), { ocr: false });
    expect(back.pageCount).toBe(1);
    expect(back.pages[0]?.source).toBe('text');
    expect(back.text).toContain('GREEN GROCER LTD');
    expect(back.text).toMatch(/TOTAL\s+12\.45/);
    // the words are drawn in text render mode 3 (invisible): the image is what a viewer shows
    const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
    const task = pdfjs.getDocument({ data: (pdf ?? new Uint8Array()).slice(), verbosity: 0 });
    const loaded = await task.promise;
    const ops = await (await loaded.getPage(1)).getOperatorList();
    const modes = ops.fnArray.flatMap((fn, i) =>
      fn === pdfjs.OPS.setTextRenderingMode ? [(ops.argsArray[i] as number[])[0]] : [],
    );
    expect(modes).toEqual([3]);
    expect(ops.fnArray).toContain(pdfjs.OPS.paintImageXObject);
    await task.destroy();
  }, 60_000);

  it('reads every page of a multi-page TIFF and puts all of them in the PDF', async () => {
    const tiff = await multiPageTiff([textPng(['PAGE ONE invoice']), textPng(['PAGE TWO terms'])]);
    const content = await readDocument(tiff, { ocr });
    expect(content).toMatchObject({ mediaType: 'image/tiff', pageCount: 2, ocrPages: 2 });
    expect(content.pages[0]?.text).toContain('ONE');
    expect(content.pages[1]?.text).toContain('TWO');
    const back = await readPdf(content.archivePdf ?? new Uint8Array());
    expect(back.pageCount).toBe(2);
    expect(back.pages[1]?.text).toContain('TWO');
  }, 60_000);

  it('OCRs at most ocrMaxPages pages and says how many it skipped', async () => {
    const page = textPng(['Some page text here']);
    const tiff = await multiPageTiff([page, page, page]);
    const content = await readDocument(tiff, { ocr, ocrMaxPages: 1 });
    expect(content).toMatchObject({ pageCount: 3, ocrPages: 1, ocrSkippedPages: 2 });
    expect(content.pages.map((p) => p.source)).toEqual(['ocr', 'none', 'none']);
    expect((await readPdf(content.archivePdf ?? new Uint8Array())).pageCount).toBe(3);
  }, 60_000);

  it('finds the orientation of a page scanned sideways and files it upright', async () => {
    const upright = textPng([...RECEIPT, 'Visa card ending 4242', 'Served by Anna at till 3'], { height: 500 });
    const sideways = await sharp(upright).rotate(90).png().toBuffer();
    const content = await readDocument(sideways, { ocr });
    expect(content.text).toContain('GREEN GROCER');
    expect(content.text).toContain('12.45');
    const doc = await PDFDocument.load(content.archivePdf ?? new Uint8Array());
    const p = doc.getPage(0);
    expect(p.getWidth()).toBeGreaterThan(p.getHeight()); // turned back: wider than tall, like the original
  }, 60_000);

  it('applies the EXIF orientation of a JPEG', async () => {
    const upright = await sharp(textPng(RECEIPT)).jpeg().toBuffer();
    // Stored turned by 90° with orientation 8 ("rotate 270° to display"): viewers show it upright.
    const stored = await sharp(upright).rotate(90).withMetadata({ orientation: 8 }).jpeg().toBuffer();
    const content = await readDocument(stored, { ocr, ocrOrientation: false });
    expect(content.mediaType).toBe('image/jpeg');
    expect(content.text).toContain('GREEN GROCER');
  }, 60_000);

  it('reads images without OCR (no text, still a PDF)', async () => {
    const content = await readDocument(
      await sharp(textPng(['x']))
        .webp()
        .toBuffer(),
      { ocr: false },
    );
    expect(content).toMatchObject({ mediaType: 'image/webp', pageCount: 1, ocrPages: 0, text: '' });
    expect(content.pages[0]?.source).toBe('none');
    expect((await readPdf(content.archivePdf ?? new Uint8Array())).pageCount).toBe(1);
  });

  it('turns a broken image into INPUT_CORRUPT_IMAGE', async () => {
    const png = textPng(RECEIPT);
    const truncated = png.subarray(0, Math.floor(png.length / 2));
    expect((await rejection(readDocument(truncated, { ocr }))).code).toBe('INPUT_CORRUPT_IMAGE');
    const jpeg = await sharp(png).jpeg().toBuffer();
    const garbled = Buffer.concat([jpeg.subarray(0, 20), Buffer.alloc(200, 0x55)]);
    expect((await rejection(readDocument(garbled, { ocr }))).code).toBe('INPUT_CORRUPT_IMAGE');
  });

  it('stops OCR when the signal fires', async () => {
    const ac = new AbortController();
    const many = await multiPageTiff(Array.from({ length: 4 }, () => textPng(RECEIPT)));
    const p = readDocument(many, { ocr, signal: ac.signal });
    setTimeout(() => ac.abort(new Error('deadline')), 100);
    expect((await rejection(p)).code).toBe('ABORTED');
    // the engine starts a new thread for the next document
    expect((await readDocument(textPng(RECEIPT), { ocr })).text).toContain('12.45');
  }, 60_000);
});

describe('readDocument on other input', () => {
  it('reads a PDF like readPdf and says so', async () => {
    const content = await readDocument(await buildTextPdf([['Hello world from a PDF']]));
    expect(content).toMatchObject({ kind: 'pdf', mediaType: 'application/pdf', pageCount: 1 });
    expect(content.archivePdf).toBeUndefined();
    expect(content.text).toBe('Hello world from a PDF');
  });

  it('refuses what is neither a PDF nor an image', async () => {
    expect((await rejection(readDocument(new TextEncoder().encode('name,amount\nx,1\n')))).code).toBe(
      'INPUT_UNSUPPORTED_TYPE',
    );
    expect((await rejection(readDocument(new Uint8Array()))).code).toBe('INPUT_EMPTY');
  });
});
