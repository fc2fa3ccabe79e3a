import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { errorFor, isAutodError, type AutodError } from '@autod/errors';
import type { OcrEngine } from './ocr.js';
import { ocrLinesToPageLines, recognizePage, type PageLine } from './ocr-page.js';
import { hasPdfHeader } from './sniff.js';
import {
  PdfStageError,
  PdfStopped,
  openPdf,
  readTexts,
  renderPage,
  type PdfAttachment,
  type PdfTexts,
  type RenderedPage,
  type PdfWorkerReply,
  type PdfWorkerRequest,
  type SerializedPdfError,
} from './pdf-engine.js';

export { itemsToText, type PdfAttachment } from './pdf-engine.js';

/** One page of a PDF as text. `source` says where the text came from. */
export interface PdfPage {
  /** 1-based page number. */
  page: number;
  text: string;
  /** `text`: the PDF's text layer; `ocr`: recognised from the rendered page; `none`: no text found. */
  source: 'text' | 'ocr' | 'none';
  /**
   * The page's lines with boxes in page coordinates 0..1 (origin top left), from the text layer or
   * from OCR; present only when asked for (`geometry: true`).
   */
  lines?: PageLine[];
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
  /** Pages that needed OCR but were not OCR'd because of `ocrMaxPages` (their text layer, if any, is used). */
  ocrSkippedPages: number;
  /** Pages whose OCR failed (engine error): they keep their text layer or stay `none`. */
  ocrFailedPages: number[];
  /** Embedded `.xml` files (≤ 5 MB each), e.g. the Factur-X/ZUGFeRD/XRechnung invoice XML; absent when none. */
  attachments?: PdfAttachment[];
}

export interface ReadPdfOptions {
  /** OCR engine for pages without a usable text layer; `false`/absent = no OCR. */
  ocr?: OcrEngine | false;
  /** Read at most this many pages (default: all). */
  maxPages?: number;
  /** A page whose text layer has fewer non-space characters than this is OCR'd (default 20). */
  minTextChars?: number;
  /**
   * Render resolution for OCR in dpi of a page without a scanned image (default {@link DEFAULT_OCR_DPI}). A page
   * whose text is a scanned image is rendered at that image's own resolution, kept within
   * {@link OCR_NATIVE_DPI_RANGE}. Everything is capped by `maxPixels`.
   */
  ocrDpi?: number;
  /** A fixed render scale for OCR (72 dpi = 1) for every page; overrides the above (kept for older callers). */
  ocrScale?: number;
  /** OCR at most this many pages of a document (default {@link DEFAULT_OCR_MAX_PAGES}); the rest keep their text layer. */
  ocrMaxPages?: number;
  /** Largest rendered page in pixels (default {@link DEFAULT_MAX_PAGE_PIXELS}); bigger pages are rendered smaller. */
  maxPixels?: number;
  /** Keep each page's lines with boxes (`PdfPage.lines`); off by default (it costs a little and crosses threads). */
  geometry?: boolean;
  signal?: AbortSignal;
  /**
   * Where pdf.js runs: a pool from `createPdfPool`, `false` = on the calling thread (blocks its
   * event loop while parsing), absent = the shared default pool (`configurePdfPool`).
   */
  pool?: PdfPool | false;
}

export interface PdfPoolOptions {
  /** Worker threads (default {@link defaultPdfPoolSize}). */
  size?: number;
}

/**
 * Default pool size: one core is left to the calling thread (it runs the rules, the database and the filing of
 * what pdf.js reads), so `min(2, availableParallelism() - 1)`, at least 1. On a 2-core machine a second pdf.js
 * thread only competes with the main thread: `autod process` over 1,000 text PDFs took more CPU and more wall time
 * with two workers than with one.
 */
export function defaultPdfPoolSize(cores: number = availableParallelism()): number {
  return Math.max(1, Math.min(2, cores - 1));
}

/** A pool of `node:worker_threads` workers running pdf.js. Idle workers do not keep the process alive. */
export interface PdfPool {
  readonly size: number;
  /** Terminate the workers: idle ones now, busy ones when their document is done. Idempotent. */
  close(): Promise<void>;
}

