import { basename } from 'node:path';
import {
  countPdfPages,
  estimateExtractionCost,
  type ApiClient,
  type BatchItemResult,
  type BatchRequestItem,
  type PricingTable,
} from '@autod/api-client';
import type { Database } from '@autod/db';
import {
  ERROR_CODES,
  delay,
  errorFor,
  isAutodError,
  toAutodError,
  type AutodError,
  type ErrorCode,
} from '@autod/errors';
import { readDocument, sniffDocument } from '@autod/extract';
import {
  discoverFiles,
  openAIPromptVersion,
  type ClaimedDocument,
  type Pipeline,
  type ProcessOutcome,
} from '@autod/pipeline';
import { noopLogger, type Logger } from '@autod/ops';
import { outcomeAttempt, settleVanished } from './item.js';
import { migrateBatchTables } from './migrations.js';
import { ProgressTracker, progressEmitter } from './progress.js';
import { BatchStore } from './store.js';
import type {
  BatchItem,
  BatchItemError,
  BatchProgressEvent,
  BatchRecord,
  BatchRunResult,
  BatchStatus,
} from './types.js';

/** Limits of one Batch API input file (OpenAI: 50,000 requests and 200 MB); the byte cap keeps a margin. */
export const OPENAI_BATCH_MAX_LINES = 50_000;
export const OPENAI_BATCH_MAX_BYTES = 190 * 1024 * 1024;

/**
 * What the Batch API runner needs of the pipeline: its steps. The runner makes the extraction (the Batch API) and the
 * pipeline does everything else — intake checks, read + hash, the claim, persist → index → file, failures and
 * duplicates, deferrals, the `file.finished` event (metrics, cost alerts) — exactly as for `process`.
 */
export type BatchApiPipeline = Pick<
  Pipeline,
  'intake' | 'claim' | 'persist' | 'fail' | 'defer' | 'finish' | 'recover' | 'dirs'
>;

export interface OpenAIBatchDeps {
  db: Database;
  pipeline: BatchApiPipeline;
  apiClient: ApiClient;
  logger?: Logger;
}

export interface OpenAIBatchOptions {
  /** Model of every request (default: the client's model is not visible, so this is required). */
  model: string;
  maxLinesPerFile?: number;
  maxBytesPerFile?: number;
  /** First poll interval (default 5,000 ms); grows ×1.5 per poll up to `maxPollMs` (default 60,000 ms). */
  pollMs?: number;
  maxPollMs?: number;
  /** Submissions per item for transient failures before it fails (default 3). */
  maxItemAttempts?: number;
  /** Claim lease while a Batch API job runs (default 26 h: the completion window is 24 h). */
  leaseMs?: number;
  maxCostUsd?: number;
  retryFailed?: boolean;
  /** Submit and return without waiting (status `submitted`); `run(batchId)` later collects the results. */
  wait?: boolean;
  pricing?: PricingTable;
  signal?: AbortSignal;
  onProgress?: (event: BatchProgressEvent) => void;
}

interface Prepared {
  item: BatchItem;
  sha256: string;
  claim: ClaimedDocument;
  request: BatchRequestItem;
  lineBytes: number;
  estimateUsd: number;
}

/**
 * OpenAI Batch API mode (half price, results within 24 h): the pipeline's intake and claim steps, then one
 * `/v1/responses` body per file in JSONL chunks within the API's limits, submitted and polled with backoff. Results
 * come back by `custom_id` (= SHA-256), are validated and handed to the pipeline's persist step (batch pricing), which
 * commits, indexes and files them as for `process`. Failed lines with a transient cause are resubmitted. The OpenAI
 * batch ids are stored, so a restart resumes polling.
 */
export class OpenAIBatchRunner {
  readonly store: BatchStore;
  private readonly logger: Logger;

  constructor(
    private readonly deps: OpenAIBatchDeps,
    private readonly options: OpenAIBatchOptions,
  ) {
    this.store = new BatchStore(deps.db);
    this.logger = deps.logger ?? noopLogger;
  }

  async create(inputs: string[], options: { exclude?: string[] } = {}): Promise<BatchRecord> {
    await migrateBatchTables(this.deps.db);
    const { dirs } = this.deps.pipeline;
    const files = await discoverFiles(inputs, [
      dirs.processed,
      dirs.failed,
      dirs.duplicates,
      ...(options.exclude ?? []),
    ]);
    const open = await this.store.findUnfinished('openai-batch', inputs);
    if (open) {
      await this.store.addItems(open.id, files);
      return this.store.require(open.id);
    }
    return this.store.create({ mode: 'openai-batch', inputs, paths: files, options: { model: this.options.model } });
  }

