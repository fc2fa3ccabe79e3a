/** Public types of the OpenAI-compatible emulator. */

export type LatencyDistribution = 'uniform' | 'normal' | 'fixed';

/** A fixed latency in milliseconds, or a distribution to draw one from per request. */
export type LatencySpec =
  number | { distribution: LatencyDistribution; min?: number; max?: number; mean?: number; stdDev?: number };

export type FaultKind =
  | 'none'
  /** 429 with `Retry-After` (and `retry-after-ms`). */
  | 'rate_limit'
  /** 500 with an OpenAI-style error body. */
  | 'server_error'
  /** 503 "overloaded". */
  | 'unavailable'
  /** Never answers: the request hangs until the client gives up (or the emulator closes). */
  | 'timeout'
  /** Destroys the socket without an answer. */
  | 'reset'
  /** 200 with the first half of the JSON body (chunked, ends cleanly: JSON parse fails on the client). */
  | 'truncated'
  /** `/v1/responses` only: the model's `output_text` is prose + a cut-off JSON code block. */
  | 'non_json_output'
  /** `/v1/responses` only: the model's `output_text` is JSON that violates `text.format.schema`. */
  | 'schema_violation';

export interface FaultConfig {
  /** Probability 0..1 that a request (matching `routes`) gets a fault picked from `kinds`. */
  rate?: number;
  /** Faults the rate picks from (default: rate_limit, server_error, unavailable). */
  kinds?: FaultKind[];
  /** Consumed in order, one per matching request, before `rate` applies; 'none' passes. */
  script?: FaultKind[];
  /** Limit faults to these paths (prefix match, with or without the `/v1` prefix), e.g. `['/v1/responses']`. */
  routes?: string[];
  /** Value sent for rate limits: `retry-after-ms` = this, `retry-after` = ceil(this / 1000) seconds. Default 1000. */
  retryAfterMs?: number;
}

export interface EmulatorOptions {
  latencyMs?: LatencySpec;
  faults?: FaultConfig;
  /** Seed for latency draws, fault rates and generated ids (default 42). */
  seed?: number;
  /** Default embedding dimensions (default 1536); the request's `dimensions` wins. */
  embeddingDimensions?: number;
  /** When set, requests must carry `Authorization: Bearer <requireApiKey>`, else 401. */
  requireApiKey?: string;
  /** Time each batch spends in `validating` and in `in_progress` before it completes (default 10 ms). */
  batchStepMs?: number;
}

/** What a responder sees for one `/v1/responses` request. */
export interface ResponderRequest {
  /** Text extracted from the attached PDF (empty when there is no PDF or it has no text layer). */
  text: string;
  /** The attached PDF bytes (from `file_id` or `file_data`). */
  pdf?: Buffer;
  /** The file name (`filename` of the input_file part or of the uploaded file). */
  fileName?: string;
  /** `text.format.schema` of the request (undefined when there is none). */
  schema?: Record<string, unknown>;
  model: string;
  /** All `input_text` parts and `instructions`, joined with newlines. */
  prompt: string;
  /** The raw request body. */
  body: Record<string, unknown>;
}

/**
 * Decides the model output for a request: an object (serialised as JSON), a string (used verbatim as
 * `output_text`), or undefined to fall back to the schema-derived default.
 */
export type Responder = (
  req: ResponderRequest,
) =>
  | Record<string, unknown>
  | unknown[]
  | string
  | undefined
  | Promise<Record<string, unknown> | unknown[] | string | undefined>;

export interface EmulatorFile {
  id: string;
  filename: string;
  purpose: string;
  bytes: Buffer;
  createdAt: number;
}

export interface RecordedRequest {
  method: string;
  /** The request path without query string, e.g. `/v1/files/file-abc/content`. */
  path: string;
  /** The matched route template, e.g. `/v1/files/:id/content` (the path itself when no route matched). */
  route: string;
  /** Epoch ms when the request arrived. */
  at: number;
  /** HTTP status sent; 0 when no answer was sent (reset / timeout). */
  status: number;
  /** Parsed JSON body; for multipart `{ purpose, filename, bytes }`. */
  body?: unknown;
  /** Lower-cased request headers; `authorization` is redacted. */
  headers: Record<string, string>;
  /** Latency the emulator waited before answering (ms, drawn from the latency spec). */
  latencyMs?: number;
  /** The fault applied, if any. */
  fault?: FaultKind;
  /**
   * What the request was billed: the `usage` of a `/v1/responses` or `/v1/embeddings` answer the emulator produced
   * (also when a fault then cut the answer short: the upstream did the work).
   */
  billed?: BilledUsage;
}

/** Tokens of one billed request (the Responses API convention: `inputTokens` includes the cached ones). */
export interface BilledUsage {
  model: string;
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
  reasoningTokens: number;
}

export interface EmulatorStats {
  total: number;
  /** Counts per route template, e.g. `/v1/responses`, `/v1/files/:id/content`. */
  byPath: Record<string, number>;
  byStatus: Record<number, number>;
  maxInFlight: number;
}

export interface Emulator {
  /** Base URL for the SDK, e.g. `http://127.0.0.1:PORT/v1`. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
  setFaults(faults: FaultConfig): void;
  setLatency(latency: LatencySpec | undefined): void;
  setResponder(fn: Responder | undefined): void;
  readonly requests: ReadonlyArray<RecordedRequest>;
  stats(): EmulatorStats;
  resetStats(): void;
  /** Uploaded (and generated batch output) files by id. */
  readonly files: Map<string, EmulatorFile>;
}
