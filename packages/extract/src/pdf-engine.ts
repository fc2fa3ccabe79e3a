/**
 * The pdf.js part of `readPdf`: open a document, read page texts, render pages. It runs either in
 * a `node:worker_threads` worker (`pdf-worker.ts`) or, with `pool: false`, on the calling thread.
 *
 * Constraints (this file is loaded by the worker straight from `src/` under vitest, where Node
 * strips the types itself): no relative imports, no `@autod/*` imports, erasable TypeScript only
 * (no enums, namespaces or parameter properties). Errors are thrown raw (pdf.js's own errors,
 * wrapped in `PdfStageError` to say where they happened); `pdf.ts` maps them onto `InputError`s.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type * as PdfJsNs from 'pdfjs-dist/legacy/build/pdf.mjs';

type PdfJs = typeof PdfJsNs;
export type PdfDocumentProxy = Awaited<ReturnType<PdfJs['getDocument']>['promise']>;
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
 * One pdf.js worker per thread for every document: in Node it is a "fake" worker on the thread
 * that loaded pdf.js, and setting one up per document costs more than parsing a small PDF.
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
    this.urls = {
      cMapUrl: opts.cMapUrl ?? null,
      standardFontDataUrl: opts.standardFontDataUrl ?? null,
      wasmUrl: opts.wasmUrl ?? null,
    };
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

/** Largest embedded image pdf.js decodes (64 MP, 256 MB as RGBA); bigger ones are left out of renders. */
export const MAX_IMAGE_PIXELS = 64 * 1024 * 1024;

/** Where a pdf.js failure happened: opening the document, or reading one page's text. */
export class PdfStageError extends Error {
  readonly stage: 'open' | 'page';
  readonly page: number | undefined;
  readonly pageCount: number | undefined;
  constructor(stage: 'open' | 'page', cause: unknown, page?: number, pageCount?: number) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
    this.name = 'PdfStageError';
    this.stage = stage;
    this.page = page;
    this.pageCount = pageCount;
  }
}

/** Thrown by `readTexts` when `shouldStop` says so (the caller turns it into `ABORTED`). */
export class PdfStopped extends Error {
  constructor() {
    super('stopped');
    this.name = 'PdfStopped';
  }
}

interface PositionedItem {
  str: string;
  x: number;
  y: number;
  width: number;
  size: number;
  eol: boolean;
}

/** A rebuilt line: its text and the items it was made of (for its box). */
interface BuiltLine {
  text: string;
  items: PositionedItem[];
}

/**
 * Rebuild reading-order lines from pdf.js text items: items are grouped by baseline (within half a
 * glyph height), sorted left to right, and separated by a space when there is a visible gap (three
 * spaces for a wide, column-like gap, so "Total      $12.00" stays recognisably two cells).
 */
function buildLines(items: readonly PositionedItem[]): BuiltLine[] {
  // Whitespace items (pdf.js inserts them for gaps) are dropped: gaps are measured from positions.
  const sorted = items
    .filter((i) => i.str.trim().length > 0)
    .slice()
    .sort((a, b) => b.y - a.y || a.x - b.x);
  const lines: PositionedItem[][] = [];
  for (const item of sorted) {
    const line = lines.at(-1);
    const first = line?.[0];
    if (line && first && Math.abs(first.y - item.y) <= Math.max(1, Math.min(first.size, item.size) * 0.5))
      line.push(item);
    else lines.push([item]);
  }
  const out: BuiltLine[] = [];
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
    if (trimmed.trim().length > 0) out.push({ text: trimmed, items: line });
  }
  return out;
}

/** The text of `buildLines`, one line per row. */
export function itemsToText(items: readonly PositionedItem[]): string {
  return buildLines(items)
    .map((l) => l.text)
    .join('\n');
}

/** A line with its box in page coordinates 0..1, origin top left (`[x0, y0, x1, y1]`). */
export interface EngineLine {
  text: string;
  box: [number, number, number, number];
}

const clamp01 = (v: number): number => Math.min(1, Math.max(0, v));
const round4 = (v: number): number => Math.round(v * 10_000) / 10_000;

/**
 * Lines with normalised boxes. `toView` maps a PDF user-space point to viewport pixels (scale 1,
 * rotation applied); a line's box spans its items from the baseline less a descent to the baseline
 * plus the glyph height.
 */