/** Default render resolution for OCR of a page without a scanned image (vector outlines, a form). */
export const DEFAULT_OCR_DPI = 200;
/**
 * A scanned page is rendered at its image's own resolution, but never under 144 dpi (small scans read better
 * a little enlarged) or over 400 dpi (more pixels only cost time). See the README for the measurement.
 */
export const OCR_NATIVE_DPI_RANGE = { min: 144, max: 400 } as const;
/** Default number of pages OCR'd per document. */
export const DEFAULT_OCR_MAX_PAGES = 20;
/**
 * Default pixel cap of a page rendered or decoded for OCR: 25 MP (A4 at 300 dpi is 8.7 MP, A3 at 300 dpi
 * 17.4 MP). As RGBA that is a 100 MB canvas; tesseract's working set for such a page stays below ~500 MB.
 */
export const DEFAULT_MAX_PAGE_PIXELS = 25_000_000;

/** Smallest byte count that can be a PDF (`%PDF-1.x` + a trailer); anything shorter is corrupt. */
const MIN_PDF_BYTES = 64;

/**
 * Cheap checks before parsing: not empty, starts with a `%PDF-` header, long enough to hold one.
 * Throws `INPUT_EMPTY`, `INPUT_NOT_PDF` or `INPUT_CORRUPT_PDF` (InputError).
 */
export function sniffPdf(bytes: Uint8Array): void {
  if (bytes.length === 0) {
    throw errorFor('INPUT_EMPTY', 'The file is empty (0 bytes); rescan or re-export the document.');
  }
  if (!hasPdfHeader(bytes)) {
    throw errorFor(
      'INPUT_NOT_PDF',
      'The file is not a PDF (no "%PDF-" header in its first 1024 bytes); convert it to PDF and drop it in again.',
      { details: { bytes: bytes.length } },
    );
  }
  if (bytes.length < MIN_PDF_BYTES) {
    throw errorFor(
      'INPUT_CORRUPT_PDF',
      `The PDF is only ${bytes.length} bytes long and cannot be complete; rescan or re-export it.`,
      {
        details: { bytes: bytes.length },
      },
    );
  }
}

function aborted(cause: unknown): AutodError {
  return errorFor('ABORTED', 'Reading the PDF was cancelled.', { cause });
}

function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw aborted(signal.reason);
}

function errorName(e: unknown): string {
  return e !== null && typeof e === 'object' && 'name' in e && typeof e.name === 'string' ? e.name : '';
}

/** Map whatever pdf.js threw while opening a document onto our input codes. */
function openError(e: unknown, bytes: number): AutodError {
  if (isAutodError(e)) return e;
  const name = errorName(e);
  if (name === 'PasswordException') {
    return errorFor(
      'INPUT_ENCRYPTED_PDF',
      'The PDF is password-protected; remove the password (print to PDF) and drop it in again.',
      {
        cause: e,
        details: { bytes },
      },
    );
  }
  if (name === 'AbortException' || name === 'AbortError') return aborted(e);
  const why = e instanceof Error ? e.message : String(e);
  return errorFor('INPUT_CORRUPT_PDF', `The PDF cannot be parsed (${why}); rescan or re-export it.`, {
    cause: e,
    details: { bytes, reason: name || 'unknown' },
  });
}

/** Map an engine error (thrown here or rebuilt from a worker) onto `InputError`/`ABORTED`. */
function engineError(e: unknown, bytes: number, signal: AbortSignal | undefined): AutodError {
  if (isAutodError(e)) return e;
  if (signal?.aborted || e instanceof PdfStopped) return aborted(signal?.reason ?? e);
  if (e instanceof PdfStageError && e.stage === 'page') {
    return errorFor('INPUT_CORRUPT_PDF', `Page ${e.page ?? '?'} of the PDF cannot be read; rescan or re-export it.`, {
      cause: e.cause,
      details: { page: e.page, pageCount: e.pageCount },
    });
  }
  return openError(e instanceof PdfStageError ? e.cause : e, bytes);
}

