/**
 * Throughput of readPdf in the worker pool vs. on the calling thread (`pool: false`), sequential
 * and with as many documents in flight as the pool has workers.
 * Throughput of readPdf (pages/s) and extractOffline (docs/s) over 200 testkit corpus documents.
 * Baselines measured in the same run:
 * - readPdf vs. naive pdf.js use (a new worker and standard-font loading per document, as in
 *   the dependency probe): ratio > 1 means readPdf is faster.
 * - extractOffline vs. validating an empty metadata object with zod (the floor every provider
 *   pays): the ratio says how many validations one full extraction costs.
 * Writes bench-results/extract.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DocumentMetadataSchema, createEmptyMetadata } from '@autod/core';
import { generateCorpus } from '@autod/testkit';
import { expect, it } from 'vitest';
import { closePdfPool, createPdfPool, extractOffline, readPdf, type PdfContent } from '../src/index.js';

const DOCS = 200;
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

async function naiveRead(bytes: Uint8Array): Promise<number> {
  const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const require = createRequire(import.meta.url);
  const fonts = path.join(path.dirname(require.resolve('pdfjs-dist/package.json')), 'standard_fonts') + path.sep;
  const task = pdfjs.getDocument({ data: bytes.slice(), standardFontDataUrl: fonts, verbosity: 0 });
  const doc = await task.promise;
  let chars = 0;
  for (let p = 1; p <= doc.numPages; p++) {
    const page = await doc.getPage(p);
    const content = await page.getTextContent();
    for (const item of content.items) if ('str' in item) chars += item.str.length;
  }
  await task.destroy();
  return chars;
}

it('benchmarks readPdf and extractOffline', async () => {
  const corpus = await generateCorpus({ count: DOCS, seed: 42 });
  // Warm-up (module load, JIT).
  for (const d of corpus.slice(0, 5)) {
    await readPdf(d.bytes, { pool: false });
    await naiveRead(d.bytes);
  }

  const pool = createPdfPool();

  let t = performance.now();
  const contents: PdfContent[] = [];
  for (const d of corpus) contents.push(await readPdf(d.bytes, { pool: false }));
  const readMs = performance.now() - t;
  const pages = contents.reduce((n, c) => n + c.pages.length, 0);

  for (const d of corpus.slice(0, 2 * pool.size)) await readPdf(d.bytes, { pool });
  t = performance.now();
  for (const d of corpus) await readPdf(d.bytes, { pool });
  const poolSeqMs = performance.now() - t;

  t = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: pool.size }, async () => {
      while (next < corpus.length) {
        const d = corpus[next++];
        if (d) await readPdf(d.bytes, { pool });
      }
    }),
  );
  const poolParMs = performance.now() - t;
  await pool.close();
  await closePdfPool();

  t = performance.now();
  for (const d of corpus) await naiveRead(d.bytes);
  const naiveMs = performance.now() - t;

  const inputs = contents.map((c, i) => ({
    text: c.text,
    pages: c.pages,
    fileName: corpus[i]?.fileName ?? 'x.pdf',
    processedAt: '2025-01-01T00:00:00.000Z',
    sourceFileId: `bench-${i}`,
    pageCount: c.pageCount,
  }));
  for (const input of inputs.slice(0, 20)) extractOffline(input);
  const rounds = 3;
  t = performance.now();
  for (let r = 0; r < rounds; r++) for (const input of inputs) extractOffline(input);
  const extractMs = (performance.now() - t) / rounds;

  const empty = createEmptyMetadata({ processedDate: 'x', originalFileName: 'x.pdf', sourceFileId: 'x', pageCount: 1 });
  t = performance.now();
  for (let r = 0; r < rounds; r++) for (let i = 0; i < inputs.length; i++) DocumentMetadataSchema.parse(empty);
  const validateMs = (performance.now() - t) / rounds;

  const result = {
    generatedAt: new Date().toISOString(),
    node: process.version,
    docs: DOCS,
    pages,
    /** readPdf on the calling thread (`pool: false`). */
    readPdf: {
      ms: Math.round(readMs),
      pagesPerSec: Math.round((pages / readMs) * 1000 * 10) / 10,
      msPerDoc: Math.round((readMs / DOCS) * 100) / 100,
    },
    pool: {
      size: pool.size,
      sequential: { ms: Math.round(poolSeqMs), pagesPerSec: Math.round((pages / poolSeqMs) * 1000 * 10) / 10 },
      concurrent: { ms: Math.round(poolParMs), pagesPerSec: Math.round((pages / poolParMs) * 1000 * 10) / 10 },
    },
    poolSequentialVsInThread: Math.round((readMs / poolSeqMs) * 100) / 100,
    poolConcurrentVsInThread: Math.round((readMs / poolParMs) * 100) / 100,
    naivePdfjsBaseline: { ms: Math.round(naiveMs), pagesPerSec: Math.round((pages / naiveMs) * 1000 * 10) / 10 },
    readPdfSpeedupVsNaive: Math.round((naiveMs / readMs) * 100) / 100,
    extractOffline: {
      msPerDoc: Math.round((extractMs / DOCS) * 1000) / 1000,
      docsPerSec: Math.round((DOCS / extractMs) * 1000),
    },
    zodValidationBaseline: { msPerDoc: Math.round((validateMs / DOCS) * 1000) / 1000 },
    extractCostInValidations: Math.round((extractMs / validateMs) * 10) / 10,
  };
  console.log(JSON.stringify(result, null, 2));
  const out = path.join(repoRoot, 'bench-results');
  mkdirSync(out, { recursive: true });
  writeFileSync(path.join(out, 'extract.json'), JSON.stringify(result, null, 2) + '\n');
  expect(pages).toBeGreaterThanOrEqual(DOCS);
});