function linesWithBoxes(
  items: readonly PositionedItem[],
  toView: (x: number, y: number) => [number, number],
  width: number,
  height: number,
): EngineLine[] {
  return buildLines(items).map((l) => {
    let x0 = Infinity;
    let y0 = Infinity;
    let x1 = -Infinity;
    let y1 = -Infinity;
    for (const it of l.items) {
      for (const [px, py] of [
        [it.x, it.y - it.size * 0.25],
        [it.x + it.width, it.y + it.size * 0.85],
      ] as const) {
        const [vx, vy] = toView(px, py);
        x0 = Math.min(x0, vx);
        x1 = Math.max(x1, vx);
        y0 = Math.min(y0, vy);
        y1 = Math.max(y1, vy);
      }
    }
    return {
      text: l.text,
      box: [
        round4(clamp01(x0 / width)),
        round4(clamp01(y0 / height)),
        round4(clamp01(x1 / width)),
        round4(clamp01(y1 / height)),
      ],
    };
  });
}

/** An open document; `destroy()` is idempotent. */
export interface OpenedPdf {
  doc: PdfDocumentProxy;
  destroy(): Promise<void>;
}

/**
 * Open a document. `bytes` is handed to pdf.js as is (it may detach it): pass a copy you own.
 * `forRendering`: load the standard-font programs (needed to draw glyphs). Text extraction does
 * not need them (pdf.js has the standard fonts' metrics built in) and skipping them makes reading
 * a small PDF several times faster. Throws `PdfStageError('open')`.
 */
export async function openPdf(
  bytes: Uint8Array,
  forRendering: boolean,
  onTask?: (destroy: () => Promise<void>) => void,
): Promise<OpenedPdf> {
  const pdfjs = await loadPdfJs();
  const task: PdfLoadingTask = pdfjs.getDocument({
    data: bytes,
    ...(forRendering ? { standardFontDataUrl: standardFontDataUrl() } : {}),
    BinaryDataFactory: CachedBinaryDataFactory,
    worker: workerFor(pdfjs),
    useSystemFonts: false,
    verbosity: 0,
    stopAtErrors: false,
    // An image over this many pixels is not decoded (pdf.js would hold it as RGBA: 4 bytes a pixel).
    maxImageSize: MAX_IMAGE_PIXELS,
  });
  let destroyed: Promise<void> | undefined;
  const destroy = (): Promise<void> => (destroyed ??= task.destroy());
  onTask?.(destroy);
  try {
    return { doc: await task.promise, destroy };
  } catch (e) {
    await destroy();
    throw new PdfStageError('open', e);
  }
}

interface PageRead {
  text: string;
  lines?: EngineLine[];
}

async function pageText(doc: PdfDocumentProxy, pageNo: number, geometry: boolean): Promise<PageRead> {
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
    if (!geometry) return { text: itemsToText(items) };
    const viewport = page.getViewport({ scale: 1 });
    const lines = linesWithBoxes(
      items,
      (x, y) => viewport.convertToViewportPoint(x, y) as [number, number],
      viewport.width,
      viewport.height,
    );
    return { text: lines.map((l) => l.text).join('\n'), lines };
  } finally {
    page.cleanup();
  }
}

export interface PdfTexts {
  pageCount: number;
  info: { title?: string; producer?: string };
  /** Text of pages 1..min(pageCount, maxPages). */
  texts: string[];
  /** Lines with boxes of the same pages, when asked for (`geometry`). */
  lines?: EngineLine[][];
  /** Embedded `.xml` files (e-invoices), each in a buffer of its own (transferable). */
  attachments?: PdfAttachment[];
}

/** A file embedded in a PDF. */
export interface PdfAttachment {
  /** File name as embedded (e.g. `factur-x.xml`). */
  name: string;
  bytes: Uint8Array;
}

/** Largest embedded file returned; e-invoice XML is a few dozen KiB. */
const MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024;
const MAX_ATTACHMENTS = 10;

/**
 * The document's embedded files whose name ends in `.xml` (the EmbeddedFiles name tree, which is where Factur-X,
 * ZUGFeRD and XRechnung put their XML; pdf.js does not expose files referenced only through `/AF`). Files over
 * 5 MB are skipped. Never throws: a broken attachment is left out.
 */
