import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { ServerContext } from '../context.js';
import { batchCancelRoutes } from '../routes/batch-cancel.js';
import { batchRoutes } from '../routes/batches.js';
import { correctionRoutes } from '../routes/corrections.js';
import { costRoutes } from '../routes/costs.js';
import { documentRoutes } from '../routes/documents.js';
import { eventRoutes } from '../routes/events.js';
import { healthRoutes } from '../routes/health.js';
import { overviewRoutes } from '../routes/overview.js';
import { searchRoutes } from '../routes/search.js';
import { sessionRoutes } from '../routes/session.js';
import { thumbnailRoutes } from '../routes/thumbnails.js';
import { staticRoutes } from '../static.js';

export interface RoutesOptions {
  ctx: ServerContext;
  checkToken: (authorization: string | undefined) => boolean;
  version: string;
  /** Where page thumbnails are cached. */
  thumbnailDir: string;
  /** The built web app served at `/` (absent: `/` answers 404). */
  webDir?: string | undefined;
}

/** Every route family of the API, each registered as its own (encapsulated) plugin, in the OpenAPI document's order. */
export const routesPlugin: FastifyPluginAsyncZod<RoutesOptions> = async (app, options) => {
  const { ctx } = options;
  await app.register(async (scope) => healthRoutes(scope, ctx));
  await app.register(async (scope) => documentRoutes(scope, ctx));
  await app.register(async (scope) => searchRoutes(scope, ctx));
  await app.register(async (scope) => batchRoutes(scope, ctx));
  await app.register(async (scope) => costRoutes(scope, ctx));
  await app.register(async (scope) => sessionRoutes(scope, ctx, options.checkToken));
  await app.register(async (scope) => eventRoutes(scope, ctx));
  await app.register(async (scope) => overviewRoutes(scope, ctx, options.version));
  await app.register(async (scope) => correctionRoutes(scope, ctx));
  await app.register(async (scope) => batchCancelRoutes(scope, ctx));
  await app.register(async (scope) => thumbnailRoutes(scope, ctx, { dir: options.thumbnailDir }));
  const webDir = options.webDir;
  if (webDir) await app.register(async (scope) => staticRoutes(scope, webDir));
};
