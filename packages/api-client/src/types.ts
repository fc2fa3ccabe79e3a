import type { AutodError, RetryPolicy } from '@autod/errors';
import type { DocumentMetadata, TokenUsage } from '@autod/core';
import type { BreakerOptions } from './breaker.js';
import type { ReasoningEffort, Verbosity } from './model-params.js';
import type { PricingTable } from './pricing.js';
import type { RateLimiter } from './rate-limiter.js';

/** One upstream HTTP attempt, for `ops` to turn into logs and metrics. Never carries secrets. */
export interface ApiEvent {
  /** `responses.create`, `files.create`, `files.delete`, `files.content`, `embeddings.create`, `vector_stores.*`, `batches.*`. */
  operation: string;
  model?: string;
  /** HTTP status, `error` (no response: connection failure, timeout, abort) or `circuit_open` (not sent). */
  status: number | 'error' | 'circuit_open';
  /** 1-based attempt number within our retry loop. */
  attempt: number;
  latencyMs: number;
  usage?: TokenUsage;
  costUsd?: number;
  /** OpenAI's `x-request-id`. */
  requestId?: string;
  /** Our error code when the attempt failed. */
  errorCode?: string;
}

/** A paid call about to be made. */
export interface MeteredCall {
  /** `responses.create` (an extraction or repair answer), `embeddings.create`, `batches.create`. */
  operation: string;
  model: string;
  /** What the call is expected to cost (USD), at Batch API prices for a batch. */
  estimatedUsd: number;
  /** An OpenAI Batch API submission (billed when its results are read). */
  batch: boolean;
  /** The document (`sourceFileId`) the call is for. */
  source?: string;
}

/** What the client was billed for one call. */
export interface CallBill {
  usage: TokenUsage;
  costUsd: number;
}

/** A reservation made by {@link CallMeter.reserve}. Each method is called at most once. */
export interface MeterTicket {
  settle(bill: CallBill): Promise<void>;
  /** The call failed without an answer: nothing was billed. */
  release(): Promise<void>;
  /** Keep the reservation pending under a handle that {@link CallMeter.settleRef} settles later (a batch job). */
  attach(ref: string): Promise<void>;
}

/** Budget and books of paid calls (the runtime's spend ledger). */
export interface CallMeter {
  /** Reserve before a paid call; throws `BUDGET_EXCEEDED` when the call must not be made. */
  reserve(call: MeteredCall): Promise<MeterTicket>;
  /** Settle a reservation kept under `ref` (the results of a Batch API job, maybe read by another process). */
  settleRef(ref: string, bill: CallBill): Promise<void>;
}

/** Options of `ApiClient`. Libraries never read env vars: the runtime maps config onto these. */
export interface ApiClientOptions {
  /** OpenAI API key (`OPENAI_API_KEY`). Never logged, never in errors. */
  apiKey: string;
  /** Any OpenAI-compatible server, e.g. `http://127.0.0.1:8080/v1` (`OPENAI_BASE_URL`; default OpenAI). */
  baseURL?: string;
  /** Default model for extraction (`OPENAI_MODEL`). */
  model: string;
  /** Default embedding model (default `text-embedding-3-small`). */
  embeddingModel?: string;
  /** Timeout of one HTTP attempt in ms (default 120,000). */
  timeoutMs?: number;
  /** Retry policy over `@autod/errors` defaults (attempts, backoff, total deadline). */
  retry?: Partial<RetryPolicy>;
  /** Circuit breaker settings. */
  breaker?: BreakerOptions;
  /** RPM/TPM budgets; ignored when `limiter` is given. */
  rateLimit?: { rpm?: number; tpm?: number };
  /** A limiter shared with other clients in the process (default: one per client from `rateLimit`). */
  limiter?: RateLimiter;
  /** Prices merged over `DEFAULT_PRICING` (AUTOD_PRICING_FILE, *_TOKEN_PRICE_PER_MILLION). */
  pricing?: PricingTable;
  /**
   * `max_output_tokens` of each extraction request (`MAX_OUTPUT_TOKENS`), capped at the model's own limit. Unset: not
   * sent (the model's default).
   */
  maxOutputTokens?: number;
  /**
   * `reasoning.effort` (`AUTOD_REASONING_EFFORT`), sent to reasoning models only (gpt-5*, o-series); a value the model
   * does not take is replaced by the nearest one it does. Unset: not sent.
   */
  reasoningEffort?: ReasoningEffort;
  /** `text.verbosity` (`AUTOD_VERBOSITY`), sent to gpt-5 models only. Unset: not sent. */
  verbosity?: Verbosity;
  /**
   * Told once per cause about something the caller should know but that does not fail a call: a model with no price
   * (its calls cost $0 in the books), or a configured request parameter the model does not take.
   */
  onWarning?: (message: string, details: Record<string, unknown>) => void;
  /** Called once per HTTP attempt. Exceptions it throws are swallowed. */
  onEvent?: (e: ApiEvent) => void;
  /**
   * Every paid call passes through it: reserved (estimate) before it is sent, settled with the billed usage after,
   * released when it failed without an answer. A refused reservation (`BUDGET_EXCEEDED`) means nothing is sent.
   */
  meter?: CallMeter;
  /** Upload PDFs through the Files API instead of inline base64 `file_data` (default false). */
  useFilesApi?: boolean;
  /** Time source for retry deadlines, the rate limiter and batch polling (default `Date`). */
  clock?: { now(): number };
  /** Waits for retries, the rate limiter and polling (default: abortable `setTimeout`). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Custom `fetch` handed to the SDK (tests, proxies). */
  fetch?: typeof fetch;
}

