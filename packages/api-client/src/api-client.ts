import { errorFor, sleep as defaultSleep } from '@autod/errors';
import type { TokenUsage } from '@autod/core';
import { batchesApi, type BatchesApi } from './batches.js';
import type { BreakerState } from './breaker.js';
import { createEmbedder, type EmbedOptions, type Embedder } from './embeddings.js';
import { buildExtractionRequestBody, type ExtractionRequestSettings } from './extraction-request.js';
import { createExtractor, type Extractor } from './extraction.js';
import { filesApi, type FilePurpose, type FilesApi } from './files.js';
import { Metering } from './metering.js';
import { pingModels } from './models.js';
import { Pricer } from './pricer.js';
import type { RateLimiter } from './rate-limiter.js';
import type { LazySdk } from './sdk.js';
import { Transport, createSdk } from './transport.js';
import type { ApiClientOptions, ExtractionInput, ExtractionRequestInput, ExtractionResult } from './types.js';
import { vectorStoresApi, type VectorStoresApi } from './vector-stores.js';
import { Warnings } from './warnings.js';

const DEFAULT_EMBEDDING_MODEL = 'text-embedding-3-small';

/**
 * The only component that talks to OpenAI (or any OpenAI-compatible server): a facade over one module per concern.
 *
 * Every call goes: meter reservation (paid calls, `metering.ts`) → retry (ours; the SDK's own retries are off) → rate
 * limiter (RPM/TPM) → circuit breaker → SDK with a per-attempt timeout (`transport.ts`). `CIRCUIT_OPEN` ends the retry
 * loop at once (it is retryable for the caller, but hammering an open circuit helps nobody).
 */
export class ApiClient {
  readonly limiter: RateLimiter;
  /** OpenAI vector stores (File Search corpus). */
  readonly vectorStores: VectorStoresApi;
  /** OpenAI Batch API for extractions (half price, results within 24 h). */
  readonly batches: BatchesApi;
  readonly #sdk: LazySdk;
  readonly #transport: Transport;
  readonly #pricer: Pricer;
  readonly #files: FilesApi;
  readonly #requestSettings: ExtractionRequestSettings;
  readonly #extract: Extractor;
  readonly #embed: Embedder;

  constructor(options: ApiClientOptions) {
    if (!options.apiKey) {
      throw errorFor(
        'CFG_MISSING_API_KEY',
        'ApiClient needs an API key: set OPENAI_API_KEY (or use AUTOD_PROVIDER=local).',
      );
    }
    if (!options.model) throw errorFor('CFG_INVALID', 'ApiClient needs a model: set OPENAI_MODEL (e.g. gpt-5-mini).');
    const clock = options.clock ?? Date;
    const sleep = options.sleep ?? defaultSleep;
    const model = options.model;
    const embeddingModel = options.embeddingModel ?? DEFAULT_EMBEDDING_MODEL;
    const warnings = new Warnings(options.onWarning);
    const pricer = new Pricer({ pricing: options.pricing, maxOutputTokens: options.maxOutputTokens, warnings });
    const sdk = createSdk(options);
    const transport = new Transport({
      sdk,
      breaker: options.breaker,
      rateLimit: options.rateLimit,
      limiter: options.limiter,
      retry: options.retry,
      onEvent: options.onEvent,
      price: (usage: TokenUsage, m: string | undefined) => pricer.price(usage, m),
      clock,
      sleep,
    });
    const metering = new Metering({
      meter: options.meter,
      send: (spec, send) => transport.send(spec, send),
      pricer,
      warnings,
    });
    const { call } = metering;
    const files = filesApi({ call });
    const requestSettings: ExtractionRequestSettings = {
      model,
      maxOutputTokens: options.maxOutputTokens,
      reasoningEffort: options.reasoningEffort,
      verbosity: options.verbosity,
      warnings,
    };
    const buildBody = (input: ExtractionRequestInput) => buildExtractionRequestBody(input, requestSettings);

    this.#sdk = sdk;
    this.#transport = transport;
    this.limiter = transport.limiter;
    this.#pricer = pricer;
    this.#files = files;
    this.#requestSettings = requestSettings;
    this.#extract = createExtractor({
      call,
      pricer,
      files,
      buildBody,
      model,
      useFilesApi: options.useFilesApi ?? false,
      clock,
    });
    this.#embed = createEmbedder({ call, pricer, model: embeddingModel });
    this.vectorStores = vectorStoresApi({ call, clock, sleep });
    this.batches = batchesApi({ call, files, metering, pricer, buildBody, model, clock, sleep });
    // Say at start-up, not on the first bill, when the models in use have no price.
    pricer.priceOf(model);
    pricer.priceOf(embeddingModel);
  }

  /** State of the circuit breaker. */
  get breakerState(): BreakerState {
    return this.#transport.breakerState;
  }

  /**
   * Cheap reachability check (`GET /models`, one attempt, 5 s). A server that answers at all is reachable, even when
   * it does not implement the endpoint (404); connection failures, timeouts and rejected keys throw.
   */
  async ping(signal?: AbortSignal): Promise<void> {
    await pingModels(this.#sdk, signal);
  }

  /** Stop background timers (the breaker's rolling window). */
  close(): void {
    this.#transport.close();
  }

  /** The price the client uses for `model` (undefined when unknown). */
  priceFor(model: string): { input: number; cachedInput: number; output: number } | undefined {
    return this.#pricer.priceFor(model);
  }

  /** Upload bytes to the Files API (`purpose` default `user_data`). */
  async uploadFile(
    bytes: Uint8Array,
    fileName: string,
    purpose: FilePurpose = 'user_data',
    signal?: AbortSignal,
  ): Promise<{ id: string }> {
    return this.#files.upload(bytes, fileName, purpose, signal);
  }

  /** Delete a file from the Files API. A file that is already gone counts as deleted. */
  async deleteFile(id: string, signal?: AbortSignal): Promise<void> {
    return this.#files.delete(id, signal);
  }

  /**
   * The `/v1/responses` body for one extraction: system + developer + user messages (the user
   * message carries the PDF inline or by file id) and the strict JSON-schema text format.
   * Batch mode sends exactly this per JSONL line.
   */
  buildExtractionRequestBody(input: ExtractionRequestInput): Record<string, unknown> {
    return buildExtractionRequestBody(input, this.#requestSettings);
  }

  /**
   * Extract validated `DocumentMetadata` from a PDF. An answer that is not valid JSON or fails the
   * schema gets one repair call that shows the model its answer and the validation issues; a
   * second invalid answer throws `ValidationError('MODEL_OUTPUT_INVALID')` with `details.rawText`.
   * With `useFilesApi` the PDF is uploaded first and deleted again afterwards, also on failure.
   */
  async extractMetadata(input: ExtractionInput): Promise<ExtractionResult> {
    return this.#extract(input);
  }

  /** Embed `texts` in batches (default 100 per call), keeping input order. */
  async embed(
    texts: string[],
    opts: EmbedOptions = {},
  ): Promise<{ vectors: number[][]; usage: TokenUsage; costUsd: number }> {
    return this.#embed(texts, opts);
  }
}
