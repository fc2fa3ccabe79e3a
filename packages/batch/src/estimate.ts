import { readFile } from 'node:fs/promises';
import { countPdfPages, estimateExtractionCost, type PricingTable } from '@autod/api-client';
import { isAutodError } from '@autod/errors';
import pLimit from 'p-limit';

export interface FileEstimate {
  path: string;
  bytes: number;
  pages: number;
  inputTokens: number;
  outputTokens: number;
}

export interface ModelEstimate {
  model: string;
  /** Live mode (Responses API, standard price). */
  liveUsd: number;
  /** OpenAI Batch API mode (half price). */
  batchUsd: number;
}

export interface RunEstimate {
  files: number;
  pages: number;
  bytes: number;
  /** Estimated input tokens (prompt + PDF pages) of one extraction per file, summed. */
  inputTokens: number;
  outputTokens: number;
  /** Per model, in the order asked. Models with no known price are left out and listed in `unpriced`. */
  models: ModelEstimate[];
  unpriced: string[];
  perFile: FileEstimate[];
}

export interface EstimateOptions {
  /** Models to price (default `['gpt-5-mini']`). */
  models?: string[];
  pricing?: PricingTable;
  /** Files read at the same time (default 4). */
  concurrency?: number;
}

/** Estimate one file: page count from the PDF, tokens from the page rule of `@autod/api-client`. */
export async function estimateFile(
  path: string,
  model = 'gpt-5-mini',
  pricing?: PricingTable,
): Promise<FileEstimate & { liveUsd: number; batchUsd: number }> {
  const bytes = new Uint8Array(await readFile(path));
  const pages = countPdfPages(bytes);
  const live = estimateExtractionCost({ pageCount: pages, model, ...(pricing ? { pricing } : {}) });
  const batch = estimateExtractionCost({ pageCount: pages, model, batch: true, ...(pricing ? { pricing } : {}) });
  return {
    path,
    bytes: bytes.byteLength,
    pages,
    inputTokens: live.inputTokens,
    outputTokens: live.outputTokens,
    liveUsd: live.costUsd,
    batchUsd: batch.costUsd,
  };
}

/**
 * Count files, pages and tokens and price the run per model, live and through the Batch API, before spending
 * anything. Unreadable files count as one page (they will fail cheaply).
 */
export async function estimateRun(files: string[], options: EstimateOptions = {}): Promise<RunEstimate> {
  const models = options.models && options.models.length > 0 ? options.models : ['gpt-5-mini'];
  const limit = pLimit(Math.max(1, options.concurrency ?? 4));
  const perFile = await Promise.all(
    files.map((path) =>
      limit(async (): Promise<FileEstimate> => {
        let bytes: Uint8Array;
        try {
          bytes = new Uint8Array(await readFile(path));
        } catch {
          bytes = new Uint8Array();
        }
        const pages = countPdfPages(bytes);
        const { inputTokens, outputTokens } = estimateExtractionCost({ pageCount: pages, model: 'gpt-4o-mini' });
        return { path, bytes: bytes.byteLength, pages, inputTokens, outputTokens };
      }),
    ),
  );
  const out: ModelEstimate[] = [];
  const unpriced: string[] = [];
  for (const model of models) {
    try {
      let liveUsd = 0;
      let batchUsd = 0;
      for (const f of perFile) {
        const args = { pageCount: f.pages, model, ...(options.pricing ? { pricing: options.pricing } : {}) };
        liveUsd += estimateExtractionCost(args).costUsd;
        batchUsd += estimateExtractionCost({ ...args, batch: true }).costUsd;
      }
      out.push({ model, liveUsd, batchUsd });
    } catch (error) {
      if (isAutodError(error) && error.code === 'CFG_INVALID') unpriced.push(model);
      else throw error;
    }
  }
  return {
    files: perFile.length,
    pages: perFile.reduce((s, f) => s + f.pages, 0),
    bytes: perFile.reduce((s, f) => s + f.bytes, 0),
    inputTokens: perFile.reduce((s, f) => s + f.inputTokens, 0),
    outputTokens: perFile.reduce((s, f) => s + f.outputTokens, 0),
    models: out,
    unpriced,
    perFile,
  };
}