async function xmlAttachments(doc: PdfDocumentProxy): Promise<PdfAttachment[]> {
  const out: PdfAttachment[] = [];
  let list: Awaited<ReturnType<PdfDocumentProxy['getAttachments']>>;
  try {
    list = await doc.getAttachments();
  } catch {
    return out;
  }
  for (const [id, att] of list ?? []) {
    if (out.length >= MAX_ATTACHMENTS) break;
    const name = [att.filename, att.rawFilename, id].find((n) => typeof n === 'string' && n.trim().length > 0) ?? '';
    if (!/\.xml$/i.test(name.trim())) continue;
    try {
      const bytes = att.content ?? (await doc.getAttachmentContent(id));
      if (bytes && bytes.byteLength > 0 && bytes.byteLength <= MAX_ATTACHMENT_BYTES) {
        out.push({ name: name.trim(), bytes: bytes.slice() });
      }
    } catch {
      // An unreadable attachment must not fail the read.
    }
  }
  return out;
}

function infoString(info: unknown, key: string): string | undefined {
  if (info === null || typeof info !== 'object') return undefined;
  const v = (info as Record<string, unknown>)[key];
  return typeof v === 'string' && v.trim().length > 0 ? v.trim() : undefined;
}

/** Page count, info and the text of the first `maxPages` pages. Throws `PdfStageError('page')`, `PdfStopped`. */
export async function readTexts(
  doc: PdfDocumentProxy,
  maxPages: number | undefined,
  shouldStop?: () => boolean,
  geometry = false,
): Promise<PdfTexts> {
  const pageCount = doc.numPages;
  const limit = Math.min(pageCount, maxPages ?? pageCount);
  let info: PdfTexts['info'] = {};
  try {
    const meta = await doc.getMetadata();
    const title = infoString(meta.info, 'Title');
    const producer = infoString(meta.info, 'Producer');
    info = { ...(title ? { title } : {}), ...(producer ? { producer } : {}) };
  } catch {
    // Broken info dictionaries are common and harmless.
  }
  const texts: string[] = [];
  const lines: EngineLine[][] = [];
  for (let n = 1; n <= limit; n++) {
    if (shouldStop?.()) throw new PdfStopped();
    try {
      const read = await pageText(doc, n, geometry);
      texts.push(read.text);
      if (read.lines) lines.push(read.lines);
    } catch (e) {
      throw new PdfStageError('page', e, n, pageCount);
    }
  }
  const attachments = await xmlAttachments(doc);
  return {
    pageCount,
    info,
    texts,
    ...(geometry ? { lines } : {}),
    ...(attachments.length > 0 ? { attachments } : {}),
  };
}

type Matrix = [number, number, number, number, number, number];

function multiply(m: Matrix, t: readonly number[]): Matrix {
  const [a = 1, b = 0, c = 0, d = 1, e = 0, f = 0] = t;
  return [
    m[0] * a + m[2] * b,
    m[1] * a + m[3] * b,
    m[0] * c + m[2] * d,
    m[1] * c + m[3] * d,
    m[0] * e + m[2] * f + m[4],
    m[1] * e + m[3] * f + m[5],
  ];
}

/**
 * Pixels per point of the largest image drawn over at least 30 % of the page (a scan), from the page's
 * operator list with the transformation matrix tracked through save/restore/transform; undefined when
 * the page has no such image.
 */
async function scannedImageScale(
  page: Awaited<ReturnType<PdfDocumentProxy['getPage']>>,
  pdfjs: PdfJs,
  pageArea: number,
): Promise<number | undefined> {
  const { fnArray, argsArray } = await page.getOperatorList();
  const OPS = pdfjs.OPS;
  let ctm: Matrix = [1, 0, 0, 1, 0, 0];
  const stack: Matrix[] = [];
  let best: number | undefined;
  for (let i = 0; i < fnArray.length; i++) {
    const fn = fnArray[i];
    const args = (argsArray[i] ?? []) as unknown[];
    if (fn === OPS.save) stack.push(ctm);
    else if (fn === OPS.restore) ctm = stack.pop() ?? ctm;
    else if (fn === OPS.transform) ctm = multiply(ctm, args as number[]);
    else if (fn === OPS.paintImageXObject || fn === OPS.paintInlineImageXObject) {
      const img = args[0] as { width?: unknown; height?: unknown } | undefined;
      const w = Number(fn === OPS.paintImageXObject ? args[1] : img?.width);
      const h = Number(fn === OPS.paintImageXObject ? args[2] : img?.height);
      const wPt = Math.hypot(ctm[0], ctm[1]);
      const hPt = Math.hypot(ctm[2], ctm[3]);
      if (!(w > 0 && h > 0 && wPt > 0 && hPt > 0) || wPt * hPt < 0.3 * pageArea) continue;
      best = Math.max(best ?? 0, Math.min(w / wPt, h / hPt));
    }
  }
  return best;
}