/** Rebuild a worker's error: an `Error` with pdf.js's name, message and stack, wrapped as the engine would. */
function rebuildError(s: SerializedPdfError): Error {
  const cause = new Error(s.message);
  cause.name = s.name;
  if (s.stack) cause.stack = s.stack;
  if (s.stage === 'open' || s.stage === 'page') return new PdfStageError(s.stage, cause, s.page, s.pageCount);
  return cause;
}

// ---------------------------------------------------------------------------------------------
// Worker pool
// ---------------------------------------------------------------------------------------------

/**
 * The worker file next to this module: `dist/pdf-worker.js` in a build; under vitest this module
 * is `src/pdf.ts` and the worker is `src/pdf-worker.ts`, which Node 24 runs by stripping types.
 */
function workerUrl(): URL {
  return new URL(import.meta.url.endsWith('.ts') ? './pdf-worker.ts' : './pdf-worker.js', import.meta.url);
}

class PoolWorker {
  readonly worker: Worker;
  readonly ready: Promise<void>;
  dead = false;
  private pending: { resolve: (r: PdfWorkerReply) => void; reject: (e: unknown) => void } | undefined;

  private readonly onDeath: (w: PoolWorker) => void;

  constructor(onDeath: (w: PoolWorker) => void) {
    this.onDeath = onDeath;
    this.worker = new Worker(workerUrl());
    let markReady: () => void = () => undefined;
    let failStart: (e: unknown) => void = () => undefined;
    this.ready = new Promise<void>((resolve, reject) => {
      markReady = resolve;
      failStart = reject;
    });
    this.ready.catch(() => undefined);
    const die = (e: unknown): void => {
      if (this.dead) return;
      this.dead = true;
      failStart(e);
      const p = this.pending;
      this.pending = undefined;
      p?.reject(e);
      onDeath(this);
    };
    this.worker.on('message', (msg: PdfWorkerReply) => {
      if (msg.op === 'ready') return markReady();
      const p = this.pending;
      this.pending = undefined;
      p?.resolve(msg);
    });
    this.worker.on('error', die);
    this.worker.on('exit', (code) => die(new Error(`The PDF worker exited (code ${code}).`)));
  }

  request(msg: PdfWorkerRequest, transfer: ArrayBuffer[], signal: AbortSignal | undefined): Promise<PdfWorkerReply> {
    if (this.dead) return Promise.reject(new Error('The PDF worker is gone.'));
    return new Promise<PdfWorkerReply>((resolve, reject) => {
      const onAbort = (): void => {
        // pdf.js cannot be interrupted mid-parse: the worker is terminated (the pool starts a new one).
        this.pending = undefined;
        reject(aborted(signal?.reason));
        this.terminate();
      };
      this.pending = {
        resolve: (r) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(r);
        },
        reject: (e) => {
          signal?.removeEventListener('abort', onAbort);
          reject(e instanceof Error ? e : new Error(String(e)));
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.worker.postMessage(msg, transfer);
    });
  }

  /** Stop the thread; the pool forgets the worker at once (not only when it has exited). */
  terminate(): void {
    if (!this.dead) {
      this.dead = true;
      this.onDeath(this);
    }
    void this.worker.terminate();
  }
}

class WorkerPool implements PdfPool {
  readonly size: number;
  private readonly all = new Set<PoolWorker>();
  private readonly idle: PoolWorker[] = [];
  /** Workers in use, and whether each is held for a whole document (`long`). */
  private readonly busy = new Map<PoolWorker, boolean>();
  private readonly waiters: { resolve: (w: PoolWorker | undefined) => void; reject: (e: unknown) => void }[] = [];
  private closed = false;
  /** Set when a worker could not even start (e.g. a runtime without TS stripping under src/): run in-thread. */
  private unusable = false;

  constructor(options: PdfPoolOptions = {}) {
    this.size = Math.max(1, Math.floor(options.size ?? defaultPdfPoolSize()));
  }

