import { z } from 'zod';
import { DOCUMENT_STATUSES, DocumentMetadataSchema, PROVIDER_NAMES, type DocumentStatus } from '@autod/core';

/**
 * Response schemas of the HTTP API (zod, published in the OpenAPI document at /docs through fastify-type-provider-zod,
 * and used to serialize the responses). Objects the database may grow (a document row) are loose: a field added by a
 * later migration is sent rather than dropped; `apps/server/src/openapi.test.ts` fails until it is documented here.
 */

const STATUS = z.enum(DOCUMENT_STATUSES as unknown as [DocumentStatus, ...DocumentStatus[]]);
const PROVIDER = z.enum(PROVIDER_NAMES as unknown as [string, ...string[]]);
const isoDay = z.string().describe('YYYY-MM-DD');

/** `{ error: AutodErrorJSON }`: every error response. */
export const errorSchema = z
  .object({
    error: z.object({
      name: z.string(),
      code: z.string().describe('stable error code from the catalogue, e.g. DOCUMENT_NOT_FOUND'),
      category: z.string(),
      message: z.string(),
      hint: z.string().describe('what to do about it'),
      retryable: z.boolean(),
      details: z.record(z.string(), z.unknown()).optional(),
      cause: z.string().optional(),
    }),
  })
  .describe('An error: code, message and what to do.');

/** Error responses of a route, by status. */
export function errors(...statuses: number[]): Record<number, typeof errorSchema> {
  const out: Record<number, typeof errorSchema> = {};
  for (const s of statuses) out[s] = errorSchema;
  return out;
}

/** Every route behind the token can answer 401 (no/wrong token) and 429 (rate limit). */
export const AUTH_ERRORS = [401, 429] as const;

/** A document as clients see it (claim bookkeeping left out). */
export const documentSchema = z.looseObject({
  id: z.number().int(),
  sha256: z.string(),
  fileName: z.string(),
  sourcePath: z.string(),
  sizeBytes: z.number(),
  pageCount: z.number().int().nullable(),
  status: STATUS,
  storagePath: z.string().nullable().describe('where the file is (or will be) filed'),
  filedAt: z.date().nullable(),
  provider: PROVIDER.nullable(),
  model: z.string().nullable(),
  metadata: DocumentMetadataSchema.nullable().describe('the validated extraction (null until completed)'),
  category: z.string().nullable(),
  subcategory: z.string().nullable(),
  docType: z.string().nullable(),
  issuer: z.string().nullable(),
  primaryDate: isoDay.nullable(),
  totalAmount: z.number().nullable(),
  currency: z.string().nullable(),
  title: z.string().nullable(),
  summary: z.string().nullable(),
  confidence: z.number().nullable(),
  errorCode: z.string().nullable(),
  errorMessage: z.string().nullable(),
  attemptCount: z.number().int(),
  strikes: z
    .number()
    .int()
    .describe('attempts that ended without a result (the deadline passed, or the process died holding the claim)'),
  retryAt: z.date().nullable().describe('when a waiting document is tried again'),
  mediaType: z.string().nullable().describe('what the dropped file was: application/pdf, image/jpeg, …'),
  originalPath: z
    .string()
    .nullable()
    .describe('for an image (or bare e-invoice XML) document: the original kept beside the filed PDF'),
  nearDuplicateOf: z.number().int().nullable().describe('the document this one is a rescan of (same content)'),
  customer: z.string().nullable(),
  invoiceNumber: z.string().nullable(),
  dueDate: isoDay.nullable(),
  needsReview: z.boolean(),
  reviewReasons: z.array(z.string()),
  createdAt: z.date(),
  updatedAt: z.date(),
});

export const attemptSchema = z.object({
  id: z.number().int(),
  documentId: z.number().int(),
  attemptNo: z.number().int(),
  provider: PROVIDER,
  model: z.string(),
  status: z.enum(['succeeded', 'failed']),
  inputTokens: z.number(),
  cachedInputTokens: z.number(),
  outputTokens: z.number(),
  reasoningTokens: z.number(),
  costUsd: z.number(),
  latencyMs: z.number(),
  errorCode: z.string().nullable(),
  errorMessage: z.string().nullable(),
  promptVersion: z.string().nullable(),
  createdAt: z.date(),
});

export const attemptWithResultSchema = attemptSchema.extend({
  promptVersion: z
    .string()
    .nullable()
    .describe('what produced the result: prompt-<hash> (OpenAI prompt and schema) or rules-<n>/schema-<v> (offline)'),
  metadata: DocumentMetadataSchema.nullable().describe(
    'the result this attempt extracted (before corrections); null for a failed attempt or one from before results were kept',
  ),
});

export const duplicateSchema = z.object({
  id: z.number().int(),
  documentId: z.number().int(),
  sha256: z.string(),
  fileName: z.string(),
  sourcePath: z.string(),
  storedPath: z.string().nullable(),
  detectedAt: z.date(),
});

export const correctionSchema = z.object({
  id: z.number().int(),
  documentId: z.number().int(),
  kind: z.enum(['correct', 'accept']),
  field: z.string().nullable(),
  value: z.unknown(),
  previous: z.unknown(),
  actor: z.string(),
  note: z.string().nullable(),
  at: z.date(),
});

