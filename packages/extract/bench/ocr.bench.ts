/**
 * OCR benchmark (not a test: numbers, no assertions on time). Writes bench-results/ocr.json.
 *
 * 1. Seconds per page for OCR of generated scanned pages (a 200 dpi A4 scan embedded in a PDF, read
 *    with `readPdf` at the default 200 dpi render), median of `ROUNDS` runs, against a baseline in the
 *    same run: the same pages read without OCR (text layer only).
 * 2. Seconds per document for image intake (`readDocument` of the same pages as PNG: decode, OCR,
 *    archive PDF).
 * 3. Real receipts, when `/work/shared/corpus/real-dev` (or AUTOD_REAL_DEV) exists (benchmarks may read it;
 *    tests never do): the first `REAL_DOCS` JPEGs through `readDocument` per OCR language setting
 *    (eng, eng+deu, eng+msa): seconds per receipt and how often the labelled total, issuer and date
 *    appear in the text; and the same receipts wrapped in PDFs (page size from the image at 72 and at
 *    200 dpi) read with `readPdf` rendering at the image's own resolution (default) or at 144/200/300 dpi.
 *    Also the preprocessing variants (grayscale as used, + normalise, + CLAHE, + tesseract deskew) on the
 *    same receipts.
 * 4. Peak RSS (`process.resourceUsage().maxRSS`, a fresh child process each) reading an 8400 × 8400 pt
 *    page with OCR on at the default pixel cap, against rendering the same page uncapped (what
 *    autod did before the cap, without the OCR that then failed).
 *
 * Needs a build (`pnpm turbo run build --filter=@autod/extract...`) for the RSS children.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PDFDocument, StandardFonts, rgb } from 'pdf-lib';
import sharp, { type Sharp } from 'sharp';
import { buildScannedImage, buildScannedPdf } from '@autod/testkit';
import { expect, it } from 'vitest';
import { createTesseractOcr, readDocument, readPdf } from '../src/index.js';

const ROUNDS = Number(process.env['AUTOD_BENCH_ROUNDS'] ?? 3);
/** Sections to run (default all): `scans,real,giant`. A partial run updates those sections of ocr.json. */
const SECTIONS = new Set((process.env['AUTOD_BENCH_SECTIONS'] ?? 'scans,real,giant').split(','));
const PAGES = 4;
const REAL_DOCS = Number(process.env['AUTOD_BENCH_REAL_DOCS'] ?? 30);
const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../../..');
const realDev = process.env['AUTOD_REAL_DEV'] ?? '/work/shared/corpus/real-dev';

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
};
const r3 = (x: number): number => Math.round(x * 1000) / 1000;

const LINES = [
  'ACME Office Supplies GmbH',
  'Invoice No. 2024-0815   Date: 12.03.2024',
  'Customer: Northwind Traders, 12 Harbour Road',
  'Item                     Qty     Price',
  'Paper A4, 500 sheets       4     19.96',
  'Toner cartridge black      1     84.50',
  'Subtotal                        104.46',
  'VAT 19%                          19.85',
  'Total amount due          EUR   124.31',
  'Please pay within 14 days. Thank you for your business.',
];

async function time<T>(f: () => Promise<T>): Promise<[number, T]> {
  const t = performance.now();
  const v = await f();
  return [(performance.now() - t) / 1000, v];
}

interface Labels {
  total: number;
  issuer: string;
  raw?: { date?: string };
}

function hits(text: string, gt: Labels): { total: boolean; issuer: boolean; date: boolean } {
  const t = text.toUpperCase().replace(/\s+/g, ' ');
  return {
    total: t.includes(gt.total.toFixed(2)),
    issuer: t.includes(gt.issuer.toUpperCase().slice(0, 15)),
    date: gt.raw?.date ? t.includes(String(gt.raw.date).toUpperCase()) : false,
  };
}

/** Run an ES module script in a fresh Node process (from a file: worker threads inherit `--input-type`, which
 * they refuse) and return its last stdout line as JSON. */
