import { isAutodError, type AutodError } from '@autod/errors';
import { afterAll, describe, expect, it } from 'vitest';
import { SHIPPED_OCR_LANGUAGES, availableOcrLanguages, createTesseractOcr, resolveOcrLanguages } from './ocr.js';
import { textPng } from './__tests__/images.js';

async function rejection(p: Promise<unknown>): Promise<AutodError> {
  try {
    await p;
  } catch (e) {
    if (isAutodError(e)) return e;
    throw new Error(`expected an AutodError, got ${String(e)}`, { cause: e });
  }
  throw new Error('expected a rejection');
}

describe('OCR languages', () => {
  it('ships eng, deu, fra, spa, ita, nld, por and msa', () => {
    expect(availableOcrLanguages().map((l) => l.code)).toEqual([...SHIPPED_OCR_LANGUAGES]);
    expect(resolveOcrLanguages('eng+deu').map((l) => l.code)).toEqual(['eng', 'deu']);
    expect(resolveOcrLanguages('fra, spa').map((l) => l.code)).toEqual(['fra', 'spa']);
  });

  it('names a missing language and what is installed', () => {
    let err: unknown;
    try {
      createTesseractOcr({ languages: ['eng', 'klingon'] });
    } catch (e) {
      err = e;
    }
    expect(isAutodError(err) && err.code).toBe('VALIDATION_FAILED');
    expect((err as Error).message).toContain('klingon');
    expect((err as Error).message).toContain('deu');
    expect(() => resolveOcrLanguages('')).toThrow(/No OCR language/);
  });
});

describe('tesseract engine', () => {
  const ocr = createTesseractOcr({ languages: ['eng'] });
  afterAll(() => ocr.close());
  const png = textPng(['INVOICE 2024-0042', 'Total due 1,234.56 EUR']);

  it('recognises text with line and word boxes', async () => {
    const r = await ocr.recognize(png);
    expect(r.text).toMatch(/INVOICE/);
    expect(r.text).toContain('1,234.56');
    const total = r.lines?.find((l) => l.text.includes('Total'));
    expect(total).toBeDefined();
    expect(total?.words.length).toBeGreaterThanOrEqual(3);
    expect(total?.bbox.x0).toBeGreaterThanOrEqual(30);
    expect(total?.bbox.y0).toBeGreaterThan(r.lines?.[0]?.bbox.y0 ?? 0);
  }, 60_000);

  it('turns an engine failure into a rejection and keeps working', async () => {
    const err = await rejection(ocr.recognize(new Uint8Array([1, 2, 3, 4])));
    expect(err.code).toBe('INTERNAL');
    expect((await ocr.recognize(png)).text).toMatch(/INVOICE/);
  }, 60_000);

  it('aborts a recognition by ending its thread, then starts a new one', async () => {
    const ac = new AbortController();
    const big = textPng(
      Array.from({ length: 40 }, (_, i) => `Line ${i} of a long page to keep the engine busy`),
      {
        width: 2400,
      },
    );
    const p = ocr.recognize(big, { signal: ac.signal });
    setTimeout(() => ac.abort(new Error('deadline')), 50);
    expect((await rejection(p)).code).toBe('ABORTED');
    expect((await rejection(ocr.recognize(png, { signal: AbortSignal.abort() }))).code).toBe('ABORTED');
    expect((await ocr.recognize(png)).text).toMatch(/INVOICE/);
  }, 60_000);
});
