import { z } from 'zod';
import { errorFor } from '@autod/errors';
import type { AutodApp, ServerContext } from '../context.js';
import { AUTH_ERRORS, errors } from '../schemas.js';
import { idParams } from './documents.js';

const correctionSchema = z.object({
  id: z.number().int(),
  documentId: z.number().int(),
  kind: z.enum(['correct', 'accept']),
  field: z.string().nullable().describe('the corrected field; null for an acceptance'),
  value: z.unknown(),
  previous: z.unknown(),
  actor: z.string(),
  note: z.string().nullable(),
  at: z.string().describe('ISO-8601'),
});

/** The review trail of one document (what a person corrected or accepted, and when). */
export function correctionRoutes(app: AutodApp, ctx: ServerContext): void {
  const { db } = ctx.runtime;
  app.get(
    '/v1/documents/:id/corrections',
    {
      schema: {
        tags: ['review'],
        params: idParams,
        response: { 200: z.object({ items: z.array(correctionSchema) }), ...errors(400, 404, ...AUTH_ERRORS) },
        description: 'Corrections and acceptances made in review (PATCH /v1/documents/{id}), oldest first.',
      },
    },
    async (request) => {
      const doc = await db.documents.get(request.params.id);
      if (!doc) throw errorFor('DOCUMENT_NOT_FOUND', `No document ${request.params.id}.`);
      const rows = await db.corrections.listFor(doc.id);
      return { items: rows.map((r) => ({ ...r, at: r.at.toISOString() })) };
    },
  );
}
