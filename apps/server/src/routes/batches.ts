import { z } from 'zod';
import type { BatchProgressEvent } from '@autod/batch';
import type { AutodApp, ServerContext } from '../context.js';
import { AUTH_ERRORS, content, errors } from '../schemas.js';

const BATCH_STATUSES = [
  'running',
  'submitted',
  'queued',
  'completed',
  'completed_with_errors',
  'interrupted',
  'budget_stopped',
] as const;
const BATCH_MODES = ['live', 'openai-batch', 'queue'] as const;

const runOptions = {
  maxCostUsd: z
    .number()
    .min(0)
    .optional()
    .describe('stop scheduling items before the batch would spend more dollars (default AUTOD_MAX_COST_USD)'),
  concurrency: z
    .number()
    .int()
    .min(1)
    .max(256)
    .optional()
    .describe('items at the same time (default AUTOD_CONCURRENCY)'),
  retryFailed: z.boolean().optional().describe('put failed items back to pending first (resume)'),
};

const createBody = z
  .object({
    paths: z
      .array(z.string().min(1).max(4096))
      .max(10_000)
      .optional()
      .describe('files or folders on the server (relative to the inbox)'),
    dir: z.string().min(1).max(4096).optional().describe('one folder on the server (relative to the inbox)'),
    dryRun: z.boolean().optional().describe('only estimate files, pages, tokens and cost (200); nothing is created'),
    ...runOptions,
  })
  .refine((b) => (b.paths?.length ?? 0) > 0 || b.dir !== undefined, { error: 'give "paths" or "dir"' });

const resumeBody = z.object(runOptions).default({});

const batchParams = z.object({
  id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, { error: 'must be a batch id' }),
});

const listQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  mode: z.enum(BATCH_MODES).optional(),
});

export const batchSchema = z.object({
  id: z.string(),
  mode: z.enum(BATCH_MODES),
  status: z.enum(BATCH_STATUSES),
  active: z.boolean().describe('being run by this server process now'),
  resumable: z.boolean().describe('an unfinished live batch that POST /v1/batches/{id}/resume continues'),
  inputs: z.array(z.string()),
  total: z.number(),
  pending: z.number(),
  done: z.number(),
  failed: z.number(),
  skipped: z.number(),
  duplicates: z.number(),
  costUsd: z.number(),
  ratePerSec: z.number().nullable().describe('items per second in the current run (null when not running here)'),
  etaSec: z
    .number()
    .nullable()
    .describe('seconds left at the current rate (null when unknown, 0 when nothing is pending)'),
  options: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
  updatedAt: z.string(),
  finishedAt: z.string().nullable(),
});

const estimateSchema = z.object({
  dryRun: z.literal(true),
  provider: z.string(),
  files: z.number(),
  pages: z.number(),
  bytes: z.number(),
  inputTokens: z.number(),
  outputTokens: z.number(),
  models: z.array(z.object({ model: z.string(), liveUsd: z.number(), batchUsd: z.number() })),
  unpriced: z.array(z.string()),
  maxCostUsd: z.number().nullable(),
  withinBudget: z.boolean().nullable(),
  largestFiles: z.array(z.object({ path: z.string(), pages: z.number(), bytes: z.number() })),
});

const HEARTBEAT_MS = 15_000;

/**
 * Durable batches over files already on the server (`@autod/batch` live mode), with live progress as server-sent
 * events. Batches are stored in the database: they survive restarts and unfinished ones can be resumed.
 */