/** What `buildExtractionRequestBody` needs: a PDF (inline) or an uploaded file id. */
export interface ExtractionRequestInput {
  /** PDF bytes, sent inline as a base64 data URI unless `fileId` is given. */
  pdf?: Uint8Array;
  /** An uploaded file (purpose `user_data`) to reference instead of inline bytes. */
  fileId?: string;
  fileName: string;
  sourceFileId: string;
  /** ISO-8601 timestamp the model echoes as `processed_date`. */
  processedAt: string;
  pageCount?: number;
  model?: string;
  extraContext?: string;
}

/** Input of `ApiClient.extractMetadata`. */
export interface ExtractionInput {
  pdf: Uint8Array;
  fileName: string;
  sourceFileId: string;
  processedAt: string;
  pageCount?: number;
  model?: string;
  extraContext?: string;
  signal?: AbortSignal;
}

/** Result of `ApiClient.extractMetadata`. */
export interface ExtractionResult {
  metadata: DocumentMetadata;
  /** Usage of every call made (both, when a repair was needed). */
  usage: TokenUsage;
  costUsd: number;
  model: string;
  /** Id of the response whose answer was accepted. */
  responseId: string;
  latencyMs: number;
  /** HTTP attempts to `/v1/responses` (retries and the repair call included). */
  attempts: number;
  /** True when the first answer failed validation and the repair answer was accepted. */
  repaired: boolean;
  /** The accepted answer as the model wrote it. */
  rawText: string;
  /** The Files API id used (already deleted again) when `useFilesApi` is on. */
  uploadedFileId?: string;
}

/** One line of a Batch API submission: an extraction keyed by `customId`. */
export interface BatchRequestItem {
  /** Unique within the batch; results are mapped back by it. */
  customId: string;
  input: ExtractionRequestInput;
}

/** State of a Batch API job. */
export interface BatchStatus {
  id: string;
  /** validating | in_progress | finalizing | completed | failed | expired | cancelling | cancelled */
  status: string;
  inputFileId: string;
  outputFileId?: string;
  errorFileId?: string;
  requestCounts: { total: number; completed: number; failed: number };
  /** True for completed, failed, expired and cancelled. */
  done: boolean;
}

/** Outcome of one batch line. */
export type BatchItemResult =
  | { ok: true; metadata: DocumentMetadata; usage: TokenUsage; costUsd: number; responseId: string; rawText: string }
  | { ok: false; error: AutodError; usage?: TokenUsage; costUsd?: number };

/** A vector-store search hit. */
export interface VectorStoreSearchHit {
  fileId: string;
  filename: string;
  score: number;
  attributes: Record<string, unknown>;
  /** The matching chunks' text, joined by blank lines. */
  text: string;
}
