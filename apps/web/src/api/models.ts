import type { Paths } from './client.js';

/**
 * Bodies of the routes whose OpenAPI document has no response schema yet. Where a route has one, its type
 * comes from schema.d.ts (see `Ok` below); replace these with `Ok<...>` as the server's schemas are added.
 */

type JsonOf<R> = R extends { content: { 'application/json': infer B } } ? B : never;
/** The JSON body of a route's 2xx answer, from the generated schema. */
export type Ok<
  P extends keyof Paths,
  M extends 'get' | 'post' | 'patch' | 'delete',
  S extends number = 200,
> = Paths[P][M] extends { responses: infer R } ? (S extends keyof R ? JsonOf<R[S]> : never) : never;

export type Session = Ok<'/v1/session', 'get'>;
export type Batch = Ok<'/v1/batches/{id}', 'get'>;
export type BatchEstimate = Ok<'/v1/batches', 'post'>;
export type DocumentStateEvent = Ok<'/v1/events/recent', 'get'>['items'][number];
export type Budget = Ok<'/v1/budget', 'get'>;
export type SystemInfo = Ok<'/v1/system', 'get'>;

export interface EvidenceBox {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

export interface FieldEvidence {
  confidence: number;
  page: number | null;
  source_text: string | null;
  box: EvidenceBox | null;
}

export interface ActionItem {
  description: string;
  assignee_suggestion: string | null;
  due: string | null;
  priority: string | null;
  blocking: boolean | null;
  rationale: string | null;
}

/** The parts of the metadata JSON the page shows. */
export interface DocumentMetadata {
  title: string | null;
  summary: string | null;
  issuer: string | null;
  customer: string | null;
  primary_date: string | null;
  doc_type: string | null;
  category: string;
  subcategory: string | null;
  deadline: string | null;
  key_points: string[];
  action_items: ActionItem[];
  tags: string[];
  extracted_fields: {
    total_amount: number | null;
    currency: string | null;
    invoice_number: string | null;
    due_date: string | null;
    [key: string]: unknown;
  };
  field_evidence?: Partial<Record<EvidenceField, FieldEvidence | null>>;
}

export const EVIDENCE_FIELDS = [
  'issuer',
  'customer',
  'primary_date',
  'total_amount',
  'currency',
  'invoice_number',
  'due_date',
] as const;
export type EvidenceField = (typeof EVIDENCE_FIELDS)[number];

export interface DocumentRow {
  id: number;
  sha256: string;
  fileName: string;
  sizeBytes: number;
  pageCount: number | null;
  /** processing | waiting | completed | failed (and states newer servers add) */
  status: string;
  storagePath: string | null;
  filedAt: string | null;
  provider: string | null;
  model: string | null;
  metadata: DocumentMetadata | null;
  category: string | null;
  subcategory: string | null;
  docType: string | null;
  issuer: string | null;
  primaryDate: string | null;
  totalAmount: number | null;
  currency: string | null;
  title: string | null;
  summary: string | null;
  confidence: number | null;
  errorCode: string | null;
  errorMessage: string | null;
  attemptCount: number;
  /** Attempts that ended without a result (deadline, crash); absent on older servers. */
  strikes?: number;
  /** For a waiting document: when it is tried next (ISO-8601). */
  retryAt?: string | null;
  nearDuplicateOf: number | null;
  customer: string | null;
  invoiceNumber: string | null;
  dueDate: string | null;
  needsReview: boolean;
  reviewReasons: string[];
  createdAt: string;
  updatedAt: string;
}

export interface AttemptRow {
  id: number;
  attemptNo: number;
  provider: string;
  model: string;
  status: string;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  latencyMs: number;
  errorCode: string | null;
  errorMessage: string | null;
  createdAt: string;
}

export interface DuplicateRow {
  id: number;
  sha256: string;
  fileName: string;
  detectedAt: string;
}

export interface CorrectionRow {
  id: number;
  kind: 'correct' | 'accept';
  field: string | null;
  value: unknown;
  previous: unknown;
  actor: string;
  note: string | null;
  at: string;
}

export interface DocumentList {
  items: DocumentRow[];
  total: number;
  limit: number;
  offset: number;
}

export interface DocumentDetail {
  status: string;
  document: DocumentRow;
  attempts: AttemptRow[];
  duplicates: DuplicateRow[];
}

export interface PatchResult {
  document: DocumentRow;
  corrections: CorrectionRow[];
}

export interface SearchHit {
  id: number;
  score: number;
  snippet: string;
  document: DocumentRow | null;
}

export interface SearchResponse {
  query: string;
  mode: string;
  hits: SearchHit[];
}

export interface CostRow {
  key: string;
  documents: number;
  attempts: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

export interface CostResponse {
  groupBy: string;
  rows: CostRow[];
  totals: {
    costUsd: number;
    pendingUsd: number;
    calls: number;
    documents: number;
    attempts: number;
    failedAttempts: number;
  };
}

export interface HealthCheck {
  name: string;
  status: string;
  latencyMs?: number;
  error?: string;
  details?: Record<string, unknown>;
}

export interface HealthReport {
  status: string;
  checks?: HealthCheck[];
  [key: string]: unknown;
}

export interface UploadAccepted {
  id: string;
  sha256: string;
  status: string;
  fileName: string;
  sizeBytes: number;
  location: string;
}

/** Events of GET /v1/batches/{id}/events (the runner's progress). */
export interface BatchProgressEvent {
  type: 'start' | 'progress' | 'end' | 'snapshot';
  batchId?: string;
  total?: number;
  done?: number;
  failed?: number;
  skipped?: number;
  duplicates?: number;
  pending?: number;
  ratePerSec?: number;
  etaSec?: number | null;
  costUsd?: number;
  status?: string;
  batch?: Batch;
}
