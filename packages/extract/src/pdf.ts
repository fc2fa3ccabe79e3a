import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { errorFor, isAutodError, type AutodError } from '@autod/errors';
import type * as PdfJsNs from 'pdfjs-dist/legacy/build/pdf.mjs';
import type { OcrEngine } from './ocr.js';

/** One page of a PDF as text. `source` says where the text came from. */
export interface PdfPage {
  /** 1-based page number. */
  page: number;
  text: string;
  /** `text`: the PDF's text layer; `ocr`: recognised from the rendered page; `none`: no text found. */
  source: 'text' | 'ocr' | 'none';
}

export interface PdfContent {
  /** Pages in the file (may be more than `pages.length` when `maxPages` cut the read short). */
  pageCount: number;
  pages: PdfPage[];
  /** All page texts joined with a blank line. */
  text: string;
  info: { title?: string; producer?: string };
  /** How many pages were OCR'd. */
  ocrPages: number;
}

export interface ReadPdfOptions {
  /** OCR engine for pages without a usable text layer; `false`/absent = no OCR. */
  ocr?: OcrEngine | false;
  /** Read at most this many pages (default: all). */
  maxPages?: number;
  /** A page whose text layer has fewer non-space characters than this is OCR'd (default 20). */
  minTextChars?: number;
  /** Render scale for OCR (default 2, i.e. 144 dpi). */
  ocrScale?: number;
  signal?: AbortSignal;
}

/** Smallest byte count that can be a PDF (`%PDF-1.x` + a trailer); anything shorter is corrupt. */
const MIN_PDF_BYTES = 64;
const HEADER_WINDOW = 1024;

type PdfJs = typeof PdfJsNs;
type PdfDocumentProxy = Awaited<ReturnType<PdfJs['getDocument']>['promise']>;
type PdfLoadingTask = ReturnType<PdfJs['getDocument']>;

let pdfjsPromise: Promise<PdfJs> | undefined;
/** pdf.js is loaded lazily: importing this package must stay cheap for code that only uses the extractor. */
function loadPdfJs(): Promise<PdfJs> {
  pdfjsPromise ??= import('pdfjs-dist/legacy/build/pdf.mjs');
  return pdfjsPromise;
}

type PdfWorker = InstanceType<PdfJs['PDFWorker']>;
let sharedWorker: PdfWorker | undefined;
/**
 * One pdf.js worker for every document: in Node it is a "fake" worker on the main thread, and
 * setting one up per document costs more than parsing a small PDF.
 */
function workerFor(pdfjs: PdfJs): PdfWorker {
  if (!sharedWorker || sharedWorker.destroyed) sharedWorker = new pdfjs.PDFWorker({ verbosity: 0 });
  return sharedWorker;
}

const binaryCache = new Map<string, Promise<Uint8Array>>();
/**
 * pdf.js's Node data factory re-reads standard font files for every document; this one caches
 * them (a handful of small files) and hands out copies, since pdf.js may transfer what it gets.
 */
