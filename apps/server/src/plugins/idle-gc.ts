import type { FastifyPluginAsync } from 'fastify';
import type { Logger } from '@autod/ops';
import type { ServerContext } from '../context.js';
import { IdleCollector, type FullCollection } from '../memory/idle-collector.js';
import { globalPlugin } from './global-plugin.js';

export interface IdleGcOptions {
  ctx: ServerContext;
  logger: Logger;
  /** Quiet time before the collection (ms); 0 = off. */
  quietMs: number;
  /** Replaces V8's collection (tests). */
  collect?: FullCollection;
}

/** Gives memory grown under load back once the server is quiet (see {@link IdleCollector}). */
export const idleGcPlugin: FastifyPluginAsync<IdleGcOptions> = globalPlugin(async (app, options) => {
  const { ctx, logger } = options;
  const collector = new IdleCollector({
    quietMs: options.quietMs,
    busy: () => ctx.work.busy || ctx.batches.running > 0,
    ...(options.collect ? { collect: options.collect } : {}),
    onCollect: ({ heapBefore, heapAfter, ms }) =>
      logger.debug(
        {
          heapBeforeMb: Math.round(heapBefore / 1048576),
          heapAfterMb: Math.round(heapAfter / 1048576),
          ms: Math.round(ms),
        },
        'server quiet: full garbage collection',
      ),
  });
  if (!collector.enabled) return;
  app.addHook('onRequest', (_request, _reply, done) => {
    collector.noteRequest();
    done();
  });
  app.addHook('onReady', async () => collector.start());
  app.addHook('onClose', async () => collector.stop());
});
