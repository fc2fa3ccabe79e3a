/**
 * `node:worker_threads` host of one tesseract.js worker (see `ocr.ts`). tesseract.js starts its own
 * worker thread and, without an error handler, throws a failed job out of band (which killed the
 * whole process) and ignores that thread's `error` event (an unhandled `error` event is fatal too).
 * Hosting it here contains all of that: anything that goes wrong ends this thread, which the main
 * thread sees as an `error`/`exit` of a worker it listens to, and turns into that page's error.
 * Terminating this thread (abort, deadline) also ends tesseract's thread.
 *
 * Loaded straight from `src/` under vitest (Node strips the types): no relative imports, no
 * `@autod/*` imports, erasable TypeScript only.
 */
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import type * as TesseractNs from 'tesseract.js';

type TesseractModule = typeof TesseractNs;

/** What the host is started with (`workerData`). */
export interface OcrHostInit {
  /** Language code and path of its `.traineddata.gz`. */
  languages: { code: string; file: string }[];
}

export interface OcrHostBox {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

export interface OcrHostLine {
  text: string;
  confidence: number;
  bbox: OcrHostBox;
  words: { text: string; confidence: number; bbox: OcrHostBox }[];
}

export interface OcrHostResult {
  text: string;
  confidence: number;
  /** Skew tesseract corrected (radians), when `deskew` was asked for. */
  rotateRadians: number;
  lines: OcrHostLine[];
}

export type OcrHostRequest = { op: 'recognize'; id: number; image: Uint8Array; deskew: boolean; dpi: number };

export type OcrHostReply =
  | { op: 'ready' }
  | { op: 'failed-start'; message: string }
  | { op: 'result'; id: number; result: OcrHostResult }
  | { op: 'error'; id: number; message: string };

const port = parentPort;
if (!port) throw new Error('ocr-worker must run in a worker thread');
const init = workerData as OcrHostInit;

function message(e: unknown): string {
  if (e instanceof Error) return e.message;
  return typeof e === 'string' ? e : JSON.stringify(e);
}

/** Fatal: tell the main thread and end this thread (and with it tesseract's). */
function die(why: string): never {
  port?.postMessage({ op: 'failed-start', message: why } satisfies OcrHostReply);
  process.exit(1);
}

let worker: TesseractNs.Worker;
// tesseract.js reads every model from one `langPath` (its `{ code, data }` form is broken in 7.0.0:
// `initialize` joins the data instead of the codes). The shipped models live in one package each, so
// they are linked into a temporary folder, which is removed once the models are loaded.
const langDir = await mkdtemp(path.join(tmpdir(), 'autod-ocr-'));
try {
  for (const l of init.languages) await symlink(l.file, path.join(langDir, `${l.code}.traineddata.gz`));
  const mod = await import('tesseract.js');
  const T: TesseractModule = (mod as unknown as { default?: TesseractModule }).default ?? mod;
  worker = await T.createWorker(
    init.languages.map((l) => l.code),
    T.OEM.LSTM_ONLY,
    {
      langPath: langDir,
      cacheMethod: 'none',
      gzip: true,
      // A rejected job is already reported through its promise; without a handler tesseract.js rethrows it.
      errorHandler: () => undefined,
    },
  );
} catch (e) {
  await rm(langDir, { recursive: true, force: true }).catch(() => undefined);
  die(`tesseract.js could not start: ${message(e)}`);
}
await rm(langDir, { recursive: true, force: true }).catch(() => undefined);
// tesseract.js's own thread: it sets `onerror`, which a Node Worker never calls.
const inner = (worker as unknown as { worker?: { on?: (ev: string, f: (x: unknown) => void) => void } }).worker;
inner?.on?.('error', (e) => die(`the tesseract worker failed: ${message(e)}`));
inner?.on?.('exit', (code) => die(`the tesseract worker exited (code ${String(code)})`));

function compact(data: TesseractNs.Page): OcrHostResult {
  const lines: OcrHostLine[] = [];
  for (const block of data.blocks ?? []) {
    for (const para of block.paragraphs) {
      for (const line of para.lines) {
        const words = line.words
          .filter((w) => w.text.trim().length > 0)
          .map((w) => ({ text: w.text, confidence: w.confidence, bbox: w.bbox }));
        if (words.length === 0) continue;
        lines.push({ text: line.text.trim(), confidence: line.confidence, bbox: line.bbox, words });
      }
    }
  }
  return { text: data.text, confidence: data.confidence, rotateRadians: data.rotateRadians ?? 0, lines };
}

let queue: Promise<void> = Promise.resolve();

port.on('message', (msg: OcrHostRequest) => {
  if (msg.op !== 'recognize') return;
  queue = queue.then(async () => {
    try {
      const r = await worker.recognize(
        Buffer.from(msg.image.buffer, msg.image.byteOffset, msg.image.byteLength),
        // Options other than tesseract.js's own are set as tesseract variables for this job.
        { ...(msg.deskew ? { rotateAuto: true } : {}), user_defined_dpi: String(msg.dpi) } as never,
        { text: true, blocks: true },
      );
      port.postMessage({ op: 'result', id: msg.id, result: compact(r.data) } satisfies OcrHostReply);
    } catch (e) {
      port.postMessage({ op: 'error', id: msg.id, message: message(e) } satisfies OcrHostReply);
    }
  });
});
port.postMessage({ op: 'ready' } satisfies OcrHostReply);