  /**
   * A ready worker (ref'd while in use), or `undefined` when workers cannot start here. `long`: the caller keeps the
   * worker for a whole document (rendering pages for OCR, minutes for a long scan). When every worker is held that
   * way, a short request gets one extra worker instead of waiting behind them (no head-of-line blocking).
   */
  async acquire(long = false): Promise<PoolWorker | undefined> {
    if (this.closed)
      throw errorFor('ABORTED', 'The PDF worker pool is closed; create a new one (or call readPdf without it).');
    if (this.unusable) return undefined;
    let w = this.idle.pop();
    const heldLong = [...this.busy.values()].filter(Boolean).length;
    const room = this.all.size < this.size || (!long && heldLong >= this.size && this.all.size < this.size + 1);
    if (!w && room) {
      const created = new PoolWorker((dead) => this.forget(dead));
      this.all.add(created);
      try {
        await created.ready;
      } catch {
        this.unusable = true;
        this.forget(created);
        for (const waiter of this.waiters.splice(0)) waiter.resolve(undefined);
        return undefined;
      }
      w = created;
    }
    if (!w) {
      w = await new Promise<PoolWorker | undefined>((resolve, reject) => this.waiters.push({ resolve, reject }));
      if (!w) return undefined;
    }
    this.busy.set(w, long);
    w.worker.ref();
    return w;
  }

  release(w: PoolWorker): void {
    this.busy.delete(w);
    if (w.dead) return;
    if (this.closed || this.all.size > this.size) {
      // closed, or the extra worker a short request got while long sessions held the others
      this.forget(w);
      w.terminate();
      return;
    }
    const waiter = this.waiters.shift();
    if (waiter) return waiter.resolve(w);
    w.worker.unref();
    this.idle.push(w);
  }

