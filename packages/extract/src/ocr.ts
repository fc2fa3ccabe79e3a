import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { errorFor, isAutodError, type AutodError } from '@autod/errors';
import type { OcrHostInit, OcrHostReply, OcrHostRequest, OcrHostResult } from './ocr-worker.js';

/** A box in pixels of the image given to `recognize` (x0,y0 top left). */
export interface PixelBox {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

export interface OcrWord {
  text: string;
  /** 0..100 */
  confidence: number;
  bbox: PixelBox;
}

export interface OcrLine {
  text: string;
  /** 0..100 */
  confidence: number;
  bbox: PixelBox;
  words: OcrWord[];
}

/** What an engine recognised. `confidence` is 0..100 (tesseract's scale). */
export interface OcrResult {
  text: string;
  confidence: number;
  /** Lines with their words, in reading order (engines that do not know positions may leave it out). */
  lines?: OcrLine[];
  /** Skew the engine corrected before recognising (radians), if any. */
  rotateRadians?: number;
}

export interface RecognizeOptions {
  /** Abort: the engine stops the work (tesseract: its thread is terminated) and rejects with `ABORTED`. */
  signal?: AbortSignal;
  /** Let the engine measure and correct a small skew first (tesseract `rotateAuto`). */
  deskew?: boolean;
  /** Resolution of the image, when known (tesseract uses it for its size heuristics; default 150). */
  dpi?: number;
}

/** Anything that turns a page image (PNG, JPEG...) into text. */
export interface OcrEngine {
  recognize(image: Uint8Array, options?: RecognizeOptions): Promise<OcrResult>;
  /** Free workers. The engine may be used again afterwards (workers are re-created lazily). */
  close(): Promise<void>;
  /** Language codes the engine recognises, when it knows them. */
  readonly languages?: readonly string[];
}

export interface TesseractOcrOptions {
  /** Parallel tesseract workers (default 1; each holds ~100-150 MB of wasm heap). */
  workers?: number;
  /**
   * Tesseract language codes (default `['eng']`). Each must be installed: the `@tesseract.js-data/*`
   * packages this package ships (see {@link availableOcrLanguages}) or a `<code>.traineddata.gz` in `langPath`.
   */
  languages?: readonly string[];
  /** A directory holding `<code>.traineddata.gz` files, searched before the shipped packages. */
  langPath?: string;
}

/** Languages shipped with this package (`@tesseract.js-data/<code>`, `4.0.0_best_int` models). */
export const SHIPPED_OCR_LANGUAGES = ['eng', 'deu', 'fra', 'spa', 'ita', 'nld', 'por', 'msa'] as const;

const MODEL_DIR = '4.0.0_best_int';

/** The offline English model shipped by the `@tesseract.js-data/eng` npm package. */
export function defaultLangPath(): string {
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve('@tesseract.js-data/eng/package.json')), MODEL_DIR);
}

/** Where a language's model file is: in `langPath` when given and present, else its shipped package. */
function modelFile(code: string, langPath: string | undefined): string | undefined {
  if (!/^[a-z_]{3,16}$/i.test(code)) return undefined;
  if (langPath) {
    const f = path.join(langPath, `${code}.traineddata.gz`);
    if (existsSync(f)) return f;
  }
  if (!(SHIPPED_OCR_LANGUAGES as readonly string[]).includes(code)) return undefined;
  try {
    const require = createRequire(import.meta.url);
    const f = path.join(
      path.dirname(require.resolve(`@tesseract.js-data/${code}/package.json`)),
      MODEL_DIR,
      `${code}.traineddata.gz`,
    );
    return existsSync(f) ? f : undefined;
  } catch {
    return undefined;
  }
}

/** Installed OCR languages: the shipped packages that resolve, plus `<code>.traineddata.gz` files in `langPath`. */
export function availableOcrLanguages(langPath?: string): { code: string; file: string }[] {
  const codes = new Set<string>(SHIPPED_OCR_LANGUAGES);
  if (langPath) {
    try {
      for (const f of readdirSync(langPath)) {
        const m = /^([a-z_]{3,16})\.traineddata\.gz$/i.exec(f);
        if (m?.[1]) codes.add(m[1]);
      }
    } catch {
      // an unreadable langPath adds nothing
    }
  }
  const out: { code: string; file: string }[] = [];
  for (const code of codes) {
    const file = modelFile(code, langPath);
    if (file) out.push({ code, file });
  }
  return out;
}