  async start(inputs: string[], options: { exclude?: string[] } = {}): Promise<BatchRunResult> {
    const batch = await this.create(inputs, options);
    return this.run(batch.id);
  }

  private owner(batchId: string): string {
    // Stable across restarts, so a resumed run still holds the claims it made; never a "dead local owner".
    return `openai-batch:${batchId}`;
  }

  async run(batchId: string): Promise<BatchRunResult> {
    try {
      return await this.runOnce(batchId);
    } catch (error) {
      await this.store.setStatus(batchId, 'interrupted').catch(() => undefined);
      throw error;
    }
  }

  private async runOnce(batchId: string): Promise<BatchRunResult> {
    await migrateBatchTables(this.deps.db);
    const started = performance.now();
    const { store } = this;
    const opts = this.options;
    const signal = opts.signal;
    await store.require(batchId);
    if (opts.retryFailed) await store.resetFailed(batchId);
    await this.deps.pipeline.recover();
    const tracker = new ProgressTracker({ batchId, mode: 'openai-batch', counts: await store.counts(batchId) });
    const emit = progressEmitter(opts.onProgress, this.logger);
    const settle = async (
      item: BatchItem,
      patch: Parameters<BatchStore['updateItem']>[1] & { status: 'done' | 'duplicate' | 'failed' | 'skipped' },
    ) => {
      await store.updateItem(item.id, patch);
      tracker.record(patch.status, patch.costUsd ?? 0);
      emit(
        tracker.event('progress', {
          last: { path: item.path, status: patch.status, ...(patch.error ? { error: patch.error } : {}) },
        }),
      );
    };
    emit(tracker.event('start'));

    let budgetStopped = false;
    for (let round = 0; ; round++) {
      if (signal?.aborted) break;
      // 1. Collect every submitted job (also those of an earlier process).
      const inFlight = await this.inFlightJobs(batchId);
      if (opts.wait === false && inFlight.length > 0 && round > 0) break;
      for (const jobId of inFlight) {
        if (signal?.aborted) break;
        if (opts.wait === false) {
          const status = await this.deps.apiClient.batches.status(jobId, signal);
          if (!status.done) continue;
        } else {
          await this.poll(jobId, signal);
        }
        await this.collect(batchId, jobId, settle);
      }
      if (signal?.aborted) break;
      // 2. Submit what is pending and not submitted.
      const { submitted, blocked } = await this.submitPending(batchId, tracker, settle);
      if (blocked) budgetStopped = true;
      if (submitted === 0 && (await this.inFlightJobs(batchId)).length === 0) break;
      if (opts.wait === false && submitted > 0) {
        await store.setStatus(batchId, 'submitted');
        break;
      }
    }

    const counts = await store.counts(batchId);
    const inFlight = (await this.inFlightJobs(batchId)).length > 0;
    let status: BatchStatus;
    if (inFlight) status = 'submitted';
    else if (signal?.aborted && counts.pending > 0) status = 'interrupted';
    else if (budgetStopped && counts.pending > 0) status = 'budget_stopped';
    else if (counts.pending > 0) status = 'interrupted';
    else status = counts.failed > 0 ? 'completed_with_errors' : 'completed';
    await store.setStatus(batchId, status);
    tracker.set(counts);
    emit(tracker.event('end', { status }));
    return { batchId, mode: 'openai-batch', status, counts, durationMs: performance.now() - started };
  }

  private async inFlightJobs(batchId: string): Promise<string[]> {
    const raw: unknown = await this.deps.db
      .knex('batch_items')
      .where({ batch_id: batchId, status: 'pending' })
      .whereNotNull('openai_batch_id')
      .distinct('openai_batch_id');
    const rows = raw as { openai_batch_id: string }[];
    return rows.map((r) => r.openai_batch_id);
  }

  private async poll(jobId: string, signal?: AbortSignal): Promise<void> {
    let wait = this.options.pollMs ?? 5000;
    const max = this.options.maxPollMs ?? 60_000;
    for (;;) {
      const status = await this.deps.apiClient.batches.status(jobId, signal);
      if (status.done) return;
      await delay(wait, signal);
      if (signal?.aborted) return;
      wait = Math.min(max, Math.ceil(wait * 1.5));
    }
  }