  private forget(w: PoolWorker): void {
    this.all.delete(w);
    this.busy.delete(w);
    const i = this.idle.indexOf(w);
    if (i >= 0) this.idle.splice(i, 1);
    // A waiter may now start a fresh worker instead of waiting for one that died.
    if (!this.closed && !this.unusable && this.waiters.length > 0 && this.all.size < this.size) {
      const waiter = this.waiters.shift();
      if (waiter) this.acquire().then(waiter.resolve, waiter.reject);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const stop = errorFor('ABORTED', 'The PDF worker pool was closed.');
    for (const waiter of this.waiters.splice(0)) waiter.reject(stop);
    const idle = this.idle.splice(0);
    for (const w of idle) this.all.delete(w);
    await Promise.all(idle.map((w) => w.worker.terminate()));
  }
}

/** A pool of its own (for tests, or to isolate a workload). Close it when done. */
export function createPdfPool(options: PdfPoolOptions = {}): PdfPool {
  return new WorkerPool(options);
}

let defaultOptions: PdfPoolOptions = {};
let defaultPool: WorkerPool | undefined;

/** Size of the shared pool `readPdf` uses by default; replaces (and drains) the current one. */
export function configurePdfPool(options: PdfPoolOptions): void {
  defaultOptions = { ...options };
  const old = defaultPool;
  defaultPool = undefined;
  void old?.close();
}

/** Terminate the shared pool's workers (it is re-created on the next `readPdf`). */
export async function closePdfPool(): Promise<void> {
  const old = defaultPool;
  defaultPool = undefined;
  await old?.close();
}

function poolFor(option: PdfPool | false | undefined): WorkerPool | undefined {
  if (option === false) return undefined;
  if (option !== undefined) {
    if (!(option instanceof WorkerPool))
      throw errorFor('VALIDATION_FAILED', 'ReadPdfOptions.pool must come from createPdfPool().');
    return option;
  }
  defaultPool ??= new WorkerPool(defaultOptions);
  return defaultPool;
}

// ---------------------------------------------------------------------------------------------
// Document sessions: the same steps in a worker or on this thread
// ---------------------------------------------------------------------------------------------

/** Resolution range (scale, 72 dpi = 1) of a scanned page rendered at its image's own resolution. */
interface NativeRange {
  min: number;
  max: number;
}

interface DocSession {
  texts: PdfTexts;
  render(page: number, scale: number, maxPixels: number, native?: NativeRange): Promise<RenderedPage>;
  close(): Promise<void>;
}

interface OpenOptions {
  forRendering: boolean;
  keepOpen: boolean;
  geometry?: boolean;
  maxPages: number | undefined;
  signal: AbortSignal | undefined;
  pool: PdfPool | false | undefined;
}

async function openInThread(bytes: Uint8Array, o: OpenOptions): Promise<DocSession> {
  let destroy: (() => Promise<void>) | undefined;
  const onAbort = (): void => void destroy?.();
  o.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    // pdf.js may transfer (detach) the buffer it is given: always hand it a copy.
    const opened = await openPdf(bytes.slice(), o.forRendering, (d) => (destroy = d));
    try {
      const texts = await readTexts(opened.doc, o.maxPages, () => o.signal?.aborted === true, o.geometry === true);
      if (!o.keepOpen) await opened.destroy();
      return {
        texts,
        render: (page, scale, maxPixels, native) => renderPage(opened.doc, page, scale, maxPixels, native),
        close: () => opened.destroy(),
      };
    } catch (e) {
      await opened.destroy();
      throw e;
    }
  } catch (e) {
    throw engineError(e, bytes.length, o.signal);
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
  }
}

async function openDocument(bytes: Uint8Array, o: OpenOptions): Promise<DocSession> {
  sniffPdf(bytes);
  checkAborted(o.signal);
  const pool = poolFor(o.pool);
  const w = await pool?.acquire(o.keepOpen);
  if (!pool || !w) return openInThread(bytes, o);
  let released = false;
  const release = (): void => {
    if (!released) pool.release(w);
    released = true;
  };
  try {
    checkAborted(o.signal);
    // A copy, transferred: the caller's buffer stays intact and nothing is copied twice.
    const copy = bytes.slice();
    const reply = await w.request(
      {
        op: 'read',
        bytes: copy,
        forRendering: o.forRendering,
        keepOpen: o.keepOpen,
        ...(o.geometry ? { geometry: true } : {}),
        ...(o.maxPages !== undefined ? { maxPages: o.maxPages } : {}),
      },
      [copy.buffer],
      o.signal,
    );
    if (reply.op === 'error') throw rebuildError(reply.error);
    if (reply.op !== 'texts') throw new Error(`unexpected PDF worker reply ${reply.op}`);
    if (!o.keepOpen) release();
    return {
      texts: reply.result,
      render: async (page, scale, maxPixels, native) => {
        const r = await w.request(
          { op: 'render', page, scale, maxPixels, ...(native ? { native } : {}) },
          [],
          o.signal,
        );
        if (r.op === 'png') return r.page;
        throw r.op === 'error' ? rebuildError(r.error) : new Error(`unexpected PDF worker reply ${r.op}`);
      },
      close: async () => {
        if (released) return;
        try {
          if (!w.dead) await w.request({ op: 'close' }, [], undefined);
        } catch {
          // The worker died: the pool already forgot it.
        } finally {
          release();
        }
      },
    };
  } catch (e) {
    release();
    throw engineError(e, bytes.length, o.signal);
  }
}

/**
 * Render one page (1-based) to a PNG with pdf.js and @napi-rs/canvas. `scale` 2 = 144 dpi; a page over
 * `maxPixels` (default {@link DEFAULT_MAX_PAGE_PIXELS}) is rendered at the scale that fits.
 */
export async function renderPageToPng(
  bytes: Uint8Array,
  pageNo: number,
  scale = 2,
  options: { pool?: PdfPool | false; signal?: AbortSignal; maxPixels?: number } = {},
): Promise<Uint8Array> {
  const session = await openDocument(bytes, {
    forRendering: true,
    keepOpen: true,
    maxPages: 0,
    signal: options.signal,
    pool: options.pool,
  });
  try {
    const pageCount = session.texts.pageCount;
    if (!Number.isInteger(pageNo) || pageNo < 1 || pageNo > pageCount) {
      throw errorFor('VALIDATION_FAILED', `Page ${pageNo} does not exist; the PDF has ${pageCount} page(s).`);
    }
    try {
      return (await session.render(pageNo, scale, options.maxPixels ?? DEFAULT_MAX_PAGE_PIXELS)).png;
    } catch (e) {
      if (isAutodError(e)) throw e;
      throw errorFor('INPUT_CORRUPT_PDF', `Page ${pageNo} of the PDF cannot be rendered; rescan or re-export it.`, {
        cause: e,
        details: { page: pageNo, pageCount },
      });
    }
  } finally {
    await session.close();
  }
}

function nonSpaceChars(s: string): number {
  return s.replace(/\s+/gu, '').length;
}

/**
 * Read a PDF: page count, the text of each page (text layer; OCR for pages with less than
 * `minTextChars` characters when an OCR engine is given, at most `ocrMaxPages` of them) and the
 * document info. pdf.js runs in a worker thread of the shared pool (see `configurePdfPool`), so the
 * caller's event loop stays free.
 *
 * Errors (InputError): `INPUT_EMPTY`, `INPUT_NOT_PDF`, `INPUT_ENCRYPTED_PDF`, `INPUT_CORRUPT_PDF`;
 * `ABORTED` when `signal` fires (the pdf.js worker and the OCR thread are terminated). A failed
 * render or OCR of one page does not fail the read: the page keeps its text layer or is `none`, and
 * is listed in `ocrFailedPages`.
 */
export async function readPdf(bytes: Uint8Array, options: ReadPdfOptions = {}): Promise<PdfContent> {
  const minTextChars = options.minTextChars ?? 20;
  const ocr = options.ocr === false ? undefined : options.ocr;
  const scale = options.ocrScale ?? (options.ocrDpi ?? DEFAULT_OCR_DPI) / 72;
  const native =
    options.ocrScale === undefined
      ? { min: OCR_NATIVE_DPI_RANGE.min / 72, max: OCR_NATIVE_DPI_RANGE.max / 72 }
      : undefined;
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PAGE_PIXELS;
  const ocrMaxPages = Math.max(0, Math.floor(options.ocrMaxPages ?? DEFAULT_OCR_MAX_PAGES));
  const geometry = options.geometry === true;
  const signal = options.signal;
  const session = await openDocument(bytes, {
    forRendering: ocr !== undefined,
    keepOpen: ocr !== undefined,
    geometry,
    maxPages: options.maxPages,
    signal,
    pool: options.pool,
  });
  try {
    const { pageCount, info, texts, attachments } = session.texts;
    const pages: PdfPage[] = [];
    let ocrPages = 0;
    let ocrSkippedPages = 0;
    const ocrFailedPages: number[] = [];
    for (const [i, text] of texts.entries()) {
      const n = i + 1;
      const layer: PdfPage = { page: n, text, source: nonSpaceChars(text) > 0 ? 'text' : 'none' };
      const layerLines = session.texts.lines?.[i];
      if (geometry) layer.lines = layerLines ?? [];
      if (nonSpaceChars(text) >= minTextChars || !ocr) {
        pages.push(layer);
        continue;
      }
      if (ocrPages + ocrFailedPages.length >= ocrMaxPages) {
        ocrSkippedPages++;
        pages.push(layer);
        continue;
      }
      checkAborted(signal);
      try {
        const rendered = await session.render(n, scale, maxPixels, native);
        checkAborted(signal);
        const r = await recognizePage(ocr, rendered.png, rendered, {
          ...(signal ? { signal } : {}),
          dpi: rendered.scale * 72,
        });
        ocrPages++;
        const recognised = r.text.trim();
        if (nonSpaceChars(recognised) > nonSpaceChars(text)) {
          const page: PdfPage = { page: n, text: recognised, source: 'ocr' };
          if (geometry) page.lines = ocrLinesToPageLines(r.lines, r.width, r.height);
          pages.push(page);
        } else {
          pages.push(layer);
        }
      } catch (e) {
        if (signal?.aborted) throw aborted(signal.reason ?? e);
        if (isAutodError(e) && e.code === 'ABORTED') throw e;
        ocrFailedPages.push(n);
        pages.push(layer);
      }
    }
    return {
      pageCount,
      pages,
      text: pages
        .map((p) => p.text)
        .filter((t) => t.length > 0)
        .join('\n\n'),
      info,
      ocrPages,
      ocrSkippedPages,
      ocrFailedPages,
      ...(attachments && attachments.length > 0 ? { attachments } : {}),
    };
  } finally {
    await session.close();
  }
}