/**
 * Parse a language setting (`eng+deu`, `eng,deu` or a list) and check every code is installed.
 * Throws `VALIDATION_FAILED` naming the missing codes and what is available.
 */
export function resolveOcrLanguages(
  languages: string | readonly string[],
  langPath?: string,
): { code: string; file: string }[] {
  const codes = (typeof languages === 'string' ? languages.split(/[+,\s]+/) : [...languages])
    .map((c) => c.trim())
    .filter((c) => c.length > 0);
  if (codes.length === 0) throw errorFor('VALIDATION_FAILED', 'No OCR language given; use e.g. "eng" or "eng+deu".');
  const unique = [...new Set(codes)];
  const found = unique.map((code) => ({ code, file: modelFile(code, langPath) }));
  const missing = found.filter((f) => !f.file).map((f) => f.code);
  if (missing.length > 0) {
    const available = availableOcrLanguages(langPath)
      .map((l) => l.code)
      .join(', ');
    throw errorFor(
      'VALIDATION_FAILED',
      `OCR language(s) not installed: ${missing.join(', ')}. Available: ${available || 'none'}.`,
      { details: { missing, available } },
    );
  }
  return found.map((f) => ({ code: f.code, file: f.file ?? '' }));
}

function ocrAborted(reason: unknown): AutodError {
  return errorFor('ABORTED', 'OCR was cancelled.', { cause: reason });
}

function hostUrl(): URL {
  return new URL(import.meta.url.endsWith('.ts') ? './ocr-worker.ts' : './ocr-worker.js', import.meta.url);
}

interface Job {
  id: number;
  image: Uint8Array;
  deskew: boolean;
  dpi: number;
  signal: AbortSignal | undefined;
  resolve: (r: OcrResult) => void;
  reject: (e: unknown) => void;
  onAbort?: () => void;
}

/** One host thread running one tesseract worker; started on first use, replaced after a failure or abort. */
class OcrSlot {
  private worker: Worker | undefined;
  private ready: Promise<Worker> | undefined;
  job: Job | undefined;

  private readonly init: OcrHostInit;
  private readonly onIdle: (slot: OcrSlot) => void;

  constructor(init: OcrHostInit, onIdle: (slot: OcrSlot) => void) {
    this.init = init;
    this.onIdle = onIdle;
  }

  private start(): Promise<Worker> {
    this.ready ??= new Promise<Worker>((resolve, reject) => {
      // tesseract's own diagnostics ("Line cannot be recognized!!", "Image too small to scale!!" for specks and rules
      // on a scan) are notes on single lines, not errors: they would be printed to the terminal between autod's
      // results. The thread's stdout and stderr are piped here and dropped; failures come back as messages.
      const w = new Worker(hostUrl(), { workerData: this.init, stdout: true, stderr: true });
      w.stdout.resume();
      w.stderr.resume();
      this.worker = w;
      let started = false;
      w.on('message', (msg: OcrHostReply) => {
        if (msg.op === 'ready') {
          started = true;
          resolve(w);
          return;
        }
        if (msg.op === 'failed-start') {
          this.fail(w, errorFor('INTERNAL', `The OCR engine failed: ${msg.message}`));
          if (!started) reject(errorFor('INTERNAL', `The OCR engine (tesseract.js) could not start: ${msg.message}`));
          return;
        }
        const job = this.job;
        if (!job || job.id !== msg.id) return;
        this.finish(job);
        if (msg.op === 'result') job.resolve(toResult(msg.result));
        else job.reject(errorFor('INTERNAL', `OCR failed: ${msg.message}`, { details: { reason: msg.message } }));
      });
      const onDeath = (e: unknown): void => {
        const err = isAutodError(e)
          ? e
          : errorFor('INTERNAL', `The OCR engine stopped: ${e instanceof Error ? e.message : String(e)}`, {
              cause: e,
            });
        this.fail(w, err);
        if (!started) reject(err);
      };
      w.on('error', onDeath);
      w.on('exit', (code) => onDeath(new Error(`OCR thread exited (code ${code})`)));
    });
    const p = this.ready;
    p.catch(() => undefined);
    return p;
  }

  /** The thread is gone (or must go): fail its job and forget it, so the next job starts a new one. */
  private fail(w: Worker, error: AutodError): void {
    if (this.worker !== w) return;
    this.worker = undefined;
    this.ready = undefined;
    void w.terminate();
    const job = this.job;
    if (job) {
      this.finish(job);
      job.reject(error);
    }
  }

