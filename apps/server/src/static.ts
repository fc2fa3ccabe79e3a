import { readFile, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { errorFor } from '@autod/errors';
import type { AutodApp } from './context.js';

/**
 * The page's Content-Security-Policy: everything from this origin only, no inline script, no eval, no framing.
 * pdf.js runs its worker from /assets and draws into canvases; thumbnails and PDFs are fetched from /v1.
 */
export const WEB_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
};
const COMPRESSIBLE = new Set(['.html', '.js', '.mjs', '.css', '.json', '.svg', '.map', '.txt', '.webmanifest']);
/** Paths that belong to the API, never to the page. */
const API_PREFIXES = ['/v1/', '/v1', '/health/', '/docs', '/metrics'];

interface CachedFile {
  raw: Buffer;
  gzip: Buffer | null;
  type: string;
}

/** Security headers every page response carries (helmet sets the rest on every response). */
export function webSecurityHeaders(app: AutodApp): void {
  app.addHook('onSend', async (_request, reply, payload) => {
    const type = reply.getHeader('content-type');
    if (typeof type === 'string' && type.startsWith('text/html') && !reply.getHeader('content-security-policy')) {
      void reply.header('content-security-policy', WEB_CSP);
    }
    return payload;
  });
}

/**
 * Serves the built web app from `dir`: hashed files under /assets with a year-long immutable cache, every other
 * path that is not the API gets `index.html` (no-cache) so that client routes work on reload. gzip when accepted.
 */
export function staticRoutes(app: AutodApp, dir: string): void {
  const root = resolve(dir);
  const cache = new Map<string, CachedFile>();

  const load = async (file: string): Promise<CachedFile | undefined> => {
    const hit = cache.get(file);
    if (hit) return hit;
    const s = await stat(file).catch(() => undefined);
    if (!s?.isFile()) return undefined;
    const raw = await readFile(file);
    const ext = extname(file).toLowerCase();
    const entry: CachedFile = {
      raw,
      gzip: COMPRESSIBLE.has(ext) && raw.length > 1024 ? gzipSync(raw, { level: 9 }) : null,
      type: TYPES[ext] ?? 'application/octet-stream',
    };
    cache.set(file, entry);
    return entry;
  };

  const send = (request: FastifyRequest, reply: FastifyReply, file: CachedFile, cacheControl: string) => {
    const accepts = String(request.headers['accept-encoding'] ?? '');
    void reply.header('cache-control', cacheControl).header('vary', 'accept-encoding').type(file.type);
    if (file.type.startsWith('text/html')) void reply.header('content-security-policy', WEB_CSP);
    if (file.gzip && /\bgzip\b/.test(accepts)) return reply.header('content-encoding', 'gzip').send(file.gzip);
    return reply.send(file.raw);
  };

  /** A file inside the web folder, or undefined for anything that would leave it. */
  const inside = (urlPath: string): string | undefined => {
    let decoded: string;
    try {
      decoded = decodeURIComponent(urlPath);
    } catch {
      return undefined;
    }
    if (decoded.includes('\0')) return undefined;
    const file = resolve(root, `.${decoded}`);
    return file.startsWith(root + sep) ? file : undefined;
  };

  const index = async (request: FastifyRequest, reply: FastifyReply) => {
    const page = await load(join(root, 'index.html'));
    if (!page) throw errorFor('NOT_FOUND', 'The web app is not built: run `pnpm --filter @autod/web build`.');
    return send(request, reply, page, 'no-cache');
  };

  const routeOptions = { config: { public: true, rateLimit: false as const }, schema: { hide: true } };

  app.get('/', routeOptions, index);
  app.get('/assets/*', routeOptions, async (request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    const file = inside(path);
    const found = file ? await load(file) : undefined;
    if (!found) throw errorFor('NOT_FOUND', `No file ${path}.`);
    return send(request, reply, found, 'public, max-age=31536000, immutable');
  });
  app.get('/*', routeOptions, async (request, reply) => {
    const path = request.url.split('?')[0] ?? '/';
    if (API_PREFIXES.some((p) => path === p || path.startsWith(p.endsWith('/') ? p : `${p}/`))) {
      throw errorFor('NOT_FOUND', `No route GET ${path}.`);
    }
    const file = extname(path) ? inside(path) : undefined;
    const found = file ? await load(file) : undefined;
    if (found) return send(request, reply, found, 'no-cache');
    if (extname(path)) throw errorFor('NOT_FOUND', `No file ${path}.`);
    return index(request, reply);
  });
}
