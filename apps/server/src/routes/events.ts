import { z } from 'zod';
import type { AutodApp, ServerContext } from '../context.js';
import { AUTH_ERRORS, content, errors } from '../schemas.js';
import { DOCUMENT_STATES, type DocumentStateEvent } from '../document-events.js';

const HEARTBEAT_MS = 15_000;

export const documentStateEventSchema = z.object({
  seq: z.number().int().describe('increasing per server process; the SSE event id'),
  sha256: z.string().nullable().describe('null while the pipeline has not hashed the file yet'),
  fileName: z.string(),
  state: z.enum(DOCUMENT_STATES),
  documentId: z.number().int().nullable(),
  error: z
    .object({ code: z.string(), message: z.string(), hint: z.string() })
    .nullable()
    .describe('why it failed or waits (the error catalogue)'),
  at: z.string().describe('ISO-8601'),
});

const recentQuery = z.object({
  after: z.coerce.number().int().min(0).optional().describe('only events with a larger seq'),
});

/** Live document states: a JSON list of the recent ones and a server-sent-event stream. */
export function eventRoutes(app: AutodApp, ctx: ServerContext): void {
  app.get(
    '/v1/events/recent',
    {
      schema: {
        tags: ['events'],
        querystring: recentQuery,
        response: { 200: z.object({ items: z.array(documentStateEventSchema) }), ...errors(400, ...AUTH_ERRORS) },
        description:
          'The document states this server process saw recently (uploads and files the pipeline picked up), oldest first.',
      },
    },
    async (request) => ({ items: ctx.events.since(request.query.after) }),
  );

  app.get(
    '/v1/events',
    {
      schema: {
        tags: ['events'],
        response: {
          200: content(
            'text/event-stream',
            'id: seq, event: document, data: one DocumentStateEvent (as GET /v1/events/recent)',
          ),
          ...errors(...AUTH_ERRORS),
        },
        description:
          'Server-sent events: one "document" event per state change (queued → processing → processed / duplicate / failed, ' +
          'or retry_later), data as in GET /v1/events/recent. Reconnecting with Last-Event-ID replays what was missed ' +
          '(without it, the recent events come first).',
      },
    },
    async (request, reply) => {
      const lastHeader = request.headers['last-event-id'];
      const last = typeof lastHeader === 'string' && /^\d+$/.test(lastHeader) ? Number(lastHeader) : undefined;
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        ...(reply.getHeaders() as Record<string, string>),
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      const send = (event: DocumentStateEvent) =>
        raw.write(`id: ${event.seq}\nevent: document\ndata: ${JSON.stringify(event)}\n\n`);
      raw.write('retry: 2000\n\n');
      // Subscribe first, then replay: events that arrive during the replay are sent after it, none is lost.
      const pending: DocumentStateEvent[] = [];
      let live = false;
      const unsubscribe = ctx.events.subscribe((event) => (live ? send(event) : pending.push(event)));
      let sent = last ?? 0;
      for (const event of ctx.events.since(last)) {
        send(event);
        sent = event.seq;
      }
      for (const event of pending.splice(0)) if (event.seq > sent) send(event);
      live = true;
      ctx.streams.add(raw);
      const heartbeat = setInterval(() => raw.write(': ping\n\n'), HEARTBEAT_MS);
      heartbeat.unref();
      raw.on('close', () => {
        clearInterval(heartbeat);
        unsubscribe();
        ctx.streams.delete(raw);
      });
    },
  );
}
