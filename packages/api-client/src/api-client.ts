import OpenAI, { toFile, type APIPromise } from 'openai';
import {
  CompensatingTransaction,
  ValidationError,
  defaultShouldRetry,
  errorFor,
  isAutodError,
  retry,
  sleep as defaultSleep,
  type RetryPolicy,
} from '@autod/errors';
import {
  ZERO_USAGE,
  addUsage,
  buildExtractionPrompt,
  responseTextFormat,
  type DocumentMetadata,
  type TokenUsage,
} from '@autod/core';
import { UpstreamBreaker, type BreakerState } from './breaker.js';
import { mapOpenAIError } from './map-openai-error.js';
import { requestParams, type ReasoningEffort, type Verbosity } from './model-params.js';
import { costAt, findModelPrice, mergePricing, type PricingTable } from './pricing.js';
import { RateLimiter } from './rate-limiter.js';
import {
  CHARS_PER_TOKEN,
  countPdfPages,
  estimatePdfTokens,
  EXTRACTION_OUTPUT_TOKENS,
  EXTRACTION_PROMPT_TOKENS,
} from './tokens.js';
import { parseBatchOutput } from './batch-results.js';
import { extractOutput, usageFromResponses } from './response-output.js';
import { repairPrompt, validateAnswer } from './validate-answer.js';
import type {
  ApiClientOptions,
  ApiEvent,
  CallMeter,
  MeterTicket,
  BatchItemResult,
  BatchRequestItem,
  BatchStatus,
  ExtractionInput,
  ExtractionRequestInput,
  ExtractionResult,
  VectorStoreSearchHit,
} from './types.js';

const DEFAULT_EMBEDDING_MODEL = 'text-embedding-3-small';
const DEFAULT_TIMEOUT_MS = 120_000;
const TERMINAL_BATCH = new Set(['completed', 'failed', 'expired', 'cancelled']);

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

let extractionTextFormat: ReturnType<typeof responseTextFormat> | undefined;

/**
 * The strict JSON-schema text format is the same for every extraction (no per-file consts), and generating it clones
 * the whole schema: build it once and share it, frozen so that no caller can change it for the next request.
 */
function sharedTextFormat(): ReturnType<typeof responseTextFormat> {
  extractionTextFormat ??= deepFreeze(responseTextFormat());
  return extractionTextFormat;
}

/** What one upstream call is, for the limiter, the events and pricing. */
interface CallSpec<T> {
  operation: string;
  model?: string;
  /** Tokens reserved from the TPM budget. */
  tokens?: number;
  signal?: AbortSignal | undefined;
  /** Usage of a successful answer (priced on the event). */
  usage?: (data: T) => TokenUsage | undefined;
  /** Counts HTTP attempts for the caller. */
  onAttempt?: () => void;
  /** A paid call: reserved through the meter before it is sent, settled with its usage after. */
  paid?: { estimatedUsd: number; source?: string };
}

interface Called<T> {
  data: T;
  requestId: string | undefined;
}

/**
 * The only component that talks to OpenAI (or any OpenAI-compatible server).
 *
 * Every call goes: retry (ours; the SDK's own retries are off) → rate limiter (RPM/TPM) →
 * circuit breaker → SDK with a per-attempt timeout. `CIRCUIT_OPEN` ends the retry loop at once
 * (it is retryable for the caller, but hammering an open circuit helps nobody).
 */
export class ApiClient {
  readonly limiter: RateLimiter;
  readonly #sdk: OpenAI;
  readonly #breaker: UpstreamBreaker;
  readonly #model: string;
  readonly #embeddingModel: string;
  readonly #pricing: PricingTable;
  readonly #retry: Partial<RetryPolicy>;
  readonly #onEvent: ((e: ApiEvent) => void) | undefined;
  readonly #meter: CallMeter | undefined;
  readonly #useFilesApi: boolean;
  readonly #maxOutputTokens: number | undefined;
  readonly #reasoningEffort: ReasoningEffort | undefined;
  readonly #verbosity: Verbosity | undefined;
  readonly #onWarning: ((message: string, details: Record<string, unknown>) => void) | undefined;
  /** Causes already warned about (each once per client). */
  readonly #warned = new Set<string>();
  readonly #clock: { now(): number };
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;