/** A rendered page: PNG bytes and the pixel size (after the pixel cap). */
export interface RenderedPage {
  png: Uint8Array;
  width: number;
  height: number;
  /** The scale used (≤ the one asked for when the page is over `maxPixels`). */
  scale: number;
}

/**
 * Render one page (1-based) to a PNG with pdf.js and @napi-rs/canvas. `scale` 2 = 144 dpi. A page
 * that would be over `maxPixels` at that scale is rendered at the scale that fits (an 8400 pt square
 * page at scale 2 would be 282 MP, 1.1 GB of RGBA canvas).
 */
export async function renderPage(
  doc: PdfDocumentProxy,
  pageNo: number,
  scale: number,
  maxPixels = Number.POSITIVE_INFINITY,
  native?: { min: number; max: number },
): Promise<RenderedPage> {
  const { createCanvas } = await import('@napi-rs/canvas');
  const page = await doc.getPage(pageNo);
  try {
    const unit = page.getViewport({ scale: 1 });
    let wanted = scale;
    if (native) {
      // A scanned page is rendered at its image's own resolution: what was scanned, no resampling.
      const found = await scannedImageScale(page, await loadPdfJs(), unit.width * unit.height);
      if (found !== undefined) wanted = Math.min(native.max, Math.max(native.min, found));
    }
    const fit = Math.sqrt(maxPixels / Math.max(1, unit.width * unit.height));
    const used = Math.max(0.01, Math.min(wanted, fit));
    const viewport = page.getViewport({ scale: used });
    const width = Math.max(1, Math.floor(viewport.width));
    const height = Math.max(1, Math.floor(viewport.height));
    const canvas = createCanvas(width, height);
    const ctx = canvas.getContext('2d');
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    await page.render({
      // @napi-rs/canvas implements the subset of the DOM canvas API pdf.js uses in Node.
      canvas: canvas as never,
      canvasContext: ctx as never,
      viewport,
    }).promise;
    const png = new Uint8Array(await canvas.encode('png'));
    // Free the pixel buffer now rather than at the next GC (it can be 100 MB).
    canvas.width = 1;
    canvas.height = 1;
    return { png, width, height, scale: used };
  } finally {
    page.cleanup();
  }
}

// ---- worker protocol (pdf.ts <-> pdf-worker.ts) ----

/** An error that crossed the thread boundary (rebuilt into an `InputError` by `pdf.ts`). */
export interface SerializedPdfError {
  stage: 'open' | 'page' | 'render' | 'other';
  name: string;
  message: string;
  stack?: string;
  page?: number;
  pageCount?: number;
}

export type PdfWorkerRequest =
  | { op: 'read'; bytes: Uint8Array; forRendering: boolean; maxPages?: number; keepOpen: boolean; geometry?: boolean }
  | { op: 'render'; page: number; scale: number; maxPixels?: number; native?: { min: number; max: number } }
  | { op: 'close' };

export type PdfWorkerReply =
  | { op: 'ready' }
  | { op: 'texts'; result: PdfTexts }
  | { op: 'png'; page: RenderedPage }
  | { op: 'closed' }
  | { op: 'error'; error: SerializedPdfError };

export function serializeError(e: unknown, stage: SerializedPdfError['stage']): SerializedPdfError {
  const inner = e instanceof PdfStageError ? e.cause : e;
  const name =
    inner instanceof Error
      ? inner.name
      : inner !== null && typeof inner === 'object' && 'name' in inner
        ? String(inner.name)
        : 'Error';
  const message =
    inner instanceof Error
      ? inner.message
      : inner !== null && typeof inner === 'object' && 'message' in inner
        ? String(inner.message)
        : String(inner);
  const out: SerializedPdfError = { stage: e instanceof PdfStageError ? e.stage : stage, name, message };
  if (inner instanceof Error && inner.stack) out.stack = inner.stack;
  if (e instanceof PdfStageError && e.page !== undefined) out.page = e.page;
  if (e instanceof PdfStageError && e.pageCount !== undefined) out.pageCount = e.pageCount;
  return out;
}
