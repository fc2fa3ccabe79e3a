import { isAutodError, type AutodError } from '@autod/errors';
import { badPdfs, buildScannedPdf, buildTextPdf } from '@autod/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { availableParallelism } from 'node:os';
import { closePdfPool, configurePdfPool, createPdfPool, defaultPdfPoolSize, readPdf, renderPageToPng } from './pdf.js';

async function rejection(p: Promise<unknown>): Promise<AutodError> {
  try {
    await p;
  } catch (e) {
    if (isAutodError(e)) return e;
    throw new Error(`expected an AutodError, got ${String(e)}`, { cause: e });
  }
  throw new Error('expected a rejection');
}

function bigPdf(pages: number): Promise<Uint8Array> {
  return buildTextPdf(
    Array.from({ length: pages }, (_, p) =>
      Array.from({ length: 40 }, (_, l) => `Page ${p + 1} line ${l + 1}: some words for the text layer 123.45 EUR`),
    ),
  );
}

describe('readPdf in the worker pool', () => {
  const pool = createPdfPool({ size: 1 });
  afterAll(async () => {
    await pool.close();
    await closePdfPool();
  });

  it('keeps the main event loop free while a large PDF is parsed', async () => {
    const bytes = await bigPdf(80);
    await readPdf(await buildTextPdf([['warm up the worker']]), { pool });
    let ticks = 0;
    const timer = setInterval(() => ticks++, 2);
    try {
      const content = await readPdf(bytes, { pool });
      expect(content.pages).toHaveLength(80);
    } finally {
      clearInterval(timer);
    }
    // On this thread pdf.js's "fake worker" runs on microtasks and the timer does not fire at all
    // during the parse; in the pool it keeps firing.
    expect(ticks).toBeGreaterThanOrEqual(5);
  });

  it('returns the same content as reading on this thread, concurrently, and leaves the input intact', async () => {
    const a = await buildTextPdf([['ACME Energy Inc.', 'Amount Due: $123.45'], [], ['Third page']], { title: 'Bill' });
    const b = await buildTextPdf([['Other document'], ['second page text']]);
    const before = a.slice();
    const [pa, pb] = await Promise.all([readPdf(a, { pool }), readPdf(b, { pool, maxPages: 1 })]);
    expect(pa).toEqual(await readPdf(a, { pool: false }));
    expect(pb).toEqual(await readPdf(b, { pool: false, maxPages: 1 }));
    expect(pa.info.title).toBe('Bill');
    expect(pa.pages.map((p) => p.source)).toEqual(['text', 'none', 'text']);
    expect(pb.pageCount).toBe(2);
    expect(a).toEqual(before);
  });

  it.each(['corrupt', 'truncated', 'encrypted'] as const)(
    'rebuilds %s errors with the same code, message and cause as in-thread',
    async (name) => {
      const bytes = await badPdfs[name]();
      const inPool = await rejection(readPdf(bytes, { pool }));
      const inThread = await rejection(readPdf(bytes, { pool: false }));
      expect(inPool.code).toBe(inThread.code);
      expect(inPool.category).toBe('input');
      expect(inPool.message).toBe(inThread.message);
      expect(inPool.cause).toBeInstanceOf(Error);
      expect((inPool.cause as Error).name).toBe((inThread.cause as Error).name);
      if (name === 'encrypted') {
        expect(inPool.code).toBe('INPUT_ENCRYPTED_PDF');
        expect((inPool.cause as Error).name).toBe('PasswordException');
      }
    },
  );

  it('aborts a parse in flight (the worker is replaced) and keeps working', async () => {
    const bytes = await bigPdf(60);
    const controller = new AbortController();
    const pending = readPdf(bytes, { pool, signal: controller.signal });
    setTimeout(() => controller.abort(new Error('stop')), 5);
    const err = await rejection(pending);
    expect(err.code).toBe('ABORTED');
    const again = await readPdf(await buildTextPdf([['after the abort']]), { pool });
    expect(again.pages[0]?.text).toBe('after the abort');
  });

  it('renders pages in the worker', async () => {
    const bytes = await buildTextPdf([['render me']]);
    const png = await renderPageToPng(bytes, 1, 0.5, { pool });
    expect([...png.subarray(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47]);
    expect((await rejection(renderPageToPng(bytes, 3, 1, { pool }))).code).toBe('VALIDATION_FAILED');
  });

  it('a short read does not wait behind a document that holds every worker for its OCR (no head-of-line blocking)', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    let rendering: () => void = () => undefined;
    const rendered = new Promise<void>((r) => (rendering = r));
    // an OCR engine that is slow on the scan: the scan's session keeps the pool's only worker meanwhile
    const slowOcr = {
      recognize: async () => {
        rendering();
        await gate;
        return { text: 'recognised text of the scanned page', confidence: 90 };
      },
      close: async () => undefined,
    };
    const scan = readPdf(await buildScannedPdf(['A SCANNED PAGE', 'Total 12.00']), { pool, ocr: slowOcr });
    await rendered;
    const text = await readPdf(await buildTextPdf([['a text PDF behind the scan']]), { pool });
    expect(text.pages[0]?.text).toBe('a text PDF behind the scan');
    release();
    expect((await scan).pages[0]?.source).toBe('ocr');
    // the extra worker went away again: the pool is back to its size
    const again = await readPdf(await buildTextPdf([['after']]), { pool });
    expect(again.pages[0]?.text).toBe('after');
  });

  it('a closed pool refuses work; the shared pool is re-created after closePdfPool', async () => {
    const own = createPdfPool({ size: 1 });
    const bytes = await buildTextPdf([['shared pool']]);
    expect((await readPdf(bytes, { pool: own })).pages[0]?.text).toBe('shared pool');
    await own.close();
    expect((await rejection(readPdf(bytes, { pool: own }))).code).toBe('ABORTED');
    expect((await readPdf(bytes)).pages[0]?.text).toBe('shared pool');
    await closePdfPool();
    expect((await readPdf(bytes)).pages[0]?.text).toBe('shared pool');
  });
});

describe('pool configuration', () => {
  it('leaves a core to the calling thread: min(2, cores - 1), at least 1', () => {
    expect([1, 2, 3, 4, 16].map((cores) => defaultPdfPoolSize(cores))).toEqual([1, 1, 2, 2, 2]);
  });

  it('defaults to defaultPdfPoolSize() workers; configurePdfPool replaces the shared pool', async () => {
    const a = createPdfPool();
    const b = createPdfPool({ size: 3 });
    expect(a.size).toBe(defaultPdfPoolSize(availableParallelism()));
    expect(b.size).toBe(3);
    await Promise.all([a.close(), b.close()]);
    configurePdfPool({ size: 1 });
    const bytes = await buildTextPdf([['configured']]);
    const results = await Promise.all([readPdf(bytes), readPdf(bytes)]);
    expect(results.map((r) => r.pages[0]?.text)).toEqual(['configured', 'configured']);
    configurePdfPool({});
    await closePdfPool();
  });
});