  constructor(options: ApiClientOptions) {
    if (!options.apiKey) {
      throw errorFor(
        'CFG_MISSING_API_KEY',
        'ApiClient needs an API key: set OPENAI_API_KEY (or use AUTOD_PROVIDER=local).',
      );
    }
    if (!options.model) throw errorFor('CFG_INVALID', 'ApiClient needs a model: set OPENAI_MODEL (e.g. gpt-5-mini).');
    this.#clock = options.clock ?? Date;
    this.#sleep = options.sleep ?? defaultSleep;
    this.#sdk = new OpenAI({
      apiKey: options.apiKey,
      ...(options.baseURL ? { baseURL: options.baseURL } : {}),
      maxRetries: 0, // one retry layer: ours
      timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
    this.#breaker = new UpstreamBreaker(options.breaker);
    this.limiter =
      options.limiter ??
      new RateLimiter({
        rpm: options.rateLimit?.rpm,
        tpm: options.rateLimit?.tpm,
        clock: this.#clock,
        sleep: this.#sleep,
      });
    this.#model = options.model;
    this.#embeddingModel = options.embeddingModel ?? DEFAULT_EMBEDDING_MODEL;
    this.#pricing = mergePricing(options.pricing);
    this.#retry = options.retry ?? {};
    this.#onEvent = options.onEvent;
    this.#meter = options.meter;
    this.#useFilesApi = options.useFilesApi ?? false;
    this.#maxOutputTokens = options.maxOutputTokens;
    this.#reasoningEffort = options.reasoningEffort;
    this.#verbosity = options.verbosity;
    this.#onWarning = options.onWarning;
    // Say at start-up, not on the first bill, when the models in use have no price.
    this.#priceOf(this.#model);
    this.#priceOf(this.#embeddingModel);
  }

  /** State of the circuit breaker. */
  get breakerState(): BreakerState {
    return this.#breaker.state;
  }

  /**
   * Cheap reachability check (`GET /models`, one attempt, 5 s). A server that answers at all is reachable, even when
   * it does not implement the endpoint (404); connection failures, timeouts and rejected keys throw.
   */
  async ping(signal?: AbortSignal): Promise<void> {
    try {
      await this.#sdk.models.list({ timeout: 5000, ...(signal ? { signal } : {}) });
    } catch (error) {
      const mapped = mapOpenAIError(error);
      if (mapped.code === 'NOT_FOUND' || mapped.code === 'UPSTREAM_BAD_REQUEST') return;
      throw mapped;
    }
  }

  /** Stop background timers (the breaker's rolling window). */
  close(): void {
    this.#breaker.shutdown();
  }

  // ---------------------------------------------------------------- core call path