  /** Map a finished job's lines back to its items and persist them. */
  private async collect(batchId: string, jobId: string, settle: Settle): Promise<void> {
    const { db, pipeline, apiClient } = this.deps;
    const owner = this.owner(batchId);
    const results: Map<string, BatchItemResult> = await apiClient.batches.results(jobId);
    const maxAttempts = Math.max(1, this.options.maxItemAttempts ?? 3);
    for (let afterId = 0; ;) {
      const items = await this.store.items(batchId, { status: 'pending', openaiBatchId: jobId, afterId, limit: 200 });
      if (items.length === 0) break;
      afterId = items.at(-1)!.id;
      for (const item of items) {
        const started = performance.now();
        const sha256 = item.sha256 ?? '';
        const doc = sha256 ? await db.documents.get(sha256) : undefined;
        const claimed: ClaimedDocument | null = doc
          ? { documentId: doc.id, sha256, owner, path: item.path, fileName: basename(item.path) }
          : null;
        const result = results.get(sha256);
        try {
          if (result?.ok && claimed) {
            const outcome = await pipeline.persist(claimed, {
              extraction: {
                metadata: result.metadata,
                usage: result.usage,
                costUsd: result.costUsd,
                provider: 'openai',
                model: this.options.model,
                latencyMs: 0,
                promptVersion: openAIPromptVersion(),
              },
              via: 'openai-batch',
            });
            pipeline.finish(outcome, performance.now() - started);
            // `skipped`: committed, the move is left to recovery — the document is done all the same.
            await settle(item, {
              status: 'done',
              documentId: claimed.documentId,
              costUsd: result.costUsd,
              error: null,
              openaiBatchId: null,
            });
            continue;
          }
          const error: AutodError =
            result && !result.ok
              ? result.error
              : errorFor('UPSTREAM_ERROR', `The Batch API returned no result for ${basename(item.path)}.`, {
                  retryable: true,
                });
          if (doc && result && !result.ok) {
            await db.attempts
              .record({
                documentId: doc.id,
                provider: 'openai',
                model: this.options.model,
                status: 'failed',
                usage: result.usage ?? {
                  inputTokens: 0,
                  cachedInputTokens: 0,
                  outputTokens: 0,
                  reasoningTokens: 0,
                  totalTokens: 0,
                },
                costUsd: result.costUsd ?? 0,
                latencyMs: 0,
                error: { code: error.code, message: error.message },
                promptVersion: openAIPromptVersion(),
              })
              .catch(() => undefined);
          }
          const attempts = item.attempts + 1;
          const reason: BatchItemError = { code: error.code, message: error.message };
          if (error.retryable && attempts < maxAttempts) {
            await this.store.updateItem(item.id, { attempts, error: reason, openaiBatchId: null });
          } else {
            const outcome = await pipeline.fail(item.path, claimed, error);
            pipeline.finish(outcome, performance.now() - started);
            await settle(item, {
              status: 'failed',
              attempts,
              error: reason,
              documentId: doc?.id ?? null,
              openaiBatchId: null,
            });
          }
        } catch (thrown) {
          const error = toAutodError(thrown);
          this.logger.error({ err: error, path: item.path }, 'could not persist a Batch API result');
          await this.store.updateItem(item.id, {
            attempts: item.attempts + 1,
            error: { code: error.code, message: error.message },
            openaiBatchId: null,
          });
        }
      }
    }
  }

