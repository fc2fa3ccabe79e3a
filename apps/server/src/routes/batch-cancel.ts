import { z } from 'zod';
import type { AutodApp, ServerContext } from '../context.js';
import { AUTH_ERRORS, errors } from '../schemas.js';
import { batchSchema } from './batches.js';

const batchParams = z.object({
  id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, { error: 'must be a batch id' }),
});

/** `POST /v1/batches/:id/cancel`: stop a running batch (resumable later). */
export function batchCancelRoutes(app: AutodApp, ctx: ServerContext): void {
  app.post(
    '/v1/batches/:id/cancel',
    {
      schema: {
        tags: ['batches'],
        params: batchParams,
        response: { 200: batchSchema, ...errors(400, 404, 409, ...AUTH_ERRORS) },
        description:
          'Stop a batch running on this server: in-flight items are released and stay pending, the batch ends "interrupted" ' +
          'and POST /v1/batches/{id}/resume continues it. 409 when it is not running here.',
      },
    },
    async (request) => ctx.batches.cancel(request.params.id),
  );
}