  async #call<T>(spec: CallSpec<T>, send: (signal: AbortSignal | undefined) => APIPromise<T>): Promise<Called<T>> {
    if (!spec.paid || !spec.model || !this.#meter) return this.#send(spec, send);
    // Reserved before anything is sent: a refusal (BUDGET_EXCEEDED) throws here and nothing is billed.
    const ticket = await this.#meter.reserve({
      operation: spec.operation,
      model: spec.model,
      estimatedUsd: spec.paid.estimatedUsd,
      batch: false,
      ...(spec.paid.source !== undefined ? { source: spec.paid.source } : {}),
    });
    let called: Called<T>;
    try {
      called = await this.#send(spec, send);
    } catch (error) {
      // No answer, nothing billed (HTTP errors are not billed; our retries only resend after one).
      await this.#ticket(ticket, (t) => t.release());
      throw error;
    }
    const usage = spec.usage?.(called.data) ?? ZERO_USAGE;
    await this.#ticket(ticket, (t) => t.settle({ usage, costUsd: this.#price(usage, spec.model) }));
    return called;
  }

  /** A ledger write that failed leaves the reservation pending (counted at its estimate): say so, do not fail the call. */
  async #ticket(ticket: MeterTicket, op: (t: MeterTicket) => Promise<void>): Promise<void> {
    try {
      await op(ticket);
    } catch (error) {
      try {
        this.#onWarning?.('A paid call could not be settled in the spend ledger; it is counted at its estimate.', {
          error: error instanceof Error ? error.message : String(error),
        });
      } catch {
        // An observer must never break a call.
      }
    }
  }

  async #send<T>(spec: CallSpec<T>, send: (signal: AbortSignal | undefined) => APIPromise<T>): Promise<Called<T>> {
    const userShouldRetry = this.#retry.shouldRetry ?? ((e: unknown) => defaultShouldRetry(e));
    return retry(
      async ({ attempt, signal }) => {
        await this.limiter.acquire(spec.tokens ?? 0, signal);
        spec.onAttempt?.();
        const t0 = performance.now();
        try {
          const { data, response, request_id } = await this.#breaker.fire(async () => {
            try {
              return await send(signal).withResponse();
            } catch (error) {
              throw mapOpenAIError(error);
            }
          });
          this.limiter.onSuccess();
          const usage = spec.usage?.(data);
          this.#emit({
            operation: spec.operation,
            ...(spec.model ? { model: spec.model } : {}),
            status: response.status,
            attempt,
            latencyMs: performance.now() - t0,
            ...(usage ? { usage, costUsd: this.#price(usage, spec.model) } : {}),
            ...(request_id ? { requestId: request_id } : {}),
          });
          return { data, requestId: request_id ?? undefined };
        } catch (raw) {
          const error = mapOpenAIError(raw);
          if (error.code === 'RATE_LIMITED') this.limiter.onRateLimited();
          const status = typeof error.details?.status === 'number' ? error.details.status : undefined;
          const requestId = typeof error.details?.requestId === 'string' ? error.details.requestId : undefined;
          this.#emit({
            operation: spec.operation,
            ...(spec.model ? { model: spec.model } : {}),
            status: status ?? (error.code === 'CIRCUIT_OPEN' ? 'circuit_open' : 'error'),
            attempt,
            latencyMs: performance.now() - t0,
            errorCode: error.code,
            ...(requestId ? { requestId } : {}),
          });
          throw error;
        }
      },
      {
        clock: this.#clock,
        sleep: this.#sleep,
        ...this.#retry,
        ...(spec.signal ? { signal: spec.signal } : {}),
        shouldRetry: (error, attempt) =>
          !(isAutodError(error) && error.code === 'CIRCUIT_OPEN') && userShouldRetry(error, attempt),
      },
    );
  }

  #emit(event: ApiEvent): void {
    if (!this.#onEvent) return;
    try {
      this.#onEvent(event);
    } catch {
      // An observer must never break a call.
    }
  }

  #warnOnce(key: string, message: string, details: Record<string, unknown>): void {
    if (this.#warned.has(key)) return;
    this.#warned.add(key);
    try {
      this.#onWarning?.(message, details);
    } catch {
      // An observer must never break a call.
    }
  }

  #priceOf(model: string) {
    const price = findModelPrice(model, this.#pricing);
    if (!price)
      this.#warnOnce(
        `price:${model}`,
        `No price is known for model "${model}": its calls are recorded at $0. Add its price with AUTOD_PRICING_FILE or PROMPT_TOKEN_PRICE_PER_MILLION / COMPLETION_TOKEN_PRICE_PER_MILLION.`,
        { model },
      );
    return price;
  }

  /** Dollars of `usage` on `model`; $0 (with one warning) for a model with no price. */
  #price(usage: TokenUsage, model: string | undefined, batch = false): number {
    if (!model) return 0;
    const price = this.#priceOf(model);
    return price ? costAt(usage, price, { batch }) : 0;
  }

  /**
   * What a call is expected to cost: `inputTokens` in and, by default, the usual extraction answer out (as
   * `estimateExtractionCost` and `autod estimate` count it; MAX_OUTPUT_TOKENS only when it is lower). A budget cap
   * therefore holds to within what the calls in flight overrun their estimates.
   */
  #estimate(
    model: string,
    inputTokens: number,
    outputTokens = Math.min(this.#maxOutputTokens ?? EXTRACTION_OUTPUT_TOKENS, EXTRACTION_OUTPUT_TOKENS),
    batch = false,
  ): number {
    return this.#price(
      { ...ZERO_USAGE, inputTokens, outputTokens, totalTokens: inputTokens + outputTokens },
      model,
      batch,
    );
  }

  /** The price the client uses for `model` (undefined when unknown). */
  priceFor(model: string): { input: number; cachedInput: number; output: number } | undefined {
    return findModelPrice(model, this.#pricing);
  }

  // ---------------------------------------------------------------- files

  /** Upload bytes to the Files API (`purpose` default `user_data`). */
  async uploadFile(
    bytes: Uint8Array,
    fileName: string,
    purpose: 'user_data' | 'assistants' | 'batch' = 'user_data',
    signal?: AbortSignal,
  ): Promise<{ id: string }> {
    // A File (Blob) body can be re-sent on every attempt, unlike a stream.
    const file = await toFile(bytes, fileName, {
      type: fileName.endsWith('.jsonl') ? 'application/jsonl' : 'application/pdf',
    });
    const { data } = await this.#call({ operation: 'files.create', signal }, (s) =>
      this.#sdk.files.create({ file, purpose }, s ? { signal: s } : {}),
    );
    return { id: data.id };
  }

  /** Delete a file from the Files API. A file that is already gone counts as deleted. */
  async deleteFile(id: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.#call({ operation: 'files.delete', signal }, (s) =>
        this.#sdk.files.delete(id, s ? { signal: s } : {}),
      );
    } catch (error) {
      if (isAutodError(error) && error.code === 'NOT_FOUND') return;
      throw error;
    }
  }

  // ---------------------------------------------------------------- extraction

  /**
   * The `/v1/responses` body for one extraction: system + developer + user messages (the user
   * message carries the PDF inline or by file id) and the strict JSON-schema text format.
   * Batch mode sends exactly this per JSONL line.
   */
  buildExtractionRequestBody(input: ExtractionRequestInput): Record<string, unknown> {
    const prompt = buildExtractionPrompt({
      processedAt: input.processedAt,
      originalFileName: input.fileName,
      sourceFileId: input.sourceFileId,
      ...(input.pageCount !== undefined ? { pageCount: input.pageCount } : {}),
      ...(input.extraContext !== undefined ? { extraContext: input.extraContext } : {}),
    });
    let file: Record<string, unknown>;
    if (input.fileId) file = { type: 'input_file', file_id: input.fileId };
    else if (input.pdf) {
      const b64 = Buffer.from(input.pdf.buffer, input.pdf.byteOffset, input.pdf.byteLength).toString('base64');
      file = { type: 'input_file', filename: input.fileName, file_data: `data:application/pdf;base64,${b64}` };
    } else {
      throw errorFor('VALIDATION_FAILED', 'An extraction request needs the PDF bytes or an uploaded file id.', {
        details: { fileName: input.fileName },
      });
    }
    const model = input.model ?? this.#model;
    const params = requestParams(model, {
      maxOutputTokens: this.#maxOutputTokens,
      reasoningEffort: this.#reasoningEffort,
      verbosity: this.#verbosity,
    });
    for (const adjustment of params.adjustments) this.#warnOnce(`param:${adjustment}`, adjustment, { model });
    return {
      model,
      input: [
        { role: 'system', content: prompt.system },
        { role: 'developer', content: prompt.developer },
        { role: 'user', content: [{ type: 'input_text', text: prompt.user }, file] },
      ],
      // No per-file `const`s: the schema stays byte-identical across files so the prompt cache
      // hits; the echo fields are overwritten locally instead (see `pinEchoFields`).
      text: { format: sharedTextFormat(), ...(params.verbosity ? { verbosity: params.verbosity } : {}) },
      ...(params.reasoningEffort ? { reasoning: { effort: params.reasoningEffort } } : {}),
      ...(params.maxOutputTokens !== undefined ? { max_output_tokens: params.maxOutputTokens } : {}),
      store: false,
      metadata: {
        source_file_id: input.sourceFileId,
        processed_at: input.processedAt,
        original_file_name: input.fileName.slice(0, 512),
      },
    };
  }

  /**
   * Extract validated `DocumentMetadata` from a PDF. An answer that is not valid JSON or fails the
   * schema gets one repair call that shows the model its answer and the validation issues; a
   * second invalid answer throws `ValidationError('MODEL_OUTPUT_INVALID')` with `details.rawText`.
   * With `useFilesApi` the PDF is uploaded first and deleted again afterwards, also on failure.
   */
  async extractMetadata(input: ExtractionInput): Promise<ExtractionResult> {
    const started = performance.now();
    if (!this.#useFilesApi) return this.#extract(input, undefined, started);
    const tx = new CompensatingTransaction({ name: `extract:${input.sourceFileId}`, clock: this.#clock });
    const { id } = await this.uploadFile(input.pdf, input.fileName, 'user_data', input.signal);
    tx.register('files.delete', () => this.deleteFile(id));
    let result: ExtractionResult;
    try {
      result = await this.#extract(input, id, started);
    } catch (error) {
      await tx.rollback(error);
      throw error;
    }
    tx.commit();
    // The file is only needed for the call; a failed cleanup must not fail the extraction.
    await this.deleteFile(id).catch(() => undefined);
    return result;
  }

  async #extract(input: ExtractionInput, fileId: string | undefined, started: number): Promise<ExtractionResult> {
    const model = input.model ?? this.#model;
    const pageCount = input.pageCount ?? countPdfPages(input.pdf);
    const body = this.buildExtractionRequestBody({ ...input, pageCount, ...(fileId ? { fileId } : {}) });
    const tokens = EXTRACTION_PROMPT_TOKENS + estimatePdfTokens(pageCount) + EXTRACTION_OUTPUT_TOKENS;
    let attempts = 0;
    let usage: TokenUsage = ZERO_USAGE;

    const respond = async (requestBody: Record<string, unknown>, extraInputTokens = 0) => {
      const { data } = await this.#call<OpenAI.Responses.Response>(
        {
          operation: 'responses.create',
          model,
          tokens,
          signal: input.signal,
          paid: {
            estimatedUsd: this.#estimate(
              model,
              EXTRACTION_PROMPT_TOKENS + estimatePdfTokens(pageCount) + extraInputTokens,
            ),
            source: input.sourceFileId,
          },
          usage: (r) => usageFromResponses(r.usage),
          onAttempt: () => attempts++,
        },
        (s) =>
          this.#sdk.responses.create(
            requestBody as unknown as OpenAI.Responses.ResponseCreateParamsNonStreaming,
            s ? { signal: s } : {},
          ),
      );
      usage = addUsage(usage, usageFromResponses(data.usage));
      return data;
    };

    const first = await respond(body);
    const firstOut = extractOutput(first);
    const firstParsed = this.#validate(firstOut.text, firstOut.problem, input);
    const finish = (
      response: OpenAI.Responses.Response,
      rawText: string,
      metadata: DocumentMetadata,
      repaired: boolean,
    ): ExtractionResult => ({
      metadata,
      usage,
      costUsd: this.#price(usage, model),
      model,
      responseId: response.id,
      latencyMs: performance.now() - started,
      attempts,
      repaired,
      rawText,
      ...(fileId ? { uploadedFileId: fileId } : {}),
    });
    if (firstParsed.ok) return finish(first, firstOut.text, firstParsed.data, false);

    // One repair round: the model sees its own answer and exactly what was wrong with it.
    const repairBody = {
      ...body,
      input: [
        ...(body.input as unknown[]),
        { role: 'assistant', content: firstOut.text || '(no answer)' },
        { role: 'user', content: repairPrompt(firstParsed.issues) },
      ],
    };
    // The repair call also sends the first answer and the issues (chars/4 is plenty for an estimate).
    const repairChars = (firstOut.text || '(no answer)').length + repairPrompt(firstParsed.issues).length;
    let second: OpenAI.Responses.Response;
    try {
      second = await respond(repairBody, Math.ceil(repairChars / CHARS_PER_TOKEN));
    } catch (error) {
      // The first answer was billed: the caller's books need its cost whatever stopped the repair.
      throw withSpend(error, usage, this.#price(usage, model));
    }
    const secondOut = extractOutput(second);
    const secondParsed = this.#validate(secondOut.text, secondOut.problem, input);
    if (secondParsed.ok) return finish(second, secondOut.text, secondParsed.data, true);
    throw new ValidationError(
      'MODEL_OUTPUT_INVALID',
      `The model's answer for "${input.fileName}" failed validation twice (${secondParsed.issues.slice(0, 3).join('; ')}).`,
      {
        details: {
          rawText: secondOut.text,
          issues: secondParsed.issues,
          firstIssues: firstParsed.issues,
          responseId: second.id,
          model,
          usage,
          costUsd: this.#price(usage, model),
        },
      },
    );
  }

  #validate(
    text: string,
    problem: string | undefined,
    input: { fileName: string; sourceFileId: string; processedAt: string },
  ): { ok: true; data: DocumentMetadata } | { ok: false; issues: string[] } {
    return validateAnswer(text, problem, input);
  }

  // ---------------------------------------------------------------- embeddings

  /** Embed `texts` in batches (default 100 per call), keeping input order. */
  async embed(
    texts: string[],
    opts: { model?: string; dimensions?: number; batchSize?: number; signal?: AbortSignal } = {},
  ): Promise<{ vectors: number[][]; usage: TokenUsage; costUsd: number }> {
    const model = opts.model ?? this.#embeddingModel;
    const size = Math.max(1, Math.min(opts.batchSize ?? 100, 2048));
    const vectors: number[][] = [];
    let usage: TokenUsage = ZERO_USAGE;
    for (let i = 0; i < texts.length; i += size) {
      const chunk = texts.slice(i, i + size);
      // chars/4 is plenty for a TPM reservation; building the tiktoken encoder costs ~2 s once.
      const tokens = chunk.reduce((sum, t) => sum + Math.ceil(t.length / CHARS_PER_TOKEN), 0);
      const toUsage = (r: OpenAI.CreateEmbeddingResponse): TokenUsage => ({
        ...ZERO_USAGE,
        inputTokens: r.usage.prompt_tokens,
        totalTokens: r.usage.total_tokens,
      });
      const { data } = await this.#call<OpenAI.CreateEmbeddingResponse>(
        {
          operation: 'embeddings.create',
          model,
          tokens,
          signal: opts.signal,
          usage: toUsage,
          paid: { estimatedUsd: this.#estimate(model, tokens, 0) },
        },
        (s) =>
          this.#sdk.embeddings.create(
            {
              model,
              input: chunk,
              encoding_format: 'float',
              ...(opts.dimensions ? { dimensions: opts.dimensions } : {}),
            },
            s ? { signal: s } : {},
          ),
      );
      const ordered = [...data.data].sort((a, b) => a.index - b.index);
      for (const item of ordered) vectors.push(item.embedding);
      usage = addUsage(usage, toUsage(data));
    }
    return { vectors, usage, costUsd: this.#price(usage, model) };
  }

  // ---------------------------------------------------------------- vector stores

  /** OpenAI vector stores (File Search corpus). */
  readonly vectorStores = {
    /** The store named `name`, created when none exists. */
    ensure: async (name: string, signal?: AbortSignal): Promise<{ id: string; created: boolean }> => {
      let after: string | undefined;
      for (let page = 0; page < 50; page++) {
        const { data } = await this.#call({ operation: 'vector_stores.list', signal }, (s) =>
          this.#sdk.vectorStores.list({ limit: 100, ...(after ? { after } : {}) }, s ? { signal: s } : {}),
        );
        const found = data.data.find((v) => v.name === name);
        if (found) return { id: found.id, created: false };
        const last = data.data.at(-1);
        if (!data.has_more || !last) break;
        after = last.id;
      }
      const { data } = await this.#call({ operation: 'vector_stores.create', signal }, (s) =>
        this.#sdk.vectorStores.create({ name }, s ? { signal: s } : {}),
      );
      return { id: data.id, created: true };
    },

    /** Attach an uploaded file with filterable attributes (max 16 keys) and wait until it is indexed. */
    attachFile: async (
      storeId: string,
      fileId: string,
      attributes: Record<string, string | number | boolean>,
      opts: { pollMs?: number; timeoutMs?: number; signal?: AbortSignal } = {},
    ): Promise<void> => {
      if (Object.keys(attributes).length > 16) {
        throw errorFor(
          'VALIDATION_FAILED',
          `A vector-store file takes at most 16 attributes (got ${Object.keys(attributes).length}).`,
          {
            details: { keys: Object.keys(attributes) },
          },
        );
      }
      const { signal } = opts;
      let { data } = await this.#call({ operation: 'vector_stores.files.create', signal }, (s) =>
        this.#sdk.vectorStores.files.create(storeId, { file_id: fileId, attributes }, s ? { signal: s } : {}),
      );
      const deadline = this.#clock.now() + (opts.timeoutMs ?? 300_000);
      while (data.status === 'in_progress') {
        if (this.#clock.now() >= deadline) {
          throw errorFor(
            'TIMEOUT',
            `Vector-store file ${fileId} was still being indexed after ${opts.timeoutMs ?? 300_000} ms.`,
            {
              details: { storeId, fileId },
            },
          );
        }
        await this.#sleep(opts.pollMs ?? 1000, signal);
        ({ data } = await this.#call({ operation: 'vector_stores.files.retrieve', signal }, (s) =>
          this.#sdk.vectorStores.files.retrieve(fileId, { vector_store_id: storeId }, s ? { signal: s } : {}),
        ));
      }
      if (data.status !== 'completed') {
        throw errorFor(
          'UPSTREAM_ERROR',
          `Indexing ${fileId} in vector store ${storeId} ended as ${data.status}: ${data.last_error?.message ?? 'no reason given'}.`,
          {
            retryable: false,
            details: { storeId, fileId, status: data.status, lastError: data.last_error?.code },
          },
        );
      }
    },

    /** Semantic search with optional attribute `filters` (OpenAI comparison/compound filter objects). */
    search: async (
      storeId: string,
      query: string,
      opts: { filters?: unknown; maxResults?: number; signal?: AbortSignal } = {},
    ): Promise<VectorStoreSearchHit[]> => {
      if (!query.trim()) throw errorFor('VALIDATION_FAILED', 'Search needs a non-empty query.');
      const { data } = await this.#call(
        { operation: 'vector_stores.search', signal: opts.signal },
        (s) =>
          this.#sdk.vectorStores.search(
            storeId,
            {
              query,
              ...(opts.filters
                ? { filters: opts.filters as NonNullable<OpenAI.VectorStores.VectorStoreSearchParams['filters']> }
                : {}),
              ...(opts.maxResults ? { max_num_results: opts.maxResults } : {}),
            },
            s ? { signal: s } : {},
          ) as unknown as APIPromise<{ data: OpenAI.VectorStores.VectorStoreSearchResponse[] }>,
      );
      return data.data.map((hit) => ({
        fileId: hit.file_id,
        filename: hit.filename,
        score: hit.score,
        attributes: hit.attributes ?? {},
        text: hit.content.map((c) => c.text).join('\n\n'),
      }));
    },

    /** Detach a file from a store (the file itself stays in the Files API). Missing counts as removed. */
    removeFile: async (storeId: string, fileId: string, signal?: AbortSignal): Promise<void> => {
      try {
        await this.#call({ operation: 'vector_stores.files.delete', signal }, (s) =>
          this.#sdk.vectorStores.files.delete(fileId, { vector_store_id: storeId }, s ? { signal: s } : {}),
        );
      } catch (error) {
        if (!(isAutodError(error) && error.code === 'NOT_FOUND')) throw error;
      }
    },

    /** Delete a store. Missing counts as deleted. */
    delete: async (storeId: string, signal?: AbortSignal): Promise<void> => {
      try {
        await this.#call({ operation: 'vector_stores.delete', signal }, (s) =>
          this.#sdk.vectorStores.delete(storeId, s ? { signal: s } : {}),
        );
      } catch (error) {
        if (!(isAutodError(error) && error.code === 'NOT_FOUND')) throw error;
      }
    },
  };

  // ---------------------------------------------------------------- Batch API

  /** OpenAI Batch API for extractions (half price, results within 24 h). */
  readonly batches = {
    /** One JSONL line per item: `{ custom_id, method: 'POST', url: '/v1/responses', body }`. */
    buildJsonl: (items: BatchRequestItem[]): string => {
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
          body: this.buildExtractionRequestBody(item.input),
        });
      });
      return lines.length > 0 ? `${lines.join('\n')}\n` : '';
    },

    /** Upload the JSONL and create the batch. */
    submit: async (
      items: BatchRequestItem[],
      opts: { metadata?: Record<string, string>; signal?: AbortSignal } = {},
    ): Promise<{ batchId: string; inputFileId: string }> => {
      if (items.length === 0) throw errorFor('VALIDATION_FAILED', 'A batch needs at least one item.');
      const jsonl = this.batches.buildJsonl(items);
      // The whole batch is reserved at Batch API prices before it is sent; its results settle it (see `results`).
      const ticket = this.#meter
        ? await this.#meter.reserve({
            operation: 'batches.create',
            model: this.#model,
            estimatedUsd: items.reduce((sum, item) => {
              const model = item.input.model ?? this.#model;
              const pages = item.input.pageCount ?? (item.input.pdf ? countPdfPages(item.input.pdf) : 1);
              const inputTokens = EXTRACTION_PROMPT_TOKENS + estimatePdfTokens(pages);
              return sum + this.#estimate(model, inputTokens, undefined, true);
            }, 0),
            batch: true,
          })
        : undefined;
      let created: { batchId: string; inputFileId: string };
      try {
        const { id: inputFileId } = await this.uploadFile(
          new TextEncoder().encode(jsonl),
          `autod-batch-${this.#clock.now()}.jsonl`,
          'batch',
          opts.signal,
        );
        const { data } = await this.#call({ operation: 'batches.create', signal: opts.signal }, (s) =>
          this.#sdk.batches.create(
            {
              input_file_id: inputFileId,
              endpoint: '/v1/responses',
              completion_window: '24h',
              ...(opts.metadata ? { metadata: opts.metadata } : {}),
            },
            s ? { signal: s } : {},
          ),
        );
        created = { batchId: data.id, inputFileId };
      } catch (error) {
        if (ticket) await this.#ticket(ticket, (t) => t.release());
        throw error;
      }
      if (ticket) await this.#ticket(ticket, (t) => t.attach(batchRef(created.batchId)));
      return created;
    },

    /** Current state of a batch. */
    status: async (batchId: string, signal?: AbortSignal): Promise<BatchStatus> => {
      const { data } = await this.#call({ operation: 'batches.retrieve', signal }, (s) =>
        this.#sdk.batches.retrieve(batchId, s ? { signal: s } : {}),
      );
      return toBatchStatus(data);
    },

    /** Poll until the batch is completed, failed, expired or cancelled. */
    waitFor: async (
      batchId: string,
      opts: { pollMs?: number; timeoutMs?: number; signal?: AbortSignal } = {},
    ): Promise<BatchStatus> => {
      const timeoutMs = opts.timeoutMs ?? 25 * 60 * 60 * 1000;
      const deadline = this.#clock.now() + timeoutMs;
      for (;;) {
        const status = await this.batches.status(batchId, opts.signal);
        if (status.done) return status;
        if (this.#clock.now() >= deadline) {
          throw errorFor(
            'TIMEOUT',
            `Batch ${batchId} was still ${status.status} after ${timeoutMs} ms; poll again later.`,
            {
              retryable: true,
              details: { batchId, status: status.status },
            },
          );
        }
        await this.#sleep(opts.pollMs ?? 30_000, opts.signal);
      }
    },

    /**
     * Download a finished batch's output and error files and map every line back by `custom_id`:
     * validated metadata with usage and Batch-API cost, or an error per line.
     */
    results: async (batchId: string, signal?: AbortSignal): Promise<Map<string, BatchItemResult>> => {
      const status = await this.batches.status(batchId, signal);
      if (!status.done) {
        throw errorFor(
          'CONFLICT',
          `Batch ${batchId} is ${status.status}; wait until it has finished before reading results.`,
          {
            retryable: true,
            details: { batchId, status: status.status },
          },
        );
      }
      const out = new Map<string, BatchItemResult>();
      for (const fileId of [status.outputFileId, status.errorFileId]) {
        if (!fileId) continue;
        const { data } = await this.#call({ operation: 'files.content', signal }, (s) =>
          this.#sdk.files.content(fileId, s ? { signal: s } : {}),
        );
        const text = await data.text();
        for (const [customId, result] of parseBatchOutput(text, (usage, model) => this.#price(usage, model, true))) {
          out.set(customId, result);
        }
      }
      if (this.#meter) {
        // The batch's reservation is settled with what its lines were billed (idempotent: read twice, settled once).
        let usage: TokenUsage = ZERO_USAGE;
        let costUsd = 0;
        for (const r of out.values()) {
          if (r.usage) usage = addUsage(usage, r.usage);
          costUsd += r.costUsd ?? 0;
        }
        const meter = this.#meter;
        await meter.settleRef(batchRef(batchId), { usage, costUsd }).catch((error: unknown) => {
          this.#warnOnce(
            'meter:batch',
            'A batch could not be settled in the spend ledger; it is counted at its estimate.',
            {
              batchId,
              error: error instanceof Error ? error.message : String(error),
            },
          );
        });
      }
      return out;
    },

    /** Ask OpenAI to cancel a batch. */
    cancel: async (batchId: string, signal?: AbortSignal): Promise<BatchStatus> => {
      const { data } = await this.#call({ operation: 'batches.cancel', signal }, (s) =>
        this.#sdk.batches.cancel(batchId, s ? { signal: s } : {}),
      );
      return toBatchStatus(data);
    },
  };
}

/** The spend-ledger handle of a Batch API job. */
export function batchRef(batchId: string): string {
  return `batch:${batchId}`;
}

/** `error` with the usage and cost of the calls already billed before it (for the caller's books). */
function withSpend(error: unknown, usage: TokenUsage, costUsd: number): unknown {
  if (!isAutodError(error) || usage.totalTokens <= 0) return error;
  return errorFor(error.code, error.message, {
    cause: error,
    retryable: error.retryable,
    ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}),
    details: { ...error.details, usage, costUsd },
  });
}

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
