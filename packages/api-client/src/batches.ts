import type OpenAI from 'openai';
import { errorFor } from '@autod/errors';
import { parseBatchOutput } from './batch-results.js';
import type { FilesApi } from './files.js';
import type { Metering } from './metering.js';
import type { Pricer } from './pricer.js';
import { countPdfPages, estimatePdfTokens, EXTRACTION_PROMPT_TOKENS } from './tokens.js';
import type { Call } from './transport.js';
import type { BatchItemResult, BatchRequestItem, BatchStatus, ExtractionRequestInput } from './types.js';

const TERMINAL_BATCH = new Set(['completed', 'failed', 'expired', 'cancelled']);

export interface BatchesApiOptions {
  call: Call;
  files: FilesApi;
  metering: Metering;
  pricer: Pricer;
  /** The `/v1/responses` body of one extraction (see `buildExtractionRequestBody`). */
  buildBody: (input: ExtractionRequestInput) => Record<string, unknown>;
  /** Model of an item that names none. */
  model: string;
  clock: { now(): number };
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** OpenAI Batch API for extractions (half price, results within 24 h): JSONL input file, job, results by custom_id. */
export function batchesApi(options: BatchesApiOptions) {
  const { call, files, metering, pricer, buildBody, model: defaultModel, clock, sleep } = options;

  /** One JSONL line per item: `{ custom_id, method: 'POST', url: '/v1/responses', body }`. */
  const buildJsonl = (items: BatchRequestItem[]): string => {
    const seen = new Set<string>();
    const lines = items.map((item) => {
      if (seen.has(item.customId)) {
        throw errorFor(
          'VALIDATION_FAILED',
          `Duplicate custom_id "${item.customId}" in a batch; each line needs its own id.`,
        );
      }
      seen.add(item.customId);
      return JSON.stringify({
        custom_id: item.customId,
        method: 'POST',
        url: '/v1/responses',
        body: buildBody(item.input),
      });
    });
    return lines.length > 0 ? `${lines.join('\n')}\n` : '';
  };

  /** What the items are expected to cost at Batch API prices. */
  const estimateUsd = (items: BatchRequestItem[]): number =>
    items.reduce((sum, item) => {
      const model = item.input.model ?? defaultModel;
      const pages = item.input.pageCount ?? (item.input.pdf ? countPdfPages(item.input.pdf) : 1);
      const inputTokens = EXTRACTION_PROMPT_TOKENS + estimatePdfTokens(pages);
      return sum + pricer.estimate(model, inputTokens, { batch: true });
    }, 0);

  /** Current state of a batch. */
  const status = async (batchId: string, signal?: AbortSignal): Promise<BatchStatus> => {
    const { data } = await call({ operation: 'batches.retrieve', signal }, (s, sdk) =>
      sdk.batches.retrieve(batchId, s ? { signal: s } : {}),
    );
    return toBatchStatus(data);
  };

  return {
    buildJsonl,

    /** Upload the JSONL and create the batch. */
    submit: async (
      items: BatchRequestItem[],
      opts: { metadata?: Record<string, string>; signal?: AbortSignal } = {},
    ): Promise<{ batchId: string; inputFileId: string }> => {
      if (items.length === 0) throw errorFor('VALIDATION_FAILED', 'A batch needs at least one item.');
      const jsonl = buildJsonl(items);
      // The whole batch is reserved at Batch API prices before it is sent; its results settle it (see `results`).
      return metering.reserveBatch({ model: defaultModel, estimatedUsd: () => estimateUsd(items) }, async () => {
        const { id: inputFileId } = await files.upload(
          new TextEncoder().encode(jsonl),
          `autod-batch-${clock.now()}.jsonl`,
          'batch',
          opts.signal,
        );
        const { data } = await call({ operation: 'batches.create', signal: opts.signal }, (s, sdk) =>
          sdk.batches.create(
            {
              input_file_id: inputFileId,
              endpoint: '/v1/responses',
              completion_window: '24h',
              ...(opts.metadata ? { metadata: opts.metadata } : {}),
            },
            s ? { signal: s } : {},
          ),
        );
        return { batchId: data.id, inputFileId };
      });
    },

    status,

    /** Poll until the batch is completed, failed, expired or cancelled. */
    waitFor: async (
      batchId: string,
      opts: { pollMs?: number; timeoutMs?: number; signal?: AbortSignal } = {},
    ): Promise<BatchStatus> => {
      const timeoutMs = opts.timeoutMs ?? 25 * 60 * 60 * 1000;
      const deadline = clock.now() + timeoutMs;
      for (;;) {
        const current = await status(batchId, opts.signal);
        if (current.done) return current;
        if (clock.now() >= deadline) {
          throw errorFor(
            'TIMEOUT',
            `Batch ${batchId} was still ${current.status} after ${timeoutMs} ms; poll again later.`,
            {
              retryable: true,
              details: { batchId, status: current.status },
            },
          );
        }
        await sleep(opts.pollMs ?? 30_000, opts.signal);
      }
    },

    /**
     * Download a finished batch's output and error files and map every line back by `custom_id`:
     * validated metadata with usage and Batch-API cost, or an error per line.
     */
    results: async (batchId: string, signal?: AbortSignal): Promise<Map<string, BatchItemResult>> => {
      const current = await status(batchId, signal);
      if (!current.done) {
        throw errorFor(
          'CONFLICT',
          `Batch ${batchId} is ${current.status}; wait until it has finished before reading results.`,
          {
            retryable: true,
            details: { batchId, status: current.status },
          },
        );
      }
      const out = new Map<string, BatchItemResult>();
      for (const fileId of [current.outputFileId, current.errorFileId]) {
        if (!fileId) continue;
        const { data } = await call({ operation: 'files.content', signal }, (s, sdk) =>
          sdk.files.content(fileId, s ? { signal: s } : {}),
        );
        const text = await data.text();
        for (const [customId, result] of parseBatchOutput(text, (usage, model) =>
          pricer.price(usage, model, { batch: true }),
        )) {
          out.set(customId, result);
        }
      }
      // The batch's reservation is settled with what its lines were billed.
      await metering.settleBatch(batchId, out.values());
      return out;
    },

    /** Ask OpenAI to cancel a batch. */
    cancel: async (batchId: string, signal?: AbortSignal): Promise<BatchStatus> => {
      const { data } = await call({ operation: 'batches.cancel', signal }, (s, sdk) =>
        sdk.batches.cancel(batchId, s ? { signal: s } : {}),
      );
      return toBatchStatus(data);
    },
  };
}

/** The Batch API operations of `ApiClient.batches`. */
export type BatchesApi = ReturnType<typeof batchesApi>;

function toBatchStatus(b: OpenAI.Batches.Batch): BatchStatus {
  return {
    id: b.id,
    status: b.status,
    inputFileId: b.input_file_id,
    ...(b.output_file_id ? { outputFileId: b.output_file_id } : {}),
    ...(b.error_file_id ? { errorFileId: b.error_file_id } : {}),
    requestCounts: {
      total: b.request_counts?.total ?? 0,
      completed: b.request_counts?.completed ?? 0,
      failed: b.request_counts?.failed ?? 0,
    },
    done: TERMINAL_BATCH.has(b.status),
  };
}