function child(script: string): Record<string, number> {
  const file = path.join(tmpdir(), `autod-bench-child-${process.pid}.mjs`);
  writeFileSync(file, script);
  let out: string;
  try {
    out = execFileSync(process.execPath, [file], {
      cwd: repoRoot,
      encoding: 'utf8',
      maxBuffer: 1 << 24,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  } finally {
    rmSync(file, { force: true });
  }
  return JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as Record<string, number>;
}

it('benchmarks OCR', async () => {
  const ocr = createTesseractOcr();
  const out = path.join(repoRoot, 'bench-results');
  const previous = existsSync(path.join(out, 'ocr.json'))
    ? (JSON.parse(readFileSync(path.join(out, 'ocr.json'), 'utf8')) as Record<string, unknown>)
    : {};
  const result: Record<string, unknown> = {
    ...(SECTIONS.size < 3 ? previous : {}),
    generatedAt: new Date().toISOString(),
    node: process.version,
  };

  // 1 + 2: generated pages
  if (SECTIONS.has('scans')) {
    const pdfPages = await Promise.all(
      Array.from({ length: PAGES }, (_, i) => buildScannedPdf([...LINES, `Page ${i + 1}`], { scale: 200 / 72 })),
    );
    await readPdf(pdfPages[0] ?? new Uint8Array(), { ocr }); // warm-up: starts the OCR thread
    const ocrRuns: number[] = [];
    const textRuns: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      let s = 0;
      for (const p of pdfPages) s += (await time(() => readPdf(p, { ocr })))[0];
      ocrRuns.push(s / PAGES);
      let t = 0;
      for (const p of pdfPages) t += (await time(() => readPdf(p, { ocr: false })))[0];
      textRuns.push(t / PAGES);
    }
    const pngs = await Promise.all(
      Array.from({ length: PAGES }, (_, i) => buildScannedImage([[...LINES, `Page ${i + 1}`]], { width: 1654 })),
    );
    const imageRuns: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      let s = 0;
      for (const p of pngs) s += (await time(() => readDocument(p, { ocr })))[0];
      imageRuns.push(s / PAGES);
    }
    result['generatedScans'] = {
      pages: PAGES,
      rounds: ROUNDS,
      /** readPdf with OCR of a 200 dpi image-only page (rendered at its own 200 dpi): median seconds per page. */
      ocrSecondsPerPage200dpi: r3(median(ocrRuns)),
      /** Baseline: the same PDFs read without OCR. */
      noOcrSecondsPerPage: r3(median(textRuns)),
      ocrVsNoOcr: Math.round(median(ocrRuns) / median(textRuns)),
      /** readDocument of a 1654 px wide PNG page (decode + OCR + archive PDF): median seconds per page. */
      imageSecondsPerPage: r3(median(imageRuns)),
    };
  }

  // 3: real receipts
  if (SECTIONS.has('real') && existsSync(realDev)) {
    const labelled = readdirSync(realDev)
      .filter((f) => f.endsWith('.json'))
      .sort()
      .map((f) => JSON.parse(readFileSync(path.join(realDev, f), 'utf8')) as Labels & { file: string })
      .filter((d) => d.file.endsWith('.jpg'))
      .slice(0, REAL_DOCS);
    const byLanguage: Record<string, unknown> = {};
    for (const languages of [['eng'], ['eng', 'deu'], ['eng', 'msa']]) {
      const engine = languages.length === 1 ? ocr : createTesseractOcr({ languages });
      const secs: number[] = [];
      const found = { total: 0, issuer: 0, date: 0 };
      for (const d of labelled) {
        const bytes = new Uint8Array(readFileSync(path.join(realDev, d.file)));
        const [s, content] = await time(() => readDocument(bytes, { ocr: engine }));
        secs.push(s);
        const h = hits(content.text, d);
        for (const k of ['total', 'issuer', 'date'] as const) if (h[k]) found[k]++;
      }
      if (engine !== ocr) await engine.close();
      byLanguage[languages.join('+')] = {
        docs: labelled.length,
        secondsPerReceiptMedian: r3(median(secs)),
        secondsPerReceiptMean: r3(secs.reduce((a, b) => a + b, 0) / secs.length),
        textContains: found,
      };
    }
    // Preprocessing of the decoded receipt before OCR (eng): what readDocument does (grayscale, native
    // resolution) against contrast stretching, CLAHE and tesseract's deskew.
    const preprocessing: Record<string, unknown> = {};
    const variants: [string, (img: Sharp) => Sharp, boolean][] = [
      ['grayscale (default)', (img) => img.grayscale(), false],
      ['grayscale + normalise', (img) => img.grayscale().normalise(), false],
      ['grayscale + clahe', (img) => img.grayscale().clahe({ width: 64, height: 64 }), false],
      ['grayscale + deskew', (img) => img.grayscale(), true],
    ];
    for (const [name, prep, deskew] of variants) {
      const secs: number[] = [];
      const found = { total: 0, issuer: 0, date: 0 };
      for (const d of labelled) {
        const png = await prep(sharp(readFileSync(path.join(realDev, d.file))).rotate())
          .png()
          .toBuffer();
        const [s, r] = await time(() => ocr.recognize(png, { deskew }));
        secs.push(s);
        const h = hits(r.text, d);
        for (const k of ['total', 'issuer', 'date'] as const) if (h[k]) found[k]++;
      }
      preprocessing[name] = { docs: labelled.length, secondsPerReceiptMedian: r3(median(secs)), textContains: found };
    }
    // Scanned PDFs: the same receipts wrapped in PDFs as scanners make them, the page size from an assumed
    // resolution (72 dpi: what these JPEGs say; 200 dpi: a typical scanner), read by readPdf rendering at the
    // image's own resolution (the default, floored at 144 dpi) or at a fixed 144 / 200 / 300 dpi.
    const byRenderDpi: Record<string, unknown> = {};
    for (const pageDpi of [72, 200]) {
      const wrapped: { pdf: Uint8Array; gt: Labels }[] = [];
      for (const d of labelled.slice(0, Math.min(15, labelled.length))) {
        const jpg = readFileSync(path.join(realDev, d.file));
        const upright = await sharp(jpg).rotate().jpeg({ quality: 90 }).toBuffer();
        const meta = await sharp(upright).metadata();
        const doc = await PDFDocument.create();
        const image = await doc.embedJpg(upright);
        const k = 72 / pageDpi;
        const page = doc.addPage([(meta.width ?? 1) * k, (meta.height ?? 1) * k]);
        page.drawImage(image, { x: 0, y: 0, width: page.getWidth(), height: page.getHeight() });
        wrapped.push({ pdf: await doc.save(), gt: d });
      }
      for (const mode of ['native', 144, 200, 300] as const) {
        const secs: number[] = [];
        const found = { total: 0, issuer: 0, date: 0 };
        for (const w of wrapped) {
          const opts = mode === 'native' ? { ocr } : { ocr, ocrScale: mode / 72 };
          const [s, content] = await time(() => readPdf(w.pdf, opts));
          secs.push(s);
          const h = hits(content.text, w.gt);
          for (const key of ['total', 'issuer', 'date'] as const) if (h[key]) found[key]++;
        }
        byRenderDpi[`page ${pageDpi} dpi, render ${mode === 'native' ? 'native (default)' : `${mode} dpi`}`] = {
          docs: wrapped.length,
          secondsPerPageMedian: r3(median(secs)),
          textContains: found,
        };
      }
    }
    result['realReceipts'] = {
      source: 'real-dev receipts (JPEG), first by id',
      byLanguage,
      preprocessing,
      scannedPdfByRenderDpi: byRenderDpi,
    };
  }
  await ocr.close();

  // 4: peak RSS on a giant page, each in a fresh process
  const giant = await PDFDocument.create();
  const page = giant.addPage([8400, 8400]);
  page.drawRectangle({ x: 400, y: 400, width: 7600, height: 7600, borderWidth: 20, borderColor: rgb(0, 0, 0) });
  page.drawText('X', { x: 4000, y: 4000, size: 400, font: await giant.embedFont(StandardFonts.Helvetica) });
  const giantPath = path.join(tmpdir(), `autod-bench-giant-${process.pid}.pdf`);
  writeFileSync(giantPath, await giant.save());
  const dist = path.join(repoRoot, 'packages/extract/dist/index.js');
  if (SECTIONS.has('giant') && existsSync(dist)) {
    const capped = child(`
      import { readFileSync } from 'node:fs';
      const x = await import(${JSON.stringify(dist)});
      const ocr = x.createTesseractOcr();
      const t = performance.now();
      const c = await x.readPdf(new Uint8Array(readFileSync(${JSON.stringify(giantPath)})), { ocr });
      const s = (performance.now() - t) / 1000;
      await ocr.close(); await x.closePdfPool();
      console.log(JSON.stringify({ maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024), seconds: s, ocrPages: c.ocrPages, failed: c.ocrFailedPages.length }));
    `);
    const uncapped = child(`
      import { readFileSync } from 'node:fs';
      const x = await import(${JSON.stringify(dist)});
      const t = performance.now();
      const png = await x.renderPageToPng(new Uint8Array(readFileSync(${JSON.stringify(giantPath)})), 1, 2, { maxPixels: Infinity });
      const s = (performance.now() - t) / 1000;
      await x.closePdfPool();
      console.log(JSON.stringify({ maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024), seconds: s, pngBytes: png.length }));
    `);
    result['giantPage'] = {
      page: '8400 x 8400 pt, one page',
      /** readPdf with OCR on, default cap (25 MP): peak RSS of the whole process (threads included). */
      cappedWithOcr: capped,
      /** Baseline: only the render at scale 2 without a cap (282 MP); the OCR that followed is what crashed. */
      uncappedRenderOnly: uncapped,
      rssRatioUncappedVsCapped: Math.round(((uncapped['maxRssMb'] ?? 0) / (capped['maxRssMb'] ?? 1)) * 100) / 100,
    };
  }
  rmSync(giantPath, { force: true });
  console.log(JSON.stringify(result, null, 2));
  mkdirSync(out, { recursive: true });
  writeFileSync(path.join(out, 'ocr.json'), JSON.stringify(result, null, 2) + '\n');
  expect(Object.keys(result).length).toBeGreaterThan(2);
}, 3_600_000);