class CachedBinaryDataFactory {
  private readonly urls: Record<string, string | null>;
  constructor(opts: { cMapUrl?: string | null; standardFontDataUrl?: string | null; wasmUrl?: string | null }) {
    this.urls = { cMapUrl: opts.cMapUrl ?? null, standardFontDataUrl: opts.standardFontDataUrl ?? null, wasmUrl: opts.wasmUrl ?? null };
  }
  async fetch({ kind, filename }: { kind: string; filename: string }): Promise<Uint8Array> {
    const base = this.urls[kind];
    if (!base) throw new Error(`Ensure that the \`${kind}\` API parameter is provided.`);
    const file = `${base}${filename}`;
    let data = binaryCache.get(file);
    if (!data) {
      data = readFile(file).then((b) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
      binaryCache.set(file, data);
      data.catch(() => binaryCache.delete(file));
    }
    return (await data).slice();
  }
}

let fontDir: string | undefined;
function standardFontDataUrl(): string {
  if (fontDir === undefined) {
    const require = createRequire(import.meta.url);
    fontDir = path.join(path.dirname(require.resolve('pdfjs-dist/package.json')), 'standard_fonts') + path.sep;
  }
  return fontDir;
}

/** Index of `%PDF-` within the first KiB (some scanners prepend junk, which readers tolerate), or -1. */
function headerIndex(bytes: Uint8Array): number {
  const end = Math.min(bytes.length - 5, HEADER_WINDOW);
  for (let i = 0; i <= end; i++) {
    if (bytes[i] === 0x25 && bytes[i + 1] === 0x50 && bytes[i + 2] === 0x44 && bytes[i + 3] === 0x46 && bytes[i + 4] === 0x2d) {
      return i;
    }
  }
  return -1;
}

/**
 * Cheap checks before parsing: not empty, starts with a `%PDF-` header, long enough to hold one.
 * Throws `INPUT_EMPTY`, `INPUT_NOT_PDF` or `INPUT_CORRUPT_PDF` (InputError).
 */
export function sniffPdf(bytes: Uint8Array): void {
  if (bytes.length === 0) {
    throw errorFor('INPUT_EMPTY', 'The file is empty (0 bytes); rescan or re-export the document.');
  }
  if (headerIndex(bytes) < 0) {
    throw errorFor(
      'INPUT_NOT_PDF',
      'The file is not a PDF (no "%PDF-" header in its first 1024 bytes); convert it to PDF and drop it in again.',
      { details: { bytes: bytes.length } },
    );
  }
  if (bytes.length < MIN_PDF_BYTES) {
    throw errorFor('INPUT_CORRUPT_PDF', `The PDF is only ${bytes.length} bytes long and cannot be complete; rescan or re-export it.`, {
      details: { bytes: bytes.length },
    });
  }
}

function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw errorFor('ABORTED', 'Reading the PDF was cancelled.', { cause: signal.reason });
}

function errorName(e: unknown): string {
  return e !== null && typeof e === 'object' && 'name' in e && typeof e.name === 'string' ? e.name : '';
}

/** Map whatever pdf.js threw while opening a document onto our input codes. */
function openError(e: unknown, bytes: number): AutodError {
  if (isAutodError(e)) return e;
  const name = errorName(e);
  if (name === 'PasswordException') {
    return errorFor('INPUT_ENCRYPTED_PDF', 'The PDF is password-protected; remove the password (print to PDF) and drop it in again.', {
      cause: e,
      details: { bytes },
    });
  }
  if (name === 'AbortException' || name === 'AbortError') {
    return errorFor('ABORTED', 'Reading the PDF was cancelled.', { cause: e });
  }
  const why = e instanceof Error ? e.message : String(e);
  return errorFor('INPUT_CORRUPT_PDF', `The PDF cannot be parsed (${why}); rescan or re-export it.`, {
    cause: e,
    details: { bytes, reason: name || 'unknown' },
  });
}

interface PositionedItem {
  str: string;
  x: number;
  y: number;
  width: number;
  size: number;
  eol: boolean;
}

/**
 * Rebuild reading-order lines from pdf.js text items: items are grouped by baseline (within half a
 * glyph height), sorted left to right, and separated by a space when there is a visible gap (three
 * spaces for a wide, column-like gap, so "Total      $12.00" stays recognisably two cells).
 */
