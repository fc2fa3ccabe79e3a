import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import { z } from 'zod';
import { FieldCorrectionsSchema, type DocumentFilter, type DocumentFilterDefinition } from '@autod/core';
import type { Database, DocumentRow } from '@autod/db';
import { errorFor } from '@autod/errors';
import type { AutodApp, ServerContext } from '../context.js';
import { receiveUpload } from '../upload.js';
import {
  AUTH_ERRORS,
  attemptWithResultSchema,
  content,
  correctionSchema,
  documentDetailSchema,
  documentSchema,
  errors,
  outcomeSchema,
  pageSchema,
  uploadAcceptedSchema,
  uploadPendingSchema,
} from '../schemas.js';

/** The multipart body of an upload, as the OpenAPI document shows it (the route reads the stream itself). */
export const UPLOAD_BODY = {
  type: 'object',
  required: ['file'],
  properties: { file: { type: 'string', format: 'binary', description: 'the PDF (or scan image), one file field' } },
} as const;
/** The query of `GET /v1/documents`: every filter of the definition (`db.documentFilter`), paging and order. */
function listQuery(definition: DocumentFilterDefinition) {
  return definition.querySchema.extend({
    limit: z.coerce.number().int().min(1).max(1000).default(50),
    offset: z.coerce.number().int().min(0).default(0),
    orderBy: z
      .enum(['createdAt', 'updatedAt', 'primaryDate', 'totalAmount', 'issuer', 'title', 'id'])
      .default('createdAt'),
    order: z.enum(['asc', 'desc']).default('desc'),
  });
}

const reviewQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});

/** PATCH body: the fields to correct (validated by the review service against the metadata schema). */
const reviewBody = z.strictObject({
  fields: FieldCorrectionsSchema.optional().describe('field → new value; null clears a field'),
  accept: z
    .boolean()
    .optional()
    .describe('confirm the extraction (after the corrections): the document leaves the review queue'),
  note: z.string().max(1000).optional().describe('why (kept in the audit log)'),
});

export const idParams = z.object({
  id: z
    .string()
    .regex(/^(\d{1,15}|[0-9a-fA-F]{64})$/, { error: 'must be a numeric document id or a sha256 (64 hex digits)' })
    .describe('document id or sha256'),
});

/**
 * The document filter of a parsed query (validated by the schema `db.documentFilter` derives): its filter keys,
 * without paging and the other parameters.
 */
export function filterOf(db: Database, query: DocumentFilter): DocumentFilter {
  return db.documentFilter.pick(query);
}

/** Keeps the columns a client may see (claim bookkeeping is internal). */
export function documentJson(row: DocumentRow): Omit<DocumentRow, 'claimOwner' | 'leaseExpiresAt'> {
  const { claimOwner: _owner, leaseExpiresAt: _lease, ...rest } = row;
  return rest;
}

/** `Content-Disposition` that survives any file name (ASCII fallback + RFC 5987). */
function contentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

