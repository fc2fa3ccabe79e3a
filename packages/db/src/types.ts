import type {
  DocumentFilter,
  DocumentMetadata,
  DocumentStatus,
  IndexedFields,
  ProviderName,
  TokenUsage,
} from '@autod/core';

/** A row of `documents`, camelCased. `textContent` is not loaded here (see `DocumentRepository.getText`). */
export interface DocumentRow {
  id: number;
  sha256: string;
  fileName: string;
  sourcePath: string;
  sizeBytes: number;
  pageCount: number | null;
  status: DocumentStatus;
  claimOwner: string | null;
  /** Epoch ms; `0` after `release`, `null` once completed/failed. */
  leaseExpiresAt: number | null;
  /** Where the file was (or is planned to be) filed. */
  storagePath: string | null;
  /** When the file was moved to `storagePath`; null = not moved yet. */
  filedAt: Date | null;
  /**
   * For image documents: where the original image is kept (beside the PDF made from it, same stem).
   * Null for PDFs (the PDF filed is the original) and for rows from before migration 0003.
   */
  originalPath: string | null;
  /** What the dropped file was (`application/pdf`, `image/jpeg`, `image/tiff`...); null when unknown. */
  mediaType: string | null;
  provider: ProviderName | null;
  model: string | null;
  metadata: DocumentMetadata | null;
  category: string | null;
  subcategory: string | null;
  docType: string | null;
  issuer: string | null;
  /** YYYY-MM-DD */
  primaryDate: string | null;
  totalAmount: number | null;
  currency: string | null;
  title: string | null;
  summary: string | null;
  confidence: number | null;
  errorCode: string | null;
  errorMessage: string | null;
  /** How many times the document was claimed for processing. */
  attemptCount: number;
  /**
   * Attempts that ended without a result: the process died while holding the claim (crash, kill -9, out of memory) or
   * the per-document deadline passed. At the caller's limit the document is failed (`PROCESSING_CRASHED` /
   * `PROCESSING_TIMEOUT`).
   */
  strikes: number;
  /** For a `waiting` document: when it is tried next (the reason is in `errorCode`/`errorMessage`). */
  retryAt: Date | null;
  nearDuplicateOf: number | null;
  /** Party the document is addressed to (schema 1.1 `customer`). */
  customer: string | null;
  invoiceNumber: string | null;
  /** YYYY-MM-DD */
  dueDate: string | null;
  /** A key field's confidence is under the review threshold (see `reviewReasons`), or it was not found. */
  needsReview: boolean;
  reviewReasons: string[];
  createdAt: Date;
  updatedAt: Date;
}

export interface ClaimInput {
  sha256: string;
  fileName: string;
  sourcePath: string;
  sizeBytes: number;
  /** Who claims (worker id); stored on the row. */
  owner: string;
  /** Lease length; an expired lease can be taken over by another worker. */
  leaseMs: number;
  /** Epoch ms (defaults to the database clock). */
  now?: number | undefined;
  /**
   * Take over a live claim of this same owner: only for a caller that knows the claim is its own unfinished work on
   * this document (a Batch API run resuming the documents it submitted). Without it a live claim is `held` whoever
   * holds it — also for the owner itself, so two copies of the same bytes in flight in one process never both win.
   */
  resume?: boolean;
}

export type ClaimResult =
  | {
      kind: 'claimed';
      document: DocumentRow;
      /** true when an expired/failed/released claim was taken over */ takeover: boolean;
    }
  | { kind: 'duplicate'; document: DocumentRow }
  | { kind: 'held'; document: DocumentRow };

/** Why a claimed document is put back as `waiting`, and when it is tried next. */
export interface DeferInput {
  code: string;
  message: string;
  /** Epoch ms. */
  retryAt: number;
}

/** An attempt that ended without a result (crash or deadline): `strikes + 1`, failed at `maxStrikes`. */
export interface StrikeInput extends DeferInput {
  /** Strikes at which the document is failed instead of deferred. */
  maxStrikes: number;
  /** The code and message stored when the document is failed (default: `code` / `message`). */
  failed?: { code: string; message: string };
}

export interface CompleteInput {
  metadata: DocumentMetadata;
  fields: IndexedFields;
  pageCount: number | null;
  textContent: string;
  provider: ProviderName;
  model: string;
  /** Planned destination of the file (filed later, see `markFiled`). */
  storagePath: string;
  /** Image documents: planned place of the original (left unchanged when undefined). */
  originalPath?: string | null;
  /** What the dropped file was (left unchanged when undefined). */
  mediaType?: string;
  /** Why the document needs a person's review (empty = it does not); see `reviewReasons` in core. */
  reviewReasons?: string[];
}