export function batchRoutes(app: AutodApp, ctx: ServerContext): void {
  // Graceful shutdown: running batches stop scheduling, release their in-flight items and end `interrupted`.
  app.addHook('preClose', async () => {
    await ctx.batches.shutdown();
  });

  app.post(
    '/v1/batches',
    {
      schema: {
        tags: ['batches'],
        body: createBody,
        response: { 200: estimateSchema, 202: batchSchema, ...errors(400, 404, 409, 503, ...AUTH_ERRORS) },
        description:
          'Start a durable batch over files or folders that are on the server (inside the inbox by default): 202 with the batch. ' +
          'With "dryRun": 200 with the estimate (files, pages, tokens, dollars per model) and nothing created.',
      },
    },
    async (request, reply) => {
      const result = await ctx.batches.create(request.body);
      if ('dryRun' in result) return reply.code(200).send(result);
      return reply.code(202).header('location', `/v1/batches/${result.id}`).send(result);
    },
  );

  app.get(
    '/v1/batches',
    {
      schema: {
        tags: ['batches'],
        querystring: listQuery,
        response: { 200: z.object({ items: z.array(batchSchema) }), ...errors(400, ...AUTH_ERRORS) },
        description: 'Stored batches (also those started by the CLI or on the queue), newest first.',
      },
    },
    async (request) => ({ items: await ctx.batches.list(request.query) }),
  );

  app.get(
    '/v1/batches/:id',
    {
      schema: {
        tags: ['batches'],
        params: batchParams,
        response: { 200: batchSchema, ...errors(400, 404, ...AUTH_ERRORS) },
        description: 'One batch: counts, cost, rate and ETA.',
      },
    },
    async (request) => ctx.batches.require(request.params.id),
  );

  app.post(
    '/v1/batches/:id/resume',
    {
      schema: {
        tags: ['batches'],
        params: batchParams,
        body: resumeBody,
        response: { 202: batchSchema, ...errors(400, 404, 409, 503, ...AUTH_ERRORS) },
        description:
          'Continue an unfinished live batch (cut off by a restart, a shutdown or its budget): done items are not redone. ' +
          '409 when it is running, has nothing left, or is a queue/openai-batch batch.',
      },
    },
    async (request, reply) => {
      const batch = await ctx.batches.resume(request.params.id, request.body);
      return reply.code(202).header('location', `/v1/batches/${batch.id}`).send(batch);
    },
  );

  app.get(
    '/v1/batches/:id/events',
    {
      schema: {
        tags: ['batches'],
        params: batchParams,
        response: {
          200: content(
            'text/event-stream',
            'event: snapshot|start|progress|end, data: one JSON object (the batch, or a progress event) per event',
          ),
          ...errors(400, 404, ...AUTH_ERRORS),
        },
        description:
          'Server-sent events: "snapshot" (the batch now) first, then the runner\'s "start", "progress" (one per finished item) and ' +
          '"end" events; the stream closes after "end". A batch not running in this process gets its snapshot and an "end" at once.',
      },
    },
    async (request, reply) => {
      const id = request.params.id;
      // Subscribe before reading the snapshot so that no event falls in between; buffer until it is sent.
      const buffered: BatchProgressEvent[] = [];
      let sink: (event: BatchProgressEvent) => void = (event) => buffered.push(event);
      const unsubscribe = ctx.batches.subscribe(id, (event) => sink(event));
      let snapshot;
      try {
        snapshot = await ctx.batches.require(id);
      } catch (error) {
        unsubscribe?.();
        throw error;
      }
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
      if (!unsubscribe) {
        send('end', endOf(snapshot));
        raw.end();
        return;
      }
      ctx.streams.add(raw);
      const heartbeat = setInterval(() => raw.write(': ping\n\n'), HEARTBEAT_MS);
      heartbeat.unref();
      let closed = false;
      const cleanup = () => {
        if (closed) return;
        closed = true;
        clearInterval(heartbeat);
        unsubscribe();
        ctx.streams.delete(raw);
      };
      const forward = (event: BatchProgressEvent) => {
        if (closed) return;
        send(event.type, event);
        if (event.type === 'end') {
          cleanup();
          raw.end();
        }
      };
      raw.on('close', cleanup);
      sink = forward;
      for (const event of buffered.splice(0)) forward(event);
    },
  );
}

/** An `end` event for a batch that is not running here, from its snapshot. */
function endOf(b: z.infer<typeof batchSchema>): BatchProgressEvent {
  return {
    type: 'end',
    batchId: b.id,
    mode: b.mode,
    total: b.total,
    done: b.done,
    failed: b.failed,
    skipped: b.skipped,
    duplicates: b.duplicates,
    pending: b.pending,
    ratePerSec: 0,
    etaSec: b.etaSec,
    costUsd: b.costUsd,
    elapsedSec: 0,
    status: b.status,
  };
}