export function itemsToText(items: readonly PositionedItem[]): string {
  // Whitespace items (pdf.js inserts them for gaps) are dropped: gaps are measured from positions.
  const sorted = items.filter((i) => i.str.trim().length > 0).slice().sort((a, b) => b.y - a.y || a.x - b.x);
  const lines: PositionedItem[][] = [];
  for (const item of sorted) {
    const line = lines.at(-1);
    const first = line?.[0];
    if (line && first && Math.abs(first.y - item.y) <= Math.max(1, Math.min(first.size, item.size) * 0.5)) line.push(item);
    else lines.push([item]);
  }
  const out: string[] = [];
  for (const line of lines) {
    line.sort((a, b) => a.x - b.x);
    let s = '';
    let prevEnd: number | undefined;
    for (const item of line) {
      if (prevEnd !== undefined && s.length > 0) {
        const gap = item.x - prevEnd;
        const size = item.size || 10;
        if (gap > size * 2) s = s.trimEnd() + '   ';
        else if (gap > size * 0.15 && !/\s$/.test(s) && !/^\s/.test(item.str)) s += ' ';
      }
      s += s.endsWith('   ') ? item.str.trimStart() : item.str;
      prevEnd = item.x + item.width;
    }
    const trimmed = s.replace(/[ \t]+$/u, '');
    if (trimmed.trim().length > 0) out.push(trimmed);
  }
  return out.join('\n');
}

function nonSpaceChars(s: string): number {
  return s.replace(/\s+/gu, '').length;
}

/**
 * `forRendering`: load the standard-font programs (needed to draw glyphs). Text extraction does
 * not need them (pdf.js has the standard fonts' metrics built in) and skipping them makes reading
 * a small PDF several times faster.
 */
function openDocument(pdfjs: PdfJs, bytes: Uint8Array, forRendering: boolean): PdfLoadingTask {
  return pdfjs.getDocument({
    // pdf.js may transfer (detach) the buffer it is given: always hand it a copy.
    data: bytes.slice(),
    ...(forRendering ? { standardFontDataUrl: standardFontDataUrl() } : {}),
    BinaryDataFactory: CachedBinaryDataFactory,
    worker: workerFor(pdfjs),
    useSystemFonts: false,
    verbosity: 0,
    stopAtErrors: false,
  });
}

async function withDocument<T>(bytes: Uint8Array, signal: AbortSignal | undefined, forRendering: boolean, fn: (doc: PdfDocumentProxy, pdfjs: PdfJs) => Promise<T>): Promise<T> {
  sniffPdf(bytes);
  checkAborted(signal);
  const pdfjs = await loadPdfJs();
  const task = openDocument(pdfjs, bytes, forRendering);
  const onAbort = (): void => {
    void task.destroy();
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    let doc: PdfDocumentProxy;
    try {
      doc = await task.promise;
    } catch (e) {
      if (signal?.aborted) throw errorFor('ABORTED', 'Reading the PDF was cancelled.', { cause: signal.reason });
      throw openError(e, bytes.length);
    }
    return await fn(doc, pdfjs);
  } finally {
    signal?.removeEventListener('abort', onAbort);
    await task.destroy();
  }
}

async function pageText(doc: PdfDocumentProxy, pageNo: number): Promise<string> {
  const page = await doc.getPage(pageNo);
  try {
    const content = await page.getTextContent();
    const items: PositionedItem[] = [];
    for (const item of content.items) {
      if (!('str' in item)) continue;
      const t = item.transform as number[];
      items.push({
        str: item.str,
        x: t[4] ?? 0,
        y: t[5] ?? 0,
        width: item.width,
        size: Math.hypot(t[2] ?? 0, t[3] ?? 0) || item.height || 10,
        eol: item.hasEOL,
      });
    }
    return itemsToText(items);
  } finally {
    page.cleanup();
  }
}

async function renderWith(doc: PdfDocumentProxy, pageNo: number, scale: number): Promise<Uint8Array> {
  const { createCanvas } = await import('@napi-rs/canvas');
  const page = await doc.getPage(pageNo);
  try {
    const viewport = page.getViewport({ scale });
    const canvas = createCanvas(Math.max(1, Math.ceil(viewport.width)), Math.max(1, Math.ceil(viewport.height)));
    const ctx = canvas.getContext('2d');
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    await page.render({
      // @napi-rs/canvas implements the subset of the DOM canvas API pdf.js uses in Node.
      canvas: canvas as never,
      canvasContext: ctx as never,
      viewport,
    }).promise;
    return new Uint8Array(await canvas.encode('png'));
  } finally {
    page.cleanup();
  }
}