  /** The pipeline's intake and claim steps for the pending, unsubmitted items; submit them in chunks. */
  private async submitPending(
    batchId: string,
    tracker: ProgressTracker,
    settle: Settle,
  ): Promise<{ submitted: number; blocked: boolean }> {
    const { db, apiClient, pipeline } = this.deps;
    const opts = this.options;
    const owner = this.owner(batchId);
    const maxLines = Math.min(opts.maxLinesPerFile ?? OPENAI_BATCH_MAX_LINES, OPENAI_BATCH_MAX_LINES);
    const maxBytes = Math.min(opts.maxBytesPerFile ?? OPENAI_BATCH_MAX_BYTES, OPENAI_BATCH_MAX_BYTES);
    const leaseMs = opts.leaseMs ?? 26 * 3600 * 1000;
    let chunk: Prepared[] = [];
    let chunkBytes = 0;
    let submitted = 0;
    let reserved = 0;
    let blocked = false;
    const shasInRound = new Set<string>();
    /** Given back as `waiting` at once: the next run (or round) may take it. */
    const giveBack = (claim: ClaimedDocument, code: 'BUDGET_EXCEEDED' | 'SHUTTING_DOWN' | ErrorCode, message: string) =>
      pipeline.defer(claim, errorFor(code, message, { retryAfterMs: 0 })).catch(() => undefined);

    const flush = async () => {
      if (chunk.length === 0) return;
      const items = chunk;
      chunk = [];
      chunkBytes = 0;
      try {
        const { batchId: jobId } = await apiClient.batches.submit(
          items.map((p) => p.request),
          { metadata: { autod_batch_id: batchId }, ...(opts.signal ? { signal: opts.signal } : {}) },
        );
        await this.store.addOpenAIBatchId(batchId, jobId);
        for (const p of items) await this.store.updateItem(p.item.id, { openaiBatchId: jobId, sha256: p.sha256 });
        submitted += items.length;
        this.logger.info({ batchId, jobId, items: items.length }, 'submitted a Batch API job');
      } catch (thrown) {
        const error = toAutodError(thrown);
        const budget = error.code === 'BUDGET_EXCEEDED';
        // Nothing was submitted: the documents wait (with the reason) so the items can be tried again.
        for (const p of items) {
          await giveBack(p.claim, error.code, error.message);
          await this.store.updateItem(p.item.id, {
            // A budget cap (AUTOD_BUDGET_*) is no strike against the item: it is submitted by a later run.
            ...(budget ? {} : { attempts: p.item.attempts + 1 }),
            error: { code: error.code, message: error.message },
          });
        }
        if (budget) {
          blocked = true;
          return;
        }
        throw error;
      }
    };

    for (let afterId = 0; ;) {
      const page = await this.store.items(batchId, { status: 'pending', openaiBatchId: null, afterId, limit: 200 });
      if (page.length === 0) break;
      afterId = page.at(-1)!.id;
      for (const item of page) {
        if (opts.signal?.aborted) break;
        const maxAttempts = Math.max(1, opts.maxItemAttempts ?? 3);
        if (item.attempts >= maxAttempts) {
          // Transient trouble every time: give the claim back (the file stays where it is for a later run).
          const doc = item.sha256 ? await db.documents.get(item.sha256) : undefined;
          if (doc?.status === 'processing' && doc.claimOwner === owner)
            await giveBack(
              { documentId: doc.id, sha256: doc.sha256, owner, path: item.path, fileName: basename(item.path) },
              isErrorCode(item.error?.code) ? item.error.code : 'UPSTREAM_ERROR',
              item.error?.message ?? 'Too many attempts in this batch.',
            );
          await settle(item, {
            status: 'failed',
            error: item.error ?? { code: 'UPSTREAM_ERROR', message: 'Too many attempts.' },
          });
          continue;
        }
        const prepared = await this.prepare(item, { batchId, owner, leaseMs, shasInRound, settle });
        if (!prepared) continue;
        if (
          opts.maxCostUsd !== undefined &&
          tracker.current.costUsd + reserved + prepared.estimateUsd > opts.maxCostUsd
        ) {
          await giveBack(
            prepared.claim,
            'BUDGET_EXCEEDED',
            'The batch budget (--max-cost) is reached; the document waits for the next run.',
          );
          blocked = true;
          break;
        }
        reserved += prepared.estimateUsd;
        if (chunk.length + 1 > maxLines || chunkBytes + prepared.lineBytes > maxBytes) await flush();
        chunk.push(prepared);
        // A budget cap refused the last chunk: claim no more (the final flush offers what is claimed once more).
        if (blocked) break;
        chunkBytes += prepared.lineBytes;
        shasInRound.add(prepared.sha256);
      }
      if (blocked || opts.signal?.aborted) break;
    }
    if (opts.signal?.aborted) {
      for (const p of chunk)
        await giveBack(
          p.claim,
          'SHUTTING_DOWN',
          'The batch was stopped before this document was submitted; a resume submits it.',
        );
      chunk = [];
    }
    await flush();
    return { submitted, blocked };
  }

  /** A copy of these bytes submitted by this batch and not collected yet (it becomes a duplicate once it is in). */
  private async copyInFlight(batchId: string, sha256: string, itemId: number): Promise<boolean> {
    const row: unknown = await this.deps.db
      .knex('batch_items')
      .where({ batch_id: batchId, sha256, status: 'pending' })
      .whereNot('id', itemId)
      .whereNotNull('openai_batch_id')
      .first('id');
    return row !== undefined;
  }