  private finish(job: Job): void {
    if (job.onAbort) job.signal?.removeEventListener('abort', job.onAbort);
    if (this.job === job) {
      this.job = undefined;
      if (this.worker) this.worker.unref();
      queueMicrotask(() => this.onIdle(this));
    }
  }

  run(job: Job): void {
    this.job = job;
    job.onAbort = () => {
      // tesseract cannot be interrupted mid-page: end the thread (a new one starts for the next job).
      const w = this.worker;
      this.finish(job);
      job.reject(ocrAborted(job.signal?.reason));
      if (w) {
        this.worker = undefined;
        this.ready = undefined;
        void w.terminate();
      }
    };
    job.signal?.addEventListener('abort', job.onAbort, { once: true });
    this.start().then(
      (w) => {
        if (this.job !== job) return;
        try {
          w.ref();
          // A copy in a fresh ArrayBuffer (a Buffer may be a view into a shared pool): transferred, not cloned.
          const copy = new Uint8Array(job.image);
          w.postMessage(
            { op: 'recognize', id: job.id, image: copy, deskew: job.deskew, dpi: job.dpi } satisfies OcrHostRequest,
            [copy.buffer],
          );
        } catch (e) {
          this.finish(job);
          job.reject(errorFor('INTERNAL', 'The image could not be handed to the OCR engine.', { cause: e }));
        }
      },
      (e: unknown) => {
        if (this.job !== job) return;
        this.finish(job);
        job.reject(e);
      },
    );
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    this.ready = undefined;
    const job = this.job;
    if (job) {
      this.finish(job);
      job.reject(errorFor('ABORTED', 'The OCR engine was closed.'));
    }
    if (w) await w.terminate();
  }
}

function toResult(r: OcrHostResult): OcrResult {
  return {
    text: r.text,
    confidence: r.confidence,
    rotateRadians: r.rotateRadians,
    lines: r.lines.map((l) => ({ text: l.text, confidence: l.confidence, bbox: l.bbox, words: l.words })),
  };
}

/**
 * OCR with tesseract.js, fully offline (wasm core and the models come from npm; nothing is downloaded
 * or cached on disk). Each worker runs in a thread of its own that hosts tesseract.js, so no failure
 * of the engine can reach the process: a crash or a failed job rejects that `recognize` call, and the
 * next call starts a fresh thread. `signal` aborts a recognition by terminating its thread.
 * Threads start on the first `recognize` call and do not keep the process alive while idle.
 */
export function createTesseractOcr(options: TesseractOcrOptions = {}): OcrEngine {
  const size = Math.max(1, Math.floor(options.workers ?? 1));
  const languages = resolveOcrLanguages(options.languages ?? ['eng'], options.langPath);
  const init: OcrHostInit = { languages };
  const queue: Job[] = [];
  let nextId = 1;
  const slots: OcrSlot[] = [];
  const dispatch = (slot: OcrSlot): void => {
    if (slot.job) return;
    const job = queue.shift();
    if (job) slot.run(job);
  };
  for (let i = 0; i < size; i++) slots.push(new OcrSlot(init, dispatch));

  return {
    languages: languages.map((l) => l.code),
    recognize(image, opts = {}) {
      const { signal } = opts;
      if (signal?.aborted) return Promise.reject(ocrAborted(signal.reason));
      return new Promise<OcrResult>((resolve, reject) => {
        const dpi = Math.round(Math.min(1200, Math.max(70, opts.dpi ?? 150)));
        const job: Job = { id: nextId++, image, deskew: opts.deskew ?? false, dpi, signal, resolve, reject };
        // While queued, an abort just takes the job out of the queue.
        const onQueuedAbort = (): void => {
          const i = queue.indexOf(job);
          if (i >= 0) {
            queue.splice(i, 1);
            reject(ocrAborted(signal?.reason));
          }
        };
        signal?.addEventListener('abort', onQueuedAbort, { once: true });
        const settle =
          <T>(f: (v: T) => void) =>
          (v: T): void => {
            signal?.removeEventListener('abort', onQueuedAbort);
            f(v);
          };
        job.resolve = settle(resolve);
        job.reject = settle(reject);
        queue.push(job);
        const free = slots.find((s) => !s.job);
        if (free) dispatch(free);
      });
    },
    async close() {
      for (const job of queue.splice(0)) job.reject(errorFor('ABORTED', 'The OCR engine was closed.'));
      await Promise.all(slots.map((s) => s.close()));
    },
  };
}