/** Render one page (1-based) to a PNG with pdf.js and @napi-rs/canvas. `scale` 2 = 144 dpi. */
export async function renderPageToPng(bytes: Uint8Array, pageNo: number, scale = 2): Promise<Uint8Array> {
  return withDocument(bytes, undefined, true, async (doc) => {
    if (!Number.isInteger(pageNo) || pageNo < 1 || pageNo > doc.numPages) {
      throw errorFor('VALIDATION_FAILED', `Page ${pageNo} does not exist; the PDF has ${doc.numPages} page(s).`);
    }
    return renderWith(doc, pageNo, scale);
  });
}

function infoString(info: unknown, key: string): string | undefined {
  if (info === null || typeof info !== 'object') return undefined;
  const v = (info as Record<string, unknown>)[key];
  return typeof v === 'string' && v.trim().length > 0 ? v.trim() : undefined;
}

/**
 * Read a PDF: page count, the text of each page (text layer; OCR for pages with less than
 * `minTextChars` characters when an OCR engine is given) and the document info.
 *
 * Errors (InputError): `INPUT_EMPTY`, `INPUT_NOT_PDF`, `INPUT_ENCRYPTED_PDF`, `INPUT_CORRUPT_PDF`;
 * `ABORTED` when `signal` fires. OCR failures of a single page do not fail the read: the page is
 * returned with `source: 'none'`.
 */
export async function readPdf(bytes: Uint8Array, options: ReadPdfOptions = {}): Promise<PdfContent> {
  const minTextChars = options.minTextChars ?? 20;
  const ocr = options.ocr === false ? undefined : options.ocr;
  const scale = options.ocrScale ?? 2;
  return withDocument(bytes, options.signal, ocr !== undefined, async (doc) => {
    const pageCount = doc.numPages;
    const limit = Math.min(pageCount, options.maxPages ?? pageCount);
    let info: PdfContent['info'] = {};
    try {
      const meta = await doc.getMetadata();
      const title = infoString(meta.info, 'Title');
      const producer = infoString(meta.info, 'Producer');
      info = { ...(title ? { title } : {}), ...(producer ? { producer } : {}) };
    } catch {
      // Broken info dictionaries are common and harmless.
    }
    const pages: PdfPage[] = [];
    let ocrPages = 0;
    for (let n = 1; n <= limit; n++) {
      checkAborted(options.signal);
      let text: string;
      try {
        text = await pageText(doc, n);
      } catch (e) {
        throw errorFor('INPUT_CORRUPT_PDF', `Page ${n} of the PDF cannot be read; rescan or re-export it.`, {
          cause: e,
          details: { page: n, pageCount },
        });
      }
      if (nonSpaceChars(text) >= minTextChars || !ocr) {
        pages.push({ page: n, text, source: nonSpaceChars(text) > 0 ? 'text' : 'none' });
        continue;
      }
      let recognised: string;
      try {
        const png = await renderWith(doc, n, scale);
        checkAborted(options.signal);
        recognised = (await ocr.recognize(png)).text.trim();
        ocrPages++;
      } catch (e) {
        if (options.signal?.aborted) throw errorFor('ABORTED', 'Reading the PDF was cancelled.', { cause: e });
        recognised = '';
      }
      if (nonSpaceChars(recognised) > nonSpaceChars(text)) pages.push({ page: n, text: recognised, source: 'ocr' });
      else pages.push({ page: n, text, source: nonSpaceChars(text) > 0 ? 'text' : 'none' });
    }
    return {
      pageCount,
      pages,
      text: pages.map((p) => p.text).filter((t) => t.length > 0).join('\n\n'),
      info,
      ocrPages,
    };
  });
}