const errorJson = errorSchema.shape.error;

/** How one file ended (see `@autod/pipeline`'s ProcessOutcome). */
export const outcomeSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('processed'),
    path: z.string(),
    sha256: z.string(),
    documentId: z.number().int(),
    destination: z.string(),
    provider: PROVIDER,
    model: z.string(),
    costUsd: z.number(),
    title: z.string().nullable(),
  }),
  z.object({
    kind: z.literal('duplicate'),
    path: z.string(),
    sha256: z.string(),
    documentId: z.number().int(),
    destination: z.string(),
  }),
  z.object({
    kind: z.literal('failed'),
    path: z.string(),
    sha256: z.string().nullable(),
    documentId: z.number().int().nullable(),
    destination: z.string(),
    error: errorJson,
  }),
  z.object({
    kind: z.literal('retry_later'),
    path: z.string(),
    sha256: z.string(),
    documentId: z.number().int(),
    error: errorJson,
    retryAt: z.string().describe('ISO-8601: the document is tried again then (status waiting)'),
  }),
  z.object({
    kind: z.literal('skipped'),
    path: z.string(),
    reason: z.enum(['held', 'vanished', 'ignored', 'aborted', 'incomplete']),
  }),
]);

export const pageSchema = z.object({
  items: z.array(documentSchema),
  total: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
});

export const uploadAcceptedSchema = z.object({
  id: z.string().describe('the document id to poll (its sha256)'),
  sha256: z.string(),
  status: z.literal('accepted'),
  fileName: z.string(),
  sizeBytes: z.number().int(),
  location: z.string(),
});

export const uploadPendingSchema = z.object({
  id: z.string(),
  sha256: z.string(),
  fileName: z.string(),
  status: z.enum(['pending', 'processing', 'retry_later']),
  acceptedAt: z.string().describe('ISO-8601'),
  attempts: z.number().int(),
});

export const documentDetailSchema = z.union([
  z.object({
    status: STATUS,
    document: documentSchema,
    attempts: z.array(attemptSchema),
    duplicates: z.array(duplicateSchema),
  }),
  z
    .object({ id: z.string(), sha256: z.string(), status: z.literal('failed'), error: errorJson })
    .describe('an upload that failed before a database row existed'),
]);

export const healthReportSchema = z.object({
  status: z.enum(['pass', 'warn', 'fail']),
  httpStatus: z.union([z.literal(200), z.literal(503)]),
  checks: z.array(
    z.object({
      name: z.string(),
      status: z.enum(['pass', 'warn', 'fail']),
      latencyMs: z.number(),
      critical: z.boolean(),
      error: z.string().optional(),
      details: z.record(z.string(), z.unknown()).optional(),
      cached: z.boolean().optional(),
    }),
  ),
  timestamp: z.string(),
  uptimeSeconds: z.number(),
});

export const costsSchema = z.object({
  groupBy: z.enum(['day', 'month', 'model', 'provider']),
  from: isoDay.nullable(),
  to: isoDay.nullable(),
  rows: z.array(
    z.object({
      key: z.string().describe('day (YYYY-MM-DD, UTC), month (YYYY-MM), model or provider'),
      documents: z.number().int().describe('distinct documents with attempts or paid calls in the group'),
      attempts: z.number().int().describe('extraction attempts (the offline provider included, at $0)'),
      calls: z.number().int().describe('paid calls (extraction, repair, embeddings, Batch API jobs)'),
      inputTokens: z.number(),
      cachedInputTokens: z.number(),
      outputTokens: z.number(),
      reasoningTokens: z.number(),
      costUsd: z.number().describe('billed dollars, plus unsettled calls at their estimate'),
      pendingUsd: z.number().describe('the part of costUsd that is an estimate (calls not settled)'),
    }),
  ),
  totals: z.object({
    costUsd: z.number(),
    pendingUsd: z.number(),
    calls: z.number().int(),
    documents: z.number().int(),
    attempts: z.number().int(),
    failedAttempts: z.number().int(),
    inputTokens: z.number(),
    cachedInputTokens: z.number(),
    outputTokens: z.number(),
    reasoningTokens: z.number(),
  }),
});

export const searchResponseSchema = z.object({
  query: z.string(),
  mode: z.enum(['fulltext', 'vector', 'hybrid']),
  limit: z.number().int(),
  hits: z.array(
    z.object({
      id: z.number().int(),
      score: z.number().describe('fused rank score (hybrid), cosine similarity (vector) or BM25 score (fulltext)'),
      similarity: z.number().nullable().describe('cosine similarity of the best chunk, when the vector side found it'),
      snippet: z.string(),
      document: documentSchema.nullable(),
    }),
  ),
});

/** A plain-text or binary body, described by content type (one type, or several the route may send). */
export function content(type: string | readonly string[], description: string, binary = false) {
  const types = typeof type === 'string' ? [type] : type;
  const schema = () => (binary ? z.string().meta({ format: 'binary' }) : z.string());
  return { description, content: Object.fromEntries(types.map((t) => [t, { schema: schema() }])) };
}
