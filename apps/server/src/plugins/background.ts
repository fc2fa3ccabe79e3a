import type { FastifyPluginAsync } from 'fastify';
import { InboxWatcher, type Pipeline } from '@autod/pipeline';
import type { ServerContext } from '../context.js';
import type { ExtractionPool } from '../extraction/pool.js';
import { globalPlugin } from './global-plugin.js';

export interface BackgroundOptions {
  ctx: ServerContext;
  /** Extraction worker threads (absent: files are processed on this thread). */
  pool: ExtractionPool | undefined;
  /** Also watch the inbox while the server runs. */
  watch: boolean;
  /** How long closing waits for background processing before aborting it. */
  shutdownGraceMs: number;
  /** Unsubscribe the live document states from the pipeline's events. */
  stopEvents: () => void;
}

/**
 * The server's background work: the inbox watcher (`watch`), and shutdown — end event streams so the listener can
 * close, then (after in-flight requests such as uploads have finished) drain background processing, aborting it
 * after the grace period (aborted files stay in the inbox), then stop the extraction workers.
 */
export const backgroundPlugin: FastifyPluginAsync<BackgroundOptions> = globalPlugin(async (app, options) => {
  const { ctx, pool } = options;
  const { config, logger } = ctx.runtime;
  const pipeline = ctx.runtime.pipeline;
  let watcher: InboxWatcher | undefined;
  if (options.watch) {
    app.addHook('onReady', async () => {
      // With workers the watcher's files go to them too: the watcher only needs processFile of its pipeline.
      const processor: Pipeline = pool
        ? Object.assign(Object.create(pipeline) as Pipeline, {
            processFile: (path: string, signal?: AbortSignal) => pool.processFile(path, signal),
          })
        : pipeline;
      watcher = new InboxWatcher(processor, pipeline.dirs.inbox, {
        concurrency: config.processing.concurrency,
        logger,
        drainTimeoutMs: options.shutdownGraceMs,
      });
      await watcher.start();
    });
  }
  app.addHook('preClose', async () => {
    options.stopEvents();
    for (const stream of ctx.streams) stream.end();
    ctx.streams.clear();
  });
  app.addHook('onClose', async () => {
    const grace = options.shutdownGraceMs;
    const [drained] = await Promise.all([ctx.work.drain(grace), watcher?.stop()]);
    if (!drained)
      logger.warn(
        { graceMs: grace },
        'shutdown grace period over: unfinished files were released and stay in the inbox',
      );
    await pool?.close();
  });
});