  /**
   * One item through the pipeline's intake (read, size and type checks, hash) and claim; a file that ends there
   * (failed, duplicate, held, gone) is settled, and an item that may be extracted becomes its Batch API request line.
   */
  private async prepare(item: BatchItem, round: SubmitRound): Promise<Prepared | undefined> {
    const { batchId, owner, leaseMs, shasInRound, settle } = round;
    const { db, pipeline, apiClient } = this.deps;
    const started = performance.now();
    /** The file ends here: report it (metrics, events) and checkpoint the item. */
    const end = async (outcome: ProcessOutcome): Promise<undefined> => {
      const attempt =
        outcome.kind === 'skipped' && outcome.reason === 'vanished'
          ? await settleVanished(db, item)
          : outcomeAttempt(outcome);
      if (attempt.kind === 'final') {
        if (outcome.kind !== 'skipped') pipeline.finish(outcome, performance.now() - started);
        await settle(item, { ...attempt.patch, attempts: item.attempts + 1 });
      } else if (attempt.kind === 'retry') {
        await this.store.updateItem(item.id, { attempts: item.attempts + 1, error: attempt.error });
      }
      return undefined;
    };
    const intake = await pipeline.intake(item.path, {
      onHashed: async (sha256) => {
        if (sha256 !== item.sha256) await this.store.updateItem(item.id, { sha256 });
      },
    });
    if (intake.kind === 'done') return end(intake.outcome);
    const { file } = intake;
    const { sha256, fileName, bytes } = file;
    if (shasInRound.has(sha256)) return undefined; // a copy is in this round: it becomes a duplicate next round
    if (await this.copyInFlight(batchId, sha256, item.id)) return undefined;
    // `resume`: a claim of this batch's owner is its own unfinished work on this document (no copy is in flight, see
    // above): submitted before a transient failure, or claimed by a run that stopped before submitting it.
    const claimed = await pipeline.claim(file, { owner, leaseMs, resume: true });
    if (claimed.kind === 'done') return end(claimed.outcome);
    const { claim } = claimed;
    const fail = async (error: AutodError): Promise<undefined> => end(await pipeline.fail(item.path, claim, error));
    // The model reads a PDF: an image (or a bare e-invoice XML) is sent as the PDF made from it (no OCR needed).
    let pdf = bytes;
    if (sniffDocument(bytes).kind !== 'pdf') {
      try {
        pdf = (await readDocument(bytes, { ocr: false, fileName })).archivePdf ?? bytes;
      } catch (error) {
        return fail(toAutodError(error));
      }
    }
    const pageCount = countPdfPages(pdf);
    const request: BatchRequestItem = {
      customId: sha256,
      input: {
        pdf,
        fileName,
        sourceFileId: sha256,
        processedAt: new Date().toISOString(),
        pageCount,
        model: this.options.model,
      },
    };
    const line = JSON.stringify({
      custom_id: sha256,
      method: 'POST',
      url: '/v1/responses',
      body: apiClient.buildExtractionRequestBody(request.input),
    });
    const lineBytes = Buffer.byteLength(line) + 1;
    if (lineBytes > (this.options.maxBytesPerFile ?? OPENAI_BATCH_MAX_BYTES)) {
      return fail(
        errorFor('INPUT_TOO_LARGE', `${fileName} is too large for one Batch API request; process it in live mode.`),
      );
    }
    let estimateUsd = 0;
    try {
      estimateUsd = estimateExtractionCost({
        pageCount,
        model: this.options.model,
        batch: true,
        ...(this.options.pricing ? { pricing: this.options.pricing } : {}),
      }).costUsd;
    } catch (error) {
      if (!(isAutodError(error) && error.code === 'CFG_INVALID')) throw error;
    }
    return { item, sha256, claim, request, lineBytes, estimateUsd };
  }
}

/** What `prepare` needs from the submission round it is part of. */
interface SubmitRound {
  batchId: string;
  /** Claim owner of this batch. */
  owner: string;
  /** Lease of a claim. */
  leaseMs: number;
  /** SHA-256s prepared in this round (a copy of one waits for the next round, where it becomes a duplicate). */
  shasInRound: Set<string>;
  settle: Settle;
}

type Settle = (
  item: BatchItem,
  patch: Parameters<BatchStore['updateItem']>[1] & { status: 'done' | 'duplicate' | 'failed' | 'skipped' },
) => Promise<void>;

function isErrorCode(code: string | undefined): code is ErrorCode {
  return code !== undefined && Object.hasOwn(ERROR_CODES, code);
}
