import { z } from 'zod';
import { errorFor } from '@autod/errors';
import type { BatchEvent } from '../batches.js';
import type { AutodApp, ServerContext } from '../context.js';

const createBody = z
  .object({
    paths: z.array(z.string().min(1).max(4096)).max(10_000).optional().describe('files or folders on the server (relative to the inbox)'),
    dir: z.string().min(1).max(4096).optional().describe('one folder on the server (relative to the inbox)'),
  })
  .refine((b) => (b.paths?.length ?? 0) > 0 || b.dir !== undefined, { error: 'give "paths" or "dir"' });

const batchParams = z.object({ id: z.uuid({ error: 'must be a batch id (UUID)' }) });

const HEARTBEAT_MS = 15_000;

/**
 * Batches over files already on the server, with live progress as server-sent events.
 * Isolated here (and in ../batches.ts) so that @autod/batch can replace it.
 */
export function batchRoutes(app: AutodApp, ctx: ServerContext): void {
  app.post(
    '/v1/batches',
    {
      schema: {
        tags: ['batches'],
        body: createBody,
        description: 'Start processing files or folders that are on the server (inside the inbox by default). 202 with the batch.',
      },
    },
    async (request, reply) => {
      const batch = await ctx.batches.create(request.body);
      return reply.code(202).header('location', `/v1/batches/${batch.id}`).send(batch);
    },
  );

  app.get('/v1/batches', { schema: { tags: ['batches'], description: 'Batches known to this server process, newest first.' } }, async () => ({
    items: ctx.batches.list(),
  }));

  app.get('/v1/batches/:id', { schema: { tags: ['batches'], params: batchParams, description: 'One batch: counts, ETA.' } }, async (request) => {
    const batch = ctx.batches.get(request.params.id);
    if (!batch) throw errorFor('BATCH_NOT_FOUND', `No batch ${request.params.id}.`);
    return batch;
  });

  app.get(
    '/v1/batches/:id/events',
    {
      schema: {
        tags: ['batches'],
        params: batchParams,
        description:
          'Server-sent events: "progress" (snapshot + the file that just finished) for each file, then "done"; the current snapshot is sent first.',
      },
    },
    async (request, reply) => {
      const id = request.params.id;
      const snapshot = ctx.batches.get(id);
      if (!snapshot) throw errorFor('BATCH_NOT_FOUND', `No batch ${id}.`);
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        ...(reply.getHeaders() as Record<string, string>),
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      const send = (event: string, data: unknown) => raw.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      send('snapshot', { type: 'snapshot', batch: snapshot });
      if (snapshot.status !== 'running') {
        send('done', { type: 'done', batch: snapshot });
        raw.end();
        return;
      }
      ctx.streams.add(raw);
      const heartbeat = setInterval(() => raw.write(': ping\n\n'), HEARTBEAT_MS);
      heartbeat.unref();
      let unsubscribe = (): void => undefined;
      const cleanup = () => {
        clearInterval(heartbeat);
        unsubscribe();
        ctx.streams.delete(raw);
      };
      unsubscribe = ctx.batches.subscribe(id, (event: BatchEvent) => {
        send(event.type, event);
        if (event.type === 'done') {
          cleanup();
          raw.end();
        }
      });
      raw.on('close', cleanup);
      // No await since the snapshot was taken: the batch cannot have finished in between.
    },
  );
}
