import type { FastifyPluginAsync } from 'fastify';
import fastifyHelmet from '@fastify/helmet';
import { webSecurityHeaders } from '../static.js';
import { globalPlugin } from './global-plugin.js';

/** Security headers on every response (helmet; no CORS) and the web app's CSP on HTML pages. */
export const securityPlugin: FastifyPluginAsync = globalPlugin(async (app) => {
  await app.register(fastifyHelmet, {
    global: true,
    contentSecurityPolicy: false,
    crossOriginResourcePolicy: { policy: 'same-origin' },
  });
  webSecurityHeaders(app);
});