export type DocumentOrderBy = 'createdAt' | 'updatedAt' | 'primaryDate' | 'totalAmount' | 'issuer' | 'title' | 'id';

/** A filter of documents (defined once, in `@autod/core`: `DOCUMENT_FILTER`). */
export type { DocumentFilter };

export type ListOptions = DocumentFilter & PageOptions;

/** Paging and order of a document list. */
export interface PageOptions {
  /** Default 50, at most 1000. */
  limit?: number;
  offset?: number;
  /** Default `createdAt`. */
  orderBy?: DocumentOrderBy;
  /** Default `desc`. */
  order?: 'asc' | 'desc';
}

export interface SearchOptions {
  /** Default 20, at most 200. */
  limit?: number;
  /** Defaults to `{ status: 'completed' }`. */
  filter?: DocumentFilter;
}

export interface SearchHit {
  id: number;
  /** Higher is better (negated bm25 on SQLite, ts_rank on PostgreSQL). */
  score: number;
  /** Matched text with hits in [brackets]. */
  snippet: string;
}

export type AttemptStatus = 'succeeded' | 'failed';

export interface RecordAttemptInput {
  documentId: number;
  provider: ProviderName;
  model: string;
  status: AttemptStatus;
  usage: TokenUsage;
  costUsd: number;
  latencyMs: number;
  error?: { code: string; message: string };
  /** What produced the result: a hash of the OpenAI prompt + schema, or the offline rules' version. */
  promptVersion?: string;
  /** The extraction result (the metadata as extracted, before a person's corrections); kept forever. */
  metadata?: DocumentMetadata | null;
}

export interface AttemptRow {
  id: number;
  documentId: number;
  attemptNo: number;
  provider: ProviderName;
  model: string;
  status: AttemptStatus;
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
  reasoningTokens: number;
  costUsd: number;
  latencyMs: number;
  errorCode: string | null;
  errorMessage: string | null;
  promptVersion: string | null;
  createdAt: Date;
}

/** An attempt with the result it produced (`AttemptRepository.listWithResults`). */
export interface AttemptWithResult extends AttemptRow {
  /** The metadata the attempt extracted; null for a failed attempt or one recorded before migration 0010. */
  metadata: DocumentMetadata | null;
}

export interface CostSummaryOptions {
  from?: Date;
  /** Exclusive upper bound. */
  to?: Date;
  groupBy: 'day' | 'month' | 'model' | 'provider';
}

export interface CostSummaryRow {
  /** `YYYY-MM-DD` (UTC) / `YYYY-MM` / model / provider. */
  key: string;
  /** Distinct documents with attempts in the group. */
  documents: number;
  attempts: number;
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
  reasoningTokens: number;
  costUsd: number;
}

export interface CostTotals {
  costUsd: number;
  documents: number;
  attempts: number;
  failedAttempts: number;
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
  reasoningTokens: number;
}

export interface AuditInput {
  actor: string;
  action: string;
  documentId?: number | null;
  details?: Record<string, unknown> | null;
}

export interface AuditRow {
  id: number;
  at: Date;
  actor: string;
  action: string;
  documentId: number | null;
  details: Record<string, unknown> | null;
}

export interface DuplicateInput {
  documentId: number;
  sha256: string;
  fileName: string;
  sourcePath: string;
  storedPath?: string | null;
}

export interface DuplicateRow {
  id: number;
  documentId: number;
  sha256: string;
  fileName: string;
  sourcePath: string;
  storedPath: string | null;
  detectedAt: Date;
}

export interface CorrectionInput {
  documentId: number;
  /** `correct`: one field set to `value`; `accept`: the extraction confirmed as it is (no field). */
  kind: 'correct' | 'accept';
  field?: string | null;
  value?: unknown;
  previous?: unknown;
  actor: string;
  note?: string | null;
}

export interface CorrectionRow {
  id: number;
  documentId: number;
  kind: 'correct' | 'accept';
  field: string | null;
  value: unknown;
  previous: unknown;
  actor: string;
  note: string | null;
  at: Date;
}

export interface ReviewedInput {
  metadata: DocumentMetadata;
  fields: IndexedFields;
  /** Empty: the document no longer needs review. */
  reviewReasons: string[];
}
