import { createRequire } from 'node:module';
import path from 'node:path';
import { errorFor } from '@autod/errors';
import type * as TesseractNs from 'tesseract.js';

/** Anything that turns a page image into text. `confidence` is 0..100 (tesseract's scale). */
export interface OcrEngine {
  recognize(png: Uint8Array): Promise<{ text: string; confidence: number }>;
  /** Free workers. The engine may be used again afterwards (workers are re-created lazily). */
  close(): Promise<void>;
}

export interface TesseractOcrOptions {
  /** Parallel tesseract workers (default 1; each holds ~100 MB of wasm heap). */
  workers?: number;
  /** Directory holding `eng.traineddata.gz` (default: `@tesseract.js-data/eng`'s `4.0.0_best_int`). */
  langPath?: string;
}

type TesseractModule = typeof TesseractNs;
type Scheduler = ReturnType<TesseractModule['createScheduler']>;

/** The offline English model shipped by the `@tesseract.js-data/eng` npm package. */
export function defaultLangPath(): string {
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve('@tesseract.js-data/eng/package.json')), '4.0.0_best_int');
}

/**
 * OCR with tesseract.js, fully offline (wasm core and the eng model come from npm; nothing is
 * downloaded or cached on disk). Workers start on the first `recognize` call and are shared by
 * concurrent calls.
 */
export function createTesseractOcr(options: TesseractOcrOptions = {}): OcrEngine {
  const workers = Math.max(1, Math.floor(options.workers ?? 1));
  let scheduler: Promise<Scheduler> | undefined;

  async function start(): Promise<Scheduler> {
    const mod = await import('tesseract.js');
    const T: TesseractModule = (mod as unknown as { default?: TesseractModule }).default ?? mod;
    const langPath = options.langPath ?? defaultLangPath();
    const s = T.createScheduler();
    try {
      const created = await Promise.all(
        Array.from({ length: workers }, () =>
          T.createWorker('eng', T.OEM.LSTM_ONLY, { langPath, gzip: true, cacheMethod: 'none' }),
        ),
      );
      for (const w of created) s.addWorker(w);
    } catch (e) {
      await s.terminate().catch(() => undefined);
      throw errorFor(
        'INTERNAL',
        'The OCR engine (tesseract.js) could not start; check that @tesseract.js-data/eng is installed.',
        {
          cause: e,
        },
      );
    }
    return s;
  }

  return {
    async recognize(png) {
      if (!scheduler) {
        scheduler = start();
        scheduler.catch(() => {
          scheduler = undefined;
        });
      }
      const s = await scheduler;
      const result = await s.addJob('recognize', Buffer.from(png.buffer, png.byteOffset, png.byteLength));
      return { text: result.data.text, confidence: result.data.confidence };
    },
    async close() {
      const s = scheduler;
      scheduler = undefined;
      if (!s) return;
      const started = await s.catch(() => undefined);
      if (started) await started.terminate();
    },
  };
}