export function documentRoutes(app: AutodApp, ctx: ServerContext): void {
  const { db, pipeline } = ctx.runtime;

  app.post(
    '/v1/documents',
    {
      schema: {
        tags: ['documents'],
        consumes: ['multipart/form-data'],
        multipartBody: UPLOAD_BODY,
        response: { 202: uploadAcceptedSchema, ...errors(400, 413, 415, 503, ...AUTH_ERRORS) },
        description:
          'Upload one PDF or image (JPEG, PNG, TIFF, WebP, GIF, AVIF; recognised by its bytes) as multipart/form-data (one file field). The file is stored in the inbox and processed in the background; answers 202 with the document id (its sha256) to poll. An image is filed as a searchable PDF made from it, with the original kept beside it (`originalPath`).',
      },
    },
    async (request, reply) => {
      if (!ctx.work.accepting)
        throw errorFor('UPSTREAM_UNAVAILABLE', 'The server is shutting down; upload again later.');
      const saved = await receiveUpload(request, { inbox: pipeline.dirs.inbox, maxBytes: ctx.maxUploadBytes });
      ctx.work.submit(saved.path, saved.sha256, saved.fileName, saved.onDisk);
      request.log.info(
        { sha256: saved.sha256, fileName: saved.fileName, sizeBytes: saved.sizeBytes },
        'upload accepted',
      );
      const location = `/v1/documents/${saved.sha256}`;
      return reply.code(202).header('location', location).send({
        id: saved.sha256,
        sha256: saved.sha256,
        status: 'accepted',
        fileName: saved.fileName,
        sizeBytes: saved.sizeBytes,
        location,
      });
    },
  );

  app.get(
    '/v1/documents',
    {
      schema: {
        tags: ['documents'],
        querystring: listQuery(db.documentFilter),
        response: { 200: pageSchema, ...errors(400, ...AUTH_ERRORS) },
        description: 'List documents with filters and pagination.',
      },
    },
    async (request) => {
      const { limit, offset, orderBy, order, ...filter } = request.query;
      const { items, total } = await db.documents.list({ ...filterOf(db, filter), limit, offset, orderBy, order });
      return { items: items.map(documentJson), total, limit, offset };
    },
  );

  app.get(
    '/v1/documents/:id',
    {
      schema: {
        tags: ['documents'],
        params: idParams,
        response: {
          200: documentDetailSchema,
          202: uploadPendingSchema,
          ...errors(400, 404, ...AUTH_ERRORS),
        },
        description:
          'One document with its extraction attempts and duplicates. For an upload not yet claimed by the pipeline: 202 {status: "pending" | "processing" | "retry_later"}; for an upload that failed before a database row existed: 200 {status: "failed", error}.',
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const doc = await db.documents.get(id);
      if (doc) {
        const [attempts, duplicates] = await Promise.all([db.attempts.list(doc.id), db.duplicates.listFor(doc.id)]);
        return { status: doc.status, document: documentJson(doc), attempts, duplicates };
      }
      const sha = id.toLowerCase();
      const upload = ctx.work.upload(sha);
      if (upload) return reply.code(202).send({ id: sha, ...upload });
      const outcome = ctx.work.outcome(sha);
      if (outcome?.kind === 'failed') return { id: sha, sha256: sha, status: 'failed' as const, error: outcome.error };
      throw errorFor('DOCUMENT_NOT_FOUND', `No document ${id}.`);
    },
  );

  app.get(
    '/v1/documents/:id/attempts',
    {
      schema: {
        tags: ['documents'],
        params: idParams,
        response: {
          200: z.object({ items: z.array(attemptWithResultSchema) }),
          ...errors(400, 404, ...AUTH_ERRORS),
        },
        description:
          'Every extraction attempt of a document, oldest first, each with the result it extracted (reprocess keeps them all), its provider, model, prompt version, tokens, cost, latency and time.',
      },
    },
    async (request) => {
      const doc = await db.documents.get(request.params.id);
      if (!doc) throw errorFor('DOCUMENT_NOT_FOUND', `No document ${request.params.id}.`);
      return { items: await db.attempts.listWithResults(doc.id) };
    },
  );

  app.get(
    '/v1/documents/:id/file',
    {
      schema: {
        tags: ['documents'],
        params: idParams,
        description:
          'The filed PDF (application/pdf); for an image document, the PDF made from it (the original is at `originalPath`). Before an image document is filed: the image itself, with its own media type.',
        response: {
          200: content(
            ['application/pdf', 'image/jpeg', 'image/png', 'image/tiff', 'image/webp', 'image/gif', 'image/avif'],
            'The filed PDF (before an image document is filed: the image).',
            true,
          ),
          ...errors(400, 404, ...AUTH_ERRORS),
        },
      },
    },
    async (request, reply) => {
      const doc = await db.documents.get(request.params.id);
      if (!doc) throw errorFor('DOCUMENT_NOT_FOUND', `No document ${request.params.id}.`);
      const candidates = [
        doc.filedAt && doc.storagePath ? doc.storagePath : null,
        doc.sourcePath,
        doc.storagePath,
      ].filter((p): p is string => typeof p === 'string');
      for (const path of candidates) {
        // Open first, then stat the handle: the pipeline may be moving the file right now, and an open handle
        // keeps reading the same bytes whatever happens to the name.
        const fh = await open(path, 'r').catch(() => undefined);
        if (!fh) continue;
        const s = await fh.stat();
        if (!s.isFile()) {
          await fh.close();
          continue;
        }
        // An image document not filed yet is still its image; once filed, its PDF.
        const isOriginal = path === doc.sourcePath && doc.mediaType !== null && doc.mediaType !== 'application/pdf';
        const name = isOriginal ? basename(doc.fileName) : basename(doc.fileName).replace(/\.[^.]*$/, '') + '.pdf';
        return (
          reply
            .type(isOriginal ? (doc.mediaType ?? 'application/octet-stream') : 'application/pdf')
            .header('content-length', String(s.size))
            .header('content-disposition', contentDisposition(name))
            // A stream: fastify sends it as it is (the schema only documents the body as binary).
            .send(fh.createReadStream() as unknown as string)
        );
      }
      throw errorFor('NOT_FOUND', `The file of document ${doc.id} is missing on the server.`);
    },
  );

  app.patch(
    '/v1/documents/:id',
    {
      schema: {
        tags: ['review'],
        params: idParams,
        body: reviewBody,
        response: {
          200: z.object({ document: documentSchema, corrections: z.array(correctionSchema) }),
          ...errors(400, 404, 409, ...AUTH_ERRORS),
        },
        description:
          'Correct extracted fields and/or accept the extraction (a review). Corrections are validated like the metadata fields they replace, kept (append-only), audited, and re-applied by reprocess unless it is forced. Answers with the updated document.',
      },
    },
    async (request) => {
      const body = request.body;
      const row = await pipeline.review.change(request.params.id, {
        fields: body.fields ?? {},
        ...(body.accept ? { accept: true } : {}),
        actor: 'http',
        ...(body.note ? { note: body.note } : {}),
      });
      const corrections = await db.corrections.listFor(row.id);
      return { document: documentJson(row), corrections };
    },
  );

  app.get(
    '/v1/review',
    {
      schema: {
        tags: ['review'],
        querystring: reviewQuery,
        response: { 200: pageSchema, ...errors(400, ...AUTH_ERRORS) },
        description:
          'Documents that need a review (a key field under AUTOD_REVIEW_THRESHOLD, or no issuer/date), oldest first, with the reasons.',
      },
    },
    async (request) => {
      const q = request.query;
      const { items, total } = await pipeline.review.queue({ limit: q.limit, offset: q.offset });
      return { items: items.map(documentJson), total, limit: q.limit, offset: q.offset };
    },
  );

  app.post(
    '/v1/documents/:id/reprocess',
    {
      schema: {
        tags: ['documents'],
        params: idParams,
        querystring: z.object({
          force: z.enum(['true', 'false']).optional().describe('drop the corrections a person made in review'),
        }),
        response: {
          200: z.object({ outcome: outcomeSchema, document: documentSchema.nullable() }),
          ...errors(400, 404, 409, 503, ...AUTH_ERRORS),
        },
        description:
          'Extract the document again with the current provider, model and prompt (old attempts are kept; corrections made in review are re-applied unless force=true). Answers with the outcome.',
      },
    },
    async (request) => {
      if (!ctx.work.accepting) throw errorFor('UPSTREAM_UNAVAILABLE', 'The server is shutting down; try again later.');
      const outcome = await ctx.work.track(
        pipeline.reprocess(request.params.id, { force: request.query.force === 'true' }),
      );
      const doc = await db.documents.get(request.params.id);
      return { outcome, document: doc ? documentJson(doc) : null };
    },
  );
}
